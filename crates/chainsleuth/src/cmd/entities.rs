//! `chainsleuth cluster | entity | eval`: entities over the index.

use crate::cli::{ClusterArgs, EntityArgs, EvalArgs};
use crate::output::{Table, btc, print_json, print_text};
use analysis::{Analysis, ClusterOptions, Heuristics};
use anyhow::{Context, anyhow, bail};
use index::{AddrId, Index};
use indicatif::{ProgressBar, ProgressStyle};
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
    if let Some(t) = args.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
        bail!("--threshold {t}: a probability, from 0 to 1");
    }
    let services = if args.no_service_constraints {
        Vec::new()
    } else {
        let labels = tags::LabelSet::load(&args.index.dir(), &index, None)?;
        labels.service_addresses().into_iter().map(|(a, s)| (a.0, s as u32)).collect()
    };
    let options = ClusterOptions { heuristics, guard: args.guard, threshold: args.threshold, services };
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
    let _ = writeln!(
        s,
        "heuristics   {} (threshold {}, collapse guard {})",
        report.heuristics, report.threshold, report.guard
    );
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
    let reasons: Vec<String> = report.refused_by.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(
        s,
        "refused      {} of {} change links{}",
        report.refused_count,
        report.change_links,
        if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) }
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
    let analysis = Analysis::open(&index)?;
    let view = views::entity(&index, analysis.as_ref(), &args.entity, args.page.view(), &trace::Budget::unlimited())?;
    if args.json {
        return print_json(&view);
    }
    let mut s = String::new();
    let _ = writeln!(s, "entity      {} ({} addresses)", view.entity, view.size);
    let _ = writeln!(
        s,
        "balance     {} BTC (received {}, sent {})",
        btc(view.balance),
        btc(view.total_received),
        btc(view.total_sent)
    );
    if let (Some(first), Some(last)) = (view.first_seen, view.last_seen) {
        let _ = writeln!(s, "seen        heights {first} to {last}");
    }
    let _ = writeln!(s, "coinjoins   {} touched", view.coinjoins_touched);
    for c in &view.coinjoins {
        let _ = writeln!(s, "  {} {}", c.txid, c.protocol);
    }
    let _ = writeln!(s, "addresses   (and the transaction that links each to the others)");
    for m in &view.members {
        let by = match (&m.heuristic, m.probability) {
            (Some(h), Some(p)) => format!(" ({h}, p {p})"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  {}  {}{}{by}",
            m.address,
            m.link,
            m.txid.as_ref().map(|t| format!(" {t}")).unwrap_or_default()
        );
    }
    let shown = args.page.offset + view.addresses.len();
    if view.size > shown {
        let _ = writeln!(s, "  ... {} more (--offset {shown})", view.size - shown);
    }
    print_text(&s)
}

/// The clustering's section of `eval`: its pairwise figures, its largest false
/// merge, and the oracle bound they are read against.
fn write_clustering_eval(s: &mut String, report: &analysis::eval::EvalReport, heuristics: &str) {
    match &report.clustering {
        Some(c) => {
            let _ = writeln!(s, "clustering ({heuristics})");
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
    let o = &report.oracle;
    let _ = writeln!(
        s,
        "oracle bound (multi-input + a perfect change rule): pairwise precision {:.4}, recall {:.4}",
        o.pairwise_precision, o.pairwise_recall
    );
    if let Some(share) = report.recall_of_bound {
        let _ = writeln!(s, "  the clustering reaches {:.1}% of the bound's recall", share * 100.0);
    }
}

/// The change model's section of `eval`: its figures at the default threshold, the
/// precision-recall curve and the reliability of its probabilities.
fn write_model_eval(s: &mut String, m: &analysis::eval::ModelEval) {
    let d = &m.at_default;
    let _ = writeln!(
        s,
        "\nchange model at its threshold {}: precision {:.4}, recall {:.4} ({} of {} transactions with change; {} judged)",
        m.default_threshold, d.precision, d.recall, d.correct, m.with_change, m.transactions
    );
    let mut curve = Table::new(&["threshold", "predictions", "right", "precision", "recall"]);
    for p in &m.curve {
        curve.row(vec![
            p.threshold.to_string(),
            p.predictions.to_string(),
            p.correct.to_string(),
            format!("{:.4}", p.precision),
            format!("{:.4}", p.recall),
        ]);
    }
    let _ = write!(s, "precision-recall curve\n{}", curve.render());
    let mut bins = Table::new(&["probability", "predictions", "mean", "observed"]);
    for b in &m.reliability {
        bins.row(vec![
            format!("{:.1}-{:.1}", b.from, b.from + 0.1),
            b.predictions.to_string(),
            format!("{:.4}", b.mean_probability),
            format!("{:.4}", b.observed),
        ]);
    }
    let _ = write!(s, "reliability (expected calibration error {:.4})\n{}\n", m.calibration_error, bins.render());
}

/// `chainsleuth eval --ground-truth FILE`.
pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let network = args.index.network.resolve()?;
    if network.is_zcash() {
        let Some(blocks_dir) = &args.blocks_dir else {
            anyhow::bail!("eval on Zcash scores the round-trip links of a blocks directory: give --blocks-dir");
        };
        return super::zec::eval(blocks_dir, network, &args.ground_truth, args.json);
    }
    let index = open_index(&args.index)?;
    let analysis = Analysis::open(&index)?;
    let model = match &args.change_model {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            analysis::model::ChangeModel::from_json(&text).with_context(|| format!("{}", path.display()))?
        }
        None => analysis::model::ChangeModel::shipped().clone(),
    };
    let report = analysis::eval::evaluate(&index, analysis.as_ref(), &args.ground_truth, &model)?;
    if args.json {
        return print_json(&report);
    }
    let mut s = String::new();
    let heuristics = analysis.as_ref().map_or("", |a| a.manifest().heuristics.as_str());
    write_clustering_eval(&mut s, &report, heuristics);
    write_model_eval(&mut s, &report.change_model);
    for b in &report.services {
        let _ = writeln!(
            s,
            "services by behaviour, {}: {} guesses, precision {:.4}; {} of {} {} wallets found, recall {:.4}",
            b.behaviour.name(),
            b.guesses,
            b.precision,
            b.found,
            b.services,
            b.role,
            b.recall
        );
    }
    let mut table = Table::new(&["change rule alone", "predictions", "right", "precision", "recall"]);
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
