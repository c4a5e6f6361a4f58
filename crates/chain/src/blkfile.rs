//! Bitcoin Core's blk*.dat files: the xor.dat obfuscation key, and locating block
//! records (magic, size, block) inside a file the way `-reindex` does.
//!
//! Files are read with plain `read` calls, not memory-mapped: Bitcoin Core truncates
//! a blk file's preallocated tail when it moves to the next file, and touching a
//! mapped page past the new end would kill the process with SIGBUS. The copy costs a
//! few percent of a scan (see `benches/decode.rs`).

use crate::network::Network;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bitcoin Core's `MAX_BLOCK_SERIALIZED_SIZE`: larger records are garbage.
pub const MAX_BLOCK_SIZE: u32 = 4_000_000;
/// Smallest possible block: a header and one transaction.
const MIN_BLOCK_SIZE: u32 = 80 + 1 + 10;
/// Size of a record header: 4-byte magic, 4-byte little-endian block size.
pub const RECORD_HEADER_SIZE: u64 = 8;

/// The 8-byte key Bitcoin Core 28+ XORs over blk and rev files (blocks/xor.dat),
/// indexed by absolute file offset. An all-zero key means plain files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XorKey(pub [u8; 8]);

impl XorKey {
    /// Reads `xor.dat` from a blocks directory; a missing file means no obfuscation.
    ///
    /// # Errors
    /// When the file exists but cannot be read or is not 8 bytes long.
    pub fn load(blocks_dir: &Path) -> Result<Self, ReadError> {
        let path = blocks_dir.join("xor.dat");
        match std::fs::read(&path) {
            Ok(bytes) => <[u8; 8]>::try_from(bytes.as_slice())
                .map(Self)
                .map_err(|_| ReadError::BadXorKey { path, len: bytes.len() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(cause) => Err(ReadError::Io { path, cause }),
        }
    }

    /// True when the key leaves the data unchanged.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }

    /// XORs the key over `buf`, which starts at absolute `file_offset`.
    /// Applying it twice restores the input.
    pub fn apply(&self, buf: &mut [u8], file_offset: u64) {
        if self.is_zero() {
            return;
        }
        let shift = (file_offset % 8) as usize;
        let mut rotated = [0u8; 8];
        for (i, byte) in rotated.iter_mut().enumerate() {
            *byte = self.0[(shift + i) % 8];
        }
        let word = u64::from_le_bytes(rotated);
        let mut chunks = buf.chunks_exact_mut(8);
        for chunk in &mut chunks {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            chunk.copy_from_slice(&(u64::from_le_bytes(bytes) ^ word).to_le_bytes());
        }
        for (byte, key) in chunks.into_remainder().iter_mut().zip(rotated) {
            *byte ^= key;
        }
    }
}

/// Where a block sits in the blocks directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockLocation {
    /// The blk file number (`blk00042.dat` is 42).
    pub file: u32,
    /// Offset of the block's first byte (after the record header) in the file.
    pub offset: u64,
    /// Size of the block in bytes.
    pub size: u32,
}

/// Something unusual the reader skipped, as Bitcoin Core's `-reindex` would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    /// The file it was found in.
    pub file: PathBuf,
    /// Offset in the file.
    pub offset: u64,
    /// What was skipped.
    pub message: String,
}

impl std::fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} offset {}: {}", self.file.display(), self.offset, self.message)
    }
}

/// An error reading a blocks directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// An I/O error on a file.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// xor.dat of the wrong length.
    #[error("{}: xor key must be 8 bytes, found {len}", path.display())]
    BadXorKey {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// A record of another network than the one asked for.
    #[error("{} offset {offset}: record has {found} magic, but the network is {expected} (use --network {found})", path.display())]
    WrongNetwork {
        /// The file.
        path: PathBuf,
        /// Offset of the record.
        offset: u64,
        /// The network whose magic was found.
        found: Network,
        /// The network asked for.
        expected: Network,
    },
    /// The directory holds no blk files.
    #[error("{}: no blk*.dat files found (is this a Bitcoin Core blocks directory?)", path.display())]
    NoBlockFiles {
        /// The directory.
        path: PathBuf,
    },
    /// A block record that does not decode.
    #[error("{} offset {offset}: {cause}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// Offset of the block in the file.
        offset: u64,
        /// The decoding error (field, offset in the block, transaction).
        cause: crate::error::DecodeError,
    },
    /// A block of another chain's format that does not decode.
    #[error("{} offset {offset}: {message}", path.display())]
    Undecodable {
        /// The file.
        path: PathBuf,
        /// Offset of the block in the file.
        offset: u64,
        /// What does not decode (field, offset in the block, transaction).
        message: String,
    },
    /// A blocks directory of a chain this reader does not decode.
    #[error("{}: {network} blocks: this reads Bitcoin's only (scan and decode read Zcash's; its index is not built yet)", path.display())]
    OtherChain {
        /// The directory.
        path: PathBuf,
        /// Its network.
        network: Network,
    },
    /// A block that fails a `--verify` check.
    #[error("{} offset {offset}: block {hash}: {cause}", path.display())]
    Verify {
        /// The file.
        path: PathBuf,
        /// Offset of the block in the file.
        offset: u64,
        /// The block hash.
        hash: crate::hash::BlockHash,
        /// The failed check.
        cause: Box<crate::block::VerifyError>,
    },
    /// The block a location points to is no longer there or changed.
    #[error("{} offset {offset}: expected a block of {size} bytes, found only {found}", path.display())]
    BlockMissing {
        /// The file.
        path: PathBuf,
        /// Offset of the block.
        offset: u64,
        /// Expected size.
        size: u32,
        /// Bytes found.
        found: usize,
    },
}

/// One blk file's contents, de-obfuscated, with the records found in it.
#[derive(Debug)]
pub struct BlkFile {
    /// The file number.
    pub number: u32,
    /// Its path.
    pub path: PathBuf,
    data: Vec<u8>,
    /// The blocks found, in file order.
    pub blocks: Vec<BlockLocation>,
    /// What was skipped.
    pub warnings: Vec<ReadWarning>,
    /// True when the last record was cut short, as when a node is still writing it.
    pub incomplete_tail: bool,
    /// Offset where the file's zero padding (on disk, before de-obfuscation) starts.
    padding_start: u64,
}

impl BlkFile {
    /// Reads and de-obfuscates a whole blk file and locates its records.
    ///
    /// # Errors
    /// On I/O errors, and when a record carries another network's magic.
    pub fn read(path: &Path, number: u32, key: XorKey, network: Network) -> Result<Self, ReadError> {
        Self::read_into(path, number, key, network, Vec::new())
    }

    /// As [`Self::read`], reusing `buffer` (see [`Self::into_buffer`]): a buffer whose
    /// pages are already mapped saves the kernel faulting in and zeroing a fresh one
    /// per file, which costs more than the read itself.
    ///
    /// # Errors
    /// As [`Self::read`].
    pub fn read_into(
        path: &Path,
        number: u32,
        key: XorKey,
        network: Network,
        mut data: Vec<u8>,
    ) -> Result<Self, ReadError> {
        let io_err = |cause| ReadError::Io { path: path.to_owned(), cause };
        let mut file = File::open(path).map_err(io_err)?;
        data.clear();
        data.reserve(file.metadata().map(|m| m.len() as usize).unwrap_or(0));
        file.read_to_end(&mut data).map_err(io_err)?;
        // Padding is zero on disk, before de-obfuscation.
        let padding_start = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        key.apply(&mut data, 0);
        let mut file = Self {
            number,
            path: path.to_owned(),
            data,
            blocks: Vec::new(),
            warnings: Vec::new(),
            incomplete_tail: false,
            padding_start: padding_start as u64,
        };
        file.locate_records(padding_start, network)?;
        Ok(file)
    }

    /// Gives the file's buffer back for the next [`Self::read_into`].
    pub fn into_buffer(self) -> Vec<u8> {
        self.data
    }

    /// The bytes of a block located in this file.
    pub fn block(&self, location: &BlockLocation) -> &[u8] {
        let start = location.offset as usize;
        &self.data[start..start + location.size as usize]
    }

    /// Total bytes of the file that hold records.
    pub fn record_bytes(&self) -> u64 {
        self.blocks.iter().map(|b| u64::from(b.size) + RECORD_HEADER_SIZE).sum()
    }

    /// True when a block runs into the file's zero padding: if such a block fails to
    /// decode, the node was still writing it (or crashed while doing so).
    pub fn reaches_padding(&self, location: &BlockLocation) -> bool {
        location.offset + u64::from(location.size) > self.padding_start
    }

    /// Records a skipped block (see [`Self::reaches_padding`]).
    pub fn skip_incomplete(&mut self, location: &BlockLocation, reason: &str) {
        self.warn(
            location.offset as usize - RECORD_HEADER_SIZE as usize,
            format!("incomplete last block ({reason}), skipped"),
        );
        self.incomplete_tail = true;
    }

    fn warn(&mut self, offset: usize, message: String) {
        let warning = ReadWarning { file: self.path.clone(), offset: offset as u64, message };
        log::warn!("{warning}");
        self.warnings.push(warning);
    }

    fn locate_records(&mut self, padding_start: usize, network: Network) -> Result<(), ReadError> {
        let magic = network.magic();
        let len = self.data.len();
        let mut pos = 0usize;
        while pos < padding_start {
            if pos + 8 > len {
                self.warn(pos, format!("truncated record header ({} bytes before end of file), skipped", len - pos));
                self.incomplete_tail = true;
                break;
            }
            let found: [u8; 4] = self.data[pos..pos + 4].try_into().unwrap_or_default();
            let size = u32::from_le_bytes(self.data[pos + 4..pos + 8].try_into().unwrap_or_default());
            if found == magic && (MIN_BLOCK_SIZE..=MAX_BLOCK_SIZE).contains(&size) {
                let end = pos + 8 + size as usize;
                if end > len {
                    self.warn(
                        pos,
                        format!(
                            "truncated record: block of {size} bytes runs {} bytes past end of file, skipped",
                            end - len
                        ),
                    );
                    self.incomplete_tail = true;
                    break;
                }
                self.blocks.push(BlockLocation { file: self.number, offset: (pos + 8) as u64, size });
                pos = end;
                continue;
            }
            if found != magic
                && let Some(other) = Network::from_magic(found)
            {
                return Err(ReadError::WrongNetwork {
                    path: self.path.clone(),
                    offset: pos as u64,
                    found: other,
                    expected: network,
                });
            }
            // Garbage: skip to the next magic, as -reindex does.
            let next = self.data[pos + 1..padding_start].windows(4).position(|w| w == magic).map(|i| pos + 1 + i);
            let what = if found == magic {
                format!("record with implausible size {size}")
            } else {
                "bytes without a record magic".to_owned()
            };
            match next {
                Some(next) => {
                    self.warn(pos, format!("{what}: skipped {} bytes to the next record", next - pos));
                    pos = next;
                }
                None => {
                    self.warn(pos, format!("{what}: skipped the last {} bytes of data", padding_start - pos));
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Reads one block's bytes from its file (positioned read, de-obfuscated).
///
/// # Errors
/// On I/O errors or when the file no longer holds the whole block.
pub fn read_block_at(path: &Path, location: &BlockLocation, key: XorKey, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    let io_err = |cause| ReadError::Io { path: path.to_owned(), cause };
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(location.offset)).map_err(io_err)?;
    buf.clear();
    file.take(u64::from(location.size)).read_to_end(buf).map_err(io_err)?;
    if buf.len() != location.size as usize {
        return Err(ReadError::BlockMissing {
            path: path.to_owned(),
            offset: location.offset,
            size: location.size,
            found: buf.len(),
        });
    }
    key.apply(buf, location.offset);
    Ok(())
}

/// Bitcoin Core's `MAX_BLOCKFILE_SIZE`: a new blk file starts when a block would
/// not fit in the current one.
pub const MAX_BLOCKFILE_SIZE: u64 = 0x800_0000;
/// Bitcoin Core preallocates blk files in chunks of this size (`BLOCKFILE_CHUNK_SIZE`).
pub const BLOCKFILE_CHUNK_SIZE: u64 = 0x100_0000;

/// Writes blocks as Bitcoin Core does: records of magic, size and block, rolled to a
/// new `blkNNNNN.dat` at [`MAX_BLOCKFILE_SIZE`], obfuscated with the xor key (written
/// to `xor.dat` when not zero), and the last file zero-padded to a whole chunk.
#[derive(Debug)]
pub struct BlkWriter {
    dir: PathBuf,
    magic: [u8; 4],
    key: XorKey,
    max_file_size: u64,
    number: u32,
    file: io::BufWriter<File>,
    pos: u64,
    scratch: Vec<u8>,
}

impl BlkWriter {
    /// Creates `dir` (if needed), `xor.dat` (for a non-zero key) and `blk00000.dat`.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn create(dir: &Path, network: Network, key: XorKey, max_file_size: u64) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        if !key.is_zero() {
            std::fs::write(dir.join("xor.dat"), key.0)?;
        }
        let file = io::BufWriter::with_capacity(1 << 20, File::create(dir.join("blk00000.dat"))?);
        Ok(Self {
            dir: dir.to_owned(),
            magic: network.magic(),
            key,
            max_file_size,
            number: 0,
            file,
            pos: 0,
            scratch: Vec::new(),
        })
    }

    /// Appends a block record and returns where the block went.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn write_block(&mut self, block: &[u8]) -> io::Result<BlockLocation> {
        self.write_block_parts(&[block])
    }

    /// Appends a block record whose bytes are the concatenation of `parts` (header,
    /// count, transactions...), without concatenating them first.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn write_block_parts(&mut self, parts: &[&[u8]]) -> io::Result<BlockLocation> {
        let size: usize = parts.iter().map(|p| p.len()).sum();
        let record_len = RECORD_HEADER_SIZE + size as u64;
        if self.pos > 0 && self.pos + record_len > self.max_file_size {
            self.file.flush()?;
            self.number += 1;
            let path = self.dir.join(format!("blk{:05}.dat", self.number));
            self.file = io::BufWriter::with_capacity(1 << 20, File::create(path)?);
            self.pos = 0;
        }
        let mut head = [0u8; RECORD_HEADER_SIZE as usize];
        head[..4].copy_from_slice(&self.magic);
        head[4..].copy_from_slice(&(size as u32).to_le_bytes());
        let location = BlockLocation { file: self.number, offset: self.pos + RECORD_HEADER_SIZE, size: size as u32 };
        for part in std::iter::once(&head[..]).chain(parts.iter().copied()) {
            if self.key.is_zero() {
                self.file.write_all(part)?;
            } else {
                self.scratch.clear();
                self.scratch.extend_from_slice(part);
                self.key.apply(&mut self.scratch, self.pos);
                self.file.write_all(&self.scratch)?;
            }
            self.pos += part.len() as u64;
        }
        Ok(location)
    }

    /// Flushes and pads the last file with zeros to a whole preallocation chunk
    /// (sparse on disk), as a running node leaves it.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn finish(self) -> io::Result<()> {
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        let padded = self.pos.div_ceil(BLOCKFILE_CHUNK_SIZE).max(1) * BLOCKFILE_CHUNK_SIZE;
        file.set_len(padded.min(self.max_file_size.max(self.pos)))?;
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_is_offset_aware_and_involutive() {
        let key = XorKey([1, 2, 3, 4, 5, 6, 7, 8]);
        let original: Vec<u8> = (0..37).collect();
        let mut whole = original.clone();
        key.apply(&mut whole, 0);
        // Applying to a sub-slice at its absolute offset gives the same bytes.
        let mut part = original[13..].to_vec();
        key.apply(&mut part, 13);
        assert_eq!(part, whole[13..]);
        key.apply(&mut whole, 0);
        assert_eq!(whole, original);
    }
}
