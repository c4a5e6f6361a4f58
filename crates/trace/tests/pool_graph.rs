//! Traces across a shielded pool on a small hand-built Zcash graph, every answer
//! worked out by hand.
//!
//! ```text
//! T0 (coinbase)                      out0: 10 -> addr 1 (the start)
//! T1 spends out0                     out1: 3 -> addr 2 (unspent)   6 into Sapling   fee 1
//! T2 (no transparent input) 6 out of Sapling   out2: 5 -> addr 3 (an exchange)     fee 1
//! T3 (no transparent input) 4 out of Sapling   out3: 4 -> addr 4 (unspent)         fee 0
//! round-trip link T1 -> T2 with confidence 0.8; none to T3
//! ```

use analysis::Protocol;
use index::{AddrId, CrossingRow, IdRange, InNum, OutNum, TxNum};
use trace::{ChainView, Direction, EndKind, Flow, Policy, Service, Services, Source, TraceOptions, trace};
use zcash::Pool;

/// The graph above; `linked: false` leaves the link out.
struct Shielded {
    linked: bool,
}

impl ChainView for Shielded {
    fn inputs(&self, t: TxNum) -> IdRange<InNum> {
        IdRange::from_numbers([0..1, 1..2, 2..2, 2..2][t.0 as usize].clone())
    }
    fn outputs(&self, t: TxNum) -> IdRange<OutNum> {
        IdRange::from_numbers([0..1, 1..2, 2..3, 3..4][t.0 as usize].clone())
    }
    fn source(&self, i: InNum) -> Source {
        if i == InNum(0) { Source::Coinbase } else { Source::Output(OutNum(0)) }
    }
    fn value(&self, o: OutNum) -> u64 {
        [10, 3, 5, 4][o.0 as usize]
    }
    fn address(&self, o: OutNum) -> AddrId {
        AddrId(o.0 as u32 + 1)
    }
    fn spender(&self, o: OutNum) -> Option<(InNum, TxNum)> {
        (o == OutNum(0)).then_some((InNum(1), TxNum(1)))
    }
    fn output_tx(&self, o: OutNum) -> TxNum {
        TxNum(o.0)
    }
    fn fee(&self, t: TxNum) -> Option<u64> {
        Some([0, 1, 1, 0][t.0 as usize])
    }
    fn height(&self, t: TxNum) -> u32 {
        t.0 as u32
    }
    fn coinjoin(&self, _: TxNum) -> Option<Protocol> {
        None
    }
    fn crossings(&self, t: TxNum) -> Vec<CrossingRow> {
        let row = |into, out_of| vec![CrossingRow { pool: Pool::Sapling, into, out_of }];
        match t.0 {
            1 => row(6, 0),
            2 => row(0, 6),
            3 => row(0, 4),
            _ => Vec::new(),
        }
    }
    fn links_onward(&self, t: TxNum, pool: Pool) -> &[(TxNum, f64)] {
        if self.linked && (t, pool) == (TxNum(1), Pool::Sapling) { &[(TxNum(2), 0.8)] } else { &[] }
    }
    fn links_back(&self, t: TxNum, pool: Pool) -> &[(TxNum, f64)] {
        if self.linked && (t, pool) == (TxNum(2), Pool::Sapling) { &[(TxNum(1), 0.8)] } else { &[] }
    }
}

struct Exchange(Service);

impl Services for Exchange {
    fn service_of(&self, address: AddrId) -> Option<usize> {
        (address == AddrId(3)).then_some(0)
    }
    fn service(&self, _: usize) -> &Service {
        &self.0
    }
}

fn run(policy: Policy, direction: Direction, start: u64) -> Flow {
    let exchange = Exchange(Service { name: "exchange_x".into(), category: "exchange".into() });
    let options = TraceOptions { policy, direction, stop_at_services: true, ..TraceOptions::default() };
    trace(&Shielded { linked: true }, &exchange, &[OutNum(start)], options, &trace::Budget::unlimited())
        .expect("an unlimited trace")
}

/// Value per kind of end.
fn ends(flow: &Flow, kind: EndKind) -> f64 {
    flow.endpoints.iter().filter(|e| e.kind == kind).map(|e| e.value).sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn forward_value_crosses_the_pool_along_the_link_with_its_confidence() {
    let flow = run(Policy::Haircut, Direction::Forward, 0);
    // T1: 3 stays transparent, 6 enters Sapling, 1 is the fee. The link carries
    // 0.8 of the 6 (4.8) to T2, which pays 5/6 of it to the exchange (4.0) and
    // 1/6 as its fee (0.8); 1.2 stays in the pool. T3 is never reached.
    assert!(close(ends(&flow, EndKind::Unspent), 3.0));
    assert!(close(ends(&flow, EndKind::Pool(Pool::Sapling)), 1.2));
    assert!(close(ends(&flow, EndKind::Service), 4.0));
    assert!(close(flow.fees, 1.8));
    assert_eq!(flow.pool_hops.len(), 1);
    let hop = flow.pool_hops[0];
    assert_eq!((hop.shielding, hop.deshielding, hop.pool), (TxNum(1), TxNum(2), Pool::Sapling));
    assert!(close(hop.confidence, 0.8) && close(hop.value, 4.8));
    assert!(flow.edges.iter().any(|e| (e.0, e.1) == (TxNum(1), TxNum(2)) && close(e.2, 4.8)));
    assert!(flow.node(TxNum(3)).is_none());
    let service = flow.endpoints.iter().find(|e| e.kind == EndKind::Service).unwrap();
    assert_eq!((service.tx, service.hop), (TxNum(2), 2));
}

#[test]
fn fifo_carries_whole_zatoshis_and_conserves_the_taint() {
    let flow = run(Policy::Fifo, Direction::Forward, 0);
    // T1's tape: [0,3) to out1, [3,9) into the pool, [9,10) the fee. 4.8 rounds to
    // the first 5 zatoshis of T2's pool input, all of which pay out2.
    assert!(close(ends(&flow, EndKind::Service), 5.0));
    assert!(close(ends(&flow, EndKind::Pool(Pool::Sapling)), 1.0));
    let total = flow.endpoints.iter().map(|e| e.value).sum::<f64>() + flow.fees;
    assert!(close(total, 10.0), "{total}");
}

#[test]
fn without_links_the_value_stops_at_the_pool() {
    let exchange = Exchange(Service { name: "exchange_x".into(), category: "exchange".into() });
    let flow = trace(
        &Shielded { linked: false },
        &exchange,
        &[OutNum(0)],
        TraceOptions::default(),
        &trace::Budget::unlimited(),
    )
    .expect("an unlimited trace");
    assert!(close(ends(&flow, EndKind::Pool(Pool::Sapling)), 6.0));
    assert!(flow.pool_hops.is_empty() && flow.node(TxNum(2)).is_none());
}

#[test]
fn backward_a_deshielding_is_traced_to_the_shielding_and_the_rest_to_the_pool() {
    let flow = run(Policy::Haircut, Direction::Backward, 2);
    // out2 (5) is funded by T2's 6 out of Sapling: all 5 of the taint sits on that
    // leg; 0.8 of it (4.0) goes back along the link to T1's shielding, where the
    // coinbase output out0 funded it; 1.0 came from the pool unexplained.
    assert!(close(ends(&flow, EndKind::Pool(Pool::Sapling)), 1.0));
    assert!(close(ends(&flow, EndKind::Coinbase), 4.0));
    assert_eq!(flow.pool_hops.len(), 1);
    assert_eq!((flow.pool_hops[0].shielding, flow.pool_hops[0].deshielding), (TxNum(1), TxNum(2)));
    assert!(flow.edges.iter().any(|e| (e.0, e.1) == (TxNum(1), TxNum(2)) && close(e.2, 4.0)));
}

#[test]
fn a_hop_limit_at_the_pool_stops_the_linked_share_as_a_limit() {
    let exchange = Exchange(Service { name: "exchange_x".into(), category: "exchange".into() });
    let options = TraceOptions { max_hops: 1, ..TraceOptions::default() };
    let flow = trace(&Shielded { linked: true }, &exchange, &[OutNum(0)], options, &trace::Budget::unlimited())
        .expect("an unlimited trace");
    assert!(close(ends(&flow, EndKind::Limit), 4.8));
    assert!(close(ends(&flow, EndKind::Pool(Pool::Sapling)), 1.2));
}
