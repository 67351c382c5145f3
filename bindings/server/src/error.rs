//! The one error type of the HTTP API, and how it becomes a response.
//!
//! Every error is `{"error": {"kind", "message", ...}}` with the right status. Handlers and
//! extractors return [`ApiError`]; errors made by layers (body limit, timeout, a method the
//! route does not have) are rewritten into the same shape by [`json_errors`], so a client never
//! sees an empty or plain-text error.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    details: Map<String, Value>,
    retry_after: Option<u64>,
}

/// The JSON shape of every error (documented in the OpenAPI description).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error's fields; some kinds add more (`fact`, `expected`, `limit`, `item`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable kind: `invalid-json`, `invalid-fact`, `unsupported-media-type`,
    /// `not-found`, `method-not-allowed`, `body-too-large`, `text-too-long`,
    /// `batch-too-large`, `unauthorized`, `forbidden`, `overloaded`, `timeout`,
    /// `request-timeout`, `reload-failed`, `invalid-query`, `invalid-outcome`,
    /// `unknown-entry`, `no-outcome-store`, `internal`.
    pub kind: String,
    /// What went wrong and how to fix it, for a person.
    pub message: String,
}

/// The kind of an error response, kept in its extensions for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct ErrorKindTag(pub &'static str);

impl ApiError {
    /// An error with a status, a stable kind and a message.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            details: Map::new(),
            retry_after: None,
        }
    }

    /// Adds a field to the error object.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable kind.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 400: a body that is not the JSON the route takes.
    pub fn invalid_json(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid-json", message)
    }

    /// 400: a fact of the wrong type.
    pub fn invalid_fact(fact: &str, expected: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid-fact", message)
            .with("fact", fact)
            .with("expected", expected)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    /// 401, with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 413 for something over a configured limit.
    pub fn too_large(kind: &'static str, limit: usize, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, kind, message).with("limit", limit)
    }

    /// 429: every engine worker is busy.
    pub fn overloaded() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
            "every engine worker is busy; retry after the time in Retry-After",
        );
        e.retry_after = Some(1);
        e
    }

    /// 500: a fault of the server (never for what a client sent).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The error for a status that a layer produced without a body.
    pub fn from_status(status: StatusCode) -> ApiError {
        let (kind, message) = match status {
            StatusCode::NOT_FOUND => ("not-found", "no such route (see GET /openapi.json)"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "this route does not take this method (see the Allow header)",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "body-too-large",
                "the request body is over the server's limit (limits.max_body_bytes)",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "request-timeout",
                "the request was not received within the server's time limit",
            ),
            StatusCode::SERVICE_UNAVAILABLE => (
                "timeout",
                "the request took longer than the server's time limit (limits.request_timeout_ms)",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported-media-type",
                "send the body as Content-Type: application/json",
            ),
            s if s.is_client_error() => ("bad-request", "the request was refused"),
            _ => ("internal", "the server failed to answer"),
        };
        ApiError::new(status, kind, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.kind,
            self.message
        )
    }
}

impl ApiError {
    /// The error object: `{"kind", "message", ...}` (what goes under `"error"`).
    pub fn body(&self) -> ErrorObject {
        ErrorObject {
            kind: self.kind.to_owned(),
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }
}

/// An error object as sent: `kind` and `message` first, then the kind's own fields.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorObject {
    /// The stable kind.
    pub kind: String,
    /// The message.
    pub message: String,
    /// Fields of this kind (`fact`, `expected`, `limit`, `line`, …).
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Wrapper {
            error: ErrorObject,
        }
        let body = Wrapper { error: self.body() };
        let mut text = serde_json::to_string_pretty(&body)
            .unwrap_or_else(|_| r#"{"error":{"kind":"internal","message":""}}"#.into());
        text.push('\n');
        let mut resp = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            text,
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(ErrorKindTag(self.kind));
        resp
    }
}

/// Middleware: an error response that is not already an [`ApiError`] (made by a layer or by
/// the router) is replaced by one, keeping its status and headers such as `Allow`.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error())
        || is_json
        || resp.extensions().get::<ErrorKindTag>().is_some()
    {
        return resp;
    }
    let (parts, _) = resp.into_parts();
    let mut fresh = ApiError::from_status(status).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}
