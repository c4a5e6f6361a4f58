//! On-disk hash tables from a key's 64-bit fingerprint to a dense id (txid to
//! transaction number, address key to address id), memory-mapped.
//!
//! Open addressing with linear probing; a slot is 8 bytes: 24 bits of tag (high
//! bits of the fingerprint) and 40 bits of id + 1 (0 marks an empty slot). A tag
//! match is confirmed by the caller against the key column, so answers are exact.
//! The load stays below 1/2: 16 bytes of table per key. Entries are never deleted:
//! after a rollback, an entry whose id is past the committed count (or whose key
//! column row now holds another key) is simply not confirmed.
#![allow(unsafe_code, reason = "memory maps need unsafe; the index lock makes them sound")]

use memmap2::{Mmap, MmapMut, MmapOptions};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

const ID_BITS: u32 = 40;
const ID_MASK: u64 = (1 << ID_BITS) - 1;
const TAG_MASK: u64 = (1 << (64 - ID_BITS)) - 1;
/// Ids are stored plus one in 40 bits.
pub const MAX_ID: u64 = ID_MASK - 1;

#[inline]
fn tag_of(fingerprint: u64) -> u64 {
    (fingerprint >> ID_BITS) & TAG_MASK
}

/// Finds the id of a key in `slots`, confirming tag matches with `confirm`.
#[inline]
fn probe(slots: &[u8], fingerprint: u64, mut confirm: impl FnMut(u64) -> bool) -> Option<u64> {
    let capacity = (slots.len() / 8) as u64;
    if capacity == 0 {
        return None;
    }
    let mask = capacity - 1;
    let tag = tag_of(fingerprint);
    let mut i = fingerprint & mask;
    loop {
        let at = i as usize * 8;
        let slot = u64::from_le_bytes(slots[at..at + 8].try_into().unwrap_or_default());
        if slot == 0 {
            return None;
        }
        if slot >> ID_BITS == tag {
            let id = (slot & ID_MASK) - 1;
            if confirm(id) {
                return Some(id);
            }
        }
        i = (i + 1) & mask;
    }
}

/// A table opened for reading.
#[derive(Debug)]
pub struct Table {
    map: Option<Mmap>,
}

impl Table {
    /// Maps the table file (empty if it does not exist yet).
    ///
    /// # Errors
    /// On I/O errors.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self { map: None }),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len() as usize;
        if len == 0 {
            return Ok(Self { map: None });
        }
        // SAFETY: the table file keeps its size while the index is open for reading
        // (it is replaced by rename when it grows, never truncated in place).
        Ok(Self { map: Some(unsafe { MmapOptions::new().len(len).map(&file)? }) })
    }

    /// The id whose key has this fingerprint and passes `confirm`.
    pub fn find(&self, fingerprint: u64, confirm: impl FnMut(u64) -> bool) -> Option<u64> {
        probe(self.map.as_deref().unwrap_or(&[]), fingerprint, confirm)
    }
}

/// A table being written.
#[derive(Debug)]
pub struct TableWriter {
    file: File,
    map: MmapMut,
    entries: u64,
}

impl TableWriter {
    /// Opens (or creates, with `min_capacity` slots) a table file.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn open(path: &Path, min_capacity: u64) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        let mut size = file.metadata()?.len();
        if size == 0 {
            size = min_capacity.next_power_of_two().max(1024) * 8;
            file.set_len(size)?;
        }
        // SAFETY: this process holds the index lock; the file is not resized while mapped.
        let map = unsafe { MmapOptions::new().len(size as usize).map_mut(&file)? };
        let entries = map.chunks_exact(8).filter(|s| s != &[0u8; 8]).count() as u64;
        Ok(Self { file, map, entries })
    }

    /// Slots in the table.
    pub fn capacity(&self) -> u64 {
        (self.map.len() / 8) as u64
    }

    /// Occupied slots (committed, stale and uncommitted entries alike).
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The id whose key has this fingerprint and passes `confirm`.
    #[inline]
    pub fn find(&self, fingerprint: u64, confirm: impl FnMut(u64) -> bool) -> Option<u64> {
        probe(&self.map, fingerprint, confirm)
    }

    /// Adds an entry (the caller has checked the key is not there). Returns false
    /// when the table is half full and must be rebuilt larger first.
    #[inline]
    pub fn insert(&mut self, fingerprint: u64, id: u64) -> bool {
        if (self.entries + 1) * 2 > self.capacity() {
            return false;
        }
        let mask = self.capacity() - 1;
        let mut i = fingerprint & mask;
        let slot = (tag_of(fingerprint) << ID_BITS) | (id + 1);
        loop {
            let at = i as usize * 8;
            if self.map[at..at + 8] == [0u8; 8] {
                self.map[at..at + 8].copy_from_slice(&slot.to_le_bytes());
                self.entries += 1;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// Writes every dirty page to disk.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn sync(&self) -> io::Result<()> {
        self.map.flush()?;
        self.file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_and_confirms() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tbl");
        let mut t = TableWriter::open(&path, 16).unwrap();
        let keys: Vec<u64> = (0..400u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        for (id, &k) in keys.iter().enumerate() {
            assert!(t.find(k, |c| keys[c as usize] == k).is_none());
            assert!(t.insert(k, id as u64));
        }
        for (id, &k) in keys.iter().enumerate() {
            assert_eq!(t.find(k, |c| keys[c as usize] == k), Some(id as u64));
        }
        // Half full: refuses more.
        let cap = t.capacity();
        let mut n = t.entries();
        while (n + 1) * 2 <= cap {
            assert!(t.insert(n.wrapping_mul(0x1234_5678_9abc_def1), n));
            n += 1;
        }
        assert!(!t.insert(1, 1));
        t.sync().unwrap();
        let r = Table::open(&path).unwrap();
        assert_eq!(r.find(keys[5], |c| c == 5), Some(5));
        // A rejected confirmation keeps probing and ends at an empty slot.
        assert_eq!(r.find(keys[5], |_| false), None);
    }
}
