//! The map of a blocks directory: where every block is, linked into the header
//! tree, with the most-work chain chosen. Built from headers alone, so it costs a
//! few small reads per block rather than a pass over every byte.
//!
//! Each file is walked record by record with positioned reads (record header,
//! block header, jump to the next record). A file with anything unusual in it
//! (garbage, a truncated tail, zero padding) is read whole instead and located by
//! [`crate::blkfile::BlkFile::read`], so both paths skip exactly what `scan` skips.

use crate::blkfile::{BlockLocation, MAX_BLOCK_SIZE, RECORD_HEADER_SIZE, ReadError, ReadWarning, XorKey};
use crate::block::{HEADER_SIZE, Header};
use crate::blocks_dir::BlocksDir;
use crate::hash::BlockHash;
use crate::headers::{BestChain, HeaderTree, Node};
use crate::network::Network;
use crate::scan::{Tip, bip34_height};
use crate::tx::Transaction;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Every block of a blocks directory by location, and the most-work chain.
#[derive(Debug)]
pub struct BlockMap {
    tree: HeaderTree,
    best: BestChain,
    warnings: Vec<ReadWarning>,
}

impl BlockMap {
    /// Reads the headers of every blk file of `dir` and chooses the main chain.
    ///
    /// # Errors
    /// On I/O errors and records of another network.
    pub fn read(dir: &BlocksDir) -> Result<Self, ReadError> {
        if dir.network().is_zcash() {
            return Err(ReadError::OtherChain { path: dir.path().to_owned(), network: dir.network() });
        }
        let mut tree = HeaderTree::new();
        let mut warnings = Vec::new();
        for (i, entry) in dir.files().iter().enumerate() {
            match hop_records(&entry.path, entry.number, dir.xor_key(), dir.network())? {
                Some(blocks) => {
                    for (header, location) in blocks {
                        tree.insert_proven(header, location, &entry.path, &mut warnings);
                    }
                }
                None => {
                    let mut file = dir.read_file(i)?;
                    for location in &file.blocks {
                        let bytes = file.block(location);
                        // Records are at least a header long; see MIN_BLOCK_SIZE.
                        let header: &[u8; HEADER_SIZE] =
                            bytes[..HEADER_SIZE].try_into().map_err(|_| ReadError::BlockMissing {
                                path: file.path.clone(),
                                offset: location.offset,
                                size: location.size,
                                found: bytes.len(),
                            })?;
                        tree.insert_proven(Header::decode(header), *location, &file.path, &mut warnings);
                    }
                    warnings.append(&mut file.warnings);
                }
            }
        }
        let mut buf = Vec::new();
        let best = tree.best_chain(dir.network(), &mut |_, node: &Node| {
            // Only roots whose parent is missing get here: read their coinbase's BIP 34 height.
            dir.read_block(&node.location, &mut buf).ok()?;
            let offset = HEADER_SIZE + compact_size_len(*buf.get(HEADER_SIZE)?);
            let coinbase = Transaction::decode_at(&buf, offset, 0).ok()?;
            if node.header.version < 2 {
                return None;
            }
            bip34_height(coinbase.inputs.first()?.script_sig)
        });
        Ok(Self { tree, best, warnings })
    }

    /// The tip of the main chain.
    pub fn tip(&self) -> Option<Tip> {
        let &last = self.best.blocks.last()?;
        Some(Tip { height: self.tree.height(last), hash: self.tree.node(last).header.hash })
    }

    /// Height of the first main-chain block (0 when the genesis block is present).
    pub fn start_height(&self) -> u32 {
        self.best.start_height
    }

    /// Main-chain blocks in height order, with their heights.
    pub fn main_chain(&self) -> impl ExactSizeIterator<Item = (u32, &Node)> + '_ {
        self.best.blocks.iter().map(|&i| (self.tree.height(i), self.tree.node(i)))
    }

    /// Blocks that branch off the main chain, with their heights.
    pub fn stale(&self) -> impl Iterator<Item = (u32, &Node)> + '_ {
        self.best.stale.iter().map(|&i| (self.tree.height(i), self.tree.node(i)))
    }

    /// Blocks whose parent chain never reaches the main chain's first block.
    pub fn orphans(&self) -> impl Iterator<Item = (u32, &Node)> + '_ {
        self.best.orphans.iter().map(|&i| (self.tree.height(i), self.tree.node(i)))
    }

    /// The node of a block hash, if it is in the directory.
    pub fn get(&self, hash: &BlockHash) -> Option<(u32, &Node)> {
        let i = self.tree.index_of(hash)?;
        Some((self.tree.height(i), self.tree.node(i)))
    }

    /// Number of distinct blocks found.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// True when the directory held no block.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The header tree and the chain chosen in it.
    pub fn tree(&self) -> (&HeaderTree, &BestChain) {
        (&self.tree, &self.best)
    }

    /// What was skipped while locating records.
    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }
}

/// Bytes taken by a CompactSize whose first byte is `first`.
fn compact_size_len(first: u8) -> usize {
    match first {
        0xfd => 3,
        0xfe => 5,
        0xff => 9,
        _ => 1,
    }
}

/// Walks a file's records by positioned reads. Returns `None` when the file holds
/// anything but well-formed records back to back up to its end, leaving such files
/// to the full reader.
fn hop_records(
    path: &Path,
    number: u32,
    key: XorKey,
    network: Network,
) -> Result<Option<Vec<(Header, BlockLocation)>>, ReadError> {
    let io_err = |cause| ReadError::Io { path: path.to_owned(), cause };
    let mut file = File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mut blocks = Vec::new();
    let mut pos = 0u64;
    let mut buf = [0u8; RECORD_HEADER_SIZE as usize + HEADER_SIZE];
    while pos < len {
        if pos + buf.len() as u64 > len {
            return Ok(None);
        }
        file.seek(SeekFrom::Start(pos)).map_err(io_err)?;
        file.read_exact(&mut buf).map_err(io_err)?;
        key.apply(&mut buf, pos);
        let size = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let end = pos + RECORD_HEADER_SIZE + u64::from(size);
        if buf[..4] != network.magic() || !(HEADER_SIZE as u32..=MAX_BLOCK_SIZE).contains(&size) || end > len {
            return Ok(None);
        }
        let mut header = [0u8; HEADER_SIZE];
        header.copy_from_slice(&buf[RECORD_HEADER_SIZE as usize..]);
        blocks.push((Header::decode(&header), BlockLocation { file: number, offset: pos + RECORD_HEADER_SIZE, size }));
        pos = end;
    }
    Ok(Some(blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_size_lengths() {
        assert_eq!(compact_size_len(0xfc), 1);
        assert_eq!(compact_size_len(0xfd), 3);
        assert_eq!(compact_size_len(0xff), 9);
    }

    #[test]
    fn unused_file_is_an_io_error() {
        let err =
            hop_records(Path::new("/nonexistent/blk00000.dat"), 0, XorKey::default(), Network::Mainnet).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/blk00000.dat"));
    }
}
