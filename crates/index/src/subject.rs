//! The one parser of what a user names on the command line or in an API
//! request: an outpoint (`txid:vout`), a txid, or an address of the index's
//! network (or `<class>-<hex>` for scripts without one), resolved against the
//! index with checked arithmetic.

use crate::{AddrId, AddressKey, Index, OutNum, TxNum};

/// What a subject names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// One output, `txid:vout`.
    Outpoint,
    /// All outputs of a transaction.
    Transaction,
    /// Every output paid to an address.
    Address,
}

impl SubjectKind {
    /// `outpoint`, `transaction` or `address`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Outpoint => "outpoint",
            Self::Transaction => "transaction",
            Self::Address => "address",
        }
    }
}

/// A subject resolved against the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// What it names.
    pub kind: SubjectKind,
    /// The address (of the outpoint, or the address itself).
    pub key: Option<AddressKey>,
    /// Its id, when the index has seen the address.
    pub address: Option<AddrId>,
    /// The outputs it names, ascending.
    pub outputs: Vec<OutNum>,
}

/// A subject that does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// Not an outpoint, txid or address of this network.
    #[error("{0:?} is not an outpoint (txid:vout), a txid or an address of this network")]
    Unparsable(String),
    /// A transaction not in the index.
    #[error("transaction {0} is not in the index")]
    UnknownTx(String),
    /// An output index beyond the transaction's outputs.
    #[error("{0}: the transaction has {1} outputs")]
    NoSuchOutput(String, u64),
}

impl Index {
    /// Resolves `text` (trimmed). An address the index has never seen
    /// resolves with no id and no outputs.
    ///
    /// # Errors
    /// When `text` is none of the three forms, or names a transaction or
    /// output the index does not hold.
    pub fn resolve_subject(&self, text: &str) -> Result<Subject, SubjectError> {
        let text = text.trim();
        let unparsable = || SubjectError::Unparsable(text.to_owned());
        let tx_of = |hex: &str| -> Result<TxNum, SubjectError> {
            let txid: chain::Txid = hex.parse().map_err(|_| unparsable())?;
            self.tx_by_txid(&txid).ok_or_else(|| SubjectError::UnknownTx(hex.to_owned()))
        };
        if let Some((hex, vout)) = text.split_once(':') {
            let vout: u64 = vout.parse().map_err(|_| unparsable())?;
            let outputs = self.tx(tx_of(hex)?).outputs;
            let count = outputs.end - outputs.start;
            let o = outputs.start.checked_add(vout).filter(|_| vout < count);
            let o = o.ok_or_else(|| SubjectError::NoSuchOutput(text.to_owned(), count))?;
            let address = self.output(OutNum(o)).address;
            return Ok(Subject {
                kind: SubjectKind::Outpoint,
                key: Some(self.address_key(address)),
                address: Some(address),
                outputs: vec![OutNum(o)],
            });
        }
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let outputs = self.tx(tx_of(text)?).outputs.map(OutNum).collect();
            return Ok(Subject { kind: SubjectKind::Transaction, key: None, address: None, outputs });
        }
        let key = AddressKey::parse(text, self.network()).map_err(|_| unparsable())?;
        let address = self.address_by_key(&key);
        let outputs = address.map(|a| self.address_outputs(a)).unwrap_or_default();
        Ok(Subject { kind: SubjectKind::Address, key: Some(key), address, outputs })
    }
}
