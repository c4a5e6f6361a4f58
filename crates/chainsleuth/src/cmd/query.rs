//! `chainsleuth tx | address | block | status`: answers from the index.

use crate::cli::{AddressArgs, BlockArgs, StatusArgs, TxArgs};
use crate::output::{Table, btc, print_json, print_text};
use anyhow::{Context, anyhow};
use chain::{BlockHash, Txid};
use index::{Height, Index, TxNum};
use serde_json::json;
use std::fmt::Write as _;

fn open(location: &crate::cli::IndexLocation) -> anyhow::Result<Index> {
    let dir = location.dir();
    Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))
}

/// `chainsleuth tx TXID`.
pub fn tx(args: &TxArgs) -> anyhow::Result<()> {
    let index = open(&args.index)?;
    let analysis = analysis::Analysis::open(&index)?;
    let view = views::tx(&index, analysis.as_ref(), &args.txid)?;
    if args.json {
        return print_json(&view);
    }
    let unit = index.network().unit();
    let mut s = String::new();
    let _ = writeln!(s, "txid        {}", view.txid);
    let block_hash = view.block_hash.as_deref().unwrap_or("");
    let _ = writeln!(s, "block       height {} {block_hash} (position {})", view.block_height, view.position);
    let vsize = view.vsize.max(1);
    let fee = match (view.coinbase, view.fee) {
        (true, _) => "coinbase".to_owned(),
        (false, Some(f)) => format!("{} {unit} ({:.1} sat/vB)", btc(f), f as f64 / f64::from(vsize)),
        (false, None) => "unknown (unresolved inputs)".to_owned(),
    };
    let _ = writeln!(s, "fee         {fee}");
    let _ = writeln!(s, "size        {} bytes, {vsize} vbytes, weight {}", view.size, view.weight);
    let _ = writeln!(s, "version     {}, locktime {}", view.version, view.locktime);
    if let Some(c) = &view.coinjoin {
        let _ = writeln!(s, "coinjoin    {} (confidence {:.2}): {}", c.protocol, c.confidence, c.reasons.join("; "));
    }
    if let Some(p) = view.peel_chain {
        let _ = writeln!(s, "peel chain  hop {} of {}", p.position, p.length);
    }
    if let Some(c) = &view.change {
        let _ = writeln!(s, "change      output {} ({}, probability {:.4})", c.vout, c.heuristic, c.probability);
    }
    for c in &view.pool_crossings {
        for (value, way) in [(c.into_pool, "into"), (c.out_of_pool, "out of")] {
            if value > 0 {
                let _ = writeln!(s, "pool        {} {unit} {way} the {} pool", btc(value), c.pool);
            }
        }
    }
    let mut t_in = Table::new(&["in", "prevout", &format!("value ({unit})"), "address"]);
    for i in &view.inputs {
        let status = i.status.name();
        t_in.row(vec![
            i.n.to_string(),
            i.prevout.clone().unwrap_or_else(|| status.to_owned()),
            i.value.map(btc).unwrap_or_default(),
            i.address.clone().unwrap_or_default(),
        ]);
    }
    let mut t_out = Table::new(&["out", &format!("value ({unit})"), "address", "spent by"]);
    for o in &view.outputs {
        let spent = o.spent_by.as_ref().map_or_else(|| "unspent".to_owned(), |sp| format!("{}:{}", sp.txid, sp.vin));
        t_out.row(vec![o.n.to_string(), btc(o.value), o.address.clone(), spent]);
    }
    let _ = write!(s, "\n{}\n{}", t_in.render(), t_out.render());
    print_text(&s)
}

/// `chainsleuth address ADDR`.
pub fn address(args: &AddressArgs) -> anyhow::Result<()> {
    let index = open(&args.index)?;
    let analysis = analysis::Analysis::open(&index)?;
    let view = views::address(&index, analysis.as_ref(), &args.address, args.page.view(), &trace::Budget::unlimited())?;
    if args.json {
        return print_json(&view);
    }
    let unit = index.network().unit();
    let mut s = String::new();
    let _ = writeln!(s, "address     {} ({}, id {})", view.address, view.class, view.address_id);
    if let Some(e) = view.entity {
        let _ = writeln!(s, "entity      {e}");
    }
    let seen = |v: Option<views::SeenAt>| v.map_or_else(String::new, |v| format!("height {}", v.height));
    let _ = writeln!(s, "first seen  {}", seen(view.first_seen));
    let _ = writeln!(s, "last seen   {}", seen(view.last_seen));
    let _ = writeln!(s, "txs         {}", view.tx_count);
    let _ = writeln!(s, "received    {} {unit} in {} outputs", btc(view.total_received), view.output_count);
    let _ = writeln!(s, "sent        {} {unit}", btc(view.total_sent));
    let _ = writeln!(s, "balance     {} {unit} in {} unspent outputs", btc(view.balance), view.unspent_count);
    let mut table = Table::new(&["height", "txid", &format!("received ({unit})"), &format!("sent ({unit})")]);
    for h in &view.history {
        table.row(vec![h.height.to_string(), h.txid.clone(), btc(h.received), btc(h.sent)]);
    }
    let _ = write!(s, "\n{}", table.render());
    let shown = args.page.offset + view.history.len();
    if view.tx_count > shown {
        let _ = writeln!(s, "... {} more (--offset {shown})", view.tx_count - shown);
    }
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
    let txids: Vec<Txid> = row.txs.clone().skip(args.offset).take(args.limit).map(|t| index.txid(TxNum(t))).collect();
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
    let _ = writeln!(
        s,
        "fees        {}",
        row.fees.map_or("unknown".to_owned(), |f| format!("{} {}", btc(f), index.network().unit()))
    );
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
        "data_dir": index.dir(), "network": index.network(), "format_version": index.manifest().format_version,
        "generation": index.manifest().generation, "start_height": index.manifest().start_height,
        "tip": index.tip().map(|(h, hash)| json!({"height": h.0, "hash": hash})),
        "counts": n, "unresolved_inputs": index.manifest().unresolved_inputs,
        "blocks_dir": index.manifest().blocks_dir, "disk": usage,
        "digest": args.digest.then(|| index.digest().iter().map(|b| format!("{b:02x}")).collect::<String>()),
    });
    let verified = if args.verify { Some(index.verify()?) } else { None };
    let damaged = verified.as_ref().is_some_and(|v| !v.damage.is_empty());
    if args.json {
        let mut json = json;
        json["verify"] = serde_json::to_value(&verified)?;
        print_json(&json)?;
    } else {
        print_status(&index, &json, &usage, verified.as_ref())?;
    }
    if damaged {
        let first = verified.iter().flat_map(|v| &v.damage).next().map(ToString::to_string).unwrap_or_default();
        anyhow::bail!("the index is damaged: {first}; rebuild it with `chainsleuth ingest --rebuild`");
    }
    Ok(())
}

/// The text of `status`.
fn print_status(
    index: &Index,
    json: &serde_json::Value,
    usage: &index::DiskUsage,
    verified: Option<&index::VerifyReport>,
) -> anyhow::Result<()> {
    let n = index.counts();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "index       {} (format {}, generation {})",
        index.dir().display(),
        index.manifest().format_version,
        index.manifest().generation
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
    if let Some(v) = verified {
        let verdict = match (v.checksummed, v.damage.len()) {
            (false, 0) => "no damage found through the tables; no checksums yet (the next ingest writes them)".into(),
            (true, 0) => "no damage found".to_owned(),
            (_, n) => format!("{n} damaged"),
        };
        let _ = writeln!(s, "verify      {verdict} ({} bytes checked, {} lookups)", v.bytes_checked, v.lookups_checked);
        for d in &v.damage {
            let _ = writeln!(s, "  {}", crate::output::safe(&d.to_string()));
        }
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
