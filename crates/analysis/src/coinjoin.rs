//! CoinJoin classifiers. Each names the protocol it recognises, with a confidence
//! that reflects what it could check: with the spent outputs' values (from the
//! index) a rule can test inputs too; judged from a lone transaction it cannot.
//!
//! Sources of the rules, which are the baseline these meet or beat:
//! - Dumplings (nopara73/Dumplings, `Scanning/Scanner.cs`): Wasabi 1 "at least 10
//!   equal outputs of about the 0.1 BTC base denomination, more inputs than those";
//!   Samourai "5 inputs, 5 equal outputs of a pool size"; Tx0s found as the
//!   OP_RETURN-carrying parents of mixes; "other" CoinJoins: one equal-output group
//!   of n with n other outputs, n distinct input and output scripts, and no input
//!   larger than an equal output plus the largest other output.
//! - BlockSci (`heuristics/tx_identification.cpp`, `isCoinjoin`, Kalodner et al. 2017):
//!   at least 2 inputs and 3 outputs, p = ceil(outputs / 2) participants, p distinct
//!   input addresses, and the most common output value appearing exactly p times
//!   (not 546 or 2730 sats).
//! - WabiSabi standard denominations (WalletWasabi `StandardDenomination`, as ported
//!   by Dumplings and BlockSci): 5,000 sats to 1,343.75 BTC, powers of 2, powers of
//!   3, 2 x powers of 3, and 1-2-5 x powers of 10.
//!
//! Where chainsleuth differs: Whirlpool mixes of 5 to 10 parties (the pools ran 6-,
//! 7- and 8-party mixes from 2023), Tx0s recognised from their own shape (premix
//! outputs a little above a pool denomination, plus the fee payload), WabiSabi by
//! the share of standard denominations, JoinMarket allowing fewer change outputs
//! than equal outputs (participants without change).

use chain::script::ScriptClass;

/// A CoinJoin protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Samourai Whirlpool mix.
    Whirlpool,
    /// Samourai Whirlpool Tx0 (premix split).
    WhirlpoolTx0,
    /// Wasabi 1.x (zkSNACKs, ~0.1 BTC equal outputs).
    Wasabi1,
    /// Wasabi 2.x (WabiSabi, standard denominations).
    Wasabi2,
    /// JoinMarket.
    Joinmarket,
    /// An equal-output CoinJoin of no known protocol.
    Generic,
}

impl Protocol {
    /// Every protocol.
    pub const ALL: [Protocol; 6] =
        [Self::Whirlpool, Self::WhirlpoolTx0, Self::Wasabi1, Self::Wasabi2, Self::Joinmarket, Self::Generic];

    /// The name in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Whirlpool => "whirlpool",
            Self::WhirlpoolTx0 => "whirlpool_tx0",
            Self::Wasabi1 => "wasabi1",
            Self::Wasabi2 => "wasabi2",
            Self::Joinmarket => "joinmarket",
            Self::Generic => "generic",
        }
    }

    /// The stored code (1-6; 0 is "not a CoinJoin").
    pub fn code(self) -> u8 {
        self as u8 + 1
    }

    /// The protocol of a stored code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }
}

/// Rounds a confidence to two decimals (it is stored and printed that way).
fn rounded(confidence: f64) -> f64 {
    (confidence * 100.0).round() / 100.0
}

/// A classification: the protocol, how sure, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// The protocol recognised.
    pub protocol: Protocol,
    /// Confidence between 0 and 1.
    pub confidence: f64,
    /// The checks that held, for people.
    pub reasons: Vec<String>,
}

/// An input as a classifier sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputShape {
    /// Value of the spent output, if known.
    pub value: Option<u64>,
    /// An identity of the spent output's address (any stable number), if known.
    pub address: Option<u64>,
}

/// An output as a classifier sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputShape {
    /// Value in satoshis.
    pub value: u64,
    /// Script class.
    pub class: ScriptClass,
    /// An identity of its address or script.
    pub address: u64,
    /// Bytes of OP_RETURN data (0 for other outputs, or when unknown).
    pub data_len: usize,
}

/// What a classifier needs of a transaction.
#[derive(Debug, Clone, Copy)]
pub struct TxShape<'a> {
    /// nVersion.
    pub version: u32,
    /// nLockTime.
    pub lock_time: u32,
    /// Height of its block, if known.
    pub height: Option<u32>,
    /// True for a coinbase.
    pub coinbase: bool,
    /// True when an input signals replace-by-fee (nSequence below 0xfffffffe).
    pub rbf: bool,
    /// Inputs.
    pub inputs: &'a [InputShape],
    /// Outputs.
    pub outputs: &'a [OutputShape],
}

/// Whirlpool pool denominations: 0.001, 0.01, 0.05 and 0.5 BTC, and the 0.1 BTC pool
/// of testnet.
const WHIRLPOOL_POOLS: [u64; 5] = [100_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000];
/// zkSNACKs' Wasabi 1 coordinator fee addresses (used until about block 610,000).
pub const WASABI1_COORDINATOR_ADDRESSES: [&str; 2] =
    ["bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew", "bc1qa24tsgchvuxsaccp8vrnkfd85hrcpafg20kmjw"];

/// Sizes of the fee payload a Tx0 carries in its OP_RETURN (older and newer
/// Whirlpool clients).
pub const TX0_PAYLOAD_SIZES: [usize; 2] = [46, 64];

/// The Whirlpool pool a premix output of `value` would belong to.
pub fn premix_pool(value: u64) -> Option<u64> {
    WHIRLPOOL_POOLS.iter().copied().find(|&d| value > d && value <= d + premix_margin(d))
}

/// How far above its pool denomination a premix output (or a mix input) may be:
/// the share of the mix's miner fee it carries.
fn premix_margin(denomination: u64) -> u64 {
    (denomination / 10).max(20_000)
}

/// WabiSabi's standard denominations, ascending.
pub fn wabisabi_denominations() -> &'static [u64] {
    static SET: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        const MIN: u64 = 5_000;
        const MAX: u64 = 134_375_000_000;
        let mut set = vec![MIN, MAX];
        let series = |base: u64, factor: u64, set: &mut Vec<u64>| {
            let mut p = 1u64;
            while p <= MAX {
                let v = p * factor;
                if (MIN..=MAX).contains(&v) {
                    set.push(v);
                }
                p = match p.checked_mul(base) {
                    Some(next) => next,
                    None => break,
                };
            }
        };
        series(2, 1, &mut set);
        series(3, 1, &mut set);
        series(3, 2, &mut set);
        for factor in [1, 2, 5] {
            series(10, factor, &mut set);
        }
        set.sort_unstable();
        set.dedup();
        set
    })
}

/// Value counts of the outputs (OP_RETURN left out), most frequent first (ties:
/// larger value first). Sorting beats hashing for the few outputs most
/// transactions have.
fn equal_groups(outputs: &[OutputShape]) -> Vec<(u64, usize)> {
    let mut values: Vec<u64> = outputs.iter().filter(|o| o.class != ScriptClass::NullData).map(|o| o.value).collect();
    values.sort_unstable();
    let mut groups: Vec<(u64, usize)> = Vec::new();
    for v in values {
        match groups.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => groups.push((v, 1)),
        }
    }
    groups.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    groups
}

fn distinct<T: std::hash::Hash + Eq>(items: impl Iterator<Item = T>) -> usize {
    items.collect::<std::collections::HashSet<T>>().len()
}

/// The most owners the inputs can have: distinct known addresses, plus every input
/// whose address is unknown.
fn max_input_owners(tx: &TxShape<'_>) -> usize {
    distinct(tx.inputs.iter().filter_map(|i| i.address)) + tx.inputs.iter().filter(|i| i.address.is_none()).count()
}

/// The smallest equal-output value worth mixing: below it, equal outputs are token
/// protocol markers (Omni, Runes, Counterparty dust), not CoinJoin amounts.
const MIN_MIX_VALUE: u64 = 10_000;

/// Classifies a transaction; `None` if no rule recognises a CoinJoin.
pub fn classify(tx: &TxShape<'_>) -> Option<Verdict> {
    if tx.coinbase || tx.inputs.is_empty() || tx.outputs.len() < 2 {
        return None;
    }
    // Every rule but the single-premix Tx0 needs two equal outputs: most
    // transactions stop here.
    let repeated = tx
        .outputs
        .iter()
        .enumerate()
        .any(|(i, a)| tx.outputs[i + 1..].iter().any(|b| b.value == a.value && a.class != ScriptClass::NullData));
    if !repeated {
        return whirlpool_tx0(tx);
    }
    whirlpool_mix(tx)
        .or_else(|| whirlpool_tx0(tx))
        .or_else(|| wasabi1(tx))
        .or_else(|| wasabi2(tx))
        .or_else(|| joinmarket(tx))
        .or_else(|| generic(tx))
}

fn input_values(tx: &TxShape<'_>) -> Option<Vec<u64>> {
    tx.inputs.iter().map(|i| i.value).collect()
}

/// Whirlpool mix, by its structure: 5-10 inputs and as many outputs, all of one
/// value, all P2WPKH to distinct addresses; inputs (when known) are that value or a
/// premix carrying a share of the fee, and at least one pays it. The coordinator
/// sets the denomination, so it is not required: one of the known pools raises the
/// confidence, an unknown one (a new pool, another coordinator) lowers it.
fn whirlpool_mix(tx: &TxShape<'_>) -> Option<Verdict> {
    let n = tx.outputs.len();
    if !(5..=10).contains(&n) || tx.inputs.len() != n {
        return None;
    }
    let d = tx.outputs[0].value;
    if d < MIN_MIX_VALUE || tx.outputs.iter().any(|o| o.value != d || o.class != ScriptClass::P2wpkh) {
        return None;
    }
    let known_pool = WHIRLPOOL_POOLS.contains(&d);
    // Of an unknown denomination the shape is all there is: ask it of every party.
    // (A known pool's mix may reuse an address: Whirlpool's own testnet mixes do.)
    let distinct_parties = distinct(tx.outputs.iter().map(|o| o.address)) == n && max_input_owners(tx) == n;
    if !known_pool && !distinct_parties {
        return None;
    }
    let mut reasons = vec![
        format!("{n} inputs and {n} outputs"),
        if known_pool {
            format!("every output exactly {} BTC, a Whirlpool pool", btc(d))
        } else {
            format!("every output exactly {} BTC (no known Whirlpool pool)", btc(d))
        },
        if distinct_parties { "all outputs P2WPKH, to distinct addresses" } else { "all outputs P2WPKH" }.to_owned(),
    ];
    let confidence = match input_values(tx) {
        Some(values) => {
            if values.iter().any(|&v| v < d || v > d + premix_margin(d)) {
                return None;
            }
            let premixes = values.iter().filter(|&&v| v > d).count();
            if premixes == 0 {
                return None; // someone must pay the miner fee
            }
            reasons.push(format!("{premixes} premix inputs pay the fee, {} remix", n - premixes));
            if known_pool { 0.99 } else { 0.9 }
        }
        None if known_pool => 0.95,
        // A lone transaction of an unknown denomination: the shape alone.
        None => 0.75,
    };
    Some(Verdict { protocol: Protocol::Whirlpool, confidence: rounded(confidence), reasons })
}

/// Whirlpool Tx0: equal P2WPKH premix outputs a little above one pool denomination,
/// with the fee payload (an OP_RETURN), a pool fee and change; few other outputs.
/// Without a known pool the fee payload and two or more equal P2WPKH outputs
/// still mark one, with less confidence.
fn whirlpool_tx0(tx: &TxShape<'_>) -> Option<Verdict> {
    let op_returns: Vec<&OutputShape> = tx.outputs.iter().filter(|o| o.class == ScriptClass::NullData).collect();
    let groups = equal_groups(tx.outputs);
    // The largest group of outputs just above a pool denomination: the premixes.
    let known = groups
        .iter()
        .filter_map(|&(value, count)| Some((premix_pool(value)?, value, count)))
        .max_by_key(|&(_, value, count)| (count, value));
    let (pool, value, count) = match known {
        Some((pool, value, count)) => (Some(pool), value, count),
        None => {
            let [payload] = op_returns[..] else { return None };
            if !TX0_PAYLOAD_SIZES.contains(&payload.data_len) {
                return None;
            }
            // One premix of an unknown pool cannot be told from the pool fee and the
            // change by value, and a lone OP_RETURN of 64 bytes over three P2WPKH
            // outputs is a common shape (block 839,999 holds one that is no Tx0):
            // ask for two premixes at least.
            let &(value, count) = groups.first().filter(|&&(v, c)| c >= 2 && v >= MIN_MIX_VALUE)?;
            (None, value, count)
        }
    };
    let others = tx.outputs.len() - count - op_returns.len();
    // Premixes are P2WPKH. (Stacks block commits share the rest of the shape: an
    // OP_RETURN and two equal PoX payouts, one of them often P2PKH; see
    // docs/entities.md.)
    let all_p2wpkh = tx.outputs.iter().filter(|o| o.value == value).all(|o| o.class == ScriptClass::P2wpkh);
    if !all_p2wpkh || others > 3 || op_returns.len() > 1 || tx.inputs.len() > 10 {
        return None;
    }
    let payload = op_returns.first().map(|o| o.data_len);
    let fee_payload = payload.is_some_and(|len| TX0_PAYLOAD_SIZES.contains(&len));
    // One premix alone is a common shape: require the fee payload then.
    if count < 2 && !fee_payload {
        return None;
    }
    // Tx0s of early clients carried no OP_RETURN: then ask for the rest of the shape,
    // few inputs and a pool-fee-sized output, since equal payouts (of mining pools,
    // say) can land near a pool denomination too.
    if payload.is_none() {
        let pool = pool?; // (an unknown pool needs the payload)
        let fee_like = tx.outputs.iter().any(|o| o.value != value && (pool / 200..=pool / 5).contains(&o.value));
        if tx.inputs.len() > 3 || others > 2 || !fee_like {
            return None;
        }
    }
    let mut reasons = vec![match pool {
        Some(pool) => format!("{count} premix outputs of {} BTC, just above the {} BTC pool", btc(value), btc(pool)),
        None => format!("{count} equal P2WPKH outputs of {} BTC (premixes of no known pool)", btc(value)),
    }];
    let confidence = match payload {
        Some(len) if fee_payload => {
            reasons.push(format!("OP_RETURN of {len} bytes (the Tx0 fee payload)"));
            if pool.is_some() { 0.98 } else { 0.85 }
        }
        Some(_) => {
            reasons.push("an OP_RETURN output".to_owned());
            0.9
        }
        None => {
            reasons.push("a pool-fee-sized output and few inputs (an early Tx0 without OP_RETURN)".to_owned());
            0.6
        }
    };
    reasons.push(format!("{others} other outputs (pool fee, change)"));
    Some(Verdict { protocol: Protocol::WhirlpoolTx0, confidence: rounded(confidence), reasons })
}

/// Wasabi 1: at least 10 equal outputs of about 0.1 BTC (Wasabi's base
/// denomination, adjusted round to round), all SegWit, from at least 5 inputs of
/// distinct addresses. Dumplings also asks for at least as many inputs as equal
/// outputs; that shape raises the confidence here but is not required (a
/// participant's coin can pay for several mixed outputs).
fn wasabi1(tx: &TxShape<'_>) -> Option<Verdict> {
    let (value, count) = *equal_groups(tx.outputs).first()?;
    if count < 10 || tx.inputs.len() < 5 || !(8_000_000..=12_000_000).contains(&value) {
        return None;
    }
    if tx.outputs.iter().any(|o| !matches!(o.class, ScriptClass::P2wpkh | ScriptClass::P2tr)) {
        return None;
    }
    let addresses_known = tx.inputs.iter().all(|i| i.address.is_some());
    if addresses_known && distinct(tx.inputs.iter().filter_map(|i| i.address)) < 5 {
        return None;
    }
    let mut reasons = vec![
        format!("{count} equal outputs of {} BTC, Wasabi 1's ~0.1 BTC base denomination", btc(value)),
        format!("{} inputs", tx.inputs.len()),
        "all outputs SegWit".to_owned(),
    ];
    let confidence = if tx.inputs.len() >= count {
        reasons.push("at least as many inputs as equal outputs".to_owned());
        0.95
    } else {
        0.85
    };
    Some(Verdict { protocol: Protocol::Wasabi1, confidence: rounded(confidence), reasons })
}

/// WabiSabi: many inputs and outputs, all SegWit, most outputs standard
/// denominations, several of them repeated.
fn wasabi2(tx: &TxShape<'_>) -> Option<Verdict> {
    if tx.inputs.len() < 10 || tx.outputs.len() < 10 {
        return None;
    }
    if tx.outputs.iter().any(|o| !matches!(o.class, ScriptClass::P2wpkh | ScriptClass::P2tr)) {
        return None;
    }
    let set = wabisabi_denominations();
    let standard = tx.outputs.iter().filter(|o| set.binary_search(&o.value).is_ok()).count();
    let share = standard as f64 / tx.outputs.len() as f64;
    let repeated = equal_groups(tx.outputs).iter().filter(|&&(v, c)| c >= 2 && set.binary_search(&v).is_ok()).count();
    if share < 0.6 || repeated < 2 {
        return None;
    }
    let reasons = vec![
        format!("{} inputs, {} outputs", tx.inputs.len(), tx.outputs.len()),
        format!(
            "{standard} outputs ({:.0}%) are WabiSabi standard denominations, {repeated} of them repeated",
            share * 100.0
        ),
        "all outputs P2WPKH or P2TR".to_owned(),
    ];
    Some(Verdict { protocol: Protocol::Wasabi2, confidence: rounded((0.7 + 0.3 * share).min(0.99)), reasons })
}

/// JoinMarket: one group of n >= 2 equal outputs (the CoinJoin amount), at most n
/// other outputs (change), n distinct output scripts among the equal ones and n
/// possible input owners, the equal outputs of one script type but for the taker's
/// (at most a quarter of the change of another type), and (when values are known) no input larger than an equal output plus the largest change.
fn joinmarket(tx: &TxShape<'_>) -> Option<Verdict> {
    let groups = equal_groups(tx.outputs);
    let &(value, n) = groups.first()?;
    if n < 2 || groups.iter().filter(|g| g.1 >= 2).count() != 1 || value < MIN_MIX_VALUE {
        return None;
    }
    let others = tx.outputs.len() - n;
    if others > n || tx.inputs.len() < n {
        return None;
    }
    // The makers' CoinJoin outputs share one script type (JoinMarket asks every
    // maker for the taker's); the taker's own may pay an outside address of any
    // type. Change goes to each maker's wallet, usually of that type too.
    let equal: Vec<&OutputShape> = tx.outputs.iter().filter(|o| o.value == value).collect();
    let class = equal.iter().map(|o| o.class).find(|&c| equal.iter().filter(|o| o.class == c).count() * 2 > n)?;
    if !matches!(class, ScriptClass::P2wpkh | ScriptClass::P2sh | ScriptClass::P2tr) {
        return None;
    }
    let odd_equal = equal.iter().filter(|o| o.class != class).count();
    let odd_change = tx.outputs.iter().filter(|o| o.class != class).count() - odd_equal;
    if odd_equal > 1 || odd_change * 4 > others.max(1) || distinct(equal.iter().map(|o| o.address)) < n {
        return None;
    }
    if max_input_owners(tx) < n {
        return None;
    }
    // JoinMarket's taker builds nVersion 2 with nLockTime at the tip (anti-fee-
    // sniping) and nSequence 0xfffffffe: a multi-party transaction cannot be
    // replaced by one signer, so it never signals RBF. Wallets that batch equal
    // payments mostly do (Bitcoin Core, Sparrow) or leave nLockTime at 0.
    if tx.version < 2 || tx.lock_time == 0 || tx.rbf {
        return None;
    }
    let mut reasons = vec![
        format!("{n} equal outputs of {} BTC and {others} others (change)", btc(value)),
        "nVersion 2, nLockTime set, no RBF (JoinMarket's taker)".to_owned(),
    ];
    let mut confidence: f64 = if n >= 3 { 0.8 } else { 0.6 };
    if odd_equal + odd_change == 0 {
        reasons.push(format!("all outputs {}", class.name()));
    } else {
        reasons.push(format!(
            "outputs {} but for {odd_equal} equal (the taker's destination) and {odd_change} change of other types",
            class.name()
        ));
        confidence -= 0.05;
    }
    if let Some(values) = input_values(tx) {
        let largest_change = tx.outputs.iter().filter(|o| o.value != value).map(|o| o.value).max().unwrap_or(0);
        if values.iter().any(|&v| v > value + largest_change) {
            return None;
        }
        reasons.push("no input exceeds an equal output plus the largest change".to_owned());
        confidence += 0.05;
    }
    if let Some(h) = tx.height
        && tx.lock_time <= h
        && h - tx.lock_time <= 10
        && tx.lock_time > 0
    {
        reasons.push("nLockTime at the current height".to_owned());
        confidence += 0.05;
    }
    Some(Verdict { protocol: Protocol::Joinmarket, confidence: rounded(confidence), reasons })
}

/// BlockSci's equal-output rule, with Dumplings' demand that the equal outputs go to
/// distinct scripts, no token-protocol dust or OP_RETURN, and no round value shared by
/// just two outputs (on real blocks the bare
/// BlockSci rule also fires on UTXO splits to one address and on Omni and Runes
/// transfers; see docs/entities.md).
fn generic(tx: &TxShape<'_>) -> Option<Verdict> {
    if tx.inputs.len() < 2 || tx.outputs.len() < 3 || tx.outputs.iter().any(|o| o.class == ScriptClass::NullData) {
        return None;
    }
    let participants = tx.outputs.len().div_ceil(2);
    if participants > max_input_owners(tx) {
        return None;
    }
    let (value, count) = *equal_groups(tx.outputs).first()?;
    if count != participants || value < MIN_MIX_VALUE {
        return None;
    }
    // Two equal round amounts are more often two payments of a batch than a
    // two-party CoinJoin.
    if count == 2 && few_significant_digits(value) {
        return None;
    }
    if distinct(tx.outputs.iter().filter(|o| o.value == value).map(|o| o.address)) < count {
        return None;
    }
    let reasons = vec![format!(
        "{count} equal outputs of {} BTC for {participants} participants ({} inputs, {} outputs)",
        btc(value),
        tx.inputs.len(),
        tx.outputs.len()
    )];
    Some(Verdict { protocol: Protocol::Generic, confidence: rounded(0.5), reasons })
}

/// A value people pick: at most two significant digits, in thousands of satoshis or
/// more (75,000 or 3,000,000 sats; not 75,123).
fn few_significant_digits(mut value: u64) -> bool {
    let mut zeros = 0;
    while value >= 10 && value.is_multiple_of(10) {
        value /= 10;
        zeros += 1;
    }
    zeros >= 3 && value < 100
}

fn btc(sats: u64) -> String {
    format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(value: u64, class: ScriptClass, address: u64) -> OutputShape {
        OutputShape { value, class, address, data_len: 0 }
    }

    /// A version 1 transaction without lock time or RBF.
    fn plain<'a>(inputs: &'a [InputShape], outputs: &'a [OutputShape]) -> TxShape<'a> {
        TxShape { version: 1, lock_time: 0, height: None, coinbase: false, rbf: false, inputs, outputs }
    }

    #[test]
    fn denominations_match_the_protocol() {
        let set = wabisabi_denominations();
        for v in [5_000, 2_097_152, 33_554_432, 5_000_000, 1_162_261_467, 2 * 3u64.pow(10), 134_375_000_000] {
            assert!(set.binary_search(&v).is_ok(), "{v}");
        }
        for v in [4_096, 5_001, 7_000_000, 134_375_000_001] {
            assert!(set.binary_search(&v).is_err(), "{v}");
        }
    }

    #[test]
    fn a_payment_with_change_is_no_coinjoin() {
        let inputs = [
            InputShape { value: Some(100_000), address: Some(1) },
            InputShape { value: Some(50_000), address: Some(2) },
        ];
        let outputs = [out(120_000, ScriptClass::P2wpkh, 3), out(29_000, ScriptClass::P2wpkh, 4)];
        let tx = TxShape { version: 2, ..plain(&inputs, &outputs) };
        assert_eq!(classify(&tx), None);
    }

    #[test]
    fn whirlpool_needs_a_fee_paying_premix_when_values_are_known() {
        let outputs: Vec<OutputShape> = (0..5).map(|i| out(1_000_000, ScriptClass::P2wpkh, i)).collect();
        let remixes = [InputShape { value: Some(1_000_000), address: None }; 5];
        let tx = plain(&remixes, &outputs);
        // Nobody pays the fee: not a Whirlpool mix.
        assert_ne!(classify(&tx).map(|v| v.protocol), Some(Protocol::Whirlpool));
        let mut inputs = remixes;
        inputs[2].value = Some(1_001_200);
        let tx = TxShape { inputs: &inputs, ..tx };
        assert_eq!(classify(&tx).unwrap().protocol, Protocol::Whirlpool);
        let unknown = [InputShape { value: None, address: None }; 5];
        let tx = TxShape { inputs: &unknown, ..tx };
        let verdict = classify(&tx).unwrap();
        assert_eq!((verdict.protocol, verdict.confidence), (Protocol::Whirlpool, 0.95));
    }

    #[test]
    fn a_whirlpool_mix_of_an_unknown_pool_is_recognised_by_its_shape() {
        // A 0.025 BTC pool no coordinator ran: the structure holds, the pool is not
        // known, so the verdict stands with less confidence.
        let d = 2_500_000;
        let outputs: Vec<OutputShape> = (0..6).map(|i| out(d, ScriptClass::P2wpkh, i)).collect();
        let mut inputs: Vec<InputShape> =
            (0..6).map(|i| InputShape { value: Some(d), address: Some(100 + i) }).collect();
        inputs[0].value = Some(d + 9_000);
        let tx = plain(&inputs, &outputs);
        let verdict = classify(&tx).unwrap();
        assert_eq!((verdict.protocol, verdict.confidence), (Protocol::Whirlpool, 0.9), "{verdict:?}");
        assert!(verdict.reasons.iter().any(|r| r.contains("no known Whirlpool pool")));
        // The same shape at a known pool is surer.
        let known: Vec<OutputShape> = (0..6).map(|i| out(1_000_000, ScriptClass::P2wpkh, i)).collect();
        let known_inputs: Vec<InputShape> =
            inputs.iter().map(|i| InputShape { value: i.value.map(|v| v - d + 1_000_000), ..*i }).collect();
        let verdict = classify(&TxShape { inputs: &known_inputs, outputs: &known, ..tx }).unwrap();
        assert_eq!((verdict.protocol, verdict.confidence), (Protocol::Whirlpool, 0.99));
        // Two outputs to one address, of no known pool: a split, not a mix.
        let mut split = outputs.clone();
        split[1].address = split[0].address;
        assert_ne!(classify(&TxShape { outputs: &split, ..tx }).map(|v| v.protocol), Some(Protocol::Whirlpool));
    }

    #[test]
    fn a_tx0_of_an_unknown_pool_needs_the_fee_payload() {
        let inputs = [InputShape { value: Some(20_000_000), address: Some(1) }];
        let mut outputs: Vec<OutputShape> = (0..4).map(|i| out(2_510_000, ScriptClass::P2wpkh, i)).collect();
        outputs.push(out(50_000, ScriptClass::P2wpkh, 10)); // pool fee
        outputs.push(out(9_900_000, ScriptClass::P2wpkh, 11)); // change
        let tx = plain(&inputs, &outputs);
        assert_eq!(classify(&tx), None, "equal outputs alone are no Tx0");
        let mut with_payload = outputs.clone();
        with_payload.push(OutputShape { value: 0, class: ScriptClass::NullData, address: 12, data_len: 64 });
        let verdict = classify(&TxShape { outputs: &with_payload, ..tx }).unwrap();
        assert_eq!((verdict.protocol, verdict.confidence), (Protocol::WhirlpoolTx0, 0.85), "{verdict:?}");
        // One premix of an unknown pool is not told from other payload carriers.
        let single = [outputs[0], outputs[4], outputs[5], with_payload[6]];
        assert_eq!(classify(&TxShape { outputs: &single, ..tx }), None);
    }
}
