//! RingCT signatures (types 0-6): the base part (type, fee, amounts, commitments)
//! read, the prunable part (range proofs, ring signatures, pseudo-outputs) located
//! and its layout checked, so the tx hash covers exactly the bytes consensus hashes.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::varint::Reader;

/// The RingCT type of a v2 transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[repr(u8)]
pub enum RctType {
    /// 0: no signatures (coinbase of v2).
    Null = 0,
    /// 1: one MLSAG over all inputs, Borromean range proofs.
    Full = 1,
    /// 2: one MLSAG per input, Borromean range proofs, pseudo-outputs in the base.
    Simple = 2,
    /// 3: MLSAGs and Bulletproofs (count as 4 bytes).
    Bulletproof = 3,
    /// 4: MLSAGs, Bulletproofs, 8-byte encrypted amounts.
    Bulletproof2 = 4,
    /// 5: CLSAG signatures, Bulletproofs.
    Clsag = 5,
    /// 6: CLSAG signatures, Bulletproofs+ (since hard fork 15).
    BulletproofPlus = 6,
}

impl RctType {
    /// The type of a type byte, if Monero defines it.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => Self::Null,
            1 => Self::Full,
            2 => Self::Simple,
            3 => Self::Bulletproof,
            4 => Self::Bulletproof2,
            5 => Self::Clsag,
            6 => Self::BulletproofPlus,
            _ => return None,
        })
    }

    /// Monero's name for it (`RCTTypeBulletproofPlus`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Null => "RCTTypeNull",
            Self::Full => "RCTTypeFull",
            Self::Simple => "RCTTypeSimple",
            Self::Bulletproof => "RCTTypeBulletproof",
            Self::Bulletproof2 => "RCTTypeBulletproof2",
            Self::Clsag => "RCTTypeCLSAG",
            Self::BulletproofPlus => "RCTTypeBulletproofPlus",
        }
    }

    /// Whether amounts are 8-byte (types 4-6) rather than 32-byte mask + amount.
    fn short_ecdh(self) -> bool {
        matches!(self, Self::Bulletproof2 | Self::Clsag | Self::BulletproofPlus)
    }
}

/// Where the RingCT parts lie in the transaction blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RctLayout {
    /// The type.
    pub rct_type: RctType,
    /// The fee in atomic units.
    pub fee: u64,
    /// Byte range of the base part.
    pub base: (usize, usize),
    /// Byte range of the prunable part (empty for [`RctType::Null`]).
    pub prunable: (usize, usize),
    /// Range proofs in the prunable part (Bulletproofs or Borromean, one per output).
    pub range_proofs: usize,
}

/// The largest number of outputs one Bulletproof(+) may aggregate.
const MAX_BP_OUTPUTS: u64 = 16;

/// Reads the RingCT base and prunable parts at the reader's position, for a
/// transaction of `inputs` inputs, `outputs` outputs and ring size `ring_size`
/// (that of its first input, as Monero's serializer assumes).
///
/// # Errors
/// If the bytes do not hold the layout their type announces.
pub fn read(r: &mut Reader<'_>, inputs: usize, outputs: usize, ring_size: usize) -> Result<RctLayout, DecodeError> {
    let base_start = r.pos();
    let type_byte = r.byte(&|| "rct_signatures.type".into())?;
    let rct_type = RctType::from_byte(type_byte)
        .ok_or_else(|| r.error_at("rct_signatures.type", base_start, DecodeErrorKind::UnknownTag(type_byte)))?;
    if rct_type == RctType::Null {
        let end = r.pos();
        return Ok(RctLayout { rct_type, fee: 0, base: (base_start, end), prunable: (end, end), range_proofs: 0 });
    }
    let fee = r.varint(&|| "rct_signatures.txnFee".into())?;
    if rct_type == RctType::Simple {
        r.skip(inputs, 32, &|| "rct_signatures.pseudoOuts".into())?;
    }
    let ecdh = if rct_type.short_ecdh() { 8 } else { 64 };
    r.skip(outputs, ecdh, &|| "rct_signatures.ecdhInfo".into())?;
    r.skip(outputs, 32, &|| "rct_signatures.outPk".into())?;
    let base_end = r.pos();

    let mixin = ring_size.saturating_sub(1);
    let range_proofs = match rct_type {
        RctType::BulletproofPlus => read_bulletproofs(r, outputs, true, false)?,
        RctType::Bulletproof => read_bulletproofs(r, outputs, false, true)?,
        RctType::Bulletproof2 | RctType::Clsag => read_bulletproofs(r, outputs, false, false)?,
        _ => {
            // Borromean: per output 64 + 64 scalars, ee, and 64 commitments.
            r.skip(outputs, (64 + 64 + 1 + 64) * 32, &|| "rct_signatures.p.rangeSigs".into())?;
            outputs
        }
    };
    match rct_type {
        RctType::Clsag | RctType::BulletproofPlus => {
            r.skip(inputs, (mixin + 1) * 32 + 64, &|| "rct_signatures.p.CLSAGs".into())?;
        }
        RctType::Full => {
            r.skip(1, (mixin + 1) * (inputs + 1) * 32 + 32, &|| "rct_signatures.p.MGs".into())?;
        }
        _ => r.skip(inputs, (mixin + 1) * 2 * 32 + 32, &|| "rct_signatures.p.MGs".into())?,
    }
    if !matches!(rct_type, RctType::Full | RctType::Simple) {
        r.skip(inputs, 32, &|| "rct_signatures.p.pseudoOuts".into())?;
    }
    Ok(RctLayout { rct_type, fee, base: (base_start, base_end), prunable: (base_end, r.pos()), range_proofs })
}

/// Skips the Bulletproofs (or Bulletproofs+) of the prunable part and returns
/// their number; checks they can cover `outputs` amounts.
fn read_bulletproofs(r: &mut Reader<'_>, outputs: usize, plus: bool, fixed_count: bool) -> Result<usize, DecodeError> {
    let field = if plus { "rct_signatures.p.bpp" } else { "rct_signatures.p.bp" };
    let at = r.pos();
    let nbp = if fixed_count { u64::from(r.u32_le(&|| field.into())?) } else { r.varint(&|| field.into())? };
    if nbp == 0 || nbp > outputs as u64 {
        return Err(r.error_at(field, at, DecodeErrorKind::BadCount(nbp)));
    }
    let mut covered = 0u64;
    for i in 0..nbp as usize {
        let name = || format!("{field}[{i}]");
        r.skip(6, 32, &name)?;
        let mut rounds = 0;
        for side in ["L", "R"] {
            let n = r.count(&|| format!("{field}[{i}].{side}"), 32, 64)?;
            r.skip(n, 32, &|| format!("{field}[{i}].{side}"))?;
            rounds = n;
        }
        if !plus {
            r.skip(3, 32, &name)?;
        }
        // A proof of `rounds` rounds covers 2^(rounds - 6) amounts of 64 bits.
        covered += 1u64 << rounds.saturating_sub(6).min(MAX_BP_OUTPUTS as usize);
    }
    if covered < outputs as u64 {
        return Err(r.error_at(
            field,
            at,
            DecodeErrorKind::Invalid("range proofs cover fewer amounts than there are outputs"),
        ));
    }
    Ok(nbp as usize)
}
