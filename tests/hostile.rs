//! Experiments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fixbook::script::{Limits, ScriptEngine};
use std::time::Instant;

#[test]
fn experiments() {
    let se = ScriptEngine::new(Limits::default());
    let scripts: Vec<String> = std::env::var("SCRIPTS")
        .unwrap()
        .split("\n---\n")
        .map(str::to_owned)
        .collect();
    for s in scripts {
        let t = Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match se.compile(&s) {
            Ok(c) => {
                let e = se.evaluate(&c, &Default::default());
                format!("{:?} {:?}", e.verdict, e.error)
            }
            Err(e) => format!("compile error {}:{} {}", e.line, e.column, e.message),
        }));
        let short: String = s.chars().take(60).collect();
        eprintln!(
            "{short:?} -> {:?} in {:?}",
            r.map_err(|e| e
                .downcast_ref::<String>()
                .cloned()
                .or(e.downcast_ref::<&str>().map(|s| s.to_string()))),
            t.elapsed()
        );
    }
}
