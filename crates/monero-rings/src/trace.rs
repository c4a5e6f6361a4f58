//! Probability-weighted traces through rings. Amounts are hidden, so what flows
//! is the chance that the traced coins pass through a transaction: an output
//! carrying chance `P` is spent by each input naming it with that input's
//! posterior `p`, so the spending transaction gets `P * p`; chances arriving by
//! several paths combine as independent events (`1 - prod(1 - q)`); every
//! output of a reached transaction carries its chance. Backward, a transaction's
//! chance flows to each ring member of each input by the member's posterior.
//! Walks stop at the hop limit, below `min_probability`, at labelled outputs
//! (services) and at miner transactions; what is not spent onward is reported
//! as possibly still sitting in its output.

use crate::analysis::Analysis;
use monero_index::Store;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From outputs to the transactions that may spend them.
    Forward,
    /// From outputs to the outputs that may have funded them.
    Backward,
}

/// Trace options.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    /// Direction.
    pub direction: Direction,
    /// Transaction hops at most.
    pub max_hops: u32,
    /// Chances below this are not followed.
    pub min_probability: f64,
    /// Visits at most (a bound on work and answer size).
    pub max_nodes: usize,
}

impl Default for TraceOptions {
    fn default() -> Self {
        Self { direction: Direction::Forward, max_hops: 10, min_probability: 0.001, max_nodes: 100_000 }
    }
}

/// A reached transaction.
#[derive(Debug, Clone, Serialize)]
pub struct TraceTx {
    /// Transaction hash.
    pub txid: String,
    /// Block height.
    pub height: u32,
    /// Hops from the start.
    pub hop: u32,
    /// Chance the traced coins pass through it.
    pub probability: f64,
    /// Whether it is a miner transaction.
    pub coinbase: bool,
}

/// An edge: output `output` of `from_txid` spent (with `probability`) by `to_txid`.
#[derive(Debug, Clone, Serialize)]
pub struct TraceEdge {
    /// The transaction that created the output.
    pub from_txid: String,
    /// Its position in that transaction.
    pub output: u32,
    /// The transaction whose input may spend it.
    pub to_txid: String,
    /// The input's posterior for this member.
    pub member_probability: f64,
    /// Chance carried along the edge.
    pub probability: f64,
}

/// Where traced coins may end.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// `txid:output`.
    pub outpoint: String,
    /// One-time key of the output.
    pub output_key: String,
    /// Why the walk ends here: `label`, `unspent`, `coinbase`, `hop-limit`, `min-probability`.
    pub reason: String,
    /// The label, if a labelled output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Chance the traced coins sit (or sat) here.
    pub probability: f64,
    /// Block height of the output.
    pub height: u32,
    /// Transaction hops from the start (1: the start's own transaction's other
    /// side, a direct counterparty).
    pub hop: u32,
}

/// A finished trace.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    /// Direction.
    pub direction: Direction,
    /// The start outputs.
    pub from: Vec<String>,
    /// Hop limit.
    pub max_hops: u32,
    /// Probability floor.
    pub min_probability: f64,
    /// Transactions reached.
    pub txs: Vec<TraceTx>,
    /// Edges followed.
    pub edges: Vec<TraceEdge>,
    /// Endpoints, most probable first.
    pub endpoints: Vec<Endpoint>,
    /// Per label reached: the chance the traced coins reached it (its
    /// endpoints' chances combined as independent events).
    pub labels_reached: BTreeMap<String, f64>,
    /// Whether the visit bound cut the walk short.
    pub truncated: bool,
}

fn combine(a: f64, b: f64) -> f64 {
    1.0 - (1.0 - a) * (1.0 - b)
}

/// Traces from outputs (numbers in the index), stopping at outputs whose
/// one-time key is in `labels`.
pub fn trace(
    store: &Store,
    a: &Analysis,
    start: &[u64],
    labels: &FxHashMap<[u8; 32], String>,
    opts: &TraceOptions,
) -> TraceReport {
    let mut walk = Walk::new(store, a, start, labels, opts);
    let mut frontier: Vec<u64> = start.to_vec();
    let mut hop = 0;
    while !frontier.is_empty() {
        let next_txs = walk.leave_outputs(&frontier, hop);
        hop += 1;
        frontier = walk.reach_txs(next_txs, hop);
        if walk.truncated {
            break;
        }
    }
    walk.finish()
}

/// A walk in progress: what it reads, and what it has reached so far.
struct Walk<'a> {
    store: &'a Store,
    a: &'a Analysis,
    start: &'a [u64],
    labels: &'a FxHashMap<[u8; 32], String>,
    opts: &'a TraceOptions,
    /// Per reached transaction: its chance and the hop it was first reached at.
    tx_prob: FxHashMap<u64, (f64, u32)>,
    /// Per reached output: its chance and the hop it was first reached at.
    out_prob: FxHashMap<u64, (f64, u32)>,
    edges: Vec<TraceEdge>,
    endpoints: Vec<Endpoint>,
    /// Whether the visit bound cut the walk short.
    truncated: bool,
}

impl<'a> Walk<'a> {
    /// A walk with the start outputs reached, each with chance 1 at hop 0.
    fn new(
        store: &'a Store,
        a: &'a Analysis,
        start: &'a [u64],
        labels: &'a FxHashMap<[u8; 32], String>,
        opts: &'a TraceOptions,
    ) -> Self {
        let mut out_prob: FxHashMap<u64, (f64, u32)> = FxHashMap::default();
        for &o in start {
            out_prob.insert(o, (1.0, 0));
        }
        Walk {
            store,
            a,
            start,
            labels,
            opts,
            tx_prob: FxHashMap::default(),
            out_prob,
            edges: Vec::new(),
            endpoints: Vec::new(),
            truncated: false,
        }
    }

    /// A transaction's hash in hex.
    fn txid(&self, t: u64) -> String {
        hex::encode(self.store.txs[t as usize].hash)
    }

    /// An output's position in the transaction that created it.
    fn output_position(&self, o: u64, tx: u64) -> u64 {
        o - self.store.txs[tx as usize].first_output
    }

    /// An output as `txid:output`.
    fn outpoint(&self, o: u64) -> String {
        let row = &self.store.outputs[o as usize];
        format!("{}:{}", self.txid(row.tx), self.output_position(o, row.tx))
    }

    /// An endpoint at output `o`, reached at `hop`, for `reason`.
    fn end_at(&self, o: u64, reason: &str, p: f64, label: Option<String>, hop: u32) -> Endpoint {
        Endpoint {
            outpoint: self.outpoint(o),
            output_key: hex::encode(self.store.outputs[o as usize].key),
            reason: reason.to_owned(),
            label,
            probability: p,
            height: self.a.graph.output_height[o as usize],
            hop,
        }
    }

    /// One hop out of the frontier's outputs: ends the labelled ones, and
    /// gathers the chance each next transaction is reached with.
    fn leave_outputs(&mut self, frontier: &[u64], hop: u32) -> FxHashMap<u64, f64> {
        let mut next_txs: FxHashMap<u64, f64> = FxHashMap::default();
        for &o in frontier {
            let (p, at) = self.out_prob[&o];
            let key = self.store.outputs[o as usize].key;
            if let Some(label) = self.labels.get(&key).filter(|_| !self.start.contains(&o)) {
                self.endpoints.push(self.end_at(o, "label", p, Some(label.clone()), at));
                continue;
            }
            match self.opts.direction {
                Direction::Forward => self.spend_forward(o, (p, at), hop, &mut next_txs),
                Direction::Backward => self.fund_backward(o, (p, at), hop, &mut next_txs),
            }
        }
        next_txs
    }

    /// Forward: passes output `o`'s chance `p` (reached at `at`) to each
    /// transaction that may spend it, and ends what stays unspent or meets the
    /// hop limit.
    fn spend_forward(&mut self, o: u64, (p, at): (f64, u32), hop: u32, next_txs: &mut FxHashMap<u64, f64>) {
        let (a, opts) = (self.a, self.opts);
        let g = &a.graph;
        let mut spent = 0.0;
        for &s in g.refs_of(o as usize) {
            let ps = a.probability[s];
            if ps <= 0.0 {
                continue;
            }
            spent += ps;
            let t = g.input_tx[g.slot_input[s] as usize];
            let q = p * ps;
            if hop >= opts.max_hops || q < opts.min_probability {
                continue;
            }
            let e = next_txs.entry(t).or_insert(0.0);
            *e = combine(*e, q);
            let from = self.store.outputs[o as usize].tx;
            self.edges.push(TraceEdge {
                from_txid: self.txid(from),
                output: self.output_position(o, from) as u32,
                to_txid: self.txid(t),
                member_probability: ps,
                probability: q,
            });
        }
        let left = p * (1.0 - spent).max(0.0);
        if left >= opts.min_probability {
            self.endpoints.push(self.end_at(o, "unspent", left, None, at));
        }
        if hop >= opts.max_hops && spent > 0.0 {
            self.endpoints.push(self.end_at(o, "hop-limit", p * spent.min(1.0), None, at));
        }
    }

    /// Backward: passes output `o`'s chance `p` (reached at `at`) to the
    /// transaction that created it, unless that is a miner transaction or the
    /// hop limit is met.
    fn fund_backward(&mut self, o: u64, (p, at): (f64, u32), hop: u32, next_txs: &mut FxHashMap<u64, f64>) {
        let t = self.store.outputs[o as usize].tx;
        if self.store.txs[t as usize].coinbase {
            self.endpoints.push(self.end_at(o, "coinbase", p, None, at));
            return;
        }
        if hop >= self.opts.max_hops {
            self.endpoints.push(self.end_at(o, "hop-limit", p, None, at));
            return;
        }
        let e = next_txs.entry(t).or_insert(0.0);
        *e = combine(*e, p);
    }

    /// Reaches the next transactions in number order (until the visit bound),
    /// returning the outputs they pass their chance to, sorted and deduplicated.
    fn reach_txs(&mut self, next_txs: FxHashMap<u64, f64>, hop: u32) -> Vec<u64> {
        let mut next_frontier = Vec::new();
        let mut txs: Vec<(u64, f64)> = next_txs.into_iter().collect();
        txs.sort_unstable_by_key(|t| t.0);
        for (t, q) in txs {
            if self.tx_prob.len() + self.out_prob.len() >= self.opts.max_nodes {
                self.truncated = true;
                break;
            }
            let Some(p) = self.raise_tx(t, q, hop) else { continue };
            match self.opts.direction {
                Direction::Forward => self.pass_to_outputs(t, p, hop, &mut next_frontier),
                Direction::Backward => self.pass_to_members(t, p, hop, &mut next_frontier),
            }
        }
        next_frontier.sort_unstable();
        next_frontier.dedup();
        next_frontier
    }

    /// Combines `q` into transaction `t`'s chance; its new chance when the rise
    /// is worth following.
    fn raise_tx(&mut self, t: u64, q: f64, hop: u32) -> Option<f64> {
        let entry = self.tx_prob.entry(t).or_insert((0.0, hop));
        let before = entry.0;
        entry.0 = combine(entry.0, q);
        let p = entry.0;
        // Only a rise worth following propagates (keeps the walk finite).
        if p - before < self.opts.min_probability * 0.5 && before > 0.0 {
            return None;
        }
        Some(p)
    }

    /// Forward: every output of transaction `t` carries its chance `p`.
    fn pass_to_outputs(&mut self, t: u64, p: f64, hop: u32, next_frontier: &mut Vec<u64>) {
        for o in self.store.tx_outputs(t) {
            let e = self.out_prob.entry(o).or_insert((0.0, hop));
            e.0 = e.0.max(p);
            next_frontier.push(o);
        }
    }

    /// Backward: transaction `t`'s chance `p` flows to each ring member of each
    /// input by the member's posterior.
    fn pass_to_members(&mut self, t: u64, p: f64, hop: u32, next_frontier: &mut Vec<u64>) {
        let (a, store) = (self.a, self.store);
        let g = &a.graph;
        for i in store.tx_inputs(t) {
            for s in g.ring(i as usize) {
                let q = p * a.probability[s];
                if q < self.opts.min_probability {
                    continue;
                }
                let src = g.members[s];
                let from = g.output_tx[src as usize];
                self.edges.push(TraceEdge {
                    from_txid: self.txid(from),
                    output: self.output_position(src, from) as u32,
                    to_txid: self.txid(t),
                    member_probability: a.probability[s],
                    probability: q,
                });
                let e = self.out_prob.entry(src).or_insert((0.0, hop));
                e.0 = combine(e.0, q);
                next_frontier.push(src);
            }
        }
    }

    /// The report: endpoints most probable first (one per outpoint and reason),
    /// the labels reached, and the transactions by hop.
    fn finish(mut self) -> TraceReport {
        let mut endpoints = std::mem::take(&mut self.endpoints);
        endpoints.sort_by(|x, y| y.probability.total_cmp(&x.probability).then_with(|| x.outpoint.cmp(&y.outpoint)));
        endpoints.dedup_by(|x, y| x.outpoint == y.outpoint && x.reason == y.reason);
        let labels_reached = labels_reached(&endpoints);
        let mut txs: Vec<TraceTx> = self
            .tx_prob
            .iter()
            .map(|(&t, &(p, h))| TraceTx {
                txid: self.txid(t),
                height: self.store.txs[t as usize].height,
                hop: h,
                probability: p,
                coinbase: self.store.txs[t as usize].coinbase,
            })
            .collect();
        txs.sort_by(|x, y| {
            x.hop.cmp(&y.hop).then(y.probability.total_cmp(&x.probability)).then_with(|| x.txid.cmp(&y.txid))
        });
        TraceReport {
            direction: self.opts.direction,
            from: self.start.iter().map(|&o| self.outpoint(o)).collect(),
            max_hops: self.opts.max_hops,
            min_probability: self.opts.min_probability,
            txs,
            edges: self.edges,
            endpoints,
            labels_reached,
            truncated: self.truncated,
        }
    }
}

/// Per label among `endpoints`: their chances combined as independent events.
fn labels_reached(endpoints: &[Endpoint]) -> BTreeMap<String, f64> {
    let mut labels_reached = BTreeMap::new();
    for e in endpoints {
        if let Some(l) = &e.label {
            let p = labels_reached.entry(l.clone()).or_insert(0.0);
            *p = combine(*p, e.probability);
        }
    }
    labels_reached
}

impl TraceReport {
    /// Graphviz DOT of the flow: transactions as nodes, edges labelled with the
    /// chance they carry.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph xmr_trace {\n  rankdir=LR;\n  node [shape=box, fontname=monospace];\n");
        for t in &self.txs {
            out.push_str(&format!(
                "  \"{}\" [label=\"{}…\\nh {} p {:.3}\"];\n",
                t.txid,
                &t.txid[..12],
                t.height,
                t.probability
            ));
        }
        for e in &self.edges {
            out.push_str(&format!(
                "  \"{}\" -> \"{}\" [label=\"{}: {:.3}\"];\n",
                e.from_txid, e.to_txid, e.output, e.probability
            ));
        }
        for (k, e) in self.endpoints.iter().enumerate() {
            let name = e.label.clone().unwrap_or_else(|| e.reason.clone());
            let tx = e.outpoint.split(':').next().unwrap_or_default();
            out.push_str(&format!(
                "  \"end{k}\" [shape=ellipse, label=\"{} {:.3}\"];\n  \"{tx}\" -> \"end{k}\";\n",
                name, e.probability
            ));
        }
        out.push_str("}\n");
        out
    }

    /// A self-contained HTML report: the summary, endpoints and transactions.
    pub fn to_html(&self, tip: &str) -> String {
        let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let mut h = String::from(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>chainsleuth Monero trace</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}td.n{text-align:right}code{font-size:12px}</style></head><body>",
        );
        h.push_str(&format!(
            "<h1>Monero trace ({:?})</h1><p>From {} output(s); at most {} hops; chances below {} not followed; index tip {}. Chances are posteriors of ring members (chainsleuth xmr), combined as independent events; amounts are hidden.</p>",
            self.direction,
            self.from.len(),
            self.max_hops,
            self.min_probability,
            esc(tip)
        ));
        if self.truncated {
            h.push_str("<p><b>The walk hit its visit bound; more may lie beyond.</b></p>");
        }
        h.push_str("<h2>Labels reached</h2><table><tr><th>label</th><th>probability mass</th></tr>");
        for (l, p) in &self.labels_reached {
            h.push_str(&format!("<tr><td>{}</td><td class=n>{p:.4}</td></tr>", esc(l)));
        }
        h.push_str("</table><h2>Endpoints</h2><table><tr><th>output</th><th>reason</th><th>label</th><th>height</th><th>probability</th></tr>");
        for e in self.endpoints.iter().take(500) {
            h.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{:.4}</td></tr>",
                esc(&e.outpoint),
                e.reason,
                esc(e.label.as_deref().unwrap_or("")),
                e.height,
                e.probability
            ));
        }
        h.push_str(
            "</table><h2>Transactions</h2><table><tr><th>hop</th><th>txid</th><th>height</th><th>probability</th></tr>",
        );
        for t in self.txs.iter().take(2000) {
            h.push_str(&format!(
                "<tr><td class=n>{}</td><td><code>{}</code></td><td class=n>{}</td><td class=n>{:.4}</td></tr>",
                t.hop, t.txid, t.height, t.probability
            ));
        }
        h.push_str("</table></body></html>\n");
        h
    }
}
