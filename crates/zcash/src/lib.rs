//! Bytes to blocks for Zcash: read what zcashd writes and decode every block and
//! transaction format of the chain.
//!
//! - [`header`]: Equihash headers and block hashes.
//! - [`tx`]: transactions v1 to v5 (Sprout JoinSplits, Sapling, Orchard).
//! - [`txid`]: ZIP 244's txid tree for v5 (v1-v4 are double SHA-256).
//! - [`block`]: blocks and their merkle roots.
//! - [`encode`]: the write side (v4 transactions and blocks) for the simulator.
//! - [`pools`]: value crossing into and out of each shielded pool, and the turnstile.
//! - [`founders`]: the founders' reward schedule and addresses.
//! - [`links`]: round trips through a pool, linked by value with a confidence.
//! - [`walk`]: the most-work chain of a zcashd blocks directory in height order.
//! - [`scan`]: zcashd's blocks directory under `chain`'s scan.
//! - [`json`]: JSON shaped like zcashd's `decoderawtransaction` and `getblock`.
//!
//! The networks (blk-file magic, `t1`/`t3`/`tm`/`t2` address prefixes) are
//! `chain::Network`'s Zcash ones, and the blk files are read by `chain`'s reader.
//!
//! Hand-written rather than taken from librustzcash: chainsleuth reads, never
//! verifies proofs, and borrows every field from the bytes (no copies), which the
//! proof-carrying types of the Zcash crates do not allow.

pub mod block;
pub mod encode;
pub mod error;
pub mod founders;
pub mod header;
pub mod json;
pub mod links;
pub mod pools;
mod reader;
pub mod scan;
pub mod tx;
pub mod txid;
pub mod walk;

pub use block::Block;
pub use error::{DecodeError, DecodeErrorKind};
pub use header::Header;
pub use pools::{Crossing, Pool, Turnstile};
pub use tx::Transaction;
