//! `chainsleuth demo`: the story end to end on generated data. A simulated economy
//! whose thief launders through addresses OFAC lists for Lazarus Group's launderers,
//! written as a real Bitcoin Core blocks directory, then read back by chainsleuth.

use crate::cli::DemoArgs;
use crate::output::print_text;
use anyhow::Context;
use chain::scan::{ScanOptions, scan};
use chain::{BlocksDir, Network};
use serde_json::Value;
use sim::{Length, Profile, SimConfig, simulate};
use std::fmt::Write as _;
use std::path::Path;

/// Runs the demo and prints its report.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let (names, scripts) = sanctioned_bitcoin_addresses(&args.sanctions)?;
    let config = SimConfig {
        out_dir: args.out.clone(),
        seed: args.seed,
        profile: Profile::SMALL,
        length: Length::Default,
        xor: true,
        thief_scripts: scripts,
    };
    let summary = simulate(&config, &|_| {}).context("simulation failed")?;
    let truth: Value =
        serde_json::from_slice(&std::fs::read(&summary.ground_truth)?).context("cannot read the ground truth")?;
    let dir = BlocksDir::open(&summary.blocks_dir, Network::Regtest)?;
    let report = scan(&dir, ScanOptions { verify: true }, &|_| {})?;
    let index_dir = args.out.join("index");
    let ingested =
        index::ingest(&dir, &index_dir, &index::IngestOptions { rebuild: true, ..Default::default() }, &|_| {})
            .context("ingest failed")?;
    let index = index::Index::open(&index_dir)?;

    let mut s = String::new();
    let _ = writeln!(s, "chainsleuth demo: a theft laundered through sanctioned addresses\n");
    let _ = writeln!(s, "1. simulated a regtest economy ({} transactions, seed {}):", summary.transactions, args.seed);
    let _ =
        writeln!(s, "   {} (xor-obfuscated blk files, as Bitcoin Core 28+ writes them)", summary.blocks_dir.display());
    let _ = writeln!(s, "   {} (who owns every address; what every transaction was)", summary.ground_truth.display());
    let theft = &truth["thefts"][0];
    let stolen = &truth["stolen_value"];
    let _ = writeln!(
        s,
        "   the thief drained {} of {} in {} transactions, using addresses OFAC lists for {}",
        btc(theft["total_sats"].as_u64().unwrap_or(0)),
        theft["victim"].as_str().unwrap_or("?"),
        theft["txids"].as_array().map_or(0, Vec::len),
        names.join(", ")
    );
    let _ = writeln!(s, "\n2. chainsleuth scan --verify read it back:");
    if let Some(tip) = report.tip {
        let _ = writeln!(s, "   tip height {} {}", tip.height, tip.hash);
    }
    let _ = writeln!(
        s,
        "   {} blocks ({} stale), {} transactions, {:.0} MB/s",
        report.blocks_read,
        report.stale_blocks.len(),
        report.transactions,
        report.mb_per_sec()
    );
    let _ = writeln!(
        s,
        "\n3. chainsleuth ingest indexed it in {:.2} s: {} transactions, {} outputs, {} addresses ({})",
        ingested.elapsed_secs,
        ingested.counts.txs,
        ingested.counts.outputs,
        ingested.counts.addresses,
        index_dir.display()
    );
    if let Some(txid) = theft["txids"][0].as_str().and_then(|t| t.parse::<chain::Txid>().ok())
        && let Some(t) = index.tx_by_txid(&txid)
    {
        let row = index.tx(t);
        let _ = writeln!(s, "   the theft {txid} (height {}) paid:", row.height);
        for o in row.outputs.clone() {
            let out = index.output(index::OutNum(o));
            let next = out.spent_by.map_or("unspent".to_owned(), |i| {
                format!("spent in {}", chain::Txid(index.columns.tx_txid.get(index.input_tx(i).0)))
            });
            let _ = writeln!(s, "     {} to {} ({next})", btc(out.value), index.address_text(out.address));
        }
    }
    let clustered = analysis::cluster(&index, &analysis::ClusterOptions::default(), &|_, _| {})?;
    let entities = analysis::Analysis::open(&index)?.context("clustering was not saved")?;
    let eval = analysis::eval::evaluate(&index, Some(&entities), &summary.ground_truth)?;
    let coinjoins: Vec<String> = clustered.coinjoins.iter().map(|(p, n)| format!("{n} {p}")).collect();
    let _ = writeln!(
        s,
        "\n4. chainsleuth cluster ({}) grouped {} addresses into {} entities in {:.2} s",
        clustered.heuristics, clustered.addresses, clustered.entities, clustered.elapsed_secs
    );
    let _ = writeln!(s, "   CoinJoins recognised: {}", coinjoins.join(", "));
    if let Some(t) = theft["txids"][0].as_str().and_then(|t| t.parse().ok()).and_then(|t| index.tx_by_txid(&t))
        && let Some((_, Some(spent))) = index.resolved_inputs(t).next()
        && let Some(victim) = entities.entity_of(spent.address)
    {
        let _ = writeln!(s, "   the drained hot wallet is entity {victim}: {} addresses", entities.size(victim));
    }
    if let Some(c) = &eval.clustering {
        let _ = writeln!(
            s,
            "   against the ground truth: pairwise precision {:.4}, recall {:.4} ({} entities for {} true wallets)",
            c.pairwise_precision, c.pairwise_recall, c.entities, c.true_wallets
        );
    }
    let (right, total) =
        eval.coinjoin.confusion.iter().filter(|(truth, _)| *truth != "none").fold((0, 0), |(r, t), (truth, row)| {
            (r + row.get(truth).copied().unwrap_or(0), t + row.values().sum::<u64>())
        });
    let _ = writeln!(s, "   CoinJoins named with the right protocol: {right} of {total}");
    // 5. Trace the stolen outputs forward to the services an investigator knows.
    let labels = args.out.join("labels.csv");
    std::fs::write(&labels, service_labels(&truth)).with_context(|| format!("cannot write {}", labels.display()))?;
    let services = trace::LabelFile::read(&labels, &index, Some(&entities))?;
    let starts: Vec<u64> = theft["stolen_outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| trace::start_outputs(&index, &format!("{}:{}", o["txid"].as_str()?, o["vout"].as_u64()?)).ok())
        .flatten()
        .collect();
    let options = trace::TraceOptions { stop_at_services: true, max_hops: 20, ..Default::default() };
    let flow = trace::trace(&trace::IndexView::new(&index, Some(&entities)), &services, &starts, options);
    let report = trace::Report::build(&flow, &index, Some(&entities), &services);
    let html = args.out.join("trace.html");
    std::fs::write(&html, report.to_html(60)).with_context(|| format!("cannot write {}", html.display()))?;
    let _ = writeln!(
        s,
        "\n5. chainsleuth trace --from <the {} stolen outputs> --policy haircut --stop-at-services --labels {}",
        starts.len(),
        labels.display()
    );
    let _ = writeln!(
        s,
        "   went through {} transactions ({} CoinJoins) in {} hops; report: {}",
        report.summary.transactions,
        report.summary.coinjoins,
        report.summary.hops,
        html.display()
    );
    let _ = writeln!(s, "   {:<24} {:>20} {:>22}", "where the coins went", "traced (haircut)", "truth");
    let truth_to = stolen["to_wallets_sats"].as_object();
    let mut names: Vec<&str> = report.services.iter().map(|r| r.name.as_str()).collect();
    names.extend(truth_to.into_iter().flat_map(|w| w.keys().map(String::as_str)));
    names.sort_unstable();
    names.dedup();
    for name in names {
        let traced = report.services.iter().find(|r| r.name == name).map_or(0, |r| r.value);
        let real = truth_to.and_then(|w| w.get(name)).and_then(Value::as_u64).unwrap_or(0);
        let _ = writeln!(s, "   {:<24} {:>20} {:>22}", name, btc(traced), btc(real));
    }
    let _ = writeln!(
        s,
        "   {:<24} {:>20} {:>22}",
        "still unspent",
        btc(report.summary.unspent),
        btc(stolen["dormant_sats"].as_u64().unwrap_or(0))
    );
    if report.summary.limit > 0 {
        let _ = writeln!(s, "   {:<24} {:>20}", "stopped at 20 hops", btc(report.summary.limit));
    }
    let _ = writeln!(
        s,
        "   {:<24} {:>20} {:>22}",
        "fees and mixing costs",
        btc(report.summary.fees),
        btc(stolen["miner_fees_sats"].as_u64().unwrap_or(0) + stolen["coinjoin_costs_sats"].as_u64().unwrap_or(0))
    );
    let _ = writeln!(
        s,
        "   (haircut spreads the stolen share over every coin it mixes with; the truth follows the thief's own coins)"
    );
    let _ = writeln!(s, "\nTry: chainsleuth tx <txid> --network regtest --data-dir {}", index_dir.display());
    let _ = writeln!(s, "     chainsleuth entity <address> --network regtest --data-dir {}", index_dir.display());
    let _ = writeln!(
        s,
        "     chainsleuth trace --from <txid:vout> --format html -o trace.html --network regtest --data-dir {}",
        index_dir.display()
    );
    let _ = writeln!(s, "Next: screen deposits against OFAC's list, and serve it over HTTP (issue 7).");
    print_text(&s)
}

/// A labels CSV naming the services of the simulated economy (exchanges, the swap
/// service, mining pools), as an investigator's labels would.
fn service_labels(truth: &Value) -> String {
    let mut csv = String::from("address,label,category\n");
    for (name, wallet) in truth["wallets"].as_object().into_iter().flatten() {
        let category = match wallet["role"].as_str() {
            Some("exchange") => "exchange",
            Some("swap_service") => "service",
            Some("miner") => "mining",
            _ => continue,
        };
        for a in wallet["addresses"].as_array().into_iter().flatten() {
            if let Some(address) = a["address"].as_str() {
                let _ = writeln!(csv, "{address},{name},{category}");
            }
        }
    }
    csv
}

/// The Bitcoin addresses of the profiles in the Lazarus-related OFAC extract, as
/// output scripts, with the profiles' names.
fn sanctioned_bitcoin_addresses(path: &Path) -> anyhow::Result<(Vec<String>, Vec<Vec<u8>>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let json: Value = serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let (mut names, mut scripts) = (Vec::new(), Vec::new());
    for profile in json["profiles"].as_array().into_iter().flatten() {
        let addresses: Vec<Vec<u8>> = profile["addresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["currency"] == "XBT")
            .filter_map(|a| chain::address::to_script_any_network(a["address"].as_str()?))
            .collect();
        if !addresses.is_empty() {
            names.push(profile["primary_name"].as_str().unwrap_or("?").to_owned());
            scripts.extend(addresses);
        }
    }
    Ok((names, scripts))
}

fn btc(sats: u64) -> String {
    format!("{} BTC", crate::output::btc(sats))
}
