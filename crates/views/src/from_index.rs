//! Building the views from the index and the clustering.

use crate::{
    AddressView, BlockTx, BlockView, ChangeMark, CoinJoinMark, CoinJoinTouched, EntityView, HistoryRow, InputStatus,
    Membership, Page, PeelMark, PoolCrossing, SeenAt, Spender, TxInput, TxOutput, TxView, Unspent, ViewError,
};
use analysis::Analysis;
use chain::Txid;
use index::{AddrId, AddressKey, EntityId, InNum, Index, OutNum, Spent, TxNum};
use std::collections::BTreeSet;
use trace::Budget;

fn bad(field: &'static str, message: impl ToString) -> ViewError {
    ViewError::BadInput { field, message: message.to_string() }
}

/// The input spending an output, if any.
fn spender(index: &Index, input: Option<InNum>) -> Option<Spender> {
    input.map(|i| {
        let t = index.input_tx(i);
        Spender { txid: index.txid(t).to_string(), vin: index.vin(i), height: index.tx_height(t).0 }
    })
}

/// A transaction.
///
/// # Errors
/// A malformed txid, or one the index does not hold.
pub fn tx(index: &Index, analysis: Option<&Analysis>, txid: &str) -> Result<TxView, ViewError> {
    let txid: Txid = txid.trim().parse().map_err(|e| bad("txid", e))?;
    let t = index
        .tx_by_txid(&txid)
        .ok_or_else(|| ViewError::NotFound(format!("transaction {txid} is not in the index")))?;
    let row = index.tx(t);
    let entity = |a: AddrId| analysis.and_then(|x| x.entity_of(a));
    let mut facts = analysis::facts::TxFacts::default();
    facts.load(index, t, None);
    facts.set_height(row.height.0);
    let coinjoin = analysis::coinjoin::classify(&facts.shape()).map(|v| CoinJoinMark {
        protocol: v.protocol.name().to_owned(),
        confidence: v.confidence,
        reasons: v.reasons,
    });
    let outputs: Vec<TxOutput> = row
        .outputs
        .clone()
        .enumerate()
        .map(|(n, o)| {
            let out = index.output(OutNum(o));
            TxOutput {
                n,
                value: out.value,
                address: index.address_text(out.address),
                entity: entity(out.address),
                class: out.class.name().to_owned(),
                spent_by: spender(index, out.spent_by),
            }
        })
        .collect();
    // One block lookup (it sums the block's fees) for both its hash and its time.
    let header = index.block(row.height).map(|b| b.header);
    Ok(TxView {
        txid: txid.to_string(),
        block_height: row.height.0,
        block_hash: header.map(|h| h.hash.to_string()),
        block_time: header.map_or(0, |h| h.time),
        position: row.position,
        coinbase: row.is_coinbase(index),
        fee: row.fee,
        size: row.size,
        vsize: row.vsize(),
        weight: row.weight,
        version: row.version,
        locktime: row.lock_time,
        value_out: outputs.iter().map(|o| o.value).sum(),
        coinjoin,
        peel_chain: analysis::peel::peel_chain(index, t).map(|p| PeelMark { position: p.position, length: p.length }),
        change: analysis.and_then(|a| a.change(t)).map(|c| ChangeMark {
            vout: c.vout,
            probability: (c.probability * 1e4).round() / 1e4,
            heuristic: c.heuristic.to_owned(),
        }),
        inputs: tx_inputs(index, t, &entity),
        outputs,
        pool_crossings: index
            .crossings(t)
            .iter()
            .map(|c| PoolCrossing { pool: c.pool.name().to_owned(), into_pool: c.into, out_of_pool: c.out_of })
            .collect(),
    })
}

/// The inputs of transaction `t` with what they spend; the outpoints of
/// unresolved inputs (not in the columns) read from the block.
fn tx_inputs(index: &Index, t: TxNum, entity: &dyn Fn(AddrId) -> Option<EntityId>) -> Vec<TxInput> {
    let outpoints = std::cell::OnceCell::new();
    index
        .resolved_inputs(t)
        .enumerate()
        .map(|(n, (input, spent))| {
            let mut row = TxInput {
                n,
                prevout: None,
                value: None,
                address: None,
                entity: None,
                sequence: input.sequence,
                status: InputStatus::Resolved,
            };
            match (input.spent, spent) {
                (Spent::Output(o), Some(out)) => {
                    row.prevout = Some(index.outpoint_text(o));
                    row.value = Some(out.value);
                    row.address = Some(index.address_text(out.address));
                    row.entity = entity(out.address);
                }
                (Spent::Coinbase, _) => row.status = InputStatus::Coinbase,
                _ => {
                    row.status = InputStatus::Unresolved;
                    row.prevout = outpoints
                        .get_or_init(|| index.input_outpoints(t))
                        .as_ref()
                        .and_then(|o| o.get(n))
                        .map(|(txid, vout)| format!("{txid}:{vout}"));
                }
            }
            row
        })
        .collect()
}

/// An address and a page of its history (newest first). Each history row costs
/// a step of `budget`.
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
) -> Result<AddressView, ViewError> {
    let Page { limit, offset } = page;
    let network = index.network();
    let key = AddressKey::parse(text.trim(), network).map_err(|e| bad("address", e))?;
    let Some(id) = index.address_by_key(&key) else {
        return Err(ViewError::NotFound(format!("address {} has never been paid in the indexed chain", text.trim())));
    };
    let summary = index.address_summary(id);
    budget.charge(summary.history.len() as u64)?;
    let seen_at = |t: TxNum| {
        let height = index.tx_height(t);
        SeenAt { height: height.0, time: index.block(height).map_or(0, |b| b.header.time) }
    };
    let history = summary
        .history
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|&(t, received, sent)| HistoryRow {
            txid: index.txid(t).to_string(),
            height: index.tx_height(t).0,
            received,
            sent,
        })
        .collect();
    let unspent = summary
        .unspent
        .iter()
        .take(limit)
        .map(|&o| {
            let t = index.output_tx(o);
            Unspent {
                txid: index.txid(t).to_string(),
                vout: index.vout(o),
                value: index.value(o),
                height: index.tx_height(t).0,
            }
        })
        .collect();
    Ok(AddressView {
        address: key.display(network),
        class: key.class.name().to_owned(),
        address_id: id,
        entity: analysis.and_then(|a| a.entity_of(id)),
        first_seen: summary.history.first().map(|h| seen_at(h.0)),
        last_seen: summary.history.last().map(|h| seen_at(h.0)),
        tx_count: summary.history.len(),
        total_received: summary.received,
        total_sent: summary.sent,
        balance: summary.balance(),
        output_count: summary.outputs.len(),
        unspent_count: summary.unspent.len(),
        unspent,
        history,
        limit,
        offset,
    })
}

/// An entity (by id, or by one of its addresses) and a page of its addresses.
/// Each address and each row of its history costs a step of `budget`.
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
) -> Result<EntityView, ViewError> {
    let Page { limit, offset } = page;
    let analysis = analysis.ok_or_else(|| {
        ViewError::NotFound("no clustering for this index: run `chainsleuth cluster` first".to_owned())
    })?;
    let entity = find_entity(index, analysis, text.trim())?;
    let members: Vec<AddrId> = analysis.members(entity).collect();
    let (mut received, mut sent, mut first, mut last) = (0u64, 0u64, u32::MAX, 0u32);
    let mut coinjoins: BTreeSet<TxNum> = BTreeSet::new();
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
                coinjoins.insert(t);
            }
        }
    }
    let seen = first != u32::MAX;
    Ok(EntityView {
        entity,
        size: members.len(),
        balance: received - sent,
        total_received: received,
        total_sent: sent,
        first_seen: seen.then_some(first),
        last_seen: seen.then_some(last),
        coinjoins_touched: coinjoins.len(),
        coinjoins: coinjoins
            .iter()
            .take(limit)
            .filter_map(|&t| {
                let (p, confidence) = analysis.coinjoin(t)?;
                Some(CoinJoinTouched { txid: index.txid(t).to_string(), protocol: p.name().to_owned(), confidence })
            })
            .collect(),
        addresses: members.iter().skip(offset).take(limit).map(|&a| index.address_text(a)).collect(),
        members: members
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&a| membership(index, analysis, entity, a, members.len() == 1, budget))
            .collect::<Result<_, _>>()?,
        limit,
        offset,
    })
}

/// A block, by height or hash, and a page of its transactions.
///
/// # Errors
/// Neither a height nor a block hash, or a block the index does not hold.
pub fn block(index: &Index, analysis: Option<&Analysis>, text: &str, page: Page) -> Result<BlockView, ViewError> {
    let text = text.trim();
    let height = if let Ok(h) = text.parse::<u32>() {
        index::Height(h)
    } else {
        let hash: chain::BlockHash =
            text.parse().map_err(|_| bad("block", format!("{text:?} is neither a block height nor a block hash")))?;
        index.block_by_hash(&hash).ok_or_else(|| ViewError::NotFound(format!("block {hash} is not in the index")))?
    };
    let row = index
        .block(height)
        .ok_or_else(|| ViewError::NotFound(format!("no block at height {} in the index", height.0)))?;
    let txs = row
        .txs
        .clone()
        .skip(page.offset)
        .take(page.limit)
        .map(|t| {
            let t = TxNum(t);
            let tx = index.tx(t);
            BlockTx {
                txid: tx.txid.to_string(),
                inputs: tx.inputs.end - tx.inputs.start,
                outputs: tx.outputs.end - tx.outputs.start,
                value_out: tx.outputs.clone().map(|o| index.value(OutNum(o))).sum(),
                fee: if tx.is_coinbase(index) { None } else { tx.fee },
                coinjoin: analysis.and_then(|a| a.coinjoin(t)).map(|(p, _)| p.name().to_owned()),
            }
        })
        .collect();
    Ok(BlockView {
        height: height.0,
        hash: row.header.hash.to_string(),
        prev_hash: row.header.prev_hash.to_string(),
        time: row.header.time,
        size: row.size,
        tx_count: row.txs.end - row.txs.start,
        fees: row.fees,
        next_hash: index.block(index::Height(height.0.saturating_add(1))).map(|b| b.header.hash.to_string()),
        txs,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Why address `a` is in `entity`: the first of its transactions that links it
/// to another member (its outputs in order; for each, the transaction spending
/// it, then the one paying it). Each output costs a step of `budget`.
fn membership(
    index: &Index,
    analysis: &Analysis,
    entity: EntityId,
    a: AddrId,
    alone: bool,
    budget: &Budget,
) -> Result<Membership, ViewError> {
    let address = index.address_text(a);
    let mut row = Membership { address, link: "alone", txid: None, heuristic: None, probability: None };
    if alone {
        return Ok(row);
    }
    let member = |other: AddrId| other != a && analysis.entity_of(other) == Some(entity);
    let change_to = |t: TxNum| {
        let change = analysis.change(t)?;
        let o = OutNum(index.tx_outputs(t).start + u64::from(change.vout));
        Some((change, index.output(o).address))
    };
    let outputs = index.address_outputs(a);
    for &o in &outputs {
        budget.charge(1)?;
        let out = index.output(o);
        if let Some(i) = out.spent_by {
            let t = index.input_tx(i);
            let mut link = None;
            if analysis.coinjoin(t).is_none()
                && index.resolved_inputs(t).any(|(_, spent)| spent.is_some_and(|s| member(s.address)))
            {
                link = Some(("common-input", None));
            } else if let Some((change, _)) = change_to(t).filter(|&(_, to)| member(to)) {
                link = Some(("paid-change", Some(change)));
            }
            if let Some((kind, change)) = link {
                row.link = kind;
                row.txid = Some(index.txid(t).to_string());
                row.heuristic = change.map(|c| c.heuristic.to_owned());
                row.probability = change.map(|c| (c.probability * 1e4).round() / 1e4);
                return Ok(row);
            }
        }
        let t = index.output_tx(o);
        if let Some((change, to)) = change_to(t)
            && to == a
            && index.resolved_inputs(t).any(|(_, spent)| spent.is_some_and(|s| member(s.address)))
        {
            row.link = "change";
            row.txid = Some(index.txid(t).to_string());
            row.heuristic = Some(change.heuristic.to_owned());
            row.probability = Some((change.probability * 1e4).round() / 1e4);
            return Ok(row);
        }
    }
    Ok(row)
}

/// The entity `text` names: an entity id, an address id, or an address.
fn find_entity(index: &Index, analysis: &Analysis, text: &str) -> Result<EntityId, ViewError> {
    if let Ok(id) = text.parse::<u32>() {
        return analysis
            .entity(id)
            .or_else(|| analysis.entity_of(AddrId(id)))
            .ok_or_else(|| ViewError::NotFound(format!("no address {id} in the clustering")));
    }
    let key = AddressKey::parse(text, index.network()).map_err(|e| bad("entity", e))?;
    let id =
        index.address_by_key(&key).ok_or_else(|| ViewError::NotFound(format!("address {text} is not in the index")))?;
    analysis.entity_of(id).ok_or_else(|| {
        ViewError::NotFound(format!("address {text} is newer than the clustering: run `chainsleuth cluster`"))
    })
}
