//! Union-find over address ids: 4 bytes of parent and 4 bytes of cluster size per
//! address (8 in all). The root of a cluster is its smallest address id, so entity
//! ids are deterministic and survive re-runs and appends that leave a cluster alone.
//! Union by smallest id instead of by rank; path halving keeps finds short.

/// Disjoint sets of address ids.
#[derive(Debug, Clone, Default)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        Self { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    /// Resumes from the roots [`UnionFind::flatten`] returned (sizes are counted).
    pub fn from_roots(roots: Vec<u32>) -> Self {
        let mut size = vec![0u32; roots.len()];
        for &r in &roots {
            size[r as usize] += 1;
        }
        Self { parent: roots, size }
    }

    /// Adds singletons up to `n` addresses.
    pub fn grow(&mut self, n: usize) {
        let from = self.parent.len() as u32;
        self.parent.extend(from..n as u32);
        self.size.resize(n, 1);
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when there are no addresses.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root (smallest id) of `a`'s cluster.
    #[inline]
    pub fn find(&mut self, mut a: u32) -> u32 {
        while self.parent[a as usize] != a {
            let grandparent = self.parent[self.parent[a as usize] as usize];
            self.parent[a as usize] = grandparent;
            a = grandparent;
        }
        a
    }

    /// Size of `a`'s cluster.
    pub fn size_of(&mut self, a: u32) -> u32 {
        let root = self.find(a);
        self.size[root as usize]
    }

    /// Joins the clusters of `a` and `b`; returns false if they were one already.
    #[inline]
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child as usize] = root;
        self.size[root as usize] += self.size[child as usize];
        true
    }

    /// Points every address straight at its root and returns (roots, sizes); the
    /// roots are what [`UnionFind::from_roots`] resumes from.
    pub fn flatten(&mut self) -> (&[u32], &[u32]) {
        for a in 0..self.parent.len() as u32 {
            let root = self.find(a);
            self.parent[a as usize] = root;
        }
        (&self.parent, &self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_smallest_ids() {
        let mut uf = UnionFind::new(10);
        assert!(uf.union(7, 3));
        assert!(uf.union(9, 7));
        assert!(!uf.union(3, 9));
        assert!(uf.union(5, 9));
        assert_eq!(uf.find(9), 3);
        assert_eq!(uf.size_of(5), 4);
        uf.grow(12);
        uf.union(11, 0);
        let (roots, sizes) = uf.flatten();
        assert_eq!(roots, [0, 1, 2, 3, 4, 3, 6, 3, 8, 3, 10, 0]);
        assert_eq!((sizes[3], sizes[0]), (4, 2));
        let roots = roots.to_vec();
        let mut resumed = UnionFind::from_roots(roots.clone());
        assert_eq!((resumed.size_of(9), resumed.size_of(11), resumed.size_of(4)), (4, 2, 1));
        assert_eq!(resumed.flatten().0, &roots[..]);
    }
}
