//! `GET /`: the agent page, and the files it loads (`/assets/…`).
//!
//! One HTML page, one style sheet and one script, embedded in the binary from
//! `bindings/server/assets/` (no build step, nothing fetched from elsewhere). The page is a
//! client of the public JSON API like any other: it calls `/v1/diagnose` on the same origin,
//! with the user's key when the server asks for one, so these routes need no key themselves
//! and reveal nothing the API would not.
//!
//! Every answer carries an `ETag` (a weak one: a hash of the file, fixed at build time) and
//! `Cache-Control: no-cache`, so browsers revalidate and get `304 Not Modified` until the
//! binary changes; and a Content-Security-Policy that allows only this origin's script, style
//! and API, so text pasted into the page can never run as code or leave for another host.
//! The page is not part of the API, so it is not in `/openapi.json`.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The Content-Security-Policy of every page file: this origin's script, style, images and
/// API only; no inline code, no frames, no forms posted anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file: its bytes, content type and entity tag.
struct Asset {
    body: &'static [u8],
    content_type: &'static str,
    etag: &'static str,
}

/// FNV-1a (64 bits): a stable hash computed at compile time, for the entity tags.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// `W/"` + 16 hex digits + `"`: the entity tag of `bytes`. Weak, because the compression
/// layer may send the same file gzipped: a byte-for-byte (strong) tag would have to differ.
const fn etag_bytes(bytes: &[u8]) -> [u8; 20] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = fnv1a(bytes);
    let mut out = [b'"'; 20];
    out[0] = b'W';
    out[1] = b'/';
    let mut i = 0;
    while i < 16 {
        out[3 + i] = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

macro_rules! asset {
    ($file:literal, $content_type:literal) => {{
        const BODY: &[u8] = include_bytes!(concat!("../../assets/", $file));
        const TAG: [u8; 20] = etag_bytes(BODY);
        Asset {
            body: BODY,
            content_type: $content_type,
            etag: match std::str::from_utf8(&TAG) {
                Ok(s) => s,
                Err(_) => panic!("an entity tag is ASCII"),
            },
        }
    }};
}

static INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");
static SCRIPT: Asset = asset!("app.js", "text/javascript; charset=utf-8");
static STYLE: Asset = asset!("app.css", "text/css; charset=utf-8");
static ICON: Asset = asset!("icon.svg", "image/svg+xml");

/// The page routes (no key needed).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|h: HeaderMap| async move { serve(&INDEX, &h) }))
        .route(
            "/assets/app.js",
            get(|h: HeaderMap| async move { serve(&SCRIPT, &h) }),
        )
        .route(
            "/assets/app.css",
            get(|h: HeaderMap| async move { serve(&STYLE, &h) }),
        )
        .route(
            "/assets/icon.svg",
            get(|h: HeaderMap| async move { serve(&ICON, &h) }),
        )
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`), compared weakly as
/// RFC 9110 asks for `If-None-Match`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == ours || t == "*")
}

fn serve(asset: &'static Asset, request: &HeaderMap) -> Response {
    let headers = [
        (header::ETAG, HeaderValue::from_static(asset.etag)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        // the diagnosed text lives in the page's URL: never send it on to linked sites
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    if not_modified(request, asset.etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tags_follow_the_content() {
        assert_ne!(etag_bytes(b"a"), etag_bytes(b"b"));
        assert_eq!(etag_bytes(b"a"), etag_bytes(b"a"));
        assert_eq!(INDEX.etag.len(), 20);
        assert!(INDEX.etag.starts_with("W/\"") && INDEX.etag.ends_with('"'));
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_are_understood() {
        let mut h = HeaderMap::new();
        let strong = SCRIPT.etag.trim_start_matches("W/");
        let list = format!("\"0000000000000000\", {strong}");
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&list).unwrap());
        assert!(not_modified(&h, SCRIPT.etag));
        assert!(!not_modified(&h, STYLE.etag));
        assert!(!not_modified(&HeaderMap::new(), STYLE.etag));
    }
}
