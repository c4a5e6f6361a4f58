//! `chainsleuth zcash ...`: pool balances and round-trip links, from the index
//! (or read straight from a zcashd blocks directory with `--blocks-dir`); and
//! the Zcash demo.

use crate::cli::{ZcashCommand, ZcashLinksArgs, ZcashPoolsArgs, ZcashSourceArgs};
use crate::output::{Table, print_json, print_text};
use anyhow::{Context, bail};
use chain::{BlocksDir, Network};
use index::{AddrId, AddressKey, Height, Index, OutNum};
use serde_json::json;
use std::collections::HashSet;
use std::fmt::Write as _;
use zcash::links::{Crossings, Link, LinkEval, LinkOptions, evaluate};
use zcash::pools::{Pool, Turnstile, block_deltas};

/// Runs a `zcash` subcommand.
pub fn run(command: ZcashCommand) -> anyhow::Result<()> {
    match command {
        ZcashCommand::Pools(a) => pools(&a),
        ZcashCommand::Links(a) => links(&a),
    }
}

/// Where a `zcash` subcommand reads the chain.
enum Source {
    /// The index.
    Index(Box<Index>),
    /// A blocks directory, read block by block.
    Blocks(BlocksDir),
}

fn open(args: &ZcashSourceArgs) -> anyhow::Result<Source> {
    let network = Network::of_chain("zcash", &args.network).map_err(|e| anyhow::anyhow!("--network: {e}"))?;
    if let Some(blocks) = &args.blocks_dir {
        return Ok(Source::Blocks(BlocksDir::open(blocks, network).context("cannot open blocks directory")?));
    }
    let dir = args.data_dir.clone().unwrap_or_else(|| index::default_data_dir(network));
    let index = Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
    if !index.network().is_zcash() {
        bail!("{}: the index is of {}, not Zcash", dir.display(), index.network());
    }
    Ok(Source::Index(Box::new(index)))
}

fn zec(zat: u64) -> String {
    format!("{}.{:08}", zat / 100_000_000, zat % 100_000_000)
}

/// What each pool, as a pseudo-entity, took in and paid out up to a height.
#[derive(Default, Clone, Copy)]
struct PoolFlows {
    into: u64,
    out_of: u64,
    crossings: u64,
}

fn pools(args: &ZcashPoolsArgs) -> anyhow::Result<()> {
    let (height, balances, flows) = match open(&args.source)? {
        Source::Blocks(dir) => {
            let mut turnstile = Turnstile::default();
            let mut height = None;
            zcash::walk::for_each_block(&dir, |h, block| {
                if args.at.is_some_and(|at| h > at) {
                    return Ok(());
                }
                height = Some(h);
                turnstile.apply(h, block_deltas(&block.txs)).map_err(|e| chain::ReadError::Undecodable {
                    path: dir.path().to_owned(),
                    offset: 0,
                    message: e.to_string(),
                })
            })?;
            let Some(height) = height else { bail!("{}: no blocks at or below that height", dir.path().display()) };
            (height, turnstile.balances.map(|b| b as u64), None)
        }
        Source::Index(index) => {
            let Some((tip, _)) = index.tip() else { bail!("{}: the index holds no blocks", index.dir().display()) };
            let height = args.at.unwrap_or(tip.0);
            if height > tip.0 {
                bail!("--at {height}: the index ends at height {}", tip.0);
            }
            let balances = index.pool_balances(Height(height)).with_context(|| {
                format!("the index starts at height {}: pool balances unknown", index.manifest().start_height)
            })?;
            (height, balances, Some(pool_flows(&index, Height(height))))
        }
    };
    let rows: Vec<serde_json::Value> = Pool::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut row = json!({"id": p.name(), "chainValueZat": balances[i], "chainValue": zcash::json::Zec(balances[i] as i64)});
            if let Some(f) = flows {
                row["intoZat"] = json!(f[i].into);
                row["outOfZat"] = json!(f[i].out_of);
                row["crossings"] = json!(f[i].crossings);
            }
            row
        })
        .collect();
    if args.source.json {
        return print_json(&json!({"height": height, "valuePools": rows}));
    }
    let mut t = Table::new(&["pool", "balance (ZEC)", "into (ZEC)", "out of (ZEC)", "crossings"]);
    for (i, p) in Pool::ALL.iter().enumerate() {
        let f = flows.map(|f| f[i]);
        t.row(vec![
            p.title().to_owned(),
            zec(balances[i]),
            f.map_or(String::new(), |f| zec(f.into)),
            f.map_or(String::new(), |f| zec(f.out_of)),
            f.map_or(String::new(), |f| f.crossings.to_string()),
        ]);
    }
    print_text(&format!("pool balances after height {height} (never negative on the way)\n{}", t.render()))
}

/// Each pool's value in and out, and its crossings, up to and including `height`.
fn pool_flows(index: &Index, height: Height) -> [PoolFlows; 3] {
    let end = index.block(height).map_or(0, |b| b.txs.end);
    let mut flows = [PoolFlows::default(); 3];
    for (_, crossing) in index.all_crossings().take_while(|(t, _)| t.0 < end) {
        let f = &mut flows[crossing.pool as usize];
        f.into += crossing.into;
        f.out_of += crossing.out_of;
        f.crossings += 1;
    }
    flows
}

/// `chainsleuth eval --chain zcash --blocks-dir D --ground-truth F`: linking
/// precision and recall at the default options.
pub fn eval(blocks_dir: &std::path::Path, network: Network, truth: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let dir = BlocksDir::open(blocks_dir, network).context("cannot open blocks directory")?;
    let mut crossings = Crossings::for_network(network);
    zcash::walk::for_each_block(&dir, |h, block| {
        crossings.add_block(h, block);
        Ok(())
    })?;
    let truth_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(truth).with_context(|| format!("{}", truth.display()))?)
            .with_context(|| format!("{}: not JSON", truth.display()))?;
    // Each heuristic alone (by value is the default the tracer follows), then both.
    let score = |opts: LinkOptions| {
        evaluate(&crossings.links(&opts), &truth_json).map_err(|e| anyhow::anyhow!("{}: {e}", truth.display()))
    };
    let both = LinkOptions { by_address: true, ..LinkOptions::default() };
    let by_value = score(LinkOptions::default())?;
    let by_address = score(LinkOptions { by_value: false, ..both })?;
    let e = score(both)?;
    if json {
        return print_json(
            &json!({"linking": by_value, "linking_by_address": by_address, "linking_by_value_and_address": e}),
        );
    }
    let mut s = format!("round-trip linking (window {} blocks, confidence >= {}):\n", both.window, both.min_confidence);
    for (name, e) in [("by value", &by_value), ("by address reuse", &by_address), ("both", &e)] {
        let _ = writeln!(
            s,
            "  {name:<17} precision {:.4} ({} of {} links; same owner {:.4}); recall {:.4} of {} round trips linkable by value, {:.4} of {} linkable by address",
            e.precision,
            e.correct,
            e.links,
            e.owner_precision,
            e.recall,
            e.linkable,
            e.recall_by_address,
            e.linkable_by_address
        );
    }
    print_text(&s)
}

fn links(args: &ZcashLinksArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.min_confidence) {
        bail!("--min-confidence {}: between 0 and 1", args.min_confidence);
    }
    let source = open(&args.source)?;
    let (crossings, paying) = crossings_and_payments(&source, args.address.as_deref())?;
    let opts = LinkOptions {
        window: args.window,
        min_confidence: args.min_confidence,
        by_address: args.by_address,
        ..LinkOptions::default()
    };
    let all = crossings.links(&opts);
    let chosen: Vec<&Link> = all
        .iter()
        .filter(|l| args.tx.as_ref().is_none_or(|t| &l.shield_txid == t || &l.deshield_txid == t))
        .filter(|l| args.address.is_none() || paying.contains(&l.deshield_txid))
        .collect();
    let eval = match &args.ground_truth {
        Some(p) => {
            let truth: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p).with_context(|| format!("{}", p.display()))?)
                    .with_context(|| format!("{}: not JSON", p.display()))?;
            Some(evaluate(&all, &truth).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    if args.source.json {
        return print_json(&json!({"links": chosen, "shieldings": crossings.shieldings.len(),
            "deshieldings": crossings.deshieldings.len(), "eval": eval}));
    }
    print_text(&links_text(&crossings, &all, &chosen, args.min_confidence, eval.as_ref()))
}

/// The chain's shieldings and deshieldings, and the txids of the transactions
/// paying `address` (none without one), to keep the links whose deshielding pays it.
fn crossings_and_payments(source: &Source, address: Option<&str>) -> anyhow::Result<(Crossings, HashSet<String>)> {
    let mut paying: HashSet<String> = HashSet::new();
    let crossings = match source {
        Source::Blocks(dir) => {
            let script = match address {
                Some(a) => Some(chain::address::to_script(a, dir.network()).with_context(|| format!("--address {a}"))?),
                None => None,
            };
            let mut crossings = Crossings::for_network(dir.network());
            zcash::walk::for_each_block(dir, |h, block| {
                crossings.add_block(h, block);
                if let Some(script) = &script {
                    let pays =
                        |tx: &&zcash::Transaction<'_>| tx.outputs.iter().any(|o| o.script_pubkey == script.as_slice());
                    paying.extend(block.txs.iter().filter(pays).map(|tx| tx.txid_hex()));
                }
                Ok(())
            })?;
            crossings
        }
        Source::Index(index) => {
            if let Some(a) = address {
                let key = AddressKey::parse(a, index.network()).map_err(|e| anyhow::anyhow!("--address {a}: {e}"))?;
                let id: Option<AddrId> = index.address_by_key(&key);
                let outputs = id.map(|id| index.address_outputs(id)).unwrap_or_default();
                paying.extend(outputs.into_iter().map(|o: OutNum| index.tx(index.output_tx(o)).txid.to_string()));
            }
            let (shieldings, deshieldings) = trace::pools::index_crossings(index);
            Crossings::from_lists(shieldings, deshieldings)
        }
    };
    Ok((crossings, paying))
}

/// The links as text: the counts, the first 50 of the links `chosen` from `all`,
/// the evaluation.
fn links_text(
    crossings: &Crossings,
    all: &[Link],
    chosen: &[&Link],
    min_confidence: f64,
    eval: Option<&LinkEval>,
) -> String {
    let mut s = format!(
        "{} shieldings, {} deshieldings; {} links at confidence >= {}{}\n",
        crossings.shieldings.len(),
        crossings.deshieldings.len(),
        all.len(),
        min_confidence,
        if chosen.len() == all.len() { String::new() } else { format!(", {} of them asked for", chosen.len()) }
    );
    let mut t = Table::new(&["shielding", "deshielding", "pool", "ZEC", "blocks", "confidence"]);
    for l in chosen.iter().take(50) {
        t.row(vec![
            l.shield_txid.clone(),
            l.deshield_txid.clone(),
            l.pool.name().to_owned(),
            format!("{}.{:08}", l.value_out / 100_000_000, l.value_out % 100_000_000),
            l.blocks_apart.to_string(),
            format!("{:.3}", l.confidence),
        ]);
    }
    s.push_str(&t.render());
    if let Some(e) = eval {
        let _ = writeln!(
            s,
            "\nagainst the truth: precision {:.4} ({} of {} links), recall {:.4} ({} of {} round trips linkable by value)",
            e.precision, e.correct, e.links, e.recall, e.found, e.linkable
        );
    }
    s
}

/// `chainsleuth demo --chain zcash`: simulate a shielding economy, index it,
/// check the pools, link round trips, and trace the theft through the Sapling
/// pool to the exchange where it is cashed out.
pub fn demo(out: &std::path::Path, seed: u64) -> anyhow::Result<()> {
    let out = out.join("zcash");
    let _ = std::fs::remove_dir_all(&out);
    let mut s = demo_simulate(&out, seed)?;
    let index = demo_ingest(&out, &mut s)?;
    let tip = index.tip().map_or(Height(0), |t| t.0);
    let sapling = index.pool_balances(tip).map_or(0, |b| b[1]);
    let _ = writeln!(
        s,
        "3. chainsleuth zcash pools: Sapling holds {} ZEC at the tip (the turnstile checked at every block)",
        zec(sapling)
    );
    let link_options = LinkOptions::default();
    let links = trace::PoolLinks::from_index(&index, &link_options);
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("ground_truth.json"))?)?;
    let e = evaluate(&links.links, &truth).map_err(|e| anyhow::anyhow!(e))?;
    let _ = writeln!(
        s,
        "4. chainsleuth zcash links --ground-truth: {} links; precision {:.3}, recall {:.3} of the {} round trips linkable by value",
        e.links, e.precision, e.recall, e.linkable
    );
    demo_trace_theft(&index, &links, &truth["theft"], &out, &mut s)?;
    print_text(&s)
}

/// Step 1 of the Zcash demo: the economy simulated into `out`; returns the report's start.
fn demo_simulate(out: &std::path::Path, seed: u64) -> anyhow::Result<String> {
    let opts = sim::zcash::ZcashSimOptions { seed, ..sim::zcash::ZcashSimOptions::default() };
    let summary = sim::zcash::simulate_zcash(&opts, out)?;
    Ok(format!(
        "Zcash: a simulated shielding economy with a thief (zcashd blk files)\n\n1. chainsleuth simulate --chain zcash --out {}: {} blocks, {} txs, {:.1} MB\n",
        out.display(),
        summary.blocks,
        summary.transactions,
        summary.bytes as f64 / 1e6
    ))
}

/// Step 2: the simulated blocks ingested into `out`/index, opened.
fn demo_ingest(out: &std::path::Path, s: &mut String) -> anyhow::Result<Index> {
    let blocks = BlocksDir::open(&out.join("blocks"), Network::ZcashRegtest)?;
    let data_dir = out.join("index");
    let report = index::ingest(&blocks, &data_dir, &index::IngestOptions::default(), &|_| {})?;
    let index = Index::open(&data_dir)?;
    let c = report.counts;
    let _ = writeln!(
        s,
        "2. chainsleuth ingest --network zcash-regtest: {} blocks, {} txs, {} addresses, {} pool crossings in {:.2} s",
        c.blocks, c.txs, c.addresses, c.crossings, report.elapsed_secs
    );
    Ok(index)
}

/// Step 5: the truth's `theft` traced through the pool links to the labelled
/// exchange (the report saved as trace.json and trace.html in `out`).
fn demo_trace_theft(
    index: &Index,
    links: &trace::PoolLinks,
    theft: &serde_json::Value,
    out: &std::path::Path,
    s: &mut String,
) -> anyhow::Result<()> {
    let Some(theft_txid) = theft["txid"].as_str().filter(|t| !t.is_empty()) else {
        bail!("the simulated chain has no theft");
    };
    let exchange = theft["exchange_address"].as_str().unwrap_or_default();
    let labels = out.join("labels.csv");
    std::fs::write(&labels, format!("address,label,category\n{exchange},Exchange,exchange\n"))?;
    let labels = tags::read_labels(&labels, tags::Format::Csv, index, None)?;
    let services = tags::ServiceStops { labels: &labels, analysis: None };
    let starts = trace::start_outputs(index, theft_txid)?;
    let options = trace::TraceOptions { max_hops: 8, stop_at_services: true, ..trace::TraceOptions::default() };
    let flow = trace::trace(
        &trace::IndexView::new(index, None).with_pool_links(links),
        &services,
        &starts,
        options,
        &trace::Budget::unlimited(),
    )?;
    let report = trace::Report::build(&flow, index, None, &services);
    let _ = writeln!(
        s,
        "5. chainsleuth trace --from {}… --stop-at-services --labels labels.csv (haircut, 8 hops):",
        &theft_txid[..12]
    );
    write_theft_trail(&report, exchange, s);
    write_cash_outs_reached(&flow, index, theft, s);
    std::fs::write(out.join("trace.json"), serde_json::to_vec_pretty(&report)?)?;
    std::fs::write(out.join("trace.html"), report.to_html(60))?;
    let _ = writeln!(s, "   report: {}", out.join("trace.html").display());
    Ok(())
}

/// The pool links the traced theft went through, and the shares of it that reached
/// the exchange, stayed in a pool or are unspent.
fn write_theft_trail(report: &trace::Report, exchange: &str, s: &mut String) {
    for l in &report.pool_links {
        let _ = writeln!(
            s,
            "   through the {} pool: shielding {}… -> deshielding {}…, confidence {:.3}, {} ZEC",
            l.pool,
            &l.shielding[..12],
            &l.deshielding[..12],
            l.confidence,
            zec(l.value)
        );
    }
    let m = &report.summary;
    let share = |v: u64| 100.0 * v as f64 / report.traced_value.max(1) as f64;
    let _ = writeln!(
        s,
        "   of {} ZEC stolen: {} ZEC ({:.1}%) reached the exchange {exchange}; {} ZEC ({:.1}%) left in a pool; {} ZEC unspent",
        zec(report.traced_value),
        zec(m.service),
        share(m.service),
        zec(m.pool),
        share(m.pool),
        zec(m.unspent),
    );
}

/// How many of the truth's cash-outs of the `theft` the trace reached at the exchange.
fn write_cash_outs_reached(flow: &trace::Flow, index: &Index, theft: &serde_json::Value, s: &mut String) {
    let reached: HashSet<String> = flow
        .endpoints
        .iter()
        .filter(|e| e.kind == trace::EndKind::Service)
        .map(|e| index.tx(e.tx).txid.to_string())
        .collect();
    let cash_outs: Vec<&str> =
        theft["cash_out_txids"].as_array().into_iter().flatten().filter_map(|t| t.as_str()).collect();
    let found = cash_outs.iter().filter(|t| reached.contains(**t)).count();
    let _ = writeln!(s, "   {found} of the truth's {} cash-outs at the exchange reached", cash_outs.len());
}
