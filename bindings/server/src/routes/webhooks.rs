//! `POST /v1/webhooks/{source}`: a ticketing system's delivery, acknowledged at once (202)
//! and worked on in the background ([`crate::webhooks`]).
//!
//! The checks that can refuse a delivery run before the answer, cheapest first: the source
//! is known and configured (404), the delivery is authentic (401: the vendor's signature when
//! a secret is configured, else an API key with the `webhooks` scope when keys are
//! configured), the body is the vendor's payload (400 naming the missing field). Then the
//! ticket is claimed in the ledger (a repeated delivery answers `duplicate`) and queued.

use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::auth::Scope;
use crate::body::{json_response, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::webhooks::queue::{self, Claim};
use crate::webhooks::signature::{self, Check};
use crate::webhooks::{Event, Source, SourceSettings};

/// The webhook route.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/webhooks/{source}", post(receive))
}

/// A ticketing system's webhook delivery: new tickets get an internal note written back.
#[utoipa::path(
    post, path = "/v1/webhooks/{source}", tag = "webhooks",
    params(("source" = String, Path, description = "`django-helpdesk`, `zendesk`, `jira`, `github`, `freshdesk` or `generic`")),
    request_body(content = Object, description = "The vendor's own webhook payload"),
    responses(
        (status = 202, description = "Accepted: `{\"status\": \"queued\" | \"duplicate\" | \"ignored\" | \"recorded\" | \"failed\", ...}` (`recorded`: a solved ticket's resolution went to the outcome store)", body = Object),
        (status = 400, description = "Not JSON, or a payload without a field it needs (`field` names it)", body = ErrorBody),
        (status = 401, description = "Missing, invalid or stale signature (a secret is configured), or no API key", body = ErrorBody),
        (status = 404, description = "Unknown or unconfigured source", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 429, description = "Too many deliveries waiting (see Retry-After)", body = ErrorBody),
    ),
    security((), ("bearer" = []))
)]
pub async fn receive(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Result<Response, ApiError> {
    let source = Source::from_name(&name).ok_or_else(|| {
        let known: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
        ApiError::not_found(format!(
            "no webhook adapter `{name}` (known: {})",
            known.join(", ")
        ))
        .with("source", name.clone())
    })?;
    let settings = state.webhooks().source(source).cloned().ok_or_else(|| {
        ApiError::not_found(format!(
            "the `{name}` webhook is not configured: add a [webhooks.{name}] section to the \
             server's config file (see docs/server.md)"
        ))
        .with("source", name.clone())
    })?;
    let headers = req.headers().clone();
    let JsonBody(body) = <JsonBody as FromRequest<AppState>>::from_request(req, &state).await?;
    authenticate(&state, &settings, &headers, query.as_deref(), &body)?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid_json(format!("the body is not valid JSON: {e}"))
            .with("line", e.line())
            .with("column", e.column())
    })?;
    let event = source.read(&value, &headers).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-payload",
            e.message.clone(),
        )
        .with("field", e.field.clone())
        .with("source", name.clone())
    })?;
    let answer = match event {
        Event::Opened(ticket) => {
            let key = ticket.ticket.key();
            let delivery = delivery_id(source, &headers, &value);
            match state.webhooks().claim(source, &key, delivery.as_deref()) {
                Claim::New => {
                    if !queue::enqueue(&state, source, ticket) {
                        return Err(ApiError::overloaded());
                    }
                    json!({ "status": "queued", "source": name, "ticket": key })
                }
                Claim::Duplicate(_) => json!({
                    "status": "duplicate", "source": name, "ticket": key,
                    "reason": "this ticket already has (or is getting) its note",
                }),
            }
        }
        Event::Solved { ticket, .. } => {
            crate::webhooks::feedback::solved(&state, source, &ticket, &value).await
        }
        Event::Ignored(reason) => json!({ "status": "ignored", "source": name, "reason": reason }),
    };
    let mut resp = json_response(&answer);
    *resp.status_mut() = StatusCode::ACCEPTED;
    Ok(resp.into_response())
}

/// Checks the delivery's signature when the source has a secret; otherwise an API key
/// with the `webhooks` scope when keys are configured.
fn authenticate(
    state: &AppState,
    s: &SourceSettings,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(secret) = &s.secret else {
        let auth = headers
            .get(axum::http::header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        return state.keys().check(auth, Scope::Webhooks).map(|_| ());
    };
    let query_secret = query.and_then(|q| query_param(q, "secret"));
    let check = Check {
        secret,
        secret_header: &s.secret_header,
        query_secret: query_secret.as_deref(),
        tolerance_secs: s.tolerance_secs,
        now: signature::now_secs(),
    };
    signature::verify(s.source.scheme(), &check, headers, body)
        .map_err(|e| ApiError::unauthorized(e.to_string()).with("source", s.source.as_str()))
}

/// The vendor's delivery id: its header, or Zendesk's event `id`.
fn delivery_id(source: Source, headers: &HeaderMap, v: &Value) -> Option<String> {
    let from_header = source
        .delivery_header()
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    from_header.or_else(|| match source {
        Source::Zendesk => v.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    })
}

/// A query parameter's value, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    fixbook::input::decode_lossy(&out).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_secrets_are_decoded() {
        assert_eq!(
            query_param("a=1&secret=s%2Bx+y", "secret").as_deref(),
            Some("s+x y")
        );
        assert_eq!(
            query_param("secret=abc%", "secret").as_deref(),
            Some("abc%")
        );
        assert_eq!(query_param("a=1", "secret"), None);
    }
}
