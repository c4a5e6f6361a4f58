//! The write side against the real fixtures and random parts: every fixture
//! transaction and block encodes back from its decoded parts byte for byte (so
//! with the same hash), the Bulletproof+ parts of real transactions rebuilt field
//! by field give their bytes back, and random parts round-trip through the decoder.

use monero::encode::{
    BlockParts, BppPrunable, BulletproofPlus, Clsag, EcdhInfo, Prunable, RctSignatures, Signatures, TxParts,
};
use monero::{Hash32, Input, Output, RctType, decode_block, decode_tx, tx::from_hex};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

fn read_blob(path: &Path) -> Vec<u8> {
    if path.extension().is_some_and(|e| e == "hex") {
        from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()
    } else {
        std::fs::read(path).unwrap()
    }
}

/// Reads a type-6 prunable part into its fields (the test's own reader; every
/// count in these blobs is below 128, so one varint byte).
fn parse_bpp(bytes: &[u8], inputs: usize, ring: usize) -> BppPrunable {
    struct Cursor<'a>(&'a [u8], usize);
    impl Cursor<'_> {
        fn byte(&mut self) -> usize {
            self.1 += 1;
            self.0[self.1 - 1] as usize
        }
        fn key(&mut self) -> [u8; 32] {
            let mut k = [0u8; 32];
            k.copy_from_slice(&self.0[self.1..self.1 + 32]);
            self.1 += 32;
            k
        }
        fn keys(&mut self, n: usize) -> Vec<[u8; 32]> {
            (0..n).map(|_| self.key()).collect()
        }
    }
    let mut c = Cursor(bytes, 0);
    let proofs = (0..c.byte())
        .map(|_| {
            let points: [[u8; 32]; 6] = std::array::from_fn(|_| c.key());
            let n = c.byte();
            let l = c.keys(n);
            let n = c.byte();
            let r = c.keys(n);
            BulletproofPlus { points, l, r }
        })
        .collect();
    let clsags = (0..inputs).map(|_| Clsag { s: c.keys(ring), c1: c.key(), d: c.key() }).collect();
    let pseudo_outs = c.keys(inputs);
    assert_eq!(c.1, bytes.len());
    BppPrunable { proofs, clsags, pseudo_outs }
}

fn round_trip_tx(blob: &[u8]) {
    let tx = decode_tx(blob).unwrap();
    let mut parts = TxParts::from_blob(blob).unwrap();
    assert_eq!(parts.encode().unwrap(), blob, "{}", tx.hash);
    if let Signatures::Rct(RctSignatures { rct_type: RctType::BulletproofPlus, prunable, .. }) = &mut parts.signatures {
        let Prunable::Raw(raw) = prunable else { panic!("from_blob keeps the prunable part raw") };
        let ring = tx.inputs[0].ring().unwrap().len();
        *prunable = Prunable::BulletproofPlus(parse_bpp(raw, tx.inputs.len(), ring));
        let again = parts.encode().unwrap();
        assert_eq!(again, blob, "{}: structured Bulletproof+", tx.hash);
        assert_eq!(decode_tx(&again).unwrap().hash, tx.hash);
    }
}

#[test]
fn every_fixture_transaction_encodes_back_byte_for_byte() {
    let mut n = 0;
    for path in files(&fixtures().join("monero-regtest/txs")).iter().chain(&files(&fixtures().join("real/monero/tx"))) {
        round_trip_tx(&read_blob(path));
        n += 1;
    }
    assert_eq!(n, 946 + 19);
}

#[test]
fn every_fixture_block_encodes_back_byte_for_byte() {
    let mut n = 0;
    for path in
        files(&fixtures().join("monero-regtest/blocks")).iter().chain(&files(&fixtures().join("real/monero/blocks")))
    {
        let blob = read_blob(path);
        let block = decode_block(&blob).unwrap();
        let parts = BlockParts::from_blob(&blob).unwrap();
        let again = parts.encode().unwrap();
        assert_eq!(again, blob, "{}", path.display());
        assert_eq!(decode_block(&again).unwrap().id, block.id);
        n += 1;
    }
    assert_eq!(n, 985 + 5);
}

fn key() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>()
}

/// Random version-2 spends of type 6 with dummy proofs, or version-1 spends.
fn tx_parts() -> impl Strategy<Value = TxParts> {
    (
        any::<bool>(),
        1usize..4,
        1usize..17,
        1usize..17,
        proptest::collection::vec((key(), 0u64..1_000_000), 3),
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..80),
        any::<u64>(),
    )
        .prop_map(|(v2, n_in, ring, n_out, seeds, unlock, extra, fee)| {
            let mut counter = seeds[0].1;
            let mut bytes = move || {
                counter = counter.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let mut k = [0u8; 32];
                for (i, b) in k.iter_mut().enumerate() {
                    *b = (counter >> ((i % 8) * 8)) as u8 ^ i as u8;
                }
                k
            };
            let inputs: Vec<Input> = (0..n_in)
                .map(|i| Input::ToKey {
                    amount: if v2 { 0 } else { seeds[i % 3].1 * 1000 },
                    key_offsets: (0..ring as u64).map(|j| j * 7 + seeds[i % 3].1 % 5).collect(),
                    key_image: bytes(),
                })
                .collect();
            let total_in: u64 =
                inputs.iter().map(|i| if let Input::ToKey { amount, .. } = i { *amount } else { 0 }).sum();
            let outputs: Vec<Output> = (0..n_out)
                .map(|i| Output {
                    amount: if v2 { 0 } else { total_in / (n_out as u64 + 1) },
                    key: bytes(),
                    view_tag: v2.then_some(i as u8),
                })
                .collect();
            let signatures = if v2 {
                Signatures::Rct(RctSignatures {
                    rct_type: RctType::BulletproofPlus,
                    fee,
                    pseudo_outs: Vec::new(),
                    ecdh_info: (0..n_out).map(|i| EcdhInfo::Short([i as u8; 8])).collect(),
                    out_pk: (0..n_out).map(|_| bytes()).collect(),
                    prunable: Prunable::BulletproofPlus(BppPrunable::filled(n_in, ring, n_out, &mut bytes)),
                })
            } else {
                Signatures::Ring((0..n_in * ring * 64).map(|i| (i * 31 % 251) as u8).collect())
            };
            TxParts { version: if v2 { 2 } else { 1 }, unlock_time: unlock, inputs, outputs, extra, signatures }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Encode, decode: the same fields, and the parts read back encode the same blob.
    #[test]
    fn random_transactions_round_trip(parts in tx_parts()) {
        let blob = parts.encode().unwrap();
        let tx = decode_tx(&blob).unwrap();
        prop_assert_eq!(tx.version, parts.version);
        prop_assert_eq!(tx.unlock_time, parts.unlock_time);
        prop_assert_eq!(&tx.inputs, &parts.inputs);
        prop_assert_eq!(&tx.outputs, &parts.outputs);
        prop_assert_eq!(&tx.extra, &parts.extra);
        prop_assert_eq!(tx.size, blob.len());
        match &parts.signatures {
            Signatures::Rct(r) => {
                prop_assert_eq!(tx.rct_type, Some(r.rct_type));
                prop_assert_eq!(tx.fee, r.fee);
            }
            Signatures::Ring(_) => prop_assert_eq!(tx.rct_type, None),
        }
        prop_assert_eq!(TxParts::from_blob(&blob).unwrap().encode().unwrap(), blob);
    }

    /// Blocks of random transaction hashes decode to their parts.
    #[test]
    fn random_blocks_round_trip(
        major in 1u64..17, timestamp in any::<u64>(), prev in key(), nonce in any::<u32>(),
        height in any::<u64>(), reward in any::<u64>(), out_key in key(),
        hashes in proptest::collection::vec(key(), 0..40),
    ) {
        let v2 = major >= 4;
        let miner_tx = TxParts {
            version: if v2 { 2 } else { 1 },
            unlock_time: height.saturating_add(60),
            inputs: vec![Input::Gen { height }],
            outputs: vec![Output { amount: reward, key: out_key, view_tag: (major >= 15).then_some(3) }],
            extra: vec![0x01; 33],
            signatures: if v2 {
                Signatures::Rct(RctSignatures {
                    rct_type: RctType::Null, fee: 0, pseudo_outs: Vec::new(), ecdh_info: Vec::new(),
                    out_pk: Vec::new(), prunable: Prunable::None,
                })
            } else {
                Signatures::Ring(Vec::new())
            },
        };
        let parts = BlockParts {
            major_version: major, minor_version: major, timestamp, prev_id: Hash32(prev), nonce, miner_tx,
            tx_hashes: hashes.into_iter().map(Hash32).collect(),
        };
        let blob = parts.encode().unwrap();
        let block = decode_block(&blob).unwrap();
        prop_assert_eq!(block.height(), Some(height));
        prop_assert_eq!(block.reward(), reward);
        prop_assert_eq!(block.timestamp, timestamp);
        prop_assert_eq!(block.nonce, nonce);
        prop_assert_eq!(&block.tx_hashes, &parts.tx_hashes);
        prop_assert_eq!(BlockParts::from_blob(&blob).unwrap(), parts);
    }
}
