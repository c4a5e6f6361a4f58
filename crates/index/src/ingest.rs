//! Ingest: bring the index up to the blocks directory's most-work chain.
//!
//! 1. Map the blocks directory from headers alone (`chain::block_map`, or
//!    `zcash::walk` for zcashd's).
//! 2. Find where the indexed chain and the node's chain part; roll back to that
//!    point if the node reorganised.
//! 3. A pipeline of three threads: read and decode the new blocks in parallel, in
//!    windows of a few megabytes; resolve their prevouts in height order
//!    ([`crate::spends`]); apply them in height order on this thread (ids, columns,
//!    addresses); commit every `commit_bytes` of blocks and at the end.
//!
//! Work is proportional to the new blocks: nothing already indexed is read again
//! except the hashes compared to find the fork point.

use crate::IndexError;
use crate::decoded::DecodedBlock;
use crate::manifest::{Counts, Manifest};
use crate::source::{decode, main_chain};
use crate::spends::{BlockSpends, SpendResolver};
use crate::writer::IndexWriter;
use chain::{BlockHash, BlockLocation, BlocksDir, ReadWarning};
use rayon::prelude::*;
use std::fs::File;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Delete the index and build it again.
    pub rebuild: bool,
    /// Commit after this many bytes of blocks (and at the end).
    pub commit_bytes: u64,
    /// Also commit after this many blocks (tests use small values to get many commits).
    pub commit_blocks: Option<u64>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self { rebuild: false, commit_bytes: 512 << 20, commit_blocks: None }
    }
}

/// Progress after each window of blocks.
#[derive(Debug, Clone, Copy)]
pub struct IngestProgress {
    /// Height of the last block applied.
    pub height: u32,
    /// Height the ingest will reach.
    pub target: u32,
    /// Bytes of blocks applied in this run.
    pub bytes_done: u64,
    /// Bytes of blocks this run applies.
    pub bytes_total: u64,
}

/// What an ingest did.
#[derive(Debug, Clone)]
pub struct IngestReport {
    /// The tip after the ingest.
    pub tip: Option<(u32, BlockHash)>,
    /// If the node reorganised: the fork height and how many blocks were removed.
    pub rolled_back: Option<(u32, u64)>,
    /// Rows added by this run.
    pub added: Counts,
    /// Rows in the index now.
    pub counts: Counts,
    /// Inputs whose spent output is not in the index.
    pub unresolved_inputs: u64,
    /// Bytes of blocks read.
    pub bytes: u64,
    /// Wall time.
    pub elapsed_secs: f64,
    /// What the blocks directory's reader skipped.
    pub warnings: Vec<ReadWarning>,
}

/// Decoded blocks are handed over in windows of about this many bytes of blocks.
const WINDOW_BYTES: u64 = 16 << 20;

/// One block of the main chain: height, where stored, hash.
type ChainBlock = (u32, BlockLocation, BlockHash);

/// A block as the decoding stage hands it on.
type Decoded = Result<DecodedBlock, chain::ReadError>;

/// Brings the index in `data_dir` up to the most-work chain of `blocks`.
///
/// # Errors
/// On I/O errors, blocks that do not decode, an index of another network or
/// format, a blocks directory that does not hold the indexed chain, or another
/// ingest holding the lock.
pub fn ingest(
    blocks: &BlocksDir,
    data_dir: &Path,
    options: &IngestOptions,
    progress: &(dyn Fn(IngestProgress) + Sync),
) -> Result<IngestReport, IndexError> {
    let started = Instant::now();
    let _lock = lock_data_dir(data_dir, options.rebuild)?;
    let manifest = read_manifest(data_dir, blocks.network())?;
    let zcash::walk::MainChain { blocks: main, chain_work, warnings: mut read_warnings } = main_chain(blocks)?;
    let mut writer = IndexWriter::open(data_dir, manifest)?;
    let (first_new, rolled_back) = find_first_new(&mut writer, blocks, &main, &chain_work, &mut read_warnings)?;
    let after_rollback = writer.counts();
    writer.finish_pending()?;
    let resolver = SpendResolver::open(data_dir, &after_rollback)?;
    let todo = &main[first_new.min(main.len())..];
    let bytes_total: u64 = todo.iter().map(|b| u64::from(b.1.size)).sum();
    let target = todo.last().map_or(0, |b| b.0);
    let windows = windows(todo);
    let mut apply = ApplyStage {
        writer: &mut writer,
        blocks,
        options,
        progress,
        todo,
        target,
        bytes_total,
        bytes_done: 0,
        since_commit: 0,
        blocks_since_commit: 0,
        warnings: read_warnings,
    };
    std::thread::scope(|scope| -> Result<(), IndexError> {
        let decoded = spawn_decoder(scope, blocks, &windows);
        let resolved = spawn_resolver(scope, decoded, resolver);
        apply.run(resolved)
    })?;
    let ApplyStage { bytes_done, warnings, .. } = apply;
    writer.commit(Some(blocks.path()))?;
    writer.finish_pending()?;
    let counts = writer.counts();
    Ok(IngestReport {
        tip: writer.tip_height().and_then(|h| Some((h, writer.block_hash(h)?))),
        rolled_back,
        added: added_since(&counts, &after_rollback),
        counts,
        unresolved_inputs: writer.manifest.unresolved_inputs,
        bytes: bytes_done,
        elapsed_secs: started.elapsed().as_secs_f64(),
        warnings,
    })
}

/// Creates `data_dir`, takes its lock (held while the returned file lives) and,
/// for a rebuild, deletes the index in it.
fn lock_data_dir(data_dir: &Path, rebuild: bool) -> Result<File, IndexError> {
    let io = |e| IndexError::io(data_dir, e);
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let lock = File::create(data_dir.join("lock")).map_err(io)?;
    if lock.try_lock().is_err() {
        return Err(IndexError::Locked { path: data_dir.to_owned() });
    }
    if rebuild {
        for sub in ["columns", "history", "checksums"] {
            let _ = std::fs::remove_dir_all(data_dir.join(sub));
        }
        for file in ["manifest.json", "txid.tbl", "address.tbl"] {
            let _ = std::fs::remove_file(data_dir.join(file));
        }
    }
    Ok(lock)
}

/// The index's manifest, or a new one for an empty index; an index of another
/// network is an error.
fn read_manifest(data_dir: &Path, network: chain::Network) -> Result<Manifest, IndexError> {
    match Manifest::read(data_dir).map_err(|e| IndexError::io(data_dir, e))? {
        Some(m) if m.network != network => {
            Err(IndexError::WrongNetwork { path: data_dir.to_owned(), found: m.network, expected: network })
        }
        Some(m) => Ok(m),
        None => Ok(Manifest::new(network)),
    }
}

/// Where the node's chain and the index part: the position in `main` of the first
/// block to apply, after rolling the index back if the node reorganised onto a
/// chain with more work, and the rollback done (fork height, blocks removed).
fn find_first_new(
    writer: &mut IndexWriter,
    blocks: &BlocksDir,
    main: &[ChainBlock],
    chain_work: &[bitcoin::pow::Work],
    read_warnings: &mut Vec<ReadWarning>,
) -> Result<(usize, Option<(u32, u64)>), IndexError> {
    let Some(tip) = writer.tip_height() else {
        writer.manifest.start_height = main.first().map_or(0, |b| b.0);
        return Ok((0, None));
    };
    let map_start = main.first().map_or(u32::MAX, |b| b.0);
    let common = (writer.manifest.start_height..=tip)
        .rev()
        .filter(|&h| h >= map_start)
        .find(|&h| main.get((h - map_start) as usize).is_some_and(|b| Some(b.2) == writer.block_hash(h)));
    match common {
        // Bitcoin Core's rule: only a chain with more work replaces the
        // indexed one. Blocks lost to damage leave a shorter chain in the
        // directory; rolling back to it would forget what was indexed.
        Some(h) if h < tip && !has_more_work(writer, h, &chain_work[(h - map_start) as usize..]) => {
            let warning = ReadWarning {
                file: blocks.path().to_owned(),
                offset: 0,
                message: format!(
                    "the best chain here forks from the index at height {h} but has no more work than the indexed chain up to {tip}: the index is kept (are blocks missing or damaged?)"
                ),
            };
            log::warn!("{warning}");
            read_warnings.push(warning);
            Ok((main.len(), None))
        }
        Some(h) => {
            let mut rolled_back = None;
            if h < tip {
                writer.rollback(h)?;
                rolled_back = Some((h, u64::from(tip - h)));
            }
            Ok(((h + 1 - map_start) as usize, rolled_back))
        }
        None => Err(IndexError::Unrelated { height: writer.manifest.start_height }),
    }
}

/// Cuts `todo` into windows of about [`WINDOW_BYTES`] of blocks each.
fn windows(todo: &[ChainBlock]) -> Vec<&[ChainBlock]> {
    let mut windows: Vec<&[ChainBlock]> = Vec::new();
    let (mut start, mut size) = (0, 0u64);
    for (i, block) in todo.iter().enumerate() {
        size += u64::from(block.1.size);
        if size >= WINDOW_BYTES || i + 1 == todo.len() {
            windows.push(&todo[start..=i]);
            start = i + 1;
            size = 0;
        }
    }
    windows
}

/// First pipeline stage: a thread that reads and decodes each window's blocks in
/// parallel, stopping after a window with a block that does not decode.
fn spawn_decoder<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    blocks: &'env BlocksDir,
    windows: &'env [&'env [ChainBlock]],
) -> mpsc::Receiver<Vec<Decoded>> {
    let (sender, decoded) = mpsc::sync_channel::<Vec<Decoded>>(2);
    scope.spawn(move || {
        for window in windows {
            let decoded: Vec<_> =
                window.par_iter().map(|&(height, location, _)| decode(blocks, height, location)).collect();
            let failed = decoded.iter().any(Result::is_err);
            if sender.send(decoded).is_err() || failed {
                break;
            }
        }
    });
    decoded
}

/// Second pipeline stage: a thread that resolves the prevouts of the decoded
/// blocks in height order. Blocks that do not decode pass through unresolved:
/// the apply stage decides.
fn spawn_resolver<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    decoded: mpsc::Receiver<Vec<Decoded>>,
    mut resolver: SpendResolver,
) -> mpsc::Receiver<Vec<(Decoded, BlockSpends)>> {
    let (sender, resolved) = mpsc::sync_channel::<Vec<(Decoded, BlockSpends)>>(2);
    scope.spawn(move || {
        for window in decoded {
            let window: Vec<_> = window
                .into_iter()
                .map(|block| {
                    let spends = block.as_ref().map(|b| resolver.resolve_block(b)).unwrap_or_default();
                    (block, spends)
                })
                .collect();
            if sender.send(window).is_err() {
                break;
            }
        }
    });
    resolved
}

/// What the apply stage does after a block that does not decode.
enum LeftOut {
    /// Leave it for the next run and go on.
    Skip,
    /// Leave it and every block after it out.
    Stop,
}

/// Last pipeline stage, on the ingesting thread: applies the resolved blocks in
/// height order, commits as it goes and reports progress.
struct ApplyStage<'a> {
    /// The index being written.
    writer: &'a mut IndexWriter,
    /// The blocks directory read.
    blocks: &'a BlocksDir,
    /// When to commit.
    options: &'a IngestOptions,
    /// Called after each block applied.
    progress: &'a (dyn Fn(IngestProgress) + Sync),
    /// The blocks this run applies.
    todo: &'a [ChainBlock],
    /// Height the ingest will reach.
    target: u32,
    /// Bytes of blocks this run applies.
    bytes_total: u64,
    /// Bytes of blocks applied so far.
    bytes_done: u64,
    /// Bytes of blocks applied since the last commit.
    since_commit: u64,
    /// Blocks applied since the last commit.
    blocks_since_commit: u64,
    /// The reader's warnings and the blocks left out.
    warnings: Vec<ReadWarning>,
}

impl ApplyStage<'_> {
    /// Applies every block the resolver hands over, until the end or a block
    /// that fails verification.
    fn run(&mut self, resolved: mpsc::Receiver<Vec<(Decoded, BlockSpends)>>) -> Result<(), IndexError> {
        for window in resolved {
            for (block, spends) in window {
                let block = match block {
                    Ok(block) => block,
                    Err(e) => match self.leave_out(e)? {
                        LeftOut::Skip => continue,
                        LeftOut::Stop => return Ok(()),
                    },
                };
                self.apply(&block, &spends)?;
            }
        }
        Ok(())
    }

    /// A block that does not decode: left for the next run if it is the tip, left
    /// out with the blocks after it if it fails verification, an error otherwise.
    fn leave_out(&mut self, error: chain::ReadError) -> Result<LeftOut, IndexError> {
        let todo = self.todo;
        match error {
            // The newest block may still be being written by the node.
            chain::ReadError::Decode { ref path, offset, .. }
            | chain::ReadError::Undecodable { ref path, offset, .. }
                if height_of(path, offset, todo) == todo.last().map(|b| b.0) =>
            {
                let cause = error.to_string();
                let warning = ReadWarning {
                    file: self.blocks.file_path(todo[todo.len() - 1].1.file),
                    offset: todo[todo.len() - 1].1.offset,
                    message: format!("tip block does not decode yet ({cause}); left for the next run"),
                };
                log::warn!("{warning}");
                self.warnings.push(warning);
                Ok(LeftOut::Skip)
            }
            // A block that fails its proof of work, merkle root or witness
            // commitment is damaged: what builds on it cannot be indexed.
            chain::ReadError::Verify { path, offset, hash, cause } => {
                let height = height_of(&path, offset, todo).map_or("?".to_owned(), |h| h.to_string());
                let warning = ReadWarning {
                    file: path,
                    offset,
                    message: format!(
                        "block {hash} at height {height} fails verification ({cause}): it and the blocks after it are left out until a sound copy is present"
                    ),
                };
                log::warn!("{warning}");
                self.warnings.push(warning);
                Ok(LeftOut::Stop)
            }
            e => Err(e.into()),
        }
    }

    /// Applies one block, commits when enough has been applied since the last
    /// commit, and reports progress.
    fn apply(&mut self, block: &DecodedBlock, spends: &BlockSpends) -> Result<(), IndexError> {
        self.writer.apply(block, spends)?;
        let size = u64::from(block.location.size);
        self.bytes_done += size;
        self.since_commit += size;
        self.blocks_since_commit += 1;
        if self.since_commit >= self.options.commit_bytes
            || self.options.commit_blocks.is_some_and(|n| self.blocks_since_commit >= n)
        {
            self.writer.commit(Some(self.blocks.path()))?;
            self.since_commit = 0;
            self.blocks_since_commit = 0;
        }
        let (target, bytes_done, bytes_total) = (self.target, self.bytes_done, self.bytes_total);
        (self.progress)(IngestProgress { height: block.height, target, bytes_done, bytes_total });
        Ok(())
    }
}

/// Rows added since `before`.
fn added_since(counts: &Counts, before: &Counts) -> Counts {
    Counts {
        blocks: counts.blocks - before.blocks,
        txs: counts.txs - before.txs,
        inputs: counts.inputs - before.inputs,
        outputs: counts.outputs - before.outputs,
        addresses: counts.addresses - before.addresses,
        crossings: counts.crossings - before.crossings,
    }
}

/// True when the directory's chain above the fork at height `fork` (`work`: its
/// cumulative work from the fork block on) has more work than the index's.
fn has_more_work(writer: &IndexWriter, fork: u32, work: &[bitcoin::pow::Work]) -> bool {
    let (Some(&at_fork), Some(&at_tip)) = (work.first(), work.last()) else { return false };
    at_tip - at_fork > writer.work_above(fork)
}

/// The height of the block stored at `offset` (for error messages).
fn height_of(path: &Path, offset: u64, blocks: &[ChainBlock]) -> Option<u32> {
    let number = path.file_name()?.to_str()?.strip_prefix("blk")?.strip_suffix(".dat")?.parse::<u32>().ok()?;
    blocks.iter().find(|b| b.1.file == number && b.1.offset == offset).map(|b| b.0)
}
