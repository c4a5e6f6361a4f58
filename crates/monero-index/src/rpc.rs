//! A monerod JSON-RPC client: the few calls ingest needs, each bounded in time
//! and in answer size, each failure one line naming the call and height.

use crate::{Error, Result};
use monero::Hash32;
use serde_json::{Value, json};
use std::time::Duration;

/// Largest answer accepted (a block's transactions as hex).
const MAX_ANSWER: u64 = 256 << 20;

/// A client of one node.
#[derive(Debug)]
pub struct Rpc {
    url: String,
    agent: ureq::Agent,
}

impl Rpc {
    /// A client of the node at `url`.
    pub fn new(url: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build();
        Self { url: url.trim_end_matches('/').to_owned(), agent: config.into() }
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn post(&self, path: &str, body: &Value, what: &str) -> Result<Value> {
        let url = format!("{}{path}", self.url);
        let fail = |m: String| Error::Rpc(format!("{url}: {what}: {m}"));
        let mut resp = self.agent.post(&url).send_json(body).map_err(|e| fail(e.to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        let value: Value = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_json()
            .map_err(|e| fail(format!("bad answer: {e}")))?;
        Ok(value)
    }

    fn json_rpc(&self, method: &str, params: Value, what: &str) -> Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": "0", "method": method, "params": params});
        let mut v = self.post("/json_rpc", &body, what)?;
        if let Some(err) = v.get("error") {
            return Err(Error::Rpc(format!("{}/json_rpc: {what}: {err}", self.url)));
        }
        Ok(v["result"].take())
    }

    /// `get_block_count`.
    ///
    /// # Errors
    /// If the node does not answer or answers nonsense.
    pub fn block_count(&self) -> Result<u64> {
        let r = self.json_rpc("get_block_count", json!({}), "get_block_count")?;
        r["count"].as_u64().ok_or_else(|| Error::Rpc(format!("{}: get_block_count: field count missing", self.url)))
    }

    /// The id of the block at `height` (`get_block_header_by_height`).
    ///
    /// # Errors
    /// If the node does not answer or answers nonsense.
    pub fn block_hash(&self, height: u64) -> Result<Hash32> {
        let what = format!("get_block_header_by_height {height}");
        let r = self.json_rpc("get_block_header_by_height", json!({"height": height}), &what)?;
        hash_field(&r["block_header"], "hash")
            .ok_or_else(|| Error::Rpc(format!("{}: {what}: field block_header.hash missing or malformed", self.url)))
    }

    /// Block `height`: its blob, miner tx hash and other tx hashes (`get_block`).
    ///
    /// # Errors
    /// If the node does not answer or answers nonsense.
    pub fn block(&self, height: u64) -> Result<(Vec<u8>, Hash32, Vec<Hash32>)> {
        let what = format!("get_block {height}");
        let r = self.json_rpc("get_block", json!({"height": height}), &what)?;
        let bad = |f: &str| Error::Rpc(format!("{}: {what}: field {f} missing or malformed", self.url));
        let blob = r["blob"].as_str().and_then(|s| hex::decode(s).ok()).ok_or_else(|| bad("blob"))?;
        let miner = hash_field(&r, "miner_tx_hash").ok_or_else(|| bad("miner_tx_hash"))?;
        let mut hashes = Vec::new();
        if let Some(list) = r.get("tx_hashes").and_then(Value::as_array) {
            for h in list {
                hashes.push(h.as_str().and_then(Hash32::from_hex).ok_or_else(|| bad("tx_hashes"))?);
            }
        }
        Ok((blob, miner, hashes))
    }

    /// Transactions by hash with their global output indices (`get_transactions`);
    /// a coinbase comes back pruned (its blob is in the block), others whole.
    ///
    /// # Errors
    /// If the node does not answer, misses one, or answers nonsense.
    pub fn transactions(&self, hashes: &[Hash32], height: u64) -> Result<Vec<(Vec<u8>, Vec<u64>)>> {
        let what = format!("get_transactions at height {height}");
        let list: Vec<String> = hashes.iter().map(ToString::to_string).collect();
        let r = self.post("/get_transactions", &json!({"txs_hashes": list, "decode_as_json": false}), &what)?;
        let bad = |f: String| Error::Rpc(format!("{}: {what}: {f}", self.url));
        if r["status"] != "OK" {
            return Err(bad(format!("status {}", r["status"])));
        }
        if let Some(missed) = r.get("missed_tx").and_then(Value::as_array).filter(|m| !m.is_empty()) {
            return Err(bad(format!("the node does not have tx {}", missed[0])));
        }
        let txs = r["txs"].as_array().ok_or_else(|| bad("field txs missing".into()))?;
        if txs.len() != hashes.len() {
            return Err(bad(format!("{} txs asked, {} answered", hashes.len(), txs.len())));
        }
        let mut out = Vec::with_capacity(txs.len());
        for (t, want) in txs.iter().zip(hashes) {
            let txid = want.to_string();
            if t["tx_hash"].as_str() != Some(txid.as_str()) {
                return Err(bad(format!("txs answered out of order at {txid}")));
            }
            let hex_blob =
                t["as_hex"].as_str().filter(|s| !s.is_empty()).or_else(|| t["pruned_as_hex"].as_str()).unwrap_or("");
            let blob = hex::decode(hex_blob).map_err(|_| bad(format!("txid {txid}: field as_hex is not hex")))?;
            let indices = t["output_indices"]
                .as_array()
                .map(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>())
                .unwrap_or(None)
                .ok_or_else(|| bad(format!("txid {txid}: field output_indices missing or malformed")))?;
            out.push((blob, indices));
        }
        Ok(out)
    }
}

fn hash_field(v: &Value, field: &str) -> Option<Hash32> {
    v.get(field)?.as_str().and_then(Hash32::from_hex)
}
