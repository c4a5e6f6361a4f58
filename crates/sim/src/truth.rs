//! Streaming ground_truth.json in the schema of the regtest fixture
//! (fixtures/regtest/small/README.md), so one evaluator reads both.
//!
//! Transactions are written as their blocks are finished and wallets at the end,
//! with addresses derived again from the seed, so memory does not grow with the
//! chain. JSON key order is free, so `transactions` comes first. What differs from
//! the fixture is listed in docs/simulator.md.

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

/// Writes ground_truth.json as the simulation goes.
pub struct TruthWriter {
    out: BufWriter<File>,
    first: bool,
}

impl TruthWriter {
    /// Creates the file and opens its `transactions` object.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        out.write_all(OPENING)?;
        Ok(Self { out, first: true })
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
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        write!(self.out, "\n\"{}\": ", r.txid)?;
        serde_json::to_writer(&mut self.out, &entry)?;
        Ok(())
    }

    /// Closes `transactions`, writes the other sections, then the wallets with
    /// every address derived again from the seed.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn finish(
        mut self,
        sections: serde_json::Map<String, Value>,
        wallets: &[Wallet],
        keys: &Keys,
    ) -> io::Result<()> {
        self.out.write_all(b"\n}")?;
        for (key, value) in &sections {
            write!(self.out, ",\n{}: ", Value::String(key.clone()))?;
            serde_json::to_writer(&mut self.out, value)?;
        }
        self.out.write_all(b",\n\"wallets\": {")?;
        let mut script = Vec::new();
        for (n, wallet) in wallets.iter().enumerate() {
            if n > 0 {
                self.out.write_all(b",")?;
            }
            let header = json!({
                "role": wallet.role.name(),
                "preferred_address_type": wallet.receive_type.truth_name(),
                "change_address_type": wallet.change_type.truth_name(),
                "descriptors": [],
            });
            write!(self.out, "\n{}: ", Value::String(wallet.name.clone()))?;
            let header = serde_json::to_string(&header)?;
            // Reopen the object to stream its addresses.
            self.out.write_all(&header.as_bytes()[..header.len() - 1])?;
            self.out.write_all(b",\"addresses\": [")?;
            for index in 0..wallet.address_count() {
                script.clear();
                let ty = wallet.address_type(index);
                match ty {
                    AddrType::External => script.extend_from_slice(wallet.external_script(index).unwrap_or(&[])),
                    _ => keys.script_into(&mut script, ty, wallet.id, index),
                }
                let address = chain::address::of_script(&script, Network::Regtest);
                let mut entry = json!({
                    "address": address,
                    "type": ty.truth_name(),
                    "internal": wallet.is_internal(index),
                    "index": index,
                    "seen_on_chain": wallet.is_seen(index),
                });
                if address.is_none() {
                    entry["script_hex"] = Value::String(hex_encode(&script));
                }
                if index > 0 {
                    self.out.write_all(b",")?;
                }
                self.out.write_all(b"\n ")?;
                serde_json::to_writer(&mut self.out, &entry)?;
            }
            self.out.write_all(b"]}")?;
        }
        self.out.write_all(b"\n}\n}\n")?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
