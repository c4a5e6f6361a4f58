//! Transparent addresses: Base58Check with two version bytes (`t1`/`t3` on
//! mainnet, `tm`/`t2` on testnet and regtest). The scripts are Bitcoin's.

use crate::network::ZcashNetwork;
use bitcoin::hashes::{Hash, hash160};
use chain::script::{Destination, classify};

fn base58(prefix: [u8; 2], hash: &[u8; 20]) -> String {
    let mut payload = Vec::with_capacity(22);
    payload.extend_from_slice(&prefix);
    payload.extend_from_slice(hash);
    bitcoin::base58::encode_check(&payload)
}

/// The address a script pays, as zcashd names it: P2PKH and P2SH, and a bare
/// public key as the P2PKH address of that key.
pub fn of_script(script: &[u8], network: ZcashNetwork) -> Option<String> {
    match classify(script) {
        Destination::PubKeyHash(h) => Some(base58(network.p2pkh_prefix(), h)),
        Destination::ScriptHash(h) => Some(base58(network.p2sh_prefix(), h)),
        Destination::PubKey(key) => Some(base58(network.p2pkh_prefix(), &hash160::Hash::hash(key).to_byte_array())),
        _ => None,
    }
}

/// The network and script of a transparent address.
pub fn to_script(address: &str) -> Option<(ZcashNetwork, Vec<u8>)> {
    let payload = bitcoin::base58::decode_check(address).ok()?;
    let (prefix, hash) = payload.split_at_checked(2)?;
    if hash.len() != 20 {
        return None;
    }
    for network in ZcashNetwork::ALL {
        if prefix == network.p2pkh_prefix() {
            let script = [&[0x76, 0xa9, 0x14][..], hash, &[0x88, 0xac]].concat();
            return Some((network, script));
        }
        if prefix == network.p2sh_prefix() {
            return Some((network, [&[0xa9, 0x14][..], hash, &[0x87]].concat()));
        }
    }
    None
}
