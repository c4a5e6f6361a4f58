//! Fitting the change model: gradient-boosted trees (second-order boosting on the
//! log loss over histogram bins, as XGBoost and LightGBM do), logistic regression
//! by Newton's method, and the Platt scaling that calibrates either. Hand-written:
//! the learners are a few hundred lines, and every crate that offers them pulls a
//! linear-algebra or native stack this engine has no other use for. Every step is
//! deterministic (fixed orders, no sampling), so one seed gives one model.

use crate::dataset::{Labelled, at_threshold, decisions};
use crate::features::{FEATURE_COUNT, FEATURE_NAMES, Features};
use crate::model::{ChangeModel, Forest, Learner, Linear, MODEL_FORMAT, Node, Platt, TrainingRecord, Tree, sigmoid};
use rayon::prelude::*;

/// The L2 penalty of the logistic baseline (on standardized features).
pub const LOGISTIC_L2: f64 = 1.0;

/// Which learner to fit.
#[derive(Debug, Clone, Copy)]
pub enum LearnerKind {
    /// Gradient-boosted trees.
    Trees(TreeParams),
    /// Logistic regression with this L2 penalty.
    Logistic(f64),
}

/// The three labelled sets a model is built from, each from other simulated chains.
pub struct TrainingSets {
    /// What the learner fits.
    pub train: Labelled,
    /// What the Platt scaling fits.
    pub calibrate: Labelled,
    /// What the default threshold is chosen on.
    pub validate: Labelled,
}

/// Thresholds the default is chosen among.
pub const THRESHOLD_GRID: [f64; 14] =
    [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999];

/// Fits a learner on `train`, its calibration on `calibrate` (the chosen output's
/// log-odds against whether it pays the sender), and picks the lowest
/// threshold of [`THRESHOLD_GRID`] at which `validate`'s change precision reaches
/// the record's target (the highest if none does).
pub fn build_model(sets: &TrainingSets, kind: LearnerKind, record: TrainingRecord) -> ChangeModel {
    let learner = match kind {
        LearnerKind::Trees(params) => Learner::Trees(fit_trees(&sets.train.x, &sets.train.y, &params)),
        LearnerKind::Logistic(l2) => Learner::Logistic(fit_logistic(&sets.train.x, &sets.train.y, l2)),
    };
    // The calibration fits the chosen output's log-odds to whether it was right.
    let (mut chosen, mut right) = (Vec::new(), Vec::new());
    for k in 0..sets.calibrate.txs.len() {
        let rows = sets.calibrate.rows(k);
        let margins: Vec<f64> = sets.calibrate.x[rows.clone()].iter().map(|x| learner.margin(x)).collect();
        if let Some((best, z)) = crate::model::exclusive_best(&margins) {
            chosen.push(z);
            right.push(sets.calibrate.y[rows.start + best]);
        }
    }
    let calibration = fit_platt(&chosen, &right);
    let mut model = ChangeModel {
        format: MODEL_FORMAT,
        features: FEATURE_NAMES.iter().map(|&n| n.to_owned()).collect(),
        trained_on: record,
        default_threshold: 0.0,
        calibration,
        learner,
    };
    let decided = decisions(&model, &sets.validate);
    let target = model.trained_on.target_precision;
    model.default_threshold = THRESHOLD_GRID
        .into_iter()
        .find(|&t| {
            let (predicted, right, _) = at_threshold(&decided, t);
            predicted > 0 && right as f64 >= target * predicted as f64
        })
        .unwrap_or(THRESHOLD_GRID[THRESHOLD_GRID.len() - 1]);
    model
}

/// Tree-boosting settings.
#[derive(Debug, Clone, Copy)]
pub struct TreeParams {
    /// Trees grown.
    pub trees: usize,
    /// Depth of each.
    pub depth: usize,
    /// Shrinkage applied to every leaf.
    pub learning_rate: f64,
    /// L2 penalty on leaf values.
    pub lambda: f64,
    /// Least hessian (weight) a child may hold.
    pub min_child_weight: f64,
    /// Most candidate thresholds per feature.
    pub bins: usize,
}

impl Default for TreeParams {
    fn default() -> Self {
        Self { trees: 200, depth: 4, learning_rate: 0.1, lambda: 1.0, min_child_weight: 1.0, bins: 48 }
    }
}

/// Candidate thresholds of every feature: its distinct values when few, else
/// quantiles, excluding the largest (a split there would send everything left).
fn thresholds(x: &[Features], bins: usize) -> Vec<Vec<f32>> {
    (0..FEATURE_COUNT)
        .into_par_iter()
        .map(|j| {
            let mut values: Vec<f32> = x.iter().map(|row| row[j]).collect();
            values.sort_by(f32::total_cmp);
            values.dedup();
            values.pop();
            if values.len() > bins {
                let picked: Vec<f32> = (1..=bins).map(|q| values[q * (values.len() - 1) / bins]).collect();
                values = picked;
                values.dedup();
            }
            values
        })
        .collect()
}

/// Every sample's bin per feature (feature-major): the first threshold it does not
/// exceed, or the count of thresholds.
fn binned(x: &[Features], cuts: &[Vec<f32>]) -> Vec<Vec<u8>> {
    cuts.par_iter()
        .enumerate()
        .map(|(j, c)| x.iter().map(|row| c.partition_point(|&t| t < row[j]) as u8).collect())
        .collect()
}

/// A node still to split: its samples and depth.
struct Open {
    node: usize,
    samples: Vec<u32>,
    depth: usize,
}

/// The best split of a node: (gain, feature, bin).
fn best_split(
    samples: &[u32],
    bins: &[Vec<u8>],
    cuts: &[Vec<f32>],
    grad: &[f64],
    hess: &[f64],
    params: &TreeParams,
) -> Option<(f64, usize, usize)> {
    let (g, h): (f64, f64) = samples.iter().fold((0.0, 0.0), |(g, h), &i| (g + grad[i as usize], h + hess[i as usize]));
    let parent = g * g / (h + params.lambda);
    let per_feature: Vec<Option<(f64, usize, usize)>> = (0..FEATURE_COUNT)
        .into_par_iter()
        .map(|j| {
            let m = cuts[j].len();
            if m == 0 {
                return None;
            }
            let mut hist = vec![(0.0f64, 0.0f64); m + 1];
            for &i in samples {
                let b = usize::from(bins[j][i as usize]);
                hist[b].0 += grad[i as usize];
                hist[b].1 += hess[i as usize];
            }
            let (mut gl, mut hl) = (0.0, 0.0);
            let mut best: Option<(f64, usize, usize)> = None;
            for (b, &(gb, hb)) in hist.iter().enumerate().take(m) {
                gl += gb;
                hl += hb;
                let (gr, hr) = (g - gl, h - hl);
                if hl < params.min_child_weight || hr < params.min_child_weight {
                    continue;
                }
                let gain = gl * gl / (hl + params.lambda) + gr * gr / (hr + params.lambda) - parent;
                if best.is_none_or(|(bg, _, _)| gain > bg) {
                    best = Some((gain, j, b));
                }
            }
            best
        })
        .collect();
    // The first feature wins a tie: the same order on every run.
    per_feature
        .into_iter()
        .flatten()
        .fold(None, |best, c| if best.is_none_or(|(bg, _, _)| c.0 > bg) { Some(c) } else { best })
}

/// Grows one tree on the current gradients.
fn grow_tree(bins: &[Vec<u8>], cuts: &[Vec<f32>], grad: &[f64], hess: &[f64], params: &TreeParams) -> Tree {
    let mut nodes = vec![Node::Leaf(0.0)];
    let mut open = vec![Open { node: 0, samples: (0..grad.len() as u32).collect(), depth: 0 }];
    while let Some(Open { node, samples, depth }) = open.pop() {
        let split = if depth < params.depth { best_split(&samples, bins, cuts, grad, hess, params) } else { None };
        match split.filter(|s| s.0 > 1e-9) {
            Some((_, j, b)) => {
                let (left, right): (Vec<u32>, Vec<u32>) =
                    samples.iter().partition(|&&i| usize::from(bins[j][i as usize]) <= b);
                let (l, r) = (nodes.len(), nodes.len() + 1);
                nodes.push(Node::Leaf(0.0));
                nodes.push(Node::Leaf(0.0));
                nodes[node] = Node::Split { feature: j as u16, threshold: cuts[j][b], left: l as u32, right: r as u32 };
                open.push(Open { node: r, samples: right, depth: depth + 1 });
                open.push(Open { node: l, samples: left, depth: depth + 1 });
            }
            None => {
                let (g, h) = samples.iter().fold((0.0, 0.0), |(g, h), &i| (g + grad[i as usize], h + hess[i as usize]));
                nodes[node] = Node::Leaf(-g / (h + params.lambda) * params.learning_rate);
            }
        }
    }
    Tree { nodes }
}

/// Fits gradient-boosted trees to labels `y` (true for change).
pub fn fit_trees(x: &[Features], y: &[bool], params: &TreeParams) -> Forest {
    let positives = y.iter().filter(|&&v| v).count() as f64;
    let rate = (positives / y.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
    let base = (rate / (1.0 - rate)).ln();
    let cuts = thresholds(x, params.bins);
    let bins = binned(x, &cuts);
    let mut margin = vec![base; x.len()];
    let (mut grad, mut hess) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let mut trees = Vec::with_capacity(params.trees);
    for _ in 0..params.trees {
        for i in 0..x.len() {
            let p = sigmoid(margin[i]);
            grad[i] = p - f64::from(u8::from(y[i]));
            hess[i] = (p * (1.0 - p)).max(1e-12);
        }
        let tree = grow_tree(&bins, &cuts, &grad, &hess, params);
        margin.par_iter_mut().zip(x.par_iter()).for_each(|(m, row)| *m += tree.leaf(row));
        trees.push(tree);
    }
    Forest { base, trees }
}

/// Fits logistic regression with an L2 penalty by Newton's method on standardized
/// features.
pub fn fit_logistic(x: &[Features], y: &[bool], l2: f64) -> Linear {
    let n = x.len().max(1) as f64;
    let mut mean = vec![0.0; FEATURE_COUNT];
    let mut scale = vec![0.0; FEATURE_COUNT];
    for row in x {
        for j in 0..FEATURE_COUNT {
            mean[j] += f64::from(row[j]) / n;
        }
    }
    for row in x {
        for j in 0..FEATURE_COUNT {
            scale[j] += (f64::from(row[j]) - mean[j]).powi(2) / n;
        }
    }
    for s in &mut scale {
        *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
    }
    let z: Vec<[f64; FEATURE_COUNT + 1]> = x
        .iter()
        .map(|row| {
            let mut z = [1.0; FEATURE_COUNT + 1];
            for j in 0..FEATURE_COUNT {
                z[j] = (f64::from(row[j]) - mean[j]) / scale[j];
            }
            z
        })
        .collect();
    let mut w = vec![0.0; FEATURE_COUNT + 1];
    for _ in 0..25 {
        let (grad, hess) = newton_terms(&z, y, &w, l2);
        let Some(step) = solve(hess, grad) else { break };
        let mut moved = 0.0f64;
        for (wj, sj) in w.iter_mut().zip(&step) {
            *wj -= sj;
            moved = moved.max(sj.abs());
        }
        if moved < 1e-8 {
            break;
        }
    }
    let bias = w.pop().unwrap_or(0.0);
    Linear { mean, scale, weights: w, bias }
}

/// Gradient and Hessian (its lower triangle) of the penalized log loss at `w` (the
/// last weight, the intercept, is not penalized).
fn newton_terms(z: &[[f64; FEATURE_COUNT + 1]], y: &[bool], w: &[f64], l2: f64) -> (Vec<f64>, Vec<Vec<f64>>) {
    const D: usize = FEATURE_COUNT + 1;
    let mut grad = vec![0.0; D];
    let mut hess = vec![vec![0.0; D]; D];
    for (zi, &yi) in z.iter().zip(y) {
        let p = sigmoid(zi.iter().zip(w).map(|(a, b)| a * b).sum());
        let (r, v) = (p - f64::from(u8::from(yi)), p * (1.0 - p));
        for a in 0..D {
            grad[a] += r * zi[a];
            let va = v * zi[a];
            // The lower triangle: all the Cholesky solve reads.
            for (h, zb) in hess[a][..=a].iter_mut().zip(&zi[..=a]) {
                *h += va * zb;
            }
        }
    }
    for a in 0..D {
        if a < FEATURE_COUNT {
            grad[a] += l2 * w[a];
            hess[a][a] += l2;
        }
        hess[a][a] += 1e-9;
    }
    (grad, hess)
}

/// Solves `a x = b` for a symmetric positive-definite `a` given by its lower
/// triangle (Cholesky).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let d = a[j][j] - (0..j).map(|k| a[j][k] * a[j][k]).sum::<f64>();
        if d <= 0.0 {
            return None;
        }
        a[j][j] = d.sqrt();
        for i in j + 1..n {
            a[i][j] = (a[i][j] - (0..j).map(|k| a[i][k] * a[j][k]).sum::<f64>()) / a[j][j];
        }
    }
    for i in 0..n {
        b[i] = (b[i] - (0..i).map(|k| a[i][k] * b[k]).sum::<f64>()) / a[i][i];
    }
    for i in (0..n).rev() {
        b[i] = (b[i] - (i + 1..n).map(|k| a[k][i] * b[k]).sum::<f64>()) / a[i][i];
    }
    Some(b)
}

/// Fits Platt scaling (p = sigmoid(a m + b)) to margins `m` and labels `y`, with
/// Platt's smoothed targets so a perfectly separated set still gives finite
/// parameters.
pub fn fit_platt(margins: &[f64], y: &[bool]) -> Platt {
    let positives = y.iter().filter(|&&v| v).count() as f64;
    let negatives = y.len() as f64 - positives;
    let (hi, lo) = ((positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0));
    let target = |yi: bool| if yi { hi } else { lo };
    let loss = |a: f64, b: f64| -> f64 {
        margins
            .iter()
            .zip(y)
            .map(|(&m, &yi)| {
                let z = a * m + b;
                // log(1 + e^z) - t z, computed without overflow.
                z.max(0.0) + (-z.abs()).exp().ln_1p() - target(yi) * z
            })
            .sum()
    };
    // From the prior log-odds, Newton steps halved until the loss falls.
    let (mut a, mut b) = (0.0f64, ((positives + 1.0) / (negatives + 1.0)).ln());
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (&m, &yi) in margins.iter().zip(y) {
            let p = sigmoid(a * m + b);
            let (r, v) = (p - target(yi), p * (1.0 - p));
            ga += r * m;
            gb += r;
            haa += v * m * m;
            hab += v * m;
            hbb += v;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        let mut step = 1.0;
        while step > 1e-6 && loss(a - step * da, b - step * db) > current {
            step /= 2.0;
        }
        let (na, nb) = (a - step * da, b - step * db);
        let next = loss(na, nb);
        if next > current {
            break;
        }
        (a, b) = (na, nb);
        if current - next < 1e-12 * current.abs().max(1.0) {
            break;
        }
        current = next;
    }
    Platt { a, b }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy set where the label is feature 0 > 0.5, except when feature 1 is set.
    fn toy() -> (Vec<Features>, Vec<bool>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let mut row = [0f32; FEATURE_COUNT];
            row[0] = (i % 40) as f32 / 40.0;
            row[1] = f32::from(u8::from(i % 7 == 0));
            y.push(row[0] > 0.5 && row[1] == 0.0);
            x.push(row);
        }
        (x, y)
    }

    #[test]
    fn trees_learn_an_interaction_and_repeat_exactly() {
        let (x, y) = toy();
        let params = TreeParams { trees: 30, depth: 2, learning_rate: 0.3, ..TreeParams::default() };
        let forest = fit_trees(&x, &y, &params);
        let margin = |row: &Features| forest.base + forest.trees.iter().map(|t| t.leaf(row)).sum::<f64>();
        let right = x.iter().zip(&y).filter(|(row, label)| (margin(row) > 0.0) == **label).count();
        assert_eq!(right, x.len());
        assert_eq!(fit_trees(&x, &y, &params), forest);
    }

    #[test]
    fn logistic_regression_separates_a_linear_rule() {
        let (x, _) = toy();
        let y: Vec<bool> = x.iter().map(|r| r[0] > 0.5).collect();
        let linear = fit_logistic(&x, &y, 1e-3);
        let margin = |r: &Features| {
            linear.bias
                + (0..FEATURE_COUNT)
                    .map(|j| linear.weights[j] * (f64::from(r[j]) - linear.mean[j]) / linear.scale[j])
                    .sum::<f64>()
        };
        let right = x.iter().zip(&y).filter(|(r, l)| (margin(r) > 0.0) == **l).count();
        assert!(right as f64 >= 0.98 * x.len() as f64, "{right}");
    }

    #[test]
    fn platt_scaling_calibrates_an_overconfident_margin() {
        // Margins ten times too large: p = sigmoid(m / 10) is the truth.
        let margins: Vec<f64> = (0..2000).map(|i| f64::from(i - 1000) / 20.0).collect();
        let y: Vec<bool> =
            margins.iter().enumerate().map(|(i, m)| ((i * 7919) % 1000) as f64 / 1000.0 < sigmoid(m / 10.0)).collect();
        let platt = fit_platt(&margins, &y);
        assert!((platt.a - 0.1).abs() < 0.03, "{platt:?}");
        assert!(platt.b.abs() < 0.2, "{platt:?}");
    }
}
