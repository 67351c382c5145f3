//! Step 8: what to ask next.
//!
//! A question asks for a fact whose answer would decide an undecided check. Within one
//! match, a fact that actually stopped a check (the first missing one) comes before facts a
//! check only may read, and a fact that decides more checks before one that decides fewer.
//! Across matches, a fact several candidates need comes first, then the one weighted most
//! by the confidence of the matches asking it: one answer then tells candidates apart.

use super::model::{Match, Question};
use super::tuning::QUESTION_BASE_WEIGHT;
use crate::facts::{FactType, Facts};
use crate::pack::{Entry, Pack};
use crate::script::{Check, Verdict};

/// Facts whose answer would decide an undecided check: those its three-valued evaluation
/// names (see [`crate::script::kleene`]); for a symptom, which keeps no such list, the
/// other unknown facts it may read.
fn undecided_needs(check: &Check, missing: &[String], known: &Facts) -> Vec<String> {
    // a three-valued evaluation names exactly the facts that would decide the check
    if !missing.is_empty() {
        return missing.to_vec();
    }
    let mut out: Vec<String> = Vec::new();
    for f in check.may_read() {
        if !known.contains_key(f) && !out.contains(f) && !f.starts_with("input.") {
            out.push(f.clone());
        }
    }
    out
}

/// One fact a match's undecided checks need.
struct Need {
    fact: String,
    /// Undecided checks its answer would decide.
    decides: usize,
    /// Checks it stopped (it was their first missing fact).
    stopped: usize,
}

/// The needs of a match's undecided checks, in first-read order.
#[derive(Default)]
struct Needs(Vec<Need>);

impl Needs {
    fn note(&mut self, facts: Vec<String>, stopped_by: Option<&String>) {
        for fact in facts {
            let stopped = usize::from(Some(&fact) == stopped_by);
            match self.0.iter_mut().find(|n| n.fact == fact) {
                Some(n) => {
                    n.decides += 1;
                    n.stopped += stopped;
                }
                None => self.0.push(Need {
                    fact,
                    decides: 1,
                    stopped,
                }),
            }
        }
    }
}

/// The questions that would decide a match's undecided symptoms and causes, most useful
/// first.
pub(super) fn for_match(pack: &Pack, entry: &Entry, m: &Match, facts: &Facts) -> Vec<Question> {
    let mut needs = Needs::default();
    for s in &entry.symptoms {
        if let Some(r) = m.evidence.symptoms.iter().find(|r| r.id == s.id) {
            if r.verdict == Verdict::Unknown {
                needs.note(undecided_needs(&s.check, &[], facts), None);
            }
        }
    }
    for cause in &entry.causes {
        let Some(check) = &cause.check else { continue };
        if let Some(r) = m.causes.iter().find(|r| r.id == cause.id) {
            if r.verdict == Verdict::Unknown {
                needs.note(
                    undecided_needs(check, &r.missing_facts, facts),
                    r.missing_facts.first(),
                );
            }
        }
    }
    let mut asked: Vec<(Need, Question)> = needs
        .0
        .into_iter()
        .filter_map(|n| {
            let q = question(pack, &n, &entry.id)?;
            Some((n, q))
        })
        .collect();
    asked.sort_by(|(a, qa), (b, qb)| {
        (b.stopped > 0)
            .cmp(&(a.stopped > 0))
            .then(b.decides.cmp(&a.decides))
            .then(qa.fact.cmp(&qb.fact))
    });
    asked.into_iter().map(|(_, q)| q).collect()
}

/// The question for a need, worded by the pack's declaration (none for undeclared facts).
fn question(pack: &Pack, n: &Need, entry: &str) -> Option<Question> {
    let decl = pack.facts.get(&n.fact)?;
    Some(Question {
        fact: n.fact.clone(),
        text: if decl.question.is_empty() {
            format!("What is `{}`?", n.fact)
        } else {
            decl.question.clone()
        },
        ty: decl.ty,
        choices: match decl.ty {
            FactType::Enum => decl.values.clone(),
            FactType::Bool => vec!["true".into(), "false".into()],
            _ => Vec::new(),
        },
        decides: n.decides,
        entries: vec![entry.to_owned()],
    })
}

/// A question across matches, with its weight.
struct Weighted {
    weight: f32,
    question: Question,
}

/// Merges per-match questions: a fact asked by several candidates decides more.
pub(super) fn across(matches: &[Match]) -> Vec<Question> {
    // insertion-ordered: the best match's own order wins ties
    let mut out: Vec<Weighted> = Vec::new();
    for m in matches {
        for q in &m.questions {
            let weight = q.decides as f32 * (QUESTION_BASE_WEIGHT + m.confidence);
            match out.iter_mut().find(|w| w.question.fact == q.fact) {
                Some(w) => {
                    w.weight += weight;
                    w.question.decides += q.decides;
                    for e in &q.entries {
                        if !w.question.entries.contains(e) {
                            w.question.entries.push(e.clone());
                        }
                    }
                }
                None => out.push(Weighted {
                    weight,
                    question: q.clone(),
                }),
            }
        }
    }
    out.sort_by(|a, b| {
        b.question
            .entries
            .len()
            .cmp(&a.question.entries.len())
            .then(b.weight.total_cmp(&a.weight))
    });
    out.into_iter().map(|w| w.question).collect()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{pack_set, ENTRIES};
    use crate::diagnose::{run, Query, QueryLimits};

    fn facts_asked(q: &[crate::diagnose::Question]) -> Vec<&str> {
        q.iter().map(|q| q.fact.as_str()).collect()
    }

    #[test]
    fn the_fact_that_stops_most_checks_is_asked_first() {
        let set = pack_set(ENTRIES);
        let d = run(
            &set,
            &Query::new("Your card was declined"),
            &QueryLimits::default(),
        )
        .unwrap();
        let m = &d.matches[0];
        // order.items stopped three causes, card.expired one
        assert_eq!(facts_asked(&m.questions), ["order.items", "card.expired"]);
        assert_eq!(m.questions[0].decides, 3);
        assert_eq!(m.questions[0].text, "How many items are in the cart?");
        assert_eq!(m.questions[1].choices, ["true", "false"]);
    }

    #[test]
    fn a_fact_several_matches_need_comes_first_across_matches() {
        let set = pack_set(ENTRIES);
        let text = "Your card was declined; then the payment gateway timed out after 3000 ms";
        let d = run(&set, &Query::new(text), &QueryLimits::default()).unwrap();
        assert_eq!(d.matches.len(), 2);
        assert_eq!(d.questions[0].fact, "card.expired");
        assert_eq!(d.questions[0].entries.len(), 2);
        // a fact a check only may read (after the one that stopped it) is asked too, with
        // the pack's default wording when it declares no question
        let slow = d
            .questions
            .iter()
            .find(|q| q.fact == "provider.slow")
            .unwrap();
        assert_eq!(slow.text, "What is `provider.slow`?");
        assert_eq!(slow.entries, ["shop/gateway-timeout"]);
    }

    #[test]
    fn a_known_fact_is_not_asked() {
        let set = pack_set(ENTRIES);
        let q = Query::new("Your card was declined").fact("order.items", 2);
        let d = run(&set, &q, &QueryLimits::default()).unwrap();
        assert_eq!(facts_asked(&d.questions), ["card.expired"]);
    }
}
