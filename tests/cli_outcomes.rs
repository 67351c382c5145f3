//! The outcome store from the command line: `--outcomes DB` after the subcommand,
//! `fixbook feedback`, `fixbook gaps` (text, JSON, `--since`, `--draft`), `explain` showing
//! the prior, and the errors a user can cause.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const IDP: &str = "aws-iam-identity-center/external-idp-unexpected-error";
const MFA: &str = "aws-iam-identity-center/authenticator-app-unexpected-error";
const SHARED_MESSAGE: &str = "An unexpected error has occurred";

/// A fresh folder under the system's temporary folder, removed when dropped.
struct Tmp(PathBuf);

impl std::ops::Deref for Tmp {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tmp(name: &str) -> Tmp {
    let d = std::env::temp_dir().join(format!(
        "fixbook-cli-outcomes-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Tmp(d)
}

fn run(args: &[&str]) -> Output {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let home = tmp(&format!(
        "home-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    Command::new(env!("CARGO_BIN_EXE_fixbook"))
        .args(args)
        .env("FIXBOOK_PACK_PATH", "")
        .env("HOME", &home.0)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("FIXBOOK_CACHE_DIR", "")
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn top(db: &Path, text: &str) -> String {
    let o = run(&["search", "--outcomes", s(db), "--json", text]);
    json(&o)["matches"][0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn feedback_reorders_search_and_explain_shows_the_prior() {
    let d = tmp("rank");
    let db = d.join("o.db");
    let first = top(&db, SHARED_MESSAGE);
    let other = if first == IDP { MFA } else { IDP };
    for i in 0..12 {
        let o = run(&[
            "feedback",
            "--outcomes",
            s(&db),
            other,
            "resolved",
            "--ticket",
            &format!("T-{i}"),
            "--text",
            SHARED_MESSAGE,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = run(&["feedback", "--outcomes", s(&db), &first, "not-resolved"]);
        assert!(o.status.success());
    }
    assert_eq!(top(&db, SHARED_MESSAGE), other);
    // diagnose and scan take the store after the subcommand too
    let o = run(&["diagnose", "--outcomes", s(&db), "--json", SHARED_MESSAGE]);
    assert_eq!(json(&o)["matches"][0]["id"], other);
    let log = d.join("app.log");
    // a generic message needs domain context in a scanned line
    std::fs::write(
        &log,
        format!("10:00 IAM Identity Center sign-in: {SHARED_MESSAGE}\n"),
    )
    .unwrap();
    let o = run(&["scan", "--outcomes", s(&db), "--json", s(&log)]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(other));

    let o = run(&["explain", "--outcomes", s(&db), other, SHARED_MESSAGE]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("resolved 12 of 12 times: +"), "{text}");
    let o = run(&[
        "explain",
        "--outcomes",
        s(&db),
        "--json",
        &first,
        SHARED_MESSAGE,
    ]);
    let v = json(&o);
    assert_eq!(v["candidate"]["prior"]["resolved"], 0);
    assert_eq!(v["candidate"]["prior"]["linked"], 12);
    assert!(v["candidate"]["prior"]["adjustment"].as_f64().unwrap() < 0.0);

    // without the store, nothing changed
    let o = run(&["search", "--json", SHARED_MESSAGE]);
    assert_eq!(json(&o)["matches"][0]["id"], first.as_str());
}

#[test]
fn gaps_report_and_draft_pass_lint_and_test() {
    let d = tmp("gaps");
    let db = d.join("o.db");
    for i in 0..9 {
        let text = format!(
            "nightly export {} to s3 bucket failed for ops{i}@corp.example at 2026-11-0{}T0{i}:00:00Z",
            ["alpha", "beta", "gamma"][i % 3],
            1 + i % 7
        );
        let o = run(&["search", &text, "--outcomes", s(&db)]);
        assert_eq!(o.status.code(), Some(1), "{text} should match nothing");
    }
    run(&[
        "search",
        "--outcomes",
        s(&db),
        "the lift in building seven squeaks",
    ]);
    let o = run(&["gaps", "--outcomes", s(&db), "--json"]);
    assert!(o.status.success());
    let v = json(&o);
    let gaps = v["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 2);
    assert_eq!(
        gaps[0]["template"],
        "nightly export <*> to s3 bucket failed for {email} at {timestamp}"
    );
    assert_eq!(gaps[0]["count"], 9);
    assert_eq!(gaps[0]["examples"].as_array().unwrap().len(), 3);
    for k in ["first_seen", "last_seen"] {
        assert!(gaps[0][k].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(gaps[1]["count"], 1);

    let o = run(&["gaps", "--outcomes", s(&db)]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("9x nightly export <*>"), "{text}");
    let o = run(&[
        "gaps",
        "--outcomes",
        s(&db),
        "--since",
        "2999-01-01",
        "--json",
    ]);
    assert_eq!(json(&o)["gaps"], serde_json::json!([]));

    let pack = d.join("drafts");
    let o = run(&["gaps", "--outcomes", s(&db), "--draft", s(&pack)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["lint", "--deny-warnings", s(&pack)]);
    assert!(
        o.status.success(),
        "lint: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["test", s(&pack)]);
    assert!(
        o.status.success(),
        "test: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    // a second draft into the same folder is refused, the first one kept
    let o = run(&["gaps", "--outcomes", s(&db), "--draft", s(&pack)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already holds a pack"));
}

#[test]
fn user_errors_are_clear() {
    let d = tmp("errors");
    let db = d.join("o.db");
    let o = run(&["feedback", IDP, "resolved"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--outcomes DB"));
    let o = run(&["feedback", "--outcomes", s(&db), IDP, "maybe"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not-resolved"));
    let o = run(&[
        "feedback",
        "--outcomes",
        s(&db),
        "aws-iam-identity-center/nope",
        "resolved",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no entry"));
    let o = run(&["gaps", "--outcomes", s(&db), "--since", "last week"]);
    assert_eq!(o.status.code(), Some(2));
    let junk = d.join("notes.txt");
    std::fs::write(&junk, "meeting notes, not a database\n".repeat(100)).unwrap();
    let o = run(&["search", "--outcomes", s(&junk), SHARED_MESSAGE]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("not an SQLite database") && err.contains("notes.txt"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&junk).unwrap(),
        "meeting notes, not a database\n".repeat(100)
    );
}
