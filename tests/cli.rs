//! End-to-end tests of the `fixbook` command: JSON output, exit codes, stdin, packs on the
//! pack path, authoring commands.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;
use support::copy_dir;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fixbook-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The command with the user's environment neutralised (no pack path, no data folder).
/// Its home is made once per test run and shared: emptying it for each command would pull
/// the index cache and pack snapshots from under commands of tests running at the same time.
fn fixbook() -> Command {
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let mut c = Command::new(env!("CARGO_BIN_EXE_fixbook"));
    let home = HOME.get_or_init(|| tmp("home"));
    c.env("FIXBOOK_PACK_PATH", "")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("XDG_CACHE_HOME")
        .env_remove("FIXBOOK_CACHE_DIR")
        .env_remove("NO_COLOR")
        .current_dir(root());
    c
}

fn run(args: &[&str]) -> Output {
    fixbook().args(args).output().unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = fixbook()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn search_json_has_the_documented_shape() {
    let o = run(&["search", "--json", "Session token not found"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    let m = &v["matches"][0];
    assert_eq!(m["id"], "aws-iam-identity-center/session-token-invalid");
    for key in [
        "id",
        "title",
        "score",
        "confidence",
        "evidence",
        "causes",
        "remedy",
        "questions",
        "references",
    ] {
        assert!(m.get(key).is_some(), "missing {key}");
    }
    assert!(m["confidence"].as_f64().unwrap() > 0.5);
    let v = json(&run(&[
        "search",
        "--json",
        "error: Session token not found or invalid",
    ]));
    let sig = &v["matches"][0]["evidence"]["signatures"][0];
    assert_eq!(
        sig["span"],
        serde_json::json!([7, 41]),
        "span of the message in the normalised text"
    );
}

#[test]
fn unrelated_text_gets_no_match_and_exit_1() {
    let o = run(&[
        "search",
        "--json",
        "The coffee machine on floor 2 is leaking water",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["matches"].as_array().unwrap().len(), 0);
    let o = run(&["search", "The coffee machine on floor 2 is leaking water"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("No known problem"));
}

#[test]
fn stdin_is_read_with_invalid_utf8_replaced_and_noted() {
    let o = run_stdin(
        &["search", "--json", "-"],
        b"\xff\xfeSession token not found or invalid\n",
    );
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(
        v["matches"][0]["id"],
        "aws-iam-identity-center/session-token-invalid"
    );
    assert!(v["notes"][0].as_str().unwrap().contains("UTF-8"));
}

#[test]
fn human_output_has_no_colour_off_a_terminal() {
    let o = run(&["search", "Session token not found"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("Session token"), "{s}");
    assert!(!s.contains('\x1b'), "escape codes off a terminal");
    let o = fixbook()
        .args(["--color", "always", "search", "Session token not found"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains('\x1b'),
        "--color always wins"
    );
}

#[test]
fn diagnose_takes_facts_and_rejects_wrong_types() {
    let text = "An unexpected error has occurred after the Okta SAML sign-in";
    let o = run(&["diagnose", "--json", text]);
    let v = json(&o);
    assert!(!v["questions"].as_array().unwrap().is_empty());
    let fact = v["questions"][0]["fact"].as_str().unwrap().to_owned();
    let choices = v["questions"][0]["choices"].as_array().unwrap().clone();
    assert!(!choices.is_empty(), "first question offers choices");
    let answer = format!("{fact}={}", choices[0].as_str().unwrap());
    let o = run(&["diagnose", "--json", text, "--fact", &answer]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert!(v["questions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["fact"] != fact.as_str()));

    let o = run(&["diagnose", text, "--fact", "saml.nameid_format=42x"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("saml.nameid_format") && err.contains("enum"),
        "{err}"
    );
    let o = run(&["diagnose", text, "--fact", "no.such.fact=1"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn diagnose_reads_a_facts_file_and_interactive_answers() {
    let dir = tmp("facts");
    let f = dir.join("facts.json");
    std::fs::write(&f, r#"{"svc.up": false}"#).unwrap();
    let pack = root().join("tests/packs/hostile");
    let o = run(&[
        "diagnose",
        "--json",
        "--no-builtin",
        "--packs",
        pack.to_str().unwrap(),
        "--facts",
        f.to_str().unwrap(),
        "the service is down",
    ]);
    let v = json(&o);
    let honest = v["matches"][0]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "honest")
        .unwrap()
        .clone();
    assert_eq!(honest["verdict"], "confirmed");

    let o = run_stdin(
        &[
            "diagnose",
            "--json",
            "--no-builtin",
            "--packs",
            pack.to_str().unwrap(),
            "-i",
            "the service is down",
        ],
        b"no\n",
    );
    let v = json(&o);
    let honest = v["matches"][0]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "honest")
        .unwrap()
        .clone();
    assert_eq!(
        honest["verdict"], "confirmed",
        "the interactive answer was used"
    );
}

#[test]
fn a_facts_file_that_rules_out_a_shared_message_entry_leaves_it_far_below() {
    let dir = tmp("stage-facts");
    let f = dir.join("facts.toml");
    std::fs::write(&f, "\"signin.stage\" = \"external-idp\"\n").unwrap();
    let o = run(&[
        "diagnose",
        "--json",
        "--facts",
        f.to_str().unwrap(),
        "An unexpected error has occurred",
    ]);
    let v = json(&o);
    let conf = |id: &str| {
        v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .map_or(0.0, |m| m["confidence"].as_f64().unwrap())
    };
    assert_eq!(
        v["matches"][0]["id"],
        "aws-iam-identity-center/external-idp-unexpected-error"
    );
    assert!(conf("aws-iam-identity-center/external-idp-unexpected-error") >= 0.9);
    assert!(conf("aws-iam-identity-center/authenticator-app-unexpected-error") < 0.05);
}

#[test]
fn packs_come_from_builtin_pack_path_and_flags() {
    let v = json(&run(&["packs", "--json"]));
    let packs = v["packs"].as_array().unwrap();
    assert!(packs
        .iter()
        .any(|p| p["id"] == "aws-iam-identity-center" && p["origin"]["kind"] == "builtin"));

    let full = root().join("tests/packs/full");
    let o = fixbook()
        .args(["packs", "--json"])
        .env("FIXBOOK_PACK_PATH", &full)
        .output()
        .unwrap();
    let v = json(&o);
    assert!(v["packs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "webshop" && p["origin"]["kind"] == "dir"));

    let v = json(&run(&[
        "packs",
        "--json",
        "--no-builtin",
        "--packs",
        full.to_str().unwrap(),
    ]));
    let ids: Vec<&str> = v["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["webshop"]);
}

#[test]
fn a_packs_folder_without_a_pack_is_an_error_but_the_pack_path_may_be_empty() {
    let dir = tmp("no-pack");
    let empty = dir.join("empty");
    std::fs::create_dir_all(empty.join("entries")).unwrap();
    let missing = dir.join("missing");
    for (folder, says) in [
        (&empty, "no pack here"),
        (&missing, "No such file or directory"),
    ] {
        let o = run(&[
            "search",
            "--packs",
            folder.to_str().unwrap(),
            "Your card was declined",
        ]);
        assert_eq!(o.status.code(), Some(3), "{}", folder.display());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("--packs {}: {says}", folder.display())) && err.contains("fix:"),
            "{err}"
        );
        assert!(o.stdout.is_empty());
    }
    // the same folder on the pack path holds nothing yet: no error, no warning
    let o = fixbook()
        .args(["search", "Session token not found or invalid"])
        .env("FIXBOOK_PACK_PATH", &empty)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn show_and_explain_an_entry() {
    let o = run(&[
        "show",
        "--json",
        "aws-iam-identity-center/session-token-invalid",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        json(&o)["id"],
        "aws-iam-identity-center/session-token-invalid"
    );
    let o = run(&["show", "aws-iam-identity-center/session-token-invalidd"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean"));
    let o = run(&[
        "explain",
        "aws-iam-identity-center/protected-role",
        "Session token not found or invalid",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("did not match"));
}

#[test]
fn lint_points_at_file_line_and_column_with_a_fix() {
    let o = run(&["lint", "tests/packs/broken-unknown-key"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("tests/packs/broken-unknown-key/entries/a.toml:3:1"),
        "{err}"
    );
    assert!(err.contains("^"), "underline: {err}");
    assert!(err.contains("did you mean `title`"), "{err}");
    let v = json(&run(&["lint", "--json", "tests/packs/broken-bad-regex"]));
    assert_eq!(v["errors"][0]["kind"], "bad-regex");
    assert_eq!(v["errors"][0]["line"], 7);
    assert_eq!(
        run(&["lint", "packs/aws-iam-identity-center"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn test_command_reports_expected_vs_got() {
    let o = run(&["test", "packs/aws-iam-identity-center"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let dir = tmp("failing-pack");
    copy_dir(&root().join("tests/packs/full"), &dir);
    std::fs::write(
        dir.join("tests/extra.toml"),
        "[[examples]]\nname = \"wrong on purpose\"\ntext = \"Your card was declined\"\nexpect = \"safari-checkout-blank\"\n",
    )
    .unwrap();
    let o = run(&["test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("FAIL wrong on purpose"), "{out}");
    assert!(
        out.contains("expected webshop/safari-checkout-blank"),
        "{out}"
    );
    assert!(out.contains("got: webshop/card-declined"), "{out}");
    let o = run(&["test", "--format", "junit", dir.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("<failure"));
}

#[test]
fn scan_prints_one_record_per_matching_line() {
    let dir = tmp("scan");
    let log = dir.join("app.log");
    std::fs::write(
        &log,
        "10:00 all good\n10:01 error: Session token not found or invalid\n10:02 coffee\n10:03 AWS access portal: It's not you, it's us\n",
    )
    .unwrap();
    let o = run(&["scan", "--json", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(
        lines[0]["matches"][0]["id"],
        "aws-iam-identity-center/session-token-invalid"
    );
    assert_eq!(lines[1]["line"], 4);

    let jl = dir.join("tickets.jsonl");
    std::fs::write(
        &jl,
        "{\"body\": \"Session token not found or invalid\"}\n{\"body\": \"printer\"}\n",
    )
    .unwrap();
    let o = run(&[
        "scan",
        "--json",
        "--jsonl-field",
        "body",
        jl.to_str().unwrap(),
    ]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
    let o = run(&["scan", "--count", "--json", log.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["counts"]["aws-iam-identity-center/session-token-invalid"],
        1
    );
}

#[test]
fn new_scaffolds_a_pack_that_passes_lint_and_test() {
    let dir = tmp("new").join("my-pack");
    let o = run(&["new", dir.to_str().unwrap(), "--id", "my-pack"]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["lint", "--deny-warnings", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["test", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(
        run(&["new", dir.to_str().unwrap()]).status.code(),
        Some(2),
        "refuses to overwrite"
    );
}

#[test]
fn the_index_cache_is_reused_and_changes_no_answer() {
    let cache = tmp("cache");
    let q = ["--json", "search", "Session token not found"];
    let cached = || {
        fixbook()
            .env("FIXBOOK_CACHE_DIR", &cache)
            .args(q)
            .output()
            .unwrap()
    };
    let cold = cached();
    assert!(cold.status.success());
    let stored: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    // one index, and one snapshot per shipped pack
    let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packs"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("pack.toml").is_file())
        .count();
    let indexes = stored.iter().filter(|n| n.starts_with("index-")).count();
    let snapshots = stored
        .iter()
        .filter(|n| n.starts_with("pack-") && n.ends_with(".snap"))
        .count();
    assert_eq!((indexes, snapshots), (1, shipped), "{stored:?}");
    assert_eq!(stored.len(), 1 + shipped, "{stored:?}");
    let warm = cached();
    let off = fixbook().arg("--no-cache").args(q).output().unwrap();
    assert_eq!(json(&cold), json(&warm));
    assert_eq!(json(&warm), json(&off));
    assert!(!json(&off)["matches"].as_array().unwrap().is_empty());
    // a cache folder that cannot be made is no error: the index is built in memory
    let blocked = cache.join("a-file");
    std::fs::write(&blocked, "x").unwrap();
    let o = fixbook()
        .env("FIXBOOK_CACHE_DIR", blocked.join("sub"))
        .args(q)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&o), json(&off));
}

/// Door policy and bounded input (issue: one contract for every door).
#[test]
fn stdin_and_facts_files_are_bounded_an_endless_input_fails_fast() {
    for args in [
        vec!["search", "-"],
        vec!["diagnose", "x", "--facts", "/dev/zero"],
    ] {
        let t0 = std::time::Instant::now();
        let o = fixbook()
            .args(&args)
            .stdin(std::fs::File::open("/dev/zero").unwrap())
            .output()
            .unwrap();
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "{args:?} took {:?}",
            t0.elapsed()
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("larger than the limit of"), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn scan_cuts_an_overlong_line_with_a_note_and_keeps_counting_lines() {
    let dir = tmp("long-line");
    let log = dir.join("long.log");
    let mut text = String::from("Session token not found or invalid ");
    text.push_str(&"x".repeat(3 << 20));
    text.push_str("\nok\nSession token not found or invalid\n");
    std::fs::write(&log, text).unwrap();
    let o = run(&["scan", "--json", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["line"], 1);
    assert!(lines[0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("only its first 1 MiB"));
    assert_eq!(lines[1]["line"], 3);
    assert!(lines[1].get("notes").is_none());
}

#[test]
fn scan_and_search_print_the_same_match_record() {
    let dir = tmp("scan-same");
    let log = dir.join("one.log");
    std::fs::write(&log, "Session token not found or invalid\n").unwrap();
    let scan = run(&["scan", "--json", "-n", "3", log.to_str().unwrap()]);
    let rec: Value = serde_json::from_slice(&scan.stdout).unwrap();
    let search = json(&run(&[
        "search",
        "--json",
        "-n",
        "3",
        "Session token not found or invalid",
    ]));
    assert_eq!(rec["matches"], search["matches"]);
    let c = rec["matches"][0]["confidence"].to_string();
    assert!(c.len() <= 5, "confidence printed rounded, got {c}");
}

#[test]
fn limit_zero_and_the_default_are_the_engines_default() {
    let q = "Session token not found or invalid";
    let default = json(&run(&["search", "--json", q]));
    let zero = json(&run(&["search", "--json", "-n", "0", q]));
    assert_eq!(default, zero);
    let one = json(&run(&["search", "--json", "-n", "1", q]));
    assert_eq!(one["matches"].as_array().unwrap().len(), 1);
    assert!(default["matches"].as_array().unwrap().len() <= fixbook::DEFAULT_LIMIT);
}

#[test]
fn color_and_format_refuse_unknown_values() {
    let o = run(&["--color", "sometimes", "search", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("possible values"));
    let o = run(&["test", "--format", "yaml", "packs/aws-iam-identity-center"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("possible values"));
}

#[test]
fn new_refuses_an_id_the_loader_would_refuse() {
    let dir = tmp("new-bad-id").join("p");
    let o = run(&["new", dir.to_str().unwrap(), "--id", "_x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("starting with a letter or digit"));
    assert!(!dir.join("pack.toml").exists());
}

#[test]
fn explain_suggests_a_close_entry_id() {
    let o = run(&[
        "explain",
        "aws-iam-identity-center/session-token-invalidd",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("did you mean aws-iam-identity-center/session-token-invalid"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_huge_fact_value_is_not_echoed_whole() {
    let huge = format!("saml.nameid_format={}", "y".repeat(100_000));
    let o = run(&["diagnose", "x", "--fact", &huge]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stderr.len() < 1000, "{} bytes of error", o.stderr.len());
}
