//! The write side: transactions and blocks serialized as Monero serializes them,
//! so that tests and the simulator can make blobs that [`decode_tx`] and
//! [`decode_block`] read back with the same fields and hashes.
//!
//! Signatures and proofs are bytes here, never checked cryptographically: v1 ring
//! signatures and any RingCT prunable part can be given opaque, and an
//! `RCTTypeBulletproofPlus` prunable part can be built field by field (one or more
//! Bulletproofs+, a CLSAG per input, the pseudo-outputs) from whatever bytes the
//! caller supplies. Every count the decoder relies on is checked before a byte is
//! written, so an encoded blob always has the layout its type announces.
//!
//! [`decode_tx`]: crate::decode_tx
//! [`decode_block`]: crate::decode_block

use crate::block::decode_block;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::hash::Hash32;
use crate::rct::RctType;
use crate::tx::{Input, Output, decode_tx};
use crate::varint::{Reader, write_varint};

/// Why parts could not be serialized into a blob the decoder accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A transaction version other than 1 or 2.
    #[error("transaction version {0}: only 1 and 2 exist")]
    Version(u64),
    /// A count that does not match what the layout requires.
    #[error("{field}: {got} given, {want} required")]
    Count {
        /// The field, e.g. `rct_signatures.outPk`.
        field: &'static str,
        /// How many were given.
        got: usize,
        /// How many the layout requires.
        want: usize,
    },
    /// Parts that no valid blob holds.
    #[error("{0}")]
    Invalid(&'static str),
}

/// A transaction's parts in serialization order: the prefix, then its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxParts {
    /// 1 (CryptoNote ring signatures) or 2 (RingCT).
    pub version: u64,
    /// Unlock time (a height below 500,000,000, else a timestamp).
    pub unlock_time: u64,
    /// Inputs: one [`Input::Gen`] for a coinbase, else [`Input::ToKey`]s.
    pub inputs: Vec<Input>,
    /// Outputs; a view tag makes a `txout_to_tagged_key`.
    pub outputs: Vec<Output>,
    /// The raw extra field.
    pub extra: Vec<u8>,
    /// What follows the prefix.
    pub signatures: Signatures,
}

/// What follows a transaction's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signatures {
    /// Version 1: the ring signatures as opaque bytes, 64 per ring member of every
    /// input (none for a coinbase).
    Ring(Vec<u8>),
    /// Version 2: RingCT.
    Rct(RctSignatures),
}

/// The RingCT signatures of a version-2 transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RctSignatures {
    /// The type; [`RctType::Null`] for a coinbase, and only then.
    pub rct_type: RctType,
    /// The fee in atomic units (0 for [`RctType::Null`]).
    pub fee: u64,
    /// The pseudo-outputs of the base, one per input for [`RctType::Simple`]
    /// only (later types carry them in the prunable part).
    pub pseudo_outs: Vec<[u8; 32]>,
    /// The encrypted amounts, one per output.
    pub ecdh_info: Vec<EcdhInfo>,
    /// The output commitments, one per output.
    pub out_pk: Vec<[u8; 32]>,
    /// The prunable part.
    pub prunable: Prunable,
}

/// One output's encrypted amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcdhInfo {
    /// The 8-byte amount of types 4-6.
    Short([u8; 8]),
    /// The 32-byte mask and 32-byte amount of types 1-3.
    Full {
        /// The encrypted mask.
        mask: [u8; 32],
        /// The encrypted amount.
        amount: [u8; 32],
    },
}

/// The prunable part of RingCT signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prunable {
    /// None at all: [`RctType::Null`].
    None,
    /// Opaque bytes written as given (range proofs, ring signatures,
    /// pseudo-outputs); the decoder checks their layout.
    Raw(Vec<u8>),
    /// The parts of an [`RctType::BulletproofPlus`] prunable part.
    BulletproofPlus(BppPrunable),
}

/// One Bulletproof+ as serialized (the commitments `V` are not: they are the
/// outputs' `outPk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulletproofPlus {
    /// A, A1, B, r1, s1, d1, in that order.
    pub points: [[u8; 32]; 6],
    /// The L terms, one per round.
    pub l: Vec<[u8; 32]>,
    /// The R terms, one per round.
    pub r: Vec<[u8; 32]>,
}

/// One CLSAG signature as serialized (the key image is the input's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clsag {
    /// One scalar per ring member.
    pub s: Vec<[u8; 32]>,
    /// The first challenge.
    pub c1: [u8; 32],
    /// The commitment key image.
    pub d: [u8; 32],
}

/// The prunable part of an `RCTTypeBulletproofPlus` transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BppPrunable {
    /// The range proofs (wallets aggregate all outputs into one).
    pub proofs: Vec<BulletproofPlus>,
    /// One CLSAG per input.
    pub clsags: Vec<Clsag>,
    /// One pseudo-output commitment per input.
    pub pseudo_outs: Vec<[u8; 32]>,
}

/// The largest number of amounts one Bulletproof(+) aggregates.
const MAX_BP_OUTPUTS: usize = 16;

/// The rounds (L and R terms) of one Bulletproof+ over `outputs` amounts:
/// 6 for the 64 bits of one amount, plus one per doubling of the amounts padded
/// to a power of two.
pub fn bpp_rounds(outputs: usize) -> usize {
    6 + outputs.max(1).next_power_of_two().trailing_zeros() as usize
}

impl BppPrunable {
    /// A structurally valid prunable part for `inputs` inputs of ring size
    /// `ring_size` and `outputs` outputs (at most 16): one proof with the rounds
    /// for `outputs` amounts, a CLSAG per input and a pseudo-output per input,
    /// every key and scalar taken from `bytes`.
    pub fn filled(inputs: usize, ring_size: usize, outputs: usize, bytes: &mut dyn FnMut() -> [u8; 32]) -> Self {
        let rounds = bpp_rounds(outputs);
        let points = std::array::from_fn(|_| bytes());
        let l = (0..rounds).map(|_| bytes()).collect();
        let r = (0..rounds).map(|_| bytes()).collect();
        let clsags = (0..inputs)
            .map(|_| Clsag { s: (0..ring_size).map(|_| bytes()).collect(), c1: bytes(), d: bytes() })
            .collect();
        let pseudo_outs = (0..inputs).map(|_| bytes()).collect();
        Self { proofs: vec![BulletproofPlus { points, l, r }], clsags, pseudo_outs }
    }
}

fn check_count(field: &'static str, got: usize, want: usize) -> Result<(), EncodeError> {
    if got == want { Ok(()) } else { Err(EncodeError::Count { field, got, want }) }
}

impl TxParts {
    /// Whether the inputs are one `txin_gen`.
    pub fn is_coinbase(&self) -> bool {
        matches!(self.inputs.as_slice(), [Input::Gen { .. }])
    }

    /// Serializes the transaction.
    ///
    /// # Errors
    /// If the parts break a rule the decoder enforces (see [`EncodeError`]).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.size_hint());
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Appends the serialized transaction to `out`; on error `out` is left as
    /// it was.
    ///
    /// # Errors
    /// If the parts break a rule the decoder enforces (see [`EncodeError`]).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.check()?;
        self.write_prefix(out);
        match &self.signatures {
            Signatures::Ring(bytes) => out.extend_from_slice(bytes),
            Signatures::Rct(rct) => rct.write(out),
        }
        Ok(())
    }

    /// Roughly the encoded size, for buffer capacity.
    fn size_hint(&self) -> usize {
        let rings: usize = self.inputs.iter().map(ring_len).sum();
        let sigs = match &self.signatures {
            Signatures::Ring(b) => b.len(),
            Signatures::Rct(r) => match &r.prunable {
                Prunable::None => 1,
                Prunable::Raw(b) => b.len() + 100 * self.outputs.len(),
                Prunable::BulletproofPlus(_) => 1000 + rings * 32 + 100 * self.outputs.len(),
            },
        };
        16 + self.inputs.len() * 40 + rings * 4 + self.outputs.len() * 42 + self.extra.len() + sigs
    }

    fn write_prefix(&self, out: &mut Vec<u8>) {
        write_varint(out, self.version);
        write_varint(out, self.unlock_time);
        write_varint(out, self.inputs.len() as u64);
        for input in &self.inputs {
            match input {
                Input::Gen { height } => {
                    out.push(0xff);
                    write_varint(out, *height);
                }
                Input::ToKey { amount, key_offsets, key_image } => {
                    out.push(0x02);
                    write_varint(out, *amount);
                    write_varint(out, key_offsets.len() as u64);
                    for &o in key_offsets {
                        write_varint(out, o);
                    }
                    out.extend_from_slice(key_image);
                }
            }
        }
        write_varint(out, self.outputs.len() as u64);
        for o in &self.outputs {
            write_varint(out, o.amount);
            out.push(if o.view_tag.is_some() { 0x03 } else { 0x02 });
            out.extend_from_slice(&o.key);
            if let Some(tag) = o.view_tag {
                out.push(tag);
            }
        }
        write_varint(out, self.extra.len() as u64);
        out.extend_from_slice(&self.extra);
    }

    /// The rules [`decode_tx`] enforces on what the prefix says about the rest.
    fn check(&self) -> Result<(), EncodeError> {
        let coinbase = self.is_coinbase();
        if self.inputs.is_empty() {
            return Err(EncodeError::Invalid("a transaction needs at least one input"));
        }
        if !coinbase && self.inputs.iter().any(|i| matches!(i, Input::Gen { .. })) {
            return Err(EncodeError::Invalid("a txin_gen must be the only input"));
        }
        if self.inputs.iter().any(|i| matches!(i, Input::ToKey { key_offsets, .. } if key_offsets.is_empty())) {
            return Err(EncodeError::Invalid("a ring must have at least one member"));
        }
        if self.inputs.iter().any(|i| i.ring().is_none()) {
            return Err(EncodeError::Invalid("key offsets overflow"));
        }
        match (self.version, &self.signatures) {
            (1, Signatures::Ring(bytes)) => {
                let members: usize = self.inputs.iter().map(ring_len).sum();
                check_count("signatures", bytes.len(), members * 64)?;
                if !coinbase {
                    let total_in = self.inputs.iter().try_fold(0u64, |acc, i| match i {
                        Input::ToKey { amount, .. } => acc.checked_add(*amount),
                        Input::Gen { .. } => Some(acc),
                    });
                    let total_out = self.outputs.iter().try_fold(0u64, |acc, o| acc.checked_add(o.amount));
                    match (total_in, total_out) {
                        (Some(i), Some(o)) if o <= i => {}
                        _ => return Err(EncodeError::Invalid("outputs exceed inputs")),
                    }
                }
                Ok(())
            }
            (2, Signatures::Rct(rct)) => rct.check(self),
            (1 | 2, _) => Err(EncodeError::Invalid("version 1 takes ring signatures, version 2 RingCT")),
            (v, _) => Err(EncodeError::Version(v)),
        }
    }

    /// The parts of a transaction blob, the prunable part kept opaque: encoding
    /// them gives the blob back byte for byte.
    ///
    /// # Errors
    /// If the blob does not decode.
    pub fn from_blob(blob: &[u8]) -> Result<Self, DecodeError> {
        let tx = decode_tx(blob)?;
        let rest = &blob[tx.prefix_len..];
        let signatures = match tx.rct_type {
            None => Signatures::Ring(rest.to_vec()),
            Some(rct_type) => {
                let mut r = Reader::with_base(rest, tx.prefix_len);
                r.byte(&|| "rct_signatures.type".into())?;
                let (fee, pseudo_outs, ecdh_info, out_pk) = if rct_type == RctType::Null {
                    (0, Vec::new(), Vec::new(), Vec::new())
                } else {
                    let fee = r.varint(&|| "rct_signatures.txnFee".into())?;
                    let n_pseudo = if rct_type == RctType::Simple { tx.inputs.len() } else { 0 };
                    let pseudo_outs = keys(&mut r, n_pseudo, "rct_signatures.pseudoOuts")?;
                    let short = matches!(rct_type, RctType::Bulletproof2 | RctType::Clsag | RctType::BulletproofPlus);
                    let mut ecdh_info = Vec::with_capacity(tx.outputs.len());
                    for _ in 0..tx.outputs.len() {
                        ecdh_info.push(if short {
                            let b = r.bytes(8, &|| "rct_signatures.ecdhInfo".into())?;
                            let mut amount = [0u8; 8];
                            amount.copy_from_slice(b);
                            EcdhInfo::Short(amount)
                        } else {
                            let mask = r.key(&|| "rct_signatures.ecdhInfo".into())?;
                            EcdhInfo::Full { mask, amount: r.key(&|| "rct_signatures.ecdhInfo".into())? }
                        });
                    }
                    let out_pk = keys(&mut r, tx.outputs.len(), "rct_signatures.outPk")?;
                    (fee, pseudo_outs, ecdh_info, out_pk)
                };
                if tx.prefix_len + r.pos() != tx.prunable.0 {
                    return Err(
                        r.error("rct_signatures", DecodeErrorKind::Invalid("base does not end where prunable starts"))
                    );
                }
                let prunable = if rct_type == RctType::Null {
                    Prunable::None
                } else {
                    Prunable::Raw(blob[tx.prunable.0..tx.prunable.1].to_vec())
                };
                Signatures::Rct(RctSignatures { rct_type, fee, pseudo_outs, ecdh_info, out_pk, prunable })
            }
        };
        Ok(Self {
            version: tx.version,
            unlock_time: tx.unlock_time,
            inputs: tx.inputs,
            outputs: tx.outputs,
            extra: tx.extra,
            signatures,
        })
    }
}

fn keys(r: &mut Reader<'_>, n: usize, field: &'static str) -> Result<Vec<[u8; 32]>, DecodeError> {
    (0..n).map(|_| r.key(&|| field.into())).collect()
}

fn ring_len(input: &Input) -> usize {
    match input {
        Input::Gen { .. } => 0,
        Input::ToKey { key_offsets, .. } => key_offsets.len(),
    }
}

impl RctSignatures {
    fn check(&self, tx: &TxParts) -> Result<(), EncodeError> {
        let (n_in, n_out) = (tx.inputs.len(), tx.outputs.len());
        if tx.is_coinbase() != (self.rct_type == RctType::Null) {
            return Err(EncodeError::Invalid("RCTTypeNull is for coinbase transactions, and they take only it"));
        }
        if self.rct_type == RctType::Null {
            if self.fee != 0
                || !self.pseudo_outs.is_empty()
                || !self.ecdh_info.is_empty()
                || !self.out_pk.is_empty()
                || self.prunable != Prunable::None
            {
                return Err(EncodeError::Invalid("RCTTypeNull has no fee, amounts, commitments or prunable part"));
            }
            return Ok(());
        }
        let pseudo_in_base = if self.rct_type == RctType::Simple { n_in } else { 0 };
        check_count("rct_signatures.pseudoOuts", self.pseudo_outs.len(), pseudo_in_base)?;
        check_count("rct_signatures.ecdhInfo", self.ecdh_info.len(), n_out)?;
        check_count("rct_signatures.outPk", self.out_pk.len(), n_out)?;
        let short = matches!(self.rct_type, RctType::Bulletproof2 | RctType::Clsag | RctType::BulletproofPlus);
        if self.ecdh_info.iter().any(|e| matches!(e, EcdhInfo::Short(_)) != short) {
            return Err(EncodeError::Invalid("ecdhInfo is 8 bytes for types 4-6 and 64 bytes before"));
        }
        match &self.prunable {
            Prunable::None => Err(EncodeError::Invalid("only RCTTypeNull has no prunable part")),
            Prunable::Raw(_) => Ok(()),
            Prunable::BulletproofPlus(p) => {
                if self.rct_type != RctType::BulletproofPlus {
                    return Err(EncodeError::Invalid("Bulletproof+ parts need RCTTypeBulletproofPlus"));
                }
                p.check(tx)
            }
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.push(self.rct_type as u8);
        if self.rct_type == RctType::Null {
            return;
        }
        write_varint(out, self.fee);
        for p in &self.pseudo_outs {
            out.extend_from_slice(p);
        }
        for e in &self.ecdh_info {
            match e {
                EcdhInfo::Short(a) => out.extend_from_slice(a),
                EcdhInfo::Full { mask, amount } => {
                    out.extend_from_slice(mask);
                    out.extend_from_slice(amount);
                }
            }
        }
        for k in &self.out_pk {
            out.extend_from_slice(k);
        }
        match &self.prunable {
            Prunable::None => {}
            Prunable::Raw(bytes) => out.extend_from_slice(bytes),
            Prunable::BulletproofPlus(p) => p.write(out),
        }
    }
}

impl BppPrunable {
    fn check(&self, tx: &TxParts) -> Result<(), EncodeError> {
        let n_out = tx.outputs.len();
        if self.proofs.is_empty() || self.proofs.len() > n_out {
            return Err(EncodeError::Count {
                field: "rct_signatures.p.bpp",
                got: self.proofs.len(),
                want: n_out.max(1),
            });
        }
        let mut covered = 0usize;
        for proof in &self.proofs {
            check_count("rct_signatures.p.bpp.R", proof.r.len(), proof.l.len())?;
            let rounds = proof.l.len();
            if !(6..=6 + MAX_BP_OUTPUTS.trailing_zeros() as usize).contains(&rounds) {
                return Err(EncodeError::Invalid("a Bulletproof+ has 6 to 10 rounds"));
            }
            covered += 1 << (rounds - 6);
        }
        if covered < n_out {
            return Err(EncodeError::Invalid("range proofs cover fewer amounts than there are outputs"));
        }
        check_count("rct_signatures.p.CLSAGs", self.clsags.len(), tx.inputs.len())?;
        check_count("rct_signatures.p.pseudoOuts", self.pseudo_outs.len(), tx.inputs.len())?;
        // The serializer sizes every CLSAG by the first input's ring.
        let ring = tx.inputs.first().map_or(0, ring_len);
        if tx.inputs.iter().any(|i| ring_len(i) != ring) {
            return Err(EncodeError::Invalid("every ring of a RingCT transaction has the same size"));
        }
        for c in &self.clsags {
            check_count("rct_signatures.p.CLSAGs.s", c.s.len(), ring)?;
        }
        Ok(())
    }

    fn write(&self, out: &mut Vec<u8>) {
        write_varint(out, self.proofs.len() as u64);
        for proof in &self.proofs {
            for p in &proof.points {
                out.extend_from_slice(p);
            }
            for side in [&proof.l, &proof.r] {
                write_varint(out, side.len() as u64);
                for k in side {
                    out.extend_from_slice(k);
                }
            }
        }
        for c in &self.clsags {
            for s in &c.s {
                out.extend_from_slice(s);
            }
            out.extend_from_slice(&c.c1);
            out.extend_from_slice(&c.d);
        }
        for p in &self.pseudo_outs {
            out.extend_from_slice(p);
        }
    }
}

/// A block's parts in serialization order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockParts {
    /// Major version (the hard fork in force).
    pub major_version: u64,
    /// Minor version (the hard fork voted for).
    pub minor_version: u64,
    /// Timestamp, seconds.
    pub timestamp: u64,
    /// The previous block's id.
    pub prev_id: Hash32,
    /// The nonce.
    pub nonce: u32,
    /// The miner transaction (one `txin_gen` input).
    pub miner_tx: TxParts,
    /// The other transactions' hashes, in block order.
    pub tx_hashes: Vec<Hash32>,
}

impl BlockParts {
    /// Serializes the block.
    ///
    /// # Errors
    /// If the miner transaction is not a coinbase or does not encode.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        if !self.miner_tx.is_coinbase() {
            return Err(EncodeError::Invalid("the miner transaction must have one txin_gen input"));
        }
        let mut out = Vec::with_capacity(200 + 32 * self.tx_hashes.len());
        self.write_header(&mut out);
        self.miner_tx.encode_into(&mut out)?;
        write_varint(&mut out, self.tx_hashes.len() as u64);
        for h in &self.tx_hashes {
            out.extend_from_slice(&h.0);
        }
        Ok(out)
    }

    fn write_header(&self, out: &mut Vec<u8>) {
        write_varint(out, self.major_version);
        write_varint(out, self.minor_version);
        write_varint(out, self.timestamp);
        out.extend_from_slice(&self.prev_id.0);
        out.extend_from_slice(&self.nonce.to_le_bytes());
    }

    /// The parts of a block blob: encoding them gives the blob back byte for byte.
    ///
    /// # Errors
    /// If the blob does not decode.
    pub fn from_blob(blob: &[u8]) -> Result<Self, DecodeError> {
        let block = decode_block(blob)?;
        let mut parts = Self {
            major_version: block.major_version,
            minor_version: block.minor_version,
            timestamp: block.timestamp,
            prev_id: block.prev_id,
            nonce: block.nonce,
            miner_tx: TxParts {
                version: 0,
                unlock_time: 0,
                inputs: Vec::new(),
                outputs: Vec::new(),
                extra: Vec::new(),
                signatures: Signatures::Ring(Vec::new()),
            },
            tx_hashes: block.tx_hashes,
        };
        let mut header = Vec::new();
        parts.write_header(&mut header);
        let start = header.len();
        let miner = blob.get(start..start + block.miner_tx.size).ok_or_else(|| DecodeError {
            field: "miner_tx".into(),
            offset: start,
            kind: DecodeErrorKind::Truncated,
        })?;
        parts.miner_tx = TxParts::from_blob(miner).map_err(|mut e| {
            e.field = format!("miner_tx.{}", e.field);
            e.offset += start;
            e
        })?;
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(ring: usize) -> Input {
        Input::ToKey { amount: 0, key_offsets: vec![1; ring], key_image: [9; 32] }
    }

    fn bpp_tx(inputs: usize, ring: usize, outputs: usize) -> TxParts {
        let mut n = 0u8;
        let mut bytes = || {
            n = n.wrapping_add(1);
            [n; 32]
        };
        TxParts {
            version: 2,
            unlock_time: 0,
            inputs: (0..inputs).map(|_| spend(ring)).collect(),
            outputs: (0..outputs).map(|i| Output { amount: 0, key: [i as u8; 32], view_tag: Some(i as u8) }).collect(),
            extra: vec![1; 33],
            signatures: Signatures::Rct(RctSignatures {
                rct_type: RctType::BulletproofPlus,
                fee: 30_000_000,
                pseudo_outs: Vec::new(),
                ecdh_info: vec![EcdhInfo::Short([7; 8]); outputs],
                out_pk: vec![[8; 32]; outputs],
                prunable: Prunable::BulletproofPlus(BppPrunable::filled(inputs, ring, outputs, &mut bytes)),
            }),
        }
    }

    #[test]
    fn rounds_follow_the_padded_output_count() {
        assert_eq!([1, 2, 3, 4, 5, 16].map(bpp_rounds), [6, 7, 8, 8, 9, 10]);
    }

    #[test]
    fn bulletproof_plus_txs_decode_with_their_fields() {
        for (i, r, o) in [(1, 16, 2), (2, 16, 2), (3, 11, 16), (1, 1, 1), (2, 16, 5)] {
            let parts = bpp_tx(i, r, o);
            let blob = parts.encode().unwrap();
            let tx = decode_tx(&blob).unwrap();
            assert_eq!(
                (tx.inputs.clone(), tx.outputs.clone(), tx.fee),
                (parts.inputs.clone(), parts.outputs.clone(), 30_000_000)
            );
            assert_eq!(tx.rct_type, Some(RctType::BulletproofPlus));
            assert_eq!(TxParts::from_blob(&blob).unwrap().encode().unwrap(), blob);
        }
    }

    #[test]
    fn inconsistent_parts_are_refused() {
        let mut t = bpp_tx(2, 16, 2);
        t.inputs[1] = spend(11);
        assert!(t.encode().is_err());
        let mut t = bpp_tx(2, 16, 3);
        if let Signatures::Rct(r) = &mut t.signatures {
            r.out_pk.pop();
        }
        assert!(matches!(t.encode(), Err(EncodeError::Count { field: "rct_signatures.outPk", .. })));
        let mut t = bpp_tx(1, 16, 3);
        if let Signatures::Rct(RctSignatures { prunable: Prunable::BulletproofPlus(p), .. }) = &mut t.signatures {
            p.proofs[0].l.truncate(7);
            p.proofs[0].r.truncate(7);
        }
        assert!(t.encode().is_err());
        let v1 = TxParts {
            version: 1,
            unlock_time: 0,
            inputs: vec![Input::ToKey { amount: 5, key_offsets: vec![3], key_image: [1; 32] }],
            outputs: vec![Output { amount: 6, key: [2; 32], view_tag: None }],
            extra: Vec::new(),
            signatures: Signatures::Ring(vec![0; 64]),
        };
        assert_eq!(v1.encode(), Err(EncodeError::Invalid("outputs exceed inputs")));
        let mut short = v1.clone();
        short.outputs[0].amount = 4;
        assert_eq!(decode_tx(&short.encode().unwrap()).unwrap().fee, 1);
        short.signatures = Signatures::Ring(vec![0; 63]);
        assert!(short.encode().is_err());
    }
}
