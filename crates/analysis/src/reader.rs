//! The saved clustering, opened for queries: the entity of an address, an entity's
//! members, the CoinJoin verdict and the change link stored for a transaction.

use crate::AnalysisError;
use crate::cluster::{AnalysisManifest, StoredChange};
use crate::coinjoin::Protocol;
use index::column::Column;
use index::{AddrId, EntityId, Index, TxNum};

/// A saved clustering that matches the index it belongs to.
#[derive(Debug)]
pub struct Analysis {
    manifest: AnalysisManifest,
    entity: Column<u32>,
    tx_coinjoin: Column<u16>,
    tx_change: Column<u64>,
    members: Column<u32>,
    member_start: Column<u32>,
}

impl Analysis {
    /// Opens the clustering saved beside `index`; `None` if there is none, or if the
    /// index has been rolled back below it (run `chainsleuth cluster` again).
    ///
    /// # Errors
    /// On I/O errors or unreadable files.
    pub fn open(index: &Index) -> Result<Option<Self>, AnalysisError> {
        let Some(manifest) = AnalysisManifest::read(index)? else { return Ok(None) };
        if !manifest.matches(index) {
            log::warn!(
                "the clustering in {} is for another chain tip; run `chainsleuth cluster`",
                AnalysisManifest::root(index).display()
            );
            return Ok(None);
        }
        let dir = AnalysisManifest::root(index).join(&manifest.dir);
        fn open<T: index::column::Fixed>(
            dir: &std::path::Path,
            name: &str,
            len: u64,
        ) -> Result<Column<T>, AnalysisError> {
            let path = dir.join(name);
            Column::open(&path, len).map_err(|e| AnalysisError::Io(path, e))
        }
        Ok(Some(Self {
            entity: open(&dir, "entity.col", manifest.addresses)?,
            tx_coinjoin: open(&dir, "tx_coinjoin.col", manifest.txs)?,
            tx_change: open(&dir, "tx_change.col", manifest.txs)?,
            members: open(&dir, "members.col", manifest.addresses)?,
            member_start: open(&dir, "member_start.col", manifest.addresses)?,
            manifest,
        }))
    }

    /// Its manifest: what it covers and how it was made.
    pub fn manifest(&self) -> &AnalysisManifest {
        &self.manifest
    }

    /// True when the clustering covers transaction `t` (it may be behind the index).
    pub fn covers(&self, t: TxNum) -> bool {
        t.0 < self.manifest.txs
    }

    /// The entity of an address (the smallest address id in its cluster); `None`
    /// for addresses newer than the clustering.
    pub fn entity_of(&self, address: AddrId) -> Option<EntityId> {
        (u64::from(address.0) < self.entity.len()).then(|| EntityId(self.entity.get(u64::from(address.0))))
    }

    /// The entity numbered `id`, if it is one (the root of a cluster).
    pub fn entity(&self, id: u32) -> Option<EntityId> {
        (self.entity_of(AddrId(id)) == Some(EntityId(id))).then_some(EntityId(id))
    }

    /// Number of addresses in an entity.
    pub fn size(&self, entity: EntityId) -> u32 {
        let e = u64::from(entity.0);
        let end =
            if e + 1 < self.member_start.len() { self.member_start.get(e + 1) } else { self.members.len() as u32 };
        end - self.member_start.get(e)
    }

    /// The addresses of an entity, ascending.
    pub fn members(&self, entity: EntityId) -> impl Iterator<Item = AddrId> + '_ {
        let start = u64::from(self.member_start.get(u64::from(entity.0)));
        self.members.range(start..start + u64::from(self.size(entity))).map(AddrId)
    }

    /// The CoinJoin verdict stored for a transaction: protocol and confidence.
    pub fn coinjoin(&self, tx: TxNum) -> Option<(Protocol, f64)> {
        let code = (tx.0 < self.tx_coinjoin.len()).then(|| self.tx_coinjoin.get(tx.0))?;
        Protocol::from_code((code >> 8) as u8).map(|p| (p, f64::from(code & 0xff) / 100.0))
    }

    /// The change link the clustering applied for a transaction: the output it
    /// took for the sender's change, the probability and the heuristic. `None`
    /// when no change link of this transaction holds (none above the threshold,
    /// refused by a constraint, a CoinJoin, or a clustering without change rules).
    pub fn change(&self, tx: TxNum) -> Option<StoredChange> {
        StoredChange::decode((tx.0 < self.tx_change.len()).then(|| self.tx_change.get(tx.0))?)
    }

    /// Number of entities.
    pub fn entities(&self) -> u64 {
        self.manifest.entities
    }
}
