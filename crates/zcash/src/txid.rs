//! ZIP 244's transaction identifier for v5: a tree of BLAKE2b-256 digests, each
//! personalised, over the header, transparent, Sapling and Orchard parts (so the
//! txid does not cover signatures and proofs). Hand-written: it is a few dozen
//! lines over `blake2b_simd`, and the fixture's v5 txids check it.

use crate::tx::{ENC_CIPHERTEXT_SIZE, Transaction};
use blake2b_simd::{Params, State};

/// Bytes of a note ciphertext that are "compact" (what light clients fetch).
const COMPACT_NOTE_SIZE: usize = 52;
/// Bytes of the memo field in a note ciphertext.
const MEMO_SIZE: usize = 512;

fn hasher(personal: &[u8; 16]) -> State {
    Params::new().hash_length(32).personal(personal).to_state()
}

fn finish(state: &State) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(state.finalize().as_bytes());
    out
}

fn digest(personal: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = hasher(personal);
    for p in parts {
        h.update(p);
    }
    finish(&h)
}

fn header_digest(tx: &Transaction<'_>) -> [u8; 32] {
    let header = (tx.version | (u32::from(tx.overwintered) << 31)).to_le_bytes();
    digest(
        b"ZTxIdHeadersHash",
        &[
            &header,
            &tx.version_group_id.unwrap_or(0).to_le_bytes(),
            &tx.consensus_branch_id.unwrap_or(0).to_le_bytes(),
            &tx.lock_time.to_le_bytes(),
            &tx.expiry_height.unwrap_or(0).to_le_bytes(),
        ],
    )
}

fn transparent_digest(tx: &Transaction<'_>) -> [u8; 32] {
    if tx.inputs.is_empty() && tx.outputs.is_empty() {
        return digest(b"ZTxIdTranspaHash", &[]);
    }
    let (mut prevouts, mut sequences, mut outputs) =
        (hasher(b"ZTxIdPrevoutHash"), hasher(b"ZTxIdSequencHash"), hasher(b"ZTxIdOutputsHash"));
    for i in &tx.inputs {
        prevouts.update(i.prev_txid);
        prevouts.update(&i.prev_vout.to_le_bytes());
        sequences.update(&i.sequence.to_le_bytes());
    }
    let mut len = Vec::with_capacity(9);
    for o in &tx.outputs {
        outputs.update(&o.value.to_le_bytes());
        len.clear();
        chain::encode::write_compact_size(&mut len, o.script_pubkey.len() as u64);
        outputs.update(&len);
        outputs.update(o.script_pubkey);
    }
    digest(b"ZTxIdTranspaHash", &[&finish(&prevouts), &finish(&sequences), &finish(&outputs)])
}

fn sapling_digest(tx: &Transaction<'_>) -> [u8; 32] {
    let Some(s) = &tx.sapling else { return digest(b"ZTxIdSaplingHash", &[]) };
    let spends = if s.spends.is_empty() {
        digest(b"ZTxIdSSpendsHash", &[])
    } else {
        let (mut compact, mut noncompact) = (hasher(b"ZTxIdSSpendCHash"), hasher(b"ZTxIdSSpendNHash"));
        for sp in &s.spends {
            compact.update(sp.nullifier);
            noncompact.update(sp.cv);
            noncompact.update(sp.anchor);
            noncompact.update(sp.rk);
        }
        digest(b"ZTxIdSSpendsHash", &[&finish(&compact), &finish(&noncompact)])
    };
    let outputs = if s.outputs.is_empty() {
        digest(b"ZTxIdSOutputHash", &[])
    } else {
        let (mut compact, mut memos, mut noncompact) =
            (hasher(b"ZTxIdSOutC__Hash"), hasher(b"ZTxIdSOutM__Hash"), hasher(b"ZTxIdSOutN__Hash"));
        for o in &s.outputs {
            compact.update(o.cmu);
            compact.update(o.ephemeral_key);
            compact.update(&o.enc_ciphertext[..COMPACT_NOTE_SIZE]);
            memos.update(&o.enc_ciphertext[COMPACT_NOTE_SIZE..COMPACT_NOTE_SIZE + MEMO_SIZE]);
            noncompact.update(o.cv);
            noncompact.update(&o.enc_ciphertext[COMPACT_NOTE_SIZE + MEMO_SIZE..ENC_CIPHERTEXT_SIZE]);
            noncompact.update(o.out_ciphertext);
        }
        digest(b"ZTxIdSOutputHash", &[&finish(&compact), &finish(&memos), &finish(&noncompact)])
    };
    digest(b"ZTxIdSaplingHash", &[&spends, &outputs, &s.value_balance.to_le_bytes()])
}

fn orchard_digest(tx: &Transaction<'_>) -> [u8; 32] {
    let Some(o) = &tx.orchard else { return digest(b"ZTxIdOrchardHash", &[]) };
    let (mut compact, mut memos, mut noncompact) =
        (hasher(b"ZTxIdOrcActCHash"), hasher(b"ZTxIdOrcActMHash"), hasher(b"ZTxIdOrcActNHash"));
    for a in &o.actions {
        compact.update(a.nullifier);
        compact.update(a.cmx);
        compact.update(a.ephemeral_key);
        compact.update(&a.enc_ciphertext[..COMPACT_NOTE_SIZE]);
        memos.update(&a.enc_ciphertext[COMPACT_NOTE_SIZE..COMPACT_NOTE_SIZE + MEMO_SIZE]);
        noncompact.update(a.cv);
        noncompact.update(a.rk);
        noncompact.update(&a.enc_ciphertext[COMPACT_NOTE_SIZE + MEMO_SIZE..ENC_CIPHERTEXT_SIZE]);
        noncompact.update(a.out_ciphertext);
    }
    digest(
        b"ZTxIdOrchardHash",
        &[
            &finish(&compact),
            &finish(&memos),
            &finish(&noncompact),
            &[o.flags],
            &o.value_balance.to_le_bytes(),
            o.anchor,
        ],
    )
}

/// The ZIP 244 txid of a v5 transaction (internal byte order).
pub fn zip244(tx: &Transaction<'_>) -> [u8; 32] {
    let mut personal = [0u8; 16];
    personal[..12].copy_from_slice(b"ZcashTxHash_");
    personal[12..].copy_from_slice(&tx.consensus_branch_id.unwrap_or(0).to_le_bytes());
    digest(&personal, &[&header_digest(tx), &transparent_digest(tx), &sapling_digest(tx), &orchard_digest(tx)])
}
