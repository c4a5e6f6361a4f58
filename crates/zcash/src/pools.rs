//! The shielded pools as a turnstile: every transaction's value into and out
//! of Sprout (JoinSplits' vpub_old and vpub_new), Sapling and Orchard (their value
//! balances), and per-height pool balances that must never go negative.

use crate::tx::Transaction;
use serde::Serialize;

/// 21 million ZEC in zatoshis: no amount may exceed it.
pub const MAX_MONEY: u64 = 21_000_000 * 100_000_000;

/// A shielded pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pool {
    /// Sprout (JoinSplits, 2016).
    Sprout,
    /// Sapling (2018).
    Sapling,
    /// Orchard (NU5, 2022).
    Orchard,
}

impl Pool {
    /// Every pool, in activation order.
    pub const ALL: [Pool; 3] = [Self::Sprout, Self::Sapling, Self::Orchard];

    /// Its name (`sprout`, `sapling`, `orchard`), as zcashd's `valuePools` ids.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sprout => "sprout",
            Self::Sapling => "sapling",
            Self::Orchard => "orchard",
        }
    }

    /// Its name for people: `Sprout`, `Sapling`, `Orchard`.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Sprout => "Sprout",
            Self::Sapling => "Sapling",
            Self::Orchard => "Orchard",
        }
    }
}

/// Value a transaction moves into and out of one pool, in zatoshis. Sapling and
/// Orchard show only their net balance, so one of the two is zero for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Crossing {
    /// From the transparent side into the pool (shielding).
    pub into: u64,
    /// Out of the pool to the transparent side (deshielding).
    pub out_of: u64,
}

impl Crossing {
    /// The pool's change: `into - out_of`.
    pub fn delta(&self) -> i64 {
        self.into as i64 - self.out_of as i64
    }

    /// Whether nothing crosses.
    pub fn is_empty(&self) -> bool {
        self.into == 0 && self.out_of == 0
    }
}

/// A transaction's crossings, per pool (indexed as [`Pool::ALL`]).
pub fn crossings(tx: &Transaction<'_>) -> [Crossing; 3] {
    let mut out = [Crossing::default(); 3];
    for js in &tx.joinsplits {
        out[0].into += js.vpub_old();
        out[0].out_of += js.vpub_new();
    }
    let net = |balance: i64| {
        if balance >= 0 {
            Crossing { into: 0, out_of: balance as u64 }
        } else {
            Crossing { into: balance.unsigned_abs(), out_of: 0 }
        }
    };
    if let Some(s) = &tx.sapling {
        out[1] = net(s.value_balance);
    }
    if let Some(o) = &tx.orchard {
        out[2] = net(o.value_balance);
    }
    out
}

/// A pool whose balance would go negative: the chain (or the reading) is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("height {height}: the {} pool would hold {balance} zatoshis (below zero)", pool.name())]
pub struct NegativePool {
    /// Where.
    pub height: u32,
    /// Which pool.
    pub pool: Pool,
    /// The balance it would have.
    pub balance: i64,
}

/// Pool balances, applied block by block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Turnstile {
    /// Zatoshis in each pool (indexed as [`Pool::ALL`]).
    pub balances: [i64; 3],
}

impl Turnstile {
    /// Applies a block's per-pool deltas.
    ///
    /// # Errors
    /// When a pool would go negative (the balances are left unchanged).
    pub fn apply(&mut self, height: u32, deltas: [i64; 3]) -> Result<(), NegativePool> {
        let mut next = self.balances;
        for (i, d) in deltas.iter().enumerate() {
            next[i] += d;
            if next[i] < 0 {
                return Err(NegativePool { height, pool: Pool::ALL[i], balance: next[i] });
            }
        }
        self.balances = next;
        Ok(())
    }
}

/// A block's per-pool deltas: the sum of its transactions' crossings.
pub fn block_deltas<'a>(txs: impl IntoIterator<Item = &'a Transaction<'a>>) -> [i64; 3] {
    let mut d = [0i64; 3];
    for tx in txs {
        for (i, c) in crossings(tx).iter().enumerate() {
            d[i] += c.delta();
        }
    }
    d
}
