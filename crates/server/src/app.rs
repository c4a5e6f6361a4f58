//! The HTTP API: routes, API-key authorization, per-key rate limits, request limits,
//! JSON errors naming the field at fault, and the audit log of every request.

use crate::audit::{AuditLog, Record};
use crate::keys::{self, KeyRecord};
use crate::limits::RateLimiter;
use crate::live::{FileId, Live, Snapshot};
use axum::body::Bytes;
use axum::extract::MatchedPath;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tags::{Directions, RiskConfig, ScreenOptions, Screener};
use trace::{Budget, CancelOnDrop, Exceeded};
use views::{Page, ViewError};

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
    /// Longest request target (path and query), in bytes; beyond it, a 414.
    pub max_uri: usize,
    /// Largest header block (names, values and separators), in bytes; beyond
    /// it, a 431.
    pub max_header_bytes: usize,
    /// Most header lines; beyond them, a 431.
    pub max_headers: usize,
    /// Most steps one request's work may take (transactions a trace splits,
    /// history rows a view reads); beyond it, a 413.
    pub max_steps: u64,
    /// Most records (nodes, edges, endpoints) one trace may hold; beyond it, a 413.
    pub max_records: u64,
    /// Largest answer, in bytes of JSON; beyond it, a 413.
    pub max_response: usize,
    /// Most entries in a trace's `from`.
    pub max_trace_from: usize,
    /// Most transactions a trace's `max_nodes` may ask to split (also its
    /// default); taint still waiting then ends as a `limit`.
    pub max_trace_nodes: u64,
    /// Most endpoint, node and edge rows a trace's `max_rows` may ask for (also
    /// its default); the answer's `omitted` counts the rest.
    pub max_trace_rows: usize,
    /// How often to look for a newly committed index, clustering or labels.
    pub reload_interval: Duration,
    /// Size at which the audit log is rotated.
    pub audit_max_bytes: u64,
    /// Answer even when the audit log cannot be written (by default such an
    /// answer is refused with a 503).
    pub audit_fail_open: bool,
}

impl Limits {
    /// The HTTP layer's read buffer for a request head: room for the longest
    /// target and header block these limits take, so that [`head_limits`]
    /// answers them in JSON; a head beyond it is refused by the HTTP layer.
    pub fn head_buffer(&self) -> usize {
        (self.max_uri + self.max_header_bytes).saturating_mul(2).max(64 << 10)
    }
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
            max_uri: 8 << 10,
            max_header_bytes: 32 << 10,
            max_headers: 100,
            max_steps: 2_000_000,
            max_records: 200_000,
            max_response: 16 << 20,
            max_trace_from: 100,
            max_trace_nodes: trace::DEFAULT_MAX_NODES,
            max_trace_rows: trace::DEFAULT_MAX_ROWS,
            reload_interval: Duration::from_millis(500),
            audit_max_bytes: 256 << 20,
            audit_fail_open: false,
        }
    }
}

/// What the server answers from.
pub struct AppState {
    /// The index, its clustering and its labels, one committed state at a time.
    pub live: Live,
    /// The risk rules.
    pub config: RiskConfig,
    /// Limits.
    pub limits: Limits,
    /// The audit log.
    pub audit: AuditLog,
    /// The index directory (cases and investigators' labels are kept in it).
    pub dir: std::path::PathBuf,
    /// The browsers' sessions.
    pub sessions: crate::ui::Sessions,
    /// Investigation cases.
    pub cases: crate::cases::CaseStore,
    keys: KeyCache,
    limiter: RateLimiter,
    /// Logins, as one bucket: a guessed key costs the guesser time.
    logins: RateLimiter,
    /// Changes to investigators' labels, one at a time (a read, change, rewrite).
    pub(crate) label_writes: std::sync::Mutex<()>,
}

impl AppState {
    /// State over the index at `dir`, its clustering and its labels (picked up
    /// anew as they are committed, see [`Live`]); keys are read from the index
    /// directory (and re-read when the file changes, so revocations apply at once).
    ///
    /// # Errors
    /// When the index cannot be opened, the key file read or the audit log opened.
    pub fn new(dir: &std::path::Path, config: RiskConfig, limits: Limits) -> Result<Self, crate::ServerError> {
        let live = Live::open(dir)?;
        let path = dir.join("audit.log");
        let audit = AuditLog::open(&path, limits.audit_max_bytes)
            .map_err(|cause| crate::ServerError::Io { path: path.clone(), cause })?;
        let keys = KeyCache::load(dir)?;
        let limiter = RateLimiter::new(limits.rate_per_second, limits.rate_burst);
        Ok(Self {
            live,
            config,
            limits,
            audit,
            dir: dir.to_owned(),
            sessions: crate::ui::Sessions::default(),
            cases: crate::cases::CaseStore::new(dir),
            keys,
            limiter,
            logins: RateLimiter::new(LOGINS_PER_SECOND, LOGIN_BURST),
            label_writes: std::sync::Mutex::new(()),
        })
    }

    fn screener<'a>(&'a self, s: &'a Snapshot) -> Screener<'a> {
        Screener {
            index: &s.index,
            analysis: s.analysis.as_ref(),
            labels: &s.labels,
            config: &self.config,
            pool_links: Some(&s.pool_links),
        }
    }
}

/// Valid keys by hash, reloaded when the key file changes (it is replaced by
/// rename, so a change gives it a new identity).
struct KeyCache {
    dir: std::path::PathBuf,
    state: RwLock<(Option<FileId>, HashMap<String, String>)>,
}

impl KeyCache {
    fn load(dir: &std::path::Path) -> Result<Self, keys::KeyError> {
        let cache = Self { dir: dir.to_owned(), state: RwLock::new((None, HashMap::new())) };
        cache.refresh()?;
        Ok(cache)
    }

    fn modified(&self) -> Option<FileId> {
        FileId::of(&keys::keys_path(&self.dir))
    }

    fn refresh(&self) -> Result<(), keys::KeyError> {
        let modified = self.modified();
        let valid: HashMap<String, String> = keys::list(&self.dir)?
            .into_iter()
            .filter(|k: &KeyRecord| k.revoked.is_none())
            .map(|k| (k.sha256, k.id))
            .collect();
        *self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner) = (modified, valid);
        Ok(())
    }

    /// The id of the valid key whose SHA-256 (hex) is `sha256`.
    fn id_of_hash(&self, sha256: &str) -> Option<String> {
        let stale = self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner).0 != self.modified();
        if stale && let Err(e) = self.refresh() {
            log::warn!("cannot reload API keys: {e}");
        }
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner).1.get(sha256).cloned()
    }
}

/// Logins per second, on average, over all clients.
const LOGINS_PER_SECOND: f64 = 5.0;

/// Logins at once.
const LOGIN_BURST: f64 = 20.0;

pub(crate) type Shared = Arc<AppState>;

/// The key a request came with (its id).
#[derive(Debug, Clone)]
pub(crate) struct KeyId(pub(crate) String);

/// The body of every error answer.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and people (`message`).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// A stable code: `bad_request`, `not_found`, `unauthorized`, `rate_limited`,
    /// `limit_exceeded`, `payload_too_large`, `response_too_large`, `timeout`,
    /// `index_changing`, `too_many_connections`, `internal`, ...
    pub code: &'static str,
    /// The cause, for people.
    pub message: String,
    /// The request field at fault, for `bad_request`.
    pub field: Option<String>,
}

/// An error answer, with its status: its body is an [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) field: Option<String>,
}

impl ApiError {
    pub(crate) fn bad(field: &str, message: impl ToString) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.to_string(),
            field: Some(field.to_owned()),
        }
    }

    /// A 404: what the request names is not there (`field`, when one names it).
    pub(crate) fn not_found(message: impl ToString, field: Option<&str>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.to_string(),
            field: field.map(str::to_owned),
        }
    }

    pub(crate) fn internal(message: impl ToString) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, code: "internal", message: message.to_string(), field: None }
    }

    /// The work of a request died: a damaged index (named), or a bug.
    fn from_join(e: tokio::task::JoinError) -> Self {
        if !e.is_panic() {
            return Self::internal(e);
        }
        let payload = e.into_panic();
        match index::DamagedRead::of_panic(payload.as_ref()) {
            Some(damage) => {
                log::error!("{damage}");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "index_damaged",
                    message: damage.to_string(),
                    field: None,
                }
            }
            None => Self::internal("the request failed inside the server (see its log)"),
        }
    }
}

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> Self {
        match e {
            ViewError::BadInput { field, message } => Self::bad(field, message),
            ViewError::NotFound(message) => Self::not_found(message, None),
            ViewError::Exceeded(e) => e.into(),
        }
    }
}

impl From<Exceeded> for ApiError {
    fn from(e: Exceeded) -> Self {
        match e {
            Exceeded::Cancelled => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "timeout",
                message: "the request took longer than the server's timeout".into(),
                field: None,
            },
            _ => Self {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "limit_exceeded",
                message: format!("{e}: narrow the request (fewer hops, a higher min_value, fewer starts)"),
                field: None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message, field: self.field } };
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
        .merge(crate::investigation::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .route_layer(middleware::from_fn_with_state(state.clone(), audit));
    let login =
        Router::new().route("/ui/login", post(login)).route_layer(middleware::from_fn_with_state(state.clone(), audit));
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/", get(|| async { ui_asset_response("index.html") }))
        .route("/assets/{name}", get(|Path(name): Path<String>| async move { ui_asset_response(&name) }))
        .route("/ui/logout", post(logout))
        .merge(login)
        .merge(api)
        .fallback(|| async { ApiError::not_found("no such endpoint (see /openapi.json)", None) })
        .layer(DefaultBodyLimit::max(limits.max_body))
        // A backstop: the work of /v1 answers has its own deadline (see `answer`),
        // answered and audited before this one fires.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.timeout + Duration::from_secs(1),
        ))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(limits, head_limits))
        .with_state(state)
}

/// Refuses, as JSON, a request whose target or header block is beyond the
/// limits (414 `uri_too_long`, 431 `headers_too_large`) before any work. The
/// HTTP layer's own buffers are sized above these limits (see
/// [`Limits::head_buffer`]), so only a head beyond those gets its bodiless answer.
async fn head_limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.max_uri {
        let message = format!("the request target is {target} bytes; the server takes at most {}", limits.max_uri);
        return ApiError { status: StatusCode::URI_TOO_LONG, code: "uri_too_long", message, field: None }
            .into_response();
    }
    let headers = request.headers();
    // Each line is `name: value\r\n`.
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if headers.len() > limits.max_headers || bytes > limits.max_header_bytes {
        let message = format!(
            "{} header lines of {bytes} bytes; the server takes at most {} lines of {} bytes",
            headers.len(),
            limits.max_headers,
            limits.max_header_bytes
        );
        return ApiError {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            code: "headers_too_large",
            message,
            field: None,
        }
        .into_response();
    }
    next.run(request).await
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

/// The id of the key a request is authorized as: its `Authorization: Bearer`
/// key, or else the key its UI session was opened with (which needs the
/// [`crate::ui::UI_HEADER`] too, so another site's page cannot use the cookie).
fn key_of_request(state: &AppState, headers: &axum::http::HeaderMap) -> Result<String, ApiError> {
    let unauthorized = |message: &str, field: &str| ApiError {
        status: StatusCode::UNAUTHORIZED,
        code: "unauthorized",
        message: message.into(),
        field: Some(field.into()),
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    if let Some(key) = bearer {
        return state
            .keys
            .id_of_hash(&keys::hash(key))
            .ok_or_else(|| unauthorized("a valid API key is required: Authorization: Bearer KEY", "Authorization"));
    }
    if let Some(token) = crate::ui::token_of(headers) {
        if !headers.contains_key(crate::ui::UI_HEADER) {
            let message = format!("a session cookie is taken only with the {} header", crate::ui::UI_HEADER);
            return Err(unauthorized(&message, crate::ui::UI_HEADER));
        }
        return state
            .sessions
            .key_of(token)
            .and_then(|sha256| state.keys.id_of_hash(&sha256))
            .ok_or_else(|| unauthorized("the session has ended (or its key was revoked): log in again", "Cookie"));
    }
    Err(unauthorized("a valid API key is required: Authorization: Bearer KEY", "Authorization"))
}

async fn authorize(State(state): State<Shared>, mut request: Request, next: Next) -> Response {
    let id = match key_of_request(&state, request.headers()) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
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
    request.extensions_mut().insert(KeyId(id.clone()));
    let mut response = next.run(request).await;
    response.extensions_mut().insert(KeyId(id));
    response
}

/// The longest request target kept in an audit record.
const AUDIT_TARGET_BYTES: usize = 2_048;

/// Records every `/v1` request in the audit log once it is answered (a refusal
/// too): who, what, the status, and the answer's digest. When the record cannot
/// be written the answer is refused with a 503, unless the server fails open.
async fn audit(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("?", MatchedPath::as_str).to_owned();
    let endpoint = format!("{} {route}", request.method());
    let mut target = request.uri().path_and_query().map_or("", |p| p.as_str()).to_owned();
    if target.len() > AUDIT_TARGET_BYTES {
        let mut end = AUDIT_TARGET_BYTES;
        while !target.is_char_boundary(end) {
            end -= 1;
        }
        target.truncate(end);
    }
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    // Answers are whole in memory already (see `answer`); errors are small.
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let note = parts.extensions.get::<AuditNote>();
    let error: Option<String> = (parts.status.is_client_error() || parts.status.is_server_error())
        .then(|| serde_json::from_slice::<Value>(&bytes).ok()?["error"]["code"].as_str().map(str::to_owned))
        .flatten();
    let record = Record {
        time: humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
        key: parts.extensions.get::<KeyId>().map(|k| k.0.as_str()),
        endpoint: &endpoint,
        target: &target,
        request: note.map_or(&Value::Null, |n| &n.request),
        status: parts.status.as_u16(),
        error: error.as_deref(),
        answer_sha256: hex_sha256(&bytes),
        answer_bytes: bytes.len(),
        summary: note.map_or(&Value::Null, |n| &n.summary),
        generation: note.map(|n| n.generation),
    };
    if let Err(e) = state.audit.record(&record) {
        log::error!("cannot write the audit log: {e}");
        if !state.limits.audit_fail_open {
            return ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "audit_unavailable",
                message: "the answer cannot be recorded in the audit log, so it is not given".into(),
                field: None,
            }
            .into_response();
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// An embedded file of the UI, with headers that keep the page to this
/// server's own scripts and out of other sites' frames.
fn ui_asset_response(name: &str) -> Response {
    let Some(asset) = crate::ui::asset(name) else {
        return ApiError::not_found(format!("no asset {name:?}"), None).into_response();
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CONTENT_SECURITY_POLICY, crate::ui::CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        asset.bytes,
    )
        .into_response()
}

/// A login's answer (the session itself is the cookie).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Login")]
pub struct LoginAnswer {
    /// The id of the key logged in with.
    pub key_id: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    key: String,
}

/// `POST /ui/login`: an API key in, a session cookie out (the key is neither
/// logged nor kept; the audit log records the key id of a login that succeeds).
async fn login(State(state): State<Shared>, headers: axum::http::HeaderMap, bytes: Bytes) -> Response {
    if state.logins.take("login").is_err() {
        let message = format!("at most {LOGINS_PER_SECOND} logins per second; retry shortly");
        let mut response =
            ApiError { status: StatusCode::TOO_MANY_REQUESTS, code: "rate_limited", message, field: None }
                .into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    let request: LoginRequest = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let sha256 = keys::hash(request.key.trim());
    let Some(id) = state.keys.id_of_hash(&sha256) else {
        return ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "no such API key, or it was revoked".into(),
            field: Some("key".into()),
        }
        .into_response();
    };
    let token = match state.sessions.open(&sha256) {
        Ok(token) => token,
        Err(crate::ui::SessionError::Full) => {
            return ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "too_many_sessions",
                message: format!("{} sessions are open; retry later", crate::ui::MAX_SESSIONS),
                field: None,
            }
            .into_response();
        }
        Err(crate::ui::SessionError::NoRandomness) => {
            return ApiError::internal("the system has no randomness to make a session").into_response();
        }
    };
    let secure = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut response = Json(LoginAnswer { key_id: id.clone() }).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&crate::ui::cookie(&token, secure)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response.extensions_mut().insert(KeyId(id));
    response
}

/// `POST /ui/logout`: ends the request's session, if any.
async fn logout(State(state): State<Shared>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = crate::ui::token_of(&headers) {
        state.sessions.close(token);
    }
    let mut response = Json(json!({"logged_out": true})).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&crate::ui::expired_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn health(State(state): State<Shared>) -> Json<Value> {
    let s = state.live.current();
    Json(json!({
        "status": "ok", "network": s.index.network(), "tip": s.as_of.tip,
        "labels": s.labels.len(), "as_of": s.as_of,
    }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::DOCUMENT).into_response()
}

/// What a handler tells the audit log: the request as it read it, a summary of
/// the answer, and the generation it was answered from.
#[derive(Debug, Clone)]
struct AuditNote {
    request: Value,
    summary: Value,
    generation: u64,
}

/// The part of an answer kept in the audit log beside its digest.
type Summarize = fn(&Value) -> Value;

/// No summary: the digest names the answer.
pub(crate) fn no_summary(_: &Value) -> Value {
    Value::Null
}

/// Computes an answer off the async workers, from one committed state, within
/// the request's budget and deadline, and serialises it.
///
/// The budget's cancellation flag is set when this future ends or is dropped
/// (the deadline passed, or the client hung up), which stops the work where it
/// checks its budget. An answer read while a rollback was committed is computed
/// again on the new state; every answer says which state it is of (`as_of`),
/// and carries an [`AuditNote`] of `request` and its `summarize`d self.
pub(crate) async fn answer(
    state: &Shared,
    request: Value,
    summarize: Summarize,
    work: impl Fn(&Snapshot, &Budget) -> Result<Value, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    /// Tries before giving up on an index that keeps rolling back.
    const ATTEMPTS: usize = 3;
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancel.clone());
    let shared = state.clone();
    let limits = state.limits;
    let run = move || {
        for _ in 0..ATTEMPTS {
            let snapshot = shared.live.current();
            let budget = Budget::new(limits.max_steps, limits.max_records, Some(cancel.clone()));
            let mut value = work(&snapshot, &budget)?;
            if !shared.live.unchanged(&snapshot) {
                if let Err(e) = shared.live.refresh() {
                    log::warn!("cannot open the new index state: {e}");
                }
                continue;
            }
            if let Value::Object(map) = &mut value {
                map.insert("as_of".into(), serde_json::to_value(&snapshot.as_of).map_err(ApiError::internal)?);
            }
            let bytes = serde_json::to_vec(&value).map_err(ApiError::internal)?;
            if bytes.len() > limits.max_response {
                return Err(ApiError {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    code: "response_too_large",
                    message: format!(
                        "the answer is {} bytes, more than the server's limit of {}: narrow the request (fewer hops, a higher min_value, a smaller page)",
                        bytes.len(),
                        limits.max_response
                    ),
                    field: None,
                });
            }
            let note = AuditNote { request, summary: summarize(&value), generation: snapshot.as_of.generation };
            let mut response = ([(header::CONTENT_TYPE, "application/json")], bytes).into_response();
            response.extensions_mut().insert(note);
            return Ok(response);
        }
        Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "index_changing",
            message: "the index was rolled back while answering, again and again; retry shortly".into(),
            field: None,
        })
    };
    match tokio::time::timeout(limits.timeout, tokio::task::spawn_blocking(run)).await {
        Ok(done) => done.map_err(ApiError::from_join)?,
        Err(_) => Err(Exceeded::Cancelled.into()),
    }
}

/// A screening's summary: its risk.
fn screening_summary(answer: &Value) -> Value {
    json!({"risk_level": answer["risk_level"], "risk_score": answer["risk_score"]})
}

/// A batch's summary: each subject's risk, in order.
fn batch_summary(answer: &Value) -> Value {
    let results = answer["results"].as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Array(
        results
            .iter()
            .map(|r| json!({"subject": r["subject"], "risk_level": r["risk_level"], "risk_score": r["risk_score"]}))
            .collect(),
    )
}

pub(crate) fn page(query: &HashMap<String, String>) -> Result<Page, ApiError> {
    let number = |name: &str, default: usize| -> Result<usize, ApiError> {
        query
            .get(name)
            .map_or(Ok(default), |v| v.parse().map_err(|_| ApiError::bad(name, format!("{name} must be a number"))))
    };
    Ok(Page { limit: number("limit", 50)?.min(1_000), offset: number("offset", 0)? })
}

/// A view as the JSON answered.
pub(crate) fn to_json(view: &impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(view).map_err(ApiError::internal)
}

async fn address(
    State(state): State<Shared>,
    Path(address): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let page = page(&query)?;
    let request = json!({"address": address, "limit": page.limit, "offset": page.offset});
    answer(&state, request, no_summary, move |s, budget| {
        to_json(&views::address(&s.index, s.analysis.as_ref(), &address, page, budget)?)
    })
    .await
}

async fn transaction(State(state): State<Shared>, Path(txid): Path<String>) -> Result<Response, ApiError> {
    let request = json!({"txid": txid});
    answer(&state, request, no_summary, move |s, _| to_json(&views::tx(&s.index, s.analysis.as_ref(), &txid)?)).await
}

async fn entity(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let page = page(&query)?;
    let request = json!({"entity": id, "limit": page.limit, "offset": page.offset});
    answer(&state, request, no_summary, move |s, budget| {
        to_json(&views::entity(&s.index, s.analysis.as_ref(), &id, page, budget)?)
    })
    .await
}

fn screen_options(state: &AppState, hops: Option<u64>, direction: Option<&str>) -> Result<ScreenOptions, ApiError> {
    let hops = bounded("hops", hops, 3, u64::from(state.limits.max_screen_hops))?;
    let directions = match direction.unwrap_or("both") {
        "received" => Directions::Received,
        "sent" => Directions::Sent,
        "both" => Directions::Both,
        other => return Err(ApiError::bad("direction", format!("direction {other:?} is not received, sent or both"))),
    };
    Ok(ScreenOptions { hops: hops as u32, directions })
}

/// A screening's failure as an answer: an unknown transaction is a 404, a budget
/// exceeded a 413 (or the timeout's 503), anything else the subject's fault.
fn screen_error(e: tags::screen::ScreenError) -> ApiError {
    match e {
        tags::screen::ScreenError::UnknownTx(_) => ApiError::not_found(e, None),
        tags::screen::ScreenError::Exceeded(e) => e.into(),
        _ => ApiError::bad("subject", e),
    }
}

async fn screen_one(
    State(state): State<Shared>,
    Path(subject): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let hops = match query.get("hops") {
        Some(h) => Some(h.parse::<u64>().map_err(|_| ApiError::bad("hops", "hops must be a number"))?),
        None => None,
    };
    let options = screen_options(&state, hops, query.get("direction").map(String::as_str))?;
    let request = json!({"subject": subject, "hops": options.hops, "direction": options.directions});
    let shared = state.clone();
    answer(&state, request, screening_summary, move |s, budget| {
        let report = shared.screener(s).screen(&subject, options, budget).map_err(screen_error)?;
        serde_json::to_value(&report).map_err(ApiError::internal)
    })
    .await
}

/// Parses a JSON body, naming the field at fault in errors.
pub(crate) fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
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

async fn screen_batch(State(state): State<Shared>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: BatchRequest = body(&bytes)?;
    if request.subjects.is_empty() || request.subjects.len() > state.limits.max_batch {
        return Err(ApiError::bad("subjects", format!("subjects must hold 1 to {} entries", state.limits.max_batch)));
    }
    let options = screen_options(&state, request.hops, request.direction.as_deref())?;
    let note = json!({"subjects": request.subjects, "hops": options.hops, "direction": options.directions});
    let shared = state.clone();
    answer(&state, note, batch_summary, move |s, budget| {
        let screener = shared.screener(s);
        let mut results = Vec::with_capacity(request.subjects.len());
        for subject in &request.subjects {
            results.push(match screener.screen(subject, options, budget) {
                Ok(report) => serde_json::to_value(&report).map_err(ApiError::internal)?,
                // The budget is the whole batch's: once it is spent, so is the request.
                Err(tags::screen::ScreenError::Exceeded(e)) => return Err(e.into()),
                Err(e) => {
                    json!({"subject": subject, "error": ErrorDetail { code: "bad_subject", message: e.to_string(), field: Some("subjects".into()) }})
                }
            });
        }
        Ok(json!({"results": results}))
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
    #[serde(default)]
    until_date: Option<String>,
    #[serde(default)]
    max_nodes: Option<u64>,
    #[serde(default)]
    max_rows: Option<usize>,
}

/// `value`, or `default` when absent; a 400 naming `field` outside 1..=`limit`.
pub(crate) fn bounded<T: PartialOrd + From<u8> + Copy + std::fmt::Display>(
    field: &str,
    value: Option<T>,
    default: T,
    limit: T,
) -> Result<T, ApiError> {
    let value = value.unwrap_or(default);
    if value < T::from(1) || value > limit {
        return Err(ApiError::bad(field, format!("{field} must be 1 to {limit}")));
    }
    Ok(value)
}

async fn trace_flow(State(state): State<Shared>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: TraceRequest = body(&bytes)?;
    let policy: trace::Policy =
        request.policy.as_deref().unwrap_or("haircut").parse().map_err(|e| ApiError::bad("policy", e))?;
    let direction = match request.direction.as_deref().unwrap_or("forward") {
        "forward" => trace::Direction::Forward,
        "backward" => trace::Direction::Backward,
        other => return Err(ApiError::bad("direction", format!("direction {other:?} is not forward or backward"))),
    };
    let max_hops = bounded("max_hops", request.max_hops, 10, state.limits.max_trace_hops)?;
    if request.from.is_empty() || request.from.len() > state.limits.max_trace_from {
        return Err(ApiError::bad(
            "from",
            format!("from must name 1 to {} outpoints, txids or addresses", state.limits.max_trace_from),
        ));
    }
    if request.until_height.is_some() && request.until_date.is_some() {
        return Err(ApiError::bad("until_date", "give until_height or until_date, not both"));
    }
    if let Some(date) = &request.until_date {
        date.parse::<index::TimeSpan>().map_err(|e| ApiError::bad("until_date", e))?;
    }
    let options = trace::TraceOptions {
        policy,
        direction,
        max_hops,
        min_value: request.min_value.unwrap_or_else(|| trace::default_min_value(policy)),
        stop_at_services: request.stop_at_services,
        until_height: request.until_height,
        // Within it, the request budget still bounds the work.
        max_nodes: bounded("max_nodes", request.max_nodes, state.limits.max_trace_nodes, state.limits.max_trace_nodes)?,
    };
    let max_rows = bounded("max_rows", request.max_rows, state.limits.max_trace_rows, state.limits.max_trace_rows)?;
    let note = json!({"from": request.from, "direction": direction, "policy": policy.name(), "max_hops": max_hops,
        "min_value": options.min_value, "stop_at_services": options.stop_at_services, "until_height": options.until_height,
        "until_date": request.until_date,
        "max_nodes": options.max_nodes, "max_rows": max_rows});
    answer(&state, note, no_summary, move |s, budget| {
        let options = match &request.until_date {
            Some(date) => trace::TraceOptions {
                until_height: Some(
                    trace::until_height_of_date(&s.index, direction, date)
                        .map_err(|e| ApiError::not_found(e, Some("until_date")))?,
                ),
                ..options
            },
            None => options,
        };
        let mut starts = Vec::new();
        for from in &request.from {
            starts.extend(trace::start_outputs(&s.index, from).map_err(|e| ApiError::bad("from", e))?);
        }
        let stops = tags::ServiceStops { labels: &s.labels, analysis: s.analysis.as_ref() };
        let view = trace::IndexView::new(&s.index, s.analysis.as_ref()).with_pool_links(&s.pool_links);
        let flow = trace::trace(&view, &stops, &starts, options, budget)?;
        let mut report = trace::Report::build(&flow, &s.index, s.analysis.as_ref(), &stops);
        report.limit_rows(max_rows);
        serde_json::to_value(&report).map_err(ApiError::internal)
    })
    .await
}
