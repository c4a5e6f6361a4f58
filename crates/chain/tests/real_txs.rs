//! Every real transaction under fixtures/real/tx decodes to its recorded txid,
//! wtxid, sizes and script classes, and outputs carry the addresses Esplora shows.

mod common;

use chain::address;
use chain::script::{ScriptClass, script_class};
use chain::{Network, Transaction};
use common::*;
use std::collections::BTreeMap;

/// The fixture index's name for a script's class. Its classifier predates Core's
/// "anchor" type (it files pay-to-anchor under witness_unknown), and it counts an
/// m-of-n template as multisig whatever its 33- or 65-byte pushes hold, where Bitcoin
/// Core (and chainsleuth) call it nonstandard unless every key has a valid prefix.
fn fixture_class_name(script: &[u8]) -> &'static str {
    let loose_multisig = || {
        let ops: Vec<_> = chain::script::Instructions::new(script).collect::<Result<_, _>>().unwrap_or_default();
        let small = |op: &chain::script::Instruction<'_>| (0x51..=0x60).contains(&op.opcode);
        ops.len() >= 4
            && small(&ops[0])
            && small(&ops[ops.len() - 2])
            && ops[ops.len() - 1].opcode == 0xae
            && ops[1..ops.len() - 2].iter().all(|op| op.data.is_some_and(|d| d.len() == 33 || d.len() == 65))
    };
    match script_class(script) {
        ScriptClass::NonStandard if loose_multisig() => "bare_multisig",
        ScriptClass::NullData => "op_return",
        ScriptClass::Multisig => "bare_multisig",
        ScriptClass::Anchor => "witness_unknown",
        other => other.name(),
    }
}

#[test]
fn every_real_tx_decodes_to_its_recorded_txid() {
    let dir = fixtures().join("real/tx");
    let index = read_json(&dir.join("index.json"));
    let entries = index.as_array().unwrap();
    assert_eq!(entries.len(), 80);
    for entry in entries {
        let file = entry["file"].as_str().unwrap();
        let bytes = read_bytes(&dir.join(file));
        let tx = Transaction::decode(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(tx.info.txid.to_string(), entry["txid"].as_str().unwrap(), "{file}");
        if file.starts_with("hex/") {
            assert_eq!(tx.info.wtxid().to_string(), entry["wtxid"].as_str().unwrap(), "{file}");
            assert_eq!(tx.info.size() as u64, entry["size_bytes"].as_u64().unwrap(), "{file}");
            assert_eq!(tx.info.base_size as u64, entry["base_size_bytes"].as_u64().unwrap(), "{file}");
            assert_eq!(tx.info.has_witness, entry["segwit"].as_bool().unwrap(), "{file}");
        }
        assert_eq!(tx.inputs.len() as u64, entry["n_in"].as_u64().unwrap(), "{file}");
        assert_eq!(tx.outputs.len() as u64, entry["n_out"].as_u64().unwrap(), "{file}");
        assert_eq!(u64::from(tx.info.version), entry["version"].as_u64().unwrap(), "{file}");
        assert_eq!(u64::from(tx.info.lock_time), entry["locktime"].as_u64().unwrap(), "{file}");
        let mut classes: BTreeMap<String, u64> = BTreeMap::new();
        for out in &tx.outputs {
            *classes.entry(fixture_class_name(out.script_pubkey).to_owned()).or_default() += 1;
        }
        let expected: BTreeMap<String, u64> = entry["output_script_types"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(classes, expected, "{file}");
        // The reference decoder agrees on the txid.
        let reference: bitcoin::Transaction = bitcoin::consensus::deserialize(&bytes).unwrap();
        assert_eq!(reference.compute_txid().to_string(), tx.info.txid.to_string(), "{file}");
    }
}

/// Esplora's type names for output scripts.
fn esplora_type(class: ScriptClass) -> &'static str {
    match class {
        ScriptClass::P2pk => "p2pk",
        ScriptClass::P2pkh => "p2pkh",
        ScriptClass::P2sh => "p2sh",
        ScriptClass::P2wpkh => "v0_p2wpkh",
        ScriptClass::P2wsh => "v0_p2wsh",
        ScriptClass::P2tr => "v1_p2tr",
        ScriptClass::NullData => "op_return",
        ScriptClass::Multisig => "multisig",
        ScriptClass::Anchor => "anchor",
        ScriptClass::WitnessUnknown => "unknown",
        ScriptClass::NonStandard => "nonstandard",
    }
}

#[test]
fn addresses_and_classes_match_esplora() {
    let dir = fixtures().join("real/tx/esplora_json");
    let mut scripts = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let tx = read_json(&path);
        let prevouts = tx["vin"].as_array().unwrap().iter().filter_map(|i| i.get("prevout").filter(|p| !p.is_null()));
        for out in tx["vout"].as_array().unwrap().iter().chain(prevouts) {
            let script = hex::decode(out["scriptpubkey"].as_str().unwrap()).unwrap();
            let class = script_class(&script);
            assert_eq!(esplora_type(class), out["scriptpubkey_type"].as_str().unwrap(), "{}", path.display());
            let ours = address::of_script(&script, Network::Mainnet);
            assert_eq!(ours.as_deref(), out.get("scriptpubkey_address").and_then(|a| a.as_str()), "{}", path.display());
            scripts += 1;
        }
    }
    assert!(scripts > 700, "{scripts}");
}

#[test]
fn bare_multisig_shows_m_of_n_and_keys() {
    let dir = fixtures().join("real/tx");
    let index = read_json(&dir.join("index.json"));
    let mut seen = 0;
    for entry in index.as_array().unwrap().iter().filter(|e| e["output_script_types"].get("bare_multisig").is_some()) {
        let bytes = read_bytes(&dir.join(entry["file"].as_str().unwrap()));
        let tx = Transaction::decode(&bytes).unwrap();
        let json = serde_json::to_value(chain::rpc_json::tx_json(&tx, Network::Mainnet)).unwrap();
        for out in json["vout"].as_array().unwrap().iter().filter(|o| o["scriptPubKey"]["type"] == "multisig") {
            let ms = &out["scriptPubKey"]["multisig"];
            let (m, n) = (ms["m"].as_u64().unwrap(), ms["n"].as_u64().unwrap());
            assert!(1 <= m && m <= n && n <= 20);
            assert_eq!(ms["pubkeys"].as_array().unwrap().len() as u64, n);
            assert!(out["scriptPubKey"]["desc"].as_str().unwrap().starts_with(&format!("multi({m},")));
            seen += 1;
        }
    }
    assert!(seen >= 7, "{seen}");
}
