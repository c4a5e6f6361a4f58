//! Transactions v1 to v5, decoded without copying: transparent inputs and
//! outputs, Sprout JoinSplits (BCTV14 and Groth16 proofs), Sapling spends and
//! outputs (v4 inline, v5 with proofs and signatures split out), Orchard actions
//! (ZIP 225), and the binding and JoinSplit signatures, each borrowed from the
//! serialization.

use crate::error::{DecodeError, DecodeErrorKind};
use crate::reader::Reader;
use crate::txid;

/// nVersionGroupId of Overwinter (v3) transactions.
pub const OVERWINTER_VERSION_GROUP_ID: u32 = 0x03c4_8270;
/// nVersionGroupId of Sapling (v4) transactions.
pub const SAPLING_VERSION_GROUP_ID: u32 = 0x892f_2085;
/// nVersionGroupId of NU5 (v5) transactions.
pub const NU5_VERSION_GROUP_ID: u32 = 0x26a7_270a;

/// A JoinSplit description with a BCTV14 proof (v2, v3).
pub const JOINSPLIT_BCTV14_SIZE: usize = 1802;
/// A JoinSplit description with a Groth16 proof (v4).
pub const JOINSPLIT_GROTH16_SIZE: usize = 1698;
/// A v4 Sapling spend (cv, anchor, nullifier, rk, proof, spendAuthSig).
pub const SPEND_V4_SIZE: usize = 384;
/// A v4 Sapling output (cv, cmu, ephemeralKey, encCiphertext, outCiphertext, proof).
pub const OUTPUT_V4_SIZE: usize = 948;
/// A v5 Sapling spend (cv, nullifier, rk).
pub const SPEND_V5_SIZE: usize = 96;
/// A v5 Sapling output (cv, cmu, ephemeralKey, encCiphertext, outCiphertext).
pub const OUTPUT_V5_SIZE: usize = 756;
/// An Orchard action (cv, nullifier, rk, cmx, ephemeralKey, encCiphertext, outCiphertext).
pub const ACTION_SIZE: usize = 820;
/// A Groth16 proof.
pub const GROTH16_PROOF_SIZE: usize = 192;
/// Sapling and Orchard note ciphertexts.
pub const ENC_CIPHERTEXT_SIZE: usize = 580;
/// Outgoing ciphertexts.
pub const OUT_CIPHERTEXT_SIZE: usize = 80;

/// Transparent inputs and outputs are Bitcoin's, field for field.
pub use chain::tx::{TxIn, TxOut};

/// A Sprout JoinSplit description, borrowed whole; fields by offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinSplit<'a> {
    /// The serialized description.
    pub raw: &'a [u8],
    /// Whether its proof is Groth16 (v4) rather than BCTV14 (v2, v3).
    pub groth16: bool,
}

impl<'a> JoinSplit<'a> {
    fn at<const N: usize>(&self, at: usize) -> &'a [u8; N] {
        // Descriptions are decoded whole, so every fixed offset is in range.
        self.raw[at..at + N].try_into().unwrap_or_else(|_| unreachable!())
    }

    /// Value moved from the transparent pool into Sprout.
    pub fn vpub_old(&self) -> u64 {
        u64::from_le_bytes(*self.at::<8>(0))
    }

    /// Value moved out of Sprout into the transparent pool.
    pub fn vpub_new(&self) -> u64 {
        u64::from_le_bytes(*self.at::<8>(8))
    }

    /// The note commitment tree root it proves against.
    pub fn anchor(&self) -> &'a [u8; 32] {
        self.at(16)
    }

    /// Its two nullifiers.
    pub fn nullifiers(&self) -> [&'a [u8; 32]; 2] {
        [self.at(48), self.at(80)]
    }

    /// Its two note commitments.
    pub fn commitments(&self) -> [&'a [u8; 32]; 2] {
        [self.at(112), self.at(144)]
    }

    /// The ephemeral key.
    pub fn ephemeral_key(&self) -> &'a [u8; 32] {
        self.at(176)
    }

    /// The random seed.
    pub fn random_seed(&self) -> &'a [u8; 32] {
        self.at(208)
    }

    /// The two MACs.
    pub fn macs(&self) -> [&'a [u8; 32]; 2] {
        [self.at(240), self.at(272)]
    }

    /// The zk proof (296 bytes BCTV14, 192 Groth16).
    pub fn proof(&self) -> &'a [u8] {
        let len = if self.groth16 { GROTH16_PROOF_SIZE } else { 296 };
        &self.raw[304..304 + len]
    }

    /// The two note ciphertexts (601 bytes each).
    pub fn ciphertexts(&self) -> [&'a [u8]; 2] {
        let at = 304 + self.proof().len();
        [&self.raw[at..at + 601], &self.raw[at + 601..at + 1202]]
    }
}

/// joinSplitPubKey and joinSplitSig.
pub type JoinSplitSig<'a> = (&'a [u8; 32], &'a [u8; 64]);

/// A Sapling spend (v4 carries its anchor, proof and signature inline; v5 shares
/// one anchor and lists proofs and signatures after the descriptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaplingSpend<'a> {
    /// Value commitment.
    pub cv: &'a [u8; 32],
    /// The anchor.
    pub anchor: &'a [u8; 32],
    /// The nullifier.
    pub nullifier: &'a [u8; 32],
    /// The randomized key.
    pub rk: &'a [u8; 32],
    /// The Groth16 proof.
    pub proof: &'a [u8; GROTH16_PROOF_SIZE],
    /// The spend authorization signature.
    pub spend_auth_sig: &'a [u8; 64],
}

/// A Sapling output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaplingOutput<'a> {
    /// Value commitment.
    pub cv: &'a [u8; 32],
    /// The note commitment's u-coordinate.
    pub cmu: &'a [u8; 32],
    /// The ephemeral key.
    pub ephemeral_key: &'a [u8; 32],
    /// The note ciphertext.
    pub enc_ciphertext: &'a [u8; ENC_CIPHERTEXT_SIZE],
    /// The outgoing ciphertext.
    pub out_ciphertext: &'a [u8; OUT_CIPHERTEXT_SIZE],
    /// The Groth16 proof.
    pub proof: &'a [u8; GROTH16_PROOF_SIZE],
}

/// A Sapling bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sapling<'a> {
    /// Spends minus outputs: value leaving the Sapling pool into the transparent one.
    pub value_balance: i64,
    /// Spends.
    pub spends: Vec<SaplingSpend<'a>>,
    /// Outputs.
    pub outputs: Vec<SaplingOutput<'a>>,
    /// The binding signature.
    pub binding_sig: &'a [u8; 64],
}

/// An Orchard action: a spend and an output at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrchardAction<'a> {
    /// Value commitment.
    pub cv: &'a [u8; 32],
    /// The nullifier.
    pub nullifier: &'a [u8; 32],
    /// The randomized key.
    pub rk: &'a [u8; 32],
    /// The note commitment's x-coordinate.
    pub cmx: &'a [u8; 32],
    /// The ephemeral key.
    pub ephemeral_key: &'a [u8; 32],
    /// The note ciphertext.
    pub enc_ciphertext: &'a [u8; ENC_CIPHERTEXT_SIZE],
    /// The outgoing ciphertext.
    pub out_ciphertext: &'a [u8; OUT_CIPHERTEXT_SIZE],
    /// The spend authorization signature.
    pub spend_auth_sig: &'a [u8; 64],
}

/// An Orchard bundle (ZIP 225).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orchard<'a> {
    /// Actions.
    pub actions: Vec<OrchardAction<'a>>,
    /// flagsOrchard: bit 0 enableSpends, bit 1 enableOutputs.
    pub flags: u8,
    /// Value leaving the Orchard pool into the transparent one.
    pub value_balance: i64,
    /// The anchor.
    pub anchor: &'a [u8; 32],
    /// The aggregated Halo 2 proof.
    pub proof: &'a [u8],
    /// The binding signature.
    pub binding_sig: &'a [u8; 64],
}

/// A decoded transaction, borrowing from its serialization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction<'a> {
    /// The full serialization.
    pub raw: &'a [u8],
    /// fOverwintered.
    pub overwintered: bool,
    /// nVersion (1 to 5).
    pub version: u32,
    /// nVersionGroupId (v3 and later).
    pub version_group_id: Option<u32>,
    /// nConsensusBranchId (v5).
    pub consensus_branch_id: Option<u32>,
    /// nLockTime.
    pub lock_time: u32,
    /// nExpiryHeight (v3 and later).
    pub expiry_height: Option<u32>,
    /// Transparent inputs.
    pub inputs: Vec<TxIn<'a>>,
    /// Transparent outputs.
    pub outputs: Vec<TxOut<'a>>,
    /// Sprout JoinSplits.
    pub joinsplits: Vec<JoinSplit<'a>>,
    /// joinSplitPubKey and joinSplitSig, when there are JoinSplits.
    pub joinsplit_sig: Option<JoinSplitSig<'a>>,
    /// The Sapling bundle, when it has spends or outputs.
    pub sapling: Option<Sapling<'a>>,
    /// The Orchard bundle, when it has actions.
    pub orchard: Option<Orchard<'a>>,
    /// The txid (internal byte order): double SHA-256 for v1-v4, ZIP 244 for v5.
    pub txid: [u8; 32],
}

impl Transaction<'_> {
    /// Decodes one whole transaction.
    ///
    /// # Errors
    /// When a field does not decode, or bytes are left after it.
    pub fn decode(bytes: &[u8]) -> Result<Transaction<'_>, DecodeError> {
        let mut r = Reader::new(bytes, 0, 0);
        let tx = read_tx(&mut r)?;
        if r.left() > 0 {
            return Err(r.error(r.pos(), "transaction", DecodeErrorKind::TrailingBytes(r.left())));
        }
        Ok(tx)
    }

    /// Whether it is a coinbase.
    pub fn is_coinbase(&self) -> bool {
        self.inputs.len() == 1 && self.inputs[0].is_coinbase()
    }

    /// The txid in display (reversed) hex.
    pub fn txid_hex(&self) -> String {
        crate::header::display_hex(&self.txid)
    }

    /// Serialized size.
    pub fn size(&self) -> usize {
        self.raw.len()
    }
}

fn read_inputs<'a>(r: &mut Reader<'a>) -> Result<Vec<TxIn<'a>>, DecodeError> {
    let n = r.count(41, "vin count")?;
    let mut inputs = Vec::with_capacity(n);
    for _ in 0..n {
        let prev_txid = r.array::<32>("vin prevout txid")?;
        let prev_vout = r.u32("vin prevout n")?;
        let script_sig = r.var_bytes("vin scriptSig")?;
        let sequence = r.u32("vin nSequence")?;
        inputs.push(TxIn { prev_txid, prev_vout, script_sig, sequence });
    }
    Ok(inputs)
}

fn read_outputs<'a>(r: &mut Reader<'a>) -> Result<Vec<TxOut<'a>>, DecodeError> {
    let n = r.count(9, "vout count")?;
    let mut outputs = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.pos();
        let value = r.u64("vout value")?;
        if value > crate::pools::MAX_MONEY {
            return Err(r.invalid(at, "vout value", format!("{value} zatoshis exceeds MAX_MONEY")));
        }
        let script_pubkey = r.var_bytes("vout scriptPubKey")?;
        outputs.push(TxOut { value, script_pubkey });
    }
    Ok(outputs)
}

fn read_joinsplits<'a>(
    r: &mut Reader<'a>,
    groth16: bool,
) -> Result<(Vec<JoinSplit<'a>>, Option<JoinSplitSig<'a>>), DecodeError> {
    let size = if groth16 { JOINSPLIT_GROTH16_SIZE } else { JOINSPLIT_BCTV14_SIZE };
    let n = r.count(size, "vJoinSplit count")?;
    let mut joinsplits = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.pos();
        let js = JoinSplit { raw: r.bytes(size, "vJoinSplit")?, groth16 };
        if js.vpub_old() > crate::pools::MAX_MONEY || js.vpub_new() > crate::pools::MAX_MONEY {
            return Err(r.invalid(at, "vJoinSplit vpub", "value exceeds MAX_MONEY".to_owned()));
        }
        joinsplits.push(js);
    }
    let sig = if n > 0 { Some((r.array::<32>("joinSplitPubKey")?, r.array::<64>("joinSplitSig")?)) } else { None };
    Ok((joinsplits, sig))
}

fn check_balance(r: &Reader<'_>, at: usize, field: &str, v: i64) -> Result<i64, DecodeError> {
    if v.unsigned_abs() > crate::pools::MAX_MONEY {
        return Err(r.invalid(at, field, format!("{v} zatoshis exceeds MAX_MONEY")));
    }
    Ok(v)
}

/// Fixed-size fields of a description, by offset (the description was read whole).
fn field<const N: usize>(raw: &[u8], at: usize) -> &[u8; N] {
    raw[at..at + N].try_into().unwrap_or_else(|_| unreachable!())
}

fn read_sapling_v4<'a>(
    r: &mut Reader<'a>,
) -> Result<(i64, Vec<SaplingSpend<'a>>, Vec<SaplingOutput<'a>>), DecodeError> {
    let at = r.pos();
    let value_balance = r.i64("valueBalance")?;
    check_balance(r, at, "valueBalance", value_balance)?;
    let n = r.count(SPEND_V4_SIZE, "vShieldedSpend count")?;
    let mut spends = Vec::with_capacity(n);
    for _ in 0..n {
        let d = r.bytes(SPEND_V4_SIZE, "vShieldedSpend")?;
        spends.push(SaplingSpend {
            cv: field(d, 0),
            anchor: field(d, 32),
            nullifier: field(d, 64),
            rk: field(d, 96),
            proof: field(d, 128),
            spend_auth_sig: field(d, 320),
        });
    }
    let n = r.count(OUTPUT_V4_SIZE, "vShieldedOutput count")?;
    let mut outputs = Vec::with_capacity(n);
    for _ in 0..n {
        let d = r.bytes(OUTPUT_V4_SIZE, "vShieldedOutput")?;
        outputs.push(SaplingOutput {
            cv: field(d, 0),
            cmu: field(d, 32),
            ephemeral_key: field(d, 64),
            enc_ciphertext: field(d, 96),
            out_ciphertext: field(d, 676),
            proof: field(d, 756),
        });
    }
    Ok((value_balance, spends, outputs))
}

fn read_sapling_v5<'a>(r: &mut Reader<'a>) -> Result<Option<Sapling<'a>>, DecodeError> {
    let n_spends = r.count(SPEND_V5_SIZE, "vSpendsSapling count")?;
    let spend_descs: Vec<&'a [u8]> =
        (0..n_spends).map(|_| r.bytes(SPEND_V5_SIZE, "vSpendsSapling")).collect::<Result<_, _>>()?;
    let n_outputs = r.count(OUTPUT_V5_SIZE, "vOutputsSapling count")?;
    let output_descs: Vec<&'a [u8]> =
        (0..n_outputs).map(|_| r.bytes(OUTPUT_V5_SIZE, "vOutputsSapling")).collect::<Result<_, _>>()?;
    if n_spends + n_outputs == 0 {
        return Ok(None);
    }
    let at = r.pos();
    let value_balance = r.i64("valueBalanceSapling")?;
    check_balance(r, at, "valueBalanceSapling", value_balance)?;
    let anchor = if n_spends > 0 { r.array::<32>("anchorSapling")? } else { &[0u8; 32] };
    let spend_proofs = r.bytes(GROTH16_PROOF_SIZE * n_spends, "vSpendProofsSapling")?;
    let spend_sigs = r.bytes(64 * n_spends, "vSpendAuthSigsSapling")?;
    let output_proofs = r.bytes(GROTH16_PROOF_SIZE * n_outputs, "vOutputProofsSapling")?;
    let binding_sig = r.array::<64>("bindingSigSapling")?;
    let spends = spend_descs
        .iter()
        .enumerate()
        .map(|(i, d)| SaplingSpend {
            cv: field(d, 0),
            anchor,
            nullifier: field(d, 32),
            rk: field(d, 64),
            proof: field(spend_proofs, i * GROTH16_PROOF_SIZE),
            spend_auth_sig: field(spend_sigs, i * 64),
        })
        .collect();
    let outputs = output_descs
        .iter()
        .enumerate()
        .map(|(i, d)| SaplingOutput {
            cv: field(d, 0),
            cmu: field(d, 32),
            ephemeral_key: field(d, 64),
            enc_ciphertext: field(d, 96),
            out_ciphertext: field(d, 676),
            proof: field(output_proofs, i * GROTH16_PROOF_SIZE),
        })
        .collect();
    Ok(Some(Sapling { value_balance, spends, outputs, binding_sig }))
}

fn read_orchard<'a>(r: &mut Reader<'a>) -> Result<Option<Orchard<'a>>, DecodeError> {
    let n = r.count(ACTION_SIZE, "vActionsOrchard count")?;
    if n == 0 {
        return Ok(None);
    }
    let descs: Vec<&'a [u8]> = (0..n).map(|_| r.bytes(ACTION_SIZE, "vActionsOrchard")).collect::<Result<_, _>>()?;
    let at = r.pos();
    let flags = r.u8("flagsOrchard")?;
    if flags & !0b11 != 0 {
        return Err(r.invalid(at, "flagsOrchard", format!("reserved bits set in {flags:#04x}")));
    }
    let at = r.pos();
    let value_balance = r.i64("valueBalanceOrchard")?;
    check_balance(r, at, "valueBalanceOrchard", value_balance)?;
    let anchor = r.array::<32>("anchorOrchard")?;
    let proof = r.var_bytes("proofsOrchard")?;
    let sigs = r.bytes(64 * n, "vSpendAuthSigsOrchard")?;
    let binding_sig = r.array::<64>("bindingSigOrchard")?;
    let actions = descs
        .iter()
        .enumerate()
        .map(|(i, d)| OrchardAction {
            cv: field(d, 0),
            nullifier: field(d, 32),
            rk: field(d, 64),
            cmx: field(d, 96),
            ephemeral_key: field(d, 128),
            enc_ciphertext: field(d, 160),
            out_ciphertext: field(d, 740),
            spend_auth_sig: field(sigs, i * 64),
        })
        .collect();
    Ok(Some(Orchard { actions, flags, value_balance, anchor, proof, binding_sig }))
}

/// Reads one transaction at the reader's position.
pub(crate) fn read_tx<'a>(r: &mut Reader<'a>) -> Result<Transaction<'a>, DecodeError> {
    let start = r.pos();
    let header = r.u32("header")?;
    let overwintered = header >> 31 == 1;
    let version = header & 0x7fff_ffff;
    let mut tx = Transaction {
        raw: &[],
        overwintered,
        version,
        version_group_id: None,
        consensus_branch_id: None,
        lock_time: 0,
        expiry_height: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        joinsplits: Vec::new(),
        joinsplit_sig: None,
        sapling: None,
        orchard: None,
        txid: [0; 32],
    };
    match (overwintered, version) {
        (false, 1 | 2) => read_sprout_fields(r, &mut tx)?,
        (true, 3) => read_overwinter_fields(r, &mut tx)?,
        (true, 4) => read_sapling_fields(r, &mut tx)?,
        (true, 5) => read_nu5_fields(r, &mut tx)?,
        _ => {
            return Err(r.invalid(
                start,
                "header",
                format!("version {version} with fOverwintered {overwintered} is not a Zcash transaction format"),
            ));
        }
    }
    tx.raw = &r.data()[start..r.pos()];
    tx.txid = if version == 5 { txid::zip244(&tx) } else { crate::header::dsha256(tx.raw) };
    Ok(tx)
}

/// Reads nVersionGroupId, which must be `want`, the `name` group's.
fn read_group(r: &mut Reader<'_>, want: u32, name: &str) -> Result<u32, DecodeError> {
    let at = r.pos();
    let g = r.u32("nVersionGroupId")?;
    if g != want {
        return Err(r.invalid(at, "nVersionGroupId", format!("{g:#010x} is not the {name} group {want:#010x}")));
    }
    Ok(g)
}

/// The fields after the header of a v1 or v2 transaction (JoinSplits from v2).
fn read_sprout_fields<'a>(r: &mut Reader<'a>, tx: &mut Transaction<'a>) -> Result<(), DecodeError> {
    tx.inputs = read_inputs(r)?;
    tx.outputs = read_outputs(r)?;
    tx.lock_time = r.u32("nLockTime")?;
    if tx.version == 2 {
        (tx.joinsplits, tx.joinsplit_sig) = read_joinsplits(r, false)?;
    }
    Ok(())
}

/// The fields v3 and v4 transactions open with: nVersionGroupId (the `name`
/// group's, `group`), transparent inputs and outputs, nLockTime, nExpiryHeight.
fn read_overwintered_prefix<'a>(
    r: &mut Reader<'a>,
    tx: &mut Transaction<'a>,
    group: u32,
    name: &str,
) -> Result<(), DecodeError> {
    tx.version_group_id = Some(read_group(r, group, name)?);
    tx.inputs = read_inputs(r)?;
    tx.outputs = read_outputs(r)?;
    tx.lock_time = r.u32("nLockTime")?;
    tx.expiry_height = Some(r.u32("nExpiryHeight")?);
    Ok(())
}

/// The fields after the header of a v3 (Overwinter) transaction.
fn read_overwinter_fields<'a>(r: &mut Reader<'a>, tx: &mut Transaction<'a>) -> Result<(), DecodeError> {
    read_overwintered_prefix(r, tx, OVERWINTER_VERSION_GROUP_ID, "Overwinter")?;
    (tx.joinsplits, tx.joinsplit_sig) = read_joinsplits(r, false)?;
    Ok(())
}

/// The fields after the header of a v4 (Sapling) transaction: Sapling spends and
/// outputs, Groth16 JoinSplits, then the binding signature when there are spends
/// or outputs.
fn read_sapling_fields<'a>(r: &mut Reader<'a>, tx: &mut Transaction<'a>) -> Result<(), DecodeError> {
    read_overwintered_prefix(r, tx, SAPLING_VERSION_GROUP_ID, "Sapling")?;
    let (value_balance, spends, outputs) = read_sapling_v4(r)?;
    (tx.joinsplits, tx.joinsplit_sig) = read_joinsplits(r, true)?;
    if !spends.is_empty() || !outputs.is_empty() {
        let binding_sig = r.array::<64>("bindingSig")?;
        tx.sapling = Some(Sapling { value_balance, spends, outputs, binding_sig });
    } else if value_balance != 0 {
        return Err(r.invalid(r.pos(), "valueBalance", "non-zero without spends or outputs".to_owned()));
    }
    Ok(())
}

/// The fields after the header of a v5 (NU5) transaction.
fn read_nu5_fields<'a>(r: &mut Reader<'a>, tx: &mut Transaction<'a>) -> Result<(), DecodeError> {
    tx.version_group_id = Some(read_group(r, NU5_VERSION_GROUP_ID, "NU5")?);
    tx.consensus_branch_id = Some(r.u32("nConsensusBranchId")?);
    tx.lock_time = r.u32("nLockTime")?;
    tx.expiry_height = Some(r.u32("nExpiryHeight")?);
    tx.inputs = read_inputs(r)?;
    tx.outputs = read_outputs(r)?;
    tx.sapling = read_sapling_v5(r)?;
    tx.orchard = read_orchard(r)?;
    Ok(())
}
