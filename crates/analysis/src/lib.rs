//! Entities and facts over the index: address clustering (common-input ownership
//! and change heuristics, with a collapse guard), CoinJoin classification, peel
//! chains, and evaluation against ground truth. See docs/entities.md.
//!
//! - [`coinjoin`]: protocol classifiers (Whirlpool, Tx0, Wasabi 1, WabiSabi,
//!   JoinMarket, generic).
//! - [`change`]: change heuristics, one rule each.
//! - [`features`], [`model`], [`train`], [`dataset`]: the change model: what it
//!   reads of each output, the calibrated model shipped in `model/change.json`,
//!   its learners, and the labelled outputs it learns from and is judged on.
//! - [`constraints`]: must-not-link constraints on change links.
//! - [`behaviour`]: services recognised by behaviour (exchanges, mining pools).
//! - [`cluster`]: the clustering pass and its saved state; [`Analysis`] reads it.
//! - [`peel`]: peel-chain detection.
//! - [`truth`], [`eval`]: ground truth, and precision and recall against it.

pub mod behaviour;
pub mod change;
pub mod cluster;
pub mod coinjoin;
pub mod constraints;
pub mod dataset;
pub mod eval;
pub mod facts;
pub mod features;
pub mod model;
pub mod peel;
mod reader;
pub mod train;
pub mod truth;
pub mod unionfind;

pub use cluster::{ClusterOptions, ClusterReport, Heuristics, cluster};
pub use coinjoin::{Protocol, Verdict};
pub use reader::Analysis;

use std::path::PathBuf;

/// An error of the analysis.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// An I/O error on an analysis file.
    #[error("{path}: {cause}", path = .0.display(), cause = .1)]
    Io(PathBuf, std::io::Error),
    /// A file that does not parse.
    #[error("{path}: {cause}", path = .0.display(), cause = .1)]
    Corrupt(PathBuf, String),
    /// The index could not be read.
    #[error(transparent)]
    Index(#[from] index::IndexError),
    /// Another `cluster` run holds the analysis directory.
    #[error("{path}: another `chainsleuth cluster` is running on this index; wait for it", path = .0.display())]
    Locked(PathBuf),
}
