//! The audit log: one JSON line per screening request and its answer, appended to
//! `<index>/audit.log` and flushed before the answer goes out.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// An append-only log of screenings.
#[derive(Debug)]
pub struct AuditLog {
    file: Mutex<BufWriter<File>>,
}

impl AuditLog {
    /// Opens (or creates) the log for appending.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        // It holds who asked what: the owner's alone.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).with_context(|| format!("cannot open the audit log {}", path.display()))?;
        Ok(Self { file: Mutex::new(BufWriter::new(file)) })
    }

    /// Records a request by `key` (its id) to `endpoint` and its answer.
    pub fn record(&self, key: &str, endpoint: &str, request: &serde_json::Value, answer: &serde_json::Value) {
        let line = serde_json::json!({
            "time": humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
            "key": key, "endpoint": endpoint, "request": request, "answer": answer,
        });
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let written = serde_json::to_writer(&mut *file, &line).map_err(std::io::Error::from).and_then(|()| {
            file.write_all(b"\n")?;
            file.flush()
        });
        if let Err(e) = written {
            log::error!("cannot write the audit log: {e}");
        }
    }
}
