//! Step 5: the checks of the candidates, best candidates first.
//!
//! Checks are the expensive part of a query, so they run only for candidates that can still
//! reach the top `limit` (symptoms move a score by at most `RANKING.symptom` each) and
//! within the query's check time. A candidate's symptoms then move its score; its causes get
//! verdicts, listed in [`Verdict`]'s order (confirmed, unknown, error, ruled out), and the
//! remedies of its confirmed causes come before the entry's general ones.

use std::collections::BTreeMap;
use std::time::Duration;

use super::input::{self, CallerFacts, EntryFacts};
use super::model::{CauseResult, CheckTrace, Evidence, Match, SignatureEvidence, SymptomResult};
use super::questions;
use super::score::{best_first, Scored};
use super::trace::{Dropped, TraceLog};
use super::tuning::RANKING;
use crate::budget::Budget;
use crate::facts::{FactValue, Facts};
use crate::matcher::SignatureHit;
use crate::pack::{Cause, Entry, Pack};
use crate::script::{Check, Evaluation, Verdict};
use crate::set::PackSet;

/// What every candidate's checks share in one query.
pub(super) struct Context<'a> {
    /// The pack set.
    pub set: &'a PackSet,
    /// The query's signature hits.
    pub hits: &'a [SignatureHit],
    /// The caller's facts, typed per pack.
    pub caller: &'a CallerFacts,
    /// The `input.*` facts.
    pub input: &'a Facts,
    /// The normalised text.
    pub text: &'a str,
}

/// A candidate after its checks.
pub(super) struct Checked {
    /// Its evidence and final score.
    pub scored: Scored,
    /// The match as the answer shows it (score and confidence set by the last step).
    pub found: Match,
    /// Its checks, for the trace.
    pub checks: Vec<CheckTrace>,
    /// What is still open about it, for the questions.
    pub open: questions::Open,
}

/// Runs the checks of the candidates (sorted here, best first) that can still reach the top
/// `limit`; returns them best first by final score.
pub(super) fn run(
    cx: &Context<'_>,
    mut scored: Vec<Scored>,
    limit: usize,
    max_check_time: Duration,
    trace: &mut TraceLog<'_>,
) -> Vec<Checked> {
    scored.sort_by(best_first);
    let budget = Budget::start_counted(max_check_time);
    let reach =
        |c: &Scored| c.score + RANKING.symptom * cx.set.entry(c.entry).symptoms.len() as f32;
    // no final score can be above this, so a words-only match at or above this share of it
    // is sure to pass the relative floor of step 6
    let sure_floor = scored.iter().map(reach).fold(0.0_f32, f32::max) * RANKING.relative_floor;
    // (final score, entry) so far of matches sure to be shown if good enough, in rank order
    let mut finals: Vec<(f32, usize)> = Vec::new();
    // extractors run once per pack and query, whatever the number of candidates
    let mut extracted: Vec<Option<BTreeMap<String, FactValue>>> = vec![None; cx.set.packs.len()];
    let mut results = Vec::new();
    for mut c in scored {
        let reach = reach(&c);
        // a candidate that can at best tie the k-th match still ranks above it when its entry
        // comes first (equal scores rank in entry order), so it is checked
        let out_of_reach =
            |&(kth, kth_entry): &(f32, usize)| ranks_before(kth, kth_entry, reach, c.entry);
        if limit == 0 || finals.get(limit - 1).is_some_and(out_of_reach) {
            trace.drop(&c, Dropped::Unreachable { reach, limit }, Vec::new());
            continue;
        }
        let (pack_index, _) = cx.set.entries[c.entry];
        let pack = &cx.set.packs[pack_index];
        let from_pack =
            extracted[pack_index].get_or_insert_with(|| input::extracted(pack, cx.text));
        let caller = cx.caller.for_pack(pack_index);
        let facts = input::for_entry(pack, &c, cx.hits, caller, cx.input, from_pack);
        let done = evaluate(cx, &c, facts, budget.spent());
        // a ruled-out defining symptom says the entry does not apply: its score shrinks
        c.score = (c.score + done.symptom_delta) * done.penalty;
        if done.penalty < 1.0 {
            c.notes.push(format!(
                "a ruled-out defining symptom leaves it {:.0}% of its score",
                done.penalty * 100.0
            ));
        }
        if !c.words_only() || c.score >= sure_floor {
            let at = finals.partition_point(|&(f, e)| ranks_before(f, e, c.score, c.entry));
            finals.insert(at, (c.score, c.entry));
        }
        results.push(Checked {
            scored: c,
            found: done.found,
            checks: done.checks,
            open: done.open,
        });
    }
    results.sort_by(|a, b| best_first(&a.scored, &b.scored));
    results
}

/// Whether a match of `score` for entry `entry` ranks before one of `other` for
/// `other_entry` ([`best_first`]'s order).
fn ranks_before(score: f32, entry: usize, other: f32, other_entry: usize) -> bool {
    score
        .total_cmp(&other)
        .then(other_entry.cmp(&entry))
        .is_gt()
}

/// A check's outcome with its line in the trace.
struct Ran {
    ev: Evaluation,
    trace: CheckTrace,
}

/// Runs one check, or gives it an `error` verdict when the query's check time is spent.
fn run_check(pack: &Pack, check: &Check, facts: &Facts, out_of_time: bool, id: String) -> Ran {
    let ev = if out_of_time {
        Evaluation {
            verdict: Verdict::Error,
            facts_read: Vec::new(),
            missing: Vec::new(),
            error: Some(
                "not run: the checks of this query used up its time (max_check_time)".into(),
            ),
        }
    } else {
        pack.scripts.evaluate_kleene(check, facts, &pack.facts)
    };
    let trace = CheckTrace {
        id,
        verdict: ev.verdict,
        facts_read: ev.facts_read.clone(),
        why: why(&ev),
    };
    Ran { ev, trace }
}

/// One candidate's checks, done.
struct Evaluated {
    /// The match (score and confidence not set yet).
    found: Match,
    /// The checks run, for the trace.
    checks: Vec<CheckTrace>,
    /// What its symptoms add to its score.
    symptom_delta: f32,
    /// What its ruled-out symptoms multiply its score by (1 when none is).
    penalty: f32,
    /// What is still open, for the questions.
    open: questions::Open,
}

/// Runs an entry's symptoms and causes. The query's check time is spent between candidates, not inside
/// one: an entry's checks run together, so one slow check does not starve the others of
/// its entry.
fn evaluate(cx: &Context<'_>, c: &Scored, facts: EntryFacts, out_of_time: bool) -> Evaluated {
    let entry = cx.set.entry(c.entry);
    let pack = cx.set.pack_of(c.entry);
    let mut checks = Vec::new();
    // what the pack's implications added before any check ran
    for said in &facts.implied {
        checks.push(CheckTrace {
            id: "implied".into(),
            verdict: Verdict::Confirmed,
            facts_read: Vec::new(),
            why: Some(said.clone()),
        });
    }
    let mut delta = 0.0;
    let mut penalty = 1.0;
    let mut symptoms = Vec::new();
    for s in &entry.symptoms {
        let ran = run_check(
            pack,
            &s.check,
            &facts.all,
            out_of_time,
            format!("symptom:{}", s.id),
        );
        delta += match ran.ev.verdict {
            Verdict::Confirmed => RANKING.symptom,
            Verdict::RuledOut => {
                if s.defining {
                    penalty *= RANKING.ruled_out_symptom;
                }
                -RANKING.symptom
            }
            _ => 0.0,
        };
        symptoms.push(SymptomResult {
            id: s.id.clone(),
            description: s.description.clone(),
            verdict: ran.ev.verdict,
        });
        checks.push(ran.trace);
    }
    let mut causes = Vec::new();
    for cause in &entry.causes {
        let ran = cause.check.as_ref().map(|check| {
            run_check(
                pack,
                check,
                &facts.all,
                out_of_time,
                format!("cause:{}", cause.id),
            )
        });
        causes.push(cause_result(cause, ran.as_ref().map(|r| &r.ev)));
        checks.extend(ran.map(|r| r.trace));
    }
    // a stable sort: causes of one verdict stay in the pack's order
    causes.sort_by_key(|c| c.verdict);
    let remedy = remedy(entry, &causes);
    let evidence = Evidence {
        signatures: signature_evidence(cx, c, entry),
        terms: c.terms.clone(),
        facts: facts.from_text,
        symptoms,
    };
    let m = Match {
        id: entry.id.clone(),
        title: entry.title.clone(),
        score: 0.0,
        confidence: 0.0,
        evidence,
        causes,
        remedy,
        questions: Vec::new(),
        references: entry.references.clone(),
        summary: entry.summary.clone(),
        where_to_look: entry.where_to_look.clone(),
    };
    let open = questions::Open::of(pack, entry, &m, &facts.all);
    Evaluated {
        found: m,
        checks,
        symptom_delta: delta,
        penalty,
        open,
    }
}

/// A cause with its verdict; a cause without a check is always `unknown`.
fn cause_result(cause: &Cause, ev: Option<&Evaluation>) -> CauseResult {
    let (verdict, facts_read, missing_facts, error) = match ev {
        Some(ev) => (
            ev.verdict,
            ev.facts_read.clone(),
            ev.missing.clone(),
            ev.error.clone(),
        ),
        None => (Verdict::Unknown, Vec::new(), Vec::new(), None),
    };
    CauseResult {
        id: cause.id.clone(),
        title: cause.title.clone(),
        verdict,
        explanation: cause.explanation.clone(),
        remedy: cause.remedy.clone(),
        facts_read,
        missing_facts,
        error,
        references: cause.references.clone(),
    }
}

/// Fix steps: those of confirmed causes first, then the entry's general remedy, each once.
fn remedy(entry: &Entry, causes: &[CauseResult]) -> Vec<String> {
    let confirmed = causes
        .iter()
        .filter(|c| c.verdict == Verdict::Confirmed)
        .flat_map(|c| &c.remedy);
    let mut out: Vec<String> = Vec::new();
    for step in confirmed.chain(&entry.remedy) {
        if !out.contains(step) {
            out.push(step.clone());
        }
    }
    out
}

/// The signatures of the entry that hit, with where and what they matched.
fn signature_evidence(cx: &Context<'_>, c: &Scored, entry: &Entry) -> Vec<SignatureEvidence> {
    c.sig_hits
        .iter()
        .map(|&h| {
            let hit = &cx.hits[h];
            let (_, signature) = cx.set.signature_owner[hit.signature];
            SignatureEvidence {
                id: entry.signatures[signature].id.clone(),
                span: [hit.start, hit.end],
                text: cx.text[hit.start..hit.end].to_owned(),
            }
        })
        .collect()
}

/// Why a check did not confirm, for the trace.
fn why(ev: &Evaluation) -> Option<String> {
    match ev.verdict {
        Verdict::Confirmed => None,
        Verdict::RuledOut => Some("the check returned false for the known facts".into()),
        Verdict::Unknown => Some(format!("missing fact(s): {}", ev.missing.join(", "))),
        Verdict::Error => ev.error.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{pack_set, ENTRIES};
    use super::*;

    fn facts(items: i64) -> Facts {
        [("order.items".to_owned(), FactValue::Int(items))].into()
    }

    /// Runs step 5 for hand-scored candidates (global entry index, score).
    fn checked(
        set: &PackSet,
        caller: &Facts,
        cands: &[(usize, f32)],
        limit: usize,
        time: Duration,
    ) -> (Vec<Checked>, Option<crate::diagnose::Trace>) {
        let input = Facts::new();
        let caller = input::caller_facts(set, caller, &mut Vec::new()).unwrap();
        let cx = Context {
            set,
            hits: &[],
            caller: &caller,
            input: &input,
            text: "",
        };
        let scored = cands
            .iter()
            .map(|&(entry, score)| {
                let mut c = Scored::new(entry, 0.0);
                c.score = score;
                c
            })
            .collect();
        let mut trace = TraceLog::new(set, &[], true);
        let out = run(&cx, scored, limit, time, &mut trace);
        let terms = crate::diagnose::score::QueryTerms::with_lines(set, "", "");
        let domains = crate::diagnose::score::Domains::new(set, "", &caller);
        (out, trace.finish("", &terms, &domains, None, &[]))
    }

    #[test]
    fn causes_are_listed_confirmed_unknown_error_ruled_out_and_remedies_follow() {
        let set = pack_set(ENTRIES);
        let (out, _) = checked(&set, &facts(2), &[(0, 10.0)], 5, Duration::from_secs(5));
        let m = &out[0].found;
        let order: Vec<(&str, Verdict)> = m
            .causes
            .iter()
            .map(|c| (c.id.as_str(), c.verdict))
            .collect();
        assert_eq!(
            order,
            [
                ("has-items", Verdict::Confirmed),
                ("expired", Verdict::Unknown),
                ("no-check", Verdict::Unknown),
                ("broken", Verdict::Error),
                ("huge-cart", Verdict::RuledOut),
            ]
        );
        // the confirmed cause's steps first, each step once, then the entry's
        assert_eq!(
            m.remedy,
            ["Use another card.", "Retry the payment.", "Call the bank."]
        );
        // the confirmed symptom adds its weight; the trace lists symptom then causes
        assert_eq!(out[0].scored.score, 10.0 + RANKING.symptom);
        let ids: Vec<&str> = out[0].checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "symptom:cart",
                "cause:huge-cart",
                "cause:broken",
                "cause:expired",
                "cause:has-items"
            ]
        );
    }

    #[test]
    fn a_ruled_out_symptom_moves_a_candidate_down() {
        let set = pack_set(ENTRIES);
        let (out, _) = checked(&set, &facts(0), &[(0, 10.0)], 5, Duration::from_secs(5));
        assert_eq!(out[0].scored.score, 10.0 - RANKING.symptom);
    }

    #[test]
    fn candidates_that_cannot_reach_the_top_are_not_checked() {
        let set = pack_set(ENTRIES);
        // entry 1 has no symptoms: 3.0 is all it can reach, below entry 0's 8.0
        let (out, trace) = checked(
            &set,
            &Facts::new(),
            &[(1, 3.0), (0, 10.0)],
            1,
            Duration::from_secs(5),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].found.id, "shop/card-declined");
        let skipped = &trace.unwrap().candidates[0];
        assert_eq!(skipped.id, "shop/gateway-timeout");
        assert!(skipped.checks.is_empty());
        assert_eq!(
            skipped.reason,
            "not checked: at most 3.00 with every symptom, below the top 1"
        );
        // with room for both, both are checked, best first
        let (out, _) = checked(
            &set,
            &Facts::new(),
            &[(1, 3.0), (0, 10.0)],
            2,
            Duration::from_secs(5),
        );
        let ids: Vec<&str> = out.iter().map(|c| c.found.id.as_str()).collect();
        assert_eq!(ids, ["shop/card-declined", "shop/gateway-timeout"]);
    }

    #[test]
    fn a_candidate_that_can_tie_the_last_kept_match_is_checked() {
        // `plain` (entry 0, no symptoms) can reach exactly what `moody` (entry 1) ends with
        // once its symptom is ruled out; on equal scores the lower entry ranks first, so
        // `plain` must be checked or the answer for limit 1 would not be a prefix of the
        // answer for limit 2
        let set = pack_set(
            r#"
[[entries]]
id = "plain"
title = "Plain"
keywords = ["plain"]

[[entries]]
id = "moody"
title = "Moody"
keywords = ["moody"]
  [[entries.symptoms]]
  id = "slow"
  description = "the provider is slow"
  check = 'fact_or("provider.slow", false)'
"#,
        );
        let ids = |limit| {
            let (out, _) = checked(
                &set,
                &Facts::new(),
                &[(0, 8.0), (1, 10.0)],
                limit,
                Duration::from_secs(5),
            );
            out.iter().map(|c| c.found.id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(ids(2), ["shop/plain", "shop/moody"]);
        assert_eq!(ids(1), ["shop/plain", "shop/moody"]);
    }

    #[test]
    fn once_the_query_time_is_spent_checks_are_errors_not_guesses() {
        let set = pack_set(ENTRIES);
        let (out, _) = checked(&set, &facts(2), &[(0, 10.0)], 5, Duration::ZERO);
        let m = &out[0].found;
        for c in m.causes.iter().filter(|c| c.id != "no-check") {
            assert_eq!(c.verdict, Verdict::Error, "{}", c.id);
            assert!(c
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("max_check_time"));
        }
        // no symptom moved the score
        assert_eq!(out[0].scored.score, 10.0);
    }
}
