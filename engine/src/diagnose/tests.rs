//! Properties of the whole pipeline.

use std::sync::OnceLock;

use proptest::prelude::*;

use crate::Engine;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    #[allow(clippy::expect_used)]
    E.get_or_init(|| Engine::embedded().expect("the embedded packs load"))
}

/// The query corpus's texts.
fn corpus() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data/dev-queries.jsonl");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let texts: Vec<String> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["q"].as_str().map(str::to_owned))
            .collect();
        assert!(texts.len() > 20, "the query corpus is readable");
        texts
    })
}

/// What the limit must not change: the ids and scores of the matches, in order.
fn ranked(engine: &Engine, text: &str, limit: usize) -> Vec<(String, f32)> {
    let d = engine.search(text, limit);
    d.matches.into_iter().map(|m| (m.id, m.score)).collect()
}

/// A corpus text, two of them run together, or one with some words of another.
fn text() -> impl Strategy<Value = String> {
    let n = corpus().len();
    prop_oneof![
        (0..n).prop_map(|i| corpus()[i].clone()),
        (0..n, 0..n).prop_map(|(i, j)| format!("{}\n{}", corpus()[i], corpus()[j])),
        (0..n, 0..n, 1usize..6).prop_map(|(i, j, k)| {
            let extra: Vec<&str> = corpus()[j].split_whitespace().take(k).collect();
            format!("{} {}", corpus()[i], extra.join(" "))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Checks run only for candidates that can still make the top `limit`: that pruning
    /// must never change which matches come first. (`limit = 0` means the default limit.)
    #[test]
    fn the_answer_for_a_limit_is_a_prefix_of_the_answer_for_fifty(text in text(), n in 1usize..12) {
        let all = ranked(engine(), &text, 50);
        let some = ranked(engine(), &text, n);
        prop_assert!(some.len() <= n);
        prop_assert_eq!(&some[..], &all[..some.len().min(all.len())]);
        prop_assert_eq!(some.len(), n.min(all.len()));
    }
}
