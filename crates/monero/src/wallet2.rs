//! The consensus and wallet2 (v0.18) constants behind decoy selection, shared by
//! the simulator's picker and the ring analysis's model of it.

/// Blocks before an ordinary output may be spent (`CRYPTONOTE_DEFAULT_TX_SPENDABLE_AGE`).
pub const SPENDABLE_AGE: u64 = 10;
/// Blocks before a coinbase output may be spent (`CRYPTONOTE_MINED_MONEY_UNLOCK_WINDOW`).
pub const MINED_UNLOCK_WINDOW: u64 = 60;
/// `DIFFICULTY_TARGET_V2`, seconds per block.
pub const TARGET_V2: u64 = 120;
/// wallet2's `GAMMA_SHAPE` (over log seconds).
pub const GAMMA_SHAPE: f64 = 19.28;
/// wallet2's `GAMMA_SCALE` (over log seconds).
pub const GAMMA_SCALE: f64 = 1.0 / 1.61;
/// wallet2's `DEFAULT_UNLOCK_TIME`: the spendable age in seconds, subtracted
/// from draws beyond it.
pub const DEFAULT_UNLOCK_TIME: u64 = SPENDABLE_AGE * TARGET_V2;
/// wallet2's `RECENT_SPEND_WINDOW`, seconds: draws below the unlock time become
/// a uniform integer below this.
pub const RECENT_SPEND_WINDOW: u64 = 15 * TARGET_V2;
/// Blocks in a year of `TARGET_V2` blocks (the span wallet2 averages output times over).
pub const BLOCKS_IN_A_YEAR: u64 = 86_400 * 365 / TARGET_V2;
