//! The tx extra field: a sequence of tagged fields that wallets read for the tx
//! public key (and per-output keys for subaddresses) and payment ids. Extra is not
//! validated by consensus, so parsing stops at the first field it cannot read and
//! says where.

use crate::varint::Reader;

/// A payment id carried in the extra nonce.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum PaymentId {
    /// A plain 32-byte id (deprecated).
    Plain(String),
    /// An 8-byte id encrypted to the recipient.
    Encrypted(String),
}

/// What the extra field holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Extra {
    /// Tx public keys (tag 0x01); normally one.
    pub tx_pubkeys: Vec<String>,
    /// Additional per-output public keys (tag 0x04), used with subaddresses.
    pub additional_pubkeys: Vec<String>,
    /// A payment id in the nonce (tag 0x02).
    pub payment_id: Option<PaymentId>,
    /// Other nonce bytes (tag 0x02 without a payment id), hex.
    pub nonce: Option<String>,
    /// Merge-mining tags (0x03), hex.
    pub merge_mining: Vec<String>,
    /// Offset of the first field that could not be read, if any.
    pub unparsed_from: Option<usize>,
}

impl Extra {
    /// Parses an extra field.
    pub fn parse(bytes: &[u8]) -> Self {
        let mut out = Self::default();
        let mut r = Reader::new(bytes);
        while r.remaining() > 0 {
            let at = r.pos();
            if out.read_field(&mut r).is_none() {
                out.unparsed_from = Some(at);
                break;
            }
        }
        out
    }

    fn read_field(&mut self, r: &mut Reader<'_>) -> Option<()> {
        let name = || String::new();
        match r.byte(&name).ok()? {
            // Padding: zeros to the end.
            0x00 => {
                let rest = r.bytes(r.remaining(), &name).ok()?;
                rest.iter().all(|&b| b == 0).then_some(())
            }
            0x01 => {
                self.tx_pubkeys.push(hex::encode(r.key(&name).ok()?));
                Some(())
            }
            0x02 => {
                let n = r.count(&name, 1, 255).ok()?;
                let nonce = r.bytes(n, &name).ok()?;
                match (nonce.first(), nonce.len()) {
                    (Some(0x00), 33) => self.payment_id = Some(PaymentId::Plain(hex::encode(&nonce[1..]))),
                    (Some(0x01), 9) => self.payment_id = Some(PaymentId::Encrypted(hex::encode(&nonce[1..]))),
                    _ => self.nonce = Some(hex::encode(nonce)),
                }
                Some(())
            }
            0x03 => {
                let n = r.count(&name, 1, u64::MAX).ok()?;
                self.merge_mining.push(hex::encode(r.bytes(n, &name).ok()?));
                Some(())
            }
            0x04 => {
                let n = r.count(&name, 32, 1 << 16).ok()?;
                for _ in 0..n {
                    self.additional_pubkeys.push(hex::encode(r.key(&name).ok()?));
                }
                Some(())
            }
            // MinerGate's tag: a length-prefixed blob.
            0xde => {
                let n = r.count(&name, 1, u64::MAX).ok()?;
                r.bytes(n, &name).ok().map(|_| ())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pubkey_and_encrypted_payment_id() {
        let mut b = vec![0x01];
        b.extend([7u8; 32]);
        b.extend([0x02, 9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]);
        let e = Extra::parse(&b);
        assert_eq!(e.tx_pubkeys, vec![hex::encode([7u8; 32])]);
        assert_eq!(e.payment_id, Some(PaymentId::Encrypted("0102030405060708".into())));
        assert_eq!(e.unparsed_from, None);
        assert_eq!(Extra::parse(&[0x01, 1, 2]).unparsed_from, Some(0));
    }
}
