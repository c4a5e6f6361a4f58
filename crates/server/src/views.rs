//! The JSON answers about one transaction, address or entity, shared by the command
//! line (`chainsleuth tx|address|entity --json`) and the HTTP API.

use analysis::Analysis;
use chain::Txid;
use index::{AddrId, AddressKey, InNum, Index, OutNum, Spent, TxNum};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use trace::Budget;

/// Why a view cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The input is malformed; names the field.
    #[error("{message}")]
    BadInput {
        /// The field (request parameter) at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Nothing of that name in the index.
    #[error("{0}")]
    NotFound(String),
    /// The view needs more work than its budget allows, or was cancelled.
    #[error("{0}")]
    Exceeded(#[from] trace::Exceeded),
}

/// A page of a long list: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Most rows.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

fn bad(field: &'static str, message: impl ToString) -> ViewError {
    ViewError::BadInput { field, message: message.to_string() }
}

/// A txid with the index of an output or input in it, as `txid:n`.
fn outpoint(index: &Index, tx: TxNum, n: u64) -> String {
    format!("{}:{n}", Txid(index.columns.tx_txid.get(tx.0)))
}

/// The spending transaction of an output.
fn spender(index: &Index, input: Option<InNum>) -> Value {
    input.map_or(Value::Null, |i| {
        let t = index.input_tx(i);
        json!({"txid": Txid(index.columns.tx_txid.get(t.0)), "vin": i.0 - index.columns.tx_first_input.get(t.0), "height": index.tx_height(t).0})
    })
}

/// A transaction: block, fee, sizes, inputs with what they spend, outputs with
/// their spenders, entities, CoinJoin verdict and peel-chain position.
///
/// # Errors
/// A malformed txid, or one the index does not hold.
pub fn tx(index: &Index, analysis: Option<&Analysis>, txid: &str) -> Result<Value, ViewError> {
    let txid: Txid = txid.trim().parse().map_err(|e| bad("txid", e))?;
    let t = index
        .tx_by_txid(&txid)
        .ok_or_else(|| ViewError::NotFound(format!("transaction {txid} is not in the index")))?;
    let row = index.tx(t);
    let block_hash = index.block(row.height).map(|b| b.header.hash);
    // Outpoints of unresolved inputs are not in the columns: read them from the block.
    let outpoints = std::cell::OnceCell::new();
    let entity = |a: AddrId| analysis.and_then(|x| x.entity_of(a));
    let inputs: Vec<Value> = index
        .resolved_inputs(t)
        .enumerate()
        .map(|(n, (input, spent))| {
            let (prevout, value, address, owner) = match (input.spent, spent) {
                (Spent::Output(o), Some(out)) => {
                    let pt = index.output_tx(o);
                    let prevout = outpoint(index, pt, o.0 - index.columns.tx_first_output.get(pt.0));
                    (json!(prevout), json!(out.value), json!(index.address_text(out.address)), json!(entity(out.address)))
                }
                (Spent::Coinbase, _) => (Value::Null, Value::Null, Value::Null, Value::Null),
                _ => {
                    let prev = outpoints
                        .get_or_init(|| index.input_outpoints(t))
                        .as_ref()
                        .and_then(|o| o.get(n))
                        .map(|(txid, vout)| format!("{txid}:{vout}"));
                    (json!(prev), Value::Null, Value::Null, Value::Null)
                }
            };
            let status = match input.spent {
                Spent::Coinbase => "coinbase",
                Spent::Unresolved => "unresolved",
                Spent::Output(_) => "resolved",
            };
            json!({"n": n, "prevout": prevout, "value": value, "address": address, "entity": owner, "sequence": input.sequence, "status": status})
        })
        .collect();
    let outputs: Vec<Value> = row
        .outputs
        .clone()
        .enumerate()
        .map(|(n, o)| {
            let out = index.output(OutNum(o));
            json!({"n": n, "value": out.value, "address": index.address_text(out.address), "entity": entity(out.address), "class": out.class.name(), "spent_by": spender(index, out.spent_by)})
        })
        .collect();
    let value_out: u64 = row.outputs.clone().map(|o| index.columns.out_value.get(o)).sum();
    let mut facts = analysis::facts::TxFacts::default();
    facts.load(index, t, None);
    facts.set_height(row.height.0);
    let coinjoin = analysis::coinjoin::classify(&facts.shape());
    let peel = analysis::peel::peel_chain(index, t);
    Ok(json!({
        "txid": txid, "block_height": row.height.0, "block_hash": block_hash, "position": row.position,
        "coinbase": row.is_coinbase(index), "fee": row.fee, "size": row.size, "vsize": row.vsize(), "weight": row.weight,
        "version": row.version, "locktime": row.lock_time, "value_out": value_out,
        "coinjoin": coinjoin, "peel_chain": peel,
        "inputs": inputs, "outputs": outputs, "pool_crossings": pool_crossings(index, t),
    }))
}

/// Zcash: value the transaction moves into and out of each shielded pool, the
/// pool being the pseudo-entity on the other side (empty on Bitcoin).
fn pool_crossings(index: &Index, t: TxNum) -> Value {
    let rows: Vec<Value> = index
        .crossings(t)
        .iter()
        .map(|c| json!({"pool": c.pool.name(), "into_pool": c.into, "out_of_pool": c.out_of}))
        .collect();
    Value::Array(rows)
}

/// An address: class, entity, first and last seen, totals, unspent outputs and a
/// page of its history (newest first). Each history row costs a step of `budget`.
///
/// # Errors
/// An address of another network or malformed, one never paid in the index, or
/// one whose history exceeds `budget`.
pub fn address(
    index: &Index,
    analysis: Option<&Analysis>,
    text: &str,
    page: Page,
    budget: &Budget,
) -> Result<Value, ViewError> {
    let Page { limit, offset } = page;
    let network = index.network();
    let key = AddressKey::parse(text.trim(), network).map_err(|e| bad("address", e))?;
    let Some(id) = index.address_by_key(&key) else {
        return Err(ViewError::NotFound(format!("address {} has never been paid in the indexed chain", text.trim())));
    };
    let summary = index.address_summary(id);
    budget.charge(summary.history.len() as u64)?;
    let height_time = |t: TxNum| {
        let h = index.tx_height(t);
        let time = index.block(h).map(|b| b.header.time).unwrap_or(0);
        json!({"height": h.0, "time": time})
    };
    let history: Vec<Value> = summary
        .history
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|&(t, received, sent)| json!({"txid": Txid(index.columns.tx_txid.get(t.0)), "height": index.tx_height(t).0, "received": received, "sent": sent}))
        .collect();
    let unspent: Vec<Value> = summary
        .unspent
        .iter()
        .take(limit)
        .map(|&o| {
            let t = index.output_tx(o);
            json!({"txid": Txid(index.columns.tx_txid.get(t.0)), "vout": o.0 - index.columns.tx_first_output.get(t.0), "value": index.columns.out_value.get(o.0), "height": index.tx_height(t).0})
        })
        .collect();
    Ok(json!({
        "address": key.display(network), "class": key.class.name(), "address_id": id.0,
        "entity": analysis.and_then(|a| a.entity_of(id)),
        "first_seen": summary.history.first().map(|h| height_time(h.0)),
        "last_seen": summary.history.last().map(|h| height_time(h.0)),
        "tx_count": summary.history.len(),
        "total_received": summary.received, "total_sent": summary.sent, "balance": summary.balance(),
        "output_count": summary.outputs.len(), "unspent_count": summary.unspent.len(), "unspent": unspent,
        "history": history, "limit": limit, "offset": offset,
    }))
}

/// An entity (by id, or by one of its addresses): size, balance, first and last
/// seen, CoinJoins touched, and a page of its addresses. Each address and each
/// row of its history costs a step of `budget`.
///
/// # Errors
/// Without a clustering, for an id or address it does not cover, or for an
/// entity larger than `budget`.
pub fn entity(
    index: &Index,
    analysis: Option<&Analysis>,
    text: &str,
    page: Page,
    budget: &Budget,
) -> Result<Value, ViewError> {
    let Page { limit, offset } = page;
    let analysis = analysis.ok_or_else(|| {
        ViewError::NotFound("no clustering for this index: run `chainsleuth cluster` first".to_owned())
    })?;
    let text = text.trim();
    let entity = match text.parse::<u32>() {
        Ok(id) if analysis.is_entity(id) => id,
        Ok(id) => analysis
            .entity_of(AddrId(id))
            .ok_or_else(|| ViewError::NotFound(format!("no address {id} in the clustering")))?,
        Err(_) => {
            let key = AddressKey::parse(text, index.network()).map_err(|e| bad("entity", e))?;
            let id = index
                .address_by_key(&key)
                .ok_or_else(|| ViewError::NotFound(format!("address {text} is not in the index")))?;
            analysis.entity_of(id).ok_or_else(|| {
                ViewError::NotFound(format!("address {text} is newer than the clustering: run `chainsleuth cluster`"))
            })?
        }
    };
    let members: Vec<AddrId> = analysis.members(entity).collect();
    let (mut received, mut sent, mut first, mut last) = (0u64, 0u64, u32::MAX, 0u32);
    let mut coinjoins: BTreeSet<u64> = BTreeSet::new();
    budget.charge(members.len() as u64)?;
    for &a in &members {
        let summary = index.address_summary(a);
        budget.charge(summary.history.len() as u64)?;
        received += summary.received;
        sent += summary.sent;
        for &(t, _, _) in &summary.history {
            let h = index.tx_height(t).0;
            first = first.min(h);
            last = last.max(h);
            if analysis.coinjoin(t).is_some() {
                coinjoins.insert(t.0);
            }
        }
    }
    let listed: Vec<Value> = members.iter().skip(offset).take(limit).map(|&a| json!(index.address_text(a))).collect();
    let coinjoin_list: Vec<Value> = coinjoins
        .iter()
        .take(limit)
        .filter_map(|&t| {
            let (p, c) = analysis.coinjoin(TxNum(t))?;
            Some(json!({"txid": Txid(index.columns.tx_txid.get(t)), "protocol": p.name(), "confidence": c}))
        })
        .collect();
    Ok(json!({
        "entity": entity, "size": members.len(), "balance": received - sent,
        "total_received": received, "total_sent": sent,
        "first_seen": (first != u32::MAX).then_some(first), "last_seen": (first != u32::MAX).then_some(last),
        "coinjoins_touched": coinjoins.len(), "coinjoins": coinjoin_list,
        "addresses": listed, "limit": limit, "offset": offset,
    }))
}
