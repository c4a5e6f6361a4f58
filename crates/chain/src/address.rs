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
        Destination::WitnessV0KeyHash(hash) => bech32(params.bech32_hrp, 0, hash),
        Destination::WitnessV0ScriptHash(hash) => bech32(params.bech32_hrp, 0, hash),
        Destination::Taproot(key) => bech32(params.bech32_hrp, 1, key),
        Destination::Anchor => bech32(params.bech32_hrp, 1, &[0x4e, 0x73]),
        Destination::WitnessUnknown { version, program } => bech32(params.bech32_hrp, version, program),
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

fn base58(prefix: u8, hash: &[u8; 20]) -> String {
    let mut payload = [0u8; 21];
    payload[0] = prefix;
    payload[1..].copy_from_slice(hash);
    bitcoin::base58::encode_check(&payload)
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
    let unchecked: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
        address.parse().map_err(|e| err(format!("{e}")))?;
    let checked = unchecked.require_network(to_bitcoin_network(network)).map_err(|e| err(format!("{e}")))?;
    Ok(checked.script_pubkey().into_bytes())
}

/// Parses an address of any network into the output script it pays to (scripts are
/// the same on every network; only the text encoding differs). Returns `None` for
/// strings that are no valid address on any network.
pub fn to_script_any_network(address: &str) -> Option<Vec<u8>> {
    let unchecked: bitcoin::Address<bitcoin::address::NetworkUnchecked> = address.parse().ok()?;
    Some(unchecked.assume_checked().script_pubkey().into_bytes())
}

fn to_bitcoin_network(network: Network) -> bitcoin::Network {
    match network {
        Network::Mainnet => bitcoin::Network::Bitcoin,
        // Testnet4 uses testnet3's address prefixes.
        Network::Testnet3 | Network::Testnet4 => bitcoin::Network::Testnet,
        Network::Signet => bitcoin::Network::Signet,
        Network::Regtest => bitcoin::Network::Regtest,
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
