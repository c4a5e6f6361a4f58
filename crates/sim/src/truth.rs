//! Streaming ground_truth.json in the schema of the regtest fixture
//! (fixtures/regtest/small/README.md), so one evaluator reads both; or, for
//! chains of tens of millions of transactions, a compact truth (owners and
//! kinds only, zstd-compressed JSON lines), or none.
//!
//! Transactions are written as their blocks are finished and wallets at the end,
//! with addresses derived again from the seed, so memory does not grow with the
//! chain. JSON key order is free, so `transactions` comes first. What differs from
//! the fixture, and the compact format, are in docs/simulator.md.

use crate::keys::{AddrType, Keys};
use crate::wallet::Wallet;
use chain::{BlockHash, Network, Txid};
use serde_json::{Value, json};

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What the truth says about one main-chain transaction.
#[derive(Debug, Clone)]
pub struct TxRecord {
    /// The txid.
    pub txid: Txid,
    /// Its kind (`payment`, `deposit`, `coinjoin_whirlpool`, ...).
    pub kind: &'static str,
    /// Wallets the scenario says took part.
    pub actors: Vec<u32>,
    /// Wallets whose coins it spends.
    pub input_wallets: Vec<u32>,
    /// Wallets it pays.
    pub output_wallets: Vec<u32>,
    /// Fee in satoshis (`None` for coinbases).
    pub fee: Option<u64>,
    /// Virtual size.
    pub vsize: usize,
    /// Kind-specific facts.
    pub meta: serde_json::Map<String, Value>,
}

/// One entry of `transactions`, serialized straight from borrowed data.
#[derive(serde::Serialize)]
struct TxEntry<'a> {
    kind: &'a str,
    block_hash: &'a BlockHash,
    height: u32,
    index_in_block: usize,
    actors: Names<'a>,
    input_wallets: Names<'a>,
    output_wallets: Names<'a>,
    fee_sats: Option<u64>,
    vsize: usize,
    meta: &'a serde_json::Map<String, Value>,
}

/// Wallet ids serialized as their names.
struct Names<'a>(&'a [u32], &'a [String]);

impl serde::Serialize for Names<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|&id| self.1.get(id as usize).map_or("", String::as_str)))
    }
}

/// How the file opens: its schema version, then the `transactions` object.
const OPENING: &[u8] = b"{\n\"schema_version\": 1,\n\"transactions\": {";

/// How much ground truth a simulation writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TruthLevel {
    /// ground_truth.json: every transaction with its actors, fee and facts, every
    /// wallet with its addresses (about 700 bytes per transaction).
    #[default]
    Full,
    /// ground_truth.compact.jsonl.zst: each block's transaction kinds and each
    /// address's owner, as zstd-compressed JSON lines.
    Compact,
    /// No truth file (scale runs).
    None,
}

impl TruthLevel {
    /// The file it writes in the output directory, if any.
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Self::Full => Some("ground_truth.json"),
            Self::Compact => Some("ground_truth.compact.jsonl.zst"),
            Self::None => None,
        }
    }
}

impl std::str::FromStr for TruthLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "full" => Ok(Self::Full),
            "compact" => Ok(Self::Compact),
            "none" => Ok(Self::None),
            other => Err(format!("truth {other:?} is not full, compact or none")),
        }
    }
}

/// zstd's level for the compact truth: fast enough to keep up with the
/// simulator, most of the gain of higher levels on this text.
const COMPACT_ZSTD_LEVEL: i32 = 3;

/// Where the truth goes.
enum Output {
    /// ground_truth.json, and whether no transaction has been written yet.
    Full { out: BufWriter<File>, first: bool },
    /// The compact truth, and the block whose kinds are being gathered.
    Compact { out: zstd::Encoder<'static, BufWriter<File>>, height: Option<u32>, kinds: Vec<&'static str> },
    /// Nowhere.
    None,
}

/// Writes the ground truth as the simulation goes.
pub struct TruthWriter {
    output: Output,
}

impl TruthWriter {
    /// Creates `dir`'s truth file of `level` (none for [`TruthLevel::None`]) and
    /// writes its opening.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn create(dir: &Path, level: TruthLevel) -> io::Result<Self> {
        let open = |name: &str| File::create(dir.join(name)).map(|f| BufWriter::with_capacity(1 << 20, f));
        let output = match level {
            TruthLevel::Full => {
                let mut out = open("ground_truth.json")?;
                out.write_all(OPENING)?;
                Output::Full { out, first: true }
            }
            TruthLevel::Compact => {
                let mut out = zstd::Encoder::new(open("ground_truth.compact.jsonl.zst")?, COMPACT_ZSTD_LEVEL)?;
                let header = json!({"schema": "chainsleuth-compact-truth", "version": 1, "network": "regtest"});
                serde_json::to_writer(&mut out, &header)?;
                out.write_all(b"\n")?;
                Output::Compact { out, height: None, kinds: Vec::new() }
            }
            TruthLevel::None => Output::None,
        };
        Ok(Self { output })
    }

    /// Appends one main-chain transaction; `names` are the wallet names by id.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn transaction(
        &mut self,
        r: &TxRecord,
        block_hash: &BlockHash,
        height: u32,
        index: usize,
        names: &[String],
    ) -> io::Result<()> {
        match &mut self.output {
            Output::Full { out, first } => {
                let entry = TxEntry {
                    kind: r.kind,
                    block_hash,
                    height,
                    index_in_block: index,
                    actors: Names(&r.actors, names),
                    input_wallets: Names(&r.input_wallets, names),
                    output_wallets: Names(&r.output_wallets, names),
                    fee_sats: r.fee,
                    vsize: r.vsize,
                    meta: &r.meta,
                };
                if !*first {
                    out.write_all(b",")?;
                }
                *first = false;
                write!(out, "\n\"{}\": ", r.txid)?;
                serde_json::to_writer(out, &entry)?;
            }
            Output::Compact { out, height: at, kinds } => {
                if *at != Some(height) {
                    write_kinds(out, *at, kinds)?;
                    *at = Some(height);
                }
                kinds.push(r.kind);
            }
            Output::None => {}
        }
        Ok(())
    }

    /// Closes `transactions`, writes the other sections, then the wallets with
    /// every address derived again from the seed.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn finish(self, sections: serde_json::Map<String, Value>, wallets: &[Wallet], keys: &Keys) -> io::Result<()> {
        match self.output {
            Output::Full { out, .. } => finish_full(out, &sections, wallets, keys),
            Output::Compact { mut out, height, mut kinds } => {
                write_kinds(&mut out, height, &mut kinds)?;
                for (key, value) in &sections {
                    serde_json::to_writer(&mut out, &json!({"section": key, "value": value}))?;
                    out.write_all(b"\n")?;
                }
                for (n, wallet) in wallets.iter().enumerate() {
                    let header = json!({"wallet": n, "name": wallet.name, "role": wallet.role.name()});
                    serde_json::to_writer(&mut out, &header)?;
                    out.write_all(b"\n")?;
                    each_address(wallet, keys, |index, address, script| {
                        let subject = address.unwrap_or_else(|| format!("script:{}", hex_encode(script)));
                        serde_json::to_writer(&mut out, &json!([subject, n, wallet.is_internal(index)]))?;
                        out.write_all(b"\n")
                    })?;
                }
                let file = out.finish()?.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()
            }
            Output::None => Ok(()),
        }
    }
}

/// The compact truth's line of one block's transaction kinds, in block order.
fn write_kinds(out: &mut impl Write, height: Option<u32>, kinds: &mut Vec<&'static str>) -> io::Result<()> {
    if let Some(height) = height {
        serde_json::to_writer(&mut *out, &json!({"block": height, "kinds": kinds}))?;
        out.write_all(b"\n")?;
    }
    kinds.clear();
    Ok(())
}

/// Each address of `wallet`, derived again from the seed: its index, its
/// address (`None` for a script without one) and its script.
fn each_address(
    wallet: &Wallet,
    keys: &Keys,
    mut visit: impl FnMut(u32, Option<String>, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut script = Vec::new();
    for index in 0..wallet.address_count() {
        script.clear();
        match wallet.address_type(index) {
            AddrType::External => script.extend_from_slice(wallet.external_script(index).unwrap_or(&[])),
            ty => keys.script_into(&mut script, ty, wallet.id, index),
        }
        visit(index, chain::address::of_script(&script, Network::Regtest), &script)?;
    }
    Ok(())
}

/// Closes ground_truth.json's `transactions`, writes the other sections, then
/// the wallets with their addresses.
fn finish_full(
    mut out: BufWriter<File>,
    sections: &serde_json::Map<String, Value>,
    wallets: &[Wallet],
    keys: &Keys,
) -> io::Result<()> {
    out.write_all(b"\n}")?;
    for (key, value) in sections {
        write!(out, ",\n{}: ", Value::String(key.clone()))?;
        serde_json::to_writer(&mut out, value)?;
    }
    out.write_all(b",\n\"wallets\": {")?;
    for (n, wallet) in wallets.iter().enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        let header = json!({
            "role": wallet.role.name(),
            "preferred_address_type": wallet.receive_type.truth_name(),
            "change_address_type": wallet.change_type.truth_name(),
            "descriptors": [],
        });
        write!(out, "\n{}: ", Value::String(wallet.name.clone()))?;
        let header = serde_json::to_string(&header)?;
        // Reopen the object to stream its addresses.
        out.write_all(&header.as_bytes()[..header.len() - 1])?;
        out.write_all(b",\"addresses\": [")?;
        each_address(wallet, keys, |index, address, script| {
            let scripted = address.is_none();
            let mut entry = json!({
                "address": address,
                "type": wallet.address_type(index).truth_name(),
                "internal": wallet.is_internal(index),
                "index": index,
                "seen_on_chain": wallet.is_seen(index),
            });
            if scripted {
                entry["script_hex"] = Value::String(hex_encode(script));
            }
            if index > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\n ")?;
            serde_json::to_writer(&mut out, &entry)?;
            Ok(())
        })?;
        out.write_all(b"]}")?;
    }
    out.write_all(b"\n}\n}\n")?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
