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
    /// Write a synthetic economy as Bitcoin Core block files, with ground truth.
    Simulate(SimulateArgs),
    /// The whole story on generated data: a theft by a sanctioned thief, and what
    /// chainsleuth reads of it.
    Demo(DemoArgs),
    /// Build or update the index of a blocks directory (appends new blocks, follows reorgs).
    Ingest(IngestArgs),
    /// A transaction: block, fee, sizes, inputs with what they spend, outputs with their spenders.
    Tx(TxArgs),
    /// An address: totals, balance, unspent outputs and history.
    Address(AddressArgs),
    /// A block: header fields, fees and transactions.
    Block(BlockArgs),
    /// The index: network, tip, counts and disk use per column.
    Status(StatusArgs),
    /// Group addresses into entities (common-input ownership, change heuristics)
    /// and classify CoinJoins; incremental after new blocks.
    Cluster(ClusterArgs),
    /// An entity: size, addresses, balance, first and last seen, CoinJoins touched.
    Entity(EntityArgs),
    /// Measure clustering, change heuristics and CoinJoin detection against ground truth.
    Eval(EvalArgs),
    /// Rebuild the change model from simulated chains (reproducibly from a seed).
    TrainChange(TrainChangeArgs),
    /// Follow value forward (where it went) or backward (where it came from) under a
    /// taint policy, through CoinJoins, to where it sits now or the services it reached.
    Trace(TraceArgs),
    /// Labels: import OFAC lists, OFAC SDN XML, GraphSense TagPacks or CSV; list; remove.
    #[command(subcommand)]
    Tags(TagsCommand),
    /// Screen an address, transaction or output: its labels, its exposure to labelled
    /// entities, and an explained risk score.
    Screen(ScreenArgs),
    /// Serve the HTTP API (addresses, transactions, entities, screening, traces).
    Serve(ServeArgs),
    /// API keys for the HTTP API: create, list, revoke.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// Monero: ingest from monerod or blobs, ring analysis, evaluation, traces.
    #[command(subcommand)]
    Xmr(XmrCommand),
    /// Zcash: pool balances (the turnstile) and round-trip links through the pools.
    #[command(subcommand)]
    Zcash(ZcashCommand),
}

/// `chainsleuth serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Risk rules (default: ./chainsleuth.toml if present, else the built-in rules).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Requests per second per API key, on average (a positive number).
    #[arg(long, default_value_t = 5_000.0, value_parser = positive_finite)]
    pub rate_limit: f64,
    /// Requests per API key at once (the bucket size, a positive number).
    #[arg(long, default_value_t = 10_000.0, value_parser = positive_finite)]
    pub burst: f64,
    /// Longest a request may take, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Longest a client may take to send its headers, or to start its next
    /// request on a kept-alive connection, in seconds.
    #[arg(long, default_value_t = 5)]
    pub header_timeout: u64,
    /// Most connections open at once (the next get a JSON 503).
    #[arg(long, default_value_t = 1_024)]
    pub max_connections: usize,
    /// Most steps one request may take (transactions a trace or screening
    /// splits, history rows a view reads); beyond it, a JSON 413.
    #[arg(long, default_value_t = server::Limits::default().max_steps)]
    pub max_steps: u64,
    /// Most records (nodes, edges, endpoints) one trace may hold; beyond it, a
    /// JSON 413.
    #[arg(long, default_value_t = server::Limits::default().max_records)]
    pub max_records: u64,
    /// Largest answer, in bytes of JSON; beyond it, a JSON 413.
    #[arg(long, default_value_t = server::Limits::default().max_response)]
    pub max_response: usize,
    /// Size in MiB at which the audit log (`<index>/audit.log`) is rotated to
    /// `audit.log.1` (nine rotated files are kept).
    #[arg(long, default_value_t = server::Limits::default().audit_max_bytes >> 20)]
    pub audit_max_mb: u64,
    /// Answer even when the audit log cannot be written (by default such
    /// answers are refused with a JSON 503, `audit_unavailable`).
    #[arg(long)]
    pub audit_fail_open: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// A number above zero and finite (not 0, negative, NaN or inf).
fn positive_finite(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("{text:?} is not a positive finite number")),
    }
}

/// `chainsleuth apikey`.
#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Make a key; it is printed once and stored only as a hash.
    Create {
        /// A name for people.
        #[arg(long, default_value = "default")]
        name: String,
        #[command(flatten)]
        index: IndexLocation,
        /// Print `{"key": ..., "id": ...}`.
        #[arg(long)]
        json: bool,
    },
    /// The keys (ids, names, dates; never the keys).
    List {
        #[command(flatten)]
        index: IndexLocation,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id.
    Revoke {
        /// Its id (as `list` shows).
        id: String,
        #[command(flatten)]
        index: IndexLocation,
    },
}

/// `chainsleuth tags`.
#[derive(Debug, Subcommand)]
pub enum TagsCommand {
    /// Import a label file, replacing any earlier import of the same source.
    Import {
        /// The file.
        file: PathBuf,
        /// ofac-list, ofac-sdn-xml, tagpack or csv (default: from the extension).
        #[arg(long)]
        format: Option<String>,
        /// The source name (default: the file's name without extension).
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        index: IndexLocation,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Label services by behaviour: entities that sweep many one-shot deposit
    /// addresses and pay batches (exchange), and entities paid by coinbases (mining
    /// pool). Saved as the source `behaviour`; needs `chainsleuth cluster`.
    Infer {
        #[command(flatten)]
        index: IndexLocation,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The imported sources.
    List {
        #[command(flatten)]
        index: IndexLocation,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source and its labels.
    Remove {
        /// The source name.
        source: String,
        #[command(flatten)]
        index: IndexLocation,
    },
}

/// `chainsleuth screen`.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// An address, a txid, or an outpoint (txid:vout).
    pub subject: String,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Transactions to trace through for indirect exposure (1: direct only).
    #[arg(long, default_value_t = 3)]
    pub hops: u32,
    /// received (where its value came from), sent (where it went) or both.
    #[arg(long, default_value = "both", value_parser = ["received", "sent", "both"])]
    pub direction: String,
    /// Risk rules (default: ./chainsleuth.toml if present, else the built-in rules).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Where to start: an outpoint (txid:vout), a txid (all its outputs) or an
    /// address (every output it received). Repeat for several.
    #[arg(long = "from", required = true, num_args = 1..)]
    pub from: Vec<String>,
    #[command(flatten)]
    pub index: IndexLocation,
    /// forward (where the value went) or backward (where it came from).
    #[arg(long, default_value = "forward", value_parser = ["forward", "backward"])]
    pub direction: String,
    /// Taint policy: poison, haircut, fifo or tiho (docs/tracing.md).
    #[arg(long, default_value = "haircut")]
    pub policy: String,
    /// Transactions to go through at most.
    #[arg(long, default_value_t = 10)]
    pub max_hops: u32,
    /// Shares of taint smaller than this many satoshis are not followed (default:
    /// 546, the dust threshold, for haircut; 1 for the other policies).
    #[arg(long)]
    pub min_value: Option<u64>,
    /// Transactions to split at most; taint still waiting then ends as a limit.
    #[arg(long, default_value_t = trace::DEFAULT_MAX_NODES)]
    pub max_nodes: u64,
    /// Stop where the trail reaches an address labelled as a service (an exchange).
    #[arg(long)]
    pub stop_at_services: bool,
    /// Labels: a CSV of `address,label,category` rows (default: the labels imported
    /// with `tags import`); addresses of categories exchange, service, gambling,
    /// mining and darknet_market are services, and with a clustering so are their
    /// entities.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Forward: ignore spends above this height. Backward: stop below it.
    #[arg(long)]
    pub until_height: Option<u32>,
    /// The same bound as a date (YYYY-MM-DD, an RFC 3339 time or Unix seconds):
    /// forward, spends in blocks stamped after it are ignored; backward, coins
    /// made in blocks stamped before it are not followed.
    #[arg(long, conflicts_with = "until_height")]
    pub until_date: Option<String>,
    /// table, json, csv (the endpoints), dot (Graphviz) or html (a self-contained report).
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "dot", "html"])]
    pub format: String,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Rows of the table (and nodes of the HTML drawing) to show.
    #[arg(long, default_value_t = 30)]
    pub rows: usize,
    /// Most endpoint, transaction and edge rows the report holds (the largest
    /// endpoints, the nearest transactions; `omitted` counts the rest, the totals
    /// count everything); 0 for all.
    #[arg(long, default_value_t = trace::DEFAULT_MAX_ROWS)]
    pub max_rows: usize,
    /// Zcash: stop where value enters a shielded pool instead of following the
    /// round-trip links out of it.
    #[arg(long)]
    pub no_pool_links: bool,
    /// Zcash: blocks a note may stay in a pool for a round-trip link.
    #[arg(long, default_value_t = 1152)]
    pub link_window: u32,
    /// Zcash: round-trip links below this confidence are not followed.
    #[arg(long, default_value_t = 0.5)]
    pub link_min_confidence: f64,
    /// Zcash: also link by address reuse (a deshielding paying an address a
    /// shielding spent from; it ties owners more than coins).
    #[arg(long)]
    pub link_by_address: bool,
}

/// `chainsleuth cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub index: IndexLocation,
    /// Links to use: multi-input, change:model (the calibrated change model), and
    /// the single rules change:one-time, change:address-type, change:round-value,
    /// change:optimal, change:fingerprint, change:reuse.
    #[arg(long, default_value_t = analysis::Heuristics::default().to_string())]
    pub heuristics: String,
    /// Collapse guard: refuse a change link joining two common-input clusters of at
    /// least this many addresses each.
    #[arg(long, default_value_t = analysis::cluster::DEFAULT_GUARD)]
    pub guard: u32,
    /// Least probability of a change link of the model that is applied (default:
    /// the model's own threshold, chosen on a simulated validation chain).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Let change links join entities that hold different labelled services (by
    /// default the services of the index's tag store are kept apart).
    #[arg(long)]
    pub no_service_constraints: bool,
    /// Write one row per address (`address,entity`) to this CSV file.
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth entity`.
#[derive(Debug, Args)]
pub struct EntityArgs {
    /// An address, or an entity id.
    pub entity: String,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Which of its addresses (and CoinJoins) to list.
    #[command(flatten)]
    pub page: Page,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A ground_truth.json (the regtest fixture's or a simulator's).
    #[arg(long)]
    pub ground_truth: PathBuf,
    /// Judge this change-model file instead of the shipped one.
    #[arg(long)]
    pub change_model: Option<PathBuf>,
    /// Zcash (`--chain zcash`): the blocks directory whose round-trip links are
    /// scored (precision and recall against the truth's round trips).
    #[arg(long)]
    pub blocks_dir: Option<PathBuf>,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth train-change`.
#[derive(Debug, Args)]
pub struct TrainChangeArgs {
    /// Where to write the model (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the simulated chains (each chain's seed is derived from it).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// trees (gradient-boosted, the shipped kind) or logistic.
    #[arg(long, default_value = "trees", value_parser = ["trees", "logistic"])]
    pub learner: String,
    /// Simulated chains to learn from (small profile; one more of the default
    /// profile is always added).
    #[arg(long, default_value_t = 6)]
    pub chains: u64,
    /// Change precision the default threshold must reach on the validation chain.
    #[arg(long, default_value_t = 0.998)]
    pub target_precision: f64,
    /// Directory for the simulated chains and their indexes (default: a temporary
    /// one, removed afterwards).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Where the index is.
#[derive(Debug, Args, Clone)]
pub struct IndexLocation {
    /// Index directory (default: ~/.local/share/chainsleuth/<network>).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub network: NetworkArg,
}

impl IndexLocation {
    /// The index directory.
    pub fn dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            // An unknown name fails where the network is resolved; the path is moot then.
            index::default_data_dir(self.network.resolve().unwrap_or(chain::Network::Mainnet))
        })
    }
}

/// `chainsleuth ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Bitcoin Core's blocks directory.
    #[arg(long)]
    pub blocks_dir: PathBuf,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Delete the index and build it again from the first block.
    #[arg(long)]
    pub rebuild: bool,
    /// Commit after this many MB of blocks (and at the end).
    #[arg(long, default_value_t = 512)]
    pub commit_mb: u64,
    /// Also commit after this many blocks (for tests of crash safety).
    #[arg(long, hide = true)]
    pub commit_blocks: Option<u64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth tx`.
#[derive(Debug, Args)]
pub struct TxArgs {
    /// The txid.
    pub txid: String,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth address`.
#[derive(Debug, Args)]
pub struct AddressArgs {
    /// The address (or the `<class>-<hex>` name of a script without one).
    pub address: String,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Which history entries to show (newest first).
    #[command(flatten)]
    pub page: Page,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth block`.
#[derive(Debug, Args)]
pub struct BlockArgs {
    /// A height or a block hash.
    pub block: String,
    #[command(flatten)]
    pub index: IndexLocation,
    /// Txids to show.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Txids to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub index: IndexLocation,
    /// Also compute a digest of the committed content (reads the whole index).
    #[arg(long)]
    pub digest: bool,
    /// Check the whole index for damage: every column chunk and history segment
    /// against the checksums of its generation, every transaction and address
    /// through its table. Exits non-zero when anything is damaged.
    #[arg(long)]
    pub verify: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the chain and the reports.
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Seed of the simulated chain.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// OFAC's SDN-derived list of Lazarus-linked profiles: the thief uses their
    /// Bitcoin addresses.
    #[arg(long, default_value = "fixtures/real/sanctions/ofac_sdn_advanced/lazarus_related.json")]
    pub sanctions: PathBuf,
    /// OFAC's list of sanctioned Bitcoin addresses, imported as labels.
    #[arg(long, default_value = "fixtures/real/sanctions/ofac_0xB10C/sanctioned_addresses_XBT.txt")]
    pub ofac_list: PathBuf,
    /// A GraphSense TagPack, imported as labels.
    #[arg(long, default_value = "fixtures/real/labels/graphsense_tagpacks/lazarus.yaml")]
    pub tagpack: PathBuf,
    /// Run the story on this blocks directory (a node's, or `simulate`'s) instead of
    /// simulating one. Without `--ground-truth`, the trace starts from every output
    /// paid to an address labelled sanctioned or theft.
    #[arg(long)]
    pub blocks_dir: Option<PathBuf>,
    /// The network of `--blocks-dir` (default: mainnet).
    #[arg(long, requires = "blocks_dir")]
    pub network: Option<Network>,
    /// Ground truth for `--blocks-dir` (the schema `simulate` writes): its theft is
    /// traced, its exchanges labelled, and clustering is measured against it.
    #[arg(long, requires = "blocks_dir")]
    pub ground_truth: Option<PathBuf>,
    /// bitcoin, monero (the bundled chain of real Monero wallets; `xmr demo`) or
    /// zcash (a simulated shielding economy; the theft followed through the pool).
    #[arg(long, default_value = "bitcoin")]
    pub chain: String,
}

/// `chainsleuth simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Output directory: blocks/ and the ground truth are written in it.
    #[arg(long)]
    pub out: PathBuf,
    /// bitcoin, or zcash (zcashd blk files of a shielding economy with a thief;
    /// takes --seed and --blocks).
    #[arg(long, default_value = "bitcoin", value_parser = ["bitcoin", "zcash"])]
    pub chain: String,
    /// Seed of every random choice: the same seed and options give identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run until the main chain holds this many transactions.
    #[arg(long, conflicts_with = "blocks")]
    pub txs: Option<u64>,
    /// Run until the tip is at this height.
    #[arg(long)]
    pub blocks: Option<u32>,
    /// small, default or large.
    #[arg(long, default_value = "default")]
    pub profile: sim::Profile,
    /// Obfuscate the blk files with a random key in xor.dat (Bitcoin Core 28+).
    #[arg(long)]
    pub xor: bool,
    /// A file of addresses (one per line, any network's encoding) the thief uses
    /// for some of its outputs, for instance sanctioned ones.
    #[arg(long)]
    pub thief_addresses: Option<PathBuf>,
    /// A Whirlpool pool denomination in satoshis beyond the four Samourai ran (a
    /// new coordinator's pool); repeat for several.
    #[arg(long = "whirlpool-pool")]
    pub whirlpool_pools: Vec<u64>,
    /// Ground truth to write: full (ground_truth.json, about 700 bytes per
    /// transaction), compact (ground_truth.compact.jsonl.zst: each block's kinds
    /// and each address's owner) or none (scale runs).
    #[arg(long, default_value = "full")]
    pub truth: sim::TruthLevel,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth zcash ...`.
#[derive(Debug, Subcommand)]
pub enum ZcashCommand {
    /// Pool balances per height from a zcashd blocks directory, checked never negative.
    Pools(ZcashPoolsArgs),
    /// Round trips through the pools linked by value, each with its confidence.
    Links(ZcashLinksArgs),
}

/// A zcashd blocks directory.
#[derive(Debug, Args)]
pub struct ZcashSourceArgs {
    /// Read zcashd's blocks directory (blk*.dat) directly instead of the index.
    #[arg(long)]
    pub blocks_dir: Option<PathBuf>,
    /// Index directory (default: ~/.local/share/chainsleuth/<network>).
    #[arg(long, conflicts_with = "blocks_dir")]
    pub data_dir: Option<PathBuf>,
    /// zcash-mainnet, zcash-testnet or zcash-regtest.
    #[arg(long, default_value = "zcash-mainnet")]
    pub network: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth zcash pools`.
#[derive(Debug, Args)]
pub struct ZcashPoolsArgs {
    #[command(flatten)]
    pub source: ZcashSourceArgs,
    /// The balances after this height (default: the tip).
    #[arg(long)]
    pub at: Option<u32>,
}

/// `chainsleuth zcash links`.
#[derive(Debug, Args)]
pub struct ZcashLinksArgs {
    #[command(flatten)]
    pub source: ZcashSourceArgs,
    /// Only links of this shielding or deshielding transaction.
    #[arg(long, conflicts_with = "address")]
    pub tx: Option<String>,
    /// Only links whose deshielding pays this transparent address.
    #[arg(long)]
    pub address: Option<String>,
    /// Blocks a note may stay in the pool.
    #[arg(long, default_value_t = 1152)]
    pub window: u32,
    /// Links below this confidence are left out.
    #[arg(long, default_value_t = 0.5)]
    pub min_confidence: f64,
    /// Also link by address reuse (a deshielding paying an address a shielding of
    /// the window spent from).
    #[arg(long)]
    pub by_address: bool,
    /// Score the links against a simulator's ground truth (precision and recall).
    #[arg(long)]
    pub ground_truth: Option<PathBuf>,
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

/// Which network's magic and address prefixes to use: `--network` alone for
/// Bitcoin, `--chain zcash --network mainnet` or a name that implies the chain
/// (`--network zcash-testnet`) for Zcash.
#[derive(Debug, Args, Clone)]
pub struct NetworkArg {
    /// bitcoin or zcash (implied by a zcash-* network).
    #[arg(long, value_parser = ["bitcoin", "zcash"])]
    pub chain: Option<String>,
    /// mainnet, testnet3, testnet4, signet or regtest; for Zcash mainnet, testnet or
    /// regtest (or zcash-mainnet, zcash-testnet, zcash-regtest).
    #[arg(long, default_value = "mainnet")]
    pub network: String,
}

impl NetworkArg {
    /// The network meant.
    ///
    /// # Errors
    /// When the name is not a network of the chain.
    pub fn resolve(&self) -> anyhow::Result<Network> {
        let chain =
            self.chain.as_deref().unwrap_or(if self.network.starts_with("zcash") { "zcash" } else { "bitcoin" });
        Network::of_chain(chain, &self.network).map_err(|e| anyhow::anyhow!("--network: {e}"))
    }
}

/// A page of a long list: `--limit` entries after skipping `--offset`.
#[derive(Debug, Clone, Copy, Args)]
pub struct Page {
    /// Entries to show.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Entries to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
}

impl Page {
    /// The page as the views take it.
    pub fn view(self) -> views::Page {
        views::Page { limit: self.limit, offset: self.offset }
    }
}

/// Where the Monero index lives.
#[derive(Debug, Args, Clone)]
pub struct XmrIndexLocation {
    /// The Monero index directory (default: $XDG_DATA_HOME/chainsleuth/monero).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl XmrIndexLocation {
    /// The directory, defaulted.
    pub fn dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(monero_index::default_data_dir)
    }
}

/// The rules and knowledge of a ring analysis.
#[derive(Debug, Args, Clone)]
pub struct XmrRulesArgs {
    /// Rules on, comma-separated: chain-reaction (zero-mix), closed-set, merge, age, known.
    #[arg(long, default_value = "chain-reaction,closed-set,merge,age")]
    pub rules: String,
    /// What a cooperating service knows: JSON {"service", "outputs": [output keys],
    /// "spends": [{"key_image", "output_key"}]} (turns on the `known` rule).
    #[arg(long)]
    pub known: Option<PathBuf>,
}

/// `chainsleuth xmr ...`: Monero.
#[derive(Debug, Subcommand)]
pub enum XmrCommand {
    /// Build or update the Monero index from a running monerod or a blob directory.
    Ingest(XmrIngestArgs),
    /// Labels on Monero subjects (output keys, txids, txid:n), kept beside the index.
    #[command(subcommand)]
    Tags(XmrTagsCommand),
    /// Screen a Monero txid or output: its labels, the chance its coins came from
    /// (or went to) labelled outputs through the rings, and the risk that follows.
    Screen(XmrScreenArgs),
    /// The Monero index: tip, counts, format.
    Status(XmrStatusArgs),
    /// A transaction: inputs with their rings' probabilities, outputs with their possible spenders.
    Tx(XmrTxArgs),
    /// The rings of a transaction (or one input): every member's probability, the
    /// rule that set it, the effective ring size, and the baselines.
    Ring(XmrTxArgs),
    /// Score the ring analysis against ground truth (schema of fixtures/monero-regtest).
    Eval(XmrEvalArgs),
    /// Follow coins through rings, forward or backward, with probabilities.
    Trace(XmrTraceArgs),
    /// Write a service's knowledge (for `--known`) from a ground-truth file.
    Known(XmrKnownArgs),
    /// Write a synthetic Monero chain as a blob directory, with ground truth.
    Simulate(XmrSimulateArgs),
    /// The story on the bundled chain written by real Monero wallets: ingest,
    /// evaluate the rings, trace the theft to the swap service and back.
    Demo(XmrDemoArgs),
}

/// `chainsleuth xmr ingest`.
#[derive(Debug, Args)]
pub struct XmrIngestArgs {
    /// A running monerod's RPC, e.g. http://127.0.0.1:18081.
    #[arg(long, conflicts_with = "blobs", required_unless_present = "blobs")]
    pub rpc: Option<String>,
    /// A directory of hex blobs: blocks/NNNNNN.hex and txs/<txid>.hex.
    #[arg(long)]
    pub blobs: Option<PathBuf>,
    #[command(flatten)]
    pub index: XmrIndexLocation,
    /// Delete the index first.
    #[arg(long)]
    pub rebuild: bool,
    /// Stop after this height.
    #[arg(long)]
    pub until_height: Option<u64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth xmr status`.
#[derive(Debug, Args)]
pub struct XmrStatusArgs {
    #[command(flatten)]
    pub index: XmrIndexLocation,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth xmr tx` and `xmr ring`.
#[derive(Debug, Args)]
pub struct XmrTxArgs {
    /// TXID, or TXID:INPUT for one input's ring.
    pub subject: String,
    #[command(flatten)]
    pub index: XmrIndexLocation,
    #[command(flatten)]
    pub rules: XmrRulesArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth xmr eval`.
#[derive(Debug, Args)]
pub struct XmrEvalArgs {
    /// The ground truth (schema_version 1 of fixtures/monero-regtest/ground_truth.json).
    #[arg(long)]
    pub ground_truth: PathBuf,
    #[command(flatten)]
    pub index: XmrIndexLocation,
    #[command(flatten)]
    pub rules: XmrRulesArgs,
    /// Take a service's knowledge from the truth: this wallet's (e.g. exchange).
    #[arg(long, conflicts_with = "known")]
    pub known_wallet: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chainsleuth xmr tags ...`.
#[derive(Debug, Subcommand)]
pub enum XmrTagsCommand {
    /// Import a CSV of `subject,label,category[,source[,confidence[,date]]]`, the
    /// subject an output key, a txid (all its outputs) or txid:n; replaces any
    /// earlier import of the same source.
    Import {
        /// The file.
        file: PathBuf,
        /// The source name (default: the file's name without extension).
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        index: XmrIndexLocation,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The imported sources.
    List {
        #[command(flatten)]
        index: XmrIndexLocation,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source and its labels.
    Remove {
        /// The source name.
        source: String,
        #[command(flatten)]
        index: XmrIndexLocation,
    },
}

/// `chainsleuth xmr screen`.
#[derive(Debug, Args)]
pub struct XmrScreenArgs {
    /// A txid, an output's one-time key, or txid:n.
    pub subject: String,
    /// Transactions to trace through (1: direct only).
    #[arg(long, default_value_t = 3)]
    pub hops: u32,
    /// received (where its coins came from), sent (where they went) or both.
    #[arg(long, default_value = "both", value_parser = ["received", "sent", "both"])]
    pub direction: String,
    /// Chances below this are not followed.
    #[arg(long, default_value_t = 0.001)]
    pub min_probability: f64,
    /// Risk rules (default: ./chainsleuth.toml if present, else the built-in rules).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub index: XmrIndexLocation,
    #[command(flatten)]
    pub rules: XmrRulesArgs,
}

/// `chainsleuth xmr trace`.
#[derive(Debug, Args)]
pub struct XmrTraceArgs {
    /// Start outputs: TXID:OUTPUT (or TXID for all its outputs), repeatable.
    #[arg(long = "from", required = true, num_args = 1..)]
    pub from: Vec<String>,
    /// forward (where it went) or backward (where it came from).
    #[arg(long, default_value = "forward")]
    pub direction: String,
    /// Transaction hops at most.
    #[arg(long, default_value_t = 6)]
    pub max_hops: u32,
    /// Chances below this are not followed.
    #[arg(long, default_value_t = 0.001)]
    pub min_probability: f64,
    /// table, json, dot or html.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// More labelled outputs where the walk stops (besides those of `xmr tags
    /// import`): CSV of `output_key,label` (or `txid:n,label`).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    #[command(flatten)]
    pub index: XmrIndexLocation,
    #[command(flatten)]
    pub rules: XmrRulesArgs,
}

/// `chainsleuth xmr known`.
#[derive(Debug, Args)]
pub struct XmrKnownArgs {
    /// The ground truth.
    #[arg(long)]
    pub ground_truth: PathBuf,
    /// The wallet whose knowledge to write (e.g. exchange).
    #[arg(long)]
    pub wallet: String,
    #[command(flatten)]
    pub index: XmrIndexLocation,
}

/// `chainsleuth xmr simulate`.
#[derive(Debug, Args)]
pub struct XmrSimulateArgs {
    /// Output directory (blocks/, txs/, ground_truth.json).
    #[arg(long)]
    pub out: PathBuf,
    /// early (v1, rings of 1-3, cleartext denominations) or modern (RingCT, rings of 16).
    #[arg(long, default_value = "modern")]
    pub era: String,
    /// Run until the chain holds this many inputs.
    #[arg(long, conflicts_with = "blocks")]
    pub inputs: Option<u64>,
    /// Run for this many blocks.
    #[arg(long)]
    pub blocks: Option<u64>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Transactions per block once the economy runs (default: the era's, 3
    /// early and 20 modern; the bundled regtest chain has about 1).
    #[arg(long)]
    pub txs_per_block: Option<u32>,
    /// User wallets besides the miner and the exchange (default: the era's).
    #[arg(long)]
    pub users: Option<u32>,
    /// Spend coins at the ages the decoy picker draws (modern era), so that
    /// ages say little, as on the bundled regtest chain.
    #[arg(long)]
    pub spend_like_decoys: bool,
    /// Do not write ground_truth.json.
    #[arg(long)]
    pub no_truth: bool,
}

/// `chainsleuth xmr demo`.
#[derive(Debug, Args)]
pub struct XmrDemoArgs {
    /// Where to write the index and the reports.
    #[arg(long, default_value = "demo-out/monero")]
    pub out: PathBuf,
    /// The blob directory with its ground_truth.json.
    #[arg(long, default_value = "fixtures/monero-regtest")]
    pub blobs: PathBuf,
}
