//! Against a real monerod (Debian's `monero` package, 0.18): load the fixture's
//! blocks into a fresh `--regtest --offline` node, ingest them over RPC, and
//! check the index equals the one built from the blobs; then a re-run, a reorg
//! made on the node, and a node that goes away mid-ingest.

use monero_index::{BlobDir, IngestOptions, Node, Source, Store, ingest};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Blocks loaded into the node: the fan-outs, the theft (310) and the thief's
/// split (324).
const LOADED: u64 = 330;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/monero-regtest")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A monerod of its own, killed on drop; its log is printed when a test fails.
struct Monerod {
    child: Child,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Monerod {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (rpc, p2p) = (free_port(), free_port());
        let log = dir.path().join("monerod.log");
        let child = Command::new("monerod")
            .args(["--regtest", "--offline", "--fixed-difficulty", "1", "--no-igd", "--hide-my-port", "--no-zmq"])
            .args([
                "--disable-dns-checkpoints",
                "--non-interactive",
                "--p2p-bind-ip",
                "127.0.0.1",
                "--rpc-bind-ip",
                "127.0.0.1",
            ])
            .arg(format!("--rpc-bind-port={rpc}"))
            .arg(format!("--p2p-bind-port={p2p}"))
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg(format!("--log-file={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start monerod ({e}): install Debian's `monero` package (apt-get install monero)")
            });
        let mut node = Self { child, url: format!("http://127.0.0.1:{rpc}"), log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(Some(status)) = node.child.try_wait() {
                node.fail(&format!("monerod exited with {status} before answering"));
            }
            if node.call("get_info", json!({})).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                node.fail("monerod did not answer within 90 s");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        node
    }

    fn fail(&self, why: &str) -> ! {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!("{why}; monerod log (last lines):\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(60))).build().into();
        let mut r = agent.post(&format!("{}{path}", self.url)).send_json(body).map_err(|e| e.to_string())?;
        r.body_mut().read_json::<Value>().map_err(|e| e.to_string())
    }

    fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let v = self.post("/json_rpc", &json!({"jsonrpc": "2.0", "id": "0", "method": method, "params": params}))?;
        match v.get("error") {
            Some(e) => Err(e.to_string()),
            None => Ok(v["result"].clone()),
        }
    }

    /// Submits the fixture's blocks 1..to (their transactions to the pool first).
    fn load(&self, to: u64) {
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture().join("ground_truth.json")).unwrap()).unwrap();
        for b in &truth["blocks"].as_array().unwrap()[1..to as usize] {
            let h = b["height"].as_u64().unwrap();
            for txid in b["txids"].as_array().unwrap() {
                let hex_tx =
                    std::fs::read_to_string(fixture().join(format!("txs/{}.hex", txid.as_str().unwrap()))).unwrap();
                let r = self.post("/send_raw_transaction", &json!({"tx_as_hex": hex_tx.trim(), "do_not_relay": true}));
                if !matches!(&r, Ok(v) if v["status"] == "OK") {
                    self.fail(&format!("send_raw_transaction at height {h}: {r:?}"));
                }
            }
            let blob = std::fs::read_to_string(fixture().join(format!("blocks/{h:06}.hex"))).unwrap();
            if let Err(e) = self.call("submit_block", json!([blob.trim()])) {
                self.fail(&format!("submit_block {h}: {e}"));
            }
        }
    }
}

impl Drop for Monerod {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ingest_from_a_real_monerod_equals_ingest_from_blobs_and_follows_its_reorg() {
    let node = Monerod::start();
    node.load(LOADED);
    let tmp = tempfile::tempdir().unwrap();
    let (over_rpc, from_blobs) = (tmp.path().join("rpc"), tmp.path().join("blobs"));
    let opts = IngestOptions { batch_blocks: 50, commit_blocks: 50, ..IngestOptions::default() };
    let report =
        ingest(&over_rpc, &mut Node::new(&node.url), &opts, &|_, _| {}).unwrap_or_else(|e| node.fail(&e.to_string()));
    assert_eq!(report.blocks_after, LOADED);
    let blob_opts = IngestOptions { until_height: Some(LOADED - 1), ..IngestOptions::default() };
    ingest(&from_blobs, &mut BlobDir::new(&fixture()).unwrap(), &blob_opts, &|_, _| {}).unwrap();
    let digest = Store::open(&from_blobs).unwrap().digest();
    assert_eq!(Store::open(&over_rpc).unwrap().digest(), digest, "RPC and blobs give the same index");

    // Nothing new: a re-run fetches nothing.
    let again = ingest(&over_rpc, &mut Node::new(&node.url), &opts, &|_, _| {}).unwrap();
    assert_eq!((again.txs, again.rolled_back_to), (0, None));

    // A reorg on the node: pop three blocks, mine five others.
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("ground_truth.json")).unwrap()).unwrap();
    let miner = truth["wallets"]["user01"]["address"].as_str().unwrap();
    node.post("/pop_blocks", &json!({"nblocks": 3})).unwrap_or_else(|e| node.fail(&e));
    node.call("generateblocks", json!({"amount_of_blocks": 5, "wallet_address": miner}))
        .unwrap_or_else(|e| node.fail(&e));
    let reorg =
        ingest(&over_rpc, &mut Node::new(&node.url), &opts, &|_, _| {}).unwrap_or_else(|e| node.fail(&e.to_string()));
    assert_eq!(reorg.rolled_back_to, Some(LOADED - 3));
    assert_eq!(reorg.blocks_after, LOADED + 2);
    let store = Store::open(&over_rpc).unwrap();
    for h in [LOADED - 3, LOADED + 1] {
        assert_eq!(store.blocks[h as usize].id, Node::new(&node.url).block_id(h).unwrap().0, "height {h}");
    }
}

#[test]
fn a_node_that_goes_away_mid_ingest_leaves_the_last_commit() {
    let mut node = Monerod::start();
    node.load(120);
    let tmp = tempfile::tempdir().unwrap();
    let opts = IngestOptions { batch_blocks: 40, commit_blocks: 40, ..IngestOptions::default() };
    let url = node.url.clone();
    let child = std::sync::Mutex::new(&mut node.child);
    // Kill the node as soon as the first batch is committed.
    let err = ingest(tmp.path(), &mut Node::new(&url), &opts, &|_, _| {
        let _ = child.lock().unwrap().kill();
    })
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("monerod RPC") && err.contains(&url) && !err.contains('\n'), "{err}");
    assert_eq!(Store::open(tmp.path()).unwrap().blocks.len(), 40);
}
