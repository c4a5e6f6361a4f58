//! One module per subcommand; each turns parsed flags into library calls and output.

mod decode;
mod demo;
mod entities;
mod ingest;
mod query;
mod scan;
mod screen;
mod serve;
mod simulate;
mod trace;
mod train;
mod xmr;
mod zec;

use crate::cli::{Command, DecodeCommand};

/// Runs a subcommand.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Scan(args) => scan::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Ingest(args) => ingest::run(&args),
        Command::Tx(args) => query::tx(&args),
        Command::Address(args) => query::address(&args),
        Command::Block(args) => query::block(&args),
        Command::Status(args) => query::status(&args),
        Command::Cluster(args) => entities::cluster(&args),
        Command::Entity(args) => entities::entity(&args),
        Command::Eval(args) => entities::eval(&args),
        Command::TrainChange(args) => train::run(&args),
        Command::Trace(args) => trace::run(&args),
        Command::Tags(command) => screen::tags(command),
        Command::Screen(args) => screen::screen(&args),
        Command::Serve(args) => serve::serve(&args),
        Command::Apikey(command) => serve::apikey(command),
        Command::Xmr(command) => xmr::run(command),
        Command::Zcash(command) => zec::run(command),
        Command::Decode(DecodeCommand::Tx { input, network }) => decode::tx(&input, network.resolve()?),
        Command::Decode(DecodeCommand::Block { input, network }) => decode::block(&input, network.resolve()?),
    }
}
