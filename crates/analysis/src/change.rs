//! Change detection: named rules that each pick the output of a transaction that
//! returns to its sender, or abstain. Each is small, tested, switchable, and
//! evaluated alone against ground truth (`eval`).
//!
//! Sources:
//! - one-time change: Meiklejohn et al., "A Fistful of Bitcoins" (IMC 2013): the one
//!   output whose address appears for the first time is the change, if no output
//!   goes back to an input address.
//! - address type: the change has the script type of the inputs (BlockSci's
//!   `isDeanonTx`; Kalodner et al. 2017).
//! - round value: a payment is often a round amount, its change is not (Nick, "Data-
//!   driven de-anonymization in Bitcoin", 2015).
//! - optimal change: an output smaller than every input is the change, or an input
//!   would have been unnecessary (Nick 2015).
//! - fingerprint: the change is spent later by the same wallet software: the output
//!   whose spending transaction has this one's version, lock-time style and RBF
//!   signalling, when the others' spenders do not (Möser & Narayanan, "Resurrecting
//!   Address Clustering in Bitcoin", 2022).
//! - reuse: an output paying one of the input addresses is change (Meiklejohn 2013).

use chain::script::ScriptClass;
use std::fmt;
use std::str::FromStr;

/// A change heuristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeHeuristic {
    /// One-time change (the only new address).
    OneTime,
    /// The only output of the inputs' script type.
    AddressType,
    /// The only non-round output.
    RoundValue,
    /// The only output smaller than every input.
    Optimal,
    /// The only output spent by the same wallet software.
    Fingerprint,
    /// The only output back to an input address.
    Reuse,
}

impl ChangeHeuristic {
    /// Every change heuristic.
    pub const ALL: [ChangeHeuristic; 6] =
        [Self::OneTime, Self::AddressType, Self::RoundValue, Self::Optimal, Self::Fingerprint, Self::Reuse];

    /// The name on the command line (`change:one-time`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::OneTime => "change:one-time",
            Self::AddressType => "change:address-type",
            Self::RoundValue => "change:round-value",
            Self::Optimal => "change:optimal",
            Self::Fingerprint => "change:fingerprint",
            Self::Reuse => "change:reuse",
        }
    }

    /// The change output of `tx` by this rule, if it decides.
    pub fn detect(self, tx: &ChangeView<'_>) -> Option<usize> {
        if tx.outputs.len() < 2 || tx.inputs.is_empty() {
            return None;
        }
        let only = |pred: &dyn Fn(&ChangeOutput) -> bool| -> Option<usize> {
            let mut found = None;
            for (i, o) in tx.outputs.iter().enumerate() {
                if pred(o) {
                    if found.is_some() {
                        return None;
                    }
                    found = Some(i);
                }
            }
            found
        };
        let pays_input = |o: &ChangeOutput| tx.inputs.iter().any(|i| i.address == o.address);
        match self {
            Self::OneTime => {
                if tx.outputs.iter().any(pays_input) {
                    return None;
                }
                only(&|o| o.first_seen)
            }
            Self::AddressType => {
                let class = tx.inputs[0].class;
                if tx.inputs.iter().any(|i| i.class != class) {
                    return None;
                }
                only(&|o| o.class == class)
            }
            Self::RoundValue => only(&|o| !is_round(o.value)).filter(|_| tx.outputs.iter().any(|o| is_round(o.value))),
            Self::Optimal => {
                let smallest = tx.inputs.iter().map(|i| i.value).min()?;
                only(&|o| o.value < smallest)
            }
            Self::Fingerprint => {
                // Decide only once every output is spent: the answer must not change
                // as the chain grows.
                if tx.outputs.iter().any(|o| o.spender.is_none()) {
                    return None;
                }
                let same = |o: &ChangeOutput| o.spender == Some(tx.fingerprint);
                only(&same).filter(|_| tx.outputs.iter().any(|o| !same(o)))
            }
            Self::Reuse => only(&pays_input),
        }
    }
}

impl fmt::Display for ChangeHeuristic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown heuristic name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown heuristic {0:?} (expected multi-input, {names})", names = ChangeHeuristic::ALL.map(|h| h.name()).join(", "))]
pub struct ParseHeuristicError(pub String);

impl FromStr for ChangeHeuristic {
    type Err = ParseHeuristicError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|h| h.name() == s).ok_or_else(|| ParseHeuristicError(s.to_owned()))
    }
}

/// A value that looks like a chosen amount: a whole number of 0.0001 BTC.
pub fn is_round(value: u64) -> bool {
    value > 0 && value.is_multiple_of(10_000)
}

/// What the software that built a transaction leaves in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// nVersion.
    pub version: u32,
    /// True when nLockTime is set (anti-fee-sniping wallets).
    pub lock_time_set: bool,
    /// True when an input signals replace-by-fee.
    pub rbf: bool,
}

/// An input as change heuristics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeInput {
    /// Address id spent from.
    pub address: u32,
    /// Value spent.
    pub value: u64,
    /// Class of the spent output.
    pub class: ScriptClass,
}

/// An output as change heuristics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeOutput {
    /// Address id paid.
    pub address: u32,
    /// Value.
    pub value: u64,
    /// Script class.
    pub class: ScriptClass,
    /// True when this output is the first ever to pay its address.
    pub first_seen: bool,
    /// The fingerprint of the transaction that spends it, if spent.
    pub spender: Option<Fingerprint>,
}

/// A transaction as change heuristics see it.
#[derive(Debug, Clone, Copy)]
pub struct ChangeView<'a> {
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
    /// Inputs (all resolved).
    pub inputs: &'a [ChangeInput],
    /// Outputs (OP_RETURN outputs left out).
    pub outputs: &'a [ChangeOutput],
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: Fingerprint = Fingerprint { version: 2, lock_time_set: true, rbf: true };
    const OTHER: Fingerprint = Fingerprint { version: 1, lock_time_set: false, rbf: false };

    fn input(address: u32, value: u64) -> ChangeInput {
        ChangeInput { address, value, class: ScriptClass::P2wpkh }
    }

    fn output(
        address: u32,
        value: u64,
        class: ScriptClass,
        first_seen: bool,
        spender: Option<Fingerprint>,
    ) -> ChangeOutput {
        ChangeOutput { address, value, class, first_seen, spender }
    }

    #[test]
    fn each_rule_picks_its_output() {
        let inputs = [input(1, 50_000_000), input(2, 30_000_000)];
        let outputs = [
            output(3, 60_000_000, ScriptClass::P2pkh, false, Some(OTHER)),
            output(4, 19_987_654, ScriptClass::P2wpkh, true, Some(FP)),
        ];
        let tx = ChangeView { fingerprint: FP, inputs: &inputs, outputs: &outputs };
        for h in [
            ChangeHeuristic::OneTime,
            ChangeHeuristic::AddressType,
            ChangeHeuristic::RoundValue,
            ChangeHeuristic::Optimal,
            ChangeHeuristic::Fingerprint,
        ] {
            assert_eq!(h.detect(&tx), Some(1), "{h}");
        }
        assert_eq!(ChangeHeuristic::Reuse.detect(&tx), None);
    }

    #[test]
    fn rules_abstain_when_ambiguous() {
        let inputs = [input(1, 10_000_000)];
        let outputs = [
            output(1, 4_000_000, ScriptClass::P2wpkh, true, None),
            output(5, 5_000_000, ScriptClass::P2wpkh, true, Some(FP)),
        ];
        let tx = ChangeView { fingerprint: FP, inputs: &inputs, outputs: &outputs };
        assert_eq!(ChangeHeuristic::OneTime.detect(&tx), None, "pays an input address");
        assert_eq!(ChangeHeuristic::AddressType.detect(&tx), None, "both outputs match");
        assert_eq!(ChangeHeuristic::RoundValue.detect(&tx), None, "both round");
        assert_eq!(ChangeHeuristic::Optimal.detect(&tx), None, "both smaller than the input");
        assert_eq!(ChangeHeuristic::Fingerprint.detect(&tx), None, "an output is unspent");
        assert_eq!(ChangeHeuristic::Reuse.detect(&tx), Some(0));
    }

    #[test]
    fn names_parse_back() {
        for h in ChangeHeuristic::ALL {
            assert_eq!(h.name().parse::<ChangeHeuristic>().unwrap(), h);
        }
        assert!("change:magic".parse::<ChangeHeuristic>().is_err());
    }
}
