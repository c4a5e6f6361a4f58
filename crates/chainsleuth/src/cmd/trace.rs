//! `chainsleuth trace`: follow value forward or backward under a taint policy.

use crate::cli::TraceArgs;
use anyhow::{Context, anyhow};
use index::Index;
use std::io::Write;
use trace::{Direction, Policy, Report, TraceOptions};

/// Runs a trace and writes its report.
pub fn run(args: &TraceArgs) -> anyhow::Result<()> {
    let dir = args.index.dir();
    let index = Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
    let analysis = analysis::Analysis::open(&index)?;
    let policy: Policy = args.policy.parse()?;
    let direction = if args.direction == "backward" { Direction::Backward } else { Direction::Forward };
    let mut starts = Vec::new();
    for from in &args.from {
        starts.extend(trace::start_outputs(&index, from).with_context(|| format!("--from {from}"))?);
    }
    if starts.is_empty() {
        return Err(anyhow!("--from names no output (an address that never received anything?)"));
    }
    // Services: from --labels FILE if given, else the imported labels (tags import).
    let labels = match &args.labels {
        Some(path) => tags::read_labels(path, tags::Format::Csv, &index, analysis.as_ref())?,
        None => tags::LabelSet::load(&dir, &index, analysis.as_ref())?,
    };
    let services = &tags::ServiceStops { labels: &labels, analysis: analysis.as_ref() };
    if args.stop_at_services && labels.is_empty() {
        log::warn!("--stop-at-services without labelled services (tags import, or --labels FILE): nothing to stop at");
    }
    let until_height = match &args.until_date {
        Some(date) => {
            Some(trace::until_height_of_date(&index, direction, date).map_err(|e| anyhow!("--until-date: {e}"))?)
        }
        None => args.until_height,
    };
    let options = TraceOptions {
        policy,
        direction,
        max_hops: args.max_hops,
        min_value: args.min_value.unwrap_or_else(|| trace::default_min_value(policy)),
        stop_at_services: args.stop_at_services,
        until_height,
        max_nodes: args.max_nodes,
    };
    if !(0.0..=1.0).contains(&args.link_min_confidence) {
        return Err(anyhow!("--link-min-confidence {}: between 0 and 1", args.link_min_confidence));
    }
    let link_options = zcash::links::LinkOptions {
        window: args.link_window,
        min_confidence: args.link_min_confidence,
        by_address: args.link_by_address,
        ..zcash::links::LinkOptions::default()
    };
    let links = (!args.no_pool_links).then(|| trace::PoolLinks::from_index(&index, &link_options));
    let mut view = trace::IndexView::new(&index, analysis.as_ref());
    if let Some(links) = &links {
        view = view.with_pool_links(links);
    }
    let flow = trace::trace(&view, services, &starts, options, &trace::Budget::unlimited())?;
    let mut report = Report::build(&flow, &index, analysis.as_ref(), services);
    drop(flow);
    if args.max_rows > 0 {
        report.limit_rows(args.max_rows);
    }
    let format = if args.json { "json" } else { args.format.as_str() };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    // JSON is written as it is serialized, never held whole in memory.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let written = match format {
        "json" => {
            serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::from).and_then(|()| writeln!(out))
        }
        "csv" => out.write_all(report.to_csv().as_bytes()),
        "dot" => out.write_all(report.to_dot().as_bytes()),
        "html" => out.write_all(report.to_html(args.rows.max(40)).as_bytes()),
        _ => out.write_all(report.to_table(args.rows).as_bytes()),
    }
    .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.with_context(|| match &args.output {
            Some(path) => format!("cannot write {}", path.display()),
            None => "cannot write to standard output".to_owned(),
        }),
    }
}
