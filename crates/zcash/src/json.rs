//! JSON shaped like zcashd's `decoderawtransaction` and `getblock <hash> 2`.
//! Fields zcashd takes from its chain state (confirmations, chainwork, the pools'
//! running totals) are left out; `valuePools` carries each pool's delta in this
//! block.

use crate::block::Block;
use crate::header::display_hex;
use crate::pools::{Pool, block_deltas, crossings};
use crate::tx::Transaction;
use chain::Network;
use chain::address;
use chain::script::{Destination, classify, to_asm};
use serde_json::{Value, json};

/// An amount in ZEC printed with 8 decimals, as zcashd's `ValueFromAmount` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zec(pub i64);

impl serde::Serialize for Zec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sign = if self.0 < 0 { "-" } else { "" };
        let zat = self.0.unsigned_abs();
        let text = format!("{sign}{}.{:08}", zat / 100_000_000, zat % 100_000_000);
        let raw = serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

fn zec(zat: i64) -> Zec {
    Zec(zat)
}

fn script_pubkey(script: &[u8], network: Network) -> Value {
    let destination = classify(script);
    let kind = match destination {
        Destination::PubKey(_) => "pubkey",
        Destination::PubKeyHash(_) => "pubkeyhash",
        Destination::ScriptHash(_) => "scripthash",
        Destination::Multisig(_) => "multisig",
        Destination::NullData(_) => "nulldata",
        _ => "nonstandard",
    };
    let mut v = json!({"asm": to_asm(script, false), "hex": hex::encode(script)});
    // zcashd names a bare key by its P2PKH address.
    let named = match destination {
        Destination::PubKey(key) => Some(address::p2pkh_of_pubkey(key, network)),
        _ => address::encode(&destination, network),
    };
    if let Some(a) = named {
        v["reqSigs"] = json!(1);
        v["type"] = json!(kind);
        v["addresses"] = json!([a]);
    } else {
        v["type"] = json!(kind);
    }
    v
}

fn hex32(h: &[u8; 32]) -> String {
    display_hex(h)
}

/// A transaction as zcashd's `decoderawtransaction` shows it.
pub fn tx_json(tx: &Transaction<'_>, network: Network) -> Value {
    let vin = inputs_json(tx);
    let vout = outputs_json(tx, network);
    let vjoinsplit = joinsplits_json(tx);
    let mut v = json!({
        "txid": tx.txid_hex(),
        "size": tx.size(),
        "overwintered": tx.overwintered,
        "version": tx.version,
    });
    if let Some(g) = tx.version_group_id {
        v["versiongroupid"] = json!(format!("{g:08x}"));
    }
    if let Some(b) = tx.consensus_branch_id {
        v["consensusbranchid"] = json!(format!("{b:08x}"));
    }
    v["locktime"] = json!(tx.lock_time);
    if let Some(e) = tx.expiry_height {
        v["expiryheight"] = json!(e);
    }
    v["vin"] = json!(vin);
    v["vout"] = json!(vout);
    v["vjoinsplit"] = json!(vjoinsplit);
    if tx.version >= 4 {
        add_sapling(&mut v, tx);
    }
    if let Some((key, sig)) = tx.joinsplit_sig {
        v["joinSplitPubKey"] = json!(hex32(key));
        v["joinSplitSig"] = json!(hex::encode(sig));
    }
    if tx.version >= 5 {
        v["orchard"] = orchard_json(tx);
    }
    v["poolCrossings"] = json!(pool_crossings_json(tx));
    v
}

/// The transparent inputs (`vin`).
fn inputs_json(tx: &Transaction<'_>) -> Vec<Value> {
    tx.inputs
        .iter()
        .map(|i| {
            if i.is_coinbase() {
                json!({"coinbase": hex::encode(i.script_sig), "sequence": i.sequence})
            } else {
                json!({
                    "txid": hex32(i.prev_txid),
                    "vout": i.prev_vout,
                    "scriptSig": {"asm": to_asm(i.script_sig, true), "hex": hex::encode(i.script_sig)},
                    "sequence": i.sequence,
                })
            }
        })
        .collect()
}

/// The transparent outputs (`vout`).
fn outputs_json(tx: &Transaction<'_>, network: Network) -> Vec<Value> {
    tx.outputs
        .iter()
        .enumerate()
        .map(|(n, o)| {
            json!({"value": zec(o.value as i64), "valueZat": o.value, "n": n,
                   "scriptPubKey": script_pubkey(o.script_pubkey, network)})
        })
        .collect()
}

/// The Sprout joinsplits (`vjoinsplit`).
fn joinsplits_json(tx: &Transaction<'_>) -> Vec<Value> {
    tx.joinsplits
        .iter()
        .map(|js| {
            json!({
                "vpub_old": zec(js.vpub_old() as i64), "vpub_oldZat": js.vpub_old(),
                "vpub_new": zec(js.vpub_new() as i64), "vpub_newZat": js.vpub_new(),
                "anchor": hex32(js.anchor()),
                "nullifiers": js.nullifiers().map(hex32),
                "commitments": js.commitments().map(hex32),
                "onetimePubKey": hex32(js.ephemeral_key()),
                "randomSeed": hex32(js.random_seed()),
                "macs": js.macs().map(hex32),
                "proof": hex::encode(js.proof()),
                "ciphertexts": js.ciphertexts().map(hex::encode),
            })
        })
        .collect()
}

/// Adds the Sapling fields of a v4+ transaction to `v`: value balance, spends,
/// outputs and (when it has a Sapling bundle) the binding signature.
fn add_sapling(v: &mut Value, tx: &Transaction<'_>) {
    let s = tx.sapling.as_ref();
    let balance = s.map_or(0, |s| s.value_balance);
    v["valueBalance"] = json!(zec(balance));
    v["valueBalanceZat"] = json!(balance);
    v["vShieldedSpend"] = json!(
        s.map(|s| {
            s.spends
                .iter()
                .map(|sp| {
                    json!({"cv": hex32(sp.cv), "anchor": hex32(sp.anchor), "nullifier": hex32(sp.nullifier),
                "rk": hex32(sp.rk), "proof": hex::encode(sp.proof), "spendAuthSig": hex::encode(sp.spend_auth_sig)})
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    );
    v["vShieldedOutput"] = json!(
        s.map(|s| s
            .outputs
            .iter()
            .map(|o| json!({"cv": hex32(o.cv), "cmu": hex32(o.cmu), "ephemeralKey": hex32(o.ephemeral_key),
                "encCiphertext": hex::encode(o.enc_ciphertext), "outCiphertext": hex::encode(o.out_ciphertext),
                "proof": hex::encode(o.proof)}))
            .collect::<Vec<_>>())
            .unwrap_or_default()
    );
    if let Some(s) = s {
        v["bindingSig"] = json!(hex::encode(s.binding_sig));
    }
}

/// The Orchard bundle of a v5 transaction (an empty one when it has none).
fn orchard_json(tx: &Transaction<'_>) -> Value {
    match &tx.orchard {
        None => json!({"actions": [], "valueBalance": zec(0), "valueBalanceZat": 0}),
        Some(o) => json!({
            "actions": o.actions.iter().map(|a| json!({
                "cv": hex32(a.cv), "nullifier": hex32(a.nullifier), "rk": hex32(a.rk), "cmx": hex32(a.cmx),
                "ephemeralKey": hex32(a.ephemeral_key), "encCiphertext": hex::encode(a.enc_ciphertext),
                "outCiphertext": hex::encode(a.out_ciphertext), "spendAuthSig": hex::encode(a.spend_auth_sig),
            })).collect::<Vec<_>>(),
            "valueBalance": zec(o.value_balance),
            "valueBalanceZat": o.value_balance,
            "flags": {"enableSpends": o.flags & 1 != 0, "enableOutputs": o.flags & 2 != 0},
            "anchor": hex32(o.anchor),
            "proof": hex::encode(o.proof),
            "bindingSig": hex::encode(o.binding_sig),
        }),
    }
}

/// The value the transaction moves into and out of each pool it crosses.
fn pool_crossings_json(tx: &Transaction<'_>) -> Vec<Value> {
    Pool::ALL
        .iter()
        .zip(crossings(tx))
        .filter(|(_, c)| !c.is_empty())
        .map(|(p, c)| json!({"pool": p.name(), "intoZat": c.into, "outOfZat": c.out_of}))
        .collect()
}

/// A block as zcashd's `getblock <hash> 2` shows it.
pub fn block_json(block: &Block<'_>, network: Network) -> Value {
    let h = &block.header;
    let deltas = block_deltas(&block.txs);
    let pools: Vec<Value> = Pool::ALL
        .iter()
        .zip(deltas)
        .map(|(p, d)| json!({"id": p.name(), "valueDelta": zec(d), "valueDeltaZat": d}))
        .collect();
    let mut v = json!({
        "hash": hex32(&h.hash),
        "size": block.size,
    });
    if let Some(height) = block.height() {
        v["height"] = json!(height);
    }
    v["version"] = json!(h.version);
    v["merkleroot"] = json!(hex32(&h.merkle_root));
    v["finalsaplingroot"] = json!(hex32(&h.commitments));
    v["tx"] = json!(block.txs.iter().map(|t| tx_json(t, network)).collect::<Vec<_>>());
    v["time"] = json!(h.time);
    v["nonce"] = json!(hex32(&h.nonce));
    v["solution"] = json!(hex::encode(h.solution));
    v["bits"] = json!(format!("{:08x}", h.bits));
    v["valuePools"] = json!(pools);
    if h.prev_block != [0; 32] {
        v["previousblockhash"] = json!(hex32(&h.prev_block));
    }
    v
}
