//! Every column of the index, declared once: name, value type and the count that
//! sizes it. docs/format.md documents each; a test pins the list.

use crate::column::{Column, ColumnWriter, column_path};
use crate::manifest::Counts;
use std::io;
use std::path::Path;

/// `in_spent_output` of a coinbase input.
pub const COINBASE: u64 = u64::MAX - 1;
/// `in_spent_output` of an input whose output is not in the index.
pub const UNRESOLVED: u64 = u64::MAX;
/// `out_spent_by` of an output no committed input spends.
pub const UNSPENT: u64 = u64::MAX;
/// `tx_fee` when an input is unresolved.
pub const UNKNOWN_FEE: u64 = u64::MAX;
/// `cross_*_after` of a Zcash index that does not start at genesis.
pub const UNKNOWN_BALANCE: u64 = u64::MAX;

macro_rules! schema {
    ($( $count:ident { $( $(#[$doc:meta])* $name:ident : $t:ty ),* $(,)? } )*) => {
        /// The committed columns, mapped read-only.
        #[derive(Debug)]
        pub struct Columns {
            $($( $(#[$doc])* pub $name: Column<$t>, )*)*
        }

        /// The columns, mapped read-write for an ingest.
        #[derive(Debug)]
        pub struct ColumnWriters {
            $($( $(#[$doc])* pub $name: ColumnWriter<$t>, )*)*
        }

        /// (name, count it is sized by, bytes per row) of every column.
        pub const COLUMNS: &[(&str, &str, usize)] = &[
            $($( (stringify!($name), stringify!($count), <$t as crate::column::Fixed>::WIDTH), )*)*
        ];

        /// (name, committed bytes) of every column under `counts`.
        pub fn column_bytes(counts: &Counts) -> Vec<(&'static str, u64)> {
            vec![$($( (stringify!($name), counts.$count * <$t as crate::column::Fixed>::WIDTH as u64), )*)*]
        }

        impl Columns {
            /// Maps the committed rows of every column.
            ///
            /// # Errors
            /// When a column file is missing or short.
            pub fn open(dir: &Path, counts: &Counts) -> io::Result<Self> {
                Ok(Self { $($( $name: Column::open(&column_path(dir, stringify!($name)), counts.$count)?, )*)* })
            }

            /// The committed bytes of a column by name.
            pub fn bytes_of(&self, name: &str) -> Option<&[u8]> {
                match name {
                    $($( stringify!($name) => Some(self.$name.bytes()), )*)*
                    _ => None,
                }
            }
        }

        impl ColumnWriters {
            /// Opens every column for writing after its committed rows.
            ///
            /// # Errors
            /// On I/O errors.
            pub fn open(dir: &Path, counts: &Counts) -> io::Result<Self> {
                Ok(Self { $($( $name: ColumnWriter::open(&column_path(dir, stringify!($name)), counts.$count)?, )*)* })
            }

            /// Hands every column's new rows and changes to write jobs (unsynced
            /// writes, for another thread); the rows stay readable until settled.
            pub fn begin_write(&mut self) -> Vec<crate::column::WriteJob> {
                vec![$($( self.$name.begin_write(), )*)*]
            }

            /// Maps the rows the last write jobs wrote (which must have finished).
            ///
            /// # Errors
            /// On I/O errors.
            pub fn settle(&mut self) -> io::Result<()> {
                $($( self.$name.settle()?; )*)*
                Ok(())
            }

            /// Every column file.
            pub fn paths(&self) -> Vec<std::path::PathBuf> {
                vec![$($( self.$name.path().to_owned(), )*)*]
            }

            /// Maps every column's committed rows afresh after a commit.
            ///
            /// # Errors
            /// On I/O errors.
            pub fn reopen(&mut self, counts: &Counts) -> io::Result<()> {
                $($( self.$name.reopen(counts.$count)?; )*)*
                Ok(())
            }

            /// Forgets rows past `counts` (a rollback).
            pub fn truncate(&mut self, counts: &Counts) {
                $($( self.$name.truncate(counts.$count); )*)*
            }
        }
    };
}

schema! {
    blocks {
        /// Block hash (internal byte order).
        block_hash: [u8; 32],
        /// The 80-byte header.
        block_header: [u8; 80],
        /// Number of the block's first transaction.
        block_first_tx: u64,
        /// blk file number holding the block.
        block_file: u32,
        /// Offset of the block in its blk file.
        block_offset: u64,
        /// Serialized size of the block.
        block_size: u32,
    }
    txs {
        /// Txid (internal byte order).
        tx_txid: [u8; 32],
        /// Number of the transaction's first input.
        tx_first_input: u64,
        /// Number of the transaction's first output.
        tx_first_output: u64,
        /// Serialized size.
        tx_size: u32,
        /// Weight.
        tx_weight: u32,
        /// nVersion.
        tx_version: u32,
        /// nLockTime.
        tx_locktime: u32,
        /// Fee in satoshis (0 for coinbases, UNKNOWN_FEE when an input is unresolved).
        tx_fee: u64,
    }
    inputs {
        /// Number of the output spent (COINBASE, or UNRESOLVED if not in the index).
        in_spent_output: u64,
        /// nSequence.
        in_sequence: u32,
        /// Number of the input's own transaction (transaction numbers stay below 2^32).
        in_tx: u32,
    }
    outputs {
        /// Value in satoshis.
        out_value: u64,
        /// Address id.
        out_address: u32,
        /// Number of the input that spends it, or UNSPENT. Valid only if that input is
        /// committed and spends this output (stale values are left by rollbacks).
        out_spent_by: u64,
        /// Script class code of the output itself (P2PK stays P2PK here).
        out_class: u8,
        /// Number of the output's own transaction.
        out_tx: u32,
    }
    addresses {
        /// Address class code (P2PK outputs are filed under P2PKH).
        addr_class: u8,
        /// Hash, program or script SHA-256 (see address_key).
        addr_payload: [u8; 32],
        /// The first output paid to it.
        addr_first_output: u64,
    }
    crossings {
        /// Zcash: the transaction moving value into or out of a shielded pool
        /// (rows in transaction order; none on Bitcoin).
        cross_tx: u32,
        /// The pool: 0 Sprout, 1 Sapling, 2 Orchard (`zcash::Pool::ALL`).
        cross_pool: u8,
        /// Zatoshis from the transparent side into the pool (shielding).
        cross_into: u64,
        /// Zatoshis out of the pool to the transparent side or the fee (deshielding).
        cross_out: u64,
        /// Zatoshis in the Sprout pool after this crossing (the turnstile; the
        /// balance at a height is that of its last crossing). UNKNOWN_BALANCE when
        /// the index does not start at genesis.
        cross_sprout_after: u64,
        /// Zatoshis in the Sapling pool after this crossing.
        cross_sapling_after: u64,
        /// Zatoshis in the Orchard pool after this crossing.
        cross_orchard_after: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_list_is_pinned() {
        let names: Vec<String> = COLUMNS.iter().map(|(n, c, w)| format!("{n}:{c}:{w}")).collect();
        assert_eq!(
            names.join(" "),
            "block_hash:blocks:32 block_header:blocks:80 block_first_tx:blocks:8 block_file:blocks:4 block_offset:blocks:8 \
             block_size:blocks:4 tx_txid:txs:32 tx_first_input:txs:8 tx_first_output:txs:8 tx_size:txs:4 tx_weight:txs:4 \
             tx_version:txs:4 tx_locktime:txs:4 tx_fee:txs:8 in_spent_output:inputs:8 in_sequence:inputs:4 in_tx:inputs:4 \
             out_value:outputs:8 out_address:outputs:4 out_spent_by:outputs:8 out_class:outputs:1 out_tx:outputs:4 \
             addr_class:addresses:1 addr_payload:addresses:32 addr_first_output:addresses:8 \
             cross_tx:crossings:4 cross_pool:crossings:1 cross_into:crossings:8 cross_out:crossings:8 \
             cross_sprout_after:crossings:8 cross_sapling_after:crossings:8 cross_orchard_after:crossings:8"
        );
    }
}
