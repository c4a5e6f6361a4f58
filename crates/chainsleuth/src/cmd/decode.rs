//! `chainsleuth decode tx|block`: JSON shaped like Bitcoin Core's (or zcashd's)
//! `decoderawtransaction` and `getblock <hash> 2`.

use crate::output::print_json;
use anyhow::{Context, bail};
use chain::{Network, Transaction, rpc_json};
use std::io::Read;
use std::path::Path;

/// Decodes a transaction given as hex, or `-` for hex or raw bytes on stdin.
pub fn tx(input: &str, network: Network) -> anyhow::Result<()> {
    let bytes = if input == "-" { bytes_or_hex(read_stdin()?)? } else { decode_hex(input.as_bytes())? };
    if network.is_zcash() {
        let tx = zcash::Transaction::decode(&bytes).context("cannot decode Zcash transaction")?;
        return print_json(&zcash::json::tx_json(&tx, network));
    }
    let tx = Transaction::decode(&bytes).context("cannot decode transaction")?;
    /// Core's fields, then the CoinJoin verdict.
    #[derive(serde::Serialize)]
    struct DecodedTx {
        #[serde(flatten)]
        tx: rpc_json::TxJson,
        coinjoin: Option<analysis::Verdict>,
    }
    // Judged from the transaction alone: no values or addresses of what it spends.
    let coinjoin = analysis::coinjoin::classify(&analysis::facts::LoneTx::of(&tx).shape());
    print_json(&DecodedTx { tx: rpc_json::tx_json(&tx, network), coinjoin })
}

/// Decodes a block from a file (or `-` for stdin) of raw bytes or hex. A blk-file
/// record (magic and size before the block) is accepted too.
pub fn block(input: &Path, network: Network) -> anyhow::Result<()> {
    let raw = if input == Path::new("-") {
        read_stdin()?
    } else {
        std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?
    };
    let bytes = strip_record_header(bytes_or_hex(raw)?);
    if network.is_zcash() {
        let block = zcash::Block::decode(&bytes)
            .with_context(|| format!("cannot decode Zcash block from {}", input.display()))?;
        return print_json(&zcash::json::block_json(&block, network));
    }
    let block = rpc_json::block_json(&bytes, network).with_context(|| {
        let hint = if zcash::Block::decode(&bytes).is_ok() { " (it is a Zcash block: add --chain zcash)" } else { "" };
        format!("cannot decode block from {}{hint}", input.display())
    })?;
    print_json(&block)
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf).context("cannot read stdin")?;
    Ok(buf)
}

/// Treats input made only of hex digits and whitespace as hex, anything else as raw bytes.
fn bytes_or_hex(raw: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    if !raw.is_empty() && raw.iter().all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace()) {
        decode_hex(&raw)
    } else {
        Ok(raw)
    }
}

fn decode_hex(text: &[u8]) -> anyhow::Result<Vec<u8>> {
    let digits: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.is_empty() {
        bail!("empty input: expected hex");
    }
    if let Some(pos) = digits.iter().position(|b| !b.is_ascii_hexdigit()) {
        bail!("invalid hex: character {:?} at position {pos}", char::from(digits[pos]));
    }
    if digits.len() % 2 == 1 {
        bail!("invalid hex: odd number of digits ({})", digits.len());
    }
    Ok(hex::decode(&digits)?)
}

/// Removes a blk-file record header (network magic and size) if the bytes start with one.
fn strip_record_header(bytes: Vec<u8>) -> Vec<u8> {
    let framed = bytes.len() >= 8
        && Network::from_magic([bytes[0], bytes[1], bytes[2], bytes[3]]).is_some()
        && u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize == bytes.len() - 8;
    if framed { bytes[8..].to_vec() } else { bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_errors_name_the_position() {
        let err = decode_hex(b"00zz").unwrap_err().to_string();
        assert!(err.contains("position 2"), "{err}");
        assert!(decode_hex(b"abc").unwrap_err().to_string().contains("odd"));
    }

    #[test]
    fn record_header_is_stripped() {
        let mut record = vec![0xfa, 0xbf, 0xb5, 0xda, 2, 0, 0, 0];
        record.extend([7, 8]);
        assert_eq!(strip_record_header(record), vec![7, 8]);
        assert_eq!(strip_record_header(vec![1, 2, 3]), vec![1, 2, 3]);
    }
}
