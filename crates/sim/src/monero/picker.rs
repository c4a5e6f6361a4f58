//! The random draws of Monero mode: the decoy pickers (wallet2 v0.18's gamma
//! picker for RingCT, uniform picks among outputs of one amount before it) and
//! the age at which a coin is really spent, which follows its own distribution.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use monero::wallet2::{
    BLOCKS_IN_A_YEAR, DEFAULT_UNLOCK_TIME, GAMMA_SCALE, GAMMA_SHAPE, RECENT_SPEND_WINDOW, TARGET_V2,
};
pub use monero::wallet2::{MINED_UNLOCK_WINDOW as COINBASE_UNLOCK, SPENDABLE_AGE};

/// A standard normal draw (Box-Muller).
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A gamma draw of shape `shape` (at least 1) and scale `scale` (Marsaglia and
/// Tsang's method).
pub fn gamma(rng: &mut ChaCha8Rng, shape: f64, scale: f64) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v * scale;
        }
    }
}

/// wallet2 v0.18.0.0's `gamma_picker` over the cumulative RingCT output counts
/// of blocks `0..height` (`rct_offsets`, as `get_output_distribution` gives them).
#[derive(Debug, Clone, Copy)]
pub struct GammaPicker {
    /// Blocks the picker may land in: all but the last `SPENDABLE_AGE`.
    end: usize,
    /// RingCT outputs in those blocks.
    num_rct_outputs: u64,
    /// Seconds between outputs over the last year (or the whole chain).
    average_output_time: f64,
}

impl GammaPicker {
    /// The picker for `rct_offsets`; `None` where wallet2 throws (too few
    /// blocks, or no unlocked RingCT output).
    pub fn new(rct_offsets: &[u64]) -> Option<Self> {
        if rct_offsets.len() <= SPENDABLE_AGE as usize {
            return None;
        }
        let blocks_to_consider = rct_offsets.len().min(BLOCKS_IN_A_YEAR as usize);
        let last = *rct_offsets.last()?;
        let outputs_to_consider = last
            - if blocks_to_consider < rct_offsets.len() {
                rct_offsets[rct_offsets.len() - blocks_to_consider - 1]
            } else {
                0
            };
        let end = rct_offsets.len() - SPENDABLE_AGE as usize;
        let num_rct_outputs = rct_offsets[end - 1];
        if num_rct_outputs == 0 || outputs_to_consider == 0 {
            return None;
        }
        let average_output_time = TARGET_V2 as f64 * blocks_to_consider as f64 / outputs_to_consider as f64;
        Some(Self { end, num_rct_outputs, average_output_time })
    }

    /// The RingCT outputs the picker can return (those of blocks up to
    /// `height - 11`); the wallet rejects picks at or beyond it.
    pub fn num_outs(&self) -> u64 {
        self.num_rct_outputs
    }

    /// One pick: a global index and the block it lies in, or `None` for a bad
    /// pick (too old, or an empty block), which the wallet draws again.
    pub fn pick(&self, rct_offsets: &[u64], rng: &mut ChaCha8Rng) -> Option<(u64, usize)> {
        let mut x = gamma(rng, GAMMA_SHAPE, GAMMA_SCALE).exp();
        if x > DEFAULT_UNLOCK_TIME as f64 {
            x -= DEFAULT_UNLOCK_TIME as f64;
        } else {
            x = rng.random_range(0..RECENT_SPEND_WINDOW) as f64;
        }
        // The C++ converts the quotient to uint64_t: truncation.
        let offset = (x / self.average_output_time) as u64;
        if offset >= self.num_rct_outputs {
            return None;
        }
        let output_index = self.num_rct_outputs - 1 - offset;
        // std::lower_bound: the first block whose cumulative count is not below
        // the index. An index equal to a block's cumulative count (the first
        // output of the next block) lands in the earlier block: wallet2's quirk.
        let blocks = rct_offsets.get(..self.end)?;
        let index = blocks.partition_point(|&c| c < output_index);
        if index == blocks.len() {
            return None;
        }
        let first = if index == 0 { 0 } else { rct_offsets[index - 1] };
        let n = rct_offsets[index] - first;
        if n == 0 {
            return None;
        }
        Some((first + rng.random_range(0..n), index))
    }
}

/// When a coin is really spent: a fresh-spend component just after the coin
/// unlocks and a log-normal long tail, in blocks.
#[derive(Debug, Clone, Copy)]
pub struct SpendAges {
    /// Share of spends from the fresh component.
    pub fresh_share: f64,
    /// Mean of the fresh component's exponential delay after unlocking, blocks.
    pub fresh_mean: f64,
    /// Median of the long tail, blocks.
    pub tail_median: f64,
    /// Log-space standard deviation of the long tail.
    pub tail_sigma: f64,
}

impl SpendAges {
    /// A target age in blocks, at least [`SPENDABLE_AGE`].
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> u64 {
        let blocks = if rng.random_bool(self.fresh_share) {
            let u: f64 = 1.0 - rng.random::<f64>();
            SPENDABLE_AGE as f64 - self.fresh_mean * u.ln()
        } else {
            (self.tail_median.ln() + self.tail_sigma * normal(rng)).exp()
        };
        (blocks as u64).max(SPENDABLE_AGE)
    }
}

impl SpendAges {
    /// The mean age of spends when ages beyond `h` blocks are drawn again (the
    /// distribution truncated to the chain): with the rate of spends, the
    /// number of coins the wallets must hold for the ages to be met.
    pub fn mean_below(&self, h: u64) -> f64 {
        let h = h as f64;
        let floor = SPENDABLE_AGE as f64;
        if h <= floor {
            return floor;
        }
        // Fresh: 10 + Exp(m) below h.
        let d = h - floor;
        let m = self.fresh_mean;
        let tail = (-d / m).exp();
        let fresh_p = 1.0 - tail;
        let fresh_e = floor * fresh_p + m - (d + m) * tail;
        // Log-normal below h: its partial expectation.
        let (mu, sigma) = (self.tail_median.ln(), self.tail_sigma);
        let tail_p = phi((h.ln() - mu) / sigma);
        let tail_e = (mu + sigma * sigma / 2.0).exp() * phi((h.ln() - mu - sigma * sigma) / sigma);
        let p = self.fresh_share * fresh_p + (1.0 - self.fresh_share) * tail_p;
        let e = self.fresh_share * fresh_e + (1.0 - self.fresh_share) * tail_e;
        if p > 0.0 { (e / p).max(floor) } else { floor }
    }
}

/// The standard normal distribution function (Abramowitz and Stegun 7.1.26).
fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 { 0.5 * (1.0 + erf) } else { 0.5 * (1.0 - erf) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn truncated_mean_age_matches_draws() {
        let ages = SpendAges { fresh_share: 0.4, fresh_mean: 8.0, tail_median: 2160.0, tail_sigma: 1.3 };
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for h in [50u64, 1000, 20_000] {
            let draws: Vec<u64> = (0..200_000).map(|_| ages.draw(&mut rng)).filter(|&a| a <= h).collect();
            let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
            let want = ages.mean_below(h);
            assert!((mean - want).abs() < want * 0.03 + 1.0, "{h}: {mean} vs {want}");
        }
        assert!((phi(0.0) - 0.5).abs() < 1e-7 && (phi(1.96) - 0.975).abs() < 1e-4);
    }

    #[test]
    fn gamma_has_its_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 200_000;
        let mean = (0..n).map(|_| gamma(&mut rng, GAMMA_SHAPE, GAMMA_SCALE)).sum::<f64>() / f64::from(n);
        assert!((mean - GAMMA_SHAPE * GAMMA_SCALE).abs() < 0.02, "{mean}");
    }

    #[test]
    fn picks_stay_below_the_unlocked_outputs_and_favour_recent_blocks() {
        // 2,000 blocks of 10 RingCT outputs each.
        let offsets: Vec<u64> = (1..=2000).map(|b| b * 10).collect();
        let picker = GammaPicker::new(&offsets).unwrap();
        assert_eq!(picker.num_outs(), 19_900);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let picks: Vec<(u64, usize)> = (0..20_000).filter_map(|_| picker.pick(&offsets, &mut rng)).collect();
        assert!(picks.iter().all(|&(gi, block)| gi < 19_900 && block < 1990 && gi / 10 == block as u64));
        let recent = picks.iter().filter(|&&(_, b)| b >= 1990 - 100).count();
        assert!(recent * 4 > picks.len(), "{recent} of {}", picks.len());
        assert!(GammaPicker::new(&offsets[..10]).is_none());
    }

    #[test]
    fn lower_bound_puts_a_block_boundary_in_the_earlier_block() {
        // Whatever the draw, the quirk only ever moves a pick one block back.
        let offsets = [0u64, 5, 5, 9, 14, 20, 21, 30, 31, 40, 45, 50];
        let picker = GammaPicker::new(&offsets).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..1000 {
            if let Some((gi, block)) = picker.pick(&offsets, &mut rng) {
                let first = if block == 0 { 0 } else { offsets[block - 1] };
                assert!(gi >= first && gi < offsets[block] && block != 0 && block != 2);
            }
        }
    }
}
