//! `chainsleuth scan`: read every blk file and summarise the most-work chain.

use crate::cli::ScanArgs;
use crate::output::{Table, btc, print_json, print_text};
use anyhow::Context;
use chain::BlocksDir;
use chain::scan::{ScanOptions, ScanProgress, ScanReport, scan};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::fmt::Write as _;
use std::io::IsTerminal;

/// Runs the scan and prints the report.
pub fn run(args: &ScanArgs) -> anyhow::Result<()> {
    let network = args.network.resolve()?;
    let dir = BlocksDir::open(&args.blocks_dir, network).context("cannot open blocks directory")?;
    let bar = progress_bar(dir.total_len());
    let progress = |p: ScanProgress| {
        bar.set_position(p.bytes_done);
        bar.set_message(format!("{} blocks", p.blocks));
    };
    let options = ScanOptions { verify: args.verify };
    let report =
        if network.is_zcash() { zcash::scan::scan(&dir, options, &progress)? } else { scan(&dir, options, &progress)? };
    bar.finish_and_clear();
    if args.json { print_json(&report_json(&dir, &report)) } else { print_text(&report_text(&dir, &report)) }
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} scanning [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {msg} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

fn report_json(dir: &BlocksDir, r: &ScanReport) -> serde_json::Value {
    let by_class: serde_json::Map<String, serde_json::Value> =
        r.by_class.iter().map(|(class, t)| (class.name().to_owned(), json!(t))).collect();
    json!({
        "network": r.network,
        "blocks_dir": dir.path(),
        "files": r.files,
        "bytes": r.bytes,
        "blocks": r.blocks_read,
        "duplicate_blocks": r.duplicate_blocks,
        "main_chain_blocks": r.main_chain_blocks,
        "chain_start_height": r.chain_start_height,
        "tip": r.tip,
        "stale_blocks": r.stale_blocks.iter().map(|b| b.hash).collect::<Vec<_>>(),
        "stale": r.stale_blocks,
        "orphan_blocks": r.orphan_blocks,
        "transactions": r.transactions,
        "inputs": r.inputs,
        "outputs": r.outputs,
        "transactions_decoded": r.transactions_decoded,
        "outputs_by_class": by_class,
        "warnings": r.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "elapsed_secs": r.elapsed_secs,
        "mb_per_sec": r.mb_per_sec(),
        "tx_per_sec": r.tx_per_sec(),
    })
}

fn report_text(dir: &BlocksDir, r: &ScanReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "blocks dir     {} ({})", dir.path().display(), r.network);
    let _ = writeln!(s, "files          {} ({:.1} MB of block records)", r.files, r.bytes as f64 / 1e6);
    let _ = writeln!(
        s,
        "blocks read    {} ({} main chain, {} stale, {} orphan, {} duplicate)",
        r.blocks_read,
        r.main_chain_blocks,
        r.stale_blocks.len(),
        r.orphan_blocks.len(),
        r.duplicate_blocks
    );
    match r.tip {
        Some(tip) => {
            let _ = writeln!(s, "best tip       height {} {}", tip.height, tip.hash);
        }
        None => {
            let _ = writeln!(s, "best tip       none");
        }
    }
    if r.chain_start_height > 0 {
        let _ =
            writeln!(s, "chain start    height {} (earlier blocks are not in this directory)", r.chain_start_height);
    }
    let _ = writeln!(s, "transactions   {}", r.transactions);
    let _ = writeln!(s, "inputs         {}", r.inputs);
    let _ = writeln!(s, "outputs        {}", r.outputs);
    let _ =
        writeln!(s, "elapsed        {:.3} s ({:.0} MB/s, {:.0} tx/s)", r.elapsed_secs, r.mb_per_sec(), r.tx_per_sec());
    let mut table = Table::new(&["script class", "outputs", "value (BTC)"]);
    for (class, total) in r.by_class.iter() {
        table.row(vec![class.name().to_owned(), total.outputs.to_string(), btc(total.value)]);
    }
    let _ = write!(s, "\n{}", table.render());
    for (label, blocks) in [("stale blocks", &r.stale_blocks), ("orphan blocks", &r.orphan_blocks)] {
        if !blocks.is_empty() {
            let _ = writeln!(s, "\n{label}:");
            for b in blocks {
                let _ = writeln!(s, "  height {} {} ({} transactions)", b.height, b.hash, b.transactions);
            }
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(s, "\nwarnings:");
        for w in &r.warnings {
            let _ = writeln!(s, "  {w}");
        }
    }
    s
}
