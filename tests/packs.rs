//! Pack loading end to end: every broken fixture in `tests/packs/broken-*` gives the error it
//! was written for, located in its file; good fixtures pass their own examples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use fixbook::testing::{load_examples, run_examples, Status};
use fixbook::{Engine, ErrorKind};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/packs")
}

#[derive(serde::Deserialize)]
struct Expected {
    kind: String,
    file: String,
    line: usize,
    contains: String,
}

#[test]
fn every_broken_fixture_reports_its_error_with_file_and_line() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("broken-")
        })
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 15,
        "at least 15 malformed-pack fixtures, found {}",
        dirs.len()
    );
    for dir in dirs {
        let exp: Expected =
            toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
        let err = Engine::builder()
            .builtin(false)
            .pack_dir(&dir)
            .strict(true)
            .build()
            .expect_err(&format!("{} must not load", dir.display()));
        assert_eq!(err.kind(), ErrorKind::Pack);
        let errors = err.pack_errors();
        let found = errors
            .iter()
            .find(|e| e.kind.as_str() == exp.kind)
            .unwrap_or_else(|| panic!("{}: no {} error in {errors:#?}", dir.display(), exp.kind));
        assert!(
            found.path.ends_with(&exp.file),
            "{}: error names {} not {}",
            dir.display(),
            found.path,
            exp.file
        );
        assert_eq!(found.line, exp.line, "{}: {found}", dir.display());
        assert!(
            found.column >= 1,
            "{}: column missing: {found}",
            dir.display()
        );
        assert!(
            found.to_string().contains(&exp.contains),
            "{}: `{found}` does not say `{}`",
            dir.display(),
            exp.contains
        );
        assert!(!found.hint.is_empty(), "{}: no fix hint", dir.display());
    }
}

#[test]
fn all_errors_of_a_pack_are_reported_in_one_pass() {
    let dir = tempdir("many-errors");
    std::fs::create_dir_all(dir.join("entries")).unwrap();
    std::fs::write(
        dir.join("pack.toml"),
        "format = 1\nid = \"many\"\nname = \"Many\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("entries/a.toml"),
        r#"[[entries]]
id = "a"
title = "A"
  [[entries.signatures]]
  id = "s"
  pattern = '(unclosed'
  [[entries.causes]]
  id = "c"
  title = "C"
  check = 'fact("nope")'
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("entries/b.toml"),
        "[[entries]]\nid = \"b\"\ntitle = \"B\"\n",
    )
    .unwrap();
    let err = Engine::builder()
        .builtin(false)
        .pack_dir(&dir)
        .strict(true)
        .build()
        .map(|_| ())
        .unwrap_err();
    let kinds: Vec<&str> = err.pack_errors().iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"bad-regex"), "{kinds:?}");
    assert!(kinds.contains(&"undeclared-fact"), "{kinds:?}");
    assert!(kinds.contains(&"unmatchable"), "{kinds:?}");
}

#[test]
fn lenient_mode_skips_a_broken_pack_and_keeps_the_others() {
    let engine = Engine::builder()
        .builtin(false)
        .pack_dir(fixtures().join("full"))
        .pack_dir(fixtures().join("broken-bad-regex"))
        .build()
        .expect("lenient load succeeds");
    assert_eq!(engine.packs().len(), 1);
    assert!(!engine.skipped().is_empty());
    assert_eq!(
        engine.search("Your card was declined", 3).matches[0].id,
        "webshop/card-declined"
    );
    // strict mode refuses the same set
    assert!(Engine::builder()
        .builtin(false)
        .pack_dir(fixtures().join("full"))
        .pack_dir(fixtures().join("broken-bad-regex"))
        .strict(true)
        .build()
        .is_err());
}

#[test]
fn drafts_match_only_when_asked_for_and_retired_entries_never() {
    let engine = Engine::from_dirs([fixtures().join("full")]).unwrap();
    let text = "coupon rounding: total off by one cent";
    assert!(engine.search(text, 5).matches.is_empty());
    let mut q = fixbook::Query::new(text);
    q.drafts = true;
    assert_eq!(
        engine.diagnose(&q).unwrap().matches[0].id,
        "webshop/coupon-rounding"
    );
    let mut q = fixbook::Query::new("legacy endpoint disabled");
    q.drafts = true;
    assert!(engine.diagnose(&q).unwrap().matches.is_empty());
}

#[test]
fn duplicate_pack_ids_across_packs_are_reported() {
    let err = Engine::builder()
        .builtin(false)
        .pack_dir(fixtures().join("full"))
        .pack_dir(fixtures().join("full"))
        .strict(true)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("already loaded"), "{err}");
}

#[test]
fn good_fixture_packs_pass_their_examples() {
    for name in ["full", "hostile"] {
        let dir = fixtures().join(name);
        let engine = Engine::from_dirs([&dir]).unwrap();
        let pack = engine.packs()[0].id.clone();
        let examples = load_examples(&dir, &pack).unwrap();
        assert!(!examples.is_empty());
        for o in run_examples(&engine, &pack, &examples) {
            assert_eq!(
                o.status,
                Status::Pass,
                "{name}: {} {:?}",
                o.name,
                o.problems
            );
        }
    }
}

#[test]
fn shipped_packs_pass_their_examples() {
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs");
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&packs).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("pack.toml").is_file() {
            continue;
        }
        let engine = Engine::builder()
            .builtin(false)
            .pack_dir(&dir)
            .strict(true)
            .build()
            .unwrap();
        let pack = engine.packs()[0].id.clone();
        let examples = load_examples(&dir, &pack).unwrap();
        for o in run_examples(&engine, &pack, &examples) {
            if o.status == Status::Fail {
                failures.push(format!(
                    "{pack}: {} at {}: {:?}",
                    o.name, o.location, o.problems
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing examples:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn hostile_checks_error_quickly_while_the_honest_cause_decides() {
    let engine = Engine::from_dirs([fixtures().join("hostile")]).unwrap();
    let t = std::time::Instant::now();
    let q = fixbook::Query::new("the service is down").fact("svc.up", false);
    let d = engine.diagnose(&q).unwrap();
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    let m = &d.matches[0];
    let honest = m.causes.iter().find(|c| c.id == "honest").unwrap();
    assert_eq!(honest.verdict, fixbook::Verdict::Confirmed);
    let errors = m
        .causes
        .iter()
        .filter(|c| c.verdict == fixbook::Verdict::Error)
        .count();
    assert_eq!(errors, 5);
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fixbook-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn queries_of_one_pack_do_not_surface_another_packs_entries() {
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs");
    let engine = Engine::builder()
        .builtin(false)
        .pack_dir(&packs)
        .strict(true)
        .build()
        .unwrap();
    assert!(engine.packs().len() >= 3);
    let mut leaks = Vec::new();
    let mut checked = 0;
    for info in engine.packs() {
        let dir = packs.join(&info.id);
        for ex in load_examples(&dir, &info.id).unwrap() {
            if ex.expect.is_none() || ex.todo.is_some() {
                continue;
            }
            checked += 1;
            let d = engine.search(&ex.text, 10);
            let prefix = format!("{}/", info.id);
            if let Some(other) = d.matches.iter().find(|m| !m.id.starts_with(&prefix)) {
                leaks.push(format!(
                    "{} ({}): {} surfaced {}",
                    info.id, ex.location, ex.name, other.id
                ));
            }
        }
    }
    assert!(checked > 100);
    assert!(
        leaks.is_empty(),
        "{} cross-pack matches:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[test]
fn a_fact_named_only_in_a_comment_does_not_block_a_pack() {
    let engine = Engine::builder()
        .builtin(false)
        .pack_dir(fixtures().join("comment-names-old-fact"))
        .strict(true)
        .build()
        .unwrap_or_else(|e| panic!("the pack loads: {e}"));
    let q = fixbook::Query::new("restart loop").fact("service.restarted", true);
    let d = engine.diagnose(&q).unwrap();
    assert_eq!(d.matches[0].causes[0].verdict, fixbook::Verdict::Confirmed);
    assert_eq!(d.matches[0].causes[0].facts_read, ["service.restarted"]);
}

#[test]
fn a_computed_fact_name_asks_for_a_literal_and_names_no_fact() {
    let err = Engine::builder()
        .builtin(false)
        .pack_dir(fixtures().join("broken-computed-fact-name"))
        .strict(true)
        .build()
        .map(|_| ())
        .unwrap_err();
    let errors = err.pack_errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert_eq!(e.kind.as_str(), "invalid-value");
    // the call, on the script's second line, inside the multi-line string
    assert_eq!((e.line, e.column), (11, 1), "{e}");
    assert!(e.message.contains("computed fact name"), "{e}");
    assert!(!e.to_string().contains("\"service.\""), "{e}");
}

#[test]
fn caller_facts_are_typed_by_each_packs_own_declaration() {
    // one pack declares service.restarted a bool, the other a string: "no" is false for the
    // first and the text "no" for the second, so both causes are confirmed
    let engine = Engine::builder()
        .builtin(false)
        .pack_dir(fixtures().join("caller-fact-bool"))
        .pack_dir(fixtures().join("caller-fact-string"))
        .strict(true)
        .build()
        .unwrap();
    let q = fixbook::Query::new("service restart loop").fact("service.restarted", "no");
    let d = engine.diagnose(&q).unwrap();
    let verdict = |id: &str| {
        d.matches
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.causes[0].verdict)
    };
    assert_eq!(
        verdict("restart-bool/never-restarted"),
        Some(fixbook::Verdict::Confirmed)
    );
    assert_eq!(
        verdict("restart-string/operator-said-no"),
        Some(fixbook::Verdict::Confirmed)
    );
    assert!(d.notes.is_empty(), "{:?}", d.notes);
}
