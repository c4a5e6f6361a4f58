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
//! - [`path`]: the shortest money path between two places.
//! - [`budget`]: bounds on a trace's work and size, and its cancellation.
//! - [`report`]: the flow named and summarised, as JSON, a table, CSV, DOT or HTML.

pub mod budget;
pub mod path;
pub mod policy;
pub mod pools;
pub mod queue;
pub mod report;
pub mod services;
pub mod tracer;
pub mod view;

pub use budget::{Budget, CancelOnDrop, Exceeded};
pub use path::{MoneyPath, PathTarget, money_path};
pub use policy::{Policy, Taint};
pub use pools::PoolLinks;
pub use report::{DEFAULT_MAX_ROWS, Omitted, Report};
pub use services::{NoServices, Service, Services};
pub use tracer::{DEFAULT_MAX_NODES, Direction, EndKind, Flow, HAIRCUT_DUST, TraceOptions, default_min_value, trace};
pub use view::{ChainView, IndexView, Source};

use index::{Index, OutNum, SubjectError, SubjectKind};

/// A starting point could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Not an outpoint, txid or address, or naming what the index lacks.
    #[error(transparent)]
    Subject(#[from] SubjectError),
    /// An address the index has never seen.
    #[error("address {0} is not in the index")]
    UnknownAddress(String),
}

/// The outputs a `--from` names: an outpoint (`txid:vout`) names one output; a txid
/// names all of its outputs; an address names every output it received.
///
/// # Errors
/// When `text` is none of these, or names something not in the index.
pub fn start_outputs(index: &Index, text: &str) -> Result<Vec<OutNum>, StartError> {
    let subject = index.resolve_subject(text)?;
    if subject.kind == SubjectKind::Address && subject.address.is_none() {
        return Err(StartError::UnknownAddress(text.trim().to_owned()));
    }
    Ok(subject.outputs)
}

/// The `until_height` a date stands for: forward, the last block stamped by
/// the end of it (later spends are ignored); backward, the first block stamped
/// from its start (coins made before it are not followed).
///
/// # Errors
/// When `date` does not parse, or no block of the index falls on that side of it.
pub fn until_height_of_date(index: &Index, direction: Direction, date: &str) -> Result<u32, String> {
    let span: index::TimeSpan = date.parse()?;
    let height = match direction {
        Direction::Forward => index.last_block_at_or_before(span.last),
        Direction::Backward => index.first_block_at_or_after(span.first),
    };
    height.map(|h| h.0).ok_or_else(|| match direction {
        Direction::Forward => format!("no block of the index is stamped at or before {date}"),
        Direction::Backward => format!("no block of the index is stamped at or after {date}"),
    })
}
