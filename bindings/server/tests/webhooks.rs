//! The webhook adapters end to end: the real `fixbook serve` receives each vendor's payload
//! (built from the vendor's published format), signed correctly, wrongly or not at all, and
//! writes its note back to a recording HTTP server on loopback started by the test, which
//! checks the request the vendor's API would get (method, path, credentials, internal flag,
//! body). Every server is stopped by the test, by process id.
//!
//! Built as a test of the CLI crate, like `server.rs`: `cargo test -p fixbook-cli --test webhooks`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fixbook_server::webhooks::signature::{
    format_rfc3339, hub_signature, now_secs, zendesk_signature,
};
use serde_json::{json, Value};
use support::*;

const TOKEN_TEXT: &str = "Session token not found or invalid";
const TOKEN_ID: &str = "aws-iam-identity-center/session-token-invalid";
const PRINTER: &str = "The printer on the third floor reports 'Paper jam in tray 2' again";

/// One request the recorder received.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn basic(&self) -> (String, String) {
        let h = self.header("authorization").expect("no Authorization");
        let b = h.strip_prefix("Basic ").expect("not basic auth");
        let s = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap())
            .unwrap();
        let (u, p) = s.split_once(':').unwrap();
        (u.to_owned(), p.to_owned())
    }
}

/// A small HTTP/1.1 server on loopback that records every request and answers the statuses
/// queued in `statuses` (then 201).
struct Recorder {
    addr: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        let (reqs, stats) = (requests.clone(), statuses.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(r) = read_request(&mut stream) else {
                    continue;
                };
                let status = stats.lock().unwrap().pop_front().unwrap_or(201);
                reqs.lock().unwrap().push(r);
                let body = "{}";
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Recorder {
            addr,
            requests,
            statuses,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until at least `n` requests were recorded; returns them all.
    fn wait_for(&self, n: usize) -> Vec<Recorded> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.requests.lock().unwrap().clone();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// The requests recorded for `path`.
    fn to_path(&self, path: &str) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Recorded> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

/// `fixbook serve` with `config` and the test's credentials in its environment.
fn serve(name: &str, config: &str) -> Server {
    Server::start_with_env(
        &format!("hooks-{name}"),
        &[],
        Some(config),
        &[
            ("FIXBOOK_LOG", "fixbook_server=info"),
            ("T_USER", "agent@example.com"),
            ("T_PASSWORD", "pw-0123"),
            ("T_TOKEN", "tok-4567"),
            ("T_SECRET", "s3cret-89ab"),
        ],
    )
}

fn all_sources(writeback: &str) -> String {
    format!(
        r#"
[webhooks.zendesk]
writeback_url = "{writeback}"
username_env = "T_USER"
token_env = "T_TOKEN"
secret_env = "T_SECRET"

[webhooks.jira]
writeback_url = "{writeback}"
username_env = "T_USER"
token_env = "T_TOKEN"
secret_env = "T_SECRET"

[webhooks.github]
writeback_url = "{writeback}"
token_env = "T_TOKEN"
secret_env = "T_SECRET"

[webhooks.freshdesk]
writeback_url = "{writeback}"
token_env = "T_TOKEN"
secret_env = "T_SECRET"

[webhooks.generic]
writeback_url = "{writeback}/notes"
token_env = "T_TOKEN"
template = "fixbook for {{ticket}}: {{id}} ({{confidence}})"
"#
    )
}

fn post(s: &Server, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut h = vec![("Content-Type", "application/json")];
    h.extend_from_slice(headers);
    s.post_raw(path, &h, body)
}

fn waits_for_log(s: &Server, needle: &[&str]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let log = std::fs::read_to_string(&s.stderr).unwrap_or_default();
        if log.lines().any(|l| needle.iter().all(|n| l.contains(n))) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn zendesk_event(id: &str, kind: &str, detail: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": kind, "id": id, "time": format_rfc3339(now_secs()),
        "account_id": 1, "subject": "zen:ticket:123", "zendesk_event_version": "2022-11-06",
        "detail": detail, "event": {},
    }))
    .unwrap()
}

#[test]
fn zendesk_tickets_get_a_private_comment_and_bad_signatures_are_refused() {
    let rec = Recorder::start();
    let s = serve("zendesk", &all_sources(&rec.url()));
    let body = zendesk_event(
        "01HEVENT1",
        "zen:event-type:ticket.created",
        json!({"id": "123", "subject": "Can't sign in",
               "description": format!("<p>The portal says <b>{TOKEN_TEXT}</b></p>"),
               "status": "NEW", "requester_id": "1"}),
    );
    let ts = format_rfc3339(now_secs());
    let sig = zendesk_signature(b"s3cret-89ab", &ts, &body);
    let signed = [
        ("X-Zendesk-Webhook-Signature", sig.as_str()),
        ("X-Zendesk-Webhook-Signature-Timestamp", ts.as_str()),
    ];

    // missing, wrong and stale signatures: 401, nothing written
    let r = post(&s, "/v1/webhooks/zendesk", &[], &body);
    assert_eq!((r.status, r.error_kind().as_str()), (401, "unauthorized"));
    let wrong = zendesk_signature(b"not-the-secret", &ts, &body);
    let r = post(
        &s,
        "/v1/webhooks/zendesk",
        &[signed[1], ("X-Zendesk-Webhook-Signature", &wrong)],
        &body,
    );
    assert_eq!(r.status, 401, "{}", r.text());
    let old = format_rfc3339(now_secs() - 3600);
    let old_sig = zendesk_signature(b"s3cret-89ab", &old, &body);
    let r = post(
        &s,
        "/v1/webhooks/zendesk",
        &[
            ("X-Zendesk-Webhook-Signature", &old_sig),
            ("X-Zendesk-Webhook-Signature-Timestamp", &old),
        ],
        &body,
    );
    assert_eq!(r.status, 401);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stale"),
        "{}",
        r.text()
    );

    let r = post(&s, "/v1/webhooks/zendesk", &signed, &body);
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json()["status"], "queued");
    let got = rec.wait_for(1);
    assert_eq!(got.len(), 1, "{got:?}");
    let w = &got[0];
    assert_eq!(
        (w.method.as_str(), w.path.as_str()),
        ("PUT", "/api/v2/tickets/123.json")
    );
    assert_eq!(
        w.basic(),
        ("agent@example.com/token".into(), "tok-4567".into())
    );
    let comment = &w.body["ticket"]["comment"];
    assert_eq!(comment["public"], false);
    let note = comment["body"].as_str().unwrap();
    assert!(note.contains(&format!("[{TOKEN_ID}]")), "{note}");
    assert!(
        note.contains("\n1. ") && note.contains("Ask the customer: "),
        "{note}"
    );

    // the same delivery again: acknowledged, no second note
    let r = post(&s, "/v1/webhooks/zendesk", &signed, &body);
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (202, Some("duplicate"))
    );
    // a status change to solved is acknowledged, and writes no note
    let solved = serde_json::to_vec(&json!({"type": "zen:event-type:ticket.status_changed",
        "id": "01HEVENT2", "detail": {"id": "123"}, "event": {"current": "SOLVED", "previous": "OPEN"}}))
    .unwrap();
    let sig = zendesk_signature(b"s3cret-89ab", &ts, &solved);
    let r = post(
        &s,
        "/v1/webhooks/zendesk",
        &[("X-Zendesk-Webhook-Signature", &sig), signed[1]],
        &solved,
    );
    assert_eq!(r.status, 202, "{}", r.text());
    // a payload without the subject: 400 naming the field
    let bad = zendesk_event(
        "01HEVENT3",
        "zen:event-type:ticket.created",
        json!({"id": "124"}),
    );
    let sig = zendesk_signature(b"s3cret-89ab", &ts, &bad);
    let r = post(
        &s,
        "/v1/webhooks/zendesk",
        &[("X-Zendesk-Webhook-Signature", &sig), signed[1]],
        &bad,
    );
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (400, "invalid-payload")
    );
    assert_eq!(r.json()["error"]["field"], "detail.subject");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(rec.count(), 1, "{:?}", rec.wait_for(2));
}

#[test]
fn jira_and_github_use_sha256_hub_signatures() {
    let rec = Recorder::start();
    let s = serve("hub", &all_sources(&rec.url()));
    // Jira: jira:issue_created, X-Hub-Signature
    let jira = serde_json::to_vec(&json!({
        "timestamp": 1_700_000_000_000u64, "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "issue": {"id": "10001", "key": "SUP-7", "fields": {
            "summary": "SSO login broken", "description": format!("Customer sees: {TOKEN_TEXT}"),
            "resolution": null}},
    }))
    .unwrap();
    let sig = hub_signature(b"s3cret-89ab", &jira);
    let r = post(&s, "/v1/webhooks/jira", &[], &jira);
    assert_eq!(r.status, 401);
    let r = post(
        &s,
        "/v1/webhooks/jira",
        &[("X-Hub-Signature", "sha256=00ff")],
        &jira,
    );
    assert_eq!(r.status, 401);
    let r = post(&s, "/v1/webhooks/jira", &[("X-Hub-Signature", &sig)], &jira);
    assert_eq!(r.status, 202, "{}", r.text());
    let w = rec.wait_for(1).remove(0);
    assert_eq!(
        (w.method.as_str(), w.path.as_str()),
        ("POST", "/rest/servicedeskapi/request/SUP-7/comment")
    );
    assert_eq!(w.basic(), ("agent@example.com".into(), "tok-4567".into()));
    assert_eq!(w.body["public"], false);
    assert!(w.body["body"].as_str().unwrap().contains(TOKEN_ID));

    // GitHub: issues/opened, X-Hub-Signature-256 (the Jira header does not do)
    let gh = serde_json::to_vec(&json!({
        "action": "opened",
        "issue": {"number": 42, "title": TOKEN_TEXT, "body": "After lunch the CLI says so.",
                  "state": "open", "user": {"login": "octocat"}},
        "repository": {"full_name": "acme/portal", "name": "portal"},
        "sender": {"login": "octocat"},
    }))
    .unwrap();
    let sig = hub_signature(b"s3cret-89ab", &gh);
    let event = ("X-GitHub-Event", "issues");
    let r = post(
        &s,
        "/v1/webhooks/github",
        &[event, ("X-Hub-Signature", &sig)],
        &gh,
    );
    assert_eq!(r.status, 401);
    let delivery = ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    let signed = [event, delivery, ("X-Hub-Signature-256", &sig)];
    let r = post(&s, "/v1/webhooks/github", &signed, &gh);
    assert_eq!(r.status, 202, "{}", r.text());
    let w = rec.wait_for(2).remove(1);
    assert_eq!(
        (w.method.as_str(), w.path.as_str()),
        ("POST", "/repos/acme/portal/issues/42/comments")
    );
    assert_eq!(w.header("authorization"), Some("Bearer tok-4567"));
    assert_eq!(w.header("accept"), Some("application/vnd.github+json"));
    assert!(w.body["body"].as_str().unwrap().contains(TOKEN_ID));
    // redelivered (GitHub's "Redeliver" button sends the same delivery id): no second comment
    let r = post(&s, "/v1/webhooks/github", &signed, &gh);
    assert_eq!(r.json()["status"], "duplicate");
    // other events and actions are acknowledged and ignored
    let ping = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    let sig = hub_signature(b"s3cret-89ab", ping);
    let r = post(
        &s,
        "/v1/webhooks/github",
        &[("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", &sig)],
        ping,
    );
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (202, Some("ignored"))
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(rec.count(), 2);
}

#[test]
fn freshdesk_and_generic_take_a_shared_secret_and_html() {
    let rec = Recorder::start();
    let s = serve("shared", &all_sources(&rec.url()));
    let fd = serde_json::to_vec(&json!({"freshdesk_webhook": {
        "ticket_id": 9, "ticket_subject": "Login problem",
        "ticket_description": format!("<div>Hello,</div><div>I get &quot;{TOKEN_TEXT}&quot;</div>"),
        "ticket_status": "Open"}}))
    .unwrap();
    let r = post(&s, "/v1/webhooks/freshdesk", &[], &fd);
    assert_eq!(r.status, 401);
    let r = post(
        &s,
        "/v1/webhooks/freshdesk",
        &[("X-Fixbook-Webhook-Secret", "nope")],
        &fd,
    );
    assert_eq!(r.status, 401);
    let r = post(
        &s,
        "/v1/webhooks/freshdesk",
        &[("X-Fixbook-Webhook-Secret", "s3cret-89ab")],
        &fd,
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let w = rec.wait_for(1).remove(0);
    assert_eq!(
        (w.method.as_str(), w.path.as_str()),
        ("POST", "/api/v2/tickets/9/notes")
    );
    assert_eq!(w.basic(), ("tok-4567".into(), "X".into()));
    assert_eq!(w.body["private"], true);
    let html = w.body["body"].as_str().unwrap();
    assert!(html.contains(TOKEN_ID) && html.contains("<br>"), "{html}");

    // generic: no secret configured (and no API keys): open on loopback; the template is used
    let g = json!({"id": "T-1", "subject": "help", "body": format!("<p>{TOKEN_TEXT}</p>"), "html": true});
    let r = s.post_json("/v1/webhooks/generic", &g);
    assert_eq!(r.status, 202, "{}", r.text());
    let w = rec.wait_for(2).remove(1);
    assert_eq!((w.method.as_str(), w.path.as_str()), ("POST", "/notes"));
    assert_eq!(w.header("authorization"), Some("Bearer tok-4567"));
    assert_eq!(w.body["ticket"], "T-1");
    assert_eq!(w.body["internal"], true);
    let note = w.body["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!("fixbook for T-1: {TOKEN_ID} (")),
        "{note}"
    );

    // a printer jam matches nothing: no note
    let r = s.post_json(
        "/v1/webhooks/generic",
        &json!({"id": "T-2", "subject": "printer", "body": PRINTER}),
    );
    assert_eq!(r.status, 202);
    assert!(waits_for_log(
        &s,
        &["no note: nothing matched", "ticket=T-2"]
    ));
    // the field a payload lacks is named
    let r = s.post_json("/v1/webhooks/generic", &json!({"subject": "x"}));
    assert_eq!(
        (r.status, r.error_kind().as_str()),
        (400, "invalid-payload")
    );
    assert_eq!(r.json()["error"]["field"], "id");
    let r = post(&s, "/v1/webhooks/generic", &[], b"{not json");
    assert_eq!((r.status, r.error_kind().as_str()), (400, "invalid-json"));
    // unknown and unconfigured sources
    let r = s.post_json("/v1/webhooks/servicenow", &json!({}));
    assert_eq!((r.status, r.error_kind().as_str()), (404, "not-found"));
    let r = s.post_json("/v1/webhooks/django-helpdesk", &json!({}));
    assert_eq!(r.status, 404);
    assert!(
        r.text().contains("[webhooks.django-helpdesk]"),
        "{}",
        r.text()
    );
    assert_eq!(rec.count(), 2);
}

#[test]
fn write_backs_are_retried_with_backoff_and_given_up_on_client_errors() {
    let rec = Recorder::start();
    // two failures the helpdesk may recover from, then success
    rec.statuses.lock().unwrap().extend([503, 502]);
    let config = format!(
        "[webhooks.generic]\nwriteback_url = \"{}/retry\"\nretry_base_ms = 100\nmax_attempts = 4\n",
        rec.url()
    );
    let s = serve("retry", &config);
    let start = Instant::now();
    let r = s.post_json(
        "/v1/webhooks/generic",
        &json!({"id": "R-1", "body": TOKEN_TEXT}),
    );
    assert_eq!(r.status, 202);
    let got = rec.wait_for(3);
    assert_eq!(got.len(), 3, "{got:?}");
    // waits of 100 ms and 200 ms between the attempts
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert!(got.iter().all(|r| r.body == got[0].body));
    assert!(waits_for_log(
        &s,
        &["note written", "ticket=R-1", "attempt=3"]
    ));

    // a 403 is not retried; the claim is released so a redelivery tries again
    rec.statuses.lock().unwrap().push_back(403);
    let t = json!({"id": "R-2", "body": TOKEN_TEXT});
    assert_eq!(s.post_json("/v1/webhooks/generic", &t).status, 202);
    assert!(waits_for_log(&s, &["write-back gave up", "ticket=R-2"]));
    assert_eq!(rec.count(), 4);
    let r = s.post_json("/v1/webhooks/generic", &t);
    assert_eq!(r.json()["status"], "queued", "{}", r.text());
    assert_eq!(rec.wait_for(5).len(), 5);
    assert_eq!(rec.to_path("/retry").len(), 5);
}

#[test]
fn with_api_keys_an_unsigned_source_needs_a_webhooks_key() {
    let rec = Recorder::start();
    let config = format!(
        "[[keys]]\nname = \"hook\"\nkey = \"hook-0123456789abcdef\"\nscopes = [\"webhooks\"]\n\
         [[keys]]\nname = \"reader\"\nkey = \"read-0123456789abcdef\"\n\
         [webhooks.generic]\nwriteback_url = \"{}\"\n",
        rec.url()
    );
    let s = serve("keys", &config);
    let body = serde_json::to_vec(&json!({"id": "K-1", "body": TOKEN_TEXT})).unwrap();
    assert_eq!(post(&s, "/v1/webhooks/generic", &[], &body).status, 401);
    let r = post(
        &s,
        "/v1/webhooks/generic",
        &[("Authorization", "Bearer read-0123456789abcdef")],
        &body,
    );
    assert_eq!(r.status, 403);
    let r = post(
        &s,
        "/v1/webhooks/generic",
        &[("Authorization", "Bearer hook-0123456789abcdef")],
        &body,
    );
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(rec.wait_for(1).len(), 1);
}

#[test]
fn a_config_naming_an_unset_variable_or_unknown_source_does_not_start() {
    for (config, needle) in [
        (
            "[webhooks.zendesk]\nwriteback_url = \"https://x.zendesk.com\"\nusername_env = \"T_USER\"\ntoken_env = \"FIXBOOK_SURELY_UNSET\"\n",
            "FIXBOOK_SURELY_UNSET is not set",
        ),
        ("[webhooks.servicenow]\nwriteback_url = \"https://x\"\n", "no adapter for `servicenow`"),
        ("[webhooks.generic]\nwriteback_url = \"https://x\"\ntemplate = \"{title}\"\n", "{id}"),
    ] {
        let dir = tmp("bad-config");
        let cfg = dir.join("server.toml");
        std::fs::write(&cfg, config).unwrap();
        let o = fixbook()
            .args(["serve", "--listen", "127.0.0.1:0", "--no-cache", "--config"])
            .arg(&cfg)
            .env("T_USER", "u")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{err}");
    }
}

/// How many resolutions of `entry` the store holds, from the trace's prior.
fn resolved_count(s: &Server, text: &str, entry: &str) -> u64 {
    let d = s
        .post_json("/v1/diagnose", &json!({"text": text, "trace": true}))
        .json();
    d["trace"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == entry)
        .and_then(|c| c["prior"]["resolved"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_solved_ticket_with_a_note_is_recorded_as_feedback_once() {
    let rec = Recorder::start();
    let dir = tmp("hooks-outcomes");
    let db = dir.join("outcomes.db");
    let config = format!(
        "[outcomes]\npath = \"{}\"\n{}",
        db.display(),
        all_sources(&rec.url())
    );
    let s = serve("outcomes", &config);
    assert_eq!(resolved_count(&s, TOKEN_TEXT, TOKEN_ID), 0);
    let gh = |action: &str, number: u64| {
        serde_json::to_vec(&json!({
            "action": action,
            "issue": {"number": number, "title": TOKEN_TEXT, "body": "", "state_reason":
                      if action == "closed" { json!("completed") } else { Value::Null }},
            "repository": {"full_name": "acme/portal"},
        }))
        .unwrap()
    };
    let send = |body: &[u8]| {
        let sig = hub_signature(b"s3cret-89ab", body);
        post(
            &s,
            "/v1/webhooks/github",
            &[("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", &sig)],
            body,
        )
    };
    // closing an issue fixbook never noted records nothing
    let r = send(&gh("closed", 7));
    assert_eq!(r.json()["status"], "ignored", "{}", r.text());
    // opened -> note; closed as completed -> one resolution of the noted entry
    assert_eq!(send(&gh("opened", 8)).status, 202);
    assert_eq!(rec.wait_for(1).len(), 1);
    assert!(waits_for_log(&s, &["note written", "ticket=acme/portal#8"]));
    let r = send(&gh("closed", 8));
    let v = r.json();
    assert_eq!(
        (v["status"].as_str(), v["entry"].as_str()),
        (Some("recorded"), Some(TOKEN_ID)),
        "{v}"
    );
    let r = send(&gh("closed", 8));
    assert_eq!(r.json()["status"], "duplicate");
    assert_eq!(resolved_count(&s, TOKEN_TEXT, TOKEN_ID), 1);
}
