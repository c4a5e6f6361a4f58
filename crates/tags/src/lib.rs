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

/// Reads a label file's text, bzip2-compressed or not (OFAC's SDN XML is often
/// fetched as `.bz2`).
fn read_text(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Read;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.starts_with(b"BZh") {
        let mut text = String::new();
        bzip2::read::MultiBzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .with_context(|| format!("{}: not a bzip2 file of UTF-8 text", path.display()))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8 text", path.display()))
    }
}

/// Parses a label file (bzip2-compressed or not) as `source`; `today` dates
/// labels whose file gives no date.
///
/// # Errors
/// When the file cannot be read or decompressed, or is not in the format at all.
pub fn read_file(path: &std::path::Path, format: Format, source: &str, today: &str) -> anyhow::Result<Parsed> {
    use anyhow::Context;
    import::parse(format, &read_text(path)?, source, today).with_context(|| format!("{}", path.display()))
}

/// Imports a label file as `source`, replacing any earlier import of that source;
/// `today` (YYYY-MM-DD) dates labels whose file gives no date.
///
/// # Errors
/// When the file cannot be read or is not in the format at all, or on I/O errors
/// writing the store. Invalid rows do not fail the import: they are reported.
pub fn import_file(
    index_dir: &std::path::Path,
    path: &std::path::Path,
    format: Format,
    source: &str,
    now: &str,
) -> anyhow::Result<ImportReport> {
    let today = now.get(..10).unwrap_or(now);
    let parsed = read_file(path, format, source, today)?;
    save_parsed(index_dir, path, format, source, now, parsed)
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
) -> anyhow::Result<ImportReport> {
    use anyhow::Context;
    let today = now.get(..10).unwrap_or(now);
    let parsed = import::parse_csv(&read_text(path)?, source, today, Subjects::Monero)
        .with_context(|| format!("{}", path.display()))?;
    save_parsed(index_dir, path, Format::Csv, source, now, parsed)
}

fn save_parsed(
    index_dir: &std::path::Path,
    path: &std::path::Path,
    format: Format,
    source: &str,
    now: &str,
    parsed: Parsed,
) -> anyhow::Result<ImportReport> {
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
    })
}
