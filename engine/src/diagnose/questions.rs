//! Step 8: what to ask next, by expected information.
//!
//! A question asks for a fact whose answer would decide an undecided check. Which one comes
//! first is decided by what its answer is expected to tell: the candidates are weighted
//! (each match by its confidence, each of its open causes by its declared `likelihood` or,
//! when it declares none, by its place in the pack: the first 1, the second 1/2, the third
//! 1/3 …), and a fact splits them into the groups its answer tells apart: every candidate
//! entry whose symptom reads it; the causes of one entry whose checks read it, each apart
//! (a choice tells causes apart) or, for a yes/no fact that one answer rules them all out
//! by, together (a gate such as `abac.enabled` keeps or drops them all; a yes/no fact the
//! causes read with opposite signs, such as a clock that is wrong for one cause and right
//! for another, tells them apart); and the rest.
//! The question's score is the entropy of that split in bits: the information its answer is
//! expected to give. The highest score is asked first; equal scores keep the pack's order
//! (best match first, its symptoms, then its causes as the pack lists them). A symptom's
//! fact tells candidate entries apart, so with one candidate it scores 0 and the facts of
//! its causes come first.

use super::model::{Match, Question};
use crate::facts::{FactType, FactValue, Facts};
use crate::pack::{Entry, Pack};
use crate::script::{Check, Verdict};

/// Weight of a match of confidence 0, so the questions of an unsure match still count.
const MIN_MATCH_WEIGHT: f32 = 0.01;

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

/// What is still open about one match: the facts its undecided symptoms need, and its
/// causes still in play with their prior weights and the facts that would decide them.
#[derive(Debug, Clone, Default)]
pub(super) struct Open {
    /// Facts that would decide an undecided symptom (the entry as a whole).
    symptoms: Vec<String>,
    /// Causes not ruled out: (prior weight, facts that would decide it), in pack order.
    causes: Vec<(f32, Vec<String>)>,
    /// Every fact asked, in pack order (symptoms first, then causes).
    order: Vec<String>,
    /// The facts asked that are yes/no (`bool`): gates, whose answer keeps or drops all the
    /// causes that read them together.
    gates: Vec<String>,
}

impl Open {
    /// What is open about match `m` of `entry` in `pack`, given the facts its checks saw.
    pub fn of(pack: &Pack, entry: &Entry, m: &Match, facts: &Facts) -> Open {
        let mut open = Open::default();
        for s in &entry.symptoms {
            let undecided = m
                .evidence
                .symptoms
                .iter()
                .any(|r| r.id == s.id && r.verdict == Verdict::Unknown);
            if undecided {
                for f in undecided_needs(&s.check, &[], facts) {
                    push_new(&mut open.symptoms, &f);
                    push_new(&mut open.order, &f);
                }
            }
        }
        for (i, cause) in entry.causes.iter().enumerate() {
            let Some(r) = m.causes.iter().find(|r| r.id == cause.id) else {
                continue;
            };
            let needs = match (r.verdict, &cause.check) {
                (Verdict::Unknown, Some(check)) => undecided_needs(check, &r.missing_facts, facts),
                (Verdict::Unknown | Verdict::Confirmed, _) => Vec::new(),
                (Verdict::RuledOut | Verdict::Error, _) => continue,
            };
            for f in &needs {
                push_new(&mut open.order, f);
            }
            open.causes.push((prior(cause.likelihood, i), needs));
        }
        open.gates = open
            .order
            .iter()
            .filter(|f| pack.facts.get(*f).is_some_and(|d| d.ty == FactType::Bool))
            .filter(|f| is_gate(pack, entry, m, facts, f))
            .cloned()
            .collect();
        open
    }
}

/// Whether yes/no `fact` is a gate for the undecided causes that need it: one of its two
/// answers rules out every one of them. With fewer than two such causes the split is the
/// same either way.
fn is_gate(pack: &Pack, entry: &Entry, m: &Match, facts: &Facts, fact: &str) -> bool {
    let readers: Vec<&Check> = entry
        .causes
        .iter()
        .filter(|c| {
            m.causes.iter().any(|r| {
                r.id == c.id
                    && r.verdict == Verdict::Unknown
                    && r.missing_facts.iter().any(|f| f == fact)
            })
        })
        .filter_map(|c| c.check.as_ref())
        .collect();
    if readers.len() < 2 {
        return true;
    }
    [true, false].into_iter().any(|answer| {
        let mut assumed = facts.clone();
        assumed.insert(fact.to_owned(), FactValue::Bool(answer));
        readers.iter().all(|check| {
            pack.scripts
                .evaluate_kleene(check, &assumed, &pack.facts)
                .verdict
                == Verdict::RuledOut
        })
    })
}

/// A cause's prior weight: its declared likelihood, or 1/(its place in the entry).
fn prior(likelihood: Option<f32>, index: usize) -> f32 {
    likelihood.unwrap_or(1.0 / (index as f32 + 1.0))
}

fn push_new(v: &mut Vec<String>, f: &str) {
    if !v.iter().any(|x| x == f) {
        v.push(f.to_owned());
    }
}

/// The expected information, in bits, of asking `fact` over weighted matches: the entropy
/// of the split of the candidates' weight its answer tells apart.
fn information(fact: &str, matches: &[(f32, &Open)]) -> f32 {
    let total: f32 = matches.iter().map(|m| m.0).sum::<f32>();
    if total <= 0.0 {
        return 0.0;
    }
    let mut groups: Vec<f32> = Vec::new();
    let mut rest = 0.0;
    for &(w, open) in matches {
        // a symptom's answer tells this entry from the others
        let by_symptom = open.symptoms.iter().any(|f| f == fact);
        let all: f32 = open.causes.iter().map(|c| c.0).sum();
        let decided: Vec<f32> = open
            .causes
            .iter()
            .filter(|c| all > 0.0 && c.1.iter().any(|f| f == fact))
            .map(|c| w * c.0 / all)
            .collect();
        let sum: f32 = decided.iter().sum();
        if open.gates.iter().any(|f| f == fact) {
            groups.push(sum);
        } else {
            groups.extend(decided);
        }
        if by_symptom {
            groups.push(w - sum);
        } else {
            rest += w - sum;
        }
    }
    groups.push(rest);
    let h: f32 = groups
        .iter()
        .map(|&g| g / total)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.log2())
        .sum();
    h.max(0.0)
}

/// A match's weight among the candidates: its confidence, at least [`MIN_MATCH_WEIGHT`].
fn weight(confidence: f32) -> f32 {
    confidence.clamp(MIN_MATCH_WEIGHT, 1.0)
}

/// The questions that would decide a match's undecided symptoms and causes, the most
/// informative first (scored over this match alone, at confidence `confidence`).
pub(super) fn for_match(pack: &Pack, open: &Open, confidence: f32, entry: &str) -> Vec<Question> {
    let one = [(weight(confidence), open)];
    let mut asked: Vec<Question> = open
        .order
        .iter()
        .filter_map(|f| question(pack, f, decides(f, open), information(f, &one), entry))
        .collect();
    // a stable sort: equal scores keep the pack's order
    asked.sort_by(|a, b| b.information.total_cmp(&a.information));
    asked
}

/// How many undecided checks of a match the answer about `fact` would decide.
fn decides(fact: &str, open: &Open) -> usize {
    usize::from(open.symptoms.iter().any(|f| f == fact))
        + open
            .causes
            .iter()
            .filter(|c| c.1.iter().any(|f| f == fact))
            .count()
}

/// The question for a fact, worded by the pack's declaration (none for undeclared facts).
fn question(
    pack: &Pack,
    fact: &str,
    decides: usize,
    information: f32,
    entry: &str,
) -> Option<Question> {
    let decl = pack.facts.get(fact)?;
    Some(Question {
        fact: fact.to_owned(),
        text: if decl.question.is_empty() {
            format!("What is `{fact}`?")
        } else {
            decl.question.clone()
        },
        ty: decl.ty,
        choices: match decl.ty {
            FactType::Enum => decl.values.clone(),
            FactType::Bool => vec!["true".into(), "false".into()],
            _ => Vec::new(),
        },
        decides,
        information: round3(information),
        entries: vec![entry.to_owned()],
    })
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Merges the matches' questions into one list, scored over all of them: a fact whose
/// answer tells candidates apart comes first. `open` is each match's [`Open`], in the
/// order of `matches`.
pub(super) fn across(matches: &[Match], open: &[Open]) -> Vec<Question> {
    let weighted: Vec<(f32, &Open)> = matches
        .iter()
        .zip(open)
        .map(|(m, o)| (weight(m.confidence), o))
        .collect();
    // insertion-ordered: the best match's own (pack) order wins ties
    let mut out: Vec<Question> = Vec::new();
    for (m, o) in matches.iter().zip(open) {
        for fact in &o.order {
            let Some(q) = m.questions.iter().find(|q| &q.fact == fact) else {
                continue;
            };
            match out.iter_mut().find(|w| w.fact == q.fact) {
                Some(w) => {
                    w.decides += q.decides;
                    for e in &q.entries {
                        if !w.entries.contains(e) {
                            w.entries.push(e.clone());
                        }
                    }
                }
                None => out.push(q.clone()),
            }
        }
    }
    for q in &mut out {
        q.information = round3(information(&q.fact, &weighted));
    }
    out.sort_by(|a, b| b.information.total_cmp(&a.information));
    out
}

/// The trace's line for a question: its score and the candidates it tells apart.
pub(super) fn describe(q: &Question) -> String {
    format!(
        "{}: {:.3} bit(s) expected, decides {} check(s) of {}",
        q.fact,
        q.information,
        q.decides,
        q.entries.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{pack_set, ENTRIES};
    use super::{information, Open};
    use crate::diagnose::{run, Query, QueryLimits};

    fn facts_asked(q: &[crate::diagnose::Question]) -> Vec<&str> {
        q.iter().map(|q| q.fact.as_str()).collect()
    }

    /// An open match: facts its symptoms need, its causes' (prior, facts), and which of
    /// those facts are yes/no gates.
    fn open(symptoms: &[&str], causes: &[(f32, &[&str])], gates: &[&str]) -> Open {
        let mut o = Open::default();
        for f in symptoms {
            o.symptoms.push((*f).to_owned());
            o.order.push((*f).to_owned());
        }
        for (p, fs) in causes {
            let fs: Vec<String> = fs.iter().map(|f| (*f).to_owned()).collect();
            for f in &fs {
                super::push_new(&mut o.order, f);
            }
            o.causes.push((*p, fs));
        }
        o.gates = gates.iter().map(|f| (*f).to_owned()).collect();
        o
    }

    #[test]
    fn a_fact_that_splits_two_equal_candidates_gives_one_bit() {
        let a = open(
            &["stage"],
            &[(1.0, &["clock"]), (1.0, &["app"])],
            &["clock"],
        );
        let b = open(&["stage"], &[(1.0, &["nameid"])], &[]);
        let both = [(1.0, &a), (1.0, &b)];
        assert!((information("stage", &both) - 1.0).abs() < 1e-6);
        // a cause's fact tells less: it decides one of a match's two causes only
        assert!(information("clock", &both) < information("stage", &both));
        // a fact nobody needs tells nothing
        assert_eq!(information("other", &both), 0.0);
    }

    #[test]
    fn a_gate_over_many_unlikely_causes_comes_after_a_likely_cause() {
        // five unlikely causes behind one yes/no gate weigh less than one likely cause
        let gated: &[&str] = &["abac"];
        let causes: &[(f32, &[&str])] = &[
            (0.5, &["format"]),
            (0.3, &["user"]),
            (0.04, gated),
            (0.04, gated),
            (0.04, gated),
            (0.04, gated),
            (0.04, gated),
        ];
        let m = open(&[], causes, &["abac", "user"]);
        let one = [(0.9, &m)];
        assert!(information("format", &one) > information("user", &one));
        assert!(information("user", &one) > information("abac", &one));
        // were the five told apart by a choice instead of a gate, the fact would tell more
        let choice = open(&[], causes, &["user"]);
        assert!(information("abac", &[(0.9, &choice)]) > information("abac", &one));
    }

    #[test]
    fn a_choice_that_decides_every_cause_tells_them_apart() {
        let m = open(
            &[],
            &[
                (0.4, &["registry.error"]),
                (0.3, &["registry.error", "tag"]),
                (0.3, &["registry.error"]),
            ],
            &["tag"],
        );
        let one = [(1.0, &m)];
        assert!(information("registry.error", &one) > information("tag", &one));
    }

    #[test]
    fn the_fact_that_decides_most_weight_is_asked_first() {
        let set = pack_set(ENTRIES);
        let d = run(
            &set,
            &Query::new("Your card was declined"),
            &QueryLimits::default(),
        )
        .unwrap();
        let m = &d.matches[0];
        // order.items decides three causes (the first, second and fourth), card.expired one
        assert_eq!(facts_asked(&m.questions), ["order.items", "card.expired"]);
        assert_eq!(m.questions[0].decides, 3);
        assert!(m.questions[0].information > m.questions[1].information);
        assert_eq!(m.questions[0].text, "How many items are in the cart?");
        assert_eq!(m.questions[1].choices, ["true", "false"]);
    }

    #[test]
    fn across_matches_questions_are_merged_and_scored_over_all() {
        let set = pack_set(ENTRIES);
        let text = "Your card was declined; then the payment gateway timed out after 3000 ms";
        let d = run(
            &set,
            &Query::new(text).with_trace(),
            &QueryLimits::default(),
        )
        .unwrap();
        assert_eq!(d.matches.len(), 2);
        let expired = d
            .questions
            .iter()
            .find(|q| q.fact == "card.expired")
            .unwrap();
        assert_eq!(expired.entries.len(), 2);
        // asked highest score first, each score shown in the trace
        for w in d.questions.windows(2) {
            assert!(w[0].information >= w[1].information, "{:?}", d.questions);
        }
        let t = d.trace.unwrap();
        assert_eq!(t.questions.len(), d.questions.len());
        assert!(t.questions[0].starts_with(&format!("{}: ", d.questions[0].fact)));
        // a fact a check only may read is asked too, with the pack's default wording when it
        // declares no question
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
