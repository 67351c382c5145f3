//! The committed JSON Schemas (`schema/*.schema.json`) are generated from the Rust types
//! (the pack format's, and the answer's: `Diagnosis`, `ScanRecord`); this test fails when
//! they are stale. Regenerate with
//! `FIXBOOK_BLESS=1 cargo test -p fixbook --test schema`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn check(file: &str, fresh: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schema")
        .join(file);
    if std::env::var_os("FIXBOOK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run FIXBOOK_BLESS=1 cargo test -p fixbook --test schema",
        path.display()
    );
}

#[test]
fn pack_schema_is_fresh() {
    check("pack.schema.json", &fixbook::pack::json_schema());
}

#[test]
fn tests_schema_is_fresh() {
    check("tests.schema.json", &fixbook::testing::json_schema());
}

#[test]
fn diagnosis_schema_is_fresh() {
    check(
        "diagnosis.schema.json",
        &fixbook::answer::diagnosis_schema(),
    );
}

#[test]
fn scan_record_schema_is_fresh() {
    check(
        "scan-record.schema.json",
        &fixbook::answer::scan_record_schema(),
    );
}

#[test]
fn diagnosis_schema_describes_the_answer() {
    let v: serde_json::Value = serde_json::from_str(&fixbook::answer::diagnosis_schema()).unwrap();
    let required: Vec<&str> = v["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(required, ["matches", "questions"]);
    let m = &v["$defs"]["Match"];
    for field in ["id", "title", "score", "confidence", "causes", "remedy"] {
        assert!(m["properties"][field].is_object(), "Match.{field}");
    }
    // every field of a real answer is in the schema (serde and schemars agree)
    let engine = fixbook::Engine::embedded().unwrap();
    let d = engine.search("Session token not found or invalid", 3);
    let answer = serde_json::to_value(&d).unwrap();
    for key in answer["matches"][0].as_object().unwrap().keys() {
        assert!(
            m["properties"][key].is_object(),
            "answer field {key} not in the schema"
        );
    }
}

#[test]
fn schema_refuses_unknown_keys() {
    let v: serde_json::Value = serde_json::from_str(&fixbook::pack::json_schema()).unwrap();
    assert_eq!(v["additionalProperties"], false);
    assert!(v["properties"]["entries"].is_object());
}

#[test]
fn every_shipped_pack_file_names_its_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack = vec![root.join("packs"), root.join("docs/tutorial")];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let rel = p.strip_prefix(&root).unwrap();
            let depth = rel.components().count() - 1;
            let kind = if rel.components().any(|c| c.as_os_str() == "tests") {
                "tests"
            } else {
                "pack"
            };
            let want = format!("#:schema {}schema/{kind}.schema.json", "../".repeat(depth));
            let first = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(
                first,
                want,
                "{} must start with its #:schema line",
                rel.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}
