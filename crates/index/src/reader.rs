//! The committed index, opened for queries: random access by id and by hash,
//! iteration over transactions with resolved inputs, and parallel scans.
//! Columns are mapped read-only, so a query touches only the pages it reads.

use crate::address_key::AddressKey;
use crate::history::Segment;
use crate::ids::{AddrId, Height, InNum, OutNum, TxNum};
use crate::manifest::{Counts, Manifest};
use crate::schema::{COINBASE, Columns, UNKNOWN_FEE, UNRESOLVED};
use crate::table::Table;
use crate::{IndexError, partition, txid_fingerprint};
use chain::script::ScriptClass;
use chain::{BlockHash, Header, Network, Txid};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A committed index.
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    pub(crate) manifest: Manifest,
    pub(crate) columns: Columns,
    txids: Table,
    addresses: Table,
    segments: Vec<Segment>,
    blocks_dir: std::sync::OnceLock<Option<chain::BlocksDir>>,
}

/// A block, as `chainsleuth block` shows it.
#[derive(Debug, Clone)]
pub struct BlockRow {
    /// Height.
    pub height: Height,
    /// Header (with hash).
    pub header: Header,
    /// Its transactions.
    pub txs: Range<u64>,
    /// Sum of its transactions' fees (`None` if one is unknown).
    pub fees: Option<u64>,
    /// Serialized size.
    pub size: u32,
}

/// A transaction's row.
#[derive(Debug, Clone)]
pub struct TxRow {
    /// Its number.
    pub num: TxNum,
    /// Txid.
    pub txid: Txid,
    /// Height of its block.
    pub height: Height,
    /// Position in its block.
    pub position: u64,
    /// Serialized size.
    pub size: u32,
    /// Weight.
    pub weight: u32,
    /// nVersion.
    pub version: u32,
    /// nLockTime.
    pub lock_time: u32,
    /// Fee (`None` when an input is unresolved).
    pub fee: Option<u64>,
    /// Its inputs.
    pub inputs: Range<u64>,
    /// Its outputs.
    pub outputs: Range<u64>,
}

impl TxRow {
    /// Virtual size.
    pub fn vsize(&self) -> u32 {
        self.weight.div_ceil(4)
    }

    /// True for a coinbase (its first input spends nothing).
    pub fn is_coinbase(&self, index: &Index) -> bool {
        self.inputs.start < self.inputs.end && index.columns.in_spent_output.get(self.inputs.start) == COINBASE
    }
}

/// Value a Zcash transaction moves across one shielded pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossingRow {
    /// The pool.
    pub pool: zcash::Pool,
    /// Zatoshis from the transparent side into the pool.
    pub into: u64,
    /// Zatoshis out of the pool (to transparent outputs, or the fee).
    pub out_of: u64,
}

/// What an input spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// A coinbase input spends nothing.
    Coinbase,
    /// The spent output is not in the index (the chain starts late).
    Unresolved,
    /// An indexed output.
    Output(OutNum),
}

/// An input's row.
#[derive(Debug, Clone, Copy)]
pub struct InputRow {
    /// Its number.
    pub num: InNum,
    /// What it spends.
    pub spent: Spent,
    /// nSequence.
    pub sequence: u32,
}

/// An output's row.
#[derive(Debug, Clone, Copy)]
pub struct OutputRow {
    /// Its number.
    pub num: OutNum,
    /// Value in satoshis.
    pub value: u64,
    /// The address it pays.
    pub address: AddrId,
    /// Its script's own class.
    pub class: ScriptClass,
    /// The committed input that spends it, if any.
    pub spent_by: Option<InNum>,
}

/// What an address has received and sent.
#[derive(Debug, Clone)]
pub struct AddressSummary {
    /// Its id.
    pub id: AddrId,
    /// Its key.
    pub key: AddressKey,
    /// Outputs paid to it, ascending.
    pub outputs: Vec<OutNum>,
    /// Total received.
    pub received: u64,
    /// Total of its spent outputs.
    pub sent: u64,
    /// Outputs not yet spent.
    pub unspent: Vec<OutNum>,
    /// Transactions that paid it or spent from it, ascending, with the value each
    /// paid it and took from it.
    pub history: Vec<(TxNum, u64, u64)>,
}

impl AddressSummary {
    /// Received minus sent.
    pub fn balance(&self) -> u64 {
        self.received - self.sent
    }
}

/// What a full verification of an index found ([`Index::verify`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    /// False for an index committed before checksums were kept (its columns
    /// and segments cannot be checked until the next commit writes them).
    pub checksummed: bool,
    /// Bytes of columns and segments read and compared.
    pub bytes_checked: u64,
    /// Transactions and addresses looked up through their tables.
    pub lookups_checked: u64,
    /// What is damaged (empty: nothing found).
    pub damage: Vec<crate::checksums::Damage>,
}

impl Index {
    /// Opens the committed state of an index directory.
    ///
    /// # Errors
    /// When there is no index, its format differs, or a file is missing or short.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        let io = |e| IndexError::io(dir, e);
        let manifest = Manifest::read(dir).map_err(io)?.ok_or_else(|| IndexError::NotFound { path: dir.to_owned() })?;
        let columns = Columns::open(dir, &manifest.counts).map_err(io)?;
        // A table only grows (rebuilt larger and renamed, perhaps by a run that
        // died before committing: its extra entries are ignored); smaller than
        // committed, it has lost entries.
        for (name, &bytes) in &manifest.tables {
            let path = dir.join(name);
            let found = std::fs::metadata(&path).map_or(0, |m| m.len());
            if found < bytes {
                return Err(IndexError::Damaged {
                    path,
                    problem: format!("{found} bytes, but {bytes} were committed"),
                });
            }
        }
        let txids = Table::open(&dir.join("txid.tbl")).map_err(io)?;
        let addresses = Table::open(&dir.join("address.tbl")).map_err(io)?;
        let segments = manifest
            .segments
            .iter()
            .map(|s| Segment::open(&dir.join("history").join(&s.file)))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        Ok(Self {
            dir: dir.to_owned(),
            manifest,
            columns,
            txids,
            addresses,
            segments,
            blocks_dir: std::sync::OnceLock::new(),
        })
    }

    /// Checks the whole committed index: every checksummed byte of its columns
    /// and segments against the generation's checksums, every transaction and
    /// address through its hash table (a damaged table loses keys), and every
    /// resolved input against the spender its output names (`out_spent_by`, the
    /// one column rewritten in place, so not checksummed).
    ///
    /// # Errors
    /// On I/O errors other than damage.
    pub fn verify(&self) -> Result<VerifyReport, IndexError> {
        let io = |e| IndexError::io(&self.dir, e);
        let sums = crate::checksums::Checksums::read(&self.dir, &self.manifest).map_err(io)?;
        let (mut damage, bytes_checked) = match &sums {
            Some(sums) => sums.verify(&self.dir, &self.manifest).map_err(io)?,
            None => (Vec::new(), 0),
        };
        let n = self.counts();
        let lost_tx = (0..n.txs).find(|&t| self.tx_by_txid(&Txid(self.columns.tx_txid.get(t))) != Some(TxNum(t)));
        let lost_address = (0..n.addresses).find(|&a| {
            let class = chain::ScriptClass::from_code(self.columns.addr_class.get(a));
            let key = AddressKey {
                class: class.unwrap_or(chain::ScriptClass::NonStandard),
                payload: self.columns.addr_payload.get(a),
            };
            self.address_by_key(&key) != Some(AddrId(a as u32))
        });
        damage.extend(self.unlinked_spend());
        for (lost, table, what) in [(lost_tx, "txid.tbl", "transaction"), (lost_address, "address.tbl", "address")] {
            if let Some(id) = lost {
                damage.push(crate::checksums::Damage {
                    file: self.dir.join(table),
                    offset: 0,
                    problem: format!("{what} {id} cannot be found through it"),
                });
            }
        }
        Ok(VerifyReport { checksummed: sums.is_some(), bytes_checked, lookups_checked: n.txs + n.addresses, damage })
    }

    /// The first resolved input whose output does not name it as its spender:
    /// damage to `out_spent_by` (which would show a spent output as unspent).
    /// Only this direction is checked: an output may keep naming an input that a
    /// rollback took back and a later block reused, which readers already ignore.
    fn unlinked_spend(&self) -> Option<crate::checksums::Damage> {
        let n = self.counts();
        let i = (0..n.inputs).find(|&i| {
            let o = self.columns.in_spent_output.get(i);
            o < n.outputs && self.columns.out_spent_by.get(o) != i
        })?;
        let o = self.columns.in_spent_output.get(i);
        Some(crate::checksums::Damage {
            file: crate::column::column_path(&self.dir, "out_spent_by"),
            offset: o * 8,
            problem: format!("output {o} does not name input {i}, which spends it"),
        })
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The committed state this reader shows.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The network indexed.
    pub fn network(&self) -> Network {
        self.manifest.network
    }

    /// The committed generation this reader maps.
    pub fn generation(&self) -> u64 {
        self.manifest.generation
    }

    /// Committed rows.
    pub fn counts(&self) -> Counts {
        self.manifest.counts
    }

    /// Height and hash of the tip.
    pub fn tip(&self) -> Option<(Height, BlockHash)> {
        let blocks = self.counts().blocks;
        (blocks > 0).then(|| {
            (Height(self.manifest.start_height + blocks as u32 - 1), BlockHash(self.columns.block_hash.get(blocks - 1)))
        })
    }

    // Lookups by hash.

    /// The transaction with a txid.
    pub fn tx_by_txid(&self, txid: &Txid) -> Option<TxNum> {
        let count = self.counts().txs;
        self.txids.find(txid_fingerprint(&txid.0), |t| t < count && self.columns.tx_txid.get(t) == txid.0).map(TxNum)
    }

    /// The id of an address.
    pub fn address_by_key(&self, key: &AddressKey) -> Option<AddrId> {
        let count = self.counts().addresses;
        let class = key.class.code();
        self.addresses
            .find(key.fingerprint(), |a| {
                a < count && self.columns.addr_class.get(a) == class && self.columns.addr_payload.get(a) == key.payload
            })
            .map(|a| AddrId(a as u32))
    }

    /// The height of a block hash on the indexed chain (a scan of the hash column).
    pub fn block_by_hash(&self, hash: &BlockHash) -> Option<Height> {
        self.columns
            .block_hash
            .bytes()
            .chunks_exact(32)
            .position(|h| h == hash.0)
            .map(|i| Height(self.manifest.start_height + i as u32))
    }

    // Random access by id.

    /// The block at a height.
    pub fn block(&self, height: Height) -> Option<BlockRow> {
        let row = self.block_row(height)?;
        let header = Header::decode(&self.columns.block_header.get(row));
        let first = self.columns.block_first_tx.get(row);
        let end =
            if row + 1 < self.counts().blocks { self.columns.block_first_tx.get(row + 1) } else { self.counts().txs };
        let fees = self.columns.tx_fee.range(first..end).try_fold(0u64, |sum, f| (f != UNKNOWN_FEE).then(|| sum + f));
        Some(BlockRow { height, header, txs: first..end, fees, size: self.columns.block_size.get(row) })
    }

    /// The row of the block at `height` in the block columns, if the index holds it.
    pub(crate) fn block_row(&self, height: Height) -> Option<u64> {
        let row = u64::from(height.0.checked_sub(self.manifest.start_height)?);
        (row < self.counts().blocks).then_some(row)
    }

    /// The height of the block holding a transaction.
    pub fn tx_height(&self, t: TxNum) -> Height {
        let row = partition(self.counts().blocks, |b| self.columns.block_first_tx.get(b) <= t.0) - 1;
        Height(self.manifest.start_height + row as u32)
    }

    /// A transaction's row.
    pub fn tx(&self, t: TxNum) -> TxRow {
        let c = &self.columns;
        let height = self.tx_height(t);
        let block_first = c.block_first_tx.get(u64::from(height.0 - self.manifest.start_height));
        TxRow {
            num: t,
            txid: Txid(c.tx_txid.get(t.0)),
            height,
            position: t.0 - block_first,
            size: c.tx_size.get(t.0),
            weight: c.tx_weight.get(t.0),
            version: self.version(t),
            lock_time: self.lock_time(t),
            fee: self.fee(t),
            inputs: self.tx_inputs(t),
            outputs: self.tx_outputs(t),
        }
    }

    /// The input numbers of a transaction (two reads).
    pub fn tx_inputs(&self, t: TxNum) -> Range<u64> {
        Self::run_of(&self.columns.tx_first_input, t, self.counts().txs, self.counts().inputs)
    }

    /// The output numbers of a transaction (two reads).
    pub fn tx_outputs(&self, t: TxNum) -> Range<u64> {
        Self::run_of(&self.columns.tx_first_output, t, self.counts().txs, self.counts().outputs)
    }

    /// The rows of transaction `t` in a column of first rows (`txs` of them,
    /// over `items` items), checked to run forwards and within `items`.
    #[inline]
    fn run_of(first: &crate::column::Column<u64>, t: TxNum, txs: u64, items: u64) -> Range<u64> {
        let start = first.get(t.0);
        let end = if t.0 + 1 < txs { first.get(t.0 + 1) } else { items };
        if start > end || end > items {
            first.damaged_because(format!("transaction {t} has rows {start}..{end} of {items}"));
        }
        start..end
    }

    /// The transaction an input belongs to (one read: the tracer's hottest lookup,
    /// where a search of `tx_first_input` cost 20-odd scattered reads).
    pub fn input_tx(&self, i: InNum) -> TxNum {
        TxNum(u64::from(self.columns.in_tx.get(i.0)))
    }

    /// The transaction an output belongs to (one read).
    pub fn output_tx(&self, o: OutNum) -> TxNum {
        TxNum(u64::from(self.columns.out_tx.get(o.0)))
    }

    /// An input's row.
    pub fn input(&self, i: InNum) -> InputRow {
        InputRow { num: i, spent: self.spent(i), sequence: self.sequence(i) }
    }

    /// What an input spends (one read).
    #[inline]
    pub fn spent(&self, i: InNum) -> Spent {
        match self.columns.in_spent_output.get(i.0) {
            COINBASE => Spent::Coinbase,
            UNRESOLVED => Spent::Unresolved,
            o => Spent::Output(OutNum(o)),
        }
    }

    /// An input's nSequence (one read).
    #[inline]
    pub fn sequence(&self, i: InNum) -> u32 {
        self.columns.in_sequence.get(i.0)
    }

    /// An input's position among its transaction's inputs.
    pub fn vin(&self, i: InNum) -> u32 {
        (i.0 - self.columns.tx_first_input.get(self.input_tx(i).0)) as u32
    }

    /// A transaction's txid (one read).
    #[inline]
    pub fn txid(&self, t: TxNum) -> Txid {
        Txid(self.columns.tx_txid.get(t.0))
    }

    /// A transaction's nVersion (one read).
    #[inline]
    pub fn version(&self, t: TxNum) -> u32 {
        self.columns.tx_version.get(t.0)
    }

    /// A transaction's nLockTime (one read).
    #[inline]
    pub fn lock_time(&self, t: TxNum) -> u32 {
        self.columns.tx_locktime.get(t.0)
    }

    /// A transaction's fee, unknown where an input is unresolved (one read).
    #[inline]
    pub fn fee(&self, t: TxNum) -> Option<u64> {
        let fee = self.columns.tx_fee.get(t.0);
        (fee != UNKNOWN_FEE).then_some(fee)
    }

    /// An output's value in satoshis (one read).
    #[inline]
    pub fn value(&self, o: OutNum) -> u64 {
        self.columns.out_value.get(o.0)
    }

    /// The address an output pays (one read).
    #[inline]
    pub fn output_address(&self, o: OutNum) -> AddrId {
        AddrId(self.columns.out_address.get(o.0))
    }

    /// The class of an output's script (one read).
    #[inline]
    pub fn output_class(&self, o: OutNum) -> ScriptClass {
        ScriptClass::from_code(self.columns.out_class.get(o.0)).unwrap_or(ScriptClass::NonStandard)
    }

    /// An output's position among its transaction's outputs.
    pub fn vout(&self, o: OutNum) -> u32 {
        (o.0 - self.columns.tx_first_output.get(self.output_tx(o).0)) as u32
    }

    /// An output as `txid:vout`.
    pub fn outpoint_text(&self, o: OutNum) -> String {
        format!("{}:{}", self.txid(self.output_tx(o)), self.vout(o))
    }

    /// The committed input that spends an output, if any.
    pub fn spent_by(&self, o: OutNum) -> Option<InNum> {
        let i = self.columns.out_spent_by.get(o.0);
        (i < self.counts().inputs && self.columns.in_spent_output.get(i) == o.0).then_some(InNum(i))
    }

    /// An output's row.
    pub fn output(&self, o: OutNum) -> OutputRow {
        OutputRow {
            num: o,
            value: self.value(o),
            address: self.output_address(o),
            class: self.output_class(o),
            spent_by: self.spent_by(o),
        }
    }

    /// The key of an address.
    pub fn address_key(&self, a: AddrId) -> AddressKey {
        let class =
            ScriptClass::from_code(self.columns.addr_class.get(u64::from(a.0))).unwrap_or(ScriptClass::NonStandard);
        AddressKey { class, payload: self.columns.addr_payload.get(u64::from(a.0)) }
    }

    /// The first output that paid an address (one read).
    #[inline]
    pub fn address_first_output(&self, a: AddrId) -> OutNum {
        OutNum(self.columns.addr_first_output.get(u64::from(a.0)))
    }

    /// The address string (or `<class>-<hex>` form) of an address.
    pub fn address_text(&self, a: AddrId) -> String {
        self.address_key(a).display(self.network())
    }

    /// Outputs paid to an address, ascending.
    pub fn address_outputs(&self, a: AddrId) -> Vec<OutNum> {
        let count = self.counts().outputs;
        self.segments
            .iter()
            .flat_map(|s| s.outputs_of(a.0))
            .filter(|&o| o < count && self.columns.out_address.get(o) == a.0)
            .map(OutNum)
            .collect()
    }

    /// What an address received and sent, and its transactions.
    pub fn address_summary(&self, a: AddrId) -> AddressSummary {
        let outputs = self.address_outputs(a);
        let (mut received, mut sent) = (0u64, 0u64);
        let mut unspent = Vec::new();
        let mut history: Vec<(TxNum, u64, u64)> = Vec::with_capacity(outputs.len() * 2);
        for &o in &outputs {
            let row = self.output(o);
            received += row.value;
            history.push((self.output_tx(o), row.value, 0));
            match row.spent_by {
                Some(i) => {
                    sent += row.value;
                    history.push((self.input_tx(i), 0, row.value));
                }
                None => unspent.push(o),
            }
        }
        history.sort_unstable_by_key(|h| h.0);
        history.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                a.2 += b.2;
                true
            } else {
                false
            }
        });
        AddressSummary { id: a, key: self.address_key(a), outputs, received, sent, unspent, history }
    }

    /// Every input of a transaction with what it spends and that output's value and address.
    pub fn resolved_inputs(&self, t: TxNum) -> impl Iterator<Item = (InputRow, Option<OutputRow>)> + '_ {
        self.tx(t).inputs.map(move |i| {
            let input = self.input(InNum(i));
            let spent = match input.spent {
                Spent::Output(o) => Some(self.output(o)),
                Spent::Coinbase | Spent::Unresolved => None,
            };
            (input, spent)
        })
    }

    /// The outpoints a transaction's inputs name, read from its block in the
    /// blocks directory last ingested (the columns keep only what resolved
    /// inputs spend). `None` if that directory or block is gone or changed.
    pub fn input_outpoints(&self, t: TxNum) -> Option<Vec<(Txid, u32)>> {
        let height = self.tx_height(t);
        let row = u64::from(height.0 - self.manifest.start_height);
        let location = chain::BlockLocation {
            file: self.columns.block_file.get(row),
            offset: self.columns.block_offset.get(row),
            size: self.columns.block_size.get(row),
        };
        let blocks = self
            .blocks_dir
            .get_or_init(|| chain::BlocksDir::open(self.manifest.blocks_dir.as_deref()?, self.network()).ok())
            .as_ref()?;
        let mut bytes = Vec::new();
        blocks.read_block(&location, &mut bytes).ok()?;
        let position = (t.0 - self.columns.block_first_tx.get(row)) as usize;
        let (txid, outpoints) = crate::source::tx_outpoints(self.network().is_zcash(), &bytes, position)?;
        (txid == self.columns.tx_txid.get(t.0)).then(|| outpoints.into_iter().map(|(t, v)| (Txid(t), v)).collect())
    }

    /// Zcash: what a transaction moves into and out of each shielded pool (none on
    /// Bitcoin, nor for a transaction that crosses no pool).
    pub fn crossings(&self, t: TxNum) -> Vec<CrossingRow> {
        let c = &self.columns;
        let n = self.counts().crossings;
        let first = partition(n, |x| u64::from(c.cross_tx.get(x)) < t.0);
        (first..n).take_while(|&x| u64::from(c.cross_tx.get(x)) == t.0).map(|x| self.crossing(x).1).collect()
    }

    /// Zcash: every pool crossing of the chain with its transaction, in chain order.
    pub fn all_crossings(&self) -> impl Iterator<Item = (TxNum, CrossingRow)> + '_ {
        (0..self.counts().crossings).map(|x| self.crossing(x))
    }

    /// The crossing in row `x` of the crossing columns.
    fn crossing(&self, x: u64) -> (TxNum, CrossingRow) {
        let c = &self.columns;
        let row = CrossingRow {
            pool: zcash::Pool::ALL[usize::from(c.cross_pool.get(x).min(2))],
            into: c.cross_into.get(x),
            out_of: c.cross_out.get(x),
        };
        (TxNum(u64::from(c.cross_tx.get(x))), row)
    }

    /// Zcash: zatoshis in each pool (as `zcash::Pool::ALL`) after the block at
    /// `height`: the balances after its last crossing at or before that block.
    /// `None` beyond the indexed chain or when the index does not start at
    /// genesis. Always zero on Bitcoin.
    pub fn pool_balances(&self, height: Height) -> Option<[u64; 3]> {
        let end = self.block(height)?.txs.end;
        let c = &self.columns;
        let x = partition(self.counts().crossings, |x| u64::from(c.cross_tx.get(x)) < end);
        let balances = match x.checked_sub(1) {
            Some(last) => {
                [c.cross_sprout_after.get(last), c.cross_sapling_after.get(last), c.cross_orchard_after.get(last)]
            }
            None if self.manifest.start_height == 0 => [0; 3],
            None => return None,
        };
        (!balances.contains(&crate::schema::UNKNOWN_BALANCE)).then_some(balances)
    }

    /// Runs `f` over ranges of `len` rows in parallel (for scans of a column) and
    /// collects the results in order.
    pub fn par_ranges<R: Send>(len: u64, f: impl Fn(Range<u64>) -> R + Sync) -> Vec<R> {
        const CHUNK: u64 = 1 << 16;
        (0..len.div_ceil(CHUNK)).into_par_iter().map(|c| f(c * CHUNK..((c + 1) * CHUNK).min(len))).collect()
    }

    /// A digest of the committed content: every column's committed rows (spends
    /// only where valid; block locations left out), every address's output list,
    /// and every txid and address found through the tables. Two indexes of one chain
    /// have the same digest whatever crashes or rollbacks their files went through
    /// and however the blocks were stored.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        let n = self.counts();
        h.update(
            serde_json::to_vec(&(n, self.manifest.start_height, self.manifest.unresolved_inputs)).unwrap_or_default(),
        );
        for (name, _, _) in crate::schema::COLUMNS {
            // Spends are hashed below, where valid: stale values differ between runs.
            // Where a block is stored is not part of the chain.
            if !["out_spent_by", "block_file", "block_offset"].contains(name) {
                h.update(name.as_bytes());
                h.update(self.columns.bytes_of(name).unwrap_or_default());
            }
        }
        for o in 0..n.outputs {
            h.update(self.spent_by(OutNum(o)).map_or(u64::MAX, |i| i.0).to_le_bytes());
        }
        for a in 0..n.addresses as u32 {
            for o in self.address_outputs(AddrId(a)) {
                h.update(o.0.to_le_bytes());
            }
            h.update(
                u64::from(self.address_by_key(&self.address_key(AddrId(a))).map_or(u32::MAX, |x| x.0)).to_le_bytes(),
            );
        }
        for t in 0..n.txs {
            h.update(self.tx_by_txid(&Txid(self.columns.tx_txid.get(t))).map_or(u64::MAX, |x| x.0).to_le_bytes());
        }
        h.finalize().into()
    }
}
