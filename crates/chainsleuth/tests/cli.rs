//! The command line as users and scripts call it: flags, JSON fields, exit codes and
//! one-line errors.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn chainsleuth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainsleuth")).args(args).output().unwrap()
}

fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn one_line_error(output: &Output) -> String {
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("chainsleuth: error: "), "{stderr}");
    stderr
}

#[test]
fn scan_json_carries_the_contract_fields() {
    let dir = fixtures().join("regtest/small/blocks");
    let out = chainsleuth(&["scan", "--blocks-dir", dir.to_str().unwrap(), "--network", "regtest", "--json"]);
    let json = json_of(&out);
    assert_eq!(json["tip"]["height"], 200);
    assert_eq!(json["tip"]["hash"], "3760d2c2e614657e89dfddc44632b7a7c61f584f2e9339296b0a32973f20cd67");
    assert_eq!(json["blocks"], 202);
    assert_eq!(
        json["stale_blocks"],
        serde_json::json!(["549d5e4e4e78d6bf0b9856483162590ac2d20d42770e5206df9ef45ee1c6f3f0"])
    );
    assert_eq!(json["transactions"], 1059);
    for field in ["inputs", "outputs", "outputs_by_class", "elapsed_secs", "mb_per_sec", "tx_per_sec", "files"] {
        assert!(json.get(field).is_some(), "{field}");
    }
    // In a pipe: no progress bar, nothing on stderr.
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn scan_table_names_tip_stale_block_and_classes() {
    let dir = fixtures().join("regtest/small/blocks_ooo");
    let out = chainsleuth(&["scan", "--blocks-dir", dir.to_str().unwrap(), "--network", "regtest", "--verify"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("height 200 3760d2c2e614657e89dfddc44632b7a7c61f584f2e9339296b0a32973f20cd67"), "{text}");
    assert!(text.contains("height 133 549d5e4e4e78d6bf0b9856483162590ac2d20d42770e5206df9ef45ee1c6f3f0"), "{text}");
    assert!(text.contains("p2wpkh") && text.contains("p2tr"), "{text}");
}

#[test]
fn scan_of_another_network_is_a_one_line_error() {
    let dir = fixtures().join("regtest/small/blocks");
    let err = one_line_error(&chainsleuth(&["scan", "--blocks-dir", dir.to_str().unwrap()]));
    assert!(err.contains("blk00000.dat offset 0: record has regtest magic, but the network is mainnet"), "{err}");
    let err = one_line_error(&chainsleuth(&["scan", "--blocks-dir", "/nonexistent/blocks", "--network", "regtest"]));
    assert!(err.contains("/nonexistent/blocks"), "{err}");
}

#[test]
fn decode_tx_matches_core_shape() {
    let hex = std::fs::read_to_string(
        fixtures().join("real/tx/hex/323df21f0b0756f98336437aa3d2fb87e02b59f1946b714a7b09df04d429dec2.hex"),
    )
    .unwrap();
    let json = json_of(&chainsleuth(&["decode", "tx", hex.trim()]));
    assert_eq!(json["txid"], "323df21f0b0756f98336437aa3d2fb87e02b59f1946b714a7b09df04d429dec2");
    assert_eq!(json["hash"], "58d8645e15be51852e5755c57f84be2ff7efc94ddbb1a3118eafde3642e72342");
    assert_eq!(json["size"], 911);
    assert_eq!(json["vout"].as_array().unwrap().len(), 5);
    assert_eq!(json["vout"][0]["scriptPubKey"]["type"], "witness_v0_keyhash");
    assert_eq!(json["vout"][0]["scriptPubKey"]["address"], "bc1qqmmc3s46efrdq0jglhf8l8jg0xw37exgne6q3k");
    assert_eq!(serde_json::to_string(&json["vout"][0]["value"]).unwrap(), "0.05");
    // A Whirlpool mix, judged from the transaction alone (no prevout values).
    assert_eq!(json["coinjoin"]["protocol"], "whirlpool");
    assert_eq!(json["coinjoin"]["confidence"], 0.95);

    // The same from stdin, as raw bytes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
        .args(["decode", "tx", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&hex::decode(hex.trim()).unwrap()).unwrap();
    let from_stdin: Value = serde_json::from_slice(&child.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(from_stdin, json);
}

#[test]
fn decode_value_keeps_eight_decimals() {
    let hex = std::fs::read_to_string(
        fixtures().join("real/tx/hex/323df21f0b0756f98336437aa3d2fb87e02b59f1946b714a7b09df04d429dec2.hex"),
    )
    .unwrap();
    let out = chainsleuth(&["decode", "tx", hex.trim()]);
    assert!(String::from_utf8(out.stdout).unwrap().contains("\"value\": 0.05000000"));
}

#[test]
fn decode_block_reads_raw_and_hex_files() {
    let raw = fixtures().join("real/blocks/mainnet_000000_genesis.raw");
    let json = json_of(&chainsleuth(&["decode", "block", raw.to_str().unwrap()]));
    assert_eq!(json["hash"], "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    assert!(json.get("previousblockhash").is_none());
    assert_eq!(json["tx"][0]["vout"][0]["scriptPubKey"]["type"], "pubkey");
    assert_eq!(json["tx"][0]["vout"][0]["scriptPubKey"]["p2pkh_address"], "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    assert!(json["tx"][0]["vout"][0]["scriptPubKey"].get("address").is_none(), "Core shows no address for P2PK");

    let hex = fixtures()
        .join("real/blocks/mainnet_100002_0000000000013b8ab2cd513b0261a14096412195a72a0c4827d229dcc7e0f7af.hex");
    let json = json_of(&chainsleuth(&["decode", "block", hex.to_str().unwrap()]));
    assert_eq!(json["nTx"], 9);
    assert_eq!(json["previousblockhash"], "00000000000080b66c911bd5ba14a74260057311eaeb1982802f7010f1a9f090");
}

#[test]
fn decode_errors_are_one_line() {
    let err = one_line_error(&chainsleuth(&["decode", "tx", "0100zz"]));
    assert!(err.contains("invalid hex"), "{err}");
    let err = one_line_error(&chainsleuth(&["decode", "tx", "01000000"]));
    assert!(err.contains("cannot decode transaction") && err.contains("input count at byte 4"), "{err}");
    let err = one_line_error(&chainsleuth(&["decode", "block", "/nonexistent.raw"]));
    assert!(err.contains("/nonexistent.raw"), "{err}");
}

#[test]
fn simulate_writes_a_chain_scan_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let sim = json_of(&chainsleuth(&[
        "simulate",
        "--out",
        out,
        "--profile",
        "small",
        "--blocks",
        "150",
        "--seed",
        "5",
        "--json",
    ]));
    assert_eq!(sim["tip"]["height"], 150);
    for field in ["transactions", "blocks_written", "stale_blocks", "bytes", "elapsed_secs", "tx_per_sec"] {
        assert!(sim.get(field).is_some(), "{field}");
    }
    let blocks = dir.path().join("blocks");
    let scan =
        json_of(&chainsleuth(&["scan", "--blocks-dir", blocks.to_str().unwrap(), "--network", "regtest", "--json"]));
    assert_eq!(scan["tip"], sim["tip"]);
    assert_eq!(scan["transactions"], sim["transactions"]);
    assert_eq!(sim["ground_truth"], dir.path().join("ground_truth.json").to_str().unwrap());
    // A scale run writes no truth, and the same blocks.
    let bare = json_of(&chainsleuth(&[
        "simulate",
        "--out",
        out,
        "--profile",
        "small",
        "--blocks",
        "150",
        "--seed",
        "5",
        "--truth",
        "none",
        "--json",
    ]));
    assert_eq!((bare["tip"].clone(), bare["ground_truth"].clone()), (sim["tip"].clone(), Value::Null));
    assert!(!dir.path().join("ground_truth.json").exists());
    let refused = chainsleuth(&["simulate", "--out", out, "--truth", "some"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && err.contains("truth \"some\" is not full, compact or none"), "{err}");
}

#[test]
fn simulate_refuses_a_bad_thief_address_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("thief.txt");
    std::fs::write(&list, "# sanctioned\n1A8JiWcwvpY7tAopUkSnGuEYHmzGYfZPiq\nnot-an-address\n").unwrap();
    let out = dir.path().join("out");
    let err = one_line_error(&chainsleuth(&[
        "simulate",
        "--out",
        out.to_str().unwrap(),
        "--thief-addresses",
        list.to_str().unwrap(),
    ]));
    assert!(err.contains("thief.txt:3: not a Bitcoin address"), "{err}");
}

#[test]
fn demo_runs_on_a_given_blocks_directory_with_its_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let regtest = fixtures().join("regtest/small");
    let out = chainsleuth(&[
        "demo",
        "--out",
        dir.path().to_str().unwrap(),
        "--blocks-dir",
        regtest.join("blocks").to_str().unwrap(),
        "--network",
        "regtest",
        "--ground-truth",
        regtest.join("ground_truth.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    // The haircut share issue 6 pinned (0.1188 of 193.46 BTC), gathered under one
    // service however many labels name it; the truth's cash-outs beside it.
    let row = text.lines().find(|l| l.trim_start().starts_with("exchange_b")).unwrap_or_default();
    assert!(row.contains("22.98680720 BTC") && row.contains("27.38543565 BTC"), "{text}");
    assert!(text.contains("pairwise precision 0.998") && text.contains("8 of 8"), "{text}");
    assert!(text.contains("change model at its threshold"), "{text}");
    assert!(text.contains("indirect received exposure to theft"), "{text}");
}

#[test]
fn demo_runs_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let sanctions = fixtures().join("real/sanctions/ofac_sdn_advanced/lazarus_related.json");
    let out = chainsleuth(&["demo", "--out", dir.path().to_str().unwrap(), "--sanctions", sanctions.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Li Jiadong") && text.contains("tip height 400"), "{text}");
    assert!(text.contains("434 OFAC addresses") && text.contains("exposure to sanctioned"), "{text}");
    for file in ["ground_truth.json", "trace.html", "trace.json", "trace.dot", "screening.json"] {
        assert!(dir.path().join(file).exists(), "{file}");
    }
    // The same blocks without their truth: the trace starts from the coins paid to
    // the OFAC-listed addresses the thief used, and screening finds them.
    let given = tempfile::tempdir().unwrap();
    let blocks = dir.path().join("blocks");
    let args = ["demo", "--out", given.path().to_str().unwrap(), "--blocks-dir", blocks.to_str().unwrap()];
    let out = chainsleuth(&[&args[..], &["--network", "regtest"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("outputs paid to sanctioned or theft addresses"), "{text}");
    assert!(text.contains("is labelled OFAC SDN list (sanctioned)"), "{text}");
    // The bundled fixtures are found from any working directory in the checkout.
    let other = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
        .args(["demo", "--out", other.path().to_str().unwrap()])
        .current_dir(other.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn decode_reads_zcash_blocks_and_transactions_of_every_version() {
    let dir = fixtures().join("real/zcash/blocks");
    let nu5 = dir.join("zcash_mainnet_1687107_00000000005a5e6f54c494b6317f3e800ce89a716584e62dcb35c2b3ace4b498.hex");
    let block = json_of(&chainsleuth(&["decode", "block", nu5.to_str().unwrap(), "--chain", "zcash"]));
    assert_eq!(block["hash"], "00000000005a5e6f54c494b6317f3e800ce89a716584e62dcb35c2b3ace4b498");
    assert_eq!(block["height"], 1687107);
    let orchard = block["tx"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["orchard"]["actions"].as_array().is_some_and(|a| !a.is_empty()));
    let orchard = orchard.expect("the block has an Orchard transaction");
    assert_eq!(orchard["version"], 5);
    assert_eq!(orchard["orchard"]["flags"]["enableSpends"], true);
    // The network name may carry the chain instead of --chain.
    let same = json_of(&chainsleuth(&["decode", "block", nu5.to_str().unwrap(), "--network", "zcash-mainnet"]));
    assert_eq!(same["hash"], block["hash"]);
    // A transaction alone, from the block's hex.
    let raw = std::fs::read_to_string(&nu5).unwrap();
    let bytes = hex::decode(raw.trim()).unwrap();
    let first = zcash::Block::decode(&bytes).unwrap().txs[1].raw.to_vec();
    let tx = json_of(&chainsleuth(&["decode", "tx", &hex::encode(&first), "--chain", "zcash"]));
    assert_eq!(tx["txid"], block["tx"][1]["txid"]);
    // As Bitcoin, the error says what it is.
    let err = one_line_error(&chainsleuth(&["decode", "block", nu5.to_str().unwrap()]));
    assert!(err.contains("add --chain zcash"), "{err}");
    let err = one_line_error(&chainsleuth(&[
        "decode",
        "block",
        nu5.to_str().unwrap(),
        "--chain",
        "bitcoin",
        "--network",
        "zcash-mainnet",
    ]));
    assert!(err.contains("not bitcoin"), "{err}");
    let err = one_line_error(&chainsleuth(&["decode", "tx", "0500008001", "--chain", "zcash"]));
    assert!(err.contains("nVersionGroupId") && err.contains("offset 4"), "{err}");
}

#[test]
fn zcash_simulate_scan_pools_and_links_answer_their_contracts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    let sim = json_of(&chainsleuth(&[
        "simulate", "--chain", "zcash", "--out", out, "--blocks", "400", "--seed", "4", "--json",
    ]));
    assert_eq!(sim["blocks"], 400);
    let blocks = tmp.path().join("blocks");
    let blocks = blocks.to_str().unwrap();
    let scan =
        json_of(&chainsleuth(&["scan", "--blocks-dir", blocks, "--chain", "zcash", "--network", "regtest", "--json"]));
    assert_eq!(scan["tip"]["height"], 399);
    let pools =
        json_of(&chainsleuth(&["zcash", "pools", "--blocks-dir", blocks, "--network", "zcash-regtest", "--json"]));
    assert_eq!(pools["valuePools"][1]["id"], "sapling");
    assert_eq!(pools["valuePools"][1]["chainValueZat"], sim["sapling_pool"]);
    let truth = tmp.path().join("ground_truth.json");
    let links = json_of(&chainsleuth(&[
        "zcash",
        "links",
        "--blocks-dir",
        blocks,
        "--network",
        "zcash-regtest",
        "--ground-truth",
        truth.to_str().unwrap(),
        "--json",
    ]));
    let first = &links["links"][0];
    for field in ["shield_txid", "deshield_txid", "pool", "value_in", "value_out", "confidence"] {
        assert!(!first[field].is_null(), "link JSON has {field}");
    }
    assert!(links["eval"]["precision"].as_f64().unwrap() > 0.9);
    let eval = json_of(&chainsleuth(&[
        "eval",
        "--network",
        "zcash-regtest",
        "--blocks-dir",
        blocks,
        "--ground-truth",
        truth.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(eval["linking"], links["eval"]);
    let err = one_line_error(&chainsleuth(&["zcash", "pools", "--blocks-dir", blocks, "--network", "mainnet"]));
    assert!(err.contains("not zcash") || err.contains("zcash-mainnet"), "{err}");

    // The index: the same pools and links, and the Bitcoin commands on Zcash.
    let idx = tmp.path().join("index");
    let z = ["--data-dir", idx.to_str().unwrap(), "--network", "zcash-regtest"];
    let with = |args: &[&str]| -> Vec<String> { args.iter().chain(&z).map(|s| (*s).to_owned()).collect() };
    let run = |args: &[&str]| json_of(&chainsleuth(&with(args).iter().map(String::as_str).collect::<Vec<_>>()));
    let ingest = run(&["ingest", "--blocks-dir", blocks, "--json"]);
    assert_eq!(ingest["counts"]["txs"], sim["transactions"]);
    assert!(ingest["counts"]["crossings"].as_u64().unwrap() > 100, "{ingest}");
    let indexed_pools = run(&["zcash", "pools", "--json"]);
    assert_eq!(indexed_pools["valuePools"][1]["chainValueZat"], sim["sapling_pool"]);
    let sapling = &indexed_pools["valuePools"][1];
    assert_eq!(
        sapling["intoZat"].as_u64().unwrap() - sapling["outOfZat"].as_u64().unwrap(),
        sim["sapling_pool"].as_u64().unwrap()
    );
    let indexed_links = run(&["zcash", "links", "--ground-truth", truth.to_str().unwrap(), "--json"]);
    assert_eq!(indexed_links["links"], links["links"]);
    assert_eq!(indexed_links["eval"], links["eval"]);

    let link = &links["links"][0];
    let shielding = run(&["tx", link["shield_txid"].as_str().unwrap(), "--json"]);
    assert_eq!(shielding["pool_crossings"][0]["pool"], "sapling");
    assert_eq!(shielding["pool_crossings"][0]["into_pool"], link["value_in"]);
    let value_in: u64 = shielding["inputs"].as_array().unwrap().iter().map(|i| i["value"].as_u64().unwrap()).sum();
    let value_out = shielding["value_out"].as_u64().unwrap() + link["value_in"].as_u64().unwrap();
    assert_eq!(shielding["fee"].as_u64().unwrap(), value_in - value_out, "fee counts the value into the pool");
    let funder = shielding["inputs"][0]["address"].as_str().unwrap().to_owned();
    assert!(funder.starts_with("tm"), "{funder}");
    let address = run(&["address", &funder, "--json"]);
    assert!(address["tx_count"].as_u64().unwrap() >= 1);
    let cluster = run(&["cluster", "--json"]);
    assert!(cluster["entities"].as_u64().unwrap() > 0, "{cluster}");

    // A trace from the coin the shielding spent crosses the pool along the link,
    // with its confidence.
    let coin = shielding["inputs"][0]["prevout"].as_str().unwrap().to_owned();
    let traced = run(&["trace", "--from", &coin, "--max-hops", "2", "--json"]);
    let crossed = &traced["pool_links"][0];
    assert_eq!(crossed["deshielding"], link["deshield_txid"]);
    assert_eq!(crossed["confidence"], link["confidence"]);
    let stopped = run(&["trace", "--from", &coin, "--max-hops", "2", "--no-pool-links", "--json"]);
    assert!(stopped["pool_links"].as_array().unwrap().is_empty());
    assert!(stopped["summary"]["pool"].as_u64().unwrap() > 0, "value entering the pool ends there");
    assert!(stopped["endpoints"].as_array().unwrap().iter().any(|e| e["kind"] == "pool" && e["pool"] == "sapling"));

    // Screening: the deshielding inherits the shielding funder's label through the link.
    let labels = tmp.path().join("funder.csv");
    std::fs::write(&labels, format!("address,label,category\n{funder},Funder,theft\n")).unwrap();
    run(&["tags", "import", labels.to_str().unwrap(), "--json"]);
    let screened = run(&["screen", link["deshield_txid"].as_str().unwrap(), "--json"]);
    let exposure = screened["exposures"].as_array().unwrap();
    assert!(exposure.iter().any(|e| e["category"] == "theft" && e["direction"] == "received"), "{screened}");
}

#[test]
fn the_zcash_demo_follows_the_theft_through_the_pool_to_the_exchange() {
    let tmp = tempfile::tempdir().unwrap();
    let out = chainsleuth(&["demo", "--chain", "zcash", "--out", tmp.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("through the sapling pool: shielding"), "{text}");
    assert!(text.contains("confidence"), "{text}");
    let reached = text.lines().find(|l| l.contains("cash-outs at the exchange reached")).unwrap();
    assert!(!reached.trim_start().starts_with("0 "), "{reached}");
    let report: Value = serde_json::from_slice(&std::fs::read(tmp.path().join("zcash/trace.json")).unwrap()).unwrap();
    assert!(!report["pool_links"].as_array().unwrap().is_empty());
    assert!(report["summary"]["service"].as_u64().unwrap() > 0, "{}", report["summary"]);
}

/// `train-change` with its defaults rebuilds the shipped change model byte for
/// byte: the model in the repository is what its seed gives, and training is
/// deterministic.
#[test]
fn the_shipped_change_model_is_what_train_change_builds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("change.json");
    let run = chainsleuth(&["train-change", "--out", out.to_str().unwrap(), "--json"]);
    let validation = json_of(&run);
    assert!(validation["at_default"]["precision"].as_f64().unwrap() >= 0.998, "{validation}");
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../analysis/model/change.json"));
    assert!(
        std::fs::read_to_string(&out).unwrap() == shipped.unwrap(),
        "train-change no longer rebuilds the shipped model"
    );
}

#[test]
fn cluster_refuses_a_threshold_that_is_no_probability() {
    let data = tempfile::tempdir().unwrap();
    let blocks = fixtures().join("regtest/small/blocks");
    let ingest = chainsleuth(&[
        "ingest",
        "--blocks-dir",
        blocks.to_str().unwrap(),
        "--data-dir",
        data.path().to_str().unwrap(),
        "--network",
        "regtest",
        "-q",
    ]);
    assert!(ingest.status.success());
    let error = one_line_error(&chainsleuth(&[
        "cluster",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--network",
        "regtest",
        "--threshold",
        "1.5",
    ]));
    assert!(error.contains("--threshold 1.5"), "{error}");
    let report = json_of(&chainsleuth(&[
        "cluster",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--network",
        "regtest",
        "--json",
    ]));
    assert_eq!(report["heuristics"], "multi-input,change:model");
    assert!(report["threshold"].as_f64().unwrap() > 0.5);
    assert!(report["links"]["change:model"].as_u64().unwrap() > 400, "{report}");
}
