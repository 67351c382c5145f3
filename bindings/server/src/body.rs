//! The body extractor: a JSON request body read whole, within the limits, not yet parsed
//! (parsing is CPU work and runs on the engine pool with the query).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// A request body sent as `Content-Type: application/json`.
#[derive(Debug)]
pub struct JsonBody(pub Bytes);

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(ct) {
            let got = if ct.is_empty() {
                "no Content-Type".to_owned()
            } else {
                format!("Content-Type {ct}")
            };
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!("this route takes JSON: send Content-Type: application/json (got {got})"),
            ));
        }
        let limit = state.limits().max_body_bytes;
        match axum::body::to_bytes(req.into_body(), limit).await {
            Ok(b) => Ok(JsonBody(b)),
            Err(e) => Err(body_error(&e, limit)),
        }
    }
}

/// The client's error for a body that could not be read.
fn body_error(e: &axum::Error, limit: usize) -> ApiError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return ApiError::too_large(
                "body-too-large",
                limit,
                format!("the request body is over {limit} bytes (limits.max_body_bytes)"),
            );
        }
        if s.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "the request body was not received in time (limits.body_timeout_ms)",
            );
        }
        source = s.source();
    }
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "body-unreadable",
        format!("the request body could not be read: {e}"),
    )
}

/// A JSON answer, printed as `fixbook … --json` prints it (pretty, with a final newline), so
/// the bytes are the CLI's for the same input.
pub fn json_response<T: Serialize>(value: &T) -> Response {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            ([(header::CONTENT_TYPE, "application/json")], s).into_response()
        }
        Err(e) => {
            ApiError::internal(format!("the answer could not be written: {e}")).into_response()
        }
    }
}
