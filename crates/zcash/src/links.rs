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
    /// A shielding that spends only founders' reward outputs (`crate::founders`).
    pub from_founders: bool,
    /// Transparent addresses on its side: those a shielding spends from, those a
    /// deshielding pays (for the address-reuse heuristic).
    pub addresses: Vec<String>,
}

impl Crossing {
    /// Value out of `pool` to transparent outputs paying `addresses`.
    pub fn deshielding(txid: [u8; 32], height: u32, pool: Pool, value: u64, addresses: Vec<String>) -> Self {
        Self { txid, height, pool, value, from_coinbase: false, from_founders: false, addresses }
    }
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
    /// Link by value (unique-value round trips).
    pub by_value: bool,
    /// Link by address reuse: a deshielding that pays an address a shielding of
    /// the window spent from (the owner taking coins back to where they were).
    pub by_address: bool,
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
        Self {
            window: 1_152,
            fees: &[0, 1_000, 5_000, 10_000, 15_000, 20_000],
            min_confidence: 0.5,
            by_value: true,
            // Off by default: it links owners more than coins (docs/zcash.md).
            by_address: false,
        }
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
    /// The shielding spent only coinbase outputs, not the founders' (a miner
    /// shielding its reward).
    pub miner_shielding: bool,
    /// The shielding spent only founders' reward outputs.
    pub founders_shielding: bool,
    /// What links them: `value`, `address` or `value+address`.
    pub evidence: &'static str,
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
    /// Founders' reward outputs seen.
    founders: std::collections::HashSet<([u8; 32], u32)>,
    /// The network, for its founders' addresses and for naming addresses (none:
    /// no founders' rewards, no addresses).
    network: Option<chain::Network>,
    /// The address of every unspent transparent output, for shieldings' inputs.
    unspent: std::collections::HashMap<([u8; 32], u32), String>,
}

impl Crossings {
    /// Crossings gathered elsewhere (an index), each list in height order.
    pub fn from_lists(shieldings: Vec<Crossing>, deshieldings: Vec<Crossing>) -> Self {
        Self { shieldings, deshieldings, ..Self::default() }
    }

    /// No crossings yet, on `network` (whose founders' reward outputs it marks and
    /// whose addresses it names).
    pub fn for_network(network: chain::Network) -> Self {
        Self { network: Some(network), ..Self::default() }
    }

    /// Adds a block's crossings (blocks in height order). A transaction that only
    /// pays its fee out of a pool is not a deshielding.
    pub fn add_block(&mut self, height: u32, block: &Block<'_>) {
        let founder =
            self.network.and_then(|n| chain::address::to_script(crate::founders::address_at(n, height)?, n).ok());
        for tx in &block.txs {
            let spent: Vec<String> =
                tx.inputs.iter().filter_map(|i| self.unspent.remove(&(*i.prev_txid, i.prev_vout))).collect();
            // Only P2PKH and P2SH outputs have t-addresses; the rest are left empty.
            let t_address = |script: &[u8], n| match chain::script::script_class(script) {
                chain::script::ScriptClass::P2pkh | chain::script::ScriptClass::P2sh => {
                    chain::address::of_script(script, n).unwrap_or_default()
                }
                _ => String::new(),
            };
            let paid: Vec<String> = match self.network {
                Some(n) => tx.outputs.iter().map(|o| t_address(o.script_pubkey, n)).collect(),
                None => Vec::new(),
            };
            for (vout, address) in paid.iter().enumerate() {
                if !address.is_empty() {
                    self.unspent.insert((tx.txid, vout as u32), address.clone());
                }
            }
            if tx.is_coinbase() {
                self.coinbases.insert(tx.txid);
                for (vout, o) in tx.outputs.iter().enumerate() {
                    if founder.as_deref() == Some(o.script_pubkey) {
                        self.founders.insert((tx.txid, vout as u32));
                    }
                }
                continue;
            }
            let from_coinbase = !tx.inputs.is_empty() && tx.inputs.iter().all(|i| self.coinbases.contains(i.prev_txid));
            let from_founders =
                !tx.inputs.is_empty() && tx.inputs.iter().all(|i| self.founders.contains(&(*i.prev_txid, i.prev_vout)));
            for (pool, c) in Pool::ALL.into_iter().zip(crossings(tx)) {
                if c.into > 0 && !tx.inputs.is_empty() {
                    let (txid, value) = (tx.txid, c.into);
                    let addresses = spent.clone();
                    self.shieldings.push(Crossing {
                        txid,
                        height,
                        pool,
                        value,
                        from_coinbase,
                        from_founders,
                        addresses,
                    });
                }
                if c.out_of > 0 && !tx.outputs.is_empty() {
                    let addresses = paid.iter().filter(|a| !a.is_empty()).cloned().collect();
                    self.deshieldings.push(Crossing::deshielding(tx.txid, height, pool, c.out_of, addresses));
                }
            }
        }
    }

    /// Shieldings of `d`'s pool within the window before deshielding `d` that
    /// hold at least its value.
    fn window(&self, d: &Crossing, opts: &LinkOptions) -> impl Iterator<Item = usize> {
        let from = self.shieldings.partition_point(|s| s.height + opts.window < d.height);
        (from..self.shieldings.len()).take_while(move |&i| self.shieldings[i].height <= d.height).filter(move |&i| {
            let s = &self.shieldings[i];
            s.pool == d.pool && s.txid != d.txid && s.value >= d.value
        })
    }

    /// Shieldings whose value, less a usual fee, is deshielding `d`'s.
    fn explaining(&self, d: &Crossing, opts: &LinkOptions) -> Vec<usize> {
        self.window(d, opts).filter(|&i| opts.fees.contains(&(self.shieldings[i].value - d.value))).collect()
    }

    /// Shieldings that spent from an address deshielding `d` pays.
    fn reusing(&self, d: &Crossing, opts: &LinkOptions) -> Vec<usize> {
        self.window(d, opts)
            .filter(|&i| self.shieldings[i].addresses.iter().any(|a| !a.is_empty() && d.addresses.contains(a)))
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

    /// Every link at or above `min_confidence`, by deshielding height. Value and
    /// address reuse are independent evidence: a pair linked by both has
    /// confidence `1 - (1 - c_value) * (1 - c_address)`, where `c_address` is one
    /// over the shieldings of the window that spent from an address it pays.
    pub fn links(&self, opts: &LinkOptions) -> Vec<Link> {
        let popularity = Popularity::of(&self.shieldings);
        let mut out = Vec::new();
        for d in &self.deshieldings {
            let by_value = if opts.by_value { self.explaining(d, opts) } else { Vec::new() };
            let by_address = if opts.by_address { self.reusing(d, opts) } else { Vec::new() };
            let expected = popularity.expected(d.pool, d.value, opts);
            let mut candidates: Vec<usize> = by_value.iter().chain(&by_address).copied().collect();
            candidates.sort_unstable();
            candidates.dedup();
            for i in candidates {
                let s = &self.shieldings[i];
                let value = by_value.contains(&i).then(|| {
                    let back = self.explained(s, opts);
                    (1.0 / (by_value.len() * back.max(1)) as f64 / (1.0 + expected), back)
                });
                let address = by_address.contains(&i).then(|| 1.0 / by_address.len() as f64);
                let confidence = 1.0 - (1.0 - value.map_or(0.0, |v| v.0)) * (1.0 - address.unwrap_or(0.0));
                if confidence + 1e-12 < opts.min_confidence {
                    continue;
                }
                let mut reasons = Vec::new();
                if let Some((_, back)) = value {
                    reasons.push(format!(
                        "{} shielding(s) within {} blocks before could explain the deshielding by value, {back} deshielding(s) after the shielding; {expected:.2} of that value expected by chance",
                        by_value.len(),
                        opts.window
                    ));
                }
                if address.is_some() {
                    reasons
                        .push(format!("it pays an address {} shielding(s) of the window spent from", by_address.len()));
                }
                out.push(Link {
                    shield_txid: crate::header::display_hex(&s.txid),
                    deshield_txid: crate::header::display_hex(&d.txid),
                    pool: d.pool,
                    value_in: s.value,
                    value_out: d.value,
                    blocks_apart: d.height - s.height,
                    miner_shielding: s.from_coinbase && !s.from_founders,
                    founders_shielding: s.from_founders,
                    evidence: match (value.is_some(), address.is_some()) {
                        (true, true) => "value+address",
                        (true, false) => "value",
                        _ => "address",
                    },
                    confidence,
                    reason: reasons.join("; "),
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
    /// Round trips the truth marks linkable by address (the owner deshields to
    /// the address it shielded from).
    pub linkable_by_address: usize,
    /// Of those, found.
    pub found_by_address: usize,
    /// found_by_address / linkable_by_address.
    pub recall_by_address: f64,
    /// Links whose shielding and deshielding the truth gives one owner (the
    /// same wallet, if not the same coins).
    pub same_owner: usize,
    /// same_owner / links.
    pub owner_precision: f64,
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
    let mut by_address = std::collections::HashSet::new();
    let mut owner = std::collections::HashMap::new();
    for t in trips {
        let (Some(s), Some(d)) = (t["shield_txid"].as_str(), t["deshield_txid"].as_str()) else {
            return Err("a round trip without shield_txid and deshield_txid".to_owned());
        };
        from.insert(d.to_owned(), s.to_owned());
        if let Some(o) = t["owner"].as_str() {
            owner.insert(s.to_owned(), o.to_owned());
            owner.insert(d.to_owned(), o.to_owned());
        }
        if t["linkable_by_address"] == true {
            by_address.insert((s.to_owned(), d.to_owned()));
        }
        if t["linkable_by_value"] == true {
            linkable.insert((s.to_owned(), d.to_owned()));
        } else {
            partial += 1;
        }
    }
    let correct = links.iter().filter(|l| from.get(&l.deshield_txid) == Some(&l.shield_txid)).count();
    let found_in = |set: &std::collections::HashSet<(String, String)>| {
        links.iter().filter(|l| set.contains(&(l.shield_txid.clone(), l.deshield_txid.clone()))).count()
    };
    let (found, found_by_address) = (found_in(&linkable), found_in(&by_address));
    let same_owner = links
        .iter()
        .filter(|l| owner.get(&l.shield_txid).is_some_and(|o| owner.get(&l.deshield_txid) == Some(o)))
        .count();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Ok(LinkEval {
        links: links.len(),
        correct,
        precision: ratio(correct, links.len()),
        linkable: linkable.len(),
        found,
        recall: ratio(found, linkable.len()),
        partial,
        linkable_by_address: by_address.len(),
        found_by_address,
        recall_by_address: ratio(found_by_address, by_address.len()),
        same_owner,
        owner_precision: ratio(same_owner, links.len()),
    })
}
