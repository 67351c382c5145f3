//! The engine as an embedding application uses it: hostile query text, large input,
//! Unicode, facts of the wrong type, concurrent queries during reloads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;
use support::copy_dir;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use fixbook::{Engine, ErrorKind, Query, Verdict};

fn engine() -> Engine {
    Engine::builder()
        .builtin(true)
        .build()
        .expect("embedded packs load")
}

#[test]
fn query_syntax_characters_never_fail_or_change_meaning() {
    let e = engine();
    let plain = e.search("Session token not found or invalid", 5);
    assert_eq!(
        plain.matches[0].id,
        "aws-iam-identity-center/session-token-invalid"
    );
    for q in [
        "error: Session token not found or invalid",
        "\"Session token not found or invalid\"",
        "(Session token not found or invalid",
        "Session AND token OR not found NOT invalid",
        "-Session +token* not~2 found^3 [or] {invalid}",
        "title:Session token:not found:or invalid\\",
    ] {
        let d = e.search(q, 5);
        assert_eq!(
            d.matches.first().map(|m| m.id.as_str()),
            Some("aws-iam-identity-center/session-token-invalid"),
            "{q}"
        );
    }
    for q in [
        "",
        " ",
        ":",
        "\"",
        "(",
        ")",
        "AND",
        "-",
        "*",
        "\"\"\"",
        "((((",
        "AND OR NOT",
        "\u{0}",
    ] {
        let d = e.search(q, 5);
        assert!(
            d.matches.is_empty(),
            "{q:?} matched {:?}",
            d.matches.first().map(|m| &m.id)
        );
    }
}

#[test]
fn a_ten_megabyte_query_gets_an_answer() {
    let e = engine();
    let mut text = "lorem ipsum dolor sit amet ".repeat(400_000);
    text.push_str("Session token not found or invalid");
    assert!(text.len() > 10_000_000);
    let d = e.search(&text, 3);
    assert_eq!(
        d.matches[0].id,
        "aws-iam-identity-center/session-token-invalid"
    );
    assert!(
        d.notes.iter().any(|n| n.contains("word search")),
        "{:?}",
        d.notes
    );
}

#[test]
fn odd_unicode_and_binary_input_are_answered() {
    let e = engine();
    let d = e.search(
        "Session\u{00A0}token\u{200B} not found\u{2009}or invalid \u{1F600}",
        3,
    );
    assert_eq!(
        d.matches[0].id,
        "aws-iam-identity-center/session-token-invalid"
    );
    let (text, note) = fixbook::matcher::decode_lossy(
        b"\xff\xfe\x00binary\x00 Session token not found or invalid",
    );
    assert!(note.is_some());
    assert_eq!(
        e.search(&text, 3).matches[0].id,
        "aws-iam-identity-center/session-token-invalid"
    );
    for s in [
        "\u{202E}\u{0301}\u{FFFF}",
        "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ",
        &"\u{0301}".repeat(10_000),
    ] {
        let _ = e.search(s, 3);
    }
}

#[test]
fn facts_decide_causes_and_missing_facts_become_questions() {
    let e = engine();
    let base = "An unexpected error has occurred after signing in through Okta with SAML";
    let d = e.diagnose(&Query::new(base)).unwrap();
    let top = &d.matches[0];
    assert_eq!(
        top.id,
        "aws-iam-identity-center/external-idp-unexpected-error"
    );
    assert!(
        top.causes.iter().all(|c| c.verdict != Verdict::Confirmed),
        "no fact, no confirmation"
    );
    assert!(!d.questions.is_empty());
    let fact = e
        .fact("saml.nameid_format")
        .expect("the pack declares saml.nameid_format");
    assert!(fact.values.iter().any(|v| v != "email"));
    let other = fact.values.iter().find(|v| *v != "email").unwrap().clone();
    let d = e
        .diagnose(&Query::new(base).fact("saml.nameid_format", other.as_str()))
        .unwrap();
    let confirmed: Vec<&str> = d.matches[0]
        .causes
        .iter()
        .filter(|c| c.verdict == Verdict::Confirmed)
        .map(|c| c.id.as_str())
        .collect();
    assert!(!confirmed.is_empty());
    assert!(
        d.questions.iter().all(|q| q.fact != "saml.nameid_format"),
        "an answered fact is not asked again"
    );
}

#[test]
fn a_fact_of_the_wrong_type_is_a_clear_error() {
    let e = engine();
    let q = Query::new("An unexpected error has occurred").fact("saml.nameid_format", 42_i64);
    let err = e.diagnose(&q).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Fact);
    let msg = err.to_string();
    assert!(
        msg.contains("saml.nameid_format") && msg.contains("enum"),
        "{msg}"
    );
}

#[test]
fn the_trace_explains_why_and_why_not() {
    let e = engine();
    let d = e
        .diagnose(&Query::new("Session token not found or invalid").with_trace())
        .unwrap();
    let t = d.trace.expect("trace asked for");
    assert!(t
        .candidates
        .iter()
        .any(|c| c.accepted && !c.signatures.is_empty()));
    assert!(t
        .candidates
        .iter()
        .any(|c| !c.accepted && !c.reason.is_empty()));
}

#[test]
fn reload_under_concurrent_queries_is_atomic_and_keeps_the_old_set_on_failure() {
    let dir = std::env::temp_dir().join(format!("fixbook-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/packs/full");
    copy_dir(&full, &dir);
    let engine = Arc::new(
        Engine::builder()
            .builtin(false)
            .pack_dir(&dir)
            .build()
            .unwrap(),
    );
    let expected = engine.search("Your card was declined", 3);
    assert_eq!(expected.matches[0].id, "webshop/card-declined");
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (engine, stop, expected) = (engine.clone(), stop.clone(), expected.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let d = engine.search("Your card was declined", 3);
                    assert_eq!(d, expected, "every answer comes from one consistent set");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let entries = dir.join("entries/payments.toml");
    let good = std::fs::read_to_string(&entries).unwrap();
    for i in 0..20 {
        if i % 2 == 0 {
            std::fs::write(
                &entries,
                good.replace("your card was declined", "(unclosed"),
            )
            .unwrap();
            assert!(engine.reload().is_err(), "a broken reload fails");
        } else {
            std::fs::write(&entries, &good).unwrap();
            engine.reload().expect("a good reload succeeds");
        }
    }
    stop.store(true, Ordering::Relaxed);
    let total: usize = workers
        .into_iter()
        .map(|w| w.join().expect("no panic"))
        .sum();
    assert!(total > 0);
    assert_eq!(engine.packs().len(), 1);
}

/// The confidence of entry `id` in an answer (0 when it is not among the matches).
fn confidence_of(d: &fixbook::Diagnosis, id: &str) -> f32 {
    d.matches
        .iter()
        .find(|m| m.id == id)
        .map_or(0.0, |m| m.confidence)
}

#[test]
fn a_ruled_out_defining_symptom_leaves_its_entry_far_below_the_other() {
    let e = engine();
    let text = "An unexpected error has occurred";
    let app = "aws-iam-identity-center/authenticator-app-unexpected-error";
    let idp = "aws-iam-identity-center/external-idp-unexpected-error";
    // the two entries share the message: with nothing known they are about as likely
    let before = e.diagnose(&Query::new(text)).unwrap();
    let (a, i) = (confidence_of(&before, app), confidence_of(&before, idp));
    assert!((a - i).abs() < 0.1, "comparable: {a} vs {i}");
    // the error follows the external IdP sign-in: the authenticator-app symptom is ruled out
    let after = e
        .diagnose(&Query::new(text).fact("signin.stage", "external-idp"))
        .unwrap();
    assert_eq!(after.matches[0].id, idp);
    let (a, i) = (confidence_of(&after, app), confidence_of(&after, idp));
    assert!(i >= 0.9, "now sure of the external-IdP entry: {i}");
    assert!(a < 0.05, "the authenticator-app entry is near zero: {a}");
}

#[test]
fn a_confirmed_cause_raises_its_entry() {
    let e = engine();
    let text = "An unexpected error has occurred";
    let idp = "aws-iam-identity-center/external-idp-unexpected-error";
    let q = Query::new(text).fact("signin.stage", "external-idp");
    let open = confidence_of(&e.diagnose(&q).unwrap(), idp);
    let confirmed = e
        .diagnose(&q.fact("saml.nameid_format", "persistent"))
        .unwrap();
    assert!(confirmed.matches[0]
        .causes
        .iter()
        .any(|c| c.verdict == Verdict::Confirmed));
    assert!(confidence_of(&confirmed, idp) > open);
}

#[test]
fn with_an_external_idp_and_nothing_else_known_abac_is_not_asked_first() {
    let e = engine();
    let q = Query::new("An unexpected error has occurred").fact("identity.source", "external-idp");
    let d = e.diagnose(&q).unwrap();
    let at = |fact: &str| d.questions.iter().position(|q| q.fact == fact);
    assert!(
        !d.questions[0].fact.starts_with("abac."),
        "{:?}",
        d.questions[0]
    );
    let abac = at("abac.enabled").expect("ABAC is still a question");
    assert!(at("saml.nameid_format").unwrap() < abac);
    assert!(at("user.provisioned").unwrap() < abac);
    // the answer to the first question is expected to tell the most
    for w in d.questions.windows(2) {
        assert!(w[0].information >= w[1].information);
    }
    // once the stage is known, the first question is about the user or the NameID format
    let d = e.diagnose(&q.fact("signin.stage", "external-idp")).unwrap();
    assert!(
        ["user.provisioned", "saml.nameid_format"].contains(&d.questions[0].fact.as_str()),
        "{:?}",
        d.questions[0]
    );
}
