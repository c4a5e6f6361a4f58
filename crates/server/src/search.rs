//! What a search box's text names: an address, a transaction, an outpoint, a
//! block (height or hash), an entity, or labels (by label or actor name). Every
//! match is a page the UI can open; a text that names nothing says why.

use crate::live::Snapshot;
use index::{AddressKey, Height, OutNum};
use tags::LabelSet;

/// Longest search text, in bytes.
pub const MAX_QUERY: usize = 200;

/// Most label matches in one answer.
pub const MAX_LABEL_MATCHES: usize = 50;

/// The pages a search text names.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Search")]
pub struct SearchAnswer {
    /// The text, trimmed.
    pub query: String,
    /// What it names, the most specific first.
    pub matches: Vec<SearchMatch>,
}

/// One page a search names.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct SearchMatch {
    /// `address`, `transaction`, `outpoint`, `block`, `entity` or `label`.
    pub kind: String,
    /// What to open: the address, txid, `txid:vout`, block height, entity id,
    /// or (for a label) the labelled address.
    pub id: String,
    /// A line for people.
    pub title: String,
}

/// Why a search names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchError {
    /// Not any kind of thing a search takes.
    Malformed(String),
    /// Well formed, but not in the index or its labels.
    NotFound(String),
}

fn found(kind: &str, id: impl ToString, title: impl Into<String>) -> SearchMatch {
    SearchMatch { kind: kind.to_owned(), id: id.to_string(), title: title.into() }
}

/// The pages `text` names in `snapshot`.
///
/// # Errors
/// Empty or overlong text, or text that names nothing in the index or its labels.
pub fn search(snapshot: &Snapshot, text: &str) -> Result<SearchAnswer, SearchError> {
    let query = text.trim();
    if query.is_empty() || query.len() > MAX_QUERY {
        return Err(SearchError::Malformed(format!("a search is 1 to {MAX_QUERY} bytes of text")));
    }
    let index = &snapshot.index;
    let mut matches = Vec::new();
    if let Some((txid, vout)) = query.split_once(':').filter(|(t, _)| is_hash(t)) {
        let vout: u32 = vout
            .parse()
            .map_err(|_| SearchError::Malformed(format!("{query:?}: the output index after ':' is not a number")))?;
        let t = txid.parse().ok().and_then(|t| index.tx_by_txid(&t));
        let out = t.map(|t| index.tx_outputs(t)).filter(|r| u64::from(vout) < r.end - r.start);
        let Some(outputs) = out else {
            return Err(SearchError::NotFound(format!("no output {query} in the index")));
        };
        let value = index.value(OutNum(outputs.start + u64::from(vout)));
        matches.push(found("outpoint", query, format!("output {vout} of {txid}: {value} sat")));
    } else if is_hash(query) {
        let hash = query.to_ascii_lowercase();
        if let Some(t) = hash.parse().ok().and_then(|t| index.tx_by_txid(&t)) {
            matches.push(found("transaction", &hash, format!("transaction in block {}", index.tx_height(t).0)));
        }
        if let Some(h) = hash.parse().ok().and_then(|b| index.block_by_hash(&b)) {
            matches.push(found("block", h.0, format!("block {} ({hash})", h.0)));
        }
        if matches.is_empty() {
            return Err(SearchError::NotFound(format!("no transaction or block {hash} in the index")));
        }
    } else if let Some(digits) = query.strip_prefix("entity:").or_else(|| query.strip_prefix("e:")) {
        let id: u32 = digits
            .trim()
            .parse()
            .map_err(|_| SearchError::Malformed(format!("{query:?}: an entity id is a number")))?;
        matches.extend(entity_match(snapshot, id));
        if matches.is_empty() {
            return Err(SearchError::NotFound(format!("no entity {id} in the clustering")));
        }
    } else if let Ok(n) = query.parse::<u32>() {
        if let Some(block) = index.block(Height(n)) {
            matches.push(found("block", n, format!("block {n}: {} transactions", block.txs.end - block.txs.start)));
        }
        matches.extend(entity_match(snapshot, n));
        if matches.is_empty() {
            return Err(SearchError::NotFound(format!("no block at height {n} and no entity {n} in the index")));
        }
    } else {
        match AddressKey::parse(query, index.network()) {
            Ok(key) => match index.address_by_key(&key) {
                Some(_) => matches.push(found("address", query, format!("{} address", key.class.name()))),
                None => {
                    return Err(SearchError::NotFound(format!("address {query} has never been paid in this index")));
                }
            },
            Err(why) => {
                matches.extend(label_matches(&snapshot.labels, query));
                if matches.is_empty() {
                    return Err(if looks_like_address(query) {
                        SearchError::Malformed(format!("{query:?} is not an address of this index's network: {why}"))
                    } else {
                        SearchError::NotFound(format!(
                            "{query:?} is no address, txid, outpoint, block height or hash, entity id, or known label or actor"
                        ))
                    });
                }
            }
        }
    }
    Ok(SearchAnswer { query: query.to_owned(), matches })
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One word of base58 or bech32 characters, as addresses are.
fn looks_like_address(text: &str) -> bool {
    text.len() >= 14 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn entity_match(snapshot: &Snapshot, id: u32) -> Option<SearchMatch> {
    let analysis = snapshot.analysis.as_ref()?;
    let entity = analysis.entity(id)?;
    Some(found("entity", entity.0, format!("entity {} of {} addresses", entity.0, analysis.size(entity))))
}

/// Labels whose name or actor holds `text` (case-insensitive), one match per
/// labelled address and label.
fn label_matches(labels: &LabelSet, text: &str) -> Vec<SearchMatch> {
    let needle = text.to_lowercase();
    let mut seen = std::collections::BTreeSet::new();
    let mut matches = Vec::new();
    for n in 0..labels.len() as u32 {
        let label = labels.label(n);
        let hit = label.label.to_lowercase().contains(&needle)
            || label.actor.as_ref().is_some_and(|a| a.to_lowercase().contains(&needle));
        if hit && seen.insert((label.address.clone(), label.label.clone())) {
            let actor = label.actor.as_ref().map(|a| format!(", {a}")).unwrap_or_default();
            let title = format!("{} ({}{actor}; source {})", label.label, label.category.name(), label.source);
            matches.push(found("label", &label.address, title));
            if matches.len() == MAX_LABEL_MATCHES {
                break;
            }
        }
    }
    matches
}
