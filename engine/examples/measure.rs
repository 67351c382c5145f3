//! Measures an engine on a pack set: load time, then `search` and `diagnose` latency
//! percentiles (and the diagnose mean) over a file of queries (one per line; none: the exact
//! seed error "Session token not found or invalid").
//!
//! Run: `cargo run --release -p fixbook --example measure -- --queries Q.txt [--cache DIR]
//! PACK_DIR...` (no PACK_DIR: the embedded packs; `--cache`: keep the text index in DIR, run
//! twice for a warm start; `--threads N`: also diagnoses per second on one thread and on N
//! threads sharing the engine, how the engine itself scales with no binding in the way).
//! Memory is read from /proc (Linux).

use std::time::{Duration, Instant};

use fixbook::{Engine, Query};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn mean(times: &[Duration]) -> Duration {
    times.iter().sum::<Duration>() / times.len().max(1) as u32
}

/// Resident and peak resident memory of this process in MiB, from /proc (Linux).
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((kib("VmRSS:")? >> 10, kib("VmHWM:")? >> 10))
}

/// Diagnoses per second of `calls` queries (cycling through `queries`) split among `threads`
/// threads of one engine.
fn rate(engine: &Engine, queries: &[String], threads: usize, calls: usize) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for first in 0..threads {
            s.spawn(move || {
                for i in (first..calls).step_by(threads) {
                    let q = Query::new(queries[i % queries.len()].clone()).limit(10);
                    // an error is an answer too: it is timed like one
                    let _ = engine.diagnose(&q);
                }
            });
        }
    });
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dirs = Vec::new();
    let mut queries_file = None;
    let mut cache = None;
    let mut threads = None;
    while let Some(a) = args.next() {
        if a == "--queries" {
            queries_file = args.next();
        } else if a == "--cache" {
            cache = args.next().map(std::path::PathBuf::from);
        } else if a == "--threads" {
            threads = args.next().and_then(|n| n.parse::<usize>().ok());
        } else {
            dirs.push(a);
        }
    }
    let t = Instant::now();
    let engine = Engine::builder()
        .builtin(dirs.is_empty())
        .pack_dirs(dirs)
        .strict(true)
        .index_cache(cache)
        .build()?;
    let load = t.elapsed();
    let after_load = memory();
    let queries: Vec<String> = match queries_file {
        Some(f) => std::fs::read_to_string(f)?
            .lines()
            .map(str::to_owned)
            .collect(),
        None => vec!["Session token not found or invalid".to_owned()],
    };
    let rounds = (2000 / queries.len().max(1)).max(1);
    let mut search = Vec::new();
    let mut diagnose = Vec::new();
    let mut matched = 0usize;
    for _ in 0..rounds {
        for q in &queries {
            let t = Instant::now();
            let d = engine.search(q, 10);
            search.push(t.elapsed());
            matched += usize::from(!d.matches.is_empty());
            let query = Query::new(q.clone()).limit(10);
            let t = Instant::now();
            let _ = engine.diagnose(&query)?;
            diagnose.push(t.elapsed());
        }
    }
    search.sort();
    diagnose.sort();
    println!("entries: {}", engine.entry_count());
    println!("load: {:.1} ms", load.as_secs_f64() * 1e3);
    if let (Some((rss, peak)), Some((end_rss, end_peak))) = (after_load, memory()) {
        println!(
            "memory: {rss} MiB after load (peak {peak} MiB), {end_rss} MiB after the queries (peak {end_peak} MiB)"
        );
    }
    println!(
        "search: p50 {:.1} µs, p99 {:.1} µs ({} calls, {:.0}% matched)",
        percentile(&search, 0.5).as_secs_f64() * 1e6,
        percentile(&search, 0.99).as_secs_f64() * 1e6,
        search.len(),
        100.0 * matched as f64 / search.len().max(1) as f64
    );
    println!(
        "diagnose: p50 {:.1} µs, p99 {:.1} µs, mean {:.1} µs",
        percentile(&diagnose, 0.5).as_secs_f64() * 1e6,
        percentile(&diagnose, 0.99).as_secs_f64() * 1e6,
        mean(&diagnose).as_secs_f64() * 1e6
    );
    if let Some(n) = threads.filter(|&n| n > 0) {
        let calls = 20_000;
        let one = rate(&engine, &queries, 1, calls);
        let many = rate(&engine, &queries, n, calls);
        println!(
            "threads: 1 thread {one:.0} diagnoses/s, {n} threads {many:.0}/s: {:.2}x",
            many / one
        );
    }
    Ok(())
}
