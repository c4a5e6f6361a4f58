//! Linking coins through a shielded pool by value (Quesnelle 2017; Kappos et al.
//! 2018): a value that enters a pool and leaves it again soon after, less at most
//! a fee, and that no other crossing in that window could explain, is most likely
//! the same coins. A link's confidence is
//! `1 / (k_in * k_out) * 1 / (1 + expected)`: `k_in` shieldings could explain
//! the deshielding and `k_out` deshieldings the shielding, and `expected` is how
//! many unrelated shieldings of that value the window would hold by chance, from
//! the value's frequency over the whole chain (round amounts are common, so a
//! unique 1 ZEC match still says little).

use crate::block::Block;
use crate::pools::{Pool, crossings};
use serde::Serialize;

/// A crossing into or out of a pool.
#[derive(Debug, Clone)]
pub struct Crossing {
    /// The transaction (internal order).
    pub txid: [u8; 32],
    /// Its height.
    pub height: u32,
    /// The pool.
    pub pool: Pool,
    /// Zatoshis into (shielding) or out of (deshielding) the pool.
    pub value: u64,
    /// A shielding that spends only coinbase outputs: a miner shielding its reward
    /// (which Zcash required before Heartwood).
    pub from_coinbase: bool,
}

/// How to link.
#[derive(Debug, Clone, Copy)]
pub struct LinkOptions {
    /// Blocks a note may stay in the pool.
    pub window: u32,
    /// Differences allowed between the value in and the value out: none, or a
    /// fee paid inside the pool (zcashd's 0.0001 ZEC, the older 0.00001, and
    /// ZIP 317's multiples of 5,000 zatoshis).
    pub fees: &'static [u64],
    /// Links below this confidence are not reported.
    pub min_confidence: f64,
}

/// Shielding values per pool, sorted, for the chance of a coincidental match.
struct Popularity {
    values: [Vec<u64>; 3],
    span: f64,
}

impl Popularity {
    fn of(shieldings: &[Crossing]) -> Self {
        let mut values: [Vec<u64>; 3] = Default::default();
        for s in shieldings {
            values[s.pool as usize].push(s.value);
        }
        for v in &mut values {
            v.sort_unstable();
        }
        let span = match (shieldings.first(), shieldings.last()) {
            (Some(a), Some(b)) => f64::from(b.height - a.height + 1),
            _ => 1.0,
        };
        Self { values, span }
    }

    /// Unrelated shieldings that would match `value` expected within a window,
    /// besides the one matched.
    fn expected(&self, pool: Pool, value: u64, opts: &LinkOptions) -> f64 {
        let v = &self.values[pool as usize];
        let n: usize = opts
            .fees
            .iter()
            .map(|&fee| {
                let x = value.saturating_add(fee);
                v.partition_point(|&y| y <= x) - v.partition_point(|&y| y < x)
            })
            .sum();
        n.saturating_sub(1) as f64 * f64::from(opts.window).min(self.span) / self.span
    }
}

impl Default for LinkOptions {
    /// A day of 75-second blocks; zcashd's conventional fee; links at least as
    /// likely right as wrong.
    fn default() -> Self {
        Self { window: 1_152, fees: &[0, 1_000, 5_000, 10_000, 15_000, 20_000], min_confidence: 0.5 }
    }
}

/// A shielding and a deshielding linked by value.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// The shielding (display hex).
    pub shield_txid: String,
    /// The deshielding (display hex).
    pub deshield_txid: String,
    /// The pool crossed.
    pub pool: Pool,
    /// Zatoshis in.
    pub value_in: u64,
    /// Zatoshis out.
    pub value_out: u64,
    /// Blocks between them.
    pub blocks_apart: u32,
    /// The shielding spent only coinbase outputs (a miner shielding its reward).
    pub miner_shielding: bool,
    /// See the module's documentation.
    pub confidence: f64,
    /// Why: the candidate counts.
    pub reason: String,
}

/// Every crossing of a chain, gathered block by block.
#[derive(Debug, Default)]
pub struct Crossings {
    /// Value into a pool from the transparent side, in height order.
    pub shieldings: Vec<Crossing>,
    /// Value out of a pool to transparent outputs, in height order.
    pub deshieldings: Vec<Crossing>,
    /// Coinbase transactions seen.
    coinbases: std::collections::HashSet<[u8; 32]>,
}

impl Crossings {
    /// Crossings gathered elsewhere (an index), each list in height order.
    pub fn from_lists(shieldings: Vec<Crossing>, deshieldings: Vec<Crossing>) -> Self {
        Self { shieldings, deshieldings, coinbases: Default::default() }
    }

    /// Adds a block's crossings (blocks in height order). A transaction that only
    /// pays its fee out of a pool is not a deshielding.
    pub fn add_block(&mut self, height: u32, block: &Block<'_>) {
        for tx in &block.txs {
            if tx.is_coinbase() {
                self.coinbases.insert(tx.txid);
                continue;
            }
            let from_coinbase = !tx.inputs.is_empty() && tx.inputs.iter().all(|i| self.coinbases.contains(i.prev_txid));
            for (pool, c) in Pool::ALL.into_iter().zip(crossings(tx)) {
                if c.into > 0 && !tx.inputs.is_empty() {
                    let (txid, value) = (tx.txid, c.into);
                    self.shieldings.push(Crossing { txid, height, pool, value, from_coinbase });
                }
                if c.out_of > 0 && !tx.outputs.is_empty() {
                    let (txid, value) = (tx.txid, c.out_of);
                    self.deshieldings.push(Crossing { txid, height, pool, value, from_coinbase: false });
                }
            }
        }
    }

    /// Shieldings that could explain deshielding `d`.
    fn explaining(&self, d: &Crossing, opts: &LinkOptions) -> Vec<usize> {
        let from = self.shieldings.partition_point(|s| s.height + opts.window < d.height);
        (from..self.shieldings.len())
            .take_while(|&i| self.shieldings[i].height <= d.height)
            .filter(|&i| {
                let s = &self.shieldings[i];
                s.pool == d.pool && s.txid != d.txid && s.value >= d.value && opts.fees.contains(&(s.value - d.value))
            })
            .collect()
    }

    /// Deshieldings that shielding `s` could explain.
    fn explained(&self, s: &Crossing, opts: &LinkOptions) -> usize {
        let from = self.deshieldings.partition_point(|d| d.height < s.height);
        (from..self.deshieldings.len())
            .take_while(|&i| self.deshieldings[i].height <= s.height + opts.window)
            .filter(|&i| {
                let d = &self.deshieldings[i];
                d.pool == s.pool && d.txid != s.txid && s.value >= d.value && opts.fees.contains(&(s.value - d.value))
            })
            .count()
    }

    /// Every link at or above `min_confidence`, by deshielding height.
    pub fn links(&self, opts: &LinkOptions) -> Vec<Link> {
        let popularity = Popularity::of(&self.shieldings);
        let mut out = Vec::new();
        for d in &self.deshieldings {
            let candidates = self.explaining(d, opts);
            let expected = popularity.expected(d.pool, d.value, opts);
            for &i in &candidates {
                let s = &self.shieldings[i];
                let back = self.explained(s, opts);
                let confidence = 1.0 / (candidates.len() * back.max(1)) as f64 / (1.0 + expected);
                if confidence + 1e-12 < opts.min_confidence {
                    continue;
                }
                out.push(Link {
                    shield_txid: crate::header::display_hex(&s.txid),
                    deshield_txid: crate::header::display_hex(&d.txid),
                    pool: d.pool,
                    value_in: s.value,
                    value_out: d.value,
                    blocks_apart: d.height - s.height,
                    miner_shielding: s.from_coinbase,
                    confidence,
                    reason: format!(
                        "{} shielding(s) within {} blocks before could explain the deshielding, {} deshielding(s) after the shielding; {expected:.2} of that value expected by chance",
                        candidates.len(),
                        opts.window,
                        back
                    ),
                });
            }
        }
        out
    }
}

/// Linking scored against a simulator's truth (its `round_trips`).
#[derive(Debug, Clone, Serialize)]
pub struct LinkEval {
    /// Links reported.
    pub links: usize,
    /// Links the truth confirms (the deshielding spends that shielding's note).
    pub correct: usize,
    /// correct / links.
    pub precision: f64,
    /// Round trips the truth marks linkable by value (the whole note came out).
    pub linkable: usize,
    /// Linkable round trips found.
    pub found: usize,
    /// found / linkable.
    pub recall: f64,
    /// Deshieldings of part of a note (not linkable by value).
    pub partial: usize,
}

/// Scores `links` against a ground truth's `round_trips` (JSON as
/// `chainsleuth simulate --chain zcash` writes it).
///
/// # Errors
/// When the truth has no `round_trips` list of that shape.
pub fn evaluate(links: &[Link], truth: &serde_json::Value) -> Result<LinkEval, String> {
    let trips = truth["round_trips"].as_array().ok_or("the ground truth has no round_trips list")?;
    let mut from = std::collections::HashMap::new();
    let (mut linkable, mut partial) = (std::collections::HashSet::new(), 0);
    for t in trips {
        let (Some(s), Some(d)) = (t["shield_txid"].as_str(), t["deshield_txid"].as_str()) else {
            return Err("a round trip without shield_txid and deshield_txid".to_owned());
        };
        from.insert(d.to_owned(), s.to_owned());
        if t["linkable_by_value"] == true {
            linkable.insert((s.to_owned(), d.to_owned()));
        } else {
            partial += 1;
        }
    }
    let correct = links.iter().filter(|l| from.get(&l.deshield_txid) == Some(&l.shield_txid)).count();
    let found = links.iter().filter(|l| linkable.contains(&(l.shield_txid.clone(), l.deshield_txid.clone()))).count();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Ok(LinkEval {
        links: links.len(),
        correct,
        precision: ratio(correct, links.len()),
        linkable: linkable.len(),
        found,
        recall: ratio(found, linkable.len()),
        partial,
    })
}
