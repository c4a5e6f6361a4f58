//! Ground truth about who owns what: the `ground_truth.json` of the regtest fixture
//! written by Bitcoin Core's wallets, or of a simulator run (one schema), read
//! against an index so every address and transaction is named by its dense id.

use crate::AnalysisError;
use index::{AddressKey, Index, TxNum};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Deserialize)]
struct TruthFile {
    wallets: BTreeMap<String, TruthWallet>,
    transactions: HashMap<String, TruthTx>,
}

#[derive(Deserialize)]
struct TruthWallet {
    #[serde(default)]
    role: String,
    addresses: Vec<TruthAddress>,
}

#[derive(Deserialize)]
struct TruthAddress {
    address: Option<String>,
    #[serde(default)]
    script_hex: Option<String>,
    seen_on_chain: bool,
}

/// A transaction as the truth describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthTx {
    /// Its kind (`payment`, `consolidation`, `coinjoin_whirlpool`, ...).
    pub kind: String,
    /// Wallets whose coins it spends.
    #[serde(default)]
    pub input_wallets: Vec<String>,
}

/// The truth, resolved against an index.
pub struct GroundTruth {
    /// Wallet names, in name order: a wallet's number is its position here.
    pub wallets: Vec<String>,
    /// Each wallet's role (`user`, `exchange`, `miner`, ...), by wallet number.
    pub roles: Vec<String>,
    /// Owner (wallet number) of every indexed address the truth names.
    pub owner: HashMap<u32, u32>,
    /// The truth's transactions that the index holds, in txid order.
    pub transactions: Vec<(TxNum, TruthTx)>,
}

impl GroundTruth {
    /// Reads a ground-truth file and resolves it against `index`.
    ///
    /// # Errors
    /// When the file cannot be read or parsed.
    pub fn read(index: &Index, path: &Path) -> Result<Self, AnalysisError> {
        let file = std::fs::File::open(path).map_err(|e| AnalysisError::Io(path.to_owned(), e))?;
        let truth: TruthFile = serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, file))
            .map_err(|e| AnalysisError::Corrupt(path.to_owned(), e.to_string()))?;
        let owner = address_owners(index, &truth);
        let mut txids: Vec<(String, TruthTx)> = truth.transactions.into_iter().collect();
        txids.sort_by(|a, b| a.0.cmp(&b.0));
        let transactions =
            txids.into_iter().filter_map(|(txid, tx)| Some((index.tx_by_txid(&txid.parse().ok()?)?, tx))).collect();
        Ok(Self {
            wallets: truth.wallets.keys().cloned().collect(),
            roles: truth.wallets.values().map(|w| w.role.clone()).collect(),
            owner,
            transactions,
        })
    }

    /// The wallet number of a name.
    pub fn wallet(&self, name: &str) -> Option<u32> {
        self.wallets.iter().position(|n| n == name).map(|w| w as u32)
    }

    /// The one wallet whose coins `tx` spends, if exactly one.
    pub fn sender(&self, tx: &TruthTx) -> Option<u32> {
        match &tx.input_wallets[..] {
            [one] => self.wallet(one),
            _ => None,
        }
    }

    /// The owner of an address, if the truth names it.
    pub fn owner_of(&self, address: u32) -> Option<u32> {
        self.owner.get(&address).copied()
    }
}

/// Owner (wallet number, in name order) of every indexed address the truth names.
fn address_owners(index: &Index, truth: &TruthFile) -> HashMap<u32, u32> {
    let network = index.network();
    let mut owner: HashMap<u32, u32> = HashMap::new();
    for (w, wallet) in truth.wallets.values().enumerate() {
        for a in wallet.addresses.iter().filter(|a| a.seen_on_chain) {
            let key = match (&a.address, &a.script_hex) {
                (Some(text), _) => AddressKey::parse(text, network).ok(),
                (None, Some(hex)) => decode_hex(hex).map(|s| AddressKey::of_script(&s)),
                (None, None) => None,
            };
            if let Some(id) = key.and_then(|k| index.address_by_key(&k)) {
                owner.insert(id.0, w as u32);
            }
        }
    }
    owner
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}
