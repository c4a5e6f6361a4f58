//! Known-spend knowledge: what a cooperating service (an exchange, say) knows
//! of its own wallet — the outputs it received and, for each key image it
//! produced, the output it spent. Its outputs are decoys in everyone else's
//! rings; its own inputs are decided.

use crate::deduce::Deduction;
use crate::graph::RingGraph;
use crate::rules::Rule;
use monero_index::Store;
use serde::{Deserialize, Serialize};

/// One spend the service made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownSpend {
    /// The key image (hex).
    pub key_image: String,
    /// The one-time key of the output it spent (hex).
    pub output_key: String,
}

/// A service's knowledge, as `--known FILE` reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Knowledge {
    /// Who knows it (informational).
    #[serde(default)]
    pub service: String,
    /// One-time keys (hex) of every output the service owns or owned.
    pub outputs: Vec<String>,
    /// Key images the service produced, with the output each spent.
    pub spends: Vec<KnownSpend>,
}

/// Knowledge that does not fit the chain.
#[derive(Debug, thiserror::Error)]
#[error("--known: {0}")]
pub struct KnowledgeError(pub String);

fn key(hex_text: &str, what: &str) -> Result<[u8; 32], KnowledgeError> {
    monero::Hash32::from_hex(hex_text)
        .map(|h| h.0)
        .ok_or_else(|| KnowledgeError(format!("{what} {hex_text:?} is not 64 hex digits")))
}

impl Knowledge {
    /// Reads a knowledge file.
    ///
    /// # Errors
    /// If it is not such JSON.
    pub fn from_json(text: &str) -> Result<Self, KnowledgeError> {
        serde_json::from_str(text).map_err(|e| KnowledgeError(format!("line {} column {}: {e}", e.line(), e.column())))
    }

    /// The input numbers the service spent.
    ///
    /// # Errors
    /// If a key image is malformed.
    pub fn own_inputs(&self, store: &Store) -> Result<Vec<u64>, KnowledgeError> {
        let mut out = Vec::new();
        for s in &self.spends {
            if let Some(i) = store.input_by_key_image(&key(&s.key_image, "key image")?) {
                out.push(i);
            }
        }
        Ok(out)
    }

    /// Applies the knowledge: the service's inputs keep only the output they
    /// spent; its outputs leave everyone else's rings.
    ///
    /// # Errors
    /// If a known spend's output is not in its ring (the file contradicts the chain).
    pub fn apply(&self, store: &Store, g: &RingGraph, d: &mut Deduction) -> Result<(), KnowledgeError> {
        let mut owned = vec![false; g.outputs()];
        for k in &self.outputs {
            if let Some(o) = store.output_by_key(&key(k, "output key")?) {
                owned[o as usize] = true;
            }
        }
        let mut own_input = vec![false; g.inputs()];
        for s in &self.spends {
            let Some(i) = store.input_by_key_image(&key(&s.key_image, "key image")?) else { continue };
            let i = i as usize;
            own_input[i] = true;
            let spent = key(&s.output_key, "output key")?;
            let mut found = false;
            for slot in g.ring(i) {
                if store.outputs[g.members[slot] as usize].key == spent {
                    found = true;
                } else {
                    d.exclude(slot, Rule::Known);
                }
            }
            if !found {
                return Err(KnowledgeError(format!(
                    "key image {}: output {} is not in its ring",
                    s.key_image, s.output_key
                )));
            }
        }
        for (o, _) in owned.iter().enumerate().filter(|(_, own)| **own) {
            for &slot in g.refs_of(o) {
                if !own_input[g.slot_input[slot] as usize] {
                    d.exclude(slot, Rule::Known);
                }
            }
        }
        Ok(())
    }
}
