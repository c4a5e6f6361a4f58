//! What the chain holds so far: the output indices decoys come from, and the
//! wallets' unspent coins, ordered by age so a spend can take the coin nearest
//! the age it wants.

use super::picker::{COINBASE_UNLOCK, SPENDABLE_AGE};
use rand::Rng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// A coin: (height it was created at, output sequence number in chain order).
pub type CoinKey = (u32, u64);

/// An unspent output a wallet owns.
#[derive(Debug, Clone)]
pub struct Coin {
    /// Whether it is a coinbase output (unlocks after 60 blocks).
    pub coinbase: bool,
    /// Its amount (decrypted, for RingCT).
    pub amount: u64,
    /// The amount of the output index it is in (0 for RingCT).
    pub index_amount: u64,
    /// Its global index in that index.
    pub global_index: u64,
    /// Its one-time key.
    pub key: [u8; 32],
    /// The tx that created it.
    pub txid: [u8; 32],
    /// Its position in that tx's outputs.
    pub out_index: u32,
    /// Byte offset of its `spent` value in ground_truth.json (0 without truth).
    pub truth_offset: u64,
}

/// Whether an output created at `created` may be spent in block `height`.
pub fn unlocked(created: u64, coinbase: bool, height: u64) -> bool {
    created + if coinbase { COINBASE_UNLOCK } else { SPENDABLE_AGE } <= height
}

/// The wallets' unspent coins, by age overall and per wallet.
#[derive(Debug, Default)]
pub struct Coins {
    /// Every coin: its wallet and whether it is a coinbase.
    by_age: BTreeMap<CoinKey, (u32, bool)>,
    /// Each wallet's coins.
    by_wallet: Vec<BTreeMap<CoinKey, Coin>>,
}

impl Coins {
    /// No coins, for `wallets` wallets.
    pub fn new(wallets: usize) -> Self {
        Self { by_age: BTreeMap::new(), by_wallet: (0..wallets).map(|_| BTreeMap::new()).collect() }
    }

    /// Unspent coins.
    pub fn len(&self) -> usize {
        self.by_age.len()
    }

    /// Height of the oldest coin (of `wallet`, or of anyone).
    pub fn oldest(&self, wallet: Option<u32>) -> Option<u64> {
        let first = match wallet {
            None => self.by_age.keys().next(),
            Some(w) => self.by_wallet.get(w as usize)?.keys().next(),
        };
        first.map(|k| u64::from(k.0))
    }

    /// Adds a coin of `wallet`.
    pub fn insert(&mut self, key: CoinKey, wallet: u32, coin: Coin) {
        self.by_age.insert(key, (wallet, coin.coinbase));
        self.by_wallet[wallet as usize].insert(key, coin);
    }

    /// The owner of a coin.
    pub fn wallet_of(&self, key: CoinKey) -> Option<u32> {
        self.by_age.get(&key).map(|&(w, _)| w)
    }

    /// A coin's data.
    pub fn get(&self, wallet: u32, key: CoinKey) -> Option<&Coin> {
        self.by_wallet.get(wallet as usize)?.get(&key)
    }

    /// Removes a spent coin.
    pub fn remove(&mut self, wallet: u32, key: CoinKey) -> Option<Coin> {
        self.by_age.remove(&key);
        self.by_wallet.get_mut(wallet as usize)?.remove(&key)
    }

    /// The coin spendable in block `height` created nearest `target` (of
    /// `wallet`'s coins, or of anyone's), not in `exclude`; the older on a tie.
    pub fn nearest(&self, wallet: Option<u32>, target: u64, height: u64, exclude: &[CoinKey]) -> Option<CoinKey> {
        match wallet {
            None => nearest_in(&self.by_age, |&(_, cb)| cb, target, height, exclude),
            Some(w) => nearest_in(self.by_wallet.get(w as usize)?, |c| c.coinbase, target, height, exclude),
        }
    }
}

fn nearest_in<V>(
    map: &BTreeMap<CoinKey, V>,
    coinbase: impl Fn(&V) -> bool,
    target: u64,
    height: u64,
    exclude: &[CoinKey],
) -> Option<CoinKey> {
    let newest = height.checked_sub(SPENDABLE_AGE)?;
    let newest = u32::try_from(newest).unwrap_or(u32::MAX);
    let target = u32::try_from(target).unwrap_or(u32::MAX).min(newest);
    let ok = |(k, v): &(&CoinKey, &V)| unlocked(u64::from(k.0), coinbase(v), height) && !exclude.contains(k);
    let older = map.range(..=(target, u64::MAX)).rev().find(ok).map(|(k, _)| *k);
    let younger =
        if target < newest { map.range((target + 1, 0)..=(newest, u64::MAX)).find(ok).map(|(k, _)| *k) } else { None };
    match (older, younger) {
        (Some(o), Some(y)) => Some(if target - o.0 <= y.0 - target { o } else { y }),
        (o, y) => o.or(y),
    }
}

/// One output in a per-amount index (the pre-RingCT era).
#[derive(Debug, Clone, Copy)]
pub struct IndexedOutput {
    /// Height of its block.
    pub height: u32,
    /// Whether a coinbase created it.
    pub coinbase: bool,
}

/// Outputs of one amount in chain order: the amount's global indices.
#[derive(Debug, Default)]
pub struct AmountIndex(pub Vec<IndexedOutput>);

impl AmountIndex {
    /// Up to `want - 1` decoys for the output at `real`, drawn uniformly among
    /// the outputs of this amount spendable in block `height`, as the daemon's
    /// `get_random_outs_for_amounts` did for early wallets; fewer when fewer
    /// exist.
    pub fn uniform_decoys(&self, real: u64, want: usize, height: u64, rng: &mut ChaCha8Rng) -> Vec<u64> {
        let limit = height.saturating_sub(SPENDABLE_AGE);
        let n = self.0.partition_point(|o| u64::from(o.height) <= limit);
        let usable = |i: usize| {
            let o = self.0[i];
            i as u64 != real && unlocked(u64::from(o.height), o.coinbase, height)
        };
        // Coinbases still locked sit at the end of the unlocked range.
        let mut locked = 0;
        for i in (0..n).rev() {
            let o = self.0[i];
            if u64::from(o.height) + COINBASE_UNLOCK <= height {
                break;
            }
            locked += usize::from(o.coinbase);
        }
        let available = n.saturating_sub(locked + 1);
        let decoys = want.saturating_sub(1).min(available);
        if decoys == 0 {
            return Vec::new();
        }
        if available <= 4 * decoys {
            let candidates: Vec<u64> = (0..n).filter(|&i| usable(i)).map(|i| i as u64).collect();
            return sample(rng, candidates.len(), decoys).into_iter().map(|i| candidates[i]).collect();
        }
        let mut out = Vec::with_capacity(decoys);
        while out.len() < decoys {
            let i = rng.random_range(0..n);
            if usable(i) && !out.contains(&(i as u64)) {
                out.push(i as u64);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn coin(coinbase: bool) -> Coin {
        Coin {
            coinbase,
            amount: 1,
            index_amount: 0,
            global_index: 0,
            key: [0; 32],
            txid: [0; 32],
            out_index: 0,
            truth_offset: 0,
        }
    }

    #[test]
    fn nearest_takes_the_closest_spendable_coin() {
        let mut coins = Coins::new(2);
        for (h, seq, w, cb) in [(5u32, 1u64, 0u32, false), (50, 2, 1, true), (80, 3, 1, false), (95, 4, 0, false)] {
            coins.insert((h, seq), w, coin(cb));
        }
        // At height 100 the coinbase of 50 is locked and the coin of 95 too young.
        assert_eq!(coins.nearest(None, 60, 100, &[]), Some((80, 3)));
        assert_eq!(coins.nearest(None, 20, 100, &[]), Some((5, 1)));
        assert_eq!(coins.nearest(None, 20, 115, &[]), Some((5, 1)));
        assert_eq!(coins.nearest(None, 40, 115, &[]), Some((50, 2)));
        assert_eq!(coins.nearest(Some(0), 90, 100, &[]), Some((5, 1)));
        assert_eq!(coins.nearest(Some(0), 90, 100, &[(5, 1)]), None);
        assert_eq!(coins.nearest(None, 0, 5, &[]), None);
    }

    #[test]
    fn uniform_decoys_are_distinct_spendable_and_not_the_real_one() {
        let mut index = AmountIndex::default();
        for h in 0..100u32 {
            index.0.push(IndexedOutput { height: h, coinbase: h % 3 == 0 });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for want in [1, 2, 3, 11] {
            let d = index.uniform_decoys(7, want, 100, &mut rng);
            assert_eq!(d.len(), want - 1);
            let mut s = d.clone();
            s.sort();
            s.dedup();
            assert_eq!(s.len(), d.len());
            assert!(d.iter().all(|&i| i != 7 && unlocked(i, i % 3 == 0, 100)));
        }
        // At height 16 only heights 0..=6 are old enough, and 0, 3 and 6 are locked coinbases.
        let d = index.uniform_decoys(1, 11, 16, &mut rng);
        let mut d = d.clone();
        d.sort();
        assert_eq!(d, vec![2, 4, 5]);
    }
}
