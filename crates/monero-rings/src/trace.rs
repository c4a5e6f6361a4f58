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
    let g = &a.graph;
    let txid = |t: u64| hex::encode(store.txs[t as usize].hash);
    let outpoint = |o: u64| {
        let row = &store.outputs[o as usize];
        format!("{}:{}", txid(row.tx), o - store.txs[row.tx as usize].first_output)
    };
    let mut tx_prob: FxHashMap<u64, (f64, u32)> = FxHashMap::default();
    let mut out_prob: FxHashMap<u64, (f64, u32)> = FxHashMap::default();
    let mut edges = Vec::new();
    let mut endpoints: Vec<Endpoint> = Vec::new();
    let mut truncated = false;
    let mut frontier: Vec<u64> = start.to_vec();
    for &o in start {
        out_prob.insert(o, (1.0, 0));
    }
    let end_at = |o: u64, reason: &str, p: f64, label: Option<String>, hop: u32| Endpoint {
        outpoint: outpoint(o),
        output_key: hex::encode(store.outputs[o as usize].key),
        reason: reason.to_owned(),
        label,
        probability: p,
        height: g.output_height[o as usize],
        hop,
    };
    let mut hop = 0;
    while !frontier.is_empty() {
        let mut next_txs: FxHashMap<u64, f64> = FxHashMap::default();
        for &o in &frontier {
            let (p, at) = out_prob[&o];
            let key = store.outputs[o as usize].key;
            if let Some(label) = labels.get(&key).filter(|_| !start.contains(&o)) {
                endpoints.push(end_at(o, "label", p, Some(label.clone()), at));
                continue;
            }
            match opts.direction {
                Direction::Forward => {
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
                        edges.push(TraceEdge {
                            from_txid: txid(store.outputs[o as usize].tx),
                            output: (o - store.txs[store.outputs[o as usize].tx as usize].first_output) as u32,
                            to_txid: txid(t),
                            member_probability: ps,
                            probability: q,
                        });
                    }
                    let left = p * (1.0 - spent).max(0.0);
                    if left >= opts.min_probability {
                        endpoints.push(end_at(o, "unspent", left, None, at));
                    }
                    if hop >= opts.max_hops && spent > 0.0 {
                        endpoints.push(end_at(o, "hop-limit", p * spent.min(1.0), None, at));
                    }
                }
                Direction::Backward => {
                    let t = store.outputs[o as usize].tx;
                    if store.txs[t as usize].coinbase {
                        endpoints.push(end_at(o, "coinbase", p, None, at));
                        continue;
                    }
                    if hop >= opts.max_hops {
                        endpoints.push(end_at(o, "hop-limit", p, None, at));
                        continue;
                    }
                    let e = next_txs.entry(t).or_insert(0.0);
                    *e = combine(*e, p);
                }
            }
        }
        hop += 1;
        let mut next_frontier = Vec::new();
        let mut txs: Vec<(u64, f64)> = next_txs.into_iter().collect();
        txs.sort_unstable_by_key(|t| t.0);
        for (t, q) in txs {
            if tx_prob.len() + out_prob.len() >= opts.max_nodes {
                truncated = true;
                break;
            }
            let entry = tx_prob.entry(t).or_insert((0.0, hop));
            let before = entry.0;
            entry.0 = combine(entry.0, q);
            let p = entry.0;
            // Only a rise worth following propagates (keeps the walk finite).
            if p - before < opts.min_probability * 0.5 && before > 0.0 {
                continue;
            }
            match opts.direction {
                Direction::Forward => {
                    for o in store.tx_outputs(t) {
                        let e = out_prob.entry(o).or_insert((0.0, hop));
                        e.0 = e.0.max(p);
                        next_frontier.push(o);
                    }
                }
                Direction::Backward => {
                    for i in store.tx_inputs(t) {
                        for s in g.ring(i as usize) {
                            let q = p * a.probability[s];
                            if q < opts.min_probability {
                                continue;
                            }
                            let src = g.members[s];
                            edges.push(TraceEdge {
                                from_txid: txid(g.output_tx[src as usize]),
                                output: (src - store.txs[g.output_tx[src as usize] as usize].first_output) as u32,
                                to_txid: txid(t),
                                member_probability: a.probability[s],
                                probability: q,
                            });
                            let e = out_prob.entry(src).or_insert((0.0, hop));
                            e.0 = combine(e.0, q);
                            next_frontier.push(src);
                        }
                    }
                }
            }
        }
        next_frontier.sort_unstable();
        next_frontier.dedup();
        frontier = next_frontier;
        if truncated {
            break;
        }
    }
    endpoints.sort_by(|x, y| y.probability.total_cmp(&x.probability).then_with(|| x.outpoint.cmp(&y.outpoint)));
    endpoints.dedup_by(|x, y| x.outpoint == y.outpoint && x.reason == y.reason);
    let mut labels_reached = BTreeMap::new();
    for e in &endpoints {
        if let Some(l) = &e.label {
            let p = labels_reached.entry(l.clone()).or_insert(0.0);
            *p = combine(*p, e.probability);
        }
    }
    let mut txs: Vec<TraceTx> = tx_prob
        .into_iter()
        .map(|(t, (p, h))| TraceTx {
            txid: txid(t),
            height: store.txs[t as usize].height,
            hop: h,
            probability: p,
            coinbase: store.txs[t as usize].coinbase,
        })
        .collect();
    txs.sort_by(|x, y| {
        x.hop.cmp(&y.hop).then(y.probability.total_cmp(&x.probability)).then_with(|| x.txid.cmp(&y.txid))
    });
    TraceReport {
        direction: opts.direction,
        from: start.iter().map(|&o| outpoint(o)).collect(),
        max_hops: opts.max_hops,
        min_probability: opts.min_probability,
        txs,
        edges,
        endpoints,
        labels_reached,
        truncated,
    }
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
