//! Experiments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fixbook::pack::{load_pack, LoadOptions, Origin, PackSource};
use std::time::Instant;

fn load(files: &[(&str, &str)]) -> Result<fixbook::pack::Pack, Vec<fixbook::PackError>> {
    let src = PackSource::from_memory("mem", Origin::Builtin, files);
    load_pack(&src, &LoadOptions::default())
}

const MANIFEST: &str = "format = 1\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n";

#[test]
fn experiments() {
    // many near-limit signatures
    let mut lo = 1usize;
    let mut hi = 200usize;
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if fixbook::matcher::compile_pattern(&format!("\\w{{{mid}}}x")).is_ok() {
            lo = mid
        } else {
            hi = mid
        }
    }
    eprintln!("largest rep {lo}");
    let rep = lo;
    for n in [10usize, 100] {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&format!("[[entries]]\nid = \"e{i}\"\ntitle = \"E{i}\"\n[[entries.signatures]]\nid = \"s\"\npattern = '\\w{{{rep}}}x{i}'\n"));
        }
        let t = Instant::now();
        let r = load(&[("pack.toml", MANIFEST), ("entries/a.toml", &s)]);
        eprintln!(
            "{n} \\w{{{rep}}} sigs load: {:?} in {:?}",
            r.as_ref().err().map(|e| e[0].to_string()),
            t.elapsed()
        );
        if r.is_ok() {
            let dir = std::env::temp_dir().join(format!("fb-sig-{n}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("entries")).unwrap();
            std::fs::write(dir.join("pack.toml"), MANIFEST).unwrap();
            std::fs::write(dir.join("entries/a.toml"), &s).unwrap();
            let t = Instant::now();
            let e = fixbook::Engine::from_dirs([&dir]);
            eprintln!(
                "  engine build: {:?} in {:?}",
                e.as_ref().err().map(|e| e.to_string()),
                t.elapsed()
            );
            if let Ok(e) = e {
                let text = format!("{}{}", "abc ".repeat(250_000), "é".repeat(1000));
                let t = Instant::now();
                let d = e.search(&text, 3);
                eprintln!("  1MB query: {} in {:?}", d.matches.len(), t.elapsed());
            }
        }
    }
    // duplicates
    let mut s = String::new();
    for _ in 0..5000 {
        s.push_str("[[entries]]\nid = \"same\"\ntitle = \"T\"\nkeywords = [\"k\"]\n");
    }
    let t = Instant::now();
    let r = load(&[("pack.toml", MANIFEST), ("entries/a.toml", &s)]);
    eprintln!(
        "5000 dups: {} errors in {:?}",
        r.err().map_or(0, |e| e.len()),
        t.elapsed()
    );
}
