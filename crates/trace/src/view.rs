//! What the tracer reads of the chain, as a trait: the index implements it for real
//! traces, and tests implement it for small hand-built graphs.

use crate::pools::PoolLinks;
use analysis::Protocol;
use index::{AddrId, CrossingRow, InNum, Index, OutNum, Spent, TxNum};
use std::ops::Range;
use zcash::Pool;

/// What an input spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Nothing: the input of a coinbase.
    Coinbase,
    /// An output not in the chain view (a chain that starts late).
    Unresolved,
    /// An output.
    Output(u64),
}

/// The transaction graph, by dense numbers: transactions, inputs and outputs in
/// chain order (every input spends an output of an earlier transaction).
pub trait ChainView {
    /// Input numbers of transaction `t`.
    fn inputs(&self, t: u64) -> Range<u64>;
    /// Output numbers of transaction `t`.
    fn outputs(&self, t: u64) -> Range<u64>;
    /// What input `i` spends.
    fn source(&self, i: u64) -> Source;
    /// Value of output `o`.
    fn value(&self, o: u64) -> u64;
    /// The address output `o` pays.
    fn address(&self, o: u64) -> AddrId;
    /// The input spending output `o` and its transaction, if spent.
    fn spender(&self, o: u64) -> Option<(u64, u64)>;
    /// The transaction of output `o`.
    fn output_tx(&self, o: u64) -> u64;
    /// Fee of transaction `t`, if known (all its inputs resolved).
    fn fee(&self, t: u64) -> Option<u64>;
    /// Height of transaction `t`'s block.
    fn height(&self, t: u64) -> u32;
    /// The CoinJoin protocol of transaction `t`, if it is one.
    fn coinjoin(&self, t: u64) -> Option<Protocol>;
    /// Zcash: what transaction `t` moves into and out of the shielded pools (none
    /// on Bitcoin).
    fn crossings(&self, _t: u64) -> Vec<CrossingRow> {
        Vec::new()
    }
    /// Zcash: the deshieldings that value shielded by `t` into `pool` may have
    /// become, with the confidence of each round-trip link.
    fn links_onward(&self, _t: u64, _pool: Pool) -> &[(u64, f64)] {
        &[]
    }
    /// Zcash: the shieldings that may have funded deshielding `t` out of `pool`.
    fn links_back(&self, _t: u64, _pool: Pool) -> &[(u64, f64)] {
        &[]
    }
}

/// The index as a chain view, with CoinJoins from the saved clustering where it
/// covers the transaction (one read), else classified on the fly.
pub struct IndexView<'a> {
    index: &'a Index,
    analysis: Option<&'a analysis::Analysis>,
    links: Option<&'a PoolLinks>,
}

impl<'a> IndexView<'a> {
    /// A view of `index`, reading CoinJoin verdicts from `analysis` when given.
    pub fn new(index: &'a Index, analysis: Option<&'a analysis::Analysis>) -> Self {
        Self { index, analysis, links: None }
    }

    /// Follows value through Zcash's pools along `links` (without them, value
    /// entering a pool ends there).
    pub fn with_pool_links(mut self, links: &'a PoolLinks) -> Self {
        self.links = Some(links);
        self
    }

    /// The index.
    pub fn index(&self) -> &'a Index {
        self.index
    }
}

impl ChainView for IndexView<'_> {
    fn inputs(&self, t: u64) -> Range<u64> {
        self.index.tx_inputs(TxNum(t))
    }

    fn outputs(&self, t: u64) -> Range<u64> {
        self.index.tx_outputs(TxNum(t))
    }

    fn source(&self, i: u64) -> Source {
        match self.index.spent(InNum(i)) {
            Spent::Coinbase => Source::Coinbase,
            Spent::Unresolved => Source::Unresolved,
            Spent::Output(o) => Source::Output(o.0),
        }
    }

    fn value(&self, o: u64) -> u64 {
        self.index.value(OutNum(o))
    }

    fn address(&self, o: u64) -> AddrId {
        self.index.output_address(OutNum(o))
    }

    fn spender(&self, o: u64) -> Option<(u64, u64)> {
        let i = self.index.spent_by(OutNum(o))?;
        Some((i.0, self.index.input_tx(InNum(i.0)).0))
    }

    fn output_tx(&self, o: u64) -> u64 {
        self.index.output_tx(OutNum(o)).0
    }

    fn fee(&self, t: u64) -> Option<u64> {
        self.index.fee(TxNum(t))
    }

    fn height(&self, t: u64) -> u32 {
        self.index.tx_height(TxNum(t)).0
    }

    fn coinjoin(&self, t: u64) -> Option<Protocol> {
        if let Some(a) = self.analysis.filter(|a| a.covers(TxNum(t))) {
            return a.coinjoin(TxNum(t)).map(|(p, _)| p);
        }
        let mut facts = analysis::facts::TxFacts::default();
        facts.load(self.index, TxNum(t), None);
        facts.set_height(self.height(t));
        analysis::coinjoin::classify(&facts.shape()).map(|v| v.protocol)
    }

    fn crossings(&self, t: u64) -> Vec<CrossingRow> {
        self.index.crossings(TxNum(t))
    }

    fn links_onward(&self, t: u64, pool: Pool) -> &[(u64, f64)] {
        self.links.map_or(&[], |l| l.onward(t, pool))
    }

    fn links_back(&self, t: u64, pool: Pool) -> &[(u64, f64)] {
        self.links.map_or(&[], |l| l.back(t, pool))
    }
}
