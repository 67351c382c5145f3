//! The conformance cases (`tests/data/conformance.toml`) through the Rust API: the engine's
//! own answer, which the C, Python and HTTP doors must give too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/conformance.rs"]
mod conformance;

use fixbook::{Engine, FactValue, Query};

/// The Rust door: `Query::from_bytes` for the text, facts converted as the CLI converts
/// a TOML facts file, `Engine::diagnose`.
pub fn answer(engine: &Engine, case: &conformance::Case) -> conformance::Answer {
    let mut q = Query::from_bytes(&case.bytes()).limit_or_default(case.limit);
    for (k, v) in &case.facts {
        q.facts
            .insert(k.clone(), FactValue::from_toml(v).expect("a fact value"));
    }
    engine
        .diagnose(&q)
        .map(|d| conformance::printed(&d))
        .map_err(|e| e.kind().as_str().to_owned())
}

#[test]
fn every_case_through_the_rust_api() {
    let engine = Engine::embedded().unwrap();
    let cases = conformance::cases();
    let answers: Vec<_> = cases.iter().map(|c| answer(&engine, c)).collect();
    conformance::check_all("rust", &cases, &answers);
}

#[test]
fn search_and_diagnose_agree_without_facts() {
    let engine = Engine::embedded().unwrap();
    for case in conformance::cases().iter().filter(|c| c.facts.is_empty()) {
        let a = answer(&engine, case).unwrap();
        let s = engine.search_bytes(&case.bytes(), case.limit.unwrap_or(0));
        assert_eq!(a, conformance::printed(&s), "{}", case.name);
    }
}
