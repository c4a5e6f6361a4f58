//! The ring graph: every input's ring as output numbers, each output's height,
//! kind and lock, and the reverse lists (which rings name an output), taken from
//! the index once so the rules walk dense arrays.

use monero_index::Store;

/// Inputs and the outputs their rings name.
#[derive(Debug, Clone, Default)]
pub struct RingGraph {
    /// `ring_start[i]..ring_start[i + 1]` are input `i`'s members in `members`.
    pub ring_start: Vec<usize>,
    /// Ring members (output numbers), oldest first within each ring.
    pub members: Vec<u64>,
    /// Height of each input's block.
    pub input_height: Vec<u32>,
    /// Transaction of each input.
    pub input_tx: Vec<u64>,
    /// Amount of each input (0 for RingCT).
    pub input_amount: Vec<u64>,
    /// Height of each output's block.
    pub output_height: Vec<u32>,
    /// Transaction of each output.
    pub output_tx: Vec<u64>,
    /// Whether each output is a miner transaction's.
    pub output_coinbase: Vec<bool>,
    /// `refs_start[o]..refs_start[o + 1]` are the member slots naming output `o`.
    pub refs_start: Vec<usize>,
    /// Member slots (positions in `members`), grouped by output.
    pub refs: Vec<usize>,
    /// Input of each member slot.
    pub slot_input: Vec<u32>,
    /// Cumulative RingCT outputs through each block (monerod's output distribution).
    pub rct_cumulative: Vec<u64>,
    /// RingCT miner outputs in each block (they unlock 60 blocks later).
    pub block_coinbase_rct: Vec<u64>,
    /// The age model's per-graph data, computed on first use.
    pub prepared: std::sync::OnceLock<std::sync::Arc<crate::age::Prepared>>,
}

impl RingGraph {
    /// Builds the graph from an index.
    pub fn from_store(store: &Store) -> Self {
        let n_in = store.inputs.len();
        let mut g = Self { ring_start: Vec::with_capacity(n_in + 1), ..Self::default() };
        for i in 0..n_in {
            g.ring_start.push(g.members.len());
            let row = &store.inputs[i];
            g.members.extend_from_slice(store.ring(i as u64));
            g.input_tx.push(row.tx);
            g.input_height.push(store.txs[row.tx as usize].height);
            g.input_amount.push(row.amount);
        }
        g.ring_start.push(g.members.len());
        g.output_height = store.outputs.iter().map(|o| store.txs[o.tx as usize].height).collect();
        g.output_tx = store.outputs.iter().map(|o| o.tx).collect();
        g.output_coinbase = store.outputs.iter().map(|o| o.coinbase).collect();
        g.index_refs(store.outputs.len());
        let mut per_block = vec![0u64; store.blocks.len()];
        g.block_coinbase_rct = vec![0u64; store.blocks.len()];
        for o in store.outputs.iter().filter(|o| o.rct) {
            let h = store.txs[o.tx as usize].height as usize;
            per_block[h] += 1;
            if o.coinbase {
                g.block_coinbase_rct[h] += 1;
            }
        }
        let mut acc = 0;
        g.rct_cumulative = per_block
            .iter()
            .map(|n| {
                acc += n;
                acc
            })
            .collect();
        g
    }

    /// Fills the reverse lists from `members`.
    pub fn index_refs(&mut self, outputs: usize) {
        let mut count = vec![0usize; outputs + 1];
        for &m in &self.members {
            count[m as usize + 1] += 1;
        }
        for o in 0..outputs {
            count[o + 1] += count[o];
        }
        self.refs_start = count.clone();
        self.refs = vec![0; self.members.len()];
        self.slot_input = vec![0; self.members.len()];
        for i in 0..self.inputs() {
            for slot in self.ring_start[i]..self.ring_start[i + 1] {
                let o = self.members[slot] as usize;
                self.refs[count[o]] = slot;
                count[o] += 1;
                self.slot_input[slot] = i as u32;
            }
        }
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.ring_start.len().saturating_sub(1)
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.output_height.len()
    }

    /// Input `i`'s member slots.
    pub fn ring(&self, i: usize) -> std::ops::Range<usize> {
        self.ring_start[i]..self.ring_start[i + 1]
    }

    /// The member slots that name output `o`.
    pub fn refs_of(&self, o: usize) -> &[usize] {
        &self.refs[self.refs_start[o]..self.refs_start[o + 1]]
    }
}
