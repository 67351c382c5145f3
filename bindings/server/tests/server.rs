//! End-to-end tests of `fixbook serve`: the real binary on a free loopback port, spoken to
//! over HTTP. Every server is stopped by the test, by process id.
//!
//! Built as a test of the CLI crate (so the `fixbook` binary is built first and
//! `CARGO_BIN_EXE_fixbook` names it); run with `cargo test -p fixbook-cli --test server`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

const TOKEN_TEXT: &str = "Session token not found or invalid";
const TOKEN_ID: &str = "aws-iam-identity-center/session-token-invalid";

#[test]
fn every_error_is_json_with_the_right_status() {
    let s = Server::start(
        "errors",
        &[],
        Some("[limits]\nmax_text_bytes = 1000\nmax_batch_items = 3\nmax_body_bytes = 100000\n"),
    );
    let json_ct = [("Content-Type", "application/json")];
    // 400: malformed JSON names the line and column
    let r = s.post_raw("/v1/diagnose", &json_ct, b"{\n  \"text\": \"x\",,\n}");
    assert_eq!((r.status, r.error_kind().as_str()), (400, "invalid-json"));
    assert_eq!(r.json()["error"]["line"], 2);
    // 400: a field of the wrong type, a missing field, an unknown field
    for body in [
        &br#"{"text": 5}"#[..],
        br#"{"limit": 3}"#,
        br#"{"text": "x", "fact": {}}"#,
        br#"[1, 2]"#,
        b"",
    ] {
        let r = s.post_raw("/v1/diagnose", &json_ct, body);
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(r.error_kind(), "invalid-json");
    }
    // 400: a fact of the wrong type names the fact and the type it must have
    for (value, expected) in [
        (json!("maybe"), "bool"),
        (json!(3), "bool"),
        (json!({"a": 1}), "bool"),
    ] {
        let r = s.post_json(
            "/v1/diagnose",
            &json!({ "text": "x", "facts": { "instance.exists_in_account": value } }),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        let e = r.json()["error"].clone();
        assert_eq!(e["kind"], "invalid-fact");
        assert_eq!(e["fact"], "instance.exists_in_account");
        assert_eq!(e["expected"], expected);
        assert!(e["message"]
            .as_str()
            .unwrap()
            .contains("instance.exists_in_account"));
    }
    let r = s.post_json(
        "/v1/diagnose",
        &json!({ "text": "x", "facts": { "saml.nameid_format": "bogus" } }),
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["expected"]
        .as_str()
        .unwrap()
        .contains("persistent"));
    // a string is converted to the declared type, as on the command line
    let r = s.post_json(
        "/v1/diagnose",
        &json!({ "text": "x", "facts": { "instance.exists_in_account": "yes" } }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // 404: no route, no entry
    let r = s.get("/v1/nothing");
    assert_eq!((r.status, r.error_kind().as_str()), (404, "not-found"));
    let r = s.get("/v1/entries/aws-iam-identity-center/nothing");
    assert_eq!((r.status, r.error_kind().as_str()), (404, "not-found"));
    // 405, with Allow
    let r = s.get("/v1/diagnose");
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (405, "method-not-allowed")
    );
    assert_eq!(r.header("allow"), Some("POST"));
    let r = request(&s.addr, "DELETE", "/v1/packs", &[], b"");
    assert_eq!(r.status, 405);
    // 413: body over the limit (announced, or sent chunked), text over the limit, batch
    let r = s.post_raw("/v1/search", &json_ct, &vec![b' '; 200_000]);
    assert_eq!((r.status, r.error_kind().as_str()), (413, "body-too-large"));
    let r = chunked(&s.addr, "/v1/search", &vec![b' '; 200_000]);
    assert_eq!((r.status, r.error_kind().as_str()), (413, "body-too-large"));
    let r = s.post_json("/v1/search", &json!({ "text": "a".repeat(1001) }));
    assert_eq!((r.status, r.error_kind().as_str()), (413, "text-too-long"));
    assert_eq!(r.json()["error"]["limit"], 1000);
    let items: Vec<Value> = (0..4).map(|_| json!({ "text": "x" })).collect();
    let r = s.post_json("/v1/diagnose/batch", &json!({ "items": items }));
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (413, "batch-too-large")
    );
    // a bad item of a batch gets its own error; the others are answered
    let r = s.post_json(
        "/v1/diagnose/batch",
        &json!({ "items": [
            { "id": "a", "text": TOKEN_TEXT },
            { "id": "b", "text": "x", "facts": { "instance.exists_in_account": 7 } },
            { "id": "c", "text": "a".repeat(2000) },
        ] }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["items"][0]["diagnosis"]["matches"][0]["id"], TOKEN_ID);
    assert_eq!(v["items"][1]["error"]["kind"], "invalid-fact");
    assert_eq!(v["items"][1]["error"]["fact"], "instance.exists_in_account");
    assert_eq!(v["items"][2]["error"]["kind"], "text-too-long");
    // 415: not JSON, or no content type
    let r = s.post_raw(
        "/v1/search",
        &[("Content-Type", "text/plain")],
        b"{\"text\":\"x\"}",
    );
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (415, "unsupported-media-type")
    );
    let r = s.post_raw("/v1/search", &[], b"{\"text\":\"x\"}");
    assert_eq!(r.status, 415);
    // the JSON content type with parameters is fine
    let r = s.post_raw(
        "/v1/search",
        &[("Content-Type", "application/json; charset=utf-8")],
        b"{\"text\":\"x\"}",
    );
    assert_eq!(r.status, 200);
    // and the server counted what it refused
    let m = s.get("/metrics").text();
    assert!(
        m.contains("fixbook_http_rejected_total{kind=\"invalid-fact\"}"),
        "{m}"
    );
    assert!(m.contains(
        "fixbook_http_requests_total{route=\"/v1/diagnose\",method=\"POST\",status=\"400\"}"
    ));
}

fn chunked(addr: &str, path: &str, body: &[u8]) -> Resp {
    let mut s = connect(addr);
    let h = head(
        "POST",
        path,
        &[
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
        None,
    );
    s.write_all(h.as_bytes()).unwrap();
    for c in body.chunks(16 * 1024) {
        if s.write_all(format!("{:x}\r\n", c.len()).as_bytes())
            .is_err()
            || s.write_all(c).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    read_response(&mut s)
}

#[test]
fn overload_is_429_with_retry_after_and_nothing_else_fails() {
    let s = Server::start(
        "overload",
        &[],
        Some("[limits]\nmax_concurrency = 1\nmax_text_bytes = 8000000\nmax_body_bytes = 9000000\n"),
    );
    // texts long enough that one diagnosis takes a while
    let text = format!("{} {}", "word ".repeat(300_000), TOKEN_TEXT);
    let body = Arc::new(serde_json::to_vec(&json!({ "text": text })).unwrap());
    let addr = Arc::new(s.addr.clone());
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let (body, addr) = (body.clone(), addr.clone());
            std::thread::spawn(move || {
                request(
                    &addr,
                    "POST",
                    "/v1/diagnose",
                    &[("Content-Type", "application/json")],
                    &body,
                )
            })
        })
        .collect();
    let answers: Vec<Resp> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let shed: Vec<&Resp> = answers.iter().filter(|r| r.status == 429).collect();
    let ok = answers.iter().filter(|r| r.status == 200).count();
    assert_eq!(shed.len() + ok, answers.len(), "only 200 or 429");
    assert!(
        ok >= 1 && !shed.is_empty(),
        "{ok} answered, {} shed",
        shed.len()
    );
    for r in shed {
        assert_eq!(r.error_kind(), "overloaded");
        assert_eq!(r.header("retry-after"), Some("1"));
    }
    let m = s.get("/metrics").text();
    assert!(m.contains("fixbook_http_rejected_total{kind=\"overloaded\"}"));
}

const KEYS: &str = r#"
[[keys]]
name = "agent"
key = "agent-key-0123456789"

[[keys]]
name = "hook"
key = "hook-key-0123456789"
scopes = ["webhooks"]

[[keys]]
name = "ops"
key_file = "KEYFILE"
scopes = ["admin", "metrics"]
"#;

#[test]
fn keys_open_only_their_routes() {
    let dir = tmp("keys");
    let keyfile = dir.join("ops.key");
    std::fs::write(&keyfile, "ops-key-0123456789\n").unwrap();
    let config = KEYS.replace("KEYFILE", keyfile.to_str().unwrap());
    let s = Server::start("keys", &[], Some(&config));
    let body = serde_json::to_vec(&json!({ "text": TOKEN_TEXT })).unwrap();
    let call = |auth: Option<&str>, path: &str| {
        let mut h = vec![("Content-Type", "application/json")];
        let bearer;
        if let Some(k) = auth {
            bearer = format!("Bearer {k}");
            h.push(("Authorization", bearer.as_str()));
        }
        request(&s.addr, "POST", path, &h, &body)
    };
    let r = call(None, "/v1/search");
    assert_eq!((r.status, r.error_kind().as_str()), (401, "unauthorized"));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = call(Some("agent-key-012345678"), "/v1/search");
    assert_eq!(r.status, 401, "a prefix of a key is not the key");
    let r = call(Some("agent-key-0123456789"), "/v1/search");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["matches"][0]["id"], TOKEN_ID);
    let r = call(Some("hook-key-0123456789"), "/v1/diagnose");
    assert_eq!((r.status, r.error_kind().as_str()), (403, "forbidden"));
    let r = call(Some("agent-key-0123456789"), "/v1/admin/reload");
    assert_eq!(r.status, 403);
    let r = call(Some("ops-key-0123456789"), "/v1/admin/reload");
    assert_eq!(r.status, 200, "{}", r.text());
    // health needs no key; metrics and the catalogue do
    assert_eq!(s.get("/healthz").status, 200);
    assert_eq!(s.get("/readyz").status, 200);
    assert_eq!(s.get("/openapi.json").status, 200);
    assert_eq!(s.get("/metrics").status, 401);
    assert_eq!(s.get("/v1/packs").status, 401);
    let r = request(
        &s.addr,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer ops-key-0123456789")],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(r
        .text()
        .contains("fixbook_http_rejected_total{kind=\"forbidden\"} 2"));
}

#[test]
fn a_non_loopback_address_without_keys_is_refused() {
    let err = serve_refused(&["--listen", "0.0.0.0:0"]);
    assert!(
        err.contains("--allow-open-network") && err.contains("[[keys]]"),
        "{err}"
    );
    // a bad config is refused with its line
    let dir = tmp("badcfg");
    let config = dir.join("c.toml");
    std::fs::write(&config, "[limits]\nmax_bodyy = 1\n").unwrap();
    let err = serve_refused(&["--config", config.to_str().unwrap()]);
    assert!(err.contains("max_bodyy") && err.contains("line 2"), "{err}");
    // so is a limit of zero, naming the key
    std::fs::write(&config, "[limits]\nheader_timeout_ms = 0\n").unwrap();
    let err = serve_refused(&["--config", config.to_str().unwrap()]);
    assert!(err.contains("limits.header_timeout_ms"), "{err}");
}

#[test]
fn unicode_trouble_in_json_strings_still_gets_an_answer() {
    let s = Server::start("unicode", &[], None);
    let ct = [("Content-Type", "application/json")];
    // raw bytes that are not UTF-8 inside the string
    let mut body = b"{\"text\": \"".to_vec();
    body.extend_from_slice(TOKEN_TEXT.as_bytes());
    body.extend_from_slice(b" \xff\xfe\xc3\"}");
    let r = s.post_raw("/v1/search", &ct, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["matches"][0]["id"], TOKEN_ID);
    assert!(
        v["notes"][0].as_str().unwrap().contains("not valid UTF-8"),
        "{v}"
    );
    // lone surrogate escapes, leading and trailing; a valid pair is kept
    let body = format!(r#"{{"text": "{TOKEN_TEXT} \ud800 x \udfff \ud83d\ude00"}}"#);
    let r = s.post_raw("/v1/diagnose", &ct, body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["matches"][0]["id"], TOKEN_ID);
    assert!(
        v["notes"][0].as_str().unwrap().contains("2 lone surrogate"),
        "{v}"
    );
    // NUL, BOM-less odd scripts, control characters: answered
    let r = s.post_json(
        "/v1/search",
        &json!({ "text": "\u{0}\u{202e}\u{fffe}\u{10ffff}" }),
    );
    assert_eq!(r.status, 200);
    // a body that is not UTF-8 outside a string is malformed JSON, not a crash
    let r = s.post_raw("/v1/search", &ct, b"\xff{\"text\": \"x\"}");
    assert_eq!((r.status, r.error_kind().as_str()), (400, "invalid-json"));
}

#[test]
fn large_bodies_are_refused_and_large_texts_answered() {
    let s = Server::start("large-default", &[], None);
    let big = vec![b'a'; 16 * 1024 * 1024];
    let t = Instant::now();
    let r = s.post_raw("/v1/search", &[("Content-Type", "application/json")], &big);
    assert_eq!((r.status, r.error_kind().as_str()), (413, "body-too-large"));
    assert!(t.elapsed() < Duration::from_secs(20));
    let r = chunked(&s.addr, "/v1/search", &big);
    assert_eq!((r.status, r.error_kind().as_str()), (413, "body-too-large"));
    drop(s);
    // raised limits: a 10 MB text is diagnosed, and the signature at its end is found
    let s = Server::start(
        "large-raised",
        &[],
        Some("[limits]\nmax_body_bytes = 33554432\nmax_text_bytes = 16777216\nrequest_timeout_ms = 120000\nbody_timeout_ms = 60000\n"),
    );
    let mut text = "log line without any known error in it\n".repeat(10_000_000 / 39);
    text.push_str(TOKEN_TEXT);
    assert!(text.len() >= 10_000_000);
    let r = s.post_json("/v1/diagnose", &json!({ "text": text }));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["matches"][0]["id"], TOKEN_ID);
}

#[test]
fn slow_and_vanishing_clients_do_not_hold_workers() {
    let s = Server::start(
        "slow",
        &[],
        Some("[limits]\nmax_concurrency = 1\nbody_timeout_ms = 1500\nheader_timeout_ms = 1000\n"),
    );
    let addr = s.addr.clone();
    let body = serde_json::to_vec(&json!({ "text": TOKEN_TEXT })).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicUsize::new(0));
    let mut slow = Vec::new();
    // slow bodies: 8 clients announcing a body and sending it one byte every 200 ms
    for _ in 0..8 {
        let (addr, body, stop, timed_out) =
            (addr.clone(), body.clone(), stop.clone(), timed_out.clone());
        slow.push(std::thread::spawn(move || {
            let mut c = connect(&addr);
            let h = head(
                "POST",
                "/v1/diagnose",
                &[("Content-Type", "application/json")],
                Some(body.len()),
            );
            c.write_all(h.as_bytes()).unwrap();
            for b in &body {
                if stop.load(Ordering::Relaxed) || c.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            let r = read_response(&mut c);
            if r.status == 408 {
                timed_out.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // clients that send half a body, or a whole request, and vanish
    for i in 0..8 {
        let mut c = connect(&addr);
        let h = head(
            "POST",
            "/v1/diagnose",
            &[("Content-Type", "application/json")],
            Some(body.len()),
        );
        c.write_all(h.as_bytes()).unwrap();
        let part = if i % 2 == 0 {
            body.len() / 2
        } else {
            body.len()
        };
        c.write_all(&body[..part]).unwrap();
        drop(c);
    }
    // slowloris: a client sending its headers a line at a time, too slowly
    let mut idle = connect(&addr);
    idle.write_all(b"POST /v1/diagnose HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let idle_since = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    // meanwhile ordinary requests are answered, not shed: nothing holds the one worker
    let t = Instant::now();
    for _ in 0..10 {
        let r = s.post_json("/v1/diagnose", &json!({ "text": TOKEN_TEXT }));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert!(t.elapsed() < Duration::from_secs(30));
    for t in slow {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert_eq!(
        timed_out.load(Ordering::Relaxed),
        8,
        "each slow body is cut with 408"
    );
    // the slowloris connection was closed by the header timeout (1 s), not by this test
    let _ = idle.write_all(b"X-Slow: 1\r\n");
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let closed = std::io::Read::read_to_end(&mut idle, &mut rest).is_ok();
    assert!(
        closed && idle_since.elapsed() < Duration::from_secs(10),
        "a client sending its headers slowly still holds its connection after {:?}",
        idle_since.elapsed()
    );
}

#[test]
fn a_batch_whose_client_vanishes_stops_and_frees_its_worker() {
    let s = Server::start(
        "vanish",
        &[],
        Some("[limits]\nmax_concurrency = 1\nmax_batch_items = 1000\nmax_body_bytes = 33554432\nrequest_timeout_ms = 120000\n"),
    );
    let text: String = (0..3000)
        .map(|i| format!("error{i} session invalid user{i}@example.com failed "))
        .collect();
    let items: Vec<Value> = (0..60).map(|_| json!({ "text": text })).collect();
    let batch = serde_json::to_vec(&json!({ "items": items })).unwrap();
    let ct = [("Content-Type", "application/json")];
    // how long the whole batch takes on this machine, in this build
    let t = Instant::now();
    let r = s.post_raw("/v1/diagnose/batch", &ct, &batch);
    assert_eq!(r.status, 200, "{}", r.text());
    let whole = t.elapsed();
    // the same batch, from a client that goes away once it is sent
    let mut c = connect(&s.addr);
    let h = head("POST", "/v1/diagnose/batch", &ct, Some(batch.len()));
    c.write_all(h.as_bytes()).unwrap();
    c.write_all(&batch).unwrap();
    std::thread::sleep(whole / 10);
    drop(c);
    let gone = Instant::now();
    // the one worker is free again long before the batch would have ended
    loop {
        let r = s.post_json("/v1/diagnose", &json!({ "text": TOKEN_TEXT }));
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 429, "{}", r.text());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        gone.elapsed() < whole / 3,
        "the worker was held {:?} after the client left (the whole batch takes {whole:?})",
        gone.elapsed()
    );
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight() {
    let s = Server::start(
        "shutdown",
        &[],
        Some("[limits]\nmax_text_bytes = 8000000\nmax_body_bytes = 9000000\n"),
    );
    let addr = s.addr.clone();
    // a request whose body is only half sent when SIGTERM arrives
    let body = serde_json::to_vec(&json!({ "text": TOKEN_TEXT })).unwrap();
    let mut half = connect(&addr);
    let h = head(
        "POST",
        "/v1/search",
        &[("Content-Type", "application/json")],
        Some(body.len()),
    );
    half.write_all(h.as_bytes()).unwrap();
    half.write_all(&body[..10]).unwrap();
    // and requests with long texts, still being diagnosed
    let text = format!("{} {}", "word ".repeat(400_000), TOKEN_TEXT);
    let big = Arc::new(serde_json::to_vec(&json!({ "text": text })).unwrap());
    let busy: Vec<_> = (0..3)
        .map(|_| {
            let (addr, big) = (addr.clone(), big.clone());
            std::thread::spawn(move || {
                request(
                    &addr,
                    "POST",
                    "/v1/diagnose",
                    &[("Content-Type", "application/json")],
                    &big,
                )
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let mut s = s;
    s.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    // new connections are refused once the listener is closed
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "the server still accepts after SIGTERM"
    );
    half.write_all(&body[10..]).unwrap();
    let r = read_response(&mut half);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["matches"][0]["id"], TOKEN_ID);
    for t in busy {
        let r = t.join().unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["matches"][0]["id"], TOKEN_ID);
    }
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn reload_under_load_never_fails_a_request_or_mixes_answers() {
    let dir = tmp("reload");
    let pack = dir.join("probe");
    std::fs::create_dir_all(&pack).unwrap();
    write_atomic(&pack.join("pack.toml"), &probe_pack("alpha"));
    let config = "[[keys]]\nname = \"ops\"\nkey = \"ops-key-0123456789\"\nscopes = [\"all\"]\n";
    let s = Server::start(
        "reload",
        &["--no-builtin", "--packs", pack.to_str().unwrap()],
        Some(config),
    );
    let addr = s.addr.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (addr, stop, seen) = (addr.clone(), stop.clone(), seen.clone());
            std::thread::spawn(move || {
                let body =
                    serde_json::to_vec(&json!({ "text": "error: fixbook reload probe" })).unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let r = request(
                        &addr,
                        "POST",
                        "/v1/diagnose",
                        &[
                            ("Content-Type", "application/json"),
                            ("Authorization", "Bearer ops-key-0123456789"),
                        ],
                        &body,
                    );
                    assert_eq!(r.status, 200, "{}", r.text());
                    let v = r.json();
                    let m = &v["matches"][0];
                    let title = m["title"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("Probe ")
                        .to_owned();
                    let remedy = m["remedy"][0]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("remedy ")
                        .to_owned();
                    assert_eq!(title, remedy, "an answer mixes two pack versions");
                    seen.lock().unwrap().insert(title);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let admin = |s: &Server| {
        request(
            &s.addr,
            "POST",
            "/v1/admin/reload",
            &[("Authorization", "Bearer ops-key-0123456789")],
            b"",
        )
    };
    let mut failed = 0;
    for i in 0..50 {
        let text = match i % 4 {
            0 => probe_pack("beta"),
            2 => probe_pack("alpha"),
            _ => "format = 1\nid = \"probe\"\n[[entries]\n".to_owned(), // broken TOML
        };
        write_atomic(&pack.join("pack.toml"), &text);
        let r = admin(&s);
        if i % 2 == 1 {
            assert_eq!((r.status, r.error_kind().as_str()), (422, "reload-failed"));
            failed += 1;
            let ready = s.get("/readyz").json();
            assert_eq!(ready["last_reload"]["result"], "failed");
            assert!(ready["last_reload"]["errors"][0]["line"].as_u64().unwrap() > 0);
        } else {
            assert_eq!(r.status, 200, "{}", r.text());
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let total: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert!(total > 20, "only {total} requests during the reloads");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.contains("alpha") && seen.contains("beta"), "{seen:?}");
    let m = request(
        &s.addr,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer ops-key-0123456789")],
        b"",
    )
    .text();
    assert!(
        m.contains(&format!(
            "fixbook_reloads_total{{trigger=\"admin\",result=\"failed\"}} {failed}"
        )),
        "{m}"
    );
    assert!(m.contains("fixbook_reload_last_success 0"), "{m}");
}

fn wait_for_title(s: &Server, title: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let r = s.post_json("/v1/search", &json!({ "text": "fixbook reload probe" }));
        if r.json()["matches"][0]["title"] == title {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn sighup_and_watch_reload_the_packs() {
    let dir = tmp("sighup");
    let pack = dir.join("probe");
    std::fs::create_dir_all(&pack).unwrap();
    write_atomic(&pack.join("pack.toml"), &probe_pack("alpha"));
    let s = Server::start(
        "sighup",
        &["--no-builtin", "--packs", pack.to_str().unwrap()],
        None,
    );
    assert!(wait_for_title(&s, "Probe alpha"));
    let before = s.get("/readyz").json()["content_hash"].clone();
    write_atomic(&pack.join("pack.toml"), &probe_pack("beta"));
    s.signal("HUP");
    assert!(wait_for_title(&s, "Probe beta"), "SIGHUP did not reload");
    let ready = s.get("/readyz").json();
    assert_eq!(ready["last_reload"]["trigger"], "sighup");
    assert_ne!(ready["content_hash"], before);
    drop(s);

    let dir = tmp("watch");
    let pack = dir.join("probe");
    std::fs::create_dir_all(&pack).unwrap();
    write_atomic(&pack.join("pack.toml"), &probe_pack("alpha"));
    let s = Server::start(
        "watch",
        &["--watch", "--no-builtin", "--packs", pack.to_str().unwrap()],
        None,
    );
    std::thread::sleep(Duration::from_millis(300));
    write_atomic(&pack.join("pack.toml"), &probe_pack("gamma"));
    assert!(wait_for_title(&s, "Probe gamma"), "--watch did not reload");
    // a broken save keeps the served set, and readyz says so
    std::fs::write(pack.join("pack.toml"), "format = 1\n[[entries]\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = s.get("/readyz").json();
        if ready["last_reload"]["result"] == "failed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broken save was not noticed: {ready}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(wait_for_title(&s, "Probe gamma"));
}

#[test]
fn openapi_is_served_and_names_every_route() {
    let s = Server::start("openapi", &[], None);
    let r = s.get("/openapi.json");
    assert_eq!(r.status, 200);
    let committed = std::fs::read(root().join("schema/openapi.json")).unwrap();
    assert!(
        r.body == committed,
        "served /openapi.json differs from schema/openapi.json"
    );
    let v = r.json();
    for p in [
        "/v1/search",
        "/v1/diagnose",
        "/v1/diagnose/batch",
        "/v1/entries/{pack}/{entry}",
        "/v1/packs",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/admin/reload",
        "/v1/feedback",
        "/v1/gaps",
    ] {
        assert!(v["paths"][p].is_object(), "{p} missing");
    }
    // responses are compressed when the client asks
    let r = request(
        &s.addr,
        "GET",
        "/openapi.json",
        &[("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.header("x-request-id").is_some());
}
