//! Lint: what is legal in a pack but probably wrong.
//!
//! Errors stop a pack from loading (see [`crate::pack`]); warnings here point at knowledge
//! that loads but will disappoint: a fact nobody is asked about, a signature no example
//! exercises or that matches everyday text, a cause no test ever confirms, two entries whose
//! signatures catch each other's examples, an entry past its review date.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diagnose::Query;
use crate::matcher::normalize;
use crate::pack::Pack;
use crate::script::Verdict;
use crate::testing::Example;
use crate::Engine;

/// A lint warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable name of the check (`fact-never-read`, …).
    pub check: &'static str,
    /// File it concerns.
    pub path: String,
    /// Line, 1-based (0: the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Every lint check, with what it looks for.
pub const CHECKS: &[(&str, &str)] = &[
    (
        "fact-without-question",
        "a declared fact has no question to ask a person",
    ),
    (
        "fact-never-read",
        "a declared fact is read by no check or symptom",
    ),
    ("entry-without-tests", "an entry no example expects"),
    (
        "signature-not-exercised",
        "a signature that matches none of its entry's examples",
    ),
    (
        "signature-matches-ordinary-text",
        "a signature that matches lines of the bundled corpus of unrelated helpdesk text",
    ),
    (
        "signature-generic",
        "a generic signature (other products show the same message) in a pack without a [domain]",
    ),
    (
        "signature-overlap",
        "a signature that also matches examples of another entry",
    ),
    (
        "cause-never-confirmed",
        "a cause whose check no example confirms",
    ),
    ("entry-expired", "an entry past its valid_until date"),
];

/// Lines of unrelated text a signature may match before it is called too loose.
fn ordinary_text() -> Vec<String> {
    crate::set::BACKGROUND
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| normalize(l, 1 << 16).text)
        .collect()
}

/// Today's date as `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::dates::civil_date((secs / 86_400) as i64)
}

/// Lints every pack loaded in `engine` (each pack is loaded once, by the engine), with
/// `examples` (the examples of the pack with id `pack_id`; the others get none).
pub fn lint_loaded(
    engine: &Engine,
    pack_id: &str,
    examples: &[Example],
    today: &str,
) -> Vec<Warning> {
    let set = engine.set();
    let mut out = Vec::new();
    for pack in &set.packs {
        let ex: &[Example] = if pack.id == pack_id { examples } else { &[] };
        out.extend(lint(pack, ex, engine, today));
    }
    out
}

/// Lints a loaded pack with its examples. `engine` must have the pack loaded (it runs the
/// examples to see which causes they confirm).
pub fn lint(pack: &Pack, examples: &[Example], engine: &Engine, today: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    let manifest = pack.manifest_path.clone();

    // facts
    let mut read: BTreeSet<&str> = BTreeSet::new();
    for e in &pack.entries {
        for c in e.causes.iter().filter_map(|c| c.check.as_ref()) {
            read.extend(c.may_read().iter().map(String::as_str));
        }
        for s in &e.symptoms {
            read.extend(s.check.may_read().iter().map(String::as_str));
        }
    }
    for (name, decl) in &pack.facts {
        let (path, line) = pack
            .fact_locations
            .get(name)
            .map_or((manifest.clone(), 0), |l| (l.path.clone(), l.line));
        if decl.question.trim().is_empty() {
            out.push(Warning {
                check: "fact-without-question",
                path: path.clone(),
                line,
                message: format!("fact `{name}` has no question"),
                hint: "add question = \"...\" so the engine can ask a person for it".into(),
            });
        }
        if !read.contains(name.as_str()) {
            out.push(Warning {
                check: "fact-never-read",
                path,
                line,
                message: format!("fact `{name}` is never read by a check or symptom"),
                hint: "use it in a check, or remove the declaration".into(),
            });
        }
    }

    // run the examples once: which causes do they confirm?
    let mut confirmed: BTreeMap<(String, String), bool> = BTreeMap::new();
    for ex in examples {
        let mut q = Query::new(ex.text.clone()).limit(10);
        q.facts = ex.facts.clone();
        q.drafts = true;
        if let Ok(d) = engine.diagnose(&q) {
            for m in &d.matches {
                for c in &m.causes {
                    let slot = confirmed
                        .entry((m.id.clone(), c.id.clone()))
                        .or_insert(false);
                    *slot |= c.verdict == Verdict::Confirmed;
                }
            }
        }
    }

    let ordinary = ordinary_text();
    let normalized: Vec<String> = examples
        .iter()
        .map(|x| normalize(&x.text, 1 << 20).text)
        .collect();
    for e in &pack.entries {
        let mine: Vec<usize> = examples
            .iter()
            .enumerate()
            .filter(|(_, x)| x.expect.as_deref() == Some(&e.id) || x.expect_any.contains(&e.id))
            .map(|(i, _)| i)
            .collect();
        if mine.is_empty() && e.status != crate::pack::Status::Retired {
            out.push(Warning {
                check: "entry-without-tests",
                path: e.location.path.clone(),
                line: e.location.line,
                message: format!("entry `{}` has no test example", e.local_id),
                hint: "add [[examples]] with expect = \"…\" in tests/".into(),
            });
        }
        for sig in &e.signatures {
            if !mine.is_empty() && !mine.iter().any(|&i| sig.regex.is_match(&normalized[i])) {
                out.push(Warning {
                    check: "signature-not-exercised",
                    path: sig.location.path.clone(),
                    line: sig.location.line,
                    message: format!(
                        "signature `{}` of `{}` matches none of the entry's examples",
                        sig.id, e.local_id
                    ),
                    hint: "add an example with the exact error text, or fix the pattern".into(),
                });
            }
            let hits: Vec<&String> = ordinary.iter().filter(|l| sig.regex.is_match(l)).collect();
            if !hits.is_empty() {
                out.push(Warning {
                    check: "signature-matches-ordinary-text",
                    path: sig.location.path.clone(),
                    line: sig.location.line,
                    message: format!(
                        "signature `{}` of `{}` matches {} of {} lines of unrelated helpdesk text, e.g. \"{}\"",
                        sig.id,
                        e.local_id,
                        hits.len(),
                        ordinary.len(),
                        hits[0].chars().take(80).collect::<String>()
                    ),
                    hint: "make the pattern more specific (more of the exact message, fewer wildcards)".into(),
                });
            }
            if pack.domain.is_empty() && crate::context::is_generic(&sig.regex) {
                out.push(Warning {
                    check: "signature-generic",
                    path: sig.location.path.clone(),
                    line: sig.location.line,
                    message: format!(
                        "signature `{}` of `{}` is generic: other products show the same message, so it counts only with the pack's domain in the text, and this pack declares no [domain]",
                        sig.id, e.local_id
                    ),
                    hint: "declare [domain] products, services and vendors in pack.toml (see docs/pack-format.md)".into(),
                });
            }
            // examples of other entries that this signature catches
            let stolen: BTreeSet<&str> = examples
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    x.expect
                        .as_ref()
                        .is_some_and(|id| id != &e.id && !x.expect_any.contains(&e.id))
                })
                .filter(|(i, _)| sig.regex.is_match(&normalized[*i]))
                .filter_map(|(_, x)| x.expect.as_deref())
                // two entries sharing a message but told apart by symptoms are fine
                .filter(|other| {
                    e.symptoms.is_empty()
                        || !pack
                            .entries
                            .iter()
                            .any(|o| o.id == *other && !o.symptoms.is_empty())
                })
                .collect();
            if !stolen.is_empty() {
                out.push(Warning {
                    check: "signature-overlap",
                    path: sig.location.path.clone(),
                    line: sig.location.line,
                    message: format!(
                        "signature `{}` of `{}` also matches examples of {}",
                        sig.id,
                        e.local_id,
                        stolen.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                    hint: "make the signatures of neighbouring entries exclusive, or tell them apart with symptoms".into(),
                });
            }
        }
        for c in &e.causes {
            if c.check.is_none() {
                continue;
            }
            if !confirmed
                .get(&(e.id.clone(), c.id.clone()))
                .copied()
                .unwrap_or(false)
            {
                out.push(Warning {
                    check: "cause-never-confirmed",
                    path: c.location.path.clone(),
                    line: c.location.line,
                    message: format!(
                        "cause `{}` of `{}` is confirmed by no example",
                        c.id, e.local_id
                    ),
                    hint: "add an example with facts that make the check true, and its verdicts"
                        .into(),
                });
            }
        }
        if let Some(until) = &e.valid_until {
            if until.as_str() < today {
                out.push(Warning {
                    check: "entry-expired",
                    path: e.location.path.clone(),
                    line: e.location.line,
                    message: format!("entry `{}` was valid until {until}", e.local_id),
                    hint: "review the entry and move valid_until forward, or retire it".into(),
                });
            }
        }
    }
    out
}
