//! Wallets: who owns which addresses and coins, and how their software builds
//! transactions (the fingerprints change heuristics read).

use crate::keys::AddrType;
use chain::Txid;
use rand::Rng;

/// What kind of entity owns a wallet (the ground truth's `role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A person.
    User,
    /// An exchange (deposit, hot and cold addresses in one wallet).
    Exchange,
    /// A shop taking payments.
    Merchant,
    /// A mining pool.
    Miner,
    /// A CoinJoin coordinator (fee addresses).
    Coordinator,
    /// The thief.
    Attacker,
    /// A swap service (as if into Monero).
    Swap,
}

impl Role {
    /// The name in ground_truth.json.
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Exchange => "exchange",
            Self::Merchant => "merchant",
            Self::Miner => "miner",
            Self::Coordinator => "coordinator",
            Self::Attacker => "attacker",
            Self::Swap => "swap_service",
        }
    }
}

/// How a wallet's software fills version, lock time and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Software {
    /// Bitcoin Core: version 2, anti-fee-sniping lock time, RBF signalled.
    Core,
    /// Electrum-like: version 2, lock time = height, RBF signalled.
    Electrum,
    /// Old wallets and many services: version 1, lock time 0, final sequences.
    Legacy,
    /// Mobile wallets: version 2, lock time 0, RBF not signalled.
    Mobile,
}

impl Software {
    /// (version, lock time, sequence) for a transaction built at `height`.
    pub fn fields(self, height: u32, rng: &mut impl Rng) -> (u32, u32, u32) {
        match self {
            // Core sets lock time to the tip, 10% of the time up to 100 blocks back.
            Self::Core => {
                let back = if rng.random_bool(0.1) { rng.random_range(0..100) } else { 0 };
                (2, height.saturating_sub(back), 0xffff_fffd)
            }
            Self::Electrum => (2, height, 0xffff_fffd),
            Self::Legacy => (1, 0, 0xffff_ffff),
            Self::Mobile => (2, 0, 0xffff_ffff),
        }
    }

    /// Picks a software at random with realistic shares.
    pub fn pick(rng: &mut impl Rng) -> Self {
        match rng.random_range(0..100) {
            0..40 => Self::Core,
            40..60 => Self::Electrum,
            60..75 => Self::Legacy,
            _ => Self::Mobile,
        }
    }
}

/// An unspent output a wallet owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utxo {
    /// Its transaction.
    pub txid: Txid,
    /// Its index.
    pub vout: u32,
    /// Value in satoshis.
    pub value: u64,
    /// The address index in the owning wallet.
    pub index: u32,
    /// Height of the block that created it.
    pub height: u32,
    /// Address type code.
    pub ty: AddrType,
}

/// Per-address flags: bit 0 change (internal), bit 1 seen in a main-chain output,
/// bits 4-7 the address type code.
const INTERNAL: u8 = 1;
const SEEN: u8 = 2;

/// A wallet: its addresses (derived on demand, so only flags are kept) and coins.
#[derive(Debug, Clone)]
pub struct Wallet {
    /// Its id (position in the simulation's wallet list).
    pub id: u32,
    /// Its name in the ground truth.
    pub name: String,
    /// Its owner's kind.
    pub role: Role,
    /// Type of receive addresses.
    pub receive_type: AddrType,
    /// Type of change addresses.
    pub change_type: AddrType,
    /// Transaction fingerprint.
    pub software: Software,
    /// True for a wallet that hands out one receive address again and again.
    pub reuses_addresses: bool,
    /// Fee rate range in sat/vB.
    pub fee_rate: (u64, u64),
    /// Coins.
    pub utxos: Vec<Utxo>,
    flags: Vec<u8>,
    reused_receive: Option<u32>,
    /// Scripts given from outside, by address index (`AddrType::External`).
    pub external_scripts: Vec<(u32, Vec<u8>)>,
}

impl Wallet {
    /// A new wallet without addresses or coins.
    pub fn new(id: u32, name: String, role: Role, receive_type: AddrType, software: Software) -> Self {
        Self {
            id,
            name,
            role,
            receive_type,
            change_type: receive_type,
            software,
            reuses_addresses: false,
            fee_rate: (1, 20),
            utxos: Vec::new(),
            flags: Vec::new(),
            reused_receive: None,
            external_scripts: Vec::new(),
        }
    }

    /// Derives the next address of a type; `internal` marks change addresses.
    pub fn new_address(&mut self, ty: AddrType, internal: bool) -> u32 {
        let index = self.flags.len() as u32;
        self.flags.push(((ty as u8) << 4) | if internal { INTERNAL } else { 0 });
        index
    }

    /// A receive address: a fresh one, or the reused one for wallets that reuse.
    pub fn receive_address(&mut self) -> u32 {
        if self.reuses_addresses {
            if let Some(index) = self.reused_receive {
                return index;
            }
            let index = self.new_address(self.receive_type, false);
            self.reused_receive = Some(index);
            return index;
        }
        self.new_address(self.receive_type, false)
    }

    /// A fresh change address.
    pub fn change_address(&mut self) -> u32 {
        self.new_address(self.change_type, true)
    }

    /// Adds an address holding an outside script.
    pub fn external_address(&mut self, script: Vec<u8>) -> u32 {
        let index = self.new_address(AddrType::External, false);
        self.external_scripts.push((index, script));
        index
    }

    /// The outside script of an external address.
    pub fn external_script(&self, index: u32) -> Option<&[u8]> {
        self.external_scripts.iter().find(|(i, _)| *i == index).map(|(_, s)| s.as_slice())
    }

    /// The type of an address.
    pub fn address_type(&self, index: u32) -> AddrType {
        AddrType::from_code(self.flags[index as usize] >> 4)
    }

    /// True for a change address.
    pub fn is_internal(&self, index: u32) -> bool {
        self.flags[index as usize] & INTERNAL != 0
    }

    /// Marks an address as paid in a main-chain output.
    pub fn mark_seen(&mut self, index: u32) {
        self.flags[index as usize] |= SEEN;
    }

    /// True when the address was paid in a main-chain output.
    pub fn is_seen(&self, index: u32) -> bool {
        self.flags[index as usize] & SEEN != 0
    }

    /// Number of addresses derived.
    pub fn address_count(&self) -> u32 {
        self.flags.len() as u32
    }

    /// Total value of the wallet's coins.
    pub fn balance(&self) -> u64 {
        self.utxos.iter().map(|u| u.value).sum()
    }

    /// A fee rate from the wallet's range.
    pub fn pick_fee_rate(&self, rng: &mut impl Rng) -> u64 {
        rng.random_range(self.fee_rate.0..=self.fee_rate.1)
    }

    /// Removes and returns coins worth at least `target`, picked at random (at most
    /// `max_inputs`); returns nothing and keeps the coins if it cannot cover it.
    pub fn select(&mut self, target: u64, max_inputs: usize, rng: &mut impl Rng) -> Option<Vec<Utxo>> {
        let mut picked = Vec::new();
        let mut total = 0u64;
        while total < target && !self.utxos.is_empty() && picked.len() < max_inputs {
            let utxo = self.utxos.swap_remove(rng.random_range(0..self.utxos.len()));
            total += utxo.value;
            picked.push(utxo);
        }
        if total < target {
            self.utxos.extend(picked);
            return None;
        }
        Some(picked)
    }
}
