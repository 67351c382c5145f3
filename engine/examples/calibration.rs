//! Reliability of the confidence: over every pack test example (`packs/*/tests/*.toml`)
//! and the dev queries (`tests/data/dev-queries.jsonl`), each match shown is binned by its
//! confidence, and each bin's share of correct matches (the expected entry) is set beside
//! its mean confidence. A calibrated engine is right about 90 % of the time it says 90 %.
//!
//! Run: `bash scripts/calibration.sh` (or `cargo run -p fixbook --example calibration`).
//! Prints two Markdown tables (every match shown; the first match only) and the expected
//! calibration error (the count-weighted mean gap between confidence and share correct).

use std::path::Path;

use fixbook::testing::load_examples;
use fixbook::{Engine, FactValue, Query};

/// One labelled query: text, facts, the entries that are right answers (none: any match is
/// wrong).
struct Labelled {
    text: String,
    facts: std::collections::BTreeMap<String, FactValue>,
    right: Vec<String>,
}

/// Confidence bins of 0.1.
const BINS: usize = 10;

#[derive(Default, Clone, Copy)]
struct Bin {
    n: usize,
    correct: usize,
    confidence: f64,
}

fn labelled(root: &Path) -> Result<Vec<Labelled>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    let mut packs: Vec<_> = std::fs::read_dir(root.join("packs"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    packs.sort();
    for dir in packs {
        let id = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let examples = load_examples(&dir, &id).map_err(|e| format!("{id}: {e:?}"))?;
        for ex in examples.into_iter().filter(|e| e.todo.is_none()) {
            let mut right: Vec<String> = ex.expect.into_iter().collect();
            right.extend(ex.expect_any);
            out.push(Labelled {
                text: ex.text,
                facts: ex.facts,
                right,
            });
        }
    }
    let corpus = std::fs::read_to_string(root.join("tests/data/dev-queries.jsonl"))?;
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        out.push(Labelled {
            text: v["q"].as_str().unwrap_or_default().to_owned(),
            facts: Default::default(),
            right: v["expect"]
                .as_str()
                .map(str::to_owned)
                .into_iter()
                .collect(),
        });
    }
    Ok(out)
}

fn table(title: &str, bins: &[Bin; BINS]) {
    println!("\n{title}\n");
    println!("| confidence | matches | mean confidence | share correct | gap |");
    println!("|---|---:|---:|---:|---:|");
    let (mut n, mut err) = (0usize, 0.0f64);
    for (i, b) in bins.iter().enumerate() {
        let range = format!("{:.1}–{:.1}", i as f64 / 10.0, (i + 1) as f64 / 10.0);
        if b.n == 0 {
            println!("| {range} | 0 | – | – | – |");
            continue;
        }
        let mean = b.confidence / b.n as f64;
        let share = b.correct as f64 / b.n as f64;
        n += b.n;
        err += b.n as f64 * (mean - share).abs();
        println!(
            "| {range} | {} | {:.2} | {:.2} | {:+.2} |",
            b.n,
            mean,
            share,
            share - mean
        );
    }
    println!(
        "\nexpected calibration error: {:.3} over {n} matches",
        err / n.max(1) as f64
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let engine = Engine::builder().builtin(true).build()?;
    let queries = labelled(&root)?;
    let mut all = [Bin::default(); BINS];
    let mut first = [Bin::default(); BINS];
    for q in &queries {
        let mut query = Query::new(q.text.clone());
        query.facts = q.facts.clone();
        let d = engine.diagnose(&query)?;
        for (rank, m) in d.matches.iter().enumerate() {
            let c = f64::from(m.confidence);
            let bin = ((c * BINS as f64) as usize).min(BINS - 1);
            let right = usize::from(q.right.contains(&m.id));
            for bins in std::iter::once(&mut all).chain((rank == 0).then_some(&mut first)) {
                bins[bin].n += 1;
                bins[bin].correct += right;
                bins[bin].confidence += c;
            }
        }
    }
    println!(
        "{} labelled queries (pack test examples and dev queries)",
        queries.len()
    );
    table("Every match shown", &all);
    table("First match only", &first);
    Ok(())
}
