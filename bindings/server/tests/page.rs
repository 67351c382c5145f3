//! The agent page over real HTTP: `GET /` and its files need no key, carry their content
//! types, entity tags and Content-Security-Policy, and the API the page calls still does.
//! (What the page does in a browser is tested in `tests/browser/`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{request, Server};

const KEYED: &str = r#"
[[keys]]
name = "agent"
key = "agent-key-0123456789"
"#;

#[test]
fn the_page_and_its_files_are_served_without_a_key() {
    let s = Server::start("page-keyed", &[], Some(KEYED));
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("connect-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        assert!(!r.body.is_empty());
    }
    // the page loads only this origin's files, no inline script
    let html = s.get("/").text();
    assert!(html.contains("<script src=\"/assets/app.js\""));
    assert!(
        !html.contains("<script>"),
        "inline script would be refused by the CSP"
    );
    assert!(!html.contains("http://") && !html.contains("https://"));
    // the API it calls still needs the key
    let r = s.post_json(
        "/v1/diagnose",
        &serde_json::json!({ "text": "sso:ListApplicationProviders" }),
    );
    assert_eq!((r.status, r.error_kind().as_str()), (401, "unauthorized"));
    let r = request(
        &s.addr,
        "POST",
        "/v1/diagnose",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer agent-key-0123456789"),
        ],
        br#"{"text": "sso:ListApplicationProviders", "trace": true}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["trace"]["normalized"].is_string(),
        "the page reads the trace"
    );
}

#[test]
fn a_cached_file_is_revalidated_with_its_entity_tag() {
    let s = Server::start("page-etag", &[], None);
    let first = s.get("/assets/app.js");
    let tag = first.header("etag").expect("an ETag").to_owned();
    assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{tag}");
    let again = request(
        &s.addr,
        "GET",
        "/assets/app.js",
        &[("If-None-Match", &tag)],
        b"",
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    // the gzipped file is the same resource: same (weak) tag, revalidated alike
    let gzipped = request(
        &s.addr,
        "GET",
        "/assets/app.js",
        &[("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert_eq!(gzipped.header("etag"), Some(tag.as_str()));
    let again = request(
        &s.addr,
        "GET",
        "/assets/app.js",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &tag)],
        b"",
    );
    assert_eq!(again.status, 304);
    // another file's tag does not match this one
    let other = s.get("/assets/app.css").header("etag").unwrap().to_owned();
    assert_ne!(other, tag);
    let r = request(
        &s.addr,
        "GET",
        "/assets/app.js",
        &[("If-None-Match", &other)],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, first.body);
    // HEAD answers the headers only; unknown asset paths are JSON 404s like every route
    let head = request(&s.addr, "HEAD", "/", &[], b"");
    assert_eq!(head.status, 200);
    let missing = s.get("/assets/nope.js");
    assert_eq!(
        (missing.status, missing.error_kind().as_str()),
        (404, "not-found")
    );
}
