//! API keys: created once and shown once, stored only as SHA-256 hashes in
//! `<index>/apikeys.json`, revocable.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A stored key: its hash, never the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRecord {
    /// Its id (the first characters of the key, safe to show and log).
    pub id: String,
    /// A name for people.
    pub name: String,
    /// SHA-256 of the key, hex.
    pub sha256: String,
    /// When it was made (RFC 3339).
    pub created: String,
    /// When it was revoked, if it was.
    pub revoked: Option<String>,
}

/// A key store error.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// I/O.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// An unreadable store.
    #[error("{0}: {1}")]
    Corrupt(PathBuf, String),
    /// No such key.
    #[error("no API key {0:?} (see `chainsleuth apikey list`)")]
    Unknown(String),
}

/// The key file of an index.
pub fn keys_path(index_dir: &Path) -> PathBuf {
    index_dir.join("apikeys.json")
}

/// Every stored key.
///
/// # Errors
/// On I/O errors or an unreadable file.
pub fn list(index_dir: &Path) -> Result<Vec<KeyRecord>, KeyError> {
    let path = keys_path(index_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| KeyError::Corrupt(path, e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(KeyError::Io(path, e)),
    }
}

fn save(index_dir: &Path, keys: &[KeyRecord]) -> Result<(), KeyError> {
    let path = keys_path(index_dir);
    let text = serde_json::to_vec_pretty(keys).map_err(|e| KeyError::Corrupt(path.clone(), e.to_string()))?;
    index::write_atomic_private(&path, &text).map_err(|e| KeyError::Io(path, e))
}

/// The SHA-256 of a key, hex.
pub fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes a key: 32 random bytes from the operating system, hex, prefixed `cs_`.
/// Returns the record and the key (shown once, never stored).
///
/// # Errors
/// When the system has no randomness to give, or on I/O errors.
pub fn create(index_dir: &Path, name: &str, now: &str) -> Result<(KeyRecord, String), KeyError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| KeyError::Io(keys_path(index_dir), std::io::Error::other(e.to_string())))?;
    let key = format!("cs_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let record = KeyRecord {
        id: key[..11].to_owned(),
        name: name.to_owned(),
        sha256: hash(&key),
        created: now.to_owned(),
        revoked: None,
    };
    update(index_dir, |keys| {
        keys.push(record.clone());
        Ok(())
    })?;
    Ok((record, key))
}

/// Revokes a key by id.
///
/// # Errors
/// When there is no such key, or on I/O errors.
pub fn revoke(index_dir: &Path, id: &str, now: &str) -> Result<(), KeyError> {
    update(index_dir, |keys| {
        let record = keys.iter_mut().find(|k| k.id == id).ok_or_else(|| KeyError::Unknown(id.to_owned()))?;
        record.revoked.get_or_insert_with(|| now.to_owned());
        Ok(())
    })
}

/// Reads, changes and rewrites the key file under an exclusive lock (on
/// `apikeys.json.lock`), so that concurrent changes cannot undo each other (a
/// create that read the file before a revocation would otherwise write it back).
fn update(index_dir: &Path, change: impl FnOnce(&mut Vec<KeyRecord>) -> Result<(), KeyError>) -> Result<(), KeyError> {
    let path = index_dir.join("apikeys.json.lock");
    let lock = std::fs::File::create(&path).map_err(|e| KeyError::Io(path.clone(), e))?;
    lock.lock().map_err(|e| KeyError::Io(path, e))?;
    let mut keys = list(index_dir)?;
    change(&mut keys)?;
    save(index_dir, &keys)
    // The lock is released when `lock` is closed.
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A revocation racing with creations is never undone, and no creation is lost.
    #[test]
    fn concurrent_changes_do_not_undo_each_other() {
        for _ in 0..8 {
            let dir = tempfile::tempdir().unwrap();
            let (revoked, _) = create(dir.path(), "victim", "t0").unwrap();
            std::thread::scope(|scope| {
                scope.spawn(|| revoke(dir.path(), &revoked.id, "t1").unwrap());
                for n in 0..7 {
                    let dir = dir.path();
                    scope.spawn(move || create(dir, &format!("k{n}"), "t1").unwrap());
                }
            });
            let keys = list(dir.path()).unwrap();
            assert_eq!(keys.len(), 8);
            let victim = keys.iter().find(|k| k.id == revoked.id).unwrap();
            assert_eq!(victim.revoked.as_deref(), Some("t1"));
        }
    }
}
