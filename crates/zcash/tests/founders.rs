//! Shieldings of founders' reward outputs are told from miners' shieldings of
//! their own coinbase outputs (testnet's schedule, on hand-built blocks).

use chain::Network;
use zcash::encode::{InputParts, TxParts, block, v4_tx};
use zcash::links::Crossings;

fn txid(raw: &[u8]) -> [u8; 32] {
    zcash::Transaction::decode(raw).unwrap().txid
}

#[test]
fn a_shielding_of_the_founders_reward_is_the_founders_not_a_miners() {
    let mut n = 0u8;
    let mut fill = |b: &mut [u8]| {
        for x in b {
            n = n.wrapping_add(61);
            *x = n;
        }
    };
    let founders = chain::address::to_script(
        zcash::founders::address_at(Network::ZcashTestnet, 1).unwrap(),
        Network::ZcashTestnet,
    )
    .unwrap();
    let miner = [vec![0x76, 0xa9, 0x14], vec![3; 20], vec![0x88, 0xac]].concat();
    let coinbase = v4_tx(
        &TxParts {
            inputs: vec![InputParts { txid: [0; 32], vout: u32::MAX, script_sig: vec![0x01, 0x01] }],
            outputs: vec![(80_000, miner), (20_000, founders.to_vec())],
            ..TxParts::default()
        },
        &mut fill,
    );
    let cb = txid(&coinbase);
    let shield = |vout: u32, value: i64, fill: &mut dyn FnMut(&mut [u8])| {
        v4_tx(
            &TxParts {
                inputs: vec![InputParts { txid: cb, vout, script_sig: vec![0x51] }],
                sapling_outputs: 1,
                value_balance: -value,
                ..TxParts::default()
            },
            fill,
        )
    };
    let (by_founders, by_miner) = (shield(1, 20_000, &mut fill), shield(0, 80_000, &mut fill));
    let one = block([1; 32], 0, 0x200f_0f0f, std::slice::from_ref(&coinbase), &[cb], 36, &mut fill);
    let two_txs = [by_founders.clone(), by_miner.clone()];
    let two = block([2; 32], 0, 0x200f_0f0f, &two_txs, &[txid(&by_founders), txid(&by_miner)], 36, &mut fill);
    let mut crossings = Crossings::for_network(Network::ZcashTestnet);
    crossings.add_block(1, &zcash::Block::decode(&one).unwrap());
    crossings.add_block(2, &zcash::Block::decode(&two).unwrap());
    let marks: Vec<(u64, bool, bool)> =
        crossings.shieldings.iter().map(|s| (s.value, s.from_coinbase, s.from_founders)).collect();
    assert_eq!(marks, vec![(20_000, true, true), (80_000, true, false)]);
    // Without the network's schedule, both are only coinbase shieldings.
    let mut plain = Crossings::default();
    plain.add_block(1, &zcash::Block::decode(&one).unwrap());
    plain.add_block(2, &zcash::Block::decode(&two).unwrap());
    assert!(plain.shieldings.iter().all(|s| s.from_coinbase && !s.from_founders));
}
