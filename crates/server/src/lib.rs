//! The HTTP API over the libraries, for exchanges that screen every deposit:
//! addresses, transactions, entities, screening (one subject or a batch) and traces,
//! behind API keys, with rate limits and an audit log. Also the JSON views the
//! command line shares.
//!
//! - [`app`]: routes, authorization, limits, errors.
//! - [`keys`]: API keys, stored hashed.
//! - [`limits`]: per-key rate limits.
//! - [`audit`]: the audit log.
//! - [`views`]: transaction, address and entity JSON.

pub mod app;
pub mod audit;
pub mod keys;
pub mod limits;
pub mod views;

pub use app::{AppState, Limits, router};

/// Serves on `listener` until Ctrl-C, printing `listening on http://ADDR` first (a
/// script that binds port 0 reads the port from it).
///
/// # Errors
/// When the listener fails.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    use std::io::Write;
    println!("listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let app = router(std::sync::Arc::new(state));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
