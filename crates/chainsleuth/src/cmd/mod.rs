//! One module per subcommand; each turns parsed flags into library calls and output.

mod decode;
mod demo;
mod scan;
mod simulate;

use crate::cli::{Command, DecodeCommand};

/// Runs a subcommand.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Scan(args) => scan::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Decode(DecodeCommand::Tx { input, network }) => decode::tx(&input, network.network),
        Command::Decode(DecodeCommand::Block { input, network }) => decode::block(&input, network.network),
    }
}
