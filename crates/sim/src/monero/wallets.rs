//! The wallets of Monero mode: a miner, an exchange with a deposit subaddress per
//! customer, and users, with mainnet-shaped addresses (Monero's base58 of random
//! keys; nothing derives them, nothing spends to them).

use monero::hash::keccak;
use monero::varint::write_varint;
use serde_json::{Map, Value, json};

/// What a wallet does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Mines every block.
    Miner,
    /// The custodial exchange.
    Exchange,
    /// An ordinary user.
    User,
}

/// One wallet.
#[derive(Debug, Clone)]
pub struct Wallet {
    /// Its name in the truth.
    pub name: String,
    /// What it does.
    pub role: Role,
    /// Ring size it prefers (pre-RingCT era).
    pub ring_pref: usize,
    /// Public spend and view keys of its primary address.
    pub keys: [[u8; 32]; 2],
    /// Outputs it received.
    pub received: u64,
}

/// Mainnet's primary address prefix.
const PRIMARY_PREFIX: u64 = 18;
/// Mainnet's subaddress prefix.
const SUBADDRESS_PREFIX: u64 = 42;

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/// Characters of a base58 block of 0..=8 bytes.
const BLOCK_CHARS: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];

/// Monero's base58: 8-byte blocks to 11 characters each, the last block shorter.
fn base58(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() / 8 * 11 + 11);
    for block in data.chunks(8) {
        let mut n = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let width = BLOCK_CHARS[block.len()];
        let mut chars = vec![ALPHABET[0]; width];
        for c in chars.iter_mut().rev() {
            *c = ALPHABET[(n % 58) as usize];
            n /= 58;
        }
        out.extend(chars.into_iter().map(char::from));
    }
    out
}

/// A mainnet address of a spend and a view key.
fn address(prefix: u64, spend: &[u8; 32], view: &[u8; 32]) -> String {
    let mut data = Vec::with_capacity(69);
    write_varint(&mut data, prefix);
    data.extend_from_slice(spend);
    data.extend_from_slice(view);
    let check = keccak(&[&data]);
    data.extend_from_slice(&check[..4]);
    base58(&data)
}

impl Wallet {
    /// The primary address.
    pub fn address(&self) -> String {
        address(PRIMARY_PREFIX, &self.keys[0], &self.keys[1])
    }

    /// Subaddress `minor` of account 0 (keys hashed from the primary keys).
    pub fn subaddress(&self, minor: u32) -> String {
        let spend = keccak(&[b"subaddress spend", &self.keys[0], &minor.to_le_bytes()]);
        let view = keccak(&[b"subaddress view", &self.keys[1], &minor.to_le_bytes()]);
        address(SUBADDRESS_PREFIX, &spend, &view)
    }

    /// The role as the truth describes it.
    pub fn role_text(&self) -> &'static str {
        match self.role {
            Role::Miner => "miner: mines every block, fans coinbases out to the others and sells to the exchange",
            Role::Exchange => {
                "custodial exchange: a deposit subaddress per customer, single and batched withdrawals, churn"
            }
            Role::User => "ordinary user: payments, multi-destination payments, deposits, churn, consolidation",
        }
    }
}

/// The exchange's deposit subaddress for `customer` (wallet id).
pub fn deposit_minor(customer: u32) -> u32 {
    customer + 1
}

/// The `wallets` object of the truth: `exchange` is the exchange's wallet id.
pub fn wallets_json(wallets: &[Wallet], exchange: u32) -> Value {
    let mut out = Map::new();
    for (id, w) in wallets.iter().enumerate() {
        let mut subs = Map::new();
        subs.insert("0".into(), json!({"address": w.address(), "purpose": "primary"}));
        if id as u32 == exchange {
            for (cid, customer) in wallets.iter().enumerate().filter(|&(c, _)| c as u32 != exchange) {
                let minor = deposit_minor(cid as u32);
                subs.insert(
                    minor.to_string(),
                    json!({"address": w.subaddress(minor), "purpose": format!("deposit:{}", customer.name)}),
                );
            }
        }
        out.insert(
            w.name.clone(),
            json!({"role": w.role_text(), "address": w.address(), "subaddresses": subs,
                   "n_outputs_received": w.received}),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_have_mainnet_shape() {
        let w = Wallet { name: "a".into(), role: Role::User, ring_pref: 1, keys: [[1; 32], [2; 32]], received: 0 };
        let a = w.address();
        assert_eq!(a.len(), 95);
        assert!(a.starts_with('4'), "{a}");
        let s = w.subaddress(3);
        assert_eq!(s.len(), 95);
        assert!(s.starts_with('8'), "{s}");
        // Base58 of a zero block is all '1's; of 0xff.. the largest digits.
        assert_eq!(base58(&[0; 8]), "11111111111");
        assert_eq!(base58(&[0xff; 8]), "jpXCZedGfVQ");
    }
}
