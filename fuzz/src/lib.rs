//! The fuzz harness: one function per target, from raw bytes into the engine, asserting what
//! must always hold. A violated invariant is a panic, which libFuzzer reports as a crash.
//!
//! Shared by the libFuzzer targets in `fuzz/fuzz_targets/` and by `tests/hostile.rs`, which
//! includes this file as a module and replays every saved input of
//! `tests/data/fuzz-regressions/<target>/` through the same functions. It therefore depends
//! on nothing but `fixbook` and `serde_json`.
//!
//! | target       | input                                         | must hold                                   |
//! |--------------|-----------------------------------------------|---------------------------------------------|
//! | `load_pack`  | pack files as text, separated by NUL bytes    | `Ok`, or `Err` with located, non-empty errors; the loaded pack's regexes and checks run |
//! | `query`      | limit byte + any bytes (decoded lossily)      | an answer: ≤ limit matches, scores sorted, confidences in [0, 1] |
//! | `query_json` | a diagnose request as JSON (the C door)       | `Ok`, or `Err` of kind `Fact` only          |
//! | `facts`      | bytes decoded into an entry's text and facts  | `Ok`, or `Err` of kind `Fact`; the JSON door agrees with the Rust one |
//! | `check`      | a Rhai check script                           | compiles or not; evaluates to a verdict within its limits, never panics or hangs |
//! | `scan`       | a chunk of log lines, bytes decoded lossily   | each line normalised as on its own; the lines and entries found are those search finds by signature, line by line |

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fixbook::matcher::{decode_lossy, SignatureSet};
use fixbook::pack::{load_pack, LoadOptions, Origin, Pack, PackSource};
use fixbook::script::{Limits, ScriptEngine};
use fixbook::Facts;
use fixbook::{Diagnosis, Engine, ErrorKind, FactDecl, FactType, FactValue, Query, Verdict};

/// The fuzz targets, by name (also the folder names under `tests/data/fuzz-regressions/`).
pub const TARGETS: [&str; 6] = ["load_pack", "query", "query_json", "facts", "check", "scan"];

/// Runs one input through the named target's harness.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "load_pack" => load_pack_bytes(data),
        "query" => query_bytes(data),
        "query_json" => query_json_bytes(data),
        "facts" => facts_bytes(data),
        "check" => check_bytes(data),
        "scan" => scan_bytes(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// The embedded engine, built once, and what the `facts` target picks from.
struct Fixture {
    engine: Engine,
    /// Each entry's title and the facts its checks may read.
    entries: Vec<(String, Vec<FactDecl>)>,
    /// Every declared fact.
    facts: Vec<FactDecl>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let engine = Engine::embedded().expect("the embedded packs load");
        let mut entries = Vec::new();
        let mut facts: Vec<FactDecl> = Vec::new();
        for id in engine.entry_ids() {
            let info = engine.entry(&id).expect("listed entries exist");
            for f in &info.facts {
                if !facts.iter().any(|g| g.name == f.name) {
                    facts.push(f.clone());
                }
            }
            entries.push((info.title, info.facts));
        }
        Fixture {
            engine,
            entries,
            facts,
        }
    })
}

/// What every answer must satisfy, whatever the input.
pub fn check_diagnosis(d: &Diagnosis, limit: usize) {
    assert!(
        d.matches.len() <= limit,
        "{} matches for limit {limit}",
        d.matches.len()
    );
    for m in &d.matches {
        assert!(m.score.is_finite(), "{}: score {}", m.id, m.score);
        assert!(
            (0.0..=1.0).contains(&m.confidence),
            "{}: confidence {}",
            m.id,
            m.confidence
        );
        for c in &m.causes {
            if c.verdict == Verdict::Error {
                assert!(
                    c.error.as_deref().is_some_and(|e| !e.is_empty()),
                    "{}/{}: error verdict without a message",
                    m.id,
                    c.id
                );
            }
            if c.verdict == Verdict::Unknown && c.error.is_some() {
                panic!("{}/{}: unknown verdict with an error", m.id, c.id);
            }
        }
    }
    for w in d.matches.windows(2) {
        assert!(
            w[0].score >= w[1].score,
            "scores not sorted: {} {} then {} {}",
            w[0].id,
            w[0].score,
            w[1].id,
            w[1].score
        );
    }
    let mut ids: Vec<&str> = d.matches.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), d.matches.len(), "an entry is listed twice");
    serde_json::to_string(d).expect("a diagnosis serialises to JSON");
}

// ---------------------------------------------------------------------------------------
// load_pack

/// The files an input is split into, at NUL bytes, in this order.
pub const PACK_FILES: [&str; 4] = [
    "pack.toml",
    "entries/a.toml",
    "scripts/helpers.rhai",
    "entries/b.toml",
];

/// `load_pack`: the input is a pack's files (see [`PACK_FILES`]) separated by NUL bytes,
/// decoded lossily. Loading must return the pack or located errors, never panic; a loaded
/// pack's signatures, extractors and checks are then run on sample text and facts.
pub fn load_pack_bytes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let files: Vec<(&str, &str)> = PACK_FILES.iter().copied().zip(text.split('\0')).collect();
    let src = PackSource::from_memory("fuzz", Origin::Builtin, &files);
    match load_pack(&src, &LoadOptions::default()) {
        Ok(pack) => exercise_pack(&pack),
        Err(errors) => {
            assert!(!errors.is_empty(), "Err with no error");
            for e in &errors {
                assert!(!e.path.is_empty(), "error without a path: {e:?}");
                assert!(
                    !e.message.trim().is_empty(),
                    "error without a message: {e:?}"
                );
                if e.kind != fixbook::PackErrorKind::Io {
                    assert!(e.line >= 1 && e.column >= 1, "error not located: {e:?}");
                }
                let _ = e.to_string();
            }
        }
    }
}

/// A sample value of each declared fact.
fn sample_facts(pack: &Pack) -> Facts {
    pack.facts
        .values()
        .map(|d| {
            let v = match d.ty {
                FactType::Bool => FactValue::Bool(true),
                FactType::Int => FactValue::Int(1),
                FactType::Float => FactValue::Float(0.5),
                FactType::String => FactValue::Str("x".into()),
                FactType::Enum => FactValue::Str(d.values.first().cloned().unwrap_or_default()),
                FactType::List => FactValue::List(vec!["a".into()]),
            };
            (d.name.clone(), v)
        })
        .collect()
}

fn exercise_pack(pack: &Pack) {
    let mut sample = String::new();
    let mut regexes = Vec::new();
    for e in &pack.entries {
        sample.push_str(&e.title);
        sample.push('\n');
        for k in e.keywords.iter().chain(&e.aliases) {
            sample.push_str(k);
            sample.push(' ');
        }
        regexes.extend(e.signatures.iter().map(|s| s.regex.clone()));
    }
    for h in SignatureSet::new(regexes).hits(&sample) {
        assert!(h.start <= h.end && h.end <= sample.len());
    }
    for x in &pack.extractors {
        for m in x.regex.captures_all(&sample) {
            assert!(m.start <= m.end && m.end <= sample.len());
        }
    }
    let facts = [Facts::new(), sample_facts(pack)];
    for e in &pack.entries {
        let checks = e
            .causes
            .iter()
            .filter_map(|c| c.check.as_ref())
            .chain(e.symptoms.iter().map(|s| &s.check));
        for check in checks {
            for f in &facts {
                let ev = pack.scripts.evaluate(check, f);
                match ev.verdict {
                    Verdict::Error => assert!(ev.error.is_some_and(|m| !m.is_empty())),
                    Verdict::Unknown => assert!(!ev.missing.is_empty()),
                    Verdict::Confirmed | Verdict::RuledOut => assert!(ev.missing.is_empty()),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// query

/// `query`: the first byte gives the limit (low 4 bits) and whether to also diagnose with a
/// trace (high bit); the rest is the text, as bytes decoded lossily (as the CLI and the C
/// door do).
pub fn query_bytes(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let limit = usize::from(first & 0x0f);
    let (text, note) = decode_lossy(rest);
    assert_eq!(
        note.is_some(),
        std::str::from_utf8(rest).is_err(),
        "a note exactly when bytes were replaced"
    );
    let engine = &fixture().engine;
    let d = engine.search(&text, limit);
    check_diagnosis(&d, limit);
    if first & 0x80 != 0 {
        let q = Query::new(text.as_str()).limit(limit).with_trace();
        let traced = engine
            .diagnose(&q)
            .expect("a query without facts cannot fail");
        check_diagnosis(&traced, limit);
        let ids = |d: &Diagnosis| d.matches.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d), ids(&traced), "the trace changes nothing");
    }
}

// ---------------------------------------------------------------------------------------
// query_json

/// `query_json`: the input is a diagnose request in JSON, as the C door receives it. A
/// request that parses gets an answer or a `Fact` error, nothing else.
pub fn query_json_bytes(data: &[u8]) {
    let Ok(q) = serde_json::from_slice::<Query>(data) else {
        return;
    };
    match fixture().engine.diagnose(&q) {
        Ok(d) => check_diagnosis(&d, q.limit.unwrap_or(10)),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Fact, "{e}"),
    }
}

// ---------------------------------------------------------------------------------------
// facts

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }

    fn string(&mut self) -> String {
        let n = usize::from(self.byte() % 24).min(self.0.len());
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(s).into_owned()
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        if items.is_empty() {
            None
        } else {
            items.get(usize::from(self.byte()) % items.len())
        }
    }
}

const TEXT_VALUES: [&str; 14] = [
    "true", "false", "yes", "No", "1", "0", "-3", "2.5", "NaN", "inf", "", " ", "1e400", "a,b",
];

fn fact_value(r: &mut Reader<'_>, decl: Option<&FactDecl>) -> FactValue {
    match r.byte() % 8 {
        0 => FactValue::Bool(r.byte() & 1 == 1),
        1 => FactValue::Int(r.u64() as i64),
        2 => FactValue::Float(f64::from_bits(r.u64())),
        3 => FactValue::Float(f64::from(r.byte() as i8) / 4.0),
        4 => FactValue::Str(r.string()),
        5 => {
            let values: Vec<String> = decl.map(|d| d.values.clone()).unwrap_or_default();
            match r.pick(&values) {
                Some(v) if r.byte() & 1 == 0 => FactValue::Str(v.to_uppercase()),
                Some(v) => FactValue::Str(v.clone()),
                None => FactValue::Str((*r.pick(&TEXT_VALUES).unwrap_or(&"")).to_owned()),
            }
        }
        6 => {
            let n = r.byte() % 4;
            FactValue::List((0..n).map(|_| r.string()).collect())
        }
        _ => FactValue::Str((r.u64() as i64).to_string()),
    }
}

fn to_json(v: &FactValue) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match v {
        FactValue::Bool(b) => Value::Bool(*b),
        FactValue::Int(i) => Value::from(*i),
        FactValue::Float(x) => Value::Number(serde_json::Number::from_f64(*x)?),
        FactValue::Str(s) => Value::String(s.clone()),
        FactValue::List(l) => Value::Array(l.iter().cloned().map(Value::String).collect()),
    })
}

/// `facts`: the bytes choose an entry (its title is the text, with optional noise) and up to
/// five facts: names among the entry's facts, all declared facts or anything; values of any
/// type, including NaN, infinities, extreme integers, enum values in other cases and text
/// that looks like numbers. The answer must be `Ok` or a `Fact` error, and the JSON door
/// (the same facts sent through `serde_json` as the C and Python doors do) must agree.
pub fn facts_bytes(data: &[u8]) {
    let fx = fixture();
    let mut r = Reader(data);
    let Some((title, entry_facts)) = r.pick(&fx.entries) else {
        return;
    };
    let mut text = title.clone();
    if r.byte() & 1 == 1 {
        text.push(' ');
        text.push_str(&r.string());
    }
    let mut facts: BTreeMap<String, FactValue> = BTreeMap::new();
    for _ in 0..r.byte() % 6 {
        let decl = match r.byte() % 4 {
            0 | 1 => r.pick(entry_facts).or_else(|| r.pick(&fx.facts)),
            2 => r.pick(&fx.facts),
            _ => None,
        };
        let name = match decl {
            Some(d) => d.name.clone(),
            None => r.string(),
        };
        let value = fact_value(&mut r, decl);
        facts.insert(name, value);
    }
    let limit = usize::from(r.byte() % 6);
    let mut q = Query::new(text.as_str()).limit(limit);
    q.facts = facts.clone();
    let direct = fx.engine.diagnose(&q);
    match &direct {
        Ok(d) => check_diagnosis(d, limit),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Fact, "{e}");
            assert!(e.to_string().contains("fact"), "{e}");
        }
    }
    // the same request through JSON, when every value has a JSON form
    let json_facts: Option<serde_json::Map<String, serde_json::Value>> = facts
        .iter()
        .map(|(k, v)| to_json(v).map(|j| (k.clone(), j)))
        .collect();
    let Some(json_facts) = json_facts else {
        return;
    };
    let request = serde_json::json!({ "text": text, "facts": json_facts, "limit": limit });
    let q: Query = serde_json::from_slice(&serde_json::to_vec(&request).expect("serialises"))
        .expect("a well-formed request parses");
    let via_json = fx.engine.diagnose(&q);
    match (&direct, &via_json) {
        (Ok(a), Ok(b)) => {
            check_diagnosis(b, limit);
            let ids = |d: &Diagnosis| d.matches.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(a), ids(b), "the JSON door ranks like the Rust door");
        }
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        (a, b) => panic!("the JSON door disagrees: direct {a:?}, via JSON {b:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// check

/// `check`: the input is a check script (decoded lossily), compiled by a pack's sandboxed
/// script engine with the default limits and evaluated against no facts and against a few
/// facts of each type. It must compile or not, and evaluate to a verdict, without panicking
/// and within its time budget (libFuzzer's `-timeout` catches a hang).
pub fn check_bytes(data: &[u8]) {
    static SCRIPTS: OnceLock<ScriptEngine> = OnceLock::new();
    let se = SCRIPTS.get_or_init(|| ScriptEngine::new(Limits::default()));
    let script = String::from_utf8_lossy(data);
    let Ok(check) = se.compile(&script) else {
        return;
    };
    let sample: Facts = [
        ("a.flag", FactValue::Bool(true)),
        ("a.count", FactValue::Int(3)),
        ("a.ratio", FactValue::Float(0.5)),
        ("a.name", FactValue::Str("alice@example.com".into())),
        ("a.list", FactValue::List(vec!["x".into(), "y".into()])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for facts in [Facts::new(), sample] {
        let ev = se.evaluate(&check, &facts);
        match ev.verdict {
            Verdict::Error => assert!(ev.error.is_some_and(|m| !m.is_empty())),
            Verdict::Unknown => assert!(!ev.missing.is_empty()),
            Verdict::Confirmed | Verdict::RuledOut => assert!(ev.missing.is_empty()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// scan

/// `scan`: the input is a chunk of a log, decoded lossily as `fixbook scan` does. The fast
/// chunk path (lines copied in runs, one literal search, a regex only on lines holding its
/// literal) must agree line by line with normalising and searching each line on its own.
pub fn scan_bytes(data: &[u8]) {
    let (chunk, _) = decode_lossy(data);
    let lines = fixbook::matcher::normalize_lines(&chunk);
    let engine = &fixture().engine;
    let hits = engine.scan_chunk(&chunk);
    let n = chunk.split('\n').count();
    assert_eq!(
        lines.split('\n').count(),
        n,
        "normalisation keeps the lines"
    );
    assert!(
        hits.windows(2).all(|w| w[0].line < w[1].line),
        "one hit per line, in order"
    );
    assert!(
        hits.iter().all(|h| h.line < n),
        "hits name lines of the chunk"
    );
    for (i, (raw, normal)) in chunk.split('\n').zip(lines.split('\n')).enumerate() {
        assert_eq!(
            normal,
            fixbook::matcher::normalize(raw, usize::MAX).text,
            "line {i}"
        );
        let mut by_scan = hits
            .iter()
            .find(|h| h.line == i)
            .map(|h| h.entries.clone())
            .unwrap_or_default();
        by_scan.sort();
        // the chunk path finds what the line alone finds
        let mut alone: Vec<String> = engine
            .scan_chunk(raw)
            .into_iter()
            .flat_map(|h| h.entries)
            .collect();
        alone.sort();
        assert_eq!(by_scan, alone, "line {i}: {raw:?}");
        // search, which also reads typos and weighs domain context, answers by signature
        // only with messages the scan found, unless it read a word of the line as a
        // signature writes it (the trace says which)
        let q = fixbook::Query::new(raw).limit(1000).with_trace();
        if let Ok(d) = engine.diagnose(&q) {
            let corrected = d
                .trace
                .as_ref()
                .is_some_and(|t| t.rewrites.iter().any(|r| r.ends_with("in error messages)")));
            for m in d
                .matches
                .iter()
                .filter(|m| !m.evidence.signatures.is_empty())
            {
                assert!(
                    by_scan.contains(&m.id) || corrected,
                    "line {i}: search found {} by signature, scan did not: {raw:?}",
                    m.id
                );
            }
        }
    }
}
