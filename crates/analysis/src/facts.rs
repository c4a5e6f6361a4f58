//! Reading a transaction's facts out of the index for the classifiers and the
//! change heuristics, with buffers reused from one transaction to the next.

use crate::change::{ChangeInput, ChangeOutput, ChangeView, Fingerprint};
use crate::coinjoin::{InputShape, OutputShape, TxShape};
use chain::script::ScriptClass;
use index::{InNum, Index, OutNum, Spent, TxNum};

/// The fingerprint of a transaction, packed in a byte: bits 0-1 the version (1, 2,
/// or 3 for anything else), bit 2 lock time set, bit 3 replace-by-fee signalled.
/// 0 means unknown.
pub fn pack_fingerprint(fp: Fingerprint) -> u8 {
    let version = match fp.version {
        1 => 1,
        2 => 2,
        _ => 3,
    };
    version | u8::from(fp.lock_time_set) << 2 | u8::from(fp.rbf) << 3
}

/// Unpacks [`pack_fingerprint`].
pub fn unpack_fingerprint(code: u8) -> Option<Fingerprint> {
    (code != 0).then_some(Fingerprint {
        version: u32::from(code & 3),
        lock_time_set: code & 4 != 0,
        rbf: code & 8 != 0,
    })
}

/// The fingerprint of indexed transaction `t`.
pub fn fingerprint(index: &Index, t: TxNum) -> Fingerprint {
    let row = index.tx(t);
    let rbf = row.inputs.clone().any(|i| index.sequence(InNum(i)) < 0xffff_fffe);
    let version = match row.version {
        1 | 2 => row.version,
        _ => 3,
    };
    Fingerprint { version, lock_time_set: row.lock_time != 0, rbf }
}

/// Where the facts of a spender come from: for bulk passes, a precomputed packed
/// fingerprint per input; for single lookups, the index itself.
pub trait SpenderFingerprints {
    /// The packed fingerprint of the transaction holding input `input`.
    fn of_input(&self, index: &Index, input: u64) -> u8;
}

/// Looks spenders up in the index (a binary search per output).
pub struct Lookup;

impl SpenderFingerprints for Lookup {
    fn of_input(&self, index: &Index, input: u64) -> u8 {
        pack_fingerprint(fingerprint(index, index.input_tx(index::InNum(input))))
    }
}

impl SpenderFingerprints for [u8] {
    fn of_input(&self, _: &Index, input: u64) -> u8 {
        self[input as usize]
    }
}

/// A transaction's facts, in reusable buffers.
#[derive(Debug, Default)]
pub struct TxFacts {
    /// Its number.
    pub tx: TxNum,
    /// True for a coinbase.
    pub coinbase: bool,
    /// True when every input spends an indexed output.
    pub resolved: bool,
    /// Its fingerprint.
    pub fingerprint: Option<Fingerprint>,
    version: u32,
    lock_time: u32,
    height: u32,
    shape_inputs: Vec<InputShape>,
    shape_outputs: Vec<OutputShape>,
    /// Inputs for the change heuristics (resolved ones).
    pub change_inputs: Vec<ChangeInput>,
    /// Outputs for the change heuristics (OP_RETURN left out), with their output numbers.
    pub change_outputs: Vec<ChangeOutput>,
    /// Output number of each entry of `change_outputs`.
    pub change_output_numbers: Vec<u64>,
}

impl TxFacts {
    /// Reads transaction `t`. The fingerprints of its outputs' spenders (for the
    /// fingerprint heuristic) come from `spenders`; without it they are left unknown,
    /// which saves a random read per output.
    pub fn load(&mut self, index: &Index, t: TxNum, spenders: Option<&dyn SpenderFingerprints>) {
        self.tx = t;
        let (ins, outs) = (index.tx_inputs(t), index.tx_outputs(t));
        let (first_in, end_in, first_out, end_out) = (ins.start, ins.end, outs.start, outs.end);
        self.version = index.version(t);
        self.lock_time = index.lock_time(t);
        self.height = 0;
        self.shape_inputs.clear();
        self.shape_outputs.clear();
        self.change_inputs.clear();
        self.change_outputs.clear();
        self.change_output_numbers.clear();
        self.coinbase = false;
        self.resolved = true;
        let mut rbf = false;
        for i in first_in..end_in {
            rbf |= index.sequence(InNum(i)) < 0xffff_fffe;
            match index.spent(InNum(i)) {
                Spent::Coinbase => {
                    self.coinbase = true;
                    self.shape_inputs.push(InputShape { value: None, address: None });
                }
                Spent::Unresolved => {
                    self.resolved = false;
                    self.shape_inputs.push(InputShape { value: None, address: None });
                }
                Spent::Output(o) => {
                    let (value, address, class) = (index.value(o), index.output_address(o).0, index.output_class(o));
                    self.shape_inputs.push(InputShape { value: Some(value), address: Some(u64::from(address)) });
                    self.change_inputs.push(ChangeInput { address, value, class });
                }
            }
        }
        let version = match self.version {
            1 | 2 => self.version,
            _ => 3,
        };
        self.fingerprint = Some(Fingerprint { version, lock_time_set: self.lock_time != 0, rbf });
        for o in first_out..end_out {
            let o = OutNum(o);
            let (value, address, class) = (index.value(o), index.output_address(o).0, index.output_class(o));
            let data_len = if class == ScriptClass::NullData {
                index.address_key(index::AddrId(address)).data_len().unwrap_or(0)
            } else {
                0
            };
            self.shape_outputs.push(OutputShape { value, class, address: u64::from(address), data_len });
            if class == ScriptClass::NullData {
                continue;
            }

            let spender = spenders.and_then(|f| unpack_fingerprint(f.of_input(index, index.spent_by(o)?.0)));
            let first_seen = index.address_first_output(index::AddrId(address)) == o;
            self.change_outputs.push(ChangeOutput { address, value, class, first_seen, spender });
            self.change_output_numbers.push(o.0);
        }
    }

    /// Sets the height (for rules that read nLockTime against it).
    pub fn set_height(&mut self, height: u32) {
        self.height = height;
    }

    /// The shape the CoinJoin classifiers read.
    pub fn shape(&self) -> TxShape<'_> {
        TxShape {
            version: self.version,
            lock_time: self.lock_time,
            height: (self.height > 0).then_some(self.height),
            coinbase: self.coinbase,
            rbf: self.fingerprint.is_some_and(|f| f.rbf),
            inputs: &self.shape_inputs,
            outputs: &self.shape_outputs,
        }
    }

    /// The view the change heuristics read (only meaningful when `resolved`).
    pub fn change_view(&self) -> Option<ChangeView<'_>> {
        (self.resolved && !self.coinbase).then_some(ChangeView {
            fingerprint: self.fingerprint?,
            inputs: &self.change_inputs,
            outputs: &self.change_outputs,
        })
    }
}

/// A lone transaction as the classifiers see it, without prevout values: what
/// `decode tx` can judge. An input's address is known only through the public key
/// it reveals.
#[derive(Debug, Clone)]
pub struct LoneTx {
    version: u32,
    lock_time: u32,
    coinbase: bool,
    rbf: bool,
    inputs: Vec<InputShape>,
    outputs: Vec<OutputShape>,
}

impl LoneTx {
    /// Reads what `tx` shows of itself.
    pub fn of(tx: &chain::Transaction<'_>) -> Self {
        let inputs = tx
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| InputShape {
                value: None,
                address: revealed_key(input.script_sig, tx.witnesses.get(i).copied()),
            })
            .collect();
        let outputs = tx
            .outputs
            .iter()
            .map(|o| {
                let key = index::AddressKey::of_script(o.script_pubkey);
                let class = chain::script::script_class(o.script_pubkey);
                let data_len = if class == ScriptClass::NullData { op_return_len(o.script_pubkey) } else { 0 };
                OutputShape { value: o.value, class, address: key.fingerprint(), data_len }
            })
            .collect();
        Self {
            version: tx.info.version,
            lock_time: tx.info.lock_time,
            coinbase: tx.is_coinbase(),
            rbf: tx.inputs.iter().any(|i| i.sequence < 0xffff_fffe),
            inputs,
            outputs,
        }
    }

    /// The shape the classifiers read.
    pub fn shape(&self) -> TxShape<'_> {
        TxShape {
            version: self.version,
            lock_time: self.lock_time,
            height: None,
            coinbase: self.coinbase,
            rbf: self.rbf,
            inputs: &self.inputs,
            outputs: &self.outputs,
        }
    }
}

/// An identity of the public key a single-key spend reveals (P2PKH, P2WPKH, or
/// P2SH-P2WPKH: a signature then a 33- or 65-byte key), which stands for the spent
/// address: two inputs revealing one key spend one address. `None` for other spends.
fn revealed_key(script_sig: &[u8], witness: Option<chain::tx::Witness<'_>>) -> Option<u64> {
    let is_key = |item: &[u8]| matches!((item.len(), item.first()), (33, Some(2 | 3)) | (65, Some(4)));
    let key = match witness.filter(|w| !w.is_empty()) {
        Some(w) if w.len() == 2 => w.iter().nth(1).filter(|k| is_key(k))?,
        Some(_) => return None,
        None => {
            let pushes: Vec<&[u8]> =
                chain::script::Instructions::new(script_sig).map(|op| op.ok()?.data).collect::<Option<_>>()?;
            match pushes[..] {
                [_, key] if is_key(key) => key,
                _ => return None,
            }
        }
    };
    Some(u64::from_le_bytes(chain::hash::dsha256(key)[..8].try_into().ok()?))
}

/// Bytes pushed after the OP_RETURN of a null-data script.
fn op_return_len(script: &[u8]) -> usize {
    chain::script::Instructions::new(script.get(1..).unwrap_or_default())
        .filter_map(|op| op.ok()?.data)
        .map(<[u8]>::len)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_pack_and_unpack() {
        for version in [1, 2, 3] {
            for lock_time_set in [false, true] {
                for rbf in [false, true] {
                    let fp = Fingerprint { version, lock_time_set, rbf };
                    assert_eq!(unpack_fingerprint(pack_fingerprint(fp)), Some(fp));
                }
            }
        }
        assert_eq!(unpack_fingerprint(0), None);
    }
}
