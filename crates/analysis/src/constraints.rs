//! Must-not-link constraints on change links: two clusters holding two different
//! labelled services are different owners, and so are the inputs of one CoinJoin
//! (its participants). A change link that would join such clusters is refused,
//! whatever its probability. Kept per cluster root as the clusters grow.

use crate::unionfind::UnionFind;
use std::collections::HashMap;

/// Why two clusters must not be joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Each holds a different labelled service (their numbers).
    Services(u32, u32),
    /// Each holds an input of the same CoinJoin (its group number).
    CoinJoin(u32),
}

impl Conflict {
    /// The reason's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Conflict::Services(..) => "distinct_services",
            Conflict::CoinJoin(_) => "coinjoin_co_participants",
        }
    }
}

/// The constraints, keyed by current cluster root.
#[derive(Debug, Default)]
pub struct MustNotLink {
    /// The service each root holds.
    service: HashMap<u32, u32>,
    /// The CoinJoin groups each root has an input in, ascending.
    groups: HashMap<u32, Vec<u32>>,
}

impl MustNotLink {
    /// Constraints from service labels (address, service number) and CoinJoins (each
    /// one's input addresses), placed at their addresses' roots in `uf`. A root that
    /// already holds two services keeps the lower number.
    pub fn new(services: &[(u32, u32)], coinjoins: &[Vec<u32>], uf: &mut UnionFind) -> Self {
        let mut this = Self::default();
        for &(address, service) in services {
            if (address as usize) < uf.len() {
                let root = uf.find(address);
                let held = this.service.entry(root).or_insert(service);
                *held = (*held).min(service);
            }
        }
        for (g, inputs) in coinjoins.iter().enumerate() {
            for &address in inputs {
                let groups = this.groups.entry(uf.find(address)).or_default();
                if groups.last() != Some(&(g as u32)) {
                    groups.push(g as u32);
                }
            }
        }
        for groups in this.groups.values_mut() {
            groups.sort_unstable();
            groups.dedup();
        }
        this
    }

    /// Why roots `a` and `b` must not be joined, if they must not.
    pub fn conflict(&self, a: u32, b: u32) -> Option<Conflict> {
        if let (Some(&x), Some(&y)) = (self.service.get(&a), self.service.get(&b))
            && x != y
        {
            return Some(Conflict::Services(x, y));
        }
        let (ga, gb) = (self.groups.get(&a)?, self.groups.get(&b)?);
        let (mut i, mut j) = (0, 0);
        while i < ga.len() && j < gb.len() {
            match ga[i].cmp(&gb[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => return Some(Conflict::CoinJoin(ga[i])),
            }
        }
        None
    }

    /// Records that root `from` was joined into root `into`.
    pub fn joined(&mut self, into: u32, from: u32) {
        if let Some(s) = self.service.remove(&from) {
            self.service.entry(into).or_insert(s);
        }
        if let Some(mut g) = self.groups.remove(&from) {
            let held = self.groups.entry(into).or_default();
            held.append(&mut g);
            held.sort_unstable();
            held.dedup();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_coinjoin_partners_stay_apart_as_clusters_grow() {
        let mut uf = UnionFind::new(8);
        // Addresses 0 and 1 are two services; 2 and 3 were inputs of one CoinJoin.
        let mut rules = MustNotLink::new(&[(0, 7), (1, 9)], &[vec![2, 3]], &mut uf);
        assert_eq!(rules.conflict(0, 1), Some(Conflict::Services(7, 9)));
        assert_eq!(rules.conflict(2, 3), Some(Conflict::CoinJoin(0)));
        assert_eq!(rules.conflict(0, 2), None);
        // 4 joins 0's cluster, 5 joins 3's: the constraints follow the roots.
        uf.union(0, 4);
        rules.joined(0, 4);
        uf.union(3, 5);
        rules.joined(3, 5);
        assert_eq!(rules.conflict(uf.find(4), uf.find(1)), Some(Conflict::Services(7, 9)));
        uf.union(0, 2);
        rules.joined(0, 2);
        assert_eq!(rules.conflict(uf.find(4), uf.find(5)), Some(Conflict::CoinJoin(0)));
        assert_eq!(rules.conflict(uf.find(6), uf.find(5)), None);
    }
}
