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
    let depth: usize = std::env::var("DEPTH").unwrap().parse().unwrap();
    let kind = std::env::var("KIND").unwrap();
    let text = match kind.as_str() {
        "dotted-header" => format!("{MANIFEST}[{}]\n", vec!["a"; depth].join(".")),
        "dotted-key" => format!("{MANIFEST}{} = 1\n", vec!["a"; depth].join(".")),
        "inline" => format!("{MANIFEST}a = {}1{}\n", "{b = ".repeat(depth), "}".repeat(depth)),
        "facts-dotted" => format!("{MANIFEST}[facts.{}]\ntype = \"bool\"\n", vec!["a"; depth].join(".")),
        "entry-updated" => format!("{MANIFEST}[[entries]]\nid = \"a\"\ntitle = \"A\"\nkeywords = [\"k\"]\nupdated = {}1{}\n", "[".repeat(depth), "]".repeat(depth)),
        "entry-updated-dotted" => format!("{MANIFEST}[[entries]]\nid = \"a\"\ntitle = \"A\"\nkeywords = [\"k\"]\nupdated.{} = 1\n", vec!["a"; depth].join(".")),
        "aot" => format!("{MANIFEST}{}", (1..=depth).map(|i| format!("[[{}]]\n", vec!["a"; i].join("."))).collect::<String>()),
        _ => panic!(),
    };
    let t = Instant::now();
    let r = load(&[("pack.toml", &text)]);
    eprintln!(
        "{kind} {depth}: {:?} in {:?}",
        r.err()
            .map(|e| e[0].to_string().chars().take(150).collect::<String>()),
        t.elapsed()
    );
}
