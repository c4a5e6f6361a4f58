//! Monero mode: a synthetic Monero chain written as fixtures/monero-regtest lays
//! one out (`blocks/NNNNNN.hex`, `txs/<txid>.hex`, `ground_truth.json` of schema
//! version 1), with the truth of which ring member every input really spends.
//!
//! Two eras:
//! - [`MoneroEra::Early`]: version-1 transactions of cleartext amounts in 1-2-5
//!   denominations, rings of 1 to 3 members (many of 1, zero-mixin) drawn
//!   uniformly among the outputs of the same amount, as the first wallets did; the
//!   zero-mixin spends let chain-reaction and closed-set analyses deduce others.
//! - [`MoneroEra::Modern`]: `RCTTypeBulletproofPlus` transactions with view-tagged
//!   outputs and rings of 16 chosen by wallet2 v0.18's gamma picker.
//!
//! In both, the coins really spent are chosen by an age distribution of their own
//! (a fresh-spend component and a log-normal long tail, with a share of outputs
//! never spent), not the decoys' one. Keys, key images, signatures and proofs are
//! random bytes of the right shape from the seed; block ids and txids are those
//! the `monero` crate's decoder computes from the bytes written. The same options
//! give byte-identical files. See docs/simulator.md, "Monero mode".

mod files;
mod ledger;
mod picker;
mod wallets;

use files::Files;
use ledger::{AmountIndex, Coin, Coins, IndexedOutput, unlocked};
use monero::encode::{BlockParts, BppPrunable, EcdhInfo, Prunable, RctSignatures, Signatures, TxParts, bpp_rounds};
use monero::{Hash32, Input, Output, RctType, decode_block, decode_tx};
use picker::{GammaPicker, SpendAges};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wallets::{Role, Wallet, deposit_minor, wallets_json};

use crate::SimError;

type Result<T> = std::result::Result<T, SimError>;

/// The error of an I/O failure writing under `out`.
fn written(out: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    |cause| SimError::Io { path: out.to_owned(), cause }
}

/// The error of a structure that does not encode.
fn encoding(what: &'static str) -> impl Fn(monero::encode::EncodeError) -> SimError {
    move |cause| SimError::Encode { what, cause }
}

/// The error of a structure that does not decode back.
fn roundtrip(what: &'static str) -> impl Fn(monero::DecodeError) -> SimError {
    move |cause| SimError::Roundtrip { what, cause: cause.to_string() }
}

/// Which era of Monero the chain imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneroEra {
    /// 2014-2016: version-1 transactions, cleartext denominations, rings of 1-3.
    Early,
    /// Hard fork 15 on: RingCT Bulletproofs+, view tags, rings of 16.
    Modern,
}

impl MoneroEra {
    /// `early` or `modern`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Early => "early",
            Self::Modern => "modern",
        }
    }
}

/// How long a simulation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneroLength {
    /// This many blocks (heights 0 to n - 1).
    Blocks(u64),
    /// Until the chain holds at least this many inputs (the last block finished).
    Inputs(u64),
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct MoneroSimOptions {
    /// Seed of every random choice: the same options give byte-identical files.
    pub seed: u64,
    /// The era.
    pub era: MoneroEra,
    /// How long to run.
    pub length: MoneroLength,
    /// Transactions per block once the economy runs (each block draws between
    /// half and one and a half times this; fewer while coins are scarce).
    pub txs_per_block: u32,
    /// Number of user wallets (besides the miner and the exchange).
    pub users: u32,
    /// Modern era: spend coins at the ages the decoy picker draws (as the
    /// bundled regtest chain's wallets nearly do, so ages say little), instead
    /// of the era's own spend-age law.
    pub spend_like_decoys: bool,
    /// Whether to write ground_truth.json.
    pub write_truth: bool,
}

impl MoneroSimOptions {
    /// The defaults of an era: seed 0, truth written; early: 3,000 inputs at 3
    /// txs a block among 12 users; modern: 20,000 inputs at 20 txs a block among
    /// 24 users.
    pub fn new(era: MoneroEra) -> Self {
        match era {
            MoneroEra::Early => Self {
                seed: 0,
                era,
                length: MoneroLength::Inputs(3_000),
                txs_per_block: 3,
                users: 12,
                spend_like_decoys: false,
                write_truth: true,
            },
            MoneroEra::Modern => Self {
                seed: 0,
                era,
                length: MoneroLength::Inputs(20_000),
                txs_per_block: 20,
                users: 24,
                spend_like_decoys: false,
                write_truth: true,
            },
        }
    }
}

/// What a simulation wrote.
#[derive(Debug, Clone)]
pub struct MoneroSimReport {
    /// The output directory.
    pub out_dir: PathBuf,
    /// The truth file, if written.
    pub ground_truth: Option<PathBuf>,
    /// Blocks written (heights 0 to `blocks - 1`).
    pub blocks: u64,
    /// Id of the last block.
    pub tip_hash: Hash32,
    /// Non-coinbase transactions.
    pub transactions: u64,
    /// Inputs of those transactions.
    pub inputs: u64,
    /// Outputs, coinbases' included.
    pub outputs: u64,
    /// Bytes of every file written.
    pub bytes_written: u64,
    /// Wall time in seconds.
    pub elapsed_secs: f64,
}

/// What differs between the eras.
#[derive(Debug, Clone, Copy)]
struct EraParams {
    major: u64,
    minor: u64,
    /// Target block time, seconds.
    block_secs: u64,
    /// Timestamp of block 1.
    start_time: u64,
    /// First height with spends (coinbases must have matured first).
    first_spend: u64,
    /// When coins are really spent.
    ages: SpendAges,
    /// Share of received outputs never spent.
    dormant: f64,
    /// Inputs per transaction, nominally.
    inputs_per_tx: f64,
    /// The emission curve's shift (`EMISSION_SPEED_FACTOR_PER_MINUTE` less the
    /// target minutes, plus one).
    emission_shift: u32,
}

impl EraParams {
    fn of(era: MoneroEra) -> Self {
        match era {
            MoneroEra::Early => Self {
                major: 1,
                minor: 0,
                block_secs: 60,
                start_time: 1_397_818_193,
                first_spend: 70,
                ages: SpendAges { fresh_share: 0.55, fresh_mean: 10.0, tail_median: 300.0, tail_sigma: 1.0 },
                dormant: 0.10,
                inputs_per_tx: 3.0,
                emission_shift: 20,
            },
            MoneroEra::Modern => Self {
                major: 16,
                minor: 16,
                block_secs: 120,
                start_time: 1_660_000_000,
                first_spend: 100,
                ages: SpendAges { fresh_share: 0.4, fresh_mean: 8.0, tail_median: 2160.0, tail_sigma: 1.3 },
                dormant: 0.12,
                inputs_per_tx: 2.2,
                emission_shift: 19,
            },
        }
    }
}

/// The amount of the genesis output (and the coins it counts as generated).
const GENESIS_AMOUNT: u64 = 17_592_186_044_415;
/// The tail emission per block, atomic units.
const TAIL_EMISSION: u64 = 600_000_000_000;
/// The smallest denomination of the early era, and its fee (0.01 XMR).
const EARLY_UNIT: u64 = 10_000_000_000;
/// Modern fee per byte, atomic units.
const FEE_PER_BYTE: u64 = 20_000;
/// wallet2's fee quantization.
const FEE_QUANTUM: u64 = 10_000;
/// Ring size of the modern era.
const RING_16: usize = 16;
/// Gamma picks before a ring is given up as unfillable.
const MAX_PICKS: u32 = 200_000;

const MINER: u32 = 0;
const EXCHANGE: u32 = 1;
const FIRST_USER: u32 = 2;

/// One input of a planned transaction.
struct PlannedInput {
    coin: Coin,
    created: u32,
    ring: Vec<u64>,
    key_offsets: Vec<u64>,
    true_index: usize,
    key_image: [u8; 32],
}

/// One output of a planned transaction or coinbase.
struct PlannedOutput {
    /// Its amount (hidden on chain for RingCT).
    amount: u64,
    /// Receiving wallet and subaddress minor; `None` for a dummy or genesis output.
    receiver: Option<(u32, u32)>,
    key: [u8; 32],
    view_tag: Option<u8>,
}

/// A transaction chosen but not yet serialized.
struct PlannedTx {
    kind: &'static str,
    sender: u32,
    recipients: Vec<u32>,
    inputs: Vec<PlannedInput>,
    outputs: Vec<PlannedOutput>,
    fee: u64,
}

/// A transaction (a coinbase when `tx` is `None`) as its truth entry needs it.
struct TxTruth<'a> {
    /// Height of its block.
    h: u64,
    txid: Hash32,
    version: u64,
    fee: u64,
    tx: Option<&'a PlannedTx>,
    outputs: &'a [PlannedOutput],
    /// Per output: its amount index and global index.
    indices: &'a [(u64, u64)],
}

/// Running figures for the summary.
#[derive(Default)]
struct Stats {
    transactions: u64,
    inputs: u64,
    outputs: u64,
    outputs_rct: u64,
    outputs_owned: u64,
    spent: u64,
    guess_newest: u64,
    guess_newest_mixed: u64,
    mixed_inputs: u64,
    random_expect: f64,
    ring_sizes: BTreeMap<usize, u64>,
    kinds: BTreeMap<&'static str, u64>,
    ages: BTreeMap<u64, u64>,
    true_index: BTreeMap<usize, Vec<u64>>,
}

/// Runs a Monero simulation and writes its directory at `out`.
///
/// # Errors
/// On I/O errors, or if the chain cannot go on (a ring that cannot be filled).
pub fn simulate_monero(opts: &MoneroSimOptions, out: &Path) -> Result<MoneroSimReport> {
    let started = Instant::now();
    if matches!(opts.length, MoneroLength::Inputs(n) if n > 0) && opts.txs_per_block == 0 {
        return Err(SimError::Options("a target number of inputs needs at least one transaction per block"));
    }
    let files = Files::create(out, opts.write_truth).map_err(written(out))?;
    let mut sim = Sim::new(opts, files, out);
    sim.write_header()?;
    loop {
        let done = match opts.length {
            MoneroLength::Blocks(n) => sim.height >= n.max(1),
            MoneroLength::Inputs(n) => sim.stats.inputs >= n && sim.height > 0,
        };
        if done {
            break;
        }
        // A chain that stopped spending would never reach its inputs.
        if sim.height > sim.params.first_spend + 20_000 && sim.stats.inputs == 0 {
            return Err(SimError::Stuck(format!("no spend in {} blocks", sim.height)));
        }
        sim.make_block()?;
    }
    sim.finish(out, started)
}

struct Sim {
    /// The directory written (named in I/O errors).
    out: PathBuf,
    era: MoneroEra,
    params: EraParams,
    seed: u64,
    txs_per_block: u32,
    spend_like_decoys: bool,
    /// Decisions.
    rng: ChaCha8Rng,
    /// Keys, key images, signatures and proofs.
    bytes: ChaCha8Rng,
    wallets: Vec<Wallet>,
    coins: Coins,
    /// Cumulative RingCT outputs after each block (modern).
    rct_offsets: Vec<u64>,
    /// Outputs of each cleartext amount, in chain order.
    amounts: BTreeMap<u64, AmountIndex>,
    seq: u64,
    height: u64,
    prev_id: Hash32,
    time: u64,
    generated: u64,
    files: Files,
    stats: Stats,
    /// RingCT outputs of the block being made.
    block_rct: u64,
    first_block_entry: bool,
    first_tx_entry: bool,
}

impl Sim {
    fn new(opts: &MoneroSimOptions, files: Files, out: &Path) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let mut bytes = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x004b_4559_5358_4d52); // "KEYSXMR"
        let mut wallets = Vec::new();
        let mut key = || {
            let mut k = [0u8; 32];
            bytes.fill_bytes(&mut k);
            k
        };
        wallets.push(Wallet {
            name: "miner".into(),
            role: Role::Miner,
            ring_pref: 1,
            keys: [key(), key()],
            received: 0,
        });
        wallets.push(Wallet {
            name: "exchange".into(),
            role: Role::Exchange,
            ring_pref: 1,
            keys: [key(), key()],
            received: 0,
        });
        let width = opts.users.max(1).to_string().len().max(2);
        for i in 1..=opts.users.max(1) {
            // Early users keep the ring size they chose: 45% zero-mixin.
            let ring_pref = match rng.random_range(0..100) {
                0..45 => 1,
                45..65 => 2,
                _ => 3,
            };
            wallets.push(Wallet {
                name: format!("user{i:0width$}"),
                role: Role::User,
                ring_pref,
                keys: [key(), key()],
                received: 0,
            });
        }
        let params = EraParams::of(opts.era);
        Self {
            out: out.to_owned(),
            era: opts.era,
            params,
            seed: opts.seed,
            txs_per_block: opts.txs_per_block,
            spend_like_decoys: opts.spend_like_decoys,
            rng,
            bytes,
            coins: Coins::new(wallets.len()),
            wallets,
            rct_offsets: Vec::new(),
            amounts: BTreeMap::new(),
            seq: 0,
            height: 0,
            prev_id: Hash32::default(),
            time: 0,
            generated: 0,
            files,
            stats: Stats::default(),
            block_rct: 0,
            first_block_entry: true,
            first_tx_entry: true,
        }
    }

    fn key(&mut self) -> [u8; 32] {
        let mut k = [0u8; 32];
        self.bytes.fill_bytes(&mut k);
        k
    }

    fn modern(&self) -> bool {
        self.era == MoneroEra::Modern
    }

    fn write_header(&mut self) -> Result<()> {
        let head = json!({
            "schema_version": 1,
            "network": format!("chainsleuth simulate, Monero mode ({} era)", self.era.name()),
            "monero_version": match self.era {
                MoneroEra::Modern => "simulated: wallet2 v0.18.0.0 decoy selection (gamma picker)",
                MoneroEra::Early => "simulated: pre-RingCT wallets (uniform decoys of the same amount)",
            },
            "hard_fork_version": self.params.major,
            "generator": {"tool": "chainsleuth simulate (monero)", "version": env!("CARGO_PKG_VERSION"),
                          "era": self.era.name(), "seed": self.seed, "txs_per_block": self.txs_per_block,
                          "users": self.wallets.len() - 2, "spend_like_decoys": self.spend_like_decoys},
        });
        let mut text = serde_json::to_vec(&head)?;
        text.pop();
        text.extend_from_slice(b",\n\"transactions\":[\n");
        self.files.truth(text).map_err(written(&self.out))?;
        Ok(())
    }

    /// The coins the wallets should hold at height `h` for spends at the
    /// nominal rate to find coins of the ages they want (Little's law: the rate
    /// times the mean age); fan-outs raise the count towards it.
    fn target_population(&self, h: u64) -> f64 {
        let rate = f64::from(self.txs_per_block) * self.params.inputs_per_tx;
        let age = self.params.ages.mean_below(h.saturating_sub(self.params.first_spend).max(1));
        (rate * age).max(50.0)
    }

    fn make_block(&mut self) -> Result<()> {
        let h = self.height;
        let mut planned = Vec::new();
        if h >= self.params.first_spend && self.txs_per_block > 0 {
            let picker = if self.modern() { GammaPicker::new(&self.rct_offsets) } else { None };
            if !self.modern() || picker.is_some() {
                let tpb = self.txs_per_block;
                let wanted = self.rng.random_range(tpb.div_ceil(2)..=tpb + tpb / 2);
                for _ in 0..wanted {
                    if let Some(tx) = self.plan_tx(h, picker.as_ref())? {
                        planned.push(tx);
                    }
                }
            }
        }
        let fees: u64 = planned.iter().map(|t| t.fee).sum();
        let (miner_tx, cb_outputs) = self.coinbase(h, fees);
        let miner_blob = miner_tx.encode().map_err(encoding("coinbase"))?;
        let miner_txid = decode_tx(&miner_blob).map_err(roundtrip("coinbase"))?.hash;

        let mut blobs = Vec::with_capacity(planned.len());
        for tx in &planned {
            let parts = self.tx_parts(tx);
            let blob = parts.encode().map_err(encoding("transaction"))?;
            let decoded = decode_tx(&blob).map_err(roundtrip("transaction"))?;
            blobs.push((decoded.hash, blob));
        }
        self.time = if h == 0 {
            0
        } else if h == 1 {
            self.params.start_time
        } else {
            let u: f64 = 1.0 - self.rng.random::<f64>();
            self.time + ((-(self.params.block_secs as f64) * u.ln()) as u64).max(1)
        };
        let block = BlockParts {
            major_version: if h == 0 { 1 } else { self.params.major },
            minor_version: if h == 0 { 0 } else { self.params.minor },
            timestamp: self.time,
            prev_id: self.prev_id,
            nonce: if h == 0 { 10_000 } else { self.rng.random() },
            miner_tx,
            tx_hashes: blobs.iter().map(|(h, _)| *h).collect(),
        };
        let block_blob = block.encode().map_err(encoding("block"))?;
        let decoded = decode_block(&block_blob).map_err(roundtrip("block"))?;
        if decoded.miner_tx.hash != miner_txid || decoded.height() != Some(h) {
            let cause = format!("block {h} decodes to another coinbase or height");
            return Err(SimError::Roundtrip { what: "block", cause });
        }
        let reward = decoded.reward();
        self.files.block(h, block_blob).map_err(written(&self.out))?;

        // Truth and coins, in chain order: the coinbase first.
        let mut txids = Vec::with_capacity(planned.len());
        self.register(h, miner_txid, block.miner_tx.version, 0, None, &cb_outputs)?;
        let version = if self.modern() { 2 } else { 1 };
        for (tx, (txid, blob)) in planned.iter().zip(blobs) {
            self.files.tx(txid.0, blob).map_err(written(&self.out))?;
            txids.push(txid);
            self.register(h, txid, version, tx.fee, Some(tx), &tx.outputs)?;
        }
        if self.files.has_truth() {
            let entry = json!({"height": h, "hash": decoded.id.to_string(), "timestamp": self.time,
                "major_version": block.major_version, "minor_version": block.minor_version,
                "reward": reward, "miner_txid": miner_txid.to_string(),
                "txids": txids.iter().map(ToString::to_string).collect::<Vec<_>>()});
            let mut text = if self.first_block_entry { Vec::new() } else { b",\n".to_vec() };
            self.first_block_entry = false;
            serde_json::to_writer(&mut text, &entry)?;
            self.files.block_truth(text).map_err(written(&self.out))?;
        }
        let total = self.rct_offsets.last().copied().unwrap_or(0);
        self.rct_offsets.push(total + std::mem::take(&mut self.block_rct));
        self.prev_id = decoded.id;
        self.height += 1;
        Ok(())
    }

    /// Chooses one transaction of block `h`: the first coin by the spend-age
    /// distribution over everyone's coins, the sender's other inputs the coins
    /// nearest further draws, then the kind, outputs, fee and rings. The coins
    /// leave the ledger. `None` when no coin fits.
    fn plan_tx(&mut self, h: u64, picker: Option<&GammaPicker>) -> Result<Option<PlannedTx>> {
        let Some(oldest) = self.coins.oldest(None) else { return Ok(None) };
        let target = self.target_height(h, oldest, picker);
        let Some(first) = self.coins.nearest(None, target, h, &[]) else { return Ok(None) };
        let Some(sender) = self.coins.wallet_of(first) else { return Ok(None) };
        let fill = self.coins.len() as f64 / self.target_population(h);
        let kind = self.pick_kind(self.wallets[sender as usize].role, (1.0 - fill).max(0.0));
        let mut n_in = self.input_count(kind);
        if !self.modern() && fill > 1.0 {
            // Early wallets paid with many small denominations: more inputs
            // where coins pile up keep the number of unspent outputs steady.
            n_in += self.rng.random_range(0..=((fill - 1.0) * 4.0).min(12.0) as usize);
        }
        let mut keys = vec![first];
        while keys.len() < n_in {
            let oldest = self.coins.oldest(Some(sender)).unwrap_or(oldest);
            let target = self.target_height(h, oldest, picker);
            match self.coins.nearest(Some(sender), target, h, &keys) {
                Some(k) => keys.push(k),
                None => break,
            }
        }
        let total =
            keys.iter().filter_map(|&k| self.coins.get(sender, k)).try_fold(0u64, |acc, c| acc.checked_add(c.amount));
        let Some(total) = total else { return Ok(None) };
        let recipients = self.recipients(kind, sender, (1.0 - fill).max(0.0));
        let change = kind != "consolidate";
        let planned = match self.era {
            MoneroEra::Modern => self.modern_outputs(sender, &recipients, change, keys.len(), total),
            MoneroEra::Early => self.early_outputs(sender, &recipients, change, total),
        };
        let Some((mut outputs, fee)) = planned else { return Ok(None) };
        outputs.shuffle(&mut self.rng);
        let ring_size = match self.era {
            MoneroEra::Modern => RING_16,
            MoneroEra::Early if self.rng.random_bool(0.85) => self.wallets[sender as usize].ring_pref,
            MoneroEra::Early => self.rng.random_range(1..=3),
        };
        let mut inputs = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(coin) = self.coins.remove(sender, key) else { continue };
            let real = coin.global_index;
            let mut ring = match picker {
                Some(p) => self.gamma_decoys(p, real, h)?,
                None => self
                    .amounts
                    .get(&coin.index_amount)
                    .map(|index| index.uniform_decoys(real, ring_size, h, &mut self.rng))
                    .unwrap_or_default(),
            };
            ring.push(real);
            ring.sort_unstable();
            let true_index = ring.partition_point(|&g| g < real);
            let key_offsets = ring.iter().scan(0u64, |prev, &g| Some(g - std::mem::replace(prev, g))).collect();
            self.files.mark_spent(coin.truth_offset);
            let key_image = self.key();
            inputs.push(PlannedInput { coin, created: key.0, ring, key_offsets, true_index, key_image });
        }
        if self.modern() {
            // Consensus wants key images in decreasing order.
            inputs.sort_by_key(|i| std::cmp::Reverse(i.key_image));
        }
        let recipients = recipients.iter().map(|&(w, _)| w).collect();
        Ok(Some(PlannedTx { kind, sender, recipients, inputs, outputs, fee }))
    }

    /// The height a spend in block `h` wants its coin from: `h` less an age of
    /// the spend-age distribution, drawn again (up to 8 times) while it falls
    /// before `oldest`, the oldest coin there is: the distribution truncated to
    /// the chain's age rather than a pile of spends of the oldest coins. With
    /// `spend_like_decoys`, the age is a decoy pick's instead.
    fn target_height(&mut self, h: u64, oldest: u64, picker: Option<&GammaPicker>) -> u64 {
        let mut target = 0;
        for _ in 0..8 {
            target = match picker.filter(|_| self.spend_like_decoys) {
                Some(p) => match p.pick(&self.rct_offsets, &mut self.rng) {
                    Some((_, block)) => block as u64,
                    None => continue,
                },
                None => h.saturating_sub(self.params.ages.draw(&mut self.rng)),
            };
            if target >= oldest {
                break;
            }
        }
        target
    }

    /// The 15 decoys of a ring, as wallet2 v0.18 draws them: gamma picks,
    /// again on a bad pick, a duplicate, the real output or a locked coinbase.
    fn gamma_decoys(&mut self, picker: &GammaPicker, real: u64, h: u64) -> Result<Vec<u64>> {
        let mut decoys = Vec::with_capacity(RING_16 - 1);
        let mut picks = 0;
        while decoys.len() < RING_16 - 1 {
            picks += 1;
            if picks > MAX_PICKS {
                return Err(SimError::Stuck(format!("height {h}: no ring of {RING_16} after {MAX_PICKS} picks")));
            }
            let Some((gi, block)) = picker.pick(&self.rct_offsets, &mut self.rng) else { continue };
            if gi >= picker.num_outs() || gi == real || decoys.contains(&gi) {
                continue;
            }
            // The coinbase is the first RingCT output of its block (block 0 has none).
            let coinbase = block > 0 && gi == self.rct_offsets[block - 1];
            if !unlocked(block as u64, coinbase, h) {
                continue;
            }
            decoys.push(gi);
        }
        Ok(decoys)
    }

    fn pick_kind(&mut self, role: Role, pressure: f64) -> &'static str {
        let r: f64 = self.rng.random();
        let weighted: &[(&'static str, u32)] = match (self.era, role) {
            (MoneroEra::Modern, Role::Miner) => {
                return if r < 0.5 + 0.5 * pressure { "fanout_miner" } else { "miner_sell" };
            }
            (MoneroEra::Early, Role::Miner) => return "pool_payout",
            (_, Role::Exchange) => &[("withdrawal", 55), ("withdrawal_batch", 30), ("exchange_churn", 15)],
            (MoneroEra::Modern, Role::User) => {
                if r < 0.6 * pressure {
                    return "fanout_batch";
                }
                &[("payment", 45), ("deposit", 15), ("multi_payment", 12), ("churn", 10), ("consolidate", 6)]
            }
            (MoneroEra::Early, Role::User) => {
                &[("payment", 50), ("deposit", 20), ("multi_payment", 15), ("consolidate", 15)]
            }
        };
        weighted.choose_weighted(&mut self.rng, |k| k.1).map_or("payment", |k| k.0)
    }

    fn input_count(&mut self, kind: &str) -> usize {
        if kind == "consolidate" {
            return self.rng.random_range(4..=if self.modern() { 10 } else { 8 });
        }
        let r = self.rng.random_range(0..100);
        match self.era {
            MoneroEra::Modern => match r {
                0..20 => 1,
                20..85 => 2,
                _ => 3,
            },
            MoneroEra::Early => match r {
                0..35 => 1,
                35..65 => 2,
                65..85 => 3,
                _ => self.rng.random_range(4..=6),
            },
        }
    }

    /// A user other than `sender` (the only user if there is one).
    fn random_user(&mut self, sender: u32) -> u32 {
        let n = self.wallets.len() as u32;
        let mut u = self.rng.random_range(FIRST_USER..n);
        if u == sender && n - FIRST_USER > 1 {
            u = FIRST_USER + (u - FIRST_USER + self.rng.random_range(1..n - FIRST_USER)) % (n - FIRST_USER);
        }
        u
    }

    /// Destinations (wallet, subaddress minor) other than change.
    fn recipients(&mut self, kind: &str, sender: u32, pressure: f64) -> Vec<(u32, u32)> {
        let n = match kind {
            "payment" | "withdrawal" => 1,
            "deposit" | "miner_sell" => return vec![(EXCHANGE, deposit_minor(sender))],
            "churn" | "exchange_churn" | "consolidate" => return vec![(sender, 0)],
            "multi_payment" if self.modern() => self.rng.random_range(2..=4),
            "multi_payment" => self.rng.random_range(2..=3 + (pressure * 3.0) as usize),
            "fanout_batch" | "fanout_miner" => 15,
            "withdrawal_batch" => self.rng.random_range(3..=8),
            _ => self.rng.random_range(4..=10),
        };
        (0..n).map(|_| (self.random_user(sender), 0)).collect()
    }

    /// Random integer weights for splitting an amount.
    fn weights(&mut self, n: usize) -> Vec<u64> {
        (0..n).map(|_| self.rng.random_range(100..1000)).collect()
    }

    fn output(&mut self, amount: u64, receiver: Option<(u32, u32)>) -> PlannedOutput {
        let key = self.key();
        let view_tag = self.modern().then(|| self.rng.random());
        PlannedOutput { amount, receiver, key, view_tag }
    }

    /// RingCT outputs: `total` less the fee split at random between the
    /// recipients and the change, and a dummy output where there would be one.
    fn modern_outputs(
        &mut self,
        sender: u32,
        recipients: &[(u32, u32)],
        change: bool,
        n_in: usize,
        total: u64,
    ) -> Option<(Vec<PlannedOutput>, u64)> {
        let mut dest = recipients.to_vec();
        if change {
            dest.push((sender, 0));
        }
        let n_out = dest.len().max(2);
        let extra_len = 33 + if n_out == 2 { 11 } else { 0 };
        let fee = modern_fee(n_in, n_out, extra_len);
        let net = total.checked_sub(fee)?;
        if net < dest.len() as u64 {
            return None;
        }
        let weights = self.weights(dest.len());
        let sum: u64 = weights.iter().sum();
        let mut amounts: Vec<u64> =
            weights.iter().map(|&w| (u128::from(net) * u128::from(w) / u128::from(sum)) as u64).collect();
        let rest = net - amounts.iter().sum::<u64>();
        *amounts.last_mut()? += rest;
        if amounts.contains(&0) {
            return None;
        }
        let mut outputs: Vec<PlannedOutput> = dest.iter().zip(amounts).map(|(&d, a)| self.output(a, Some(d))).collect();
        if outputs.len() == 1 {
            // wallet2 pads a single destination with a 0-amount output to a random address.
            outputs.push(self.output(0, None));
        }
        Some((outputs, fee))
    }

    /// Cleartext outputs: the fee of 0.01 XMR off, recipients paid amounts of two
    /// significant digits, the change what is left; each amount split into 1-2-5
    /// denominations.
    fn early_outputs(
        &mut self,
        sender: u32,
        recipients: &[(u32, u32)],
        change: bool,
        total: u64,
    ) -> Option<(Vec<PlannedOutput>, u64)> {
        let net = total.checked_sub(EARLY_UNIT)?;
        if net < EARLY_UNIT {
            return None;
        }
        let mut paid: Vec<((u32, u32), u64)> = if change {
            let weights = self.weights(recipients.len() + 1);
            let sum: u64 = weights.iter().sum();
            let paid: Vec<((u32, u32), u64)> = recipients
                .iter()
                .zip(&weights)
                .map(|(&d, &w)| (d, two_digits((u128::from(net) * u128::from(w) / u128::from(sum)) as u64)))
                .collect();
            let spent = paid.iter().try_fold(0u64, |acc, p| acc.checked_add(p.1))?;
            let rest = net.checked_sub(spent)?;
            let mut paid = paid;
            paid.push(((sender, 0), rest));
            paid
        } else {
            vec![(recipients.first().copied().unwrap_or((sender, 0)), net)]
        };
        paid.retain(|p| p.1 > 0);
        let mut outputs = Vec::new();
        for (dest, amount) in paid {
            for part in denominations(amount) {
                outputs.push(self.output(part, Some(dest)));
            }
        }
        Some((outputs, EARLY_UNIT))
    }

    /// The miner transaction of block `h`: the genesis output at height 0, then
    /// the base reward of the emission curve plus the fees.
    fn coinbase(&mut self, h: u64, fees: u64) -> (TxParts, Vec<PlannedOutput>) {
        let (version, amounts) = if h == 0 {
            self.generated = GENESIS_AMOUNT;
            (1, vec![GENESIS_AMOUNT])
        } else {
            let base = (u64::MAX - self.generated) >> self.params.emission_shift;
            match self.era {
                MoneroEra::Modern => {
                    let base = base.max(TAIL_EMISSION);
                    self.generated = self.generated.saturating_add(base);
                    (2, vec![base.saturating_add(fees)])
                }
                MoneroEra::Early => {
                    let claimed = base / EARLY_UNIT * EARLY_UNIT;
                    self.generated = self.generated.saturating_add(claimed);
                    (1, denominations(claimed.saturating_add(fees)))
                }
            }
        };
        let receiver = (h > 0).then_some((MINER, 0));
        let outputs: Vec<PlannedOutput> = amounts
            .into_iter()
            .map(|a| {
                let mut o = self.output(a, receiver);
                if version == 1 {
                    o.view_tag = None;
                }
                o
            })
            .collect();
        let mut extra = vec![0x01];
        extra.extend_from_slice(&self.key());
        let signatures = if version == 2 {
            Signatures::Rct(RctSignatures {
                rct_type: RctType::Null,
                fee: 0,
                pseudo_outs: Vec::new(),
                ecdh_info: Vec::new(),
                out_pk: Vec::new(),
                prunable: Prunable::None,
            })
        } else {
            Signatures::Ring(Vec::new())
        };
        let parts = TxParts {
            version,
            unlock_time: h + picker::COINBASE_UNLOCK,
            inputs: vec![Input::Gen { height: h }],
            outputs: outputs.iter().map(|o| Output { amount: o.amount, key: o.key, view_tag: o.view_tag }).collect(),
            extra,
            signatures,
        };
        (parts, outputs)
    }

    /// The parts of a planned transaction, signatures and proofs random bytes.
    fn tx_parts(&mut self, tx: &PlannedTx) -> TxParts {
        let modern = self.modern();
        let inputs = tx
            .inputs
            .iter()
            .map(|i| Input::ToKey {
                amount: if modern { 0 } else { i.coin.amount },
                key_offsets: i.key_offsets.clone(),
                key_image: i.key_image,
            })
            .collect();
        let outputs = tx
            .outputs
            .iter()
            .map(|o| Output { amount: if modern { 0 } else { o.amount }, key: o.key, view_tag: o.view_tag })
            .collect();
        let mut extra = vec![0x01];
        extra.extend_from_slice(&self.key());
        let n_out = tx.outputs.len();
        let signatures = if modern {
            if n_out == 2 {
                // wallet2 adds an encrypted (here random) payment id to 2-output txs.
                extra.extend_from_slice(&[0x02, 0x09, 0x01]);
                extra.extend_from_slice(&self.key()[..8]);
            }
            let ecdh_info = (0..n_out).map(|_| EcdhInfo::Short(self.rng_bytes8())).collect();
            let out_pk = (0..n_out).map(|_| self.key()).collect();
            let prunable = BppPrunable::filled(tx.inputs.len(), RING_16, n_out, &mut || self.key());
            Signatures::Rct(RctSignatures {
                rct_type: RctType::BulletproofPlus,
                fee: tx.fee,
                pseudo_outs: Vec::new(),
                ecdh_info,
                out_pk,
                prunable: Prunable::BulletproofPlus(prunable),
            })
        } else {
            let members: usize = tx.inputs.iter().map(|i| i.ring.len()).sum();
            let mut sigs = vec![0u8; members * 64];
            self.bytes.fill_bytes(&mut sigs);
            Signatures::Ring(sigs)
        };
        TxParts { version: if modern { 2 } else { 1 }, unlock_time: 0, inputs, outputs, extra, signatures }
    }

    fn rng_bytes8(&mut self) -> [u8; 8] {
        self.bytes.next_u64().to_le_bytes()
    }

    /// Gives the outputs of a transaction (coinbase when `tx` is `None`) their
    /// global indices, writes its truth, and adds the outputs wallets will spend
    /// to their coins.
    fn register(
        &mut self,
        h: u64,
        txid: Hash32,
        version: u64,
        fee: u64,
        tx: Option<&PlannedTx>,
        outputs: &[PlannedOutput],
    ) -> Result<()> {
        let coinbase = tx.is_none();
        let rct_base = self.rct_offsets.last().copied().unwrap_or(0);
        let mut indices = Vec::with_capacity(outputs.len());
        for o in outputs {
            if version >= 2 {
                indices.push((0, rct_base + self.block_rct));
                self.block_rct += 1;
                self.stats.outputs_rct += 1;
            } else {
                let index = self.amounts.entry(o.amount).or_default();
                indices.push((o.amount, index.0.len() as u64));
                index.0.push(IndexedOutput { height: h as u32, coinbase });
            }
        }
        self.stats.outputs += outputs.len() as u64;
        *self.stats.kinds.entry(tx.map_or("coinbase", |t| t.kind)).or_default() += 1;
        if let Some(tx) = tx {
            self.stats.transactions += 1;
            for i in &tx.inputs {
                let ring = i.ring.len();
                let s = &mut self.stats;
                s.inputs += 1;
                *s.ring_sizes.entry(ring).or_default() += 1;
                *s.ages.entry(h - u64::from(i.created)).or_default() += 1;
                let hist = s.true_index.entry(ring).or_insert_with(|| vec![0; ring]);
                hist[i.true_index] += 1;
                let newest = i.true_index + 1 == ring;
                s.guess_newest += u64::from(newest);
                s.random_expect += 1.0 / ring as f64;
                if ring > 1 {
                    s.mixed_inputs += 1;
                    s.guess_newest_mixed += u64::from(newest);
                }
                s.spent += 1;
            }
        }
        let offsets = if self.files.has_truth() {
            self.write_tx_truth(&TxTruth { h, txid, version, fee, tx, outputs, indices: &indices })?
        } else {
            vec![0; outputs.len()]
        };
        for (i, (o, ((index_amount, global_index), truth_offset))) in
            outputs.iter().zip(indices.into_iter().zip(offsets)).enumerate()
        {
            let Some((wallet, _)) = o.receiver else { continue };
            self.stats.outputs_owned += 1;
            self.wallets[wallet as usize].received += 1;
            if self.rng.random_bool(self.params.dormant) {
                continue;
            }
            let coin = Coin {
                coinbase,
                amount: o.amount,
                index_amount,
                global_index,
                key: o.key,
                txid: txid.0,
                out_index: i as u32,
                truth_offset,
            };
            self.coins.insert((h as u32, self.seq + i as u64), wallet, coin);
        }
        self.seq += outputs.len() as u64;
        Ok(())
    }

    /// Writes one `transactions` entry and returns the offset of each output's
    /// `spent` value (0 where it is `null`).
    fn write_tx_truth(&mut self, t: &TxTruth<'_>) -> Result<Vec<u64>> {
        let names: Vec<&str> = self.wallets.iter().map(|w| w.name.as_str()).collect();
        let sender = t.tx.map_or("coinbase", |tx| names[tx.sender as usize]);
        let entry = truth::TxEntry {
            txid: truth::Hex(&t.txid.0),
            block_height: t.h,
            coinbase: t.tx.is_none(),
            version: t.version,
            rct_type: (t.version >= 2).then_some(if t.tx.is_none() { 0 } else { RctType::BulletproofPlus as u8 }),
            fee: t.fee,
            sender_wallet: sender,
            kind: t.tx.map_or("coinbase", |tx| tx.kind),
            intended_recipients: t.tx.map(|tx| tx.recipients.iter().map(|&w| names[w as usize]).collect()),
            inputs: input_entries(t.tx, t.version, sender),
        };
        let mut text = if self.first_tx_entry { Vec::new() } else { b",\n".to_vec() };
        self.first_tx_entry = false;
        serde_json::to_writer(&mut text, &entry)?;
        text.pop();
        text.extend_from_slice(b",\"outputs\":[");
        let offsets = append_output_entries(&mut text, self.files.truth_pos(), t, &names)?;
        text.extend_from_slice(b"]}");
        self.files.truth(text).map_err(written(&self.out))?;
        Ok(offsets)
    }

    fn summary(&self) -> Value {
        let s = &self.stats;
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { (a as f64 / b as f64 * 10_000.0).round() / 10_000.0 };
        let total: u64 = s.ages.values().sum();
        let quantile = |q: f64| -> u64 {
            let want = ((total as f64 * q).ceil() as u64).max(1);
            let mut seen = 0;
            for (&age, &n) in &s.ages {
                seen += n;
                if seen >= want {
                    return age;
                }
            }
            0
        };
        let histograms: serde_json::Map<String, Value> =
            s.true_index.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        let ring_sizes: serde_json::Map<String, Value> =
            s.ring_sizes.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        let ages = &self.params.ages;
        let mut summary = json!({
            "blocks": self.height,
            "transactions_total": s.transactions + self.height,
            "transactions_coinbase": self.height,
            "transactions_non_coinbase": s.transactions,
            "inputs": s.inputs,
            "ring_sizes": ring_sizes,
            "outputs_total": s.outputs,
            "outputs_rct_amount0": s.outputs_rct,
            "outputs_attributed_to_a_wallet": s.outputs_owned,
            "inputs_attributed_to_a_wallet": s.inputs,
            "outputs_spent": s.spent,
            "outputs_spent_share": ratio(s.spent, s.outputs_owned),
            "zero_mixin_inputs": s.inputs - s.mixed_inputs,
            "guess_newest_correct": s.guess_newest,
            "guess_newest_accuracy": ratio(s.guess_newest, s.inputs),
            "guess_newest_correct_rings_over_1": s.guess_newest_mixed,
            "guess_newest_accuracy_rings_over_1": ratio(s.guess_newest_mixed, s.mixed_inputs),
            "random_guess_expected_accuracy":
                if s.inputs == 0 { 0.0 } else { (s.random_expect / s.inputs as f64 * 10_000.0).round() / 10_000.0 },
            "true_spend_age_blocks": {"min": s.ages.keys().next().copied().unwrap_or(0), "p10": quantile(0.1),
                "median": quantile(0.5), "p90": quantile(0.9), "max": s.ages.keys().next_back().copied().unwrap_or(0)},
            "true_index_histogram_by_ring_size": histograms,
            "kinds": s.kinds,
            "real_spend_model": {"fresh_share": ages.fresh_share, "fresh_mean_blocks_after_unlock": ages.fresh_mean,
                "tail_median_blocks": ages.tail_median, "tail_sigma": ages.tail_sigma,
                "never_spent_share": self.params.dormant},
        });
        if let Some(h) = s.true_index.get(&RING_16).filter(|_| self.modern()) {
            summary["true_index_histogram"] = json!(h);
        }
        summary
    }

    fn finish(self, out: &Path, started: Instant) -> Result<MoneroSimReport> {
        let tail = if self.files.has_truth() {
            let wallets = wallets_json(&self.wallets, EXCHANGE);
            let mut tail = b"\n],\n\"wallets\":".to_vec();
            serde_json::to_writer(&mut tail, &wallets)?;
            tail.extend_from_slice(b",\n\"summary\":");
            serde_json::to_writer(&mut tail, &self.summary())?;
            tail.extend_from_slice(b"\n}\n");
            tail
        } else {
            Vec::new()
        };
        let (bytes_written, ground_truth) = self.files.finish(b"\n],\n\"blocks\":[\n", &tail).map_err(written(out))?;
        Ok(MoneroSimReport {
            out_dir: out.to_owned(),
            ground_truth,
            blocks: self.height,
            tip_hash: self.prev_id,
            transactions: self.stats.transactions,
            inputs: self.stats.inputs,
            outputs: self.stats.outputs,
            bytes_written,
            elapsed_secs: started.elapsed().as_secs_f64(),
        })
    }
}

/// The truth of a transaction's inputs (none for a coinbase), every ring with its
/// true member; cleartext amounts only before RingCT.
fn input_entries<'a>(tx: Option<&'a PlannedTx>, version: u64, sender: &'a str) -> Vec<truth::InputEntry<'a>> {
    tx.map(|t| {
        t.inputs
            .iter()
            .enumerate()
            .map(|(n, i)| truth::InputEntry {
                input_index: n,
                key_image: truth::Hex(&i.key_image),
                amount: if version >= 2 { 0 } else { i.coin.amount },
                key_offsets: &i.key_offsets,
                ring: &i.ring,
                ring_size: i.ring.len(),
                true_index: i.true_index,
                true_global_index: i.coin.global_index,
                true_source_txid: truth::Hex(&i.coin.txid),
                true_source_output_index: i.coin.out_index,
                true_source_output_key: truth::Hex(&i.coin.key),
                true_source_block_height: i.created,
                true_amount: i.coin.amount,
                spender_wallet: sender,
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Appends the truth of a transaction's outputs to `text` (which starts at `base`
/// in the truth file) and returns the offset of each output's `spent` value (0
/// where it is `null`).
fn append_output_entries(text: &mut Vec<u8>, base: u64, t: &TxTruth<'_>, names: &[&str]) -> Result<Vec<u64>> {
    let tx = t.tx;
    let mut offsets = Vec::with_capacity(t.outputs.len());
    for (n, (o, &(index_amount, global_index))) in t.outputs.iter().zip(t.indices).enumerate() {
        if n > 0 {
            text.push(b',');
        }
        let sender_id = tx.map(|t| t.sender);
        let out = truth::OutputEntry {
            output_index: n,
            index_amount,
            global_index,
            output_key: truth::Hex(&o.key),
            cleartext_amount: if t.version >= 2 && tx.is_some() { 0 } else { o.amount },
            receiver_wallet: o.receiver.map(|(w, _)| names[w as usize]),
            receiver_subaddr_minor: o.receiver.map(|(_, m)| m),
            amount: (o.receiver.is_some() || tx.is_some()).then_some(o.amount),
            dummy_output: o.receiver.is_none() && tx.is_some(),
            receiver_is_sender: o.receiver.is_some_and(|(w, _)| Some(w) == sender_id),
        };
        serde_json::to_writer(&mut *text, &out)?;
        text.pop();
        if o.receiver.is_some() || tx.is_some() {
            text.extend_from_slice(b",\"spent\":");
            offsets.push(base + text.len() as u64);
            text.extend_from_slice(b"false}");
        } else {
            text.extend_from_slice(b",\"spent\":null}");
            offsets.push(0);
        }
    }
    Ok(offsets)
}

/// The fee wallet2 would ask for a RingCT tx of this shape: its size in bytes
/// (estimated) times the fee per byte, rounded up to the fee quantum.
fn modern_fee(n_in: usize, n_out: usize, extra_len: usize) -> u64 {
    let prefix = 3 + n_in * (3 + RING_16 * 3 + 32) + 1 + n_out * 35 + 1 + extra_len;
    let base = 1 + 5 + n_out * 40;
    let prunable = 1 + 6 * 32 + 2 * (1 + bpp_rounds(n_out) * 32) + n_in * (RING_16 * 32 + 64 + 32);
    ((prefix + base + prunable) as u64 * FEE_PER_BYTE).div_ceil(FEE_QUANTUM) * FEE_QUANTUM
}

/// An amount cut to its two leading significant digits of 0.01 XMR.
fn two_digits(amount: u64) -> u64 {
    let units = amount / EARLY_UNIT;
    let mut scale = 1;
    while units / scale >= 100 {
        scale *= 10;
    }
    units / scale * scale * EARLY_UNIT
}

/// An amount split digit by digit into 1-2-5 denominations (7 = 5 + 2).
fn denominations(amount: u64) -> Vec<u64> {
    const SPLIT: [&[u64]; 10] = [&[], &[1], &[2], &[2, 1], &[2, 2], &[5], &[5, 1], &[5, 2], &[5, 2, 1], &[5, 2, 2]];
    let mut out = Vec::new();
    let (mut rest, mut place) = (amount, 1u64);
    while rest > 0 {
        out.extend(SPLIT[(rest % 10) as usize].iter().map(|&d| d * place));
        rest /= 10;
        place = place.saturating_mul(10);
    }
    out
}

mod truth {
    //! The entries of ground_truth.json, serialized from borrowed data.

    use serde::Serialize;

    /// 32 bytes as lowercase hex.
    pub struct Hex<'a>(pub &'a [u8; 32]);

    impl Serialize for Hex<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut buf = [0u8; 64];
            hex::encode_to_slice(self.0, &mut buf).map_err(serde::ser::Error::custom)?;
            s.serialize_str(std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?)
        }
    }

    /// A transaction, without its outputs (appended after, with `spent`).
    #[derive(Serialize)]
    pub struct TxEntry<'a> {
        pub txid: Hex<'a>,
        pub block_height: u64,
        pub coinbase: bool,
        pub version: u64,
        pub rct_type: Option<u8>,
        pub fee: u64,
        pub sender_wallet: &'a str,
        pub kind: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub intended_recipients: Option<Vec<&'a str>>,
        pub inputs: Vec<InputEntry<'a>>,
    }

    /// An input and the truth of its ring.
    #[derive(Serialize)]
    pub struct InputEntry<'a> {
        pub input_index: usize,
        pub key_image: Hex<'a>,
        pub amount: u64,
        pub key_offsets: &'a [u64],
        pub ring: &'a [u64],
        pub ring_size: usize,
        pub true_index: usize,
        pub true_global_index: u64,
        pub true_source_txid: Hex<'a>,
        pub true_source_output_index: u32,
        pub true_source_output_key: Hex<'a>,
        pub true_source_block_height: u32,
        pub true_amount: u64,
        pub spender_wallet: &'a str,
    }

    /// An output, without `spent`.
    #[derive(Serialize)]
    pub struct OutputEntry<'a> {
        pub output_index: usize,
        pub index_amount: u64,
        pub global_index: u64,
        pub output_key: Hex<'a>,
        pub cleartext_amount: u64,
        pub receiver_wallet: Option<&'a str>,
        pub receiver_subaddr_minor: Option<u32>,
        pub amount: Option<u64>,
        pub dummy_output: bool,
        pub receiver_is_sender: bool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denominations_are_1_2_5_and_sum_up() {
        let d = denominations(17_590_000_000_000);
        assert_eq!(d.iter().sum::<u64>(), 17_590_000_000_000);
        assert!(d.iter().all(|&x| {
            let mut m = x;
            while m % 10 == 0 {
                m /= 10;
            }
            matches!(m, 1 | 2 | 5)
        }));
        assert_eq!(two_digits(123_456 * EARLY_UNIT), 120_000 * EARLY_UNIT);
        assert_eq!(two_digits(7 * EARLY_UNIT + 5), 7 * EARLY_UNIT);
    }

    #[test]
    fn fees_grow_with_inputs_and_outputs() {
        let two = modern_fee(2, 2, 44);
        assert!(two.is_multiple_of(FEE_QUANTUM) && two > 20_000_000 && two < 100_000_000, "{two}");
        assert!(modern_fee(3, 2, 44) > two && modern_fee(2, 3, 33) > two);
    }
}
