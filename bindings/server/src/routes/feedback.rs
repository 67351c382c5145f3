//! `POST /v1/feedback` and `GET /v1/gaps`: the outcome store over HTTP.
//!
//! The store is the engine's (`--outcomes DB` or `[outcomes] path`); these handlers only
//! translate. A report is recorded with [`fixbook::Engine::feedback`] and answered with the
//! receipt `fixbook feedback --json` prints; the gaps are [`fixbook::Engine::gaps`], printed
//! as `fixbook gaps --json` prints them. Both need the `feedback` scope. SQLite work is
//! blocking, so it runs on the engine pool like a query.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use fixbook::answer::{FeedbackReceipt, GapsReport};
use fixbook::outcomes::{parse_time, Feedback, GapsQuery, Resolution};
use fixbook::Engine;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Auth, FeedbackScope};
use crate::body::{json_response, JsonBody};
use crate::decode::Decoded;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::work::{engine_json, Answered};

/// The outcome routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/feedback", post(feedback))
        .route("/v1/gaps", get(gaps))
}

/// `POST /v1/feedback`: whether an entry's remedy solved a problem.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The entry, `pack/entry` (a match's `id`).
    pub entry: String,
    /// `resolved` or `not-resolved`.
    #[schema(example = "resolved")]
    pub outcome: String,
    /// The text the problem was reported with (stored masked unless the store keeps texts).
    pub text: Option<String>,
    /// The ticket it concerns, in the ticketing system.
    pub ticket: Option<String>,
}

/// The query of `GET /v1/gaps`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GapsParams {
    /// Only texts recorded since this time: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (UTC).
    pub since: Option<String>,
    /// At most this many templates, biggest first (default: all).
    pub limit: Option<usize>,
}

/// 409 when the server keeps no outcome store.
fn no_store() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "no-outcome-store",
        "this server keeps no outcome store: start it with `fixbook serve --outcomes DB`, or \
         set `[outcomes] path = \"...\"` in its config file",
    )
}

/// The engine's store errors: a failed write is the server's fault, never the client's.
fn store_error(e: &fixbook::Error) -> ApiError {
    match e.kind() {
        fixbook::ErrorKind::Query => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid-query", e.to_string())
        }
        _ => ApiError::internal(format!("the outcome store failed: {e}")),
    }
}

impl FeedbackRequest {
    /// The engine's report for this request: the outcome parsed as the CLI parses it, the
    /// entry known (404 `unknown-entry` naming the closest id otherwise).
    pub fn feedback(&self, engine: &Engine) -> Result<Feedback, ApiError> {
        let resolution: Resolution = self.outcome.parse().map_err(|e: fixbook::Error| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid-outcome", e.to_string())
                .with("expected", "resolved or not-resolved")
        })?;
        if engine.entry(&self.entry).is_none() {
            let closest = engine.suggest_entry(&self.entry);
            let hint = closest
                .as_deref()
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            let mut e = ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown-entry",
                format!(
                    "no entry `{}` is loaded{hint}; feedback needs a match's id, `pack/entry`",
                    self.entry
                ),
            )
            .with("entry", self.entry.as_str());
            if let Some(c) = closest {
                e = e.with("closest", c);
            }
            return Err(e);
        }
        let mut fb = Feedback::new(&self.entry, resolution, "http");
        fb.text = self.text.clone();
        fb.ticket = self.ticket.clone();
        Ok(fb)
    }
}

/// Records whether an entry's remedy solved a problem; later answers rank with it.
#[utoipa::path(
    post, path = "/v1/feedback", tag = "outcomes",
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "Recorded (committed): the receipt `fixbook feedback --json` prints, `{\"recorded\", \"entry\", \"outcome\", \"ticket\"}`", body = Object),
        (status = 400, description = "Malformed JSON, or an outcome that is not `resolved` / `not-resolved`", body = ErrorBody),
        (status = 404, description = "No such entry (`closest` names the nearest id)", body = ErrorBody),
        (status = 409, description = "The server keeps no outcome store (start it with --outcomes DB)", body = ErrorBody),
        (status = 413, description = "Body or text over the limit", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 429, description = "Overloaded (see Retry-After)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn feedback(
    State(state): State<AppState>,
    _auth: Auth<FeedbackScope>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    engine_json(
        &state,
        body,
        "feedback",
        |st, req: Decoded<FeedbackRequest>, _| {
            let engine = st.engine();
            if engine.outcome_store().is_none() {
                return Err(no_store());
            }
            let req = req.value;
            if let Some(text) = &req.text {
                crate::api::check_text(text, st.limits())?;
            }
            let fb = req.feedback(engine)?;
            let recorded = engine.feedback(&fb).map_err(|e| store_error(&e))?;
            Ok(Answered::one(FeedbackReceipt {
                recorded,
                entry: fb.entry,
                outcome: fb.resolution,
                ticket: fb.ticket,
            }))
        },
    )
    .await
}

/// The content gaps: texts that matched nothing, grouped into templates, biggest first.
#[utoipa::path(
    get, path = "/v1/gaps", tag = "outcomes",
    params(GapsParams),
    responses(
        (status = 200, description = "`{\"gaps\": [{\"template\", \"count\", \"examples\", \"first_seen\", \"last_seen\"}]}`, as `fixbook gaps --json` prints it", body = Object),
        (status = 400, description = "A bad `since` or `limit`", body = ErrorBody),
        (status = 409, description = "The server keeps no outcome store (start it with --outcomes DB)", body = ErrorBody),
        (status = 429, description = "Overloaded (see Retry-After)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn gaps(
    State(state): State<AppState>,
    _auth: Auth<FeedbackScope>,
    params: Result<Query<GapsParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!(
                "{} (GET /v1/gaps takes since=DATE and limit=N)",
                e.body_text()
            ),
        )
    })?;
    let since = params
        .since
        .as_deref()
        .map(parse_time)
        .transpose()
        .map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid-query", e.to_string())
                .with("param", "since")
        })?;
    let st = state.clone();
    let report = state
        .pool()
        .run(move |_| {
            let engine = st.engine();
            if engine.outcome_store().is_none() {
                return Err(no_store());
            }
            let query = GapsQuery {
                since,
                limit: params.limit,
            };
            let gaps = engine.gaps(&query).map_err(|e| store_error(&e))?;
            Ok(GapsReport { gaps, draft: None })
        })
        .await??;
    Ok(json_response(&report))
}
