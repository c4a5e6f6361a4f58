//! `chainsleuth xmr ...`: the Monero index, ring analysis, evaluation and traces.

use crate::cli::{
    XmrCommand, XmrDemoArgs, XmrEvalArgs, XmrIngestArgs, XmrKnownArgs, XmrRulesArgs, XmrScreenArgs, XmrSimulateArgs,
    XmrStatusArgs, XmrTagsCommand, XmrTraceArgs, XmrTxArgs,
};
use crate::cmd::screen::{label_line, list_sources, print_import, remove_source, risk_config, source_name, utc_now};
use crate::output::{Table, print_json, print_text, safe};
use anyhow::{Context, bail};
use monero::Hash32;
use monero_index::records::TxRow;
use monero_index::{BlobDir, IngestOptions, Node, Source, Store};
use rings::eval::{EvalReport, Truth, evaluate};
use rings::trace::{Direction, TraceOptions, TraceReport};
use rings::{Analysis, Knowledge, Options, RingGraph, Rule};
use rustc_hash::FxHashMap;
use std::fmt::Write as _;
use std::path::Path;
use tags::Directions;
use tags::monero::{MoneroLabels, MoneroScreenOptions, MoneroScreenReport, MoneroScreener};

/// Runs an `xmr` subcommand.
pub fn run(command: XmrCommand) -> anyhow::Result<()> {
    match command {
        XmrCommand::Ingest(a) => ingest(&a),
        XmrCommand::Tags(c) => tags(c),
        XmrCommand::Screen(a) => screen(&a),
        XmrCommand::Status(a) => status(&a),
        XmrCommand::Tx(a) => tx(&a, false),
        XmrCommand::Ring(a) => tx(&a, true),
        XmrCommand::Eval(a) => eval(&a),
        XmrCommand::Trace(a) => trace(&a),
        XmrCommand::Known(a) => known(&a),
        XmrCommand::Simulate(a) => simulate(&a),
        XmrCommand::Demo(a) => demo(&a),
    }
}

fn ingest(args: &XmrIngestArgs) -> anyhow::Result<()> {
    let dir = args.index.dir();
    if args.rebuild {
        Store::remove(&dir)?;
    }
    let mut source: Box<dyn Source> = match (&args.rpc, &args.blobs) {
        (Some(url), _) => Box::new(Node::new(url)),
        (None, Some(blobs)) => Box::new(BlobDir::new(blobs)?),
        (None, None) => bail!("give --rpc URL or --blobs DIR"),
    };
    let opts = IngestOptions { until_height: args.until_height, ..IngestOptions::default() };
    let report = monero_index::ingest(&dir, source.as_mut(), &opts, &|h, tip| log::info!("height {h} of {tip}"))?;
    if args.json {
        return print_json(&report);
    }
    let secs = report.elapsed.as_secs_f64();
    let mut s =
        format!("{}: {} -> {} blocks from {}", dir.display(), report.blocks_before, report.blocks_after, report.source);
    if let Some(h) = report.rolled_back_to {
        let _ = write!(s, " (reorg: rolled back to height {h})");
    }
    let _ = writeln!(
        s,
        "\n{} txs, {} inputs, {} outputs added in {secs:.2} s ({:.0} tx/s)",
        report.txs,
        report.inputs,
        report.outputs,
        report.txs as f64 / secs.max(1e-9)
    );
    print_text(&s)
}

fn status(args: &XmrStatusArgs) -> anyhow::Result<()> {
    let dir = args.index.dir();
    let store = Store::open(&dir)?;
    let c = store.counts();
    let tip = store.blocks.last().map(|b| Hash32(b.id).to_string());
    let m = store.manifest();
    if args.json {
        return print_json(&serde_json::json!({
            "data_dir": dir, "format_version": monero_index::FORMAT_VERSION, "generation": m.map(|m| m.generation),
            "source": m.and_then(|m| m.source.clone()), "tip_height": c.blocks.checked_sub(1), "tip_hash": tip,
            "blocks": c.blocks, "txs": c.txs, "inputs": c.inputs, "ring_members": c.members, "outputs": c.outputs,
            "digest": store.digest(),
        }));
    }
    let mut t = Table::new(&["", ""]);
    t.row(vec!["index".into(), dir.display().to_string()]);
    t.row(vec!["source".into(), m.and_then(|m| m.source.clone()).unwrap_or_default()]);
    t.row(vec!["tip".into(), format!("{} {}", c.blocks.saturating_sub(1), tip.unwrap_or_default())]);
    for (k, v) in [
        ("blocks", c.blocks),
        ("txs", c.txs),
        ("inputs", c.inputs),
        ("ring members", c.members),
        ("outputs", c.outputs),
    ] {
        t.row(vec![k.into(), v.to_string()]);
    }
    print_text(&t.render())
}

/// The analysis options from the flags.
fn options(rules: &XmrRulesArgs) -> anyhow::Result<Options> {
    let mut parsed = Rule::parse_list(&rules.rules).map_err(anyhow::Error::msg)?;
    let known = match &rules.known {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
            if !parsed.contains(&Rule::Known) {
                parsed.push(Rule::Known);
                parsed.sort();
            }
            Some(Knowledge::from_json(&text).with_context(|| format!("{}", path.display()))?)
        }
        None => None,
    };
    Ok(Options { rules: parsed, known, ..Options::default() })
}

fn hash(text: &str, what: &str) -> anyhow::Result<Hash32> {
    Hash32::from_hex(text).with_context(|| format!("{what} {text:?} is not 64 hex digits"))
}

fn tx_number(store: &Store, txid: &str) -> anyhow::Result<u64> {
    let h = hash(txid, "txid")?;
    store.tx_by_hash(&h.0).with_context(|| format!("txid {h} is not in the Monero index"))
}

/// `txid:n` of output `o`.
fn outpoint(store: &Store, o: u64) -> String {
    let row = &store.outputs[o as usize];
    format!("{}:{}", Hash32(store.txs[row.tx as usize].hash), o - store.txs[row.tx as usize].first_output)
}

fn tx(args: &XmrTxArgs, ring_view: bool) -> anyhow::Result<()> {
    let store = Store::open(&args.index.dir())?;
    let (txid, only) = match args.subject.split_once(':') {
        Some((t, i)) => (t, Some(i.parse::<u64>().with_context(|| format!("input {i:?} is not a number"))?)),
        None => (args.subject.as_str(), None),
    };
    let t = tx_number(&store, txid)?;
    let a = Analysis::run(&store, &options(&args.rules)?)?;
    let row = store.txs[t as usize];
    let inputs: Vec<u64> = store.tx_inputs(t).collect();
    if let Some(k) = only.filter(|&k| k >= inputs.len() as u64) {
        bail!("txid {txid} has {} inputs, not an input {k}", inputs.len());
    }
    let mut ins = Vec::new();
    for (k, &i) in inputs.iter().enumerate() {
        if only.is_some_and(|o| o != k as u64) {
            continue;
        }
        ins.push(input_json(&store, &a, k, i as usize));
    }
    let outs: Vec<serde_json::Value> = store.tx_outputs(t).map(|o| output_json(&store, &a, o, &row)).collect();
    let answer = serde_json::json!({
        "txid": Hash32(row.hash).to_string(), "height": row.height, "version": row.version,
        "rct_type": (row.rct_type != 0xff).then_some(row.rct_type), "coinbase": row.coinbase, "fee": row.fee,
        "unlock_time": row.unlock_time, "size": row.size, "tx_pubkey": hex::encode(row.tx_pubkey),
        "rules": a.rules.iter().map(|r| r.name()).collect::<Vec<_>>(), "inputs": ins, "outputs": if ring_view { None } else { Some(outs) },
    });
    if args.json {
        return print_json(&answer);
    }
    print_text(&tx_text(&answer, &row, &a.rules))
}

/// Input `k` (input number `i`) of a transaction as JSON: its ring, each member's
/// probability and the rules that decided it.
fn input_json(store: &Store, a: &Analysis, k: usize, i: usize) -> serde_json::Value {
    let g = &a.graph;
    let members: Vec<serde_json::Value> = g
        .ring(i)
        .map(|s| {
            let o = g.members[s];
            serde_json::json!({
                "global_index": store.outputs[o as usize].global_index,
                "output": outpoint(store, o),
                "output_key": hex::encode(store.outputs[o as usize].key),
                "height": g.output_height[o as usize],
                "age": g.input_height[i].saturating_sub(g.output_height[o as usize]),
                "coinbase": g.output_coinbase[o as usize],
                "probability": a.probability[s],
                "excluded_by": a.deduction.excluded_by[s].map(Rule::name),
                "merge": a.merge[s],
            })
        })
        .collect();
    let ring_len = g.ring(i).len();
    serde_json::json!({
        "input": k,
        "key_image": hex::encode(store.inputs[i].key_image),
        "amount": store.inputs[i].amount,
        "ring_size": ring_len,
        "effective_ring_size": a.effective_ring_size(i),
        "decided_by": a.decided_by(i).map(Rule::name),
        "top_member": a.top(i) - g.ring_start[i],
        "baselines": {"guess_newest": ring_len.saturating_sub(1), "uniform_probability": 1.0 / ring_len.max(1) as f64},
        "members": members,
    })
}

/// Output `o` of the transaction `row` as JSON, with the inputs that may spend it.
fn output_json(store: &Store, a: &Analysis, o: u64, row: &TxRow) -> serde_json::Value {
    let g = &a.graph;
    let spenders: Vec<serde_json::Value> = g
        .refs_of(o as usize)
        .iter()
        .filter(|&&s| a.probability[s] > 0.0)
        .map(|&s| {
            let inp = g.slot_input[s] as usize;
            let spender = g.input_tx[inp];
            serde_json::json!({"txid": Hash32(store.txs[spender as usize].hash).to_string(),
                "input": inp as u64 - store.txs[spender as usize].first_input, "probability": a.probability[s]})
        })
        .collect();
    let r = &store.outputs[o as usize];
    serde_json::json!({"output": o - row.first_output, "global_index": r.global_index, "amount": r.amount,
        "output_key": hex::encode(r.key), "view_tag": r.view_tag, "possible_spenders": spenders,
        "spent_probability": spenders.iter().filter_map(|v| v["probability"].as_f64()).sum::<f64>().min(1.0)})
}

/// The `xmr tx` answer as text: the header, each input's ring table, the outputs.
fn tx_text(answer: &serde_json::Value, row: &TxRow, rules: &[Rule]) -> String {
    let mut s = format!(
        "tx {} at height {}: version {}, {}, fee {}\nrules: {}\n",
        answer["txid"].as_str().unwrap_or_default(),
        row.height,
        row.version,
        if row.coinbase { "coinbase".to_owned() } else { format!("RingCT type {}", row.rct_type) },
        row.fee,
        rules.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")
    );
    for input in answer["inputs"].as_array().into_iter().flatten() {
        write_ring(input, &mut s);
    }
    if let Some(outs) = answer["outputs"].as_array() {
        s.push_str("\noutputs:\n");
        let mut t = Table::new(&["output", "global index", "possible spenders", "spent probability"]);
        for o in outs {
            t.row(vec![
                o["output"].to_string(),
                o["global_index"].to_string(),
                o["possible_spenders"].as_array().map_or(0, Vec::len).to_string(),
                format!("{:.4}", o["spent_probability"].as_f64().unwrap_or_default()),
            ]);
        }
        s.push_str(&t.render());
    }
    s
}

/// One input of the `xmr tx` answer as text: its ring sizes and baselines, then its members.
fn write_ring(input: &serde_json::Value, s: &mut String) {
    let _ = writeln!(
        s,
        "\ninput {}: ring {} (effective {}), decided by {}; baselines: guess-newest member {}, uniform {:.4}",
        input["input"],
        input["ring_size"],
        input["effective_ring_size"],
        input["decided_by"].as_str().unwrap_or("-"),
        input["baselines"]["guess_newest"],
        input["baselines"]["uniform_probability"].as_f64().unwrap_or_default()
    );
    let mut t = Table::new(&["member", "output", "height", "age", "probability", "excluded by"]);
    for (k, m) in input["members"].as_array().into_iter().flatten().enumerate() {
        let mark = if input["top_member"] == k { "*" } else { "" };
        t.row(vec![
            format!("{k}{mark}"),
            m["output"].as_str().unwrap_or_default().to_owned(),
            m["height"].to_string(),
            m["age"].to_string(),
            format!("{:.4}", m["probability"].as_f64().unwrap_or_default()),
            m["excluded_by"].as_str().unwrap_or("").to_owned(),
        ]);
    }
    s.push_str(&t.render());
}

fn eval(args: &XmrEvalArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.index.dir())?;
    let g = RingGraph::from_store(&store);
    let text =
        std::fs::read_to_string(&args.ground_truth).with_context(|| format!("{}", args.ground_truth.display()))?;
    let truth = Truth::load(&store, &g, &text)?;
    let mut opts = options(&args.rules)?;
    if let Some(wallet) = &args.known_wallet {
        opts.known = Some(truth.knowledge_of(wallet));
        if !opts.rules.contains(&Rule::Known) {
            opts.rules.push(Rule::Known);
            opts.rules.sort();
        }
    }
    let report = evaluate(&store, &g, &truth, &opts)?;
    if args.json {
        return print_json(&report);
    }
    print_text(&eval_text(&report))
}

/// The evaluation as text: the figures, the baselines, the reliability table, each rule.
fn eval_text(r: &EvalReport) -> String {
    let mut s = format!(
        "{} inputs; rules {}\n\ntop-1 accuracy          {:.4}\n  guess-newest baseline {:.4}\n  uniform baseline      {:.4}\n  oracle bound          {:.4}  (the same model handed the true real-spend ages)\ncertain                 {} ({} wrong)\nreal members excluded   {}\nECE (10 bins)           {:.4}  (oracle {:.4})\nmean effective ring     {:.3}\nmean perplexity         {:.3}\nEM rounds               {}\n\nreliability of the top member's probability:\n",
        r.inputs,
        r.rules.iter().map(|x| x.name()).collect::<Vec<_>>().join(","),
        r.top1_accuracy,
        r.guess_newest_accuracy,
        r.uniform_accuracy,
        r.oracle_top1,
        r.certain,
        r.certain_wrong,
        r.excluded_real,
        r.ece,
        r.oracle_ece,
        r.mean_effective_ring_size,
        r.mean_perplexity,
        r.em_rounds
    );
    let mut t = Table::new(&["probability", "inputs", "mean probability", "accuracy"]);
    for b in r.reliability.iter().filter(|b| b.inputs > 0) {
        t.row(vec![
            format!("{:.1}-{:.1}", b.from, b.to),
            b.inputs.to_string(),
            format!("{:.4}", b.confidence),
            format!("{:.4}", b.accuracy),
        ]);
    }
    s.push_str(&t.render());
    s.push_str("\neach rule alone:\n");
    let mut t = Table::new(&[
        "rule",
        "excluded",
        "real excluded",
        "certain",
        "certain wrong",
        "top-1",
        "effective ring",
        "other",
    ]);
    for (name, f) in &r.by_rule {
        let other = match (f.precision, f.recall, f.ece) {
            (Some(p), Some(rc), _) => format!("{} flagged, precision {p:.4}, recall {rc:.4}", f.flagged.unwrap_or(0)),
            (_, _, Some(e)) => format!("ECE {e:.4}"),
            _ => String::new(),
        };
        t.row(vec![
            name.clone(),
            f.excluded_members.to_string(),
            f.excluded_real.to_string(),
            f.certain.to_string(),
            f.certain_wrong.to_string(),
            format!("{:.4}", f.top1_accuracy),
            format!("{:.3}", f.mean_effective_ring_size),
            other,
        ]);
    }
    s.push_str(&t.render());
    if let Some(k) = &r.known {
        let _ = writeln!(
            s,
            "\nwith the knowledge of {} ({} members excluded), on the {} inputs of everyone else:\n  top-1 {:.4} -> {:.4}; mean effective ring size {:.3} -> {:.3}",
            k.service,
            k.excluded_members,
            k.inputs,
            k.top1_without,
            k.top1_with,
            k.effective_ring_size_without,
            k.effective_ring_size_with
        );
    }
    s
}

/// Output numbers named by `TXID:N` or `TXID` (all its outputs).
fn start_outputs(store: &Store, from: &[String]) -> anyhow::Result<Vec<u64>> {
    let mut out = Vec::new();
    for f in from {
        let (txid, n) = match f.split_once(':') {
            Some((t, n)) => {
                (t, Some(n.parse::<u64>().with_context(|| format!("--from {f}: output {n:?} is not a number"))?))
            }
            None => (f.as_str(), None),
        };
        let t = tx_number(store, txid)?;
        let outs = store.tx_outputs(t);
        match n {
            Some(n) if n < outs.end - outs.start => out.push(outs.start + n),
            Some(n) => bail!("--from {f}: tx {txid} has {} outputs, not an output {n}", outs.end - outs.start),
            None => out.extend(outs),
        }
    }
    Ok(out)
}

/// Reads `output_key,label` (or `txid:n,label`) lines; `#` starts a comment.
fn read_labels(store: &Store, path: &Path) -> anyhow::Result<FxHashMap<[u8; 32], String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut out = FxHashMap::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((subject, label)) = line.split_once(',') else {
            bail!("{} line {}: expected `output_key,label`", path.display(), n + 1);
        };
        let subject = subject.trim();
        let key = if subject.contains(':') {
            let o = start_outputs(store, &[subject.to_owned()])
                .with_context(|| format!("{} line {}", path.display(), n + 1))?;
            store.outputs[o[0] as usize].key
        } else {
            hash(subject, "output key").with_context(|| format!("{} line {}", path.display(), n + 1))?.0
        };
        out.insert(key, label.trim().to_owned());
    }
    Ok(out)
}

fn trace(args: &XmrTraceArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.index.dir())?;
    let start = start_outputs(&store, &args.from)?;
    let direction = match args.direction.as_str() {
        "forward" => Direction::Forward,
        "backward" => Direction::Backward,
        other => bail!("--direction {other:?}: forward or backward"),
    };
    if !(0.0..=1.0).contains(&args.min_probability) {
        bail!("--min-probability {}: between 0 and 1", args.min_probability);
    }
    let mut labels = MoneroLabels::load(&args.index.dir(), &store)?.trace_stops(&store);
    if let Some(p) = &args.labels {
        labels.extend(read_labels(&store, p)?);
    }
    let a = Analysis::run(&store, &options(&args.rules)?)?;
    let opts = TraceOptions {
        direction,
        max_hops: args.max_hops,
        min_probability: args.min_probability,
        ..TraceOptions::default()
    };
    let report = rings::trace::trace(&store, &a, &start, &labels, &opts);
    let tip = store.blocks.last().map(|b| format!("{} {}", store.blocks.len() - 1, Hash32(b.id))).unwrap_or_default();
    match args.format.as_str() {
        "json" => print_json(&report),
        "dot" => print_text(&report.to_dot()),
        "html" => print_text(&report.to_html(&tip)),
        "table" => print_text(&trace_text(&report)),
        other => bail!("--format {other:?}: table, json, dot or html"),
    }
}

fn tags(command: XmrTagsCommand) -> anyhow::Result<()> {
    match command {
        XmrTagsCommand::Import { file, source, index, json } => {
            let dir = index.dir();
            let store = Store::open(&dir)?;
            let source = source.unwrap_or_else(|| source_name(&file));
            let report = tags::import_monero_csv(&dir, &file, &source, &utc_now())?;
            let unresolved = MoneroLabels::load(&dir, &store)?.unresolved();
            if unresolved > 0 {
                log::warn!("{unresolved} label(s) name subjects this index does not hold (yet)");
            }
            print_import(&report, &file, json)
        }
        XmrTagsCommand::List { index, json } => list_sources(&index.dir(), json),
        XmrTagsCommand::Remove { source, index } => remove_source(&index.dir(), &source),
    }
}

fn screen(args: &XmrScreenArgs) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.min_probability) {
        bail!("--min-probability {}: between 0 and 1", args.min_probability);
    }
    let dir = args.index.dir();
    let store = Store::open(&dir)?;
    let labels = MoneroLabels::load(&dir, &store)?;
    let config = risk_config(args.config.as_deref())?;
    let analysis = Analysis::run(&store, &options(&args.rules)?)?;
    let screener = MoneroScreener { store: &store, analysis: &analysis, labels: &labels, config: &config };
    let directions = match args.direction.as_str() {
        "received" => Directions::Received,
        "sent" => Directions::Sent,
        _ => Directions::Both,
    };
    let report = screener.screen(
        &args.subject,
        MoneroScreenOptions { hops: args.hops, directions, min_probability: args.min_probability },
    )?;
    if args.json {
        return print_json(&report);
    }
    print_text(&screen_text(&report, labels.is_empty()))
}

fn screen_text(r: &MoneroScreenReport, no_labels: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "subject     {} ({})", r.subject, r.subject_type);
    let _ =
        writeln!(s, "risk        {:?} ({} of 100), traced {} hops through rings", r.risk_level, r.risk_score, r.hops);
    if no_labels {
        let _ = writeln!(s, "            (no labels imported: chainsleuth xmr tags import FILE)");
    }
    for i in &r.identifications {
        let l = &i.label;
        s.push_str(&label_line(l, &format!("{} output(s)", i.outputs)));
    }
    if !r.exposures.is_empty() {
        let _ = writeln!(s);
        let mut t = Table::new(&["exposure", "type", "direction", "probability", "hops", "most probable counterparty"]);
        for e in &r.exposures {
            let party = e.counterparties.first().map_or(String::new(), |c| format!("{} {}", c.label, c.outpoint));
            t.row(vec![
                e.category.name().to_owned(),
                e.exposure_type.name().to_owned(),
                e.direction.name().to_owned(),
                format!("{:.4}", e.probability),
                e.hops.to_string(),
                party,
            ]);
        }
        s.push_str(&t.render());
    }
    if !r.rules_fired.is_empty() {
        let _ = writeln!(s, "\nrules fired");
        for f in &r.rules_fired {
            let _ = writeln!(s, "  {:<32} {:>3}  {}", safe(&f.rule), f.score, safe(&f.reason));
        }
    }
    if r.truncated {
        let _ = writeln!(s, "\n(a trace reached its visit bound: exposure may be understated)");
    }
    s
}

fn trace_text(r: &TraceReport) -> String {
    let mut s = format!(
        "{:?} trace from {} output(s): {} transactions reached, {} endpoints{}\n",
        r.direction,
        r.from.len(),
        r.txs.len(),
        r.endpoints.len(),
        if r.truncated { " (visit bound reached)" } else { "" }
    );
    if !r.labels_reached.is_empty() {
        s.push_str("\nlabels reached:\n");
        let mut t = Table::new(&["label", "probability"]);
        for (l, p) in &r.labels_reached {
            t.row(vec![l.clone(), format!("{p:.4}")]);
        }
        s.push_str(&t.render());
    }
    s.push_str("\nmost probable endpoints:\n");
    let mut t = Table::new(&["output", "reason", "label", "height", "probability"]);
    for e in r.endpoints.iter().take(25) {
        t.row(vec![
            e.outpoint.clone(),
            e.reason.clone(),
            e.label.clone().unwrap_or_default(),
            e.height.to_string(),
            format!("{:.4}", e.probability),
        ]);
    }
    s.push_str(&t.render());
    s
}

fn known(args: &XmrKnownArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.index.dir())?;
    let g = RingGraph::from_store(&store);
    let text =
        std::fs::read_to_string(&args.ground_truth).with_context(|| format!("{}", args.ground_truth.display()))?;
    let truth = Truth::load(&store, &g, &text)?;
    let k = truth.knowledge_of(&args.wallet);
    if k.outputs.is_empty() && k.spends.is_empty() {
        bail!("the ground truth has no wallet {:?}", args.wallet);
    }
    print_json(&k)
}

fn simulate(args: &XmrSimulateArgs) -> anyhow::Result<()> {
    let era = match args.era.as_str() {
        "early" => sim::monero::MoneroEra::Early,
        "modern" => sim::monero::MoneroEra::Modern,
        other => bail!("--era {other:?}: early or modern"),
    };
    let mut opts = sim::monero::MoneroSimOptions::new(era);
    opts.seed = args.seed;
    opts.write_truth = !args.no_truth;
    opts.txs_per_block = args.txs_per_block.unwrap_or(opts.txs_per_block);
    opts.users = args.users.unwrap_or(opts.users);
    opts.spend_like_decoys = args.spend_like_decoys;
    if let Some(n) = args.inputs {
        opts.length = sim::monero::MoneroLength::Inputs(n);
    }
    if let Some(n) = args.blocks {
        opts.length = sim::monero::MoneroLength::Blocks(n);
    }
    let r = sim::monero::simulate_monero(&opts, &args.out)?;
    print_text(&format!(
        "{}: {} blocks, {} txs, {} inputs, {} outputs, {:.1} MB in {:.1} s; tip {}\n",
        r.out_dir.display(),
        r.blocks,
        r.transactions,
        r.inputs,
        r.outputs,
        r.bytes_written as f64 / 1e6,
        r.elapsed_secs,
        r.tip_hash
    ))
}

/// `xmr demo` (and `demo --chain monero`).
pub fn demo(args: &XmrDemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("{}", args.out.display()))?;
    let index = args.out.join("index");
    Store::remove(&index)?;
    let mut s =
        String::from("Monero: the chain written by monerod and monero-wallet-rpc 0.18 (fixtures/monero-regtest)\n");
    demo_ingest(args, &index, &mut s)?;
    let store = Store::open(&index)?;
    let g = RingGraph::from_store(&store);
    let truth_path = args.blobs.join("ground_truth.json");
    let truth = Truth::load(
        &store,
        &g,
        &std::fs::read_to_string(&truth_path).with_context(|| format!("{}", truth_path.display()))?,
    )?;
    let mut demo = MoneroDemo { args, store: &store, truth: &truth, s };
    let smoothing = demo.eval_blind(&g, &truth_path)?;
    demo.eval_known(&g, smoothing)?;
    let a = Analysis::run(&store, &Options { smoothing, ..Options::default() })?;
    let theft = demo.trace_theft(&a)?;
    demo.trace_back_from_swap(&a)?;
    demo.screen_swap_deposit(&index, &a, &theft)?;
    print_text(&demo.s)
}

/// Step 1 of the Monero demo: the fixture's blobs ingested into a fresh index at `index`.
fn demo_ingest(args: &XmrDemoArgs, index: &Path, s: &mut String) -> anyhow::Result<()> {
    let report = monero_index::ingest(index, &mut BlobDir::new(&args.blobs)?, &IngestOptions::default(), &|_, _| {})?;
    let _ = writeln!(
        s,
        "\n1. chainsleuth xmr ingest --blobs {}: {} blocks, {} txs, {} inputs, {} outputs in {:.2} s",
        args.blobs.display(),
        report.blocks_after,
        report.txs,
        report.inputs,
        report.outputs,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

/// What the Monero demo's stages share: the arguments, the index, the ground truth
/// and the report written so far.
struct MoneroDemo<'a> {
    args: &'a XmrDemoArgs,
    store: &'a Store,
    truth: &'a Truth,
    s: String,
}

impl MoneroDemo<'_> {
    /// Step 2: the analysis evaluated against the ground truth (saved as eval.json);
    /// returns the age model's smoothing it chose.
    fn eval_blind(&mut self, g: &RingGraph, truth_path: &Path) -> anyhow::Result<Option<f64>> {
        let r = evaluate(self.store, g, self.truth, &Options::default())?;
        let _ = writeln!(
            self.s,
            "\n2. chainsleuth xmr eval --ground-truth {} (the analysis never sees it):\n",
            truth_path.display()
        );
        self.s.push_str(&eval_text(&r));
        std::fs::write(self.args.out.join("eval.json"), serde_json::to_vec_pretty(&r)?)?;
        Ok(r.smoothing)
    }

    /// Step 3: the evaluation again with what the exchange knows of its own wallet
    /// (saved as exchange_known.json).
    fn eval_known(&mut self, g: &RingGraph, smoothing: Option<f64>) -> anyhow::Result<()> {
        let knowledge = self.truth.knowledge_of("exchange");
        std::fs::write(self.args.out.join("exchange_known.json"), serde_json::to_vec_pretty(&knowledge)?)?;
        let mut opts = Options { smoothing, ..Options::default() };
        opts.rules.push(Rule::Known);
        opts.rules.sort();
        opts.known = Some(knowledge);
        let with = evaluate(self.store, g, self.truth, &opts)?;
        if let Some(k) = &with.known {
            let _ = writeln!(
                self.s,
                "\n3. --known exchange_known.json (what the exchange knows of its own wallet): on everyone else's {} inputs, top-1 {:.4} -> {:.4}, effective ring size {:.3} -> {:.3}",
                k.inputs, k.top1_without, k.top1_with, k.effective_ring_size_without, k.effective_ring_size_with
            );
        }
        Ok(())
    }

    /// Step 4: the theft's outputs traced forward to the services the truth labels
    /// (saved as trace.html and trace.json); returns the theft outputs as `txid:n`.
    fn trace_theft(&mut self, a: &Analysis) -> anyhow::Result<Vec<String>> {
        let (store, truth, out) = (self.store, self.truth, &self.args.out);
        let labels: FxHashMap<[u8; 32], String> = truth
            .service_labels()
            .into_iter()
            .filter_map(|(k, l): (String, String)| Hash32::from_hex(&k).map(|h| (h.0, l)))
            .collect();
        let theft: Vec<String> =
            truth.outputs_of_kind("theft", "thief").into_iter().map(|(t, n)| format!("{t}:{n}")).collect();
        let start = start_outputs(store, &theft)?;
        let forward =
            rings::trace::trace(store, a, &start, &labels, &TraceOptions { max_hops: 4, ..TraceOptions::default() });
        let tip =
            store.blocks.last().map(|b| format!("{} {}", store.blocks.len() - 1, Hash32(b.id))).unwrap_or_default();
        std::fs::write(out.join("trace.html"), forward.to_html(&tip))?;
        std::fs::write(out.join("trace.json"), serde_json::to_vec_pretty(&forward)?)?;
        let swap: f64 = 1.0
            - forward
                .labels_reached
                .iter()
                .filter(|(l, _)| l.starts_with("swap:order:"))
                .map(|(_, p)| 1.0 - p)
                .product::<f64>();
        let _ = writeln!(
            self.s,
            "\n4. chainsleuth xmr trace --from <the {} theft outputs> --max-hops 4: {} txs reached; chance the coins reached a swap order: {swap:.4}; report in {}",
            start.len(),
            forward.txs.len(),
            out.join("trace.html").display()
        );
        Ok(theft)
    }

    /// Step 5: the swap service's deposits from the thief traced backward, to see
    /// whether the theft transactions are reached.
    fn trace_back_from_swap(&mut self, a: &Analysis) -> anyhow::Result<()> {
        let deposits: Vec<String> =
            self.truth.outputs_of_kind("thief_to_swap", "swap").into_iter().map(|(t, n)| format!("{t}:{n}")).collect();
        let back_start = start_outputs(self.store, &deposits)?;
        let back = rings::trace::trace(
            self.store,
            a,
            &back_start,
            &FxHashMap::default(),
            &TraceOptions { direction: Direction::Backward, max_hops: 3, ..TraceOptions::default() },
        );
        let thefts = self.truth.txids_of_kind("theft");
        let reached: Vec<String> = back
            .txs
            .iter()
            .filter(|t| thefts.contains(&t.txid))
            .map(|t| format!("{}… p {:.3}", &t.txid[..12], t.probability))
            .collect();
        let _ = writeln!(
            self.s,
            "\n5. chainsleuth xmr trace --direction backward --from <the swap's {} deposits from the thief> --max-hops 3: {} txs reached; the theft txs: {}",
            back_start.len(),
            back.txs.len(),
            if reached.is_empty() { "not reached".to_owned() } else { reached.join(", ") }
        );
        Ok(())
    }

    /// Step 6: the theft outputs imported as labels into the index at `index`, then
    /// a swap deposit screened against them.
    fn screen_swap_deposit(&mut self, index: &Path, a: &Analysis, theft: &[String]) -> anyhow::Result<()> {
        let theft_csv = self.args.out.join("theft_labels.csv");
        let rows: String = theft.iter().map(|o| format!("{o},exchange hack,theft,investigation\n")).collect();
        std::fs::write(&theft_csv, format!("subject,label,category,source\n{rows}"))?;
        let imported = tags::import_monero_csv(index, &theft_csv, "investigation", &utc_now())?;
        let labels = MoneroLabels::load(index, self.store)?;
        let config = tags::RiskConfig::default();
        let screener = MoneroScreener { store: self.store, analysis: a, labels: &labels, config: &config };
        if let Some(deposit) = self.truth.txids_of_kind("thief_to_swap").first() {
            let r = screener.screen(
                deposit,
                MoneroScreenOptions { directions: Directions::Received, ..MoneroScreenOptions::default() },
            )?;
            let chance = r.exposures.first().map_or(0.0, |e| e.probability);
            let _ = writeln!(
                self.s,
                "\n6. chainsleuth xmr tags import {} ({} theft outputs), then chainsleuth xmr screen {}… (a swap deposit): risk {:?} ({}), chance its coins came from the theft {chance:.4}",
                theft_csv.display(),
                imported.imported,
                &deposit[..12],
                r.risk_level,
                r.risk_score
            );
        }
        Ok(())
    }
}
