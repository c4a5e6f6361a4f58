//! Writes a simulated Monero chain until the command line has a flag for it:
//!
//! ```sh
//! cargo run --release -p chainsleuth-sim --example simulate_monero -- \
//!     --out DIR [--era early|modern] [--seed N] [--inputs N | --blocks N] [--txs-per-block N] [--users N] [--no-truth]
//! ```

use anyhow::{Context, Result, bail};
use sim::monero::{MoneroEra, MoneroLength, MoneroSimOptions, simulate_monero};
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut out = None;
    let mut era = MoneroEra::Modern;
    let mut rest = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "--era" => {
                era = match args.next().as_deref() {
                    Some("early") => MoneroEra::Early,
                    Some("modern") => MoneroEra::Modern,
                    other => bail!("--era early|modern, not {other:?}"),
                }
            }
            "--no-truth" => rest.push((a, String::new())),
            _ => rest.push((a, args.next().context("a flag without its value")?)),
        }
    }
    let mut opts = MoneroSimOptions::new(era);
    for (flag, value) in rest {
        let n = || value.parse::<u64>().with_context(|| format!("{flag} {value}"));
        match flag.as_str() {
            "--seed" => opts.seed = n()?,
            "--inputs" => opts.length = MoneroLength::Inputs(n()?),
            "--blocks" => opts.length = MoneroLength::Blocks(n()?),
            "--txs-per-block" => opts.txs_per_block = u32::try_from(n()?)?,
            "--users" => opts.users = u32::try_from(n()?)?,
            "--no-truth" => opts.write_truth = false,
            other => bail!("unknown flag {other}"),
        }
    }
    let out = out.context("--out DIR is required")?;
    let report = simulate_monero(&opts, &out)?;
    println!(
        "{} blocks, {} txs, {} inputs, {} outputs, {} bytes in {:.1} s; tip {}",
        report.blocks,
        report.transactions,
        report.inputs,
        report.outputs,
        report.bytes_written,
        report.elapsed_secs,
        report.tip_hash
    );
    Ok(())
}
