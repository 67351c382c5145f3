//! The query pipeline: read the input → signatures → full text → merge and score → checks →
//! relevance floor and limit → confidence → questions.
//!
//! Each step lives in its own file and hands the next one named values, never bare tuples:
//! [`input`] (the text and every source of facts), [`score`] (candidates, scores, floors and
//! confidence), [`checks`] (symptoms and causes of the candidates that can still make the
//! answer), [`questions`] (what to ask next) and [`trace`] (why each candidate won or lost).
//! Every number they use is in [`tuning`]. Data flows one way through [`run`]: no step calls
//! back into an earlier one.

mod checks;
mod input;
pub mod model;
mod questions;
mod score;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
mod trace;
mod tuning;

use crate::error::Result;
use crate::set::PackSet;

pub use model::{
    Candidate, CauseResult, CheckTrace, Diagnosis, Evidence, Match, Query, Question,
    SignatureEvidence, SymptomResult, Trace,
};
pub use tuning::QueryLimits;

/// Runs a query against a pack set.
#[cfg(test)]
pub(crate) fn run(set: &PackSet, q: &Query, limits: &QueryLimits) -> Result<Diagnosis> {
    run_with(set, q, limits, None)
}

/// Runs a query against a pack set; with an outcome store, resolution history reorders the
/// matches kept (see [`crate::outcomes::prior`]).
pub(crate) fn run_with(
    set: &PackSet,
    q: &Query,
    limits: &QueryLimits,
    outcomes: Option<&crate::outcomes::Outcomes>,
) -> Result<Diagnosis> {
    let mut notes = Vec::new();
    let caller = input::caller_facts(set, &q.facts, &mut notes)?;
    let limit = q.limit.filter(|&n| n > 0).unwrap_or(limits.default_limit);

    // 1. normalise and recognise variable parts
    let input = input::read(&q.text, limits);
    notes.extend(input.notes.iter().cloned());

    // 2. signatures: one pass, captures for hits only
    let hits = set.signatures.hits(&input.text);
    let mut trace = trace::TraceLog::new(set, &hits, q.trace);

    // 3. full text over the input without its variable parts
    let terms = score::QueryTerms::new(set, &input.search_text);
    let text_hits = set.index.search(&terms.lookup(), tuning::TEXT_CANDIDATES);

    // 4. merge, score, absolute floor
    let mut admitted = Vec::new();
    for mut c in score::merge(set, &text_hits, &hits) {
        score::score(set, &mut c, &terms);
        match score::admit(set, q, &c) {
            Ok(()) => admitted.push(c),
            Err(r) => trace.drop(&c, trace::Dropped::Refused(r), Vec::new()),
        }
    }

    // 5. checks and symptoms, for the candidates that can still make the answer
    let cx = checks::Context {
        set,
        hits: &hits,
        caller: &caller,
        input: &input.facts,
        text: &input.text,
    };
    let checked = checks::run(&cx, admitted, limit, limits.max_check_time, &mut trace);

    // 6. relative floor for words-only matches, then the limit
    let best = checked.first().map_or(0.0, |r| r.scored.score);
    let mut kept: Vec<checks::Checked> = Vec::new();
    for r in checked {
        match score::cut(&r.scored, best, kept.len(), limit) {
            Some(cut) => trace.drop(&r.scored, trace::Dropped::Cut(cut), r.checks),
            None => kept.push(r),
        }
    }

    // 6b. resolution history reorders the matches kept, never which are kept
    let priors = crate::outcomes::prior::rerank(outcomes, &mut kept, |r| {
        let g = r.scored.entry;
        (
            set.entry(g).id.clone(),
            set.pack_of(g).id.clone(),
            &mut r.scored.score,
        )
    });
    let best = kept.first().map_or(best, |r| r.scored.score);

    // 7. confidence
    let second = kept.get(1).map_or(0.0, |r| r.scored.score);
    let mut matches = Vec::with_capacity(kept.len());
    for (rank, r) in kept.into_iter().enumerate() {
        let mut m = r.found;
        m.score = score::round3(r.scored.score);
        m.confidence = score::round3(score::confidence(r.scored.score, rank, best, second));
        trace.accept(&r.scored, rank, r.checks, priors[rank].clone());
        matches.push(m);
    }

    // 8. questions across matches
    let questions = questions::across(&matches);
    Ok(Diagnosis {
        matches,
        questions,
        notes,
        trace: trace.finish(&input.text, &terms.terms),
    })
}
