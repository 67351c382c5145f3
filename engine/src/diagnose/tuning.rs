//! Every number the pipeline runs on, in one place.
//!
//! The ranking weights are tuned together on the query corpus (`tests/data/dev-queries.jsonl`,
//! guarded by `tests/dev_queries.rs`): changing one moves the others' meaning, so they live
//! side by side rather than next to the step that reads them. [`QueryLimits`] are the
//! application's knobs (set through `EngineBuilder`); the rest are the engine's own.

use std::time::Duration;

/// Limits on what one query reads.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Bytes of input read at most; the rest is ignored with a note.
    pub max_input_bytes: usize,
    /// Bytes of input used for full-text search (signatures see all of `max_input_bytes`).
    pub max_search_bytes: usize,
    /// Default number of matches.
    pub default_limit: usize,
    /// Time the checks of one query may take together: once it is spent, the checks of the
    /// remaining candidates are not run and get an `error` verdict. The checks of one
    /// candidate run together, each bounded by its own limits. Counted in the querying
    /// thread's CPU time, so a loaded host does not cut honest checks.
    pub max_check_time: Duration,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_input_bytes: crate::input::MAX_INPUT_BYTES,
            max_search_bytes: 64 << 10,
            default_limit: crate::input::DEFAULT_LIMIT,
            max_check_time: Duration::from_millis(250),
        }
    }
}

/// Weights of the ranking.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ranking {
    /// Score of a signature hit.
    pub signature: f32,
    /// Weight of the normalised word evidence.
    pub words: f32,
    /// Score added per confirmed symptom, removed per ruled-out one.
    pub symptom: f32,
    /// What each ruled-out `defining` symptom then multiplies the score by: it tells the
    /// entry from a neighbour with the same message, so ruled out it leaves little weight.
    pub ruled_out_symptom: f32,
    /// Minimum word score (evidence × coverage + phrases) for a match without a signature.
    pub min_words: f32,
    /// A words-only match must reach this share of the best candidate's score.
    pub relative_floor: f32,
    /// Score per phrase hit (three consecutive query terms found in one of the entry's
    /// titles, signatures, keywords or aliases), up to [`Ranking::max_phrases`].
    pub phrase: f32,
    /// Phrase hits counted at most.
    pub max_phrases: usize,
}

/// The ranking's weights, tuned on the query corpus.
pub(super) const RANKING: Ranking = Ranking {
    signature: 6.0,
    words: 1.0,
    symptom: 2.0,
    ruled_out_symptom: 0.1,
    min_words: 7.0,
    relative_floor: 0.35,
    phrase: 1.5,
    max_phrases: 3,
};

/// How scores become a confidence between 0 and 1.
#[derive(Debug, Clone, Copy)]
pub(super) struct Confidence {
    /// Score at which the absolute part reaches 1 − 1/e (`1 − exp(−score / scale)`).
    pub scale: f32,
    /// How much a runner-up takes from the best match's share (and the most any other
    /// match's share can be).
    pub share: f32,
    /// What a confirmed cause multiplies a match's weight by in the confidence.
    pub confirmed_cause: f32,
    /// Power of the ratio to the best match in the shares: above 1, a runner-up far behind
    /// loses its share (and the leader gains it) faster than the ratio; two matches of
    /// equal weight stay equal. Set from the reliability table (`docs/calibration.md`).
    pub lead_exponent: f32,
}

/// The confidence curve.
pub(super) const CONFIDENCE: Confidence = Confidence {
    scale: 5.0,
    share: 0.5,
    confirmed_cause: 1.5,
    lead_exponent: 2.0,
};

/// Words of a query used to look up candidates in the text index (the most specific ones).
pub(super) const LOOKUP_TERMS: usize = 24;
/// Candidates taken from the text index per query.
pub(super) const TEXT_CANDIDATES: usize = 30;
