//! `chainsleuth zcash ...`: pool balances and round-trip links, read straight
//! from a zcashd blocks directory (the Zcash index is not built yet).

use crate::cli::{ZcashBlocksArgs, ZcashCommand, ZcashLinksArgs, ZcashPoolsArgs};
use crate::output::{Table, print_json, print_text};
use anyhow::{Context, bail};
use chain::{BlocksDir, Network};
use serde_json::json;
use std::fmt::Write as _;
use zcash::links::{Crossings, LinkOptions, evaluate};
use zcash::pools::{Pool, Turnstile, block_deltas};

/// Runs a `zcash` subcommand.
pub fn run(command: ZcashCommand) -> anyhow::Result<()> {
    match command {
        ZcashCommand::Pools(a) => pools(&a),
        ZcashCommand::Links(a) => links(&a),
    }
}

fn open(args: &ZcashBlocksArgs) -> anyhow::Result<BlocksDir> {
    let network = Network::of_chain("zcash", &args.network).map_err(|e| anyhow::anyhow!("--network: {e}"))?;
    BlocksDir::open(&args.blocks_dir, network).context("cannot open blocks directory")
}

fn pools(args: &ZcashPoolsArgs) -> anyhow::Result<()> {
    let dir = open(&args.blocks)?;
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
    let balances: Vec<serde_json::Value> = Pool::ALL
        .iter()
        .zip(turnstile.balances)
        .map(|(p, b)| json!({"id": p.name(), "chainValueZat": b, "chainValue": zcash::json::Zec(b)}))
        .collect();
    if args.blocks.json {
        return print_json(&json!({"height": height, "valuePools": balances}));
    }
    let mut t = Table::new(&["pool", "balance (ZEC)"]);
    for (p, b) in Pool::ALL.iter().zip(turnstile.balances) {
        t.row(vec![p.name().to_owned(), format!("{}.{:08}", b / 100_000_000, b % 100_000_000)]);
    }
    print_text(&format!("pool balances after height {height} (never negative on the way)\n{}", t.render()))
}

/// `chainsleuth eval --chain zcash --blocks-dir D --ground-truth F`: linking
/// precision and recall at the default options.
pub fn eval(blocks_dir: &std::path::Path, network: Network, truth: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let dir = BlocksDir::open(blocks_dir, network).context("cannot open blocks directory")?;
    let mut crossings = Crossings::default();
    zcash::walk::for_each_block(&dir, |h, block| {
        crossings.add_block(h, block);
        Ok(())
    })?;
    let opts = LinkOptions::default();
    let links = crossings.links(&opts);
    let truth_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(truth).with_context(|| format!("{}", truth.display()))?)
            .with_context(|| format!("{}: not JSON", truth.display()))?;
    let e = evaluate(&links, &truth_json).map_err(|e| anyhow::anyhow!("{}: {e}", truth.display()))?;
    if json {
        return print_json(&json!({"linking": e}));
    }
    print_text(&format!(
        "round-trip linking (window {} blocks, confidence >= {}): precision {:.4} ({} of {} links), recall {:.4} ({} of {} round trips linkable by value; {} partial deshieldings)\n",
        opts.window, opts.min_confidence, e.precision, e.correct, e.links, e.recall, e.found, e.linkable, e.partial
    ))
}

fn links(args: &ZcashLinksArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.min_confidence) {
        bail!("--min-confidence {}: between 0 and 1", args.min_confidence);
    }
    let dir = open(&args.blocks)?;
    let network = dir.network();
    let script = match &args.address {
        Some(a) => Some(chain::address::to_script(a, network).with_context(|| format!("--address {a}"))?),
        None => None,
    };
    let mut crossings = Crossings::default();
    zcash::walk::for_each_block(&dir, |h, block| {
        crossings.add_block(h, block);
        Ok(())
    })?;
    let opts = LinkOptions { window: args.window, min_confidence: args.min_confidence, ..LinkOptions::default() };
    let all = crossings.links(&opts);
    let paying: std::collections::HashSet<String> = match &script {
        Some(s) => crossings
            .deshieldings
            .iter()
            .filter(|d| d.scripts.iter().any(|x| x == s))
            .map(|d| zcash::header::display_hex(&d.txid))
            .collect(),
        None => Default::default(),
    };
    let chosen: Vec<&zcash::links::Link> = all
        .iter()
        .filter(|l| args.tx.as_ref().is_none_or(|t| &l.shield_txid == t || &l.deshield_txid == t))
        .filter(|l| script.is_none() || paying.contains(&l.deshield_txid))
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
    if args.blocks.json {
        return print_json(&json!({"links": chosen, "shieldings": crossings.shieldings.len(),
            "deshieldings": crossings.deshieldings.len(), "eval": eval}));
    }
    let mut s = format!(
        "{} shieldings, {} deshieldings; {} links at confidence >= {}{}\n",
        crossings.shieldings.len(),
        crossings.deshieldings.len(),
        all.len(),
        args.min_confidence,
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
    print_text(&s)
}

/// `chainsleuth demo --chain zcash`: simulate a shielding economy, read it back,
/// check the pools, link round trips, and follow the theft through the Sapling
/// pool to the exchange where it is cashed out.
pub fn demo(out: &std::path::Path, seed: u64) -> anyhow::Result<()> {
    let out = out.join("zcash");
    let _ = std::fs::remove_dir_all(&out);
    let opts = sim::zcash::ZcashSimOptions { seed, ..sim::zcash::ZcashSimOptions::default() };
    let summary = sim::zcash::simulate_zcash(&opts, &out)?;
    let mut s = format!(
        "Zcash: a simulated shielding economy with a thief (zcashd blk files)\n\n1. chainsleuth simulate --chain zcash --out {}: {} blocks, {} txs, {:.1} MB\n",
        out.display(),
        summary.blocks,
        summary.transactions,
        summary.bytes as f64 / 1e6
    );
    let dir = BlocksDir::open(&out.join("blocks"), Network::ZcashRegtest)?;
    let scan = zcash::scan::scan(&dir, chain::scan::ScanOptions { verify: true }, &|_| {})?;
    let _ = writeln!(
        s,
        "2. chainsleuth scan --network zcash-regtest --verify: {} blocks on the main chain, {} txs, {:.0} MB/s",
        scan.main_chain_blocks,
        scan.transactions,
        scan.mb_per_sec()
    );
    let (mut turnstile, mut crossings, mut graph) =
        (Turnstile::default(), Crossings::default(), zcash::trail::Graph::default());
    zcash::walk::for_each_block(&dir, |h, block| {
        crossings.add_block(h, block);
        graph.add_block(block);
        turnstile.apply(h, block_deltas(&block.txs)).map_err(|e| chain::ReadError::Undecodable {
            path: dir.path().to_owned(),
            offset: 0,
            message: e.to_string(),
        })
    })?;
    let b = turnstile.balances[1];
    let _ = writeln!(
        s,
        "3. chainsleuth zcash pools: Sapling holds {}.{:08} ZEC at the tip, never negative on the way",
        b / 100_000_000,
        b % 100_000_000
    );
    let links = crossings.links(&LinkOptions::default());
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("ground_truth.json"))?)?;
    let e = evaluate(&links, &truth).map_err(|e| anyhow::anyhow!(e))?;
    let _ = writeln!(
        s,
        "4. chainsleuth zcash links --ground-truth: {} links; precision {:.3}, recall {:.3} of the {} round trips linkable by value",
        e.links, e.precision, e.recall, e.linkable
    );
    let theft = &truth["theft"];
    let Some(start) = theft["txid"].as_str().and_then(|t| t.parse::<chain::Txid>().ok()).map(|t| t.0) else {
        bail!("the simulated chain has no theft");
    };
    let exchange = theft["exchange_address"].as_str().unwrap_or_default();
    let watched: std::collections::HashSet<Vec<u8>> =
        chain::address::to_script(exchange, Network::ZcashRegtest).into_iter().collect();
    let trail = graph.follow(start, &links, &watched, 8);
    let _ = writeln!(
        s,
        "5. the theft {}… followed through the Sapling pool (max 8 hops), watching the exchange's deposit address {exchange}:",
        &theft["txid"].as_str().unwrap_or_default()[..12]
    );
    let mut t = Table::new(&["ends at", "how", "confidence"]);
    for end in trail.ends.iter().take(12) {
        t.row(vec![
            end.txid.clone(),
            end.reason.replace("labelled", "cash-out at the exchange"),
            format!("{:.3}", end.probability),
        ]);
    }
    s.push_str(&t.render());
    for h in trail.hops.iter().filter(|h| h.kind == "pool") {
        let _ = writeln!(
            s,
            "   through the pool: shielding {}… -> deshielding {}… (confidence {:.3})",
            &h.from_txid[..12],
            &h.to_txid[..12],
            h.probability
        );
    }
    let cashed = trail.ends.iter().filter(|e| e.reason == "labelled").count();
    let best = trail.ends.iter().filter(|e| e.reason == "labelled").map(|e| e.probability).fold(0.0, f64::max);
    let _ = writeln!(s, "   {cashed} cash-outs at the exchange reached; the surest at confidence {best:.3}");
    std::fs::write(out.join("trail.json"), serde_json::to_vec_pretty(&trail)?)?;
    print_text(&s)
}
