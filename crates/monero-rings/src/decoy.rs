//! The reference wallet's decoy selection (wallet2 of Monero 0.18, the
//! "gamma picker"), as a probability over the blocks a decoy can come from.
//!
//! wallet2 draws `x = exp(G)` seconds with `G ~ Gamma(19.28, 1/1.61)`; if
//! `x > 1200` it uses `x - 1200`, else a uniform integer in `[0, 1800)`; it
//! turns `x` into an offset from the newest spendable RingCT output with the
//! chain's average output time (120 s x blocks / outputs over at most a year),
//! rejects offsets beyond the spendable outputs, finds the block with
//! `lower_bound` over the cumulative output counts, and picks an output of that
//! block uniformly. It draws 74 distinct outputs so (75 with the real one,
//! `(15 + 1) * 1.5 + 1` plus 50 spares for locked miner outputs), the daemon's
//! answer drops locked ones (miner outputs younger than 60 blocks), and 15 of
//! the rest, shuffled, become the decoys.
//!
//! Drawing distinct outputs matters on a small or young chain: a recent block's
//! few outputs cannot be picked more often than they exist, so the decoys' law
//! is not the picker's. This module computes the picker's law exactly per
//! block and turns it into each output's chance of being among the decoys with
//! the standard approximation for successive sampling without replacement
//! (inclusion `1 - exp(-l p)`, with `l` set so the 74 draws are used up).
//! Under that (Poisson-sampling) approximation, the chance that member j is the
//! real spend is proportional to `f(o_j) / pi(o_j)`.

use statrs::function::gamma::gamma_lr;

use monero::wallet2::BLOCKS_IN_A_YEAR;
pub use monero::wallet2::{GAMMA_SCALE, GAMMA_SHAPE, MINED_UNLOCK_WINDOW, SPENDABLE_AGE};

/// Seconds subtracted from draws beyond it (`wallet2`'s, as a float).
const DEFAULT_UNLOCK_TIME: f64 = monero::wallet2::DEFAULT_UNLOCK_TIME as f64;
/// Draws below the unlock time become a uniform integer below this.
const RECENT_SPEND_WINDOW: f64 = monero::wallet2::RECENT_SPEND_WINDOW as f64;
/// Distinct outputs the wallet draws besides the real one.
const PICKS: f64 = 74.0;
/// The newest blocks computed one by one; older ones have inclusion chances
/// small enough for the linear regime, and are taken a range at a time.
const EXACT_BLOCKS: usize = 4000;

/// P(exp(G) <= t).
fn cdf_seconds(t: f64) -> f64 {
    if t <= 1.0 { 0.0 } else { gamma_lr(GAMMA_SHAPE, t.ln() / GAMMA_SCALE) }
}

/// P(x in [u, v)) for the picker's x (after the unlock-time shift).
fn mass_x(u: f64, v: f64) -> f64 {
    if v <= u {
        return 0.0;
    }
    let u = u.max(0.0);
    let gamma_part = cdf_seconds(v + DEFAULT_UNLOCK_TIME) - cdf_seconds(u + DEFAULT_UNLOCK_TIME);
    // Uniform integers 0..1800: those in [u, v).
    let lo = u.ceil().max(0.0);
    let hi = v.ceil().min(RECENT_SPEND_WINDOW);
    let uniform_part = if hi > lo { cdf_seconds(DEFAULT_UNLOCK_TIME) * (hi - lo) / RECENT_SPEND_WINDOW } else { 0.0 };
    gamma_part + uniform_part
}

/// One of the newest blocks, computed on its own.
#[derive(Debug, Clone, Copy, Default)]
struct ExactBlock {
    unlocked: f64,
    coinbase_unlocked: f64,
    inclusion: f64,
}

/// The decoy law of a wallet building a transaction when the chain has
/// `height` blocks: each block's share of the decoys (unlocked outputs only),
/// exact for the newest blocks, a range at a time for older ones.
#[derive(Debug, Clone)]
pub struct DecoyLaw<'a> {
    offsets: &'a [u64],
    coinbase_per_block: &'a [u64],
    /// The height of the block the transaction goes into.
    height: u64,
    /// Blocks a decoy can come from: `0..end`.
    end: usize,
    num_outs: f64,
    avg: f64,
    /// The picker's acceptance mass (normaliser of its law).
    accept: f64,
    /// Inclusion scale `l`.
    scale: f64,
    /// First block computed one by one.
    exact_from: usize,
    /// Per exact block: its unlocked outputs, how many of them are miner
    /// outputs, and each one's chance of being among the decoys.
    exact: Vec<ExactBlock>,
    /// Normaliser: expected unlocked picks.
    total: f64,
}

impl<'a> DecoyLaw<'a> {
    /// The law at chain height `height` given cumulative RingCT output counts
    /// per block and RingCT miner outputs per block; `None` when the wallet
    /// would refuse (too few blocks or outputs).
    pub fn at(height: u64, rct_cumulative: &'a [u64], coinbase_per_block: &'a [u64]) -> Option<Self> {
        let h = height as usize;
        if h <= SPENDABLE_AGE as usize || h > rct_cumulative.len() {
            return None;
        }
        let offsets = &rct_cumulative[..h];
        let blocks_to_consider = (h as u64).min(BLOCKS_IN_A_YEAR) as usize;
        let first = if blocks_to_consider < h { offsets[h - blocks_to_consider - 1] } else { 0 };
        let outputs_to_consider = offsets[h - 1] - first;
        let end = h - SPENDABLE_AGE as usize;
        let num_outs = offsets[end - 1];
        if num_outs == 0 || outputs_to_consider == 0 {
            return None;
        }
        let avg = 120.0 * blocks_to_consider as f64 / outputs_to_consider as f64;
        let exact_from = end.saturating_sub(EXACT_BLOCKS);
        let mut law = Self {
            offsets,
            coinbase_per_block,
            height,
            end,
            num_outs: num_outs as f64,
            avg,
            accept: 1.0,
            scale: 1.0,
            exact_from,
            exact: Vec::new(),
            total: 1.0,
        };
        law.accept = law.raw_range(0, end);
        if law.accept <= 0.0 {
            return None;
        }
        // Per exact block: (outputs, pick probability).
        let blocks: Vec<(f64, f64)> = (exact_from..end)
            .map(|b| (offsets[b] as f64 - law.outputs_before(b), law.raw_range(b, b + 1) / law.accept))
            .collect();
        let old_mass = law.raw_range(0, exact_from) / law.accept;
        let used = |l: f64| -> f64 {
            blocks.iter().map(|&(n, p)| if n > 0.0 { n * (1.0 - (-l * p / n).exp()) } else { 0.0 }).sum::<f64>()
                + l * old_mass
        };
        law.scale = if law.num_outs <= PICKS + 1.0 {
            // Every output is taken.
            f64::INFINITY
        } else {
            let (mut lo, mut hi) = (0.0, PICKS);
            while used(hi) < PICKS {
                hi *= 2.0;
            }
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if used(mid) < PICKS { lo = mid } else { hi = mid }
            }
            0.5 * (lo + hi)
        };
        law.exact = (exact_from..end)
            .zip(&blocks)
            .map(|(b, &(n, p))| {
                if n <= 0.0 {
                    return ExactBlock::default();
                }
                let inclusion = if law.scale.is_infinite() { 1.0 } else { 1.0 - (-law.scale * p / n).exp() };
                let coinbase = coinbase_per_block.get(b).copied().unwrap_or(0) as f64;
                let locked = if law.locked(b) { coinbase } else { 0.0 };
                ExactBlock { unlocked: n - locked, coinbase_unlocked: coinbase - locked, inclusion }
            })
            .collect();
        let old = if law.scale.is_infinite() { law.outputs_before(exact_from) } else { law.scale * old_mass };
        law.total = law.exact.iter().map(|e| e.unlocked * e.inclusion).sum::<f64>() + old;
        (law.total > 0.0).then_some(law)
    }

    /// Blocks a decoy can come from: `0..end()`.
    pub fn end(&self) -> usize {
        self.end
    }

    /// Whether block `b`'s miner outputs are still locked for a transaction
    /// in block `height` (they unlock 60 blocks on).
    pub fn locked(&self, b: usize) -> bool {
        (b as u64) + MINED_UNLOCK_WINDOW > self.height
    }

    /// The chance that one given output of block `b` is among the decoys
    /// (as a share of the decoys, so it sums to 1 over every output); 0 for
    /// blocks too young and for locked miner outputs (`coinbase` says which).
    pub fn output_share(&self, b: usize, coinbase: bool) -> f64 {
        if b >= self.end || (coinbase && self.locked(b)) {
            return 0.0;
        }
        if b >= self.exact_from {
            return self.exact[b - self.exact_from].inclusion / self.total;
        }
        let outputs = self.offsets[b] as f64 - self.outputs_before(b);
        if outputs <= 0.0 {
            return 0.0;
        }
        let mass = if self.scale.is_infinite() { outputs } else { self.scale * self.raw_range(b, b + 1) / self.accept };
        mass / outputs / self.total
    }

    fn outputs_before(&self, b: usize) -> f64 {
        if b == 0 { 0.0 } else { self.offsets[b - 1] as f64 }
    }

    /// Unnormalised picker mass of blocks `from..to` (lower_bound assigns block
    /// b the picks with idx in (offsets[b-1], offsets[b]]).
    fn raw_range(&self, from: usize, to: usize) -> f64 {
        if from >= to {
            return 0.0;
        }
        let hi_idx = self.offsets[to - 1] as f64;
        let lo_idx = if from == 0 { -1.0 } else { self.offsets[from - 1] as f64 };
        if hi_idx <= lo_idx {
            return 0.0;
        }
        let off_lo = (self.num_outs - 1.0 - hi_idx).max(0.0);
        let off_hi = self.num_outs - 2.0 - lo_idx;
        if off_hi < off_lo {
            return 0.0;
        }
        mass_x(off_lo * self.avg, (off_hi + 1.0) * self.avg)
    }

    /// Share of the decoys that come from blocks `from..to`, and the part of it
    /// that is miner outputs (older than the exact window: in proportion to
    /// their count).
    pub fn range(&self, from: usize, to: usize) -> (f64, f64) {
        let to = to.min(self.end);
        if from >= to {
            return (0.0, 0.0);
        }
        let split = self.exact_from.clamp(from, to);
        let (mut mass, mut coinbase_mass) = (0.0, 0.0);
        if split > from {
            let outputs = self.outputs_before(split) - self.outputs_before(from);
            mass =
                if self.scale.is_infinite() { outputs } else { self.scale * self.raw_range(from, split) / self.accept };
            let coinbase: u64 = self.coinbase_per_block[from..split].iter().sum();
            coinbase_mass = if outputs > 0.0 { mass * coinbase as f64 / outputs } else { 0.0 };
        }
        for e in &self.exact[split - self.exact_from..to - self.exact_from] {
            mass += e.unlocked * e.inclusion;
            coinbase_mass += e.coinbase_unlocked * e.inclusion;
        }
        (mass / self.total, coinbase_mass / self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_law_sums_to_one_and_favours_recent_blocks() {
        let cumulative: Vec<u64> = (1..=2000u64).map(|b| b * 4).collect();
        let coinbase = vec![1u64; 2000];
        let law = DecoyLaw::at(2000, &cumulative, &coinbase).unwrap();
        assert_eq!(law.end(), 1990);
        assert!((law.range(0, 1990).0 - 1.0).abs() < 1e-9);
        let per_block: f64 = (0..1990).map(|b| law.range(b, b + 1).0).sum();
        assert!((per_block - 1.0).abs() < 1e-9, "ranges tile: {per_block}");
        // Recent blocks (but not the locked miner outputs) get more mass than old ones.
        assert!(law.range(1980, 1981).0 > law.range(100, 101).0);
        assert_eq!(law.range(1980, 1981).1, 0.0, "miner outputs younger than 60 blocks are locked");
        assert!(law.range(1900, 1901).1 > 0.0);
        assert!(DecoyLaw::at(5, &cumulative, &coinbase).is_none());
    }

    #[test]
    fn output_shares_spread_each_block_over_its_outputs() {
        let cumulative: Vec<u64> = (1..=2000u64).map(|b| b * 4).collect();
        let coinbase = vec![1u64; 2000];
        let law = DecoyLaw::at(2000, &cumulative, &coinbase).unwrap();
        let mut total = 0.0;
        for b in 0..law.end() {
            let (all, miner) = law.range(b, b + 1);
            let per_output = law.output_share(b, false);
            assert!((per_output * 3.0 + law.output_share(b, true) - all).abs() < 1e-12, "block {b}");
            assert!((law.output_share(b, true) - miner).abs() < 1e-12, "block {b}");
            total += all;
        }
        assert!((total - 1.0).abs() < 1e-9);
        // Too young for a decoy, or a locked miner output: never picked.
        assert_eq!(law.output_share(law.end(), false), 0.0);
        assert_eq!(law.output_share(1980, true), 0.0);
        assert!(law.output_share(1980, false) > 0.0);
    }
}
