//! The decision trace: every candidate, and why it won or lost.
//!
//! The steps report each candidate they drop with a typed reason ([`Refusal`], [`Cut`], or
//! "not checked"); the words are chosen only here, and only when the query asked for a
//! trace, so a query without one pays for no formatting. Accepted candidates come first, in
//! rank order, then the dropped ones in the order the steps dropped them.

use super::model::{Candidate, CheckTrace, Trace};
use super::score::{round3, Cut, Refusal, Scored};
use super::tuning::RANKING;
use crate::matcher::SignatureHit;
use crate::set::PackSet;

/// Why a candidate was dropped, as the steps see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Dropped {
    /// Refused before its checks (step 4).
    Refused(Refusal),
    /// Not checked: even with every symptom confirmed it stays below the top `limit`
    /// (step 5); `reach` is that best possible score.
    Unreachable {
        /// The best score the candidate could reach.
        reach: f32,
        /// The query's limit.
        limit: usize,
    },
    /// Left out after its checks (step 6).
    Cut(Cut),
}

/// Collects the trace while the steps run; a no-op unless the query asked for one.
pub(super) struct TraceLog<'a> {
    set: &'a PackSet,
    hits: &'a [SignatureHit],
    on: bool,
    accepted: Vec<Candidate>,
    rejected: Vec<Candidate>,
}

impl<'a> TraceLog<'a> {
    /// A log for one query over `set` with its signature hits; `on` when it asked for a trace.
    pub fn new(set: &'a PackSet, hits: &'a [SignatureHit], on: bool) -> TraceLog<'a> {
        TraceLog {
            set,
            hits,
            on,
            accepted: Vec::new(),
            rejected: Vec::new(),
        }
    }

    /// Records a dropped candidate with the checks it ran (none before step 5).
    pub fn drop(&mut self, c: &Scored, why: Dropped, checks: Vec<CheckTrace>) {
        if self.on {
            let reason = self.reason(c, why);
            let mut t = self.candidate(c, false, reason);
            t.checks = checks;
            self.rejected.push(t);
        }
    }

    /// Records a returned candidate at `rank` (0-based).
    pub fn accept(
        &mut self,
        c: &Scored,
        rank: usize,
        checks: Vec<CheckTrace>,
        prior: Option<crate::outcomes::Prior>,
    ) {
        if self.on {
            let mut t = self.candidate(c, true, format!("rank {}", rank + 1));
            t.checks = checks;
            t.prior = prior;
            self.accepted.push(t);
        }
    }

    /// The trace, when asked for.
    pub fn finish(
        self,
        normalized: &str,
        terms: &super::score::QueryTerms,
        domains: &super::score::Domains,
        corrections: Option<&[String]>,
        questions: &[crate::diagnose::Question],
    ) -> Option<Trace> {
        self.on.then(|| {
            let mut candidates = self.accepted;
            candidates.extend(self.rejected);
            Trace {
                normalized: normalized.to_owned(),
                terms: terms.terms.clone(),
                rewrites: terms
                    .rewrites
                    .iter()
                    .map(ToString::to_string)
                    .chain(corrections.into_iter().flatten().cloned())
                    .collect(),
                context: domains.describe(self.set),
                questions: questions.iter().map(super::questions::describe).collect(),
                candidates,
            }
        })
    }

    fn reason(&self, c: &Scored, why: Dropped) -> String {
        match why {
            Dropped::Refused(r) => refusal(r, c),
            Dropped::Unreachable { reach, limit } => {
                format!("not checked: at most {reach:.2} with every symptom, below the top {limit}")
            }
            Dropped::Cut(Cut::FarBehind { best }) => format!(
                "far behind the best match ({:.2} < {:.0}% of {:.2})",
                c.score,
                RANKING.relative_floor * 100.0,
                best
            ),
            Dropped::Cut(Cut::BeyondLimit { limit }) => {
                format!("beyond the limit of {limit} matches")
            }
        }
    }

    fn candidate(&self, c: &Scored, accepted: bool, reason: String) -> Candidate {
        let set = self.set;
        let entry = set.entry(c.entry);
        Candidate {
            id: entry.id.clone(),
            score: round3(c.score),
            text_score: round3(c.text_score),
            weight: round3(c.mass),
            phrases: c.phrases,
            coverage: round3(c.coverage),
            signatures: c
                .sig_hits
                .iter()
                .map(|&h| {
                    let (_, signature) = set.signature_owner[self.hits[h].signature];
                    entry.signatures[signature].id.clone()
                })
                .collect(),
            terms: c.terms.clone(),
            accepted,
            reason,
            notes: c
                .generic_hits
                .iter()
                .map(|&h| {
                    let (_, signature) = set.signature_owner[self.hits[h].signature];
                    format!(
                        "generic signature without domain context: `{}` matched, but the text names nothing of {}'s domain (it counts as words only)",
                        entry.signatures[signature].id,
                        set.pack_of(c.entry).id
                    )
                })
                .chain(c.notes.iter().cloned())
                .collect(),
            checks: Vec::new(),
            prior: None,
        }
    }
}

/// The words of a refusal.
fn refusal(r: Refusal, c: &Scored) -> String {
    match r {
        Refusal::Retired => "entry is retired".to_owned(),
        Refusal::Draft => "entry is a draft (drafts not asked for)".to_owned(),
        Refusal::PackFilteredOut => "pack filtered out by the query".to_owned(),
        Refusal::TyposAlone => format!(
            "no signature matched and every shared word is a corrected typo ({})",
            c.terms.join(", ")
        ),
        Refusal::OtherProduct => format!(
            "the text names another product ({}) and nothing of the pack's domain",
            c.other_product.as_deref().unwrap_or("?")
        ),
        Refusal::WeakWords => format!(
            "no signature matched and the words are too weak: {:.2} (needs {:.2}; weight {:.2} x coverage {:.0}%, {} phrase(s))",
            c.score,
            RANKING.min_words,
            c.mass,
            c.coverage * 100.0,
            c.phrases
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{pack_set, ENTRIES};
    use crate::diagnose::{run, Query, QueryLimits};

    #[test]
    fn the_trace_lists_the_answer_first_then_every_dropped_candidate_with_its_reason() {
        let set = pack_set(ENTRIES);
        let mut q = Query::new("Your card was declined; coupon rounding; legacy endpoint disabled")
            .limit(1)
            .with_trace();
        let d = run(&set, &q, &QueryLimits::default()).unwrap();
        let t = d.trace.unwrap();
        let first = &t.candidates[0];
        assert_eq!(
            (first.id.as_str(), first.accepted),
            ("shop/card-declined", true)
        );
        assert_eq!(first.reason, "rank 1");
        assert_eq!(first.signatures, ["declined"]);
        assert!(!first.checks.is_empty());
        let reason = |id: &str| {
            t.candidates
                .iter()
                .find(|c| c.id == id)
                .map(|c| (c.accepted, c.reason.clone()))
        };
        assert_eq!(
            reason("shop/coupon-rounding"),
            Some((false, "entry is a draft (drafts not asked for)".into()))
        );
        assert_eq!(
            reason("shop/legacy-endpoint"),
            Some((false, "entry is retired".into()))
        );
        // without a trace, the same answer
        q.trace = false;
        let plain = run(&set, &q, &QueryLimits::default()).unwrap();
        assert!(plain.trace.is_none());
        assert_eq!(plain.matches, d.matches);
    }
}
