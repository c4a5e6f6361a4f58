//! Address encoding and parsing: base58check (P2PKH, P2SH), bech32 (SegWit v0)
//! and bech32m (v1+), with each network's prefixes. The encoders are rust-bitcoin's.

use crate::network::Network;
use crate::script::{Destination, classify};
use bitcoin::bech32::{Fe32, Hrp, segwit};
use bitcoin::hashes::{Hash, hash160};

/// The address of an output script's destination, as Bitcoin Core encodes it.
///
/// Returns `None` where Core shows no address: P2PK (see [`p2pkh_of_pubkey`]),
/// bare multisig, OP_RETURN and non-standard scripts.
pub fn encode(destination: &Destination<'_>, network: Network) -> Option<String> {
    let params = network.address_params();
    match *destination {
        Destination::PubKeyHash(hash) => Some(base58(params.p2pkh_prefix, hash)),
        Destination::ScriptHash(hash) => Some(base58(params.p2sh_prefix, hash)),
        Destination::WitnessV0KeyHash(hash) => bech32(params.bech32_hrp?, 0, hash),
        Destination::WitnessV0ScriptHash(hash) => bech32(params.bech32_hrp?, 0, hash),
        Destination::Taproot(key) => bech32(params.bech32_hrp?, 1, key),
        Destination::Anchor => bech32(params.bech32_hrp?, 1, &[0x4e, 0x73]),
        Destination::WitnessUnknown { version, program } => bech32(params.bech32_hrp?, version, program),
        Destination::PubKey(_) | Destination::Multisig(_) | Destination::NullData(_) | Destination::NonStandard => None,
    }
}

/// The address of an output script, if it has one (see [`encode`]).
pub fn of_script(script: &[u8], network: Network) -> Option<String> {
    encode(&classify(script), network)
}

/// The P2PKH address of a public key: how explorers and chain-analysis tools name a
/// P2PK output, since a P2PK output and a P2PKH output of one key have one owner.
pub fn p2pkh_of_pubkey(pubkey: &[u8], network: Network) -> String {
    let hash = hash160::Hash::hash(pubkey).to_byte_array();
    base58(network.address_params().p2pkh_prefix, &hash)
}

/// Base58Check of a version prefix (one byte on Bitcoin, two on Zcash) and a hash.
pub fn base58(prefix: &[u8], hash: &[u8; 20]) -> String {
    let mut payload = Vec::with_capacity(prefix.len() + 20);
    payload.extend_from_slice(prefix);
    payload.extend_from_slice(hash);
    bitcoin::base58::encode_check(&payload)
}

/// The script of a Zcash transparent address (`t1`, `t3`, `tm`, `t2`) of
/// `network`, or of any Zcash network when `network` is `None`.
fn zcash_script(address: &str, network: Option<Network>) -> Option<Vec<u8>> {
    let payload = bitcoin::base58::decode_check(address).ok()?;
    if payload.len() != 22 {
        return None;
    }
    let (prefix, hash) = payload.split_at(2);
    let networks = Network::ALL.into_iter().filter(|n| n.is_zcash() && network.is_none_or(|m| m == *n));
    for n in networks {
        let params = n.address_params();
        if prefix == params.p2pkh_prefix {
            return Some([&[0x76, 0xa9, 0x14][..], hash, &[0x88, 0xac]].concat());
        }
        if prefix == params.p2sh_prefix {
            return Some([&[0xa9, 0x14][..], hash, &[0x87]].concat());
        }
    }
    None
}

fn bech32(hrp: &str, version: u8, program: &[u8]) -> Option<String> {
    let hrp = Hrp::parse(hrp).ok()?;
    let version = Fe32::try_from(version).ok()?;
    segwit::encode(hrp, version, program).ok()
}

/// An address string that could not be used on the requested network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {network} address {address:?}: {reason}")]
pub struct ParseAddressError {
    address: String,
    network: Network,
    reason: String,
}

/// Parses an address for `network` into the output script it pays to.
///
/// # Errors
/// When the string is not a valid address (bad checksum, unknown prefix) or belongs
/// to another network.
pub fn to_script(address: &str, network: Network) -> Result<Vec<u8>, ParseAddressError> {
    let err = |reason: String| ParseAddressError { address: address.to_owned(), network, reason };
    if network.is_zcash() {
        return zcash_script(address, Some(network))
            .ok_or_else(|| err("not a transparent address of this network".to_owned()));
    }
    let unchecked: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
        address.parse().map_err(|e| err(format!("{e}")))?;
    let checked = unchecked.require_network(to_bitcoin_network(network)).map_err(|e| err(format!("{e}")))?;
    Ok(checked.script_pubkey().into_bytes())
}

/// Parses an address of any network into the output script it pays to (scripts are
/// the same on every network; only the text encoding differs). Returns `None` for
/// strings that are no valid address on any network.
pub fn to_script_any_network(address: &str) -> Option<Vec<u8>> {
    match address.parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>() {
        Ok(unchecked) => Some(unchecked.assume_checked().script_pubkey().into_bytes()),
        Err(_) => zcash_script(address, None),
    }
}

fn to_bitcoin_network(network: Network) -> bitcoin::Network {
    match network {
        Network::Mainnet => bitcoin::Network::Bitcoin,
        // Testnet4 uses testnet3's address prefixes.
        Network::Testnet3 | Network::Testnet4 => bitcoin::Network::Testnet,
        Network::Signet => bitcoin::Network::Signet,
        Network::Regtest => bitcoin::Network::Regtest,
        // Zcash addresses are parsed by `zcash_script` before this is reached.
        Network::ZcashMainnet | Network::ZcashTestnet | Network::ZcashRegtest => bitcoin::Network::Regtest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_each_kind() {
        let cases = [
            (
                "76a914641ad5051edd97029a003fe9efb29359fcee409d88ac",
                Network::Mainnet,
                "1A8JiWcwvpY7tAopUkSnGuEYHmzGYfZPiq",
            ),
            (
                "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260",
                Network::Signet,
                "tb1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqaqh7jw",
            ),
            ("51024e73", Network::Mainnet, "bc1pfeessrawgf"),
        ];
        for (script, network, address) in cases {
            let script = hex::decode(script).unwrap();
            assert_eq!(of_script(&script, network).as_deref(), Some(address));
            assert_eq!(to_script(address, network).unwrap(), script);
        }
    }

    #[test]
    fn any_network_gives_the_same_script() {
        let mainnet = to_script_any_network("1A8JiWcwvpY7tAopUkSnGuEYHmzGYfZPiq").unwrap();
        // The same key hash under the test-network version byte, per rust-bitcoin.
        let hash = bitcoin::PubkeyHash::from_byte_array(mainnet[3..23].try_into().unwrap());
        let expected = bitcoin::Address::p2pkh(hash, bitcoin::Network::Regtest).to_string();
        assert_eq!(of_script(&mainnet, Network::Regtest), Some(expected));
        assert!(to_script_any_network("TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq").is_none());
    }

    #[test]
    fn zcash_transparent_addresses() {
        // The Zcash genesis output's key, as zcashd names it.
        let key = hex::decode("04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f").unwrap();
        let t1 = p2pkh_of_pubkey(&key, Network::ZcashMainnet);
        assert_eq!(t1, "t1StbPM4X3j4FGM57HpGnb9BMbS7C1nFW1r");
        let script = to_script(&t1, Network::ZcashMainnet).unwrap();
        assert_eq!(of_script(&script, Network::ZcashMainnet).as_deref(), Some(t1.as_str()));
        assert_eq!(to_script_any_network(&t1), Some(script.clone()));
        assert!(of_script(&script, Network::ZcashTestnet).unwrap().starts_with("tm"));
        assert!(to_script(&t1, Network::ZcashTestnet).is_err());
        // No SegWit on Zcash.
        assert_eq!(of_script(&hex::decode("51024e73").unwrap(), Network::ZcashMainnet), None);
    }

    #[test]
    fn refuses_other_network() {
        assert!(to_script("1A8JiWcwvpY7tAopUkSnGuEYHmzGYfZPiq", Network::Regtest).is_err());
        assert!(to_script("1A8JiWcwvpY7tAopUkSnGuEYHmzGYfZPiX", Network::Mainnet).is_err());
    }

    #[test]
    fn genesis_p2pk_as_p2pkh() {
        let key = hex::decode("04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f").unwrap();
        assert_eq!(p2pkh_of_pubkey(&key, Network::Mainnet), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    }
}
