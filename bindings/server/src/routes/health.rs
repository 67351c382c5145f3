//! `GET /healthz`, `GET /readyz`, `GET /metrics`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::auth::{Auth, MetricsScope};
use crate::body::json_response;
use crate::error::ErrorBody;
use crate::state::AppState;

/// The health routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is alive (no key needed).
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "`{\"status\": \"ok\"}`", body = Object)))]
pub async fn healthz() -> Response {
    json_response(&serde_json::json!({ "status": "ok" }))
}

/// Packs are loaded: their ids, versions, the content hash and the last reload's result (no
/// key needed). 503 while shutting down.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready: packs, content_hash, last_reload", body = Object),
        (status = 503, description = "Shutting down", body = Object),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let s = state.status();
    let packs: Vec<serde_json::Value> = state
        .engine()
        .packs()
        .into_iter()
        .map(|p| serde_json::json!({ "id": p.id, "version": p.version, "entries": p.entries }))
        .collect();
    let draining = state.draining();
    let body = serde_json::json!({
        "status": if draining { "shutting-down" } else { "ready" },
        "packs": packs,
        "entries": state.engine().entry_count(),
        "skipped": state.engine().skipped().len(),
        "content_hash": s.content_hash,
        "loaded_at": s.loaded_at,
        "reloads": { "ok": s.reloads_ok, "failed": s.reloads_failed },
        "last_reload": s.last_reload,
    });
    let mut resp = json_response(&body);
    if draining {
        *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    resp
}

/// Prometheus metrics (text format): requests by route and status, latency histograms,
/// engine queries, reloads, rejected requests.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
        (status = 401, description = "Keys are configured and none was sent", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn metrics(State(state): State<AppState>, _auth: Auth<MetricsScope>) -> Response {
    let text = state.metrics().render(&state.gauges());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
