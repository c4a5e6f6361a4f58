//! The HTTP API: routes, API-key authorization, per-key rate limits, request limits,
//! JSON errors naming the field at fault, and the audit log of screenings.

use crate::audit::AuditLog;
use crate::keys::{self, KeyRecord};
use crate::limits::RateLimiter;
use crate::views::{self, ViewError};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use index::Index;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tags::{Directions, LabelSet, RiskConfig, ScreenOptions, Screener};

/// The OpenAPI document, kept in the repository (docs/openapi.json).
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Most subjects in one batch screening.
    pub max_batch: usize,
    /// Most hops a screening may ask for.
    pub max_screen_hops: u32,
    /// Most hops a trace may ask for.
    pub max_trace_hops: u32,
    /// Longest a request may take.
    pub timeout: Duration,
    /// Requests per second per key, on average.
    pub rate_per_second: f64,
    /// Requests per key at once.
    pub rate_burst: f64,
    /// Longest a client may take to send a request's headers, and to start
    /// the next request on a kept-alive connection.
    pub header_timeout: Duration,
    /// Most connections open at once; the next get a 503 and are closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: 1 << 20,
            max_batch: 1_000,
            max_screen_hops: 10,
            max_trace_hops: 50,
            timeout: Duration::from_secs(30),
            rate_per_second: 5_000.0,
            rate_burst: 10_000.0,
            header_timeout: Duration::from_secs(5),
            max_connections: 1_024,
        }
    }
}

/// What the server answers from.
pub struct AppState {
    /// The index.
    pub index: Index,
    /// Its clustering.
    pub analysis: Option<analysis::Analysis>,
    /// The labels.
    pub labels: LabelSet,
    /// The risk rules.
    pub config: RiskConfig,
    /// Limits.
    pub limits: Limits,
    /// The audit log.
    pub audit: AuditLog,
    /// Zcash: round-trip links through the shielded pools, for traces and screening
    /// (empty on Bitcoin).
    pub pool_links: trace::PoolLinks,
    keys: KeyCache,
    limiter: RateLimiter,
}

impl AppState {
    /// State over an index and its labels; keys are read from the index directory
    /// (and re-read when the file changes, so revocations apply at once).
    ///
    /// # Errors
    /// When the key file cannot be read or the audit log opened.
    pub fn new(
        index: Index,
        analysis: Option<analysis::Analysis>,
        labels: LabelSet,
        config: RiskConfig,
        limits: Limits,
    ) -> anyhow::Result<Self> {
        let dir = index.dir().to_owned();
        let audit = AuditLog::open(&dir.join("audit.log"))?;
        let keys = KeyCache::load(&dir)?;
        let limiter = RateLimiter::new(limits.rate_per_second, limits.rate_burst);
        let pool_links = trace::PoolLinks::from_index(&index, &zcash::links::LinkOptions::default());
        Ok(Self { index, analysis, labels, config, limits, audit, pool_links, keys, limiter })
    }

    fn screener(&self) -> Screener<'_> {
        Screener {
            index: &self.index,
            analysis: self.analysis.as_ref(),
            labels: &self.labels,
            config: &self.config,
            pool_links: Some(&self.pool_links),
        }
    }
}

/// Valid keys by hash, reloaded when the key file changes.
struct KeyCache {
    dir: std::path::PathBuf,
    state: RwLock<(Option<SystemTime>, HashMap<String, String>)>,
}

impl KeyCache {
    fn load(dir: &std::path::Path) -> anyhow::Result<Self> {
        let cache = Self { dir: dir.to_owned(), state: RwLock::new((None, HashMap::new())) };
        cache.refresh()?;
        Ok(cache)
    }

    fn modified(&self) -> Option<SystemTime> {
        std::fs::metadata(keys::keys_path(&self.dir)).and_then(|m| m.modified()).ok()
    }

    fn refresh(&self) -> anyhow::Result<()> {
        let modified = self.modified();
        let valid: HashMap<String, String> = keys::list(&self.dir)?
            .into_iter()
            .filter(|k: &KeyRecord| k.revoked.is_none())
            .map(|k| (k.sha256, k.id))
            .collect();
        *self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner) = (modified, valid);
        Ok(())
    }

    /// The id of a valid key.
    fn id_of(&self, key: &str) -> Option<String> {
        let stale = self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner).0 != self.modified();
        if stale && let Err(e) = self.refresh() {
            log::warn!("cannot reload API keys: {e:#}");
        }
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner).1.get(&keys::hash(key)).cloned()
    }
}

type Shared = Arc<AppState>;

/// The key a request came with (its id).
#[derive(Debug, Clone)]
struct KeyId(String);

/// An error answer: `{"error": {"code", "message", "field"}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    fn bad(field: &str, message: impl ToString) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.to_string(),
            field: Some(field.to_owned()),
        }
    }

    fn internal(message: impl ToString) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, code: "internal", message: message.to_string(), field: None }
    }
}

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> Self {
        match e {
            ViewError::BadInput { field, message } => Self::bad(field, message),
            ViewError::NotFound(message) => {
                Self { status: StatusCode::NOT_FOUND, code: "not_found", message, field: None }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        (self.status, Json(body)).into_response()
    }
}

/// The router: `/health` and `/openapi.json` open, everything under `/v1` behind a key.
pub fn router(state: Shared) -> Router {
    let limits = state.limits;
    let api = Router::new()
        .route("/v1/addresses/{address}", get(address))
        .route("/v1/transactions/{txid}", get(transaction))
        .route("/v1/entities/{id}", get(entity))
        .route("/v1/screen/{subject}", get(screen_one))
        .route("/v1/screen", post(screen_batch))
        .route("/v1/trace", post(trace_flow))
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize));
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .merge(api)
        .fallback(|| async {
            ApiError {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message: "no such endpoint (see /openapi.json)".into(),
                field: None,
            }
        })
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.timeout))
        .layer(middleware::from_fn(json_errors))
        .with_state(state)
}

/// Most bytes of a plain-text error body kept as the JSON error's message.
const ERROR_TEXT_BYTES: usize = 1_024;

/// Rewrites every error answer that is not JSON (axum's 405, 413 and
/// rejections, the timeout's empty 503) into the API's JSON error, keeping
/// its headers (`Allow`, `Retry-After`).
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, ERROR_TEXT_BYTES).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let (code, fallback) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this endpoint does not take that method"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is larger than the server takes"),
        StatusCode::SERVICE_UNAVAILABLE => ("timeout", "the request took longer than the server's timeout"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send the body as application/json"),
        s if s.is_client_error() => ("bad_request", "the request is malformed"),
        _ => ("internal", "the server failed to answer"),
    };
    let message = if text.is_empty() { fallback.to_owned() } else { text };
    let mut out = ApiError { status, code, message, field: None }.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn authorize(State(state): State<Shared>, mut request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    let Some(id) = key.and_then(|k| state.keys.id_of(k)) else {
        return ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "a valid API key is required: Authorization: Bearer KEY".into(),
            field: Some("Authorization".into()),
        }
        .into_response();
    };
    if let Err(wait) = state.limiter.take(&id) {
        let mut response = ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            message: format!("rate limit of {} requests per second for this key", state.limits.rate_per_second),
            field: None,
        }
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("{}", wait.ceil().max(1.0))) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return response;
    }
    request.extensions_mut().insert(KeyId(id));
    next.run(request).await
}

async fn health(State(state): State<Shared>) -> Json<Value> {
    let tip = state.index.tip().map(|(h, hash)| json!({"height": h.0, "hash": hash}));
    Json(json!({"status": "ok", "network": state.index.network(), "tip": tip, "labels": state.labels.len()}))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Runs blocking index work off the async workers.
async fn blocking<T: Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || work(&state)).await.map_err(ApiError::internal)?
}

fn page(query: &HashMap<String, String>) -> Result<(usize, usize), ApiError> {
    let number = |name: &str, default: usize| -> Result<usize, ApiError> {
        query
            .get(name)
            .map_or(Ok(default), |v| v.parse().map_err(|_| ApiError::bad(name, format!("{name} must be a number"))))
    };
    Ok((number("limit", 50)?.min(1_000), number("offset", 0)?))
}

async fn address(
    State(state): State<Shared>,
    Path(address): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (limit, offset) = page(&query)?;
    blocking(&state, move |s| Ok(Json(views::address(&s.index, s.analysis.as_ref(), &address, limit, offset)?))).await
}

async fn transaction(State(state): State<Shared>, Path(txid): Path<String>) -> Result<Json<Value>, ApiError> {
    blocking(&state, move |s| Ok(Json(views::tx(&s.index, s.analysis.as_ref(), &txid)?))).await
}

async fn entity(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (limit, offset) = page(&query)?;
    blocking(&state, move |s| Ok(Json(views::entity(&s.index, s.analysis.as_ref(), &id, limit, offset)?))).await
}

fn screen_options(state: &AppState, hops: Option<u64>, direction: Option<&str>) -> Result<ScreenOptions, ApiError> {
    let hops = hops.unwrap_or(3);
    if hops == 0 || hops > u64::from(state.limits.max_screen_hops) {
        return Err(ApiError::bad("hops", format!("hops must be 1 to {}", state.limits.max_screen_hops)));
    }
    let directions = match direction.unwrap_or("both") {
        "received" => Directions::Received,
        "sent" => Directions::Sent,
        "both" => Directions::Both,
        other => return Err(ApiError::bad("direction", format!("direction {other:?} is not received, sent or both"))),
    };
    Ok(ScreenOptions { hops: hops as u32, directions })
}

async fn screen_one(
    State(state): State<Shared>,
    axum::Extension(key): axum::Extension<KeyId>,
    Path(subject): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let hops = match query.get("hops") {
        Some(h) => Some(h.parse::<u64>().map_err(|_| ApiError::bad("hops", "hops must be a number"))?),
        None => None,
    };
    let options = screen_options(&state, hops, query.get("direction").map(String::as_str))?;
    blocking(&state, move |s| {
        let report = s.screener().screen(&subject, options).map_err(|e| match e {
            tags::screen::ScreenError::UnknownTx(_) => {
                ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: e.to_string(), field: None }
            }
            _ => ApiError::bad("subject", e),
        })?;
        let answer = serde_json::to_value(&report).map_err(ApiError::internal)?;
        s.audit.record(&key.0, "GET /v1/screen", &json!({"subject": subject, "hops": options.hops}), &answer);
        Ok(Json(answer))
    })
    .await
}

/// Parses a JSON body, naming the field at fault in errors.
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        let field = message.split('`').nth(1).unwrap_or("body").to_owned();
        ApiError { status: StatusCode::BAD_REQUEST, code: "bad_request", message, field: Some(field) }
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    subjects: Vec<String>,
    #[serde(default)]
    hops: Option<u64>,
    #[serde(default)]
    direction: Option<String>,
}

async fn screen_batch(
    State(state): State<Shared>,
    axum::Extension(key): axum::Extension<KeyId>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: BatchRequest = body(&bytes)?;
    if request.subjects.is_empty() || request.subjects.len() > state.limits.max_batch {
        return Err(ApiError::bad("subjects", format!("subjects must hold 1 to {} entries", state.limits.max_batch)));
    }
    let options = screen_options(&state, request.hops, request.direction.as_deref())?;
    blocking(&state, move |s| {
        let screener = s.screener();
        let results: Vec<Value> = request
            .subjects
            .iter()
            .map(|subject| match screener.screen(subject, options) {
                Ok(report) => serde_json::to_value(&report).unwrap_or(Value::Null),
                Err(e) => json!({"subject": subject, "error": {"code": "bad_subject", "message": e.to_string(), "field": "subjects"}}),
            })
            .collect();
        let answer = json!({"results": results});
        s.audit.record(&key.0, "POST /v1/screen", &json!({"subjects": request.subjects, "hops": options.hops}), &answer);
        Ok(Json(answer))
    })
    .await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceRequest {
    from: Vec<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    max_hops: Option<u32>,
    #[serde(default)]
    min_value: Option<u64>,
    #[serde(default)]
    stop_at_services: bool,
    #[serde(default)]
    until_height: Option<u32>,
}

async fn trace_flow(State(state): State<Shared>, bytes: Bytes) -> Result<Json<Value>, ApiError> {
    let request: TraceRequest = body(&bytes)?;
    let policy: trace::Policy =
        request.policy.as_deref().unwrap_or("haircut").parse().map_err(|e| ApiError::bad("policy", e))?;
    let direction = match request.direction.as_deref().unwrap_or("forward") {
        "forward" => trace::Direction::Forward,
        "backward" => trace::Direction::Backward,
        other => return Err(ApiError::bad("direction", format!("direction {other:?} is not forward or backward"))),
    };
    let max_hops = request.max_hops.unwrap_or(10);
    if max_hops == 0 || max_hops > state.limits.max_trace_hops {
        return Err(ApiError::bad("max_hops", format!("max_hops must be 1 to {}", state.limits.max_trace_hops)));
    }
    if request.from.is_empty() {
        return Err(ApiError::bad("from", "from must name at least one outpoint, txid or address"));
    }
    blocking(&state, move |s| {
        let mut starts = Vec::new();
        for from in &request.from {
            starts.extend(trace::start_outputs(&s.index, from).map_err(|e| ApiError::bad("from", e))?);
        }
        let stops = tags::ServiceStops { labels: &s.labels, analysis: s.analysis.as_ref() };
        let options = trace::TraceOptions {
            policy,
            direction,
            max_hops,
            min_value: request.min_value.unwrap_or(1),
            stop_at_services: request.stop_at_services,
            until_height: request.until_height,
        };
        let view = trace::IndexView::new(&s.index, s.analysis.as_ref()).with_pool_links(&s.pool_links);
        let flow = trace::trace(&view, &stops, &starts, options);
        let report = trace::Report::build(&flow, &s.index, s.analysis.as_ref(), &stops);
        Ok(Json(serde_json::to_value(&report).map_err(ApiError::internal)?))
    })
    .await
}
