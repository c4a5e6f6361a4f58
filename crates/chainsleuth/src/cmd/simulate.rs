//! `chainsleuth simulate`: a synthetic economy as Bitcoin Core block files.

use crate::cli::SimulateArgs;
use crate::output::{print_json, print_text};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use sim::{Length, SimConfig, SimProgress, simulate};
use std::io::IsTerminal;
use std::path::Path;

/// Runs the simulation and prints what it wrote.
pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    if args.chain == "zcash" {
        if args.truth != sim::TruthLevel::Full {
            bail!("--truth compact|none is for --chain bitcoin; zcash's truth is small");
        }
        let opts = sim::zcash::ZcashSimOptions {
            seed: args.seed,
            blocks: args.blocks.unwrap_or(sim::zcash::ZcashSimOptions::default().blocks),
            ..sim::zcash::ZcashSimOptions::default()
        };
        let summary = sim::zcash::simulate_zcash(&opts, &args.out)?;
        if args.json {
            return print_json(&summary);
        }
        return print_text(&format!(
            "{}: {} Zcash regtest blocks, {} txs, {} round trips through the Sapling pool, {:.1} MB; Sapling pool at the tip {} zatoshis\n",
            args.out.display(),
            summary.blocks,
            summary.transactions,
            summary.round_trips,
            summary.bytes as f64 / 1e6,
            summary.sapling_pool
        ));
    }
    let thief_scripts = match &args.thief_addresses {
        Some(path) => read_addresses(path)?,
        None => Vec::new(),
    };
    let length = match (args.txs, args.blocks) {
        (Some(n), _) => Length::Transactions(n),
        (None, Some(n)) => Length::Blocks(n),
        (None, None) => Length::Default,
    };
    let config = SimConfig {
        out_dir: args.out.clone(),
        seed: args.seed,
        profile: args.profile,
        length,
        xor: args.xor,
        thief_scripts,
        whirlpool_pools: args.whirlpool_pools.clone(),
        truth: args.truth,
    };
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(1000) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} simulating [{bar:40}] {percent}% {msg} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let summary = simulate(&config, &|p: SimProgress| {
        bar.set_position((p.fraction * 1000.0) as u64);
        bar.set_message(format!("height {} {} txs", p.height, p.transactions));
    })?;
    bar.finish_and_clear();
    let tx_rate = summary.transactions as f64 / summary.elapsed_secs.max(1e-9);
    if args.json {
        return print_json(&json!({
            "blocks_dir": summary.blocks_dir, "ground_truth": summary.ground_truth,
            "tip": {"height": summary.tip_height, "hash": summary.tip_hash},
            "transactions": summary.transactions, "blocks_written": summary.blocks_written,
            "stale_blocks": summary.stale_blocks, "bytes": summary.bytes,
            "elapsed_secs": summary.elapsed_secs, "tx_per_sec": tx_rate,
        }));
    }
    print_text(&format!(
        "blocks dir     {}\nground truth   {}\ntip            height {} {}\ntransactions   {}\nblocks         {} written ({} stale)\nbytes          {:.1} MB\nelapsed        {:.2} s ({:.0} tx/s)\n",
        summary.blocks_dir.display(),
        summary.ground_truth.as_deref().map_or_else(|| "none (--truth none)".into(), |p| p.display().to_string()),
        summary.tip_height,
        summary.tip_hash,
        summary.transactions,
        summary.blocks_written,
        summary.stale_blocks,
        summary.bytes as f64 / 1e6,
        summary.elapsed_secs,
        tx_rate
    ))
}

/// Reads addresses, one per line (blank lines and `#` comments skipped), in any
/// network's encoding, as the output scripts they pay to.
fn read_addresses(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut scripts = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match chain::address::to_script_any_network(line) {
            Some(script) => scripts.push(script),
            None => bail!("{}:{}: not a Bitcoin address: {line:?}", path.display(), n + 1),
        }
    }
    Ok(scripts)
}
