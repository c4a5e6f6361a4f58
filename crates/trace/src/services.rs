//! Services: where a trail meets a real identity (an exchange, a custodial service)
//! and a trace may stop. The tracer asks the [`Services`] trait; [`LabelFile`] is
//! the simple implementation (a CSV of labelled addresses, with entities inheriting
//! their addresses' labels) until the screening crate's labels implement it too.

use index::{AddrId, AddressKey, Index};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// A labelled service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Service {
    /// Its name (`exchange_b`, `Binance`, ...).
    pub name: String,
    /// Its category (`exchange`, `service`, ...).
    pub category: String,
}

/// Which addresses belong to services.
pub trait Services {
    /// The service an address belongs to (by its own label or its entity's), as an
    /// index into [`Services::service`].
    fn service_of(&self, address: u32) -> Option<usize>;
    /// A service by index.
    fn service(&self, id: usize) -> &Service;
}

/// No services known.
pub struct NoServices;

impl Services for NoServices {
    fn service_of(&self, _: u32) -> Option<usize> {
        None
    }

    fn service(&self, _: usize) -> &Service {
        unreachable!("NoServices has no service")
    }
}

/// Categories where a trail meets an identity: custodial businesses that know
/// their customers.
pub const SERVICE_CATEGORIES: [&str; 5] = ["exchange", "service", "gambling", "mining", "darknet_market"];

/// A labels CSV could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// I/O error.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A row is malformed.
    #[error("{0} line {1}: {2}")]
    Row(PathBuf, usize, String),
}

/// Services from a CSV of `address,label,category` rows (a header row and `#`
/// comments allowed; extra columns ignored). Rows of other categories are kept out;
/// addresses not in the index are skipped.
pub struct LabelFile<'a> {
    services: Vec<Service>,
    by_address: FxHashMap<u32, usize>,
    by_entity: FxHashMap<u32, usize>,
    analysis: Option<&'a analysis::Analysis>,
}

impl<'a> LabelFile<'a> {
    /// Reads `path` against `index`; with `analysis`, every address of a labelled
    /// address's entity belongs to its service too.
    ///
    /// # Errors
    /// When the file cannot be read, or a row names an invalid address or lacks a field.
    pub fn read(path: &Path, index: &Index, analysis: Option<&'a analysis::Analysis>) -> Result<Self, LabelError> {
        let text = std::fs::read_to_string(path).map_err(|e| LabelError::Io(path.to_owned(), e))?;
        let mut file =
            Self { services: Vec::new(), by_address: FxHashMap::default(), by_entity: FxHashMap::default(), analysis };
        let mut names: FxHashMap<(String, String), usize> = FxHashMap::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("address,")) {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let [address, label, category, ..] = fields[..] else {
                return Err(LabelError::Row(path.to_owned(), n + 1, "expected address,label,category".to_owned()));
            };
            if !SERVICE_CATEGORIES.contains(&category) {
                continue;
            }
            let key = AddressKey::parse(address, index.network())
                .map_err(|e| LabelError::Row(path.to_owned(), n + 1, e.to_string()))?;
            let Some(id) = index.address_by_key(&key) else { continue };
            let next = file.services.len();
            let service = *names.entry((label.to_owned(), category.to_owned())).or_insert(next);
            if service == next {
                file.services.push(Service { name: label.to_owned(), category: category.to_owned() });
            }
            file.by_address.insert(id.0, service);
            if let Some(entity) = file.analysis.and_then(|a| a.entity_of(AddrId(id.0))) {
                file.by_entity.insert(entity, service);
            }
        }
        Ok(file)
    }

    /// Number of labelled addresses kept.
    pub fn len(&self) -> usize {
        self.by_address.len()
    }

    /// True when no address is labelled as a service.
    pub fn is_empty(&self) -> bool {
        self.by_address.is_empty()
    }
}

impl Services for LabelFile<'_> {
    fn service_of(&self, address: u32) -> Option<usize> {
        if let Some(&s) = self.by_address.get(&address) {
            return Some(s);
        }
        let entity = self.analysis?.entity_of(AddrId(address))?;
        self.by_entity.get(&entity).copied()
    }

    fn service(&self, id: usize) -> &Service {
        &self.services[id]
    }
}
