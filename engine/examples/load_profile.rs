//! Where load time goes: per pack (parse, validate, compile), then the signature set and the
//! full-text index. Run: `cargo run --release -p fixbook --example load_profile [PACK_DIR...]`

use std::sync::Arc;
use std::time::Instant;

use fixbook::pack::{load_pack, LoadOptions, PackSource};
use fixbook::set::PackSet;

fn main() {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let sources: Vec<PackSource> = if dirs.is_empty() {
        fixbook::embedded::sources()
    } else {
        dirs.iter()
            .map(|d| PackSource::from_dir(std::path::Path::new(d)).expect("readable pack"))
            .collect()
    };
    println!("read sources: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let mut packs = Vec::new();
    for s in &sources {
        let t = Instant::now();
        let p = load_pack(s, &LoadOptions::default()).expect("pack loads");
        println!(
            "load {}: {:.1} ms ({} entries)",
            p.id,
            t.elapsed().as_secs_f64() * 1e3,
            p.entries.len()
        );
        packs.push(Arc::new(p));
    }
    let mut patterns: Vec<String> = Vec::new();
    for p in &packs {
        for e in &p.entries {
            patterns.extend(e.signatures.iter().map(|s| s.pattern.clone()));
        }
    }
    let t = Instant::now();
    for pat in &patterns {
        let _ = fixbook::matcher::compile_pattern(pat);
    }
    println!(
        "compile {} signature patterns again: {:.1} ms",
        patterns.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let se = fixbook::script::ScriptEngine::new(fixbook::Limits::default());
    let t = Instant::now();
    let mut n = 0;
    for p in &packs {
        for e in &p.entries {
            for c in e.causes.iter().filter_map(|c| c.check.as_ref()) {
                let _ = se.compile(c.source());
                n += 1;
            }
        }
    }
    println!(
        "compile {n} checks again: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let set = PackSet::build(packs, Vec::new(), None).expect("set builds");
    println!(
        "signature set + index: {:.1} ms ({} signatures)",
        t.elapsed().as_secs_f64() * 1e3,
        set.signature_count()
    );
}
