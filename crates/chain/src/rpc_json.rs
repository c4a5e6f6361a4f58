//! JSON shaped like Bitcoin Core's `decoderawtransaction` and `getblock` (verbosity
//! 2), field for field, so users can diff chainsleuth's view against their node's.
//!
//! Fields that need chain context Core has and a lone transaction lacks (fees,
//! confirmations, chainwork, median time) are left out. chainsleuth adds, beside
//! Core's fields: `p2pkh_address` on P2PK outputs and `multisig` on bare multisig.

use crate::address;
use crate::block::{BlockInfo, decode_block};
use crate::error::DecodeError;
use crate::hash::{BlockHash, MerkleRoot, Txid};
use crate::network::Network;
use crate::script::{Destination, classify, to_asm};
use crate::tx::{Transaction, TxInfo, TxVisitor};
use serde::Serialize;
use serde_json::value::RawValue;

/// An amount printed in BTC with 8 decimals, as Core's `ValueFromAmount` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Btc(pub u64);

impl Serialize for Btc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = format!("{}.{:08}", self.0 / 100_000_000, self.0 % 100_000_000);
        let raw = RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// A `scriptPubKey` object.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptPubKeyJson {
    /// Core's asm rendering.
    pub asm: String,
    /// The inferred output descriptor with checksum.
    pub desc: String,
    /// The script in hex.
    pub hex: String,
    /// The address, where Core shows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Core's type name.
    #[serde(rename = "type")]
    pub script_type: &'static str,
    /// For P2PK outputs: the P2PKH address of the key (a chainsleuth addition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p2pkh_address: Option<String>,
    /// For bare multisig: m, n and the keys (a chainsleuth addition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multisig: Option<MultisigJson>,
}

/// A bare multisig template.
#[derive(Debug, Clone, Serialize)]
pub struct MultisigJson {
    /// Signatures required.
    pub m: u8,
    /// Number of keys.
    pub n: u8,
    /// The keys in hex.
    pub pubkeys: Vec<String>,
}

/// A `scriptSig` object.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptSigJson {
    /// Core's asm rendering with sighash decoding.
    pub asm: String,
    /// The script in hex.
    pub hex: String,
}

/// One entry of `vin`.
#[derive(Debug, Clone, Serialize)]
pub struct VinJson {
    /// The coinbase scriptSig in hex (coinbase inputs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coinbase: Option<String>,
    /// Spent txid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txid: Option<Txid>,
    /// Spent output index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vout: Option<u32>,
    /// The scriptSig.
    #[serde(rename = "scriptSig", skip_serializing_if = "Option::is_none")]
    pub script_sig: Option<ScriptSigJson>,
    /// Witness items in hex, when the transaction has witness data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txinwitness: Option<Vec<String>>,
    /// nSequence.
    pub sequence: u32,
}

/// One entry of `vout`.
#[derive(Debug, Clone, Serialize)]
pub struct VoutJson {
    /// Value in BTC.
    pub value: Btc,
    /// Output index.
    pub n: usize,
    /// The output script.
    #[serde(rename = "scriptPubKey")]
    pub script_pub_key: ScriptPubKeyJson,
}

/// A transaction as `decoderawtransaction` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct TxJson {
    /// Txid.
    pub txid: Txid,
    /// Wtxid (Core calls it `hash`).
    pub hash: String,
    /// nVersion.
    pub version: u32,
    /// Serialized size.
    pub size: usize,
    /// Virtual size.
    pub vsize: usize,
    /// Weight.
    pub weight: usize,
    /// nLockTime.
    pub locktime: u32,
    /// Inputs.
    pub vin: Vec<VinJson>,
    /// Outputs.
    pub vout: Vec<VoutJson>,
    /// The raw transaction (inside `getblock` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
}

/// A block as `getblock <hash> 2` prints it, less chain-dependent fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockJson {
    /// Block hash.
    pub hash: BlockHash,
    /// nVersion.
    pub version: u32,
    /// nVersion in hex.
    pub version_hex: String,
    /// Merkle root.
    pub merkleroot: MerkleRoot,
    /// Block time.
    pub time: u32,
    /// Nonce.
    pub nonce: u32,
    /// nBits in hex.
    pub bits: String,
    /// The target nBits encodes, in hex.
    pub target: String,
    /// Difficulty.
    pub difficulty: f64,
    /// Number of transactions.
    #[serde(rename = "nTx")]
    pub n_tx: usize,
    /// Previous block hash (absent for a genesis block).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previousblockhash: Option<BlockHash>,
    /// Size without witness data.
    pub strippedsize: usize,
    /// Serialized size.
    pub size: usize,
    /// Weight.
    pub weight: usize,
    /// Transactions.
    pub tx: Vec<TxJson>,
}

/// The `scriptPubKey` object of an output script.
pub fn script_pubkey_json(script: &[u8], network: Network) -> ScriptPubKeyJson {
    let destination = classify(script);
    let (p2pkh_address, multisig) = match destination {
        Destination::PubKey(key) => (Some(address::p2pkh_of_pubkey(key, network)), None),
        Destination::Multisig(ms) => (
            None,
            Some(MultisigJson { m: ms.required, n: ms.key_count, pubkeys: ms.keys().map(hex::encode).collect() }),
        ),
        _ => (None, None),
    };
    let address = address::encode(&destination, network);
    ScriptPubKeyJson {
        asm: to_asm(script, false),
        desc: descriptor(script, &destination, address.as_deref()),
        hex: hex::encode(script),
        address,
        script_type: destination.class().core_name(),
        p2pkh_address,
        multisig,
    }
}

/// A decoded transaction as `decoderawtransaction` prints it.
pub fn tx_json(tx: &Transaction<'_>, network: Network) -> TxJson {
    let coinbase = tx.is_coinbase();
    let vin = tx
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let txinwitness =
                tx.witnesses.get(i).filter(|w| !w.is_empty()).map(|w| w.iter().map(hex::encode).collect());
            if coinbase {
                VinJson {
                    coinbase: Some(hex::encode(input.script_sig)),
                    txid: None,
                    vout: None,
                    script_sig: None,
                    txinwitness,
                    sequence: input.sequence,
                }
            } else {
                VinJson {
                    coinbase: None,
                    txid: Some(input.prev_txid()),
                    vout: Some(input.prev_vout),
                    script_sig: Some(ScriptSigJson {
                        asm: to_asm(input.script_sig, true),
                        hex: hex::encode(input.script_sig),
                    }),
                    txinwitness,
                    sequence: input.sequence,
                }
            }
        })
        .collect();
    let vout = tx
        .outputs
        .iter()
        .enumerate()
        .map(|(n, output)| VoutJson {
            value: Btc(output.value),
            n,
            script_pub_key: script_pubkey_json(output.script_pubkey, network),
        })
        .collect();
    let info = &tx.info;
    TxJson {
        txid: info.txid,
        hash: info.wtxid().to_string(),
        version: info.version,
        size: info.size(),
        vsize: info.vsize(),
        weight: info.weight(),
        locktime: info.lock_time,
        vin,
        vout,
        hex: None,
    }
}

/// A block as `getblock <hash> 2` prints it (without chain-dependent fields).
///
/// # Errors
/// When the block does not decode.
pub fn block_json(data: &[u8], network: Network) -> Result<BlockJson, DecodeError> {
    struct Offsets(Vec<usize>);
    impl TxVisitor<'_> for Offsets {
        fn tx_end(&mut self, _: usize, tx: &TxInfo<'_>) {
            self.0.push(tx.offset);
        }
    }
    let mut offsets = Offsets(Vec::new());
    let info: BlockInfo = decode_block(data, &mut offsets)?;
    let tx = offsets
        .0
        .iter()
        .enumerate()
        .map(|(i, &offset)| {
            let tx = Transaction::decode_at(data, offset, i)?;
            Ok(TxJson { hex: Some(hex::encode(tx.info.bytes)), ..tx_json(&tx, network) })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    let h = info.header;
    Ok(BlockJson {
        hash: h.hash,
        version: h.version,
        version_hex: format!("{:08x}", h.version),
        merkleroot: h.merkle_root,
        time: h.time,
        nonce: h.nonce,
        bits: format!("{:08x}", h.bits),
        target: hex::encode(h.target().to_be_bytes()),
        difficulty: h.difficulty(),
        n_tx: info.tx_count,
        previousblockhash: (!h.prev_hash.is_all_zeros()).then_some(h.prev_hash),
        strippedsize: info.stripped_size,
        size: info.size,
        weight: info.weight,
        tx,
    })
}

/// The descriptor Bitcoin Core's `InferDescriptor` gives a script without wallet
/// knowledge: `pk()` and `multi()` where the keys allow, `addr()` where the script
/// has an address, `raw()` otherwise; with its checksum.
fn descriptor(script: &[u8], destination: &Destination<'_>, address: Option<&str>) -> String {
    let non_hybrid = |key: &[u8]| matches!(key.first(), Some(2..=4));
    let body = match destination {
        Destination::PubKey(key) if non_hybrid(key) => format!("pk({})", hex::encode(key)),
        Destination::Multisig(ms) if ms.keys().all(non_hybrid) => {
            let keys: Vec<String> = ms.keys().map(hex::encode).collect();
            format!("multi({},{})", ms.required, keys.join(","))
        }
        _ => match address {
            Some(address) => format!("addr({address})"),
            None => format!("raw({})", hex::encode(script)),
        },
    };
    with_checksum(&body)
}

/// Appends the BIP 380 descriptor checksum.
fn with_checksum(descriptor: &str) -> String {
    const INPUT_CHARSET: &[u8] =
        b"0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
    const CHECKSUM_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    fn polymod(c: u64, value: u64) -> u64 {
        const GENERATOR: [u64; 5] = [0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a, 0x644d626ffd];
        let top = c >> 35;
        let mut c = ((c & 0x7_ffff_ffff) << 5) ^ value;
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                c ^= g;
            }
        }
        c
    }
    let mut c = 1u64;
    let (mut class, mut class_count) = (0u64, 0);
    for ch in descriptor.bytes() {
        // Every character chainsleuth writes (hex, base58, bech32, punctuation) is in the set.
        let Some(pos) = INPUT_CHARSET.iter().position(|&x| x == ch) else { return descriptor.to_owned() };
        let pos = pos as u64;
        c = polymod(c, pos & 31);
        class = class * 3 + (pos >> 5);
        class_count += 1;
        if class_count == 3 {
            c = polymod(c, class);
            class = 0;
            class_count = 0;
        }
    }
    if class_count > 0 {
        c = polymod(c, class);
    }
    for _ in 0..8 {
        c = polymod(c, 0);
    }
    c ^= 1;
    let checksum: String = (0..8).map(|j| char::from(CHECKSUM_CHARSET[((c >> (5 * (7 - j))) & 31) as usize])).collect();
    format!("{descriptor}#{checksum}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_checksum_matches_core() {
        assert_eq!(
            with_checksum("addr(tb1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqaqh7jw)"),
            "addr(tb1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqaqh7jw)#gtc05zpf"
        );
    }

    #[test]
    fn btc_has_eight_decimals() {
        assert_eq!(serde_json::to_string(&Btc(0)).unwrap(), "0.00000000");
        assert_eq!(serde_json::to_string(&Btc(499_696_096)).unwrap(), "4.99696096");
    }
}
