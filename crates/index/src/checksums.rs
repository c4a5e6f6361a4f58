//! Checksums of the committed files, one set per generation
//! (`checksums/GENERATION.json`, named by the manifest), so that damage to the
//! index (a flipped byte, a truncated file) is found rather than answered from.
//!
//! - Columns are append-only: each has a CRC-32 per [`CHUNK_BYTES`] of its
//!   committed bytes, and a commit recomputes only the chunks it changed (the
//!   last partial one and the new ones), a pass over the new data alone.
//! - `out_spent_by` is rewritten in place by every spend and is left out; each
//!   of its values is checked against `in_spent_output` when read, and the
//!   whole column against every input by [`crate::Index::verify`].
//! - History segments are written once: a CRC-32 and a size per file.
//! - The hash tables change in place: their size is recorded; their content is
//!   checked by a lookup of every key ([`crate::Index::verify`]).
//!
//! CRC-32 (crc32fast, SIMD) finds accidental damage at memory speed; it is no
//! defence against someone who can write the index, which nothing here is.

use crate::column::column_path;
use crate::manifest::{Counts, Manifest, SegmentMeta};
use crate::schema::column_bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes covered by one column checksum.
pub const CHUNK_BYTES: u64 = 1 << 20;

/// Columns rewritten in place, so not checksummed.
pub const REWRITTEN_COLUMNS: &[&str] = &["out_spent_by"];

/// One column's checksums.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSums {
    /// Committed bytes covered.
    pub bytes: u64,
    /// CRC-32 of each chunk, the last one possibly partial.
    pub chunks: Vec<u32>,
}

/// One history segment's checksum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    /// Its size.
    pub bytes: u64,
    /// CRC-32 of the whole file.
    pub crc32: u32,
}

/// The checksums of one committed generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksums {
    /// Bytes per column chunk ([`CHUNK_BYTES`]).
    pub chunk_bytes: u64,
    /// Per column (by name).
    pub columns: BTreeMap<String, ColumnSums>,
    /// Per history segment (by file name).
    pub segments: BTreeMap<String, FileSum>,
}

impl Default for Checksums {
    fn default() -> Self {
        Self { chunk_bytes: CHUNK_BYTES, columns: BTreeMap::new(), segments: BTreeMap::new() }
    }
}

/// Damage found by a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// The damaged file.
    pub file: PathBuf,
    /// Where in it (the start of the chunk that differs).
    pub offset: u64,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} offset {}: {}", self.file.display(), self.offset, self.problem)
    }
}

/// CRC-32 of `len` bytes of `file` from `offset`.
fn crc_of(file: &File, offset: u64, len: u64, buf: &mut Vec<u8>) -> io::Result<u32> {
    buf.resize(len as usize, 0);
    file.read_exact_at(buf, offset)?;
    Ok(crc32fast::hash(buf))
}

/// The checksummed columns and their committed bytes under `counts`.
fn checksummed(counts: &Counts) -> impl Iterator<Item = (&'static str, u64)> {
    column_bytes(counts).into_iter().filter(|(name, _)| !REWRITTEN_COLUMNS.contains(name))
}

impl Checksums {
    /// The checksums file of `generation`.
    pub fn path(dir: &Path, generation: u64) -> PathBuf {
        dir.join("checksums").join(format!("{generation:08}.json"))
    }

    /// Reads the checksums the manifest names; `None` for an index committed
    /// before checksums were kept.
    ///
    /// # Errors
    /// When the named file is missing or unreadable.
    pub fn read(dir: &Path, manifest: &Manifest) -> io::Result<Option<Self>> {
        if !manifest.checksummed {
            return Ok(None);
        }
        let path = Self::path(dir, manifest.generation);
        let bytes = std::fs::read(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
    }

    /// These checksums brought up to the files of `manifest` (written and
    /// synced): the chunks past the shorter of the two lengths are read anew.
    ///
    /// # Errors
    /// On I/O errors reading the files.
    pub fn update(&self, dir: &Path, manifest: &Manifest) -> io::Result<Self> {
        let chunk = self.chunk_bytes.max(1);
        let mut buf = Vec::new();
        let mut columns = BTreeMap::new();
        for (name, bytes) in checksummed(&manifest.counts) {
            let old = self.columns.get(name).cloned().unwrap_or_default();
            let keep = (old.bytes.min(bytes) / chunk) as usize;
            let mut chunks = old.chunks;
            chunks.truncate(keep);
            if bytes > 0 {
                let file = File::open(column_path(dir, name))?;
                let mut at = keep as u64 * chunk;
                while at < bytes {
                    let len = chunk.min(bytes - at);
                    chunks.push(crc_of(&file, at, len, &mut buf)?);
                    at += len;
                }
            }
            columns.insert(name.to_owned(), ColumnSums { bytes, chunks });
        }
        let mut segments = BTreeMap::new();
        for SegmentMeta { file, .. } in &manifest.segments {
            let sum = match self.segments.get(file) {
                Some(&sum) => sum,
                None => file_sum(&dir.join("history").join(file), &mut buf)?,
            };
            segments.insert(file.clone(), sum);
        }
        Ok(Self { chunk_bytes: chunk, columns, segments })
    }

    /// Writes these as the checksums of `generation` (synced; the manifest
    /// naming them is committed after).
    ///
    /// # Errors
    /// On I/O errors.
    pub fn write(&self, dir: &Path, generation: u64) -> io::Result<()> {
        std::fs::create_dir_all(dir.join("checksums"))?;
        let text = serde_json::to_vec(self).map_err(io::Error::other)?;
        crate::write_atomic(&Self::path(dir, generation), &text)
    }

    /// Deletes the checksums of every generation but `keep`.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn remove_others(dir: &Path, keep: u64) -> io::Result<()> {
        let keep = Self::path(dir, keep);
        for entry in std::fs::read_dir(dir.join("checksums"))? {
            let path = entry?.path();
            if path != keep && path.extension().is_some_and(|x| x == "json") {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    /// Reads every checksummed byte of the index at `dir` and compares:
    /// returns the damage found and the bytes read.
    ///
    /// # Errors
    /// On I/O errors other than a file that is missing or short (damage).
    pub fn verify(&self, dir: &Path, manifest: &Manifest) -> io::Result<(Vec<Damage>, u64)> {
        let mut damage = Vec::new();
        let mut read = 0u64;
        let mut buf = Vec::new();
        for (name, bytes) in checksummed(&manifest.counts) {
            let path = column_path(dir, name);
            let Some(sums) = self.columns.get(name).filter(|s| s.bytes == bytes) else {
                damage.push(Damage { file: path, offset: 0, problem: "no checksums for its committed length".into() });
                continue;
            };
            if bytes == 0 {
                continue;
            }
            let file = match File::open(&path) {
                Ok(file) => file,
                Err(e) => {
                    damage.push(Damage { file: path, offset: 0, problem: e.to_string() });
                    continue;
                }
            };
            let chunk = self.chunk_bytes.max(1);
            for (k, &expected) in sums.chunks.iter().enumerate() {
                let at = k as u64 * chunk;
                let len = chunk.min(bytes - at);
                match crc_of(&file, at, len, &mut buf) {
                    Ok(crc) if crc == expected => {}
                    Ok(_) => damage.push(Damage { file: path.clone(), offset: at, problem: "checksum differs".into() }),
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        damage.push(Damage {
                            file: path.clone(),
                            offset: at,
                            problem: "shorter than committed".into(),
                        });
                        break;
                    }
                    Err(e) => return Err(e),
                }
                read += len;
            }
        }
        for SegmentMeta { file, .. } in &manifest.segments {
            let path = dir.join("history").join(file);
            let problem = match (self.segments.get(file), file_sum(&path, &mut buf)) {
                (Some(expected), Ok(found)) if *expected == found => {
                    read += found.bytes;
                    continue;
                }
                (None, _) => "no checksum".to_owned(),
                (Some(_), Ok(_)) => "checksum differs".to_owned(),
                (Some(_), Err(e)) => e.to_string(),
            };
            damage.push(Damage { file: path, offset: 0, problem });
        }
        Ok((damage, read))
    }
}

/// Size and CRC-32 of a whole file.
fn file_sum(path: &Path, buf: &mut Vec<u8>) -> io::Result<FileSum> {
    let file = File::open(path)?;
    let bytes = file.metadata()?.len();
    let mut hasher = crc32fast::Hasher::new();
    let mut at = 0;
    while at < bytes {
        let len = CHUNK_BYTES.min(bytes - at);
        buf.resize(len as usize, 0);
        file.read_exact_at(buf, at)?;
        hasher.update(buf);
        at += len;
    }
    Ok(FileSum { bytes, crc32: hasher.finalize() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chain::Network;

    fn counts(rows: u64) -> Counts {
        Counts { blocks: rows, txs: rows * 2, inputs: rows * 3, outputs: rows * 3, addresses: rows, crossings: 0 }
    }

    /// Column files of `counts` rows under `dir`; the bytes of rows from
    /// `from` on are changed by `fill` (rows written anew after a rollback).
    fn write_columns(dir: &Path, counts: &Counts, fill: u8, from: &Counts) {
        std::fs::create_dir_all(dir.join("columns")).unwrap();
        let kept: BTreeMap<&str, u64> = checksummed(from).collect();
        for (name, bytes) in checksummed(counts) {
            let data: Vec<u8> =
                (0..bytes).map(|i| (i as u8).wrapping_mul(31) ^ if i >= kept[name] { fill } else { 0 }).collect();
            std::fs::write(column_path(dir, name), data).unwrap();
        }
    }

    /// Updated commit by commit, through growth and a rollback, the checksums
    /// are those computed in one pass over the final files, many chunks each.
    #[test]
    fn incremental_updates_equal_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let mut manifest = Manifest::new(Network::Regtest);
        let mut sums = Checksums { chunk_bytes: 100, ..Checksums::default() };
        // Growth, a rollback to 30 rows, then rows written anew over the old ones.
        for (rows, fill) in [(10u64, 0u8), (57, 0), (58, 0), (200, 0), (30, 7), (123, 7)] {
            manifest.counts = counts(rows);
            write_columns(dir.path(), &manifest.counts, fill, &counts(30));
            sums = sums.update(dir.path(), &manifest).unwrap();
        }
        let fresh = Checksums { chunk_bytes: 100, ..Checksums::default() }.update(dir.path(), &manifest).unwrap();
        assert_eq!(sums, fresh);
        assert!(sums.columns["tx_txid"].chunks.len() > 50);
        assert!(sums.verify(dir.path(), &manifest).unwrap().0.is_empty());
        // One byte changed in the middle of a column: that chunk, and only it.
        let path = column_path(dir.path(), "tx_txid");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[4_321] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let (damage, _) = sums.verify(dir.path(), &manifest).unwrap();
        assert_eq!(damage.len(), 1);
        assert_eq!(damage[0].offset, 4_300);
    }
}
