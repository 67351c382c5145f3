//! `GET /openapi.json`: the API description, generated from the handlers and request types.

use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

/// The OpenAPI description of the server (committed as `schema/openapi.json`; a test fails
/// when that file is stale).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "fixbook",
        description = "The fixbook HTTP service: find the known problem behind an error, its cause and its fix. \
Answers are the same JSON as `fixbook search --json` / `diagnose --json` (schema/diagnosis.schema.json). \
Every error is `{\"error\": {\"kind\", \"message\", ...}}`. With API keys configured, send `Authorization: Bearer KEY`; \
/healthz, /readyz and /openapi.json need none."
    ),
    paths(
        super::query::search,
        super::query::diagnose,
        super::query::batch,
        super::catalog::entry,
        super::catalog::packs,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
        super::admin::reload,
        super::feedback::feedback,
        super::feedback::gaps,
        super::webhooks::receive,
        openapi_json,
    ),
    components(schemas(
        crate::api::SearchRequest,
        crate::api::DiagnoseRequest,
        crate::api::BatchRequest,
        crate::api::BatchItem,
        crate::api::BatchResponse,
        crate::api::BatchAnswer,
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::state::ReloadReport,
        super::feedback::FeedbackRequest,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "query", description = "Search and diagnose"),
        (name = "catalogue", description = "Packs and entries"),
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "admin", description = "Operations (admin scope)"),
        (name = "outcomes", description = "Feedback and content gaps (feedback scope; needs an outcome store)"),
        (name = "webhooks", description = "Ticketing systems: new tickets get an internal note (webhooks scope, or the vendor's signature)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The description as pretty JSON with a final newline (the committed file's bytes).
pub fn openapi_text() -> String {
    let mut s = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The router.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

/// This description (no key needed).
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "OpenAPI description", body = Object)))]
pub async fn openapi_json() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_text(),
    )
        .into_response()
}
