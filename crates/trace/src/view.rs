//! What the tracer reads of the chain, as a trait: the index implements it for real
//! traces, and tests implement it for small hand-built graphs.

use crate::pools::PoolLinks;
use analysis::Protocol;
use index::{AddrId, CrossingRow, IdRange, InNum, Index, OutNum, Spent, TxNum};
use zcash::Pool;

/// What an input spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Nothing: the input of a coinbase.
    Coinbase,
    /// An output not in the chain view (a chain that starts late).
    Unresolved,
    /// An output.
    Output(OutNum),
}

/// The transaction graph, by dense numbers: transactions, inputs and outputs in
/// chain order (every input spends an output of an earlier transaction).
pub trait ChainView {
    /// Input numbers of transaction `t`.
    fn inputs(&self, t: TxNum) -> IdRange<InNum>;
    /// Output numbers of transaction `t`.
    fn outputs(&self, t: TxNum) -> IdRange<OutNum>;
    /// What input `i` spends.
    fn source(&self, i: InNum) -> Source;
    /// Value of output `o`.
    fn value(&self, o: OutNum) -> u64;
    /// The address output `o` pays.
    fn address(&self, o: OutNum) -> AddrId;
    /// The input spending output `o` and its transaction, if spent.
    fn spender(&self, o: OutNum) -> Option<(InNum, TxNum)>;
    /// The transaction of output `o`.
    fn output_tx(&self, o: OutNum) -> TxNum;
    /// Fee of transaction `t`, if known (all its inputs resolved).
    fn fee(&self, t: TxNum) -> Option<u64>;
    /// Height of transaction `t`'s block.
    fn height(&self, t: TxNum) -> u32;
    /// The CoinJoin protocol of transaction `t`, if it is one.
    fn coinjoin(&self, t: TxNum) -> Option<Protocol>;
    /// Zcash: what transaction `t` moves into and out of the shielded pools (none
    /// on Bitcoin).
    fn crossings(&self, _t: TxNum) -> Vec<CrossingRow> {
        Vec::new()
    }
    /// Zcash: the deshieldings that value shielded by `t` into `pool` may have
    /// become, with the confidence of each round-trip link.
    fn links_onward(&self, _t: TxNum, _pool: Pool) -> &[(TxNum, f64)] {
        &[]
    }
    /// Zcash: the shieldings that may have funded deshielding `t` out of `pool`.
    fn links_back(&self, _t: TxNum, _pool: Pool) -> &[(TxNum, f64)] {
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
    fn inputs(&self, t: TxNum) -> IdRange<InNum> {
        IdRange::from_numbers(self.index.tx_inputs(t))
    }

    fn outputs(&self, t: TxNum) -> IdRange<OutNum> {
        IdRange::from_numbers(self.index.tx_outputs(t))
    }

    fn source(&self, i: InNum) -> Source {
        match self.index.spent(i) {
            Spent::Coinbase => Source::Coinbase,
            Spent::Unresolved => Source::Unresolved,
            Spent::Output(o) => Source::Output(o),
        }
    }

    fn value(&self, o: OutNum) -> u64 {
        self.index.value(o)
    }

    fn address(&self, o: OutNum) -> AddrId {
        self.index.output_address(o)
    }

    fn spender(&self, o: OutNum) -> Option<(InNum, TxNum)> {
        let i = self.index.spent_by(o)?;
        Some((i, self.index.input_tx(i)))
    }

    fn output_tx(&self, o: OutNum) -> TxNum {
        self.index.output_tx(o)
    }

    fn fee(&self, t: TxNum) -> Option<u64> {
        self.index.fee(t)
    }

    fn height(&self, t: TxNum) -> u32 {
        self.index.tx_height(t).0
    }

    fn coinjoin(&self, t: TxNum) -> Option<Protocol> {
        if let Some(a) = self.analysis.filter(|a| a.covers(t)) {
            return a.coinjoin(t).map(|(p, _)| p);
        }
        let mut facts = analysis::facts::TxFacts::default();
        facts.load(self.index, t, None);
        facts.set_height(self.height(t));
        analysis::coinjoin::classify(&facts.shape()).map(|v| v.protocol)
    }

    fn crossings(&self, t: TxNum) -> Vec<CrossingRow> {
        self.index.crossings(t)
    }

    fn links_onward(&self, t: TxNum, pool: Pool) -> &[(TxNum, f64)] {
        self.links.map_or(&[], |l| l.onward(t, pool))
    }

    fn links_back(&self, t: TxNum, pool: Pool) -> &[(TxNum, f64)] {
        self.links.map_or(&[], |l| l.back(t, pool))
    }
}
