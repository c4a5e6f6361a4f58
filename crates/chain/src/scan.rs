//! A full pass over a blocks directory: read, decode and hash every block, then
//! summarise the most-work chain (what `chainsleuth scan` prints).
//!
//! Pipeline: one thread reads and de-obfuscates blk files (bounded to one file
//! ahead), while rayon decodes the current file's blocks in parallel. Blocks are
//! summarised as they are read, in file order; the main chain is chosen at the end
//! from the header tree, and the few blocks off it are read again to take their
//! outputs out of the per-class totals.

use crate::blkfile::{BlkFile, BlockLocation, RECORD_HEADER_SIZE, ReadError, ReadWarning};
use crate::block::{Header, VerifyCollector, decode_block};
use crate::blocks_dir::BlocksDir;
use crate::hash::BlockHash;
use crate::headers::{BestChain, HeaderTree};
use crate::network::Network;
use crate::script::{ScriptClass, script_class};
use crate::tx::{TxIn, TxInfo, TxOut, TxVisitor, Witness};
use rayon::prelude::*;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

/// What a scan should do besides decoding.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions {
    /// Check every block's proof of work, merkle root and witness commitment.
    pub verify: bool,
}

/// Progress of a scan, reported after each file.
#[derive(Debug, Clone, Copy)]
pub struct ScanProgress {
    /// Bytes of blk files processed so far.
    pub bytes_done: u64,
    /// Total bytes of blk files.
    pub bytes_total: u64,
    /// Blocks decoded so far.
    pub blocks: usize,
}

/// Output count and value of one script class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClassTotal {
    /// Number of outputs.
    pub outputs: u64,
    /// Their value in satoshis.
    pub value: u64,
}

/// Output count and value by script class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassTotals([ClassTotal; ScriptClass::ALL.len()]);

impl ClassTotals {
    /// Counts one output.
    pub fn add_output(&mut self, class: ScriptClass, value: u64) {
        let slot = &mut self.0[usize::from(class.code())];
        slot.outputs += 1;
        slot.value = slot.value.saturating_add(value);
    }

    fn add(&mut self, other: &Self) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            a.outputs += b.outputs;
            a.value = a.value.saturating_add(b.value);
        }
    }

    fn subtract(&mut self, other: &Self) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            a.outputs -= b.outputs;
            a.value -= b.value;
        }
    }

    /// The totals of one class.
    pub fn get(&self, class: ScriptClass) -> ClassTotal {
        self.0[usize::from(class.code())]
    }

    /// Classes with at least one output, with their totals.
    pub fn iter(&self) -> impl Iterator<Item = (ScriptClass, ClassTotal)> + '_ {
        ScriptClass::ALL.into_iter().map(|c| (c, self.get(c))).filter(|(_, t)| t.outputs > 0)
    }
}

/// The tip of the main chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Tip {
    /// Its height.
    pub height: u32,
    /// Its hash.
    pub hash: BlockHash,
}

/// A block off the main chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OffChainBlock {
    /// Its hash.
    pub hash: BlockHash,
    /// Its height (relative to its tree's root for orphans).
    pub height: u32,
    /// Transactions in it.
    pub transactions: u32,
}

/// Everything `chainsleuth scan` reports.
#[derive(Debug, Clone)]
pub struct ScanReport {
    /// The network.
    pub network: Network,
    /// blk files read.
    pub files: usize,
    /// Bytes of block records read.
    pub bytes: u64,
    /// Block records read (every block in the files, stale ones included).
    pub blocks_read: usize,
    /// Records of a block already seen.
    pub duplicate_blocks: usize,
    /// The tip of the most-work chain.
    pub tip: Option<Tip>,
    /// Height of the first main-chain block found (0 when the genesis block is there).
    pub chain_start_height: u32,
    /// Blocks on the main chain.
    pub main_chain_blocks: usize,
    /// Blocks that branch off the main chain.
    pub stale_blocks: Vec<OffChainBlock>,
    /// Blocks whose ancestry never reaches the main chain (a parent is missing).
    pub orphan_blocks: Vec<OffChainBlock>,
    /// Main-chain transactions.
    pub transactions: u64,
    /// Main-chain inputs (coinbase inputs included).
    pub inputs: u64,
    /// Main-chain outputs.
    pub outputs: u64,
    /// Transactions decoded in all blocks, off-chain ones included.
    pub transactions_decoded: u64,
    /// Main-chain outputs by script class.
    pub by_class: ClassTotals,
    /// What was skipped, with file and offset.
    pub warnings: Vec<ReadWarning>,
    /// Wall time of the scan in seconds.
    pub elapsed_secs: f64,
}

impl ScanReport {
    /// Throughput in megabytes (10^6 bytes) of blk records per second.
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed_secs.max(1e-9)
    }

    /// Transactions decoded per second.
    pub fn tx_per_sec(&self) -> f64 {
        self.transactions_decoded as f64 / self.elapsed_secs.max(1e-9)
    }
}

/// What a scan learns of one block from its chain's decoder.
#[derive(Debug, Clone)]
pub struct BlockFacts {
    /// The header (for a chain whose header is not Bitcoin's, its fields mapped
    /// onto Bitcoin's: hash, parent, merkle root, time, bits).
    pub header: Header,
    /// Transactions.
    pub txs: u32,
    /// Transparent inputs.
    pub inputs: u64,
    /// Transparent outputs.
    pub outputs: u64,
    /// The coinbase's BIP 34 height, where the block commits to one.
    pub bip34_height: Option<u32>,
    /// Outputs and value per script class.
    pub classes: ClassTotals,
}

/// A chain's block decoder, as the scan uses it: Bitcoin's ([`BitcoinBlocks`]) or
/// another chain's that writes the same blk files (zcashd).
pub trait BlockDecoder: Sync {
    /// Decodes (and with `verify`, checks) the block `data` stored at `offset` of
    /// blk file `path`.
    ///
    /// # Errors
    /// [`ReadError::Decode`] or [`ReadError::Undecodable`] when it does not
    /// decode, [`ReadError::Verify`] when a check fails.
    fn facts(&self, data: &[u8], verify: bool, path: &Path, offset: u64) -> Result<BlockFacts, ReadError>;
}

/// Bitcoin's blocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct BitcoinBlocks;

impl BlockDecoder for BitcoinBlocks {
    fn facts(&self, data: &[u8], verify: bool, path: &Path, offset: u64) -> Result<BlockFacts, ReadError> {
        let mut stats = StatsVisitor { verify: verify.then(VerifyCollector::default), ..StatsVisitor::default() };
        let info = decode_block(data, &mut stats).map_err(|cause| ReadError::Decode {
            path: path.to_owned(),
            offset,
            cause,
        })?;
        if let Some(verify) = &mut stats.verify {
            verify.check(&info.header).map_err(|cause| ReadError::Verify {
                path: path.to_owned(),
                offset,
                hash: info.header.hash,
                cause: Box::new(cause),
            })?;
        }
        let bip34_height = if info.header.version >= 2 { stats.bip34_height } else { None };
        Ok(BlockFacts {
            header: info.header,
            txs: stats.txs,
            inputs: stats.inputs,
            outputs: stats.outputs,
            bip34_height,
            classes: stats.classes,
        })
    }
}

/// The per-block facts a scan keeps.
#[derive(Debug, Clone, Copy)]
struct BlockSummary {
    header: Header,
    location: BlockLocation,
    txs: u32,
    inputs: u64,
    outputs: u64,
    bip34_height: Option<u32>,
}

/// Counts a block's parts while it is decoded.
#[derive(Default)]
struct StatsVisitor {
    txs: u32,
    inputs: u64,
    outputs: u64,
    classes: ClassTotals,
    bip34_height: Option<u32>,
    verify: Option<VerifyCollector>,
}

impl<'a> TxVisitor<'a> for StatsVisitor {
    #[inline]
    fn input(&mut self, index: usize, input: &TxIn<'a>) {
        self.inputs += 1;
        if self.txs == 0 && index == 0 {
            self.bip34_height = bip34_height(input.script_sig);
        }
    }

    #[inline]
    fn output(&mut self, index: usize, output: &TxOut<'a>) {
        self.outputs += 1;
        self.classes.add_output(script_class(output.script_pubkey), output.value);
        if let Some(v) = &mut self.verify {
            v.output(index, output);
        }
    }

    #[inline]
    fn witness(&mut self, input_index: usize, witness: Witness<'a>) {
        if let Some(v) = &mut self.verify {
            v.witness(input_index, witness);
        }
    }

    #[inline]
    fn tx_end(&mut self, index: usize, tx: &TxInfo<'a>) {
        self.txs += 1;
        if let Some(v) = &mut self.verify {
            v.tx_end(index, tx);
        }
    }
}

/// The height a coinbase scriptSig commits to under BIP 34 (its first push, or
/// OP_1..OP_16 for heights up to 16), if it has that shape.
pub fn bip34_height(script_sig: &[u8]) -> Option<u32> {
    match *script_sig.first()? {
        op @ 0x51..=0x60 => Some(u32::from(op - 0x50)),
        len @ 1..=4 => {
            let bytes = script_sig.get(1..1 + usize::from(len))?;
            if bytes[bytes.len() - 1] & 0x80 != 0 {
                return None;
            }
            Some(bytes.iter().rev().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
        }
        _ => None,
    }
}

/// Decodes (and optionally verifies) one block into its summary and class totals.
fn summarize(
    decoder: &dyn BlockDecoder,
    file: &BlkFile,
    location: &BlockLocation,
    options: ScanOptions,
) -> Result<(BlockSummary, ClassTotals), ReadError> {
    let facts = decoder.facts(file.block(location), options.verify, &file.path, location.offset)?;
    let summary = BlockSummary {
        header: facts.header,
        location: *location,
        txs: facts.txs,
        inputs: facts.inputs,
        outputs: facts.outputs,
        bip34_height: facts.bip34_height,
    };
    Ok((summary, facts.classes))
}

/// Scans every blk file of `dir`: decodes and hashes every block, picks the
/// most-work chain and totals its transactions and outputs.
///
/// # Errors
/// On I/O errors, records of another network, blocks that do not decode (other than
/// a last block the node is still writing, which is skipped with a warning), and,
/// with [`ScanOptions::verify`], blocks that fail a consensus check.
pub fn scan(
    dir: &BlocksDir,
    options: ScanOptions,
    progress: &(dyn Fn(ScanProgress) + Sync),
) -> Result<ScanReport, ReadError> {
    if dir.network().is_zcash() {
        return Err(ReadError::OtherChain { path: dir.path().to_owned(), network: dir.network() });
    }
    scan_with(dir, &BitcoinBlocks, options, progress)
}

/// As [`scan`], decoding blocks with `decoder` (another chain's).
///
/// # Errors
/// As [`scan`].
pub fn scan_with(
    dir: &BlocksDir,
    decoder: &dyn BlockDecoder,
    options: ScanOptions,
    progress: &(dyn Fn(ScanProgress) + Sync),
) -> Result<ScanReport, ReadError> {
    let started = Instant::now();
    let ReadPass { mut tree, summaries, all_classes, warnings, bytes, blocks_read, transactions_decoded } =
        ReadPass::read(dir, decoder, options, progress)?;

    // Node indices equal summary indices: both grow only when a new block is inserted.
    let best = tree.best_chain(dir.network(), &mut |index, _| summaries[index].bip34_height);
    let stale_blocks = off_chain(&tree, &summaries, &best.stale);
    let orphan_blocks = off_chain(&tree, &summaries, &best.orphans);
    let by_class = main_chain_classes(dir, decoder, all_classes, &summaries, &best)?;

    let main = best.blocks.iter().map(|&i| &summaries[i]);
    let (transactions, inputs, outputs) =
        main.fold((0u64, 0u64, 0u64), |(t, i, o), s| (t + u64::from(s.txs), i + s.inputs, o + s.outputs));
    let tip = best.blocks.last().map(|&i| Tip { height: tree.height(i), hash: summaries[i].header.hash });
    Ok(ScanReport {
        network: dir.network(),
        files: dir.files().len(),
        bytes,
        blocks_read,
        duplicate_blocks: tree.duplicates(),
        tip,
        chain_start_height: best.start_height,
        main_chain_blocks: best.blocks.len(),
        stale_blocks,
        orphan_blocks,
        transactions,
        inputs,
        outputs,
        transactions_decoded,
        by_class,
        warnings,
        elapsed_secs: started.elapsed().as_secs_f64(),
    })
}

/// What the read pass gathers from every block record of the files, in file order.
struct ReadPass {
    /// The header tree of every distinct block.
    tree: HeaderTree,
    /// Every distinct block's summary, indexed like the tree's nodes.
    summaries: Vec<BlockSummary>,
    /// Outputs by class of every distinct block, off-chain ones included.
    all_classes: ClassTotals,
    /// What the reader skipped.
    warnings: Vec<ReadWarning>,
    /// Bytes of block records read.
    bytes: u64,
    /// Block records read.
    blocks_read: usize,
    /// Transactions decoded.
    transactions_decoded: u64,
}

impl ReadPass {
    /// Reads every blk file of `dir` (one file ahead on a second thread), decodes
    /// each file's blocks in parallel and reports progress after each file.
    fn read(
        dir: &BlocksDir,
        decoder: &dyn BlockDecoder,
        options: ScanOptions,
        progress: &(dyn Fn(ScanProgress) + Sync),
    ) -> Result<Self, ReadError> {
        let bytes_total = dir.total_len();
        let mut pass = Self {
            tree: HeaderTree::new(),
            summaries: Vec::new(),
            all_classes: ClassTotals::default(),
            warnings: Vec::new(),
            bytes: 0,
            blocks_read: 0,
            transactions_decoded: 0,
        };
        let mut bytes_done = 0u64;
        std::thread::scope(|scope| -> Result<(), ReadError> {
            let (receiver, recycle) = spawn_reader(scope, dir);
            for (i, file) in receiver.into_iter().enumerate() {
                let mut file = file?;
                pass.add_file(&mut file, decoder, options)?;
                pass.warnings.append(&mut file.warnings);
                // The reader may have finished already; then the buffer is simply dropped.
                let _ = recycle.send(file.into_buffer());
                bytes_done += dir.files()[i].len;
                progress(ScanProgress { bytes_done, bytes_total, blocks: pass.blocks_read });
            }
            Ok(())
        })?;
        Ok(pass)
    }

    /// Decodes one file's blocks in parallel and adds them in file order; a last
    /// block that reaches the file's padding (the node is still writing it) and
    /// does not decode is skipped with a warning.
    fn add_file(
        &mut self,
        file: &mut BlkFile,
        decoder: &dyn BlockDecoder,
        options: ScanOptions,
    ) -> Result<(), ReadError> {
        let results: Vec<_> = file.blocks.par_iter().map(|loc| summarize(decoder, file, loc, options)).collect();
        let last = file.blocks.len().saturating_sub(1);
        for (j, result) in results.into_iter().enumerate() {
            let (summary, classes) = match result {
                Ok(ok) => ok,
                Err(e @ (ReadError::Decode { .. } | ReadError::Undecodable { .. }))
                    if j == last && file.reaches_padding(&file.blocks[j]) =>
                {
                    let location = file.blocks[j];
                    file.skip_incomplete(&location, &e.to_string());
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.add_block(summary, &classes);
        }
        Ok(())
    }

    /// Counts one block record and keeps it (and its outputs) unless its block was
    /// seen already.
    fn add_block(&mut self, summary: BlockSummary, classes: &ClassTotals) {
        self.blocks_read += 1;
        self.transactions_decoded += u64::from(summary.txs);
        self.bytes += u64::from(summary.location.size) + RECORD_HEADER_SIZE;
        let before = self.tree.len();
        self.tree.insert(summary.header, summary.location);
        if self.tree.len() > before {
            self.summaries.push(summary);
            self.all_classes.add(classes);
        }
    }
}

/// Starts the thread that reads `dir`'s blk files in order, one file ahead: it
/// hands over each file and takes back spent buffers, which bounds memory to
/// about two blk files.
fn spawn_reader<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    dir: &'scope BlocksDir,
) -> (mpsc::Receiver<Result<BlkFile, ReadError>>, mpsc::Sender<Vec<u8>>) {
    let (sender, receiver) = mpsc::sync_channel::<Result<BlkFile, ReadError>>(1);
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    scope.spawn(move || {
        for i in 0..dir.files().len() {
            let buffer = recycled.try_recv().unwrap_or_default();
            let file = dir.read_file_into(i, buffer);
            let failed = file.is_err();
            if sender.send(file).is_err() || failed {
                break;
            }
        }
    });
    (receiver, recycle)
}

/// The blocks at node `indices`, which are off the main chain.
fn off_chain(tree: &HeaderTree, summaries: &[BlockSummary], indices: &[usize]) -> Vec<OffChainBlock> {
    indices
        .iter()
        .map(|&i| OffChainBlock {
            hash: summaries[i].header.hash,
            height: tree.height(i),
            transactions: summaries[i].txs,
        })
        .collect()
}

/// The main chain's outputs by class: `all_classes` less the outputs of the
/// off-chain blocks, which are read again.
fn main_chain_classes(
    dir: &BlocksDir,
    decoder: &dyn BlockDecoder,
    all_classes: ClassTotals,
    summaries: &[BlockSummary],
    best: &BestChain,
) -> Result<ClassTotals, ReadError> {
    let mut by_class = all_classes;
    let mut buf = Vec::new();
    for &i in best.stale.iter().chain(&best.orphans) {
        let location = summaries[i].location;
        dir.read_block(&location, &mut buf)?;
        let facts = decoder.facts(&buf, false, &dir.file_path(location.file), location.offset)?;
        by_class.subtract(&facts.classes);
    }
    Ok(by_class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip34_heights() {
        assert_eq!(bip34_height(&[0x51]), Some(1));
        assert_eq!(bip34_height(&[0x60]), Some(16));
        assert_eq!(bip34_height(&[0x03, 0x1f, 0xc8, 0x0c]), Some(837_663));
        assert_eq!(bip34_height(&[0x02, 0x00, 0x80]), None);
        assert_eq!(bip34_height(&[]), None);
    }
}
