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
mod correct;
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

/// The largest char boundary of `s` at or below `at`.
fn char_floor(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

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

    // 2. signatures: one pass, captures for hits only; then over the text with typos and
    // short forms read as the signatures write them
    let mut hits = set.signatures.hits(&input.text);
    // (the part word search reads: a typo is a person's, in what a person reads)
    let mut lookups = correct::Lookups::default();
    let corrected = correct::correct(
        set,
        &input.text[..char_floor(&input.text, limits.max_search_bytes)],
        &mut lookups,
    );
    if let Some(c) = &corrected {
        let extra = correct::extra_hits(set, c, &input.text, &hits);
        hits.extend(extra);
    }
    let mut trace = trace::TraceLog::new(set, &hits, q.trace);

    // 3. full text over the input without its variable parts
    // the words the signatures' own spelling corrected are read that way by word search too
    let search_fixed = correct::correct(set, &input.search_text, &mut lookups);
    let terms = match &search_fixed {
        Some(c) => score::QueryTerms::with_lines(set, &c.text, &q.text)
            .typos_weigh_less(set, &c.typo_words),
        None => score::QueryTerms::with_lines(set, &input.search_text, &q.text),
    };
    let text_hits = set.index.search(&terms.lookup(), tuning::TEXT_CANDIDATES);

    // 4. merge, domain context, score, absolute floor
    let domains = score::Domains::new(set, &input.text, &caller);
    let mut admitted = Vec::new();
    for mut c in score::merge(set, &text_hits, &hits) {
        score::apply_domain(set, &mut c, &hits, &domains);
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

    // 7. confidence, from the scores and what the checks confirmed
    let scores: Vec<f32> = kept.iter().map(|r| r.scored.score).collect();
    let confirmed: Vec<bool> = kept
        .iter()
        .map(|r| {
            r.found
                .causes
                .iter()
                .any(|c| c.verdict == crate::script::Verdict::Confirmed)
        })
        .collect();
    let confidences = score::confidences(&score::evidence_weights(&scores, &confirmed));
    let mut matches = Vec::with_capacity(kept.len());
    let mut open = Vec::with_capacity(kept.len());
    for (rank, r) in kept.into_iter().enumerate() {
        let mut m = r.found;
        m.score = score::round3(r.scored.score);
        m.confidence = score::round3(confidences[rank]);
        m.questions =
            questions::for_match(set.pack_of(r.scored.entry), &r.open, m.confidence, &m.id);
        trace.accept(&r.scored, rank, r.checks, priors[rank].clone());
        matches.push(m);
        open.push(r.open);
    }

    // 8. questions across matches, by expected information
    let questions = questions::across(&matches, &open);
    let trace = trace.finish(
        &input.text,
        &terms,
        &domains,
        corrected.as_ref().map(|c| c.notes.as_slice()),
        &questions,
    );
    Ok(Diagnosis {
        matches,
        questions,
        notes,
        trace,
    })
}
