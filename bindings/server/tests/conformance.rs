//! Parity of the HTTP door: the conformance cases (`tests/data/conformance.toml`), the packs'
//! diagnosis examples and the query corpus asked of the real `fixbook serve`, whose answers
//! must be the bytes the engine renders in process for the same query (what the CLI prints
//! with `--json`), and a few of them compared with the real `fixbook` command.
//!
//! One server and four CLI runs in all, so the test takes seconds. Built as a test of the CLI
//! crate; run with `cargo test -p fixbook-cli --test server_conformance`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/support/conformance.rs"]
mod conformance;
mod support;

use fixbook::{Engine, FactValue, Query};
use serde_json::{json, Value};
use support::*;

/// What `fixbook … --json` prints for a value: pretty JSON and a final newline.
fn printed_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(value).unwrap();
    s.push('\n');
    s.into_bytes()
}

fn cli(args: &[&str]) -> Vec<u8> {
    let o = fixbook().args(args).arg("--no-cache").output().unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    o.stdout
}

/// A JSON string literal holding `bytes` as they are: valid UTF-8 escaped, other bytes raw
/// (how a client with a broken encoder sends them).
fn json_string_of_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for chunk in bytes.utf8_chunks() {
        let escaped = serde_json::to_string(chunk.valid()).unwrap();
        out.extend_from_slice(&escaped.as_bytes()[1..escaped.len() - 1]);
        out.extend_from_slice(chunk.invalid());
    }
    out.push(b'"');
    out
}

/// The HTTP request for a case: `/v1/search` when it has no facts (its bytes as they are),
/// else `/v1/diagnose`.
fn request_for(case: &conformance::Case) -> (&'static str, Vec<u8>) {
    let limit = case
        .limit
        .map(|l| format!(", \"limit\": {l}"))
        .unwrap_or_default();
    if case.facts.is_empty() {
        let mut body = b"{\"text\": ".to_vec();
        body.extend(json_string_of_bytes(&case.bytes()));
        body.extend_from_slice(format!("{limit}}}").as_bytes());
        return ("/v1/search", body);
    }
    let mut req = json!({ "text": case.text.as_deref().unwrap(), "facts": case.facts_json() });
    if let Some(l) = case.limit {
        req["limit"] = json!(l);
    }
    ("/v1/diagnose", serde_json::to_vec(&req).unwrap())
}

/// The engine's own answer for a case, as the server must render it.
fn in_process(engine: &Engine, case: &conformance::Case) -> Result<Vec<u8>, String> {
    if case.facts.is_empty() {
        let limit = case.limit.unwrap_or(0);
        return Ok(printed_bytes(&engine.search_bytes(&case.bytes(), limit)));
    }
    let mut q = Query::new(case.text.clone().unwrap()).limit_or_default(case.limit);
    for (k, v) in case.facts_json() {
        q.facts.insert(k, FactValue::from_json(&v).unwrap());
    }
    engine
        .diagnose(&q)
        .map(|d| printed_bytes(&d))
        .map_err(|e| e.kind().as_str().to_owned())
}

/// An HTTP error's kind as the engine's error kind name.
fn engine_kind(http_kind: &str) -> String {
    match http_kind {
        "invalid-fact" => "fact".into(),
        "invalid-query" => "query".into(),
        other => format!("http:{other}"),
    }
}

#[test]
fn answers_are_the_bytes_the_cli_prints() {
    let s = Server::start("parity", &[], None);
    let engine = Engine::embedded().unwrap();
    let ct = [("Content-Type", "application/json")];
    let cases = conformance::cases();
    let mut answers = Vec::new();
    for case in &cases {
        let (path, body) = request_for(case);
        let r = s.post_raw(path, &ct, &body);
        let want = in_process(&engine, case);
        let answer = if r.status == 200 {
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert!(
                Ok(&r.body) == want.as_ref(),
                "case {:?}: HTTP and the engine differ\nHTTP: {}\nengine: {:?}",
                case.name,
                r.text(),
                want.map(String::from_utf8)
            );
            Ok(r.json())
        } else {
            assert_eq!(r.status, 400, "case {:?}: {}", case.name, r.text());
            let kind = engine_kind(&r.error_kind());
            assert_eq!(Err(&kind), want.as_ref(), "case {:?}", case.name);
            Err(kind)
        };
        answers.push(answer);
    }
    conformance::check_all("http", &cases, &answers);

    // the real command, once for a search and once for a diagnosis with facts
    let search = cases
        .iter()
        .find(|c| c.facts.is_empty() && c.text.is_some())
        .unwrap();
    let text = search.text.as_deref().unwrap();
    let r = s.post_json("/v1/search", &json!({ "text": text }));
    assert!(
        r.body == cli(&["search", "--json", text]),
        "search {text:?}: HTTP and CLI differ"
    );
    let with_facts = cases
        .iter()
        .find(|c| c.error.is_none() && !c.facts.is_empty() && c.limit.is_none())
        .unwrap();
    let text = with_facts.text.as_deref().unwrap();
    let mut args = vec!["diagnose".to_owned(), "--json".to_owned(), text.to_owned()];
    for (k, v) in &with_facts.facts {
        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        args.extend(["--fact".to_owned(), format!("{k}={v}")]);
    }
    let r = s.post_json(
        "/v1/diagnose",
        &json!({ "text": text, "facts": with_facts.facts_json() }),
    );
    assert!(
        r.body == cli(&args.iter().map(String::as_str).collect::<Vec<_>>()),
        "diagnose {text:?}: HTTP and CLI differ"
    );
    // entries and packs as `show --json` and `packs --json`
    let (pack, entry) = ("aws-iam-identity-center", "session-token-invalid");
    let e = s.get(&format!("/v1/entries/{pack}/{entry}"));
    assert_eq!(e.status, 200);
    assert!(e.body == cli(&["show", "--json", &format!("{pack}/{entry}")]));
    let p = s.get("/v1/packs");
    assert!(p.body == cli(&["packs", "--json"]));
}

/// The shipped packs' diagnosis examples: text and facts.
fn pack_examples() -> Vec<(String, serde_json::Map<String, Value>)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root().join("packs")).unwrap() {
        let p = dir.unwrap().path().join("tests/diagnosis.toml");
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let t: toml::Table = toml::from_str(&text).unwrap();
        for ex in t["examples"].as_array().unwrap() {
            let facts = ex
                .get("facts")
                .map(|f| serde_json::to_value(f).unwrap())
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            out.push((ex["text"].as_str().unwrap().to_owned(), facts));
        }
    }
    out
}

fn dev_queries() -> Vec<String> {
    std::fs::read_to_string(root().join("tests/data/dev-queries.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["q"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn pack_examples_corpus_and_batches_answer_as_the_engine_does() {
    let s = Server::start("parity-corpus", &[], None);
    let engine = Engine::embedded().unwrap();
    let queries = dev_queries();
    assert!(queries.len() >= 20);
    for q in &queries {
        let r = s.post_json("/v1/search", &json!({ "text": q }));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        let want = printed_bytes(&engine.search(q, fixbook::DEFAULT_LIMIT));
        assert!(r.body == want, "search {q:?}: HTTP and the engine differ");
    }
    let examples = pack_examples();
    assert!(examples.len() >= 20);
    for (i, (text, facts)) in examples.iter().enumerate() {
        let trace = i % 4 == 0;
        let r = s.post_json(
            "/v1/diagnose",
            &json!({ "text": text, "facts": facts, "trace": trace }),
        );
        assert_eq!(r.status, 200, "{text}: {}", r.text());
        let mut q = Query::new(text.clone());
        q.trace = trace;
        for (k, v) in facts {
            q.facts.insert(k.clone(), FactValue::from_json(v).unwrap());
        }
        let want = printed_bytes(&engine.diagnose(&q).unwrap());
        assert!(
            r.body == want,
            "diagnose {text:?} {facts:?}: HTTP and the engine differ\nHTTP: {}",
            r.text()
        );
    }
    // a batch answers each item as /v1/diagnose does, in order
    let items: Vec<Value> = examples
        .iter()
        .take(6)
        .enumerate()
        .map(|(i, (text, facts))| json!({ "id": format!("t{i}"), "text": text, "facts": facts }))
        .collect();
    let b = s.post_json("/v1/diagnose/batch", &json!({ "items": items }));
    assert_eq!(b.status, 200, "{}", b.text());
    let b = b.json();
    for (i, item) in items.iter().enumerate() {
        let mut single = item.clone();
        single.as_object_mut().unwrap().remove("id");
        let one = s.post_json("/v1/diagnose", &single).json();
        assert_eq!(b["items"][i]["id"], format!("t{i}"));
        assert_eq!(b["items"][i]["diagnosis"], one, "batch item {i}");
    }
}
