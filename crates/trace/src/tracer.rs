//! The tracer: follows taint from starting outputs, forward (where did it go) or
//! backward (where did it come from), one transaction at a time in chain order, so
//! that every share of taint has arrived at a transaction before it is split.
//!
//! Forward, transactions are taken in increasing number (a spender always comes
//! after what it spends); backward, in decreasing number. Each transaction is split
//! once under the policy, whatever number of tainted paths reach it.

use crate::policy::{self, Policy, Taint};
use crate::queue::TxQueue;
use crate::services::Services;
use crate::view::{ChainView, Source};
use analysis::Protocol;
use rustc_hash::{FxHashMap, FxHashSet};

/// Which way to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the starting outputs to where their value went.
    Forward,
    /// From the starting outputs to where their value came from.
    Backward,
}

/// How to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceOptions {
    /// The taint policy.
    pub policy: Policy,
    /// Forward or backward.
    pub direction: Direction,
    /// Transactions to go through at most, counting the first as 1.
    pub max_hops: u32,
    /// Shares of taint smaller than this (satoshis) are not followed further.
    pub min_value: u64,
    /// Stop at outputs of addresses labelled as services.
    pub stop_at_services: bool,
    /// Forward: ignore spends above this height (value counts as unspent there).
    /// Backward: do not go below it.
    pub until_height: Option<u32>,
}

impl Default for TraceOptions {
    fn default() -> Self {
        Self {
            policy: Policy::Haircut,
            direction: Direction::Forward,
            max_hops: 10,
            min_value: 0,
            stop_at_services: false,
            until_height: None,
        }
    }
}

/// Why a trail ends where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndKind {
    /// Forward: the value sits in an unspent output (at the tip, or at `--until-height`).
    Unspent,
    /// The trail reached an address of a service.
    Service,
    /// A limit stopped it: hops, value below the threshold, or (backward) the height.
    Limit,
    /// Backward: the value was mined (a coinbase).
    Coinbase,
    /// Backward: it came from an output before the indexed chain.
    Unresolved,
}

impl EndKind {
    /// The name in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unspent => "unspent",
            Self::Service => "service",
            Self::Limit => "limit",
            Self::Coinbase => "coinbase",
            Self::Unresolved => "unresolved",
        }
    }
}

/// Where a share of the traced value ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The output holding it (forward), or that it came from (backward); `None` for
    /// an unresolved source.
    pub output: Option<u64>,
    /// That output's address.
    pub address: Option<u32>,
    /// The traced transaction next to it: the one that created the output (forward),
    /// or the one that spent it (backward).
    pub tx: u64,
    /// Tainted satoshis.
    pub value: f64,
    /// Why the trail ends here.
    pub kind: EndKind,
    /// The service, for [`EndKind::Service`] (an index into the trace's services).
    pub service: Option<usize>,
    /// Hops from the start.
    pub hop: u32,
}

/// A transaction the trace went through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TxNode {
    /// Hops from the start (0 for a starting transaction, forward).
    pub hop: u32,
    /// Tainted value entering it.
    pub tainted_in: f64,
    /// Tainted value leaving it.
    pub tainted_out: f64,
    /// The fee's share of the taint.
    pub fee: f64,
    /// Its CoinJoin protocol, if it is one.
    pub coinjoin: Option<Protocol>,
}

/// A trace's result: the flow graph and where the value ended.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The options it ran with.
    pub options: TraceOptions,
    /// Starting outputs.
    pub starts: Vec<u64>,
    /// Their total value.
    pub traced_value: f64,
    /// Transactions gone through: (number, node), sorted by number.
    pub nodes: Vec<(u64, TxNode)>,
    /// Tainted value flowing from one transaction to another, in the money's
    /// direction whichever way the trace ran: (from, to, value), sorted.
    pub edges: Vec<(u64, u64, f64)>,
    /// Where the value ended.
    pub endpoints: Vec<Endpoint>,
    /// Taint paid as fees.
    pub fees: f64,
    /// Transactions split (visits).
    pub visited: u64,
}

/// Traces from `starts` (output numbers, each tainted whole).
pub fn trace(view: &impl ChainView, services: &dyn Services, starts: &[u64], options: TraceOptions) -> Flow {
    let mut starts = starts.to_vec();
    starts.sort_unstable();
    starts.dedup();
    let mut tracer = Tracer {
        view,
        services,
        options,
        flow: Flow {
            options,
            starts: starts.clone(),
            traced_value: starts.iter().map(|&o| view.value(o) as f64).sum(),
            nodes: Vec::new(),
            edges: Vec::new(),
            endpoints: Vec::new(),
            fees: 0.0,
            visited: 0,
        },
        pending: FxHashMap::default(),
        start_set: starts.iter().copied().collect(),
    };
    match options.direction {
        Direction::Forward => tracer.forward(&starts),
        Direction::Backward => tracer.backward(&starts),
    }
    let mut flow = tracer.flow;
    flow.merge();
    flow
}

impl Flow {
    /// The node of transaction `t`, if the trace went through it.
    pub fn node(&self, t: u64) -> Option<&TxNode> {
        self.nodes.binary_search_by_key(&t, |n| n.0).ok().map(|k| &self.nodes[k].1)
    }

    /// Sorts the nodes and edges (recorded as they came, which is cheaper than
    /// looking each up) and merges the entries of one transaction or pair.
    fn merge(&mut self) {
        self.nodes.sort_by_key(|n| n.0);
        self.nodes.dedup_by(|later, kept| {
            if later.0 != kept.0 {
                return false;
            }
            let (k, l) = (&mut kept.1, &later.1);
            k.hop = k.hop.min(l.hop);
            k.tainted_in += l.tainted_in;
            k.tainted_out += l.tainted_out;
            k.fee += l.fee;
            k.coinjoin = k.coinjoin.or(l.coinjoin);
            true
        });
        self.edges.sort_by_key(|e| (e.0, e.1));
        self.edges.dedup_by(|later, kept| {
            let same = (later.0, later.1) == (kept.0, kept.1);
            if same {
                kept.2 += later.2;
            }
            same
        });
    }
}

/// Taint waiting at a transaction: the hop it is reached at and the tainted
/// inputs (forward) or outputs (backward), by position.
#[derive(Default)]
struct Pending {
    hop: u32,
    parts: Vec<(usize, Taint)>,
}

struct Tracer<'a, V> {
    view: &'a V,
    services: &'a dyn Services,
    options: TraceOptions,
    flow: Flow,
    pending: FxHashMap<u64, Pending>,
    start_set: FxHashSet<u64>,
}

impl<V: ChainView> Tracer<'_, V> {
    fn end(&mut self, output: Option<u64>, tx: u64, value: f64, kind: EndKind, hop: u32) {
        let address = output.map(|o| self.view.address(o));
        let service = if kind == EndKind::Service { address.and_then(|a| self.services.service_of(a)) } else { None };
        self.flow.endpoints.push(Endpoint { output, address, tx, value, kind, service, hop });
    }

    /// Leaves taint at transaction `tx`; true if `tx` was not waiting yet.
    fn wait(&mut self, tx: u64, hop: u32, position: usize, taint: Taint) -> bool {
        match self.pending.entry(tx) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let p = e.get_mut();
                p.hop = p.hop.min(hop);
                p.parts.push((position, taint));
                false
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Pending { hop, parts: vec![(position, taint)] });
                true
            }
        }
    }

    fn is_service(&self, output: u64) -> bool {
        self.options.stop_at_services && self.services.service_of(self.view.address(output)).is_some()
    }

    fn forward(&mut self, starts: &[u64]) {
        let mut queue = TxQueue::new(true);
        for &o in starts {
            let t = self.view.output_tx(o);
            let value = self.view.value(o);
            self.flow.nodes.push((t, TxNode { tainted_out: value as f64, ..TxNode::default() }));
            if let Some(next) = self.follow(o, Taint::whole(self.options.policy, value), t, 0) {
                queue.push(next);
            }
        }
        let (mut inputs, mut values) = (Vec::new(), Vec::new());
        let mut split = policy::Split { outputs: Vec::new(), fee: 0.0 };
        while let Some(t) = queue.pop() {
            let Some(p) = self.pending.remove(&t) else { continue };
            self.flow.visited += 1;
            let outs = self.view.outputs(t);
            values.clear();
            values.extend(outs.clone().map(|o| self.view.value(o)));
            inputs.clear();
            // Only FIFO needs each input's value; the others need the total, which
            // the fee gives without reading the spent outputs.
            match self.view.fee(t).filter(|_| self.options.policy != Policy::Fifo) {
                Some(fee) => inputs.push(values.iter().sum::<u64>() + fee),
                None => inputs.extend(self.view.inputs(t).map(|i| self.source_value(i))),
            }
            policy::forward_into(self.options.policy, &inputs, &p.parts, &values, &mut split);
            let tainted_in: f64 = p.parts.iter().map(|(_, t)| t.amount).sum();
            let tainted_out: f64 = split.outputs.iter().flatten().map(|t| t.amount).sum();
            let coinjoin = self.view.coinjoin(t);
            self.flow.nodes.push((t, TxNode { hop: p.hop, tainted_in, tainted_out, fee: split.fee, coinjoin }));
            self.flow.fees += split.fee;
            for (o, share) in outs.zip(split.outputs.drain(..)) {
                // A starting output is tainted whole already.
                if let Some(share) = share.filter(|s| s.amount > 0.0 && !self.start_set.contains(&o))
                    && let Some(next) = self.follow(o, share, t, p.hop)
                {
                    queue.push(next);
                }
            }
        }
    }

    fn source_value(&self, input: u64) -> u64 {
        match self.view.source(input) {
            Source::Output(o) => self.view.value(o),
            Source::Coinbase | Source::Unresolved => 0,
        }
    }

    /// Sends taint leaving transaction `from` through output `o` on, or ends it there;
    /// returns the spender if it is newly waiting.
    fn follow(&mut self, o: u64, taint: Taint, from: u64, hop: u32) -> Option<u64> {
        if self.is_service(o) {
            self.end(Some(o), from, taint.amount, EndKind::Service, hop);
            return None;
        }
        let spender =
            self.view.spender(o).filter(|&(_, t)| self.options.until_height.is_none_or(|h| self.view.height(t) <= h));
        let Some((input, t)) = spender else {
            self.end(Some(o), from, taint.amount, EndKind::Unspent, hop);
            return None;
        };
        if hop >= self.options.max_hops || taint.amount < self.options.min_value as f64 {
            self.end(Some(o), from, taint.amount, EndKind::Limit, hop);
            return None;
        }
        self.flow.edges.push((from, t, taint.amount));
        let position = (input - self.view.inputs(t).start) as usize;
        self.wait(t, hop + 1, position, taint).then_some(t)
    }

    fn backward(&mut self, starts: &[u64]) {
        let mut queue = TxQueue::new(false);
        for &o in starts {
            let t = self.view.output_tx(o);
            let position = (o - self.view.outputs(t).start) as usize;
            if self.wait(t, 1, position, Taint::whole(self.options.policy, self.view.value(o))) {
                queue.push(t);
            }
        }
        while let Some(t) = queue.pop() {
            let Some(p) = self.pending.remove(&t) else { continue };
            self.flow.visited += 1;
            let ins = self.view.inputs(t);
            let outs = self.view.outputs(t);
            let tainted_out: f64 = p.parts.iter().map(|(_, t)| t.amount).sum();
            let coinjoin = self.view.coinjoin(t);
            let mut node = TxNode { hop: p.hop, tainted_out, coinjoin, ..TxNode::default() };
            if self.view.source(ins.start) == Source::Coinbase {
                node.tainted_in = tainted_out;
                self.flow.nodes.push((t, node));
                for (k, taint) in p.parts {
                    self.end(Some(outs.start + k as u64), t, taint.amount, EndKind::Coinbase, p.hop);
                }
                continue;
            }
            let inputs: Vec<u64> = ins.clone().map(|i| self.source_value(i)).collect();
            let values: Vec<u64> = outs.map(|o| self.view.value(o)).collect();
            let shares = policy::backward(self.options.policy, &inputs, &values, &p.parts);
            node.tainted_in = shares.iter().flatten().map(|s| s.amount).sum();
            self.flow.nodes.push((t, node));
            for (i, share) in ins.zip(shares) {
                let Some(share) = share.filter(|s| s.amount > 0.0) else { continue };
                let Source::Output(o) = self.view.source(i) else {
                    self.end(None, t, share.amount, EndKind::Unresolved, p.hop);
                    continue;
                };
                let parent = self.view.output_tx(o);
                self.flow.edges.push((parent, t, share.amount));
                if self.start_set.contains(&o) {
                    continue; // tainted whole already, as a start
                }
                if self.is_service(o) {
                    self.end(Some(o), t, share.amount, EndKind::Service, p.hop);
                } else if p.hop >= self.options.max_hops
                    || share.amount < self.options.min_value as f64
                    || self.options.until_height.is_some_and(|h| self.view.height(parent) < h)
                {
                    self.end(Some(o), t, share.amount, EndKind::Limit, p.hop);
                } else {
                    let position = (o - self.view.outputs(parent).start) as usize;
                    if self.wait(parent, p.hop + 1, position, share) {
                        queue.push(parent);
                    }
                }
            }
        }
    }
}
