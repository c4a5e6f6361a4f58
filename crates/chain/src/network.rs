//! The Bitcoin networks: their blk-file magic, genesis hash and address prefixes.

use crate::hash::BlockHash;
use std::fmt;
use std::str::FromStr;

/// A Bitcoin network whose blocks directory chainsleuth can read.
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
}

/// Address encoding parameters of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressParams {
    /// Base58 version byte of P2PKH addresses.
    pub p2pkh_prefix: u8,
    /// Base58 version byte of P2SH addresses.
    pub p2sh_prefix: u8,
    /// Human-readable part of bech32/bech32m addresses.
    pub bech32_hrp: &'static str,
}

const MAINNET_PARAMS: AddressParams = AddressParams { p2pkh_prefix: 0x00, p2sh_prefix: 0x05, bech32_hrp: "bc" };
const TEST_PARAMS: AddressParams = AddressParams { p2pkh_prefix: 0x6f, p2sh_prefix: 0xc4, bech32_hrp: "tb" };
const REGTEST_PARAMS: AddressParams = AddressParams { p2pkh_prefix: 0x6f, p2sh_prefix: 0xc4, bech32_hrp: "bcrt" };

impl Network {
    /// Every network, in a fixed order.
    pub const ALL: [Network; 5] = [Self::Mainnet, Self::Testnet3, Self::Testnet4, Self::Signet, Self::Regtest];

    /// The 4 bytes that start every record in this network's blk files (`pchMessageStart`).
    pub const fn magic(self) -> [u8; 4] {
        match self {
            Self::Mainnet => [0xf9, 0xbe, 0xb4, 0xd9],
            Self::Testnet3 => [0x0b, 0x11, 0x09, 0x07],
            Self::Testnet4 => [0x1c, 0x16, 0x3f, 0x28],
            Self::Signet => [0x0a, 0x03, 0xcf, 0x40],
            Self::Regtest => [0xfa, 0xbf, 0xb5, 0xda],
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
#[error("unknown network {0:?} (expected mainnet, testnet3, testnet4, signet or regtest)")]
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
