//! The theft: an exchange's hot wallet drained, then the coins laundered through a
//! split, peel chains, CoinJoins (Whirlpool, Wasabi 1, WabiSabi, JoinMarket),
//! deposits at other exchanges, a swap service exit, and dormant remainders.

use crate::coinjoin::CoinJoins;
use crate::economy::{Economy, address_string, meta};
use crate::keys::AddrType;
use crate::wallet::Utxo;
use crate::world::{Committed, DUST, Draft, Input, Output, Payee, World};
use chain::Txid;
use rand::Rng;
use serde_json::{Value, json};
use std::collections::HashMap;

/// What a piece of the split is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Peel,
    Whirlpool,
    Wasabi,
    WabiSabi,
    JoinMarket,
    Direct,
    Swap,
    Dormant,
    /// Coins the thief got back from a mix, waiting to be cashed out.
    Mixed,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Self::Peel => "peel",
            Self::Whirlpool => "whirlpool",
            Self::Wasabi => "wasabi",
            Self::WabiSabi => "wabisabi",
            Self::JoinMarket => "joinmarket",
            Self::Direct => "direct",
            Self::Swap => "swap",
            Self::Dormant => "dormant",
            Self::Mixed => "mixed",
        }
    }
}

/// A peel chain in progress.
#[derive(Debug)]
struct PeelChain {
    coin: Option<Utxo>,
    hops: Vec<Value>,
    start: Value,
}

/// The hack and its laundering, step by step, with what the truth file records.
#[derive(Debug)]
pub struct Theft {
    /// The thief's wallet.
    pub attacker: u32,
    victim: usize,
    victim_wallet: Option<u32>,
    /// Height of the theft.
    pub height: u32,
    purpose: HashMap<(Txid, u32), Purpose>,
    peel_chains: Vec<PeelChain>,
    thief_scripts: Vec<Vec<u8>>,
    theft_txids: Vec<Txid>,
    stolen_outputs: Vec<Value>,
    splits: Vec<Value>,
    cashouts: Vec<Value>,
    swap_exits: Vec<Value>,
    done: bool,
}

impl Theft {
    /// Plans a theft from the first exchange at `height`. `thief_scripts` are output
    /// scripts the thief uses for some of its addresses.
    pub fn new(world: &mut World, height: u32, thief_scripts: Vec<Vec<u8>>) -> Self {
        let attacker = world.add_wallet(|id| {
            let mut w = crate::wallet::Wallet::new(
                id,
                "attacker".to_owned(),
                crate::wallet::Role::Attacker,
                AddrType::Bech32m,
                crate::wallet::Software::Core,
            );
            w.fee_rate = (8, 30);
            w
        });
        world.attacker = Some(attacker);
        Self {
            attacker,
            victim: 0,
            victim_wallet: None,
            height,
            purpose: HashMap::new(),
            peel_chains: Vec::new(),
            thief_scripts,
            theft_txids: Vec::new(),
            stolen_outputs: Vec::new(),
            splits: Vec::new(),
            cashouts: Vec::new(),
            swap_exits: Vec::new(),
            done: false,
        }
    }

    /// A fresh address of the thief, using a given script while any is left.
    fn thief_address(&mut self, world: &mut World, external: bool) -> u32 {
        if external && let Some(script) = self.thief_scripts.pop() {
            return world.wallet(self.attacker).external_address(script);
        }
        let ty = if world.rng.random_bool(0.5) { AddrType::Bech32m } else { AddrType::Bech32 };
        world.wallet(self.attacker).new_address(ty, false)
    }

    /// The thief's coins that are still unspent, with where they are held: its
    /// wallet, a live peel chain, or a CoinJoin queue.
    pub fn unspent(&self, world: &World, coinjoins: &CoinJoins) -> Vec<(Utxo, &'static str)> {
        let wallet = world.wallets[self.attacker as usize].utxos.iter().map(|u| (*u, "wallet"));
        let peel = self.peel_chains.iter().filter_map(|c| c.coin).map(|u| (u, "peel_chain"));
        let queues = coinjoins
            .queued_coins()
            .chain(&coinjoins.wasabi_queue)
            .chain(&coinjoins.wabisabi_queue)
            .chain(coinjoins.joinmarket_taker.iter().flat_map(|t| t.0.iter()))
            .filter(|c| c.wallet == self.attacker)
            .map(|c| (c.utxo, "coinjoin_queue"));
        wallet.chain(peel).chain(queues).collect()
    }

    /// Runs this block's step of the scenario.
    pub fn step(&mut self, world: &mut World, economy: &mut Economy, coinjoins: &mut CoinJoins) {
        let h = world.height;
        if h < self.height || self.done {
            return;
        }
        if self.theft_txids.is_empty() {
            self.steal(world, economy);
            return;
        }
        let since = h - self.height;
        match since {
            1 => self.split(world),
            2 => {
                self.launch(world, economy, coinjoins, Purpose::Direct);
                self.launch(world, economy, coinjoins, Purpose::Whirlpool);
            }
            3 => {
                self.launch(world, economy, coinjoins, Purpose::Swap);
                self.launch(world, economy, coinjoins, Purpose::Wasabi);
                self.launch(world, economy, coinjoins, Purpose::WabiSabi);
                self.launch(world, economy, coinjoins, Purpose::JoinMarket);
            }
            _ => {}
        }
        if since >= 2 {
            self.peel_step(world, economy);
        }
        if since >= 4 {
            self.cash_out_mixed(world, economy, coinjoins);
        }
    }

    /// Drains ~80% of the victim's hot wallet to the thief in two transactions.
    fn steal(&mut self, world: &mut World, economy: &mut Economy) {
        let ex = &mut economy.exchanges[self.victim];
        let hot = ex.hot_balance();
        if hot < 20 * 100_000_000 {
            // Wait until the hot wallet is worth robbing.
            self.height += 1;
            return;
        }
        ex.hot.sort_by_key(|u| std::cmp::Reverse(u.value));
        let mut taken = Vec::new();
        let mut total = 0;
        while total < hot * 8 / 10 && !ex.hot.is_empty() {
            let utxo = ex.hot.remove(0);
            total += utxo.value;
            taken.push(Input { utxo, wallet: ex.wallet });
        }
        let victim_wallet = ex.wallet;
        self.victim_wallet = Some(victim_wallet);
        let victim = json!(world.wallets[victim_wallet as usize].name);
        let half = taken.len().div_ceil(2);
        let second = taken.split_off(half);
        for part in [taken, second] {
            if part.is_empty() {
                continue;
            }
            let value: u64 = part.iter().map(|i| i.utxo.value).sum();
            let fee = 30 * world.estimate_vsize(&part, &[(AddrType::Bech32m, false); 3]);
            let pieces = 3;
            let each = (value - fee) / pieces;
            let mut outputs = Vec::new();
            for k in 0..pieces {
                let index = self.thief_address(world, k == 0);
                let amount = if k == pieces - 1 { value - fee - each * (pieces - 1) } else { each };
                outputs.push(Output { value: amount, payee: Payee::Address { wallet: self.attacker, index } });
            }
            let draft = Draft {
                kind: "theft",
                version: 2,
                lock_time: 0,
                sequence: 0xffff_fffd,
                inputs: part,
                outputs,
                actors: vec![victim_wallet, self.attacker],
                meta: meta([("victim", victim.clone()), ("hack", json!(1))]),
            };
            let committed = world.commit(draft);
            self.theft_txids.push(committed.txid);
            for (_, utxo) in committed.created.iter().flatten() {
                self.stolen_outputs.push(json!({
                    "txid": committed.txid, "vout": utxo.vout,
                    "address": address_string(world, self.attacker, utxo.index), "sats": utxo.value,
                }));
                world.wallet(self.attacker).utxos.push(*utxo);
            }
        }
    }

    /// Splits everything stolen into pieces, one per laundering route.
    fn split(&mut self, world: &mut World) {
        let coins: Vec<Input> =
            world.wallet(self.attacker).utxos.drain(..).map(|utxo| Input { utxo, wallet: self.attacker }).collect();
        let total: u64 = coins.iter().map(|c| c.utxo.value).sum();
        // Shares in thousandths of the total.
        let plan: [(Purpose, u64); 11] = [
            (Purpose::Peel, 200),
            (Purpose::Peel, 150),
            (Purpose::Whirlpool, 3),
            (Purpose::Wasabi, 60),
            (Purpose::Wasabi, 40),
            (Purpose::WabiSabi, 80),
            (Purpose::JoinMarket, 50),
            (Purpose::Direct, 90),
            (Purpose::Swap, 120),
            (Purpose::Dormant, 100),
            (Purpose::Dormant, 0), // the rest
        ];
        let types: Vec<(AddrType, bool)> = vec![(AddrType::Bech32m, false); plan.len()];
        let fee = 25 * world.estimate_vsize(&coins, &types);
        let spendable = total - fee;
        let mut outputs = Vec::new();
        let mut purposes = Vec::new();
        let mut assigned = 0;
        for (k, &(purpose, share)) in plan.iter().enumerate() {
            let mut value = spendable * share / 1000;
            if purpose == Purpose::Whirlpool {
                // Enough for a handful of 0.05 BTC premixes.
                value = value.max(30_000_000).min(spendable / 10);
            }
            if k == plan.len() - 1 {
                value = spendable - assigned;
            }
            assigned += value;
            let index = self.thief_address(world, purpose == Purpose::Dormant);
            outputs.push(Output { value, payee: Payee::Address { wallet: self.attacker, index } });
            purposes.push(purpose);
        }
        let draft = Draft {
            kind: "split",
            version: 2,
            lock_time: world.height,
            sequence: 0xffff_fffd,
            inputs: coins,
            outputs,
            actors: vec![self.attacker],
            meta: meta([("hack", json!(1))]),
        };
        let committed = world.commit(draft);
        let mut pieces = Vec::new();
        for ((_, utxo), purpose) in committed.created.iter().flatten().zip(purposes) {
            self.purpose.insert((utxo.txid, utxo.vout), purpose);
            pieces.push(json!({"purpose": purpose.name(), "address": address_string(world, self.attacker, utxo.index), "vout": utxo.vout, "sats": utxo.value}));
            if purpose == Purpose::Peel {
                self.peel_chains.push(PeelChain {
                    coin: Some(*utxo),
                    hops: Vec::new(),
                    start: json!({"txid": utxo.txid, "vout": utxo.vout}),
                });
            } else {
                world.wallet(self.attacker).utxos.push(*utxo);
            }
        }
        self.splits.push(json!({"hack_id": 1, "txid": committed.txid, "pieces": pieces}));
    }

    /// Takes the thief's coins with a purpose out of its wallet.
    fn take(&mut self, world: &mut World, purpose: Purpose) -> Vec<Input> {
        let w = world.wallet(self.attacker);
        let (mine, rest): (Vec<Utxo>, Vec<Utxo>) =
            w.utxos.drain(..).partition(|u| self.purpose.get(&(u.txid, u.vout)) == Some(&purpose));
        w.utxos = rest;
        mine.into_iter().map(|utxo| Input { utxo, wallet: self.attacker }).collect()
    }

    /// Sends a piece on its route.
    fn launch(&mut self, world: &mut World, economy: &mut Economy, coinjoins: &mut CoinJoins, purpose: Purpose) {
        let coins = self.take(world, purpose);
        if coins.is_empty() {
            return;
        }
        match purpose {
            Purpose::Direct => {
                for coin in coins {
                    self.cash_out(world, economy, vec![coin], "direct");
                }
            }
            Purpose::Swap => {
                let index = world.wallet(economy.swap).new_address(AddrType::Bech32, false);
                let committed = self.send_all(
                    world,
                    coins,
                    economy.swap,
                    index,
                    "swap_exit",
                    meta([("hack", json!(1)), ("service", json!("swap_service"))]),
                );
                if let Some(c) = committed {
                    let (_, utxo) = c.created[0].unwrap_or_else(|| unreachable!("one output"));
                    self.swap_exits.push(
                        json!({"hack_id": 1, "txid": c.txid, "vout": 0, "sats": utxo.value, "service": "swap_service"}),
                    );
                    world.wallet(economy.swap).utxos.push(utxo);
                }
            }
            Purpose::Whirlpool => {
                // The 0.05 BTC pool; the toxic change is cashed out later.
                if let Some(c) = coinjoins.tx0(world, self.attacker, coins, 2, Some(6)) {
                    for (owner, utxo) in c.created.iter().flatten() {
                        if *owner == self.attacker && world.wallets[*owner as usize].is_internal(utxo.index) {
                            self.purpose.insert((utxo.txid, utxo.vout), Purpose::Mixed);
                        }
                    }
                }
            }
            Purpose::Wasabi => coinjoins.wasabi_queue.extend(coins),
            Purpose::WabiSabi => coinjoins.wabisabi_queue.extend(coins),
            Purpose::JoinMarket => {
                let total: u64 = coins.iter().map(|c| c.utxo.value).sum();
                coinjoins.joinmarket_taker = Some((coins, total * 7 / 10));
            }
            Purpose::Peel | Purpose::Dormant | Purpose::Mixed => {
                world.wallet(self.attacker).utxos.extend(coins.into_iter().map(|c| c.utxo))
            }
        }
    }

    /// One hop of every live peel chain: a deposit of 0.5-2 BTC at an exchange and
    /// the rest to a fresh address of the thief; the last hop sends everything.
    fn peel_step(&mut self, world: &mut World, economy: &mut Economy) {
        for c in 0..self.peel_chains.len() {
            let Some(coin) = self.peel_chains[c].coin.take() else { continue };
            let hop = self.peel_chains[c].hops.len() + 1;
            let deposit_value = world.rng.random_range(50_000_000..200_000_000);
            let e = self.cashout_exchange(world, economy);
            let ex_wallet = economy.exchanges[e].wallet;
            let deposit = economy.exchanges[e].deposit_address(world, self.attacker, true);
            let fee = 20
                * world.estimate_vsize(&[Input { utxo: coin, wallet: self.attacker }], &[(AddrType::Bech32, false); 2]);
            let final_hop = coin.value < deposit_value + fee + 100_000_000 || hop >= 12;
            let mut outputs = Vec::new();
            let deposited = if final_hop { coin.value - fee } else { deposit_value };
            outputs.push(Output { value: deposited, payee: Payee::Address { wallet: ex_wallet, index: deposit } });
            if !final_hop {
                let next = self.thief_address(world, hop % 4 == 2);
                outputs.push(Output {
                    value: coin.value - fee - deposit_value,
                    payee: Payee::Address { wallet: self.attacker, index: next },
                });
            }
            let deposit_address = address_string(world, ex_wallet, deposit);
            let draft = Draft {
                kind: "peel_hop",
                version: 2,
                lock_time: world.height,
                sequence: 0xffff_fffd,
                inputs: vec![Input { utxo: coin, wallet: self.attacker }],
                outputs,
                actors: vec![self.attacker, ex_wallet],
                meta: meta([
                    ("hack", json!(1)),
                    ("hop", json!(hop)),
                    ("final", json!(final_hop)),
                    ("exchange", json!(world.wallets[ex_wallet as usize].name)),
                    ("deposit_address", json!(deposit_address)),
                ]),
            };
            let committed = world.commit(draft);
            economy.exchanges[e].credit(self.attacker, deposited);
            let mut next = Value::Null;
            for (owner, utxo) in committed.created.iter().flatten() {
                if *owner == self.attacker {
                    self.peel_chains[c].coin = Some(*utxo);
                    next = json!({"address": address_string(world, self.attacker, utxo.index), "vout": utxo.vout, "sats": utxo.value});
                } else {
                    world.wallet(*owner).utxos.push(*utxo);
                }
            }
            self.record_cashout(world, committed.txid, "peel_hop", "peel", ex_wallet, deposit, 0, deposited);
            self.peel_chains[c].hops.push(json!({
                "txid": committed.txid, "deposit_address": deposit_address, "deposit_vout": 0,
                "deposit_sats": deposited, "next": next,
            }));
        }
    }

    /// Cashes out coins the thief got back from mixes, two to five at a time.
    fn cash_out_mixed(&mut self, world: &mut World, economy: &mut Economy, coinjoins: &CoinJoins) {
        // Coins without a purpose came back from a mix (or a mix's change).
        let attacker = self.attacker;
        let untagged: Vec<(Txid, u32)> = world.wallets[attacker as usize]
            .utxos
            .iter()
            .filter(|u| !self.purpose.contains_key(&(u.txid, u.vout)))
            .map(|u| (u.txid, u.vout))
            .collect();
        for key in untagged {
            self.purpose.insert(key, Purpose::Mixed);
        }
        let mut mixed = self.take(world, Purpose::Mixed);
        while !mixed.is_empty() {
            let n = world.rng.random_range(2..=5).min(mixed.len());
            let group: Vec<Input> = mixed.drain(..n).collect();
            let source = self.source_of(world, &group[0].utxo.txid);
            self.cash_out(world, economy, group, source);
        }
        let live = self.peel_chains.iter().any(|c| c.coin.is_some());
        let queued = !coinjoins.wasabi_queue.is_empty()
            || !coinjoins.wabisabi_queue.is_empty()
            || coinjoins.joinmarket_taker.is_some()
            || coinjoins.queued_coins().any(|c| c.wallet == attacker);
        if !live && !queued && world.height > self.height + 30 {
            self.done = true;
        }
    }

    /// The laundering route a coin came from, by the kind of transaction that made it.
    fn source_of(&self, world: &World, txid: &Txid) -> &'static str {
        match world.stolen_flows.iter().rev().find(|f| f.txid == *txid).map(|f| f.kind) {
            Some("coinjoin_whirlpool") => "whirlpool",
            Some("whirlpool_tx0") => "whirlpool_tx0_change",
            Some("coinjoin_wasabi") => "wasabi",
            Some("coinjoin_wabisabi") => "wabisabi",
            Some("coinjoin_joinmarket") => "joinmarket",
            _ => "other",
        }
    }

    /// Deposits `coins` at a random exchange other than the victim.
    fn cash_out(&mut self, world: &mut World, economy: &mut Economy, coins: Vec<Input>, source: &'static str) {
        let e = self.cashout_exchange(world, economy);
        let ex_wallet = economy.exchanges[e].wallet;
        let index = economy.exchanges[e].deposit_address(world, self.attacker, true);
        let meta = meta([
            ("hack", json!(1)),
            ("source", json!(source)),
            ("exchange", json!(world.wallets[ex_wallet as usize].name)),
            ("deposit_address", json!(address_string(world, ex_wallet, index))),
        ]);
        if let Some(c) = self.send_all(world, coins, ex_wallet, index, "cashout_deposit", meta) {
            let (_, utxo) = c.created[0].unwrap_or_else(|| unreachable!("one output"));
            world.wallet(ex_wallet).utxos.push(utxo);
            economy.exchanges[e].credit(self.attacker, utxo.value);
            self.record_cashout(world, c.txid, "cashout_deposit", source, ex_wallet, index, 0, utxo.value);
        }
    }

    fn cashout_exchange(&self, world: &mut World, economy: &Economy) -> usize {
        let n = economy.exchanges.len();
        (self.victim + 1 + world.rng.random_range(0..n - 1)) % n
    }

    /// Sends all of `coins` to one address (less the fee); the caller files the coin.
    fn send_all(
        &mut self,
        world: &mut World,
        coins: Vec<Input>,
        wallet: u32,
        index: u32,
        kind: &'static str,
        meta: serde_json::Map<String, Value>,
    ) -> Option<Committed> {
        let total: u64 = coins.iter().map(|c| c.utxo.value).sum();
        let ty = world.wallets[wallet as usize].address_type(index);
        let fee = 15 * world.estimate_vsize(&coins, &[(ty, false)]);
        if total < fee + DUST {
            world.wallet(self.attacker).utxos.extend(coins.into_iter().map(|c| c.utxo));
            return None;
        }
        let draft = Draft {
            kind,
            version: 2,
            lock_time: world.height,
            sequence: 0xffff_fffd,
            inputs: coins,
            outputs: vec![Output { value: total - fee, payee: Payee::Address { wallet, index } }],
            actors: vec![self.attacker, wallet],
            meta,
        };
        Some(world.commit(draft))
    }

    #[allow(clippy::too_many_arguments, reason = "the truth's cashout record has this many fields")]
    fn record_cashout(
        &mut self,
        world: &World,
        txid: Txid,
        kind: &str,
        source: &str,
        exchange: u32,
        index: u32,
        vout: u32,
        sats: u64,
    ) {
        self.cashouts.push(json!({
            "hack_id": 1, "txid": txid, "kind": kind, "source": source,
            "exchange": world.wallets[exchange as usize].name,
            "deposit_address": address_string(world, exchange, index), "vout": vout, "sats": sats,
        }));
    }

    /// The theft's sections of ground_truth.json.
    pub fn truth_sections(&self, world: &World, dormant: &[(Utxo, &str)]) -> Vec<(&'static str, Value)> {
        let total: u64 = self.stolen_outputs.iter().filter_map(|o| o["sats"].as_u64()).sum();
        let victim = self.victim_wallet.map(|w| world.wallets[w as usize].name.clone());
        let peel_chains: Vec<Value> =
            self.peel_chains.iter().map(|c| json!({"hack_id": 1, "start": c.start, "hops": c.hops})).collect();
        let cashout_txids: Vec<&Value> = {
            let mut seen = Vec::new();
            for c in &self.cashouts {
                if !seen.contains(&&c["txid"]) {
                    seen.push(&c["txid"]);
                }
            }
            seen
        };
        let dormant_json: Vec<Value> = dormant
            .iter()
            .map(|(u, where_)| json!({"hack_id": 1, "txid": u.txid, "vout": u.vout, "address": address_string(world, self.attacker, u.index), "sats": u.value, "held": where_}))
            .collect();
        let flows: Vec<Value> = world.stolen_flows.iter().map(|f| f.to_json(world)).collect();
        let mut by_destination: HashMap<&str, u64> = HashMap::new();
        let mut miner_fees = 0;
        let mut mixing_costs = 0;
        for f in &world.stolen_flows {
            if f.sole_spender {
                miner_fees += f.fee_share;
            } else {
                mixing_costs += f.fee_share;
            }
            for &(wallet, _, value) in &f.destinations {
                *by_destination.entry(world.wallets[wallet as usize].name.as_str()).or_default() += value;
            }
        }
        let dormant_total: u64 = dormant.iter().map(|(u, _)| u.value).sum();
        let mut destinations: Vec<(&str, u64)> = by_destination.into_iter().collect();
        destinations.sort();
        let coinjoins: Vec<Value> = world
            .stolen_flows
            .iter()
            .filter(|f| f.kind.starts_with("coinjoin_"))
            .map(|f| json!({"txid": f.txid, "kind": f.kind, "hack": 1, "attacker_in_sats": f.attacker_in, "attacker_out_sats": f.attacker_out}))
            .collect();
        vec![
            (
                "thefts",
                json!([{"hack_id": 1, "victim": victim, "attacker": "attacker", "txids": self.theft_txids, "stolen_outputs": self.stolen_outputs, "total_sats": total}]),
            ),
            ("theft_txids", json!(self.theft_txids)),
            ("splits", json!(self.splits)),
            ("peel_chains", json!(peel_chains)),
            ("coinjoins", json!(coinjoins)),
            ("cashouts", json!(self.cashouts)),
            ("cashout_txids", json!(cashout_txids)),
            ("swap_exits", json!(self.swap_exits)),
            ("dormant_stolen_outputs", json!(dormant_json)),
            ("laundering_flows", json!(flows)),
            (
                "stolen_value",
                json!({
                    "hack_id": 1,
                    "total_sats": total,
                    "to_wallets_sats": destinations.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                    "miner_fees_sats": miner_fees,
                    "coinjoin_costs_sats": mixing_costs,
                    "dormant_sats": dormant_total,
                }),
            ),
        ]
    }
}
