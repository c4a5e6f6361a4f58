//! Zcash: the round-trip links that let a trace cross a shielded pool. Value
//! entering a pool goes on along the links from its shielding (each with its
//! confidence, `zcash::links`) and the rest stays there, reported as having
//! entered the pool; backward, likewise from a deshielding to the shieldings
//! that may have funded it.

use index::{AddrId, CrossingRow, Index, OutNum, TxNum};
use rustc_hash::FxHashMap;
use zcash::Pool;
use zcash::links::{Crossing, Crossings, Link, LinkOptions};

/// Round-trip links by transaction number, both ways.
#[derive(Debug, Default)]
pub struct PoolLinks {
    onward: FxHashMap<(TxNum, Pool), Vec<(TxNum, f64)>>,
    back: FxHashMap<(TxNum, Pool), Vec<(TxNum, f64)>>,
    /// Every link, as `zcash::links` gives them.
    pub links: Vec<Link>,
}

impl PoolLinks {
    /// Links every crossing of a Zcash index (none for Bitcoin's).
    pub fn from_index(index: &Index, options: &LinkOptions) -> Self {
        let (shieldings, deshieldings) = index_crossings(index);
        if shieldings.is_empty() || deshieldings.is_empty() {
            return Self::default();
        }
        let links = Crossings::from_lists(shieldings, deshieldings).links(options);
        let mut out = Self::default();
        let number = |hex: &str| index.tx_by_txid(&hex.parse().ok()?);
        for link in &links {
            let (Some(s), Some(d)) = (number(&link.shield_txid), number(&link.deshield_txid)) else { continue };
            out.onward.entry((s, link.pool)).or_default().push((d, link.confidence));
            out.back.entry((d, link.pool)).or_default().push((s, link.confidence));
        }
        out.links = links;
        out
    }

    /// Deshieldings that value shielded by transaction `t` into `pool` may have
    /// become, with each link's confidence.
    pub fn onward(&self, t: TxNum, pool: Pool) -> &[(TxNum, f64)] {
        self.onward.get(&(t, pool)).map_or(&[], Vec::as_slice)
    }

    /// Shieldings that may have funded deshielding `t` out of `pool`.
    pub fn back(&self, t: TxNum, pool: Pool) -> &[(TxNum, f64)] {
        self.back.get(&(t, pool)).map_or(&[], Vec::as_slice)
    }
}

/// The shieldings (value from transparent inputs into a pool; shieldings of
/// coinbase and of founders' reward outputs marked) and deshieldings (value out of a pool to transparent
/// outputs) of an index, in chain order.
pub fn index_crossings(index: &Index) -> (Vec<Crossing>, Vec<Crossing>) {
    let network = index.network();
    let (mut shieldings, mut deshieldings) = (Vec::new(), Vec::new());
    for (t, CrossingRow { pool, into, out_of }) in index.all_crossings() {
        let row = index.tx(t);
        let (txid, height) = (row.txid.0, row.height.0);
        if into > 0 && !row.inputs.is_empty() && !row.is_coinbase(index) {
            // What each input spends: its address, from a coinbase, a founders' reward output.
            let spent: Vec<(String, bool, bool)> = index
                .resolved_inputs(t)
                .map(|(_, output)| match output {
                    Some(o) => {
                        let address = t_address(index, o.address);
                        let coinbase = index.tx(index.output_tx(o.num)).is_coinbase(index);
                        let founders = coinbase && zcash::founders::is_founders(network, &address);
                        (address, coinbase, founders)
                    }
                    None => (String::new(), false, false),
                })
                .collect();
            let from_coinbase = spent.iter().all(|s| s.1);
            let from_founders = spent.iter().all(|s| s.2);
            let addresses = spent.into_iter().map(|s| s.0).filter(|a| !a.is_empty()).collect();
            let value = into;
            shieldings.push(Crossing { txid, height, pool, value, from_coinbase, from_founders, addresses });
        }
        if out_of > 0 && !row.outputs.is_empty() {
            let addresses = row
                .outputs
                .clone()
                .map(|o| t_address(index, index.output(OutNum(o)).address))
                .filter(|a| !a.is_empty())
                .collect();
            deshieldings.push(Crossing::deshielding(txid, height, pool, out_of, addresses));
        }
    }
    (shieldings, deshieldings)
}

/// The transparent address (P2PKH or P2SH) of an address id, as the blocks
/// path of `zcash::links` names it; empty for other scripts.
fn t_address(index: &Index, a: AddrId) -> String {
    use chain::script::ScriptClass::{P2pkh, P2sh};
    if matches!(index.address_key(a).class, P2pkh | P2sh) { index.address_text(a) } else { String::new() }
}
