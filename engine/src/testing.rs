//! Pack tests: the examples in a pack's `tests/*.toml`, run against an engine.
//!
//! Authors state what a text should find (`expect`, `expect_any`, `expect_none`), which
//! verdicts facts should give, and which question should come first. [`run_examples`] says
//! for each example whether it holds and, when not, what came instead and why.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnose::Query;
use crate::error::{PackError, PackErrorKind};
use crate::facts::FactValue;
use crate::script::Verdict;
use crate::Engine;

/// One example of a pack test file.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// Label (defaults to the start of the text).
    pub name: String,
    /// `file:line` where it is written.
    pub location: String,
    /// The input text.
    pub text: String,
    /// Facts supplied by the caller.
    pub facts: BTreeMap<String, FactValue>,
    /// Entry that must rank first (full id).
    pub expect: Option<String>,
    /// With `expect`: accepted ranks 1..=within.
    pub within: usize,
    /// Entries that must all match (full ids).
    pub expect_any: Vec<String>,
    /// No entry of the pack may match.
    pub expect_none: bool,
    /// Expected cause verdicts of the `expect` entry.
    pub verdicts: BTreeMap<String, Verdict>,
    /// The fact the first question must ask about.
    pub first_question: Option<String>,
    /// Known gap: reported, never failed.
    pub todo: Option<String>,
}

/// A pack test file (`tests/*.toml`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "fixbook pack tests")]
struct RawTests {
    /// Examples: input text, facts, and what must come out.
    #[serde(default)]
    #[schemars(with = "Vec<RawExample>")]
    examples: Vec<Spanned<RawExample>>,
}

/// One example.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawExample {
    /// Label shown in reports.
    name: Option<String>,
    /// The input text.
    text: String,
    /// Facts supplied by the caller.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    facts: BTreeMap<String, toml::Value>,
    /// Entry id that must rank first among the pack's matches.
    expect: Option<String>,
    /// With `expect`: accept ranks 1..=within.
    within: Option<usize>,
    /// Entry ids that must all be among the matches.
    #[serde(default)]
    expect_any: Vec<String>,
    /// No entry of the pack may match.
    #[serde(default)]
    expect_none: bool,
    /// Cause id -> expected verdict, for the `expect` entry.
    #[serde(default)]
    verdicts: BTreeMap<String, Verdict>,
    /// The fact the first question must ask about.
    first_question: Option<String>,
    /// A known gap: reported, never failed.
    todo: Option<String>,
}

/// The JSON Schema of pack test files (`tests/*.toml`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawTests);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn full_id(pack: &str, id: &str) -> String {
    if id.contains('/') {
        id.to_owned()
    } else {
        format!("{pack}/{id}")
    }
}

/// Reads every `tests/*.toml` of the pack folder `dir` (whose id is `pack_id`).
pub fn load_examples(dir: &Path, pack_id: &str) -> Result<Vec<Example>, Vec<PackError>> {
    let tests = dir.join("tests");
    let mut files: Vec<_> = std::fs::read_dir(&tests)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        let path = f.display().to_string();
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                errors.push(simple_error(&path, 0, format!("cannot read: {e}")));
                continue;
            }
        };
        let raw: RawTests = match toml::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                let line = e.span().map_or(0, |s| line_of(&text, s.start));
                errors.push(simple_error(&path, line, e.message().trim().to_owned()));
                continue;
            }
        };
        for ex in raw.examples {
            let line = line_of(&text, ex.span().start);
            let r = ex.into_inner();
            let mut facts = BTreeMap::new();
            for (k, v) in &r.facts {
                match FactValue::from_toml(v) {
                    Some(fv) => {
                        facts.insert(k.clone(), fv);
                    }
                    None => errors.push(simple_error(
                        &path,
                        line,
                        format!("fact `{k}`: use a bool, number, string or list of strings"),
                    )),
                }
            }
            if r.expect.is_none() && r.expect_any.is_empty() && !r.expect_none {
                errors.push(simple_error(
                    &path,
                    line,
                    "example states no expectation".into(),
                ));
            }
            let name = r.name.clone().unwrap_or_else(|| {
                let t: String = r.text.chars().take(60).collect();
                t.replace('\n', " ")
            });
            out.push(Example {
                name,
                location: format!("{path}:{line}"),
                text: r.text,
                facts,
                expect: r.expect.as_deref().map(|e| full_id(pack_id, e)),
                within: r.within.unwrap_or(1).max(1),
                expect_any: r.expect_any.iter().map(|e| full_id(pack_id, e)).collect(),
                expect_none: r.expect_none,
                verdicts: r.verdicts,
                first_question: r.first_question,
                todo: r.todo,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn simple_error(path: &str, line: usize, message: String) -> PackError {
    PackError {
        kind: PackErrorKind::InvalidValue,
        path: path.to_owned(),
        line,
        column: if line > 0 { 1 } else { 0 },
        message,
        hint: "see the Tests section of docs/pack-format.md".into(),
        entry: None,
        source_line: None,
        length: 0,
    }
}

/// How an example turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It holds.
    Pass,
    /// It does not hold.
    Fail,
    /// A known gap that still fails.
    Todo,
    /// A known gap that now passes (remove `todo`).
    Fixed,
}

/// The outcome of one example.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The example's label.
    pub name: String,
    /// Where it is written.
    pub location: String,
    /// Pass, fail, todo or fixed.
    pub status: Status,
    /// What did not hold.
    pub problems: Vec<String>,
    /// What the engine returned: (id, score), best first.
    pub got: Vec<(String, f32)>,
}

/// Runs examples against `engine`, counting only matches of `pack_id`.
pub fn run_examples(engine: &Engine, pack_id: &str, examples: &[Example]) -> Vec<Outcome> {
    examples
        .iter()
        .map(|ex| run_one(engine, pack_id, ex))
        .collect()
}

fn run_one(engine: &Engine, pack_id: &str, ex: &Example) -> Outcome {
    let mut q = Query::new(ex.text.clone()).limit(10).with_trace();
    q.facts = ex.facts.clone();
    // a pack's own tests exercise its drafts too
    q.drafts = true;
    let mut problems = Vec::new();
    let d = match engine.diagnose(&q) {
        Ok(d) => d,
        Err(e) => {
            return Outcome {
                name: ex.name.clone(),
                location: ex.location.clone(),
                status: if ex.todo.is_some() {
                    Status::Todo
                } else {
                    Status::Fail
                },
                problems: vec![e.to_string()],
                got: Vec::new(),
            }
        }
    };
    let prefix = format!("{pack_id}/");
    let ours: Vec<&crate::Match> = d
        .matches
        .iter()
        .filter(|m| m.id.starts_with(&prefix))
        .collect();
    let got: Vec<(String, f32)> = ours.iter().map(|m| (m.id.clone(), m.score)).collect();
    let why_not = |id: &str| -> String {
        d.trace
            .as_ref()
            .and_then(|t| t.candidates.iter().find(|c| c.id == id))
            .map_or_else(
                || {
                    "it was not a candidate: no signature matched and no search term hit it"
                        .to_owned()
                },
                |c| c.reason.clone(),
            )
    };
    if let Some(exp) = &ex.expect {
        match ours.iter().position(|m| &m.id == exp) {
            Some(rank) if rank < ex.within => {}
            Some(rank) => problems.push(format!(
                "expected {exp} at rank {} at worst, got rank {} (first: {})",
                ex.within,
                rank + 1,
                ours[0].id
            )),
            None => problems.push(format!("expected {exp}, not matched: {}", why_not(exp))),
        }
        if let Some(m) = ours.iter().find(|m| &m.id == exp) {
            for (cause, want) in &ex.verdicts {
                match m.causes.iter().find(|c| &c.id == cause) {
                    Some(c) if c.verdict == *want => {}
                    Some(c) => problems.push(format!(
                        "cause {cause}: expected {}, got {}{}",
                        want.as_str(),
                        c.verdict.as_str(),
                        c.error
                            .as_ref()
                            .map(|e| format!(" ({e})"))
                            .or_else(|| (!c.missing_facts.is_empty())
                                .then(|| format!(" (missing {})", c.missing_facts.join(", "))))
                            .unwrap_or_default()
                    )),
                    None => problems.push(format!("cause {cause}: no such cause in {exp}")),
                }
            }
        }
    }
    for exp in &ex.expect_any {
        if !ours.iter().any(|m| &m.id == exp) {
            problems.push(format!(
                "expected {exp} among the matches: {}",
                why_not(exp)
            ));
        }
    }
    if ex.expect_none && !ours.is_empty() {
        problems.push(format!(
            "expected no match, got {} (score {:.2})",
            ours[0].id, ours[0].score
        ));
    }
    if let Some(fq) = &ex.first_question {
        match d.questions.first() {
            Some(q) if &q.fact == fq => {}
            Some(q) => problems.push(format!("first question: expected {fq}, got {}", q.fact)),
            None => problems.push(format!("first question: expected {fq}, no question asked")),
        }
    }
    let status = match (problems.is_empty(), ex.todo.is_some()) {
        (true, false) => Status::Pass,
        (true, true) => Status::Fixed,
        (false, false) => Status::Fail,
        (false, true) => Status::Todo,
    };
    Outcome {
        name: ex.name.clone(),
        location: ex.location.clone(),
        status,
        problems,
        got,
    }
}
