//! Investigation cases, kept on the server under the API key that saved them:
//! `<index>/cases/<key id>/<case id>.json`, each replaced atomically. A case is
//! what the UI needs to reopen an investigation (its graph, notes, tags and
//! view), stored as the JSON it sends; the server bounds its size and count.

use std::path::{Path, PathBuf};

/// Most cases one key may keep.
pub const MAX_CASES: usize = 1_000;

/// Longest case id.
pub const MAX_ID: usize = 64;

/// Longest case name, in bytes.
pub const MAX_NAME: usize = 200;

/// A case as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CaseSummary")]
pub struct CaseSummary {
    /// Its id (letters, digits, '-' and '_').
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was last saved (RFC 3339, UTC).
    pub updated: String,
    /// Its size on disk, in bytes.
    pub bytes: u64,
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Case")]
pub struct Case {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was last saved (RFC 3339, UTC).
    pub updated: String,
    /// What the UI saved: graph, notes, tags, view (opaque to the server).
    pub state: serde_json::Value,
}

/// Why a case cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// A malformed id or name; names the field.
    #[error("{message}")]
    Bad {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No such case.
    #[error("no case {0:?} under this key")]
    NotFound(String),
    /// The key keeps [`MAX_CASES`] already.
    #[error("this key keeps {MAX_CASES} cases already: delete one first")]
    Full,
    /// I/O or a damaged file.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: String,
    },
}

/// The cases of every key of the index at a directory.
#[derive(Debug, Clone)]
pub struct CaseStore {
    root: PathBuf,
}

fn valid_name(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn io(path: &Path, cause: impl ToString) -> CaseError {
    CaseError::Io { path: path.to_owned(), cause: cause.to_string() }
}

impl CaseStore {
    /// The store beside the index at `index_dir`.
    pub fn new(index_dir: &Path) -> Self {
        Self { root: index_dir.join("cases") }
    }

    fn dir(&self, owner: &str) -> Result<PathBuf, CaseError> {
        if !valid_name(owner, MAX_ID) {
            return Err(io(&self.root, format!("key id {owner:?} cannot name a folder")));
        }
        Ok(self.root.join(owner))
    }

    fn path(&self, owner: &str, id: &str) -> Result<PathBuf, CaseError> {
        if !valid_name(id, MAX_ID) {
            let message = format!("a case id is 1 to {MAX_ID} letters, digits, '-' or '_'");
            return Err(CaseError::Bad { field: "id", message });
        }
        Ok(self.dir(owner)?.join(format!("{id}.json")))
    }

    /// The cases of `owner` (a key id), most recently saved first.
    ///
    /// # Errors
    /// On I/O errors or a damaged case file.
    pub fn list(&self, owner: &str) -> Result<Vec<CaseSummary>, CaseError> {
        let dir = self.dir(owner)?;
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir, e)),
        };
        let mut cases = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| io(&dir, e))?.path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
            let case: Case = serde_json::from_slice(&bytes).map_err(|e| io(&path, e))?;
            cases.push(CaseSummary { id: case.id, name: case.name, updated: case.updated, bytes: bytes.len() as u64 });
        }
        cases.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
        Ok(cases)
    }

    /// One case of `owner`.
    ///
    /// # Errors
    /// A malformed id, no such case, or a damaged file.
    pub fn get(&self, owner: &str, id: &str) -> Result<Case, CaseError> {
        let path = self.path(owner, id)?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| io(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CaseError::NotFound(id.to_owned())),
            Err(e) => Err(io(&path, e)),
        }
    }

    /// Saves a case of `owner` (creating or replacing it, in one rename).
    ///
    /// # Errors
    /// A malformed id or name, [`MAX_CASES`] reached by a new case, or I/O errors.
    pub fn put(&self, owner: &str, case: &Case) -> Result<CaseSummary, CaseError> {
        let path = self.path(owner, &case.id)?;
        if case.name.trim().is_empty() || case.name.len() > MAX_NAME || case.name.chars().any(char::is_control) {
            let message = format!("a case name is 1 to {MAX_NAME} bytes of printable text");
            return Err(CaseError::Bad { field: "name", message });
        }
        let dir = self.dir(owner)?;
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        if !path.exists() && self.list(owner)?.len() >= MAX_CASES {
            return Err(CaseError::Full);
        }
        let bytes = serde_json::to_vec(case).map_err(|e| io(&path, e))?;
        index::write_atomic_private(&path, &bytes).map_err(|e| io(&path, e))?;
        Ok(CaseSummary {
            id: case.id.clone(),
            name: case.name.clone(),
            updated: case.updated.clone(),
            bytes: bytes.len() as u64,
        })
    }

    /// Deletes a case of `owner`.
    ///
    /// # Errors
    /// A malformed id, no such case, or I/O errors.
    pub fn delete(&self, owner: &str, id: &str) -> Result<(), CaseError> {
        let path = self.path(owner, id)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CaseError::NotFound(id.to_owned())),
            Err(e) => Err(io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, updated: &str) -> Case {
        Case { id: id.into(), name: format!("case {id}"), updated: updated.into(), state: serde_json::json!({"n": 1}) }
    }

    #[test]
    fn cases_are_kept_per_key_and_listed_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = CaseStore::new(dir.path());
        store.put("cs_a", &case("one", "2026-01-01T00:00:00Z")).unwrap();
        store.put("cs_a", &case("two", "2026-01-02T00:00:00Z")).unwrap();
        store.put("cs_b", &case("one", "2026-01-03T00:00:00Z")).unwrap();
        let ids: Vec<String> = store.list("cs_a").unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["two", "one"]);
        assert_eq!(store.get("cs_b", "one").unwrap().updated, "2026-01-03T00:00:00Z");
        store.delete("cs_a", "one").unwrap();
        assert!(matches!(store.get("cs_a", "one"), Err(CaseError::NotFound(_))));
        assert_eq!(store.get("cs_b", "one").unwrap().state["n"], 1, "another key's case is untouched");
    }

    #[test]
    fn ids_and_names_cannot_escape_or_forge() {
        let dir = tempfile::tempdir().unwrap();
        let store = CaseStore::new(dir.path());
        for id in ["../x", "", "a/b", "a.json", &"x".repeat(65)] {
            assert!(matches!(store.put("cs_a", &case(id, "t")), Err(CaseError::Bad { field: "id", .. })), "{id}");
        }
        let mut named = case("ok", "t");
        named.name = "line\nbreak".into();
        assert!(matches!(store.put("cs_a", &named), Err(CaseError::Bad { field: "name", .. })));
        assert!(store.list("../up").is_err());
    }
}
