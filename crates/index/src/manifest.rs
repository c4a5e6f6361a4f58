//! The manifest: the one small file that says what is committed. A commit writes
//! every column and table to disk first, then replaces the manifest by rename, so a
//! reader (or a run after a crash) sees either the old state or the new, whole.

use chain::Network;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// The on-disk format this build reads and writes. Bump it on any change to a
/// column, table or segment layout (and say so in docs/format.md).
pub const FORMAT_VERSION: u32 = 4;

/// Row counts of the committed state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Blocks (main-chain heights from `start_height`).
    pub blocks: u64,
    /// Transactions.
    pub txs: u64,
    /// Inputs.
    pub inputs: u64,
    /// Outputs.
    pub outputs: u64,
    /// Distinct addresses.
    pub addresses: u64,
    /// Zcash pool crossings (transaction and pool pairs; none on Bitcoin).
    pub crossings: u64,
}

/// A per-address history segment: a file covering a range of output numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// File name under `history/`.
    pub file: String,
    /// First output number it covers.
    pub outputs_from: u64,
    /// One past the last output number it covers.
    pub outputs_to: u64,
}

/// The committed state of an index directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// On-disk format ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The network indexed.
    pub network: Network,
    /// Height of the first indexed block (0 when the chain starts at genesis).
    pub start_height: u32,
    /// Committed rows.
    pub counts: Counts,
    /// Increases with every commit.
    pub generation: u64,
    /// The generation of the last rollback (0: none). Rows below the counts
    /// of a generation before it may have been rewritten since, so a reader of
    /// such a generation must re-read (see [`Manifest::rewritten_since`]).
    #[serde(default)]
    pub rolled_back_at: u64,
    /// Inputs whose spent output is not in the index (a chain that starts late).
    pub unresolved_inputs: u64,
    /// Per-address history segments, oldest outputs first.
    pub segments: Vec<SegmentMeta>,
    /// The blocks directory last ingested (informational).
    pub blocks_dir: Option<PathBuf>,
    /// True when `checksums/GENERATION.json` holds this generation's checksums
    /// (false for an index committed before they were kept).
    #[serde(default)]
    pub checksummed: bool,
    /// Sizes of the hash tables as committed (file name to bytes), checked on
    /// open: a table cut short would make lookups miss without a word.
    #[serde(default)]
    pub tables: std::collections::BTreeMap<String, u64>,
}

impl Manifest {
    /// An empty index of `network`.
    pub fn new(network: Network) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            network,
            start_height: 0,
            counts: Counts::default(),
            generation: 0,
            rolled_back_at: 0,
            unresolved_inputs: 0,
            segments: Vec::new(),
            blocks_dir: None,
            checksummed: false,
            tables: std::collections::BTreeMap::new(),
        }
    }

    /// True when a rollback committed after `generation` may have rewritten rows
    /// that a reader of `generation` maps (appends never touch them).
    pub fn rewritten_since(&self, generation: u64) -> bool {
        self.rolled_back_at > generation
    }

    /// The manifest's path in an index directory.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("manifest.json")
    }

    /// Reads the manifest of `dir`, `None` if there is none yet.
    ///
    /// # Errors
    /// On I/O errors or an unreadable manifest.
    pub fn read(dir: &Path) -> io::Result<Option<Self>> {
        let text = match std::fs::read_to_string(Self::path(dir)) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // Read the version first, so another format is refused with a clear message
        // even if its other fields have changed.
        let version: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let found = version.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "index format {found}, but this chainsleuth reads format {FORMAT_VERSION}: rebuild it with `chainsleuth ingest --rebuild` (or delete {})",
                    dir.display()
                ),
            ));
        }
        serde_json::from_str(&text).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Makes this manifest the committed state: written to a temporary file, synced,
    /// renamed over the old one, and the directory synced.
    ///
    /// # Errors
    /// On I/O errors (the old manifest then stays in force).
    pub fn commit(&self, dir: &Path) -> io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        text.push('\n');
        crate::write_atomic(&Self::path(dir), text.as_bytes())
    }
}
