//! Services recognised by behaviour: entities that act like an exchange (many
//! deposits, each paid by someone else, swept together into the entity's own
//! coins; withdrawals paid out in batches) or a mining pool (paid
//! by coinbases), each with a confidence and the reasons behind it. These become a
//! tag source of their own (`chainsleuth tags infer`), so screening and tracing can
//! stop at services nobody has labelled yet.

use crate::reader::Analysis;
use index::{AddrId, EntityId, InNum, Index, OutNum, Spent, TxNum};
use std::collections::HashMap;

/// A category a behaviour names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Deposit sweeps and batch withdrawals.
    Exchange,
    /// Coinbase payouts.
    MiningPool,
}

impl Behaviour {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Exchange => "exchange",
            Behaviour::MiningPool => "mining_pool",
        }
    }
}

/// An entity named by its behaviour.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceGuess {
    /// The entity.
    pub entity: EntityId,
    /// What it acts like.
    pub behaviour: Behaviour,
    /// How sure, 0 to 1.
    pub confidence: f64,
    /// What it did, for people.
    pub reasons: Vec<String>,
}

/// What one entity did, counted over the chain.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    /// Coinbase transactions paying it.
    coinbases: u64,
    /// Sweeps into it: transactions spending one entity's coins, at least
    /// [`SWEEP_INPUTS`] of them deposits, into at most two outputs.
    sweeps: u64,
    /// Deposits swept.
    deposits_swept: u64,
    /// Transactions spending its coins to at least [`BATCH_OUTPUTS`] outputs of
    /// other entities.
    batches: u64,
}

/// Least deposits a sweep spends.
pub const SWEEP_INPUTS: usize = 3;
/// Least payees of a batch withdrawal.
pub const BATCH_OUTPUTS: usize = 5;
/// Least coinbases paying an entity for it to be called a mining pool.
pub const MIN_COINBASES: u64 = 3;
/// Least deposits an exchange sweeps.
pub const MIN_DEPOSITS: u64 = 10;

/// Infers services by behaviour over a clustered index: one guess per entity at
/// most, largest confidence first.
pub fn infer_services(index: &Index, analysis: &Analysis) -> Vec<ServiceGuess> {
    let mut counts: HashMap<EntityId, Counts> = HashMap::new();
    let entity = |a: AddrId| analysis.entity_of(a);
    for t in (0..index.counts().txs).map(TxNum) {
        if analysis.coinjoin(t).is_some() {
            continue;
        }
        let inputs = index.tx_inputs(t);
        let outputs = index.tx_outputs(t);
        let first = inputs.clone().next().map(|i| index.spent(InNum(i)));
        if first == Some(Spent::Coinbase) {
            let mut paid: Vec<EntityId> =
                outputs.clone().filter_map(|o| entity(index.output_address(OutNum(o)))).collect();
            paid.sort_unstable();
            paid.dedup();
            for e in paid {
                counts.entry(e).or_default().coinbases += 1;
            }
            continue;
        }
        let spent: Option<Vec<OutNum>> = inputs
            .clone()
            .map(|i| match index.spent(InNum(i)) {
                Spent::Output(o) => Some(o),
                _ => None,
            })
            .collect();
        let Some(spent) = spent else { continue };
        let owners: Vec<Option<EntityId>> = spent.iter().map(|&o| entity(index.output_address(o))).collect();
        let Some(Some(sender)) = owners.first().copied() else { continue };
        if owners.iter().any(|o| *o != Some(sender)) {
            continue;
        }
        let payees = outputs.clone().filter(|&o| entity(index.output_address(OutNum(o))) != Some(sender)).count();
        if payees >= BATCH_OUTPUTS {
            counts.entry(sender).or_default().batches += 1;
        }
        let deposits = spent.iter().filter(|&&o| is_deposit(index, analysis, o, sender)).count();
        if deposits >= SWEEP_INPUTS && outputs.end - outputs.start <= 2 {
            // Credited to the entity swept into (the largest output's), which is the
            // one that later pays withdrawals: a sweep's inputs and its output are
            // often two clusters, since nothing spends them together.
            let into = outputs.clone().map(OutNum).max_by_key(|&o| (index.value(o), std::cmp::Reverse(o)));
            let receiver = into.and_then(|o| entity(index.output_address(o))).unwrap_or(sender);
            let c = counts.entry(receiver).or_default();
            c.sweeps += 1;
            c.deposits_swept += deposits as u64;
        }
    }
    let mut guesses: Vec<ServiceGuess> = counts.into_iter().filter_map(|(e, c)| guess(e, c)).collect();
    guesses.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.entity.cmp(&b.entity)));
    guesses
}

/// A deposit of entity `owner`: a coin another entity paid it (whether the
/// address is fresh or a customer's standing deposit address).
fn is_deposit(index: &Index, analysis: &Analysis, o: OutNum, owner: EntityId) -> bool {
    let payer = index.tx_inputs(index.output_tx(o)).next().and_then(|i| match index.spent(InNum(i)) {
        Spent::Output(p) => analysis.entity_of(index.output_address(p)),
        _ => None,
    });
    payer.is_some_and(|p| p != owner)
}

/// The guess the counts of one entity support, if any.
fn guess(entity: EntityId, c: Counts) -> Option<ServiceGuess> {
    if c.coinbases >= MIN_COINBASES {
        let confidence = (1.0 - 0.5f64.powf(c.coinbases as f64 / MIN_COINBASES as f64)).min(0.99);
        let reasons = vec![format!("paid by {} coinbase transactions", c.coinbases)];
        return Some(ServiceGuess { entity, behaviour: Behaviour::MiningPool, confidence, reasons });
    }
    if c.deposits_swept >= MIN_DEPOSITS && c.sweeps >= 2 && c.batches >= 1 {
        // Each signal alone can be a busy user; together they are an exchange's day.
        let strength = (c.deposits_swept as f64 / MIN_DEPOSITS as f64).min(4.0) / 4.0
            + (c.batches as f64).min(4.0) / 8.0
            + (c.sweeps as f64).min(4.0) / 8.0;
        let confidence = (0.5 + strength / 4.0).min(0.95);
        let reasons = vec![
            format!("swept {} deposits paid by others, in {} sweeps", c.deposits_swept, c.sweeps),
            format!("paid {} batches of {BATCH_OUTPUTS} or more payees", c.batches),
        ];
        return Some(ServiceGuess { entity, behaviour: Behaviour::Exchange, confidence, reasons });
    }
    None
}

/// One behaviour measured against ground truth.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BehaviourEval {
    /// The behaviour.
    pub behaviour: Behaviour,
    /// The truth's role it stands for (`exchange`, `miner`).
    pub role: &'static str,
    /// Entities guessed.
    pub guesses: u64,
    /// Of them, those whose addresses mostly belong to a wallet of that role.
    pub right: u64,
    /// Wallets of that role seen on chain.
    pub services: u64,
    /// Of them, those that most of some right guess belongs to.
    pub found: u64,
    /// right / guesses.
    pub precision: f64,
    /// found / services.
    pub recall: f64,
}

/// Measures the guesses against the truth's wallet roles: a guess is right when
/// most of its entity's addresses that the truth names belong to one wallet of
/// the behaviour's role.
pub fn measure(guesses: &[ServiceGuess], analysis: &Analysis, truth: &crate::truth::GroundTruth) -> Vec<BehaviourEval> {
    let mut owners_of: HashMap<EntityId, HashMap<u32, u64>> = HashMap::new();
    for (&address, &w) in &truth.owner {
        if let Some(e) = analysis.entity_of(AddrId(address)) {
            *owners_of.entry(e).or_default().entry(w).or_default() += 1;
        }
    }
    let majority = |e: EntityId| -> Option<u32> {
        owners_of.get(&e)?.iter().max_by_key(|(w, n)| (**n, std::cmp::Reverse(**w))).map(|(w, _)| *w)
    };
    let seen: std::collections::HashSet<u32> = truth.owner.values().copied().collect();
    [(Behaviour::Exchange, "exchange"), (Behaviour::MiningPool, "miner")]
        .into_iter()
        .map(|(behaviour, role)| {
            let of_role = |w: u32| truth.roles.get(w as usize).is_some_and(|r| r == role);
            let mine: Vec<&ServiceGuess> = guesses.iter().filter(|g| g.behaviour == behaviour).collect();
            let right_owners: Vec<u32> =
                mine.iter().filter_map(|g| majority(g.entity)).filter(|&w| of_role(w)).collect();
            let services = seen.iter().filter(|&&w| of_role(w)).count() as u64;
            let mut found = right_owners.clone();
            found.sort_unstable();
            found.dedup();
            let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
            BehaviourEval {
                behaviour,
                role,
                guesses: mine.len() as u64,
                right: right_owners.len() as u64,
                services,
                found: found.len() as u64,
                precision: ratio(right_owners.len() as u64, mine.len() as u64),
                recall: ratio(found.len() as u64, services),
            }
        })
        .collect()
}
