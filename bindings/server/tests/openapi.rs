//! The committed `schema/openapi.json` is generated from the handlers and request types; this
//! test fails when it is stale. Regenerate with
//! `FIXBOOK_BLESS=1 cargo test -p fixbook-server --test openapi`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn openapi_json_is_fresh() {
    let fresh = fixbook_server::routes::openapi::openapi_text();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/openapi.json");
    if std::env::var_os("FIXBOOK_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run FIXBOOK_BLESS=1 cargo test -p fixbook-server --test openapi",
        path.display()
    );
    // it describes the routes and the error shape
    let v: serde_json::Value = serde_json::from_str(&fresh).unwrap();
    assert!(v["paths"]["/v1/diagnose"]["post"]["requestBody"].is_object());
    assert!(v["components"]["schemas"]["ErrorBody"].is_object());
    assert!(v["components"]["securitySchemes"]["bearer"].is_object());
}
