//! The risk rules: a documented, configurable table (`chainsleuth.toml`). Each rule
//! matches an identification (the subject itself is labelled) or an exposure (value
//! from or to a labelled entity, direct or indirect, above a share); the score is the
//! highest score of the rules that fire, and the level follows from thresholds.

use crate::taxonomy::Category;
use std::path::Path;

/// Risk levels, lowest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    /// No rule of consequence fired.
    Low,
    /// Worth a look.
    Medium,
    /// Review before accepting.
    High,
    /// Block (sanctions).
    Severe,
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The subject's own labels (or its entity's).
    Identification,
    /// Value exchanged with labelled entities.
    Exposure,
}

/// Direct (one hop) or indirect exposure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ExposureType {
    /// The counterparty itself is labelled.
    Direct,
    /// A labelled entity two or more hops away.
    Indirect,
}

impl ExposureType {
    /// `direct` or `indirect`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Indirect => "indirect",
        }
    }
}

/// Which way value moved.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// Value the subject received.
    Received,
    /// Value the subject sent.
    Sent,
}

impl Flow {
    /// `received` or `sent`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Sent => "sent",
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Its name, reported when it fires.
    pub name: String,
    /// Identification or exposure.
    #[serde(rename = "match")]
    pub matches: Match,
    /// Categories it applies to.
    pub categories: Vec<Category>,
    /// Only this exposure type (exposure rules).
    #[serde(default)]
    pub exposure_type: Option<ExposureType>,
    /// Only this direction (exposure rules).
    #[serde(default)]
    pub direction: Option<Flow>,
    /// Smallest share of the subject's value in that direction (0 to 1).
    #[serde(default)]
    pub min_share: f64,
    /// Smallest value in satoshis.
    #[serde(default)]
    pub min_value: u64,
    /// Score when it fires (0 to 100).
    pub score: u32,
}

/// Score thresholds of the levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    /// Lowest score for medium.
    pub medium: u32,
    /// Lowest score for high.
    pub high: u32,
    /// Lowest score for severe.
    pub severe: u32,
}

/// The rule set.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// Level thresholds.
    pub levels: Levels,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// The rules chainsleuth ships (the same as the repository's `chainsleuth.toml`).
pub const DEFAULT_RULES: &str = include_str!("../../../chainsleuth.toml");

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Cannot be read.
    #[error("{0}: {1}")]
    Io(std::path::PathBuf, std::io::Error),
    /// Not valid.
    #[error("{0}: {1}")]
    Invalid(String, String),
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self::parse(DEFAULT_RULES, "built-in rules").unwrap_or_else(|e| panic!("the built-in rules must parse: {e}"))
    }
}

impl RiskConfig {
    /// Parses a rule file's text (`origin` names it in errors).
    ///
    /// # Errors
    /// When it is not valid TOML of this shape, or a score or share is out of range.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: RiskConfig =
            toml::from_str(text).map_err(|e| ConfigError::Invalid(origin.to_owned(), e.to_string()))?;
        for rule in &config.rules {
            if rule.score > 100 || !(0.0..=1.0).contains(&rule.min_share) {
                return Err(ConfigError::Invalid(
                    origin.to_owned(),
                    format!("rule {:?}: score must be 0-100 and min_share 0-1", rule.name),
                ));
            }
        }
        let l = config.levels;
        if !(l.medium <= l.high && l.high <= l.severe) {
            return Err(ConfigError::Invalid(
                origin.to_owned(),
                "levels must rise: medium <= high <= severe".to_owned(),
            ));
        }
        Ok(config)
    }

    /// Reads a rule file.
    ///
    /// # Errors
    /// As [`RiskConfig::parse`], or when the file cannot be read.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io(path.to_owned(), e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The level of a score.
    pub fn level(&self, score: u32) -> RiskLevel {
        match score {
            s if s >= self.levels.severe => RiskLevel::Severe,
            s if s >= self.levels.high => RiskLevel::High,
            s if s >= self.levels.medium => RiskLevel::Medium,
            _ => RiskLevel::Low,
        }
    }
}

/// A rule that fired.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct RuleFired {
    /// Its name.
    pub rule: String,
    /// Its score.
    pub score: u32,
    /// Why, for people.
    pub reason: String,
}

/// An exposure as the rules see it, whatever the chain.
#[derive(Debug, Clone, Copy)]
pub struct ExposureFacts {
    /// The counterparty's category.
    pub category: Category,
    /// Direct or indirect.
    pub exposure_type: ExposureType,
    /// Received or sent.
    pub direction: Flow,
    /// Share of the subject's value in that direction (Bitcoin), or the chance
    /// that its coins came from or went to the counterparty (Monero, where
    /// amounts are hidden).
    pub share: f64,
    /// Value exchanged, where the chain shows it; `None` where amounts are hidden
    /// (rules that ask for a `min_value` above 0 then do not fire).
    pub value: Option<u64>,
}

impl RiskConfig {
    /// The rules that fire on these identifications (the categories of the
    /// subject's labels, each with a sentence saying who labelled it) and
    /// exposures (each with a sentence describing it), highest score first, and
    /// the score.
    pub fn fire(
        &self,
        identified: &[(Category, String)],
        exposures: &[(ExposureFacts, String)],
    ) -> (u32, Vec<RuleFired>) {
        let mut fired = Vec::new();
        for rule in &self.rules {
            let reason = match rule.matches {
                Match::Identification => {
                    identified.iter().find(|(c, _)| rule.categories.contains(c)).map(|(_, why)| why.clone())
                }
                Match::Exposure => exposures
                    .iter()
                    .filter(|(e, _)| rule.categories.contains(&e.category))
                    .filter(|(e, _)| rule.exposure_type.is_none_or(|t| t == e.exposure_type))
                    .filter(|(e, _)| rule.direction.is_none_or(|d| d == e.direction))
                    .find(|(e, _)| {
                        e.share >= rule.min_share
                            && match e.value {
                                Some(v) => v >= rule.min_value && v > 0,
                                None => rule.min_value == 0 && e.share > 0.0,
                            }
                    })
                    .map(|(_, why)| why.clone()),
            };
            if let Some(reason) = reason {
                fired.push(RuleFired { rule: rule.name.clone(), score: rule.score, reason });
            }
        }
        fired.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.rule.cmp(&b.rule)));
        (fired.first().map_or(0, |r| r.score), fired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse_and_rank_sanctions_severe() {
        let config = RiskConfig::default();
        assert!(config.rules.len() >= 8);
        let sanctioned = config
            .rules
            .iter()
            .find(|r| r.matches == Match::Identification && r.categories.contains(&Category::Sanctioned))
            .unwrap();
        assert_eq!(config.level(sanctioned.score), RiskLevel::Severe);
        assert_eq!(config.level(0), RiskLevel::Low);
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let bad = "[levels]\nmedium = 50\nhigh = 40\nsevere = 80\n";
        assert!(RiskConfig::parse(bad, "x.toml").unwrap_err().to_string().contains("levels must rise"));
        let unknown = "[levels]\nmedium = 1\nhigh = 2\nsevere = 3\n[[rules]]\nname = \"r\"\nmatch = \"exposure\"\ncategories = [\"nope\"]\nscore = 5\n";
        assert!(RiskConfig::parse(unknown, "x.toml").unwrap_err().to_string().contains("x.toml"));
    }
}
