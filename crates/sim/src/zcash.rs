//! A Zcash economy written as zcashd writes it: blk files of v4 (Sapling)
//! transactions that our own reader ingests, with a truth file of which
//! deshielding comes from which shielding.
//!
//! Miners are paid by coinbase and shield it (as Zcash miners had to); users pay
//! each other on the transparent side, shield coins, move notes inside the pool
//! and deshield, sometimes the whole note back out (a round trip whose value
//! gives it away), sometimes part of it. Many amounts are round (1 ZEC, 0.5 ZEC),
//! so values collide as they do on the real chain. A thief steals from the
//! exchange, shields the loot in a few chunks, deshields each whole chunk some
//! blocks later to fresh addresses and deposits at the exchange to cash out.
//! Proofs, keys and ciphertexts are random bytes (nothing checks them); the
//! transparent parts and the value balances are consistent, and the pool never
//! goes negative.

use crate::SimError;
use chain::blkfile::BlkWriter;
use chain::{Network, XorKey};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::Path;
use zcash::encode::{InputParts, TxParts, block, v4_tx};

/// The block reward while Blossom's halving lasts (3.125 ZEC).
const REWARD: u64 = 312_500_000;
/// zcashd's default fee (0.0001 ZEC).
const FEE: u64 = 10_000;
/// One ZEC.
const ZEC: u64 = 100_000_000;

/// How to simulate.
#[derive(Debug, Clone)]
pub struct ZcashSimOptions {
    /// Seed of every random choice: the same options give byte-identical files.
    pub seed: u64,
    /// Blocks to write.
    pub blocks: u32,
    /// Transactions per block once the economy runs (besides the coinbase).
    pub txs_per_block: u32,
    /// User wallets (besides the miners, the exchange and the thief).
    pub users: u32,
    /// Height of the theft.
    pub theft_height: u32,
}

impl Default for ZcashSimOptions {
    fn default() -> Self {
        Self { seed: 1, blocks: 2_000, txs_per_block: 12, users: 150, theft_height: 600 }
    }
}

/// A round trip: a shielding, and the deshielding that takes its note out again.
#[derive(Debug, Clone, Serialize)]
pub struct RoundTrip {
    /// The shielding transaction.
    pub shield_txid: String,
    /// The deshielding transaction.
    pub deshield_txid: String,
    /// The pool.
    pub pool: &'static str,
    /// Zatoshis the shielding put into the pool.
    pub value_in: u64,
    /// Zatoshis the deshielding took out of the pool.
    pub value_out: u64,
    /// Whether the note came out again whole (at most a fee short), so values
    /// alone could link the two.
    pub linkable_by_value: bool,
    /// The owner deshielded to the address the shielded coin was paid to (a user
    /// keeping one address): linkable by address reuse.
    pub linkable_by_address: bool,
    /// Whose coins (`user17`, `miner2`, `thief`).
    pub owner: String,
    /// Blocks between the two.
    pub blocks_apart: u32,
}

/// The theft, for the demo and tests.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Theft {
    /// The transaction that took the coins from the exchange.
    pub txid: String,
    /// The thief's shieldings of the loot.
    pub shield_txids: Vec<String>,
    /// The thief's deshieldings.
    pub deshield_txids: Vec<String>,
    /// The deposits at the exchange that cash out.
    pub cash_out_txids: Vec<String>,
    /// The exchange's deposit address.
    pub exchange_address: String,
}

/// The truth of a simulated Zcash chain.
#[derive(Debug, Clone, Serialize)]
pub struct ZcashTruth {
    /// Format of this file.
    pub schema_version: u32,
    /// The network.
    pub network: Network,
    /// Blocks written.
    pub blocks: u32,
    /// Transactions written (coinbases included).
    pub transactions: u64,
    /// Every deshielding of a whole or partial note, with the shielding it came from.
    pub round_trips: Vec<RoundTrip>,
    /// The miners' addresses.
    pub miner_addresses: Vec<String>,
    /// The miners' shieldings of their coinbase outputs.
    pub miner_shieldings: Vec<String>,
    /// The theft.
    pub theft: Theft,
    /// Bytes of blocks written.
    pub bytes: u64,
}

/// A spendable transparent output.
#[derive(Debug, Clone)]
struct Coin {
    txid: [u8; 32],
    vout: u32,
    value: u64,
}

/// A note in the Sapling pool and the shielding it traces back to.
#[derive(Debug, Clone)]
struct Note {
    value: u64,
    shield_txid: [u8; 32],
    shield_height: u32,
    /// The value its shielding put in (a note split inside the pool keeps it).
    shield_value: u64,
    /// False once the note was split or sent inside the pool.
    whole: bool,
}

struct Economy {
    rng: ChaCha8Rng,
    bytes: ChaCha8Rng,
    /// Per owner: its P2PKH scripts (index 0 receives change).
    scripts: Vec<Vec<Vec<u8>>>,
    names: Vec<String>,
    /// Per owner: its spendable coins.
    coins: Vec<Vec<Coin>>,
    /// Per owner: its notes.
    notes: Vec<Vec<Note>>,
    round_trips: Vec<RoundTrip>,
    miner_shieldings: Vec<String>,
    theft: Theft,
    height: u32,
    block_txs: Vec<Vec<u8>>,
    block_txids: Vec<[u8; 32]>,
    fees: u64,
    pool: i64,
}

const MINERS: usize = 4;
const EXCHANGE: usize = MINERS;
const THIEF: usize = MINERS + 1;
const FIRST_USER: usize = MINERS + 2;

impl Economy {
    fn new_script(&mut self) -> Vec<u8> {
        let mut hash = [0u8; 20];
        self.bytes.fill_bytes(&mut hash);
        [&[0x76, 0xa9, 0x14][..], &hash, &[0x88, 0xac]].concat()
    }

    /// An amount: often round (1, 0.5, 0.1 ZEC multiples), else any zatoshis.
    fn amount(&mut self, max: u64) -> u64 {
        let r: f64 = self.rng.random();
        let v = if r < 0.35 {
            let unit = [ZEC, ZEC / 2, ZEC / 10][self.rng.random_range(0..3)];
            unit * self.rng.random_range(1..=10)
        } else {
            (ZEC as f64 * (self.rng.random::<f64>() * 4.0 - 2.0).exp()) as u64
        };
        v.clamp(FEE * 2, max)
    }

    fn emit(&mut self, parts: &TxParts) -> [u8; 32] {
        let bytes = &mut self.bytes;
        let raw = v4_tx(parts, &mut |b: &mut [u8]| bytes.fill_bytes(b));
        let txid = zcash::header::dsha256(&raw);
        self.pool -= parts.value_balance;
        self.block_txs.push(raw);
        self.block_txids.push(txid);
        txid
    }

    fn input(&self, coin: &Coin) -> InputParts {
        // A signature-sized push and a key push; nothing checks them.
        let mut script_sig = vec![0x47];
        script_sig.extend(std::iter::repeat_n(0x30, 0x47));
        script_sig.push(0x21);
        script_sig.extend(std::iter::repeat_n(0x02, 0x21));
        InputParts { txid: coin.txid, vout: coin.vout, script_sig }
    }

    fn take_coin(&mut self, owner: usize) -> Option<Coin> {
        // A few random draws (dust is left alone): constant time however many coins.
        for _ in 0..8 {
            let n = self.coins[owner].len();
            if n == 0 {
                return None;
            }
            let i = self.rng.random_range(0..n);
            if self.coins[owner][i].value > 4 * FEE {
                return Some(self.coins[owner].swap_remove(i));
            }
        }
        None
    }

    fn pay_to(&mut self, owner: usize, txid: [u8; 32], vout: u32, value: u64) {
        self.coins[owner].push(Coin { txid, vout, value });
    }

    /// A quarter of the users keep one transparent address for everything, as
    /// simple wallets do: they deshield to the address they shielded from.
    fn careless(owner: usize) -> bool {
        owner >= FIRST_USER && (owner - FIRST_USER).is_multiple_of(4)
    }

    fn script_of(&mut self, owner: usize, fresh: bool) -> Vec<u8> {
        if Self::careless(owner) && !self.scripts[owner].is_empty() {
            return self.scripts[owner][0].clone();
        }
        if fresh || self.scripts[owner].is_empty() {
            let s = self.new_script();
            self.scripts[owner].push(s);
        }
        let n = self.scripts[owner].len();
        let pick = if fresh { n - 1 } else { self.rng.random_range(0..n) };
        self.scripts[owner][pick].clone()
    }

    fn payment(&mut self, from: usize, to: usize, amount: Option<u64>) -> Option<[u8; 32]> {
        let coin = self.take_coin(from)?;
        let value = amount.unwrap_or_else(|| self.amount(coin.value - 2 * FEE)).min(coin.value - 2 * FEE);
        let change = coin.value - value - FEE;
        // Payments to the exchange go to its deposit address.
        let to_script = if to == EXCHANGE { self.scripts[EXCHANGE][0].clone() } else { self.script_of(to, false) };
        let change_script = self.script_of(from, true);
        let parts = TxParts {
            inputs: vec![self.input(&coin)],
            outputs: vec![(value, to_script), (change, change_script)],
            expiry_height: self.height + 40,
            ..TxParts::default()
        };
        let txid = self.emit(&parts);
        self.fees += FEE;
        self.pay_to(to, txid, 0, value);
        self.pay_to(from, txid, 1, change);
        Some(txid)
    }

    /// Shields a whole coin (less the fee) into one note.
    fn shield(&mut self, owner: usize) -> Option<[u8; 32]> {
        let coin = self.take_coin(owner)?;
        let value = coin.value - FEE;
        let parts = TxParts {
            inputs: vec![self.input(&coin)],
            sapling_outputs: 2, // the note and a dummy, as wallets pad
            value_balance: -(value as i64),
            expiry_height: self.height + 40,
            ..TxParts::default()
        };
        let txid = self.emit(&parts);
        self.fees += FEE;
        self.notes[owner].push(Note {
            value,
            shield_txid: txid,
            shield_height: self.height,
            shield_value: value,
            whole: true,
        });
        Some(txid)
    }

    /// Deshields a note of `owner` made at least `min_age` blocks ago: whole to a
    /// fresh address (or `to`), or part of it, keeping the rest shielded.
    fn deshield(&mut self, owner: usize, whole: bool, to: Option<usize>, min_age: u32) -> Option<[u8; 32]> {
        let mine = &self.notes[owner];
        let candidates: Vec<usize> =
            (0..mine.len()).filter(|&i| mine[i].shield_height + min_age <= self.height).collect();
        if candidates.is_empty() {
            return None;
        }
        let note = self.notes[owner].swap_remove(candidates[self.rng.random_range(0..candidates.len())]);
        let out = if whole || note.value < 10 * FEE { note.value } else { self.amount(note.value - 2 * FEE) + FEE };
        let recipient = to.unwrap_or(owner);
        let script = self.script_of(recipient, true);
        let left = note.value - out;
        let parts = TxParts {
            outputs: vec![(out - FEE, script)],
            sapling_spends: 1,
            sapling_outputs: if left > 0 { 1 } else { 0 },
            value_balance: out as i64,
            expiry_height: self.height + 40,
            ..TxParts::default()
        };
        let txid = self.emit(&parts);
        self.fees += FEE;
        self.pay_to(recipient, txid, 0, out - FEE);
        if left > 0 {
            self.notes[owner].push(Note { value: left, whole: false, ..note.clone() });
        }
        self.round_trips.push(RoundTrip {
            shield_txid: zcash::header::display_hex(&note.shield_txid),
            deshield_txid: zcash::header::display_hex(&txid),
            pool: "sapling",
            value_in: note.shield_value,
            value_out: out,
            linkable_by_value: note.whole && note.shield_value - out <= FEE,
            linkable_by_address: recipient == owner && Self::careless(owner),
            owner: self.names[owner].clone(),
            blocks_apart: self.height - note.shield_height,
        });
        Some(txid)
    }

    /// Sends part of a note to another user inside the pool (the fee leaves the pool).
    fn shielded_send(&mut self, owner: usize, to: usize) {
        let Some(i) = self.notes[owner].iter().position(|n| n.value > 20 * FEE) else {
            return;
        };
        let note = self.notes[owner].swap_remove(i);
        let sent = self.amount(note.value - 2 * FEE);
        let change = note.value - sent - FEE;
        let parts = TxParts {
            sapling_spends: 1,
            sapling_outputs: 2,
            value_balance: FEE as i64,
            expiry_height: self.height + 40,
            ..TxParts::default()
        };
        self.emit(&parts);
        self.fees += FEE;
        self.notes[to].push(Note { value: sent, whole: false, ..note.clone() });
        if change > 0 {
            self.notes[owner].push(Note { value: change, whole: false, ..note });
        }
    }

    fn coinbase(&mut self) {
        let miner = self.rng.random_range(0..MINERS);
        let mut script_sig = Vec::new();
        let h = self.height.to_le_bytes();
        let len = (4 - h.iter().rev().take_while(|&&b| b == 0).count()).max(1);
        let len = if h[len - 1] & 0x80 != 0 { len + 1 } else { len };
        script_sig.push(len as u8);
        script_sig.extend_from_slice(&[h[0], h[1], h[2], h[3], 0][..len]);
        script_sig.extend_from_slice(b"chainsleuth-sim");
        let script = self.scripts[miner][0].clone();
        let parts = TxParts {
            inputs: vec![InputParts { txid: [0; 32], vout: u32::MAX, script_sig }],
            outputs: vec![(REWARD + self.fees, script)],
            expiry_height: self.height + 40,
            ..TxParts::default()
        };
        let txid = self.emit(&parts);
        // The coinbase comes first in its block.
        self.block_txs.rotate_right(1);
        self.block_txids.rotate_right(1);
        self.pay_to(miner, txid, 0, REWARD + self.fees);
        self.fees = 0;
    }

    /// The economy before the first block: every owner named and given its first address.
    fn new(opts: &ZcashSimOptions) -> Self {
        let owners = FIRST_USER + opts.users as usize;
        let mut names: Vec<String> = (0..MINERS).map(|i| format!("miner{i}")).collect();
        names.push("exchange".into());
        names.push("thief".into());
        names.extend((0..opts.users).map(|i| format!("user{i:03}")));
        let mut e = Economy {
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            bytes: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5a45_4353_4843), // "ZECSHC"
            scripts: vec![Vec::new(); owners],
            names,
            coins: vec![Vec::new(); owners],
            notes: vec![Vec::new(); owners],
            round_trips: Vec::new(),
            miner_shieldings: Vec::new(),
            theft: Theft::default(),
            height: 0,
            block_txs: Vec::new(),
            block_txids: Vec::new(),
            fees: 0,
            pool: 0,
        };
        for owner in 0..owners {
            let s = e.new_script();
            e.scripts[owner].push(s);
        }
        e.theft.exchange_address =
            chain::address::of_script(&e.scripts[EXCHANGE][0], Network::ZcashRegtest).unwrap_or_default();
        e
    }

    /// One block's ordinary transactions: miners and users paying, shielding,
    /// deshielding and sending inside the pool.
    fn economy_txs(&mut self, opts: &ZcashSimOptions) {
        let n = self.rng.random_range(opts.txs_per_block / 2..=opts.txs_per_block * 3 / 2);
        for _ in 0..n {
            let user = FIRST_USER + self.rng.random_range(0..opts.users as usize);
            let other = FIRST_USER + self.rng.random_range(0..opts.users as usize);
            match self.rng.random_range(0..100) {
                // Miners shield their coinbase, then pay users from the pool.
                0..8 => {
                    let m = self.rng.random_range(0..MINERS);
                    if let Some(t) = self.shield(m) {
                        self.miner_shieldings.push(zcash::header::display_hex(&t));
                    }
                }
                8..16 => {
                    let m = self.rng.random_range(0..MINERS);
                    self.deshield(m, false, Some(other), 10);
                }
                16..20 => {
                    self.payment(EXCHANGE, user, None);
                }
                20..26 => {
                    self.payment(user, EXCHANGE, None);
                }
                26..50 => {
                    self.payment(user, other, None);
                }
                50..68 => {
                    self.shield(user);
                }
                68..80 => {
                    self.deshield(user, true, None, 3);
                }
                80..90 => {
                    self.deshield(user, false, None, 3);
                }
                _ => self.shielded_send(user, other),
            }
        }
    }

    /// The theft: the exchange's hot wallet drained into the thief's address.
    fn steal(&mut self) {
        let mut loot = Vec::new();
        while let Some(c) = self.take_coin(EXCHANGE) {
            loot.push(c);
            if loot.len() == 6 {
                break;
            }
        }
        if loot.is_empty() {
            return;
        }
        let total: u64 = loot.iter().map(|c| c.value).sum();
        let inputs = loot.iter().map(|c| self.input(c)).collect();
        // Five chunks of uneven size (each 10-30% of the loot).
        let weights: Vec<u64> = (0..5).map(|_| self.rng.random_range(10..30)).collect();
        let sum: u64 = weights.iter().sum();
        let spendable = total - FEE;
        let mut outputs: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut left = spendable;
        for (i, w) in weights.iter().enumerate() {
            let v = if i + 1 == weights.len() { left } else { spendable / sum * w };
            left -= v;
            outputs.push((v, self.script_of(THIEF, true)));
        }
        let values: Vec<u64> = outputs.iter().map(|o| o.0).collect();
        let txid = self.emit(&TxParts { inputs, outputs, expiry_height: self.height + 40, ..TxParts::default() });
        self.fees += FEE;
        for (i, v) in values.into_iter().enumerate() {
            self.pay_to(THIEF, txid, i as u32, v);
        }
        self.theft.txid = zcash::header::display_hex(&txid);
    }

    /// The thief's moves in a block after the theft: maybe shield one of five
    /// chunks, deshield a whole note, cash out at the exchange.
    fn launder(&mut self) {
        if self.theft.shield_txids.len() < 5
            && self.rng.random_range(0..20) == 0
            && let Some(t) = self.shield(THIEF)
        {
            self.theft.shield_txids.push(zcash::header::display_hex(&t));
        }
        if self.rng.random_range(0..10) == 0
            && let Some(t) = self.deshield(THIEF, true, None, 20)
        {
            self.theft.deshield_txids.push(zcash::header::display_hex(&t));
        }
        if self.rng.random_range(0..10) == 0
            && let Some(t) = self.payment(THIEF, EXCHANGE, Some(u64::MAX))
        {
            self.theft.cash_out_txids.push(zcash::header::display_hex(&t));
        }
    }

    /// Adds the coinbase and serializes the block on `prev`, its nonce meeting
    /// regtest's easy target (the Equihash solution is not checked).
    fn mine_block(&mut self, prev: [u8; 32], time: u32) -> Vec<u8> {
        self.coinbase();
        let fill_bytes = &mut self.bytes;
        let mut raw = block(prev, time, 0x200f_0f0f, &self.block_txs, &self.block_txids, 36, &mut |b: &mut [u8]| {
            fill_bytes.fill_bytes(b)
        });
        let mut nonce = 0u64;
        while !zcash::Header::decode(&raw).is_ok_and(|h| h.meets_target()) {
            nonce += 1;
            raw[108..116].copy_from_slice(&nonce.to_le_bytes());
        }
        raw
    }
}

/// What a simulation wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ZcashSimSummary {
    /// Blocks written.
    pub blocks: u32,
    /// Transactions written.
    pub transactions: u64,
    /// Round trips (whole and partial deshieldings).
    pub round_trips: usize,
    /// Bytes of blocks.
    pub bytes: u64,
    /// The Sapling pool at the tip, in zatoshis.
    pub sapling_pool: i64,
}

/// Writes a simulated Zcash regtest chain to `out/blocks` and its truth to
/// `out/ground_truth.json`.
///
/// # Errors
/// On I/O errors.
pub fn simulate_zcash(opts: &ZcashSimOptions, out: &Path) -> Result<ZcashSimSummary, SimError> {
    let blocks_dir = out.join("blocks");
    let in_blocks = |cause: std::io::Error| SimError::Io { path: blocks_dir.clone(), cause };
    std::fs::create_dir_all(&blocks_dir).map_err(in_blocks)?;
    let mut writer =
        BlkWriter::create(&blocks_dir, Network::ZcashRegtest, XorKey::default(), 128 << 20).map_err(in_blocks)?;
    let mut e = Economy::new(opts);
    let miner_addresses: Vec<String> = (0..MINERS)
        .map(|m| chain::address::of_script(&e.scripts[m][0], Network::ZcashRegtest).unwrap_or_default())
        .collect();
    let (mut prev, mut time, mut transactions, mut bytes) = ([0u8; 32], 1_700_000_000u32, 0u64, 0u64);
    for height in 0..opts.blocks {
        e.height = height;
        if height > 100 {
            e.economy_txs(opts);
        }
        if height == opts.theft_height {
            e.steal();
        }
        if height > opts.theft_height {
            e.launder();
        }
        let raw = e.mine_block(prev, time);
        prev = chain::hash::dsha256(&raw[..140 + 1 + 36]);
        writer.write_block(&raw).map_err(in_blocks)?;
        transactions += e.block_txs.len() as u64;
        bytes += raw.len() as u64;
        e.block_txs.clear();
        e.block_txids.clear();
        time += 75;
        debug_assert!(e.pool >= 0);
    }
    writer.finish().map_err(in_blocks)?;
    let truth = ZcashTruth {
        schema_version: 1,
        network: Network::ZcashRegtest,
        blocks: opts.blocks,
        transactions,
        round_trips: e.round_trips,
        miner_addresses,
        miner_shieldings: e.miner_shieldings,
        theft: e.theft,
        bytes,
    };
    write_truth(out, &truth)?;
    Ok(ZcashSimSummary {
        blocks: opts.blocks,
        transactions,
        round_trips: truth.round_trips.len(),
        bytes,
        sapling_pool: e.pool,
    })
}

/// Writes the truth to `out/ground_truth.json`.
fn write_truth(out: &Path, truth: &ZcashTruth) -> Result<(), SimError> {
    let truth_path = out.join("ground_truth.json");
    std::fs::write(&truth_path, serde_json::to_vec_pretty(truth)?)
        .map_err(|cause| SimError::Io { path: truth_path, cause })
}
