//! Disk use of an index: per file, and per input+output with and without the hash
//! data (txids, block hashes and headers, address payloads) and lookup tables.

use crate::reader::Index;
use crate::schema::COLUMNS;

/// Columns that hold hashes: the 48-bytes-per-input+output budget excludes them,
/// as it excludes the lookup tables.
const HASH_COLUMNS: &[&str] = &["block_hash", "block_header", "tx_txid", "addr_payload"];

/// Bytes on disk.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DiskUsage {
    /// (file, committed bytes) for every column, table and history segment.
    pub files: Vec<(String, u64)>,
    /// Columns and history without hash columns and tables.
    pub core_bytes: u64,
    /// Hash columns.
    pub hash_bytes: u64,
    /// Lookup tables (txid, address).
    pub table_bytes: u64,
    /// Everything.
    pub total_bytes: u64,
    /// `core_bytes` per input and output.
    pub bytes_per_io_core: f64,
    /// `total_bytes` per input and output.
    pub bytes_per_io_total: f64,
}

/// Measures an index.
pub fn disk_usage(index: &Index) -> DiskUsage {
    let mut files = Vec::new();
    let (mut core, mut hashes, mut tables) = (0u64, 0u64, 0u64);
    for (name, _, _) in COLUMNS {
        let bytes = index.columns.bytes_of(name).map_or(0, |b| b.len() as u64);
        if HASH_COLUMNS.contains(name) {
            hashes += bytes
        } else {
            core += bytes
        }
        files.push((format!("columns/{name}.col"), bytes));
    }
    for table in ["txid.tbl", "address.tbl"] {
        let bytes = std::fs::metadata(index.dir().join(table)).map_or(0, |m| m.len());
        tables += bytes;
        files.push((table.to_owned(), bytes));
    }
    for segment in &index.manifest.segments {
        let bytes = std::fs::metadata(index.dir().join("history").join(&segment.file)).map_or(0, |m| m.len());
        core += bytes;
        files.push((format!("history/{}", segment.file), bytes));
    }
    let n = index.counts();
    let io = (n.inputs + n.outputs).max(1) as f64;
    let total = core + hashes + tables;
    DiskUsage {
        files,
        core_bytes: core,
        hash_bytes: hashes,
        table_bytes: tables,
        total_bytes: total,
        bytes_per_io_core: core as f64 / io,
        bytes_per_io_total: total as f64 / io,
    }
}
