//! The fixed-width rows of the index, one file per kind (docs/format.md, section
//! "Monero index"). Every integer is little-endian.

/// Bytes of a [`BlockRow`].
pub const BLOCK_ROW: usize = 64;
/// Bytes of a [`TxRow`].
pub const TX_ROW: usize = 112;
/// Bytes of an [`InputRow`].
pub const INPUT_ROW: usize = 56;
/// Bytes of an [`OutputRow`].
pub const OUTPUT_ROW: usize = 64;
/// Bytes of a ring member: the dense output number it refers to.
pub const MEMBER_ROW: usize = 8;

/// A block: `id[32] timestamp:u64 first_tx:u64 reward:u64 major:u8 minor:u8 pad[6]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRow {
    /// Block id.
    pub id: [u8; 32],
    /// Timestamp.
    pub timestamp: u64,
    /// Its miner transaction's number (the block's first).
    pub first_tx: u64,
    /// Miner transaction output total.
    pub reward: u64,
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

/// A transaction: `hash[32] tx_pubkey[32] height:u32 version:u8 rct_type:u8
/// coinbase:u8 pad:u8 fee:u64 first_input:u64 first_output:u64 unlock_time:u64
/// size:u32 pad[4]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxRow {
    /// Transaction hash.
    pub hash: [u8; 32],
    /// The first tx public key of extra (zeros if none).
    pub tx_pubkey: [u8; 32],
    /// Block height.
    pub height: u32,
    /// Version (1 or 2).
    pub version: u8,
    /// RingCT type, 0xff for version 1.
    pub rct_type: u8,
    /// Whether it is the block's miner transaction.
    pub coinbase: bool,
    /// Fee in atomic units.
    pub fee: u64,
    /// Its first input's number.
    pub first_input: u64,
    /// Its first output's number.
    pub first_output: u64,
    /// Unlock time.
    pub unlock_time: u64,
    /// Size in bytes.
    pub size: u32,
}

/// An input: `key_image[32] amount:u64 first_member:u64 tx:u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputRow {
    /// Key image.
    pub key_image: [u8; 32],
    /// Amount (0 for RingCT).
    pub amount: u64,
    /// Its first ring member's number in the member column.
    pub first_member: u64,
    /// The transaction it belongs to.
    pub tx: u64,
}

/// An output: `key[32] amount:u64 global_index:u64 tx:u64 view_tag:u8 flags:u8 pad[6]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputRow {
    /// One-time public key.
    pub key: [u8; 32],
    /// Cleartext amount (coinbase and pre-RingCT).
    pub amount: u64,
    /// Position in its amount's output index (amount 0 for RingCT).
    pub global_index: u64,
    /// The transaction that created it.
    pub tx: u64,
    /// View tag, if it has one.
    pub view_tag: Option<u8>,
    /// Whether it is in the RingCT (amount 0) index.
    pub rct: bool,
    /// Whether a miner transaction created it.
    pub coinbase: bool,
}

impl OutputRow {
    /// The amount of the output index it is in.
    pub fn index_amount(&self) -> u64 {
        if self.rct { 0 } else { self.amount }
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn key_at(b: &[u8], at: usize) -> [u8; 32] {
    let mut a = [0u8; 32];
    a.copy_from_slice(&b[at..at + 32]);
    a
}

impl BlockRow {
    /// Appends the row's bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&self.timestamp.to_le_bytes());
        out.extend_from_slice(&self.first_tx.to_le_bytes());
        out.extend_from_slice(&self.reward.to_le_bytes());
        out.extend_from_slice(&[self.major, self.minor, 0, 0, 0, 0, 0, 0]);
    }

    /// Reads a row from its bytes.
    pub fn decode(b: &[u8]) -> Self {
        Self {
            id: key_at(b, 0),
            timestamp: u64_at(b, 32),
            first_tx: u64_at(b, 40),
            reward: u64_at(b, 48),
            major: b[56],
            minor: b[57],
        }
    }
}

impl TxRow {
    /// Appends the row's bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hash);
        out.extend_from_slice(&self.tx_pubkey);
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&[self.version, self.rct_type, u8::from(self.coinbase), 0]);
        out.extend_from_slice(&self.fee.to_le_bytes());
        out.extend_from_slice(&self.first_input.to_le_bytes());
        out.extend_from_slice(&self.first_output.to_le_bytes());
        out.extend_from_slice(&self.unlock_time.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
    }

    /// Reads a row from its bytes.
    pub fn decode(b: &[u8]) -> Self {
        Self {
            hash: key_at(b, 0),
            tx_pubkey: key_at(b, 32),
            height: u32_at(b, 64),
            version: b[68],
            rct_type: b[69],
            coinbase: b[70] != 0,
            fee: u64_at(b, 72),
            first_input: u64_at(b, 80),
            first_output: u64_at(b, 88),
            unlock_time: u64_at(b, 96),
            size: u32_at(b, 104),
        }
    }
}

impl InputRow {
    /// Appends the row's bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key_image);
        out.extend_from_slice(&self.amount.to_le_bytes());
        out.extend_from_slice(&self.first_member.to_le_bytes());
        out.extend_from_slice(&self.tx.to_le_bytes());
    }

    /// Reads a row from its bytes.
    pub fn decode(b: &[u8]) -> Self {
        Self { key_image: key_at(b, 0), amount: u64_at(b, 32), first_member: u64_at(b, 40), tx: u64_at(b, 48) }
    }
}

impl OutputRow {
    /// Appends the row's bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key);
        out.extend_from_slice(&self.amount.to_le_bytes());
        out.extend_from_slice(&self.global_index.to_le_bytes());
        out.extend_from_slice(&self.tx.to_le_bytes());
        let flags = u8::from(self.view_tag.is_some()) | u8::from(self.rct) << 1 | u8::from(self.coinbase) << 2;
        out.extend_from_slice(&[self.view_tag.unwrap_or(0), flags, 0, 0, 0, 0, 0, 0]);
    }

    /// Reads a row from its bytes.
    pub fn decode(b: &[u8]) -> Self {
        let flags = b[57];
        Self {
            key: key_at(b, 0),
            amount: u64_at(b, 32),
            global_index: u64_at(b, 40),
            tx: u64_at(b, 48),
            view_tag: (flags & 1 != 0).then_some(b[56]),
            rct: flags & 2 != 0,
            coinbase: flags & 4 != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_at_their_width() {
        let b = BlockRow { id: [1; 32], timestamp: 2, first_tx: 3, reward: 4, major: 16, minor: 16 };
        let t = TxRow {
            hash: [5; 32],
            tx_pubkey: [6; 32],
            height: 7,
            version: 2,
            rct_type: 6,
            coinbase: true,
            fee: 8,
            first_input: 9,
            first_output: 10,
            unlock_time: 11,
            size: 12,
        };
        let i = InputRow { key_image: [13; 32], amount: 14, first_member: 15, tx: 16 };
        let o = OutputRow {
            key: [17; 32],
            amount: 18,
            global_index: 19,
            tx: 20,
            view_tag: Some(21),
            rct: true,
            coinbase: false,
        };
        let mut buf = Vec::new();
        b.encode(&mut buf);
        assert_eq!((buf.len(), BlockRow::decode(&buf)), (BLOCK_ROW, b));
        buf.clear();
        t.encode(&mut buf);
        assert_eq!((buf.len(), TxRow::decode(&buf)), (TX_ROW, t));
        buf.clear();
        i.encode(&mut buf);
        assert_eq!((buf.len(), InputRow::decode(&buf)), (INPUT_ROW, i));
        buf.clear();
        o.encode(&mut buf);
        assert_eq!((buf.len(), OutputRow::decode(&buf)), (OUTPUT_ROW, o));
    }
}
