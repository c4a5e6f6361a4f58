//! Following coins from a transaction: along transparent spends, and through a
//! shielded pool along the round-trip links, each hop carrying the chance that
//! the coins went that way. Value that enters a pool and matches no link stops
//! there, reported as such: never silently lost.

use crate::block::Block;
use crate::header::display_hex;
use crate::links::Link;
use crate::pools::{Pool, crossings};
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};

/// The transparent graph of a chain: who spends each output, what each pays.
#[derive(Debug, Default)]
pub struct Graph {
    spender: HashMap<([u8; 32], u32), [u8; 32]>,
    outputs: HashMap<[u8; 32], Vec<Vec<u8>>>,
    shields: HashMap<[u8; 32], Pool>,
}

/// A hop of a trail.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// From (display hex).
    pub from_txid: String,
    /// To.
    pub to_txid: String,
    /// `spend` (a transparent output spent) or `pool` (a round-trip link).
    pub kind: &'static str,
    /// The chance the coins reached `to_txid` this way.
    pub probability: f64,
    /// Hops from the start.
    pub hop: u32,
}

/// Where a trail ends.
#[derive(Debug, Clone, Serialize)]
pub struct End {
    /// The transaction.
    pub txid: String,
    /// `labelled` (pays a watched script), `pool` (entered a pool, no link out),
    /// `unspent`, or `hop-limit`.
    pub reason: String,
    /// The chance the coins end here.
    pub probability: f64,
}

/// A finished trail.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Trail {
    /// Hops followed.
    pub hops: Vec<Hop>,
    /// Where it ends, most probable first.
    pub ends: Vec<End>,
}

impl Graph {
    /// Adds a block's transactions.
    pub fn add_block(&mut self, block: &Block<'_>) {
        for tx in &block.txs {
            for i in tx.inputs.iter().filter(|i| !i.is_coinbase()) {
                self.spender.insert((*i.prev_txid, i.prev_vout), tx.txid);
            }
            self.outputs.insert(tx.txid, tx.outputs.iter().map(|o| o.script_pubkey.to_vec()).collect());
            if let Some((pool, _)) = Pool::ALL.into_iter().zip(crossings(tx)).find(|(_, c)| c.into > 0) {
                self.shields.insert(tx.txid, pool);
            }
        }
    }

    /// Follows the coins of `start`'s outputs forward up to `max_hops`, through
    /// pools along `links`, ending at outputs paying one of `watched`.
    pub fn follow(&self, start: [u8; 32], links: &[Link], watched: &HashSet<Vec<u8>>, max_hops: u32) -> Trail {
        let mut by_shield: HashMap<&str, Vec<&Link>> = HashMap::new();
        for l in links {
            by_shield.entry(l.shield_txid.as_str()).or_default().push(l);
        }
        let parse = |hex: &str| hex.parse::<chain::Txid>().ok().map(|t| t.0);
        let mut trail = Trail::default();
        let mut queue = VecDeque::from([(start, 1.0f64, 0u32)]);
        let mut seen = HashSet::new();
        while let Some((t, p, hop)) = queue.pop_front() {
            if !seen.insert(t) {
                continue;
            }
            let end =
                |reason: &str, probability: f64| End { txid: display_hex(&t), reason: reason.to_owned(), probability };
            if hop > 0 && self.outputs.get(&t).is_some_and(|o| o.iter().any(|s| watched.contains(s))) {
                trail.ends.push(end("labelled", p));
                continue;
            }
            if hop >= max_hops {
                trail.ends.push(end("hop-limit", p));
                continue;
            }
            if let Some(pool) = self.shields.get(&t).filter(|_| hop > 0) {
                let out = by_shield.get(display_hex(&t).as_str()).map_or(&[][..], Vec::as_slice);
                let linked: f64 = out.iter().map(|l| l.confidence).sum::<f64>().min(1.0);
                for l in out {
                    let q = p * l.confidence;
                    trail.hops.push(Hop {
                        from_txid: display_hex(&t),
                        to_txid: l.deshield_txid.clone(),
                        kind: "pool",
                        probability: q,
                        hop: hop + 1,
                    });
                    if let Some(d) = parse(&l.deshield_txid) {
                        queue.push_back((d, q, hop + 1));
                    }
                }
                if linked < 1.0 {
                    trail.ends.push(end(&format!("entered the {} pool", pool.name()), p * (1.0 - linked)));
                }
            }
            let n = self.outputs.get(&t).map_or(0, Vec::len);
            let mut spent = false;
            for vout in 0..n as u32 {
                if let Some(&s) = self.spender.get(&(t, vout)) {
                    spent = true;
                    trail.hops.push(Hop {
                        from_txid: display_hex(&t),
                        to_txid: display_hex(&s),
                        kind: "spend",
                        probability: p,
                        hop: hop + 1,
                    });
                    queue.push_back((s, p, hop + 1));
                }
            }
            if !spent && n > 0 && !self.shields.contains_key(&t) {
                trail.ends.push(end("unspent", p));
            }
        }
        trail.ends.sort_by(|a, b| b.probability.total_cmp(&a.probability).then_with(|| a.txid.cmp(&b.txid)));
        trail
    }
}
