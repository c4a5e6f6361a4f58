//! What makes two outputs pay "the same address": the script's class and a 32-byte
//! payload (the key hash, script hash or witness program, zero-padded). P2PK
//! outputs are filed under the P2PKH address of their key, as explorers show them
//! (one key, one owner). Scripts without an address (bare multisig, OP_RETURN,
//! unknown witness programs, non-standard scripts) are keyed by their SHA-256: one
//! id per distinct script.

use bitcoin::hashes::{Hash, hash160};
use chain::Network;
use chain::script::{Destination, ScriptClass, classify};
use sha2::{Digest, Sha256};

/// The identity of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey {
    /// The address's class (P2PKH for P2PK outputs).
    pub class: ScriptClass,
    /// Key hash, script hash or program (zero-padded), or the script's SHA-256.
    pub payload: [u8; 32],
}

impl AddressKey {
    /// The key of the address an output script pays.
    pub fn of_script(script: &[u8]) -> Self {
        Self::of_destination(&classify(script), script)
    }

    /// The key of an output script already classified.
    pub fn of_destination(destination: &Destination<'_>, script: &[u8]) -> Self {
        let padded = |bytes: &[u8]| {
            let mut payload = [0u8; 32];
            payload[..bytes.len()].copy_from_slice(bytes);
            payload
        };
        let (class, payload) = match *destination {
            Destination::PubKeyHash(h) => (ScriptClass::P2pkh, padded(h)),
            Destination::PubKey(key) => (ScriptClass::P2pkh, padded(&hash160::Hash::hash(key).to_byte_array())),
            Destination::ScriptHash(h) => (ScriptClass::P2sh, padded(h)),
            Destination::WitnessV0KeyHash(h) => (ScriptClass::P2wpkh, padded(h)),
            Destination::WitnessV0ScriptHash(h) => (ScriptClass::P2wsh, *h),
            Destination::Taproot(k) => (ScriptClass::P2tr, *k),
            Destination::Anchor => (ScriptClass::Anchor, [0; 32]),
            // OP_RETURN: the data length first (CoinJoin classifiers read it), then the
            // script's hash.
            Destination::NullData(data) => {
                let pushed: usize =
                    chain::script::Instructions::new(data).filter_map(|op| op.ok()?.data).map(<[u8]>::len).sum();
                let mut payload = [0u8; 32];
                payload[..2].copy_from_slice(&(pushed.min(usize::from(u16::MAX)) as u16).to_le_bytes());
                payload[2..].copy_from_slice(&Sha256::digest(script)[..30]);
                (ScriptClass::NullData, payload)
            }
            other => (other.class(), Sha256::digest(script).into()),
        };
        Self { class, payload }
    }

    /// The key of an address string of `network`, or of the `<class>-<hex>` form
    /// [`Self::display`] gives scripts without an address.
    ///
    /// # Errors
    /// A message naming what is wrong with the string.
    pub fn parse(text: &str, network: Network) -> Result<Self, String> {
        if let Some((class, digits)) = text.split_once('-') {
            let class = ScriptClass::ALL
                .into_iter()
                .find(|c| c.name() == class)
                .ok_or_else(|| format!("unknown script class {class:?}"))?;
            let mut payload = [0u8; 32];
            if hex::decode_to_slice(digits, &mut payload).is_err() {
                return Err(format!("{text:?}: expected 64 hex digits after {:?}", class.name()));
            }
            return Ok(Self { class, payload });
        }
        let script = chain::address::to_script(text, network).map_err(|e| e.to_string())?;
        Ok(Self::of_script(&script))
    }

    /// The address string, or `<class>-<hex>` for scripts without one.
    pub fn display(&self, network: Network) -> String {
        let params = network.address_params();
        let hash20 = || -> [u8; 20] { self.payload[..20].try_into().unwrap_or_default() };
        let program32 = || -> [u8; 32] { self.payload };
        let destination = match self.class {
            ScriptClass::P2pkh => Some(chain::address::base58(params.p2pkh_prefix, &hash20())),
            ScriptClass::P2sh => Some(chain::address::base58(params.p2sh_prefix, &hash20())),
            ScriptClass::P2wpkh => chain::address::encode(&Destination::WitnessV0KeyHash(&hash20()), network),
            ScriptClass::P2wsh => chain::address::encode(&Destination::WitnessV0ScriptHash(&program32()), network),
            ScriptClass::P2tr => chain::address::encode(&Destination::Taproot(&program32()), network),
            ScriptClass::Anchor => chain::address::encode(&Destination::Anchor, network),
            _ => None,
        };
        destination.unwrap_or_else(|| format!("{}-{}", self.class.name(), hex(&self.payload)))
    }

    /// The number of bytes an OP_RETURN output pushes, for OP_RETURN keys.
    pub fn data_len(&self) -> Option<usize> {
        (self.class == ScriptClass::NullData)
            .then(|| usize::from(u16::from_le_bytes([self.payload[0], self.payload[1]])))
    }

    /// A 64-bit fingerprint for hash tables: the payload's first bytes (uniform for
    /// hashes and keys), mixed with the class.
    pub fn fingerprint(&self) -> u64 {
        let head = u64::from_le_bytes(self.payload[..8].try_into().unwrap_or_default());
        let tail = u64::from_le_bytes(self.payload[8..16].try_into().unwrap_or_default());
        (head ^ tail.rotate_left(29) ^ u64::from(self.class.code()).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .wrapping_mul(0xff51_afd7_ed55_8ccd)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p2pk_and_p2pkh_of_one_key_share_an_address() {
        let key = [2u8; 33];
        let mut p2pk = vec![33];
        p2pk.extend_from_slice(&key);
        p2pk.push(0xac);
        let hash = hash160::Hash::hash(&key).to_byte_array();
        let mut p2pkh = vec![0x76, 0xa9, 0x14];
        p2pkh.extend_from_slice(&hash);
        p2pkh.extend_from_slice(&[0x88, 0xac]);
        assert_eq!(AddressKey::of_script(&p2pk), AddressKey::of_script(&p2pkh));
    }

    #[test]
    fn display_parses_back() {
        let scripts = [
            "76a914641ad5051edd97029a003fe9efb29359fcee409d88ac",
            "a914641ad5051edd97029a003fe9efb29359fcee409d87",
            "0014641ad5051edd97029a003fe9efb29359fcee409d",
            "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260",
            "51204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260",
            "51024e73",
            "6a0568656c6c6f",
        ];
        for network in [Network::Mainnet, Network::Regtest] {
            for script in scripts {
                let bytes: Vec<u8> =
                    (0..script.len()).step_by(2).map(|i| u8::from_str_radix(&script[i..i + 2], 16).unwrap()).collect();
                let key = AddressKey::of_script(&bytes);
                let text = key.display(network);
                assert_eq!(AddressKey::parse(&text, network).unwrap(), key, "{text}");
                if let Some(address) = chain::address::of_script(&bytes, network) {
                    assert_eq!(text, address);
                }
            }
        }
        assert!(AddressKey::parse("op_return-zz", Network::Mainnet).is_err());
        assert!(AddressKey::parse("1A8JiWcwvpY7tAopUkSnGuEYHmzGYfZPiq", Network::Regtest).is_err());
    }
}
