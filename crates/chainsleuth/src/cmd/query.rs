//! `chainsleuth tx | address | block | status`: answers from the index.

use crate::cli::{AddressArgs, BlockArgs, StatusArgs, TxArgs};
use crate::output::{Table, btc, print_json, print_text};
use anyhow::{Context, anyhow, bail};
use chain::{BlockHash, Transaction, Txid};
use index::Spent;
use index::{AddrId, AddressKey, Height, InNum, Index, OutNum, TxNum};
use serde_json::{Value, json};
use std::fmt::Write as _;

fn open(location: &crate::cli::IndexLocation) -> anyhow::Result<Index> {
    let dir = location.dir();
    Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))
}

/// A txid with the index of an output or input in it, as `txid:n`.
fn outpoint(index: &Index, tx: TxNum, n: u64) -> String {
    format!("{}:{n}", Txid(index.columns.tx_txid.get(tx.0)))
}

/// The spending transaction of an output, as JSON.
fn spender(index: &Index, input: Option<InNum>) -> Value {
    input.map_or(Value::Null, |i| {
        let t = index.input_tx(i);
        json!({"txid": Txid(index.columns.tx_txid.get(t.0)), "vin": i.0 - index.columns.tx_first_input.get(t.0), "height": index.tx_height(t).0})
    })
}

/// `chainsleuth tx TXID`.
pub fn tx(args: &TxArgs) -> anyhow::Result<()> {
    let index = open(&args.index)?;
    let txid: Txid = args.txid.trim().parse().map_err(|e| anyhow!("{e}"))?;
    let t = index.tx_by_txid(&txid).ok_or_else(|| anyhow!("transaction {txid} is not in the index"))?;
    let row = index.tx(t);
    let network = index.network();
    let block_hash = index.block(row.height).map(|b| b.header.hash);
    // Outpoints of unresolved inputs are not in the columns: read them from the block.
    let raw = index.raw_tx(t);
    let decoded = raw.as_deref().and_then(|r| Transaction::decode(r).ok());
    let coinbase = row.is_coinbase(&index);
    let analysis = analysis::Analysis::open(&index)?;
    let entity = |a: index::AddrId| analysis.as_ref().and_then(|x| x.entity_of(a));
    let inputs: Vec<Value> = index
        .resolved_inputs(t)
        .enumerate()
        .map(|(n, (input, spent))| {
            let (prevout, value, address, owner) = match (input.spent, spent) {
                (Spent::Output(o), Some(out)) => {
                    let pt = index.output_tx(o);
                    let prevout = outpoint(&index, pt, o.0 - index.columns.tx_first_output.get(pt.0));
                    (json!(prevout), json!(out.value), json!(index.address_text(out.address)), json!(entity(out.address)))
                }
                (Spent::Coinbase, _) => (Value::Null, Value::Null, Value::Null, Value::Null),
                _ => {
                    let prev = decoded.as_ref().and_then(|d| d.inputs.get(n)).map(|i| format!("{}:{}", i.prev_txid(), i.prev_vout));
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
            json!({"n": n, "value": out.value, "address": index.address_text(out.address), "entity": entity(out.address), "class": out.class.name(), "spent_by": spender(&index, out.spent_by)})
        })
        .collect();
    let value_out: u64 = row.outputs.clone().map(|o| index.columns.out_value.get(o)).sum();
    let mut facts = analysis::facts::TxFacts::default();
    facts.load(&index, t, None);
    facts.set_height(row.height.0);
    let coinjoin = analysis::coinjoin::classify(&facts.shape());
    let peel = analysis::peel::peel_chain(&index, t);
    let json = json!({
        "txid": txid, "block_height": row.height.0, "block_hash": block_hash, "position": row.position,
        "coinbase": coinbase, "fee": row.fee, "size": row.size, "vsize": row.vsize(), "weight": row.weight,
        "version": row.version, "locktime": row.lock_time, "value_out": value_out,
        "coinjoin": coinjoin, "peel_chain": peel,
        "inputs": inputs, "outputs": outputs,
    });
    if args.json {
        return print_json(&json);
    }
    let mut s = String::new();
    let _ = writeln!(s, "txid        {txid}");
    let _ = writeln!(
        s,
        "block       height {} {} (position {})",
        row.height,
        block_hash.map(|h| h.to_string()).unwrap_or_default(),
        row.position
    );
    let fee = if coinbase {
        "coinbase".to_owned()
    } else {
        row.fee.map_or("unknown (unresolved inputs)".to_owned(), |f| {
            format!("{} BTC ({:.1} sat/vB)", btc(f), f as f64 / f64::from(row.vsize()))
        })
    };
    let _ = writeln!(s, "fee         {fee}");
    let _ = writeln!(s, "size        {} bytes, {} vbytes, weight {}", row.size, row.vsize(), row.weight);
    let _ = writeln!(s, "version     {}, locktime {}", row.version, row.lock_time);
    if let Some(v) = &coinjoin {
        let _ =
            writeln!(s, "coinjoin    {} (confidence {:.2}): {}", v.protocol.name(), v.confidence, v.reasons.join("; "));
    }
    if let Some(p) = peel {
        let _ = writeln!(s, "peel chain  hop {} of {}", p.position, p.length);
    }
    let mut t_in = Table::new(&["in", "prevout", "value (BTC)", "address"]);
    for i in &inputs {
        let prevout =
            i["prevout"].as_str().map_or_else(|| i["status"].as_str().unwrap_or("").to_owned(), str::to_owned);
        t_in.row(vec![
            i["n"].to_string(),
            prevout,
            i["value"].as_u64().map(btc).unwrap_or_default(),
            i["address"].as_str().unwrap_or("").to_owned(),
        ]);
    }
    let mut t_out = Table::new(&["out", "value (BTC)", "address", "spent by"]);
    for o in &outputs {
        let spent = match &o["spent_by"] {
            Value::Null => "unspent".to_owned(),
            sp => format!("{}:{}", sp["txid"].as_str().unwrap_or(""), sp["vin"]),
        };
        t_out.row(vec![
            o["n"].to_string(),
            btc(o["value"].as_u64().unwrap_or(0)),
            o["address"].as_str().unwrap_or("").to_owned(),
            spent,
        ]);
    }
    let _ = write!(s, "\n{}\n{}", t_in.render(), t_out.render());
    let _ = network;
    print_text(&s)
}

/// `chainsleuth address ADDR`.
pub fn address(args: &AddressArgs) -> anyhow::Result<()> {
    let index = open(&args.index)?;
    let network = index.network();
    let key = AddressKey::parse(args.address.trim(), network).map_err(|e| anyhow!("{e}"))?;
    let Some(id) = index.address_by_key(&key) else {
        bail!("address {} has never been paid in the indexed chain", args.address.trim());
    };
    let summary = index.address_summary(id);
    let height_time = |t: TxNum| {
        let h = index.tx_height(t);
        let time = index.block(h).map(|b| b.header.time).unwrap_or(0);
        json!({"height": h.0, "time": time})
    };
    let first = summary.history.first().map(|h| height_time(h.0));
    let last = summary.history.last().map(|h| height_time(h.0));
    let history: Vec<Value> = summary
        .history
        .iter()
        .rev()
        .skip(args.page.offset)
        .take(args.page.limit)
        .map(|&(t, received, sent)| json!({"txid": Txid(index.columns.tx_txid.get(t.0)), "height": index.tx_height(t).0, "received": received, "sent": sent}))
        .collect();
    let unspent: Vec<Value> = summary
        .unspent
        .iter()
        .take(args.page.limit)
        .map(|&o| {
            let t = index.output_tx(o);
            json!({"txid": Txid(index.columns.tx_txid.get(t.0)), "vout": o.0 - index.columns.tx_first_output.get(t.0), "value": index.columns.out_value.get(o.0), "height": index.tx_height(t).0})
        })
        .collect();
    let entity = analysis::Analysis::open(&index)?.and_then(|a| a.entity_of(id));
    let json = json!({
        "address": key.display(network), "class": key.class.name(), "address_id": id.0, "entity": entity,
        "first_seen": first, "last_seen": last, "tx_count": summary.history.len(),
        "total_received": summary.received, "total_sent": summary.sent, "balance": summary.balance(),
        "output_count": summary.outputs.len(), "unspent_count": summary.unspent.len(), "unspent": unspent,
        "history": history, "limit": args.page.limit, "offset": args.page.offset,
    });
    if args.json {
        return print_json(&json);
    }
    let mut s = String::new();
    let _ = writeln!(s, "address     {} ({}, id {})", json["address"].as_str().unwrap_or(""), key.class.name(), id.0);
    if let Some(e) = entity {
        let _ = writeln!(s, "entity      {e}");
    }
    let seen = |v: &Value| format!("height {}", v["height"]);
    let _ = writeln!(s, "first seen  {}", first.as_ref().map(seen).unwrap_or_default());
    let _ = writeln!(s, "last seen   {}", last.as_ref().map(seen).unwrap_or_default());
    let _ = writeln!(s, "txs         {}", summary.history.len());
    let _ = writeln!(s, "received    {} BTC in {} outputs", btc(summary.received), summary.outputs.len());
    let _ = writeln!(s, "sent        {} BTC", btc(summary.sent));
    let _ = writeln!(s, "balance     {} BTC in {} unspent outputs", btc(summary.balance()), summary.unspent.len());
    let mut table = Table::new(&["height", "txid", "received (BTC)", "sent (BTC)"]);
    for h in &history {
        table.row(vec![
            h["height"].to_string(),
            h["txid"].as_str().unwrap_or("").to_owned(),
            btc(h["received"].as_u64().unwrap_or(0)),
            btc(h["sent"].as_u64().unwrap_or(0)),
        ]);
    }
    let _ = write!(s, "\n{}", table.render());
    if summary.history.len() > args.page.offset + history.len() {
        let _ = writeln!(
            s,
            "... {} more (--offset {})",
            summary.history.len() - args.page.offset - history.len(),
            args.page.offset + history.len()
        );
    }
    let _ = AddrId(0);
    print_text(&s)
}

/// `chainsleuth block HEIGHT|HASH`.
pub fn block(args: &BlockArgs) -> anyhow::Result<()> {
    let index = open(&args.index)?;
    let text = args.block.trim();
    let height = match text.parse::<u32>() {
        Ok(h) if text.len() < 64 => Height(h),
        _ => {
            let hash: BlockHash = text.parse().map_err(|e| anyhow!("{e}"))?;
            index.block_by_hash(&hash).ok_or_else(|| anyhow!("block {hash} is not on the indexed chain"))?
        }
    };
    let row = index.block(height).ok_or_else(|| anyhow!("no block at height {} in the index", height))?;
    let h = &row.header;
    let txids: Vec<Txid> =
        row.txs.clone().skip(args.offset).take(args.limit).map(|t| Txid(index.columns.tx_txid.get(t))).collect();
    let json = json!({
        "height": height.0, "hash": h.hash, "version": h.version, "previousblockhash": h.prev_hash,
        "merkleroot": h.merkle_root, "time": h.time, "bits": format!("{:08x}", h.bits), "nonce": h.nonce,
        "difficulty": h.difficulty(), "size": row.size, "tx_count": row.txs.end - row.txs.start, "total_fees": row.fees,
        "txids": txids, "limit": args.limit, "offset": args.offset,
    });
    if args.json {
        return print_json(&json);
    }
    let mut s = String::new();
    let _ = writeln!(s, "height      {}", height);
    let _ = writeln!(s, "hash        {}", h.hash);
    let _ = writeln!(s, "previous    {}", h.prev_hash);
    let _ = writeln!(s, "merkle root {}", h.merkle_root);
    let _ = writeln!(s, "time        {}  version {:08x}  bits {:08x}  nonce {}", h.time, h.version, h.bits, h.nonce);
    let _ = writeln!(s, "size        {} bytes", row.size);
    let _ = writeln!(s, "txs         {}", row.txs.end - row.txs.start);
    let _ = writeln!(s, "fees        {}", row.fees.map_or("unknown".to_owned(), |f| format!("{} BTC", btc(f))));
    for txid in &txids {
        let _ = writeln!(s, "  {txid}");
    }
    print_text(&s)
}

/// `chainsleuth status`.
pub fn status(args: &StatusArgs) -> anyhow::Result<()> {
    let index = open(&args.index)?;
    let usage = index::disk_usage(&index);
    let n = index.counts();
    let json = json!({
        "data_dir": index.dir(), "network": index.network(), "format_version": index.manifest.format_version,
        "generation": index.manifest.generation, "start_height": index.manifest.start_height,
        "tip": index.tip().map(|(h, hash)| json!({"height": h.0, "hash": hash})),
        "counts": n, "unresolved_inputs": index.manifest.unresolved_inputs,
        "blocks_dir": index.manifest.blocks_dir, "disk": usage,
        "digest": args.digest.then(|| index.digest().iter().map(|b| format!("{b:02x}")).collect::<String>()),
    });
    if args.json {
        return print_json(&json);
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "index       {} (format {}, generation {})",
        index.dir().display(),
        index.manifest.format_version,
        index.manifest.generation
    );
    let _ = writeln!(s, "network     {}", index.network());
    if let Some((h, hash)) = index.tip() {
        let _ = writeln!(s, "tip         height {h} {hash}");
    }
    let _ = writeln!(
        s,
        "counts      {} blocks, {} txs, {} inputs, {} outputs, {} addresses",
        n.blocks, n.txs, n.inputs, n.outputs, n.addresses
    );
    if let Some(digest) = json["digest"].as_str() {
        let _ = writeln!(s, "digest      {digest}");
    }
    let mut table = Table::new(&["file", "bytes"]);
    for (name, bytes) in usage.files.iter() {
        table.row(vec![name.clone(), bytes.to_string()]);
    }
    let _ = write!(s, "\n{}", table.render());
    let _ = writeln!(
        s,
        "\nper input+output: {:.1} bytes without hashes and lookup tables, {:.1} bytes in all",
        usage.bytes_per_io_core, usage.bytes_per_io_total
    );
    print_text(&s)
}
