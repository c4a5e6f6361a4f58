//! The category taxonomy labels are sorted into, and how GraphSense TagPack concepts
//! map onto it.

use std::fmt;
use std::str::FromStr;

/// What a labelled address is or did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// On a sanctions list (OFAC SDN).
    Sanctioned,
    /// Stolen funds: exchange hacks, exploits.
    Theft,
    /// A mixing service.
    Mixer,
    /// An exchange.
    Exchange,
    /// A darknet market.
    DarknetMarket,
    /// Ransomware payments.
    Ransomware,
    /// Scams, fraud, phishing, extortion.
    Scam,
    /// Gambling.
    Gambling,
    /// Mining pools.
    Mining,
    /// Other custodial services (wallets, payment processors, swaps).
    Service,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 11] = [
        Self::Sanctioned,
        Self::Theft,
        Self::Mixer,
        Self::Exchange,
        Self::DarknetMarket,
        Self::Ransomware,
        Self::Scam,
        Self::Gambling,
        Self::Mining,
        Self::Service,
        Self::Other,
    ];

    /// Its name in files, JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sanctioned => "sanctioned",
            Self::Theft => "theft",
            Self::Mixer => "mixer",
            Self::Exchange => "exchange",
            Self::DarknetMarket => "darknet_market",
            Self::Ransomware => "ransomware",
            Self::Scam => "scam",
            Self::Gambling => "gambling",
            Self::Mining => "mining",
            Self::Service => "service",
            Self::Other => "other",
        }
    }

    /// True for businesses that know their customers: where a trail meets an identity.
    pub fn is_service(self) -> bool {
        matches!(self, Self::Exchange | Self::Gambling | Self::Mining | Self::Service | Self::DarknetMarket)
    }

    /// The category of a GraphSense TagPack tag from its `category` and `abuse`
    /// concepts: an abuse concept decides when present (it is what risk is about),
    /// then the category concept.
    pub fn from_tagpack(category: Option<&str>, abuse: Option<&str>) -> Category {
        abuse.and_then(Self::from_concept).or_else(|| category.and_then(Self::from_concept)).unwrap_or(Self::Other)
    }

    /// The category of one TagPack concept, if it maps to one.
    fn from_concept(concept: &str) -> Option<Category> {
        Some(match concept {
            "sanction" | "terrorism_financing" => Self::Sanctioned,
            "hacking" | "service_hack" | "account_hack" | "exploit" | "data_breach" => Self::Theft,
            "mixing_service" | "coinjoin" | "mixing" => Self::Mixer,
            "exchange" => Self::Exchange,
            "market" | "dark_web" | "drugs" | "weapons" | "payment_card_fraud" | "counterfeit" => Self::DarknetMarket,
            "ransomware" | "malware" => Self::Ransomware,
            "scam" | "investment_fraud" | "ponzi_scheme" | "pyramid_scheme" | "phishing" | "sextortion"
            | "extortion" | "social_engineering" | "financial_crime" => Self::Scam,
            "gambling" => Self::Gambling,
            "miner" | "mining_service" => Self::Mining,
            "wallet_service" | "payment_processor" | "escrow_wallet" | "atm" | "shop" | "hosting" | "vpn"
            | "faucet" | "defi_bridge" | "defi_dex" | "defi_custody" => Self::Service,
            _ => return None,
        })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown category name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category {0:?} (expected one of {names})", names = Category::ALL.map(Category::name).join(", "))]
pub struct ParseCategoryError(pub String);

impl FromStr for Category {
    type Err = ParseCategoryError;

    /// A taxonomy name, or a TagPack concept that maps to one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .or_else(|| Self::from_concept(s))
            .ok_or_else(|| ParseCategoryError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abuse_decides_before_category() {
        assert_eq!(Category::from_tagpack(Some("user"), Some("sanction")), Category::Sanctioned);
        assert_eq!(Category::from_tagpack(Some("exchange"), None), Category::Exchange);
        assert_eq!(Category::from_tagpack(Some("organization"), None), Category::Other);
        assert_eq!(Category::from_tagpack(None, Some("ransomware")), Category::Ransomware);
        assert_eq!("mixing_service".parse::<Category>(), Ok(Category::Mixer));
        assert_eq!("darknet_market".parse::<Category>(), Ok(Category::DarknetMarket));
        assert!("nonsense".parse::<Category>().is_err());
    }
}
