//! Bytes to Monero blocks and transactions.
//!
//! Monero (CryptoNote) serialization decoded by hand: it is small, fixed by
//! consensus, and the analysis needs byte offsets (for errors and for the three
//! hashed parts of a v2 transaction) that a general decoder would not expose. The
//! only dependency is Keccak-256 from RustCrypto's `sha3`.
//!
//! - [`tx`]: transactions of every version: prefix, inputs (`txin_gen`,
//!   `txin_to_key`), outputs (`txout_to_key`, `txout_to_tagged_key`), v1 ring
//!   signatures, and (via [`rct`]) RingCT types 0-6 with the prunable part located.
//! - [`extra`]: the tx extra field (tx public keys, payment ids, nonces).
//! - [`block`]: block header, miner transaction, tx hashes and the block id.
//! - [`hash`]: Keccak-256 and CryptoNote's tree hash.
//! - [`varint`]: the reader under all of it, with offsets in every error.
//! - [`encode`]: the write side, transactions and blocks serialized back.

pub mod block;
pub mod encode;
pub mod error;
pub mod extra;
pub mod hash;
pub mod rct;
pub mod tx;
pub mod varint;
pub mod wallet2;

pub use block::{Block, decode_block};
pub use error::{DecodeError, DecodeErrorKind};
pub use extra::Extra;
pub use hash::Hash32;
pub use rct::RctType;
pub use tx::{Input, Output, Transaction, decode_tx};
