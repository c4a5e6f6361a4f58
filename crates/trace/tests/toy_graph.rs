//! Traces over a small hand-built graph, with every answer computed by hand (the
//! worked example of docs/tracing.md, continued for two more transactions).
//!
//! ```text
//! T0 (coinbase, height 0)  out0: 6 -> addr 1 (the start)     out1: 4 -> addr 2
//! T1 (height 1) spends out0, out1   out2: 3 -> addr 3   out3: 5 -> addr 4   out4: 1 -> addr 5 (unspent)   fee 1
//! T2 (height 2) spends out3         out5: 2 -> addr 6 (a service; unspent)   out6: 2 -> addr 7   fee 1
//! T3 (height 3) spends out2, out6   out7: 4 -> addr 8 (unspent)   fee 1
//! ```

use analysis::Protocol;
use index::{AddrId, IdRange, InNum, OutNum, TxNum};
use trace::{ChainView, Direction, EndKind, Flow, Policy, Service, Services, Source, TraceOptions, trace};

struct Toy {
    /// Per transaction: the outputs its inputs spend (`None` for a coinbase input).
    inputs: Vec<Vec<Option<u64>>>,
    /// Per transaction: (value, address) of its outputs.
    outputs: Vec<Vec<(u64, u32)>>,
}

impl Toy {
    fn new() -> Self {
        Self {
            inputs: vec![vec![None], vec![Some(0), Some(1)], vec![Some(3)], vec![Some(2), Some(6)]],
            outputs: vec![vec![(6, 1), (4, 2)], vec![(3, 3), (5, 4), (1, 5)], vec![(2, 6), (2, 7)], vec![(4, 8)]],
        }
    }

    fn first(counts: impl Iterator<Item = usize>, t: TxNum) -> std::ops::Range<u64> {
        let sizes: Vec<u64> = counts.map(|n| n as u64).collect();
        let start: u64 = sizes[..t.0 as usize].iter().sum();
        start..start + sizes[t.0 as usize]
    }

    fn all_inputs(&self) -> Vec<Option<u64>> {
        self.inputs.iter().flatten().copied().collect()
    }

    fn all_outputs(&self) -> Vec<(u64, u32)> {
        self.outputs.iter().flatten().copied().collect()
    }
}

impl ChainView for Toy {
    fn inputs(&self, t: TxNum) -> IdRange<InNum> {
        IdRange::from_numbers(Self::first(self.inputs.iter().map(Vec::len), t))
    }

    fn outputs(&self, t: TxNum) -> IdRange<OutNum> {
        IdRange::from_numbers(Self::first(self.outputs.iter().map(Vec::len), t))
    }

    fn source(&self, i: InNum) -> Source {
        self.all_inputs()[i.0 as usize].map_or(Source::Coinbase, |o| Source::Output(OutNum(o)))
    }

    fn value(&self, o: OutNum) -> u64 {
        self.all_outputs()[o.0 as usize].0
    }

    fn address(&self, o: OutNum) -> AddrId {
        AddrId(self.all_outputs()[o.0 as usize].1)
    }

    fn spender(&self, o: OutNum) -> Option<(InNum, TxNum)> {
        let i = InNum(self.all_inputs().iter().position(|&x| x == Some(o.0))? as u64);
        let t = (0..self.inputs.len() as u64).map(TxNum).find(|&t| self.inputs(t).contains(i))?;
        Some((i, t))
    }

    fn output_tx(&self, o: OutNum) -> TxNum {
        (0..self.outputs.len() as u64).map(TxNum).find(|&t| self.outputs(t).contains(o)).unwrap()
    }

    fn fee(&self, t: TxNum) -> Option<u64> {
        let sources = &self.inputs[t.0 as usize];
        if sources.contains(&None) {
            return Some(0); // a coinbase
        }
        let total_in: u64 = sources.iter().flatten().map(|&o| self.value(OutNum(o))).sum();
        Some(total_in - self.outputs[t.0 as usize].iter().map(|o| o.0).sum::<u64>())
    }

    fn height(&self, t: TxNum) -> u32 {
        t.0 as u32
    }

    fn coinjoin(&self, t: TxNum) -> Option<Protocol> {
        (t == TxNum(2)).then_some(Protocol::Generic)
    }
}

/// Address 6 is an exchange; with `backward_service`, address 1 too.
struct Exchange {
    service: Service,
    addresses: Vec<u32>,
}

impl Services for Exchange {
    fn service_of(&self, address: AddrId) -> Option<usize> {
        self.addresses.contains(&address.0).then_some(0)
    }

    fn service(&self, _: usize) -> &Service {
        &self.service
    }
}

fn exchange(addresses: Vec<u32>) -> Exchange {
    Exchange { service: Service { name: "exchange_x".into(), category: "exchange".into() }, addresses }
}

fn run(policy: Policy, direction: Direction, start: u64, change: impl FnOnce(&mut TraceOptions)) -> Flow {
    let mut options = TraceOptions { policy, direction, stop_at_services: true, ..TraceOptions::default() };
    change(&mut options);
    trace(&Toy::new(), &exchange(vec![6]), &[OutNum(start)], options, &trace::Budget::unlimited())
        .expect("an unlimited trace")
}

/// Endpoints as (output, kind, value), sorted by output.
fn ends(flow: &Flow) -> Vec<(u64, EndKind, f64)> {
    let mut v: Vec<(u64, EndKind, f64)> =
        flow.endpoints.iter().map(|e| (e.output.unwrap().0, e.kind, (e.value * 1e6).round() / 1e6)).collect();
    v.sort_by_key(|e| e.0);
    v
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[test]
fn forward_under_each_policy() {
    use EndKind::{Service as S, Unspent as U};
    let cases = [
        (Policy::Poison, vec![(4, U, 1.0), (5, S, 2.0), (7, U, 4.0)], 3.0),
        (Policy::Haircut, vec![(4, U, 0.6), (5, S, 1.2), (7, U, 2.4)], 1.8),
        (Policy::Fifo, vec![(5, S, 2.0), (7, U, 4.0)], 0.0),
        (Policy::Tiho, vec![(5, S, 2.0), (7, U, 1.92)], 2.08),
    ];
    for (policy, expected, fees) in cases {
        let flow = run(policy, Direction::Forward, 0, |_| {});
        assert_eq!(ends(&flow), expected, "{policy}");
        assert_eq!(round(flow.fees), fees, "{policy}");
        assert_eq!(flow.traced_value, 6.0);
        assert_eq!(flow.visited, 3, "{policy}");
        if policy != Policy::Poison {
            let total: f64 = flow.endpoints.iter().map(|e| e.value).sum::<f64>() + flow.fees;
            assert!((total - 6.0).abs() < 1e-9, "{policy} loses value: {total}");
        }
    }
}

#[test]
fn forward_flow_graph_carries_the_tainted_value_per_hop() {
    let flow = run(Policy::Haircut, Direction::Forward, 0, |_| {});
    let edges: Vec<(u64, u64, f64)> = flow.edges.iter().map(|&(a, b, v)| (a.0, b.0, round(v))).collect();
    assert_eq!(edges, vec![(0, 1, 6.0), (1, 2, 3.0), (1, 3, 1.8), (2, 3, 1.2)]);
    let hops: Vec<(u64, u32)> = flow.nodes.iter().map(|(t, n)| (t.0, n.hop)).collect();
    assert_eq!(hops, vec![(0, 0), (1, 1), (2, 2), (3, 2)]);
    assert_eq!(flow.node(TxNum(2)).unwrap().coinjoin, Some(Protocol::Generic));
    assert_eq!(round(flow.node(TxNum(1)).unwrap().fee), 0.6);
}

#[test]
fn forward_stops_at_hops_values_heights_and_only_stops_at_services_when_asked() {
    use EndKind::{Limit as L, Service as S, Unspent as U};
    let flow = run(Policy::Haircut, Direction::Forward, 0, |o| o.max_hops = 1);
    assert_eq!(ends(&flow), vec![(2, L, 1.8), (3, L, 3.0), (4, U, 0.6)]);
    let flow = run(Policy::Haircut, Direction::Forward, 0, |o| o.min_value = 2);
    assert_eq!(ends(&flow), vec![(2, L, 1.8), (4, U, 0.6), (5, S, 1.2), (6, L, 1.2)]);
    let flow = run(Policy::Haircut, Direction::Forward, 0, |o| o.until_height = Some(2));
    assert_eq!(ends(&flow), vec![(2, U, 1.8), (4, U, 0.6), (5, S, 1.2), (6, U, 1.2)]);
    let flow = run(Policy::Haircut, Direction::Forward, 0, |o| o.stop_at_services = false);
    assert_eq!(ends(&flow), vec![(4, U, 0.6), (5, U, 1.2), (7, U, 2.4)]);
}

#[test]
fn backward_under_each_policy() {
    use EndKind::Coinbase as C;
    let cases = [
        (Policy::Poison, vec![(0, C, 6.0), (1, C, 4.0)]),
        (Policy::Haircut, vec![(0, C, 2.4), (1, C, 1.6)]),
        (Policy::Fifo, vec![(0, C, 4.0)]),
        (Policy::Tiho, vec![(0, C, 4.0)]),
    ];
    for (policy, expected) in cases {
        let flow = run(policy, Direction::Backward, 7, |_| {});
        assert_eq!(ends(&flow), expected, "{policy}");
        assert_eq!(flow.traced_value, 4.0);
    }
}

#[test]
fn backward_stops_at_a_service_it_came_from() {
    let mut options = TraceOptions {
        policy: Policy::Haircut,
        direction: Direction::Backward,
        stop_at_services: true,
        ..TraceOptions::default()
    };
    let flow = trace(&Toy::new(), &exchange(vec![1]), &[OutNum(7)], options, &trace::Budget::unlimited())
        .expect("an unlimited trace");
    assert_eq!(ends(&flow), vec![(0, EndKind::Service, 2.4), (1, EndKind::Coinbase, 1.6)]);
    assert_eq!(flow.endpoints.iter().find(|e| e.kind == EndKind::Service).unwrap().service, Some(0));
    options.max_hops = 1;
    let flow = trace(&Toy::new(), &exchange(vec![]), &[OutNum(7)], options, &trace::Budget::unlimited())
        .expect("an unlimited trace");
    assert_eq!(ends(&flow), vec![(2, EndKind::Limit, 2.4), (6, EndKind::Limit, 1.6)]);
}

/// A budget stops a trace that would take more steps or keep more records than it
/// allows, or that was cancelled, instead of returning a truncated flow.
#[test]
fn a_budget_bounds_the_trace() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use trace::{Budget, Exceeded};
    let options = TraceOptions { policy: Policy::Haircut, direction: Direction::Forward, ..TraceOptions::default() };
    let full =
        trace(&Toy::new(), &exchange(vec![]), &[OutNum(0)], options, &Budget::unlimited()).expect("an unlimited trace");
    assert!(full.visited >= 2, "the toy trace goes through several transactions");
    let steps = full.visited + 1; // one per start and one per transaction split
    let enough = Budget::new(steps, u64::MAX, None);
    assert_eq!(
        trace(&Toy::new(), &exchange(vec![]), &[OutNum(0)], options, &enough).map(|f| f.visited),
        Ok(full.visited)
    );
    let short = Budget::new(steps - 1, u64::MAX, None);
    assert_eq!(
        trace(&Toy::new(), &exchange(vec![]), &[OutNum(0)], options, &short).err(),
        Some(Exceeded::Steps { limit: steps - 1 })
    );
    let small = Budget::new(u64::MAX, 1, None);
    assert_eq!(
        trace(&Toy::new(), &exchange(vec![]), &[OutNum(0)], options, &small).err(),
        Some(Exceeded::Records { limit: 1 })
    );
    let cancelled = Budget::new(u64::MAX, u64::MAX, Some(Arc::new(AtomicBool::new(true))));
    assert_eq!(
        trace(&Toy::new(), &exchange(vec![]), &[OutNum(0)], options, &cancelled).err(),
        Some(Exceeded::Cancelled)
    );
}

/// Shortest money paths on the toy graph, worked by hand: out0 reaches addr 8
/// (out7) in two transactions, T1 then T3 (out0 -> out2 -> out7); the way
/// through T2 (out0 -> out3 -> out6 -> out7) takes three. T3 is reached from
/// out3 through T2 (out3 -> out6, spent by T3); nothing flows backward in time.
#[test]
fn the_shortest_money_path_takes_the_fewest_transactions() {
    use trace::{Budget, MoneyPath, PathTarget, money_path};
    let toy = Toy::new();
    let path = |start: &[u64], target: PathTarget, hops: u32| {
        let start: Vec<OutNum> = start.iter().copied().map(OutNum).collect();
        money_path(&toy, &start, &target, hops, &Budget::unlimited()).expect("an unlimited search")
    };
    let to_addr8 = path(&[0], PathTarget::Outputs(vec![OutNum(7)]), 10).expect("a path");
    assert_eq!(to_addr8, MoneyPath { outputs: vec![OutNum(0), OutNum(2), OutNum(7)], end_tx: None });
    assert_eq!(to_addr8.txs(&toy), vec![TxNum(1), TxNum(3)]);
    assert_eq!(to_addr8.hops(), 2);
    assert_eq!(path(&[0], PathTarget::Outputs(vec![OutNum(7)]), 1), None, "two hops do not fit in one");
    let to_t3 = path(&[3], PathTarget::Tx(TxNum(3)), 10).expect("a path");
    assert_eq!(to_t3, MoneyPath { outputs: vec![OutNum(3), OutNum(6)], end_tx: Some(TxNum(3)) });
    assert_eq!(to_t3.txs(&toy), vec![TxNum(2), TxNum(3)]);
    assert_eq!(path(&[3], PathTarget::Tx(TxNum(3)), 1), None);
    let spent_directly = path(&[2], PathTarget::Tx(TxNum(3)), 1).expect("T3 spends out2");
    assert_eq!(spent_directly.hops(), 1);
    assert_eq!(path(&[7], PathTarget::Outputs(vec![OutNum(0)]), 10), None, "money does not flow back in time");
    assert_eq!(path(&[4], PathTarget::Tx(TxNum(2)), 10), None, "out4 is never spent");
    let short = Budget::new(2, u64::MAX, None);
    assert!(money_path(&toy, &[OutNum(0)], &PathTarget::Outputs(vec![OutNum(7)]), 10, &short).is_err());
}
