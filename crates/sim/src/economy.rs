//! The ordinary economy: users, merchants, exchanges, mining pools and a swap
//! service, and what each does every block.

use crate::keys::AddrType;
use crate::profile::Profile;
use crate::wallet::{Role, Software, Utxo, Wallet};
use crate::world::{Committed, DUST, Draft, Input, Output, Payee, World};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};

/// Most inputs a wallet puts in one ordinary transaction.
const MAX_INPUTS: usize = 40;
/// Coinbase outputs need this many confirmations before they can be spent.
const COINBASE_MATURITY: u32 = 100;

/// An exchange: one wallet holding deposit, hot and cold addresses, and customer
/// accounts kept off-chain.
#[derive(Debug)]
pub struct Exchange {
    /// Its wallet.
    pub wallet: u32,
    /// Type of deposit addresses.
    pub deposit_type: AddrType,
    /// Hot-wallet addresses (reused).
    pub hot_addresses: Vec<u32>,
    /// Cold-storage addresses (2-of-3 P2WSH).
    pub cold_addresses: Vec<u32>,
    deposit_of: HashMap<u32, u32>,
    customer_of: HashMap<u32, u32>,
    /// Every deposit address handed out: (customer wallet, address index).
    pub deposit_list: Vec<(u32, u32)>,
    /// Hot-wallet coins.
    pub hot: Vec<Utxo>,
    /// Cold-storage coins.
    pub cold: Vec<Utxo>,
    accounts: HashMap<u32, u64>,
    queue: VecDeque<(u32, u64)>,
}

impl Exchange {
    /// The `i`th exchange's wallet, with its hot and cold addresses and no customers yet.
    fn open(world: &mut World, i: usize) -> Self {
        let name = format!("exchange_{}", char::from(LETTERS[i % 26]));
        let deposit_type = [AddrType::Bech32, AddrType::P2shSegwit, AddrType::Legacy, AddrType::Bech32][i % 4];
        let wallet = world.add_wallet(|id| {
            let mut w = Wallet::new(id, name, Role::Exchange, deposit_type, Software::Legacy);
            w.fee_rate = (2, 15);
            w
        });
        let hot_type = if i.is_multiple_of(2) { AddrType::Bech32 } else { AddrType::P2shSegwit };
        let hot_addresses = (0..3).map(|_| world.wallet(wallet).new_address(hot_type, true)).collect();
        let cold_addresses = (0..2).map(|_| world.wallet(wallet).new_address(AddrType::P2wshMultisig, true)).collect();
        Self {
            wallet,
            deposit_type,
            hot_addresses,
            cold_addresses,
            deposit_of: HashMap::new(),
            customer_of: HashMap::new(),
            deposit_list: Vec::new(),
            hot: Vec::new(),
            cold: Vec::new(),
            accounts: HashMap::new(),
            queue: VecDeque::new(),
        }
    }

    /// The deposit address of a customer, a fresh one when `fresh` or on first use.
    pub fn deposit_address(&mut self, world: &mut World, customer: u32, fresh: bool) -> u32 {
        if !fresh && let Some(&index) = self.deposit_of.get(&customer) {
            return index;
        }
        let index = world.wallet(self.wallet).new_address(self.deposit_type, false);
        self.deposit_of.insert(customer, index);
        self.customer_of.insert(index, customer);
        self.deposit_list.push((customer, index));
        index
    }

    /// Credits a customer's account for a deposit.
    pub fn credit(&mut self, customer: u32, amount: u64) {
        *self.accounts.entry(customer).or_default() += amount;
    }

    /// Total value of hot coins.
    pub fn hot_balance(&self) -> u64 {
        self.hot.iter().map(|u| u.value).sum()
    }
}

/// A mining pool.
#[derive(Debug)]
pub struct Pool {
    /// Its wallet.
    pub wallet: u32,
    /// Users it pays out to.
    pub members: Vec<u32>,
    /// Relative hash rate.
    pub weight: u32,
    /// Exchange it sells to.
    pub exchange: usize,
    coinbase_address: u32,
}

/// A merchant.
#[derive(Debug)]
pub struct Merchant {
    /// Its wallet.
    pub wallet: u32,
    /// Exchange it settles to.
    pub exchange: usize,
}

/// Everyone in the economy, by role.
#[derive(Debug)]
pub struct Economy {
    /// Ordinary users.
    pub users: Vec<u32>,
    /// Each user's exchange.
    user_exchange: HashMap<u32, u8>,
    /// Merchants.
    pub merchants: Vec<Merchant>,
    /// Exchanges.
    pub exchanges: Vec<Exchange>,
    /// Mining pools.
    pub pools: Vec<Pool>,
    /// The swap service's wallet.
    pub swap: u32,
    profile: Profile,
}

/// Letters for exchange names (`exchange_a`, ...).
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

impl Economy {
    /// Creates the population's wallets.
    pub fn populate(world: &mut World, profile: Profile) -> Self {
        let users = Self::new_users(world, profile);
        let exchanges: Vec<Exchange> = (0..profile.exchanges).map(|i| Exchange::open(world, i)).collect();
        let user_exchange = users.iter().map(|&u| (u, world.rng.random_range(0..profile.exchanges) as u8)).collect();
        let merchants = (0..profile.merchants)
            .map(|i| {
                let wallet = world.add_wallet(|id| {
                    let mut w =
                        Wallet::new(id, format!("merchant_{i:04}"), Role::Merchant, AddrType::Bech32, Software::Core);
                    w.fee_rate = (2, 10);
                    w
                });
                Merchant { wallet, exchange: i % profile.exchanges }
            })
            .collect();
        let pools = Self::new_pools(world, profile, &users);
        let swap = world
            .add_wallet(|id| Wallet::new(id, "swap_service".to_owned(), Role::Swap, AddrType::Bech32, Software::Core));
        Self { users, user_exchange, merchants, exchanges, pools, swap, profile }
    }

    /// The users' wallets, each with its address types, software, reuse and fee habits.
    fn new_users(world: &mut World, profile: Profile) -> Vec<u32> {
        (0..profile.users)
            .map(|i| {
                let receive_type = pick_user_type(&mut world.rng);
                let software = Software::pick(&mut world.rng);
                let reuses = world.rng.random_bool(0.08);
                let odd_change = world.rng.random_bool(0.1);
                let change_type = if odd_change { pick_user_type(&mut world.rng) } else { receive_type };
                let high_fees = world.rng.random_bool(0.3);
                world.add_wallet(|id| {
                    let mut w = Wallet::new(id, format!("user_{i:06}"), Role::User, receive_type, software);
                    w.reuses_addresses = reuses;
                    w.change_type = change_type;
                    w.fee_rate = if high_fees { (10, 60) } else { (1, 12) };
                    w
                })
            })
            .collect()
    }

    /// The mining pools' wallets, each paying out to members drawn from `users`.
    fn new_pools(world: &mut World, profile: Profile, users: &[u32]) -> Vec<Pool> {
        (0..profile.pools)
            .map(|i| {
                let wallet = world.add_wallet(|id| {
                    let mut w = Wallet::new(id, format!("pool_{i}"), Role::Miner, AddrType::Bech32, Software::Legacy);
                    w.fee_rate = (1, 5);
                    w
                });
                let members = users
                    .choose_multiple(&mut world.rng, (profile.users / profile.pools / 3).max(5))
                    .copied()
                    .collect();
                let coinbase_address = world.wallet(wallet).new_address(AddrType::Bech32, false);
                Pool {
                    wallet,
                    members,
                    weight: 1 + (profile.pools - i) as u32 * 3,
                    exchange: i % profile.exchanges,
                    coinbase_address,
                }
            })
            .collect()
    }

    /// The pool that mines the next block, and the address its coinbase pays.
    pub fn pick_miner(&mut self, world: &mut World) -> (u32, u32) {
        let total: u32 = self.pools.iter().map(|p| p.weight).sum();
        let mut x = world.rng.random_range(0..total);
        let height = world.height;
        for pool in &mut self.pools {
            if x < pool.weight {
                // Pools rotate their coinbase address now and then.
                if height.is_multiple_of(50) {
                    pool.coinbase_address = world.wallet(pool.wallet).new_address(AddrType::Bech32, false);
                }
                return (pool.wallet, pool.coinbase_address);
            }
            x -= pool.weight;
        }
        (self.pools[0].wallet, self.pools[0].coinbase_address)
    }

    /// A fresh coinbase address of a pool other than `winner`, for a stale twin block.
    pub fn rival_miner(&mut self, world: &mut World, winner: u32) -> Option<(u32, u32)> {
        let rival = self.pools.iter().find(|p| p.wallet != winner)?.wallet;
        let index = world.wallet(rival).new_address(AddrType::Bech32, false);
        Some((rival, index))
    }

    /// One block's worth of economic activity.
    pub fn step(&mut self, world: &mut World) {
        let height = world.height;
        if height.is_multiple_of(6) {
            for p in 0..self.pools.len() {
                self.pool_payout(world, p);
            }
        }
        for e in 0..self.exchanges.len() {
            if height as usize % 3 == e % 3 {
                self.sweep_deposits(world, e);
            }
            if height as usize % 2 == e % 2 {
                self.pay_withdrawals(world, e);
            }
            if height as usize % 10 == e % 10 {
                self.balance_hot_and_cold(world, e);
            }
        }
        for m in 0..self.merchants.len() {
            if (height as usize + m).is_multiple_of(25) {
                self.settle_merchant(world, m);
            }
        }
        if height.is_multiple_of(10) {
            self.swap_payouts(world);
        }
        let budget = self.profile.txs_per_block * world.rng.random_range(80..=120) / 100;
        let mut attempts = 0;
        while world.block_tx_count() < budget && attempts < budget * 4 && world.block_room() > 100_000 {
            attempts += 1;
            match world.rng.random_range(0..100) {
                0..45 => self.user_payment(world),
                45..62 => self.user_deposit(world),
                62..82 => self.user_buys(world),
                82..85 => self.user_data(world),
                85..88 => self.user_consolidates(world),
                _ => self.user_to_user(world),
            };
        }
    }

    /// A random user with coins, if one is found in a few tries.
    fn funded_user(&self, world: &mut World, min: u64) -> Option<u32> {
        for _ in 0..12 {
            let u = self.users[world.rng.random_range(0..self.users.len())];
            let w = &world.wallets[u as usize];
            if !w.utxos.is_empty() && w.balance() >= min {
                return Some(u);
            }
        }
        None
    }

    fn user_payment(&mut self, world: &mut World) -> Option<Committed> {
        let user = self.funded_user(world, 20_000)?;
        let merchant = self.merchants[world.rng.random_range(0..self.merchants.len())].wallet;
        let invoice = world.wallet(merchant).receive_address();
        let amount = payment_amount(world, user)?;
        let mut payees = vec![(Payee::Address { wallet: merchant, index: invoice }, amount)];
        let mut names = vec![json!(world.wallets[merchant as usize].name)];
        if world.rng.random_bool(0.1) {
            let other = self.users[world.rng.random_range(0..self.users.len())];
            if other != user {
                let index = world.wallet(other).receive_address();
                payees.push((Payee::Address { wallet: other, index }, amount / 3 + DUST));
                names.push(json!(world.wallets[other as usize].name));
            }
        }
        let actors =
            payees.iter().filter_map(|(p, _)| if let Payee::Address { wallet, .. } = p { Some(*wallet) } else { None });
        let actors: Vec<u32> = std::iter::once(user).chain(actors).collect();
        let meta = meta([("sender", json!(world.wallets[user as usize].name)), ("payees", Value::Array(names))]);
        pay(world, user, payees, "payment", actors, meta)
    }

    fn user_to_user(&mut self, world: &mut World) -> Option<Committed> {
        let user = self.funded_user(world, 20_000)?;
        let other = self.users[world.rng.random_range(0..self.users.len())];
        if other == user {
            return None;
        }
        let index = world.wallet(other).receive_address();
        let amount = payment_amount(world, user)?;
        let meta = meta([
            ("sender", json!(world.wallets[user as usize].name)),
            ("payees", json!([world.wallets[other as usize].name])),
        ]);
        pay(world, user, vec![(Payee::Address { wallet: other, index }, amount)], "payment", vec![user, other], meta)
    }

    fn user_deposit(&mut self, world: &mut World) -> Option<Committed> {
        let user = self.funded_user(world, 50_000)?;
        let e = usize::from(self.user_exchange[&user]);
        let balance = world.wallets[user as usize].balance();
        let amount = balance * world.rng.random_range(20..90) / 100;
        let fresh = world.rng.random_bool(0.05);
        self.deposit(world, user, e, amount, fresh, "deposit")
    }

    /// Pays `amount` from `from` to its deposit address at exchange `e` and credits it.
    pub fn deposit(
        &mut self,
        world: &mut World,
        from: u32,
        e: usize,
        amount: u64,
        fresh: bool,
        kind: &'static str,
    ) -> Option<Committed> {
        let index = self.exchanges[e].deposit_address(world, from, fresh);
        let ex_wallet = self.exchanges[e].wallet;
        let meta = meta([
            ("sender", json!(world.wallets[from as usize].name)),
            ("exchange", json!(world.wallets[ex_wallet as usize].name)),
            ("deposit_address", json!(address_string(world, ex_wallet, index))),
        ]);
        let committed = pay(
            world,
            from,
            vec![(Payee::Address { wallet: ex_wallet, index }, amount)],
            kind,
            vec![from, ex_wallet],
            meta,
        )?;
        self.exchanges[e].credit(from, amount);
        Some(committed)
    }

    fn user_buys(&mut self, world: &mut World) -> Option<Committed> {
        let user = self.users[world.rng.random_range(0..self.users.len())];
        let e = usize::from(self.user_exchange[&user]);
        // Bought with money from outside the chain, then withdrawn.
        let amount = log_uniform(world, 100_000, 50_000_000);
        let ex = &mut self.exchanges[e];
        ex.credit(user, amount);
        let balance = ex.accounts.get(&user).copied().unwrap_or(0);
        let take = balance.min(amount * 2);
        ex.accounts.insert(user, balance - take);
        ex.queue.push_back((user, take));
        None
    }

    fn user_data(&mut self, world: &mut World) -> Option<Committed> {
        let user = self.funded_user(world, 30_000)?;
        let name = json!(world.wallets[user as usize].name);
        if world.rng.random_bool(0.5) {
            let mut script = vec![0x6a, 40];
            script.extend((0..40).map(|_| world.rng.random::<u8>()));
            let own = world.wallet(user).change_address();
            let payees = vec![(Payee::Data(script), 0), (Payee::Address { wallet: user, index: own }, 10_000)];
            pay(world, user, payees, "data_carrier", vec![user], meta([("sender", name)]))
        } else {
            let index = world.wallet(user).new_address(AddrType::BareMultisig, false);
            pay(
                world,
                user,
                vec![(Payee::Address { wallet: user, index }, 5_000)],
                "data_carrier",
                vec![user],
                meta([("sender", name)]),
            )
        }
    }

    fn user_consolidates(&mut self, world: &mut World) -> Option<Committed> {
        let user = self.funded_user(world, 10_000)?;
        let w = &world.wallets[user as usize];
        if w.utxos.len() < 8 {
            return None;
        }
        let take = w.utxos.len().min(MAX_INPUTS);
        let inputs: Vec<Input> =
            world.wallet(user).utxos.drain(..take).map(|utxo| Input { utxo, wallet: user }).collect();
        let index = world.wallet(user).change_address();
        let name = json!(world.wallets[user as usize].name);
        sweep(
            world,
            user,
            inputs,
            Payee::Address { wallet: user, index },
            "self_transfer",
            vec![user],
            meta([("sender", name)]),
        )
        .inspect(|c| to_wallets(world, c))
    }

    fn pool_payout(&mut self, world: &mut World, p: usize) {
        let height = world.height;
        let wallet = self.pools[p].wallet;
        let w = world.wallet(wallet);
        let (mut mature, young): (Vec<Utxo>, Vec<Utxo>) =
            w.utxos.drain(..).partition(|u| u.height + COINBASE_MATURITY <= height);
        w.utxos = young;
        // Coins beyond the input cap wait for the next payout.
        if mature.len() > MAX_INPUTS {
            let later = mature.split_off(MAX_INPUTS);
            world.wallet(wallet).utxos.extend(later);
        }
        if mature.is_empty() {
            return;
        }
        let inputs: Vec<Input> = mature.into_iter().map(|utxo| Input { utxo, wallet }).collect();
        let spent: u64 = inputs.iter().map(|i| i.utxo.value).sum();
        // A third is sold to the pool's exchange; most of the rest goes to members.
        let sell = spent / 3;
        let e = self.pools[p].exchange;
        let deposit = self.exchanges[e].deposit_address(world, wallet, false);
        let ex_wallet = self.exchanges[e].wallet;
        let members: Vec<u32> = self.pools[p].members.choose_multiple(&mut world.rng, 60).copied().collect();
        let share = (spent - sell) * 9 / 10 / members.len().max(1) as u64;
        let mut outputs = vec![Output { value: sell, payee: Payee::Address { wallet: ex_wallet, index: deposit } }];
        for &m in &members {
            let index = world.wallet(m).receive_address();
            outputs.push(Output { value: share, payee: Payee::Address { wallet: m, index } });
        }
        let change_index = self.pools[p].coinbase_address;
        let mut actors = vec![wallet, ex_wallet];
        actors.extend(&members);
        let name = json!(world.wallets[wallet as usize].name);
        let draft = finish_with_change(
            world,
            wallet,
            inputs,
            &mut outputs,
            Some(change_index),
            "pool_payout",
            actors,
            meta([("sender", name)]),
        );
        if let Some(draft) = draft {
            let committed = world.commit(draft);
            self.exchanges[e].credit(wallet, sell);
            to_wallets(world, &committed);
        }
    }

    fn sweep_deposits(&mut self, world: &mut World, e: usize) {
        let wallet = self.exchanges[e].wallet;
        while world.wallets[wallet as usize].utxos.len() >= 5 {
            let take = world.wallets[wallet as usize].utxos.len().min(120);
            let inputs: Vec<Input> =
                world.wallet(wallet).utxos.drain(..take).map(|utxo| Input { utxo, wallet }).collect();
            let mut customers: Vec<String> = inputs
                .iter()
                .filter_map(|i| self.exchanges[e].customer_of.get(&i.utxo.index))
                .map(|&c| world.wallets[c as usize].name.clone())
                .collect();
            customers.sort();
            customers.dedup();
            let hot = self.exchanges[e].hot_addresses[world.rng.random_range(0..3)];
            let name = json!(world.wallets[wallet as usize].name);
            let meta = meta([("exchange", name), ("swept_customers", json!(customers))]);
            let Some(committed) = sweep(
                world,
                wallet,
                inputs,
                Payee::Address { wallet, index: hot },
                "consolidation",
                vec![wallet],
                meta,
            ) else {
                break;
            };
            self.exchanges[e].hot.extend(committed.created.iter().flatten().map(|(_, u)| *u));
        }
    }

    fn pay_withdrawals(&mut self, world: &mut World, e: usize) {
        let wallet = self.exchanges[e].wallet;
        while !self.exchanges[e].queue.is_empty() {
            let batch: Vec<(u32, u64)> = {
                let q = &mut self.exchanges[e].queue;
                let n = q.len().min(world.rng.random_range(5..=60));
                q.drain(..n).collect()
            };
            let total: u64 = batch.iter().map(|b| b.1).sum();
            let ex = &mut self.exchanges[e];
            if ex.hot_balance() < total + 1_000_000 {
                // Not enough in the hot wallet: the requests wait for a refill.
                for b in batch.into_iter().rev() {
                    ex.queue.push_front(b);
                }
                return;
            }
            ex.hot.shuffle(&mut world.rng);
            let mut inputs = Vec::new();
            let mut covered = 0;
            while covered < total + 500_000 && !ex.hot.is_empty() && inputs.len() < 60 {
                let utxo = ex.hot.pop().unwrap_or_else(|| unreachable!("checked non-empty"));
                covered += utxo.value;
                inputs.push(Input { utxo, wallet });
            }
            let mut outputs = Vec::with_capacity(batch.len() + 1);
            let mut recipients = Vec::new();
            let mut actors = vec![wallet];
            for &(user, amount) in &batch {
                let index = world.wallet(user).receive_address();
                outputs.push(Output { value: amount.max(DUST), payee: Payee::Address { wallet: user, index } });
                recipients.push(json!(world.wallets[user as usize].name));
                actors.push(user);
            }
            let hot = self.exchanges[e].hot_addresses[world.rng.random_range(0..3)];
            let name = json!(world.wallets[wallet as usize].name);
            let meta = meta([("exchange", name), ("recipients", Value::Array(recipients))]);
            match finish_with_change(world, wallet, inputs, &mut outputs, Some(hot), "batch_withdrawal", actors, meta) {
                Some(draft) => {
                    let committed = world.commit(draft);
                    self.route_exchange_outputs(world, e, &committed);
                }
                None => return,
            }
        }
    }

    /// Puts an exchange transaction's outputs where they belong: the exchange's own
    /// hot or cold coins, or other wallets.
    fn route_exchange_outputs(&mut self, world: &mut World, e: usize, committed: &Committed) {
        let ex = &mut self.exchanges[e];
        for (wallet, utxo) in committed.created.iter().flatten() {
            if *wallet != ex.wallet {
                world.wallet(*wallet).utxos.push(*utxo);
            } else if ex.cold_addresses.contains(&utxo.index) {
                ex.cold.push(*utxo);
            } else {
                ex.hot.push(*utxo);
            }
        }
    }

    fn balance_hot_and_cold(&mut self, world: &mut World, e: usize) {
        let wallet = self.exchanges[e].wallet;
        let hot = self.exchanges[e].hot_balance();
        let queued: u64 = self.exchanges[e].queue.iter().map(|q| q.1).sum();
        let name = json!(world.wallets[wallet as usize].name);
        if hot > 4 * queued + 20 * 100_000_000 && self.exchanges[e].hot.len() >= 2 {
            // Move half of the hot wallet to cold storage.
            let ex = &mut self.exchanges[e];
            ex.hot.sort_by_key(|u| std::cmp::Reverse(u.value));
            let n = (ex.hot.len() / 2).clamp(1, 30);
            let inputs: Vec<Input> = ex.hot.drain(..n).map(|utxo| Input { utxo, wallet }).collect();
            let cold = ex.cold_addresses[world.rng.random_range(0..ex.cold_addresses.len())];
            if let Some(c) = sweep(
                world,
                wallet,
                inputs,
                Payee::Address { wallet, index: cold },
                "hot_to_cold",
                vec![wallet],
                meta([("exchange", name)]),
            ) {
                self.route_exchange_outputs(world, e, &c);
            }
        } else if hot < queued + 1_000_000 && !self.exchanges[e].cold.is_empty() {
            let ex = &mut self.exchanges[e];
            let n = ex.cold.len().min(3);
            let inputs: Vec<Input> = ex.cold.drain(..n).map(|utxo| Input { utxo, wallet }).collect();
            let index = ex.hot_addresses[world.rng.random_range(0..3)];
            if let Some(c) = sweep(
                world,
                wallet,
                inputs,
                Payee::Address { wallet, index },
                "cold_to_hot",
                vec![wallet],
                meta([("exchange", name)]),
            ) {
                self.route_exchange_outputs(world, e, &c);
            }
        }
    }

    fn settle_merchant(&mut self, world: &mut World, m: usize) {
        let wallet = self.merchants[m].wallet;
        if world.wallets[wallet as usize].utxos.len() < 3 {
            return;
        }
        let e = self.merchants[m].exchange;
        let take = world.wallets[wallet as usize].utxos.len().min(80);
        let inputs: Vec<Input> = world.wallet(wallet).utxos.drain(..take).map(|utxo| Input { utxo, wallet }).collect();
        let index = self.exchanges[e].deposit_address(world, wallet, false);
        let ex_wallet = self.exchanges[e].wallet;
        let meta = meta([
            ("sender", json!(world.wallets[wallet as usize].name)),
            ("exchange", json!(world.wallets[ex_wallet as usize].name)),
            ("deposit_address", json!(address_string(world, ex_wallet, index))),
        ]);
        if let Some(c) = sweep(
            world,
            wallet,
            inputs,
            Payee::Address { wallet: ex_wallet, index },
            "deposit",
            vec![wallet, ex_wallet],
            meta,
        ) {
            let value: u64 = c.created.iter().flatten().map(|(_, u)| u.value).sum();
            self.exchanges[e].credit(wallet, value);
            to_wallets(world, &c);
        }
    }

    /// The swap service sweeps what it received and pays some users (as if they
    /// had swapped other coins into bitcoin).
    fn swap_payouts(&mut self, world: &mut World) {
        let wallet = self.swap;
        let balance = world.wallets[wallet as usize].balance();
        if balance < 5_000_000 {
            return;
        }
        let n = world.rng.random_range(2..=8);
        let mut payees = Vec::new();
        let mut actors = vec![wallet];
        for _ in 0..n {
            let user = self.users[world.rng.random_range(0..self.users.len())];
            let index = world.wallet(user).receive_address();
            payees.push((Payee::Address { wallet: user, index }, balance / 20 / n as u64));
            actors.push(user);
        }
        pay(world, wallet, payees, "swap_payout", actors, meta([("sender", json!("swap_service"))]));
    }
}

/// Picks a user's address type with today's shares.
fn pick_user_type(rng: &mut impl Rng) -> AddrType {
    match rng.random_range(0..100) {
        0..12 => AddrType::Legacy,
        12..30 => AddrType::P2shSegwit,
        30..82 => AddrType::Bech32,
        _ => AddrType::Bech32m,
    }
}

/// A payment amount a user can afford: a share of its balance, sometimes round.
fn payment_amount(world: &mut World, user: u32) -> Option<u64> {
    let balance = world.wallets[user as usize].balance();
    let mut amount = balance * world.rng.random_range(3..60) / 100;
    if world.rng.random_bool(0.25) {
        let unit = if amount > 10_000_000 { 1_000_000 } else { 10_000 };
        amount = (amount / unit).max(1) * unit;
    }
    (amount >= DUST * 4).then_some(amount)
}

/// A random value between `low` and `high`, uniform in its logarithm.
pub fn log_uniform(world: &mut World, low: u64, high: u64) -> u64 {
    let x: f64 = world.rng.random_range((low as f64).ln()..(high as f64).ln());
    x.exp() as u64
}

/// A JSON object from pairs.
pub fn meta<const N: usize>(pairs: [(&str, Value); N]) -> serde_json::Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The regtest address string of a wallet's address.
pub fn address_string(world: &World, wallet: u32, index: u32) -> Option<String> {
    let mut script = Vec::new();
    world.script_of(&mut script, wallet, index);
    chain::address::of_script(&script, chain::Network::Regtest)
}

/// Puts every coin a committed transaction created into its owner's wallet.
pub fn to_wallets(world: &mut World, committed: &Committed) {
    for (wallet, utxo) in committed.created.iter().flatten() {
        world.wallet(*wallet).utxos.push(*utxo);
    }
}

/// Pays `payees` from `from`'s coins with a fee at its rate and change back to it,
/// and puts the created coins into their wallets. `None` (nothing spent) when the
/// wallet cannot afford it.
pub fn pay(
    world: &mut World,
    from: u32,
    payees: Vec<(Payee, u64)>,
    kind: &'static str,
    actors: Vec<u32>,
    meta: serde_json::Map<String, Value>,
) -> Option<Committed> {
    let target: u64 = payees.iter().map(|p| p.1).sum();
    let mut outputs: Vec<Output> = payees.into_iter().map(|(payee, value)| Output { value, payee }).collect();
    let rate = world.wallets[from as usize].pick_fee_rate(&mut world.rng);
    let guess = target + rate * 400;
    let selected = world.wallets[from as usize].select(guess, MAX_INPUTS, &mut world.rng);
    let inputs: Vec<Input> = selected?.into_iter().map(|utxo| Input { utxo, wallet: from }).collect();
    let draft = finish_with_change(world, from, inputs, &mut outputs, None, kind, actors, meta)?;
    Some(world.commit_to_wallets(draft))
}

/// Sweeps `inputs` into one output (all but the fee) and puts the coin into its
/// wallet's list only through the caller; `None` if the fee eats the inputs.
pub fn sweep(
    world: &mut World,
    wallet: u32,
    inputs: Vec<Input>,
    payee: Payee,
    kind: &'static str,
    actors: Vec<u32>,
    meta: serde_json::Map<String, Value>,
) -> Option<Committed> {
    let rate = world.wallets[wallet as usize].pick_fee_rate(&mut world.rng);
    let ty = match &payee {
        Payee::Address { wallet, index } => world.wallets[*wallet as usize].address_type(*index),
        Payee::Data(_) => AddrType::Legacy,
    };
    let fee = rate * world.estimate_vsize(&inputs, &[(ty, false)]);
    let total: u64 = inputs.iter().map(|i| i.utxo.value).sum();
    if total < fee + DUST {
        restore(world, inputs);
        return None;
    }
    let (version, lock_time, sequence) = world.wallets[wallet as usize].software.fields(world.height, &mut world.rng);
    Some(world.commit(Draft {
        kind,
        version,
        lock_time,
        sequence,
        inputs,
        outputs: vec![Output { value: total - fee, payee }],
        actors,
        meta,
    }))
}

/// Gives coins back to their wallets (a transaction that was not made).
pub fn restore(world: &mut World, inputs: Vec<Input>) {
    for input in inputs {
        world.wallet(input.wallet).utxos.push(input.utxo);
    }
}

/// Adds a fee and a change output (to `change` or a fresh change address of
/// `wallet`, at a random position) to a set of outputs, or gives the inputs back
/// and returns `None` if they do not cover outputs and fee.
#[allow(clippy::too_many_arguments, reason = "a draft has this many parts")]
pub fn finish_with_change(
    world: &mut World,
    wallet: u32,
    inputs: Vec<Input>,
    outputs: &mut Vec<Output>,
    change: Option<u32>,
    kind: &'static str,
    actors: Vec<u32>,
    meta: serde_json::Map<String, Value>,
) -> Option<Draft> {
    let rate = world.wallets[wallet as usize].pick_fee_rate(&mut world.rng);
    let change_type = match change {
        Some(index) => world.wallets[wallet as usize].address_type(index),
        None => world.wallets[wallet as usize].change_type,
    };
    let types: Vec<(AddrType, bool)> = outputs
        .iter()
        .map(|o| match &o.payee {
            Payee::Address { wallet, index } => (world.wallets[*wallet as usize].address_type(*index), false),
            Payee::Data(_) => (AddrType::Legacy, true),
        })
        .chain(std::iter::once((change_type, false)))
        .collect();
    let fee = rate * world.estimate_vsize(&inputs, &types);
    let total: u64 = inputs.iter().map(|i| i.utxo.value).sum();
    let paid: u64 = outputs.iter().map(|o| o.value).sum();
    if total < paid + fee {
        restore(world, inputs);
        return None;
    }
    let rest = total - paid - fee;
    if rest >= DUST * 2 {
        let index = match change {
            Some(index) => index,
            None => world.wallet(wallet).change_address(),
        };
        let position = world.rng.random_range(0..=outputs.len());
        outputs.insert(position, Output { value: rest, payee: Payee::Address { wallet, index } });
    }
    let (version, lock_time, sequence) = world.wallets[wallet as usize].software.fields(world.height, &mut world.rng);
    Some(Draft { kind, version, lock_time, sequence, inputs, outputs: std::mem::take(outputs), actors, meta })
}
