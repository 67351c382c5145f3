//! The outcome store over HTTP: `POST /v1/feedback` and `GET /v1/gaps` on the real
//! `fixbook serve` with a real SQLite file, compared with what `fixbook feedback --json` and
//! `fixbook gaps --json` print for the same store.
//!
//! Built as a test of the CLI crate (it runs the `fixbook` binary); run with
//! `cargo test -p fixbook-cli --test server_feedback`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::*;

const TOKEN_ID: &str = "aws-iam-identity-center/session-token-invalid";
const IDP: &str = "aws-iam-identity-center/external-idp-unexpected-error";
const MFA: &str = "aws-iam-identity-center/authenticator-app-unexpected-error";
const SHARED_MESSAGE: &str = "An unexpected error has occurred";

fn cli(args: &[&str], db: &Path) -> Vec<u8> {
    let o = fixbook()
        .args(args)
        .arg("--no-cache")
        .arg("--outcomes")
        .arg(db)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    o.stdout
}

/// Texts nothing matches, made from two templates with varying ids, e-mails and numbers.
fn unmatched_texts() -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..3 {
        out.push(format!(
            "print spooler job {} stuck in queue for user{i}@example.com",
            48_213 + i * 7
        ));
        out.push(format!(
            "barcode scanner {} lost pairing with dock 10.0.0.{}",
            9_100_000 + i,
            20 + i
        ));
    }
    out
}

#[test]
fn feedback_and_gaps_answer_what_the_cli_prints_and_survive_a_reload() {
    let dir = tmp("outcomes-http");
    let db = dir.join("outcomes.db");
    let s = Server::start("outcomes", &["--outcomes", db.to_str().unwrap()], None);
    // texts that matched nothing are recorded by the diagnoses themselves
    for text in unmatched_texts() {
        let r = s.post_json("/v1/diagnose", &json!({ "text": text }));
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["matches"].as_array().unwrap().len(), 0, "{text}");
    }
    let gaps = s.get("/v1/gaps");
    assert_eq!(gaps.status, 200, "{}", gaps.text());
    assert_eq!(gaps.header("content-type"), Some("application/json"));
    assert!(
        gaps.body == cli(&["gaps", "--json"], &db),
        "GET /v1/gaps and `fixbook gaps --json` differ: {}",
        gaps.text()
    );
    let v = gaps.json();
    let found = v["gaps"].as_array().unwrap();
    assert_eq!(found.len(), 2, "two templates: {v}");
    for g in found {
        assert_eq!(g["count"], 3, "{g}");
        assert!(
            !g["template"].as_str().unwrap().contains("example.com"),
            "{g}"
        );
    }
    // since and limit, as `fixbook gaps --since --limit`
    let r = s.get("/v1/gaps?since=2000-01-01&limit=1");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.body
            == cli(
                &["gaps", "--json", "--since", "2000-01-01", "--limit", "1"],
                &db
            )
    );
    assert_eq!(r.json()["gaps"].as_array().unwrap().len(), 1);
    let r = s.get("/v1/gaps?since=2999-01-01");
    assert_eq!(r.json()["gaps"], json!([]));
    for bad in [
        "/v1/gaps?since=yesterday",
        "/v1/gaps?limit=many",
        "/v1/gaps?sinse=2000-01-01",
    ] {
        let r = s.get(bad);
        assert_eq!(
            (r.status, r.error_kind().as_str()),
            (400, "invalid-query"),
            "{bad}"
        );
    }

    // a report gets the receipt `fixbook feedback --json` prints
    let r = s.post_json(
        "/v1/feedback",
        &json!({ "entry": TOKEN_ID, "outcome": "resolved", "ticket": "T-17", "text": "Session token not found for bob@example.com" }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut http = r.json();
    assert!(http["recorded"].as_i64().unwrap() > 0);
    let mut printed: Value = serde_json::from_slice(&cli(
        &[
            "feedback", "--json", TOKEN_ID, "resolved", "--ticket", "T-17",
        ],
        &db,
    ))
    .unwrap();
    assert!(printed["recorded"].as_i64().unwrap() > http["recorded"].as_i64().unwrap());
    http.as_object_mut().unwrap().remove("recorded");
    printed.as_object_mut().unwrap().remove("recorded");
    assert_eq!(http, printed);

    // the store is the engine's: a reload keeps it open and its rows
    let r = s.post_raw("/v1/admin/reload", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let after = s.get("/v1/gaps");
    assert!(after.body == gaps.body, "the gaps changed across a reload");
    let r = s.post_json(
        "/v1/feedback",
        &json!({ "entry": TOKEN_ID, "outcome": "not-resolved" }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["outcome"], "not-resolved");

    // what a client can get wrong
    let r = s.post_json(
        "/v1/feedback",
        &json!({ "entry": "aws-iam-identity-center/session-token-invald", "outcome": "resolved" }),
    );
    assert_eq!((r.status, r.error_kind().as_str()), (404, "unknown-entry"));
    assert_eq!(r.json()["error"]["closest"], TOKEN_ID);
    let r = s.post_json(
        "/v1/feedback",
        &json!({ "entry": TOKEN_ID, "outcome": "maybe" }),
    );
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (400, "invalid-outcome")
    );
    let r = s.post_json(
        "/v1/feedback",
        &json!({ "entry": TOKEN_ID, "outcome": "resolved", "note": "x" }),
    );
    assert_eq!((r.status, r.error_kind().as_str()), (400, "invalid-json"));
    let r = s.post_json("/v1/feedback", &json!({ "outcome": "resolved" }));
    assert_eq!((r.status, r.error_kind().as_str()), (400, "invalid-json"));
}

#[test]
fn feedback_over_http_reorders_close_matches() {
    let dir = tmp("outcomes-rank");
    let db = dir.join("outcomes.db");
    let s = Server::start("rank", &["--outcomes", db.to_str().unwrap()], None);
    let top = |s: &Server| {
        s.post_json("/v1/search", &json!({ "text": SHARED_MESSAGE }))
            .json()["matches"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = top(&s);
    let other = if first == IDP { MFA } else { IDP };
    for i in 0..12 {
        let r = s.post_json(
            "/v1/feedback",
            &json!({ "entry": other, "outcome": "resolved", "ticket": format!("T-{i}") }),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let r = s.post_json(
            "/v1/feedback",
            &json!({ "entry": first, "outcome": "not-resolved" }),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(
        top(&s),
        other,
        "the history did not reorder the two entries"
    );
}

#[test]
fn the_config_opens_the_store_and_keys_need_the_feedback_scope() {
    let config = r#"
[outcomes]
path = "history.db"
retention_days = 30

[[keys]]
name = "agent"
key = "agent-key-0123456789"

[[keys]]
name = "desk"
key = "desk-key-0123456789"
scopes = ["feedback", "diagnose"]
"#;
    let s = Server::start("outcomes-config", &[], Some(config));
    let call = |key: &str, method: &str, path: &str, body: &Value| {
        let bearer = format!("Bearer {key}");
        let b = serde_json::to_vec(body).unwrap();
        request(
            &s.addr,
            method,
            path,
            &[
                ("Content-Type", "application/json"),
                ("Authorization", bearer.as_str()),
            ],
            if method == "GET" { b"" } else { &b },
        )
    };
    let report = json!({ "entry": TOKEN_ID, "outcome": "resolved" });
    let r = call("agent-key-0123456789", "POST", "/v1/feedback", &report);
    assert_eq!((r.status, r.error_kind().as_str()), (403, "forbidden"));
    let r = call("agent-key-0123456789", "GET", "/v1/gaps", &Value::Null);
    assert_eq!(r.status, 403);
    let r = s.post_json("/v1/feedback", &report);
    assert_eq!(r.status, 401);
    let r = call("desk-key-0123456789", "POST", "/v1/feedback", &report);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = call("desk-key-0123456789", "GET", "/v1/gaps", &Value::Null);
    assert_eq!(r.status, 200, "{}", r.text());
    // the path is relative to the config file
    assert!(
        s.dir.join("history.db").is_file(),
        "no store next to the config file"
    );
}

#[test]
fn without_a_store_feedback_and_gaps_say_how_to_open_one() {
    let s = Server::start("no-store", &[], None);
    let r = s.post_json(
        "/v1/feedback",
        &json!({ "entry": TOKEN_ID, "outcome": "resolved" }),
    );
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (409, "no-outcome-store")
    );
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("--outcomes") && message.contains("[outcomes]"),
        "{message}"
    );
    let r = s.get("/v1/gaps");
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (409, "no-outcome-store")
    );
    // a bad store file is refused at start, naming it
    let dir = tmp("bad-store");
    let bad = dir.join("not-a-db");
    std::fs::write(
        &bad,
        "this is not SQLite, and it is long enough to have a header or two",
    )
    .unwrap();
    let err = serve_refused(&[
        "--listen",
        "127.0.0.1:0",
        "--outcomes",
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("not-a-db"), "{err}");
}
