//! A Bitcoin Core blocks directory: its blk files in number order and its xor key.

use crate::blkfile::{BlkFile, BlockLocation, ReadError, XorKey, read_block_at};
use crate::network::Network;
use std::path::{Path, PathBuf};

/// One blk file of a blocks directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlkFileEntry {
    /// The file number (`blk00042.dat` is 42).
    pub number: u32,
    /// The path.
    pub path: PathBuf,
    /// Size in bytes when the directory was listed.
    pub len: u64,
}

/// A blocks directory opened for reading.
#[derive(Debug, Clone)]
pub struct BlocksDir {
    path: PathBuf,
    network: Network,
    key: XorKey,
    files: Vec<BlkFileEntry>,
}

impl BlocksDir {
    /// Lists the blk files of `path` (a `blocks` directory; a Bitcoin Core data
    /// directory that contains one is accepted too) and reads its xor key.
    ///
    /// # Errors
    /// When the directory cannot be read, holds no blk files, or xor.dat is malformed.
    pub fn open(path: &Path, network: Network) -> Result<Self, ReadError> {
        let mut files = list_blk_files(path)?;
        let mut path = path.to_owned();
        if files.is_empty() && path.join("blocks").is_dir() {
            path = path.join("blocks");
            files = list_blk_files(&path)?;
        }
        if files.is_empty() {
            return Err(ReadError::NoBlockFiles { path });
        }
        let key = XorKey::load(&path)?;
        Ok(Self { path, network, key, files })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The network whose magic records must carry.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The obfuscation key (all zero when the files are plain).
    pub fn xor_key(&self) -> XorKey {
        self.key
    }

    /// The blk files in number order.
    pub fn files(&self) -> &[BlkFileEntry] {
        &self.files
    }

    /// Total size of the blk files.
    pub fn total_len(&self) -> u64 {
        self.files.iter().map(|f| f.len).sum()
    }

    /// Reads, de-obfuscates and locates the records of the `i`-th file.
    ///
    /// # Errors
    /// See [`BlkFile::read`].
    pub fn read_file(&self, i: usize) -> Result<BlkFile, ReadError> {
        self.read_file_into(i, Vec::new())
    }

    /// As [`Self::read_file`], reusing a buffer (see [`BlkFile::read_into`]).
    ///
    /// # Errors
    /// See [`BlkFile::read`].
    pub fn read_file_into(&self, i: usize, buffer: Vec<u8>) -> Result<BlkFile, ReadError> {
        let entry = &self.files[i];
        BlkFile::read_into(&entry.path, entry.number, self.key, self.network, buffer)
    }

    /// The path of blk file number `number`.
    pub fn file_path(&self, number: u32) -> PathBuf {
        self.path.join(format!("blk{number:05}.dat"))
    }

    /// Reads one block into `buf`.
    ///
    /// # Errors
    /// On I/O errors or when the block is no longer where the location says.
    pub fn read_block(&self, location: &BlockLocation, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        read_block_at(&self.file_path(location.file), location, self.key, buf)
    }
}

fn list_blk_files(dir: &Path) -> Result<Vec<BlkFileEntry>, ReadError> {
    let io_err = |cause| ReadError::Io { path: dir.to_owned(), cause };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let name = entry.file_name();
        let Some(number) = name.to_str().and_then(blk_number) else { continue };
        let len = entry.metadata().map_err(io_err)?.len();
        files.push(BlkFileEntry { number, path: entry.path(), len });
    }
    files.sort_by_key(|f| f.number);
    Ok(files)
}

/// The number of a `blkNNNNN.dat` file name.
fn blk_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("blk")?.strip_suffix(".dat")?;
    (digits.len() >= 5 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blk_names() {
        assert_eq!(blk_number("blk00000.dat"), Some(0));
        assert_eq!(blk_number("blk04217.dat"), Some(4217));
        assert_eq!(blk_number("rev00000.dat"), None);
        assert_eq!(blk_number("blk0.dat"), None);
        assert_eq!(blk_number("blk00000.dat.tmp"), None);
    }
}
