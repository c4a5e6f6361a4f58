//! The state the server answers from, one committed generation at a time.
//!
//! A [`Snapshot`] holds the index as one committed manifest describes it, the
//! clustering and the labels as they were when it was opened. [`Live`] keeps the
//! newest snapshot and replaces it whole when an ingest, a `cluster` run or a
//! label import commits (a poll of the committed files' identities, see
//! [`Live::refresh`]); a request takes one snapshot and answers from it alone.
//!
//! Appends never touch rows an older snapshot maps, but a reorganisation
//! rewrites rows in place. So an answer is checked after it is computed
//! ([`Live::unchanged`]): if a rollback was committed meanwhile, it is computed
//! again on the new state, and says which state it is of ([`AsOf`]).

use analysis::Analysis;
use index::{Index, Manifest};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;
use tags::LabelSet;

/// Which committed state an answer is of.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AsOf {
    /// The index's generation (it grows with every commit).
    pub generation: u64,
    /// The indexed tip.
    pub tip: Option<Tip>,
    /// The clustering, `null` when there is none for this chain.
    pub clustering: Option<Clustering>,
    /// The labels.
    pub labels: Labels,
}

impl AsOf {
    /// The state of an opened index, its clustering and its labels.
    pub fn of(index: &Index, analysis: Option<&Analysis>, labels: Labels) -> Self {
        Self {
            generation: index.generation(),
            tip: index.tip().map(|(h, hash)| Tip { height: h.0, hash: hash.to_string() }),
            clustering: analysis.map(|a| Clustering {
                version: a.manifest().dir.clone(),
                tip_height: a.manifest().tip_height,
                behind: a.manifest().txs < index.counts().txs,
            }),
            labels,
        }
    }
}

/// A block on the indexed chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tip {
    /// Its height.
    pub height: u32,
    /// Its hash.
    pub hash: String,
}

/// The clustering an answer used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Clustering {
    /// Its version (the saved state's name).
    pub version: String,
    /// The height it covers up to.
    pub tip_height: u32,
    /// True when the index has blocks it does not cover yet: addresses first
    /// seen there have no entity, and inherit no entity's labels, until
    /// `chainsleuth cluster` runs.
    pub behind: bool,
}

/// The labels an answer used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Labels {
    /// Their version (see `tags::store::version`).
    pub version: String,
    /// How many.
    pub count: usize,
}

/// One committed state, opened whole.
pub struct Snapshot {
    /// The index.
    pub index: Index,
    /// Its clustering.
    pub analysis: Option<Analysis>,
    /// The labels.
    pub labels: LabelSet,
    /// Zcash: round-trip links through the shielded pools (empty on Bitcoin).
    pub pool_links: trace::PoolLinks,
    /// Which state this is.
    pub as_of: AsOf,
    stamp: Stamp,
}

impl Snapshot {
    /// Opens the committed state of the index at `dir`.
    ///
    /// # Errors
    /// When the index, its clustering or its labels cannot be read.
    pub fn open(dir: &Path) -> Result<Self, crate::ServerError> {
        // Taken first: whatever commits while this opens changes it, and the next
        // refresh opens again.
        let stamp = Stamp::of(dir);
        let index = Index::open(dir)?;
        let analysis = Analysis::open(&index)?;
        let labels = LabelSet::load(dir, &index, analysis.as_ref())?;
        let version = tags::store::version(dir)?;
        let pool_links = trace::PoolLinks::from_index(&index, &zcash::links::LinkOptions::default());
        let as_of = AsOf::of(&index, analysis.as_ref(), Labels { version, count: labels.len() });
        Ok(Self { index, analysis, labels, pool_links, as_of, stamp })
    }
}

/// The identity of one file: device, inode, size and modification time (a
/// commit by rename gives a new inode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileId(u64, u64, u64, Option<SystemTime>);

impl FileId {
    /// The identity of the file at `path`, `None` if there is none.
    pub(crate) fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Self(m.dev(), m.ino(), m.len(), m.modified().ok()))
    }
}

/// The identities of the files that say what is committed: the index's
/// manifest, the clustering's, and each label source.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    manifest: Option<FileId>,
    others: Vec<(PathBuf, Option<FileId>)>,
}

impl Stamp {
    fn of(dir: &Path) -> Self {
        let mut others = vec![dir.join("analysis").join("manifest.json")];
        if let Ok(entries) = std::fs::read_dir(tags::store::tags_dir(dir)) {
            let mut labels: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            labels.sort();
            others.extend(labels);
        }
        Self {
            manifest: FileId::of(&Manifest::path(dir)),
            others: others.into_iter().map(|p| (p.clone(), FileId::of(&p))).collect(),
        }
    }
}

/// The newest snapshot of an index directory.
pub struct Live {
    dir: PathBuf,
    current: RwLock<Arc<Snapshot>>,
}

impl Live {
    /// Opens the committed state of `dir`.
    ///
    /// # Errors
    /// As [`Snapshot::open`].
    pub fn open(dir: &Path) -> Result<Self, crate::ServerError> {
        Ok(Self { dir: dir.to_owned(), current: RwLock::new(Arc::new(Snapshot::open(dir)?)) })
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The newest snapshot.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Opens the committed state again if anything was committed since the
    /// current snapshot was opened, and makes it current; true if it did.
    /// Requests keep answering from the old snapshot meanwhile.
    ///
    /// # Errors
    /// When the new state cannot be opened (the old one stays current).
    pub fn refresh(&self) -> Result<bool, crate::ServerError> {
        if self.current().stamp == Stamp::of(&self.dir) {
            return Ok(false);
        }
        let next = Arc::new(Snapshot::open(&self.dir)?);
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        Ok(true)
    }

    /// True when what was read from `snapshot` is still of its generation: no
    /// rollback has been committed since (one that may rewrite rows it maps).
    /// Costs a `stat` when nothing was committed.
    pub fn unchanged(&self, snapshot: &Snapshot) -> bool {
        if FileId::of(&Manifest::path(&self.dir)) == snapshot.stamp.manifest {
            return true;
        }
        Manifest::read(&self.dir).ok().flatten().is_some_and(|m| !m.rewritten_since(snapshot.index.generation()))
    }
}
