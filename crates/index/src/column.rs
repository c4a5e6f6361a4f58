//! Fixed-width little-endian columns, one file each, memory-mapped.
//!
//! Memory maps are an explicit opt-in here: the index's own files are written only
//! by chainsleuth (under a lock) and never truncated below their committed length,
//! so a mapped page cannot vanish under a reader (the SIGBUS risk that keeps Bitcoin
//! Core's blk files out of maps, see docs/adr/0002). Readers map exactly the
//! committed rows; the writer maps the whole file and grows it in chunks.
#![allow(unsafe_code, reason = "memory maps need unsafe; see the module docs for why they are sound here")]

use memmap2::{Mmap, MmapOptions};
use std::fs::{File, OpenOptions};
use std::io;
use std::marker::PhantomData;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A value stored in a fixed number of little-endian bytes.
pub trait Fixed: Copy + Send + Sync {
    /// Bytes per value.
    const WIDTH: usize;
    /// Reads a value from exactly `WIDTH` bytes.
    fn read(bytes: &[u8]) -> Self;
    /// Writes the value into exactly `WIDTH` bytes.
    fn write(self, out: &mut [u8]);
}

macro_rules! fixed_int {
    ($($t:ty),*) => {$(
        impl Fixed for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            #[inline]
            fn read(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
            #[inline]
            fn write(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
fixed_int!(u8, u16, u32, u64);

impl<const N: usize> Fixed for [u8; N] {
    const WIDTH: usize = N;
    #[inline]
    fn read(bytes: &[u8]) -> Self {
        let mut b = [0u8; N];
        b.copy_from_slice(bytes);
        b
    }
    #[inline]
    fn write(self, out: &mut [u8]) {
        out.copy_from_slice(&self);
    }
}

/// A read past a column's committed rows: what a damaged id in another column
/// leads to. Readers return ids and ranges without checking each against every
/// column (that would cost the hot loops a branch per hop), so such a read
/// unwinds with this payload instead of indexing out of bounds; the command
/// line and the server catch it ([`DamagedRead::of_panic`]) and answer with an
/// error naming the file, never a wrong value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRead {
    /// The file read.
    pub file: PathBuf,
    /// What was wrong with the read.
    pub problem: String,
}

impl std::fmt::Display for DamagedRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: damaged: {}; run `chainsleuth status --verify`, then rebuild with `chainsleuth ingest --rebuild`",
            self.file.display(),
            self.problem
        )
    }
}

impl DamagedRead {
    /// The damaged read a panic's payload carries, if it is one.
    pub fn of_panic(payload: &(dyn std::any::Any + Send)) -> Option<&Self> {
        payload.downcast_ref::<Self>()
    }

    /// Installs a panic hook that stays silent for damaged reads (whoever
    /// catches them reports them in one line) and reports every other panic
    /// as the default hook does.
    pub fn quiet_panic_hook() {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if Self::of_panic(info.payload()).is_none() {
                default(info);
            }
        }));
    }
}

/// A column opened for reading: a read-only map of its committed rows.
#[derive(Debug)]
pub struct Column<T: Fixed> {
    map: Option<Mmap>,
    len: u64,
    path: Arc<Path>,
    _values: PhantomData<T>,
}

impl<T: Fixed> Column<T> {
    /// Maps the first `len` rows of the column file at `path`.
    ///
    /// # Errors
    /// When the file cannot be opened or is shorter than `len` rows.
    pub fn open(path: &Path, len: u64) -> io::Result<Self> {
        let path: Arc<Path> = path.into();
        if len == 0 {
            return Ok(Self { map: None, len, path, _values: PhantomData });
        }
        let file = File::open(&path)?;
        let bytes = len as usize * T::WIDTH;
        if file.metadata()?.len() < bytes as u64 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: shorter than its {len} committed rows", path.display()),
            ));
        }
        // SAFETY: the file is only appended to (under the ingest lock) and never
        // truncated below the committed rows mapped here.
        let map = unsafe { MmapOptions::new().len(bytes).map(&file)? };
        Ok(Self { map: Some(map), len, path, _values: PhantomData })
    }

    /// Number of rows.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value at row `i`.
    ///
    /// # Panics
    /// With a [`DamagedRead`] payload if `i` is not a committed row.
    #[inline]
    pub fn get(&self, i: u64) -> T {
        if i >= self.len {
            self.damaged(i)
        }
        let start = i as usize * T::WIDTH;
        T::read(&self.bytes()[start..start + T::WIDTH])
    }

    #[cold]
    #[inline(never)]
    fn damaged(&self, row: u64) -> ! {
        self.damaged_because(format!("row {row} asked for, past its {} committed rows", self.len))
    }

    /// Unwinds with a [`DamagedRead`] of this column.
    #[cold]
    #[inline(never)]
    pub(crate) fn damaged_because(&self, problem: String) -> ! {
        std::panic::panic_any(DamagedRead { file: self.path.to_path_buf(), problem })
    }

    /// The raw bytes of every row.
    pub fn bytes(&self) -> &[u8] {
        let map = self.map.as_deref().unwrap_or(&[]);
        &map[..(self.len as usize * T::WIDTH).min(map.len())]
    }

    /// The values of rows `range`.
    ///
    /// # Panics
    /// With a [`DamagedRead`] payload if the range reaches past the committed rows.
    pub fn range(&self, range: std::ops::Range<u64>) -> impl ExactSizeIterator<Item = T> + '_ {
        if range.end > self.len || range.start > range.end {
            self.damaged(range.end.max(range.start))
        }
        let bytes = &self.bytes()[range.start as usize * T::WIDTH..range.end as usize * T::WIDTH];
        bytes.chunks_exact(T::WIDTH).map(T::read)
    }
}

/// Where a column's file lives under the index directory.
pub fn column_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("columns").join(format!("{name}.col"))
}

/// A column being appended to: its committed rows mapped read-only, new rows in
/// memory until a commit hands them to a write job (which another thread runs);
/// rows being written stay readable here until [`Self::settle`] maps them. In-place
/// changes to rows already handed over are queued and written by the next job, in
/// row order.
///
/// Writing new rows through `write` rather than a writable map saves the kernel
/// zero-filling every fresh page before it is overwritten, which cost more than
/// half of an ingest's time when columns were written through maps.
#[derive(Debug)]
pub struct ColumnWriter<T: Fixed> {
    path: PathBuf,
    committed: Column<T>,
    /// Rows handed to a write job that may still be running.
    writing: Arc<Vec<T>>,
    tail: Vec<T>,
    updates: Vec<(u64, T)>,
    /// The last written batch's memory, reused for the next tail: its pages are
    /// already faulted in, so the kernel zero-fills none and the tail never regrows.
    spare: Vec<T>,
}

/// Writes a column's new rows and queued changes to its file: the job a commit
/// runs off the writer's thread.
pub type WriteJob = Box<dyn FnOnce() -> io::Result<()> + Send>;

impl<T: Fixed + 'static> ColumnWriter<T> {
    /// Opens (or creates) a column file whose first `len` rows are committed.
    /// Bytes past them are left over from an interrupted run and get overwritten.
    ///
    /// # Errors
    /// On I/O errors, or when the file is shorter than its committed rows.
    pub fn open(path: &Path, len: u64) -> io::Result<Self> {
        OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
        Ok(Self {
            path: path.to_owned(),
            committed: Column::open(path, len)?,
            writing: Arc::default(),
            tail: Vec::new(),
            updates: Vec::new(),
            spare: Vec::new(),
        })
    }

    /// Rows written (committed and not).
    pub fn len(&self) -> u64 {
        self.committed.len() + self.writing.len() as u64 + self.tail.len() as u64
    }

    /// True when no row is written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a row.
    #[inline]
    pub fn push(&mut self, value: T) {
        self.tail.push(value);
    }

    /// The value at row `i` (which must be below `len`).
    #[inline]
    pub fn get(&self, i: u64) -> T {
        let base = self.committed.len();
        if i < base {
            return self.committed.get(i);
        }
        let i = (i - base) as usize;
        match self.writing.get(i) {
            Some(&value) => value,
            None => self.tail[i - self.writing.len()],
        }
    }

    /// Changes row `i` (below `len`): at once for rows in memory, by the next write
    /// job for rows already handed to one.
    #[inline]
    pub fn set(&mut self, i: u64, value: T) {
        let base = self.committed.len() + self.writing.len() as u64;
        if i < base {
            self.updates.push((i, value));
        } else {
            self.tail[(i - base) as usize] = value;
        }
    }

    /// Forgets rows from `len` on, and queued changes to them. Call after
    /// [`Self::settle`].
    pub fn truncate(&mut self, len: u64) {
        debug_assert!(self.writing.is_empty(), "truncate while a write job runs");
        let base = self.committed.len();
        if len >= base {
            self.tail.truncate((len - base) as usize);
        } else {
            self.tail.clear();
            self.committed.len = len;
        }
        self.updates.retain(|&(i, _)| i < len);
    }

    /// Hands the new rows and queued changes to a job that writes them to the file
    /// (the page cache: syncing is the committer's job, see `writer`). The rows stay
    /// readable here; call [`Self::settle`] once the job has run. Call after the
    /// previous job's [`Self::settle`].
    pub fn begin_write(&mut self) -> WriteJob {
        debug_assert!(self.writing.is_empty(), "a write job is still unsettled");
        let rows = Arc::new(std::mem::replace(&mut self.tail, std::mem::take(&mut self.spare)));
        self.writing = Arc::clone(&rows);
        let mut updates = std::mem::take(&mut self.updates);
        let (path, base) = (self.path.clone(), self.committed.len());
        Box::new(move || write_rows(&path, base, &rows, &mut updates))
    }

    /// Maps the rows the last write job wrote (which must have finished).
    ///
    /// # Errors
    /// On I/O errors.
    pub fn settle(&mut self) -> io::Result<()> {
        if !self.writing.is_empty() {
            self.committed = Column::open(&self.path, self.committed.len() + self.writing.len() as u64)?;
            // The job has run and dropped its share of the rows.
            if let Ok(mut rows) = Arc::try_unwrap(std::mem::take(&mut self.writing)) {
                rows.clear();
                self.spare = rows;
            }
        }
        Ok(())
    }

    /// Maps the first `len` rows and drops every row and change in memory. Call
    /// after [`Self::settle`].
    ///
    /// # Errors
    /// On I/O errors.
    pub fn reopen(&mut self, len: u64) -> io::Result<()> {
        self.committed = Column::open(&self.path, len)?;
        self.writing = Arc::default();
        self.tail.clear();
        self.updates.clear();
        Ok(())
    }

    /// The file of this column.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `rows` after the first `base` rows of the file at `path`, then `updates`
/// to rows below `base`.
fn write_rows<T: Fixed>(path: &Path, base: u64, rows: &[T], updates: &mut [(u64, T)]) -> io::Result<()> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    // Through a small reused buffer: a tail-sized one would be fresh pages the
    // kernel must zero before they are overwritten.
    let mut buffer = [0u8; 1 << 16];
    let per_chunk = buffer.len() / T::WIDTH;
    for (n, rows) in rows.chunks(per_chunk).enumerate() {
        for (chunk, value) in buffer.chunks_exact_mut(T::WIDTH).zip(rows) {
            value.write(chunk);
        }
        let offset = (base + (n * per_chunk) as u64) * T::WIDTH as u64;
        file.write_all_at(&buffer[..rows.len() * T::WIDTH], offset)?;
    }
    if !updates.is_empty() {
        updates.sort_unstable_by_key(|u| u.0);
        let end = updates.last().map_or(0, |u| u.0 + 1);
        // SAFETY: the rows changed are below `base` plus the rows written above,
        // all in the file now, and only this process, holding the index lock,
        // writes it.
        let mut map = unsafe { MmapOptions::new().len(end as usize * T::WIDTH).map_mut(&file)? };
        for &(i, value) in updates.iter() {
            let at = i as usize * T::WIDTH;
            value.write(&mut map[at..at + T::WIDTH]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bytes_are_little_endian() {
        let mut out = [0u8; 8];
        0x0102_0304_0506_0708u64.write(&mut out);
        assert_eq!(out, [8, 7, 6, 5, 4, 3, 2, 1]);
        let mut out = [0u8; 4];
        0xdead_beefu32.write(&mut out);
        assert_eq!(out, [0xef, 0xbe, 0xad, 0xde]);
    }

    #[test]
    fn writer_appends_updates_and_reader_maps_committed_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.col");
        let mut w = ColumnWriter::<u64>::open(&path, 0).unwrap();
        for i in 0..300_000u64 {
            w.push(i * 3);
        }
        w.set(7, 99);
        w.begin_write()().unwrap();
        w.settle().unwrap();
        assert_eq!(w.len(), 300_000);
        w.reopen(200_000).unwrap();
        let r = Column::<u64>::open(&path, 200_000).unwrap();
        assert_eq!(r.len(), 200_000);
        assert_eq!(r.get(7), 99);
        assert_eq!(r.get(199_999), 599_997);
        assert_eq!(r.range(10..13).collect::<Vec<_>>(), vec![30, 33, 36]);
        // Committed rows change at the next write-out; new rows go after them.
        w.set(8, 1);
        w.push(5);
        assert_eq!((w.get(8), w.get(200_000)), (24, 5));
        // Rows handed to a write job stay readable until settled; changes to them
        // wait for the next job.
        let job = w.begin_write();
        w.push(6);
        w.set(200_000, 7);
        assert_eq!((w.get(200_000), w.get(200_001), w.len()), (5, 6, 200_002));
        job().unwrap();
        w.settle().unwrap();
        assert_eq!((w.get(8), w.get(200_000), w.get(200_001)), (1, 5, 6));
        w.begin_write()().unwrap();
        w.settle().unwrap();
        assert_eq!((w.get(200_000), w.get(200_001)), (7, 6));
        assert_eq!(Column::<u64>::open(&path, 200_002).unwrap().get(200_000), 7);
        assert!(Column::<u64>::open(&dir.path().join("missing.col"), 1).is_err());
    }
}
