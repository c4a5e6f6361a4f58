//! Dense integer ids, one newtype per kind, all made by one macro. Ids are assigned
//! in chain order (a transaction's inputs and outputs get consecutive numbers), and
//! addresses in order of first appearance.

use std::fmt;

/// An id that counts from 0 in steps of 1, so consecutive ids form runs.
pub trait DenseId: Copy + Ord {
    /// The id's number.
    fn number(self) -> u64;
    /// The id of number `n`.
    fn from_number(n: u64) -> Self;
}

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

        impl DenseId for $name {
            fn number(self) -> u64 {
                u64::from(self.0)
            }

            fn from_number(n: u64) -> Self {
                // Ids of a run are made from ids of the same kind, so they fit.
                Self(<$int>::try_from(n).expect("an id of a run fits its kind"))
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

/// A run of consecutive ids, `start` included and `end` not: a transaction's
/// inputs or outputs. Iterating yields each id in order.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct IdRange<T> {
    /// The first id of the run.
    pub start: T,
    /// The id after the last.
    pub end: T,
}

impl<T: DenseId> IdRange<T> {
    /// The run from `start` to `end` (empty when `end <= start`).
    pub fn new(start: T, end: T) -> Self {
        Self { start, end }
    }

    /// The run of raw numbers `range`.
    pub fn from_numbers(range: std::ops::Range<u64>) -> Self {
        Self { start: T::from_number(range.start), end: T::from_number(range.end.max(range.start)) }
    }

    /// How many ids it holds.
    pub fn len(&self) -> usize {
        self.end.number().saturating_sub(self.start.number()) as usize
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether `id` is in it.
    pub fn contains(&self, id: T) -> bool {
        self.start <= id && id < self.end
    }

    /// The id at `position` (from 0), if the run is that long.
    pub fn at(&self, position: usize) -> Option<T> {
        let n = self.start.number().checked_add(position as u64)?;
        (n < self.end.number()).then(|| T::from_number(n))
    }

    /// The position of `id` in the run, if it is in it.
    pub fn position(&self, id: T) -> Option<usize> {
        self.contains(id).then(|| (id.number() - self.start.number()) as usize)
    }
}

impl<T: DenseId> Iterator for IdRange<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.start.number() >= self.end.number() {
            return None;
        }
        let id = self.start;
        self.start = T::from_number(id.number() + 1);
        Some(id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<T: DenseId> ExactSizeIterator for IdRange<T> {}

impl<T: DenseId> DoubleEndedIterator for IdRange<T> {
    fn next_back(&mut self) -> Option<T> {
        if self.start.number() >= self.end.number() {
            return None;
        }
        self.end = T::from_number(self.end.number() - 1);
        Some(self.end)
    }
}

impl<T: fmt::Debug> fmt::Debug for IdRange<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}..{:?}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_iterates_its_ids_in_order_from_both_ends() {
        let run = IdRange::new(OutNum(3), OutNum(6));
        assert_eq!((run.len(), run.is_empty()), (3, false));
        assert_eq!(run.clone().collect::<Vec<_>>(), vec![OutNum(3), OutNum(4), OutNum(5)]);
        assert_eq!(run.clone().rev().collect::<Vec<_>>(), vec![OutNum(5), OutNum(4), OutNum(3)]);
        let mut both = run.clone();
        assert_eq!((both.next(), both.next_back(), both.len()), (Some(OutNum(3)), Some(OutNum(5)), 1));
        assert_eq!(format!("{run:?}"), "OutNum(3)..OutNum(6)");
    }

    #[test]
    fn positions_and_membership_agree() {
        let run = IdRange::<InNum>::from_numbers(10..13);
        assert_eq!((run.at(0), run.at(2), run.at(3)), (Some(InNum(10)), Some(InNum(12)), None));
        assert_eq!((run.position(InNum(11)), run.position(InNum(13)), run.position(InNum(9))), (Some(1), None, None));
        assert!(run.contains(InNum(12)) && !run.contains(InNum(13)));
        assert_eq!(run.at(usize::MAX), None);
    }

    #[test]
    fn a_backward_run_is_empty() {
        let (from, to) = (7, 5);
        let run = IdRange::<TxNum>::from_numbers(from..to);
        assert_eq!((run.is_empty(), run.len()), (true, 0));
        assert_eq!(run.clone().next(), None);
        let run = IdRange::new(TxNum(7), TxNum(5));
        assert_eq!((run.is_empty(), run.len(), run.clone().next_back()), (true, 0, None));
    }
}
