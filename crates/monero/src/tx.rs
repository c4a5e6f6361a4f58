//! Monero transactions of every version: the prefix, v1 ring signatures, RingCT,
//! and the transaction hash over exactly the parts consensus hashes.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::extra::Extra;
use crate::hash::{Hash32, keccak};
use crate::rct::{self, RctType};
use crate::varint::Reader;

/// Ring sizes beyond this are refused (consensus caps rings far lower).
const MAX_RING: u64 = 4096;
/// Inputs or outputs per transaction beyond this are refused.
const MAX_IO: u64 = 1 << 16;

/// One input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `txin_gen`: the coinbase input, naming the block height.
    Gen {
        /// The height the coinbase claims.
        height: u64,
    },
    /// `txin_to_key`: a ring of earlier outputs of one amount and a key image.
    ToKey {
        /// The amount (0 for RingCT; the denomination before it).
        amount: u64,
        /// Relative offsets as on chain: the first absolute, the rest differences.
        key_offsets: Vec<u64>,
        /// The key image that makes a double spend visible.
        key_image: [u8; 32],
    },
}

impl Input {
    /// The ring as absolute global indices in the amount's output index
    /// (running sums of the offsets); `None` if they overflow.
    pub fn ring(&self) -> Option<Vec<u64>> {
        match self {
            Self::Gen { .. } => Some(Vec::new()),
            Self::ToKey { key_offsets, .. } => {
                let mut acc = 0u64;
                key_offsets
                    .iter()
                    .map(|&d| {
                        acc = acc.checked_add(d)?;
                        Some(acc)
                    })
                    .collect()
            }
        }
    }
}

/// One output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The cleartext amount (coinbase and pre-RingCT; 0 for RingCT spends).
    pub amount: u64,
    /// The one-time public key.
    pub key: [u8; 32],
    /// The view tag of `txout_to_tagged_key` (since hard fork 15).
    pub view_tag: Option<u8>,
}

/// A decoded transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The transaction hash.
    pub hash: Hash32,
    /// Version: 1 (CryptoNote ring signatures) or 2 (RingCT).
    pub version: u64,
    /// Unlock time (a height below 500,000,000, else a timestamp).
    pub unlock_time: u64,
    /// Inputs.
    pub inputs: Vec<Input>,
    /// Outputs.
    pub outputs: Vec<Output>,
    /// The raw extra field.
    pub extra: Vec<u8>,
    /// The RingCT type (`None` for version 1).
    pub rct_type: Option<RctType>,
    /// The fee: RingCT's field, or inputs minus outputs for a v1 non-coinbase.
    pub fee: u64,
    /// Byte length of the prefix.
    pub prefix_len: usize,
    /// Byte range of the prunable part (signatures and proofs).
    pub prunable: (usize, usize),
    /// Byte length of the whole transaction.
    pub size: usize,
}

impl Transaction {
    /// Whether this is a coinbase (one `txin_gen` input).
    pub fn is_coinbase(&self) -> bool {
        matches!(self.inputs.as_slice(), [Input::Gen { .. }])
    }

    /// The parsed extra field.
    pub fn parsed_extra(&self) -> Extra {
        Extra::parse(&self.extra)
    }

    /// Whether the outputs go into the RingCT (amount 0) output index: every
    /// output of a v2 transaction, coinbase or not.
    pub fn outputs_are_rct_indexed(&self) -> bool {
        self.version >= 2
    }
}

/// Decodes one whole transaction blob; no bytes may trail it.
///
/// # Errors
/// A [`DecodeError`] naming the field and offset.
pub fn decode_tx(blob: &[u8]) -> Result<Transaction, DecodeError> {
    let mut r = Reader::new(blob);
    let tx = read_tx(&mut r)?;
    if r.remaining() > 0 {
        return Err(r.error("transaction", DecodeErrorKind::Trailing(r.remaining())));
    }
    Ok(tx)
}

/// Reads a transaction at the reader's position (a block's miner tx, say) and
/// hashes it.
///
/// # Errors
/// A [`DecodeError`] naming the field and offset.
pub fn read_tx(r: &mut Reader<'_>) -> Result<Transaction, DecodeError> {
    let start = r.pos();
    let version = r.varint(&|| "version".into())?;
    if version == 0 || version > 2 {
        return Err(r.error_at("version", start, DecodeErrorKind::Invalid("version must be 1 or 2")));
    }
    let unlock_time = r.varint(&|| "unlock_time".into())?;
    let n_in = r.count(&|| "vin".into(), 2, MAX_IO)?;
    let mut inputs = Vec::with_capacity(n_in);
    for i in 0..n_in {
        inputs.push(read_input(r, i)?);
    }
    let n_out = r.count(&|| "vout".into(), 34, MAX_IO)?;
    let mut outputs = Vec::with_capacity(n_out);
    for i in 0..n_out {
        outputs.push(read_output(r, i)?);
    }
    let extra_len = r.count(&|| "extra".into(), 1, u64::MAX)?;
    let extra = r.bytes(extra_len, &|| "extra".into())?.to_vec();
    let prefix_end = r.pos();
    let prefix = r.slice(start, prefix_end);
    let is_coinbase = matches!(inputs.as_slice(), [Input::Gen { .. }]);
    if inputs.iter().skip(usize::from(is_coinbase)).any(|i| matches!(i, Input::Gen { .. }))
        || (inputs.is_empty() && version >= 1)
    {
        return Err(r.error_at("vin", start, DecodeErrorKind::Invalid("a txin_gen must be the only input")));
    }

    let (hash, rct_type, fee, prunable) = if version == 1 {
        let sig_start = r.pos();
        for (i, input) in inputs.iter().enumerate() {
            if let Input::ToKey { key_offsets, .. } = input {
                r.skip(key_offsets.len(), 64, &|| format!("signatures[{i}]"))?;
            }
        }
        let end = r.pos();
        let fee = if is_coinbase {
            0
        } else {
            v1_fee(&inputs, &outputs)
                .ok_or_else(|| r.error_at("vout", start, DecodeErrorKind::Invalid("outputs exceed inputs")))?
        };
        (Hash32(keccak(&[r.slice(start, end)])), None, fee, (sig_start - start, end - start))
    } else {
        let ring_size = match inputs.first() {
            Some(Input::ToKey { key_offsets, .. }) => key_offsets.len(),
            _ => 0,
        };
        let layout = rct::read(r, inputs.len(), outputs.len(), ring_size)?;
        if is_coinbase != (layout.rct_type == RctType::Null) {
            return Err(r.error_at(
                "rct_signatures.type",
                layout.base.0,
                DecodeErrorKind::Invalid("RCTTypeNull is for coinbase transactions only"),
            ));
        }
        let base = r.slice(layout.base.0, layout.base.1);
        let prunable_hash = if layout.rct_type == RctType::Null {
            [0u8; 32]
        } else {
            keccak(&[r.slice(layout.prunable.0, layout.prunable.1)])
        };
        let hash = keccak(&[&keccak(&[prefix]), &keccak(&[base]), &prunable_hash]);
        (Hash32(hash), Some(layout.rct_type), layout.fee, (layout.prunable.0 - start, layout.prunable.1 - start))
    };
    Ok(Transaction {
        hash,
        version,
        unlock_time,
        inputs,
        outputs,
        extra,
        rct_type,
        fee,
        prefix_len: prefix_end - start,
        prunable,
        size: r.pos() - start,
    })
}

fn v1_fee(inputs: &[Input], outputs: &[Output]) -> Option<u64> {
    let mut total_in = 0u64;
    for i in inputs {
        if let Input::ToKey { amount, .. } = i {
            total_in = total_in.checked_add(*amount)?;
        }
    }
    let total_out = outputs.iter().try_fold(0u64, |acc, o| acc.checked_add(o.amount))?;
    total_in.checked_sub(total_out)
}

fn read_input(r: &mut Reader<'_>, i: usize) -> Result<Input, DecodeError> {
    let at = r.pos();
    let tag = r.byte(&|| format!("vin[{i}]"))?;
    match tag {
        0xff => Ok(Input::Gen { height: r.varint(&|| format!("vin[{i}].height"))? }),
        0x02 => {
            let amount = r.varint(&|| format!("vin[{i}].amount"))?;
            let n = r.count(&|| format!("vin[{i}].key_offsets"), 1, MAX_RING)?;
            if n == 0 {
                return Err(r.error(format!("vin[{i}].key_offsets"), DecodeErrorKind::Invalid("empty ring")));
            }
            let mut key_offsets = Vec::with_capacity(n);
            for j in 0..n {
                key_offsets.push(r.varint(&|| format!("vin[{i}].key_offsets[{j}]"))?);
            }
            let key_image = r.key(&|| format!("vin[{i}].k_image"))?;
            Ok(Input::ToKey { amount, key_offsets, key_image })
        }
        // txin_to_script (0x00) and txin_to_scripthash (0x01) exist in the type but
        // never in a valid transaction.
        other => Err(r.error_at(format!("vin[{i}]"), at, DecodeErrorKind::UnknownTag(other))),
    }
}

fn read_output(r: &mut Reader<'_>, i: usize) -> Result<Output, DecodeError> {
    let amount = r.varint(&|| format!("vout[{i}].amount"))?;
    let at = r.pos();
    let tag = r.byte(&|| format!("vout[{i}].target"))?;
    let key = r.key(&|| format!("vout[{i}].target.key"))?;
    let view_tag = match tag {
        0x02 => None,
        0x03 => Some(r.byte(&|| format!("vout[{i}].target.view_tag"))?),
        other => return Err(r.error_at(format!("vout[{i}].target"), at, DecodeErrorKind::UnknownTag(other))),
    };
    Ok(Output { amount, key, view_tag })
}

/// Decodes a hex blob (one line, as monerod's RPC and the fixture give it).
///
/// # Errors
/// If the hex is malformed, naming the offset of the first bad digit.
pub fn from_hex(text: &str) -> Result<Vec<u8>, DecodeError> {
    let text = text.trim();
    hex::decode(text).map_err(|e| {
        let offset = match e {
            hex::FromHexError::InvalidHexCharacter { index, .. } => index / 2,
            _ => text.len() / 2,
        };
        DecodeError { field: "hex".into(), offset, kind: DecodeErrorKind::Invalid("not an even number of hex digits") }
    })
}
