//! Monero ring analysis over a [`monero_index::Store`].
//!
//! Every input's ring holds one real spend among decoys. The rules, each
//! switchable ([`Rule`]):
//! - certain ones ([`deduce`]): chain reaction (zero-mix rings and what they
//!   prove spent, to a fixed point) and closed sets (a Dulmage-Mendelsohn
//!   decomposition finds every member no consistent reading can use);
//! - a service's own knowledge ([`known`]);
//! - evidence: output merging ([`merge`]) and the decoy-aware posterior
//!   ([`age`], over wallet2's decoy law in [`decoy`]).
//!
//! [`Analysis`] gives each member its probability; [`eval`] scores it against
//! ground truth with the baselines beside it; [`trace`] follows value through
//! rings with those probabilities.

pub mod age;
pub mod analysis;
pub mod decoy;
pub mod deduce;
pub mod eval;
pub mod graph;
pub mod known;
pub mod merge;
pub mod rules;
pub mod trace;

pub use analysis::{Analysis, Options};
pub use graph::RingGraph;
pub use known::Knowledge;
pub use rules::Rule;
