//! Appending decoded blocks to the index: assigning ids, resolving prevouts,
//! filing outputs under addresses; commits and rollbacks.
//!
//! Crash safety rests on three rules. Columns only grow, and rows past the
//! committed counts are ignored (and overwritten by the next run). The two values
//! changed in place (a spent output's `out_spent_by`, hash-table slots) are
//! validated by readers against committed rows, so stale ones are harmless.
//! Everything else (history segments, grown tables) is a new file that only the
//! next manifest names.

use crate::address_key::AddressKey;
use crate::checksums::Checksums;
use crate::column::{Column, column_path};
use crate::decoded::{DecodedBlock, FingerprintMap};
use crate::history::{self, MAX_SEGMENTS, Segment};
use crate::manifest::{Counts, Manifest, SegmentMeta};
use crate::schema::{ColumnWriters, UNRESOLVED, UNSPENT};
use crate::spends::BlockSpends;
use crate::table::TableWriter;
use crate::{IndexError, txid_fingerprint};
use chain::BlockHash;
use chain::script::ScriptClass;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

/// An address key as a map key.
#[derive(PartialEq, Eq)]
struct AddressEntry(AddressKey);

impl Hash for AddressEntry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.fingerprint());
    }
}

/// The index opened for appending.
///
/// What each input spends comes worked out ([`crate::spends`]). Addresses seen
/// since the last commit are kept in memory (about 60 bytes each); older ones are
/// found through the address table. New entries of the txid and address tables are
/// inserted at commit, in slot order.
pub struct IndexWriter {
    dir: PathBuf,
    /// The committed state.
    pub manifest: Manifest,
    columns: ColumnWriters,
    /// `None` while the committer thread has it.
    txids: Option<TableWriter>,
    addresses: TableWriter,
    recent_addresses: FingerprintMap<AddressEntry, u32>,
    new_txids: Vec<(u64, u64)>,
    new_addresses: Vec<(u64, u64)>,
    history: Vec<(u32, u64)>,
    unresolved: u64,
    /// The checksums of the committed state.
    checksums: Checksums,
    /// The committer thread, which hands back the txid table, the checksums and
    /// the manifest it committed.
    pending: Option<std::thread::JoinHandle<io::Result<(TableWriter, Checksums, Manifest)>>>,
}

/// Makes `manifest` ready to commit over files already written: their checksums
/// (brought up from `previous`, written beside it) and the tables' sizes.
///
/// # Errors
/// On I/O errors.
fn seal(dir: &Path, previous: &Checksums, manifest: &mut Manifest) -> io::Result<Checksums> {
    let sums = previous.update(dir, manifest)?;
    sums.write(dir, manifest.generation)?;
    manifest.checksummed = true;
    manifest.tables.clear();
    for path in [txid_table_path(dir), address_table_path(dir)] {
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        manifest.tables.insert(name, bytes);
    }
    Ok(sums)
}

/// Commits a sealed manifest and forgets the checksums of other generations.
fn commit_sealed(dir: &Path, manifest: &Manifest) -> io::Result<()> {
    manifest.commit(dir)?;
    Checksums::remove_others(dir, manifest.generation)
}

/// The table files.
fn txid_table_path(dir: &Path) -> PathBuf {
    dir.join("txid.tbl")
}
fn address_table_path(dir: &Path) -> PathBuf {
    dir.join("address.tbl")
}

impl IndexWriter {
    /// Opens an index directory for appending after its committed state.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn open(dir: &Path, manifest: Manifest) -> Result<Self, IndexError> {
        let io = |e: io::Error| IndexError::io(dir, e);
        std::fs::create_dir_all(dir.join("columns")).map_err(io)?;
        std::fs::create_dir_all(dir.join("history")).map_err(io)?;
        let columns = ColumnWriters::open(dir, &manifest.counts).map_err(io)?;
        let txids = TableWriter::open(&txid_table_path(dir), manifest.counts.txs * 2).map_err(io)?;
        let addresses = TableWriter::open(&address_table_path(dir), manifest.counts.addresses * 2).map_err(io)?;
        let checksums = Checksums::read(dir, &manifest).map_err(io)?.unwrap_or_default();
        let writer = Self {
            dir: dir.to_owned(),
            unresolved: manifest.unresolved_inputs,
            manifest,
            columns,
            txids: Some(txids),
            addresses,
            recent_addresses: FingerprintMap::default(),
            new_txids: Vec::new(),
            new_addresses: Vec::new(),
            history: Vec::new(),
            checksums,
            pending: None,
        };
        writer.remove_unreferenced_segments().map_err(io)?;
        Ok(writer)
    }

    /// Rows written so far, committed or not.
    pub fn counts(&self) -> Counts {
        Counts {
            blocks: self.columns.block_hash.len(),
            txs: self.columns.tx_txid.len(),
            inputs: self.columns.in_spent_output.len(),
            outputs: self.columns.out_value.len(),
            addresses: self.columns.addr_class.len(),
            crossings: self.columns.cross_tx.len(),
        }
    }

    /// Hash of the indexed block at `height`, if indexed.
    pub fn block_hash(&self, height: u32) -> Option<BlockHash> {
        let row = u64::from(height.checked_sub(self.manifest.start_height)?);
        (row < self.columns.block_hash.len()).then(|| BlockHash(self.columns.block_hash.get(row)))
    }

    /// The work of the indexed blocks above `height` (from their nBits).
    pub fn work_above(&self, height: u32) -> bitcoin::pow::Work {
        let from = u64::from((height + 1).saturating_sub(self.manifest.start_height));
        let zero = bitcoin::pow::Work::from_be_bytes([0; 32]);
        (from..self.columns.block_header.len())
            .map(|row| chain::Header::decode(&self.columns.block_header.get(row)).work())
            .fold(zero, |sum, work| sum + work)
    }

    /// Height of the last indexed block.
    pub fn tip_height(&self) -> Option<u32> {
        let blocks = self.columns.block_hash.len();
        (blocks > 0).then(|| self.manifest.start_height + blocks as u32 - 1)
    }

    /// The address id of a key, adding the address if it is new.
    fn address_id(&mut self, key: &AddressKey, output: u64) -> Result<u32, IndexError> {
        let entry = AddressEntry(*key);
        if let Some(&id) = self.recent_addresses.get(&entry) {
            return Ok(id);
        }
        // The table holds committed addresses and those of the batch being written;
        // a slot left by an interrupted run is checked against the key like any.
        let written = self.columns.addr_class.len();
        let class = key.class.code();
        let c = &self.columns;
        let id = match self.addresses.find(key.fingerprint(), |a| {
            a < written && c.addr_class.get(a) == class && c.addr_payload.get(a) == key.payload
        }) {
            Some(id) => id as u32,
            None => {
                let id = c.addr_class.len();
                if id >= u64::from(u32::MAX) {
                    return Err(IndexError::Limit("address ids (2^32)"));
                }
                self.columns.addr_class.push(class);
                self.columns.addr_payload.push(key.payload);
                self.columns.addr_first_output.push(output);
                self.new_addresses.push((key.fingerprint(), id));
                id as u32
            }
        };
        self.recent_addresses.insert(entry, id);
        Ok(id)
    }

    /// The pool balances after each of a block's crossings, which follow the last
    /// crossing written: `zcash::Turnstile` applied crossing by crossing (ZIP 209),
    /// refused below zero.
    fn pool_balances(&self, block: &DecodedBlock) -> Result<Vec<[u64; 3]>, IndexError> {
        use crate::schema::UNKNOWN_BALANCE;
        if self.manifest.start_height > 0 {
            return Ok(vec![[UNKNOWN_BALANCE; 3]; block.crossings.len()]);
        }
        let c = &self.columns;
        let mut turnstile = zcash::Turnstile::default();
        if let Some(last) = c.cross_tx.len().checked_sub(1) {
            // Balances never exceed MAX_MONEY, so they fit an i64.
            turnstile.balances =
                [c.cross_sprout_after.get(last), c.cross_sapling_after.get(last), c.cross_orchard_after.get(last)]
                    .map(|b| b as i64);
        }
        let mut out = Vec::with_capacity(block.crossings.len());
        for crossing in &block.crossings {
            let mut deltas = [0i64; 3];
            deltas[usize::from(crossing.pool)] = crossing.into as i64 - crossing.out_of as i64;
            turnstile.apply(block.height, deltas).map_err(|e| IndexError::NegativePool {
                height: e.height,
                pool: e.pool.name(),
                balance: i128::from(e.balance),
            })?;
            out.push(turnstile.balances.map(|b| b as u64));
        }
        Ok(out)
    }

    /// Appends a main-chain block that extends the indexed tip, with what its
    /// inputs spend.
    ///
    /// # Errors
    /// When ids would overflow their columns, or a Zcash pool would go negative.
    pub fn apply(&mut self, block: &DecodedBlock, spends: &BlockSpends) -> Result<(), IndexError> {
        let balances = self.pool_balances(block)?;
        let first_tx = self.columns.tx_txid.len();
        let c = &mut self.columns;
        for (crossing, after) in block.crossings.iter().zip(balances) {
            let Ok(t) = u32::try_from(first_tx + u64::from(crossing.tx)) else {
                return Err(IndexError::Limit("transaction numbers (2^32)"));
            };
            c.cross_tx.push(t);
            c.cross_pool.push(crossing.pool);
            c.cross_into.push(crossing.into);
            c.cross_out.push(crossing.out_of);
            c.cross_sprout_after.push(after[0]);
            c.cross_sapling_after.push(after[1]);
            c.cross_orchard_after.push(after[2]);
        }
        c.block_hash.push(block.header.hash.0);
        c.block_header.push(block.header.to_bytes());
        c.block_first_tx.push(c.tx_txid.len());
        c.block_file.push(block.location.file);
        c.block_offset.push(block.location.offset);
        c.block_size.push(block.location.size);
        let (mut inputs, mut spent, mut outputs) = (block.inputs.iter(), spends.spent.iter(), block.outputs.iter());
        self.unresolved += spends.unresolved;
        for (tx, &fee) in block.txs.iter().zip(&spends.fees) {
            let t = self.columns.tx_txid.len();
            let Ok(t32) = u32::try_from(t) else {
                return Err(IndexError::Limit("transaction numbers (2^32)"));
            };
            let c = &mut self.columns;
            c.tx_txid.push(tx.txid);
            c.tx_first_input.push(c.in_spent_output.len());
            c.tx_first_output.push(c.out_value.len());
            c.tx_size.push(tx.size);
            c.tx_weight.push(tx.weight);
            c.tx_version.push(tx.version);
            c.tx_locktime.push(tx.lock_time);
            for (input, &o) in inputs.by_ref().zip(spent.by_ref()).take(tx.inputs as usize) {
                let i = self.columns.in_spent_output.len();
                if o < self.columns.out_value.len() {
                    self.columns.out_spent_by.set(o, i);
                }
                self.columns.in_spent_output.push(o);
                self.columns.in_sequence.push(input.sequence);
                self.columns.in_tx.push(t32);
            }
            for output in outputs.by_ref().take(tx.outputs as usize) {
                let o = self.columns.out_value.len();
                let address = self.address_id(&output.key, o)?;
                let c = &mut self.columns;
                c.out_value.push(output.value);
                c.out_address.push(address);
                c.out_spent_by.push(UNSPENT);
                c.out_class.push(output.class);
                c.out_tx.push(t32);
                self.history.push((address, o));
            }
            self.columns.tx_fee.push(fee);
            self.new_txids.push((txid_fingerprint(&tx.txid), t));
        }
        Ok(())
    }

    /// Commits everything written. Table entries go in now; a committer thread
    /// writes the columns' new rows and this batch's history segment, syncs them and
    /// only then writes the manifest, while this thread goes on with the next blocks
    /// (reading the rows being written from memory; its own writes land past them,
    /// or are validated by readers). Segments are merged when there are too many.
    ///
    /// # Errors
    /// On I/O errors: of the table inserts, or of the previous commit's writes and syncs.
    pub fn commit(&mut self, blocks_dir: Option<&Path>) -> Result<(), IndexError> {
        self.finish_pending()?;
        let counts = self.counts();
        let mut manifest = self.manifest.clone();
        manifest.generation += 1;
        let column_writes = self.columns.begin_write();
        let (classes, payloads) = (&self.columns.addr_class, &self.columns.addr_payload);
        let address_keys = || {
            (0..classes.len()).map(|a| {
                let class = ScriptClass::from_code(classes.get(a)).unwrap_or(ScriptClass::NonStandard);
                (AddressKey { class, payload: payloads.get(a) }.fingerprint(), a)
            })
        };
        let new_addresses = std::mem::take(&mut self.new_addresses);
        insert_or_rebuild(&mut self.addresses, &address_table_path(&self.dir), new_addresses, address_keys)
            .map_err(|e| IndexError::io(&self.dir, e))?;
        let mut txids =
            self.txids.take().ok_or_else(|| IndexError::io(&self.dir, io::Error::other("no txid table")))?;
        let new_txids = std::mem::take(&mut self.new_txids);
        let (txid_column, txid_table) = (column_path(&self.dir, "tx_txid"), txid_table_path(&self.dir));
        let mut files = self.columns.paths();
        files.push(txid_table_path(&self.dir));
        files.push(address_table_path(&self.dir));
        let mut segment = None;
        if !self.history.is_empty() {
            let file = format!("{:08}.seg", manifest.generation);
            let path = self.dir.join("history").join(&file);
            segment = Some((path.clone(), std::mem::take(&mut self.history)));
            files.push(path);
            manifest.segments.push(SegmentMeta {
                file,
                outputs_from: self.manifest.counts.outputs,
                outputs_to: counts.outputs,
            });
        }
        manifest.counts = counts;
        manifest.unresolved_inputs = self.unresolved;
        if let Some(dir) = blocks_dir {
            manifest.blocks_dir = Some(dir.to_owned());
        }
        crash_point(manifest.generation);
        self.manifest = manifest.clone();
        let index_dir = self.dir.clone();
        let previous = std::mem::take(&mut self.checksums);
        self.pending = Some(std::thread::spawn(move || -> io::Result<(TableWriter, Checksums, Manifest)> {
            for write in column_writes {
                write()?;
            }
            // The writer never looks txids up (spends are resolved elsewhere), so
            // their table is filled here, from the column just written.
            let column = Column::<[u8; 32]>::open(&txid_column, counts.txs)?;
            let keys = || (0..column.len()).map(|t| (txid_fingerprint(&column.get(t)), t));
            insert_or_rebuild(&mut txids, &txid_table, new_txids, keys)?;
            if let Some((path, mut history)) = segment {
                history::sort_by_address(&mut history);
                history::write_segment(&path, &history)?;
            }
            for path in files {
                File::open(&path)?.sync_data()?;
            }
            let sums = seal(&index_dir, &previous, &mut manifest)?;
            commit_sealed(&index_dir, &manifest)?;
            Ok((txids, sums, manifest))
        }));
        // Addresses since the last commit are in the table now; keeping them would
        // make memory grow with the chain (the capacity stays, sized by a batch).
        self.recent_addresses.clear();
        if self.manifest.segments.len() > MAX_SEGMENTS {
            self.merge_segments(u64::MAX)?;
        }
        Ok(())
    }

    /// Waits for the committer thread, if one is running, and maps the rows it wrote.
    ///
    /// # Errors
    /// The committer's I/O error.
    pub fn finish_pending(&mut self) -> Result<(), IndexError> {
        if let Some(pending) = self.pending.take() {
            let result =
                pending.join().map_err(|_| IndexError::io(&self.dir, io::Error::other("committer thread panicked")))?;
            let (txids, checksums, manifest) = result.map_err(|e| IndexError::io(&self.dir, e))?;
            (self.txids, self.checksums, self.manifest) = (Some(txids), checksums, manifest);
            self.columns.settle().map_err(|e| IndexError::io(&self.dir, e))?;
        }
        Ok(())
    }

    /// Replaces every history segment by one, keeping outputs below `max_output`,
    /// and commits.
    fn merge_segments(&mut self, max_output: u64) -> Result<(), IndexError> {
        self.finish_pending()?;
        let io = |e| IndexError::io(&self.dir, e);
        let segments: Vec<Segment> = self
            .manifest
            .segments
            .iter()
            .map(|s| Segment::open(&self.dir.join("history").join(&s.file)))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        let mut manifest = self.manifest.clone();
        manifest.generation += 1;
        let file = format!("{:08}-merged.seg", manifest.generation);
        history::merge(&segments, max_output, &self.dir.join("history").join(&file)).map_err(io)?;
        drop(segments);
        let outputs_to = manifest.counts.outputs;
        manifest.segments = vec![SegmentMeta { file, outputs_from: 0, outputs_to }];
        crash_point(manifest.generation);
        self.checksums = seal(&self.dir, &self.checksums, &mut manifest).map_err(io)?;
        commit_sealed(&self.dir, &manifest).map_err(io)?;
        self.manifest = manifest;
        self.remove_unreferenced_segments().map_err(io)
    }

    /// Rolls the committed index back to `height` (the fork point of a
    /// reorganisation): the counts shrink to that block's end and segments forget
    /// later outputs, in one commit. Stale spends and table entries left behind are
    /// invalid by construction. Call it before applying blocks in a run.
    ///
    /// # Errors
    /// On I/O errors (the index then stays as it was).
    pub fn rollback(&mut self, height: u32) -> Result<(), IndexError> {
        self.finish_pending()?;
        let dir = self.dir.clone();
        let io = |e| IndexError::io(&dir, e);
        let old = self.counts();
        let blocks = u64::from(height + 1 - self.manifest.start_height).min(old.blocks);
        let c = &self.columns;
        let txs = if blocks < old.blocks { c.block_first_tx.get(blocks) } else { old.txs };
        let (inputs, outputs) = if txs < old.txs {
            (c.tx_first_input.get(txs), c.tx_first_output.get(txs))
        } else {
            (old.inputs, old.outputs)
        };
        // Address ids are given in order of first appearance: keep those first seen before.
        let addresses = crate::partition(old.addresses, |a| c.addr_first_output.get(a) < outputs);
        let crossings = crate::partition(old.crossings, |x| u64::from(c.cross_tx.get(x)) < txs);
        let counts = Counts { blocks, txs, inputs, outputs, addresses, crossings };
        let dropped_unresolved =
            (inputs..old.inputs).filter(|&i| c.in_spent_output.get(i) == UNRESOLVED).count() as u64;
        self.unresolved -= dropped_unresolved;
        self.columns.truncate(&counts);
        self.manifest.counts = counts;
        self.manifest.unresolved_inputs = self.unresolved;
        // Both commits below take the next generation: readers of earlier ones
        // learn from this that rows they read may now be rewritten.
        self.manifest.rolled_back_at = self.manifest.generation + 1;
        if self.manifest.segments.iter().any(|s| s.outputs_to > outputs) {
            self.merge_segments(outputs)?;
        } else {
            let mut manifest = self.manifest.clone();
            manifest.generation += 1;
            self.checksums = seal(&self.dir, &self.checksums, &mut manifest).map_err(io)?;
            commit_sealed(&self.dir, &manifest).map_err(io)?;
            self.manifest = manifest;
        }
        self.columns.reopen(&counts).map_err(io)
    }

    /// Deletes segment files no manifest names (left by a crash or a merge).
    fn remove_unreferenced_segments(&self) -> io::Result<()> {
        let dir = self.dir.join("history");
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !self.manifest.segments.iter().any(|s| s.file == name) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }
}

/// For crash tests: with `CHAINSLEUTH_CRASH_AT_COMMIT=N`, the process aborts in
/// the middle of commit N (files written, manifest not), the worst moment to die;
/// a merge of segments counts as a commit.
fn crash_point(generation: u64) {
    static AT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    let at = AT.get_or_init(|| std::env::var("CHAINSLEUTH_CRASH_AT_COMMIT").ok().and_then(|v| v.parse().ok()));
    if *at == Some(generation) {
        std::process::abort();
    }
}

impl Drop for IndexWriter {
    /// Waits for the committer thread, so that no write to the index outlives the
    /// writer (and the ingest lock held around it), even when an ingest fails.
    fn drop(&mut self) {
        if let Err(e) = self.finish_pending() {
            log::warn!("{e}");
        }
    }
}

/// Adds a batch of entries to a table, in slot order so the table is written
/// front to back; or, when they would fill it past half, rebuilds it larger from
/// every key (`all_keys`, which includes the batch).
fn insert_or_rebuild<K: Iterator<Item = (u64, u64)>>(
    table: &mut TableWriter,
    path: &Path,
    mut entries: Vec<(u64, u64)>,
    all_keys: impl FnOnce() -> K,
) -> io::Result<()> {
    let needed = table.entries() + entries.len() as u64;
    if needed * 2 > table.capacity() {
        let capacity = (needed * 2).next_power_of_two().max(table.capacity() * 2);
        *table = rebuild_table(path, capacity, all_keys())?;
        return Ok(());
    }
    let mask = table.capacity() - 1;
    entries.sort_unstable_by_key(|&(fingerprint, _)| fingerprint & mask);
    for (fingerprint, id) in entries {
        table.insert(fingerprint, id);
    }
    Ok(())
}

/// Writes a table of `capacity` slots holding `keys` beside `path`, then renames it
/// over `path` (readers keep their old map until they reopen).
fn rebuild_table(path: &Path, capacity: u64, keys: impl Iterator<Item = (u64, u64)>) -> io::Result<TableWriter> {
    let tmp = path.with_extension("tbl.new");
    let _ = std::fs::remove_file(&tmp);
    let mut table = TableWriter::open(&tmp, capacity)?;
    for (fingerprint, id) in keys {
        if !table.insert(fingerprint, id) {
            return Err(io::Error::other("table rebuilt too small"));
        }
    }
    table.sync()?;
    drop(table);
    std::fs::rename(&tmp, path)?;
    TableWriter::open(path, capacity)
}
