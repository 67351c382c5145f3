//! `POST /v1/admin/reload`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::auth::{AdminScope, Auth};
use crate::body::json_response;
use crate::error::{ApiError, ErrorBody};
use crate::state::{AppState, ReloadReport};

/// The admin routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/admin/reload", post(reload))
}

/// Re-reads every pack and swaps the new set in atomically. A failed reload keeps serving the
/// previous set and answers 422 with the pack errors.
#[utoipa::path(post, path = "/v1/admin/reload", tag = "admin",
    responses(
        (status = 200, description = "Reloaded", body = ReloadReport),
        (status = 422, description = "The packs have errors; the previous set is still served (`error.report` is the reload report)", body = ErrorBody),
        (status = 401, description = "No key", body = ErrorBody),
        (status = 403, description = "The key lacks the admin scope", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn reload(State(state): State<AppState>, _auth: Auth<AdminScope>) -> Response {
    let report = state.reload("admin").await;
    if report.result == "ok" {
        return json_response(&report);
    }
    let first = report
        .errors
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "reload-failed",
        format!(
            "reload failed, the previous set is still served: {}. First error: {first}",
            report.message
        ),
    )
    .with("report", serde_json::to_value(&report).unwrap_or_default())
    .into_response()
}
