//! The networks whose blocks directories chainsleuth reads (Bitcoin Core's and
//! zcashd's): their blk-file magic, genesis hash and address prefixes.

use crate::hash::BlockHash;
use std::fmt;
use std::str::FromStr;

/// A network whose blocks directory chainsleuth can read: Bitcoin's, or Zcash's
/// (zcashd writes the same blk-file records, with its own magic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// Bitcoin mainnet.
    Mainnet,
    /// The third test network (BIP 70 name "test").
    Testnet3,
    /// The fourth test network (BIP 94).
    Testnet4,
    /// The default signet (BIP 325).
    Signet,
    /// Regression test mode.
    Regtest,
    /// Zcash mainnet.
    #[serde(rename = "zcash-mainnet")]
    ZcashMainnet,
    /// The Zcash test network.
    #[serde(rename = "zcash-testnet")]
    ZcashTestnet,
    /// Zcash regression test mode.
    #[serde(rename = "zcash-regtest")]
    ZcashRegtest,
}

/// Address encoding parameters of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressParams {
    /// Base58 version bytes of P2PKH addresses (one for Bitcoin, two for Zcash).
    pub p2pkh_prefix: &'static [u8],
    /// Base58 version bytes of P2SH addresses.
    pub p2sh_prefix: &'static [u8],
    /// Human-readable part of bech32/bech32m addresses (none on Zcash, which has
    /// no SegWit).
    pub bech32_hrp: Option<&'static str>,
}

const MAINNET_PARAMS: AddressParams =
    AddressParams { p2pkh_prefix: &[0x00], p2sh_prefix: &[0x05], bech32_hrp: Some("bc") };
const TEST_PARAMS: AddressParams =
    AddressParams { p2pkh_prefix: &[0x6f], p2sh_prefix: &[0xc4], bech32_hrp: Some("tb") };
const REGTEST_PARAMS: AddressParams =
    AddressParams { p2pkh_prefix: &[0x6f], p2sh_prefix: &[0xc4], bech32_hrp: Some("bcrt") };
/// Zcash mainnet: `t1` and `t3` addresses.
const ZCASH_MAINNET_PARAMS: AddressParams =
    AddressParams { p2pkh_prefix: &[0x1c, 0xb8], p2sh_prefix: &[0x1c, 0xbd], bech32_hrp: None };
/// Zcash testnet and regtest: `tm` and `t2` addresses.
const ZCASH_TEST_PARAMS: AddressParams =
    AddressParams { p2pkh_prefix: &[0x1d, 0x25], p2sh_prefix: &[0x1c, 0xba], bech32_hrp: None };

impl Network {
    /// Every network, in a fixed order.
    pub const ALL: [Network; 8] = [
        Self::Mainnet,
        Self::Testnet3,
        Self::Testnet4,
        Self::Signet,
        Self::Regtest,
        Self::ZcashMainnet,
        Self::ZcashTestnet,
        Self::ZcashRegtest,
    ];

    /// The ticker amounts are shown in: `BTC` or `ZEC`.
    pub const fn unit(self) -> &'static str {
        if self.is_zcash() { "ZEC" } else { "BTC" }
    }

    /// Whether it is a Zcash network (zcashd's block and transaction formats).
    pub const fn is_zcash(self) -> bool {
        matches!(self, Self::ZcashMainnet | Self::ZcashTestnet | Self::ZcashRegtest)
    }

    /// The chain: `bitcoin` or `zcash`.
    pub const fn chain(self) -> &'static str {
        if self.is_zcash() { "zcash" } else { "bitcoin" }
    }

    /// The network of `chain` (`bitcoin` or `zcash`) named `name`, which may also
    /// name the chain itself (`zcash-testnet`).
    ///
    /// # Errors
    /// When the name is no network of that chain.
    pub fn of_chain(chain: &str, name: &str) -> Result<Self, ParseNetworkError> {
        let network = match chain {
            "zcash" if !name.starts_with("zcash-") => format!("zcash-{name}").parse::<Self>()?,
            _ => name.parse::<Self>()?,
        };
        if network.chain() != chain {
            return Err(ParseNetworkError(format!("{name} (a {} network, not {chain})", network.chain())));
        }
        Ok(network)
    }

    /// The 4 bytes that start every record in this network's blk files (`pchMessageStart`).
    pub const fn magic(self) -> [u8; 4] {
        match self {
            Self::Mainnet => [0xf9, 0xbe, 0xb4, 0xd9],
            Self::Testnet3 => [0x0b, 0x11, 0x09, 0x07],
            Self::Testnet4 => [0x1c, 0x16, 0x3f, 0x28],
            Self::Signet => [0x0a, 0x03, 0xcf, 0x40],
            Self::Regtest => [0xfa, 0xbf, 0xb5, 0xda],
            Self::ZcashMainnet => [0x24, 0xe9, 0x27, 0x64],
            Self::ZcashTestnet => [0xfa, 0x1a, 0xf9, 0xbf],
            Self::ZcashRegtest => [0xaa, 0xe8, 0x3f, 0x5f],
        }
    }

    /// The network whose blk files start records with `magic`, if any.
    pub fn from_magic(magic: [u8; 4]) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.magic() == magic)
    }

    /// Hash of the genesis block.
    pub fn genesis_hash(self) -> BlockHash {
        let hex = match self {
            Self::Mainnet => "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
            Self::Testnet3 => "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
            Self::Testnet4 => "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
            Self::Signet => "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
            Self::Regtest => "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
            Self::ZcashMainnet => "00040fe8ec8471911baa1db1266ea15dd06b4a8a5c453883c000b031973dce08",
            Self::ZcashTestnet => "05a60a92d99d85997cce3b87616c089f6124d7342af37106edc76126334a2c38",
            Self::ZcashRegtest => "029f11d80ef9765602235e1bc9727e3eb6ba20839319f761fee920d63401e327",
        };
        // The literals above are valid 64-digit hex.
        hex.parse().unwrap_or_default()
    }

    /// Address encoding parameters.
    pub const fn address_params(self) -> AddressParams {
        match self {
            Self::Mainnet => MAINNET_PARAMS,
            Self::Testnet3 | Self::Testnet4 | Self::Signet => TEST_PARAMS,
            Self::Regtest => REGTEST_PARAMS,
            Self::ZcashMainnet => ZCASH_MAINNET_PARAMS,
            Self::ZcashTestnet | Self::ZcashRegtest => ZCASH_TEST_PARAMS,
        }
    }

    /// The name used on the command line and in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Mainnet => "mainnet",
            Self::Testnet3 => "testnet3",
            Self::Testnet4 => "testnet4",
            Self::Signet => "signet",
            Self::Regtest => "regtest",
            Self::ZcashMainnet => "zcash-mainnet",
            Self::ZcashTestnet => "zcash-testnet",
            Self::ZcashRegtest => "zcash-regtest",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown network name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown network {0:?} (expected mainnet, testnet3, testnet4, signet, regtest, zcash-mainnet, zcash-testnet or zcash-regtest)"
)]
pub struct ParseNetworkError(String);

impl FromStr for Network {
    type Err = ParseNetworkError;

    /// Accepts the names above plus Bitcoin Core's aliases (`main`, `bitcoin`, `test`, `testnet`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mainnet" | "main" | "bitcoin" => Ok(Self::Mainnet),
            "testnet3" | "testnet" | "test" => Ok(Self::Testnet3),
            "testnet4" => Ok(Self::Testnet4),
            "signet" => Ok(Self::Signet),
            "regtest" => Ok(Self::Regtest),
            "zcash-mainnet" | "zcash" => Ok(Self::ZcashMainnet),
            "zcash-testnet" => Ok(Self::ZcashTestnet),
            "zcash-regtest" => Ok(Self::ZcashRegtest),
            _ => Err(ParseNetworkError(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_round_trips() {
        for network in Network::ALL {
            assert_eq!(Network::from_magic(network.magic()), Some(network));
            assert_eq!(network.name().parse::<Network>().unwrap(), network);
        }
        assert_eq!(Network::from_magic([0; 4]), None);
    }

    #[test]
    fn genesis_hashes_parse() {
        for network in Network::ALL {
            assert!(!network.genesis_hash().is_all_zeros());
        }
    }
}
