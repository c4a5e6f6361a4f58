//! The header tree: blocks linked by their previous-block hash, the chain with the
//! most cumulative proof of work (from nBits, not the longest list), and the blocks
//! off it (stale blocks, and orphans whose parent never appears).

use crate::blkfile::BlockLocation;
use crate::block::Header;
use crate::hash::BlockHash;
use crate::network::Network;
use bitcoin::pow::Work;
use std::collections::HashMap;

/// A block in the tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// The header.
    pub header: Header,
    /// Where the block is stored.
    pub location: BlockLocation,
    /// Index of the parent node, if the parent is in the tree.
    parent: Option<usize>,
    /// Height, once [`HeaderTree::best_chain`] has resolved it.
    height: u32,
    /// Cumulative work from the tree's root to this block.
    chain_work: Work,
}

impl Node {
    /// Cumulative work from the tree's root to this block (valid after
    /// [`HeaderTree::best_chain`]).
    pub fn chain_work(&self) -> Work {
        self.chain_work
    }
}

/// Blocks by hash, linked into a tree.
#[derive(Debug, Default)]
pub struct HeaderTree {
    nodes: Vec<Node>,
    by_hash: HashMap<BlockHash, usize>,
    duplicates: usize,
}

/// The result of choosing the most-work chain.
#[derive(Debug, Clone, Default)]
pub struct BestChain {
    /// Node indices of the main chain, lowest height first.
    pub blocks: Vec<usize>,
    /// Height of the first main-chain block (0 when the genesis block is present).
    pub start_height: u32,
    /// Node indices of blocks that descend from the main chain's root but are not on it.
    pub stale: Vec<usize>,
    /// Node indices of blocks whose ancestry does not reach the main chain's root
    /// (their earliest ancestor's parent never appears).
    pub orphans: Vec<usize>,
}

impl BestChain {
    /// Height of the tip, if the chain is not empty.
    pub fn tip_height(&self) -> Option<u32> {
        (!self.blocks.is_empty()).then(|| self.start_height + self.blocks.len() as u32 - 1)
    }
}

impl HeaderTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a block; a block already present is counted as a duplicate and ignored.
    /// Returns the node index.
    pub fn insert(&mut self, header: Header, location: BlockLocation) -> usize {
        if let Some(&index) = self.by_hash.get(&header.hash) {
            self.duplicates += 1;
            return index;
        }
        let index = self.nodes.len();
        self.by_hash.insert(header.hash, index);
        self.nodes.push(Node { header, location, parent: None, height: 0, chain_work: Work::from_be_bytes([0; 32]) });
        index
    }

    /// Inserts a header stored in `file` if its hash meets the target its nBits
    /// encode; otherwise leaves it out with a warning naming the file and offset
    /// (a damaged header must not make a chain, nor claim work it lacks).
    pub fn insert_proven(
        &mut self,
        header: Header,
        location: BlockLocation,
        file: &std::path::Path,
        warnings: &mut Vec<crate::blkfile::ReadWarning>,
    ) {
        if header.meets_target() {
            self.insert(header, location);
        } else {
            warnings.push(crate::blkfile::ReadWarning {
                file: file.to_owned(),
                offset: location.offset,
                message: format!(
                    "block {} fails its proof of work (bits {:08x}): damaged, left out",
                    header.hash, header.bits
                ),
            });
        }
    }

    /// Number of distinct blocks.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when no block was inserted.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Blocks that were inserted more than once.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// The node at `index`.
    pub fn node(&self, index: usize) -> &Node {
        &self.nodes[index]
    }

    /// The node index of a block hash.
    pub fn index_of(&self, hash: &BlockHash) -> Option<usize> {
        self.by_hash.get(hash).copied()
    }

    /// Height of a node (valid after [`Self::best_chain`]).
    pub fn height(&self, index: usize) -> u32 {
        self.nodes[index].height
    }

    /// Links the tree, computes heights and cumulative work, and picks the tip with
    /// the most work; among equal work, the block stored first wins, as in Bitcoin Core.
    /// Trees rooted at the genesis block (or at a child of it) come before trees
    /// whose first block's parent is missing, so a block lost to corruption cannot
    /// hand the main chain to the blocks after it.
    ///
    /// `root_height` gives the height of a block (by node index) whose parent is absent (for example
    /// from its BIP 34 coinbase); without it such a block counts as height 0, or 1 if
    /// its parent is the network's genesis block.
    pub fn best_chain(
        &mut self,
        network: Network,
        root_height: &mut dyn FnMut(usize, &Node) -> Option<u32>,
    ) -> BestChain {
        let genesis = network.genesis_hash();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        let mut roots = Vec::new();
        for i in 0..self.nodes.len() {
            let parent = self.by_hash.get(&self.nodes[i].header.prev_hash).copied();
            self.nodes[i].parent = parent;
            match parent {
                Some(p) => children[p].push(i),
                None => roots.push(i),
            }
        }
        // Depth-first from every root, assigning heights and work.
        let mut root_of = vec![usize::MAX; self.nodes.len()];
        for &root in &roots {
            let prev = self.nodes[root].header.prev_hash;
            let height = if prev.is_all_zeros() {
                0
            } else if prev == genesis {
                1
            } else {
                root_height(root, &self.nodes[root]).unwrap_or(0)
            };
            self.nodes[root].height = height;
            self.nodes[root].chain_work = self.nodes[root].header.work();
            let mut stack = vec![root];
            while let Some(n) = stack.pop() {
                root_of[n] = root;
                for &child in &children[n] {
                    self.nodes[child].height = self.nodes[n].height + 1;
                    self.nodes[child].chain_work = self.nodes[n].chain_work + self.nodes[child].header.work();
                    stack.push(child);
                }
            }
        }
        // A tree that reaches the genesis block beats one whose ancestry is cut off
        // (a missing or skipped block), however much work the latter shows.
        let anchored = |root: usize| {
            let prev = self.nodes[root].header.prev_hash;
            prev.is_all_zeros() || prev == genesis
        };
        let rank = |i: usize| (anchored(root_of[i]), self.nodes[i].chain_work);
        let Some(tip) = (0..self.nodes.len()).reduce(|best, i| if rank(i) > rank(best) { i } else { best }) else {
            return BestChain::default();
        };
        let mut blocks = Vec::with_capacity(self.nodes[tip].height as usize + 1);
        let mut cursor = Some(tip);
        let mut on_main = vec![false; self.nodes.len()];
        while let Some(n) = cursor {
            on_main[n] = true;
            blocks.push(n);
            cursor = self.nodes[n].parent;
        }
        blocks.reverse();
        let main_root = blocks[0];
        let start_height = self.nodes[main_root].height;
        let (mut stale, mut orphans) = (Vec::new(), Vec::new());
        for i in 0..self.nodes.len() {
            if on_main[i] {
                continue;
            }
            if root_of[i] == main_root { stale.push(i) } else { orphans.push(i) }
        }
        BestChain { blocks, start_height, stale, orphans }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(hash: u8, prev: u8, bits: u32) -> Header {
        let mut h = Header::decode(&[0; 80]);
        h.hash = BlockHash([hash; 32]);
        h.prev_hash = if prev == 0 { BlockHash::all_zeros() } else { BlockHash([prev; 32]) };
        h.bits = bits;
        h
    }

    fn loc(n: u64) -> BlockLocation {
        BlockLocation { file: 0, offset: n, size: 100 }
    }

    #[test]
    fn most_work_beats_longest() {
        let easy = 0x207fffff; // regtest
        let hard = 0x1d00ffff; // mainnet minimum
        let mut tree = HeaderTree::new();
        tree.insert(header(1, 0, easy), loc(0));
        // Long branch of easy blocks.
        tree.insert(header(2, 1, easy), loc(1));
        tree.insert(header(3, 2, easy), loc(2));
        tree.insert(header(4, 3, easy), loc(3));
        // Short branch with one hard block, stored last.
        tree.insert(header(9, 1, hard), loc(4));
        let best = tree.best_chain(Network::Regtest, &mut |_, _| None);
        let tip = *best.blocks.last().unwrap();
        assert_eq!(tree.node(tip).header.hash, BlockHash([9; 32]));
        assert_eq!(best.tip_height(), Some(1));
        assert_eq!(best.stale.len(), 3);
    }

    #[test]
    fn equal_work_keeps_first_stored_and_orphans_are_separate() {
        let bits = 0x207fffff;
        let mut tree = HeaderTree::new();
        tree.insert(header(1, 0, bits), loc(0));
        tree.insert(header(2, 1, bits), loc(1));
        tree.insert(header(3, 1, bits), loc(2));
        tree.insert(header(7, 6, bits), loc(3)); // parent 6 never appears
        let best = tree.best_chain(Network::Regtest, &mut |_, _| None);
        assert_eq!(tree.node(*best.blocks.last().unwrap()).header.hash, BlockHash([2; 32]));
        assert_eq!(best.stale.len(), 1);
        assert_eq!(best.orphans.len(), 1);
    }
}
