//! `chainsleuth ingest`: build or update the index.

use crate::cli::IngestArgs;
use crate::output::{print_json, print_text};
use anyhow::Context;
use chain::BlocksDir;
use index::{IngestOptions, IngestProgress, ingest};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::IsTerminal;

/// Runs the ingest and prints what it did.
pub fn run(args: &IngestArgs) -> anyhow::Result<()> {
    let network = args.index.network.resolve()?;
    let dir = args.index.dir();
    let blocks = BlocksDir::open(&args.blocks_dir, network).context("cannot open blocks directory")?;
    let options =
        IngestOptions { rebuild: args.rebuild, commit_bytes: args.commit_mb << 20, commit_blocks: args.commit_blocks };
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(1) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} indexing [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {msg} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let report = ingest(&blocks, &dir, &options, &|p: IngestProgress| {
        bar.set_length(p.bytes_total);
        bar.set_position(p.bytes_done);
        bar.set_message(format!("height {}/{}", p.height, p.target));
    })
    .with_context(|| format!("ingest into {} failed", dir.display()))?;
    bar.finish_and_clear();
    let tip = report.tip.map(|(h, hash)| json!({"height": h, "hash": hash}));
    let rolled_back = report.rolled_back.map(|(h, n)| json!({"fork_height": h, "blocks_removed": n}));
    let secs = report.elapsed_secs.max(1e-9);
    if args.json {
        return print_json(&json!({
            "data_dir": dir, "tip": tip, "rolled_back": rolled_back,
            "added": report.added, "counts": report.counts, "unresolved_inputs": report.unresolved_inputs,
            "bytes": report.bytes, "elapsed_secs": report.elapsed_secs,
            "tx_per_sec": report.added.txs as f64 / secs, "mb_per_sec": report.bytes as f64 / 1e6 / secs,
            "warnings": report.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }));
    }
    let mut s = format!("index          {}\n", dir.display());
    match report.tip {
        Some((h, hash)) => s += &format!("tip            height {h} {hash}\n"),
        None => s += "tip            none (no blocks)\n",
    }
    if let Some((h, n)) = report.rolled_back {
        s += &format!("reorg          rolled back {n} blocks to height {h}\n");
    }
    let a = report.added;
    s += &format!(
        "added          {} blocks, {} transactions, {} inputs, {} outputs, {} addresses\n",
        a.blocks, a.txs, a.inputs, a.outputs, a.addresses
    );
    let c = report.counts;
    s += &format!(
        "index holds    {} blocks, {} transactions, {} inputs, {} outputs, {} addresses\n",
        c.blocks, c.txs, c.inputs, c.outputs, c.addresses
    );
    if report.unresolved_inputs > 0 {
        s += &format!(
            "unresolved     {} inputs spend outputs before the first indexed block\n",
            report.unresolved_inputs
        );
    }
    s += &format!(
        "elapsed        {:.2} s ({:.0} tx/s, {:.0} MB/s of blocks)\n",
        report.elapsed_secs,
        a.txs as f64 / secs,
        report.bytes as f64 / 1e6 / secs
    );
    for w in &report.warnings {
        s += &format!("warning        {w}\n");
    }
    print_text(&s)
}
