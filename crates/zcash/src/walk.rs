//! The most-work chain of a zcashd blocks directory, block by block in height
//! order, through `chain`'s blk reader and header tree.

use crate::block::Block;
use crate::header::Header;
use bitcoin::pow::Work;
use chain::headers::{BestChain, HeaderTree};
use chain::{BlockHash, BlockLocation, BlocksDir, ReadError, ReadWarning};

/// The most-work chain of a blocks directory.
#[derive(Debug, Default)]
pub struct MainChain {
    /// Its blocks in height order: height, where stored, hash.
    pub blocks: Vec<(u32, BlockLocation, BlockHash)>,
    /// Per block, the work of the chain up to it from its first block.
    pub chain_work: Vec<Work>,
    /// What the reader skipped: damaged records and headers, and orphans (blocks
    /// whose parent is not in the directory).
    pub warnings: Vec<ReadWarning>,
}

impl MainChain {
    /// The chain of `best` in `tree`, with what was skipped.
    pub fn of(tree: &HeaderTree, best: &BestChain, dir: &BlocksDir, mut warnings: Vec<ReadWarning>) -> Self {
        let node = |n: usize| tree.node(n);
        let blocks = best.blocks.iter().map(|&n| (tree.height(n), node(n).location, node(n).header.hash)).collect();
        let chain_work = best.blocks.iter().map(|&n| node(n).chain_work()).collect();
        warnings.extend(best.orphans.iter().map(|&n| ReadWarning {
            file: dir.file_path(node(n).location.file),
            offset: node(n).location.offset,
            message: format!(
                "block {} is an orphan (its parent {} is not in the directory): not indexed",
                node(n).header.hash,
                node(n).header.prev_hash
            ),
        }));
        Self { blocks, chain_work, warnings }
    }
}

/// The main chain's blocks: height, where each is stored and its hash.
///
/// # Errors
/// On I/O errors, records of another network, or headers that do not decode.
pub fn main_chain(dir: &BlocksDir) -> Result<MainChain, ReadError> {
    let mut tree = HeaderTree::new();
    let mut warnings = Vec::new();
    for i in 0..dir.files().len() {
        let mut file = dir.read_file(i)?;
        for location in &file.blocks {
            let header = Header::decode(file.block(location)).map_err(|e| ReadError::Undecodable {
                path: file.path.clone(),
                offset: location.offset,
                message: e.to_string(),
            })?;
            tree.insert_proven(header.as_bitcoin(), *location, &file.path, &mut warnings);
        }
        warnings.append(&mut file.warnings);
    }
    // Only a block whose parent is missing needs its height, from its coinbase.
    let mut buf = Vec::new();
    let best = tree.best_chain(dir.network(), &mut |_, node| {
        dir.read_block(&node.location, &mut buf).ok()?;
        Block::decode(&buf).ok()?.height()
    });
    Ok(MainChain::of(&tree, &best, dir, warnings))
}

/// Calls `f` with every main-chain block in height order.
///
/// # Errors
/// As [`main_chain`], and on blocks that do not decode; or `f`'s error.
pub fn for_each_block(
    dir: &BlocksDir,
    mut f: impl FnMut(u32, &Block<'_>) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let mut buf = Vec::new();
    for (height, location, _) in main_chain(dir)?.blocks {
        dir.read_block(&location, &mut buf)?;
        let block = Block::decode(&buf).map_err(|e| ReadError::Undecodable {
            path: dir.file_path(location.file),
            offset: location.offset,
            message: format!("height {height}: {e}"),
        })?;
        f(height, &block)?;
    }
    Ok(())
}
