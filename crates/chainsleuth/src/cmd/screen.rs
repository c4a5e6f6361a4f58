//! `chainsleuth tags import|infer|list|remove` and `chainsleuth screen`.

use crate::cli::{ScreenArgs, TagsCommand};
use crate::output::{print_json, print_text, safe};
use anyhow::{Context, anyhow, bail};
use index::Index;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tags::{Directions, Format, LabelSet, RiskConfig, ScreenOptions, ScreenReport, Screener};

/// The current time, RFC 3339 in UTC.
pub fn utc_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// `chainsleuth tags ...`.
pub fn tags(command: TagsCommand) -> anyhow::Result<()> {
    match command {
        TagsCommand::Import { file, format, source, index, json } => {
            let dir = index.dir();
            let index = Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
            let format = match format {
                Some(f) => f.parse::<Format>().map_err(|e| anyhow!(e))?,
                None => Format::guess(&file).ok_or_else(|| {
                    anyhow!("cannot tell the format of {} from its extension: give --format", file.display())
                })?,
            };
            let source = source.unwrap_or_else(|| source_name(&file));
            let report = tags::import_file(&dir, index.network(), &file, format, &source, &utc_now())?;
            print_import(&report, &file, json)
        }
        TagsCommand::Infer { index, json } => infer_services(&index.dir(), json),
        TagsCommand::List { index, json } => list_sources(&index.dir(), json),
        TagsCommand::Remove { source, index } => remove_source(&index.dir(), &source),
    }
}

/// `chainsleuth tags infer`: services by behaviour, saved as the source `behaviour`.
fn infer_services(dir: &Path, json: bool) -> anyhow::Result<()> {
    let index = Index::open(dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
    let Some(clustering) = analysis::Analysis::open(&index)? else {
        bail!("no clustering of {}: run `chainsleuth cluster` first", dir.display());
    };
    let guesses = analysis::behaviour::infer_services(&index, &clustering);
    let now = utc_now();
    let labels = guesses
        .iter()
        .map(|g| tags::Label {
            address: index.address_text(index::AddrId(g.entity.0)),
            label: format!("{} (entity {}, by behaviour)", g.behaviour.name(), g.entity.0),
            category: match g.behaviour {
                analysis::behaviour::Behaviour::Exchange => tags::Category::Exchange,
                analysis::behaviour::Behaviour::MiningPool => tags::Category::Mining,
            },
            source: "behaviour".to_owned(),
            reference: Some(g.reasons.join("; ")),
            date: now.get(..10).unwrap_or(&now).to_owned(),
            confidence: (g.confidence * 100.0).round() as u8,
            actor: None,
        })
        .collect();
    tags::save_inferred(dir, "behaviour", &now, labels)?;
    if json {
        return print_json(&guesses);
    }
    let mut s = String::new();
    let _ = writeln!(s, "{} services by behaviour, saved as the source `behaviour`", guesses.len());
    for g in &guesses {
        let _ = writeln!(
            s,
            "  entity {:<8} {:<12} {:.2}  {}",
            g.entity.0,
            g.behaviour.name(),
            g.confidence,
            g.reasons.join("; ")
        );
    }
    print_text(&s)
}

/// The source name a label file gets by default: its name without extension.
pub fn source_name(file: &Path) -> String {
    let name = file.file_name().map_or("labels".into(), |s| s.to_string_lossy());
    let name = name.strip_suffix(".bz2").unwrap_or(&name);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem).to_owned()
}

/// Prints what an import did.
pub fn print_import(report: &tags::ImportReport, file: &Path, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(report);
    }
    let mut s = String::new();
    let categories: Vec<String> = report.categories.iter().map(|(c, n)| format!("{c} {n}")).collect();
    let _ = writeln!(
        s,
        "imported    {} labels from {} as source {:?} ({}): {}",
        report.imported,
        file.display(),
        report.source,
        report.format,
        categories.join(", ")
    );
    for (what, rows) in [("skipped", &report.rejected), ("warning", &report.other_network)] {
        if rows.is_empty() {
            continue;
        }
        let noun = if what == "skipped" { "rows" } else { "labels of another network (kept)" };
        let _ = writeln!(s, "{what:<11} {} {noun}:", rows.len());
        for r in rows.iter().take(20) {
            let _ = writeln!(s, "  {}:{}: {}", file.display(), r.line, safe(&r.reason));
        }
        if rows.len() > 20 {
            let _ = writeln!(s, "  ... {} more (--json lists them all)", rows.len() - 20);
        }
    }
    print_text(&s)
}

/// Prints the label sources stored beside the index at `dir`.
pub fn list_sources(dir: &Path, json: bool) -> anyhow::Result<()> {
    let files = tags::store::sources(dir)?;
    if json {
        let list: Vec<serde_json::Value> = files
            .iter()
            .map(|f| {
                serde_json::json!({"source": f.source, "format": f.format, "file": f.file,
                    "imported_at": f.imported_at, "labels": f.labels.len(), "rejected": f.rejected})
            })
            .collect();
        return print_json(&list);
    }
    let mut s = String::new();
    if files.is_empty() {
        let _ = writeln!(s, "no labels yet: chainsleuth tags import FILE");
    }
    for f in &files {
        let _ = writeln!(
            s,
            "{:<28} {:>7} labels  {:<13} {}  {}",
            safe(&f.source),
            f.labels.len(),
            f.format.name(),
            safe(&f.imported_at),
            safe(&f.file)
        );
    }
    print_text(&s)
}

/// Removes a label source stored beside the index at `dir`.
pub fn remove_source(dir: &Path, source: &str) -> anyhow::Result<()> {
    tags::store::remove(dir, source)?;
    print_text(&format!("removed source {source:?}\n"))
}

/// The risk rules: `--config`, else ./chainsleuth.toml, else the built-in ones.
pub fn risk_config(path: Option<&Path>) -> anyhow::Result<RiskConfig> {
    let local = PathBuf::from("chainsleuth.toml");
    match path {
        Some(p) => Ok(RiskConfig::read(p)?),
        None if local.exists() => Ok(RiskConfig::read(&local)?),
        None => Ok(RiskConfig::default()),
    }
}

/// `chainsleuth screen`.
pub fn screen(args: &ScreenArgs) -> anyhow::Result<()> {
    let dir = args.index.dir();
    let index = Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
    let analysis = analysis::Analysis::open(&index)?;
    let labels = LabelSet::load(&dir, &index, analysis.as_ref())?;
    let config = risk_config(args.config.as_deref())?;
    let links = trace::PoolLinks::from_index(&index, &zcash::links::LinkOptions::default());
    let screener = Screener {
        index: &index,
        analysis: analysis.as_ref(),
        labels: &labels,
        config: &config,
        pool_links: Some(&links),
    };
    let directions = match args.direction.as_str() {
        "received" => Directions::Received,
        "sent" => Directions::Sent,
        _ => Directions::Both,
    };
    let report =
        screener.screen(&args.subject, ScreenOptions { hops: args.hops, directions }, &trace::Budget::unlimited())?;
    let as_of = server::live::AsOf::of(
        &index,
        analysis.as_ref(),
        server::live::Labels { version: tags::store::version(&dir)?, count: labels.len() },
    );
    if let Some(c) = as_of.clustering.as_ref().filter(|c| c.behind) {
        log::warn!(
            "the clustering covers the chain up to height {}, the index goes further: addresses first seen since have no entity and inherit no labels (run `chainsleuth cluster`)",
            c.tip_height
        );
    }
    if args.json {
        let mut json = serde_json::to_value(&report)?;
        json["as_of"] = serde_json::to_value(&as_of)?;
        return print_json(&json);
    }
    print_text(&screen_text(&report, labels.is_empty()))
}

/// The screening as text: subject, risk, value, labels, exposures and rules fired.
fn screen_text(report: &ScreenReport, no_labels: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "subject     {} ({})", report.subject, report.subject_type);
    let _ = writeln!(s, "risk        {:?} ({} of 100)", report.risk_level, report.risk_score);
    let _ = writeln!(
        s,
        "value       received {} sats, sent {} sats (traced {} hops)",
        report.received, report.sent, report.hops
    );
    if no_labels {
        let _ = writeln!(s, "            (no labels imported: chainsleuth tags import FILE)");
    }
    for i in &report.identifications {
        let l = &i.label;
        let via = if i.via == "entity" { format!("its entity, {} addresses", i.addresses) } else { l.address.clone() };
        s.push_str(&label_line(l, &via));
    }
    if !report.exposures.is_empty() {
        let _ = writeln!(
            s,
            "\nexposure    category         type      direction   value (sats)    share  hops  largest counterparty"
        );
        for e in &report.exposures {
            let party =
                e.counterparties.first().map_or(String::new(), |c| format!("{} {}", safe(&c.label), safe(&c.address)));
            let _ = writeln!(
                s,
                "            {:<16} {:<9} {:<10} {:>13} {:>7.2}% {:>5}  {party}",
                e.category.name(),
                format!("{:?}", e.exposure_type).to_lowercase(),
                format!("{:?}", e.direction).to_lowercase(),
                e.value,
                e.share * 100.0,
                e.hops
            );
        }
    }
    if !report.rules_fired.is_empty() {
        let _ = writeln!(s, "\nrules fired");
        for r in &report.rules_fired {
            let _ = writeln!(s, "  {:<32} {:>3}  {}", safe(&r.rule), r.score, safe(&r.reason));
        }
    }
    s
}

/// The `label` line of a screening's text: the label, its category, source,
/// confidence and date, and where it sits (`place`), every field made safe
/// for the terminal.
pub fn label_line(l: &tags::Label, place: &str) -> String {
    format!(
        "label       {} ({}) from {}, confidence {}, {} [{}]\n",
        safe(&l.label),
        l.category,
        safe(&l.source),
        l.confidence,
        safe(&l.date),
        safe(place)
    )
}
