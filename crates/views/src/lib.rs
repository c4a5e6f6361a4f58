//! The answers about one transaction, address or entity, as typed structures:
//! built here from the index and the clustering, printed by the command line
//! (`chainsleuth tx|address|entity`, as tables or `--json`) and served by the
//! HTTP API. They derive their JSON Schemas, which the server's OpenAPI document
//! carries as generated, so the document cannot drift from what is served.

mod from_index;

pub use from_index::{address, block, entity, tx};

use index::{AddrId, EntityId};
use schemars::JsonSchema;
use serde::Serialize;

/// Why a view cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The input is malformed; names the field.
    #[error("{message}")]
    BadInput {
        /// The field (request parameter) at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Nothing of that name in the index.
    #[error("{0}")]
    NotFound(String),
    /// The view needs more work than its budget allows, or was cancelled.
    #[error("{0}")]
    Exceeded(#[from] trace::Exceeded),
}

/// A page of a long list: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Most rows.
    pub limit: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// A transaction: block, fee, sizes, inputs with what they spend, outputs with
/// their spenders, entities, CoinJoin verdict and peel-chain position.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Transaction")]
pub struct TxView {
    /// Its txid.
    pub txid: String,
    /// Height of its block.
    pub block_height: u32,
    /// Hash of its block.
    pub block_hash: Option<String>,
    /// Its block's time (Unix seconds, as the header gives it).
    pub block_time: u32,
    /// Its position in the block, from 0.
    pub position: u64,
    /// True for a coinbase.
    pub coinbase: bool,
    /// Fee in the chain's base unit; null where an input is unresolved.
    pub fee: Option<u64>,
    /// Serialized size in bytes.
    pub size: u32,
    /// Virtual size in vbytes.
    pub vsize: u32,
    /// Weight.
    pub weight: u32,
    /// nVersion.
    pub version: u32,
    /// nLockTime.
    pub locktime: u32,
    /// Total value of its outputs.
    pub value_out: u64,
    /// The CoinJoin protocol it follows, if it is one.
    pub coinjoin: Option<CoinJoinMark>,
    /// Where it sits on a peel chain, if on one.
    pub peel_chain: Option<PeelMark>,
    /// The output the clustering took for the sender's change, if it linked one.
    pub change: Option<ChangeMark>,
    /// Its inputs.
    pub inputs: Vec<TxInput>,
    /// Its outputs.
    pub outputs: Vec<TxOutput>,
    /// Zcash: what it moves into and out of each shielded pool (empty on Bitcoin).
    pub pool_crossings: Vec<PoolCrossing>,
}

/// A CoinJoin verdict with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CoinJoinMark {
    /// The protocol (`whirlpool`, `wasabi2`, `joinmarket`, ...).
    pub protocol: String,
    /// Confidence between 0 and 1.
    pub confidence: f64,
    /// The checks that held.
    pub reasons: Vec<String>,
}

/// The change output the clustering linked to a transaction's sender.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChangeMark {
    /// The output's position.
    pub vout: u32,
    /// The change model's probability that it pays the sender (for rule-based
    /// heuristics, 1).
    pub probability: f64,
    /// The heuristic that chose it (`change:model`, `change:one-time`, ...).
    pub heuristic: String,
}

/// A transaction's place on a peel chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PeelMark {
    /// Its hop number, from 1.
    pub position: u32,
    /// Hops in the whole chain.
    pub length: u32,
}

/// What an input spends, as far as the index knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputStatus {
    /// The input of a coinbase: it spends nothing.
    Coinbase,
    /// It spends an output before the index's first block.
    Unresolved,
    /// It spends an indexed output.
    Resolved,
}

impl InputStatus {
    /// Its name in JSON and in tables: `coinbase`, `unresolved`, `resolved`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Coinbase => "coinbase",
            Self::Unresolved => "unresolved",
            Self::Resolved => "resolved",
        }
    }
}

/// An input of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TxInput {
    /// Its position, from 0.
    pub n: usize,
    /// The output it spends as `txid:vout` (null for a coinbase, or when the
    /// blocks directory no longer holds an unresolved input's block).
    pub prevout: Option<String>,
    /// The spent output's value (resolved inputs only).
    pub value: Option<u64>,
    /// The spent output's address (resolved inputs only).
    pub address: Option<String>,
    /// That address's entity, when the index is clustered.
    #[schemars(with = "Option<u32>")]
    pub entity: Option<EntityId>,
    /// nSequence.
    pub sequence: u32,
    /// What it spends.
    pub status: InputStatus,
}

/// An output of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TxOutput {
    /// Its position, from 0.
    pub n: usize,
    /// Its value.
    pub value: u64,
    /// The address it pays (or `<class>-<hex>` for scripts without one).
    pub address: String,
    /// That address's entity, when the index is clustered.
    #[schemars(with = "Option<u32>")]
    pub entity: Option<EntityId>,
    /// Its script's class (`p2wpkh`, `p2tr`, `nulldata`, ...).
    pub class: String,
    /// The input spending it; null while unspent.
    pub spent_by: Option<Spender>,
}

/// The input that spends an output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Spender {
    /// The spending transaction.
    pub txid: String,
    /// The input's position in it.
    pub vin: u32,
    /// Its block height.
    pub height: u32,
}

/// Zcash: value one transaction moves across one shielded pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PoolCrossing {
    /// The pool (`sprout`, `sapling`, `orchard`).
    pub pool: String,
    /// Zatoshis into the pool.
    pub into_pool: u64,
    /// Zatoshis out of the pool.
    pub out_of_pool: u64,
}

/// An address: class, entity, first and last seen, totals, unspent outputs and
/// a page of its history (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Address")]
pub struct AddressView {
    /// The address as this network writes it.
    pub address: String,
    /// Its script class.
    pub class: String,
    /// Its id in the index.
    #[schemars(with = "u32")]
    pub address_id: AddrId,
    /// Its entity, when the index is clustered.
    #[schemars(with = "Option<u32>")]
    pub entity: Option<EntityId>,
    /// Its first transaction.
    pub first_seen: Option<SeenAt>,
    /// Its last transaction.
    pub last_seen: Option<SeenAt>,
    /// Transactions paying or spending it.
    pub tx_count: usize,
    /// Value received.
    pub total_received: u64,
    /// Value spent.
    pub total_sent: u64,
    /// Value unspent.
    pub balance: u64,
    /// Outputs paid to it.
    pub output_count: usize,
    /// Of those, unspent.
    pub unspent_count: usize,
    /// Its unspent outputs (at most `limit`).
    pub unspent: Vec<Unspent>,
    /// A page of its history, newest first.
    pub history: Vec<HistoryRow>,
    /// Most rows per list.
    pub limit: usize,
    /// History rows skipped.
    pub offset: usize,
}

/// When something happened on the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SeenAt {
    /// Block height.
    pub height: u32,
    /// Block time (Unix seconds).
    pub time: u32,
}

/// One transaction of an address's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HistoryRow {
    /// The transaction.
    pub txid: String,
    /// Its block height.
    pub height: u32,
    /// Value it paid to the address.
    pub received: u64,
    /// Value of the address it spent.
    pub sent: u64,
}

/// An unspent output of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Unspent {
    /// Its transaction.
    pub txid: String,
    /// Its position there.
    pub vout: u32,
    /// Its value.
    pub value: u64,
    /// Its block height.
    pub height: u32,
}

/// An entity (a cluster of addresses): size, balance, first and last seen,
/// CoinJoins touched, and a page of its addresses.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Entity")]
pub struct EntityView {
    /// Its id (the smallest address id among its members).
    #[schemars(with = "u32")]
    pub entity: EntityId,
    /// Addresses in it.
    pub size: usize,
    /// Value unspent.
    pub balance: u64,
    /// Value received.
    pub total_received: u64,
    /// Value spent.
    pub total_sent: u64,
    /// Height of its first transaction.
    pub first_seen: Option<u32>,
    /// Height of its last transaction.
    pub last_seen: Option<u32>,
    /// CoinJoins its addresses took part in.
    pub coinjoins_touched: usize,
    /// The first of them (at most `limit`).
    pub coinjoins: Vec<CoinJoinTouched>,
    /// A page of its addresses, ascending by id.
    pub addresses: Vec<String>,
    /// Why each address of the page is in the entity, in the same order.
    pub members: Vec<Membership>,
    /// Most rows per list.
    pub limit: usize,
    /// Addresses skipped.
    pub offset: usize,
}

/// A block and a page of its transactions.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Block")]
pub struct BlockView {
    /// Its height.
    pub height: u32,
    /// Its hash.
    pub hash: String,
    /// The previous block's hash.
    pub prev_hash: String,
    /// Its time (Unix seconds, as the header gives it).
    pub time: u32,
    /// Serialized size in bytes.
    pub size: u32,
    /// Transactions in it.
    pub tx_count: u64,
    /// Sum of its fees; null where an input is unresolved.
    pub fees: Option<u64>,
    /// The next block's hash, when the index holds it.
    pub next_hash: Option<String>,
    /// A page of its transactions, in block order.
    pub txs: Vec<BlockTx>,
    /// Most rows per list.
    pub limit: usize,
    /// Transactions skipped.
    pub offset: usize,
}

/// A transaction as a block lists it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BlockTx {
    /// Its txid.
    pub txid: String,
    /// Inputs.
    pub inputs: u64,
    /// Outputs.
    pub outputs: u64,
    /// Value of its outputs.
    pub value_out: u64,
    /// Its fee; null for a coinbase or where an input is unresolved.
    pub fee: Option<u64>,
    /// The CoinJoin protocol the clustering named, if any.
    pub coinjoin: Option<String>,
}

/// Why an address is in its entity: the first transaction of its own that links
/// it to another member, and by which rule.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Membership {
    /// The address.
    pub address: String,
    /// `common-input` (spent together with another member's coins, in a transaction
    /// that is no CoinJoin), `change` (it received the change of a member's payment),
    /// `paid-change` (its coins paid a transaction whose change went to another
    /// member), or `alone` (an entity of one address).
    #[schemars(extend("enum" = ["common-input", "change", "paid-change", "alone"]))]
    pub link: &'static str,
    /// The transaction that links it.
    pub txid: Option<String>,
    /// For a change link, the heuristic that chose the change (`model` for the
    /// calibrated change model).
    pub heuristic: Option<String>,
    /// For a change link, its probability.
    pub probability: Option<f64>,
}

/// A CoinJoin an entity took part in.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CoinJoinTouched {
    /// The transaction.
    pub txid: String,
    /// Its protocol.
    pub protocol: String,
    /// The verdict's confidence.
    pub confidence: f64,
}

#[cfg(test)]
mod tests {
    use super::InputStatus;

    #[test]
    fn an_input_status_is_named_as_in_json() {
        for status in [InputStatus::Coinbase, InputStatus::Unresolved, InputStatus::Resolved] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.name());
        }
    }
}
