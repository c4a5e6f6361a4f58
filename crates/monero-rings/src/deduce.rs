//! Certain deductions: chain reaction and closed sets. A member they exclude is
//! not the real spend on any reading of the chain consistent with "each input
//! spends one member of its ring and each output is spent at most once".

use crate::graph::RingGraph;
use crate::rules::Rule;

/// Which members are still possible, and why the others are not.
#[derive(Debug, Clone)]
pub struct Deduction {
    /// Per member slot: still possible.
    pub alive: Vec<bool>,
    /// Per member slot: the rule that excluded it.
    pub excluded_by: Vec<Option<Rule>>,
    /// Inputs left with no possible member (inconsistent knowledge).
    pub conflicts: Vec<usize>,
}

impl Deduction {
    /// Every member possible.
    pub fn new(g: &RingGraph) -> Self {
        Self { alive: vec![true; g.members.len()], excluded_by: vec![None; g.members.len()], conflicts: Vec::new() }
    }

    /// Excludes slot `s` for `rule` (no-op if already excluded).
    pub fn exclude(&mut self, s: usize, rule: Rule) {
        if self.alive[s] {
            self.alive[s] = false;
            self.excluded_by[s] = Some(rule);
        }
    }

    /// The alive slots of input `i`.
    pub fn alive_slots<'a>(&'a self, g: &'a RingGraph, i: usize) -> impl Iterator<Item = usize> + 'a {
        g.ring(i).filter(move |&s| self.alive[s])
    }

    /// The member input `i` certainly spends, if only one is left.
    pub fn certain(&self, g: &RingGraph, i: usize) -> Option<usize> {
        let mut it = self.alive_slots(g, i);
        match (it.next(), it.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    }

    /// Chain reaction: an input with one possible member spends it, so that
    /// output is a decoy in every other ring; repeat to a fixed point.
    pub fn chain_reaction(&mut self, g: &RingGraph) {
        let mut left: Vec<u32> = (0..g.inputs()).map(|i| self.alive_slots(g, i).count() as u32).collect();
        let mut queue: Vec<usize> = (0..g.inputs()).filter(|&i| left[i] == 1).collect();
        let mut done = vec![false; g.inputs()];
        while let Some(i) = queue.pop() {
            if done[i] {
                continue;
            }
            done[i] = true;
            let Some(slot) = self.certain(g, i) else { continue };
            let o = g.members[slot] as usize;
            for &s in g.refs_of(o) {
                let j = g.slot_input[s] as usize;
                if j != i && self.alive[s] {
                    self.exclude(s, Rule::ChainReaction);
                    left[j] -= 1;
                    match left[j] {
                        1 => queue.push(j),
                        0 => self.conflicts.push(j),
                        _ => {}
                    }
                }
            }
        }
    }

    /// Closed sets, all at once: an edge (input, member) survives only if some
    /// assignment of distinct outputs to all inputs uses it. With a maximum
    /// matching M (Hopcroft-Karp) that covers every input, an unmatched edge
    /// (i, o) is usable iff o is unmatched or can reach an unmatched output by
    /// an alternating path, or i and o lie on one alternating cycle (the same
    /// strongly connected component) — the Dulmage-Mendelsohn decomposition.
    pub fn closed_sets(&mut self, g: &RingGraph) {
        let n = g.inputs();
        let matching = max_matching(g, &self.alive);
        if matching.iter().any(Option::is_none) {
            // No assignment covers every input: the knowledge given contradicts
            // the chain; deduce nothing more rather than something wrong.
            self.conflicts.extend((0..n).filter(|&i| matching[i].is_none()));
            return;
        }
        let mut owner = vec![u32::MAX; g.outputs()];
        for (i, m) in matching.iter().enumerate() {
            if let Some(s) = m {
                owner[g.members[*s] as usize] = i as u32;
            }
        }
        // Outputs (and inputs) that reach a free output: reverse search from the
        // free outputs named by some ring.
        let mut reach_out = vec![false; g.outputs()];
        let mut reach_in = vec![false; n];
        let mut stack: Vec<usize> = Vec::new();
        for o in 0..g.outputs() {
            if owner[o] == u32::MAX && !g.refs_of(o).is_empty() {
                reach_out[o] = true;
                stack.push(o);
            }
        }
        while let Some(o) = stack.pop() {
            for &s in g.refs_of(o) {
                let i = g.slot_input[s] as usize;
                if !self.alive[s] || matching[i] == Some(s) || reach_in[i] {
                    continue;
                }
                reach_in[i] = true;
                let mo = g.members[matching[i].unwrap_or(s)] as usize;
                if !reach_out[mo] {
                    reach_out[mo] = true;
                    stack.push(mo);
                }
            }
        }
        let comp = components(g, &self.alive, &matching, &owner, &reach_in);
        for i in 0..n {
            for s in g.ring(i) {
                let o = g.members[s] as usize;
                if !self.alive[s] || matching[i] == Some(s) || reach_out[o] {
                    continue;
                }
                let owner_i = owner[o] as usize;
                if comp[i] != comp[owner_i] {
                    self.exclude(s, Rule::ClosedSet);
                }
            }
        }
    }
}

/// Hopcroft-Karp over the alive edges: per input, the matched member slot.
fn max_matching(g: &RingGraph, alive: &[bool]) -> Vec<Option<usize>> {
    let mut m = Matching::new(g, alive);
    m.greedy_start();
    loop {
        if !m.layer_from_free_inputs() {
            break;
        }
        if !m.augment_along_layers() {
            break;
        }
    }
    m.match_in
}

/// Hopcroft-Karp state: the matching so far both ways, and the BFS layers.
struct Matching<'a> {
    g: &'a RingGraph,
    alive: &'a [bool],
    /// Per input: the matched member slot.
    match_in: Vec<Option<usize>>,
    /// Per output: the input matched to it (`u32::MAX`: free).
    match_out: Vec<u32>,
    /// Per input: its BFS layer (`u32::MAX`: none, or a dead end).
    dist: Vec<u32>,
}

impl<'a> Matching<'a> {
    /// Nothing matched yet.
    fn new(g: &'a RingGraph, alive: &'a [bool]) -> Self {
        let n = g.inputs();
        Self { g, alive, match_in: vec![None; n], match_out: vec![u32::MAX; g.outputs()], dist: vec![u32::MAX; n] }
    }

    /// Greedy start: each input takes its first alive member whose output is free.
    fn greedy_start(&mut self) {
        let (g, alive) = (self.g, self.alive);
        for (i, m) in self.match_in.iter_mut().enumerate() {
            for s in g.ring(i).filter(|&s| alive[s]) {
                let o = g.members[s] as usize;
                if self.match_out[o] == u32::MAX {
                    self.match_out[o] = i as u32;
                    *m = Some(s);
                    break;
                }
            }
        }
    }

    /// BFS layers from the free inputs; whether some free output can be reached
    /// (false too when no input is free).
    fn layer_from_free_inputs(&mut self) -> bool {
        let (g, alive) = (self.g, self.alive);
        let n = g.inputs();
        let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|&i| self.match_in[i].is_none()).collect();
        if queue.is_empty() {
            return false;
        }
        self.dist.iter_mut().for_each(|d| *d = u32::MAX);
        for &i in &queue {
            self.dist[i] = 0;
        }
        let mut found = false;
        while let Some(i) = queue.pop_front() {
            for s in g.ring(i).filter(|&s| alive[s]) {
                let j = self.match_out[g.members[s] as usize];
                if j == u32::MAX {
                    found = true;
                } else if self.dist[j as usize] == u32::MAX {
                    self.dist[j as usize] = self.dist[i] + 1;
                    queue.push_back(j as usize);
                }
            }
        }
        found
    }

    /// One phase: an augmenting path along the layers from each free input, if
    /// it has one; whether any was found.
    fn augment_along_layers(&mut self) -> bool {
        let n = self.g.inputs();
        let mut next: Vec<usize> = (0..n).map(|i| self.g.ring_start[i]).collect();
        let mut augmented = false;
        for root in 0..n {
            if self.match_in[root].is_some() {
                continue;
            }
            augmented |= self.augment_from(root, &mut next);
        }
        augmented
    }

    /// Iterative DFS along the layers from free input `root`, resuming each
    /// input's ring at `next`; flips the first augmenting path found.
    fn augment_from(&mut self, root: usize, next: &mut [usize]) -> bool {
        let (g, alive) = (self.g, self.alive);
        // `slots[k]` leads from `stack[k]` to `stack[k + 1]`.
        let mut stack = vec![root];
        let mut slots: Vec<usize> = Vec::new();
        while let Some(&i) = stack.last() {
            if next[i] == g.ring_start[i + 1] {
                self.dist[i] = u32::MAX;
                stack.pop();
                if !stack.is_empty() {
                    slots.pop();
                }
                continue;
            }
            let s = next[i];
            next[i] += 1;
            if !alive[s] {
                continue;
            }
            let j = self.match_out[g.members[s] as usize];
            if j == u32::MAX {
                slots.push(s);
                self.flip_path(&stack, &slots);
                return true;
            }
            if self.dist[j as usize] == self.dist[i] + 1 {
                slots.push(s);
                stack.push(j as usize);
            }
        }
        false
    }

    /// Matches each input on the path to the slot that leads on from it.
    fn flip_path(&mut self, stack: &[usize], slots: &[usize]) {
        for (&inp, &ps) in stack.iter().zip(slots) {
            self.match_in[inp] = Some(ps);
            self.match_out[self.g.members[ps] as usize] = inp as u32;
        }
    }
}

/// Strongly connected components of the alternating graph (input -> member
/// output over unmatched edges, output -> its matched input) restricted to
/// inputs that do not reach a free output; outputs are folded into their
/// matched input, so the graph is input -> input. Iterative Tarjan.
fn components(g: &RingGraph, alive: &[bool], matching: &[Option<usize>], owner: &[u32], skip: &[bool]) -> Vec<u32> {
    let n = g.inputs();
    let mut index = vec![u32::MAX; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![u32::MAX; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut counter = 0u32;
    let mut n_comp = 0u32;
    let succ = |i: usize, s: usize| -> Option<usize> {
        if !alive[s] || matching[i] == Some(s) {
            return None;
        }
        let o = owner[g.members[s] as usize];
        (o != u32::MAX && !skip[o as usize]).then_some(o as usize)
    };
    for root in 0..n {
        if index[root] != u32::MAX || skip[root] {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, g.ring_start[root])];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&(v, start)) = call.last() {
            let end = g.ring_start[v + 1];
            let mut pos = start;
            let mut child = None;
            while pos < end {
                let s = pos;
                pos += 1;
                let Some(w) = succ(v, s) else { continue };
                if index[w] == u32::MAX {
                    child = Some(w);
                    break;
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            }
            if let Some(top) = call.last_mut() {
                top.1 = pos;
            }
            if let Some(w) = child {
                index[w] = counter;
                low[w] = counter;
                counter += 1;
                stack.push(w);
                on_stack[w] = true;
                call.push((w, g.ring_start[w]));
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = n_comp;
                    if w == v {
                        break;
                    }
                }
                n_comp += 1;
            }
        }
    }
    comp
}
