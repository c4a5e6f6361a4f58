//! Synthetic Bitcoin economies written as Bitcoin Core block files, with ground truth.
//!
//! `simulate` runs users, merchants, exchanges, mining pools, CoinJoin coordinators,
//! a swap service and a thief over a regtest chain, writes `blocks/blk*.dat` exactly
//! as Bitcoin Core lays them out (records, 128 MiB files, xor.dat, zero padding) and
//! `ground_truth.json` in the schema of the regtest fixture written by Bitcoin Core's
//! own wallets, so one evaluator reads both. The same seed and options give
//! byte-identical files. See docs/simulator.md.
//!
//! [`monero::simulate_monero`] does the same for Monero: an early (v1, cleartext
//! denominations, small rings) or modern (RingCT Bulletproofs+, rings of 16 by
//! wallet2's gamma picker) chain as block and transaction blobs laid out like
//! fixtures/monero-regtest, with the truth of every ring.

mod coinjoin;
mod economy;
pub mod keys;
pub mod monero;
pub mod profile;
mod sink;
mod theft;
mod truth;
pub mod wallet;
mod world;
pub mod zcash;

pub use profile::Profile;

use coinjoin::CoinJoins;
use economy::Economy;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;
use theft::Theft;
pub use truth::TruthLevel;
use truth::TruthWriter;
use world::World;

/// How long a simulation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// The profile's default number of blocks.
    Default,
    /// Until the main chain holds at least this many transactions.
    Transactions(u64),
    /// Until the tip is at this height.
    Blocks(u32),
}

/// What to simulate and where to write it.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Output directory: `blocks/` and the truth file go in it.
    pub out_dir: PathBuf,
    /// Seed of every random choice.
    pub seed: u64,
    /// Size of the economy.
    pub profile: Profile,
    /// How long to run.
    pub length: Length,
    /// Obfuscate the blk files with a key in xor.dat, as Bitcoin Core 28+ does.
    pub xor: bool,
    /// Output scripts the thief uses for some of its addresses (for instance the
    /// scripts of sanctioned addresses).
    pub thief_scripts: Vec<Vec<u8>>,
    /// Whirlpool pool denominations beyond the four Samourai's coordinator ran (a
    /// new coordinator's pools, which classifiers cannot know); none by default.
    pub whirlpool_pools: Vec<u64>,
    /// How much ground truth to write.
    pub truth: TruthLevel,
}

/// Progress after each block.
#[derive(Debug, Clone, Copy)]
pub struct SimProgress {
    /// Height of the last block written.
    pub height: u32,
    /// Main-chain transactions so far.
    pub transactions: u64,
    /// Blocks (or transactions, with [`Length::Transactions`]) to go, as a fraction done.
    pub fraction: f64,
}

/// What a simulation wrote.
#[derive(Debug, Clone)]
pub struct SimSummary {
    /// The blocks directory.
    pub blocks_dir: PathBuf,
    /// The truth file (none with [`TruthLevel::None`]).
    pub ground_truth: Option<PathBuf>,
    /// Height of the tip.
    pub tip_height: u32,
    /// Hash of the tip.
    pub tip_hash: chain::BlockHash,
    /// Main-chain transactions.
    pub transactions: u64,
    /// Blocks written, stale ones included.
    pub blocks_written: u64,
    /// Stale blocks.
    pub stale_blocks: usize,
    /// Bytes of block records.
    pub bytes: u64,
    /// Wall time in seconds.
    pub elapsed_secs: f64,
}

/// Why a simulation cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// An I/O error.
    #[error("{}: {cause}", path.display())]
    Io {
        /// Where.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The ground truth cannot be serialized.
    #[error("writing the ground truth: {0}")]
    Truth(#[from] serde_json::Error),
    /// Options that cannot make a chain.
    #[error("{0}")]
    Options(&'static str),
    /// The simulated chain cannot go on (a ring that cannot be filled, no spends).
    #[error("the simulated chain cannot go on: {0}")]
    Stuck(String),
    /// A simulated Monero structure cannot be encoded.
    #[error("encoding a {what}: {cause}")]
    Encode {
        /// A coinbase, transaction or block.
        what: &'static str,
        /// The cause.
        cause: ::monero::encode::EncodeError,
    },
    /// What was encoded does not decode back to the same thing.
    #[error("a {what} written does not decode back: {cause}")]
    Roundtrip {
        /// A coinbase, transaction or block.
        what: &'static str,
        /// What differs, or the decoder's error.
        cause: String,
    },
}

/// Blocks of mining only at the start, so coinbases mature (100 confirmations).
const WARMUP_BLOCKS: u32 = 101;

/// Runs a simulation and writes its blocks directory and ground truth.
///
/// # Errors
/// On I/O errors writing the output.
pub fn simulate(config: &SimConfig, progress: &dyn Fn(SimProgress)) -> Result<SimSummary, SimError> {
    let started = Instant::now();
    let blocks_dir = config.out_dir.join("blocks");
    let truth_path = config.out_dir.join(config.truth.file_name().unwrap_or("ground truth"));
    clear_blocks_dir(&blocks_dir)?;
    // A previous run's truth of another level would describe other blocks.
    for level in [TruthLevel::Full, TruthLevel::Compact] {
        let stale = config.out_dir.join(level.file_name().unwrap_or_default());
        if level != config.truth && stale.exists() {
            std::fs::remove_file(&stale).map_err(io_error(&stale))?;
        }
    }
    let mut sim = Simulation::new(config, &blocks_dir, &truth_path)?;
    sim.run(config, progress).map_err(io_error(&blocks_dir))?;
    let mut sections = sim.scenario_sections();
    let finished = sim.world.finish_files().map_err(io_error(&blocks_dir))?;
    insert_chain_sections(&mut sections, &finished, config, &blocks_dir);
    let world::Finished { truth, wallets, main_chain, stale_blocks, counts, keys, .. } = finished;
    truth.finish(sections, &wallets, &keys).map_err(io_error(&truth_path))?;
    let tip = main_chain.last().map(|b| (b.height, b.hash)).unwrap_or_default();

    Ok(SimSummary {
        blocks_dir,
        ground_truth: config.truth.file_name().map(|_| truth_path),
        tip_height: tip.0,
        tip_hash: tip.1,
        transactions: counts.main_chain_txs,
        blocks_written: counts.blocks_written + 1,
        stale_blocks: stale_blocks.len(),
        bytes: counts.bytes_written,
        elapsed_secs: started.elapsed().as_secs_f64(),
    })
}

/// An I/O error at `path`, as a [`SimError`].
fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SimError {
    let path = path.to_owned();
    move |cause| SimError::Io { path, cause }
}

/// Creates the blocks directory and removes every file a previous run left in it
/// (a rerun replaces them all).
fn clear_blocks_dir(blocks_dir: &Path) -> Result<(), SimError> {
    std::fs::create_dir_all(blocks_dir).map_err(io_error(blocks_dir))?;
    for entry in std::fs::read_dir(blocks_dir).map_err(io_error(blocks_dir))? {
        let path = entry.map_err(io_error(blocks_dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if (name.starts_with("blk") && name.ends_with(".dat")) || name == "xor.dat" {
            std::fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

/// The world and everyone acting in it.
struct Simulation {
    world: World,
    economy: Economy,
    coinjoins: CoinJoins,
    theft: Theft,
    /// Blocks the run aims at (the theft comes at 60% of them).
    planned_blocks: u32,
}

impl Simulation {
    /// The world with its genesis block, the economy, the coordinators and the thief.
    fn new(config: &SimConfig, blocks_dir: &Path, truth_path: &Path) -> Result<Self, SimError> {
        let truth = TruthWriter::create(&config.out_dir, config.truth).map_err(io_error(truth_path))?;
        let mut world = World::new(config.seed, blocks_dir, config.xor, truth).map_err(io_error(blocks_dir))?;
        world.write_genesis().map_err(io_error(blocks_dir))?;

        let profile = config.profile;
        let economy = Economy::populate(&mut world, profile);
        let coinjoins = CoinJoins::new(&mut world, &economy, &config.whirlpool_pools);
        let planned_blocks = match config.length {
            Length::Default => profile.default_blocks,
            Length::Blocks(n) => n,
            Length::Transactions(n) => WARMUP_BLOCKS + (n / profile.txs_per_block as u64) as u32 * 11 / 10,
        }
        .max(WARMUP_BLOCKS + 40);
        let theft_height = (planned_blocks * 6 / 10).max(WARMUP_BLOCKS + 20);
        let theft = Theft::new(&mut world, theft_height, config.thief_scripts.clone());
        world.wallets_complete().map_err(io_error(truth_path))?;
        Ok(Self { world, economy, coinjoins, theft, planned_blocks })
    }

    /// Makes blocks until the configured length is reached, reporting progress
    /// after each.
    fn run(&mut self, config: &SimConfig, progress: &dyn Fn(SimProgress)) -> std::io::Result<()> {
        let Self { world, economy, coinjoins, theft, planned_blocks } = self;
        let (profile, planned_blocks) = (config.profile, *planned_blocks);
        let mut last_had_twin = false;
        loop {
            let height = world.height;
            let done = match config.length {
                Length::Transactions(n) => world.counts.main_chain_txs >= n,
                Length::Default | Length::Blocks(_) => height > planned_blocks,
            };
            // Never end on a tie with a stale twin: first seen would win it.
            if done && !last_had_twin {
                return Ok(());
            }
            if height > WARMUP_BLOCKS {
                economy.step(world);
                coinjoins.step(world);
                theft.step(world, economy, coinjoins);
            }
            let (miner, index) = economy.pick_miner(world);
            let twin = height > WARMUP_BLOCKS && height % profile.stale_every == profile.stale_every / 2 && !done;
            let stale = if twin { economy.rival_miner(world, miner) } else { None };
            last_had_twin = stale.is_some();
            world.finish_block(miner, index, stale)?;
            let fraction = match config.length {
                Length::Transactions(n) => world.counts.main_chain_txs as f64 / n as f64,
                _ => f64::from(world.height) / f64::from(planned_blocks + 1),
            };
            progress(SimProgress {
                height: world.height - 1,
                transactions: world.counts.main_chain_txs,
                fraction: fraction.min(1.0),
            });
        }
    }

    /// The truth's sections of the scenario: the theft's and the exchanges'.
    fn scenario_sections(&self) -> serde_json::Map<String, Value> {
        let dormant = self.theft.unspent(&self.world, &self.coinjoins);
        let mut sections = serde_json::Map::new();
        for (key, value) in self.theft.truth_sections(&self.world, &dormant) {
            sections.insert(key.to_owned(), value);
        }
        sections.insert("exchanges".to_owned(), exchanges_json(&self.world, &self.economy));
        sections
    }
}

/// Adds the truth's sections of the chain written: generator, network, chain,
/// counts and the scenario transactions left out of the main chain.
fn insert_chain_sections(
    sections: &mut serde_json::Map<String, Value>,
    finished: &world::Finished,
    config: &SimConfig,
    blocks_dir: &Path,
) {
    let world::Finished { wallets, main_chain, stale_blocks, stale_coinbases, counts, .. } = finished;
    let tip = main_chain.last().map(|b| (b.height, b.hash)).unwrap_or_default();
    let addresses: u64 = wallets.iter().map(|w| u64::from(w.address_count())).sum();
    let seen: u64 = wallets.iter().map(|w| (0..w.address_count()).filter(|&i| w.is_seen(i)).count() as u64).sum();
    let not_in_main: serde_json::Map<String, Value> = stale_coinbases
        .iter()
        .map(|(txid, miner, block)| {
            (
                txid.to_string(),
                json!({"kind": "coinbase", "actors": [wallets[*miner as usize].name], "meta": {"block_hash": block}}),
            )
        })
        .collect();
    let xor_key = std::fs::read(blocks_dir.join("xor.dat")).unwrap_or_default();
    sections.insert(
        "generator".to_owned(),
        json!({"tool": "chainsleuth simulate", "version": env!("CARGO_PKG_VERSION"), "profile": config.profile.name, "seed": config.seed,
               "xor_key_hex": hex(&xor_key), "xor_nonzero": xor_key.iter().any(|&b| b != 0)}),
    );
    sections.insert("network".to_owned(), json!("regtest"));
    sections.insert("magic_hex".to_owned(), json!("fabfb5da"));
    sections.insert(
        "chain".to_owned(),
        json!({"tip_hash": tip.1, "tip_height": tip.0, "genesis_hash": chain::Network::Regtest.genesis_hash(),
               "main_chain": main_chain, "stale_blocks": stale_blocks}),
    );
    sections.insert(
        "counts".to_owned(),
        json!({"main_chain_blocks": main_chain.len(), "stale_blocks": stale_blocks.len(),
               "blocks_in_files": counts.blocks_written + 1, "main_chain_txs": counts.main_chain_txs,
               "txs_by_kind": counts.by_kind, "wallets": wallets.len(), "addresses": addresses,
               "addresses_seen_on_chain": seen, "unknown_output_addresses": 0}),
    );
    sections.insert("scenario_txs_not_in_main_chain".to_owned(), Value::Object(not_in_main));
}

fn exchanges_json(world: &World, economy: &Economy) -> Value {
    let mut out = serde_json::Map::new();
    for ex in &economy.exchanges {
        let name = &world.wallets[ex.wallet as usize].name;
        let mut deposits: std::collections::BTreeMap<&str, Vec<Option<String>>> = std::collections::BTreeMap::new();
        for &(customer, index) in &ex.deposit_list {
            deposits
                .entry(world.wallets[customer as usize].name.as_str())
                .or_default()
                .push(economy::address_string(world, ex.wallet, index));
        }
        let addresses = |list: &[u32]| -> Vec<Option<String>> {
            list.iter().map(|&i| economy::address_string(world, ex.wallet, i)).collect()
        };
        let customers: Vec<&str> = deposits.keys().copied().collect();
        out.insert(
            name.clone(),
            json!({"deposit_addresses": deposits, "hot_addresses": addresses(&ex.hot_addresses),
                   "cold_addresses": addresses(&ex.cold_addresses), "customers": customers}),
        );
    }
    Value::Object(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
