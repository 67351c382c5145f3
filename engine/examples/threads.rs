//! Diagnoses per second on one thread and on several threads sharing one engine: how the
//! engine itself scales, without any binding's locks in the way.
//!
//! Run: `cargo run --release -p fixbook --example threads -- --queries Q.txt [--threads N]
//! [--calls N] [PACK_DIR...]` (no PACK_DIR: the embedded packs; queries one per line; the
//! default is 2 threads and 20 000 calls per measurement). Each measurement runs the same
//! calls, split among the threads; a first run on one thread warms the lazy compiles.

use std::time::Instant;

use fixbook::{Engine, Query};

fn rate(engine: &Engine, queries: &[String], threads: usize, calls: usize) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for first in 0..threads {
            s.spawn(move || {
                for i in (first..calls).step_by(threads) {
                    let q = Query::new(queries[i % queries.len()].clone()).limit(10);
                    // a failed diagnose is the engine's answer too; it is counted
                    let _ = engine.diagnose(&q);
                }
            });
        }
    });
    calls as f64 / start.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut dirs, mut queries_file, mut threads, mut calls) = (Vec::new(), None, 2, 20_000);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--queries" => queries_file = args.next(),
            "--threads" => threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(2),
            "--calls" => calls = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000),
            _ => dirs.push(a),
        }
    }
    let engine = Engine::builder()
        .builtin(dirs.is_empty())
        .pack_dirs(dirs)
        .strict(true)
        .build()?;
    let queries: Vec<String> = match queries_file {
        Some(f) => std::fs::read_to_string(f)?
            .lines()
            .map(str::to_owned)
            .collect(),
        None => vec!["Session token not found or invalid".to_owned()],
    };
    let threads = threads.max(1);
    rate(&engine, &queries, 1, calls);
    let one = rate(&engine, &queries, 1, calls);
    let many = rate(&engine, &queries, threads, calls);
    println!(
        "1 thread {one:.0} diagnoses/s, {threads} threads {many:.0}/s: {:.2}x",
        many / one
    );
    Ok(())
}
