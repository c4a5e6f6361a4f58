//! `chainsleuth cluster | entity | eval`: entities over the index.

use crate::cli::{ClusterArgs, EntityArgs, EvalArgs};
use crate::output::{Table, btc, print_json, print_text};
use analysis::{Analysis, ClusterOptions, Heuristics};
use anyhow::{Context, anyhow, bail};
use index::{AddrId, AddressKey, Index, TxNum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

fn open_index(location: &crate::cli::IndexLocation) -> anyhow::Result<Index> {
    let dir = location.dir();
    Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))
}

/// `chainsleuth cluster`.
pub fn cluster(args: &ClusterArgs) -> anyhow::Result<()> {
    let index = open_index(&args.index)?;
    let heuristics: Heuristics = args.heuristics.parse()?;
    let options = ClusterOptions { heuristics, guard: args.guard };
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(1) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} clustering [{bar:40}] {pos}/{len} txs eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = analysis::cluster(&index, &options, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    if let Some(path) = &args.export {
        let analysis = Analysis::open(&index)?.ok_or_else(|| anyhow!("no clustering to export"))?;
        let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        writeln!(out, "address,entity")?;
        for a in 0..index.counts().addresses as u32 {
            let entity = analysis.entity_of(AddrId(a)).map(|e| e.to_string()).unwrap_or_default();
            writeln!(out, "{},{entity}", index.address_text(AddrId(a)))?;
        }
        out.flush().with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        return print_json(&report);
    }
    let mut s = String::new();
    let _ = writeln!(s, "heuristics   {} (collapse guard {})", report.heuristics, report.guard);
    let _ = writeln!(
        s,
        "processed    {} transactions ({})",
        report.txs_processed,
        if report.incremental { "incremental" } else { "full" }
    );
    let _ = writeln!(s, "entities     {} for {} addresses", report.entities, report.addresses);
    let links: Vec<String> = report.links.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(s, "links        {}", links.join(", "));
    let coinjoins: Vec<String> = report.coinjoins.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(s, "coinjoins    {}", if coinjoins.is_empty() { "none".to_owned() } else { coinjoins.join(", ") });
    let _ = writeln!(
        s,
        "guard        refused {} of {} change links (clusters both of {}+ addresses)",
        report.refused_count, report.change_links, report.guard
    );
    let _ = writeln!(s, "elapsed      {:.2} s", report.elapsed_secs);
    let mut table = Table::new(&["largest entities", "addresses"]);
    for (e, size) in &report.largest {
        table.row(vec![format!("{e} ({})", index.address_text(AddrId(*e))), size.to_string()]);
    }
    let _ = write!(s, "\n{}", table.render());
    print_text(&s)
}

/// `chainsleuth entity ADDR|ID`.
pub fn entity(args: &EntityArgs) -> anyhow::Result<()> {
    let index = open_index(&args.index)?;
    let analysis = Analysis::open(&index)?
        .ok_or_else(|| anyhow!("no clustering for this index: run `chainsleuth cluster` first"))?;
    let text = args.entity.trim();
    let entity = match text.parse::<u32>() {
        Ok(id) if analysis.is_entity(id) => id,
        Ok(id) => analysis.entity_of(AddrId(id)).ok_or_else(|| anyhow!("no address {id} in the clustering"))?,
        Err(_) => {
            let key = AddressKey::parse(text, index.network()).map_err(|e| anyhow!("{e}"))?;
            let id = index.address_by_key(&key).ok_or_else(|| anyhow!("address {text} is not in the index"))?;
            analysis
                .entity_of(id)
                .ok_or_else(|| anyhow!("address {text} is newer than the clustering: run `chainsleuth cluster`"))?
        }
    };
    let members: Vec<AddrId> = analysis.members(entity).collect();
    let (mut received, mut sent, mut first, mut last) = (0u64, 0u64, u32::MAX, 0u32);
    let mut coinjoins: BTreeSet<u64> = BTreeSet::new();
    for &a in &members {
        let summary = index.address_summary(a);
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
    let listed: Vec<Value> =
        members.iter().skip(args.page.offset).take(args.page.limit).map(|&a| json!(index.address_text(a))).collect();
    let coinjoin_list: Vec<Value> = coinjoins
        .iter()
        .take(args.page.limit)
        .map(|&t| {
            let (p, c) = analysis.coinjoin(TxNum(t)).unwrap_or((analysis::Protocol::Generic, 0.0));
            json!({"txid": chain::Txid(index.columns.tx_txid.get(t)), "protocol": p.name(), "confidence": c})
        })
        .collect();
    let json = json!({
        "entity": entity, "size": members.len(), "balance": received - sent,
        "total_received": received, "total_sent": sent,
        "first_seen": (first != u32::MAX).then_some(first), "last_seen": (first != u32::MAX).then_some(last),
        "coinjoins_touched": coinjoins.len(), "coinjoins": coinjoin_list,
        "addresses": listed, "limit": args.page.limit, "offset": args.page.offset,
    });
    if args.json {
        return print_json(&json);
    }
    let mut s = String::new();
    let _ = writeln!(s, "entity      {entity} ({} addresses)", members.len());
    let _ = writeln!(s, "balance     {} BTC (received {}, sent {})", btc(received - sent), btc(received), btc(sent));
    if first != u32::MAX {
        let _ = writeln!(s, "seen        heights {first} to {last}");
    }
    let _ = writeln!(s, "coinjoins   {} touched", coinjoins.len());
    for c in &coinjoin_list {
        let _ = writeln!(s, "  {} {}", c["txid"].as_str().unwrap_or(""), c["protocol"].as_str().unwrap_or(""));
    }
    let _ = writeln!(s, "addresses");
    for a in &listed {
        let _ = writeln!(s, "  {}", a.as_str().unwrap_or(""));
    }
    if members.len() > args.page.offset + listed.len() {
        let _ = writeln!(
            s,
            "  ... {} more (--offset {})",
            members.len() - args.page.offset - listed.len(),
            args.page.offset + listed.len()
        );
    }
    print_text(&s)
}

/// `chainsleuth eval --ground-truth FILE`.
pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let index = open_index(&args.index)?;
    let analysis = Analysis::open(&index)?;
    let report = analysis::eval::evaluate(&index, analysis.as_ref(), &args.ground_truth)?;
    if args.json {
        return print_json(&report);
    }
    let mut s = String::new();
    match &report.clustering {
        Some(c) => {
            let _ = writeln!(s, "clustering ({})", analysis.as_ref().map_or("", |a| a.manifest.heuristics.as_str()));
            let _ = writeln!(s, "  pairwise precision {:.4}, recall {:.4}", c.pairwise_precision, c.pairwise_recall);
            let _ = writeln!(
                s,
                "  {} entities for {} true wallets ({} addresses)",
                c.entities, c.true_wallets, c.addresses
            );
            let _ = writeln!(s, "  {} entities join several owners", c.false_merges);
            if let Some(m) = &c.largest_false_merge {
                let owners: Vec<String> = m.owners.iter().take(5).map(|(w, n)| format!("{w} {n}")).collect();
                let _ = writeln!(
                    s,
                    "  largest false merge: entity {} of {} addresses: {}",
                    m.entity,
                    m.size,
                    owners.join(", ")
                );
            }
        }
        None => {
            let _ = writeln!(s, "clustering: none saved (run `chainsleuth cluster`)");
        }
    }
    let mut table = Table::new(&["change heuristic", "predictions", "right", "precision", "recall"]);
    for c in &report.change {
        table.row(vec![
            c.heuristic.clone(),
            c.predictions.to_string(),
            c.correct.to_string(),
            format!("{:.4}", c.precision),
            format!("{:.4}", c.recall),
        ]);
    }
    let _ = write!(s, "\n{}", table.render());
    if let Some(c) = report.change.first() {
        let _ = writeln!(s, "({} transactions with change)", c.with_change);
    }
    let labels = ["none", "whirlpool", "whirlpool_tx0", "wasabi1", "wasabi2", "joinmarket", "generic"];
    let mut header = vec!["truth \\ predicted"];
    header.extend(labels);
    let mut matrix = Table::new(&header);
    for (truth, row) in &report.coinjoin.confusion {
        let mut cells = vec![truth.clone()];
        cells.extend(labels.iter().map(|l| row.get(*l).copied().unwrap_or(0).to_string()));
        matrix.row(cells);
    }
    let _ = write!(s, "\ncoinjoin detection\n{}", matrix.render());
    let _ = writeln!(s, "({} transactions of the truth found in the index)", report.transactions);
    if report.transactions == 0 {
        bail!("no transaction of {} is in this index: wrong index or wrong file?", args.ground_truth.display());
    }
    print_text(&s)
}
