//! Flows of value through the transaction graph: where stolen coins went (forward)
//! or where coins came from (backward), under a stated taint policy, with stops at
//! hop and value limits, at services, and at the chain tip.
//!
//! - [`policy`]: poison, haircut, FIFO and TIHO, as pure functions of one
//!   transaction's values.
//! - [`view`]: what the tracer reads of the chain ([`ChainView`]), implemented by the
//!   index.
//! - [`pools`]: Zcash's round-trip links, which carry a trace across a shielded
//!   pool with their confidence.
//! - [`services`]: where a trail meets an identity ([`Services`]), with a CSV labels
//!   file as the simple source.
//! - [`tracer`]: the traversal, giving a [`Flow`].
//! - [`report`]: the flow named and summarised, as JSON, a table, CSV, DOT or HTML.

pub mod policy;
pub mod pools;
pub mod queue;
pub mod report;
pub mod services;
pub mod tracer;
pub mod view;

pub use policy::{Policy, Taint};
pub use pools::PoolLinks;
pub use report::Report;
pub use services::{LabelFile, NoServices, Service, Services};
pub use tracer::{Direction, EndKind, Flow, TraceOptions, trace};
pub use view::{ChainView, IndexView, Source};

use index::{AddressKey, Index, OutNum, TxNum};

/// A starting point could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Not an outpoint, txid or address.
    #[error("{0:?} is not an outpoint (txid:vout), a txid or an address of this network")]
    Unparsable(String),
    /// A transaction not in the index.
    #[error("transaction {0} is not in the index")]
    UnknownTx(String),
    /// An output index beyond the transaction's outputs.
    #[error("{0}: the transaction has {1} outputs")]
    NoSuchOutput(String, u64),
    /// An address the index has never seen.
    #[error("address {0} is not in the index")]
    UnknownAddress(String),
}

/// The outputs a `--from` names: an outpoint (`txid:vout`) names one output; a txid
/// names all of its outputs; an address names every output it received.
///
/// # Errors
/// When `text` is none of these, or names something not in the index.
pub fn start_outputs(index: &Index, text: &str) -> Result<Vec<u64>, StartError> {
    let text = text.trim();
    let tx_of = |hex: &str| -> Result<TxNum, StartError> {
        let txid: chain::Txid = hex.parse().map_err(|_| StartError::Unparsable(text.to_owned()))?;
        index.tx_by_txid(&txid).ok_or_else(|| StartError::UnknownTx(hex.to_owned()))
    };
    if let Some((hex, vout)) = text.split_once(':') {
        let vout: u64 = vout.parse().map_err(|_| StartError::Unparsable(text.to_owned()))?;
        let outputs = index.tx(tx_of(hex)?).outputs;
        if vout >= outputs.end - outputs.start {
            return Err(StartError::NoSuchOutput(text.to_owned(), outputs.end - outputs.start));
        }
        return Ok(vec![outputs.start + vout]);
    }
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(index.tx(tx_of(text)?).outputs.collect());
    }
    let key = AddressKey::parse(text, index.network()).map_err(|_| StartError::Unparsable(text.to_owned()))?;
    let id = index.address_by_key(&key).ok_or_else(|| StartError::UnknownAddress(text.to_owned()))?;
    Ok(index.address_outputs(id).into_iter().map(|OutNum(o)| o).collect())
}
