//! `POST /v1/search`, `POST /v1/diagnose`, `POST /v1/diagnose/batch`.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use crate::api::{self, BatchAnswer, BatchRequest, BatchResponse, DiagnoseRequest, SearchRequest};
use crate::auth::{Auth, DiagnoseScope, SearchScope};
use crate::body::{json_response, JsonBody};
use crate::decode::decode_json;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The query routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/search", post(search))
        .route("/v1/diagnose", post(diagnose))
        .route("/v1/diagnose/batch", post(batch))
}

fn with_notes(mut d: fixbook::Diagnosis, notes: Vec<String>) -> fixbook::Diagnosis {
    for (i, n) in notes.into_iter().enumerate() {
        d.notes.insert(i, n);
    }
    d
}

/// Finds the known problems matching a text (no facts).
#[utoipa::path(
    post, path = "/v1/search", tag = "query",
    request_body = SearchRequest,
    responses(
        (status = 200, description = "The diagnosis, as `fixbook search --json` prints it (schema/diagnosis.schema.json)", body = Object),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body or text over the limit", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 429, description = "Overloaded (see Retry-After)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn search(
    State(state): State<AppState>,
    _auth: Auth<SearchScope>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let st = state.clone();
    let d = state
        .pool()
        .run(move || {
            let req = decode_json::<SearchRequest>(&body)?;
            api::check_text(&req.value.text, st.limits())?;
            let limit = req.value.limit.unwrap_or(api::DEFAULT_LIMIT);
            let d = st.engine().search(&req.value.text, limit);
            Ok::<_, ApiError>(with_notes(d, req.notes))
        })
        .await??;
    state.metrics().queries("search", 1);
    Ok(json_response(&d))
}

/// Diagnoses a text with facts: cause verdicts and the questions to ask next.
#[utoipa::path(
    post, path = "/v1/diagnose", tag = "query",
    request_body = DiagnoseRequest,
    responses(
        (status = 200, description = "The diagnosis, as `fixbook diagnose --json` prints it (schema/diagnosis.schema.json)", body = Object),
        (status = 400, description = "Malformed JSON, or a fact of the wrong type (`fact` and `expected` name it)", body = ErrorBody),
        (status = 413, description = "Body or text over the limit", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 429, description = "Overloaded (see Retry-After)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn diagnose(
    State(state): State<AppState>,
    _auth: Auth<DiagnoseScope>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let st = state.clone();
    let d = state
        .pool()
        .run(move || {
            let req = decode_json::<DiagnoseRequest>(&body)?;
            let q = req.value.query(st.engine(), st.limits())?;
            let d = st
                .engine()
                .diagnose(&q)
                .map_err(|e| api::engine_error(&e))?;
            Ok::<_, ApiError>(with_notes(d, req.notes))
        })
        .await??;
    state.metrics().queries("diagnose", 1);
    Ok(json_response(&d))
}

/// Diagnoses many texts at once, answered in order (for backfills). An item that cannot be
/// diagnosed (a fact of the wrong type, a text too long) gets an `error` instead of a
/// `diagnosis`; the others are answered.
#[utoipa::path(
    post, path = "/v1/diagnose/batch", tag = "query",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "One answer per item, in order", body = BatchResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over the limit, or more items than limits.max_batch_items", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 429, description = "Overloaded (see Retry-After)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn batch(
    State(state): State<AppState>,
    _auth: Auth<DiagnoseScope>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let st = state.clone();
    let out = state
        .pool()
        .run(move || {
            let req = decode_json::<BatchRequest>(&body)?;
            let limits = st.limits();
            let BatchRequest {
                items,
                limit,
                trace,
            } = req.value;
            if items.len() > limits.max_batch_items {
                return Err(ApiError::too_large(
                    "batch-too-large",
                    limits.max_batch_items,
                    format!(
                        "{} items; this server takes at most {} per batch (limits.max_batch_items)",
                        items.len(),
                        limits.max_batch_items
                    ),
                ));
            }
            let mut answers = Vec::with_capacity(items.len());
            for item in items {
                let one = DiagnoseRequest {
                    text: item.text,
                    facts: item.facts,
                    limit,
                    trace,
                    drafts: false,
                };
                let answer = one
                    .query(st.engine(), limits)
                    .and_then(|q| st.engine().diagnose(&q).map_err(|e| api::engine_error(&e)));
                answers.push(match answer {
                    Ok(d) => BatchAnswer {
                        id: item.id,
                        diagnosis: Some(with_notes(d, req.notes.clone())),
                        error: None,
                    },
                    Err(e) => BatchAnswer {
                        id: item.id,
                        diagnosis: None,
                        error: Some(e.body()),
                    },
                });
            }
            Ok(BatchResponse { items: answers })
        })
        .await??;
    state
        .metrics()
        .queries("batch-item", out.items.len() as u64);
    Ok(json_response(&out))
}
