//! Fuzz target `request_json`: HTTP request bodies, as bytes, through the server's decoding
//! (`fixbook_server::decode`) into engine queries, and those queries through the engine.
//!
//! The first byte picks the route whose body the rest is decoded as (search, diagnose,
//! batch, feedback). What must hold: decoding never panics and fails only with a 400
//! `invalid-json`; a decoded request becomes an engine query or a client error (400 or 413,
//! never a 5xx); an engine query then always gets an answer, because the server checks
//! facts before the engine sees them. The lone-surrogate rewrite never makes valid JSON
//! invalid.
//!
//! It lives here and not in `fixbook_fuzz` (which `tests/hostile.rs` shares) because it needs
//! the server crate.
#![no_main]

use std::sync::OnceLock;

use fixbook::Engine;
use fixbook_server::api::{BatchRequest, DiagnoseRequest, SearchRequest};
use fixbook_server::config::Limits;
use fixbook_server::decode::{decode_json, replace_lone_surrogates};
use fixbook_server::routes::feedback::FeedbackRequest;
use fixbook_server::ApiError;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::embedded().expect("the embedded packs load"))
}

fn limits() -> &'static Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    LIMITS.get_or_init(|| Limits {
        max_text_bytes: 64 * 1024,
        ..Limits::default()
    })
}

/// A refusal must be the client's error, with a kind and a message.
fn client_error(e: &ApiError) {
    let status = e.status().as_u16();
    assert!(
        status == 400 || status == 413,
        "a client's body answered {status}: {e}"
    );
    assert!(!e.kind().is_empty() && !e.message().is_empty(), "{e}");
}

fn diagnose(req: &DiagnoseRequest) {
    match req.query(engine(), limits()) {
        Ok(q) => {
            if let Err(e) = engine().diagnose(&q) {
                panic!("a query the server accepted failed in the engine: {e}");
            }
        }
        Err(e) => client_error(&e),
    }
}

fn decoded<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    match decode_json::<T>(body) {
        Ok(d) => Some(d.value),
        Err(e) => {
            assert_eq!(e.status().as_u16(), 400, "{e}");
            assert_eq!(e.kind(), "invalid-json", "{e}");
            None
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(body) {
        let (fixed, _) = replace_lone_surrogates(text);
        if serde_json::from_str::<serde_json::Value>(text).is_ok() {
            assert!(
                serde_json::from_str::<serde_json::Value>(&fixed).is_ok(),
                "the surrogate rewrite broke valid JSON"
            );
        }
    }
    match route % 4 {
        0 => {
            if let Some(req) = decoded::<SearchRequest>(body) {
                if req.text.len() <= limits().max_text_bytes {
                    let limit = req.limit.unwrap_or(0).min(50);
                    let d = engine().search(&req.text, limit);
                    let most = if limit == 0 {
                        fixbook::DEFAULT_LIMIT
                    } else {
                        limit
                    };
                    assert!(d.matches.len() <= most, "more matches than the limit");
                }
            }
        }
        1 => {
            if let Some(req) = decoded::<DiagnoseRequest>(body) {
                diagnose(&req);
            }
        }
        2 => {
            if let Some(req) = decoded::<BatchRequest>(body) {
                for item in req.items.into_iter().take(8) {
                    diagnose(&DiagnoseRequest {
                        text: item.text,
                        facts: item.facts,
                        limit: req.limit,
                        trace: req.trace,
                        drafts: false,
                    });
                }
            }
        }
        _ => {
            if let Some(req) = decoded::<FeedbackRequest>(body) {
                if let Err(e) = req.feedback(engine()) {
                    let status = e.status().as_u16();
                    assert!(
                        status == 400 || status == 404,
                        "feedback answered {status}: {e}"
                    );
                }
            }
        }
    }
});
