//! On a simulated early-era chain (v1 transactions, rings of 1-3, cleartext
//! denominations), chain reaction plus closed sets deduce exactly what an
//! exhaustive search over every consistent assignment deduces, and none of it
//! is wrong.

use monero_index::{BlobDir, IngestOptions, Store, ingest};
use rings::eval::Truth;
use rings::{Analysis, Options, RingGraph, Rule};

/// Members used by at least one assignment of distinct outputs to all inputs of
/// a component, by backtracking (components of at most `limit` inputs).
fn exhaustive(g: &RingGraph, inputs: &[usize], usable: &mut [bool]) -> bool {
    fn go(
        g: &RingGraph,
        inputs: &[usize],
        k: usize,
        taken: &mut Vec<u64>,
        chosen: &mut Vec<usize>,
        usable: &mut [bool],
        found: &mut bool,
    ) {
        if k == inputs.len() {
            *found = true;
            chosen.iter().for_each(|&s| usable[s] = true);
            return;
        }
        for s in g.ring(inputs[k]) {
            let o = g.members[s];
            if taken.contains(&o) {
                continue;
            }
            taken.push(o);
            chosen.push(s);
            go(g, inputs, k + 1, taken, chosen, usable, found);
            taken.pop();
            chosen.pop();
        }
    }
    let mut found = false;
    go(g, inputs, 0, &mut Vec::new(), &mut Vec::new(), usable, &mut found);
    found
}

#[test]
fn deductions_equal_the_exhaustive_check() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = tmp.path().join("chain");
    let mut opts = sim::monero::MoneroSimOptions::new(sim::monero::MoneroEra::Early);
    opts.seed = 7;
    opts.length = sim::monero::MoneroLength::Inputs(1500);
    sim::monero::simulate_monero(&opts, &chain).unwrap();
    let index = tmp.path().join("index");
    ingest(&index, &mut BlobDir::new(&chain).unwrap(), &IngestOptions::default(), &|_, _| {}).unwrap();
    let store = Store::open(&index).unwrap();
    let g = RingGraph::from_store(&store);
    let truth = Truth::load(&store, &g, &std::fs::read_to_string(chain.join("ground_truth.json")).unwrap()).unwrap();
    let a = Analysis::run(&store, &Options { rules: vec![Rule::ChainReaction, Rule::ClosedSet], ..Options::default() })
        .unwrap();

    // Components of the input-output graph (union-find over inputs sharing outputs).
    let n = g.inputs();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while p[r] != r {
            r = p[r];
        }
        p[x] = r;
        r
    }
    for o in 0..g.outputs() {
        let refs = g.refs_of(o);
        for w in refs.windows(2) {
            let (x, y) =
                (find(&mut parent, g.slot_input[w[0]] as usize), find(&mut parent, g.slot_input[w[1]] as usize));
            parent[x] = y;
        }
    }
    let mut comps: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        let r = find(&mut parent, i);
        comps.entry(r).or_default().push(i);
    }
    let mut usable = vec![false; g.members.len()];
    let (mut checked, mut deduced) = (0, 0);
    for inputs in comps.values().filter(|c| c.len() <= 9) {
        assert!(exhaustive(&g, inputs, &mut usable), "a real chain has an assignment");
        for &i in inputs {
            for s in g.ring(i) {
                assert_eq!(
                    a.deduction.alive[s], usable[s],
                    "input {i} slot {s}: deduction and exhaustive search disagree"
                );
            }
            checked += 1;
            if a.deduction.certain(&g, i).is_some() {
                deduced += 1;
                assert_eq!(a.deduction.certain(&g, i), truth.real_slot[i], "a certain deduction is right");
            }
        }
    }
    // No deduction anywhere is wrong.
    for i in 0..n {
        assert!(truth.real_slot[i].is_none_or(|s| a.deduction.alive[s]), "input {i}: the real member was excluded");
    }
    let all_certain = (0..n).filter(|&i| a.deduction.certain(&g, i).is_some()).count();
    println!(
        "{checked} inputs in small components checked exhaustively, {deduced} deduced there; {all_certain} of {n} inputs deduced in all"
    );
    assert!(checked > 100 && all_certain > n / 3, "{checked} {all_certain}");
}
