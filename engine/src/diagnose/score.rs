//! Steps 2–4, 6 and 7: candidates, their scores, the relevance floor and the confidence.
//!
//! Scoring keeps two kinds of evidence apart. A **signature** hit means the user's text
//! contains a known error message: strong evidence on its own. **Full-text** evidence is
//! weaker and needs a floor: an entry is returned on words alone only when the words it
//! shares with the query carry enough weight (rare, in strong fields) *and* cover enough of
//! what the query says, so an unrelated ticket that happens to share "error" and "user" gets
//! no match rather than a guess. A words-only match must also come near the best match
//! (the relative floor, applied once checks have moved the scores).

use std::collections::BTreeMap;

use super::model::Query;
use super::tuning::{CONFIDENCE, LOOKUP_TERMS, RANKING};
use crate::index::TextHit;
use crate::matcher::SignatureHit;
use crate::pack::{Entry, Status};
use crate::set::PackSet;

/// The query's words as the index analyses them, with their weights.
pub(super) struct QueryTerms {
    /// Distinct terms, in query order.
    pub terms: Vec<String>,
    /// Each term's number in the index, in the order of `terms`.
    pub ids: Vec<Option<crate::index::TermId>>,
    /// Each term's weight (idf), in the order of `terms`.
    pub idf: Vec<f32>,
    /// Consecutive term triples, for phrase hits.
    pub trigrams: Vec<u64>,
    /// Whether each term (in the order of `terms`) was reached only through a typo.
    pub typo: Vec<bool>,
    /// Query words read as other words.
    pub rewrites: Vec<crate::index::rewrite::Rewrite>,
}

impl QueryTerms {
    /// Analyses the search text.
    /// Analyses the search text; words the index does not know are read as shorthand,
    /// synonyms or typos of index words (see [`crate::index::rewrite`]), at a lower weight.
    /// `raw` is the text's lines as written: words found only on quiet log lines weigh less.
    pub fn with_lines(set: &PackSet, search_text: &str, raw: &str) -> QueryTerms {
        let rw = set.index.rewrite(search_text, &set.synonyms);
        let terms = crate::index::distinct_terms(&rw.sequence);
        let mut quiet = quiet_only_terms(set, raw);
        // a word read as another keeps the weight of where it was written
        for r in &rw.rewrites {
            if set
                .index
                .sequence(&r.from)
                .iter()
                .all(|t| quiet.contains(t))
            {
                for t in set.index.sequence(&r.to) {
                    quiet.insert(t);
                }
                quiet.insert(r.to.clone());
            }
        }
        let idf = terms
            .iter()
            .map(|t| {
                let q = if quiet.contains(t) {
                    QUIET_LINE_WEIGHT
                } else {
                    1.0
                };
                set.index.idf(t) * rw.weight(t) * q
            })
            .collect();
        let typo = terms
            .iter()
            .map(|t| {
                rw.rewrites.iter().any(|r| {
                    matches!(r.kind, crate::index::rewrite::RewriteKind::Typo(_))
                        && &r.to == t
                        && rw.weight(t) < 1.0
                })
            })
            .collect();
        QueryTerms {
            ids: terms.iter().map(|t| set.index.term_id(t)).collect(),
            terms,
            idf,
            trigrams: crate::index::trigrams(&rw.sequence),
            typo,
            rewrites: rw.rewrites,
        }
    }

    /// Gives the terms of `words` (put in by typo corrections) the weight of a typo.
    pub fn typos_weigh_less(mut self, set: &PackSet, words: &[String]) -> QueryTerms {
        for w in words {
            for t in set.index.sequence(w) {
                if let Some(i) = self.terms.iter().position(|x| *x == t) {
                    if !self.typo[i] {
                        self.idf[i] *= crate::index::rewrite::TYPO_WEIGHT;
                        self.typo[i] = true;
                    }
                }
            }
        }
        self
    }

    /// The words that look candidates up: all of them, or the most specific
    /// [`LOOKUP_TERMS`] (a long ticket can hold hundreds of words, each one a clause of the
    /// text query); all words score the candidates found.
    pub fn lookup(&self) -> Vec<String> {
        if self.terms.len() <= LOOKUP_TERMS {
            return self.terms.clone();
        }
        let mut order: Vec<usize> = (0..self.terms.len()).collect();
        order.sort_by(|&a, &b| self.idf[b].total_cmp(&self.idf[a]).then(a.cmp(&b)));
        order[..LOOKUP_TERMS]
            .iter()
            .map(|&i| self.terms[i].clone())
            .collect()
    }

    /// The weight of the whole query (never 0).
    fn mass(&self) -> f32 {
        self.idf.iter().sum::<f32>().max(1e-3)
    }
}

/// Weight of a word found only on quiet log lines (INFO, DEBUG, TRACE, …) of a text that
/// also has other lines: in a pasted log they are the context, not the problem.
const QUIET_LINE_WEIGHT: f32 = 0.05;

/// Whether a line is a log line at a quiet level: a level word in capitals near its start.
fn is_quiet_line(line: &str) -> bool {
    let end = line.char_indices().nth(48).map_or(line.len(), |(i, _)| i);
    let head = &line[..end];
    head.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        matches!(
            w,
            "INFO" | "DEBUG" | "TRACE" | "NOTICE" | "VERBOSE" | "FINE"
        )
    })
}

/// The terms that occur only on quiet log lines, when the text also has other lines.
fn quiet_only_terms(set: &PackSet, text: &str) -> std::collections::HashSet<String> {
    let (quiet, loud): (Vec<&str>, Vec<&str>) = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .partition(|l| is_quiet_line(l));
    if quiet.is_empty() || loud.is_empty() {
        return std::collections::HashSet::new();
    }
    let loud_terms: std::collections::HashSet<String> = loud
        .iter()
        .flat_map(|l| set.index.sequence(log_message(l)))
        .collect();
    quiet
        .iter()
        .copied()
        .chain(loud.iter().map(|l| &l[..l.len() - log_message(l).len()]))
        .flat_map(|l| set.index.sequence(l))
        .filter(|t| !loud_terms.contains(t))
        .collect()
}

/// A log line without its prefix: time stamp, level word in capitals, `[component]`.
fn log_message(line: &str) -> &str {
    let mut rest = line.trim_start();
    let mut seen = false;
    for _ in 0..4 {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..word_end];
        let stamp = word.chars().filter(char::is_ascii_digit).count() >= 4
            && word.contains([':', '-'])
            && !word
                .chars()
                .any(|c| c.is_ascii_lowercase() && c != 'z' && c != 't');
        let level = matches!(
            word,
            "INFO"
                | "DEBUG"
                | "TRACE"
                | "NOTICE"
                | "VERBOSE"
                | "FINE"
                | "WARN"
                | "WARNING"
                | "ERROR"
                | "FATAL"
                | "CRIT"
                | "CRITICAL"
        );
        let component = seen && word.starts_with('[') && word.ends_with(']');
        if stamp || level || component {
            seen = true;
            rest = rest[word_end..].trim_start();
        } else {
            break;
        }
    }
    rest
}

/// One candidate entry and its evidence.
#[derive(Debug, Clone)]
pub(super) struct Scored {
    /// Global entry index in the pack set.
    pub entry: usize,
    /// The index's own (BM25) score, shown in the trace.
    pub text_score: f32,
    /// Indexes of the signature hits (into the query's hits) that belong to this entry.
    pub sig_hits: Vec<usize>,
    /// Query terms found in the entry.
    pub terms: Vec<String>,
    /// Word evidence: idf of the terms found, weighted by field.
    pub mass: f32,
    /// Share of the query's term weight found in the entry, 0 to 1.
    pub coverage: f32,
    /// Phrase hits.
    pub phrases: usize,
    /// The score so far (checks add their symptoms' part).
    pub score: f32,
    /// Query terms found in the entry as written (not through a typo).
    pub exact_terms: usize,
    /// Signature hits set aside: generic, and no domain context for the entry's pack.
    pub generic_hits: Vec<usize>,
    /// The other product the text names, when it names nothing of the pack's domain.
    pub other_product: Option<String>,
    /// What else moved its score, for the trace (a ruled-out symptom).
    pub notes: Vec<String>,
}

impl Scored {
    pub fn new(entry: usize, text_score: f32) -> Scored {
        Scored {
            entry,
            text_score,
            sig_hits: Vec::new(),
            terms: Vec::new(),
            mass: 0.0,
            coverage: 0.0,
            phrases: 0,
            score: 0.0,
            exact_terms: 0,
            generic_hits: Vec::new(),
            other_product: None,
            notes: Vec::new(),
        }
    }

    /// Whether no signature of the entry hit.
    pub fn words_only(&self) -> bool {
        self.sig_hits.is_empty()
    }
}

/// Every entry found by words or by a signature, once, in entry order.
pub(super) fn merge(set: &PackSet, text_hits: &[TextHit], hits: &[SignatureHit]) -> Vec<Scored> {
    let mut cands: BTreeMap<usize, Scored> = BTreeMap::new();
    for h in text_hits {
        cands
            .entry(h.entry)
            .or_insert_with(|| Scored::new(h.entry, h.score));
    }
    for (hi, h) in hits.iter().enumerate() {
        let (entry, _) = set.signature_owner[h.signature];
        cands
            .entry(entry)
            .or_insert_with(|| Scored::new(entry, 0.0))
            .sig_hits
            .push(hi);
    }
    cands.into_values().collect()
}

/// Scores a candidate from its words, phrases and signatures.
pub(super) fn score(set: &PackSet, c: &mut Scored, q: &QueryTerms) {
    let max_boost = crate::index::FIELDS
        .iter()
        .map(|f| f.1)
        .fold(0.0_f32, f32::max);
    let mut covered = 0.0;
    let terms = q.terms.iter().zip(&q.ids).zip(&q.idf).zip(&q.typo);
    for (((t, &id), &idf), &typo) in terms {
        if let Some(boost) = id.and_then(|id| set.index.boost_of(c.entry, id)) {
            c.mass += idf * boost / max_boost;
            covered += idf;
            c.terms.push(t.clone());
            c.exact_terms += usize::from(!typo);
        }
    }
    c.coverage = covered / q.mass();
    c.phrases = set.index.phrase_hits(c.entry, &q.trigrams);
    let words = c.mass * c.coverage + RANKING.phrase * c.phrases.min(RANKING.max_phrases) as f32;
    c.score = RANKING.words * words
        + if c.words_only() {
            0.0
        } else {
            RANKING.signature
        };
}

/// Why a scored candidate is not considered further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The entry is retired.
    Retired,
    /// The entry is a draft and the query did not ask for drafts.
    Draft,
    /// The query names other packs.
    PackFilteredOut,
    /// No signature hit and the words are below [`RANKING`]'s `min_words`.
    WeakWords,
    /// No signature hit and every word it shares with the query is a corrected typo.
    TyposAlone,
    /// The text names another product and nothing of the pack's domain.
    OtherProduct,
}

/// Domain context of one query: what the text names, and which packs a known fact places
/// the user in.
pub(super) struct Domains {
    /// What the text names.
    pub text: crate::context::TextContext,
    /// For each pack: whether a fact of its `domain.facts` is known.
    pub by_fact: Vec<bool>,
}

impl Domains {
    /// Reads the domain context of `text` given the caller's facts.
    pub fn new(set: &PackSet, text: &str, caller: &super::input::CallerFacts) -> Domains {
        Domains {
            text: set.domains.context(text, |w| {
                // a typo of a known word is not a product name
                set.index.is_known_word(w)
                    || set
                        .index
                        .sequence(w)
                        .iter()
                        .any(|t| set.index.correct(t, w).is_some())
            }),
            by_fact: set
                .packs
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    // a fact of the pack's own (declared by it and no other pack), or one
                    // its `domain.facts` names, places the user in its domain
                    let mine = caller.for_pack(i);
                    p.domain.facts.iter().any(|f| mine.contains_key(f))
                        || mine.keys().any(|f| {
                            set.packs
                                .iter()
                                .enumerate()
                                .all(|(j, q)| j == i || !q.facts.contains_key(f))
                        })
                })
                .collect(),
        }
    }

    /// Whether the text or a fact places the user in pack `p`'s domain.
    pub fn places(&self, p: usize) -> bool {
        self.by_fact.get(p).copied().unwrap_or(false)
            || self.text.domain.get(p).is_some_and(Option::is_some)
    }

    /// The trace's lines about the context.
    pub fn describe(&self, set: &PackSet) -> Vec<String> {
        let mut out = Vec::new();
        for (name, owner) in &self.text.products {
            match owner {
                Some(p) => out.push(format!("names {name} (domain of {})", set.packs[*p].id)),
                None => out.push(format!("names another product: {name}")),
            }
        }
        for (p, known) in self.by_fact.iter().enumerate() {
            if *known {
                out.push(format!(
                    "a known fact places the user in the domain of {}",
                    set.packs[p].id
                ));
            }
        }
        out
    }
}

/// Applies domain context to a merged candidate: a generic signature hit without domain
/// context is set aside (the entry is then scored on its words), and a text naming another
/// product and nothing of the pack's domain is noted (refused by [`admit`]).
pub(super) fn apply_domain(set: &PackSet, c: &mut Scored, hits: &[SignatureHit], d: &Domains) {
    let pack = set.entries[c.entry].0;
    // a pack that declares no domain has nothing to corroborate with (lint says so)
    if d.places(pack) || set.packs[pack].domain.is_empty() {
        return;
    }
    let (generic, kept): (Vec<usize>, Vec<usize>) = c
        .sig_hits
        .iter()
        .partition(|&&h| set.generic.get(hits[h].signature).copied().unwrap_or(false));
    // the entry's own specific message outweighs an unknown name opening the text
    // (`BJA: 0/3 nodes are available: …` is a tag, not a product); a listed product still counts
    let specific_hit = !kept.is_empty();
    c.other_product = d
        .text
        .other_product_but(pack, c.entry, specific_hit)
        .map(str::to_owned);
    c.sig_hits = kept;
    c.generic_hits = generic;
}

/// Whether a scored candidate goes on to its checks: its entry may be shown to this query,
/// and it hit a signature or its words reach the absolute floor.
pub(super) fn admit(set: &PackSet, q: &Query, c: &Scored) -> Result<(), Refusal> {
    let entry: &Entry = set.entry(c.entry);
    let pack = set.pack_of(c.entry);
    match entry.status {
        Status::Retired => return Err(Refusal::Retired),
        Status::Draft if !q.drafts => return Err(Refusal::Draft),
        _ => {}
    }
    if !(q.packs.is_empty() || q.packs.iter().any(|p| p == &pack.id)) {
        return Err(Refusal::PackFilteredOut);
    }
    if c.other_product.is_some() {
        return Err(Refusal::OtherProduct);
    }
    if c.words_only() && c.score < RANKING.min_words {
        return Err(Refusal::WeakWords);
    }
    // a typo alone never lifts a text over the floor
    if c.words_only() && c.exact_terms == 0 {
        return Err(Refusal::TyposAlone);
    }
    Ok(())
}

/// Best first; equal scores in entry order, so answers are the same on every run.
pub(super) fn best_first(a: &Scored, b: &Scored) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry))
}

/// Why a checked candidate is left out of the answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cut {
    /// A words-only match far behind the best one (whose score is given).
    FarBehind {
        /// The best match's score.
        best: f32,
    },
    /// Past the query's limit.
    BeyondLimit {
        /// The query's limit.
        limit: usize,
    },
}

/// The relative floor and the limit, for a candidate at `kept` matches already kept, given
/// the best final score.
pub(super) fn cut(c: &Scored, best: f32, kept: usize, limit: usize) -> Option<Cut> {
    if c.words_only() && c.score < best * RANKING.relative_floor {
        Some(Cut::FarBehind { best })
    } else if kept >= limit {
        Some(Cut::BeyondLimit { limit })
    } else {
        None
    }
}

/// How sure the engine is of the match at `rank` (0-based) with `score`, given the best and
/// the second-best scores of the answer: high scores are surer, and a match clearly ahead
/// of the next is surer than one of two close ones.
pub(super) fn confidence(score: f32, rank: usize, best: f32, second: f32) -> f32 {
    let absolute = 1.0 - (-score / CONFIDENCE.scale).exp();
    let share = if rank == 0 {
        if best > 0.0 {
            1.0 - CONFIDENCE.share * (second / best).powf(CONFIDENCE.lead_exponent)
        } else {
            0.0
        }
    } else {
        CONFIDENCE.share * (score / best.max(1e-6)).powf(CONFIDENCE.lead_exponent)
    };
    (absolute * share).clamp(0.0, 1.0)
}

/// The weight of each kept match in the confidence, in rank order: its score, lifted by
/// [`CONFIDENCE`]'s `confirmed_cause` when one of its causes is confirmed (a confirmed cause
/// is the strongest evidence that the entry applies).
pub(super) fn evidence_weights(scores: &[f32], confirmed: &[bool]) -> Vec<f32> {
    scores
        .iter()
        .zip(confirmed)
        .map(|(&s, &c)| if c { s * CONFIDENCE.confirmed_cause } else { s })
        .collect()
}

/// The confidence of each match from its evidence weight ([`evidence_weights`]): the
/// heaviest is the leader, the others are compared with it, so candidates that share a
/// message get comparable numbers.
pub(super) fn confidences(weights: &[f32]) -> Vec<f32> {
    let mut top = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > weights[top] {
            top = i;
        }
    }
    let best = weights.get(top).copied().unwrap_or(0.0);
    let second = weights
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != top)
        .map(|(_, &w)| w)
        .fold(0.0_f32, f32::max);
    weights
        .iter()
        .enumerate()
        .map(|(i, &w)| confidence(w, usize::from(i != top), best, second))
        .collect()
}

/// Rounded to three decimals, as answers show scores.
pub(super) fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{pack_set, ENTRIES};
    use super::*;

    fn scored_for(set: &PackSet, text: &str) -> Vec<Scored> {
        let q = QueryTerms::with_lines(set, text, text);
        let text_hits = set.index.search(&q.lookup(), 30);
        let hits = set.signatures.hits(text);
        let mut all = merge(set, &text_hits, &hits);
        for c in &mut all {
            score(set, c, &q);
        }
        all
    }

    fn id(set: &PackSet, c: &Scored) -> String {
        set.entry(c.entry).id.clone()
    }

    #[test]
    fn a_signature_is_worth_more_than_any_plausible_word_evidence() {
        let set = pack_set(ENTRIES);
        let all = scored_for(&set, "checkout failed: Your card was declined");
        let sig = all.iter().find(|c| !c.words_only()).unwrap();
        assert_eq!(id(&set, sig), "shop/card-declined");
        assert!(sig.score >= RANKING.signature);
        assert_eq!(admit(&set, &Query::default(), sig), Ok(()));
    }

    #[test]
    fn a_few_common_words_are_refused_by_the_floor() {
        let set = pack_set(ENTRIES);
        // shares "payment" with the card entry, nothing specific
        let all = scored_for(&set, "the user has a question about payment");
        assert!(!all.is_empty(), "the index finds the shared word");
        for c in &all {
            assert!(c.words_only());
            assert_eq!(admit(&set, &Query::default(), c), Err(Refusal::WeakWords));
        }
    }

    #[test]
    fn status_and_pack_filters_refuse_before_the_words_count() {
        let set = pack_set(ENTRIES);
        let draft = scored_for(&set, "Coupon total is off by one cent");
        let c = draft
            .iter()
            .find(|c| id(&set, c) == "shop/coupon-rounding")
            .unwrap();
        assert_eq!(admit(&set, &Query::default(), c), Err(Refusal::Draft));
        let drafts = Query {
            drafts: true,
            ..Query::default()
        };
        assert_eq!(admit(&set, &drafts, c), Ok(()));
        let other = Query::default().packs(["elsewhere"]);
        assert_eq!(admit(&set, &other, c), Err(Refusal::Draft));
        let retired = scored_for(&set, "Legacy endpoint disabled");
        let r = retired
            .iter()
            .find(|c| id(&set, c) == "shop/legacy-endpoint")
            .unwrap();
        assert_eq!(admit(&set, &drafts, r), Err(Refusal::Retired));
        let card = scored_for(&set, "Your card was declined");
        assert_eq!(admit(&set, &other, &card[0]), Err(Refusal::PackFilteredOut));
    }

    #[test]
    fn long_queries_look_up_their_most_specific_words() {
        let set = pack_set(ENTRIES);
        // everyday helpdesk words (common in the background corpus), then rare ones
        let filler = "hi team could you please reset my password forgot it after holidays \
                      now login page says invalid credentials account locked changed phone \
                      old still saved mail app think yesterday folder list";
        let text = format!("{filler} declined coupon rounding");
        let q = QueryTerms::with_lines(&set, &text, &text);
        assert!(q.terms.len() > LOOKUP_TERMS, "{:?}", q.terms);
        let lookup = q.lookup();
        assert_eq!(lookup.len(), LOOKUP_TERMS);
        for rare in ["declin", "coupon", "round"] {
            assert!(lookup.iter().any(|t| t.starts_with(rare)), "{lookup:?}");
        }
    }

    #[test]
    fn the_relative_floor_cuts_words_only_matches_far_behind_and_the_limit_the_rest() {
        let mut c = Scored::new(0, 0.0);
        c.score = 3.0;
        assert_eq!(cut(&c, 10.0, 0, 5), Some(Cut::FarBehind { best: 10.0 }));
        assert_eq!(cut(&c, 8.0, 0, 5), None);
        assert_eq!(cut(&c, 8.0, 5, 5), Some(Cut::BeyondLimit { limit: 5 }));
        // a signature hit is never far behind
        c.sig_hits.push(0);
        assert_eq!(cut(&c, 100.0, 0, 5), None);
    }

    #[test]
    fn confidence_grows_with_the_score_and_the_lead() {
        let alone = confidence(12.0, 0, 12.0, 0.0);
        let close = confidence(12.0, 0, 12.0, 11.0);
        let ahead = confidence(12.0, 0, 12.0, 3.0);
        assert!(alone > ahead && ahead > close, "{alone} {ahead} {close}");
        assert!(confidence(3.0, 0, 3.0, 0.0) < alone);
        // a runner-up is at most half as sure as its share of the best
        assert!(confidence(11.0, 1, 12.0, 11.0) < 0.5);
        assert_eq!(confidence(0.0, 0, 0.0, 0.0), 0.0);
        for (s, r, b, n) in [(1e9, 0, 1e9, 0.0), (5.0, 3, 0.0, 0.0)] {
            assert!((0.0..=1.0).contains(&confidence(s, r, b, n)));
        }
    }
}

#[cfg(test)]
mod quiet_tests {
    use super::*;

    #[test]
    fn quiet_log_lines_and_prefixes_weigh_little() {
        assert_eq!(
            log_message("2024-05-14T09:21:07.512Z ERROR [app] pvc stuck in pending"),
            "pvc stuck in pending"
        );
        assert_eq!(log_message("pvc stuck [x]"), "pvc stuck [x]");
        assert!(is_quiet_line(
            "2024-05-14T09:21:06.001Z INFO  [scheduler] worker pool started"
        ));
        assert!(!is_quiet_line("debug1: Offering public key"));
        let set = super::super::testkit::pack_set(super::super::testkit::ENTRIES);
        let text = "2024-05-14T09:21:06.001Z INFO  [scheduler] worker pool started\n2024-05-14T09:21:07.512Z ERROR [app] your card was declined";
        let quiet = quiet_only_terms(&set, text);
        assert!(quiet.contains("worker"), "{quiet:?}");
        assert!(quiet.contains("app"), "{quiet:?}");
        assert!(!quiet.contains("card"), "{quiet:?}");
    }
}
