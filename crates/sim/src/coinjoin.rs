//! CoinJoin coordinators and their rounds, shaped as the real protocols shape them:
//! Whirlpool (Tx0 and 5-8 input mixes of exact pool denominations with remixes),
//! Wasabi 1 (about 0.1 BTC equal outputs, change, a coordinator fee), WabiSabi
//! (many inputs, outputs in standard denominations) and JoinMarket (a taker and
//! makers, equal outputs plus change).

use crate::economy::{Economy, meta, restore};
use crate::keys::AddrType;
use crate::wallet::{Role, Software, Utxo, Wallet};
use crate::world::{Committed, DUST, Draft, Input, Output, Payee, World};
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::json;

/// A Whirlpool pool.
#[derive(Debug)]
pub struct WhirlpoolPool {
    /// The denomination every mix output has.
    pub denomination: u64,
    /// The coordinator's fee per Tx0.
    pub pool_fee: u64,
    /// Premix coins waiting for a mix (they carry the mix's miner fee).
    pub premix: Vec<Input>,
    /// Postmix coins waiting to remix, with how many more times they will.
    pub postmix: Vec<(Input, u8)>,
}

impl WhirlpoolPool {
    /// Value of a premix output: the denomination plus the share of a mix's fee.
    pub fn premix_value(&self) -> u64 {
        self.denomination + 1_200
    }

    /// Draws the inputs of a mix, of distinct wallets: up to `new_entrants` premix
    /// coins, then remixing postmix coins up to `size`, topped up with premix coins,
    /// each with how many more times it will remix.
    fn draw_inputs(&mut self, rng: &mut impl Rng, size: usize, new_entrants: usize) -> (Vec<Input>, Vec<u8>) {
        let mut inputs: Vec<Input> = Vec::with_capacity(size);
        let mut remixers: Vec<u8> = Vec::with_capacity(size);
        self.premix.shuffle(rng);
        let mut i = 0;
        while inputs.len() < new_entrants && i < self.premix.len() {
            if inputs.iter().all(|c| c.wallet != self.premix[i].wallet) {
                inputs.push(self.premix.swap_remove(i));
                remixers.push(rng.random_range(0..4));
            } else {
                i += 1;
            }
        }
        self.postmix.shuffle(rng);
        let mut i = 0;
        while inputs.len() < size && i < self.postmix.len() {
            if inputs.iter().all(|c| c.wallet != self.postmix[i].0.wallet) {
                let (coin, left) = self.postmix.swap_remove(i);
                inputs.push(coin);
                remixers.push(left);
            } else {
                i += 1;
            }
        }
        // Fill with more premix coins if remixes ran short.
        let mut i = 0;
        while inputs.len() < size && i < self.premix.len() {
            if inputs.iter().all(|c| c.wallet != self.premix[i].wallet) {
                inputs.push(self.premix.swap_remove(i));
                remixers.push(rng.random_range(0..4));
            } else {
                i += 1;
            }
        }
        (inputs, remixers)
    }

    /// Returns the inputs of a mix that did not happen to the premix or postmix
    /// coins they came from.
    fn put_back(&mut self, inputs: Vec<Input>, remixers: Vec<u8>) {
        for (coin, left) in inputs.into_iter().zip(remixers) {
            if coin.utxo.value == self.denomination {
                self.postmix.push((coin, left));
            } else {
                self.premix.push(coin);
            }
        }
    }
}

/// Where a thief's coins go back to when a round fails.
#[derive(Debug, Clone, Copy)]
enum Queue {
    None,
    Wasabi,
    WabiSabi,
    JoinMarket(u64),
}

/// The coordinators and the users who mix.
#[derive(Debug)]
pub struct CoinJoins {
    /// Whirlpool pools: 0.001, 0.01, 0.05 and 0.5 BTC.
    pub whirlpool: Vec<WhirlpoolPool>,
    /// Whirlpool coordinator's wallet.
    pub whirlpool_coordinator: u32,
    whirlpool_fee_addresses: Vec<u32>,
    /// Wasabi 1 coordinator's wallet.
    pub wasabi_coordinator: u32,
    wasabi_fee_address: u32,
    /// WabiSabi coordinator's wallet.
    pub wabisabi_coordinator: u32,
    whirlpool_users: Vec<u32>,
    wasabi_users: Vec<u32>,
    jm_makers: Vec<u32>,
    /// Coins waiting for the next Wasabi round (the thief's).
    pub wasabi_queue: Vec<Input>,
    /// Coins waiting for the next WabiSabi round (the thief's).
    pub wabisabi_queue: Vec<Input>,
    /// A taker's coins and amount for the next JoinMarket round (the thief's).
    pub joinmarket_taker: Option<(Vec<Input>, u64)>,
}

impl CoinJoins {
    /// Creates the coordinators and picks the users who mix.
    pub fn new(world: &mut World, economy: &Economy, extra_pools: &[u64]) -> Self {
        let coordinator = |world: &mut World, name: &str| {
            world.add_wallet(|id| {
                Wallet::new(id, name.to_owned(), Role::Coordinator, AddrType::Bech32, Software::Legacy)
            })
        };
        let whirlpool_coordinator = coordinator(world, "whirlpool_coordinator");
        let wasabi_coordinator = coordinator(world, "wasabi_coordinator");
        let wabisabi_coordinator = coordinator(world, "wabisabi_coordinator");
        let whirlpool_fee_addresses =
            (0..4).map(|_| world.wallet(whirlpool_coordinator).new_address(AddrType::Bech32, false)).collect();
        let wasabi_fee_address = world.wallet(wasabi_coordinator).new_address(AddrType::Bech32, false);
        let n = economy.users.len();
        let mut users = economy.users.clone();
        users.shuffle(&mut world.rng);
        // Small populations still need enough mixers for rounds to fill.
        let (whirlpool, wasabi, makers) = ((n / 20).max(20), (n / 20).max(30), (n / 40).max(12));
        let whirlpool_users = users[..whirlpool].to_vec();
        let wasabi_users = users[whirlpool..whirlpool + wasabi].to_vec();
        let jm_makers = users[whirlpool + wasabi..whirlpool + wasabi + makers].to_vec();
        // Mixers use SegWit addresses, as their wallets do.
        for &u in whirlpool_users.iter().chain(&wasabi_users) {
            let w = world.wallet(u);
            w.receive_type = AddrType::Bech32;
            w.change_type = AddrType::Bech32;
            w.reuses_addresses = false;
        }
        let known = [(100_000, 5_000), (1_000_000, 50_000), (5_000_000, 175_000), (50_000_000, 1_750_000)];
        // Other pools charge the larger pools' 3.5% fee.
        let pools = known.into_iter().chain(extra_pools.iter().map(|&d| (d, d * 35 / 1_000)));
        Self {
            whirlpool: pools
                .map(|(denomination, pool_fee)| WhirlpoolPool {
                    denomination,
                    pool_fee,
                    premix: Vec::new(),
                    postmix: Vec::new(),
                })
                .collect(),
            whirlpool_coordinator,
            whirlpool_fee_addresses,
            wasabi_coordinator,
            wasabi_fee_address,
            wabisabi_coordinator,
            whirlpool_users,
            wasabi_users,
            jm_makers,
            wasabi_queue: Vec::new(),
            wabisabi_queue: Vec::new(),
            joinmarket_taker: None,
        }
    }

    /// One block's CoinJoin activity.
    pub fn step(&mut self, world: &mut World) {
        let height = world.height;
        for _ in 0..(self.whirlpool_users.len() / 40).max(1) {
            let user = self.whirlpool_users[world.rng.random_range(0..self.whirlpool_users.len())];
            let pool = world.rng.random_range(0..self.whirlpool.len());
            let balance = world.wallets[user as usize].balance();
            if world.rng.random_bool(0.5)
                && balance > self.whirlpool[pool].premix_value() * 2 + self.whirlpool[pool].pool_fee
            {
                let coins = take_coins(world, user, balance);
                let premixes = world.rng.random_range(1..=12);
                self.tx0(world, user, coins, pool, Some(premixes));
            }
        }
        for pool in 0..self.whirlpool.len() {
            if world.rng.random_bool(0.4) {
                self.mix(world, pool);
            }
        }
        if height.is_multiple_of(15) || !self.wasabi_queue.is_empty() && height.is_multiple_of(3) {
            self.wasabi_round(world);
        }
        if height.is_multiple_of(8) || !self.wabisabi_queue.is_empty() && height.is_multiple_of(2) {
            self.wabisabi_round(world);
        }
        if height.is_multiple_of(6) || self.joinmarket_taker.is_some() {
            self.joinmarket_round(world);
        }
    }

    /// A Tx0: `coins` of `wallet` become premix coins of a pool, a pool fee for the
    /// coordinator, an OP_RETURN and change. Returns the transaction, or `None` (coins
    /// given back) if they cannot pay for one premix.
    pub fn tx0(
        &mut self,
        world: &mut World,
        wallet: u32,
        coins: Vec<Input>,
        pool: usize,
        max_premix: Option<usize>,
    ) -> Option<Committed> {
        let p = &self.whirlpool[pool];
        let (premix_value, pool_fee) = (p.premix_value(), p.pool_fee);
        let total: u64 = coins.iter().map(|c| c.utxo.value).sum();
        let rate = world.wallets[wallet as usize].pick_fee_rate(&mut world.rng).min(20);
        let fee_guess = rate * world.estimate_vsize(&coins, &[(AddrType::Bech32, false); 12]);
        let budget = total.saturating_sub(pool_fee + fee_guess);
        let count = (budget / premix_value).min(max_premix.unwrap_or(70) as u64).min(70) as usize;
        if count == 0 {
            restore(world, coins);
            return None;
        }
        let mut outputs = Vec::with_capacity(count + 3);
        for _ in 0..count {
            let index = world.wallet(wallet).new_address(AddrType::Bech32, false);
            outputs.push(Output { value: premix_value, payee: Payee::Address { wallet, index } });
        }
        let fee_address = self.whirlpool_fee_addresses[world.rng.random_range(0..self.whirlpool_fee_addresses.len())];
        outputs.push(Output {
            value: pool_fee,
            payee: Payee::Address { wallet: self.whirlpool_coordinator, index: fee_address },
        });
        let mut payload = vec![0x6a, 46];
        payload.extend((0..46).map(|_| world.rng.random::<u8>()));
        outputs.push(Output { value: 0, payee: Payee::Data(payload) });
        let types = vec![(AddrType::Bech32, false); outputs.len() + 1];
        let fee = rate * world.estimate_vsize(&coins, &types);
        let change =
            total - (count as u64 * premix_value) - pool_fee - fee.min(total - count as u64 * premix_value - pool_fee);
        if change >= DUST {
            let index = world.wallet(wallet).new_address(AddrType::Bech32, true);
            outputs.push(Output { value: change, payee: Payee::Address { wallet, index } });
        }
        let name = json!(world.wallets[wallet as usize].name);
        let meta = meta([
            ("sender", name),
            ("pool_denomination_sats", json!(self.whirlpool[pool].denomination)),
            ("premix_outputs", json!(count)),
        ]);
        let draft = Draft {
            kind: "whirlpool_tx0",
            version: 1,
            lock_time: 0,
            sequence: 0xffff_ffff,
            inputs: coins,
            outputs,
            actors: vec![wallet, self.whirlpool_coordinator],
            meta,
        };
        let committed = world.commit(draft);
        for (owner, utxo) in committed.created.iter().flatten() {
            if *owner == wallet && utxo.value == premix_value && !world.wallets[wallet as usize].is_internal(utxo.index)
            {
                self.whirlpool[pool].premix.push(Input { utxo: *utxo, wallet });
            } else {
                world.wallet(*owner).utxos.push(*utxo);
            }
        }
        Some(committed)
    }

    /// A mix in a pool: 1-3 premix coins and remixing postmix coins, 5-8 inputs of
    /// distinct wallets, as many outputs of exactly the denomination.
    fn mix(&mut self, world: &mut World, pool: usize) -> Option<Committed> {
        let p = &mut self.whirlpool[pool];
        if p.premix.is_empty() || p.premix.len() + p.postmix.len() < 5 {
            return None;
        }
        let size = world.rng.random_range(5..=8).min(p.premix.len() + p.postmix.len());
        let new_entrants = world.rng.random_range(1..=3).min(p.premix.len()).min(size);
        let (inputs, remixers) = p.draw_inputs(&mut world.rng, size, new_entrants);
        if inputs.len() < 5 {
            // Not enough distinct wallets: put everything back.
            p.put_back(inputs, remixers);
            return None;
        }
        let denomination = p.denomination;
        let mut outputs = Vec::with_capacity(inputs.len());
        for input in &inputs {
            let index = world.wallet(input.wallet).new_address(AddrType::Bech32, false);
            outputs.push((
                input.wallet,
                Output { value: denomination, payee: Payee::Address { wallet: input.wallet, index } },
            ));
        }
        let mut order: Vec<usize> = (0..outputs.len()).collect();
        order.shuffle(&mut world.rng);
        let wallets_in: Vec<u32> = inputs.iter().map(|i| i.wallet).collect();
        let participants: Vec<_> = wallets_in.iter().map(|&w| json!(world.wallets[w as usize].name)).collect();
        let meta = meta([
            ("pool_denomination_sats", json!(denomination)),
            ("participants", json!(participants)),
            ("remixes", json!(inputs.iter().filter(|i| i.utxo.value == denomination).count())),
        ]);
        let mut actors = wallets_in.clone();
        actors.push(self.whirlpool_coordinator);
        let draft = Draft {
            kind: "coinjoin_whirlpool",
            version: 1,
            lock_time: 0,
            sequence: 0xffff_ffff,
            inputs,
            outputs: order.iter().map(|&k| outputs[k].1.clone()).collect(),
            actors,
            meta,
        };
        let committed = world.commit(draft);
        // Each output belongs to the wallet whose input paid for it; remix or release.
        for ((owner, utxo), &left) in committed.created.iter().flatten().zip(order.iter().map(|&k| &remixers[k])) {
            if left > 0 {
                self.whirlpool[pool].postmix.push((Input { utxo: *utxo, wallet: *owner }, left - 1));
            } else {
                world.wallet(*owner).utxos.push(*utxo);
            }
        }
        Some(committed)
    }

    /// A Wasabi 1 round: participants put in coins worth at least the ~0.1 BTC
    /// denomination and get one (or two) equal outputs and their change; the
    /// coordinator takes 0.003% per anonymity-set member.
    fn wasabi_round(&mut self, world: &mut World) -> Option<Committed> {
        let denomination = 10_000_000 + world.rng.random_range(0..2_000);
        let target = world.rng.random_range(20..60);
        let mut participants: Vec<(u32, Vec<Input>)> = Vec::new();
        let queue = std::mem::take(&mut self.wasabi_queue);
        if !queue.is_empty() {
            let wallet = queue[0].wallet;
            participants.push((wallet, queue));
        }
        self.recruit(world, &mut participants, target, denomination + 50_000, &self.wasabi_users.clone());
        if participants.len() < (self.wasabi_users.len() / 4).clamp(5, 10) {
            return self.abort_round(world, participants, Queue::Wasabi);
        }
        let anonset = participants.len() as u64;
        let coordinator_fee_each = denomination * 3 / 100_000 * anonset / 10;
        let mut outputs = Vec::new();
        let mut coordinator_total = 0;
        let rate = world.rng.random_range(2..20);
        for (wallet, coins) in &participants {
            let total: u64 = coins.iter().map(|c| c.utxo.value).sum();
            let levels = if total > 2 * denomination + 100_000 && world.rng.random_bool(0.3) { 2 } else { 1 };
            let my_fee =
                rate * world.estimate_vsize(coins, &vec![(AddrType::Bech32, false); levels + 1]) + coordinator_fee_each;
            let Some(change) = total.checked_sub(levels as u64 * denomination + my_fee) else {
                return self.abort_round(world, participants, Queue::Wasabi);
            };
            for _ in 0..levels {
                let index = world.wallet(*wallet).new_address(AddrType::Bech32, false);
                outputs.push(Output { value: denomination, payee: Payee::Address { wallet: *wallet, index } });
            }
            if change >= DUST {
                let index = world.wallet(*wallet).new_address(AddrType::Bech32, true);
                outputs.push(Output { value: change, payee: Payee::Address { wallet: *wallet, index } });
            }
            coordinator_total += coordinator_fee_each;
        }
        outputs.push(Output {
            value: coordinator_total,
            payee: Payee::Address { wallet: self.wasabi_coordinator, index: self.wasabi_fee_address },
        });
        outputs.shuffle(&mut world.rng);
        self.commit_round(
            world,
            participants,
            outputs,
            "coinjoin_wasabi",
            self.wasabi_coordinator,
            json!(denomination),
            RoundHeader { version: 1, lock_time: 0, sequence: 0xffff_ffff },
        )
    }

    /// A WabiSabi round: many inputs; each participant's value is split greedily
    /// into standard denominations, the remainder into a change output.
    fn wabisabi_round(&mut self, world: &mut World) -> Option<Committed> {
        let target = world.rng.random_range(15..50);
        let mut participants: Vec<(u32, Vec<Input>)> = Vec::new();
        let queue = std::mem::take(&mut self.wabisabi_queue);
        if !queue.is_empty() {
            let wallet = queue[0].wallet;
            participants.push((wallet, queue));
        }
        self.recruit(world, &mut participants, target, 200_000, &self.wasabi_users.clone());
        if participants.len() < 8 {
            return self.abort_round(world, participants, Queue::WabiSabi);
        }
        let denominations = standard_denominations();
        let rate = world.rng.random_range(2..15);
        let mut outputs = Vec::new();
        let mut coordinator_total = 0;
        for (wallet, coins) in &participants {
            let total: u64 = coins.iter().map(|c| c.utxo.value).sum();
            let coordinator_fee = if total > 1_000_000 { total * 3 / 1000 } else { 0 };
            let taproot = world.rng.random_bool(0.5);
            let ty = if taproot { AddrType::Bech32m } else { AddrType::Bech32 };
            let mut remaining =
                total.saturating_sub(coordinator_fee + rate * world.estimate_vsize(coins, &[(ty, false); 6]));
            let mut made = 0;
            while made < 8 {
                let Some(&d) = denominations.iter().rev().find(|&&d| d <= remaining) else { break };
                let index = world.wallet(*wallet).new_address(ty, false);
                outputs.push(Output { value: d, payee: Payee::Address { wallet: *wallet, index } });
                remaining -= d;
                made += 1;
            }
            if remaining >= 5_000 {
                let index = world.wallet(*wallet).new_address(ty, true);
                outputs.push(Output { value: remaining, payee: Payee::Address { wallet: *wallet, index } });
            }
            coordinator_total += coordinator_fee;
        }
        if coordinator_total > 0 {
            let index = world.wallet(self.wabisabi_coordinator).new_address(AddrType::Bech32m, false);
            outputs.push(Output {
                value: coordinator_total,
                payee: Payee::Address { wallet: self.wabisabi_coordinator, index },
            });
        }
        outputs.sort_by_key(|o| std::cmp::Reverse(o.value));
        self.commit_round(
            world,
            participants,
            outputs,
            "coinjoin_wabisabi",
            self.wabisabi_coordinator,
            json!(null),
            RoundHeader { version: 1, lock_time: 0, sequence: 0xffff_ffff },
        )
    }

    /// A JoinMarket round: a taker and 2-8 makers; everyone gets the CoinJoin amount,
    /// makers get their coins back plus a fee as change, the taker pays fees.
    fn joinmarket_round(&mut self, world: &mut World) -> Option<Committed> {
        let (taker, taker_coins, amount_asked) = match self.joinmarket_taker.take() {
            Some((coins, amount)) => (coins[0].wallet, coins, amount),
            None => {
                let taker = self.jm_makers[world.rng.random_range(0..self.jm_makers.len())];
                let balance = world.wallets[taker as usize].balance();
                if balance < 2_000_000 {
                    return None;
                }
                let amount = balance * world.rng.random_range(30..80) / 100;
                (taker, take_coins(world, taker, balance), amount)
            }
        };
        let amount = amount_asked;
        // Makers offer up to what they hold: the taker settles for what two can match.
        let mut offers: Vec<u64> =
            self.jm_makers.iter().filter(|&&m| m != taker).map(|&m| world.wallets[m as usize].balance()).collect();
        offers.sort_unstable_by(|a, b| b.cmp(a));
        let amount = amount.min(offers.get(1).copied().unwrap_or(0).saturating_sub(100_000));
        let makers_wanted = world.rng.random_range(2..=8);
        let mut participants = vec![(taker, taker_coins)];
        if amount >= 100_000 {
            self.recruit(world, &mut participants, makers_wanted + 1, amount + 100_000, &self.jm_makers.clone());
        }
        if participants.len() < 3 {
            return self.abort_round(world, participants, Queue::JoinMarket(amount_asked));
        }
        let ty = if world.rng.random_bool(0.5) { AddrType::P2shSegwit } else { AddrType::Bech32 };
        let rate = world.rng.random_range(2..20);
        let maker_fee = 250 + amount / 50_000;
        let makers = participants.len() as u64 - 1;
        let mut outputs = Vec::new();
        for (n, (wallet, coins)) in participants.iter().enumerate() {
            let total: u64 = coins.iter().map(|c| c.utxo.value).sum();
            let index = world.wallet(*wallet).new_address(ty, false);
            outputs.push(Output { value: amount, payee: Payee::Address { wallet: *wallet, index } });
            let change = if n == 0 {
                let all_inputs: Vec<Input> = participants.iter().flat_map(|p| p.1.iter().copied()).collect();
                let miner_fee = rate * world.estimate_vsize(&all_inputs, &vec![(ty, false); participants.len() * 2]);
                total.checked_sub(amount + makers * maker_fee + miner_fee)
            } else {
                (total + maker_fee).checked_sub(amount)
            };
            match change {
                Some(change) if change >= DUST => {
                    let index = world.wallet(*wallet).new_address(ty, true);
                    outputs.push(Output { value: change, payee: Payee::Address { wallet: *wallet, index } });
                }
                Some(_) => {}
                None => return self.abort_round(world, participants, Queue::JoinMarket(amount_asked)),
            }
        }
        outputs.shuffle(&mut world.rng);
        // JoinMarket's taker: nVersion 2, nLockTime at the tip, no RBF.
        let header = RoundHeader { version: 2, lock_time: world.height, sequence: 0xffff_fffe };
        self.commit_round(world, participants, outputs, "coinjoin_joinmarket", taker, json!(amount), header)
    }

    /// Adds wallets from `pool` with at least `min` in coins until `target` take part.
    fn recruit(
        &self,
        world: &mut World,
        participants: &mut Vec<(u32, Vec<Input>)>,
        target: usize,
        min: u64,
        pool: &[u32],
    ) {
        for _ in 0..target * 4 {
            if participants.len() >= target {
                break;
            }
            let wallet = pool[world.rng.random_range(0..pool.len())];
            if participants.iter().any(|p| p.0 == wallet) {
                continue;
            }
            let balance = world.wallets[wallet as usize].balance();
            if balance >= min {
                let coins = take_coins(world, wallet, balance);
                if coins.iter().map(|c| c.utxo.value).sum::<u64>() >= min {
                    participants.push((wallet, coins));
                } else {
                    restore(world, coins);
                }
            }
        }
    }

    /// Gives the coins of a round that did not happen back, and puts the thief's
    /// back in the queue it came from, to try the next round.
    fn abort_round(
        &mut self,
        world: &mut World,
        participants: Vec<(u32, Vec<Input>)>,
        queue: Queue,
    ) -> Option<Committed> {
        for (wallet, coins) in participants {
            if Some(wallet) != world.attacker {
                restore(world, coins);
                continue;
            }
            match queue {
                Queue::Wasabi => self.wasabi_queue.extend(coins),
                Queue::WabiSabi => self.wabisabi_queue.extend(coins),
                Queue::JoinMarket(amount) => self.joinmarket_taker = Some((coins, amount)),
                Queue::None => restore(world, coins),
            }
        }
        None
    }

    #[allow(clippy::too_many_arguments, reason = "a round has this many parts")]
    fn commit_round(
        &mut self,
        world: &mut World,
        participants: Vec<(u32, Vec<Input>)>,
        outputs: Vec<Output>,
        kind: &'static str,
        coordinator: u32,
        amount: serde_json::Value,
        header: RoundHeader,
    ) -> Option<Committed> {
        let paid: u64 = outputs.iter().map(|o| o.value).sum();
        let total: u64 = participants.iter().flat_map(|p| p.1.iter()).map(|c| c.utxo.value).sum();
        if paid > total {
            return self.abort_round(world, participants, Queue::None);
        }
        let names: Vec<_> = participants.iter().map(|p| json!(world.wallets[p.0 as usize].name)).collect();
        let mut actors: Vec<u32> = participants.iter().map(|p| p.0).collect();
        if !actors.contains(&coordinator) {
            actors.push(coordinator);
        }
        let mut inputs: Vec<Input> = participants.into_iter().flat_map(|p| p.1).collect();
        inputs.shuffle(&mut world.rng);
        let meta = meta([("participants", json!(names)), ("denomination_sats", amount)]);
        let RoundHeader { version, lock_time, sequence } = header;
        let committed = world.commit(Draft { kind, version, lock_time, sequence, inputs, outputs, actors, meta });
        for (owner, utxo) in committed.created.iter().flatten() {
            world.wallet(*owner).utxos.push(*utxo);
        }
        Some(committed)
    }

    /// Every coin waiting in a Whirlpool pool, by owner.
    pub fn queued_coins(&self) -> impl Iterator<Item = &Input> {
        self.whirlpool.iter().flat_map(|p| p.premix.iter().chain(p.postmix.iter().map(|(c, _)| c)))
    }
}

/// Takes coins of a wallet worth up to `amount` (all of them if it has less).
fn take_coins(world: &mut World, wallet: u32, amount: u64) -> Vec<Input> {
    let w = world.wallet(wallet);
    let mut coins = Vec::new();
    let mut total = 0;
    while total < amount && !w.utxos.is_empty() && coins.len() < 10 {
        let utxo: Utxo = w.utxos.pop().unwrap_or_else(|| unreachable!("checked non-empty"));
        total += utxo.value;
        coins.push(Input { utxo, wallet });
    }
    coins
}

/// WabiSabi's standard denominations, as WalletWasabi defines them: from 5,000 sats
/// to 1,343.75 BTC, the powers of 2 and of 3, twice the powers of 3, and the 1-2-5
/// series of powers of 10.
pub fn standard_denominations() -> Vec<u64> {
    const MIN: u64 = 5_000;
    const MAX: u64 = 134_375_000_000;
    let mut set = vec![MIN, MAX];
    for (base, factors) in [(2u64, &[1u64][..]), (3, &[1, 2]), (10, &[1, 2, 5])] {
        let mut power = 1u64;
        while power <= MAX {
            set.extend(factors.iter().map(|f| f * power).filter(|v| (MIN..=MAX).contains(v)));
            power *= base;
        }
    }
    set.sort_unstable();
    set.dedup();
    set
}

/// The header fields a coordinator's software writes on a round, as the real
/// clients do (they are part of each protocol's fingerprint).
#[derive(Debug, Clone, Copy)]
struct RoundHeader {
    version: u32,
    lock_time: u32,
    sequence: u32,
}
