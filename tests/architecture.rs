//! The invariants of `ARCHITECTURE.md` that are about where code lives, checked over the
//! source text (the others name their own tests there).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, with its path relative to the workspace root.
fn sources(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root()).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    assert!(!out.is_empty(), "{dir} holds Rust files");
    out
}

/// Files under `dir` whose text contains any of `needles`, except those under `allowed`.
fn offenders(dir: &str, needles: &[&str], allowed: &[&str]) -> Vec<String> {
    sources(dir)
        .into_iter()
        .filter(|(rel, text)| {
            !allowed.iter().any(|a| rel.starts_with(a)) && needles.iter().any(|n| text.contains(n))
        })
        .map(|(rel, _)| rel)
        .collect()
}

#[test]
fn the_engine_never_prints() {
    let found = offenders(
        "engine/src",
        &["println!", "eprintln!", "print!(", "eprint!(", "dbg!("],
        &[],
    );
    assert!(found.is_empty(), "printing in {found:?}");
}

#[test]
fn the_engine_reads_the_environment_only_where_documented() {
    let found = offenders(
        "engine/src",
        &["env::var", "env::vars"],
        &[
            "engine/src/engine.rs",
            "engine/src/index/cache.rs",
            "engine/src/archive/mod.rs",
        ],
    );
    assert!(found.is_empty(), "environment read in {found:?}");
}

#[test]
fn one_module_per_dependency() {
    let t = offenders("engine/src", &["tantivy::"], &["engine/src/index/"]);
    assert!(t.is_empty(), "tantivy outside index/: {t:?}");
    let r = offenders("engine/src", &["rhai::"], &["engine/src/script/"]);
    assert!(r.is_empty(), "rhai outside script/: {r:?}");
}

#[test]
fn pack_regexes_are_compiled_only_in_the_matcher() {
    // outside matcher/, a regex is only ever compiled from a literal of the engine's own
    let call = regex::Regex::new(r"Regex(?:Builder)?::new\(\s*([^)\s]?)").unwrap();
    for (rel, text) in sources("engine/src") {
        if rel.starts_with("engine/src/matcher/") {
            continue;
        }
        for c in call.captures_iter(&text) {
            assert!(
                matches!(&c[1], "r" | "\""),
                "{rel}: a regex compiled from something other than a literal"
            );
        }
    }
}

#[test]
fn the_doors_decode_no_bytes_and_build_no_json_of_their_own() {
    // byte input goes through the engine (Query::from_bytes, matcher::decode_lossy);
    // records printed are engine types
    // (the server's tests read raw HTTP responses: they are clients, not a door)
    let lossy = offenders(
        "bindings",
        &["from_utf8_lossy", "REPLACEMENT_CHARACTER"],
        &["bindings/server/tests/"],
    );
    assert!(lossy.is_empty(), "doors decoding bytes: {lossy:?}");
    let json = offenders("bindings/cli/src", &["json!("], &[]);
    assert!(json.is_empty(), "ad-hoc JSON in the CLI: {json:?}");
    let limits = offenders("bindings", &["default_value_t = 5", "limit=10"], &[]);
    assert!(limits.is_empty(), "a door's own default limit: {limits:?}");
}

/// The engine's public namespaces; every other module is private or `#[doc(hidden)]`.
const PUBLIC_MODULES: &[&str] = &[
    "answer", "archive", "input", "lint", "outcomes", "pack", "testing",
];

/// Modules public only for the fuzz targets, benches and property tests.
const HIDDEN_MODULES: &[&str] = &["embedded", "matcher", "script", "set"];

#[test]
fn the_public_api_is_the_curated_one_and_the_doors_use_only_it() {
    let lib = std::fs::read_to_string(root().join("engine/src/lib.rs")).unwrap();
    let lines: Vec<&str> = lib.lines().collect();
    let (mut public, mut hidden) = (Vec::new(), Vec::new());
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line.strip_prefix("pub mod ") else {
            continue;
        };
        let name = name.trim_end_matches(';').to_owned();
        if i > 0 && lines[i - 1].trim() == "#[doc(hidden)]" {
            hidden.push(name);
        } else {
            public.push(name);
        }
    }
    assert_eq!(
        public, PUBLIC_MODULES,
        "public modules of engine/src/lib.rs"
    );
    assert_eq!(
        hidden, HIDDEN_MODULES,
        "hidden modules of engine/src/lib.rs"
    );
    // the doors (and the examples users copy) speak the public API only
    let needles: Vec<String> = HIDDEN_MODULES
        .iter()
        .map(|m| format!("fixbook::{m}::"))
        .collect();
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    let doors = offenders("bindings", &needles, &[]);
    assert!(doors.is_empty(), "doors using hidden modules: {doors:?}");
    let set = std::fs::read_to_string(root().join("engine/src/set.rs")).unwrap();
    assert!(
        !set.contains("\n    pub packs:") && !set.contains("\n    pub index:"),
        "PackSet's fields are the engine's own"
    );
}
