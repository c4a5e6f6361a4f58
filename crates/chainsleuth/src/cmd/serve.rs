//! `chainsleuth serve` and `chainsleuth apikey create|list|revoke`.

use crate::cli::{ApikeyCommand, ServeArgs};
use crate::cmd::screen::{risk_config, utc_now};
use crate::output::{print_json, print_text};
use anyhow::Context;
use index::Index;
use std::fmt::Write as _;

/// `chainsleuth serve`.
pub fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let dir = args.index.dir();
    let config = risk_config(args.config.as_deref())?;
    if server::keys::list(&dir)?.iter().all(|k| k.revoked.is_some()) {
        log::warn!("no API key yet: every /v1 request will get 401 (chainsleuth apikey create)");
    }
    let limits = server::Limits {
        rate_per_second: args.rate_limit,
        rate_burst: args.burst,
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        header_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
        max_connections: args.max_connections.max(1),
        max_steps: args.max_steps,
        max_records: args.max_records,
        max_response: args.max_response,
        audit_max_bytes: args.audit_max_mb.max(1) << 20,
        audit_fail_open: args.audit_fail_open,
        ..server::Limits::default()
    };
    let state = server::AppState::new(&dir, config, limits)?;
    log::info!("{} labels loaded", state.live.current().labels.len());
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = runtime.enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        if listener.local_addr().is_ok_and(|a| !a.ip().is_loopback()) {
            log::warn!("listening on {} beyond loopback: put TLS in front and keep the API keys secret", args.bind);
        }
        // A script that binds port 0 reads the port from this first line.
        crate::output::print_text(&format!("listening on http://{}\n", listener.local_addr()?))?;
        server::serve(state, listener).await;
        Ok(())
    })
}

/// `chainsleuth apikey ...`.
pub fn apikey(command: ApikeyCommand) -> anyhow::Result<()> {
    match command {
        ApikeyCommand::Create { name, index, json } => {
            let dir = index.dir();
            Index::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
            let (record, key) = server::keys::create(&dir, &name, &utc_now())?;
            if json {
                return print_json(&serde_json::json!({"key": key, "id": record.id, "name": record.name}));
            }
            print_text(&format!(
                "key         {key}\nid          {}\n(shown once: only its hash is kept; send it as `Authorization: Bearer KEY`)\n",
                record.id
            ))
        }
        ApikeyCommand::List { index, json } => {
            let keys = server::keys::list(&index.dir())?;
            if json {
                let list: Vec<serde_json::Value> = keys
                    .iter()
                    .map(
                        |k| serde_json::json!({"id": k.id, "name": k.name, "created": k.created, "revoked": k.revoked}),
                    )
                    .collect();
                return print_json(&list);
            }
            let mut s = String::new();
            for k in &keys {
                let state = k.revoked.as_ref().map_or("active".to_owned(), |r| format!("revoked {r}"));
                let _ = writeln!(s, "{}  {:<20} created {}  {state}", k.id, k.name, k.created);
            }
            if keys.is_empty() {
                let _ = writeln!(s, "no API keys: chainsleuth apikey create");
            }
            print_text(&s)
        }
        ApikeyCommand::Revoke { id, index } => {
            server::keys::revoke(&index.dir(), &id, &utc_now())?;
            print_text(&format!("revoked {id}\n"))
        }
    }
}
