//! Taint policies: how the tainted value entering a transaction is shared among
//! what leaves it. Each is a pure function of the transaction's values, tested on
//! the worked examples of docs/tracing.md.
//!
//! Forward, taint enters through inputs and leaves through outputs and the fee.
//! Backward, taint sits on outputs and is traced to the inputs that funded them.

use std::fmt;
use std::str::FromStr;

/// A taint policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Every output of a transaction with a tainted input is wholly tainted (and the
    /// whole fee). Taint is not conserved: it can only grow.
    Poison,
    /// Taint is shared in proportion to value: each output (and the fee) gets the
    /// tainted share of the inputs.
    Haircut,
    /// First in, first out: the inputs' satoshis, in input order, pay the outputs in
    /// output order and then the fee; tainted satoshis keep their place. Lossless.
    Fifo,
    /// Taint in, highest out: the fee takes its proportional share, then the rest of
    /// the taint fills the outputs from the largest down.
    Tiho,
}

impl Policy {
    /// Every policy.
    pub const ALL: [Policy; 4] = [Self::Poison, Self::Haircut, Self::Fifo, Self::Tiho];

    /// Its name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Poison => "poison",
            Self::Haircut => "haircut",
            Self::Fifo => "fifo",
            Self::Tiho => "tiho",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown policy name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy {0:?} (expected poison, haircut, fifo or tiho)")]
pub struct ParsePolicyError(pub String);

impl FromStr for Policy {
    type Err = ParsePolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| ParsePolicyError(s.to_owned()))
    }
}

/// The taint a coin carries: an amount in satoshis and, under FIFO, which of its
/// satoshis (sorted, disjoint half-open ranges within `[0, value)`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Taint {
    /// Tainted satoshis (fractional under haircut and TIHO).
    pub amount: f64,
    /// Under FIFO, the tainted satoshis' positions; empty otherwise.
    pub ranges: Vec<(u64, u64)>,
}

impl Taint {
    /// A coin of `value` tainted whole.
    pub fn whole(policy: Policy, value: u64) -> Self {
        let ranges = if policy == Policy::Fifo && value > 0 { vec![(0, value)] } else { Vec::new() };
        Self { amount: value as f64, ranges }
    }

    /// An amount (no positions).
    pub fn amount(amount: f64) -> Self {
        Self { amount, ranges: Vec::new() }
    }

    /// Adds another share of taint on the same coin.
    pub fn absorb(&mut self, other: Taint) {
        self.amount += other.amount;
        if !other.ranges.is_empty() {
            self.ranges.extend(other.ranges);
            self.ranges.sort_unstable();
            merge_ranges(&mut self.ranges);
        }
    }
}

fn merge_ranges(ranges: &mut Vec<(u64, u64)>) {
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for &(a, b) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    *ranges = merged;
}

/// Where the taint entering a transaction goes, forward: a share per output (`None`
/// for untainted) and the fee's share.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Per output.
    pub outputs: Vec<Option<Taint>>,
    /// The fee's share.
    pub fee: f64,
}

/// Shares the taint of `tainted` inputs (position, taint) among `outputs` and the
/// fee, forward. `inputs` are the input values in order; the fee is what the inputs
/// hold beyond the outputs. Only FIFO reads each input: for the other policies a
/// caller may pass the total alone (`&[total]`).
pub fn forward(policy: Policy, inputs: &[u64], tainted: &[(usize, Taint)], outputs: &[u64]) -> Split {
    let mut split = Split { outputs: Vec::new(), fee: 0.0 };
    forward_into(policy, inputs, tainted, outputs, &mut split);
    split
}

/// [`forward`] into a reused [`Split`] (the tracer's loop: no allocation per
/// transaction under poison and haircut).
pub fn forward_into(policy: Policy, inputs: &[u64], tainted: &[(usize, Taint)], outputs: &[u64], split: &mut Split) {
    let total_in: u64 = inputs.iter().sum();
    let total_out: u64 = outputs.iter().sum();
    let fee = total_in.saturating_sub(total_out);
    let taint: f64 = tainted.iter().map(|(_, t)| t.amount).sum();
    split.outputs.clear();
    split.fee = 0.0;
    if taint <= 0.0 {
        split.outputs.resize(outputs.len(), None);
        return;
    }
    match policy {
        Policy::Poison => {
            split.outputs.extend(outputs.iter().map(|&v| (v > 0).then(|| Taint::amount(v as f64))));
            split.fee = fee as f64;
        }
        Policy::Haircut => {
            let part =
                |v: u64| if total_in == 0 { 0.0 } else { v as f64 * taint.min(total_in as f64) / total_in as f64 };
            split.outputs.extend(outputs.iter().map(|&v| (v > 0).then(|| Taint::amount(part(v)))));
            split.fee = part(fee);
        }
        Policy::Fifo => {
            let (shares, beyond) = cut_tape(&tape(inputs, tainted), outputs);
            split.outputs = shares;
            split.fee = beyond;
        }
        Policy::Tiho => {
            let fee_share = if total_in == 0 { 0.0 } else { fee as f64 * taint.min(total_in as f64) / total_in as f64 };
            split.outputs = fill_largest(taint - fee_share, outputs);
            split.fee = fee_share;
        }
    }
}

/// Traces the taint of `tainted` outputs (position, taint) back to the `inputs`
/// that funded them: a share per input (`None` for untainted).
pub fn backward(policy: Policy, inputs: &[u64], outputs: &[u64], tainted: &[(usize, Taint)]) -> Vec<Option<Taint>> {
    let total_in: u64 = inputs.iter().sum();
    let taint: f64 = tainted.iter().map(|(_, t)| t.amount).sum();
    if taint <= 0.0 {
        return vec![None; inputs.len()];
    }
    match policy {
        Policy::Poison => inputs.iter().map(|&v| (v > 0).then(|| Taint::amount(v as f64))).collect(),
        Policy::Haircut => {
            // Every output is funded by the inputs in proportion to their values.
            inputs.iter().map(|&v| (v > 0).then(|| Taint::amount(v as f64 * taint / total_in as f64))).collect()
        }
        Policy::Fifo => {
            // The tainted outputs' satoshis sit at the same places of the inputs' tape.
            cut_tape(&tape(outputs, tainted), inputs).0
        }
        Policy::Tiho => fill_largest(taint, inputs),
    }
}

/// The tainted ranges of coins laid end to end in order (the "tape"), sorted.
fn tape(values: &[u64], tainted: &[(usize, Taint)]) -> Vec<(u64, u64)> {
    let mut offsets = Vec::with_capacity(values.len());
    let mut at = 0u64;
    for &v in values {
        offsets.push(at);
        at += v;
    }
    let mut tape: Vec<(u64, u64)> = tainted
        .iter()
        .flat_map(|(k, t)| {
            let offset = offsets[*k];
            t.ranges.iter().map(move |&(a, b)| (offset + a, offset + b))
        })
        .collect();
    tape.sort_unstable();
    tape
}

/// Cuts sorted tape ranges by consecutive segments of `values`: the ranges falling
/// in each segment (relative to it), and the amount beyond the last segment.
fn cut_tape(tape: &[(u64, u64)], values: &[u64]) -> (Vec<Option<Taint>>, f64) {
    let mut out = Vec::with_capacity(values.len());
    let mut start = 0u64;
    let mut r = 0;
    for &v in values {
        let end = start + v;
        let mut ranges = Vec::new();
        // Ranges wholly before this segment were consumed by earlier ones.
        while r < tape.len() && tape[r].1 <= start {
            r += 1;
        }
        let mut k = r;
        while k < tape.len() && tape[k].0 < end {
            let (a, b) = (tape[k].0.max(start), tape[k].1.min(end));
            if a < b {
                ranges.push((a - start, b - start));
            }
            k += 1;
        }
        merge_ranges(&mut ranges);
        let amount: u64 = ranges.iter().map(|(a, b)| b - a).sum();
        out.push((amount > 0).then_some(Taint { amount: amount as f64, ranges }));
        start = end;
    }
    let beyond: u64 = tape.iter().map(|&(a, b)| b.saturating_sub(a.max(start))).sum();
    (out, beyond as f64)
}

/// Fills `values` with `amount`, largest first (ties: earlier first).
fn fill_largest(mut amount: f64, values: &[u64]) -> Vec<Option<Taint>> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].cmp(&values[a]).then(a.cmp(&b)));
    let mut out = vec![None; values.len()];
    for k in order {
        if amount <= 0.0 {
            break;
        }
        let take = amount.min(values[k] as f64);
        if take > 0.0 {
            out[k] = Some(Taint::amount(take));
        }
        amount -= take;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(split: &[Option<Taint>]) -> Vec<f64> {
        split.iter().map(|t| t.as_ref().map_or(0.0, |t| t.amount)).collect()
    }

    /// The worked example of docs/tracing.md: inputs 6 (tainted) and 4 (clean), outputs
    /// 3, 5 and 1, fee 1.
    fn example(policy: Policy) -> Split {
        forward(policy, &[6, 4], &[(0, Taint::whole(policy, 6))], &[3, 5, 1])
    }

    #[test]
    fn poison_taints_every_output_and_the_fee() {
        let s = example(Policy::Poison);
        assert_eq!((amounts(&s.outputs), s.fee), (vec![3.0, 5.0, 1.0], 1.0));
    }

    #[test]
    fn haircut_shares_in_proportion() {
        let s = example(Policy::Haircut);
        assert_eq!((amounts(&s.outputs), s.fee), (vec![1.8, 3.0, 0.6], 0.6));
    }

    #[test]
    fn fifo_keeps_the_order_and_loses_nothing() {
        let s = example(Policy::Fifo);
        // Tape: input 0 is [0, 6), tainted; outputs take [0,3), [3,8), [8,9); fee [9,10).
        assert_eq!((amounts(&s.outputs), s.fee), (vec![3.0, 3.0, 0.0], 0.0));
        assert_eq!(s.outputs[1].as_ref().unwrap().ranges, vec![(0, 3)]);
        // The clean input first: the taint lands later on the tape, and pays the fee.
        let s = forward(Policy::Fifo, &[4, 6], &[(1, Taint::whole(Policy::Fifo, 6))], &[3, 5, 1]);
        assert_eq!((amounts(&s.outputs), s.fee), (vec![0.0, 4.0, 1.0], 1.0));
        assert_eq!(s.outputs[1].as_ref().unwrap().ranges, vec![(1, 5)]);
    }

    #[test]
    fn fifo_follows_partly_tainted_coins() {
        // Input 0 (value 10) is tainted on [2, 4) and [7, 10); outputs 5 and 5.
        let tainted = Taint { amount: 5.0, ranges: vec![(2, 4), (7, 10)] };
        let s = forward(Policy::Fifo, &[10], &[(0, tainted)], &[5, 5]);
        assert_eq!(s.outputs[0].as_ref().unwrap().ranges, vec![(2, 4)]);
        assert_eq!(s.outputs[1].as_ref().unwrap().ranges, vec![(2, 5)]);
        assert_eq!(s.fee, 0.0);
    }

    #[test]
    fn tiho_fills_the_largest_outputs_after_the_fee_share() {
        let s = example(Policy::Tiho);
        // Fee share 6/10 of 1 = 0.6; the remaining 5.4 fills 5 then 0.4 of the 3.
        let got = amounts(&s.outputs);
        assert!((got[0] - 0.4).abs() < 1e-9 && got[1] == 5.0 && got[2] == 0.0, "{got:?}");
        assert!((s.fee - 0.6).abs() < 1e-9);
    }

    #[test]
    fn conserving_policies_conserve() {
        for policy in [Policy::Haircut, Policy::Fifo, Policy::Tiho] {
            let s = forward(
                policy,
                &[700, 300, 1_000],
                &[(0, Taint::whole(policy, 700)), (2, Taint::whole(policy, 1_000))],
                &[900, 50, 1_000],
            );
            let total: f64 = amounts(&s.outputs).iter().sum::<f64>() + s.fee;
            assert!((total - 1_700.0).abs() < 1e-6, "{policy}: {total}");
        }
    }

    #[test]
    fn backward_traces_outputs_to_their_funding() {
        // Inputs 6 and 4; output 1 (value 5) is tainted; outputs 3, 5, 1 and fee 1.
        let back = |p: Policy| amounts(&backward(p, &[6, 4], &[3, 5, 1], &[(1, Taint::whole(p, 5))]));
        assert_eq!(back(Policy::Poison), vec![6.0, 4.0]);
        assert_eq!(back(Policy::Haircut), vec![3.0, 2.0]);
        // Output 1 is [3, 8) of the tape: 3 from input 0, 2 from input 1.
        assert_eq!(back(Policy::Fifo), vec![3.0, 2.0]);
        assert_eq!(back(Policy::Tiho), vec![5.0, 0.0]);
    }

    #[test]
    fn names_parse_back() {
        for p in Policy::ALL {
            assert_eq!(p.name().parse::<Policy>(), Ok(p));
        }
        assert!("taint".parse::<Policy>().is_err());
    }
}
