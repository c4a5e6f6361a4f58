//! The simulated world: wallets, the block being built, and turning drafts of
//! transactions into real serialized transactions, blocks and blk-file records.

use crate::keys::{AddrType, Keys};
use crate::sink::Sink;
use crate::truth::{TruthWriter, TxRecord};
use crate::wallet::{Utxo, Wallet};
use chain::blkfile::{BlkWriter, XorKey};
use chain::encode::{
    EncodedTx, InputSpec, OutputSpec, WITNESS_RESERVED_VALUE, encode_tx, mine_header, tx_count_prefix,
    witness_commitment_script,
};
use chain::hash::dsha256;
use chain::{BlockHash, Header, Network, Txid};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io;

/// Outputs below this are not created (Bitcoin Core's dust limit for P2PKH).
pub const DUST: u64 = 546;
/// Block subsidy before the first halving.
const INITIAL_SUBSIDY: u64 = 50 * 100_000_000;
/// Mainnet's halving interval. Regtest halves every 150 blocks, which would end
/// issuance in a few thousand blocks; the simulator keeps mainnet's schedule.
const HALVING_INTERVAL: u32 = 210_000;
/// Regtest's nBits.
pub const REGTEST_BITS: u32 = 0x207f_ffff;
/// Block weight the simulator stays under (consensus allows 4,000,000).
pub const MAX_BLOCK_WEIGHT: usize = 3_900_000;

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payee {
    /// An address of a wallet.
    Address {
        /// The wallet.
        wallet: u32,
        /// The address index.
        index: u32,
    },
    /// An OP_RETURN script.
    Data(Vec<u8>),
}

/// An output of a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Value in satoshis.
    pub value: u64,
    /// Where it goes.
    pub payee: Payee,
}

/// An input of a draft: a coin and its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    /// The coin.
    pub utxo: Utxo,
    /// Its owner.
    pub wallet: u32,
}

/// A transaction to commit: what it spends and pays, and what the truth says of it.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The ground truth's `kind`.
    pub kind: &'static str,
    /// nVersion.
    pub version: u32,
    /// nLockTime.
    pub lock_time: u32,
    /// nSequence of every input.
    pub sequence: u32,
    /// Inputs.
    pub inputs: Vec<Input>,
    /// Outputs.
    pub outputs: Vec<Output>,
    /// Wallets the scenario says took part.
    pub actors: Vec<u32>,
    /// Kind-specific facts for the truth file.
    pub meta: serde_json::Map<String, serde_json::Value>,
}

/// A committed transaction: its id and where each output went.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The txid.
    pub txid: Txid,
    /// The coins created, by output index (`None` for OP_RETURN outputs).
    pub created: Vec<Option<(u32, Utxo)>>,
}

/// A transaction in the block being built.
struct BlockTx {
    range: (usize, usize),
    txid: Txid,
    wtxid: [u8; 32],
    weight: usize,
    /// True when every input was confirmed before this block (it may go in a stale twin).
    stale_eligible: bool,
}

/// Spending data of a draft's inputs: script sigs and witness items in one buffer.
struct SpendData {
    bytes: Vec<u8>,
    /// Witness items, as ranges of `bytes`.
    items: Vec<(usize, usize)>,
    /// Per input: its script sig's range of `bytes` and its witness's range of `items`.
    ranges: Vec<((usize, usize), (usize, usize))>,
}

/// The block being built.
#[derive(Default)]
struct BlockBuf {
    bytes: Vec<u8>,
    txs: Vec<BlockTx>,
    records: Vec<TxRecord>,
    weight: usize,
    fees: u64,
}

/// Counts the simulation reports.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Main-chain transactions (coinbases included).
    pub main_chain_txs: u64,
    /// Main-chain transactions by kind.
    pub by_kind: std::collections::BTreeMap<&'static str, u64>,
    /// Blocks written (stale ones included).
    pub blocks_written: u64,
    /// Bytes of block records written.
    pub bytes_written: u64,
}

/// A main-chain block, for the truth file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlockSummary {
    /// Height.
    pub height: u32,
    /// Hash.
    pub hash: BlockHash,
    /// Time.
    pub time: u32,
    /// Transactions.
    pub n_tx: usize,
    /// Size.
    pub size: usize,
    /// Weight.
    pub weight: usize,
}

/// A stale block, for the truth file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaleSummary {
    /// Hash.
    pub hash: BlockHash,
    /// Height.
    pub height: u32,
    /// Parent.
    pub prev_hash: BlockHash,
    /// Every txid in it, coinbase first.
    pub txids: Vec<Txid>,
    /// Txids that never made it into the main chain (its coinbase).
    pub stale_only_txids: Vec<Txid>,
    /// Always null: the simulator replaces no transaction.
    pub replaced_txid: Option<Txid>,
}

/// What one transaction did with stolen coins (every transaction spending the
/// thief's coins), so the truth can account for every stolen satoshi.
#[derive(Debug, Clone)]
pub struct StolenFlow {
    /// The transaction.
    pub txid: Txid,
    /// Its kind.
    pub kind: &'static str,
    /// Value of the thief's inputs.
    pub attacker_in: u64,
    /// Value of outputs to the thief.
    pub attacker_out: u64,
    /// True when only the thief's coins were spent.
    pub sole_spender: bool,
    /// The thief's share of costs: the miner fee when it spends alone, else what it
    /// put in minus what it got back (miner, coordinator and maker fees).
    pub fee_share: u64,
    /// Outputs to other wallets when the thief spends alone: (wallet, vout, value).
    pub destinations: Vec<(u32, u32, u64)>,
}

impl StolenFlow {
    /// The flow as the truth file shows it.
    pub fn to_json(&self, world: &World) -> serde_json::Value {
        let destinations: Vec<serde_json::Value> = self
            .destinations
            .iter()
            .map(|&(w, vout, sats)| {
                let wallet = &world.wallets[w as usize];
                serde_json::json!({"wallet": wallet.name, "role": wallet.role.name(), "vout": vout, "sats": sats})
            })
            .collect();
        serde_json::json!({
            "txid": self.txid, "kind": self.kind, "attacker_in_sats": self.attacker_in,
            "attacker_out_sats": self.attacker_out, "sole_spender": self.sole_spender,
            "fee_share_sats": self.fee_share, "destinations": destinations,
        })
    }
}

/// The world: wallets, randomness, the chain so far, and the writers.
pub struct World {
    /// Randomness driving every decision (deterministic per seed).
    pub rng: ChaCha8Rng,
    /// Randomness for signature bytes only, so decisions do not depend on how many
    /// signatures were drawn.
    sig_rng: ChaCha8Rng,
    /// Key and script derivation.
    pub keys: Keys,
    /// Every wallet, by id.
    pub wallets: Vec<Wallet>,
    /// Height of the block being built.
    pub height: u32,
    /// Hash of the main-chain tip.
    pub tip: BlockHash,
    /// Time of the tip.
    pub time: u32,
    block: BlockBuf,
    sink: Sink,
    /// Main-chain blocks so far.
    pub main_chain: Vec<BlockSummary>,
    /// Stale blocks so far.
    pub stale_blocks: Vec<StaleSummary>,
    /// Coinbases of stale blocks.
    pub stale_coinbases: Vec<(Txid, u32, BlockHash)>,
    /// Counts.
    pub counts: Counts,
    /// The thief's wallet, once there is one.
    pub attacker: Option<u32>,
    /// What every transaction spending stolen coins did with them.
    pub stolen_flows: Vec<StolenFlow>,
    script_scratch: Vec<u8>,
}

impl World {
    /// A world writing blocks to `blocks_dir` and the truth to `truth`.
    ///
    /// # Errors
    /// On I/O errors creating the files.
    pub fn new(seed: u64, blocks_dir: &std::path::Path, xor: bool, truth: TruthWriter) -> io::Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let sig_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5157_5349_4753); // "SIGS"
        let key = if xor {
            let mut k = [0u8; 8];
            rng.fill(&mut k);
            XorKey(k)
        } else {
            XorKey::default()
        };
        let writer = BlkWriter::create(blocks_dir, Network::Regtest, key, chain::blkfile::MAX_BLOCKFILE_SIZE)?;
        Ok(Self {
            rng,
            sig_rng,
            keys: Keys::new(seed),
            wallets: Vec::new(),
            height: 0,
            tip: BlockHash::all_zeros(),
            time: 1_700_000_000,
            block: BlockBuf::default(),
            sink: Sink::start(writer, truth),
            main_chain: Vec::new(),
            stale_blocks: Vec::new(),
            stale_coinbases: Vec::new(),
            counts: Counts::default(),
            attacker: None,
            stolen_flows: Vec::new(),
            script_scratch: Vec::new(),
        })
    }

    /// Adds a wallet and returns its id.
    pub fn add_wallet(&mut self, make: impl FnOnce(u32) -> Wallet) -> u32 {
        let id = self.wallets.len() as u32;
        self.wallets.push(make(id));
        id
    }

    /// The wallet with an id.
    pub fn wallet(&mut self, id: u32) -> &mut Wallet {
        &mut self.wallets[id as usize]
    }

    /// Appends the output script of a wallet's address to `out`.
    pub fn script_of(&self, out: &mut Vec<u8>, wallet: u32, index: u32) {
        let w = &self.wallets[wallet as usize];
        match w.address_type(index) {
            AddrType::External => out.extend_from_slice(w.external_script(index).unwrap_or(&[])),
            ty => self.keys.script_into(out, ty, wallet, index),
        }
    }

    /// The virtual size a transaction with these inputs and outputs will have.
    pub fn estimate_vsize(&self, inputs: &[Input], outputs: &[(AddrType, bool)]) -> u64 {
        let mut base = 4 + 4 + 3 + 3; // version, lock time, two counts (generous)
        let mut witness = 0;
        let mut segwit = false;
        for input in inputs {
            let (b, w) = input.utxo.ty.spend_sizes();
            base += b;
            witness += w;
            segwit |= input.utxo.ty.has_witness();
        }
        for &(ty, is_data) in outputs {
            base += if is_data { 8 + 1 + 42 } else { ty.output_size() };
        }
        let weight = base * 4 + if segwit { 2 + witness } else { 0 };
        weight.div_ceil(4) as u64
    }

    /// Serializes a draft into the block being built, moves the coins it spends out
    /// of existence and the coins it creates into their wallets, and records the
    /// truth. Inputs must already have been removed from their wallets.
    ///
    /// # Panics
    /// If the outputs are worth more than the inputs (a bug in the scenario code).
    pub fn commit(&mut self, draft: Draft) -> Committed {
        let in_value: u64 = draft.inputs.iter().map(|i| i.utxo.value).sum();
        let out_value: u64 = draft.outputs.iter().map(|o| o.value).sum();
        assert!(out_value <= in_value, "{} spends {in_value} but pays {out_value}", draft.kind);
        let fee = in_value - out_value;
        let encoded = self.encode_into_block(&draft, fee);
        let (created, output_wallets) = self.create_coins(&draft.outputs, encoded.txid);
        let mut input_wallets = Vec::new();
        for input in &draft.inputs {
            if !input_wallets.contains(&input.wallet) {
                input_wallets.push(input.wallet);
            }
        }
        self.track_stolen(&draft, encoded.txid, &created, &input_wallets, fee);
        self.block.records.push(TxRecord {
            txid: encoded.txid,
            kind: draft.kind,
            actors: draft.actors,
            input_wallets,
            output_wallets,
            fee: Some(fee),
            vsize: encoded.vsize(),
            meta: draft.meta,
        });
        Committed { txid: encoded.txid, created }
    }

    /// Serializes a draft at the end of the block being built and adds it to the
    /// block's transactions, weight and fees.
    fn encode_into_block(&mut self, draft: &Draft, fee: u64) -> EncodedTx {
        let spends = self.spend_data(&draft.inputs);
        let (scripts, script_ranges) = self.output_scripts(&draft.outputs);
        let item_refs: Vec<&[u8]> = spends.items.iter().map(|&(a, b)| &spends.bytes[a..b]).collect();
        let inputs: Vec<InputSpec<'_>> = draft
            .inputs
            .iter()
            .zip(&spends.ranges)
            .map(|(input, &((s0, s1), (w0, w1)))| InputSpec {
                prev_txid: input.utxo.txid,
                prev_vout: input.utxo.vout,
                script_sig: &spends.bytes[s0..s1],
                sequence: draft.sequence,
                witness: &item_refs[w0..w1],
            })
            .collect();
        let outputs: Vec<OutputSpec<'_>> = draft
            .outputs
            .iter()
            .zip(&script_ranges)
            .map(|(o, &(a, b))| OutputSpec { value: o.value, script_pubkey: &scripts[a..b] })
            .collect();
        let start = self.block.bytes.len();
        let encoded = encode_tx(&mut self.block.bytes, draft.version, &inputs, &outputs, draft.lock_time);
        let end = self.block.bytes.len();
        let has_witness = encoded.size != encoded.base_size;
        let wtxid = if has_witness { dsha256(&self.block.bytes[start..end]) } else { encoded.txid.0 };
        drop(inputs);
        drop(outputs);
        self.script_scratch = scripts;

        let height = self.height;
        let stale_eligible = draft.inputs.iter().all(|i| i.utxo.height < height);
        self.block.txs.push(BlockTx {
            range: (start, end),
            txid: encoded.txid,
            wtxid,
            weight: encoded.weight(),
            stale_eligible,
        });
        self.block.weight += encoded.weight();
        self.block.fees += fee;
        encoded
    }

    /// The script sigs and witness items spending `inputs` (signatures drawn from
    /// the signature randomness, in input order).
    fn spend_data(&mut self, inputs: &[Input]) -> SpendData {
        let mut spends = SpendData {
            bytes: Vec::with_capacity(inputs.len() * 110),
            items: Vec::new(),
            ranges: Vec::with_capacity(inputs.len()),
        };
        for input in inputs {
            let ty = input.utxo.ty;
            spends.ranges.push(self.keys.spend_into(
                &mut spends.bytes,
                &mut spends.items,
                ty,
                input.wallet,
                input.utxo.index,
                &mut self.sig_rng,
            ));
        }
        spends
    }

    /// The output scripts of `outputs`, one after another in the scratch buffer,
    /// and the range of each (hand the buffer back to `script_scratch` after use).
    fn output_scripts(&mut self, outputs: &[Output]) -> (Vec<u8>, Vec<(usize, usize)>) {
        let mut scripts = std::mem::take(&mut self.script_scratch);
        scripts.clear();
        let mut script_ranges = Vec::with_capacity(outputs.len());
        for output in outputs {
            let start = scripts.len();
            match &output.payee {
                Payee::Address { wallet, index } => self.script_of(&mut scripts, *wallet, *index),
                Payee::Data(script) => scripts.extend_from_slice(script),
            }
            script_ranges.push((start, scripts.len()));
        }
        (scripts, script_ranges)
    }

    /// The coins `outputs` of `txid` create, by output index (their addresses
    /// marked seen), and the distinct wallets they pay.
    fn create_coins(&mut self, outputs: &[Output], txid: Txid) -> (Vec<Option<(u32, Utxo)>>, Vec<u32>) {
        let height = self.height;
        let mut created = Vec::with_capacity(outputs.len());
        let mut output_wallets = Vec::new();
        for (vout, output) in outputs.iter().enumerate() {
            match output.payee {
                Payee::Address { wallet, index } => {
                    let w = &mut self.wallets[wallet as usize];
                    w.mark_seen(index);
                    let utxo =
                        Utxo { txid, vout: vout as u32, value: output.value, index, height, ty: w.address_type(index) };
                    created.push(Some((wallet, utxo)));
                    if !output_wallets.contains(&wallet) {
                        output_wallets.push(wallet);
                    }
                }
                Payee::Data(_) => created.push(None),
            }
        }
        (created, output_wallets)
    }

    /// Records what a transaction spending the thief's coins did with them.
    fn track_stolen(
        &mut self,
        draft: &Draft,
        txid: Txid,
        created: &[Option<(u32, Utxo)>],
        input_wallets: &[u32],
        fee: u64,
    ) {
        let Some(attacker) = self.attacker.filter(|a| input_wallets.contains(a)) else {
            return;
        };
        let attacker_in: u64 = draft.inputs.iter().filter(|i| i.wallet == attacker).map(|i| i.utxo.value).sum();
        let attacker_out: u64 = created.iter().flatten().filter(|(w, _)| *w == attacker).map(|(_, u)| u.value).sum();
        let sole_spender = input_wallets.len() == 1;
        let destinations = if sole_spender {
            created.iter().flatten().filter(|(w, _)| *w != attacker).map(|(w, u)| (*w, u.vout, u.value)).collect()
        } else {
            Vec::new()
        };
        self.stolen_flows.push(StolenFlow {
            txid,
            kind: draft.kind,
            attacker_in,
            attacker_out,
            sole_spender,
            fee_share: if sole_spender { fee } else { attacker_in.saturating_sub(attacker_out) },
            destinations,
        });
    }

    /// Commits a draft and puts every created coin into its owner's wallet.
    pub fn commit_to_wallets(&mut self, draft: Draft) -> Committed {
        let committed = self.commit(draft);
        for (wallet, utxo) in committed.created.iter().flatten() {
            self.wallets[*wallet as usize].utxos.push(*utxo);
        }
        committed
    }

    /// Room left in the block being built, in weight units.
    pub fn block_room(&self) -> usize {
        MAX_BLOCK_WEIGHT.saturating_sub(self.block.weight)
    }

    /// Transactions in the block being built.
    pub fn block_tx_count(&self) -> usize {
        self.block.txs.len()
    }

    /// The subsidy at a height.
    fn subsidy(height: u32) -> u64 {
        let halvings = height / HALVING_INTERVAL;
        if halvings >= 64 { 0 } else { INITIAL_SUBSIDY >> halvings }
    }

    /// Encodes a coinbase paying `reward` to `payee` (with the witness commitment
    /// when the block has witness data) into `out`.
    fn encode_coinbase(
        &self,
        out: &mut Vec<u8>,
        height: u32,
        tag: u8,
        payee_script: &[u8],
        reward: u64,
        wtxids: &[[u8; 32]],
    ) -> EncodedTx {
        // BIP 34 height push, then an extra nonce that keeps twin coinbases apart.
        let mut script_sig = Vec::with_capacity(12);
        let height_bytes: Vec<u8> = {
            let mut h = height;
            let mut v = Vec::new();
            while h > 0 {
                v.push((h & 0xff) as u8);
                h >>= 8;
            }
            if v.last().is_some_and(|b| b & 0x80 != 0) {
                v.push(0);
            }
            v
        };
        if (1..=16).contains(&height) {
            script_sig.push(0x50 + height as u8);
        } else {
            script_sig.push(height_bytes.len() as u8);
            script_sig.extend_from_slice(&height_bytes);
        }
        script_sig.extend_from_slice(&[0x02, tag, 0x00]);
        let any_witness = wtxids.iter().skip(1).any(|w| w != &[0; 32]);
        let commitment = any_witness.then(|| witness_commitment_script(wtxids));
        let reserved: [&[u8]; 1] = [&WITNESS_RESERVED_VALUE];
        let input = [InputSpec {
            prev_txid: Txid::all_zeros(),
            prev_vout: u32::MAX,
            script_sig: &script_sig,
            sequence: u32::MAX,
            witness: if any_witness { &reserved } else { &[] },
        }];
        let mut outputs = vec![OutputSpec { value: reward, script_pubkey: payee_script }];
        if let Some(script) = &commitment {
            outputs.push(OutputSpec { value: 0, script_pubkey: script });
        }
        encode_tx(out, 2, &input, &outputs, 0)
    }

    /// Finishes the block being built: a coinbase paying `miner` (address `index`),
    /// a nonce, the blk record, and the truth of its transactions. With `stale_twin`,
    /// first writes a competing block at the same height mined by `stale_twin`'s
    /// pool (its coinbase and the transactions that were confirmable before), which
    /// loses when the next block builds on this one.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn finish_block(&mut self, miner: u32, index: u32, stale_twin: Option<(u32, u32)>) -> io::Result<()> {
        let capacity = self.block.bytes.capacity();
        let mut block = std::mem::take(&mut self.block);
        self.block.bytes.reserve(capacity);
        let height = self.height;
        self.time += self.rng.random_range(30..1200);
        let time = self.time;

        if let Some((stale_miner, stale_index)) = stale_twin {
            self.write_stale_twin(&block, time - 1, stale_miner, stale_index)?;
        }

        let mut script = Vec::new();
        self.script_of(&mut script, miner, index);
        let wtxids: Vec<[u8; 32]> = std::iter::once([0; 32]).chain(block.txs.iter().map(|t| t.wtxid)).collect();
        let reward = Self::subsidy(height) + block.fees;
        let mut coinbase_bytes = Vec::with_capacity(300);
        let encoded_coinbase = self.encode_coinbase(&mut coinbase_bytes, height, 0, &script, reward, &wtxids);
        let coinbase = encoded_coinbase.txid;
        let mut txids = Vec::with_capacity(block.txs.len() + 1);
        txids.push(coinbase);
        txids.extend(block.txs.iter().map(|t| t.txid));
        let header = mine(self.tip, time, &txids)?;
        let prefix = tx_count_prefix(txids.len());
        let size = 80 + prefix.len() + coinbase_bytes.len() + block.bytes.len();
        let weight =
            (80 + prefix.len()) * 4 + encoded_coinbase.weight() + block.txs.iter().map(|t| t.weight).sum::<usize>();
        self.write(vec![header.to_bytes().to_vec(), prefix, coinbase_bytes, std::mem::take(&mut block.bytes)])?;

        // The miner's reward is a coin of the miner's wallet.
        let w = &mut self.wallets[miner as usize];
        w.mark_seen(index);
        let ty = w.address_type(index);
        w.utxos.push(Utxo { txid: coinbase, vout: 0, value: reward, index, height, ty });
        let mut records = block.records;
        records.insert(
            0,
            TxRecord {
                txid: coinbase,
                kind: "coinbase",
                actors: vec![miner],
                input_wallets: vec![],
                output_wallets: vec![miner],
                fee: None,
                vsize: encoded_coinbase.vsize(),
                meta: serde_json::Map::new(),
            },
        );
        self.record_transactions(header.hash, height, records)?;
        self.main_chain.push(BlockSummary { height, hash: header.hash, time, n_tx: txids.len(), size, weight });
        self.tip = header.hash;
        self.height += 1;
        Ok(())
    }

    /// Writes the stale twin of the block being built: a coinbase paying
    /// `stale_miner` (address `stale_index`) and up to half of the block's
    /// transactions that were confirmable before it, at `time` on the same tip.
    fn write_stale_twin(&mut self, block: &BlockBuf, time: u32, stale_miner: u32, stale_index: u32) -> io::Result<()> {
        let height = self.height;
        let chosen: Vec<&BlockTx> = block.txs.iter().filter(|t| t.stale_eligible).take(block.txs.len() / 2).collect();
        let mut script = Vec::new();
        self.script_of(&mut script, stale_miner, stale_index);
        let wtxids: Vec<[u8; 32]> = std::iter::once([0; 32]).chain(chosen.iter().map(|t| t.wtxid)).collect();
        let mut coinbase_bytes = Vec::new();
        let coinbase =
            self.encode_coinbase(&mut coinbase_bytes, height, 1, &script, Self::subsidy(height), &wtxids).txid;
        let mut txids = vec![coinbase];
        let mut txs = Vec::new();
        for t in &chosen {
            txs.extend_from_slice(&block.bytes[t.range.0..t.range.1]);
            txids.push(t.txid);
        }
        let header = mine(self.tip, time, &txids)?;
        self.write(vec![header.to_bytes().to_vec(), tx_count_prefix(txids.len()), coinbase_bytes, txs])?;
        self.stale_blocks.push(StaleSummary {
            hash: header.hash,
            height,
            prev_hash: self.tip,
            txids: txids.clone(),
            stale_only_txids: vec![coinbase],
            replaced_txid: None,
        });
        self.stale_coinbases.push((coinbase, stale_miner, header.hash));
        Ok(())
    }

    /// Counts a main-chain block's transactions by kind and hands their truth to
    /// the writer.
    fn record_transactions(&mut self, hash: BlockHash, height: u32, records: Vec<TxRecord>) -> io::Result<()> {
        for record in &records {
            *self.counts.by_kind.entry(record.kind).or_default() += 1;
        }
        self.counts.main_chain_txs += records.len() as u64;
        self.sink.transactions(hash, height, records)
    }

    /// Writes the regtest genesis block (the same bytes as Bitcoin Core's).
    ///
    /// # Errors
    /// On I/O errors.
    pub fn write_genesis(&mut self) -> io::Result<()> {
        let genesis = regtest_genesis();
        let header = Header::decode(genesis[..80].try_into().unwrap_or(&[0; 80]));
        self.main_chain.push(BlockSummary {
            height: 0,
            hash: header.hash,
            time: header.time,
            n_tx: 1,
            size: genesis.len(),
            weight: genesis.len() * 4,
        });
        self.write(vec![genesis])?;
        self.tip = header.hash;
        self.height = 1;
        self.counts.main_chain_txs += 1;
        *self.counts.by_kind.entry("genesis_coinbase").or_default() += 1;
        Ok(())
    }

    /// Hands the wallet names to the truth writer; call once every wallet exists.
    ///
    /// # Errors
    /// If the writer thread has failed.
    pub fn wallets_complete(&mut self) -> io::Result<()> {
        self.sink.names(self.wallets.iter().map(|w| w.name.clone()).collect())
    }

    fn write(&mut self, parts: Vec<Vec<u8>>) -> io::Result<()> {
        let size: usize = parts.iter().map(Vec::len).sum();
        self.sink.block(parts)?;
        self.counts.blocks_written += 1;
        self.counts.bytes_written += size as u64 + 8;
        Ok(())
    }

    /// Waits for the writer and flushes the blk files (the last one padded as Bitcoin
    /// Core leaves it).
    ///
    /// # Errors
    /// On I/O errors.
    pub fn finish_files(self) -> io::Result<Finished> {
        let (blocks, truth) = self.sink.finish()?;
        blocks.finish()?;
        Ok(Finished {
            truth,
            wallets: self.wallets,
            main_chain: self.main_chain,
            stale_blocks: self.stale_blocks,
            stale_coinbases: self.stale_coinbases,
            counts: self.counts,
            keys: self.keys,
        })
    }
}

/// What is left of the world once its blocks are written.
pub struct Finished {
    /// The truth file, waiting for its last sections.
    pub truth: TruthWriter,
    /// Every wallet.
    pub wallets: Vec<Wallet>,
    /// Main-chain blocks.
    pub main_chain: Vec<BlockSummary>,
    /// Stale blocks.
    pub stale_blocks: Vec<StaleSummary>,
    /// Coinbases of stale blocks: (txid, miner, block).
    pub stale_coinbases: Vec<(Txid, u32, BlockHash)>,
    /// Counts.
    pub counts: Counts,
    /// Key derivation (to write every address).
    pub keys: Keys,
}

fn mine(prev: BlockHash, time: u32, txids: &[Txid]) -> io::Result<Header> {
    mine_header(0x2000_0000, prev, time, REGTEST_BITS, txids)
        .ok_or_else(|| io::Error::other("no nonce meets the regtest target"))
}

/// Bitcoin Core's regtest genesis block.
pub fn regtest_genesis() -> Vec<u8> {
    const COINBASE: &str = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";
    let coinbase = decode_hex(COINBASE);
    let header = Header {
        hash: BlockHash::all_zeros(),
        version: 1,
        prev_hash: BlockHash::all_zeros(),
        merkle_root: chain::hash::MerkleRoot(dsha256(&coinbase)),
        time: 1_296_688_602,
        bits: REGTEST_BITS,
        nonce: 2,
    };
    let mut block = header.to_bytes().to_vec();
    block.push(1);
    block.extend_from_slice(&coinbase);
    block
}

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_is_bitcoin_cores() {
        let block = regtest_genesis();
        let info = chain::block::verify_block(&block).unwrap();
        assert_eq!(info.header.hash, Network::Regtest.genesis_hash());
    }
}
