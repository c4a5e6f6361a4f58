//! Command-line flags, defined once with their help.

use chain::Network;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Open-source blockchain forensics over a Bitcoin Core blocks directory.
#[derive(Debug, Parser)]
#[command(name = "chainsleuth", version, about)]
pub struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read every blk file of a blocks directory and summarise the most-work chain.
    Scan(ScanArgs),
    /// Decode a raw transaction or block into JSON shaped like Bitcoin Core's.
    #[command(subcommand)]
    Decode(DecodeCommand),
}

/// Which network's magic and address prefixes to use.
#[derive(Debug, Args, Clone, Copy)]
pub struct NetworkArg {
    /// mainnet, testnet3, testnet4, signet or regtest.
    #[arg(long, default_value = "mainnet")]
    pub network: Network,
}

/// `chainsleuth scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Bitcoin Core's blocks directory (holding blk*.dat and xor.dat).
    #[arg(long)]
    pub blocks_dir: PathBuf,
    #[command(flatten)]
    pub network: NetworkArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Check every block's proof of work, merkle root and witness commitment.
    #[arg(long)]
    pub verify: bool,
}

/// `chainsleuth decode`.
#[derive(Debug, Subcommand)]
pub enum DecodeCommand {
    /// Decode a raw transaction given as hex (or `-` to read hex or raw bytes from stdin).
    Tx {
        /// The transaction in hex, or `-` for stdin.
        input: String,
        #[command(flatten)]
        network: NetworkArg,
    },
    /// Decode a block from a file of raw bytes or hex (or `-` for stdin).
    Block {
        /// A file holding the block, or `-` for stdin.
        input: PathBuf,
        #[command(flatten)]
        network: NetworkArg,
    },
}
