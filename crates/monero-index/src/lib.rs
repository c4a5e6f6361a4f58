//! An embedded index of a Monero chain.
//!
//! Blocks, transactions, inputs, ring members and outputs get dense numbers in
//! chain order and live in fixed-width row files under a manifest (see
//! docs/format.md, "Monero index"); every ring member is resolved to the output
//! it names, so analysis walks numbers, never hashes. Ingest reads a running
//! monerod or a directory of hex blobs, incrementally, following reorgs, and a
//! crash at any moment leaves the last commit.
//!
//! - [`ingest()`]: bring an index up to a [`Source`]'s tip.
//! - [`Store`]: the committed state, with lookups by hash, key and key image.

pub mod ingest;
pub mod records;
pub mod rpc;
pub mod source;
pub mod store;

pub use ingest::{IngestOptions, IngestReport, ingest};
pub use source::{BlobDir, FetchedBlock, Node, Source};
pub use store::{Counts, FORMAT_VERSION, Manifest, Store};

use std::path::{Path, PathBuf};

/// An error of the Monero index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a file of the index or the source.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// No index in the directory.
    #[error("{}: no Monero index here; build one with `chainsleuth xmr ingest --rpc URL` or `--blobs DIR`", .0.display())]
    NotFound(PathBuf),
    /// An index of another format version.
    #[error("{}: Monero index format {found}, this build reads {}; rebuild with `chainsleuth xmr ingest --rebuild`", dir.display(), store::FORMAT_VERSION)]
    Format {
        /// The directory.
        dir: PathBuf,
        /// Its format.
        found: u32,
    },
    /// The index's files disagree with its manifest.
    #[error("damaged index: {0}")]
    Corrupt(String),
    /// Another process is ingesting.
    #[error("{}: another chainsleuth is ingesting into this index", .0.display())]
    Locked(PathBuf),
    /// A block or transaction that does not decode or does not fit the chain.
    #[error("height {height}{}: {what}", txid.as_ref().map(|t| format!(" txid {t}")).unwrap_or_default())]
    Decode {
        /// The block height.
        height: u64,
        /// The transaction, if one is at fault.
        txid: Option<String>,
        /// What was wrong (field and offset).
        what: String,
    },
    /// The source (blob directory) cannot be read.
    #[error("{0}")]
    Source(String),
    /// The node failed or answered nonsense.
    #[error("monerod RPC {0}")]
    Rpc(String),
    /// More items than the format can number.
    #[error("too many items for the index format: {0}")]
    Limit(&'static str),
}

impl Error {
    fn io(path: &Path, cause: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), cause }
    }
}

/// A result of the Monero index.
pub type Result<T> = std::result::Result<T, Error>;

/// The default index directory: `$XDG_DATA_HOME/chainsleuth/monero`, else
/// `~/.local/share/chainsleuth/monero`, else `./chainsleuth-data/monero`.
pub fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map(|p| p.join("chainsleuth"))
        .unwrap_or_else(|| PathBuf::from("chainsleuth-data"));
    base.join("monero")
}
