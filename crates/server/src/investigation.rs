//! The endpoints the investigation UI adds to the API (behind the same keys,
//! limits and audit log as the rest of `/v1`): who is logged in, search,
//! blocks, dates as heights, the shortest money path, cases kept per key, and an investigator's own labels (a tag source
//! of its own per key, so screening and tracing see them once committed).

use crate::app::{ApiError, KeyId, Shared, answer, body, bounded, no_summary, page, to_json};
use crate::cases::{Case, CaseError};
use crate::search::SearchError;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The routes (authorized and audited by the caller's layers).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/session", get(session))
        .route("/v1/search", get(search))
        .route("/v1/blocks/{block}", get(block))
        .route("/v1/time-window", get(time_window))
        .route("/v1/path", axum::routing::post(money_path))
        .route("/v1/cases", get(list_cases))
        .route("/v1/cases/{id}", get(get_case).put(put_case).delete(delete_case))
        .route("/v1/labels", get(list_labels).post(put_label))
        .route("/v1/labels/{address}", axum::routing::delete(delete_label))
}

/// Who a request is authorized as.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Session")]
pub struct SessionAnswer {
    /// The API key's id.
    pub key_id: String,
    /// The index's network.
    pub network: String,
    /// The tag source the key's own labels go to.
    pub label_source: String,
}

/// A key's cases.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "CaseList")]
pub struct CaseList {
    /// Most recently saved first.
    pub cases: Vec<crate::cases::CaseSummary>,
}

/// A deleted case.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "CaseDeleted")]
pub struct CaseDeleted {
    /// Its id.
    pub deleted: String,
}

/// A key's own labels.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "InvestigatorLabels")]
pub struct InvestigatorLabels {
    /// Their tag source (`investigator-<key id>`).
    pub source: String,
    /// The labels.
    pub labels: Vec<tags::Label>,
}

/// The tag source of a key's own labels.
pub fn investigator_source(key_id: &str) -> String {
    format!("investigator-{key_id}")
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

async fn session(State(state): State<Shared>, Extension(key): Extension<KeyId>) -> Result<Response, ApiError> {
    let request = json!({});
    answer(&state, request, no_summary, move |s, _| {
        let label_source = investigator_source(&key.0);
        to_json(&SessionAnswer { key_id: key.0.clone(), network: s.index.network().to_string(), label_source })
    })
    .await
}

async fn search(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let q = query.get("q").cloned().unwrap_or_default();
    let request = json!({"q": q});
    answer(&state, request, no_summary, move |s, _| {
        let found = crate::search::search(s, &q).map_err(|e| match e {
            SearchError::Malformed(message) => ApiError::bad("q", message),
            SearchError::NotFound(message) => ApiError::not_found(message, Some("q")),
        })?;
        to_json(&found)
    })
    .await
}

async fn block(
    State(state): State<Shared>,
    Path(block): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let page = page(&query)?;
    let request = json!({"block": block, "limit": page.limit, "offset": page.offset});
    answer(&state, request, no_summary, move |s, _| {
        to_json(&views::block(&s.index, s.analysis.as_ref(), &block, page)?)
    })
    .await
}

/// Dates as the heights of the blocks between them.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TimeWindow")]
pub struct TimeWindow {
    /// The start asked for, as given.
    pub since: Option<String>,
    /// The end asked for, as given.
    pub until: Option<String>,
    /// The first block stamped at or after `since` (from its day's start).
    pub from_height: Option<u32>,
    /// The last block stamped at or before `until` (to its day's end).
    pub to_height: Option<u32>,
}

async fn time_window(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let since = query.get("since").cloned().filter(|t| !t.trim().is_empty());
    let until = query.get("until").cloned().filter(|t| !t.trim().is_empty());
    let spans = [("since", &since), ("until", &until)].map(|(field, text)| {
        text.as_deref().map(|t| t.parse::<index::TimeSpan>().map_err(|e| ApiError::bad(field, e))).transpose()
    });
    let [since_span, until_span] = spans;
    let (since_span, until_span) = (since_span?, until_span?);
    let request = json!({"since": since, "until": until});
    answer(&state, request, no_summary, move |s, _| {
        let from_height = since_span
            .map(|span| {
                s.index.first_block_at_or_after(span.first).ok_or_else(|| {
                    ApiError::not_found(
                        format!("no block of the index is stamped at or after {since:?}"),
                        Some("since"),
                    )
                })
            })
            .transpose()?;
        let to_height = until_span
            .map(|span| {
                s.index.last_block_at_or_before(span.last).ok_or_else(|| {
                    ApiError::not_found(
                        format!("no block of the index is stamped at or before {until:?}"),
                        Some("until"),
                    )
                })
            })
            .transpose()?;
        to_json(&TimeWindow {
            since: since.clone(),
            until: until.clone(),
            from_height: from_height.map(|h| h.0),
            to_height: to_height.map(|h| h.0),
        })
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PathRequest {
    from: String,
    to: String,
    #[serde(default)]
    max_hops: Option<u32>,
}

/// The shortest money path between two places, as answered.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "MoneyPath")]
pub struct PathAnswer {
    /// Whether a path within `max_hops` transactions was found.
    pub found: bool,
    /// Most transactions the path could go through.
    pub max_hops: u32,
    /// The transactions the value went through, in order (for a `from`
    /// transaction, it comes first).
    pub txs: Vec<PathTx>,
    /// The outputs it moved through, in order; each after the first is paid by
    /// the transaction spending the one before.
    pub outputs: Vec<PathOutput>,
}

/// A transaction on a money path.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "PathTx")]
pub struct PathTx {
    /// Its txid.
    pub txid: String,
    /// Its block's height.
    pub height: u32,
}

/// An output on a money path.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "PathOutput")]
pub struct PathOutput {
    /// `txid:vout`.
    pub outpoint: String,
    /// Its value, in satoshis (zatoshis on Zcash).
    pub value: u64,
    /// The address it pays.
    pub address: String,
}

async fn money_path(State(state): State<Shared>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: PathRequest = body(&bytes)?;
    let max_hops = bounded("max_hops", request.max_hops, 10, state.limits.max_trace_hops)?;
    let note = json!({"from": request.from, "to": request.to, "max_hops": max_hops});
    answer(&state, note, no_summary, move |s, budget| {
        let index = &s.index;
        let subject = |field: &str, text: &str| index.resolve_subject(text).map_err(|e| ApiError::bad(field, e));
        let from = subject("from", &request.from)?;
        let to = subject("to", &request.to)?;
        let tx_of = |subject: &index::Subject| {
            (subject.kind == index::SubjectKind::Transaction)
                .then(|| subject.outputs.first().map(|&o| index.output_tx(o)))
                .flatten()
        };
        let target = match tx_of(&to) {
            Some(t) => trace::PathTarget::Tx(t),
            None => trace::PathTarget::Outputs(to.outputs.clone()),
        };
        let view = trace::IndexView::new(index, s.analysis.as_ref());
        let path = trace::money_path(&view, &from.outputs, &target, max_hops, budget)?;
        let Some(path) = path else {
            return to_json(&PathAnswer { found: false, max_hops, txs: Vec::new(), outputs: Vec::new() });
        };
        let mut txs: Vec<index::TxNum> = tx_of(&from).into_iter().collect();
        txs.extend(path.txs(&view));
        let txs =
            txs.into_iter().map(|t| PathTx { txid: index.txid(t).to_string(), height: index.tx_height(t).0 }).collect();
        let outputs = path
            .outputs
            .iter()
            .map(|&o| PathOutput {
                outpoint: index.outpoint_text(o),
                value: index.value(o),
                address: index.address_text(index.output_address(o)),
            })
            .collect();
        to_json(&PathAnswer { found: true, max_hops, txs, outputs })
    })
    .await
}

fn case_error(e: CaseError) -> ApiError {
    match e {
        CaseError::Bad { field, message } => ApiError::bad(field, message),
        CaseError::NotFound(_) => ApiError::not_found(e, None),
        CaseError::Full => {
            ApiError { status: StatusCode::CONFLICT, code: "too_many_cases", message: e.to_string(), field: None }
        }
        CaseError::Io { .. } => {
            log::error!("{e}");
            ApiError::internal("the case store cannot be read or written (see the server's log)")
        }
    }
}

async fn list_cases(State(state): State<Shared>, Extension(key): Extension<KeyId>) -> Result<Response, ApiError> {
    let shared = state.clone();
    answer(&state, json!({}), no_summary, move |_, _| {
        to_json(&CaseList { cases: shared.cases.list(&key.0).map_err(case_error)? })
    })
    .await
}

async fn get_case(
    State(state): State<Shared>,
    Extension(key): Extension<KeyId>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let shared = state.clone();
    let request = json!({"id": id});
    answer(&state, request, no_summary, move |_, _| to_json(&shared.cases.get(&key.0, &id).map_err(case_error)?)).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseRequest {
    name: String,
    state: Value,
}

async fn put_case(
    State(state): State<Shared>,
    Extension(key): Extension<KeyId>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: CaseRequest = body(&bytes)?;
    if !request.state.is_object() {
        return Err(ApiError::bad("state", "a case's state is a JSON object"));
    }
    let case = Case { id: id.clone(), name: request.name, updated: now(), state: request.state };
    let shared = state.clone();
    // The audit log keeps which case was saved and how large, not its content.
    let note = json!({"id": id, "name": case.name, "bytes": bytes.len()});
    answer(&state, note, no_summary, move |_, _| to_json(&shared.cases.put(&key.0, &case).map_err(case_error)?)).await
}

async fn delete_case(
    State(state): State<Shared>,
    Extension(key): Extension<KeyId>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let shared = state.clone();
    let request = json!({"id": id});
    answer(&state, request, no_summary, move |_, _| {
        shared.cases.delete(&key.0, &id).map_err(case_error)?;
        to_json(&CaseDeleted { deleted: id.clone() })
    })
    .await
}

fn label_error(e: tags::ImportError) -> ApiError {
    match e {
        tags::ImportError::Investigator(message) => ApiError::bad("address", message),
        other => {
            log::error!("{other}");
            ApiError::internal("the label store cannot be read or written (see the server's log)")
        }
    }
}

/// A key's own labels as answered.
fn labels_answer(source: &str, labels: Vec<tags::Label>) -> Result<Value, ApiError> {
    to_json(&InvestigatorLabels { source: source.to_owned(), labels })
}

async fn list_labels(State(state): State<Shared>, Extension(key): Extension<KeyId>) -> Result<Response, ApiError> {
    let shared = state.clone();
    answer(&state, json!({}), no_summary, move |_, _| {
        let source = investigator_source(&key.0);
        labels_answer(&source, tags::investigator_labels(&shared.dir, &source).map_err(label_error)?)
    })
    .await
}

/// Longest label text, in bytes.
const MAX_LABEL: usize = 200;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelRequest {
    address: String,
    label: String,
    category: String,
    #[serde(default)]
    confidence: Option<u8>,
    #[serde(default)]
    actor: Option<String>,
}

async fn put_label(
    State(state): State<Shared>,
    Extension(key): Extension<KeyId>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: LabelRequest = body(&bytes)?;
    let printable = |t: &str| !t.trim().is_empty() && t.len() <= MAX_LABEL && !t.chars().any(char::is_control);
    if !printable(&request.label) {
        return Err(ApiError::bad("label", format!("a label is 1 to {MAX_LABEL} bytes of printable text")));
    }
    if request.actor.as_deref().is_some_and(|a| !printable(a)) {
        return Err(ApiError::bad("actor", format!("an actor is 1 to {MAX_LABEL} bytes of printable text")));
    }
    let category: tags::Category = request.category.parse().map_err(|e| ApiError::bad("category", e))?;
    let confidence = request.confidence.unwrap_or(50);
    if confidence > 100 {
        return Err(ApiError::bad("confidence", "confidence is 0 to 100"));
    }
    let source = investigator_source(&key.0);
    let stamp = now();
    let label = tags::Label {
        address: request.address.trim().to_owned(),
        label: request.label.trim().to_owned(),
        category,
        source: source.clone(),
        reference: Some(format!("added in the web UI with key {}", key.0)),
        date: stamp.get(..10).unwrap_or(&stamp).to_owned(),
        confidence,
        actor: request.actor.map(|a| a.trim().to_owned()),
    };
    let note = serde_json::to_value(&label).map_err(ApiError::internal)?;
    let shared = state.clone();
    answer(&state, note, no_summary, move |s, _| {
        let _one_writer = shared.label_writes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let labels = tags::put_investigator_label(&shared.dir, s.index.network(), &source, &stamp, label.clone())
            .map_err(label_error)?;
        labels_answer(&source, labels)
    })
    .await
}

async fn delete_label(
    State(state): State<Shared>,
    Extension(key): Extension<KeyId>,
    Path(address): Path<String>,
) -> Result<Response, ApiError> {
    let shared = state.clone();
    let request = json!({"address": address});
    answer(&state, request, no_summary, move |_, _| {
        let _one_writer = shared.label_writes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let source = investigator_source(&key.0);
        let labels = tags::remove_investigator_label(&shared.dir, &source, &now(), &address).map_err(label_error)?;
        labels_answer(&source, labels)
    })
    .await
}
