//! The audit log: one JSON line per API request, refusals included, appended to
//! `<index>/audit.log` before the answer goes out.
//!
//! - A record is written with one `write` on a file opened for appending, so
//!   records of concurrent requests never interleave; a record torn by a crash
//!   is closed with a newline when the log is opened again, so it cannot run
//!   into the next one.
//! - A record names the answer by its SHA-256 and size (and a short summary,
//!   such as a screening's risk level), not by the answer itself.
//! - Past `max_bytes` the log is rotated: `audit.log` becomes `audit.log.1`,
//!   `.1` becomes `.2`, and so on up to [`KEPT_FILES`].
//! - A record that cannot be written is an error for the caller, who refuses
//!   the answer unless configured to fail open.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Rotated files kept beside the current one.
pub const KEPT_FILES: u32 = 9;

/// An append-only, size-rotated log of requests.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    max_bytes: u64,
    /// The open file and its size.
    file: Mutex<(File, u64)>,
}

/// One request as the log records it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Record<'a> {
    /// When (RFC 3339, UTC, microseconds).
    pub time: String,
    /// The key's id, `null` when no valid key came with the request.
    pub key: Option<&'a str>,
    /// Method and route, such as `GET /v1/screen/{subject}`.
    pub endpoint: &'a str,
    /// The path and query as sent (at most 2 KiB).
    pub target: &'a str,
    /// The request as the handler read it (`null` when refused before).
    pub request: &'a serde_json::Value,
    /// The HTTP status answered.
    pub status: u16,
    /// The error code, for an error answer.
    pub error: Option<&'a str>,
    /// SHA-256 of the answer's body, hex.
    pub answer_sha256: String,
    /// Its size in bytes.
    pub answer_bytes: usize,
    /// A short summary of the answer (a screening's risk), `null` otherwise.
    pub summary: &'a serde_json::Value,
    /// The index generation it was answered from.
    pub generation: Option<u64>,
}

impl AuditLog {
    /// Opens (or creates) the log for appending, mode 0600, rotating it past
    /// `max_bytes`, and closes a record a crash left torn.
    ///
    /// # Errors
    /// When the file cannot be opened or repaired.
    pub fn open(path: &Path, max_bytes: u64) -> std::io::Result<Self> {
        let mut file = open_append(path)?;
        let metadata = file.metadata()?;
        // A log made before (by hand, or an older version) is made private too.
        #[cfg(unix)]
        if metadata.is_file() {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        let mut size = metadata.len();
        if size > 0 && last_byte(path)? != Some(b'\n') {
            file.write_all(b"\n")?;
            size += 1;
        }
        Ok(Self { path: path.to_owned(), max_bytes: max_bytes.max(1), file: Mutex::new((file, size)) })
    }

    /// Appends one record as one line.
    ///
    /// # Errors
    /// When it cannot be written whole.
    pub fn record(&self, record: &Record<'_>) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut guard = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.1 > 0 && guard.1 + line.len() as u64 > self.max_bytes {
            rotate(&self.path)?;
            *guard = (open_append(&self.path)?, 0);
        }
        // One write: with O_APPEND the kernel places it whole at the end.
        let written = guard.0.write(&line)?;
        guard.1 += written as u64;
        if written != line.len() {
            return Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "the audit record was cut short"));
        }
        Ok(())
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    // It holds who asked what: the owner's alone.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn last_byte(path: &Path) -> std::io::Result<Option<u8>> {
    let mut file = File::open(path)?;
    if file.seek(SeekFrom::End(0))? == 0 {
        return Ok(None);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut byte = [0u8];
    file.read_exact(&mut byte)?;
    Ok(Some(byte[0]))
}

/// `audit.log.N` for N = 1 to [`KEPT_FILES`].
fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Shifts the rotated files by one (the oldest is dropped) and moves the
/// current file to `.1`.
fn rotate(path: &Path) -> std::io::Result<()> {
    for n in (1..KEPT_FILES).rev() {
        match std::fs::rename(rotated(path, n), rotated(path, n + 1)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    std::fs::rename(path, rotated(path, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u64) -> Record<'static> {
        static NULL: serde_json::Value = serde_json::Value::Null;
        Record {
            time: "t".into(),
            key: Some("cs_0123"),
            endpoint: "GET /v1/screen/{subject}",
            target: "/v1/screen/x",
            request: &NULL,
            status: 200,
            error: None,
            answer_sha256: "00".repeat(32),
            answer_bytes: 10,
            summary: &NULL,
            generation: Some(n),
        }
    }

    #[test]
    fn a_torn_record_is_closed_before_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, b"{\"time\":\"t\",\"key\":").unwrap();
        let log = AuditLog::open(&path, 1 << 20).unwrap();
        log.record(&record(1)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(serde_json::from_str::<serde_json::Value>(lines[0]).is_err(), "the torn one");
        assert_eq!(serde_json::from_str::<serde_json::Value>(lines[1]).unwrap()["generation"], 1);
    }

    #[test]
    fn the_log_rotates_by_size_and_keeps_a_bounded_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path, 600).unwrap();
        for n in 0..100 {
            log.record(&record(n)).unwrap();
        }
        for n in 1..=KEPT_FILES {
            assert!(rotated(&path, n).exists(), "{n}");
        }
        assert!(!rotated(&path, KEPT_FILES + 1).exists());
        for file in std::iter::once(path.clone()).chain((1..=KEPT_FILES).map(|n| rotated(&path, n))) {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(text.len() <= 600 && !text.is_empty(), "{}", file.display());
            assert!(text.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
        }
        let newest = std::fs::read_to_string(&path).unwrap();
        assert!(newest.contains("\"generation\":99"));
    }

    #[test]
    fn a_failed_write_is_an_error() {
        let log = AuditLog::open(Path::new("/dev/full"), u64::MAX).unwrap();
        assert!(log.record(&record(1)).is_err());
    }
}
