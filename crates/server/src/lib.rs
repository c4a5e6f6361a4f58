//! The HTTP API over the libraries, for exchanges that screen every deposit:
//! addresses, transactions, entities, screening (one subject or a batch) and traces,
//! behind API keys, with rate limits and an audit log. The answers about one
//! transaction, address or entity are the `views` crate's, as on the command line.
//!
//! - [`app`]: routes, authorization, limits, errors.
//! - [`keys`]: API keys, stored hashed.
//! - [`limits`]: per-key rate limits.
//! - [`audit`]: the audit log.
//! - [`live`]: the committed state answers come from, picked up anew as it changes.
//! - [`openapi`]: the OpenAPI document, its schemas generated from the answer types.
//! - [`ui`]: the embedded investigation UI and its browser sessions.
//! - [`search`]: what a search box's text names.
//! - [`cases`]: investigation cases, kept per API key.
//! - [`investigation`]: the endpoints the UI adds (search, blocks, cases, labels).

pub mod app;
pub mod audit;
pub mod cases;
pub mod investigation;
pub mod keys;
pub mod limits;
pub mod live;
pub mod openapi;
pub mod search;
pub mod ui;

pub use app::{AppState, Limits, router};

/// Why the server cannot start or load a new state.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The index cannot be opened.
    #[error(transparent)]
    Index(#[from] index::IndexError),
    /// Its clustering cannot be read.
    #[error(transparent)]
    Analysis(#[from] analysis::AnalysisError),
    /// Its labels cannot be read.
    #[error(transparent)]
    Labels(#[from] tags::store::StoreError),
    /// Its key file cannot be read.
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    /// A file (the audit log) cannot be opened.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
}

/// Serves on `listener` until Ctrl-C. Each connection is
/// HTTP/1.1 with the state's header timeout (a client that never finishes its
/// headers, or idles between requests, is dropped); beyond the connection
/// limit a client gets a JSON 503 and is closed.
///
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) {
    let limits = state.limits;
    let state = std::sync::Arc::new(state);
    watch(state.clone());
    let app = router(state);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    log::warn!("accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.head_buffer())
                .max_headers(limits.max_headers.saturating_mul(2).max(1))
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = connection.await;
            drop(slot);
        });
    }
}

/// Looks for a newly committed state every `reload_interval`, on a thread of its
/// own (opening one reads the labels and may take a while; requests meanwhile
/// answer from the old one).
fn watch(state: std::sync::Arc<AppState>) {
    let spawned = std::thread::Builder::new().name("reload".into()).spawn(move || {
        let mut failing = false;
        loop {
            std::thread::sleep(state.limits.reload_interval);
            match state.live.refresh() {
                Ok(true) => {
                    failing = false;
                    let s = state.live.current();
                    log::info!(
                        "now answering from index generation {} ({} labels)",
                        s.as_of.generation,
                        s.labels.len()
                    );
                }
                Ok(false) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    log::warn!("cannot open the newly committed state (still answering from the last one): {e}");
                }
                Err(_) => {}
            }
        }
    });
    if let Err(e) = spawned {
        log::warn!("cannot start the reload thread (new commits need a restart): {e}");
    }
}

/// Answers a connection over the limit with a JSON 503 and closes it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let detail = app::ErrorDetail {
        code: "too_many_connections",
        message: "the server holds its most connections at once; retry shortly".into(),
        field: None,
    };
    let body = serde_json::to_string(&app::ErrorBody { error: detail }).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let answer = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), answer).await;
}
