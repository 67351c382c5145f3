//! `GET /v1/entries/{pack}/{entry}`, `GET /v1/packs`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::auth::{Auth, ReadScope};
use crate::body::json_response;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The catalogue routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/entries/{pack}/{entry}", get(entry))
        .route("/v1/packs", get(packs))
}

/// One entry, as `fixbook show --json` prints it.
#[utoipa::path(
    get, path = "/v1/entries/{pack}/{entry}", tag = "catalogue",
    params(("pack" = String, Path, description = "Pack id"), ("entry" = String, Path, description = "Entry id within the pack")),
    responses(
        (status = 200, description = "The entry: signatures, causes, facts, remedy", body = Object),
        (status = 404, description = "No such entry", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn entry(
    State(state): State<AppState>,
    _auth: Auth<ReadScope>,
    Path((pack, entry)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = format!("{pack}/{entry}");
    match state.engine().entry(&id) {
        Some(e) => Ok(json_response(&e)),
        None => Err(ApiError::not_found(format!("no entry `{id}`")).with("id", id)),
    }
}

/// The loaded packs (id, version, where each came from) and the problems of those skipped,
/// as `fixbook packs --json` prints them.
#[utoipa::path(
    get, path = "/v1/packs", tag = "catalogue",
    responses((status = 200, description = "`{\"packs\": [...], \"skipped\": [...]}`", body = Object)),
    security(("bearer" = []))
)]
pub async fn packs(State(state): State<AppState>, _auth: Auth<ReadScope>) -> Response {
    json_response(&state.engine().packs_report())
}
