//! Property tests: what holds for any input. Search answers any text with a well-formed
//! answer, a known error message is found inside noise, normalisation is idempotent, the
//! scan of a chunk finds line by line what search finds by signature, the
//! pack loader returns `Ok` or located errors for any TOML-like text, and facts of any type
//! give an answer or a `Fact` error.
//!
//! Each property runs at most 256 cases so the file stays fast in debug builds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use fixbook::matcher::{normalize, normalize_lines};
use fixbook::pack::{load_pack, LoadOptions, Origin, PackSource};
use fixbook::{Engine, ErrorKind, FactDecl, FactType, FactValue, PackErrorKind, Query};
use proptest::prelude::*;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("the embedded packs load"))
}

/// Exact error messages of the query corpus whose entry is found first by a signature:
/// (message, expected entry).
fn known_messages() -> &'static [(String, String)] {
    static K: OnceLock<Vec<(String, String)>> = OnceLock::new();
    K.get_or_init(|| {
        let corpus = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/data/dev-queries.jsonl"),
        )
        .unwrap();
        let mut out = vec![(
            "Session token not found or invalid".to_owned(),
            "aws-iam-identity-center/session-token-invalid".to_owned(),
        )];
        for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let (Some(q), Some(expect)) = (v["q"].as_str(), v["expect"].as_str()) else {
                continue;
            };
            let d = engine().search(q, 1);
            if d.matches
                .first()
                .is_some_and(|m| m.id == expect && !m.evidence.signatures.is_empty())
                && !out.iter().any(|(k, _)| k == q)
            {
                out.push((q.to_owned(), expect.to_owned()));
            }
        }
        out
    })
}

/// Every declared fact of the embedded packs.
fn declared_facts() -> &'static [FactDecl] {
    static F: OnceLock<Vec<FactDecl>> = OnceLock::new();
    F.get_or_init(|| {
        let e = engine();
        let mut out: Vec<FactDecl> = Vec::new();
        for id in e.entry_ids() {
            for f in e.entry(&id).unwrap().facts {
                if !out.iter().any(|g| g.name == f.name) {
                    out.push(f);
                }
            }
        }
        assert!(!out.is_empty());
        out
    })
}

/// Text that looks like what people paste: words, punctuation, query syntax, Unicode, binary.
fn pasted_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,200}",
        "(?s).{0,100}",
        "([A-Za-z]{1,12}[ :\"'()\\[\\]{}+\\-*~^!?/\\\\,.;=<>@#]{0,2}){0,40}",
        "(AND|OR|NOT|TO|:|\"|\\(|\\)|\\[|\\]|-|\\+|\\*|~|\\^| ){0,30}",
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| fixbook::matcher::decode_lossy(&b).0),
    ]
}

/// Noise around an embedded message, never ending in a letter so the message stays a word.
fn noise() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9 .,:;!?()\\[\\]{}'\"=/-]{0,60}",
        "(?s).{0,40}",
        "[ -~]{0,80}",
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        " ", "\n", ": ", "\t", " \"", "' ", " | ", "\r\n> ", " — ", "\0",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_gets_a_well_formed_answer(text in pasted_text(), limit in 0usize..12) {
        let d = engine().search(&text, limit);
        harness::check_diagnosis(&d, limit);
    }

    #[test]
    fn a_known_message_inside_noise_is_found_in_the_top_3(
        pick in any::<prop::sample::Index>(),
        before in noise(),
        after in noise(),
        sep1 in separator(),
        sep2 in separator(),
    ) {
        let known = known_messages();
        let (message, expect) = &known[pick.index(known.len())];
        let text = format!("{before}{sep1}{message}{sep2}{after}");
        let d = engine().search(&text, 3);
        let ids: Vec<&str> = d.matches.iter().map(|m| m.id.as_str()).collect();
        prop_assert!(ids.contains(&expect.as_str()), "{text:?}: {ids:?}");
    }

    #[test]
    fn scanning_a_chunk_finds_what_search_finds_by_signature(
        lines in prop::collection::vec(
            prop_oneof![
                pasted_text(),
                (noise(), 0..known_messages().len(), noise())
                    .prop_map(|(a, i, b)| format!("{a} {} {b}", known_messages()[i].0)),
            ],
            1..12,
        )
    ) {
        // the `scan` fuzz target's invariant, on chunks built around known messages
        harness::scan_bytes(lines.join("\n").as_bytes());
    }

    #[test]
    fn normalisation_is_idempotent(text in pasted_text()) {
        let once = normalize(&text, usize::MAX).text;
        let twice = normalize(&once, usize::MAX).text;
        prop_assert_eq!(&once, &twice);
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        let lines = normalize_lines(&text);
        prop_assert_eq!(normalize_lines(&lines), lines.clone());
        prop_assert_eq!(lines.matches('\n').count(), text.matches('\n').count());
        // each line as `normalize` gives it on its own (the chunk path copies canonical runs)
        for (got, raw) in lines.split('\n').zip(text.split('\n')) {
            prop_assert_eq!(got, normalize(raw, usize::MAX).text);
        }
    }

    #[test]
    fn normalisation_never_grows_past_its_byte_limit(text in pasted_text(), max in 0usize..64) {
        let n = normalize(&text, max);
        prop_assert!(n.text.len() <= max);
        prop_assert_eq!(n.notes.is_empty(), text.len() <= max);
    }

    #[test]
    fn any_ascii_toml_ish_text_loads_or_gives_located_errors(
        files in (toml_ish(false), toml_ish(false))
    ) {
        check_load(&files.0, &files.1)?;
    }

    #[test]
    fn fact_values_of_any_type_give_an_answer_or_a_fact_error(
        picks in prop::collection::vec((any::<prop::sample::Index>(), fact_value()), 1..4),
        text_pick in any::<prop::sample::Index>(),
    ) {
        let facts = declared_facts();
        let known = known_messages();
        let mut q = Query::new(known[text_pick.index(known.len())].0.as_str()).limit(5);
        let mut all_well_typed = true;
        for (i, v) in picks {
            let decl = &facts[i.index(facts.len())];
            all_well_typed &= well_typed(decl, &v);
            q = q.fact(decl.name.as_str(), v);
        }
        match engine().diagnose(&q) {
            Ok(d) => harness::check_diagnosis(&d, 5),
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Fact, "{}", e);
                prop_assert!(!all_well_typed, "a well-typed fact was refused: {}", e);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_toml_ish_text_with_multibyte_characters_loads_or_gives_located_errors(
        files in (toml_ish(true), toml_ish(true))
    ) {
        check_load(&files.0, &files.1)?;
    }
}

fn well_typed(decl: &FactDecl, v: &FactValue) -> bool {
    match (decl.ty, v) {
        (FactType::Bool, FactValue::Bool(_)) | (FactType::Int, FactValue::Int(_)) => true,
        (FactType::Float, FactValue::Float(x)) => x.is_finite(),
        (FactType::Float, FactValue::Int(_)) => true,
        (FactType::String, FactValue::Str(_)) => true,
        (FactType::Enum, FactValue::Str(s)) => decl.values.iter().any(|x| x == s),
        (FactType::List, FactValue::List(_) | FactValue::Str(_)) => true,
        _ => false,
    }
}

fn fact_value() -> impl Strategy<Value = FactValue> {
    prop_oneof![
        any::<bool>().prop_map(FactValue::Bool),
        any::<i64>().prop_map(FactValue::Int),
        any::<f64>().prop_map(FactValue::Float),
        prop::num::f64::ANY.prop_map(FactValue::Float),
        any::<String>().prop_map(FactValue::Str),
        prop::sample::select(vec![
            "true",
            "false",
            "yes",
            "0",
            "1",
            "-7",
            "2.5",
            "NaN",
            "inf",
            "",
            "email",
            "EMAIL",
            "persistent",
            "a,b",
        ])
        .prop_map(|s| FactValue::Str(s.to_owned())),
        prop::collection::vec(any::<String>(), 0..3).prop_map(FactValue::List),
    ]
}

/// Pack-file-like text: lines of the pack format (some valid, some broken) and random lines.
fn toml_ish(multibyte: bool) -> impl Strategy<Value = String> {
    let mut lines: Vec<&'static str> = vec![
        "format = 1\n",
        "format = 2\n",
        "id = \"p\"\n",
        "id = \"Bad Id\"\n",
        "name = \"P\"\n",
        "version = \"1.0.0\"\n",
        "version = \"one\"\n",
        "min_engine_version = \"99.0.0\"\n",
        "[limits]\nmax_operations = 10\n",
        "[facts.\"a.b\"]\ntype = \"bool\"\nquestion = \"?\"\n",
        "[facts.\"a.e\"]\ntype = \"enum\"\nvalues = [\"x\", \"y\"]\n",
        "[facts.\"a.e\"]\ntype = \"enum\"\n",
        "[[extractors]]\nfact = \"a.b\"\npattern = 'yes'\nvalue = true\n",
        "[[entries]]\n",
        "id = \"e\"\n",
        "title = \"T\"\n",
        "title = \"\"\n",
        "keywords = [\"k\"]\n",
        "status = \"draft\"\n",
        "updated = \"2026-13-01\"\n",
        "valid_until = 2026-01-01\n",
        "[[entries.signatures]]\n",
        "pattern = 'token (?P<a.b>\\w+) failed'\n",
        "pattern = '(unclosed'\n",
        "pattern = 'a*'\n",
        "pattern = '(a{1000}){1000}'\n",
        "pattern = \"\\\\d+ \\\\(x\"\n",
        "[[entries.symptoms]]\n",
        "[[entries.causes]]\n",
        "check = 'fact(\"a.b\")'\n",
        "check = 'fact(\"nope\") && '\n",
        "check = 'fact(x)'\n",
        "check = 'loop {}'\n",
        "check = '''\nlet x = 1;\nx +\n'''\n",
        "description = \"d\"\n",
        "unknown_key = 1\n",
        "= = =\n",
        "[[[\n",
        "\"\n",
        "'''\n",
        "a = [[[[[[1]]]]]]\n",
    ];
    if multibyte {
        lines.extend([
            "title = \"Désolé — «erreur»\"\n",
            "check = 'é'\n",
            "check = \"fact(\\\"a.b\\\") ≠ 1\"\n",
            "pattern = \"\\\\dé(\"\n",
            "pattern = '日本語('\n",
            "id = \"ü\"\n",
        ]);
    }
    let line = prop_oneof![
        4 => prop::sample::select(lines).prop_map(str::to_owned),
        1 => if multibyte { "(?s).{0,30}\n" } else { "[ -~]{0,30}\n" },
    ];
    prop::collection::vec(line, 0..24).prop_map(|v| v.concat())
}

fn check_load(manifest: &str, entries: &str) -> Result<(), TestCaseError> {
    let src = PackSource::from_memory(
        "prop",
        Origin::Builtin,
        &[("pack.toml", manifest), ("entries/a.toml", entries)],
    );
    if let Err(errors) = load_pack(&src, &LoadOptions::default()) {
        prop_assert!(!errors.is_empty());
        for e in &errors {
            prop_assert!(!e.path.is_empty(), "{:?}", e);
            prop_assert!(!e.message.trim().is_empty(), "{:?}", e);
            if e.kind != PackErrorKind::Io {
                prop_assert!(e.line >= 1 && e.column >= 1, "{:?}", e);
            }
        }
    }
    Ok(())
}
