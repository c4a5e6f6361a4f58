//! The store: five append-only row files and a manifest that says how many rows
//! of each are committed. A commit appends and syncs the rows, then replaces the
//! manifest atomically, so a crash at any moment leaves the last commit; rows
//! past the manifest's counts are cut off when the store is next opened for
//! writing. A rollback (reorg) is a commit of smaller counts.
//!
//! The manifest also holds a CRC-32 of each file's committed bytes, checked on
//! every open (the whole store is read then anyway), so damage is refused with
//! the file named rather than answered from. A commit extends each running
//! checksum over the rows it appends; only a rollback recomputes one.

use crate::records::{BLOCK_ROW, BlockRow, INPUT_ROW, InputRow, MEMBER_ROW, OUTPUT_ROW, OutputRow, TX_ROW, TxRow};
use crate::{Error, Result};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The on-disk format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Committed row counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Blocks (heights 0..blocks).
    pub blocks: u64,
    /// Transactions, miner transactions included.
    pub txs: u64,
    /// Inputs (coinbase inputs are not stored).
    pub inputs: u64,
    /// Ring members.
    pub members: u64,
    /// Outputs.
    pub outputs: u64,
}

/// What is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Increases with every commit.
    pub generation: u64,
    /// Committed rows.
    pub counts: Counts,
    /// Where the chain was last read from (informational).
    pub source: Option<String>,
    /// CRC-32 of each row file's committed bytes, in [`FILES`] order (absent in
    /// stores written before checksums; the next commit adds them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32: Option<[u32; 5]>,
}

/// The row files and their row widths.
pub const FILES: [(&str, usize); 5] = [
    ("blocks.bin", BLOCK_ROW),
    ("txs.bin", TX_ROW),
    ("inputs.bin", INPUT_ROW),
    ("members.bin", MEMBER_ROW),
    ("outputs.bin", OUTPUT_ROW),
];

fn count_of(c: &Counts, i: usize) -> u64 {
    [c.blocks, c.txs, c.inputs, c.members, c.outputs][i]
}

/// The whole index in memory: rows decoded, lookups built. Monero's chain is
/// small enough (mainnet: ~45 M transactions) for this to be the simplest
/// correct design; the row files are what persists.
#[derive(Debug, Default)]
pub struct Store {
    dir: PathBuf,
    manifest: Option<Manifest>,
    /// Blocks by height.
    pub blocks: Vec<BlockRow>,
    /// Transactions in chain order.
    pub txs: Vec<TxRow>,
    /// Inputs in chain order.
    pub inputs: Vec<InputRow>,
    /// Ring members (output numbers), input after input.
    pub members: Vec<u64>,
    /// Outputs in chain order.
    pub outputs: Vec<OutputRow>,
    tx_by_hash: FxHashMap<[u8; 32], u64>,
    output_by_key: FxHashMap<[u8; 32], u64>,
    input_by_key_image: FxHashMap<[u8; 32], u64>,
    /// Output numbers by (index amount, global index): amount 0 is dense.
    rct_index: Vec<u64>,
    amount_index: FxHashMap<u64, Vec<u64>>,
    committed: Counts,
    /// The smallest counts since the last commit: rows below them are on disk.
    low: Counts,
    /// The CRC-32 of each file's committed bytes.
    sums: [u32; 5],
    lock: Option<File>,
}

impl Store {
    /// The manifest's path in an index directory.
    pub fn manifest_path(dir: &Path) -> PathBuf {
        dir.join("manifest.json")
    }

    /// Opens the committed state for reading.
    ///
    /// # Errors
    /// If there is no index, its format is another, or a row file is shorter
    /// than the manifest says (damage).
    pub fn open(dir: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(Self::manifest_path(dir)) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NotFound(dir.to_owned())),
            Err(e) => return Err(Error::io(&Self::manifest_path(dir), e)),
        };
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| Error::Corrupt(format!("{}: {e}", Self::manifest_path(dir).display())))?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(Error::Format { dir: dir.to_owned(), found: manifest.format_version });
        }
        let mut store = Self { dir: dir.to_owned(), ..Self::default() };
        let mut raw: Vec<Vec<u8>> = Vec::new();
        for (i, (name, width)) in FILES.iter().enumerate() {
            let path = dir.join(name);
            let want = count_of(&manifest.counts, i) as usize * width;
            let mut bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            if bytes.len() < want {
                return Err(Error::Corrupt(format!(
                    "{}: {} bytes, the manifest commits {want}: rebuild with `chainsleuth xmr ingest --rebuild`",
                    path.display(),
                    bytes.len()
                )));
            }
            bytes.truncate(want);
            let found = crc32fast::hash(&bytes);
            store.sums[i] = found;
            if let Some(expected) = manifest.crc32.map(|sums| sums[i])
                && found != expected
            {
                return Err(Error::Corrupt(format!(
                    "{}: damaged (CRC-32 {found:08x} of its committed bytes, the manifest says {expected:08x}): \
                     rebuild with `chainsleuth xmr ingest --rebuild`",
                    path.display()
                )));
            }
            raw.push(bytes);
        }
        store.blocks = raw[0].chunks_exact(BLOCK_ROW).map(BlockRow::decode).collect();
        store.txs = raw[1].chunks_exact(TX_ROW).map(TxRow::decode).collect();
        store.inputs = raw[2].chunks_exact(INPUT_ROW).map(InputRow::decode).collect();
        store.members =
            raw[3].chunks_exact(MEMBER_ROW).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())).collect();
        store.outputs = raw[4].chunks_exact(OUTPUT_ROW).map(OutputRow::decode).collect();
        store.committed = manifest.counts;
        store.low = manifest.counts;
        store.manifest = Some(manifest);
        store.rebuild_lookups()?;
        Ok(store)
    }

    /// Opens (or creates) the index for writing, taking its lock and cutting off
    /// rows that a crash left past the last commit.
    ///
    /// # Errors
    /// If another process holds the lock, or on I/O errors.
    pub fn open_for_write(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        if lock.try_lock().is_err() {
            return Err(Error::Locked(dir.to_owned()));
        }
        if !Self::manifest_path(dir).exists() {
            for (name, _) in FILES {
                let path = dir.join(name);
                File::create(&path).map_err(|e| Error::io(&path, e))?;
            }
            let manifest = Manifest {
                format_version: FORMAT_VERSION,
                generation: 0,
                counts: Counts::default(),
                source: None,
                crc32: None,
            };
            write_manifest(dir, &manifest)?;
        }
        let mut store = Self::open(dir)?;
        for (i, (name, width)) in FILES.iter().enumerate() {
            let path = dir.join(name);
            let file = OpenOptions::new().write(true).open(&path).map_err(|e| Error::io(&path, e))?;
            file.set_len(count_of(&store.committed, i) * *width as u64).map_err(|e| Error::io(&path, e))?;
        }
        store.lock = Some(lock);
        Ok(store)
    }

    /// Deletes an index directory's files (for `--rebuild`).
    ///
    /// # Errors
    /// On I/O errors.
    pub fn remove(dir: &Path) -> Result<()> {
        for name in FILES.iter().map(|f| f.0).chain(["manifest.json"]) {
            match std::fs::remove_file(dir.join(name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&dir.join(name), e)),
            }
        }
        Ok(())
    }

    fn rebuild_lookups(&mut self) -> Result<()> {
        self.tx_by_hash = self.txs.iter().enumerate().map(|(i, t)| (t.hash, i as u64)).collect();
        self.output_by_key.clear();
        self.input_by_key_image = self.inputs.iter().enumerate().map(|(i, r)| (r.key_image, i as u64)).collect();
        self.rct_index.clear();
        self.amount_index.clear();
        for n in 0..self.outputs.len() {
            self.index_output(n as u64)?;
        }
        Ok(())
    }

    fn index_output(&mut self, n: u64) -> Result<()> {
        let o = self.outputs[n as usize];
        self.output_by_key.entry(o.key).or_insert(n);
        let list = if o.rct { &mut self.rct_index } else { self.amount_index.entry(o.amount).or_default() };
        if list.len() as u64 != o.global_index {
            return Err(Error::Corrupt(format!(
                "output {n}: global index {} out of order (expected {})",
                o.global_index,
                list.len()
            )));
        }
        list.push(n);
        Ok(())
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The committed manifest.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// The number of outputs in index `amount` so far (the next global index).
    pub fn index_len(&self, amount: u64) -> u64 {
        if amount == 0 {
            self.rct_index.len() as u64
        } else {
            self.amount_index.get(&amount).map_or(0, |v| v.len() as u64)
        }
    }

    /// The output at `global_index` of the index of `amount`.
    pub fn output_at(&self, amount: u64, global_index: u64) -> Option<u64> {
        let list = if amount == 0 { Some(&self.rct_index) } else { self.amount_index.get(&amount) };
        list.and_then(|l| l.get(global_index as usize)).copied()
    }

    /// A transaction's number by hash.
    pub fn tx_by_hash(&self, hash: &[u8; 32]) -> Option<u64> {
        self.tx_by_hash.get(hash).copied()
    }

    /// An output's number by one-time key (the first, if a key repeats).
    pub fn output_by_key(&self, key: &[u8; 32]) -> Option<u64> {
        self.output_by_key.get(key).copied()
    }

    /// An input's number by key image.
    pub fn input_by_key_image(&self, key_image: &[u8; 32]) -> Option<u64> {
        self.input_by_key_image.get(key_image).copied()
    }

    /// The input numbers of transaction `tx`.
    pub fn tx_inputs(&self, tx: u64) -> std::ops::Range<u64> {
        let first = self.txs[tx as usize].first_input;
        let end = self.txs.get(tx as usize + 1).map_or(self.inputs.len() as u64, |t| t.first_input);
        first..end
    }

    /// The output numbers of transaction `tx`.
    pub fn tx_outputs(&self, tx: u64) -> std::ops::Range<u64> {
        let first = self.txs[tx as usize].first_output;
        let end = self.txs.get(tx as usize + 1).map_or(self.outputs.len() as u64, |t| t.first_output);
        first..end
    }

    /// The transactions of block `height`.
    pub fn block_txs(&self, height: u64) -> std::ops::Range<u64> {
        let first = self.blocks[height as usize].first_tx;
        let end = self.blocks.get(height as usize + 1).map_or(self.txs.len() as u64, |b| b.first_tx);
        first..end
    }

    /// The ring of input `input`: output numbers, oldest first.
    pub fn ring(&self, input: u64) -> &[u64] {
        let first = self.inputs[input as usize].first_member as usize;
        let end = self.inputs.get(input as usize + 1).map_or(self.members.len(), |i| i.first_member as usize);
        &self.members[first..end]
    }

    /// The height of the block that created output `n`.
    pub fn output_height(&self, n: u64) -> u32 {
        self.txs[self.outputs[n as usize].tx as usize].height
    }

    /// Appends one block's rows (not yet committed).
    ///
    /// # Errors
    /// If an output's global index does not continue its index.
    pub fn push_block(
        &mut self,
        block: BlockRow,
        txs: Vec<TxRow>,
        inputs: Vec<InputRow>,
        members: Vec<u64>,
        outputs: Vec<OutputRow>,
    ) -> Result<()> {
        self.blocks.push(block);
        for t in txs {
            self.tx_by_hash.insert(t.hash, self.txs.len() as u64);
            self.txs.push(t);
        }
        for i in inputs {
            self.input_by_key_image.insert(i.key_image, self.inputs.len() as u64);
            self.inputs.push(i);
        }
        self.members.extend(members);
        for o in outputs {
            self.outputs.push(o);
            self.index_output(self.outputs.len() as u64 - 1)?;
        }
        Ok(())
    }

    /// Drops every block from `height` on (a reorg), in memory; the next
    /// [`Store::commit`] makes it durable.
    ///
    /// # Errors
    /// If the lookups cannot be rebuilt.
    pub fn truncate(&mut self, height: u64) -> Result<()> {
        if height >= self.blocks.len() as u64 {
            return Ok(());
        }
        let txs = self.blocks[height as usize].first_tx;
        let inputs = self.txs.get(txs as usize).map_or(self.inputs.len() as u64, |t| t.first_input);
        let outputs = self.txs.get(txs as usize).map_or(self.outputs.len() as u64, |t| t.first_output);
        let members = self.inputs.get(inputs as usize).map_or(self.members.len() as u64, |i| i.first_member);
        self.blocks.truncate(height as usize);
        self.txs.truncate(txs as usize);
        self.inputs.truncate(inputs as usize);
        self.members.truncate(members as usize);
        self.outputs.truncate(outputs as usize);
        let now = self.counts();
        let low = self.low;
        self.low = Counts {
            blocks: low.blocks.min(now.blocks),
            txs: low.txs.min(now.txs),
            inputs: low.inputs.min(now.inputs),
            members: low.members.min(now.members),
            outputs: low.outputs.min(now.outputs),
        };
        self.rebuild_lookups()
    }

    /// The counts held in memory.
    pub fn counts(&self) -> Counts {
        Counts {
            blocks: self.blocks.len() as u64,
            txs: self.txs.len() as u64,
            inputs: self.inputs.len() as u64,
            members: self.members.len() as u64,
            outputs: self.outputs.len() as u64,
        }
    }

    /// Makes the rows in memory durable: files cut to the rows untouched since
    /// the last commit, the rest appended and synced, then the manifest replaced.
    ///
    /// # Errors
    /// On I/O errors (the last commit then stays).
    pub fn commit(&mut self, source: Option<String>) -> Result<()> {
        let now = self.counts();
        let mut sums = self.sums;
        for (i, (name, width)) in FILES.iter().enumerate() {
            let path = self.dir.join(name);
            let keep = count_of(&self.low, i).min(count_of(&now, i));
            if keep < count_of(&self.committed, i) {
                sums[i] = crc32fast::hash(&self.encode_rows(i, 0, keep as usize));
            }
            let mut file = OpenOptions::new().write(true).open(&path).map_err(|e| Error::io(&path, e))?;
            file.set_len(keep * *width as u64).map_err(|e| Error::io(&path, e))?;
            use std::io::Seek;
            file.seek(std::io::SeekFrom::End(0)).map_err(|e| Error::io(&path, e))?;
            let buf = self.encode_rows(i, keep as usize, count_of(&now, i) as usize);
            let mut sum = crc32fast::Hasher::new_with_initial(sums[i]);
            sum.update(&buf);
            sums[i] = sum.finalize();
            file.write_all(&buf).map_err(|e| Error::io(&path, e))?;
            file.sync_data().map_err(|e| Error::io(&path, e))?;
        }
        let generation = self.manifest.as_ref().map_or(0, |m| m.generation) + 1;
        let manifest = Manifest { format_version: FORMAT_VERSION, generation, counts: now, source, crc32: Some(sums) };
        write_manifest(&self.dir, &manifest)?;
        self.manifest = Some(manifest);
        self.committed = now;
        self.low = now;
        self.sums = sums;
        Ok(())
    }

    /// The bytes of rows `from..to` of row file `file` (in [`FILES`] order).
    fn encode_rows(&self, file: usize, from: usize, to: usize) -> Vec<u8> {
        let mut buf = Vec::with_capacity((to - from) * FILES[file].1);
        match file {
            0 => self.blocks[from..to].iter().for_each(|r| r.encode(&mut buf)),
            1 => self.txs[from..to].iter().for_each(|r| r.encode(&mut buf)),
            2 => self.inputs[from..to].iter().for_each(|r| r.encode(&mut buf)),
            3 => self.members[from..to].iter().for_each(|m| buf.extend_from_slice(&m.to_le_bytes())),
            _ => self.outputs[from..to].iter().for_each(|r| r.encode(&mut buf)),
        }
        buf
    }

    /// A digest of the committed content (every row), for comparing two indexes.
    pub fn digest(&self) -> String {
        let mut buf = Vec::new();
        self.blocks.iter().for_each(|r| r.encode(&mut buf));
        self.txs.iter().for_each(|r| r.encode(&mut buf));
        self.inputs.iter().for_each(|r| r.encode(&mut buf));
        self.members.iter().for_each(|m| buf.extend_from_slice(&m.to_le_bytes()));
        self.outputs.iter().for_each(|r| r.encode(&mut buf));
        hex::encode(monero::hash::keccak(&[&buf]))
    }
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = Store::manifest_path(dir);
    let text = serde_json::to_vec_pretty(manifest).map_err(|e| Error::Corrupt(e.to_string()))?;
    index::write_atomic(&path, &text).map_err(|e| Error::io(&path, e))
}
