//! Where blocks come from: a directory of hex blobs laid out as monerod's RPC
//! gives them (`blocks/NNNNNN.hex`, `txs/<txid>.hex`), or a running monerod.

use crate::rpc::Rpc;
use crate::{Error, Result};
use monero::Hash32;
use std::path::{Path, PathBuf};

/// One block as a source hands it over.
#[derive(Debug, Clone)]
pub struct FetchedBlock {
    /// Its height.
    pub height: u64,
    /// The block blob.
    pub blob: Vec<u8>,
    /// Blobs of its non-coinbase transactions, in block order.
    pub txs: Vec<Vec<u8>>,
    /// The global output indices the node reports per transaction (miner
    /// transaction first), when the source knows them.
    pub output_indices: Option<Vec<Vec<u64>>>,
}

/// A chain to read.
pub trait Source {
    /// A short description (the directory or URL), for messages and the manifest.
    fn describe(&self) -> String;
    /// The number of blocks the source has (heights `0..count`).
    ///
    /// # Errors
    /// If the source cannot be read.
    fn block_count(&mut self) -> Result<u64>;
    /// The id of the block at `height`.
    ///
    /// # Errors
    /// If the source cannot be read.
    fn block_id(&mut self, height: u64) -> Result<Hash32>;
    /// Blocks `from..to`.
    ///
    /// # Errors
    /// If the source cannot be read.
    fn fetch(&mut self, from: u64, to: u64) -> Result<Vec<FetchedBlock>>;
}

/// A directory of blobs as in `fixtures/monero-regtest`.
#[derive(Debug)]
pub struct BlobDir {
    dir: PathBuf,
}

impl BlobDir {
    /// The directory (it must hold `blocks/`).
    ///
    /// # Errors
    /// If `blocks/` is missing.
    pub fn new(dir: &Path) -> Result<Self> {
        if !dir.join("blocks").is_dir() {
            return Err(Error::Source(format!("{}: no blocks/ folder of NNNNNN.hex block blobs", dir.display())));
        }
        Ok(Self { dir: dir.to_owned() })
    }

    fn block_path(&self, height: u64) -> PathBuf {
        self.dir.join(format!("blocks/{height:06}.hex"))
    }

    fn read_hex(path: &Path) -> Result<Vec<u8>> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        monero::tx::from_hex(&text)
            .map_err(|e| Error::Source(format!("{}: offset {}: {}", path.display(), e.offset, e.kind)))
    }
}

impl Source for BlobDir {
    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn block_count(&mut self) -> Result<u64> {
        // Heights are contiguous from 0: find the first missing one by doubling
        // and bisection rather than listing a mainnet-sized folder.
        if !self.block_path(0).exists() {
            return Ok(0);
        }
        let mut hi = 1u64;
        while self.block_path(hi).exists() {
            hi *= 2;
        }
        let mut lo = hi / 2;
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if self.block_path(mid).exists() { lo = mid } else { hi = mid }
        }
        Ok(hi)
    }

    fn block_id(&mut self, height: u64) -> Result<Hash32> {
        let path = self.block_path(height);
        let blob = Self::read_hex(&path)?;
        monero::decode_block(&blob).map(|b| b.id).map_err(|e| Error::Decode {
            height,
            txid: None,
            what: format!("{}: {e}", path.display()),
        })
    }

    fn fetch(&mut self, from: u64, to: u64) -> Result<Vec<FetchedBlock>> {
        let mut out = Vec::new();
        for height in from..to {
            let path = self.block_path(height);
            let blob = Self::read_hex(&path)?;
            let block = monero::decode_block(&blob).map_err(|e| Error::Decode {
                height,
                txid: None,
                what: format!("{}: {e}", path.display()),
            })?;
            let txs = block
                .tx_hashes
                .iter()
                .map(|h| Self::read_hex(&self.dir.join(format!("txs/{h}.hex"))))
                .collect::<Result<Vec<_>>>()?;
            out.push(FetchedBlock { height, blob, txs, output_indices: None });
        }
        Ok(out)
    }
}

/// A running monerod, over its JSON RPC.
#[derive(Debug)]
pub struct Node {
    rpc: Rpc,
}

impl Node {
    /// A node at `url` (e.g. `http://127.0.0.1:18081`).
    pub fn new(url: &str) -> Self {
        Self { rpc: Rpc::new(url) }
    }
}

impl Source for Node {
    fn describe(&self) -> String {
        self.rpc.url().to_owned()
    }

    fn block_count(&mut self) -> Result<u64> {
        self.rpc.block_count()
    }

    fn block_id(&mut self, height: u64) -> Result<Hash32> {
        self.rpc.block_hash(height)
    }

    fn fetch(&mut self, from: u64, to: u64) -> Result<Vec<FetchedBlock>> {
        let mut out = Vec::new();
        for height in from..to {
            let (blob, miner_hash, tx_hashes) = self.rpc.block(height)?;
            let mut hashes = vec![miner_hash];
            hashes.extend(tx_hashes);
            let txs = self.rpc.transactions(&hashes, height)?;
            let mut blobs = Vec::with_capacity(txs.len());
            let mut indices = Vec::with_capacity(txs.len());
            for (i, (blob, idx)) in txs.into_iter().enumerate() {
                if i > 0 {
                    blobs.push(blob);
                }
                indices.push(idx);
            }
            out.push(FetchedBlock { height, blob, txs: blobs, output_indices: Some(indices) });
        }
        Ok(out)
    }
}
