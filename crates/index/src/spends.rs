//! Which output each input spends, worked out on a thread of its own.
//!
//! Resolving prevouts shares no state with filing outputs under addresses: it needs
//! only the run's unspent outputs (kept here, in memory) and, for outputs older
//! than the run, the index as committed when the run began. So ingest runs it as a
//! pipeline stage between the decoder and the writer, and the writer's thread keeps
//! the address work alone (measured in docs/benchmarks.md: this stage and the
//! committer thread's column writes took ingest from 34.8 s to 23.4 s).

use crate::decoded::{DecodedBlock, FingerprintMap};
use crate::manifest::Counts;
use crate::reader::Index;
use crate::schema::{COINBASE, UNKNOWN_FEE, UNRESOLVED};
use crate::{IndexError, txid_fingerprint};
use chain::Txid;
use chain::script::ScriptClass;
use std::hash::{Hash, Hasher};
use std::path::Path;

/// An outpoint as a map key.
#[derive(PartialEq, Eq)]
struct Outpoint([u8; 32], u32);

impl Hash for Outpoint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(txid_fingerprint(&self.0) ^ u64::from(self.1).rotate_left(47));
    }
}

/// What a block's inputs spend, for the writer.
#[derive(Debug, Default)]
pub struct BlockSpends {
    /// Per input, in order: the output number it spends, `COINBASE` or `UNRESOLVED`.
    pub spent: Vec<u64>,
    /// Per transaction, in order: its fee (0 for a coinbase, `UNKNOWN_FEE` when an
    /// input is unresolved).
    pub fees: Vec<u64>,
    /// Inputs of the block left unresolved.
    pub unresolved: u64,
}

/// Resolves the prevouts of blocks applied in order after the committed state.
///
/// Outputs created by the run and not yet spent are kept by outpoint with their
/// number and value (about 70 bytes each): that map is what grows with the run.
pub struct SpendResolver {
    unspent: FingerprintMap<Outpoint, (u64, u64)>,
    /// The index as committed when the run began (`None` when it was empty).
    before: Option<Index>,
    /// Output count when the run began.
    before_outputs: u64,
    /// Number of the next output the run creates.
    next_output: u64,
}

impl SpendResolver {
    /// Starts after the committed index in `dir`, whose counts are `counts` (the
    /// writer's, with nothing uncommitted).
    ///
    /// # Errors
    /// When the committed index cannot be opened.
    pub fn open(dir: &Path, counts: &Counts) -> Result<Self, IndexError> {
        let before = if counts.txs > 0 { Some(Index::open(dir)?) } else { None };
        if let Some(index) = &before
            && index.counts() != *counts
        {
            return Err(IndexError::io(dir, std::io::Error::other("the committed index changed under the writer")));
        }
        Ok(Self {
            unspent: FingerprintMap::default(),
            before,
            before_outputs: counts.outputs,
            next_output: counts.outputs,
        })
    }

    /// Resolves one block's inputs: the block that follows the last one resolved.
    pub fn resolve_block(&mut self, block: &DecodedBlock) -> BlockSpends {
        let mut spends = BlockSpends {
            spent: Vec::with_capacity(block.inputs.len()),
            fees: Vec::with_capacity(block.txs.len()),
            unresolved: 0,
        };
        let (mut inputs, mut outputs) = (block.inputs.iter(), block.outputs.iter());
        let mut crossings = block.crossings.iter().peekable();
        for (position, tx) in block.txs.iter().enumerate() {
            // Zcash: value out of the pools pays like an input, into them like an output.
            let (mut from_pools, mut into_pools) = (0u64, 0u64);
            while let Some(c) = crossings.next_if(|c| c.tx as usize == position) {
                from_pools = from_pools.saturating_add(c.out_of);
                into_pools = into_pools.saturating_add(c.into);
            }
            let (mut in_value, mut resolved, mut coinbase) = (from_pools, true, false);
            for input in inputs.by_ref().take(tx.inputs as usize) {
                let spent = if input.prev_vout == u32::MAX && input.prev_txid == [0; 32] {
                    coinbase = true;
                    COINBASE
                } else if let Some((o, value)) = self.resolve(&input.prev_txid, input.prev_vout) {
                    in_value = in_value.saturating_add(value);
                    o
                } else {
                    resolved = false;
                    spends.unresolved += 1;
                    UNRESOLVED
                };
                spends.spent.push(spent);
            }
            // After the inputs: a transaction cannot spend its own outputs.
            let mut out_value = into_pools;
            for (vout, output) in outputs.by_ref().take(tx.outputs as usize).enumerate() {
                // OP_RETURN outputs can never be spent.
                if output.class != ScriptClass::NullData.code() {
                    self.unspent.insert(Outpoint(tx.txid, vout as u32), (self.next_output, output.value));
                }
                self.next_output += 1;
                out_value = out_value.saturating_add(output.value);
            }
            spends.fees.push(match (coinbase, resolved) {
                (true, _) => 0,
                (false, true) => in_value.checked_sub(out_value).unwrap_or(UNKNOWN_FEE),
                (false, false) => UNKNOWN_FEE,
            });
        }
        spends
    }

    /// The output a prevout names, with its value: first among the run's unspent
    /// outputs (taking it out), else among the outputs committed before the run.
    fn resolve(&mut self, txid: &[u8; 32], vout: u32) -> Option<(u64, u64)> {
        if let Some(found) = self.unspent.remove(&Outpoint(*txid, vout)) {
            return Some(found);
        }
        let index = self.before.as_ref()?;
        let t = index.tx_by_txid(&Txid(*txid))?.0;
        let c = &index.columns;
        let first = c.tx_first_output.get(t);
        let end = if t + 1 < index.counts().txs { c.tx_first_output.get(t + 1) } else { self.before_outputs };
        let o = first + u64::from(vout);
        (o < end).then(|| (o, c.out_value.get(o)))
    }
}
