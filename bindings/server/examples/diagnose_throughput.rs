//! In-process `diagnose` throughput: the baseline the HTTP door is compared with in
//! `scripts/load-figures.sh`.
//!
//! Run: `cargo run --release -p fixbook-server --example diagnose_throughput -- QUERIES.jsonl
//! THREADS SECONDS`. Loads the embedded packs, as `fixbook serve` with no flags does, then
//! `THREADS` threads diagnose the queries of the file (JSON lines with a `"q"` field, as
//! `tests/data/dev-queries.jsonl`) round-robin for `SECONDS` seconds, each query built as the
//! server builds it for `POST /v1/diagnose {"text": …}`. Prints one line:
//! `threads=N requests=R seconds=S rps=X p50_us=… p99_us=…`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fixbook::{Engine, Query};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: diagnose_throughput QUERIES.jsonl THREADS SECONDS";
    let file = args.next().ok_or(usage)?;
    let threads: usize = args.next().ok_or(usage)?.parse()?;
    let seconds: f64 = args.next().ok_or(usage)?.parse()?;
    let queries: Vec<String> = std::fs::read_to_string(file)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| -> Result<String, Box<dyn std::error::Error>> {
            let v: serde_json::Value = serde_json::from_str(l)?;
            Ok(v["q"].as_str().ok_or("a line without \"q\"")?.to_owned())
        })
        .collect::<Result<_, _>>()?;
    let engine = Arc::new(Engine::embedded()?);
    let stop = Arc::new(AtomicBool::new(false));
    let queries = Arc::new(queries);
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (engine, stop, queries) = (engine.clone(), stop.clone(), queries.clone());
            std::thread::spawn(move || {
                let mut took = Vec::new();
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let q = Query::new(queries[i % queries.len()].clone())
                        .limit(fixbook::DEFAULT_LIMIT);
                    let t0 = Instant::now();
                    let d = engine
                        .diagnose(&q)
                        .expect("a query without facts is answered");
                    took.push(t0.elapsed());
                    std::hint::black_box(d);
                    i += threads;
                }
                took
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut took: Vec<Duration> = Vec::new();
    for w in workers {
        took.extend(w.join().map_err(|_| "a worker panicked")?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    took.sort();
    let pct = |p: f64| {
        took.get(((took.len().max(1) - 1) as f64 * p).round() as usize)
            .map_or(0, |d| d.as_micros())
    };
    println!(
        "threads={threads} requests={} seconds={elapsed:.2} rps={:.0} p50_us={} p99_us={}",
        took.len(),
        took.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}
