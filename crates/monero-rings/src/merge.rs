//! Output merging: when the rings of two or more inputs of one transaction each
//! name an output of the same earlier transaction, those members are flagged —
//! a wallet that spends two outputs it received together merges them. The flag
//! is evidence, not proof: its precision is measured by `xmr eval`.

use crate::graph::RingGraph;

/// Per member slot: whether it is a merge candidate.
pub fn merge_flags(g: &RingGraph) -> Vec<bool> {
    let mut flags = vec![false; g.members.len()];
    let mut pairs: Vec<(u64, u32, usize)> = Vec::new(); // (source tx, input, slot)
    let mut i = 0;
    while i < g.inputs() {
        let tx = g.input_tx[i];
        let mut j = i;
        while j < g.inputs() && g.input_tx[j] == tx {
            j += 1;
        }
        if j - i >= 2 {
            pairs.clear();
            for input in i..j {
                for s in g.ring(input) {
                    pairs.push((g.output_tx[g.members[s] as usize], input as u32, s));
                }
            }
            pairs.sort_unstable();
            let mut a = 0;
            while a < pairs.len() {
                let mut b = a;
                while b < pairs.len() && pairs[b].0 == pairs[a].0 {
                    b += 1;
                }
                if pairs[a].1 != pairs[b - 1].1 {
                    pairs[a..b].iter().for_each(|p| flags[p.2] = true);
                }
                a = b;
            }
        }
        i = j;
    }
    flags
}
