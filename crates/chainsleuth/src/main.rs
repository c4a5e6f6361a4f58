//! The chainsleuth command line: parse arguments, call the libraries, print, exit.

mod cli;
mod cmd;
mod output;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc keeps freed memory for reuse: with the system allocator, every
/// block-sized buffer was a fresh mmap, and page faults took a third of an ingest.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => log::LevelFilter::Error,
        (false, 0) => log::LevelFilter::Warn,
        (false, 1) => log::LevelFilter::Info,
        (false, _) => log::LevelFilter::Debug,
    };
    env_logger::Builder::new().filter_level(level).format_target(false).format_timestamp(None).init();
    index::DamagedRead::quiet_panic_hook();
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cmd::run(cli.command))).unwrap_or_else(|payload| {
            match index::DamagedRead::of_panic(payload.as_ref()) {
                Some(damage) => Err(anyhow::anyhow!("{damage}")),
                None => std::panic::resume_unwind(payload),
            }
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("chainsleuth: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
