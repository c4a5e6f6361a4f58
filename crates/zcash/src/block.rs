//! Blocks: the header, then the transactions; the merkle root over the txids
//! (ZIP 244's for v5) as Bitcoin builds it.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::header::Header;
use crate::reader::Reader;
use crate::tx::{Transaction, read_tx};

/// A decoded block, borrowing from its bytes.
#[derive(Debug, Clone)]
pub struct Block<'a> {
    /// The header.
    pub header: Header<'a>,
    /// The transactions.
    pub txs: Vec<Transaction<'a>>,
    /// Serialized size.
    pub size: usize,
}

/// Smallest serialized transaction (a v1 transaction with one empty input and no
/// outputs), to bound the count.
const MIN_TX_SIZE: usize = 10;

impl Block<'_> {
    /// Decodes a whole block.
    ///
    /// # Errors
    /// When a field does not decode (the error names the transaction), or bytes
    /// are left after the last transaction.
    pub fn decode(data: &[u8]) -> Result<Block<'_>, DecodeError> {
        let mut r = Reader::new(data, 0, 0);
        let header = Header::read(&mut r)?;
        let n = r.count(MIN_TX_SIZE, "tx count")?;
        let mut txs = Vec::with_capacity(n);
        for i in 0..n {
            txs.push(read_tx(&mut r).map_err(|e| e.in_tx(i))?);
        }
        if r.left() > 0 {
            return Err(r.error(r.pos(), "block", DecodeErrorKind::TrailingBytes(r.left())));
        }
        Ok(Block { header, txs, size: data.len() })
    }

    /// The merkle root of the txids (Bitcoin's tree; all zero for no transactions).
    pub fn computed_merkle_root(&self) -> [u8; 32] {
        chain::hash::merkle_root(self.txs.iter().map(|t| t.txid), &mut Vec::new()).unwrap_or_default()
    }

    /// The block's height: 0 for the genesis (null parent), else its coinbase's
    /// BIP 34 push (Zcash has required it from the start).
    pub fn height(&self) -> Option<u32> {
        if self.header.prev_block == [0; 32] {
            return Some(0);
        }
        let coinbase = self.txs.first()?.inputs.first()?;
        chain::scan::bip34_height(coinbase.script_sig)
    }
}
