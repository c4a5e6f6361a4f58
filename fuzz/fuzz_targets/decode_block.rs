//! Fuzzes the block and transaction decoders against rust-bitcoin.
//! Run: `cargo fuzz run decode_block` (see docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chain::fuzzing::check_block(data);
});
