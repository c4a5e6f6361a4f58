//! The chains an index is built from, Bitcoin Core's and zcashd's blocks
//! directories: which blocks form the most-work chain, and each block decoded
//! into the writer's flat lists. Everything after this module is the same for
//! both chains; Zcash adds its pool crossings.

use crate::address_key::AddressKey;
use crate::decoded::{DecodedBlock, DecodedCrossing, DecodedInput, DecodedOutput, DecodedTx};
use chain::block_map::BlockMap;
use chain::tx::{TxIn, TxInfo, TxOut, TxVisitor};
use chain::{BlockLocation, BlocksDir, ReadError, decode_block};

/// The most-work chain of a blocks directory: (height, where stored, hash) per
/// block in height order, and what the reader skipped.
pub(crate) fn main_chain(blocks: &BlocksDir) -> Result<zcash::walk::MainChain, ReadError> {
    if blocks.network().is_zcash() {
        return zcash::walk::main_chain(blocks);
    }
    let map = BlockMap::read(blocks)?;
    let (tree, best) = map.tree();
    Ok(zcash::walk::MainChain::of(tree, best, blocks, map.warnings().to_vec()))
}

/// Reads and decodes one block of either chain.
pub(crate) fn decode(blocks: &BlocksDir, height: u32, location: BlockLocation) -> Result<DecodedBlock, ReadError> {
    let mut bytes = Vec::with_capacity(location.size as usize);
    blocks.read_block(&location, &mut bytes)?;
    if blocks.network().is_zcash() {
        let block = zcash::block::Block::decode(&bytes).map_err(|e| ReadError::Undecodable {
            path: blocks.file_path(location.file),
            offset: location.offset,
            message: format!("height {height}: {e}"),
        })?;
        verify_zcash(&block).map_err(|cause| ReadError::Verify {
            path: blocks.file_path(location.file),
            offset: location.offset,
            hash: chain::BlockHash(block.header.hash),
            cause: Box::new(cause),
        })?;
        return Ok(decode_zcash(&block, height, location));
    }
    let mut collect = Collect::default();
    let info = decode_block(&bytes, &mut collect).map_err(|cause| ReadError::Decode {
        path: blocks.file_path(location.file),
        offset: location.offset,
        cause,
    })?;
    collect.verify.check(&info.header).map_err(|cause| ReadError::Verify {
        path: blocks.file_path(location.file),
        offset: location.offset,
        hash: info.header.hash,
        cause: Box::new(cause),
    })?;
    Ok(DecodedBlock {
        height,
        header: info.header,
        location,
        txs: collect.txs,
        inputs: collect.inputs,
        outputs: collect.outputs,
        crossings: Vec::new(),
    })
}

/// A zcashd block's proof of work against its nBits and its merkle root (the
/// Equihash solution is not checked: the hash check already makes a damaged
/// header fail, and solving is what costs an attacker, not checking).
fn verify_zcash(block: &zcash::block::Block) -> Result<(), chain::block::VerifyError> {
    let header = block.header.as_bitcoin();
    if !header.meets_target() {
        return Err(chain::block::VerifyError::ProofOfWork { hash: header.hash, bits: header.bits });
    }
    let computed = block.computed_merkle_root();
    if computed != header.merkle_root.0 {
        return Err(chain::block::VerifyError::MerkleRoot {
            header: header.merkle_root,
            computed: chain::hash::MerkleRoot(computed),
        });
    }
    Ok(())
}

/// The transparent parts and pool crossings of a zcashd block.
fn decode_zcash(block: &zcash::block::Block, height: u32, location: BlockLocation) -> DecodedBlock {
    let mut collect = Collect::default();
    let mut crossings = Vec::new();
    for (position, tx) in block.txs.iter().enumerate() {
        for input in &tx.inputs {
            collect.input(0, input);
        }
        for output in &tx.outputs {
            collect.output(0, output);
        }
        // No witness: weight is four times the size, as for a legacy Bitcoin transaction.
        let size = tx.size() as u32;
        collect.txs.push(DecodedTx {
            txid: tx.txid,
            inputs: tx.inputs.len() as u32,
            outputs: tx.outputs.len() as u32,
            size,
            weight: size.saturating_mul(4),
            version: tx.version,
            lock_time: tx.lock_time,
        });
        for (pool, c) in zcash::pools::crossings(tx).into_iter().enumerate() {
            if !c.is_empty() {
                crossings.push(DecodedCrossing {
                    tx: position as u32,
                    pool: pool as u8,
                    into: c.into,
                    out_of: c.out_of,
                });
            }
        }
    }
    DecodedBlock {
        height,
        header: block.header.as_bitcoin(),
        location,
        txs: collect.txs,
        inputs: collect.inputs,
        outputs: collect.outputs,
        crossings,
    }
}

/// Collects a block's parts for the writer, and what verifying it takes.
#[derive(Default)]
struct Collect {
    txs: Vec<DecodedTx>,
    inputs: Vec<DecodedInput>,
    outputs: Vec<DecodedOutput>,
    verify: chain::block::VerifyCollector,
}

impl<'a> TxVisitor<'a> for Collect {
    #[inline]
    fn input(&mut self, _: usize, input: &TxIn<'a>) {
        self.inputs.push(DecodedInput {
            prev_txid: *input.prev_txid,
            prev_vout: input.prev_vout,
            sequence: input.sequence,
        });
    }

    #[inline]
    fn output(&mut self, index: usize, output: &TxOut<'a>) {
        let destination = chain::script::classify(output.script_pubkey);
        let key = AddressKey::of_destination(&destination, output.script_pubkey);
        self.outputs.push(DecodedOutput { value: output.value, class: destination.class().code(), key });
        self.verify.output(index, output);
    }

    #[inline]
    fn witness(&mut self, input_index: usize, witness: chain::tx::Witness<'a>) {
        self.verify.witness(input_index, witness);
    }

    #[inline]
    fn tx_end(&mut self, index: usize, tx: &TxInfo<'a>) {
        self.verify.tx_end(index, tx);
        self.txs.push(DecodedTx {
            txid: tx.txid.0,
            inputs: tx.input_count as u32,
            outputs: tx.output_count as u32,
            size: tx.size() as u32,
            weight: tx.weight() as u32,
            version: tx.version,
            lock_time: tx.lock_time,
        });
    }
}

/// A transaction's txid and the outpoints (txid, vout) its inputs name.
pub(crate) type TxOutpoints = ([u8; 32], Vec<([u8; 32], u32)>);

/// The outpoints of a stored transaction's inputs, decoded from its block's
/// bytes (`position` in the block); with its txid, to check it is the one meant.
pub(crate) fn tx_outpoints(zcash: bool, block: &[u8], position: usize) -> Option<TxOutpoints> {
    if zcash {
        let block = zcash::block::Block::decode(block).ok()?;
        let tx = block.txs.get(position)?;
        return Some((tx.txid, tx.inputs.iter().map(|i| (*i.prev_txid, i.prev_vout)).collect()));
    }
    struct Nth(usize, Option<TxOutpoints>, Vec<([u8; 32], u32)>);
    impl<'a> TxVisitor<'a> for Nth {
        fn input(&mut self, _: usize, input: &TxIn<'a>) {
            self.2.push((*input.prev_txid, input.prev_vout));
        }
        fn tx_end(&mut self, index: usize, tx: &TxInfo<'a>) {
            let inputs = std::mem::take(&mut self.2);
            if index == self.0 {
                self.1 = Some((tx.txid.0, inputs));
            }
        }
    }
    let mut nth = Nth(position, None, Vec::new());
    decode_block(block, &mut nth).ok()?;
    nth.1
}
