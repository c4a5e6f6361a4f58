//! The decoy-aware estimate. A ring is one real spend drawn from the spender's
//! age law `f` plus decoys drawn from the wallet's law `d`, so member j is real
//! with probability proportional to `f(o_j) / d(o_j)`. That ratio is modelled
//! as one factor per category (age bin x miner output or not) and learned from
//! the chain alone by expectation-maximisation: each round spreads every
//! input's unit of "real spend" over its possible members, then sets each
//! factor to the expected real spends in its category over the decoy mass the
//! wallet law gives it. Miner outputs share the age bins' factors times one
//! factor of their own. A member the picker could not have chosen (younger
//! than any decoy, as a coin spent in the first block it may be) is outside
//! the categories and all but certainly real; a miner output still locked
//! cannot be real. With a few thousand rings the plain maximum-likelihood
//! factors are still noisy, so the M-step can be penalised: neighbouring
//! age bins' log-factors are pulled together (a random-walk prior), with a
//! strength chosen by three-fold cross-validation of the rings' own likelihood.
//! The truth is never seen; [`AgeModel::oracle`] takes the same categories with
//! counts from the truth, unsmoothed, as the bound to read results against.

use crate::decoy::{DecoyLaw, SPENDABLE_AGE};
use crate::deduce::Deduction;
use crate::graph::RingGraph;
use rayon::prelude::*;
use std::sync::Arc;

/// Upper edges of the age bins, in blocks (the last is open).
const AGE_EDGES: [u32; 40] = [
    11,
    12,
    13,
    14,
    15,
    17,
    19,
    21,
    24,
    27,
    30,
    34,
    38,
    43,
    49,
    56,
    64,
    73,
    84,
    96,
    110,
    127,
    146,
    168,
    194,
    225,
    262,
    305,
    356,
    416,
    487,
    571,
    700,
    900,
    1200,
    1700,
    2500,
    5000,
    20_000,
    u32::MAX,
];

/// Categories: age bins x {other, miner output}.
pub const CATEGORIES: usize = AGE_EDGES.len() * 2;

/// Pseudo-count that pulls a category with little evidence towards "like a decoy".
const PRIOR: f64 = 1.0;

/// The category of a member `age` blocks old.
pub fn category(age: u32, coinbase: bool) -> usize {
    let bin = AGE_EDGES.partition_point(|&e| e <= age).min(AGE_EDGES.len() - 1);
    bin * 2 + usize::from(coinbase)
}

/// The learned factors and the decoy mass per category of each modelled input.
#[derive(Debug, Clone)]
pub struct AgeModel {
    /// `f / d` per category.
    pub theta: Vec<f64>,
    /// The decoy masses and categories, shared by every model of one graph.
    prepared: Arc<Prepared>,
    /// EM rounds run.
    pub rounds: usize,
    /// The smoothing strength used (chosen by cross-validation).
    pub smoothing: f64,
}

/// What every model of one graph shares: the wallet law's mass per category
/// for each input, and each member's category. Computed once per graph.
#[derive(Debug)]
pub struct Prepared {
    /// Per input: index into `masses` (None: no wallet law applies, e.g.
    /// pre-RingCT inputs or the chain's first blocks).
    law_of: Vec<Option<u32>>,
    /// Decoy mass per category, per distinct input height.
    masses: Vec<[f64; CATEGORIES]>,
    /// Category of every member slot.
    slot_cat: Vec<u8>,
    /// What the wallet law says of every member slot besides its category.
    slot_reach: Vec<Reach>,
}

/// What the wallet law says of one ring member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The picker could have chosen it as a decoy, and it can be spent.
    Either,
    /// The picker could not have chosen it (too young for a decoy, e.g. a
    /// coin spent the first block it may be): only the real spend puts it in
    /// a ring. It stays outside the categories.
    RealOnly,
    /// It cannot be the real spend (a miner output still locked).
    DecoyOnly,
}

/// Weight of a [`Reach::RealOnly`] member against factors whose mean
/// normaliser is 1: all but certainly the real spend, yet not a deduction.
const REAL_ONLY_WEIGHT: f64 = 1000.0;

impl Prepared {
    /// Computes the masses (one wallet law per distinct input height, in
    /// parallel) and the categories.
    pub fn new(g: &RingGraph) -> Self {
        let mut by_height: Vec<(u32, u32)> =
            (0..g.inputs()).filter(|&i| g.input_amount[i] == 0).map(|i| (g.input_height[i], i as u32)).collect();
        by_height.sort_unstable();
        let groups: Vec<&[(u32, u32)]> = by_height.chunk_by(|a, b| a.0 == b.0).collect();
        type HeightLaw = ([f64; CATEGORIES], Vec<(usize, Reach)>);
        let laws: Vec<Option<HeightLaw>> = groups
            .par_iter()
            .map(|group| {
                let h = group[0].0;
                let law = DecoyLaw::at(u64::from(h), &g.rct_cumulative, &g.block_coinbase_rct)?;
                let mut reach = Vec::new();
                for &(_, i) in *group {
                    for s in g.ring(i as usize) {
                        let o = g.members[s] as usize;
                        let (b, coinbase) = (g.output_height[o] as usize, g.output_coinbase[o]);
                        let r = if coinbase && law.locked(b) {
                            Reach::DecoyOnly
                        } else if law.output_share(b, coinbase) == 0.0 {
                            Reach::RealOnly
                        } else {
                            continue;
                        };
                        reach.push((s, r));
                    }
                }
                Some((category_masses(&law, h), reach))
            })
            .collect();
        let mut law_of = vec![None; g.inputs()];
        let mut masses = Vec::new();
        let mut slot_reach = vec![Reach::Either; g.members.len()];
        for (group, law) in groups.iter().zip(laws) {
            let Some((m, reach)) = law else { continue };
            masses.push(m);
            for &(_, i) in *group {
                law_of[i as usize] = Some(masses.len() as u32 - 1);
            }
            for (s, r) in reach {
                slot_reach[s] = r;
            }
        }
        let mut slot_cat = vec![0u8; g.members.len()];
        for i in 0..g.inputs() {
            for s in g.ring(i) {
                slot_cat[s] = AgeModel::slot_category(g, i, s) as u8;
            }
        }
        Self { law_of, masses, slot_cat, slot_reach }
    }
}

/// Smoothing strengths tried by cross-validation.
const SMOOTHING_GRID: [f64; 6] = [0.0, 0.3, 1.0, 3.0, 10.0, 100.0];
/// Folds of the cross-validation.
const FOLDS: usize = 3;
/// At most this many inputs take part in the cross-validation.
const CV_INPUTS: usize = 40_000;

impl AgeModel {
    /// A model of `g` with factors 1 (uniform); the masses are computed on the
    /// graph's first model and shared by the next.
    pub fn new(g: &RingGraph) -> Self {
        let prepared = g.prepared.get_or_init(|| Arc::new(Prepared::new(g))).clone();
        Self { theta: vec![1.0; CATEGORIES], prepared, rounds: 0, smoothing: 0.0 }
    }

    /// The category of member slot `s` of input `i`.
    pub fn slot_category(g: &RingGraph, i: usize, s: usize) -> usize {
        let o = g.members[s] as usize;
        let age = g.input_height[i].saturating_sub(g.output_height[o]);
        category(age, g.output_coinbase[o])
    }

    /// Member slot `s`'s weight under the current factors.
    fn weight(&self, s: usize) -> f64 {
        match self.prepared.slot_reach[s] {
            Reach::Either => self.theta[self.prepared.slot_cat[s] as usize],
            Reach::RealOnly => REAL_ONLY_WEIGHT,
            Reach::DecoyOnly => 0.0,
        }
    }

    /// Whether input `i` is modelled (else its possible members are uniform).
    pub fn models(&self, i: usize) -> bool {
        self.prepared.law_of[i].is_some()
    }

    /// Probabilities of input `i`'s slots (zero where excluded), summing to 1.
    pub fn posterior(&self, g: &RingGraph, d: &Deduction, i: usize, out: &mut Vec<f64>) {
        out.clear();
        let modelled = self.models(i);
        out.extend(g.ring(i).map(|s| {
            if !d.alive[s] {
                0.0
            } else if modelled {
                self.weight(s)
            } else {
                1.0
            }
        }));
        let mut sum: f64 = out.iter().sum();
        if sum <= 0.0 {
            // Every possible member is one the law rules out: uniform over them.
            out.iter_mut().zip(g.ring(i)).for_each(|(p, s)| *p = f64::from(u8::from(d.alive[s])));
            sum = out.iter().sum();
        }
        if sum > 0.0 {
            out.iter_mut().for_each(|p| *p /= sum);
        }
    }

    /// Decoy mass per category summed over `inputs` (modelled ones), each
    /// input's weighted by `1 / Z_i`, `Z_i = sum_c theta_c D_i(c)` under the
    /// current factors: the linearisation that makes the M-step maximise the
    /// rings' likelihood with every input's real-spend law normalised on its own.
    fn decoy_mass(&self, inputs: &[usize]) -> [f64; CATEGORIES] {
        let mut per_law = vec![0u32; self.prepared.masses.len()];
        for law in inputs.iter().filter_map(|&i| self.prepared.law_of[i]) {
            per_law[law as usize] += 1;
        }
        let mut decoy = [0.0; CATEGORIES];
        for (law, &n) in per_law.iter().enumerate().filter(|(_, n)| **n > 0) {
            let masses = &self.prepared.masses[law];
            let z: f64 = masses.iter().zip(&self.theta).map(|(m, t)| m * t).sum();
            let w = f64::from(n) / z.max(1e-300);
            for (c, m) in masses.iter().enumerate() {
                decoy[c] += m * w;
            }
        }
        decoy
    }

    /// The M-step. The factor of a category is `exp(u_bin + kappa * miner)`:
    /// one log-factor per age bin and one for miner outputs (their own bins
    /// would be too thin to estimate). It maximises
    /// `sum_c N_c ln theta_c - D_c theta_c - lambda * sum (u_b - u_b+1)^2`
    /// (with a pseudo-count), alternating Newton steps on the tridiagonal
    /// system for `u` with the closed form for `kappa`.
    fn m_step(&mut self, counts: &[f64; CATEGORIES], decoy: &[f64; CATEGORIES], lambda: f64) {
        let bins = AGE_EDGES.len();
        let mut u: Vec<f64> = (0..bins).map(|b| self.theta[b * 2].ln()).collect();
        let mut kappa = (self.theta[1] / self.theta[0]).ln();
        for _ in 0..8 {
            let n: Vec<f64> = (0..bins).map(|b| counts[b * 2] + counts[b * 2 + 1] + PRIOR).collect();
            let d: Vec<f64> = (0..bins).map(|b| decoy[b * 2] + decoy[b * 2 + 1] * kappa.exp() + PRIOR).collect();
            for _ in 0..20 {
                let mut grad = vec![0.0; bins];
                let mut diag = vec![0.0; bins];
                for b in 0..bins {
                    let e = u[b].exp();
                    grad[b] = n[b] - d[b] * e;
                    diag[b] = d[b] * e;
                    for nb in [b.wrapping_sub(1), b + 1] {
                        if nb < bins {
                            grad[b] -= 2.0 * lambda * (u[b] - u[nb]);
                            diag[b] += 2.0 * lambda;
                        }
                    }
                }
                let step = solve_tridiagonal(&diag, -2.0 * lambda, &grad);
                let mut moved = 0.0f64;
                for b in 0..bins {
                    let st = step[b].clamp(-5.0, 5.0);
                    u[b] += st;
                    moved = moved.max(st.abs());
                }
                if moved < 1e-9 {
                    break;
                }
            }
            let miner_real: f64 = (0..bins).map(|b| counts[b * 2 + 1]).sum();
            let miner_decoy: f64 = (0..bins).map(|b| decoy[b * 2 + 1] * u[b].exp()).sum();
            kappa = ((miner_real + PRIOR) / (miner_decoy + PRIOR)).ln();
        }
        for (b, ub) in u.iter().enumerate() {
            self.theta[b * 2] = ub.exp();
            self.theta[b * 2 + 1] = (ub + kappa).exp();
        }
    }

    /// Learns the factors by EM from the chain (at most `max_rounds`, stopping
    /// when no factor moves by more than 1e-6 relative), choosing the
    /// smoothing by cross-validation first.
    /// `smoothing` given skips the cross-validation (to reuse its choice).
    pub fn learn(&mut self, g: &RingGraph, d: &Deduction, max_rounds: usize, smoothing: Option<f64>) {
        let inputs: Vec<usize> = (0..g.inputs()).filter(|&i| self.models(i)).collect();
        self.smoothing = smoothing.unwrap_or_else(|| self.choose_smoothing(g, d, &inputs, max_rounds));
        self.fit(g, d, &inputs, max_rounds, self.smoothing);
    }

    /// EM over `inputs` with smoothing `lambda`, from uniform factors.
    fn fit(&mut self, g: &RingGraph, d: &Deduction, inputs: &[usize], max_rounds: usize, lambda: f64) {
        self.theta = vec![1.0; CATEGORIES];
        let mut probs = Vec::new();
        for round in 0..max_rounds {
            let decoy = self.decoy_mass(inputs);
            let mut counts = [0.0; CATEGORIES];
            for &i in inputs {
                self.posterior(g, d, i, &mut probs);
                for (s, p) in g.ring(i).zip(&probs).filter(|(s, _)| self.prepared.slot_reach[*s] == Reach::Either) {
                    counts[self.prepared.slot_cat[s] as usize] += p;
                }
            }
            let before = self.theta.clone();
            self.m_step(&counts, &decoy, lambda);
            self.rescale(inputs);
            self.rounds = round + 1;
            let moved = before.iter().zip(&self.theta).map(|(a, b)| ((a - b) / b).abs()).fold(0.0, f64::max);
            if moved < 1e-5 {
                break;
            }
        }
    }

    /// Fixes the factors' scale (the likelihood does not see it, the prior
    /// does): the mean over `inputs` of `Z_i = sum_c theta_c D_i(c)` becomes 1.
    fn rescale(&mut self, inputs: &[usize]) {
        let (mut sum, mut n) = (0.0, 0usize);
        for law in inputs.iter().filter_map(|&i| self.prepared.law_of[i]) {
            sum += self.prepared.masses[law as usize].iter().zip(&self.theta).map(|(m, t)| m * t).sum::<f64>();
            n += 1;
        }
        if n > 0 && sum > 0.0 {
            let mean = sum / n as f64;
            self.theta.iter_mut().for_each(|t| *t /= mean);
        }
    }

    /// Log-likelihood of each of `inputs`' rings under the current factors:
    /// `ln sum_j w(o_j) - ln sum_c theta_c D_i(c)` per input (0 for one not modelled).
    pub fn log_likelihoods(&self, g: &RingGraph, d: &Deduction, inputs: &[usize]) -> Vec<f64> {
        let one = |i: usize| {
            let Some(law) = self.prepared.law_of[i] else { return 0.0 };
            let num: f64 = g.ring(i).filter(|&s| d.alive[s]).map(|s| self.weight(s)).sum();
            let den: f64 = self.prepared.masses[law as usize].iter().zip(&self.theta).map(|(m, t)| m * t).sum();
            if num > 0.0 && den > 0.0 { num.ln() - den.ln() } else { 0.0 }
        };
        inputs.iter().map(|&i| one(i)).collect()
    }

    /// The smoothing strength chosen by three-fold cross-validation of the
    /// rings' held-out likelihood, with the one-standard-error rule: the
    /// strongest smoothing whose held-out likelihood is within one standard
    /// error (of its per-ring difference) of the best. On simulated chains the
    /// plain maximum picked too little smoothing for a few thousand rings now
    /// and then, overfitting both top-1 and calibration.
    fn choose_smoothing(&mut self, g: &RingGraph, d: &Deduction, inputs: &[usize], max_rounds: usize) -> f64 {
        let stride = inputs.len().div_ceil(CV_INPUTS).max(1);
        let sample: Vec<usize> = inputs.iter().step_by(stride).copied().collect();
        // Per smoothing: every sampled ring's held-out log-likelihood, folds in turn.
        let held_out: Vec<Vec<f64>> = SMOOTHING_GRID
            .iter()
            .map(|&lambda| {
                let mut scores = Vec::with_capacity(sample.len());
                for fold in 0..FOLDS {
                    let train: Vec<usize> =
                        sample.iter().enumerate().filter(|(k, _)| k % FOLDS != fold).map(|(_, &i)| i).collect();
                    let test: Vec<usize> =
                        sample.iter().enumerate().filter(|(k, _)| k % FOLDS == fold).map(|(_, &i)| i).collect();
                    self.fit(g, d, &train, max_rounds, lambda);
                    scores.extend(self.log_likelihoods(g, d, &test));
                }
                scores
            })
            .collect();
        let total = |k: usize| held_out[k].iter().sum::<f64>();
        let best = (0..SMOOTHING_GRID.len()).max_by(|&a, &b| total(a).total_cmp(&total(b))).unwrap_or(0);
        let within_one_se = |k: usize| {
            let diff: Vec<f64> = held_out[best].iter().zip(&held_out[k]).map(|(a, b)| a - b).collect();
            let n = diff.len().max(2) as f64;
            let mean = diff.iter().sum::<f64>() / n;
            let var = diff.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            diff.iter().sum::<f64>() <= (var * n).sqrt()
        };
        let chosen = (best..SMOOTHING_GRID.len()).rev().find(|&k| within_one_se(k)).unwrap_or(best);
        SMOOTHING_GRID[chosen]
    }

    /// The same model with the factors set from the true real spends (slot of
    /// each input's real member): the bound a chain-only estimate can reach.
    pub fn oracle(&mut self, g: &RingGraph, truth_slot: &[Option<usize>]) {
        let mut counts = [0.0; CATEGORIES];
        let mut inputs = Vec::new();
        for (i, s) in truth_slot.iter().enumerate() {
            if let (Some(s), true) = (s, self.models(i)) {
                if self.prepared.slot_reach[*s] == Reach::Either {
                    counts[Self::slot_category(g, i, *s)] += 1.0;
                }
                inputs.push(i);
            }
        }
        self.theta = vec![1.0; CATEGORIES];
        for _ in 0..200 {
            let decoy = self.decoy_mass(&inputs);
            self.m_step(&counts, &decoy, 0.0);
            self.rescale(&inputs);
        }
    }
}

/// Solves `A x = rhs` for the symmetric tridiagonal `A` with diagonal `diag`
/// and constant off-diagonal `off` (Thomas algorithm).
fn solve_tridiagonal(diag: &[f64], off: f64, rhs: &[f64]) -> Vec<f64> {
    let n = diag.len();
    let mut c = vec![0.0; n];
    let mut x = vec![0.0; n];
    let mut denom = diag[0];
    c[0] = off / denom;
    x[0] = rhs[0] / denom;
    for k in 1..n {
        denom = diag[k] - off * c[k - 1];
        c[k] = off / denom;
        x[k] = (rhs[k] - off * x[k - 1]) / denom;
    }
    for k in (0..n - 1).rev() {
        x[k] -= c[k] * x[k + 1];
    }
    x
}

/// Decoy mass per category for a wallet at chain height `h`.
fn category_masses(law: &DecoyLaw<'_>, h: u32) -> [f64; CATEGORIES] {
    let mut out = [0.0; CATEGORIES];
    let end = law.end();
    // Walk the age bins from the youngest spendable age back in time.
    let mut lower_age = SPENDABLE_AGE as u32;
    for (bin, &upper) in AGE_EDGES.iter().enumerate() {
        // Ages [lower_age, upper) are blocks (h - upper, h - lower_age].
        let newest = (h as i64 - i64::from(lower_age)).min(end as i64 - 1);
        let oldest = (h as i64 - i64::from(upper) + 1).max(0);
        if newest >= oldest {
            let (mass, coinbase) = law.range(oldest as usize, newest as usize + 1);
            out[bin * 2] += mass - coinbase;
            out[bin * 2 + 1] += coinbase;
        }
        if upper == u32::MAX || oldest == 0 {
            break;
        }
        lower_age = upper;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_edges() {
        assert_eq!(category(10, false), 0);
        assert_eq!(category(11, true), 3);
        assert_eq!(category(1_000_000, false), (AGE_EDGES.len() - 1) * 2);
    }
}
