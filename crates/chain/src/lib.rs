//! Bytes to blocks: read a Bitcoin Core blocks directory exactly as Bitcoin Core
//! writes it, and decode every block, transaction, script and address in it.
//!
//! - [`blocks_dir`] and [`blkfile`]: blk*.dat files, xor.dat obfuscation, records,
//!   padding, garbage and truncated tails.
//! - [`headers`] and [`block_map`]: the header tree and the most-work chain; stale
//!   and orphan blocks; where each block is.
//! - [`block`] and [`tx`]: zero-copy decoding with visitors; txid, wtxid, sizes,
//!   and the `--verify` consensus checks.
//! - [`script`] and [`address`]: Bitcoin Core's script classes and address encodings.
//! - [`encode`]: the write side (transactions, blocks, and `blkfile::BlkWriter`).
//! - [`scan`]: the full pass behind `chainsleuth scan`.
//! - [`fuzzing`]: the decoder invariants the fuzz target checks.
//! - [`rpc_json`]: JSON shaped like Bitcoin Core's `decoderawtransaction` and `getblock`.

pub mod address;
pub mod blkfile;
pub mod block;
pub mod block_map;
pub mod blocks_dir;
mod cursor;
pub mod encode;
pub mod error;
pub mod fuzzing;
pub mod hash;
pub mod headers;
pub mod network;
pub mod rpc_json;
pub mod scan;
pub mod script;
pub mod tx;

pub use blkfile::{BlockLocation, ReadError, ReadWarning, XorKey};
pub use block::{BlockInfo, Header, decode_block};
pub use blocks_dir::BlocksDir;
pub use error::{DecodeError, DecodeErrorKind};
pub use hash::{BlockHash, Txid, Wtxid};
pub use network::Network;
pub use script::{Destination, ScriptClass};
pub use tx::{Transaction, TxIn, TxInfo, TxOut, TxVisitor, decode_tx};
