//! Outside knowledge: labels from OFAC's sanctions lists, GraphSense TagPacks and
//! CSV files, sorted into a small category taxonomy; exposure of addresses and
//! transactions to labelled entities; and explained risk scores from a documented
//! rule set.
//!
//! - [`taxonomy`]: the categories, and TagPack concepts mapped onto them.
//! - [`import`]: the label file formats.
//! - [`store`]: labels on disk beside the index, and loaded for lookups.
//! - [`risk`]: the rules (`chainsleuth.toml`) and levels.
//! - [`screen`]: identifications, exposures and risk for a subject.
//! - [`monero`]: the same for Monero's subjects (output keys, txids), with
//!   exposure as a chance through rings.

pub mod import;
pub mod monero;
pub mod risk;
pub mod screen;
pub mod store;
pub mod taxonomy;

pub use import::{Format, Label, Parsed, Rejected, Subjects};
pub use risk::{RiskConfig, RiskLevel};
pub use screen::{Directions, ScreenOptions, ScreenReport, Screener};
pub use store::{ImportReport, LabelSet, ServiceStops, SourceFile};
pub use taxonomy::Category;

/// Largest label file read, as stored or once decompressed (OFAC's SDN XML
/// is about 100 MB).
pub const MAX_FILE_BYTES: u64 = 512 << 20;
/// Longest line in a label file.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Why a label file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// It cannot be read.
    #[error("cannot read {}: {cause}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// It is larger than [`MAX_FILE_BYTES`], stored or decompressed.
    #[error("{}: {} than {} MiB, the limit: refused", path.display(), if *decompressed { "decompresses to more" } else { "larger" }, limit >> 20)]
    TooLarge {
        /// The file.
        path: std::path::PathBuf,
        /// True when the limit was met decompressing it.
        decompressed: bool,
        /// The limit in bytes.
        limit: u64,
    },
    /// A line is longer than [`MAX_LINE_BYTES`].
    #[error("{} line {line}: longer than {} KiB, the limit: refused", path.display(), limit >> 10)]
    LineTooLong {
        /// The file.
        path: std::path::PathBuf,
        /// The line (1-based).
        line: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// It is not UTF-8 text (after decompression).
    #[error("{}: not UTF-8 text", path.display())]
    NotText {
        /// The file.
        path: std::path::PathBuf,
    },
    /// It is not in the format.
    #[error("{}: {cause}", path.display())]
    Format {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        cause: import::FormatError,
    },
    /// A row the file's format does not allow (a labels file read for one
    /// command, not imported, must be wholly valid).
    #[error("{} line {line}: {reason}", path.display())]
    Row {
        /// The file.
        path: std::path::PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The label store cannot be written.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// An investigator's label that cannot be stored (an address of another
    /// network, a source that is not an investigator's).
    #[error("{0}")]
    Investigator(String),
}

/// Reads a label file's text, bzip2-compressed or not (OFAC's SDN XML is often
/// fetched as `.bz2`), refusing one larger than [`MAX_FILE_BYTES`] (stored or
/// decompressed: a few hundred bytes of bzip2 can expand to gigabytes) or with
/// a line longer than [`MAX_LINE_BYTES`].
fn read_text(path: &std::path::Path) -> Result<String, ImportError> {
    read_text_within(path, MAX_FILE_BYTES, MAX_LINE_BYTES)
}

/// [`read_text`] with the limits given.
fn read_text_within(path: &std::path::Path, max_bytes: u64, max_line: usize) -> Result<String, ImportError> {
    use std::io::Read;
    let io = |cause| ImportError::Io { path: path.to_owned(), cause };
    let too_large = |decompressed| ImportError::TooLarge { path: path.to_owned(), decompressed, limit: max_bytes };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(false));
    }
    if bytes.starts_with(b"BZh") {
        let mut text = Vec::new();
        bzip2::read::MultiBzDecoder::new(bytes.as_slice()).take(max_bytes + 1).read_to_end(&mut text).map_err(io)?;
        if text.len() as u64 > max_bytes {
            return Err(too_large(true));
        }
        bytes = text;
    }
    if let Some((n, _)) = bytes.split(|&b| b == b'\n').enumerate().find(|(_, line)| line.len() > max_line) {
        return Err(ImportError::LineTooLong { path: path.to_owned(), line: n + 1, limit: max_line });
    }
    String::from_utf8(bytes).map_err(|_| ImportError::NotText { path: path.to_owned() })
}

/// Parses a label file (bzip2-compressed or not) as `source`; `today` dates
/// labels whose file gives no date.
///
/// # Errors
/// When the file cannot be read or decompressed, or is not in the format at all.
pub fn read_file(path: &std::path::Path, format: Format, source: &str, today: &str) -> Result<Parsed, ImportError> {
    import::parse(format, &read_text(path)?, source, today)
        .map_err(|cause| ImportError::Format { path: path.to_owned(), cause })
}

/// The labels of one file, read as `tags import` reads it (the same parser,
/// categories and limits) but not stored: the services `trace --labels FILE`
/// stops at, resolved against `index` (and its entities in `analysis`).
///
/// # Errors
/// As [`read_file`], and for the first row the format does not allow.
pub fn read_labels(
    path: &std::path::Path,
    format: Format,
    index: &index::Index,
    analysis: Option<&analysis::Analysis>,
) -> Result<LabelSet, ImportError> {
    let parsed = read_file(path, format, "file", "")?;
    if let Some(r) = parsed.rejected.first() {
        return Err(ImportError::Row { path: path.to_owned(), line: r.line, reason: r.reason.clone() });
    }
    let mut set = LabelSet::default();
    for label in parsed.labels {
        set.add(label, index, analysis);
    }
    Ok(set)
}

/// Imports a label file as `source`, replacing any earlier import of that source;
/// `today` (YYYY-MM-DD) dates labels whose file gives no date.
///
/// # Errors
/// When the file cannot be read or is not in the format at all, or on I/O errors
/// writing the store. Invalid rows do not fail the import: they are reported.
pub fn import_file(
    index_dir: &std::path::Path,
    network: chain::Network,
    path: &std::path::Path,
    format: Format,
    source: &str,
    now: &str,
) -> Result<ImportReport, ImportError> {
    let today = now.get(..10).unwrap_or(now);
    let parsed = read_file(path, format, source, today)?;
    let other_network = parsed
        .labels
        .iter()
        .zip(&parsed.lines)
        .filter(|(label, _)| chain::address::to_script(&label.address, network).is_err())
        .map(|(label, &line)| {
            let local = chain::address::to_script_any_network(&label.address)
                .and_then(|script| chain::address::of_script(&script, network));
            let reason = match local {
                Some(local) => format!(
                    "{} is not a {network} address: the label applies to its script, which this index writes {local} (screen that)",
                    label.address
                ),
                None => format!("{} is not a {network} address: no output of this index can carry it", label.address),
            };
            Rejected { line, reason }
        })
        .collect();
    let mut report = save_parsed(index_dir, path, format, source, now, parsed)?;
    report.other_network = other_network;
    Ok(report)
}

/// Imports a CSV of Monero subjects (output keys, txids, `txid:n`) into the
/// label store of the Monero index at `index_dir`, as [`import_file`] does.
///
/// # Errors
/// As [`import_file`].
pub fn import_monero_csv(
    index_dir: &std::path::Path,
    path: &std::path::Path,
    source: &str,
    now: &str,
) -> Result<ImportReport, ImportError> {
    let today = now.get(..10).unwrap_or(now);
    let parsed = import::parse_csv(&read_text(path)?, source, today, Subjects::Monero)
        .map_err(|cause| ImportError::Format { path: path.to_owned(), cause })?;
    save_parsed(index_dir, path, Format::Csv, source, now, parsed)
}

/// Saves labels inferred from the chain (services by behaviour) as the source
/// `source`, replacing any earlier inference.
///
/// # Errors
/// On I/O errors or a bad source name.
pub fn save_inferred(
    index_dir: &std::path::Path,
    source: &str,
    now: &str,
    labels: Vec<Label>,
) -> Result<ImportReport, ImportError> {
    let parsed = Parsed { lines: vec![0; labels.len()], labels, rejected: Vec::new() };
    save_parsed(index_dir, std::path::Path::new("(inferred from the chain)"), Format::Inferred, source, now, parsed)
}

/// Adds (or, for an address it labels already, replaces) one investigator's
/// label in the source `source`, which holds only labels added this way; the
/// label's address must be one of `network`. Returns the source's labels.
/// Callers serialize changes to one source (a read, change and atomic rewrite).
///
/// # Errors
/// An address of another network, a source that was imported from a file, or
/// I/O errors.
pub fn put_investigator_label(
    index_dir: &std::path::Path,
    network: chain::Network,
    source: &str,
    now: &str,
    label: Label,
) -> Result<Vec<Label>, ImportError> {
    if chain::address::to_script(&label.address, network).is_err() {
        return Err(ImportError::Investigator(format!("{} is not a {network} address", label.address)));
    }
    let mut labels = investigator_labels(index_dir, source)?;
    labels.retain(|l| l.address != label.address);
    labels.push(label);
    save_investigator(index_dir, source, now, labels)
}

/// Removes an investigator's label of `address` from `source`; returns the
/// source's labels.
///
/// # Errors
/// A source imported from a file, or I/O errors.
pub fn remove_investigator_label(
    index_dir: &std::path::Path,
    source: &str,
    now: &str,
    address: &str,
) -> Result<Vec<Label>, ImportError> {
    let mut labels = investigator_labels(index_dir, source)?;
    labels.retain(|l| l.address != address);
    save_investigator(index_dir, source, now, labels)
}

/// The labels of an investigator's source (none when it does not exist yet).
///
/// # Errors
/// A source of that name imported from a file, or I/O errors.
pub fn investigator_labels(index_dir: &std::path::Path, source: &str) -> Result<Vec<Label>, ImportError> {
    let existing = store::sources(index_dir)?.into_iter().find(|f| f.source == source);
    match existing {
        None => Ok(Vec::new()),
        Some(file) if file.format == Format::Investigator => Ok(file.labels),
        Some(file) => Err(ImportError::Investigator(format!(
            "source {source:?} was imported from {} and is not an investigator's",
            file.file
        ))),
    }
}

fn save_investigator(
    index_dir: &std::path::Path,
    source: &str,
    now: &str,
    labels: Vec<Label>,
) -> Result<Vec<Label>, ImportError> {
    let file = SourceFile {
        source: source.to_owned(),
        format: Format::Investigator,
        file: "(added by an investigator)".to_owned(),
        imported_at: now.to_owned(),
        rejected: 0,
        labels,
    };
    store::save(index_dir, &file)?;
    Ok(file.labels)
}

fn save_parsed(
    index_dir: &std::path::Path,
    path: &std::path::Path,
    format: Format,
    source: &str,
    now: &str,
    parsed: Parsed,
) -> Result<ImportReport, ImportError> {
    let mut categories = std::collections::BTreeMap::new();
    for label in &parsed.labels {
        *categories.entry(label.category).or_insert(0) += 1;
    }
    let file = SourceFile {
        source: source.to_owned(),
        format,
        file: path.display().to_string(),
        imported_at: now.to_owned(),
        rejected: parsed.rejected.len(),
        labels: parsed.labels,
    };
    store::save(index_dir, &file)?;
    Ok(ImportReport {
        source: source.to_owned(),
        format,
        imported: file.labels.len(),
        categories,
        rejected: parsed.rejected,
        other_network: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_bzip2_bomb_is_refused_by_its_decompressed_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.txt.bz2");
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        encoder.write_all(&vec![b'1'; 4 << 20]).unwrap();
        let compressed = encoder.finish().unwrap();
        assert!(compressed.len() < 1_000, "{} bytes", compressed.len());
        std::fs::write(&path, &compressed).unwrap();
        let err = read_text_within(&path, 1 << 20, usize::MAX).unwrap_err().to_string();
        assert!(err.contains("bomb.txt.bz2") && err.contains("decompresses to more than 1 MiB"), "{err}");
        assert_eq!(read_text_within(&path, 8 << 20, usize::MAX).unwrap().len(), 4 << 20);
    }

    #[test]
    fn a_file_too_large_or_with_a_line_too_long_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.csv");
        std::fs::write(&path, format!("a,b,theft\n{}\n", "x".repeat(5_000))).unwrap();
        let err = read_text_within(&path, 1 << 20, 4_096).unwrap_err().to_string();
        assert!(err.contains("labels.csv line 2: longer than 4 KiB"), "{err}");
        let err = read_text_within(&path, 1_000, usize::MAX).unwrap_err().to_string();
        assert!(err.contains("labels.csv: larger than"), "{err}");
        assert!(read_text_within(&path, 1 << 20, 8_192).is_ok());
    }
}
