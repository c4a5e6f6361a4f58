//! An ingest killed with SIGKILL at any moment leaves the last committed state
//! readable, and the next run ends with the same index as an uninterrupted one.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn chainsleuth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainsleuth")).args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ingest_args<'a>(blocks: &'a str, data: &'a str) -> Vec<&'a str> {
    vec!["ingest", "--blocks-dir", blocks, "--network", "regtest", "--data-dir", data, "--commit-blocks", "5", "--json"]
}

fn status(data: &Path) -> Value {
    json(&chainsleuth(&["status", "--network", "regtest", "--data-dir", data.to_str().unwrap(), "--json", "--digest"]))
}

/// A simulated chain of 250 blocks under `work`, its blk files xor-obfuscated
/// or not; returns its blocks directory.
fn simulated(work: &Path, xor: bool) -> std::path::PathBuf {
    let sim = work.join("sim");
    let mut args = vec!["simulate", "--out", sim.to_str().unwrap(), "--profile", "small", "--blocks", "250"];
    args.extend(["--seed", "9", "--json"]);
    if xor {
        args.push("--xor");
    }
    json(&chainsleuth(&args));
    sim.join("blocks")
}

#[test]
fn sigkill_at_any_moment_then_resume_gives_the_uninterrupted_index() {
    let work = tempfile::tempdir().unwrap();
    let blocks = simulated(work.path(), true);
    let blocks = blocks.to_str().unwrap();

    let reference = work.path().join("reference");
    let started = Instant::now();
    json(&chainsleuth(&ingest_args(blocks, reference.to_str().unwrap())));
    let full_run = started.elapsed();
    let expected = status(&reference);

    let data = work.path().join("crashed");
    let data_str = data.to_str().unwrap();
    let mut last_tip = 0;
    for step in 1..=8u32 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
            .args(ingest_args(blocks, data_str))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the run: early, mid-commit, late.
        std::thread::sleep(full_run.mul_f64(f64::from(step) / 9.0).min(Duration::from_secs(5)));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        // The last committed state is readable, and never goes backwards.
        if data.join("manifest.json").exists() {
            let now = status(&data);
            let tip = now["tip"]["height"].as_u64().unwrap_or(0);
            assert!(tip >= last_tip, "tip went back from {last_tip} to {tip}");
            last_tip = tip;
        }
    }
    json(&chainsleuth(&ingest_args(blocks, data_str)));
    let resumed = status(&data);
    assert_eq!(resumed["tip"], expected["tip"]);
    assert_eq!(resumed["digest"], expected["digest"]);

    // The worst moment, deterministically: abort in the middle of a commit (files
    // written, manifest not), several times, resuming in between.
    let data = work.path().join("aborted");
    let data_str = data.to_str().unwrap();
    for at in [3, 9, 17, 30] {
        let out = Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
            .args(ingest_args(blocks, data_str))
            .env("CHAINSLEUTH_CRASH_AT_COMMIT", at.to_string())
            .output()
            .unwrap();
        assert!(!out.status.success(), "commit {at} should have aborted");
        let now = status(&data);
        assert!(now["tip"]["height"].as_u64().unwrap() < expected["tip"]["height"].as_u64().unwrap());
    }
    json(&chainsleuth(&ingest_args(blocks, data_str)));
    let resumed = status(&data);
    assert_eq!(resumed["tip"], expected["tip"]);
    assert_eq!(resumed["counts"], expected["counts"]);
    assert_eq!(resumed["digest"], expected["digest"]);
}

/// An abort in the middle of every commit in turn (five blocks each), resuming
/// in between: among them the commits that grow the hash tables (rebuilt larger and renamed
/// before the manifest), which a later open must take as sound, not damaged.
#[test]
fn an_abort_in_any_commit_leaves_an_index_that_opens_and_resumes() {
    let work = tempfile::tempdir().unwrap();
    let blocks = simulated(work.path(), false);
    let blocks = blocks.to_str().unwrap();
    let reference = work.path().join("reference");
    json(&chainsleuth(&ingest_args(blocks, reference.to_str().unwrap())));
    let expected = status(&reference);
    let data = work.path().join("aborted");
    let data_str = data.to_str().unwrap();
    let args = ingest_args(blocks, data_str);
    let mut tables = Vec::new();
    let mut next = 2; // the first commit goes through: aborts from the second on
    for _ in 0..100 {
        let out = Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
            .args(&args)
            .env("CHAINSLEUTH_CRASH_AT_COMMIT", next.to_string())
            .output()
            .unwrap();
        if out.status.success() {
            break; // the last commit went through: nothing left to abort in
        }
        let now = status(&data);
        assert!(now["tip"]["height"].as_u64().unwrap() <= expected["tip"]["height"].as_u64().unwrap());
        tables.push(std::fs::metadata(data.join("address.tbl")).map_or(0, |m| m.len()));
        // One more commit goes through, the one after it aborts (a merge of
        // segments is a commit too).
        next = now["generation"].as_u64().unwrap() + 2;
    }
    assert!(tables.windows(2).any(|w| w[0] < w[1]), "a table grew during the aborted commits: {tables:?}");
    json(&chainsleuth(&ingest_args(blocks, data_str)));
    let resumed = status(&data);
    assert_eq!(resumed["digest"], expected["digest"]);
    assert!(
        json(&chainsleuth(&["status", "--verify", "--network", "regtest", "--data-dir", data_str, "--json"]))["verify"]
            ["damage"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}
