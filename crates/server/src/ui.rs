//! The investigation web UI: its assets, built from `ui/` and embedded in the
//! binary (so neither node nor npm is needed to build or run the server), and
//! the browser's sessions.
//!
//! A browser logs in once with an API key (`POST /ui/login`) and gets a random
//! session token in an `HttpOnly`, `SameSite=Strict` cookie; the key itself never
//! reaches the page's script, its URLs or its storage. A `/v1` request carrying
//! the cookie is authorized as the key it was opened with (revoking the key
//! ends its sessions), and must carry the [`UI_HEADER`] too: a header that a
//! page of another site cannot send without a CORS preflight, which this
//! server never grants.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "cs_session";

/// The header a cookie-authorized request must carry (any value).
pub const UI_HEADER: &str = "x-chainsleuth-ui";

/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Most sessions open at once (expired ones are dropped first).
pub const MAX_SESSIONS: usize = 10_000;

/// An embedded file of the UI.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Its name under `/assets/` (`index.html` is served at `/`).
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// The built UI (`npm run build` in `ui/` writes these; CI checks they equal a
/// rebuild from source).
pub const ASSETS: [Asset; 4] = [
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../assets/index.html"),
    },
    Asset { name: "app.js", content_type: "text/javascript; charset=utf-8", bytes: include_bytes!("../assets/app.js") },
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../assets/app.css") },
    Asset { name: "favicon.svg", content_type: "image/svg+xml", bytes: include_bytes!("../assets/favicon.svg") },
];

/// The asset of a name.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The Content-Security-Policy of every UI page: nothing but this server's own
/// scripts, styles and API; images may be drawn to data and blob URLs (exports).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// One open session.
#[derive(Debug, Clone)]
struct Session {
    /// The SHA-256 (hex) of the key it was opened with.
    key_sha256: String,
    expires: Instant,
}

/// Why a session cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// [`MAX_SESSIONS`] are open.
    Full,
    /// The system has no randomness to give.
    NoRandomness,
}

/// Open sessions, by the SHA-256 of their token (a token is never kept).
#[derive(Debug, Default)]
pub struct Sessions {
    open: Mutex<HashMap<[u8; 32], Session>>,
}

impl Sessions {
    /// Opens a session for the key whose SHA-256 (hex) is `key_sha256`; returns
    /// its token (64 hex digits of the system's randomness).
    ///
    /// # Errors
    /// When [`MAX_SESSIONS`] unexpired sessions are open, or without randomness.
    pub fn open(&self, key_sha256: &str) -> Result<String, SessionError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| SessionError::NoRandomness)?;
        let token = hex::encode(bytes);
        let now = Instant::now();
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if open.len() >= MAX_SESSIONS {
            open.retain(|_, s| s.expires > now);
        }
        if open.len() >= MAX_SESSIONS {
            return Err(SessionError::Full);
        }
        open.insert(digest(&token), Session { key_sha256: key_sha256.to_owned(), expires: now + SESSION_LIFETIME });
        Ok(token)
    }

    /// The SHA-256 of the key an unexpired session was opened with.
    pub fn key_of(&self, token: &str) -> Option<String> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = digest(token);
        match open.get(&id) {
            Some(s) if s.expires > Instant::now() => Some(s.key_sha256.clone()),
            Some(_) => {
                open.remove(&id);
                None
            }
            None => None,
        }
    }

    /// Closes a session.
    pub fn close(&self, token: &str) {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&digest(token));
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The session token among a request's `Cookie` headers.
pub fn token_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
}

/// The `Set-Cookie` value of a session (`secure` when the page came over HTTPS).
pub fn cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", SESSION_LIFETIME.as_secs())
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn expired_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_names_its_key_until_closed() {
        let sessions = Sessions::default();
        let token = sessions.open("abc").unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.key_of(&token).as_deref(), Some("abc"));
        assert_eq!(sessions.key_of("0000"), None);
        sessions.close(&token);
        assert_eq!(sessions.key_of(&token), None);
    }

    #[test]
    fn the_cookie_is_found_among_others_and_is_http_only_and_strict() {
        let mut headers = axum::http::HeaderMap::new();
        headers.append(axum::http::header::COOKIE, "a=1; cs_session=tok ; b=2".parse().unwrap());
        assert_eq!(token_of(&headers), Some("tok"));
        let set = cookie("tok", false);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && !set.contains("Secure"));
        assert!(cookie("tok", true).ends_with("; Secure"));
    }

    #[test]
    fn every_asset_is_embedded() {
        for name in ["index.html", "app.js", "app.css", "favicon.svg"] {
            assert!(!asset(name).unwrap().bytes.is_empty(), "{name} is empty: run `npm run build` in ui/");
        }
    }
}
