//! The rules of ring analysis, each switchable by name.

use std::fmt;

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Zero-mix rings and what they prove spent, iterated to a fixed point
    /// (Kumar et al. 2017; Möser et al. 2018).
    ChainReaction,
    /// Closed sets: k rings whose union is k outputs spend all of them; found in
    /// one pass with a Dulmage-Mendelsohn decomposition (Yu et al. 2019).
    ClosedSet,
    /// What a cooperating service knows of its own outputs and key images.
    Known,
    /// Output merging: members of one transaction's rings that come from one
    /// earlier transaction (Möser et al. 2018), flagged with measured precision.
    Merge,
    /// The decoy-aware posterior: wallet2's gamma decoy selection against the
    /// real spends' age distribution learned from the chain by EM.
    Age,
}

impl Rule {
    /// Every rule, in the order they apply.
    pub const ALL: [Rule; 5] = [Rule::Known, Rule::ChainReaction, Rule::ClosedSet, Rule::Merge, Rule::Age];

    /// The rules on by default (`known` needs `--known`; `merge` only flags).
    pub const DEFAULT: [Rule; 4] = [Rule::ChainReaction, Rule::ClosedSet, Rule::Merge, Rule::Age];

    /// The name used in `--rules` and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::ChainReaction => "chain-reaction",
            Self::ClosedSet => "closed-set",
            Self::Known => "known",
            Self::Merge => "merge",
            Self::Age => "age",
        }
    }

    /// Parses a comma-separated list (`zero-mix` names `chain-reaction`).
    ///
    /// # Errors
    /// Naming the unknown rule.
    pub fn parse_list(text: &str) -> Result<Vec<Rule>, String> {
        let mut out = Vec::new();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let rule = match word {
                "chain-reaction" | "zero-mix" => Self::ChainReaction,
                "closed-set" => Self::ClosedSet,
                "known" => Self::Known,
                "merge" => Self::Merge,
                "age" | "decoy" => Self::Age,
                other => {
                    return Err(format!(
                        "unknown rule {other:?}; rules are chain-reaction (zero-mix), closed-set, known, merge, age"
                    ));
                }
            };
            if !out.contains(&rule) {
                out.push(rule);
            }
        }
        out.sort();
        Ok(out)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
