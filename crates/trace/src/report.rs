//! A trace as people and programs read it: names instead of numbers (txids,
//! addresses, entities, services), endpoints gathered per address, a summary of
//! where the value is now, and the flow graph's nodes and edges. Rendered as JSON
//! (serde), a table, CSV, Graphviz DOT, or one self-contained HTML page.

use crate::policy::Policy;
use crate::services::Services;
use crate::tracer::{Direction, EndKind, Flow};
use index::{AddrId, Index, TxNum};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use zcash::Pool;

/// The report of a trace.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Trace")]
pub struct Report {
    /// The policy.
    pub policy: Policy,
    /// Forward or backward.
    pub direction: Direction,
    /// Value of the starting outputs, in satoshis.
    pub traced_value: u64,
    /// Hop limit.
    pub max_hops: u32,
    /// Smallest share followed, in satoshis.
    pub min_value: u64,
    /// Starting outputs (`txid:vout`).
    pub starts: Vec<String>,
    /// Totals.
    pub summary: Summary,
    /// Where the value ended, per address and reason, largest first.
    pub endpoints: Vec<EndpointRow>,
    /// Services reached, largest first.
    pub services: Vec<ServiceRow>,
    /// Unspent value by entity (with a clustering), largest first, the first
    /// [`ENTITIES_LISTED`]: who holds what the trail has not moved on.
    pub unspent_by_entity: Vec<EntityValueRow>,
    /// CoinJoins the trail went through, in chain order.
    pub coinjoins: Vec<CoinJoinRow>,
    /// Transactions of the flow graph, by hop.
    pub nodes: Vec<NodeRow>,
    /// Edges of the flow graph: transaction to transaction, and transaction to the
    /// address (or Zcash pool) where a trail ends.
    pub edges: Vec<EdgeRow>,
    /// Zcash: round-trip links the trace followed across a shielded pool.
    pub pool_links: Vec<PoolLinkRow>,
    /// Rows [`Report::limit_rows`] left out of `endpoints`, `nodes` and `edges`
    /// (the summary still counts them).
    pub omitted: Omitted,
    /// The coin amounts are shown in (BTC or ZEC).
    #[serde(skip)]
    pub unit: &'static str,
}

/// Rows left out of a report limited to its largest endpoints and nearest
/// transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Omitted {
    /// Endpoint rows left out (the smallest).
    pub endpoints: u64,
    /// Their tainted satoshis.
    pub endpoint_value: u64,
    /// Transactions left out (the farthest hops).
    pub nodes: u64,
    /// Edges left out: those touching a transaction left out, then the smallest.
    pub edges: u64,
}

/// The default of [`Report::limit_rows`] for the CLI and the API.
pub const DEFAULT_MAX_ROWS: usize = 10_000;

/// How many entities [`Report::unspent_by_entity`] lists.
pub const ENTITIES_LISTED: usize = 20;

/// Tainted value one entity holds unspent.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EntityValueRow {
    /// The entity.
    #[schemars(with = "u32")]
    pub entity: index::EntityId,
    /// Tainted satoshis in its unspent outputs.
    pub value: u64,
    /// Those outputs.
    pub outputs: u64,
}

/// A round-trip link a trace followed across a shielded pool.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PoolLinkRow {
    /// The shielding txid.
    pub shielding: String,
    /// The deshielding txid.
    pub deshielding: String,
    /// The pool crossed.
    pub pool: &'static str,
    /// The link's confidence (the chance the coins out are the coins in).
    pub confidence: f64,
    /// Tainted value carried across, in the smallest unit.
    pub value: u64,
}

/// Totals of a trace, in satoshis.
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Sitting in unspent outputs.
    pub unspent: u64,
    /// Reached services.
    pub service: u64,
    /// Stopped by a limit.
    pub limit: u64,
    /// Mined (backward).
    pub coinbase: u64,
    /// From before the indexed chain (backward).
    pub unresolved: u64,
    /// Zcash: left in a shielded pool (forward) or came out of one (backward)
    /// beyond what round-trip links carry.
    pub pool: u64,
    /// Paid as fees.
    pub fees: u64,
    /// Reached a starting output again: counted once, as that start's value.
    pub overlap: u64,
    /// Most hops any trail took.
    pub hops: u32,
    /// Transactions gone through.
    pub transactions: u64,
    /// CoinJoins among them.
    pub coinjoins: u64,
}

/// Value ending at one address for one reason.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EndpointRow {
    /// The address (null for an unresolved source or a pool).
    pub address: Option<String>,
    /// Its entity, when the index is clustered.
    #[schemars(with = "Option<u32>")]
    pub entity: Option<index::EntityId>,
    /// Tainted satoshis.
    pub value: u64,
    /// `unspent`, `service`, `limit`, `coinbase`, `unresolved` or `pool`.
    #[schemars(extend("enum" = ["unspent", "service", "limit", "coinbase", "unresolved", "pool"]))]
    pub kind: &'static str,
    /// The shielded pool, for `pool` (`sprout`, `sapling`, `orchard`).
    pub pool: Option<&'static str>,
    /// The service's name, for `service`.
    pub service: Option<String>,
    /// The service's category, for `service`.
    pub category: Option<String>,
    /// The transaction next to the largest share (that created the output forward,
    /// that spent it backward).
    pub txid: String,
    /// The earliest height of those transactions.
    pub height: u32,
    /// Outputs gathered in this row.
    pub outputs: u64,
}

/// Value reaching one service.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ServiceRow {
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: String,
    /// Tainted satoshis.
    pub value: u64,
    /// Share of the traced value.
    pub share: f64,
    /// Outputs that reached it.
    pub deposits: u64,
    /// Height of the first.
    pub first_height: u32,
    /// Height of the last.
    pub last_height: u32,
}

/// A CoinJoin on the trail.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct CoinJoinRow {
    /// Its txid.
    pub txid: String,
    /// Its protocol.
    pub protocol: &'static str,
    /// Its height.
    pub height: u32,
    /// Hops from the start.
    pub hop: u32,
    /// Tainted value through it.
    pub value: u64,
}

/// A transaction of the flow graph.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct NodeRow {
    /// Its txid.
    pub txid: String,
    /// Hops from the start.
    pub hop: u32,
    /// Its height.
    pub height: u32,
    /// Tainted value in.
    pub value_in: u64,
    /// Tainted value out.
    pub value_out: u64,
    /// The fee's share.
    pub fee: u64,
    /// CoinJoin protocol, if one.
    pub coinjoin: Option<&'static str>,
}

/// A box of the SVG drawing: its key (a txid, or `txid|address` for an endpoint),
/// label, CSS class and value.
type SvgBox = (String, String, &'static str, u64);

/// An edge of the flow graph, in the money's direction: forward, from a
/// transaction to the next or to the address (or pool) where a trail ends;
/// backward, also from the address (or pool) a trail starts at into the
/// transaction that spent it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EdgeRow {
    /// Source: a txid, or (backward) the address where a trail ends.
    pub from: String,
    /// `tx`, `address` or `pool`.
    #[schemars(extend("enum" = ["tx", "address", "pool"]))]
    pub from_type: &'static str,
    /// Target: a txid, or an address where a trail ends.
    pub to: String,
    /// `tx`, `address` or `pool`.
    #[schemars(extend("enum" = ["tx", "address", "pool"]))]
    pub to_type: &'static str,
    /// Tainted satoshis.
    pub value: u64,
}

impl EndpointRow {
    /// Where the value sits, for people: the address, the pool, or before the index.
    pub fn place(&self) -> String {
        match (&self.address, self.pool) {
            (Some(a), _) => a.clone(),
            (None, Some(pool)) => format!("(in the {pool} pool)"),
            (None, None) => "(before the index)".to_owned(),
        }
    }
}

impl Summary {
    /// Where the value is, with labels for people: unspent, at services, stopped by
    /// limits, mined, from before the index, in shielded pools, fees.
    pub fn totals(&self) -> [(&'static str, u64); 8] {
        [
            ("services", self.service),
            ("unspent", self.unspent),
            ("limits", self.limit),
            ("mined", self.coinbase),
            ("unresolved", self.unresolved),
            ("pools", self.pool),
            ("fees", self.fees),
            ("overlap", self.overlap),
        ]
    }
}

fn sats(v: f64) -> u64 {
    v.round().max(0.0) as u64
}

/// Endpoints gathered per (address, kind, service).
type EndKey = (Option<AddrId>, EndKind, Option<usize>);
/// A gathered endpoint: value, the largest share's (value, tx), the earliest
/// height, the count.
type EndTotals = (f64, (f64, TxNum), u32, u64);

impl Summary {
    /// The flow graph's totals: hops, transactions, CoinJoins and fees (the
    /// endpoint totals are added while gathering them).
    fn of_graph(flow: &Flow) -> Self {
        Summary {
            hops: flow.nodes.iter().map(|n| n.1.hop).max().unwrap_or(0),
            transactions: flow.nodes.len() as u64,
            coinjoins: flow.nodes.iter().filter(|n| n.1.coinjoin.is_some()).count() as u64,
            fees: sats(flow.fees),
            overlap: sats(flow.overlap),
            ..Summary::default()
        }
    }

    /// The total an endpoint of `kind` adds to.
    fn total_mut(&mut self, kind: EndKind) -> &mut u64 {
        match kind {
            EndKind::Unspent => &mut self.unspent,
            EndKind::Service => &mut self.service,
            EndKind::Limit => &mut self.limit,
            EndKind::Coinbase => &mut self.coinbase,
            EndKind::Unresolved => &mut self.unresolved,
            EndKind::Pool(_) => &mut self.pool,
        }
    }
}

/// Where a report takes its names from: the index, the clustering (for
/// entities) and the services.
struct Namer<'a> {
    index: &'a Index,
    analysis: Option<&'a analysis::Analysis>,
    services: &'a dyn Services,
}

impl Namer<'_> {
    /// A transaction's txid as text.
    fn txid(&self, t: TxNum) -> String {
        self.index.txid(t).to_string()
    }

    /// A transaction's height.
    fn height(&self, t: TxNum) -> u32 {
        self.index.tx_height(t).0
    }

    /// Gathers the endpoints per (address, kind, service), adding each one's
    /// value to its total in `summary`.
    fn gather_endpoints(&self, flow: &Flow, summary: &mut Summary) -> BTreeMap<EndKey, EndTotals> {
        let mut gathered: BTreeMap<EndKey, EndTotals> = BTreeMap::new();
        for e in &flow.endpoints {
            let entry = gathered.entry((e.address, e.kind, e.service)).or_insert((0.0, (0.0, e.tx), u32::MAX, 0));
            entry.0 += e.value;
            if e.value > entry.1.0 {
                entry.1 = (e.value, e.tx);
            }
            entry.2 = entry.2.min(self.height(e.tx));
            entry.3 += 1;
            *summary.total_mut(e.kind) += sats(e.value);
        }
        gathered
    }

    /// The gathered endpoints with their names, largest first.
    fn endpoint_rows(&self, gathered: &BTreeMap<EndKey, EndTotals>) -> Vec<EndpointRow> {
        let mut endpoints: Vec<EndpointRow> = gathered
            .iter()
            .map(|(&(address, kind, service), &(value, (_, tx), first, count))| EndpointRow {
                address: address.map(|a| self.index.address_text(a)),
                entity: address.and_then(|a| self.analysis?.entity_of(a)),
                value: sats(value),
                kind: kind.name(),
                pool: match kind {
                    EndKind::Pool(p) => Some(p.name()),
                    _ => None,
                },
                service: service.map(|s| self.services.service(s).name.clone()),
                category: service.map(|s| self.services.service(s).category.clone()),
                txid: self.txid(tx),
                height: first,
                outputs: count,
            })
            .collect();
        endpoints.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.address.cmp(&b.address)));
        endpoints
    }

    /// The unspent value by entity, largest first (the first [`ENTITIES_LISTED`]).
    fn unspent_by_entity(&self, flow: &Flow) -> Vec<EntityValueRow> {
        let Some(analysis) = self.analysis else { return Vec::new() };
        let mut by_entity: BTreeMap<index::EntityId, (f64, u64)> = BTreeMap::new();
        for e in flow.endpoints.iter().filter(|e| e.kind == EndKind::Unspent) {
            if let Some(entity) = e.address.and_then(|a| analysis.entity_of(a)) {
                let row = by_entity.entry(entity).or_default();
                row.0 += e.value;
                row.1 += 1;
            }
        }
        let mut rows: Vec<EntityValueRow> = by_entity
            .into_iter()
            .map(|(entity, (value, outputs))| EntityValueRow { entity, value: sats(value), outputs })
            .collect();
        rows.sort_by(|a, b| b.value.cmp(&a.value).then(a.entity.cmp(&b.entity)));
        rows.truncate(ENTITIES_LISTED);
        rows
    }

    /// The value reaching each service, largest first.
    fn service_rows(&self, flow: &Flow) -> Vec<ServiceRow> {
        let mut by_service: BTreeMap<usize, ServiceRow> = BTreeMap::new();
        for e in flow.endpoints.iter().filter(|e| e.kind == EndKind::Service) {
            let Some(s) = e.service else { continue };
            let h = self.height(e.tx);
            let row = by_service.entry(s).or_insert_with(|| ServiceRow {
                name: self.services.service(s).name.clone(),
                category: self.services.service(s).category.clone(),
                value: 0,
                share: 0.0,
                deposits: 0,
                first_height: h,
                last_height: h,
            });
            row.value += sats(e.value);
            row.deposits += 1;
            row.first_height = row.first_height.min(h);
            row.last_height = row.last_height.max(h);
        }
        let mut service_rows: Vec<ServiceRow> = by_service.into_values().collect();
        for row in &mut service_rows {
            row.share = if flow.traced_value > 0.0 { row.value as f64 / flow.traced_value } else { 0.0 };
        }
        service_rows.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
        service_rows
    }

    /// The flow graph's transactions by hop, and the CoinJoins among them in
    /// chain order.
    fn node_rows(&self, flow: &Flow) -> (Vec<NodeRow>, Vec<CoinJoinRow>) {
        let mut ordered: Vec<&(TxNum, crate::tracer::TxNode)> = flow.nodes.iter().collect();
        ordered.sort_by_key(|(t, n)| (n.hop, *t));
        let nodes: Vec<NodeRow> = ordered
            .iter()
            .map(|&&(t, ref n)| NodeRow {
                txid: self.txid(t),
                hop: n.hop,
                height: self.height(t),
                value_in: sats(n.tainted_in),
                value_out: sats(n.tainted_out),
                fee: sats(n.fee),
                coinjoin: n.coinjoin.map(|p| p.name()),
            })
            .collect();
        let mut coinjoins: Vec<CoinJoinRow> = ordered
            .iter()
            .filter_map(|&&(t, ref n)| {
                Some(CoinJoinRow {
                    txid: self.txid(t),
                    protocol: n.coinjoin?.name(),
                    height: self.height(t),
                    hop: n.hop,
                    value: sats(n.tainted_in.max(n.tainted_out)),
                })
            })
            .collect();
        coinjoins.sort_by_key(|c| (c.height, c.hop));
        (nodes, coinjoins)
    }

    /// The flow graph's edges: transaction to transaction, then transaction to
    /// the address, then to the pool, where a trail ends.
    fn edge_rows(&self, flow: &Flow) -> Vec<EdgeRow> {
        let mut edges: Vec<EdgeRow> = flow
            .edges
            .iter()
            .map(|&(a, b, v)| EdgeRow {
                from: self.txid(a),
                from_type: "tx",
                to: self.txid(b),
                to_type: "tx",
                value: sats(v),
            })
            .collect();
        let backward = flow.options.direction == Direction::Backward;
        // Where a trail ends: into the address (forward), or out of it (backward).
        let end_edge = |tx: String, place: String, kind: &'static str, value: f64| {
            if backward {
                EdgeRow { from: place, from_type: kind, to: tx, to_type: "tx", value: sats(value) }
            } else {
                EdgeRow { from: tx, from_type: "tx", to: place, to_type: kind, value: sats(value) }
            }
        };
        let mut ends: BTreeMap<(TxNum, AddrId), f64> = BTreeMap::new();
        let mut into_pools: BTreeMap<(TxNum, &'static str), f64> = BTreeMap::new();
        for e in &flow.endpoints {
            if let Some(a) = e.address {
                *ends.entry((e.tx, a)).or_default() += e.value;
            } else if let EndKind::Pool(p) = e.kind {
                *into_pools.entry((e.tx, p.name())).or_default() += e.value;
            }
        }
        edges.extend(
            ends.into_iter().map(|((t, a), v)| end_edge(self.txid(t), self.index.address_text(a), "address", v)),
        );
        edges.extend(
            into_pools.into_iter().map(|((t, pool), v)| end_edge(self.txid(t), format!("{pool} pool"), "pool", v)),
        );
        edges
    }

    /// The round-trip links followed across shielded pools, value summed per
    /// (shielding, deshielding, pool).
    fn pool_link_rows(&self, flow: &Flow) -> Vec<PoolLinkRow> {
        let mut hops: BTreeMap<(TxNum, TxNum, Pool), (f64, f64)> = BTreeMap::new();
        for h in &flow.pool_hops {
            let entry = hops.entry((h.shielding, h.deshielding, h.pool)).or_insert((h.confidence, 0.0));
            entry.1 += h.value;
        }
        hops.into_iter()
            .map(|((a, b, pool), (confidence, value))| PoolLinkRow {
                shielding: self.txid(a),
                deshielding: self.txid(b),
                pool: pool.name(),
                confidence,
                value: sats(value),
            })
            .collect()
    }
}

impl Report {
    /// Names the parts of `flow` from the index (and the clustering, for entities).
    pub fn build(flow: &Flow, index: &Index, analysis: Option<&analysis::Analysis>, services: &dyn Services) -> Self {
        let namer = Namer { index, analysis, services };
        let mut summary = Summary::of_graph(flow);
        let gathered = namer.gather_endpoints(flow, &mut summary);
        let endpoints = namer.endpoint_rows(&gathered);
        let service_rows = namer.service_rows(flow);
        let unspent_by_entity = namer.unspent_by_entity(flow);
        let (nodes, coinjoins) = namer.node_rows(flow);
        let edges = namer.edge_rows(flow);
        let pool_links = namer.pool_link_rows(flow);
        Self {
            policy: flow.options.policy,
            direction: flow.options.direction,
            traced_value: sats(flow.traced_value),
            max_hops: flow.options.max_hops,
            min_value: flow.options.min_value,
            starts: flow.starts.iter().map(|&o| index.outpoint_text(o)).collect(),
            summary,
            endpoints,
            services: service_rows,
            unspent_by_entity,
            coinjoins,
            nodes,
            edges,
            pool_links,
            omitted: Omitted::default(),
            unit: index.network().unit(),
        }
    }

    /// Keeps at most `max` rows each of `endpoints` (the largest), `nodes` (the
    /// nearest hops) and `edges` (between kept transactions, the largest), and
    /// counts what it leaves out in `omitted`: a trace of half a million
    /// transactions still answers with what an investigator reads first, while the
    /// summary, services and entity totals keep counting everything.
    pub fn limit_rows(&mut self, max: usize) {
        if self.endpoints.len() > max {
            let rest = self.endpoints.split_off(max);
            self.omitted.endpoints += rest.len() as u64;
            self.omitted.endpoint_value += rest.iter().map(|e| e.value).sum::<u64>();
        }
        if self.nodes.len() > max {
            self.omitted.nodes += (self.nodes.len() - max) as u64;
            self.nodes.truncate(max);
        }
        let kept: std::collections::HashSet<&str> = self.nodes.iter().map(|n| n.txid.as_str()).collect();
        let before = self.edges.len();
        let listed = |id: &str, kind: &str| kind != "tx" || kept.contains(id);
        let mut edges: Vec<EdgeRow> = std::mem::take(&mut self.edges)
            .into_iter()
            .filter(|e| listed(&e.from, e.from_type) && listed(&e.to, e.to_type))
            .collect();
        if edges.len() > max {
            edges.sort_by_key(|e| std::cmp::Reverse(e.value));
            edges.truncate(max);
        }
        self.omitted.edges += (before - edges.len()) as u64;
        self.edges = edges;
    }

    /// A text report for people.
    pub fn to_table(&self, rows: usize) -> String {
        let mut s = String::new();
        self.table_overview(&mut s);
        self.table_services(&mut s);
        self.table_holders(&mut s, rows);
        self.table_coinjoins(&mut s, rows);
        self.table_pool_links(&mut s, rows);
        self.table_endpoints(&mut s, rows);
        s
    }

    /// Table: the trace's options, what it traced, how far it went, and the
    /// nonzero totals.
    fn table_overview(&self, s: &mut String) {
        let direction = self.direction_name();
        let _ = writeln!(
            s,
            "trace       {direction}, {} policy, {} hops at most, shares under {} sats not followed",
            self.policy, self.max_hops, self.min_value
        );
        let _ = writeln!(s, "traced      {} from {} outputs", coins(self.unit, self.traced_value), self.starts.len());
        let m = &self.summary;
        let _ = writeln!(
            s,
            "went        through {} transactions ({} CoinJoins), {} hops deep",
            m.transactions, m.coinjoins, m.hops
        );
        for (label, value) in m.totals() {
            if value > 0 {
                let _ = writeln!(s, "  {label:<10} {:>20} {:>7}", coins(self.unit, value), self.percent(value));
            }
        }
        let o = &self.omitted;
        if o.endpoints + o.nodes + o.edges > 0 {
            let _ = writeln!(
                s,
                "omitted     {} endpoint rows ({}), {} transactions, {} edges (--max-rows)",
                o.endpoints,
                coins(self.unit, o.endpoint_value),
                o.nodes,
                o.edges
            );
        }
    }

    /// Table: the services reached, if any.
    fn table_services(&self, s: &mut String) {
        if self.services.is_empty() {
            return;
        }
        let _ = writeln!(s, "\nservices reached                value    share  outputs  heights");
        for r in &self.services {
            let _ = writeln!(
                s,
                "  {:<24} {:>20} {:>7} {:>8}  {}-{}",
                format!("{} ({})", r.name, r.category),
                coins(self.unit, r.value),
                self.percent(r.value),
                r.deposits,
                r.first_height,
                r.last_height
            );
        }
    }

    /// Table: the entities holding the most unspent value, if the index is clustered.
    fn table_holders(&self, s: &mut String, rows: usize) {
        if self.unspent_by_entity.is_empty() {
            return;
        }
        let _ = writeln!(
            s,
            "
unspent, by entity                  value    share  outputs"
        );
        for r in self.unspent_by_entity.iter().take(rows) {
            let _ = writeln!(
                s,
                "  entity {:<15} {:>20} {:>7} {:>8}",
                r.entity.0,
                coins(self.unit, r.value),
                self.percent(r.value),
                r.outputs
            );
        }
    }

    /// Table: the first `rows` CoinJoins crossed, if any.
    fn table_coinjoins(&self, s: &mut String, rows: usize) {
        if self.coinjoins.is_empty() {
            return;
        }
        let _ = writeln!(s, "\ncoinjoins crossed");
        for c in self.coinjoins.iter().take(rows) {
            let _ = writeln!(
                s,
                "  {} {:<14} height {:>7} hop {:>3} {}",
                c.txid,
                c.protocol,
                c.height,
                c.hop,
                coins(self.unit, c.value)
            );
        }
    }

    /// Table: the first `rows` round-trip links through shielded pools, if any.
    fn table_pool_links(&self, s: &mut String, rows: usize) {
        if self.pool_links.is_empty() {
            return;
        }
        let _ = writeln!(s, "\nthrough shielded pools (round-trip links)");
        for l in self.pool_links.iter().take(rows) {
            let _ = writeln!(
                s,
                "  {} -> {} {:<8} confidence {:.3} {}",
                l.shielding,
                l.deshielding,
                l.pool,
                l.confidence,
                coins(self.unit, l.value)
            );
        }
    }

    /// Table: the `rows` largest endpoints.
    fn table_endpoints(&self, s: &mut String, rows: usize) {
        let _ =
            writeln!(s, "\nwhere it ended (largest {} of {})", rows.min(self.endpoints.len()), self.endpoints.len());
        for e in self.endpoints.iter().take(rows) {
            let who = match (&e.service, e.entity) {
                (Some(name), _) => name.clone(),
                (None, Some(entity)) => format!("entity {entity}"),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                s,
                "  {:<10} {:>20} {:>7}  {}  {}",
                e.kind,
                coins(self.unit, e.value),
                self.percent(e.value),
                e.place(),
                who
            );
        }
    }

    fn percent(&self, value: u64) -> String {
        if self.traced_value == 0 {
            return String::new();
        }
        format!("{:.1}%", 100.0 * value as f64 / self.traced_value as f64)
    }

    /// The endpoints as CSV, one row per address and reason.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("address,entity,kind,service,category,value_sats,share,txid,height,outputs\n");
        for e in &self.endpoints {
            let share = if self.traced_value > 0 { e.value as f64 / self.traced_value as f64 } else { 0.0 };
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{:.6},{},{},{}",
                e.address.as_deref().unwrap_or(""),
                e.entity.map(|x| x.to_string()).unwrap_or_default(),
                e.kind,
                csv_field(e.service.as_deref().unwrap_or("")),
                csv_field(e.category.as_deref().unwrap_or("")),
                e.value,
                share,
                e.txid,
                e.height,
                e.outputs
            );
        }
        s
    }

    /// The flow graph in Graphviz DOT, left to right.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph trace {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
        let max = self.edges.iter().map(|e| e.value).max().unwrap_or(1).max(1) as f64;
        for n in &self.nodes {
            let (fill, extra) = match n.coinjoin {
                Some(p) => ("#f6b26b", format!("\\n{p}")),
                None => ("#ffffff", String::new()),
            };
            let _ = writeln!(
                s,
                "  \"{}\" [shape=box, style=filled, fillcolor=\"{fill}\", label=\"{}…\\nhop {} h{}\\n{}{extra}\"];",
                n.txid,
                &n.txid[..12],
                n.hop,
                n.height,
                coins(self.unit, n.value_out.max(n.value_in))
            );
        }
        for e in &self.endpoints {
            let Some(address) = &e.address else { continue };
            let color = end_color(e.kind);
            let label = e.service.clone().unwrap_or_else(|| e.kind.to_owned());
            let _ = writeln!(
                s,
                "  \"{address}\" [shape=ellipse, style=filled, fillcolor=\"{color}\", label=\"{}…\\n{}\\n{}\"];",
                &address[..address.len().min(16)],
                dot_escape(&label),
                coins(self.unit, e.value)
            );
        }
        for e in &self.edges {
            let width = 1.0 + 7.0 * e.value as f64 / max;
            let _ = writeln!(
                s,
                "  \"{}\" -> \"{}\" [penwidth={width:.2}, label=\"{}\"];",
                e.from,
                e.to,
                coins(self.unit, e.value)
            );
        }
        s.push_str("}\n");
        s
    }

    /// One self-contained HTML page: the summary tables and the flow graph as inline
    /// SVG, laid out left to right by hop, edge widths by value, CoinJoins and
    /// services marked. Opens without a network. The drawing keeps the
    /// `max_nodes` largest transactions and endpoints.
    pub fn to_html(&self, max_nodes: usize) -> String {
        let mut s = String::new();
        self.html_head(&mut s);
        self.html_totals(&mut s);
        self.html_services(&mut s);
        self.html_coinjoins(&mut s);
        s.push_str("<h2>Flow graph</h2>\n");
        s.push_str(&self.svg(max_nodes));
        self.html_endpoints(&mut s);
        let _ = write!(
            s,
            "</table>\n<p class=foot>Generated by chainsleuth. Values in {}; shares of the traced value.</p>\n</body></html>\n",
            self.unit
        );
        s
    }

    /// HTML: the document head, the title and a paragraph on what was traced.
    fn html_head(&self, s: &mut String) {
        let title = format!("chainsleuth trace: {} {}", self.direction_name(), self.policy);
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body>\n",
            esc(&title),
            HTML_STYLE
        );
        let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
        let _ = writeln!(
            s,
            "<p>Traced <b>{}</b> from {} output(s) under the <b>{}</b> policy, at most {} hops, shares under {} sats not followed. Went through {} transactions ({} CoinJoins), {} hops deep.</p>",
            coins(self.unit, self.traced_value),
            self.starts.len(),
            self.policy,
            self.max_hops,
            self.min_value,
            self.summary.transactions,
            self.summary.coinjoins,
            self.summary.hops
        );
    }

    /// HTML: the table of where the value is.
    fn html_totals(&self, s: &mut String) {
        s.push_str("<h2>Where the value is</h2>\n<table><tr><th>kind</th><th>value</th><th>share</th></tr>\n");
        for (label, value) in self.summary.totals() {
            let _ = writeln!(
                s,
                "<tr><td>{label}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                coins(self.unit, value),
                self.percent(value)
            );
        }
        s.push_str("</table>\n");
    }

    /// HTML: the table of services reached, if any.
    fn html_services(&self, s: &mut String) {
        if self.services.is_empty() {
            return;
        }
        s.push_str("<h2>Services reached</h2>\n<table><tr><th>service</th><th>category</th><th>value</th><th>share</th><th>outputs</th><th>heights</th></tr>\n");
        for r in &self.services {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}-{}</td></tr>",
                esc(&r.name),
                esc(&r.category),
                coins(self.unit, r.value),
                self.percent(r.value),
                r.deposits,
                r.first_height,
                r.last_height
            );
        }
        s.push_str("</table>\n");
    }

    /// HTML: the table of CoinJoins crossed, if any.
    fn html_coinjoins(&self, s: &mut String) {
        if self.coinjoins.is_empty() {
            return;
        }
        s.push_str("<h2>CoinJoins crossed</h2>\n<table><tr><th>txid</th><th>protocol</th><th>height</th><th>hop</th><th>value</th></tr>\n");
        for c in &self.coinjoins {
            let _ = writeln!(
                s,
                "<tr><td class=h>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                c.txid,
                c.protocol,
                c.height,
                c.hop,
                coins(self.unit, c.value)
            );
        }
        s.push_str("</table>\n");
    }

    /// HTML: the endpoints table's heading and rows (the page closes it).
    fn html_endpoints(&self, s: &mut String) {
        s.push_str("<h2>Endpoints</h2>\n<table><tr><th>kind</th><th>address</th><th>entity / service</th><th>value</th><th>share</th><th>height</th><th>txid</th></tr>\n");
        for e in &self.endpoints {
            let who = e.service.clone().or(e.entity.map(|x| format!("entity {x}"))).unwrap_or_default();
            let _ = writeln!(
                s,
                "<tr><td><span class=\"k {}\">{}</span></td><td class=h>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=h>{}</td></tr>",
                e.kind,
                e.kind,
                esc(&e.place()),
                esc(&who),
                coins(self.unit, e.value),
                self.percent(e.value),
                e.height,
                e.txid
            );
        }
    }

    fn direction_name(&self) -> &'static str {
        match self.direction {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        }
    }

    /// The boxes the SVG draws, by column: the `max_nodes` largest transactions at
    /// their hop, and the largest endpoints one column after their transaction;
    /// each (key, label, class, value).
    fn svg_columns(&self, max_nodes: usize) -> BTreeMap<u32, Vec<SvgBox>> {
        let mut txs: Vec<&NodeRow> = self.nodes.iter().collect();
        txs.sort_by_key(|n| std::cmp::Reverse(n.value_out.max(n.value_in)));
        txs.truncate(max_nodes);
        let hop_of: BTreeMap<&str, u32> = txs.iter().map(|n| (n.txid.as_str(), n.hop)).collect();
        let mut ends: Vec<&EndpointRow> =
            self.endpoints.iter().filter(|e| e.address.is_some() && hop_of.contains_key(e.txid.as_str())).collect();
        ends.truncate(max_nodes / 2);
        // Place: column = hop (endpoints one column after their transaction), rows by value.
        let mut columns: BTreeMap<u32, Vec<SvgBox>> = BTreeMap::new();
        for n in &txs {
            let label = format!("{}… h{}", &n.txid[..10], n.height);
            let class = if n.coinjoin.is_some() { "cj" } else { "tx" };
            columns.entry(n.hop).or_default().push((n.txid.clone(), label, class, n.value_out.max(n.value_in)));
        }
        for e in &ends {
            let address = e.address.clone().unwrap_or_default();
            let hop = hop_of[e.txid.as_str()] + 1;
            let name = e.service.clone().unwrap_or_else(|| e.kind.to_owned());
            let label = format!("{}… {}", &address[..address.len().min(12)], name);
            columns.entry(hop).or_default().push((format!("{}|{address}", e.txid), label, e.kind, e.value));
        }
        columns
    }

    /// The flow graph as SVG: a column per hop, transactions as boxes (CoinJoins
    /// orange), trail ends as rounded boxes after their transaction (services red,
    /// unspent green, limits grey), edges as curves as wide as their value.
    fn svg(&self, max_nodes: usize) -> String {
        const COL: f64 = 230.0;
        const ROW: f64 = 46.0;
        const W: f64 = 170.0;
        const H: f64 = 34.0;
        let mut columns = self.svg_columns(max_nodes);
        let mut at: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let mut height = 0.0f64;
        let mut body = String::new();
        let first = columns.keys().next().copied().unwrap_or(0);
        for (hop, items) in &mut columns {
            items.sort_by_key(|item| std::cmp::Reverse(item.3));
            let x = 20.0 + f64::from(hop - first) * COL;
            for (row, (key, label, class, value)) in items.iter().enumerate() {
                let y = 40.0 + row as f64 * ROW;
                height = height.max(y + H + 20.0);
                at.insert(key.clone(), (x, y));
                let _ = writeln!(
                    body,
                    "<g class=\"{class}\"><rect x=\"{x:.0}\" y=\"{y:.0}\" width=\"{W}\" height=\"{H}\" rx=\"{}\"/><text x=\"{:.0}\" y=\"{:.0}\">{}</text><text x=\"{:.0}\" y=\"{:.0}\">{}</text><title>{}</title></g>",
                    if *class == "tx" || *class == "cj" { 2 } else { 12 },
                    x + 6.0,
                    y + 14.0,
                    esc(label),
                    x + 6.0,
                    y + 28.0,
                    coins(self.unit, *value),
                    esc(key)
                );
            }
            let _ = writeln!(body, "<text class=\"hop\" x=\"{x:.0}\" y=\"24\">hop {hop}</text>");
        }
        let max = self.edges.iter().map(|e| e.value).max().unwrap_or(1).max(1) as f64;
        let mut paths = String::new();
        for e in &self.edges {
            // An endpoint's box is keyed by its transaction and place.
            let (source, target) = match (e.from_type, e.to_type) {
                ("tx", "tx") => (e.from.clone(), e.to.clone()),
                ("tx", _) => (e.from.clone(), format!("{}|{}", e.from, e.to)),
                _ => (format!("{}|{}", e.to, e.from), e.to.clone()),
            };
            let (Some(&(x1, y1)), Some(&(x2, y2))) = (at.get(&source), at.get(&target)) else { continue };
            let width = 1.0 + 17.0 * e.value as f64 / max;
            let (sx, sy, tx, ty) = (x1 + W, y1 + H / 2.0, x2, y2 + H / 2.0);
            let mid = (sx + tx) / 2.0;
            let _ = writeln!(
                paths,
                "<path d=\"M{sx:.0},{sy:.0} C{mid:.0},{sy:.0} {mid:.0},{ty:.0} {tx:.0},{ty:.0}\" stroke-width=\"{width:.1}\"><title>{}</title></path>",
                coins(self.unit, e.value)
            );
        }
        let width = 40.0 + (columns.len().max(1)) as f64 * COL;
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{:.0}\" viewBox=\"0 0 {width:.0} {:.0}\">\n<g class=\"edges\">\n{paths}</g>\n{body}</svg>\n<p class=legend><span class=\"k cjl\">CoinJoin</span> <span class=\"k service\">service</span> <span class=\"k unspent\">unspent</span> <span class=\"k limit\">limit</span> (largest {} transactions drawn of {})</p>\n",
            height.max(80.0),
            height.max(80.0),
            self.nodes.len().min(max_nodes),
            self.nodes.len()
        )
    }
}

fn end_color(kind: &str) -> &'static str {
    match kind {
        "service" => "#e06666",
        "unspent" => "#93c47d",
        "coinbase" => "#ffd966",
        "pool" => "#b4a7d6",
        _ => "#cccccc",
    }
}

const HTML_STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}\
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}td.h{font-family:monospace;font-size:12px}\
.k{padding:1px 6px;border-radius:8px}.k.service{background:#e06666}.k.unspent{background:#93c47d}\
.k.limit{background:#ccc}.k.coinbase{background:#ffd966}.k.cjl{background:#f6b26b}\
svg{border:1px solid #ddd;background:#fafafa}svg text{font:11px monospace}svg .hop{font:bold 12px sans-serif}\
svg .edges path{fill:none;stroke:#6fa8dc;stroke-opacity:.55}svg rect{stroke:#555;fill:#fff}\
svg .cj rect{fill:#f6b26b}svg .service rect{fill:#e06666}svg .unspent rect{fill:#93c47d}\
svg .limit rect{fill:#ddd}svg .coinbase rect{fill:#ffd966}.foot,.legend{color:#666}";

/// An amount of the smallest unit shown as coins (`unit`: BTC or ZEC).
fn coins(unit: &str, sats: u64) -> String {
    format!("{}.{:08} {unit}", sats / 100_000_000, sats % 100_000_000)
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}
