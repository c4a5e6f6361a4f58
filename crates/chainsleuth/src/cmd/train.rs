//! `chainsleuth train-change`: rebuilds the change model from simulated chains,
//! never from the chain Bitcoin Core's wallets wrote (that one is the validation
//! of record, `chainsleuth eval`). Every chain is simulated from a seed derived
//! from `--seed`, indexed, and labelled by its truth; the learner fits the training
//! chains, Platt scaling a calibration chain, and the default threshold is picked
//! on a validation chain. The same seed gives the same model, byte for byte.

use crate::cli::TrainChangeArgs;
use crate::output::{print_json, print_text};
use analysis::dataset::{Labelled, labelled};
use analysis::model::TrainingRecord;
use analysis::train::{LOGISTIC_L2, LearnerKind, TrainingSets, TreeParams, build_model};
use analysis::truth::GroundTruth;
use anyhow::Context;
use chain::{BlocksDir, Network};
use sim::{Length, Profile, SimConfig, simulate};
use std::fmt::Write as _;
use std::path::Path;

/// One simulated chain of the training run.
struct ChainSpec {
    role: &'static str,
    profile: Profile,
    seed: u64,
    length: Length,
}

/// The chains a run simulates from `seed`: `chains` small economies and one city
/// to learn from, one small economy to calibrate on and one to validate on.
fn chain_specs(seed: u64, chains: u64) -> Vec<ChainSpec> {
    let derive = |k: u64| seed.wrapping_mul(1_000).wrapping_add(k);
    let mut specs: Vec<ChainSpec> = (0..chains)
        .map(|k| ChainSpec { role: "train", profile: Profile::SMALL, seed: derive(k), length: Length::Default })
        .collect();
    specs.push(ChainSpec {
        role: "train",
        profile: Profile::DEFAULT,
        seed: derive(100),
        length: Length::Transactions(60_000),
    });
    specs.push(ChainSpec { role: "calibrate", profile: Profile::SMALL, seed: derive(200), length: Length::Default });
    specs.push(ChainSpec { role: "validate", profile: Profile::SMALL, seed: derive(300), length: Length::Default });
    specs
}

/// Simulates, indexes and labels one chain under `dir`; returns its labelled
/// outputs and transaction count.
fn labelled_chain(spec: &ChainSpec, dir: &Path) -> anyhow::Result<(Labelled, u64)> {
    let config = SimConfig {
        out_dir: dir.to_owned(),
        seed: spec.seed,
        profile: spec.profile,
        length: spec.length,
        xor: false,
        thief_scripts: Vec::new(),
        whirlpool_pools: Vec::new(),
        truth: sim::TruthLevel::Full,
    };
    let summary = simulate(&config, &|_| {}).with_context(|| format!("simulating into {}", dir.display()))?;
    let blocks = BlocksDir::open(&summary.blocks_dir, Network::Regtest)?;
    let index_dir = dir.join("index");
    let options = index::IngestOptions { rebuild: true, ..Default::default() };
    index::ingest(&blocks, &index_dir, &options, &|_| {}).context("ingest failed")?;
    let index = index::Index::open(&index_dir)?;
    let truth_path = summary.ground_truth.as_deref().context("the simulation wrote no ground truth")?;
    let truth = GroundTruth::read(&index, truth_path)?;
    let (root, size, _) = analysis::cluster::common_input_partition(&index);
    let partition = analysis::features::Partition { root: &root, size: &size };
    Ok((labelled(&index, &truth, &partition), summary.transactions))
}

/// `chainsleuth train-change`.
pub fn run(args: &TrainChangeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let temporary = tempfile::tempdir()?;
    let work = args.work_dir.clone().unwrap_or_else(|| temporary.path().to_owned());
    let mut sets =
        TrainingSets { train: Labelled::default(), calibrate: Labelled::default(), validate: Labelled::default() };
    let mut chains = Vec::new();
    for (k, spec) in chain_specs(args.seed, args.chains).iter().enumerate() {
        let dir = work.join(format!("chain-{k}"));
        let (set, txs) = labelled_chain(spec, &dir)?;
        log::info!(
            "chain {k} ({} {}, seed {}): {txs} transactions, {} outputs",
            spec.role,
            spec.profile.name,
            spec.seed,
            set.x.len()
        );
        match spec.role {
            "train" => sets.train.extend(set),
            "calibrate" => sets.calibrate.extend(set),
            _ => sets.validate.extend(set),
        }
        chains.push((spec.role.to_owned(), spec.profile.name.to_owned(), spec.seed, txs));
        if args.work_dir.is_none() {
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    let kind = match args.learner.as_str() {
        "logistic" => LearnerKind::Logistic(LOGISTIC_L2),
        _ => LearnerKind::Trees(TreeParams::default()),
    };
    let record = TrainingRecord {
        seed: args.seed,
        chains,
        samples: sets.train.x.len() as u64,
        target_precision: args.target_precision,
    };
    let model = build_model(&sets, kind, record);
    std::fs::write(&args.out, model.to_json()).with_context(|| format!("cannot write {}", args.out.display()))?;
    let validation = analysis::eval::evaluate_model(&model, &analysis::dataset::decisions(&model, &sets.validate));
    if args.json {
        return print_json(&validation);
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "model        {} ({}), {} outputs learned from",
        args.out.display(),
        args.learner,
        model.trained_on.samples
    );
    let _ = writeln!(s, "calibration  p = sigmoid({:.4} m + {:.4})", model.calibration.a, model.calibration.b);
    let d = &validation.at_default;
    let _ = writeln!(
        s,
        "validation   threshold {}: change precision {:.4}, recall {:.4} (simulated chain, seed {}); calibration error {:.4}",
        model.default_threshold,
        d.precision,
        d.recall,
        model.trained_on.chains.last().map_or(0, |c| c.2),
        validation.calibration_error
    );
    let _ = writeln!(s, "elapsed      {:.1} s", started.elapsed().as_secs_f64());
    print_text(&s)
}
