//! Sending a note to a helpdesk's API: one HTTP client (reqwest over rustls, so HTTPS works
//! against the hosted vendors without OpenSSL), and the split between failures worth a
//! retry (connection errors, timeouts, 408, 429, 5xx) and those that are not (other 4xx:
//! wrong credentials or ticket; retrying would only repeat them).

use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

/// How a note request authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// None.
    None,
    /// HTTP basic authentication.
    Basic(String, String),
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::None => "None",
            Credentials::Basic(..) => "Basic(…)",
            Credentials::Bearer(_) => "Bearer(…)",
        })
    }
}

/// One write-back request, built by a vendor's adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRequest {
    /// `POST` or `PUT`.
    pub method: reqwest::Method,
    /// The full URL.
    pub url: String,
    /// The credentials.
    pub credentials: Credentials,
    /// The JSON body.
    pub body: Value,
    /// Extra headers (GitHub's `Accept` and API version).
    pub headers: Vec<(&'static str, &'static str)>,
}

impl NoteRequest {
    /// A JSON `POST` to `url`.
    pub fn post(url: String, credentials: Credentials, body: Value) -> NoteRequest {
        NoteRequest {
            method: reqwest::Method::POST,
            url,
            credentials,
            body,
            headers: Vec::new(),
        }
    }
}

/// Why a write-back failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another attempt later.
    #[error("{0} (will retry)")]
    Transient(String),
    /// Another attempt would fail the same way.
    #[error("{0}")]
    Permanent(String),
}

/// The write-back client (shared: one connection pool for all sources).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
}

impl Client {
    /// A client with a 10 s time limit per request.
    pub fn new() -> Result<Client, String> {
        // the process-wide rustls provider: ring (set once; a second call is a no-op)
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("fixbook/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the write-back client: {e}"))?;
        Ok(Client { http })
    }

    /// Sends `req`; `Ok` on a 2xx answer.
    pub async fn send(&self, req: &NoteRequest) -> Result<(), SendError> {
        let body = serde_json::to_vec(&req.body)
            .map_err(|e| SendError::Permanent(format!("the note could not be encoded: {e}")))?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        // the adapter's headers replace the defaults (GitHub's Accept)
        for (k, v) in &req.headers {
            headers.insert(*k, reqwest::header::HeaderValue::from_static(v));
        }
        let mut b = self
            .http
            .request(req.method.clone(), &req.url)
            .headers(headers)
            .body(body);
        b = match &req.credentials {
            Credentials::None => b,
            Credentials::Basic(u, p) => {
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                b.header(reqwest::header::AUTHORIZATION, format!("Basic {token}"))
            }
            Credentials::Bearer(t) => {
                b.header(reqwest::header::AUTHORIZATION, format!("Bearer {t}"))
            }
        };
        let resp = b
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("{} {}: {e}", req.method, req.url)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        let text: String = text.chars().take(300).collect();
        let msg = format!("{} {} answered {status}: {text}", req.method, req.url);
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(SendError::Transient(msg))
        } else {
            Err(SendError::Permanent(msg))
        }
    }
}
