//! The change model: which output of a transaction returns to its sender, with a
//! calibrated probability, from each output's [`Features`]. Two kinds share one
//! file format: gradient-boosted trees (the shipped one) and logistic regression
//! (its baseline). Either gives each output a margin (the log-odds that it is
//! change, judged alone). A transaction has at most one change output, so the
//! margins are read together: output k is the change with odds
//! e^(m_k) / (1 + sum over the others of e^(m_j)) (a softmax beside a "no change"
//! choice at margin 0), and a Platt scaling fitted on a held-out simulated chain
//! turns the chosen output's log-odds into the probability a link carries. `chainsleuth train-change` rebuilds the shipped model
//! (`crates/analysis/model/change.json`) from a seed; docs/adr/0003 says why trees.

use crate::features::{FEATURE_COUNT, FEATURE_NAMES, Features};
use serde::{Deserialize, Serialize};

/// The model-file format this build reads.
pub const MODEL_FORMAT: u32 = 1;

/// The model shipped in the repository.
const SHIPPED: &str = include_str!("../model/change.json");

/// A trained change model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeModel {
    /// [`MODEL_FORMAT`].
    pub format: u32,
    /// The feature names it was trained on, in order.
    pub features: Vec<String>,
    /// How it was trained.
    pub trained_on: TrainingRecord,
    /// The probability at or above which an output is taken for change: the lowest
    /// threshold at which the validation chain's change precision reaches
    /// [`TrainingRecord::target_precision`].
    pub default_threshold: f64,
    /// Platt scaling of the chosen output's log-odds: p = 1 / (1 + exp(-(a z + b))).
    pub calibration: Platt,
    /// The learner.
    pub learner: Learner,
}

/// What the model was trained on, so a run can be repeated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The seed every simulated chain was derived from.
    pub seed: u64,
    /// The chains: (role, profile, seed, transactions) with role `train`,
    /// `calibrate` or `validate`.
    pub chains: Vec<(String, String, u64, u64)>,
    /// Outputs learned from.
    pub samples: u64,
    /// The precision the default threshold is chosen to reach on the validation chain.
    pub target_precision: f64,
}

/// Platt scaling parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope.
    pub a: f64,
    /// Intercept.
    pub b: f64,
}

/// The learner inside a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Learner {
    /// Gradient-boosted regression trees on the log-odds.
    Trees(Forest),
    /// Logistic regression on standardized features.
    Logistic(Linear),
}

/// An additive forest: margin = base + the sum of every tree's leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    /// The starting margin.
    pub base: f64,
    /// The trees.
    pub trees: Vec<Tree>,
}

/// A binary tree in an array: node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Its nodes.
    pub nodes: Vec<Node>,
}

/// A tree node.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    /// Go to `left` when feature `feature` is at most `threshold`, else to `right`.
    Split {
        /// Feature index.
        feature: u16,
        /// Threshold.
        threshold: f32,
        /// Node index when at most the threshold.
        left: u32,
        /// Node index otherwise.
        right: u32,
    },
    /// A leaf's contribution to the margin.
    Leaf(f64),
}

/// A linear model on standardized features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    /// Per feature: the mean subtracted.
    pub mean: Vec<f64>,
    /// Per feature: the scale divided by.
    pub scale: Vec<f64>,
    /// Per feature: its weight.
    pub weights: Vec<f64>,
    /// The intercept.
    pub bias: f64,
}

/// A model file that does not fit this build.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not JSON of the model's shape.
    #[error("not a change model: {0}")]
    Parse(#[from] serde_json::Error),
    /// Another format or feature set.
    #[error(
        "a change model of format {format} over {features} features; this build reads format {MODEL_FORMAT} over {FEATURE_COUNT}"
    )]
    Mismatch {
        /// The file's format.
        format: u32,
        /// The file's feature count.
        features: usize,
    },
}

impl ChangeModel {
    /// The model shipped with this build.
    pub fn shipped() -> &'static ChangeModel {
        static MODEL: std::sync::OnceLock<ChangeModel> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| {
            // The shipped file is checked by a test; failing here is a build defect.
            Self::from_json(SHIPPED).unwrap_or_else(|e| panic!("crates/analysis/model/change.json: {e}"))
        })
    }

    /// Reads a model from its JSON text.
    ///
    /// # Errors
    /// When the text is not a model of this build's format and features.
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        let model: ChangeModel = serde_json::from_str(text)?;
        let names_match = model.features.iter().map(String::as_str).eq(FEATURE_NAMES.iter().copied());
        if model.format != MODEL_FORMAT || !names_match || !model.learner.fits() {
            return Err(ModelError::Mismatch { format: model.format, features: model.features.len() });
        }
        Ok(model)
    }

    /// The JSON text of the model (stable: the same model gives the same bytes).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The learner's margin for one output.
    pub fn margin(&self, x: &Features) -> f64 {
        self.learner.margin(x)
    }

    /// The change output of one transaction, from its candidates' features: the
    /// most likely one, with its calibrated probability.
    pub fn decide(&self, features: &[Features]) -> Option<(usize, f64)> {
        let margins: Vec<f64> = features.iter().map(|x| self.margin(x)).collect();
        let (k, z) = exclusive_best(&margins)?;
        Some((k, self.calibration.apply(z)))
    }
}

/// The most likely change output among margins that each judge one output alone,
/// given that at most one is change: its index and log-odds,
/// m_k - ln(1 + sum over j != k of e^(m_j)).
pub fn exclusive_best(margins: &[f64]) -> Option<(usize, f64)> {
    let k = (0..margins.len()).fold(None, |best: Option<usize>, i| match best {
        Some(b) if margins[b] >= margins[i] => Some(b),
        _ => Some(i),
    })?;
    // ln(1 + sum e^(m_j)) over the others, shifted by their largest for stability.
    let top = margins.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, &m)| m).fold(0.0f64, f64::max);
    let sum: f64 =
        (-top).exp() + margins.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, &m)| (m - top).exp()).sum::<f64>();
    Some((k, margins[k] - (top + sum.ln())))
}

impl Platt {
    /// The probability of a margin.
    pub fn apply(&self, margin: f64) -> f64 {
        sigmoid(self.a * margin + self.b)
    }
}

impl Learner {
    /// The margin of one output.
    pub fn margin(&self, x: &Features) -> f64 {
        match self {
            Learner::Trees(forest) => forest.base + forest.trees.iter().map(|t| t.leaf(x)).sum::<f64>(),
            Learner::Logistic(linear) => {
                let dot: f64 = (0..FEATURE_COUNT)
                    .map(|j| linear.weights[j] * (f64::from(x[j]) - linear.mean[j]) / linear.scale[j])
                    .sum();
                linear.bias + dot
            }
        }
    }

    /// True when every index inside points where it should: feature numbers within
    /// the feature count, child nodes within the tree and after their parent.
    fn fits(&self) -> bool {
        match self {
            Learner::Trees(forest) => forest.trees.iter().all(|t| {
                !t.nodes.is_empty()
                    && t.nodes.iter().enumerate().all(|(i, n)| match *n {
                        Node::Split { feature, left, right, .. } => {
                            usize::from(feature) < FEATURE_COUNT
                                && (left as usize) > i
                                && (right as usize) > i
                                && (left as usize) < t.nodes.len()
                                && (right as usize) < t.nodes.len()
                        }
                        Node::Leaf(_) => true,
                    })
            }),
            Learner::Logistic(l) => [&l.mean, &l.scale, &l.weights].iter().all(|v| v.len() == FEATURE_COUNT),
        }
    }
}

impl Tree {
    /// The leaf value `x` reaches.
    pub fn leaf(&self, x: &Features) -> f64 {
        let mut i = 0usize;
        loop {
            match self.nodes[i] {
                Node::Leaf(v) => return v,
                Node::Split { feature, threshold, left, right } => {
                    i = if x[usize::from(feature)] <= threshold { left as usize } else { right as usize };
                }
            }
        }
    }
}

/// The logistic function.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_reads_and_writes_back_the_same_bytes() {
        let model = ChangeModel::shipped();
        assert_eq!(model.to_json(), SHIPPED, "change.json is not in the writer's form");
        assert!(model.default_threshold > 0.5 && model.default_threshold < 1.0);
    }

    #[test]
    fn a_tree_routes_by_its_thresholds() {
        let tree = Tree {
            nodes: vec![
                Node::Split { feature: 3, threshold: 0.5, left: 1, right: 2 },
                Node::Leaf(-1.0),
                Node::Leaf(2.0),
            ],
        };
        let mut x = [0f32; FEATURE_COUNT];
        assert_eq!(tree.leaf(&x), -1.0);
        x[3] = 1.0;
        assert_eq!(tree.leaf(&x), 2.0);
    }

    #[test]
    fn outputs_compete_for_being_the_change() {
        // Two outputs each judged change alone at odds e^3 are a coin flip together.
        let (k, z) = exclusive_best(&[3.0, 3.0]).unwrap();
        assert_eq!(k, 0);
        assert!(sigmoid(z) < 0.5, "{}", sigmoid(z));
        // One clear candidate keeps its odds, less a little for the other.
        let (k, z) = exclusive_best(&[-4.0, 5.0]).unwrap();
        assert_eq!(k, 1);
        assert!((z - (5.0 - (1.0 + (-4.0f64).exp()).ln())).abs() < 1e-12);
        assert!(exclusive_best(&[]).is_none());
    }

    #[test]
    fn a_model_for_other_features_is_refused() {
        let mut model = ChangeModel::shipped().clone();
        model.features.pop();
        assert!(matches!(ChangeModel::from_json(&model.to_json()), Err(ModelError::Mismatch { .. })));
        let mut model = ChangeModel::shipped().clone();
        if let Learner::Trees(f) = &mut model.learner {
            f.trees.push(Tree { nodes: vec![Node::Split { feature: 0, threshold: 0.0, left: 0, right: 9 }] });
        }
        assert!(ChangeModel::from_json(&model.to_json()).is_err());
    }
}
