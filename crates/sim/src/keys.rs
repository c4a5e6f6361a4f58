//! Deterministic placeholder keys, the output script of every address type, and
//! spending data (scriptSig and witness) of the right shape for each.
//!
//! Keys are not secp256k1 points: a public key is a valid-looking 33-byte string
//! derived by hashing (seed, wallet, index). Scripts commit to these keys exactly as
//! real ones do (HASH160 of the key, of the redeem script, SHA-256 of the witness
//! script), so every hash in the chain is consistent; only signatures are random
//! bytes of the real DER or Schnorr shape.

use bitcoin::hashes::{Hash, hash160};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The kinds of address a wallet can hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum AddrType {
    /// P2PKH.
    Legacy = 0,
    /// P2SH-wrapped P2WPKH.
    P2shSegwit = 1,
    /// Native P2WPKH.
    Bech32 = 2,
    /// P2TR (key path).
    Bech32m = 3,
    /// 2-of-3 multisig in P2WSH (exchange cold storage).
    P2wshMultisig = 4,
    /// Bare 1-of-2 multisig output (data carriers, old services).
    BareMultisig = 5,
    /// A script given from outside (`--thief-addresses`).
    External = 6,
}

impl AddrType {
    /// Decodes the numeric code.
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => Self::Legacy,
            1 => Self::P2shSegwit,
            2 => Self::Bech32,
            3 => Self::Bech32m,
            4 => Self::P2wshMultisig,
            5 => Self::BareMultisig,
            _ => Self::External,
        }
    }

    /// The name in ground_truth.json (Bitcoin Core's address-type names where they exist).
    pub fn truth_name(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::P2shSegwit => "p2sh-segwit",
            Self::Bech32 => "bech32",
            Self::Bech32m => "bech32m",
            Self::P2wshMultisig => "p2wsh-multisig",
            Self::BareMultisig => "bare-multisig",
            Self::External => "external",
        }
    }

    /// Serialized input size without witness (outpoint, scriptSig, sequence) and
    /// witness size, in bytes, of a spend of this type.
    pub fn spend_sizes(self) -> (usize, usize) {
        match self {
            Self::Legacy | Self::External => (32 + 4 + 1 + (1 + 72 + 1 + 33) + 4, 1),
            Self::P2shSegwit => (32 + 4 + 1 + 23 + 4, 1 + 1 + 72 + 1 + 33),
            Self::Bech32 => (32 + 4 + 1 + 4, 1 + 1 + 72 + 1 + 33),
            Self::Bech32m => (32 + 4 + 1 + 4, 1 + 1 + 64),
            Self::P2wshMultisig => (32 + 4 + 1 + 4, 1 + 1 + 2 * (1 + 72) + 1 + 105),
            Self::BareMultisig => (32 + 4 + 1 + (1 + 1 + 72) + 4, 1),
        }
    }

    /// Serialized size of an output paying to this type.
    pub fn output_size(self) -> usize {
        8 + 1
            + match self {
                Self::Legacy | Self::External => 25,
                Self::P2shSegwit => 23,
                Self::Bech32 => 22,
                Self::Bech32m | Self::P2wshMultisig => 34,
                Self::BareMultisig => 71,
            }
    }

    /// True when a spend carries witness data.
    pub fn has_witness(self) -> bool {
        matches!(self, Self::P2shSegwit | Self::Bech32 | Self::Bech32m | Self::P2wshMultisig)
    }
}

/// Derives keys and scripts from the run's seed.
#[derive(Debug, Clone)]
pub struct Keys {
    seed: [u8; 32],
}

impl Keys {
    /// Keys for a seed.
    pub fn new(seed: u64) -> Self {
        let mut h = Sha256::new();
        h.update(b"chainsleuth-sim keys");
        h.update(seed.to_le_bytes());
        Self { seed: h.finalize().into() }
    }

    /// The `sub`-th public key of address `index` of `wallet` (33 bytes, 02/03 prefix).
    pub fn pubkey(&self, wallet: u32, index: u32, sub: u8) -> [u8; 33] {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(wallet.to_le_bytes());
        h.update(index.to_le_bytes());
        h.update([sub]);
        let digest: [u8; 32] = h.finalize().into();
        let mut key = [0u8; 33];
        key[0] = 2 + (digest[31] & 1);
        key[1..].copy_from_slice(&digest);
        key
    }

    /// Appends the output script of an address to `out`.
    pub fn script_into(&self, out: &mut Vec<u8>, ty: AddrType, wallet: u32, index: u32) {
        match ty {
            AddrType::Legacy => {
                out.extend_from_slice(&[0x76, 0xa9, 0x14]);
                out.extend_from_slice(&hash160(&self.pubkey(wallet, index, 0)));
                out.extend_from_slice(&[0x88, 0xac]);
            }
            AddrType::P2shSegwit => {
                out.extend_from_slice(&[0xa9, 0x14]);
                out.extend_from_slice(&hash160(&self.redeem_script(wallet, index)));
                out.push(0x87);
            }
            AddrType::Bech32 => {
                out.extend_from_slice(&[0x00, 0x14]);
                out.extend_from_slice(&hash160(&self.pubkey(wallet, index, 0)));
            }
            AddrType::Bech32m => {
                out.extend_from_slice(&[0x51, 0x20]);
                out.extend_from_slice(&self.pubkey(wallet, index, 0)[1..]);
            }
            AddrType::P2wshMultisig => {
                out.extend_from_slice(&[0x00, 0x20]);
                out.extend_from_slice(&Sha256::digest(self.witness_script(wallet, index)));
            }
            AddrType::BareMultisig => {
                out.push(0x51);
                for sub in 0..2 {
                    out.push(33);
                    out.extend_from_slice(&self.pubkey(wallet, index, sub));
                }
                out.extend_from_slice(&[0x52, 0xae]);
            }
            // External scripts are stored by the wallet, not derived.
            AddrType::External => {}
        }
    }

    /// The P2SH-P2WPKH redeem script: `OP_0 <HASH160(key)>`.
    fn redeem_script(&self, wallet: u32, index: u32) -> [u8; 22] {
        let mut script = [0u8; 22];
        script[1] = 0x14;
        script[2..].copy_from_slice(&hash160(&self.pubkey(wallet, index, 0)));
        script
    }

    /// The 2-of-3 witness script: `OP_2 <k0> <k1> <k2> OP_3 OP_CHECKMULTISIG`.
    fn witness_script(&self, wallet: u32, index: u32) -> Vec<u8> {
        let mut script = Vec::with_capacity(105);
        script.push(0x52);
        for sub in 0..3 {
            script.push(33);
            script.extend_from_slice(&self.pubkey(wallet, index, sub));
        }
        script.extend_from_slice(&[0x53, 0xae]);
        script
    }

    /// Appends the scriptSig and witness items that spend an output of this address
    /// to `bytes`, recording each item's range; returns (scriptSig range, witness ranges).
    pub fn spend_into(
        &self,
        bytes: &mut Vec<u8>,
        items: &mut Vec<(usize, usize)>,
        ty: AddrType,
        wallet: u32,
        index: u32,
        rng: &mut impl RngCore,
    ) -> ((usize, usize), (usize, usize)) {
        let push = |bytes: &mut Vec<u8>, data: &[u8]| {
            bytes.push(data.len() as u8);
            bytes.extend_from_slice(data);
        };
        let mut sig = [0u8; 72];
        let mut schnorr = [0u8; 64];
        der_signature(&mut sig, rng);
        let script_start = bytes.len();
        match ty {
            AddrType::Legacy | AddrType::External => {
                push(bytes, &sig);
                push(bytes, &self.pubkey(wallet, index, 0));
            }
            AddrType::P2shSegwit => push(bytes, &self.redeem_script(wallet, index)),
            AddrType::BareMultisig => {
                bytes.push(0x00);
                push(bytes, &sig);
            }
            AddrType::Bech32 | AddrType::Bech32m | AddrType::P2wshMultisig => {}
        }
        let script_sig = (script_start, bytes.len());
        let first_item = items.len();
        let item = |bytes: &mut Vec<u8>, items: &mut Vec<(usize, usize)>, data: &[u8]| {
            let start = bytes.len();
            bytes.extend_from_slice(data);
            items.push((start, bytes.len()));
        };
        match ty {
            AddrType::P2shSegwit | AddrType::Bech32 => {
                item(bytes, items, &sig);
                item(bytes, items, &self.pubkey(wallet, index, 0));
            }
            AddrType::Bech32m => {
                rng.fill_bytes(&mut schnorr);
                item(bytes, items, &schnorr);
            }
            AddrType::P2wshMultisig => {
                item(bytes, items, &[]);
                item(bytes, items, &sig);
                der_signature(&mut sig, rng);
                item(bytes, items, &sig);
                item(bytes, items, &self.witness_script(wallet, index));
            }
            AddrType::Legacy | AddrType::External | AddrType::BareMultisig => {}
        }
        (script_sig, (first_item, items.len()))
    }
}

fn hash160(data: &[u8]) -> [u8; 20] {
    hash160::Hash::hash(data).to_byte_array()
}

/// Fills a 72-byte DER-shaped ECDSA signature (SIGHASH_ALL) with random R and S.
fn der_signature(sig: &mut [u8; 72], rng: &mut impl RngCore) {
    sig[0] = 0x30;
    sig[1] = 69;
    sig[2] = 0x02;
    sig[3] = 33;
    sig[4] = 0x00;
    rng.fill_bytes(&mut sig[5..37]);
    sig[5] |= 0x80; // a high R needs the 0x00 pad above
    sig[37] = 0x02;
    sig[38] = 32;
    rng.fill_bytes(&mut sig[39..71]);
    sig[39] &= 0x7f; // low S
    sig[39] |= 0x01;
    sig[71] = 0x01;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chain::script::{ScriptClass, script_class};
    use rand::SeedableRng;

    #[test]
    fn scripts_have_their_class() {
        let keys = Keys::new(7);
        let cases = [
            (AddrType::Legacy, ScriptClass::P2pkh),
            (AddrType::P2shSegwit, ScriptClass::P2sh),
            (AddrType::Bech32, ScriptClass::P2wpkh),
            (AddrType::Bech32m, ScriptClass::P2tr),
            (AddrType::P2wshMultisig, ScriptClass::P2wsh),
            (AddrType::BareMultisig, ScriptClass::Multisig),
        ];
        for (ty, class) in cases {
            let mut script = Vec::new();
            keys.script_into(&mut script, ty, 3, 9);
            assert_eq!(script_class(&script), class, "{ty:?}");
            assert_eq!(ty.output_size(), 9 + script.len(), "{ty:?}");
        }
    }

    #[test]
    fn spends_have_the_sizes_fees_are_computed_from() {
        let keys = Keys::new(7);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for code in 0..=5 {
            let ty = AddrType::from_code(code);
            let (mut bytes, mut items) = (Vec::new(), Vec::new());
            let (script, witness) = keys.spend_into(&mut bytes, &mut items, ty, 1, 2, &mut rng);
            let script_len = script.1 - script.0;
            let witness_len: usize = 1 + items[witness.0..witness.1].iter().map(|(a, b)| 1 + b - a).sum::<usize>();
            assert_eq!(ty.spend_sizes(), (32 + 4 + 1 + script_len + 4, witness_len), "{ty:?}");
        }
    }
}
