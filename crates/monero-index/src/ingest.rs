//! Ingest: bring the index up to a source's tip. Finds the last block both agree
//! on (rolling back a reorg), then decodes new blocks in parallel, checks each
//! against its parent and its transactions against the block's hashes, numbers
//! outputs in their amount's index (checked against the node's own indices when
//! it reports them), resolves every ring member to the output it names, and
//! commits in batches.

use crate::records::{BlockRow, InputRow, OutputRow, TxRow};
use crate::source::{FetchedBlock, Source};
use crate::store::{Counts, Store};
use crate::{Error, Result};
use monero::{Input, Transaction};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;
use std::time::{Duration, Instant};

/// How an ingest runs.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Blocks fetched and decoded together.
    pub batch_blocks: u64,
    /// Commit at least every this many blocks.
    pub commit_blocks: u64,
    /// Stop after this height (for tests and partial runs).
    pub until_height: Option<u64>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self { batch_blocks: 100, commit_blocks: 2000, until_height: None }
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IngestReport {
    /// The source.
    pub source: String,
    /// Blocks indexed before.
    pub blocks_before: u64,
    /// Blocks indexed now.
    pub blocks_after: u64,
    /// The height blocks were rolled back to, if a reorg was followed.
    pub rolled_back_to: Option<u64>,
    /// Transactions added.
    pub txs: u64,
    /// Inputs added.
    pub inputs: u64,
    /// Outputs added.
    pub outputs: u64,
    /// Wall time.
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Ingests `source` into the index at `dir`, calling `progress(height, tip)`
/// after every batch.
///
/// # Errors
/// A one-line error naming the height, txid and field of bad input, or the
/// RPC call that failed; the index then stays at its last commit.
pub fn ingest(
    dir: &Path,
    source: &mut dyn Source,
    opts: &IngestOptions,
    progress: &dyn Fn(u64, u64),
) -> Result<IngestReport> {
    let started = Instant::now();
    let mut store = Store::open_for_write(dir)?;
    let before = store.counts();
    let mut report =
        IngestReport { source: source.describe(), blocks_before: before.blocks, ..IngestReport::default() };
    let mut tip = source.block_count()?;
    if let Some(until) = opts.until_height {
        tip = tip.min(until + 1);
    }

    // Walk back to the last block the source agrees on.
    let mut height = store.blocks.len() as u64;
    while height > 0 && (height > tip || source.block_id(height - 1)?.0 != store.blocks[height as usize - 1].id) {
        height -= 1;
    }
    if height < store.blocks.len() as u64 {
        log::warn!("reorg: rolling back from height {} to {height}", store.blocks.len());
        store.truncate(height)?;
        store.commit(Some(report.source.clone()))?;
        report.rolled_back_to = Some(height);
    }

    let mut since_commit = 0;
    while height < tip {
        let to = (height + opts.batch_blocks.max(1)).min(tip);
        let fetched = source.fetch(height, to)?;
        let decoded: Vec<DecodedBlock> = fetched.into_par_iter().map(decode).collect::<Result<_>>()?;
        for block in decoded {
            let added = apply(&mut store, block)?;
            report.txs += added.0;
            report.inputs += added.1;
            report.outputs += added.2;
        }
        since_commit += to - height;
        height = to;
        if since_commit >= opts.commit_blocks || height == tip {
            store.commit(Some(report.source.clone()))?;
            since_commit = 0;
        }
        progress(height, tip);
    }
    report.blocks_after = store.blocks.len() as u64;
    report.elapsed = started.elapsed();
    Ok(report)
}

struct DecodedBlock {
    fetched: FetchedBlock,
    block: monero::Block,
    txs: Vec<Transaction>,
}

fn decode(fetched: FetchedBlock) -> Result<DecodedBlock> {
    let height = fetched.height;
    let block = monero::decode_block(&fetched.blob).map_err(|e| Error::Decode {
        height,
        txid: None,
        what: format!("block: {e}"),
    })?;
    if block.height() != Some(height) {
        return Err(Error::Decode {
            height,
            txid: None,
            what: format!("block: miner tx claims height {:?}", block.height()),
        });
    }
    if block.tx_hashes.len() != fetched.txs.len() {
        return Err(Error::Decode {
            height,
            txid: None,
            what: format!("block lists {} txs, {} given", block.tx_hashes.len(), fetched.txs.len()),
        });
    }
    let mut txs = Vec::with_capacity(fetched.txs.len());
    for (blob, want) in fetched.txs.iter().zip(&block.tx_hashes) {
        let tx = monero::decode_tx(blob).map_err(|e| Error::Decode {
            height,
            txid: Some(want.to_string()),
            what: e.to_string(),
        })?;
        if tx.hash != *want {
            return Err(Error::Decode {
                height,
                txid: Some(want.to_string()),
                what: format!("the blob hashes to {}", tx.hash),
            });
        }
        if tx.is_coinbase() {
            return Err(Error::Decode {
                height,
                txid: Some(want.to_string()),
                what: "field vin: a coinbase outside the miner tx".into(),
            });
        }
        txs.push(tx);
    }
    Ok(DecodedBlock { fetched, block, txs })
}

/// Appends one decoded block; returns (txs, inputs, outputs) added.
fn apply(store: &mut Store, d: DecodedBlock) -> Result<(u64, u64, u64)> {
    let height = d.fetched.height;
    check_parent(store, height, &d.block)?;
    let counts = store.counts();
    let block_row = BlockRow {
        id: d.block.id.0,
        timestamp: d.block.timestamp,
        first_tx: counts.txs,
        reward: d.block.reward(),
        major: d.block.major_version.min(255) as u8,
        minor: d.block.minor_version.min(255) as u8,
    };
    let mut rows = BlockRows::new(store, height, counts);
    let all = std::iter::once(&d.block.miner_tx).chain(d.txs.iter());
    for (pos, tx) in all.enumerate() {
        let reported = d.fetched.output_indices.as_ref().map(|v| v.get(pos));
        rows.push_tx(pos, tx, reported)?;
    }
    let BlockRows { txs, inputs, members, outputs, .. } = rows;
    let added = (txs.len() as u64, inputs.len() as u64, outputs.len() as u64);
    store.push_block(block_row, txs, inputs, members, outputs)?;
    Ok(added)
}

/// Checks that the block at `height` builds on the indexed block below it.
fn check_parent(store: &Store, height: u64, block: &monero::Block) -> Result<()> {
    if height > 0 {
        let parent = store.blocks[height as usize - 1].id;
        if block.prev_id.0 != parent {
            return Err(Error::Decode {
                height,
                txid: None,
                what: format!("field prev_id {} is not the indexed block {}", block.prev_id, monero::Hash32(parent)),
            });
        }
    }
    Ok(())
}

/// The rows one block adds, built up transaction by transaction against the
/// index as committed before the block.
struct BlockRows<'a> {
    /// The index before this block.
    store: &'a Store,
    /// The block's height.
    height: u64,
    /// Row counts before this block.
    counts: Counts,
    /// Transaction rows.
    txs: Vec<TxRow>,
    /// Input rows (coinbase inputs are not stored).
    inputs: Vec<InputRow>,
    /// Ring members: the output number each one names.
    members: Vec<u64>,
    /// Output rows.
    outputs: Vec<OutputRow>,
    /// Per index amount, the next global index.
    next_index: FxHashMap<u64, u64>,
    /// Key images spent in this block.
    key_images: FxHashSet<[u8; 32]>,
}

impl<'a> BlockRows<'a> {
    /// No rows yet for the block at `height`.
    fn new(store: &'a Store, height: u64, counts: Counts) -> Self {
        Self {
            store,
            height,
            counts,
            txs: Vec::new(),
            inputs: Vec::new(),
            members: Vec::new(),
            outputs: Vec::new(),
            next_index: FxHashMap::default(),
            key_images: FxHashSet::default(),
        }
    }

    /// Adds the transaction at `pos` in the block (0: the miner tx) with its
    /// inputs and outputs; `reported` holds the node's output indices, if given.
    fn push_tx(&mut self, pos: usize, tx: &Transaction, reported: Option<Option<&Vec<u64>>>) -> Result<()> {
        let height = self.height;
        let txid = tx.hash.to_string();
        let err = |what: String| Error::Decode { height, txid: Some(txid.clone()), what };
        let tx_num = self.counts.txs + pos as u64;
        let extra = tx.parsed_extra();
        let mut tx_pubkey = [0u8; 32];
        if let Some(k) = extra.tx_pubkeys.first() {
            hex::decode_to_slice(k, &mut tx_pubkey).map_err(|_| err("field extra.tx_pubkey".into()))?;
        }
        self.txs.push(TxRow {
            hash: tx.hash.0,
            tx_pubkey,
            height: u32::try_from(height).map_err(|_| Error::Limit("height beyond u32"))?,
            version: tx.version as u8,
            rct_type: tx.rct_type.map_or(0xff, |t| t as u8),
            coinbase: pos == 0,
            fee: tx.fee,
            first_input: self.counts.inputs + self.inputs.len() as u64,
            first_output: self.counts.outputs + self.outputs.len() as u64,
            unlock_time: tx.unlock_time,
            size: u32::try_from(tx.size).unwrap_or(u32::MAX),
        });
        self.push_inputs(tx, tx_num, &err)?;
        self.push_outputs(tx, pos, tx_num, reported, &err)
    }

    /// Adds a transaction's inputs, each key image spent once, and resolves
    /// their ring members to the outputs they name.
    fn push_inputs(&mut self, tx: &Transaction, tx_num: u64, err: &impl Fn(String) -> Error) -> Result<()> {
        for (i, input) in tx.inputs.iter().enumerate() {
            let Input::ToKey { amount, key_image, .. } = input else { continue };
            if self.store.input_by_key_image(key_image).is_some() || !self.key_images.insert(*key_image) {
                return Err(err(format!("field vin[{i}].k_image: {} is spent twice", hex::encode(key_image))));
            }
            let ring = input.ring().ok_or_else(|| err(format!("field vin[{i}].key_offsets: overflow")))?;
            self.inputs.push(InputRow {
                key_image: *key_image,
                amount: *amount,
                first_member: self.counts.members + self.members.len() as u64,
                tx: tx_num,
            });
            for (j, gi) in ring.iter().enumerate() {
                let out = self.store.output_at(*amount, *gi).ok_or_else(|| {
                    err(format!(
                        "field vin[{i}].key_offsets[{j}]: global index {gi} of amount {amount} is not in the chain"
                    ))
                })?;
                self.members.push(out);
            }
        }
        Ok(())
    }

    /// Adds a transaction's outputs, numbering each in its amount's index and
    /// checking the number against the node's when it reports one.
    fn push_outputs(
        &mut self,
        tx: &Transaction,
        pos: usize,
        tx_num: u64,
        reported: Option<Option<&Vec<u64>>>,
        err: &impl Fn(String) -> Error,
    ) -> Result<()> {
        for (k, o) in tx.outputs.iter().enumerate() {
            let index_amount = if tx.outputs_are_rct_indexed() { 0 } else { o.amount };
            let slot = self.next_index.entry(index_amount).or_insert_with(|| self.store.index_len(index_amount));
            let global_index = *slot;
            *slot += 1;
            if let Some(r) = reported {
                let node = r.and_then(|v| v.get(k)).copied();
                if node != Some(global_index) {
                    return Err(err(format!(
                        "field output_indices[{k}]: the node says {node:?}, the chain numbers it {global_index}"
                    )));
                }
            }
            self.outputs.push(OutputRow {
                key: o.key,
                amount: o.amount,
                global_index,
                tx: tx_num,
                view_tag: o.view_tag,
                rct: index_amount == 0,
                coinbase: pos == 0,
            });
        }
        Ok(())
    }
}
