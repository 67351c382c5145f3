//! Criterion benchmarks on the shipped packs: load (parse, validate, compile regexes and
//! checks, build the index), `search` and `diagnose` per query over the dev queries, one
//! check evaluation, and `scan` throughput over a 4 MiB chunk of log (MB/s).
//!
//! Run: `cargo bench -p fixbook --bench engine`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fixbook::{Engine, Query};

fn queries() -> Vec<String> {
    include_str!("../tests/data/dev-queries.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["q"].as_str().map(str::to_owned))
        .collect()
}

fn bench(c: &mut Criterion) {
    c.bench_function("load embedded packs", |b| {
        b.iter(|| black_box(Engine::embedded().expect("packs load")))
    });
    let engine = Engine::embedded().expect("packs load");
    let qs = queries();
    c.bench_function("search (per dev query)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % qs.len();
            black_box(engine.search(&qs[i], 10))
        })
    });
    let built: Vec<Query> = qs.iter().map(|q| Query::new(q.clone()).limit(10)).collect();
    c.bench_function("diagnose (per dev query)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % built.len();
            black_box(engine.diagnose(&built[i]).expect("no bad facts"))
        })
    });
    let q = Query::new("Session token not found or invalid");
    c.bench_function("diagnose exact error", |b| {
        b.iter(|| black_box(engine.diagnose(&q).expect("no bad facts")))
    });
    let se = fixbook::script::ScriptEngine::new(fixbook::Limits::default());
    let check = se
        .compile(r#"fact("saml.nameid_format") != "email" && fact("user.provisioned")"#)
        .expect("compiles");
    let mut facts = fixbook::Facts::new();
    facts.insert("saml.nameid_format".into(), "persistent".into());
    facts.insert("user.provisioned".into(), true.into());
    c.bench_function("one check evaluation", |b| {
        b.iter(|| black_box(se.evaluate(&check, &facts)))
    });
    // a log chunk as `fixbook scan` reads it: ordinary lines, one in 500 a known message
    let mut chunk = String::new();
    let mut n = 0u32;
    while chunk.len() < 4 << 20 {
        n += 1;
        if n.is_multiple_of(500) {
            chunk.push_str(&qs[n as usize % qs.len()].replace('\n', " "));
        } else {
            chunk.push_str(&format!(
                "2026-11-28T10:{:02}:{:02}Z worker-{} INFO request {n} served in {} ms",
                n % 60,
                n % 59,
                n % 7,
                n % 1000
            ));
        }
        chunk.push('\n');
    }
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(chunk.len() as u64));
    group.sample_size(20);
    group.bench_function("4 MiB log chunk", |b| {
        b.iter(|| black_box(engine.scan_chunk(&chunk)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
