//! Sizes of the simulated economy.

use std::str::FromStr;

/// The size of a simulated economy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Its name.
    pub name: &'static str,
    /// Ordinary users.
    pub users: usize,
    /// Exchanges (the first is the theft's victim).
    pub exchanges: usize,
    /// Merchants.
    pub merchants: usize,
    /// Mining pools.
    pub pools: usize,
    /// Transactions per block once the economy runs.
    pub txs_per_block: usize,
    /// Blocks when neither `--txs` nor `--blocks` is given.
    pub default_blocks: u32,
    /// One stale block about every this many blocks.
    pub stale_every: u32,
}

impl Profile {
    /// A few hundred blocks of a small town: quick to generate, for tests.
    pub const SMALL: Profile = Profile {
        name: "small",
        users: 300,
        exchanges: 3,
        merchants: 15,
        pools: 3,
        txs_per_block: 60,
        default_blocks: 400,
        stale_every: 90,
    };
    /// A city: a few hundred thousand transactions.
    pub const DEFAULT: Profile = Profile {
        name: "default",
        users: 20_000,
        exchanges: 6,
        merchants: 300,
        pools: 5,
        txs_per_block: 700,
        default_blocks: 600,
        stale_every: 120,
    };
    /// A country: millions of transactions (use with `--txs`).
    pub const LARGE: Profile = Profile {
        name: "large",
        users: 250_000,
        exchanges: 12,
        merchants: 3_000,
        pools: 8,
        txs_per_block: 2_500,
        default_blocks: 2_000,
        stale_every: 300,
    };
}

/// An unknown profile name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile {0:?} (expected small, default or large)")]
pub struct ParseProfileError(String);

impl FromStr for Profile {
    type Err = ParseProfileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "small" => Ok(Self::SMALL),
            "default" => Ok(Self::DEFAULT),
            "large" => Ok(Self::LARGE),
            other => Err(ParseProfileError(other.to_owned())),
        }
    }
}
