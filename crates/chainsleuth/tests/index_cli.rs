//! `ingest`, `tx`, `address`, `block`, `status`, `cluster`, `entity` and `eval` as
//! scripts call them: the JSON fields the issues name, and one-line errors.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainsleuth")).args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An index of the regtest fixture in a temporary directory.
fn indexed() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let blocks = fixtures().join("regtest/small/blocks");
    let report = json(&run(&[
        "ingest",
        "--blocks-dir",
        blocks.to_str().unwrap(),
        "--network",
        "regtest",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(report["tip"]["height"], 200);
    assert_eq!(report["counts"]["txs"], 1059);
    data
}

fn query(data: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--network", "regtest", "--data-dir", data.to_str().unwrap(), "--json"]);
    json(&run(&all))
}

#[test]
fn tx_json_has_the_contract_fields() {
    let data = indexed();
    // The theft: exchange_a's hot wallet pays the attacker.
    let tx = query(data.path(), &["tx", "4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb"]);
    assert_eq!(tx["txid"], "4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb");
    assert_eq!(tx["block_height"], 164);
    assert_eq!(tx["fee"], 13668);
    let input = &tx["inputs"][0];
    assert_eq!(input["prevout"], "64a7aa07fa93e6434ac996cc32b0d37a9f4b01a62aa0854dfdb24f85af55b15f:4");
    assert_eq!(input["value"], 14_415_283_964u64);
    assert!(input["address"].as_str().unwrap().starts_with("bcrt1p"));
    let output = &tx["outputs"][1];
    assert_eq!(output["n"], 1);
    assert_eq!(output["value"], 6_924_881_904u64);
    assert_eq!(output["address"], "bcrt1p8ad09jgj9mu6h7t5htstc9gdf8z7mhrw9qh46sgssghluwhe295qytmz80");
    assert_eq!(output["spent_by"]["txid"], "9d6698d43c72ae7cec4bcb092cb447f9953ee73fa6e3f20c3e145f10aa755aa5");
    for field in ["block_hash", "position", "size", "vsize", "weight", "version", "locktime"] {
        assert!(tx.get(field).is_some(), "{field}");
    }
    // A coinbase has no fee and spends nothing.
    let block = query(data.path(), &["block", "164"]);
    let coinbase = query(data.path(), &["tx", block["txids"][0].as_str().unwrap()]);
    assert_eq!(coinbase["coinbase"], true);
    assert_eq!(coinbase["inputs"][0]["prevout"], Value::Null);
}

#[test]
fn address_json_totals_add_up() {
    let data = indexed();
    let a = query(data.path(), &["address", "mziekeDi2akkzTvyTS1KD6DjALPquiQWdq"]);
    assert_eq!(a["address"], "mziekeDi2akkzTvyTS1KD6DjALPquiQWdq");
    assert_eq!(a["tx_count"], 2);
    assert_eq!(a["total_received"], 15_747_052_564u64);
    assert_eq!(a["total_sent"], 15_747_052_564u64);
    assert_eq!(a["balance"], 0);
    // exchange_b's busiest deposit sweep target has history to page through.
    let hot = query(data.path(), &["address", a["address"].as_str().unwrap(), "--limit", "1", "--offset", "1"]);
    assert_eq!(hot["history"].as_array().unwrap().len(), 1);
    assert_eq!(hot["history"][0]["height"], 150);
}

#[test]
fn block_and_status_answer() {
    let data = indexed();
    let by_height = query(data.path(), &["block", "200"]);
    let by_hash = query(data.path(), &["block", by_height["hash"].as_str().unwrap()]);
    assert_eq!(by_height, by_hash);
    assert_eq!(by_height["hash"], "3760d2c2e614657e89dfddc44632b7a7c61f584f2e9339296b0a32973f20cd67");
    let page = query(data.path(), &["block", "133", "--limit", "2", "--offset", "1"]);
    assert_eq!(page["txids"].as_array().unwrap().len(), 2);
    assert_eq!(page["tx_count"], 31);
    let status = query(data.path(), &["status"]);
    assert_eq!(status["network"], "regtest");
    assert_eq!(status["format_version"], 4);
    assert_eq!(status["tip"]["height"], 200);
    assert!(status["disk"]["bytes_per_io_core"].as_f64().unwrap() < 48.0);
    // `status --verify`: clean, then a flipped byte in a column, named, and a
    // non-zero exit with one line on stderr.
    let verified = query(data.path(), &["status", "--verify"]);
    assert_eq!(verified["verify"]["checksummed"], true);
    assert_eq!(verified["verify"]["damage"].as_array().map(Vec::len), Some(0));
    let column = data.path().join("columns/tx_txid.col");
    let mut bytes = std::fs::read(&column).unwrap();
    bytes[33] ^= 1;
    std::fs::write(&column, bytes).unwrap();
    let d = data.path().to_str().unwrap();
    let out = run(&["status", "--verify", "--network", "regtest", "--data-dir", d]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("tx_txid.col offset 0: checksum differs"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("verify      2 damaged") && text.contains("txid.tbl"), "{text}");
}

#[test]
fn a_damaged_id_in_a_column_is_a_one_line_error_naming_the_file_not_a_panic() {
    let data = indexed();
    let d = data.path().to_str().unwrap();
    // Transaction 5's first output number, damaged far past the outputs.
    let txids = std::fs::read(data.path().join("columns/tx_txid.col")).unwrap();
    let txid: String = txids[5 * 32..6 * 32].iter().rev().map(|b| format!("{b:02x}")).collect();
    let column = data.path().join("columns/tx_first_output.col");
    let mut bytes = std::fs::read(&column).unwrap();
    bytes[5 * 8..6 * 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    std::fs::write(&column, bytes).unwrap();
    for args in [vec!["tx", txid.as_str()], vec!["tx", txid.as_str(), "--json"]] {
        let mut all = args.clone();
        all.extend(["--network", "regtest", "--data-dir", d]);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            err.contains("tx_first_output.col: damaged: transaction 5 has rows") && err.contains("status --verify"),
            "{err}"
        );
    }
    // An input naming an output far past the last: the read of that output is
    // refused, naming the column read.
    let data = indexed();
    let d = data.path().to_str().unwrap();
    let in_tx = std::fs::read(data.path().join("columns/in_tx.col")).unwrap();
    let t = u32::from_le_bytes(in_tx[40..44].try_into().unwrap()) as usize;
    let txids = std::fs::read(data.path().join("columns/tx_txid.col")).unwrap();
    let txid: String = txids[t * 32..(t + 1) * 32].iter().rev().map(|b| format!("{b:02x}")).collect();
    let column = data.path().join("columns/in_spent_output.col");
    let mut bytes = std::fs::read(&column).unwrap();
    bytes[10 * 8..11 * 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    std::fs::write(&column, bytes).unwrap();
    let out = run(&["tx", &txid, "--network", "regtest", "--data-dir", d]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("out_value.col: damaged: row 1099511627776 asked for"), "{err}");
}

#[test]
fn query_errors_are_one_line() {
    let data = indexed();
    let d = data.path().to_str().unwrap();
    for (args, needle) in [
        (vec!["tx", "00".repeat(32).leak() as &str], "not in the index"),
        (vec!["tx", "xyz"], "invalid hash"),
        (vec!["address", "1A8JiWcwvpY7tAopUkSnGuEYHmzGYfZPiq"], "invalid regtest address"),
        (vec!["address", "bcrt1qyqyqher5gfdjuvkjr425hgvfwqa6l34j9cucrj0"], "invalid regtest address"),
        (vec!["block", "5000"], "no block at height 5000"),
    ] {
        let mut all = args.clone();
        all.extend(["--network", "regtest", "--data-dir", d]);
        let out = run(&all);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let empty = tempfile::tempdir().unwrap();
    let out = run(&["status", "--network", "regtest", "--data-dir", empty.path().to_str().unwrap()]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("no index here"));
}

#[test]
fn cluster_entity_and_eval_answer_with_the_contract_fields() {
    let data = indexed();
    let d = data.path().to_str().unwrap();
    let csv = data.path().join("entities.csv");
    let report = query(
        data.path(),
        &["cluster", "--heuristics", "multi-input,change:one-time", "--export", csv.to_str().unwrap()],
    );
    assert_eq!(report["heuristics"], "multi-input,change:one-time");
    assert_eq!(report["incremental"], false);
    assert_eq!(report["coinjoins"]["whirlpool"], 1);

    // The export: one row per address, `address,entity`.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("address,entity"));
    let rows: Vec<(&str, u32)> = lines
        .map(|l| {
            let (a, e) = l.split_once(',').unwrap();
            (a, e.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len() as u64, report["addresses"].as_u64().unwrap());

    // The entity of a theft output holds its address, by address and by id alike.
    let tx = query(data.path(), &["tx", "4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb"]);
    let output = &tx["outputs"][1];
    let id = output["entity"].as_u64().unwrap();
    assert_eq!(tx["coinjoin"], Value::Null);
    assert!(tx.get("change").is_some(), "the change link field is always there");
    assert!(tx["inputs"][0]["entity"].is_u64());
    let by_address = query(data.path(), &["entity", output["address"].as_str().unwrap(), "--limit", "1000"]);
    let by_id = query(data.path(), &["entity", &id.to_string(), "--limit", "1000"]);
    assert_eq!(by_address, by_id);
    assert_eq!(by_id["entity"], id);
    assert!(by_id["addresses"].as_array().unwrap().contains(&output["address"]));
    // Each member says which of its transactions links it to the others, and how.
    let members = by_id["members"].as_array().unwrap();
    assert_eq!(members.len(), by_id["addresses"].as_array().unwrap().len());
    assert!(by_id["size"].as_u64().unwrap() > 1);
    for m in members {
        let link = m["link"].as_str().unwrap();
        assert!(["common-input", "change", "paid-change"].contains(&link), "{m}");
        let history = query(data.path(), &["address", m["address"].as_str().unwrap(), "--limit", "1000"]);
        let txids: Vec<&Value> = history["history"].as_array().unwrap().iter().map(|r| &r["txid"]).collect();
        assert!(txids.contains(&&m["txid"]), "{m}: its link is one of its own transactions");
        assert_eq!(m["heuristic"].is_string(), link != "common-input", "{m}");
    }
    let exported = rows.iter().filter(|r| u64::from(r.1) == id).count();
    assert_eq!(by_id["size"].as_u64().unwrap() as usize, exported);
    assert_eq!(query(data.path(), &["address", output["address"].as_str().unwrap()])["entity"], id);

    // A CoinJoin is named on the transaction and on the entities it touched.
    let mix = query(data.path(), &["tx", "754a5bdb6f5ad3994704192f6a9196c59264a11a89f4d222f7248ef7bdba7221"]);
    assert_eq!(mix["coinjoin"]["protocol"], "whirlpool");
    assert!(mix["coinjoin"]["confidence"].as_f64().unwrap() >= 0.95);
    let mixer = query(data.path(), &["entity", mix["outputs"][0]["address"].as_str().unwrap()]);
    assert!(mixer["coinjoins_touched"].as_u64().unwrap() >= 1);

    let eval = query(
        data.path(),
        &["eval", "--ground-truth", fixtures().join("regtest/small/ground_truth.json").to_str().unwrap()],
    );
    assert_eq!(eval["clustering"]["pairwise_precision"], 1.0);
    assert_eq!(eval["coinjoin"]["confusion"]["whirlpool"]["whirlpool"], 1);
    assert_eq!(eval["change"].as_array().unwrap().len(), 6);

    let out = run(&["entity", "nonsense", "--network", "regtest", "--data-dir", d]);
    assert!(!out.status.success());
    assert_eq!(String::from_utf8(out.stderr).unwrap().trim_end().lines().count(), 1);
}

#[test]
fn trace_answers_in_every_format_with_the_contract_fields() {
    let data = indexed();
    let d = data.path().to_str().unwrap();
    // The attacker's deposit straight to exchange_b, labelled as a service.
    let labels = data.path().join("labels.csv");
    std::fs::write(&labels, "address,label,category\n2NCr63mFg2nwX8bwPCAE6xgngX27mdpJLSV,exchange_b,exchange\n")
        .unwrap();
    let base = [
        "trace",
        "--from",
        "4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb:1",
        "--labels",
        labels.to_str().unwrap(),
        "--stop-at-services",
        "--network",
        "regtest",
        "--data-dir",
        d,
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(extra);
        let out = run(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&with(&["--format", "json"])).unwrap();
    assert_eq!(json["policy"], "haircut");
    assert_eq!(json["traced_value"], 6_924_881_904u64);
    let endpoints = json["endpoints"].as_array().unwrap();
    for field in ["address", "entity", "value", "kind"] {
        assert!(endpoints[0].get(field).is_some(), "{field}");
    }
    let service = endpoints.iter().find(|e| e["kind"] == "service").unwrap();
    assert_eq!(service["address"], "2NCr63mFg2nwX8bwPCAE6xgngX27mdpJLSV");
    assert_eq!(service["service"], "exchange_b");
    assert!(!json["edges"].as_array().unwrap().is_empty());
    let total: u64 =
        endpoints.iter().map(|e| e["value"].as_u64().unwrap()).sum::<u64>() + json["summary"]["fees"].as_u64().unwrap();
    assert!(total.abs_diff(6_924_881_904) < 100, "haircut loses value: {total}");
    assert_eq!(json, serde_json::from_str::<Value>(&with(&["--json"])).unwrap());
    // --max-rows keeps the largest endpoints and counts the rest; the totals stay.
    let limited: Value = serde_json::from_str(&with(&["--json", "--max-rows", "1"])).unwrap();
    assert_eq!(limited["endpoints"].as_array().unwrap().len(), 1);
    assert_eq!(limited["endpoints"][0], endpoints[0]);
    assert_eq!(limited["omitted"]["endpoints"].as_u64().unwrap() as usize, endpoints.len() - 1);
    assert!(limited["edges"].as_array().unwrap().len() <= 1);
    assert_eq!(limited["summary"], json["summary"]);
    assert!(with(&["--max-rows", "1"]).contains("omitted     "));

    let csv = with(&["--format", "csv"]);
    assert!(csv.starts_with("address,entity,kind,service,category,value_sats,share,txid,height,outputs\n"));
    assert!(csv.contains("2NCr63mFg2nwX8bwPCAE6xgngX27mdpJLSV,,service,exchange_b,exchange,"));
    let dot = with(&["--format", "dot"]);
    assert!(dot.starts_with("digraph trace {") && dot.contains("rankdir=LR") && dot.contains("->"));
    let html = with(&["--format", "html", "--policy", "poison"]);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && html.contains("exchange_b"));
    assert!(!html.contains("src=") && !html.contains("href="), "the report must open without a network");
    let table = with(&[]);
    assert!(table.contains("services reached") && table.contains("exchange_b"), "{table}");
    let backward = with(&["--direction", "backward", "--format", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&backward).unwrap()["direction"], "backward");
    // A date bound: after the tip it bounds nothing; before genesis nothing is stamped.
    assert_eq!(json, serde_json::from_str::<Value>(&with(&["--json", "--until-date", "2100-01-01"])).unwrap());
    let mut early = base.to_vec();
    early.extend(["--until-date", "2001-01-01"]);
    let out = run(&early);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--until-date: no block of the index is stamped at or before 2001-01-01"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    for (from, needle) in [("nonsense", "is not an outpoint"), (&*"00".repeat(32), "not in the index")] {
        let out = run(&["trace", "--from", from, "--network", "regtest", "--data-dir", d]);
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}
