//! Ranking quality on the query corpus `tests/data/dev-queries.jsonl`: realistic queries
//! (exact errors, fragments, paraphrases, logs, tickets, noisy Unicode, unrelated texts), each
//! with the entry it should find or `null`.
//!
//! Prints top-1 accuracy, recall@3, MRR and the rate of rejected negatives by kind, and fails
//! below top-1 95 %, recall@3 100 %, negatives rejected 100 %.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fixbook::Engine;

#[derive(Default)]
struct Tally {
    n: usize,
    top1: usize,
    top3: usize,
    rr: f64,
    neg: usize,
    neg_ok: usize,
}

#[test]
fn dev_queries_meet_the_quality_bar() {
    let engine = Engine::builder()
        .builtin(true)
        .build()
        .expect("embedded packs load");
    let corpus = include_str!("data/dev-queries.jsonl");
    // every shipped pack is loaded and answers its own kind of query
    let packs: Vec<String> = engine.packs().into_iter().map(|p| p.id).collect();
    for dir in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../packs")).unwrap() {
        let id = dir.unwrap().file_name().to_string_lossy().into_owned();
        assert!(packs.contains(&id), "shipped pack {id} is not loaded");
    }
    // the corpus asks every shipped pack's kind of query
    for id in &packs {
        let prefix = format!("\"expect\": \"{id}/");
        assert!(
            corpus.lines().any(|l| l.contains(&prefix)),
            "the dev queries ask nothing of pack {id}"
        );
    }
    let mut by_kind: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut misses = Vec::new();
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
        let q = v["q"].as_str().expect("q");
        let kind = v["kind"].as_str().unwrap_or("?").to_owned();
        let expect = v["expect"].as_str();
        let d = engine.search(q, 10);
        let ids: Vec<&str> = d.matches.iter().map(|m| m.id.as_str()).collect();
        for t in [by_kind.entry(kind.clone()).or_default(), &mut total] {
            match expect {
                Some(e) => {
                    t.n += 1;
                    if let Some(r) = ids.iter().position(|i| *i == e) {
                        t.top1 += usize::from(r == 0);
                        t.top3 += usize::from(r < 3);
                        t.rr += 1.0 / (r as f64 + 1.0);
                    }
                }
                None => {
                    t.neg += 1;
                    // no shipped pack may answer a negative
                    t.neg_ok += usize::from(ids.is_empty());
                }
            }
        }
        let ok = match expect {
            Some(e) => ids.first() == Some(&e),
            None => ids.is_empty(),
        };
        if !ok {
            misses.push(format!(
                "[{kind}] {q:?}\n    expected {expect:?}, got {:?}",
                &ids[..ids.len().min(3)]
            ));
        }
    }
    println!(
        "{:<14} {:>4} {:>7} {:>9} {:>6} {:>10}",
        "kind", "n", "top-1", "recall@3", "MRR", "negatives"
    );
    let pct = |a: usize, b: usize| {
        if b == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}%", 100.0 * a as f64 / b as f64)
        }
    };
    for (k, t) in by_kind.iter().chain([(&"all".to_owned(), &total)]) {
        println!(
            "{:<14} {:>4} {:>7} {:>9} {:>6} {:>10}",
            k,
            t.n + t.neg,
            pct(t.top1, t.n),
            pct(t.top3, t.n),
            if t.n == 0 {
                "-".into()
            } else {
                format!("{:.3}", t.rr / t.n as f64)
            },
            pct(t.neg_ok, t.neg)
        );
    }
    for m in &misses {
        println!("miss: {m}");
    }
    let top1 = total.top1 as f64 / total.n as f64;
    let recall3 = total.top3 as f64 / total.n as f64;
    assert!(top1 >= 0.95, "top-1 accuracy {top1:.3} is below 0.95");
    assert!(recall3 >= 1.0, "recall@3 {recall3:.3} is below 1.0");
    assert_eq!(
        total.neg_ok, total.neg,
        "an unrelated text matched an entry"
    );
}
