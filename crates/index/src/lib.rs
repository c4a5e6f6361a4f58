//! Blocks to columns: an embedded, memory-mapped index of a Bitcoin or Zcash chain
//! (Zcash's transparent graph, with every crossing into and out of its pools).
//!
//! Dense integer ids in chain order (heights, transactions, inputs, outputs;
//! addresses by first appearance), fixed-width little-endian columns in their own
//! files, on-disk hash tables from txid and address to id, per-address output lists,
//! incremental appends, reorg rollbacks and crash-safe commits. See docs/format.md.
//!
//! - [`ingest`]: build or update an index from a blocks directory.
//! - [`Index`]: open the committed state and answer queries.

pub mod address_key;
pub mod checksums;
pub mod column;
mod decoded;
pub mod history;
pub mod ids;
pub mod ingest;
pub mod manifest;
mod reader;
mod schema;
mod source;
mod spends;
pub mod subject;
pub mod table;
mod time_window;
mod usage;
pub mod writer;

pub use address_key::AddressKey;
pub use column::DamagedRead;
pub use ids::{AddrId, DenseId, EntityId, Height, IdRange, InNum, OutNum, TxNum};
pub use ingest::{IngestOptions, IngestProgress, IngestReport, ingest};
pub use manifest::{Counts, FORMAT_VERSION, Manifest};
pub use reader::{AddressSummary, BlockRow, CrossingRow, Index, InputRow, OutputRow, Spent, TxRow, VerifyReport};
pub use subject::{Subject, SubjectError, SubjectKind};
pub use time_window::TimeSpan;
pub use usage::{DiskUsage, disk_usage};

/// Replaces the file at `path` with `bytes` so that a crash leaves the old or the new
/// content, never a mix: a synced temporary beside it, renamed over it, then the
/// directory synced so the rename itself is durable.
///
/// # Errors
/// On I/O errors (the old file then stays).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, 0o666)
}

/// [`write_atomic`] for secrets: the file is readable and writable by its
/// owner only (mode 0600 on Unix) from the moment it exists.
///
/// # Errors
/// As [`write_atomic`].
pub fn write_atomic_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, 0o600)
}

/// Writes through a temporary file named uniquely (process and sequence), so
/// that two writers of one file never share it, created with `mode` (less
/// the umask) on Unix.
fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!("{name}.{}.{n}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir)?.sync_all()
}

use std::path::{Path, PathBuf};

/// An error of the index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// An I/O error in the index directory.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The index directory (or file).
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// Reading the blocks directory failed.
    #[error(transparent)]
    Read(#[from] chain::ReadError),
    /// The index belongs to another network.
    #[error("{}: the index is of {found}, not {expected}", path.display())]
    WrongNetwork {
        /// The index directory.
        path: PathBuf,
        /// Its network.
        found: chain::Network,
        /// The network asked for.
        expected: chain::Network,
    },
    /// There is no index in the directory.
    #[error("{}: no index here; build one with `chainsleuth ingest --blocks-dir DIR`", path.display())]
    NotFound {
        /// The directory.
        path: PathBuf,
    },
    /// The blocks directory does not hold the chain the index was built from.
    #[error("the blocks directory does not contain the indexed chain's first block at height {height}")]
    Unrelated {
        /// The index's first height.
        height: u32,
    },
    /// Another process is ingesting into the same index.
    #[error("{}: another chainsleuth is ingesting into this index", path.display())]
    Locked {
        /// The directory.
        path: PathBuf,
    },
    /// A Zcash block would take a shielded pool below zero (ZIP 209 forbids it):
    /// the blocks or their reading are wrong.
    #[error("height {height}: the {pool} pool would hold {balance} zatoshis, below zero")]
    NegativePool {
        /// The block.
        height: u32,
        /// The pool's name.
        pool: &'static str,
        /// The balance it would have.
        balance: i128,
    },
    /// More items than a column's ids can number.
    #[error("too many items for the index format: {0}")]
    Limit(&'static str),
    /// A file of the index is damaged (see `chainsleuth status --verify`).
    #[error("{}: damaged: {problem}; rebuild the index with `chainsleuth ingest --rebuild`", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
}

impl IndexError {
    fn io(path: &Path, cause: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), cause }
    }
}

/// The 64-bit fingerprint of a txid for the txid table: its first eight bytes
/// (txids are uniformly distributed).
pub fn txid_fingerprint(txid: &[u8; 32]) -> u64 {
    u64::from_le_bytes(txid[..8].try_into().unwrap_or_default())
}

/// The number of leading items in `0..len` for which `pred` holds (it must hold for
/// a prefix): a binary search over a column.
pub(crate) fn partition(len: u64, pred: impl Fn(u64) -> bool) -> u64 {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) { lo = mid + 1 } else { hi = mid }
    }
    lo
}

/// The default index directory of a network: `$XDG_DATA_HOME/chainsleuth/<network>`,
/// else `~/.local/share/chainsleuth/<network>`, else `./chainsleuth-data/<network>`.
pub fn default_data_dir(network: chain::Network) -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map(|p| p.join("chainsleuth"))
        .unwrap_or_else(|| PathBuf::from("chainsleuth-data"));
    base.join(network.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_atomic_writes_of_one_file_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        // With one shared temporary name, a writer renamed another's file away
        // and then failed on its own rename.
        std::thread::scope(|s| {
            for t in 0..8u8 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        write_atomic_private(path, &[t; 64]).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() == 64 && bytes.iter().all(|&b| b == bytes[0]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
