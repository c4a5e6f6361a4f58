//! `chainsleuth demo`: the story end to end. By default on generated data: a simulated
//! economy whose thief launders through addresses OFAC lists for Lazarus Group's
//! launderers, written as a real Bitcoin Core blocks directory, then read back by
//! chainsleuth. With `--blocks-dir`, on a given directory (and its ground truth).

use crate::cli::DemoArgs;
use crate::output::print_text;
use anyhow::Context;
use chain::scan::{ScanOptions, scan};
use chain::{BlocksDir, Network};
use serde_json::Value;
use sim::{Length, Profile, SimConfig, simulate};
use std::fmt::Write as _;
use std::path::Path;

/// The chain the story runs on: simulated, or a given blocks directory.
struct Chain {
    blocks: BlocksDir,
    /// The ground truth and its path, when known.
    truth: Option<(std::path::PathBuf, Value)>,
    /// Ingest from scratch (a freshly simulated chain) or append (a node's directory).
    rebuild: bool,
}

/// Runs the demo and prints its report.
pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    match args.chain.as_str() {
        "bitcoin" => {}
        "monero" => {
            let out = args.out.join("monero");
            return super::xmr::demo(&crate::cli::XmrDemoArgs { out, blobs: "fixtures/monero-regtest".into() });
        }
        "zcash" => return super::zec::demo(&args.out, args.seed),
        other => anyhow::bail!("--chain {other:?}: bitcoin, monero or zcash"),
    }
    let mut s = String::new();
    let chain = match &args.blocks_dir {
        Some(dir) => given_chain(args, dir, &mut s)?,
        None => simulated_chain(args, &mut s)?,
    };
    let network = chain.blocks.network();
    let truth = chain.truth.as_ref().map(|(_, t)| t);
    let index_dir = args.out.join("index");
    let index = scan_and_ingest(&chain, &index_dir, &mut s)?;
    let theft = truth.map(|t| &t["thefts"][0]);
    let theft_tx = locate_theft(&index, theft, &mut s);
    let entities = cluster_entities(&index, chain.truth.as_ref().map(|(p, _)| p.as_path()), theft_tx, &mut s)?;
    let label_set = import_labels(args, &index_dir, &index, &entities, truth, &mut s)?;
    let report = trace_coins(&index, &entities, &label_set, theft, truth, &mut s)?;
    let screenings = screen_deposits(&index, &entities, &label_set, &report, &mut s)?;
    write_reports(&args.out, &report, &screenings, &mut s)?;
    write_next_steps(network, &index_dir, &mut s);
    print_text(&s)
}

/// Steps 2 and 3: the chain scanned and verified, then ingested into `index_dir`
/// and opened.
fn scan_and_ingest(chain: &Chain, index_dir: &Path, s: &mut String) -> anyhow::Result<index::Index> {
    let report = scan(&chain.blocks, ScanOptions { verify: true }, &|_| {})?;
    let options = index::IngestOptions { rebuild: chain.rebuild, ..Default::default() };
    let ingested = index::ingest(&chain.blocks, index_dir, &options, &|_| {}).context("ingest failed")?;
    let index = index::Index::open(index_dir)?;

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
    Ok(index)
}

/// The truth's theft transaction in the index, when there is one, with what it paid
/// written to the report.
fn locate_theft(index: &index::Index, theft: Option<&Value>, s: &mut String) -> Option<index::TxNum> {
    let theft_tx = theft
        .and_then(|t| t["txids"][0].as_str())
        .and_then(|t| t.parse::<chain::Txid>().ok())
        .and_then(|t| index.tx_by_txid(&t).map(|n| (t, n)));
    if let Some((txid, t)) = theft_tx {
        let row = index.tx(t);
        let _ = writeln!(s, "   the theft {txid} (height {}) paid:", row.height);
        for o in row.outputs.clone() {
            let out = index.output(index::OutNum(o));
            let next =
                out.spent_by.map_or("unspent".to_owned(), |i| format!("spent in {}", index.txid(index.input_tx(i))));
            let _ = writeln!(s, "     {} to {} ({next})", btc(out.value), index.address_text(out.address));
        }
    }
    theft_tx.map(|(_, t)| t)
}

/// Step 4: entities and CoinJoins, measured against the truth at `truth` when there
/// is one; returns the saved clustering.
fn cluster_entities(
    index: &index::Index,
    truth: Option<&Path>,
    theft_tx: Option<index::TxNum>,
    s: &mut String,
) -> anyhow::Result<analysis::Analysis> {
    let clustered = analysis::cluster(index, &analysis::ClusterOptions::default(), &|_, _| {})?;
    let entities = analysis::Analysis::open(index)?.context("clustering was not saved")?;
    let coinjoins: Vec<String> = clustered.coinjoins.iter().map(|(p, n)| format!("{n} {p}")).collect();
    let _ = writeln!(
        s,
        "\n4. chainsleuth cluster ({}) grouped {} addresses into {} entities in {:.2} s",
        clustered.heuristics, clustered.addresses, clustered.entities, clustered.elapsed_secs
    );
    let _ = writeln!(
        s,
        "   CoinJoins recognised: {}",
        if coinjoins.is_empty() { "none".into() } else { coinjoins.join(", ") }
    );
    if let Some(t) = theft_tx
        && let Some((_, Some(spent))) = index.resolved_inputs(t).next()
        && let Some(victim) = entities.entity_of(spent.address)
    {
        let _ = writeln!(s, "   the drained hot wallet is entity {victim}: {} addresses", entities.size(victim));
    }
    if let Some(path) = truth {
        measure_against_truth(index, &entities, path, s)?;
    }
    Ok(entities)
}

/// Step 5: labels from OFAC's list, a TagPack, and the exchanges the truth names,
/// imported beside the index; returns them loaded.
fn import_labels(
    args: &DemoArgs,
    index_dir: &Path,
    index: &index::Index,
    entities: &analysis::Analysis,
    truth: Option<&Value>,
    s: &mut String,
) -> anyhow::Result<tags::LabelSet> {
    let now = crate::cmd::screen::utc_now();
    let ofac =
        tags::import_file(index_dir, index.network(), &bundled(&args.ofac_list), tags::Format::OfacList, "ofac", &now)?;
    let tagpack =
        tags::import_file(index_dir, index.network(), &bundled(&args.tagpack), tags::Format::Tagpack, "tagpack", &now)?;
    let _ = write!(
        s,
        "\n5. chainsleuth tags import: {} OFAC addresses (skipped: {}), {} TagPack tags",
        ofac.imported,
        ofac.rejected.len(),
        tagpack.imported
    );
    if let Some(truth) = truth {
        let labels = args.out.join("labels.csv");
        std::fs::write(&labels, truth_labels(truth)).with_context(|| format!("cannot write {}", labels.display()))?;
        let known = tags::import_file(index_dir, index.network(), &labels, tags::Format::Csv, "investigation", &now)?;
        let _ = write!(s, ", {} service and theft addresses from {}", known.imported, labels.display());
    }
    let _ = writeln!(s);
    Ok(tags::LabelSet::load(index_dir, index, Some(entities))?)
}

/// Step 6: the stolen coins (or, without a theft, the sanctioned ones) traced forward
/// to the services they reached.
fn trace_coins(
    index: &index::Index,
    entities: &analysis::Analysis,
    labels: &tags::LabelSet,
    theft: Option<&Value>,
    truth: Option<&Value>,
    s: &mut String,
) -> anyhow::Result<trace::Report> {
    let services = tags::ServiceStops { labels, analysis: Some(entities) };
    let (starts, from) = match theft {
        Some(theft) => (stolen_outputs(index, theft), "stolen outputs"),
        None => (sanctioned_outputs(index, labels), "outputs paid to sanctioned or theft addresses"),
    };
    let options = trace::TraceOptions { stop_at_services: true, max_hops: 20, ..Default::default() };
    let flow = trace::trace(
        &trace::IndexView::new(index, Some(entities)),
        &services,
        &starts,
        options,
        &trace::Budget::unlimited(),
    )?;
    let report = trace::Report::build(&flow, index, Some(entities), &services);
    let _ = writeln!(
        s,
        "\n6. chainsleuth trace --from <the {} {from}> --policy haircut --stop-at-services --max-hops 20",
        starts.len()
    );
    let _ = writeln!(
        s,
        "   went through {} transactions ({} CoinJoins) in {} hops",
        report.summary.transactions, report.summary.coinjoins, report.summary.hops
    );
    write_destinations(&report, truth, s);
    Ok(report)
}

/// Step 7: the deposits the trail reached (or, without any, where it ends) screened,
/// the six largest first.
fn screen_deposits(
    index: &index::Index,
    entities: &analysis::Analysis,
    labels: &tags::LabelSet,
    report: &trace::Report,
    s: &mut String,
) -> anyhow::Result<Vec<tags::ScreenReport>> {
    let config = tags::RiskConfig::default();
    let screener = tags::Screener { index, analysis: Some(entities), labels, config: &config, pool_links: None };
    let mut deposits: Vec<&trace::report::EndpointRow> =
        report.endpoints.iter().filter(|e| e.kind == "service").collect();
    let what = if deposits.is_empty() {
        deposits = report.endpoints.iter().collect();
        "where the trail ends"
    } else {
        "each deposit the trace reached"
    };
    deposits.sort_by_key(|d| std::cmp::Reverse(d.value));
    let _ = writeln!(s, "\n7. chainsleuth screen <{what}> --hops 5:");
    let mut screenings = Vec::new();
    for deposit in deposits.iter().take(6) {
        let Some(address) = &deposit.address else { continue };
        let screening = screener.screen(
            address,
            tags::ScreenOptions { hops: 5, directions: tags::Directions::Received },
            &trace::Budget::unlimited(),
        )?;
        let top = screening.rules_fired.first().map_or("no rule fired".to_owned(), |r| r.reason.clone());
        let _ = writeln!(
            s,
            "   {:<12} {:<36} {:<8} {:>3}  {}",
            deposit.service.as_deref().unwrap_or(deposit.kind),
            address,
            format!("{:?}", screening.risk_level).to_lowercase(),
            screening.risk_score,
            top
        );
        screenings.push(screening);
    }
    if screenings.is_empty() {
        let _ = writeln!(s, "   nothing to screen: no labelled theft or sanctioned coins move in this chain");
    }
    Ok(screenings)
}

/// The trace (as HTML, JSON and DOT) and the screenings written into `out`.
fn write_reports(
    out: &Path,
    report: &trace::Report,
    screenings: &[tags::ScreenReport],
    s: &mut String,
) -> anyhow::Result<()> {
    let write = |name: &str, text: String| -> anyhow::Result<std::path::PathBuf> {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    };
    let html = write("trace.html", report.to_html(60))?;
    let json = write("trace.json", serde_json::to_string_pretty(report)?)?;
    let dot = write("trace.dot", report.to_dot())?;
    let screened = write("screening.json", serde_json::to_string_pretty(screenings)?)?;
    let _ = writeln!(s, "\nReports: {}, {}, {}, {}", html.display(), json.display(), dot.display(), screened.display());
    Ok(())
}

/// Step 1 on generated data: a simulated economy whose thief uses OFAC-listed addresses.
fn simulated_chain(args: &DemoArgs, s: &mut String) -> anyhow::Result<Chain> {
    let (names, scripts) = sanctioned_bitcoin_addresses(&bundled(&args.sanctions))?;
    let config = SimConfig {
        out_dir: args.out.clone(),
        seed: args.seed,
        profile: Profile::SMALL,
        length: Length::Default,
        xor: true,
        thief_scripts: scripts,
        whirlpool_pools: Vec::new(),
        truth: sim::TruthLevel::Full,
    };
    let summary = simulate(&config, &|_| {}).context("simulation failed")?;
    let truth_path = summary.ground_truth.clone().context("the simulation wrote no ground truth")?;
    let truth = read_truth(&truth_path)?;
    let _ = writeln!(s, "chainsleuth demo: a theft laundered through sanctioned addresses\n");
    let _ = writeln!(s, "1. simulated a regtest economy ({} transactions, seed {}):", summary.transactions, args.seed);
    let _ =
        writeln!(s, "   {} (xor-obfuscated blk files, as Bitcoin Core 28+ writes them)", summary.blocks_dir.display());
    let _ = writeln!(s, "   {} (who owns every address; what every transaction was)", truth_path.display());
    let theft = &truth["thefts"][0];
    let _ = writeln!(
        s,
        "   the thief drained {} of {} in {} transactions, using addresses OFAC lists for {}",
        btc(theft["total_sats"].as_u64().unwrap_or(0)),
        theft["victim"].as_str().unwrap_or("?"),
        theft["txids"].as_array().map_or(0, Vec::len),
        names.join(", ")
    );
    let blocks = BlocksDir::open(&summary.blocks_dir, Network::Regtest)?;
    Ok(Chain { blocks, truth: Some((truth_path, truth)), rebuild: true })
}

/// Step 1 on a given blocks directory, with its ground truth when there is one.
fn given_chain(args: &DemoArgs, dir: &Path, s: &mut String) -> anyhow::Result<Chain> {
    let network = args.network.unwrap_or(Network::Mainnet);
    let blocks = BlocksDir::open(dir, network)?;
    let _ = writeln!(s, "chainsleuth demo on {} ({network})\n", dir.display());
    let truth = match &args.ground_truth {
        Some(path) => {
            let truth = read_truth(path)?;
            let theft = &truth["thefts"][0];
            let _ = writeln!(
                s,
                "1. ground truth {}: {} drained {} of {} in {} transactions",
                path.display(),
                theft["attacker"].as_str().unwrap_or("a thief"),
                btc(theft["total_sats"].as_u64().unwrap_or(0)),
                theft["victim"].as_str().unwrap_or("?"),
                theft["txids"].as_array().map_or(0, Vec::len),
            );
            Some((path.clone(), truth))
        }
        None => {
            let _ = writeln!(s, "1. no ground truth: the trace starts from coins paid to labelled addresses");
            None
        }
    };
    Ok(Chain { blocks, truth, rebuild: false })
}

fn read_truth(path: &Path) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}: not JSON", path.display()))
}

/// Clustering and CoinJoin naming measured against the ground truth.
fn measure_against_truth(
    index: &index::Index,
    entities: &analysis::Analysis,
    truth: &Path,
    s: &mut String,
) -> anyhow::Result<()> {
    let eval = analysis::eval::evaluate(index, Some(entities), truth, analysis::model::ChangeModel::shipped())?;
    if let Some(c) = &eval.clustering {
        let _ = writeln!(
            s,
            "   against the ground truth: pairwise precision {:.4}, recall {:.4} ({} entities for {} true wallets; \
             the oracle bound, multi-input with perfect change, is {:.4})",
            c.pairwise_precision, c.pairwise_recall, c.entities, c.true_wallets, eval.oracle.pairwise_recall
        );
    }
    let m = &eval.change_model.at_default;
    let _ = writeln!(
        s,
        "   change model at its threshold {}: precision {:.4}, recall {:.4}",
        eval.change_model.default_threshold, m.precision, m.recall
    );
    let (right, total) =
        eval.coinjoin.confusion.iter().filter(|(truth, _)| *truth != "none").fold((0, 0), |(r, t), (truth, row)| {
            (r + row.get(truth).copied().unwrap_or(0), t + row.values().sum::<u64>())
        });
    let _ = writeln!(s, "   CoinJoins named with the right protocol: {right} of {total}");
    Ok(())
}

/// The theft's stolen outputs, as listed in the ground truth.
fn stolen_outputs(index: &index::Index, theft: &Value) -> Vec<index::OutNum> {
    theft["stolen_outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| trace::start_outputs(index, &format!("{}:{}", o["txid"].as_str()?, o["vout"].as_u64()?)).ok())
        .flatten()
        .collect()
}

/// Every output paid to an address labelled sanctioned or theft.
fn sanctioned_outputs(index: &index::Index, labels: &tags::LabelSet) -> Vec<index::OutNum> {
    let mut outputs: Vec<index::OutNum> = (0..labels.len() as u32)
        .map(|n| labels.label(n))
        .filter(|l| matches!(l.category, tags::Category::Sanctioned | tags::Category::Theft))
        .filter_map(|l| chain::address::to_script_any_network(&l.address))
        .filter_map(|script| index.address_by_key(&index::AddressKey::of_script(&script)))
        .flat_map(|a| index.address_outputs(a))
        .collect();
    outputs.sort_unstable();
    outputs.dedup();
    outputs
}

/// Where the traced value went, beside the truth's account when there is one.
fn write_destinations(report: &trace::Report, truth: Option<&Value>, s: &mut String) {
    let truth_to = truth.map(truth_destinations).unwrap_or_default();
    let _ = writeln!(s, "   {:<24} {:>20} {:>22}", "where the coins went", "traced (haircut)", "truth");
    let mut names: Vec<&str> = report.services.iter().map(|r| r.name.as_str()).collect();
    names.extend(truth_to.keys().map(String::as_str));
    names.sort_unstable();
    names.dedup();
    let truth_cell = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), btc);
    for name in names {
        let traced = report.services.iter().find(|r| r.name == name).map_or(0, |r| r.value);
        let real = truth.map(|_| truth_to.get(name).copied().unwrap_or(0));
        let _ = writeln!(s, "   {:<24} {:>20} {:>22}", name, btc(traced), truth_cell(real));
    }
    let stolen = truth.map(|t| &t["stolen_value"]);
    let dormant = stolen.and_then(|v| v["dormant_sats"].as_u64());
    let _ = writeln!(s, "   {:<24} {:>20} {:>22}", "still unspent", btc(report.summary.unspent), truth_cell(dormant));
    if report.summary.limit > 0 {
        let _ = writeln!(s, "   {:<24} {:>20}", "stopped at 20 hops", btc(report.summary.limit));
    }
    let costs = stolen.and_then(|v| Some(v["miner_fees_sats"].as_u64()? + v["coinjoin_costs_sats"].as_u64()?));
    let _ =
        writeln!(s, "   {:<24} {:>20} {:>22}", "fees and mixing costs", btc(report.summary.fees), truth_cell(costs));
    if truth.is_some() {
        let _ = writeln!(
            s,
            "   (haircut spreads the stolen share over every coin it mixes with; the truth follows the thief's own coins)"
        );
    }
}

/// Stolen value per receiving wallet in the truth: the simulator's `stolen_value`
/// account, or else the cash-out deposits Bitcoin Core's wallets recorded.
fn truth_destinations(truth: &Value) -> std::collections::BTreeMap<String, u64> {
    let mut to = std::collections::BTreeMap::new();
    if let Some(wallets) = truth["stolen_value"]["to_wallets_sats"].as_object() {
        to.extend(wallets.iter().filter_map(|(k, v)| Some((k.clone(), v.as_u64()?))));
    } else {
        for c in truth["cashouts"].as_array().into_iter().flatten() {
            if let (Some(exchange), Some(sats)) = (c["exchange"].as_str(), c["sats"].as_u64()) {
                *to.entry(exchange.to_owned()).or_default() += sats;
            }
        }
    }
    to
}

/// Commands to explore the index further.
fn write_next_steps(network: Network, index_dir: &Path, s: &mut String) {
    let at = format!("--network {network} --data-dir {}", index_dir.display());
    let _ = writeln!(s, "\nTry: chainsleuth tx <txid> {at}");
    let _ = writeln!(s, "     chainsleuth entity <address> {at}");
    let _ = writeln!(s, "     chainsleuth trace --from <txid:vout> --format html -o trace.html {at}");
    let _ = writeln!(s, "     chainsleuth screen <address|txid|txid:vout> {at}");
    let _ = writeln!(
        s,
        "\nOpen the investigation UI on this index: make a key, serve, and log in with the key at the URL:"
    );
    let _ = writeln!(s, "     chainsleuth apikey create {at}");
    let _ = writeln!(s, "     chainsleuth serve {at}");
    let _ = writeln!(s, "     then open http://127.0.0.1:8080/ in a browser");
}

/// A bundled fixture: the path as given if it exists (relative to the working
/// directory), else relative to the source tree this binary was built from, so the
/// demo runs from anywhere in a checkout.
fn bundled(path: &Path) -> std::path::PathBuf {
    if path.exists() || path.is_absolute() {
        return path.to_owned();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// A labels CSV of what an investigator would know of the economy: the services
/// (exchanges, the swap service, mining pools) by every address the truth gives
/// them, and the addresses the theft paid, as theft.
fn truth_labels(truth: &Value) -> String {
    let category_of = |wallet: &str| match truth["wallets"][wallet]["role"].as_str() {
        Some("exchange") => Some("exchange"),
        Some("swap_service") => Some("service"),
        Some("miner") => Some("mining"),
        _ => None,
    };
    let mut rows = std::collections::BTreeMap::new();
    for (name, wallet) in truth["wallets"].as_object().into_iter().flatten() {
        for a in wallet["addresses"].as_array().into_iter().flatten() {
            if let (Some(address), Some(category)) = (a["address"].as_str(), category_of(name)) {
                rows.insert(address.to_owned(), (name.clone(), category));
            }
        }
    }
    for tx in truth["transactions"].as_object().into_iter().flat_map(|t| t.values()) {
        for o in tx["outputs"].as_array().into_iter().flatten() {
            if let (Some(address), Some(wallet)) = (o["address"].as_str(), o["wallet"].as_str())
                && let Some(category) = category_of(wallet)
            {
                rows.entry(address.to_owned()).or_insert_with(|| (wallet.to_owned(), category));
            }
        }
    }
    for theft in truth["thefts"].as_array().into_iter().flatten() {
        let label = format!("theft from {}", theft["victim"].as_str().unwrap_or("?"));
        for o in theft["stolen_outputs"].as_array().into_iter().flatten() {
            if let Some(address) = o["address"].as_str() {
                rows.insert(address.to_owned(), (label.clone(), "theft"));
            }
        }
    }
    let mut csv = String::from("address,label,category\n");
    for (address, (label, category)) in rows {
        let _ = writeln!(csv, "{address},{label},{category}");
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
