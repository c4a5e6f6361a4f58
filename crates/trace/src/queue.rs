//! The order the tracer takes transactions in: a set of pending transaction numbers
//! that is only ever read in one direction, forward from the lowest (every new entry
//! is above the last taken) or backward from the highest.
//!
//! Hand-written because it is the tracer's hot loop: a sparse bitmap (chunks of
//! 32,768 transactions allocated on first use) gives O(1) inserts and a scan that
//! moves over the chain once in all, where a binary heap of the same entries cost a
//! cache miss per level on every push and pop (measured: bench/trace.sh).

use index::TxNum;

const WORDS: usize = 512;
const CHUNK: u64 = (WORDS * 64) as u64;

/// Pending transaction numbers, taken in one direction.
#[derive(Debug)]
pub struct TxQueue {
    chunks: Vec<Option<Box<[u64; WORDS]>>>,
    forward: bool,
    /// Forward: nothing below it is pending. Backward: nothing above it.
    cursor: u64,
    len: usize,
}

impl TxQueue {
    /// An empty queue taken lowest first (`forward`) or highest first.
    pub fn new(forward: bool) -> Self {
        Self { chunks: Vec::new(), forward, cursor: if forward { 0 } else { u64::MAX }, len: 0 }
    }

    /// Adds `t` (forward: at or above everything taken so far; backward: at or below).
    pub fn push(&mut self, TxNum(t): TxNum) {
        debug_assert!(if self.forward { t >= self.cursor } else { t <= self.cursor });
        let c = (t / CHUNK) as usize;
        if self.chunks.len() <= c {
            self.chunks.resize_with(c + 1, || None);
        }
        let chunk = self.chunks[c].get_or_insert_with(|| Box::new([0; WORDS]));
        let (w, bit) = (((t % CHUNK) / 64) as usize, t % 64);
        if chunk[w] & (1 << bit) == 0 {
            chunk[w] |= 1 << bit;
            self.len += 1;
        }
    }

    /// Takes the lowest (forward) or highest (backward) pending number.
    pub fn pop(&mut self) -> Option<TxNum> {
        if self.len == 0 {
            return None;
        }
        let found = if self.forward { self.next_up() } else { self.next_down() }?;
        let chunk = self.chunks[(found / CHUNK) as usize].as_mut()?;
        chunk[((found % CHUNK) / 64) as usize] &= !(1 << (found % 64));
        self.len -= 1;
        self.cursor = found;
        Some(TxNum(found))
    }

    fn next_up(&self) -> Option<u64> {
        let mut t = self.cursor;
        loop {
            let c = (t / CHUNK) as usize;
            let slot = self.chunks.get(c)?;
            if let Some(chunk) = slot {
                let mut w = ((t % CHUNK) / 64) as usize;
                let mut word = chunk[w] & (u64::MAX << (t % 64));
                loop {
                    if word != 0 {
                        return Some(c as u64 * CHUNK + w as u64 * 64 + u64::from(word.trailing_zeros()));
                    }
                    w += 1;
                    if w == WORDS {
                        break;
                    }
                    word = chunk[w];
                }
            }
            t = (c as u64 + 1) * CHUNK;
        }
    }

    fn next_down(&self) -> Option<u64> {
        let last = (self.chunks.len() as u64 * CHUNK).checked_sub(1)?;
        let mut t = self.cursor.min(last);
        loop {
            let c = (t / CHUNK) as usize;
            if let Some(chunk) = &self.chunks[c] {
                let mut w = ((t % CHUNK) / 64) as usize;
                let mut word = chunk[w] & (u64::MAX >> (63 - t % 64));
                loop {
                    if word != 0 {
                        return Some(c as u64 * CHUNK + w as u64 * 64 + 63 - u64::from(word.leading_zeros()));
                    }
                    if w == 0 {
                        break;
                    }
                    w -= 1;
                    word = chunk[w];
                }
            }
            if c == 0 {
                return None;
            }
            t = c as u64 * CHUNK - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_numbers_in_order_either_way() {
        let numbers = [5u64, 70_000, 63, 64, 0, 32_767, 32_768, 1_000_000, 64];
        let mut up = TxQueue::new(true);
        numbers.iter().for_each(|&t| up.push(TxNum(t)));
        let mut got = Vec::new();
        while let Some(TxNum(t)) = up.pop() {
            got.push(t);
            if t == 63 {
                up.push(TxNum(40_000)); // entries above the last taken may arrive
            }
        }
        assert_eq!(got, vec![0, 5, 63, 64, 32_767, 32_768, 40_000, 70_000, 1_000_000]);

        let mut down = TxQueue::new(false);
        numbers.iter().for_each(|&t| down.push(TxNum(t)));
        let mut got = Vec::new();
        while let Some(TxNum(t)) = down.pop() {
            got.push(t);
            if t == 70_000 {
                down.push(TxNum(12)); // and below the last taken, backward
            }
        }
        assert_eq!(got, vec![1_000_000, 70_000, 32_768, 32_767, 64, 63, 12, 5, 0]);
    }
}
