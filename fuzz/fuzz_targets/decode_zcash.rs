//! Fuzzes the Zcash block and transaction decoders: no panic on any input, and
//! a transaction that decodes re-decodes alone to the same txid and size.
//! Run: `cargo fuzz run decode_zcash` (see docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(block) = zcash::Block::decode(data) {
        for tx in &block.txs {
            let alone = zcash::Transaction::decode(tx.raw).expect("a transaction of a block decodes alone");
            assert_eq!((alone.txid, alone.size()), (tx.txid, tx.size()));
        }
    }
    let _ = zcash::Transaction::decode(data);
});
