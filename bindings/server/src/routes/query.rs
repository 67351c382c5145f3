//! `POST /v1/search`, `POST /v1/diagnose`, `POST /v1/diagnose/batch`: each decodes its body
//! and calls the engine through [`engine_json`].

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use crate::api::{
    self, BatchAnswer, BatchItem, BatchRequest, BatchResponse, DiagnoseRequest, SearchRequest,
};
use crate::auth::{Auth, DiagnoseScope, SearchScope};
use crate::body::JsonBody;
use crate::decode::Decoded;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::work::{engine_json, Answered};

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
    engine_json(
        &state,
        body,
        "search",
        |st, req: Decoded<SearchRequest>, _| {
            api::check_text(&req.value.text, st.limits())?;
            let limit = req.value.limit.unwrap_or(api::DEFAULT_LIMIT);
            let d = st.engine().search(&req.value.text, limit);
            Ok(Answered::one(with_notes(d, req.notes)))
        },
    )
    .await
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
    engine_json(
        &state,
        body,
        "diagnose",
        |st, req: Decoded<DiagnoseRequest>, _| {
            let q = req.value.query(st.engine(), st.limits())?;
            let d = st
                .engine()
                .diagnose(&q)
                .map_err(|e| api::engine_error(&e))?;
            Ok(Answered::one(with_notes(d, req.notes)))
        },
    )
    .await
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
    engine_json(
        &state,
        body,
        "batch-item",
        |st, req: Decoded<BatchRequest>, caller| {
            let limits = st.limits();
            if req.value.items.len() > limits.max_batch_items {
                return Err(ApiError::too_large(
                    "batch-too-large",
                    limits.max_batch_items,
                    format!(
                        "{} items; this server takes at most {} per batch (limits.max_batch_items)",
                        req.value.items.len(),
                        limits.max_batch_items
                    ),
                ));
            }
            let BatchRequest {
                items,
                limit,
                trace,
            } = req.value;
            let mut answers = Vec::with_capacity(items.len());
            for item in items {
                if caller.is_gone() {
                    // nobody reads the rest: free the slot for a client that is still there
                    break;
                }
                answers.push(batch_item(st, item, limit, trace, &req.notes));
            }
            let calls = answers.len() as u64;
            Ok(Answered {
                value: BatchResponse { items: answers },
                calls,
            })
        },
    )
    .await
}

/// One item of a batch, answered as `/v1/diagnose` answers it, or its own error.
fn batch_item(
    st: &AppState,
    item: BatchItem,
    limit: Option<usize>,
    trace: bool,
    notes: &[String],
) -> BatchAnswer {
    let one = DiagnoseRequest {
        text: item.text,
        facts: item.facts,
        limit,
        trace,
        drafts: false,
    };
    let answer = one
        .query(st.engine(), st.limits())
        .and_then(|q| st.engine().diagnose(&q).map_err(|e| api::engine_error(&e)));
    match answer {
        Ok(d) => BatchAnswer {
            id: item.id,
            diagnosis: Some(with_notes(d, notes.to_vec())),
            error: None,
        },
        Err(e) => BatchAnswer {
            id: item.id,
            diagnosis: None,
            error: Some(e.body()),
        },
    }
}
