//! The Zcash networks: blk-file magic and transparent address prefixes.

use std::fmt;
use std::str::FromStr;

/// A Zcash network whose zcashd blocks directory chainsleuth can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZcashNetwork {
    /// Zcash mainnet.
    Mainnet,
    /// The Zcash test network.
    Testnet,
    /// Regression test mode.
    Regtest,
}

impl ZcashNetwork {
    /// Every network, in a fixed order.
    pub const ALL: [ZcashNetwork; 3] = [Self::Mainnet, Self::Testnet, Self::Regtest];

    /// The 4 bytes that start every record of this network's blk files (zcashd's
    /// `pchMessageStart`).
    pub const fn magic(self) -> [u8; 4] {
        match self {
            Self::Mainnet => [0x24, 0xe9, 0x27, 0x64],
            Self::Testnet => [0xfa, 0x1a, 0xf9, 0xbf],
            Self::Regtest => [0xaa, 0xe8, 0x3f, 0x5f],
        }
    }

    /// The network whose blk records start with `magic`.
    pub fn from_magic(magic: [u8; 4]) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.magic() == magic)
    }

    /// Base58Check version bytes of P2PKH addresses (`t1`, `tm`).
    pub const fn p2pkh_prefix(self) -> [u8; 2] {
        match self {
            Self::Mainnet => [0x1c, 0xb8],
            Self::Testnet | Self::Regtest => [0x1d, 0x25],
        }
    }

    /// Base58Check version bytes of P2SH addresses (`t3`, `t2`).
    pub const fn p2sh_prefix(self) -> [u8; 2] {
        match self {
            Self::Mainnet => [0x1c, 0xbd],
            Self::Testnet | Self::Regtest => [0x1c, 0xba],
        }
    }

    /// The name on the command line and in JSON (`zcash-mainnet`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Mainnet => "zcash-mainnet",
            Self::Testnet => "zcash-testnet",
            Self::Regtest => "zcash-regtest",
        }
    }
}

impl fmt::Display for ZcashNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ZcashNetwork {
    type Err = String;

    /// Accepts `zcash-mainnet` and `mainnet` (and likewise for the others).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bare = s.strip_prefix("zcash-").unwrap_or(s);
        Self::ALL
            .into_iter()
            .find(|n| n.name().strip_prefix("zcash-") == Some(bare))
            .ok_or_else(|| format!("unknown Zcash network {s:?} (zcash-mainnet, zcash-testnet or zcash-regtest)"))
    }
}
