//! The `chainsleuth xmr` commands on the bundled Monero chain: their JSON
//! contracts, and one-line errors with a non-zero exit on bad input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/monero-regtest")
}

fn json(args: &[&str]) -> Value {
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ingest_status_ring_eval_and_trace_answer_their_contracts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let blobs = fixture();
    let r = json(&["xmr", "ingest", "--blobs", blobs.to_str().unwrap(), "--data-dir", dir, "--json"]);
    assert_eq!(r["blocks_after"], 985);
    let s = json(&["xmr", "status", "--data-dir", dir, "--json"]);
    assert_eq!(
        (s["tip_height"].as_u64(), s["txs"].as_u64(), s["inputs"].as_u64()),
        (Some(984), Some(1931), Some(2830))
    );

    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(blobs.join("ground_truth.json")).unwrap()).unwrap();
    let txid = truth["blocks"][310]["txids"][0].as_str().unwrap();
    let ring = json(&["xmr", "ring", &format!("{txid}:0"), "--data-dir", dir, "--json"]);
    let input = &ring["inputs"][0];
    let total: f64 = input["members"].as_array().unwrap().iter().map(|m| m["probability"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "probabilities sum to 1: {total}");
    assert_eq!(input["members"].as_array().unwrap().len(), 16);
    assert!(input["effective_ring_size"].as_u64().unwrap() <= 16);
    let tx = json(&["xmr", "tx", txid, "--data-dir", dir, "--json"]);
    assert!(tx["outputs"].as_array().unwrap().len() >= 2);

    let gt = blobs.join("ground_truth.json");
    let e = json(&["xmr", "eval", "--ground-truth", gt.to_str().unwrap(), "--data-dir", dir, "--json"]);
    for field in [
        "inputs",
        "top1_accuracy",
        "guess_newest_accuracy",
        "oracle_top1",
        "certain",
        "certain_wrong",
        "ece",
        "by_rule",
    ] {
        assert!(!e[field].is_null(), "eval JSON has {field}");
    }
    assert_eq!(e["certain_wrong"], 0);

    let t = json(&[
        "xmr",
        "trace",
        "--from",
        &format!("{txid}:0"),
        "--max-hops",
        "2",
        "--format",
        "json",
        "--data-dir",
        dir,
    ]);
    assert!(!t["txs"].as_array().unwrap().is_empty());
    let dot = bin()
        .args(["xmr", "trace", "--from", txid, "--max-hops", "1", "--format", "dot", "--data-dir", dir])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&dot.stdout).starts_with("digraph"));

    // Labels on Monero subjects, and screening a deposit the thief made.
    let labels = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        labels.path(),
        "subject,label,category\n\
         079459b915a29e01ebf52b46f45b68cec17db99c775d9204bfad2719120aef62:1,exchange hack,theft\n\
         a3f0667b1b465854b7b0ea2ad3cc7a506215c4cc93bd722b3f352478e45edf1a:1,exchange hack,theft\n\
         1d4dab527bb79be69b16cb7bcc538d82de07964604c16df6ead8efb8b354a846:0,exchange hack,theft\n\
         1Archive1n2C579dMsAu3iC6tWzuQJz8dN,not monero,other\n",
    )
    .unwrap();
    let path = labels.path().to_str().unwrap();
    let i = json(&["xmr", "tags", "import", path, "--source", "case", "--data-dir", dir, "--json"]);
    assert_eq!(i["imported"], 3);
    assert_eq!(i["rejected"][0]["line"], 5);
    let swap_deposit = "204da305bd7eeaecea9e95b01d2802226c126afbe7b6512cc9e43f82049569e2";
    let r = json(&["xmr", "screen", swap_deposit, "--direction", "received", "--data-dir", dir, "--json"]);
    for field in ["subject", "subject_type", "risk_level", "risk_score", "identifications", "exposures", "rules_fired"]
    {
        assert!(!r[field].is_null(), "screen JSON has {field}");
    }
    assert_eq!(r["subject_type"], "transaction");
    let theft = &r["exposures"][0];
    assert_eq!((theft["category"].as_str(), theft["direction"].as_str()), (Some("theft"), Some("received")));
    assert!(theft["probability"].as_f64().unwrap() > 0.05, "{theft}");
    assert_eq!(r["risk_level"], "high");
    // The labelled output itself is identified.
    let own = json(&[
        "xmr",
        "screen",
        &format!("{}:1", "079459b915a29e01ebf52b46f45b68cec17db99c775d9204bfad2719120aef62"),
        "--data-dir",
        dir,
        "--json",
    ]);
    assert_eq!(own["identifications"][0]["category"], "theft");
    let trace = json(&[
        "xmr",
        "trace",
        "--from",
        swap_deposit,
        "--direction",
        "backward",
        "--max-hops",
        "3",
        "--format",
        "json",
        "--data-dir",
        dir,
    ]);
    assert!(trace["labels_reached"]["exchange hack"].as_f64().unwrap() > 0.05);
}

#[test]
fn bad_input_is_one_line_and_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    for args in [
        vec!["xmr", "status", "--data-dir", dir],
        vec!["xmr", "ingest", "--blobs", "/nonexistent", "--data-dir", dir],
        vec!["xmr", "ingest", "--rpc", "http://127.0.0.1:9", "--data-dir", dir],
        vec!["xmr", "eval", "--ground-truth", "/nonexistent.json", "--data-dir", dir],
        vec!["xmr", "screen", "zz", "--data-dir", dir],
    ] {
        let out = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("chainsleuth: error:"), "{err}");
    }
}

#[test]
fn an_ingest_killed_at_any_moment_resumes_to_the_same_index() {
    let blobs = fixture();
    let fresh = tempfile::tempdir().unwrap();
    let want = {
        json(&[
            "xmr",
            "ingest",
            "--blobs",
            blobs.to_str().unwrap(),
            "--data-dir",
            fresh.path().to_str().unwrap(),
            "--json",
        ]);
        json(&["xmr", "status", "--data-dir", fresh.path().to_str().unwrap(), "--json"])["digest"].clone()
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    for delay_ms in [5u64, 20, 60, 120, 250] {
        let mut child =
            bin().args(["xmr", "ingest", "--blobs", blobs.to_str().unwrap(), "--data-dir", dir]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    json(&["xmr", "ingest", "--blobs", blobs.to_str().unwrap(), "--data-dir", dir, "--json"]);
    assert_eq!(json(&["xmr", "status", "--data-dir", dir, "--json"])["digest"], want);
}
