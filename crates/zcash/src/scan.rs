//! zcashd's blocks directory under `chain`'s scan: the same blk-file reader,
//! header tree and most-work chain, with Zcash's block decoder.

use crate::block::Block;
use chain::scan::{BlockDecoder, BlockFacts, ClassTotals};
use chain::script::script_class;
use chain::{BlocksDir, ReadError};
use std::path::Path;

/// Zcash's blocks, for [`chain::scan::scan_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ZcashBlocks;

impl BlockDecoder for ZcashBlocks {
    fn facts(&self, data: &[u8], verify: bool, path: &Path, offset: u64) -> Result<BlockFacts, ReadError> {
        let undecodable = |message: String| ReadError::Undecodable { path: path.to_owned(), offset, message };
        let block = Block::decode(data).map_err(|e| undecodable(e.to_string()))?;
        let h = &block.header;
        if verify {
            if !h.meets_target() {
                return Err(undecodable(format!(
                    "block {}: hash above the nBits target",
                    crate::header::display_hex(&h.hash)
                )));
            }
            if block.computed_merkle_root() != h.merkle_root {
                return Err(undecodable(format!(
                    "block {}: merkle root does not match the transactions",
                    crate::header::display_hex(&h.hash)
                )));
            }
        }
        let mut classes = ClassTotals::default();
        let (mut inputs, mut outputs) = (0u64, 0u64);
        for tx in &block.txs {
            inputs += tx.inputs.len() as u64;
            for o in &tx.outputs {
                outputs += 1;
                classes.add_output(script_class(o.script_pubkey), o.value);
            }
        }
        let bip34_height = block.height();
        Ok(BlockFacts { header: h.as_bitcoin(), txs: block.txs.len() as u32, inputs, outputs, bip34_height, classes })
    }
}

/// Scans a zcashd blocks directory (see [`chain::scan::scan`]).
///
/// # Errors
/// As [`chain::scan::scan`].
pub fn scan(
    dir: &BlocksDir,
    options: chain::scan::ScanOptions,
    progress: &(dyn Fn(chain::scan::ScanProgress) + Sync),
) -> Result<chain::scan::ScanReport, ReadError> {
    chain::scan::scan_with(dir, &ZcashBlocks, options, progress)
}
