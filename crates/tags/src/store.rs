//! Labels on disk beside the index (`<index>/tags/<source>.json`, one file per
//! source, replaced atomically on re-import), and loaded for lookups: by address,
//! and by entity when the index is clustered (an entity inherits its addresses'
//! labels).

use crate::import::{Format, Label, Rejected};
use crate::taxonomy::Category;
use index::{AddrId, AddressKey, EntityId, Index};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// A label store error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// I/O on a file.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A stored file cannot be read.
    #[error("{0}: {1}")]
    Corrupt(PathBuf, String),
    /// A source name that cannot be a file name.
    #[error("source name {0:?}: use letters, digits, '-', '_' and '.'")]
    BadSource(String),
    /// No such source.
    #[error("no source {0:?} (see `chainsleuth tags list`)")]
    NoSource(String),
}

/// One imported source.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// Its name.
    pub source: String,
    /// The format it was read in.
    pub format: Format,
    /// The file it was read from.
    pub file: String,
    /// When (UTC, RFC 3339).
    pub imported_at: String,
    /// Rows left out at import.
    pub rejected: usize,
    /// Its labels.
    pub labels: Vec<Label>,
}

/// The directory of an index's labels.
pub fn tags_dir(index_dir: &Path) -> PathBuf {
    index_dir.join("tags")
}

fn source_path(index_dir: &Path, source: &str) -> Result<PathBuf, StoreError> {
    if source.is_empty()
        || !source.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || source.starts_with('.')
    {
        return Err(StoreError::BadSource(source.to_owned()));
    }
    Ok(tags_dir(index_dir).join(format!("{source}.json")))
}

/// Saves a source, replacing any earlier import of it in one rename.
///
/// # Errors
/// On I/O errors or a bad source name.
pub fn save(index_dir: &Path, file: &SourceFile) -> Result<(), StoreError> {
    let path = source_path(index_dir, &file.source)?;
    let dir = tags_dir(index_dir);
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::Io(dir.clone(), e))?;
    let bytes = serde_json::to_vec(file).map_err(|e| StoreError::Corrupt(path.clone(), e.to_string()))?;
    index::write_atomic(&path, &bytes).map_err(|e| StoreError::Io(path, e))
}

/// Deletes a source.
///
/// # Errors
/// When there is no such source, or on I/O errors.
pub fn remove(index_dir: &Path, source: &str) -> Result<(), StoreError> {
    let path = source_path(index_dir, source)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NoSource(source.to_owned())),
        Err(e) => Err(StoreError::Io(path, e)),
    }
}

/// Every stored source, by name.
///
/// # Errors
/// On I/O errors or unreadable files.
pub fn sources(index_dir: &Path) -> Result<Vec<SourceFile>, StoreError> {
    let dir = tags_dir(index_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::Io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| StoreError::Io(dir.clone(), e))?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let bytes = std::fs::read(&path).map_err(|e| StoreError::Io(path.clone(), e))?;
            let file: SourceFile =
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(path.clone(), e.to_string()))?;
            files.push(file);
        }
    }
    files.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(files)
}

/// The version of the stored labels: the first 16 hex digits of a SHA-256 over
/// every source file (name and bytes, in name order). The same files give the
/// same version on any machine; `"none"` when there are none.
///
/// # Errors
/// On I/O errors.
pub fn version(index_dir: &Path) -> Result<String, StoreError> {
    use sha2::{Digest, Sha256};
    let dir = tags_dir(index_dir);
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok("none".to_owned()),
        Err(e) => return Err(StoreError::Io(dir, e)),
    };
    if paths.is_empty() {
        return Ok("none".to_owned());
    }
    paths.sort();
    let mut digest = Sha256::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| StoreError::Io(path.clone(), e))?;
        digest.update(path.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default());
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(&bytes);
    }
    Ok(hex::encode(&digest.finalize()[..8]))
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    /// The source name.
    pub source: String,
    /// The format read.
    pub format: Format,
    /// Labels imported.
    pub imported: usize,
    /// Labels per category.
    pub categories: std::collections::BTreeMap<Category, usize>,
    /// Rows left out, with their line numbers.
    pub rejected: Vec<Rejected>,
    /// Labels kept whose address is of another network than the index's (a
    /// mainnet list in a test index), with their line numbers and the address
    /// as this network writes the same script (labels match by script; a
    /// screening takes this network's form).
    pub other_network: Vec<Rejected>,
}

/// Every label, resolved against an index: by address key, by address id and by
/// entity.
#[derive(Debug, Default)]
pub struct LabelSet {
    labels: Vec<Label>,
    /// Distinct (name, category) pairs: one tracer stop per service, however many
    /// labels and sources name it.
    services: Vec<trace::Service>,
    service_ids: FxHashMap<trace::Service, u32>,
    /// Per label, its service's number.
    service_of_label: Vec<u32>,
    by_key: FxHashMap<AddressKey, Vec<u32>>,
    by_address: FxHashMap<AddrId, Vec<u32>>,
    by_entity: FxHashMap<EntityId, Vec<u32>>,
}

impl LabelSet {
    /// Loads every source of the index at `index_dir`, resolving addresses in `index`
    /// (and entities in `analysis`).
    ///
    /// # Errors
    /// On I/O errors or unreadable files.
    pub fn load(index_dir: &Path, index: &Index, analysis: Option<&analysis::Analysis>) -> Result<Self, StoreError> {
        let mut set = Self::default();
        for file in sources(index_dir)? {
            for label in file.labels {
                set.add(label, index, analysis);
            }
        }
        Ok(set)
    }

    /// Adds one label.
    pub fn add(&mut self, label: Label, index: &Index, analysis: Option<&analysis::Analysis>) {
        let Some(script) = chain::address::to_script_any_network(&label.address) else { return };
        let key = AddressKey::of_script(&script);
        let n = self.labels.len() as u32;
        self.by_key.entry(key).or_default().push(n);
        if let Some(id) = index.address_by_key(&key) {
            self.by_address.entry(id).or_default().push(n);
            if let Some(entity) = analysis.and_then(|a| a.entity_of(id)) {
                self.by_entity.entry(entity).or_default().push(n);
            }
        }
        let service = trace::Service { name: label.label.clone(), category: label.category.name().to_owned() };
        let next = self.services.len() as u32;
        let id = *self.service_ids.entry(service.clone()).or_insert(next);
        if id == next {
            self.services.push(service);
        }
        self.service_of_label.push(id);
        self.labels.push(label);
    }

    /// The tracer stop of a label: one number per distinct name and category.
    pub fn service_of_label(&self, n: u32) -> usize {
        self.service_of_label[n as usize] as usize
    }

    /// A tracer stop by number (its name and category).
    pub fn service(&self, id: usize) -> &trace::Service {
        &self.services[id]
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// A label by number.
    pub fn label(&self, n: u32) -> &Label {
        &self.labels[n as usize]
    }

    /// Labels on an address key (for addresses the index may not hold).
    pub fn of_key(&self, key: &AddressKey) -> &[u32] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// Labels on an indexed address itself.
    pub fn of_address(&self, address: AddrId) -> &[u32] {
        self.by_address.get(&address).map_or(&[], Vec::as_slice)
    }

    /// Every indexed address labelled as a service itself, with its service number,
    /// in address order: the must-not-link constraints of clustering.
    pub fn service_addresses(&self) -> Vec<(AddrId, usize)> {
        let mut out: Vec<(AddrId, usize)> = self
            .by_address
            .iter()
            .filter_map(|(&a, labels)| {
                let n = labels.iter().find(|&&n| self.label(n).category.is_service())?;
                Some((a, self.service_of_label(*n)))
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Labels an entity inherits from its addresses.
    pub fn of_entity(&self, entity: EntityId) -> &[u32] {
        self.by_entity.get(&entity).map_or(&[], Vec::as_slice)
    }

    /// Labels on an address or, failing that, inherited from its entity.
    pub fn of_address_or_entity(&self, address: AddrId, analysis: Option<&analysis::Analysis>) -> &[u32] {
        let own = self.of_address(address);
        if !own.is_empty() {
            return own;
        }
        analysis.and_then(|a| a.entity_of(address)).map_or(&[], |e| self.of_entity(e))
    }
}

/// Labelled services (exchanges, custodial services...) as stops for the tracer:
/// an address is a service when it, or its entity, carries a service category.
pub struct ServiceStops<'a> {
    /// The labels.
    pub labels: &'a LabelSet,
    /// The clustering, for entity inheritance.
    pub analysis: Option<&'a analysis::Analysis>,
}

impl trace::Services for ServiceStops<'_> {
    fn service_of(&self, address: AddrId) -> Option<usize> {
        self.labels
            .of_address_or_entity(address, self.analysis)
            .iter()
            .find(|&&n| self.labels.label(n).category.is_service())
            .map(|&n| self.labels.service_of_label(n))
    }

    fn service(&self, id: usize) -> &trace::Service {
        self.labels.service(id)
    }
}
