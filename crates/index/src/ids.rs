//! Dense integer ids, one newtype per kind, all made by one macro. Ids are assigned
//! in chain order (a transaction's inputs and outputs get consecutive numbers), and
//! addresses in order of first appearance.

use std::fmt;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident($int:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $int);

        impl $name {
            /// The id as an index into its columns.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_newtype!(
    /// A block height.
    Height(u32)
);
id_newtype!(
    /// A transaction's number in chain order, from 0.
    TxNum(u64)
);
id_newtype!(
    /// An input's number in chain order, from 0.
    InNum(u64)
);
id_newtype!(
    /// An output's number in chain order, from 0.
    OutNum(u64)
);
id_newtype!(
    /// An address's number in order of first appearance, from 0.
    AddrId(u32)
);
id_newtype!(
    /// An entity (a cluster of addresses) of a clustering, numbered by the
    /// smallest address id among its members.
    EntityId(u32)
);
