//! The conformance cases of `tests/data/conformance.toml` (its header documents the format),
//! read and checked the same way by every Rust-driven door test.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub text_hex: Option<String>,
    #[serde(default)]
    pub facts: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub top: Option<String>,
    #[serde(default)]
    pub matches: Option<usize>,
    #[serde(default)]
    pub verdicts: BTreeMap<String, String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub same_as: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

impl Case {
    /// The query's bytes (`text`, or `text_hex` decoded).
    pub fn bytes(&self) -> Vec<u8> {
        match (&self.text, &self.text_hex) {
            (Some(t), None) => t.as_bytes().to_vec(),
            (None, Some(h)) => (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
                .collect(),
            _ => panic!("case {:?}: give `text` or `text_hex`", self.name),
        }
    }

    /// The facts as JSON values (as a JSON request carries them).
    pub fn facts_json(&self) -> serde_json::Map<String, Value> {
        self.facts
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap()))
            .collect()
    }
}

/// Every case, in file order.
pub fn cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("tests/data/conformance.toml").is_file())
        .expect("the workspace root")
        .join("tests/data/conformance.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let file: File = toml::from_str(&text).unwrap();
    assert!(file.case.len() >= 10, "conformance cases are read");
    file.case
}

/// The JSON a door prints for `value`, parsed back (through text, as every door sends it:
/// `serde_json::to_value` would widen `f32` scores to `f64` digits no door prints).
pub fn printed<T: serde::Serialize>(value: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

/// What a door answered: the JSON of a diagnosis, or an error kind's stable name.
pub type Answer = Result<Value, String>;

/// Checks every case's answer against what the case expects; `answers` is in case order.
/// Panics with every failure listed.
pub fn check_all(door: &str, cases: &[Case], answers: &[Answer]) {
    let mut failures = Vec::new();
    for (case, answer) in cases.iter().zip(answers) {
        if let Err(why) = check(case, answer, cases, answers) {
            failures.push(format!("{door}: case {:?}: {why}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check(case: &Case, answer: &Answer, cases: &[Case], answers: &[Answer]) -> Result<(), String> {
    if let Some(kind) = &case.error {
        return match answer {
            Err(k) if k == kind => Ok(()),
            Err(k) => Err(format!("error kind {k}, expected {kind}")),
            Ok(_) => Err(format!("an answer, expected a {kind} error")),
        };
    }
    let d = answer
        .as_ref()
        .map_err(|k| format!("a {k} error, expected an answer"))?;
    let matches = d["matches"].as_array().ok_or("no `matches` array")?;
    if let Some(top) = &case.top {
        let got = matches
            .first()
            .map_or("", |m| m["id"].as_str().unwrap_or(""));
        if got != top {
            return Err(format!("top {got:?}, expected {top:?}"));
        }
    }
    if let Some(n) = case.matches {
        if matches.len() != n {
            return Err(format!("{} matches, expected {n}", matches.len()));
        }
    }
    for (cause, verdict) in &case.verdicts {
        let got = matches
            .first()
            .and_then(|m| m["causes"].as_array())
            .and_then(|cs| cs.iter().find(|c| c["id"] == cause.as_str()))
            .map(|c| c["verdict"].as_str().unwrap_or("").to_owned());
        if got.as_deref() != Some(verdict.as_str()) {
            return Err(format!("cause {cause}: {got:?}, expected {verdict}"));
        }
    }
    if let Some(note) = &case.note {
        let notes = d["notes"].as_array().cloned().unwrap_or_default();
        if !notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains(note)))
        {
            return Err(format!("no note containing {note:?} in {notes:?}"));
        }
    }
    if let Some(other) = &case.same_as {
        let i = cases
            .iter()
            .position(|c| &c.name == other)
            .ok_or_else(|| format!("same_as: no case {other:?}"))?;
        if &answers[i] != answer {
            return Err(format!("answer differs from case {other:?}"));
        }
    }
    Ok(())
}
