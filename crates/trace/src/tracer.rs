//! The tracer: follows taint from starting outputs, forward (where did it go) or
//! backward (where did it come from), one transaction at a time in chain order, so
//! that every share of taint has arrived at a transaction before it is split.
//!
//! Forward, transactions are taken in increasing number (a spender always comes
//! after what it spends); backward, in decreasing number. Each transaction is split
//! once under the policy, whatever number of tainted paths reach it.

use crate::budget::{Budget, Exceeded};
use crate::policy::{self, Policy, Taint};
use crate::queue::TxQueue;
use crate::services::Services;
use crate::view::{ChainView, Source};
use analysis::Protocol;
use index::{AddrId, OutNum, TxNum};
use rustc_hash::{FxHashMap, FxHashSet};
use zcash::Pool;

/// Which way to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
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
    /// Transactions to split at most: taint still waiting when they are used up
    /// ends where it waits, as a limit, so the answer stays whole and bounded.
    pub max_nodes: u64,
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
            max_nodes: DEFAULT_MAX_NODES,
        }
    }
}

/// The default of [`TraceOptions::max_nodes`].
pub const DEFAULT_MAX_NODES: u64 = 100_000;

/// The default smallest share followed under `policy`: [`HAIRCUT_DUST`] for
/// haircut, whose shares shrink at every hop; 1 satoshi for the others, whose
/// shares are whole coins or whole ranges.
pub fn default_min_value(policy: Policy) -> u64 {
    if policy == Policy::Haircut { HAIRCUT_DUST } else { 1 }
}

/// The default smallest share a haircut trace follows, in satoshis: Bitcoin Core's
/// dust threshold for a P2PKH output. Haircut shares shrink at every mixing
/// transaction; below this they say nothing an investigator can act on, and
/// following them is what makes a 10-hop haircut trace touch half a million
/// transactions.
pub const HAIRCUT_DUST: u64 = 546;

/// Why a trail ends where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndKind {
    /// Forward: the value sits in an unspent output (at the tip, or at `--until-height`).
    Unspent,
    /// The trail reached an address of a service.
    Service,
    /// A limit stopped it: hops, value below the threshold, the node limit, or
    /// (backward) the height.
    Limit,
    /// Backward: the value was mined (a coinbase).
    Coinbase,
    /// Backward: it came from an output before the indexed chain.
    Unresolved,
    /// Zcash: it entered a shielded pool (forward) or came out of one (backward)
    /// and no round-trip link, or only part of one, carries it further.
    Pool(Pool),
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
            Self::Pool(_) => "pool",
        }
    }
}

/// Where a share of the traced value ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The output holding it (forward), or that it came from (backward); `None` for
    /// an unresolved source or a pool.
    pub output: Option<OutNum>,
    /// That output's address.
    pub address: Option<AddrId>,
    /// The traced transaction next to it: the one that created the output (forward),
    /// or the one that spent it (backward).
    pub tx: TxNum,
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
    pub starts: Vec<OutNum>,
    /// Their total value.
    pub traced_value: f64,
    /// Transactions gone through: (number, node), sorted by number.
    pub nodes: Vec<(TxNum, TxNode)>,
    /// Tainted value flowing from one transaction to another, in the money's
    /// direction whichever way the trace ran: (from, to, value), sorted.
    pub edges: Vec<(TxNum, TxNum, f64)>,
    /// Where the value ended.
    pub endpoints: Vec<Endpoint>,
    /// Taint paid as fees.
    pub fees: f64,
    /// Taint that reached a starting output again: counted already, as that
    /// start's whole value, so it is not followed twice. Endpoints + fees +
    /// overlap = the traced value (for every policy but poison).
    pub overlap: f64,
    /// Transactions split (visits).
    pub visited: u64,
    /// Zcash: round-trip links the trace followed across a pool, in the money's
    /// direction.
    pub pool_hops: Vec<PoolHop>,
}

/// Value carried across a shielded pool by a round-trip link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolHop {
    /// The shielding transaction.
    pub shielding: TxNum,
    /// The deshielding transaction.
    pub deshielding: TxNum,
    /// The pool.
    pub pool: Pool,
    /// The link's confidence: the chance the deshielded coins are the shielded ones.
    pub confidence: f64,
    /// Tainted value carried (the share entering the pool times the confidence).
    pub value: f64,
}

/// A transaction's side of the pools: value into each pool (placed after its
/// outputs) and out of each (after its inputs), as the policies see them.
#[derive(Default)]
struct PoolSide {
    into: Vec<(Pool, u64)>,
    out_of: Vec<(Pool, u64)>,
}

/// Taint carried across a pool onto a coin of `value`: the amount, and under FIFO
/// the coin's first satoshis (a pool keeps no order of its own).
fn through_pool(policy: Policy, amount: f64, value: u64) -> Taint {
    if policy != Policy::Fifo {
        return Taint::amount(amount);
    }
    let n = (amount.round() as u64).min(value);
    Taint { amount: n as f64, ranges: if n > 0 { vec![(0, n)] } else { Vec::new() } }
}

/// Traces from `starts` (output numbers, each tainted whole), within `budget`: a
/// step per transaction split, a record per node, edge and endpoint kept.
///
/// # Errors
/// When the budget runs out or is cancelled (no partial flow is returned: a
/// truncated trace would understate where the value went).
pub fn trace(
    view: &impl ChainView,
    services: &dyn Services,
    starts: &[OutNum],
    options: TraceOptions,
    budget: &Budget,
) -> Result<Flow, Exceeded> {
    budget.charge(starts.len() as u64)?;
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
            overlap: 0.0,
            visited: 0,
            pool_hops: Vec::new(),
        },
        pending: FxHashMap::default(),
        start_set: starts.iter().copied().collect(),
        budget,
    };
    match options.direction {
        Direction::Forward => tracer.forward(&starts)?,
        Direction::Backward => tracer.backward(&starts)?,
    }
    let mut flow = tracer.flow;
    flow.merge();
    Ok(flow)
}

impl Flow {
    /// The node of transaction `t`, if the trace went through it.
    pub fn node(&self, t: TxNum) -> Option<&TxNode> {
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
    pending: FxHashMap<TxNum, Pending>,
    start_set: FxHashSet<OutNum>,
    budget: &'a Budget,
}

impl<V: ChainView> Tracer<'_, V> {
    /// Spends a step on the next transaction, and checks the records kept so far
    /// (counted before merging, so an upper bound).
    fn step(&self) -> Result<(), Exceeded> {
        self.budget.charge(1)?;
        self.budget.hold(self.flow.nodes.len() + self.flow.edges.len() + self.flow.endpoints.len())
    }

    fn end(&mut self, output: Option<OutNum>, tx: TxNum, value: f64, kind: EndKind, hop: u32) {
        let address = output.map(|o| self.view.address(o));
        let service = if kind == EndKind::Service { address.and_then(|a| self.services.service_of(a)) } else { None };
        self.flow.endpoints.push(Endpoint { output, address, tx, value, kind, service, hop });
    }

    /// Leaves taint at transaction `tx`; true if `tx` was not waiting yet.
    fn wait(&mut self, tx: TxNum, hop: u32, position: usize, taint: Taint) -> bool {
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

    fn is_service(&self, output: OutNum) -> bool {
        self.options.stop_at_services && self.services.service_of(self.view.address(output)).is_some()
    }

    fn forward(&mut self, starts: &[OutNum]) -> Result<(), Exceeded> {
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
            if self.flow.visited >= self.options.max_nodes {
                self.end_waiting(t, p, |view, k| match view.source(view.inputs(t).at(k)?) {
                    Source::Output(o) => Some(o),
                    _ => None,
                });
                continue;
            }
            self.step()?;
            self.flow.visited += 1;
            let outs = self.view.outputs(t);
            let side = self.pool_side(t);
            values.clear();
            values.extend(outs.clone().map(|o| self.view.value(o)));
            values.extend(side.into.iter().map(|p| p.1));
            inputs.clear();
            // Only FIFO needs each input's value; the others need the total, which
            // the fee gives without reading the spent outputs.
            match self.view.fee(t).filter(|_| self.options.policy != Policy::Fifo) {
                Some(fee) => inputs.push(values.iter().sum::<u64>() + fee),
                None => {
                    let paid = values.iter().sum::<u64>().saturating_sub(side.out_of.iter().map(|p| p.1).sum());
                    inputs.extend(self.input_values(t, paid));
                    inputs.extend(side.out_of.iter().map(|p| p.1));
                }
            }
            policy::forward_into(self.options.policy, &inputs, &p.parts, &values, &mut split);
            let tainted_in: f64 = p.parts.iter().map(|(_, t)| t.amount).sum();
            // A starting output is tainted whole already: what reaches it again is
            // overlap, not a second share.
            let overlap: f64 = outs
                .clone()
                .zip(&split.outputs)
                .filter(|(o, _)| self.start_set.contains(o))
                .filter_map(|(_, share)| share.as_ref().map(|s| s.amount))
                .sum();
            self.flow.overlap += overlap;
            let tainted_out: f64 = split.outputs.iter().flatten().map(|t| t.amount).sum::<f64>() - overlap;
            let coinjoin = self.view.coinjoin(t);
            self.flow.nodes.push((t, TxNode { hop: p.hop, tainted_in, tainted_out, fee: split.fee, coinjoin }));
            self.flow.fees += split.fee;
            let mut shares = split.outputs.drain(..);
            for (o, share) in outs.zip(shares.by_ref()) {
                if let Some(share) = share.filter(|s| s.amount > 0.0 && !self.start_set.contains(&o))
                    && let Some(next) = self.follow(o, share, t, p.hop)
                {
                    queue.push(next);
                }
            }
            for (&(pool, _), share) in side.into.iter().zip(shares) {
                if let Some(share) = share.filter(|s| s.amount > 0.0) {
                    self.cross_pool(t, pool, share.amount, p.hop, &mut queue);
                }
            }
        }
        Ok(())
    }

    /// What transaction `t` moves across the pools (nothing on Bitcoin).
    fn pool_side(&self, t: TxNum) -> PoolSide {
        let mut side = PoolSide::default();
        for c in self.view.crossings(t) {
            if c.into > 0 {
                side.into.push((c.pool, c.into));
            }
            if c.out_of > 0 {
                side.out_of.push((c.pool, c.out_of));
            }
        }
        side
    }

    /// Taint crossing `pool` at transaction `t` goes on along the round-trip
    /// links, each share scaled by the link's confidence: forward from a shielding
    /// to later deshieldings, backward from a deshielding to the earlier shieldings
    /// that may have funded it. What no link carries ends in the pool.
    fn cross_pool(&mut self, t: TxNum, pool: Pool, amount: f64, hop: u32, queue: &mut TxQueue) {
        let view = self.view;
        let forward = self.options.direction == Direction::Forward;
        let links = if forward { view.links_onward(t, pool) } else { view.links_back(t, pool) };
        let mut left = amount;
        for &(other, confidence) in links {
            let beyond = self
                .options
                .until_height
                .is_some_and(|h| if forward { view.height(other) > h } else { view.height(other) < h });
            // A note cannot be spent in the block that creates it, nor before.
            if (forward && (other <= t || beyond)) || (!forward && other >= t) {
                continue;
            }
            // The other transaction's leg of the pool: an input forward (value out
            // of the pool), an output backward (value into it).
            let side = self.pool_side(other);
            let (legs, before) = if forward {
                (&side.out_of, view.inputs(other).len())
            } else {
                (&side.into, view.outputs(other).len())
            };
            let Some(k) = legs.iter().position(|p| p.0 == pool) else { continue };
            let carried = amount * confidence.clamp(0.0, 1.0);
            if hop >= self.options.max_hops || carried < self.options.min_value as f64 || beyond {
                self.end(None, t, carried, EndKind::Limit, hop);
                left -= carried;
                continue;
            }
            let taint = through_pool(self.options.policy, carried, legs[k].1);
            left -= taint.amount;
            let (shielding, deshielding) = if forward { (t, other) } else { (other, t) };
            self.flow.edges.push((shielding, deshielding, taint.amount));
            self.flow.pool_hops.push(PoolHop { shielding, deshielding, pool, confidence, value: taint.amount });
            let position = before + k;
            if self.wait(other, hop + 1, position, taint) {
                queue.push(other);
            }
        }
        if left > 1e-9 {
            self.end(None, t, left, EndKind::Pool(pool), hop);
        }
    }

    /// The value each input of `t` spends. An input whose prevout is not indexed
    /// (a chain that starts late) has no known value: what the outputs hold beyond
    /// the known inputs (`outputs_total`, the fee taken as zero) is shared equally
    /// among such inputs. Counted as zero, they would let the known inputs' taint
    /// cover outputs it never paid for; counted so, a backward trace carries their
    /// share to an `unresolved` endpoint.
    fn input_values(&self, t: TxNum, outputs_total: u64) -> Vec<u64> {
        let mut values = Vec::new();
        let mut unresolved = Vec::new();
        for (k, i) in self.view.inputs(t).enumerate() {
            match self.view.source(i) {
                Source::Output(o) => values.push(self.view.value(o)),
                Source::Coinbase => values.push(0),
                Source::Unresolved => {
                    values.push(0);
                    unresolved.push(k);
                }
            }
        }
        if !unresolved.is_empty() {
            let missing = outputs_total.saturating_sub(values.iter().sum());
            let n = unresolved.len() as u64;
            for (j, &k) in unresolved.iter().enumerate() {
                // The remainder goes to the first ones, so the parts sum to the whole.
                values[k] = missing / n + u64::from((j as u64) < missing % n);
            }
        }
        values
    }

    /// Ends every share still waiting at `t` as a limit (the node limit is used
    /// up): at the output each arrived through, as `output_at` finds it.
    fn end_waiting(&mut self, t: TxNum, p: Pending, output_at: impl Fn(&V, usize) -> Option<OutNum>) {
        for (k, taint) in p.parts {
            let output = output_at(self.view, k);
            self.end(output, t, taint.amount, EndKind::Limit, p.hop);
        }
    }

    /// Sends taint leaving transaction `from` through output `o` on, or ends it there;
    /// returns the spender if it is newly waiting.
    fn follow(&mut self, o: OutNum, taint: Taint, from: TxNum, hop: u32) -> Option<TxNum> {
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
        let position = self.view.inputs(t).position(input)?;
        self.wait(t, hop + 1, position, taint).then_some(t)
    }

    fn backward(&mut self, starts: &[OutNum]) -> Result<(), Exceeded> {
        let mut queue = TxQueue::new(false);
        for &o in starts {
            let t = self.view.output_tx(o);
            let Some(position) = self.view.outputs(t).position(o) else { continue };
            if self.wait(t, 1, position, Taint::whole(self.options.policy, self.view.value(o))) {
                queue.push(t);
            }
        }
        while let Some(t) = queue.pop() {
            let Some(p) = self.pending.remove(&t) else { continue };
            if self.flow.visited >= self.options.max_nodes {
                self.end_waiting(t, p, |view, k| view.outputs(t).at(k));
                continue;
            }
            self.step()?;
            self.flow.visited += 1;
            let ins = self.view.inputs(t);
            let outs = self.view.outputs(t);
            let tainted_out: f64 = p.parts.iter().map(|(_, t)| t.amount).sum();
            let coinjoin = self.view.coinjoin(t);
            let mut node = TxNode { hop: p.hop, tainted_out, coinjoin, ..TxNode::default() };
            if !ins.is_empty() && self.view.source(ins.start) == Source::Coinbase {
                node.tainted_in = tainted_out;
                self.flow.nodes.push((t, node));
                for (k, taint) in p.parts {
                    // A Zcash coinbase may pay into a pool too: no output holds that part.
                    let output = outs.at(k);
                    self.end(output, t, taint.amount, EndKind::Coinbase, p.hop);
                }
                continue;
            }
            let side = self.pool_side(t);
            let mut values: Vec<u64> = outs.map(|o| self.view.value(o)).collect();
            values.extend(side.into.iter().map(|p| p.1));
            let paid = values.iter().sum::<u64>().saturating_sub(side.out_of.iter().map(|p| p.1).sum());
            let mut inputs = self.input_values(t, paid);
            inputs.extend(side.out_of.iter().map(|p| p.1));
            let mut shares = policy::backward(self.options.policy, &inputs, &values, &p.parts);
            node.tainted_in = shares.iter().flatten().map(|s| s.amount).sum();
            self.flow.nodes.push((t, node));
            let from_pools = shares.split_off(inputs.len() - side.out_of.len());
            for (&(pool, _), share) in side.out_of.iter().zip(from_pools) {
                if let Some(share) = share.filter(|s| s.amount > 0.0) {
                    self.cross_pool(t, pool, share.amount, p.hop, &mut queue);
                }
            }
            for (i, share) in ins.zip(shares) {
                let Some(share) = share.filter(|s| s.amount > 0.0) else { continue };
                let Source::Output(o) = self.view.source(i) else {
                    self.end(None, t, share.amount, EndKind::Unresolved, p.hop);
                    continue;
                };
                let parent = self.view.output_tx(o);
                self.flow.edges.push((parent, t, share.amount));
                if self.start_set.contains(&o) {
                    self.flow.overlap += share.amount; // tainted whole already, as a start
                    continue;
                }
                if self.is_service(o) {
                    self.end(Some(o), t, share.amount, EndKind::Service, p.hop);
                } else if p.hop >= self.options.max_hops
                    || share.amount < self.options.min_value as f64
                    || self.options.until_height.is_some_and(|h| self.view.height(parent) < h)
                {
                    self.end(Some(o), t, share.amount, EndKind::Limit, p.hop);
                } else {
                    let Some(position) = self.view.outputs(parent).position(o) else { continue };
                    if self.wait(parent, p.hop + 1, position, share) {
                        queue.push(parent);
                    }
                }
            }
        }
        Ok(())
    }
}
