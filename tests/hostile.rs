//! Reliability and security: hostile packs, hostile input, fuzz regressions, reloads under
//! load. Packs are third-party code and input is whatever users paste; the engine must keep
//! answering, lose nothing and let no pack reach outside its sandbox (docs/security.md).
//!
//! Each hostile pack is a fixture under `tests/packs/hostile-<name>/`, or is generated here
//! into a temporary folder when it would be too big to commit. Every one must give a clear
//! error or an `error` verdict within a bounded time, while a good pack loaded beside it
//! (`tests/packs/full`) keeps answering. Tests marked `//! bugs; run them with `cargo test -p fixbook --test hostile -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;
use support::copy_dir;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use fixbook::matcher::decode_lossy;
use fixbook::{Diagnosis, Engine, PackError, Query, Verdict};

/// Budget for any one hostile load or query, in debug builds.
const BUDGET: Duration = Duration::from_secs(5);

const GOOD_TEXT: &str = "Your card was declined";
const GOOD_ID: &str = "webshop/card-declined";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/packs")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(format!("hostile-{name}"))
}

/// A fresh temporary folder for one test.
fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fixbook-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes a pack (`pack.toml` with the given id, plus `entries/a.toml`) into `dir`.
fn write_pack(dir: &Path, id: &str, manifest_extra: &str, entries: &str) {
    std::fs::create_dir_all(dir.join("entries")).unwrap();
    std::fs::write(
        dir.join("pack.toml"),
        format!(
            "format = 1\nid = \"{id}\"\nname = \"{id}\"\nversion = \"1.0.0\"\n{manifest_extra}"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("entries/a.toml"), entries).unwrap();
}

/// Runs `f` on its own thread and fails if it panics or takes longer than `limit`; a hung
/// thread is left behind (it ends with the test process) so the suite itself never hangs.
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let t = Instant::now();
    std::thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(r);
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(p)) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("{what}: panicked after {:?}: {msg}", t.elapsed())
        }
        Err(_) => panic!("{what}: no answer within {limit:?}"),
    }
}

/// Budget for loads that must compile many patterns near the per-pattern size limit (each
/// takes tens of milliseconds even optimised): bounded, but not quick in a debug build on a
/// busy 2-core machine.
const HEAVY_BUDGET: Duration = Duration::from_secs(30);

/// Loads a hostile pack beside the good `full` fixture (lenient mode), within the budget.
fn load_beside_good(dir: PathBuf) -> Engine {
    load_beside_good_within(BUDGET, dir)
}

/// [`load_beside_good`] with its own time budget.
fn load_beside_good_within(limit: Duration, dir: PathBuf) -> Engine {
    let label = dir.display().to_string();
    let engine = within(limit, &format!("load {label}"), move || {
        Engine::builder()
            .builtin(false)
            .pack_dir(fixtures().join("full"))
            .pack_dir(dir)
            .build()
            .expect("lenient load succeeds")
    });
    assert_good_pack_answers(&engine);
    engine
}

fn assert_good_pack_answers(engine: &Engine) {
    let d = engine.search(GOOD_TEXT, 3);
    assert_eq!(
        d.matches.first().map(|m| m.id.as_str()),
        Some(GOOD_ID),
        "the good pack still answers"
    );
}

/// A pack that must be refused at load: the good pack loads, the hostile one is skipped with
/// errors of `kind` naming its file, and strict mode refuses the set.
fn assert_refused(name: &str, kind: &str) -> Vec<PackError> {
    let engine = load_beside_good(fixture(name));
    assert_eq!(
        engine.packs().len(),
        1,
        "{name}: only the good pack is loaded"
    );
    let skipped = engine.skipped();
    let errors: Vec<PackError> = skipped
        .iter()
        .filter(|e| e.kind.as_str() == kind)
        .cloned()
        .collect();
    assert!(
        !errors.is_empty(),
        "{name}: no {kind} error in {skipped:#?}"
    );
    for e in &errors {
        assert!(e.path.contains(&format!("hostile-{name}")), "{e}");
        assert!(e.line >= 1 && e.column >= 1, "{e}");
        assert!(!e.hint.is_empty(), "{e}");
    }
    let strict = Engine::builder()
        .builtin(false)
        .pack_dir(fixture(name))
        .strict(true)
        .build();
    assert!(strict.is_err(), "{name}: strict mode refuses it");
    errors
}

/// A pack whose checks must all end in an `error` verdict, quickly; but `honest` is
/// confirmed and the causes in `ruled_out` return an honest `false`.
fn assert_error_verdicts(name: &str, message_words: &[&str], ruled_out: &[&str]) -> Diagnosis {
    let engine = Arc::new(load_beside_good(fixture(name)));
    assert_eq!(engine.packs().len(), 2, "{name}: {:#?}", engine.skipped());
    let e = engine.clone();
    let text = format!("hostile {name} test: the service is down");
    let d = within(BUDGET, &format!("query {name}"), move || {
        e.diagnose(&Query::new(text).fact("svc.up", false)).unwrap()
    });
    let m = d
        .matches
        .iter()
        .find(|m| m.id == format!("hostile-{name}/{name}"))
        .unwrap_or_else(|| panic!("{name}: the hostile entry matches: {d:#?}"));
    for c in &m.causes {
        if c.id == "honest" {
            assert_eq!(
                c.verdict,
                Verdict::Confirmed,
                "{name}: the honest check decides"
            );
            continue;
        }
        if ruled_out.contains(&c.id.as_str()) {
            assert_eq!(
                c.verdict,
                Verdict::RuledOut,
                "{name}/{}: {:?}",
                c.id,
                c.error
            );
            continue;
        }
        assert_eq!(c.verdict, Verdict::Error, "{name}/{}: {:?}", c.id, c.error);
        let msg = c.error.as_deref().unwrap_or_default();
        assert!(
            message_words.iter().any(|w| msg.contains(w)),
            "{name}/{}: error `{msg}` says none of {message_words:?}",
            c.id
        );
    }
    assert_good_pack_answers(&engine);
    d
}

// ---------------------------------------------------------------------------------------
// Hostile packs: fixtures

#[test]
fn checks_that_loop_forever_stop_at_the_ceiling() {
    assert_error_verdicts(
        "loop",
        &["max_operations", "max_duration_ms", "step value"],
        &[],
    );
    // the pack asked for limits far over the ceiling; it got the ceiling
    let pack = {
        let src = fixbook::pack::PackSource::from_dir(&fixture("loop")).unwrap();
        fixbook::pack::load_pack(&src, &fixbook::pack::LoadOptions::default()).unwrap()
    };
    assert_eq!(pack.limits(), fixbook::Limits::default_ceiling());
}

#[test]
fn checks_that_recurse_stop_at_the_call_depth() {
    assert_error_verdicts(
        "recursion",
        &[
            "max_call_depth",
            "max_operations",
            "max_duration_ms",
            "size limit",
        ],
        &[],
    );
}

#[test]
fn checks_that_build_huge_values_stop_at_the_size_limits() {
    assert_error_verdicts(
        "memory",
        &["size limit", "max_operations", "max_duration_ms", "BLOB"],
        &[],
    );
}

#[test]
fn checks_cannot_reach_files_processes_modules_or_eval() {
    // print and debug are silenced: that check runs and returns its honest `false`
    assert_error_verdicts(
        "escape",
        &["not found", "reserved", "Module", "Function"],
        &["print"],
    );
}

#[test]
fn eval_in_a_check_is_refused_at_load() {
    let errors = assert_refused("eval", "script-compile");
    assert!(errors[0].message.contains("eval"), "{}", errors[0]);
}

#[test]
fn import_in_a_check_is_refused_at_load() {
    let errors = assert_refused("import", "script-compile");
    assert!(errors[0].message.contains("import"), "{}", errors[0]);
}

#[test]
fn regex_bombs_are_refused_by_the_compile_size_limit() {
    let errors = assert_refused("regex", "bad-regex");
    assert_eq!(errors.len(), 5, "one error per bomb: {errors:#?}");
    for e in &errors {
        assert!(e.message.contains("too large"), "{e}");
    }
}

#[test]
fn backtracking_bombs_match_in_linear_time() {
    let engine = Arc::new(load_beside_good(fixture("redos")));
    assert_eq!(engine.packs().len(), 2, "{:#?}", engine.skipped());
    for input in [
        format!("{}b", "a".repeat(1 << 20)),
        format!("{}!", "aaaa aaaa ".repeat(100_000)),
        format!("{}Z", "x".repeat(1 << 20)),
    ] {
        let e = engine.clone();
        within(BUDGET, "redos query", move || e.search(&input, 3));
    }
}

#[test]
fn scripts_nested_past_the_depth_limit_are_refused_at_load() {
    let errors = assert_refused("nesting", "script-compile");
    assert_eq!(errors.len(), 5, "one error per nested check: {errors:#?}");
}

// ---------------------------------------------------------------------------------------
// Hostile packs: generated

#[test]
fn deeply_nested_toml_is_refused_quickly() {
    let dir = tempdir("nested-toml");
    let n = 10_000;
    let cases = [
        (
            "arrays",
            format!("a = {}1{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "inline-tables",
            format!("a = {}1{}\n", "{ b = ".repeat(n), " }".repeat(n)),
        ),
        ("dotted-key", format!("{} = 1\n", vec!["a"; n].join("."))),
        ("table-header", format!("[{}]\n", vec!["a"; n].join("."))),
        (
            "entry-value",
            format!(
                "[[entries]]\nid = \"e\"\ntitle = \"E\"\nkeywords = [\"k\"]\nupdated = {}1{}\n",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
    ];
    for (name, body) in cases {
        let p = dir.join(name);
        write_pack(&p, "nested", "", &body);
        let engine = load_beside_good(p);
        let skipped = engine.skipped();
        assert_eq!(engine.packs().len(), 1, "{name}");
        let e = skipped
            .iter()
            .find(|e| e.path.ends_with("entries/a.toml"))
            .unwrap_or_else(|| panic!("{name}: {skipped:#?}"));
        assert!(!e.message.is_empty() && e.line >= 1, "{name}: {e}");
    }
}

/// Within the 16 MiB file limit, a table header of a million dotted keys (2 MB), in an entry
/// file and in the manifest, is refused within the budget (the `toml` crate builds every
/// level before its recursion limit stops it: ~1 µs and ~160 bytes per level).
#[test]
fn a_deeply_dotted_key_within_the_size_limit_is_refused_quickly() {
    let dotted = format!("[{}]\n", vec!["a"; 1_000_000].join("."));
    for (name, manifest, entries) in [
        ("in-entries", String::new(), dotted.clone()),
        ("in-manifest", dotted, String::new()),
    ] {
        let dir = tempdir(&format!("dotted-header-{name}"));
        write_pack(&dir, "dotted", &manifest, &entries);
        let engine = load_beside_good(dir);
        assert_eq!(engine.packs().len(), 1, "{name}");
    }
}

#[test]
fn a_100_mb_pack_file_is_refused_by_the_size_limit() {
    let dir = tempdir("huge-file");
    for file in ["pack.toml", "entries/a.toml", "scripts/helpers.rhai"] {
        let p = dir.join(file.replace('/', "-"));
        write_pack(
            &p,
            "huge",
            "",
            "[[entries]]\nid = \"e\"\ntitle = \"E\"\nkeywords = [\"k\"]\n",
        );
        let path = p.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // a valid start, then 100 MB (sparse: the size is what is checked, before reading)
        std::fs::write(&path, "# huge\n").unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(100 << 20)
            .unwrap();
        let t = Instant::now();
        let engine = load_beside_good(p);
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{file}: {:?}",
            t.elapsed()
        );
        let skipped = engine.skipped();
        assert!(
            skipped.iter().any(|e| e.kind.as_str() == "io"
                && e.path.ends_with(file)
                && e.message.contains("byte limit")),
            "{file}: {skipped:#?}"
        );
    }
}

#[test]
fn thousands_of_entries_with_one_id_are_each_reported_quickly() {
    let dir = tempdir("same-id");
    let n = 5_000;
    let entries = "[[entries]]\nid = \"same\"\ntitle = \"T\"\nkeywords = [\"k\"]\n".repeat(n);
    write_pack(&dir, "same-id", "", &entries);
    let engine = load_beside_good(dir);
    let dups = engine
        .skipped()
        .iter()
        .filter(|e| e.kind.as_str() == "duplicate-id")
        .count();
    assert_eq!(dups, n - 1);
}

/// A pack whose every entry matches every query and holds checks that burn their whole
/// budget: only candidates that can reach the top are checked, and the query's check time
/// (`max_check_time`) bounds the rest.
#[test]
fn many_hostile_checks_matching_every_query_are_bounded_per_query() {
    let dir = tempdir("many-checks");
    let mut entries = String::new();
    for i in 0..100 {
        entries.push_str(&format!(
            "[[entries]]\nid = \"e{i}\"\ntitle = \"E{i}\"\n[[entries.signatures]]\nid = \"s\"\npattern = '\\w'\n"
        ));
        for c in 0..10 {
            entries.push_str(&format!(
                "[[entries.causes]]\nid = \"c{c}\"\ntitle = \"C\"\ncheck = 'loop {{}}'\n"
            ));
        }
    }
    write_pack(
        &dir,
        "many-checks",
        "[limits]\nmax_operations = 9223372036854775807\nmax_duration_ms = 9223372036854775807\n",
        &entries,
    );
    let engine = Arc::new(Engine::from_dirs([&dir]).unwrap());
    let e = engine.clone();
    for limit in [1, 10] {
        let e = e.clone();
        let t = Instant::now();
        let d = within(BUDGET, "query against 1000 looping checks", move || {
            e.search("x", limit)
        });
        assert_eq!(d.matches.len(), limit);
        assert!(d
            .matches
            .iter()
            .flat_map(|m| &m.causes)
            .all(|c| c.verdict == Verdict::Error));
        // only the candidates that can reach the top are checked
        assert!(t.elapsed() < BUDGET / 2, "{:?}", t.elapsed());
    }
    // a tight query budget: the checks of the first candidate run, the others are not run
    let e = Arc::new(
        Engine::builder()
            .builtin(false)
            .pack_dir(&dir)
            .max_check_time(Duration::from_millis(1))
            .build()
            .unwrap(),
    );
    let d = within(BUDGET, "query against 1000 looping checks", move || {
        e.search("x", 10)
    });
    assert_eq!(d.matches.len(), 10);
    let not_run = |m: &fixbook::Match| {
        m.causes.iter().all(|c| {
            c.verdict == Verdict::Error
                && c.error
                    .as_deref()
                    .is_some_and(|e| e.contains("max_check_time"))
        })
    };
    assert!(!not_run(&d.matches[0]), "the first candidate is checked");
    assert!(
        d.matches[1..].iter().all(not_run),
        "the others are not run once the query's check time is spent"
    );
}

/// Each signature is just under the per-pattern compile-size limit, so every one is
/// accepted. Signatures without a literal share one regex set only while it stays under its
/// own size limit; past it they run one by one, each within the per-pattern limit, so the
/// total stays bounded (it used to be a set of about a gigabyte).
#[test]
fn many_near_limit_signatures_are_bounded_in_total() {
    // the largest accepted repetition, by bisection (each try compiles a large program)
    let accepted = |rep: u32| fixbook::matcher::compile_pattern(&format!("\\w{{{rep}}}x")).is_ok();
    let (mut rep, mut refused) = (1u32, 4096u32);
    assert!(accepted(rep) && !accepted(refused));
    while refused - rep > 1 {
        let mid = (rep + refused) / 2;
        if accepted(mid) {
            rep = mid;
        } else {
            refused = mid;
        }
    }
    let dir = tempdir("many-signatures");
    let mut entries = String::new();
    for i in 0..40 {
        entries.push_str(&format!(
            "[[entries]]\nid = \"e{i}\"\ntitle = \"E{i}\"\n[[entries.signatures]]\nid = \"s\"\npattern = '\\w{{{rep}}}x{i}'\n"
        ));
    }
    write_pack(&dir, "many-signatures", "", &entries);
    let engine = Arc::new(load_beside_good_within(HEAVY_BUDGET, dir));
    let e = engine.clone();
    within(HEAVY_BUDGET, "1 MB query", move || {
        e.search(&"abc ".repeat(1 << 18), 3)
    });
}

#[test]
fn sleep_in_a_check_is_stopped_by_the_time_limit() {
    assert_error_verdicts("sleep", &["sleep", "max_duration_ms", "not found"], &[]);
}

#[test]
fn sleep_with_a_huge_float_is_an_error_verdict() {
    assert_error_verdicts("sleep-overflow", &["sleep", "not found", "Duration"], &[]);
}

#[test]
fn padding_with_an_empty_string_is_an_error_verdict() {
    assert_error_verdicts("pad", &["pad", "not found", "empty"], &[]);
}

/// Peak resident memory of this process, from /proc (Linux), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Was F5: `replace` built its whole result (|s| x |t| bytes, ~550 MB here, up to 1 TB with
/// two 1 MB strings) before the size check; every overload (string or character pattern and
/// replacement, empty pattern) is now refused before allocating, and ordinary replaces work.
/// Runs the test `name` alone in a child process (this test binary, `--exact name`) and
/// returns false; in that child it returns true and the test does its work. For tests that
/// measure the process's peak memory (the tests running beside them on other threads would
/// count), or whose failure would abort the process (an allocation failure, a stack
/// overflow) rather than fail one test.
fn alone(name: &str) -> bool {
    const CHILD: &str = "FIXBOOK_HOSTILE_ALONE";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads=1", "--include-ignored"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} alone in a child process ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

#[test]
fn replace_cannot_allocate_past_the_string_size_limit() {
    if !alone("replace_cannot_allocate_past_the_string_size_limit") {
        return;
    }
    let before = peak_rss().unwrap_or(0);
    let t = Instant::now();
    let d = assert_error_verdicts(
        "replace",
        &["string size limit of 1048576 bytes (max_string_size)"],
        &["replace-within-limit"],
    );
    let elapsed = t.elapsed();
    let m = d
        .matches
        .iter()
        .find(|m| m.id == "hostile-replace/replace")
        .unwrap();
    assert_eq!(m.causes.len(), 6, "every cause was checked: {m:#?}");
    assert!(elapsed < BUDGET, "{elapsed:?}");
    let grown = peak_rss().unwrap_or(0).saturating_sub(before);
    assert!(
        grown < 256 << 20,
        "one check raised peak memory by {} MB",
        grown >> 20
    );
}

/// Rhai reads a limit of 0 as "no limit", and a pack's limits are capped by the ceiling
/// with `min`, so `max_string_size = 0` used to switch the string limit off: a doubling
/// string ran out of memory (the host aborted) before the time limit's first check, and
/// `max_expr_depth = 0` let a deeply nested check overflow the parser's stack. A limit of 0
/// is now the strictest there is. Run alone: the old failure aborts the process.
#[test]
fn a_pack_asking_for_limits_of_zero_gets_the_strictest_not_none() {
    if !alone("a_pack_asking_for_limits_of_zero_gets_the_strictest_not_none") {
        return;
    }
    let before = peak_rss().unwrap_or(0);
    let cases = [
        (
            "string",
            "max_string_size = 0",
            r#"let s = "x"; loop { s += s; }"#,
            "size limit",
        ),
        (
            "array",
            "max_array_size = 0",
            "let a = []; loop { a.push(1); }",
            "size limit",
        ),
        (
            "map",
            "max_map_size = 0",
            "let m = #{a: 1}; m += #{b: 2}; true",
            "size limit",
        ),
        (
            "operations",
            "max_operations = 0\nmax_duration_ms = 1000000",
            "loop {}",
            "max_operations",
        ),
    ];
    let dir = tempdir("zero-limits");
    for (name, limits, check, says) in cases {
        let p = dir.join(name);
        write_pack(
            &p,
            &format!("zero-{name}"),
            &format!("[limits]\n{limits}\n"),
            &format!(
                "[[entries]]\nid = \"e\"\ntitle = \"E\"\n[[entries.signatures]]\nid = \"s\"\npattern = 'zero limits test'\n[[entries.causes]]\nid = \"c\"\ntitle = \"C\"\ncheck = '{check}'\n"
            ),
        );
        let engine = Arc::new(load_beside_good(p));
        assert_eq!(engine.packs().len(), 2, "{name}: {:#?}", engine.skipped());
        let e = engine.clone();
        let d = within(BUDGET, &format!("zero {name}"), move || {
            e.search("zero limits test", 3)
        });
        let m = d
            .matches
            .iter()
            .find(|m| m.id == format!("zero-{name}/e"))
            .unwrap_or_else(|| panic!("{name}: {d:#?}"));
        let c = &m.causes[0];
        assert_eq!(c.verdict, Verdict::Error, "{name}: {:?}", c.error);
        let msg = c.error.as_deref().unwrap_or_default();
        assert!(msg.contains(says), "{name}: `{msg}` does not say {says}");
    }
    // nesting past an expression depth of 0 (taken as 1) is refused at load, not a stack
    // overflow
    let p = dir.join("depth");
    let nested = format!("{}true{}", "(".repeat(2000), ")".repeat(2000));
    write_pack(
        &p,
        "zero-depth",
        "[limits]\nmax_expr_depth = 0\n",
        &format!(
            "[[entries]]\nid = \"e\"\ntitle = \"E\"\nkeywords = [\"k\"]\n[[entries.causes]]\nid = \"c\"\ntitle = \"C\"\ncheck = '{nested}'\n"
        ),
    );
    let engine = load_beside_good(p);
    assert_eq!(engine.packs().len(), 1, "the nested pack is refused");
    assert!(
        engine
            .skipped()
            .iter()
            .any(|e| e.kind.as_str() == "script-compile"),
        "{:#?}",
        engine.skipped()
    );
    let grown = peak_rss().unwrap_or(0).saturating_sub(before);
    assert!(grown < 256 << 20, "peak memory grew by {} MB", grown >> 20);
}

/// Was F12: `split`, `split_rev` and `to_chars` built their whole array (one string or
/// character of tens of bytes per character of input) before the engine's array size check
/// refused it: about 540 MB and 2 s per call on an 8 MiB string. Every overload is now refused
/// before building (the items are counted first), and honest splits, of small strings or of
/// a large one into a few segments, still work.
#[test]
fn splitting_a_string_cannot_allocate_past_the_array_size_limit() {
    if !alone("splitting_a_string_cannot_allocate_past_the_array_size_limit") {
        return;
    }
    let before = peak_rss().unwrap_or(0);
    let dir = tempdir("split");
    let mut entries = String::from(
        "[[entries]]\nid = \"e\"\ntitle = \"E\"\n[[entries.signatures]]\nid = \"s\"\npattern = 'hostile split test'\n",
    );
    // an 8 MiB string of `x`s, or of `x `s for the split on whitespace: one item per character
    let hostile = [
        ("x", r#"s.split("")"#, "split"),
        ("x", r#"s.split_rev("")"#, "split_rev"),
        ("x", r#"s.split("x")"#, "split"),
        ("x", "s.split('x')", "split"),
        ("x", r#"s.split_rev("x")"#, "split_rev"),
        ("x", "s.split_rev('x')", "split_rev"),
        ("x", r#"s.split("", 1000000000)"#, "split"),
        ("x", "s.split('x', 1000000000)", "split"),
        ("x", r#"s.split_rev("x", 1000000000)"#, "split_rev"),
        ("x", "s.split_rev('x', 1000000000)", "split_rev"),
        ("x", "s.to_chars()", "to_chars"),
        ("x ", "s.split()", "split"),
    ];
    for (i, (seed, call, _)) in hostile.iter().enumerate() {
        entries.push_str(&format!(
            "[[entries.causes]]\nid = \"c{i}\"\ntitle = \"C\"\ncheck = '''let s = \"{seed}\"; while s.len() < 8000000 {{ s += s; }} {call}; true'''\n"
        ));
    }
    // honest uses: every overload on a small string, and the large one in a few segments
    entries.push_str(concat!(
        "[[entries.causes]]\nid = \"honest\"\ntitle = \"C\"\ncheck = '''let t = \"a,b;c d,é\";",
        r#" t.split(",") == ["a", "b;c d", "é"] && t.split(',') == ["a", "b;c d", "é"]"#,
        r#" && t.split(",", 2) == ["a", "b;c d,é"] && t.split(',', 2) == ["a", "b;c d,é"]"#,
        r#" && t.split_rev(",") == ["é", "b;c d", "a"] && t.split_rev(',') == ["é", "b;c d", "a"]"#,
        r#" && t.split_rev(",", 2) == ["é", "a,b;c d"] && t.split_rev(',', 2) == ["é", "a,b;c d"]"#,
        r#" && t.split() == ["a,b;c", "d,é"] && t.split("") == ["", "a", ",", "b", ";", "c", " ", "d", ",", "é", ""]"#,
        r#" && t.to_chars() == ['a', ',', 'b', ';', 'c', ' ', 'd', ',', 'é'] && t.split(3) == ["a,b", ";c d,é"]'''"#,
        "\n",
        "[[entries.causes]]\nid = \"honest-large\"\ntitle = \"C\"\ncheck = '''let s = \"x\"; while s.len() < 8000000 { s += s; }",
        r#" s.split("x", 100).len() == 100 && s.split_rev('x', 3)[2].len() == s.len() - 2 && s.split("y") == [s]'''"#,
        "\n",
    ));
    // the most the default ceiling allows
    write_pack(
        &dir,
        "hostile-split",
        "[limits]\nmax_string_size = 10485760\n",
        &entries,
    );
    let engine = Arc::new(load_beside_good(dir));
    assert_eq!(engine.packs().len(), 2, "{:#?}", engine.skipped());
    let e = engine.clone();
    let t = Instant::now();
    let d = within(BUDGET, "split query", move || {
        e.search("hostile split test", 3)
    });
    let elapsed = t.elapsed();
    let m = d
        .matches
        .iter()
        .find(|m| m.id == "hostile-split/e")
        .unwrap();
    assert_eq!(m.causes.len(), hostile.len() + 2, "every cause was checked");
    for (i, (_, call, what)) in hostile.iter().enumerate() {
        let c = m.causes.iter().find(|c| c.id == format!("c{i}")).unwrap();
        assert_eq!(c.verdict, Verdict::Error, "{call}: {:?}", c.error);
        let msg = c.error.as_deref().unwrap_or_default();
        assert!(
            msg.contains(&format!(
                "{what} would make an array of more than 10000 items, over the array size limit of 10000 items (max_array_size)"
            )),
            "{call}: {msg}"
        );
    }
    for id in ["honest", "honest-large"] {
        let c = m.causes.iter().find(|c| c.id == id).unwrap();
        assert_eq!(c.verdict, Verdict::Confirmed, "{id}: {:?}", c.error);
    }
    let grown = peak_rss().unwrap_or(0).saturating_sub(before);
    eprintln!(
        "{} checks: peak memory +{} MB, {elapsed:?}",
        m.causes.len(),
        grown >> 20
    );
    // each hostile call used to take about 540 MB and 2 s in a debug build
    assert!(
        grown < 96 << 20,
        "the checks raised peak memory by {} MB",
        grown >> 20
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn a_compile_error_at_a_multibyte_character_is_located_not_a_panic() {
    let errors = assert_refused("multibyte", "script-compile");
    assert_eq!(
        (errors[0].line, errors[0].column),
        (13, 12),
        "{}",
        errors[0]
    );
}

#[test]
fn a_regex_error_inside_an_escaped_string_is_located_not_a_panic() {
    let dir = tempdir("regex-escape");
    write_pack(
        &dir,
        "regex-escape",
        "",
        "[[entries]]\nid = \"a\"\ntitle = \"A\"\n[[entries.signatures]]\nid = \"s\"\npattern = \"\\\\dé(\"\n",
    );
    let engine = load_beside_good(dir);
    assert!(engine
        .skipped()
        .iter()
        .any(|e| e.kind.as_str() == "bad-regex" && e.line == 6));
}

/// Was F10: a reload that found no `pack.toml` in an explicitly given pack folder (deleted,
/// or mid-way through an editor's save) dropped the pack silently and succeeded with an
/// empty set.
#[test]
fn a_reload_that_would_silently_lose_a_pack_keeps_the_old_set() {
    let dir = tempdir("vanishing");
    copy_dir(&fixtures().join("full"), &dir);
    let engine = Engine::from_dirs([&dir]).unwrap();
    std::fs::rename(dir.join("pack.toml"), dir.join("pack.toml.bak")).unwrap();
    let r = engine.reload();
    std::fs::rename(dir.join("pack.toml.bak"), dir.join("pack.toml")).unwrap();
    let err = r.expect_err("a reload that loses a pack fails");
    let errors = err.pack_errors();
    let e = errors
        .iter()
        .find(|e| e.path == dir.display().to_string())
        .unwrap_or_else(|| panic!("an error names the folder: {err}"));
    assert_eq!(e.kind.as_str(), "io");
    assert!(e.message.contains("pack.toml"), "{e}");
    assert!(e.hint.contains("restore"), "{e}");
    assert_good_pack_answers(&engine);
    assert_eq!(engine.packs().len(), 1);
    // once pack.toml is back, the reload succeeds
    engine.reload().expect("a good reload succeeds");
    assert_good_pack_answers(&engine);
}

/// The same for a pack inside a folder of packs, where the other packs are still found: the
/// pack's folder is still there without its `pack.toml`, so the pack is not being removed.
/// Removing the whole folder does remove the pack.
#[test]
fn a_reload_keeps_a_pack_of_a_folder_of_packs_whose_pack_toml_is_gone() {
    let root = tempdir("folder-of-packs");
    copy_dir(&fixtures().join("full"), &root.join("full"));
    write_pack(
        &root.join("other"),
        "other",
        "",
        "[[entries]]\nid = \"e\"\ntitle = \"E\"\nkeywords = [\"other pack\"]\n",
    );
    for strict in [false, true] {
        let engine = Engine::builder()
            .builtin(false)
            .pack_dir(&root)
            .strict(strict)
            .build()
            .unwrap();
        assert_eq!(engine.packs().len(), 2);
        let pack = root.join("full");
        std::fs::rename(pack.join("pack.toml"), pack.join("pack.toml.bak")).unwrap();
        let r = engine.reload();
        std::fs::rename(pack.join("pack.toml.bak"), pack.join("pack.toml")).unwrap();
        let err = r.expect_err("a reload that loses a pack fails");
        assert!(
            err.pack_errors()
                .iter()
                .any(|e| e.path == pack.display().to_string() && e.message.contains("webshop")),
            "strict {strict}: {err}"
        );
        assert_eq!(
            engine.packs().len(),
            2,
            "strict {strict}: the old set is kept"
        );
        assert_good_pack_answers(&engine);
    }
    // a pack folder removed as a whole is a removal
    let engine = Engine::from_dirs([&root]).unwrap();
    std::fs::remove_dir_all(root.join("other")).unwrap();
    engine
        .reload()
        .expect("removing a pack's folder removes the pack");
    assert_eq!(engine.packs().len(), 1);
    assert_good_pack_answers(&engine);
}

/// A folder named by the caller must hold a pack; a missing one, a file, or a folder with no
/// pack in it is an `io` error naming it: skipped beside good packs in lenient mode, fatal
/// in strict mode.
#[test]
fn an_explicit_folder_without_a_pack_is_an_error() {
    let root = tempdir("explicit-empty");
    let empty = root.join("empty");
    std::fs::create_dir_all(empty.join("entries")).unwrap();
    let file = root.join("pack.toml.txt");
    std::fs::write(&file, "format = 1\n").unwrap();
    let missing = root.join("missing");
    // decided by the engine in every mode (strict or not), so every door reports it alike:
    // a folder that cannot be read is an I/O error, one that holds no pack a pack error
    for (dir, kind, says) in [
        (&empty, fixbook::ErrorKind::Pack, "no pack here"),
        (&file, fixbook::ErrorKind::Pack, "not a folder"),
        (
            &missing,
            fixbook::ErrorKind::Io,
            "No such file or directory",
        ),
    ] {
        for strict in [false, true] {
            let err = Engine::builder()
                .builtin(false)
                .pack_dir(fixtures().join("full"))
                .pack_dir(dir)
                .strict(strict)
                .build()
                .expect_err("a named folder without a pack fails the build");
            assert_eq!(err.kind(), kind, "{}: {err}", dir.display());
            let msg = err.to_string();
            assert!(
                msg.contains(&dir.display().to_string()) && msg.contains(says),
                "{}: {msg}",
                dir.display()
            );
            if kind == fixbook::ErrorKind::Pack {
                assert!(!err.pack_errors()[0].hint.is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Hostile input

fn embedded() -> &'static Engine {
    static E: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    E.get_or_init(|| Engine::embedded().unwrap())
}

const KNOWN: &str = "Session token not found or invalid";
const KNOWN_ID: &str = "aws-iam-identity-center/session-token-invalid";

fn top(d: &Diagnosis) -> Option<&str> {
    d.matches.first().map(|m| m.id.as_str())
}

/// A deterministic byte generator (xorshift), so inputs are the same on every run.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn binary_data_and_nul_bytes_get_an_answer() {
    let e = embedded();
    for seed in 1..=4 {
        // 64 KiB: non-ASCII text is scanned slowly (see the ignored test below)
        let mut bytes = noise(seed, 64 << 10);
        let (text, note) = decode_lossy(&bytes);
        assert!(note.is_some(), "random bytes are not UTF-8");
        let t = Instant::now();
        let d = e.search(&text, 5);
        assert!(t.elapsed() < BUDGET, "{:?}", t.elapsed());
        assert!(d.matches.len() <= 5);
        // the known message inside binary noise is still found
        bytes.extend_from_slice(b"\0\0\x1b[31m");
        bytes.extend_from_slice(KNOWN.as_bytes());
        bytes.extend_from_slice(b"\0\xff\xfe");
        let (text, _) = decode_lossy(&bytes);
        assert_eq!(top(&e.search(&text, 3)), Some(KNOWN_ID));
    }
    let nuls = "\0".repeat(1 << 20);
    assert!(e.search(&nuls, 5).matches.is_empty());
    let d = e.search(&format!("\0{}\0", KNOWN.replace(' ', "\0")), 3);
    assert_eq!(top(&d), Some(KNOWN_ID), "NUL between words is white space");
}

/// Signatures use Unicode word boundaries (`\b`), which the lazy DFA handles only on ASCII
/// text. They used to be matched as one regex set, which fell back to the PikeVM on any
/// non-ASCII text, about 100 times slower; now their literals are found first and a regex
/// runs only on the lines holding one.
#[test]
fn non_ascii_text_is_scanned_about_as_fast_as_ascii() {
    let e = embedded();
    let cyrillic =
        "ошибка: не удалось подключиться к серверу, повторите попытку позже\n".repeat(32_000);
    let ascii = "error: could not connect to the server, please try again later, ok\n"
        .repeat(cyrillic.len() / 68);
    let t = Instant::now();
    e.search(&ascii, 3);
    let ascii_time = t.elapsed();
    let t = Instant::now();
    e.search(&cyrillic, 3);
    let cyrillic_time = t.elapsed();
    assert!(
        cyrillic_time < BUDGET && cyrillic_time < ascii_time * 10,
        "{} MB: ASCII {ascii_time:?}, Cyrillic {cyrillic_time:?}",
        cyrillic.len() >> 20
    );
}

#[test]
fn invalid_utf8_is_replaced_with_a_note() {
    let cases: [&[u8]; 5] = [
        b"\xff",
        b"\xc3\x28 overlong \xe0\x80\xaf and surrogate \xed\xa0\x80",
        b"truncated \xe2\x82",
        b"\xf8\x88\x80\x80\x80 five bytes",
        b"\x80\x81\x82\x83 continuation bytes",
    ];
    for bytes in cases {
        let (text, note) = decode_lossy(bytes);
        assert!(text.contains('\u{FFFD}'), "{bytes:?}");
        let note = note.expect("a note says bytes were replaced");
        assert!(note.contains("UTF-8"), "{note}");
        let mut with_known = bytes.to_vec();
        with_known.extend_from_slice(b" ");
        with_known.extend_from_slice(KNOWN.as_bytes());
        let (text, _) = decode_lossy(&with_known);
        assert_eq!(
            top(&embedded().search(&text, 3)),
            Some(KNOWN_ID),
            "{bytes:?}"
        );
    }
    assert_eq!(decode_lossy(KNOWN.as_bytes()), (KNOWN.to_owned(), None));
}

#[test]
fn a_10_mb_line_gets_an_answer() {
    let e = embedded();
    // one line, no newline: words, then the message at the very end
    let mut line = "lorem-ipsum:dolor/sit=amet;".repeat(400_000);
    line.push_str(KNOWN);
    assert!(line.len() > 10_000_000 && !line.contains('\n'));
    let t = Instant::now();
    let d = e.search(&line, 3);
    assert!(t.elapsed() < BUDGET, "{:?}", t.elapsed());
    assert_eq!(top(&d), Some(KNOWN_ID), "signatures see the whole line");
    // one 10 MB word
    let word = "a".repeat(10 << 20);
    let t = Instant::now();
    assert!(e.search(&word, 3).matches.is_empty());
    assert!(t.elapsed() < BUDGET, "{:?}", t.elapsed());
    // past the input limit: cut, with a note
    let huge = "x ".repeat(9 << 20);
    let d = e.search(&huge, 3);
    assert!(
        d.notes.iter().any(|n| n.contains("only the first")),
        "{:?}",
        d.notes
    );
}

#[test]
fn every_query_syntax_character_gets_an_answer() {
    let e = embedded();
    let specials: Vec<char> = (0x21u8..0x7f)
        .map(char::from)
        .filter(|c| !c.is_ascii_alphanumeric())
        .collect();
    for c in &specials {
        for text in [c.to_string(), c.to_string().repeat(1000)] {
            let d = e.search(&text, 5);
            assert!(d.matches.is_empty(), "{text:?} matched {:?}", top(&d));
        }
        // around and inside the known message
        let wrapped = format!("{c}{KNOWN}{c}");
        assert_eq!(top(&e.search(&wrapped, 3)), Some(KNOWN_ID), "{wrapped}");
        let glued = KNOWN.replace(' ', &format!(" {c} "));
        let d = e.search(&glued, 3);
        assert!(d.matches.len() <= 3, "{glued}");
    }
    let all: String = specials.iter().collect();
    for text in [
        all.clone(),
        format!("{all} {KNOWN} {all}"),
        "AND OR NOT TO title:x field:\"y\" [a TO b] {c TO d} x~2 y^3 z* ?q -n +m (((".to_owned(),
        "\\".repeat(1001),
    ] {
        let d = e.search(&text, 5);
        assert!(d.matches.len() <= 5);
        if text.contains(KNOWN) {
            assert_eq!(top(&d), Some(KNOWN_ID));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fuzz regressions

fn regression_files(open: bool) -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/fuzz-regressions");
    let mut out = Vec::new();
    for target in harness::TARGETS {
        let Ok(rd) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let is_open = f
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("open-");
            if is_open == open {
                out.push((target.to_owned(), f));
            }
        }
    }
    out
}

fn replay(files: Vec<(String, PathBuf)>) -> usize {
    let n = files.len();
    for (target, path) in files {
        let data = std::fs::read(&path).unwrap();
        let what = format!("{target} {}", path.display());
        within(Duration::from_secs(10), &what, move || {
            harness::run(&target, &data)
        });
    }
    n
}

#[test]
fn fuzz_regressions_replay() {
    replay(regression_files(false));
}

#[test]
#[ignore = "bug: replays the open-* fuzz findings (none open at the moment; see tests/data/fuzz-regressions/README.md)"]
fn fuzz_regressions_of_open_bugs() {
    replay(regression_files(true));
}

// ---------------------------------------------------------------------------------------
// Concurrency

#[test]
fn sixteen_readers_and_a_hundred_reloads_see_one_consistent_set() {
    let dir = tempdir("reload");
    copy_dir(&fixtures().join("full"), &dir);
    let engine = Arc::new(Engine::from_dirs([&dir]).unwrap());
    let queries = [
        GOOD_TEXT,
        "stripe: charge ch_123 declined (HTTP 402) for order #42 in safari",
        "checkout is slow",
    ];
    let expected: Arc<Vec<Diagnosis>> =
        Arc::new(queries.iter().map(|q| engine.search(q, 3)).collect());
    assert_eq!(top(&expected[0]), Some(GOOD_ID));
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    for w in 0..16 {
        let (engine, stop, expected, answers, done) = (
            engine.clone(),
            stop.clone(),
            expected.clone(),
            answers.clone(),
            done_tx.clone(),
        );
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let k = i % queries.len();
                    let d = engine.search(queries[k], 3);
                    assert_eq!(d, expected[k], "every answer comes from one consistent set");
                    answers.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                    // leave the reloading thread some of the two CI cores
                    std::thread::sleep(Duration::from_millis(10));
                }
            }));
            let _ = done.send(r.is_ok());
        });
    }
    drop(done_tx);
    let entries = dir.join("entries/payments.toml");
    let manifest = dir.join("pack.toml");
    let good_entries = std::fs::read_to_string(&entries).unwrap();
    let good_manifest = std::fs::read_to_string(&manifest).unwrap();
    let breakages: [(&Path, String); 4] = [
        (
            &entries,
            good_entries.replace("your card was declined", "(unclosed"),
        ),
        (&entries, good_entries[..good_entries.len() / 2].to_owned()),
        (
            &manifest,
            good_manifest.replace("format = 1", "format = 99"),
        ),
        (
            &entries,
            good_entries.replace("fact(\"card.expired\")", "fact(\"nope\")"),
        ),
    ];
    let t = Instant::now();
    for i in 0..100 {
        if i % 2 == 0 {
            let (file, text) = &breakages[(i / 2) % breakages.len()];
            std::fs::write(file, text).unwrap();
            let r = engine.reload();
            assert!(r.is_err(), "reload {i}: a broken set is refused");
            assert_eq!(engine.packs().len(), 1, "reload {i}: the old set is kept");
            std::fs::write(&entries, &good_entries).unwrap();
            std::fs::write(&manifest, &good_manifest).unwrap();
        } else {
            engine.reload().expect("a good reload succeeds");
        }
        assert_eq!(engine.search(queries[0], 3), expected[0], "reload {i}");
    }
    let reload_time = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..16 {
        let left = deadline.saturating_duration_since(Instant::now());
        let ok = done_rx
            .recv_timeout(left)
            .expect("every reader ends: no deadlock");
        assert!(ok, "no reader panicked or saw a mixed answer");
    }
    let n = answers.load(Ordering::Relaxed);
    assert!(
        n > 16,
        "readers answered {n} queries during {reload_time:?} of reloads"
    );
}

/// F13: the time limit is checked between operations, and one built-in call over a large
/// string (`chars()` of 8 MiB) is a single operation of tens of milliseconds. A loop of such
/// calls must still stop close to the limit, not hundreds of calls later.
#[test]
fn a_loop_of_long_builtin_calls_stops_near_the_time_limit() {
    let dir = tempdir("long-builtins");
    let mut entries = String::from(
        "[[entries]]\nid = \"e\"\ntitle = \"E\"\n[[entries.signatures]]\nid = \"s\"\npattern = 'hostile long builtin test'\n",
    );
    for (i, body) in ["loop { s.chars(); }", "loop { for c in s { break; } }"]
        .iter()
        .enumerate()
    {
        entries.push_str(&format!(
            "[[entries.causes]]\nid = \"c{i}\"\ntitle = \"C\"\ncheck = '''let s = \"x\"; while s.len() < 8000000 {{ s += s; }} {body} true'''\n"
        ));
    }
    // large strings allowed (the ceiling), a short time limit
    write_pack(
        &dir,
        "hostile-long-builtins",
        "[limits]\nmax_string_size = 10485760\nmax_duration_ms = 50\n",
        &entries,
    );
    let engine = Arc::new(load_beside_good(dir));
    let e = engine.clone();
    let t = Instant::now();
    let d = within(Duration::from_secs(60), "long builtins query", move || {
        e.search("hostile long builtin test", 3)
    });
    let elapsed = t.elapsed();
    let m = d
        .matches
        .iter()
        .find(|m| m.id == "hostile-long-builtins/e")
        .expect("the hostile entry matches");
    for c in &m.causes {
        assert_eq!(c.verdict, Verdict::Error, "{}: {:?}", c.id, c.error);
        let msg = c.error.as_deref().unwrap_or_default();
        assert!(msg.contains("max_duration_ms"), "{}: {msg}", c.id);
    }
    eprintln!("two looping checks of long built-in calls: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(8),
        "two checks with a 50 ms limit took {elapsed:?}"
    );
    assert_good_pack_answers(&engine);
}

#[test]
fn an_undeclared_fact_with_a_huge_name_is_noted_cut_not_echoed_whole() {
    let engine = fixbook::Engine::embedded().unwrap();
    let name = "x".repeat(100_000);
    let q = fixbook::Query::new("Session token not found or invalid").fact(&name, true);
    let d = engine.diagnose(&q).unwrap();
    let note = d
        .notes
        .iter()
        .find(|n| n.contains("not declared by any loaded pack"))
        .expect("the ignored fact is noted");
    assert!(note.len() < 400, "note of {} bytes", note.len());
    assert!(
        note.contains("more bytes"),
        "the note says it was cut: {note}"
    );
}
