//! The query pipeline: normalise → signatures → full text → merge and score → checks →
//! rank → questions.
//!
//! Scoring keeps two kinds of evidence apart. A **signature** hit means the user's text
//! contains a known error message: strong evidence on its own. **Full-text** evidence is
//! weaker and needs a floor: an entry is returned on words alone only when the words it
//! shares with the query carry enough weight (rare, in strong fields) *and* cover enough of
//! what the query says, so an unrelated ticket that happens to share "error" and "user" gets
//! no match rather than a guess. Checks run only for the candidates that pass, and their
//! symptoms then move entries up or down.

pub mod model;

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::facts::{FactType, FactValue, Facts};
use crate::matcher::{find_variables, normalize, text_for_search, VariableKind};
use crate::pack::{Entry, Pack, Status};
use crate::script::Verdict;
use crate::set::PackSet;

pub use model::{
    Candidate, CauseResult, CheckTrace, Diagnosis, Evidence, Match, Query, Question,
    SignatureEvidence, SymptomResult, Trace,
};

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
    pub max_check_time: std::time::Duration,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_input_bytes: 16 << 20,
            max_search_bytes: 64 << 10,
            default_limit: 10,
            max_check_time: std::time::Duration::from_millis(250),
        }
    }
}

/// Weights of the ranking. The defaults are tuned on the query corpus in `tests/data`.
#[derive(Debug, Clone, Copy)]
struct Ranking {
    /// Score of a signature hit.
    signature: f32,
    /// Weight of the normalised word evidence.
    words: f32,
    /// Score added per confirmed symptom, removed per ruled-out one.
    symptom: f32,
    /// Minimum word score (evidence × coverage + phrases) for a match without a signature.
    min_words: f32,
    /// A words-only match must reach this share of the best candidate's score.
    relative_floor: f32,
    /// Score per phrase hit (three consecutive query terms found in one of the entry's
    /// titles, signatures, keywords or aliases), up to three.
    phrase: f32,
}

const RANKING: Ranking = Ranking {
    signature: 6.0,
    words: 1.0,
    symptom: 2.0,
    min_words: 7.0,
    relative_floor: 0.35,
    phrase: 1.5,
};

struct Scored {
    entry: usize,
    text_score: f32,
    sig_hits: Vec<usize>,
    terms: Vec<String>,
    mass: f32,
    coverage: f32,
    phrases: usize,
    score: f32,
}

impl Scored {
    fn new(entry: usize, text_score: f32) -> Scored {
        Scored {
            entry,
            text_score,
            sig_hits: Vec::new(),
            terms: Vec::new(),
            mass: 0.0,
            coverage: 0.0,
            phrases: 0,
            score: 0.0,
        }
    }
}

/// Words of a query used to look up candidates in the text index (the most specific ones).
const LOOKUP_TERMS: usize = 24;
/// Candidates taken from the text index per query.
const TEXT_CANDIDATES: usize = 30;

/// Runs a query against a pack set.
pub(crate) fn run(
    set: &PackSet,
    q: &Query,
    limits: &QueryLimits,
    outcomes: Option<&crate::outcomes::Outcomes>,
) -> Result<Diagnosis> {
    let mut notes = Vec::new();
    let caller = typed_caller_facts(set, &q.facts, &mut notes)?;
    let limit = q.limit.unwrap_or(limits.default_limit);

    // 1. normalise and recognise variable parts
    let norm = normalize(&q.text, limits.max_input_bytes);
    notes.extend(norm.notes.iter().cloned());
    let text = norm.text.as_str();
    let vars = find_variables(text);
    let mut input_facts: Facts = Facts::new();
    for kind in VariableKind::ALL {
        if let Some(name) = kind.fact_name() {
            let values: Vec<String> = vars
                .iter()
                .filter(|v| v.kind == kind)
                .map(|v| text[v.start..v.end].to_owned())
                .collect();
            input_facts.insert(name.to_owned(), FactValue::List(values));
        }
    }
    // checks see at most the part of the text that word search sees
    let mut cut = text.len().min(limits.max_search_bytes);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    input_facts.insert("input.text".into(), FactValue::Str(text[..cut].to_owned()));

    // 2. signatures: one pass, captures for hits only
    let hits = set.signatures.hits(text);

    // 3. full text over the input without its variable parts
    let mut search_text = text_for_search(text, &vars);
    if search_text.len() > limits.max_search_bytes {
        let mut cut = limits.max_search_bytes;
        while !search_text.is_char_boundary(cut) {
            cut -= 1;
        }
        search_text.truncate(cut);
        notes.push(format!(
            "only the first {cut} bytes were used for word search; signatures saw all of the input"
        ));
    }
    let sequence = set.index.sequence(&search_text);
    let terms = crate::index::distinct_terms(&sequence);
    let query_trigrams = crate::index::trigrams(&sequence);
    // each term's weight, looked up once per query
    let term_idf: Vec<f32> = terms.iter().map(|t| set.index.idf(t)).collect();
    // the most specific words find the candidates (a long ticket can hold hundreds of words,
    // and each one is a clause of the text query); all words score them in step 4
    let text_hits = if terms.len() <= LOOKUP_TERMS {
        set.index.search(&terms, TEXT_CANDIDATES)
    } else {
        let mut order: Vec<usize> = (0..terms.len()).collect();
        order.sort_by(|&a, &b| term_idf[b].total_cmp(&term_idf[a]).then(a.cmp(&b)));
        let lookup: Vec<String> = order[..LOOKUP_TERMS]
            .iter()
            .map(|&i| terms[i].clone())
            .collect();
        set.index.search(&lookup, TEXT_CANDIDATES)
    };

    // 4. merge and score
    let allowed = |entry: &Entry, pack: &Pack| -> bool {
        (q.packs.is_empty() || q.packs.iter().any(|p| p == &pack.id))
            && match entry.status {
                Status::Approved => true,
                Status::Draft => q.drafts,
                Status::Retired => false,
            }
    };
    let mut cands: BTreeMap<usize, Scored> = BTreeMap::new();
    for h in &text_hits {
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
    let query_mass: f32 = term_idf.iter().sum::<f32>().max(1e-3);
    let max_boost = crate::index::FIELDS
        .iter()
        .map(|f| f.1)
        .fold(0.0_f32, f32::max);
    let mut trace_rejected: Vec<Candidate> = Vec::new();
    let mut scored: Vec<Scored> = Vec::new();
    for (_, mut c) in cands {
        let entry = set.entry(c.entry);
        let pack = set.pack_of(c.entry);
        let mut covered = 0.0;
        for (t, &idf) in terms.iter().zip(&term_idf) {
            if let Some(boost) = set.index.term_boost(c.entry, t) {
                c.mass += idf * boost / max_boost;
                covered += idf;
                c.terms.push(t.clone());
            }
        }
        c.coverage = covered / query_mass;
        c.phrases = set.index.phrase_hits(c.entry, &query_trigrams);
        let words = c.mass * c.coverage + RANKING.phrase * c.phrases.min(3) as f32;
        c.score = RANKING.words * words
            + if c.sig_hits.is_empty() {
                0.0
            } else {
                RANKING.signature
            };
        let shown = allowed(entry, pack);
        if shown && !(c.sig_hits.is_empty() && c.score < RANKING.min_words) {
            scored.push(c);
            continue;
        }
        // the reasons are worded only for a trace
        if q.trace {
            let reason = if !shown {
                match entry.status {
                    Status::Retired => "entry is retired".to_owned(),
                    Status::Draft => "entry is a draft (drafts not asked for)".to_owned(),
                    Status::Approved => "pack filtered out by the query".to_owned(),
                }
            } else {
                format!(
                    "no signature matched and the words are too weak: {:.2} (needs {:.2}; weight {:.2} x coverage {:.0}%, {} phrase(s))",
                    c.score,
                    RANKING.min_words,
                    c.mass,
                    c.coverage * 100.0,
                    c.phrases
                )
            };
            trace_rejected.push(candidate_trace(set, &c, &hits, false, reason));
        }
    }

    // 5. checks and symptoms, best candidates first, only for those that can still reach
    // the top `limit` (symptoms move a score by at most RANKING.symptom each), and within
    // the query's check time
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
    let budget = crate::budget::Budget::start_counted(limits.max_check_time);
    let mut results: Vec<(Scored, Match, Vec<CheckTrace>)> = Vec::new();
    let reach = |c: &Scored| c.score + RANKING.symptom * set.entry(c.entry).symptoms.len() as f32;
    // no final score can be above this, so a words-only match at or above this share of it
    // is sure to pass the relative floor of step 6
    let sure_floor = scored.iter().map(reach).fold(0.0_f32, f32::max) * RANKING.relative_floor;
    // final scores so far of matches sure to be shown if good enough, best first
    let mut finals: Vec<f32> = Vec::new();
    // extractors run once per pack and query, whatever the number of candidates
    let mut extracted_by_pack: Vec<Option<BTreeMap<String, FactValue>>> =
        vec![None; set.packs.len()];
    for c in scored {
        let reach = reach(&c);
        if limit == 0 || finals.get(limit - 1).is_some_and(|&kth| reach <= kth) {
            if q.trace {
                let reason = format!(
                    "not checked: at most {reach:.2} with every symptom, below the top {limit}"
                );
                trace_rejected.push(candidate_trace(set, &c, &hits, false, reason));
            }
            continue;
        }
        let pack_index = set.entries[c.entry].0;
        let extracted = extracted_by_pack[pack_index]
            .get_or_insert_with(|| extracted(&set.packs[pack_index], text));
        let (m, checks, symptom_delta) = evaluate(
            set,
            &c,
            &hits,
            &caller,
            &input_facts,
            extracted,
            text,
            &budget,
        );
        let mut c = c;
        c.score += symptom_delta;
        if !c.sig_hits.is_empty() || c.score >= sure_floor {
            let at = finals.partition_point(|&f| f >= c.score);
            finals.insert(at, c.score);
        }
        results.push((c, m, checks));
    }
    results.sort_by(|a, b| {
        b.0.score
            .total_cmp(&a.0.score)
            .then(a.0.entry.cmp(&b.0.entry))
    });

    // 6. relative floor for words-only matches, then limit
    let best = results.first().map_or(0.0, |r| r.0.score);
    let mut kept: Vec<(Scored, Match, Vec<CheckTrace>)> = Vec::new();
    for r in results {
        let words_only = r.0.sig_hits.is_empty();
        let reason = if words_only && r.0.score < best * RANKING.relative_floor {
            Some(format!(
                "far behind the best match ({:.2} < {:.0}% of {:.2})",
                r.0.score,
                RANKING.relative_floor * 100.0,
                best
            ))
        } else if kept.len() >= limit {
            Some(format!("beyond the limit of {limit} matches"))
        } else {
            None
        };
        match reason {
            Some(reason) => {
                if q.trace {
                    let mut t = candidate_trace(set, &r.0, &hits, false, reason);
                    t.checks = r.2;
                    trace_rejected.push(t);
                }
            }
            None => kept.push(r),
        }
    }

    // 6b. resolution history reorders the matches kept, never which are kept
    let priors = crate::outcomes::prior::rerank(outcomes, &mut kept, |r| {
        let (entry, pack) = (set.entry(r.0.entry), set.pack_of(r.0.entry));
        (entry.id.clone(), pack.id.clone(), &mut r.0.score)
    });
    let best = kept.first().map_or(best, |r| r.0.score);

    // 7. confidence
    let second = kept.get(1).map_or(0.0, |r| r.0.score);
    let n_kept = kept.len();
    let mut matches = Vec::with_capacity(n_kept);
    let mut trace_accepted = Vec::new();
    for (i, (c, mut m, checks)) in kept.into_iter().enumerate() {
        let absolute = 1.0 - (-c.score / 5.0).exp();
        let share = if i == 0 {
            if best > 0.0 {
                1.0 - 0.5 * (second / best)
            } else {
                0.0
            }
        } else {
            0.5 * c.score / best.max(1e-6)
        };
        m.score = round3(c.score);
        m.confidence = round3((absolute * share).clamp(0.0, 1.0));
        if q.trace {
            let mut t = candidate_trace(set, &c, &hits, true, format!("rank {}", i + 1));
            t.checks = checks;
            t.prior = priors.get(i).cloned().flatten();
            trace_accepted.push(t);
        }
        matches.push(m);
    }

    // 8. questions across matches
    let questions = rank_questions(&matches);
    let trace = q.trace.then(|| {
        let mut candidates = trace_accepted;
        candidates.extend(trace_rejected);
        Trace {
            normalized: text.to_owned(),
            terms: terms.clone(),
            candidates,
        }
    });
    Ok(Diagnosis {
        matches,
        questions,
        notes,
        trace,
    })
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

fn candidate_trace(
    set: &PackSet,
    c: &Scored,
    hits: &[crate::matcher::SignatureHit],
    accepted: bool,
    reason: String,
) -> Candidate {
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
                entry.signatures[set.signature_owner[hits[h].signature].1]
                    .id
                    .clone()
            })
            .collect(),
        terms: c.terms.clone(),
        accepted,
        reason,
        checks: Vec::new(),
        prior: None,
    }
}

/// Converts the caller's facts to their declared types (per pack declaring them).
fn typed_caller_facts(
    set: &PackSet,
    facts: &BTreeMap<String, FactValue>,
    notes: &mut Vec<String>,
) -> Result<Facts> {
    let mut out = Facts::new();
    for (name, value) in facts {
        let decl = set.packs.iter().find_map(|p| p.facts.get(name));
        let Some(decl) = decl else {
            notes.push(format!(
                "fact `{name}` is not declared by any loaded pack; ignored"
            ));
            continue;
        };
        let typed = match (decl.ty, value) {
            (FactType::String | FactType::Enum | FactType::List, v) => decl.check(v.clone()),
            (_, FactValue::Str(s)) => decl.parse_text(s),
            (_, v) => decl.check(v.clone()),
        };
        out.insert(name.clone(), typed.map_err(|e| Error::Fact(e.to_string()))?);
    }
    Ok(out)
}

/// Facts for an entry: extractors < captures < caller; plus input facts.
fn facts_for(
    set: &PackSet,
    c: &Scored,
    hits: &[crate::matcher::SignatureHit],
    caller: &Facts,
    input: &Facts,
    extracted: &BTreeMap<String, FactValue>,
) -> (Facts, BTreeMap<String, FactValue>) {
    let pack = set.pack_of(c.entry);
    let mut from_text = extracted.clone();
    for &h in &c.sig_hits {
        for (name, value) in &hits[h].captures {
            if let Some(decl) = pack.facts.get(name) {
                if let Ok(v) = decl.parse_text(value) {
                    from_text.insert(name.clone(), v);
                }
            }
        }
    }
    let mut all = input.clone();
    all.extend(from_text.clone());
    for (k, v) in caller {
        if pack.facts.contains_key(k) {
            all.insert(k.clone(), v.clone());
        }
    }
    (all, from_text)
}

/// Facts a pack's extractors read from the text.
fn extracted(pack: &Pack, text: &str) -> BTreeMap<String, FactValue> {
    let mut from_text: BTreeMap<String, FactValue> = BTreeMap::new();
    for x in &pack.extractors {
        let Some(decl) = pack.facts.get(&x.fact) else {
            continue;
        };
        // a pattern is compiled only once its literal occurs in a text
        if !x.regex.may_match(text) {
            continue;
        }
        let value_of = |m: &crate::matcher::PatternMatch| -> String {
            let r = m.group("value").unwrap_or(m.start..m.end);
            text[r].to_owned()
        };
        if decl.ty == FactType::List {
            let vals: Vec<String> = match &x.value {
                // a constant list is added once when the pattern matches
                Some(FactValue::List(l)) if x.regex.is_match(text) => l.clone(),
                Some(FactValue::Str(v)) if x.regex.is_match(text) => vec![v.clone()],
                Some(_) => Vec::new(),
                None => x.regex.captures_all(text).iter().map(value_of).collect(),
            };
            if !vals.is_empty() {
                let slot = from_text
                    .entry(x.fact.clone())
                    .or_insert_with(|| FactValue::List(Vec::new()));
                if let FactValue::List(l) = slot {
                    for v in vals {
                        if !l.contains(&v) {
                            l.push(v);
                        }
                    }
                }
            }
            continue;
        }
        if from_text.contains_key(&x.fact) {
            continue;
        }
        let Some(m) = x.regex.captures(text) else {
            continue;
        };
        let value = match &x.value {
            Some(v) => Ok(v.clone()),
            None => decl.parse_text(&value_of(&m)),
        };
        if let Ok(v) = value {
            from_text.insert(x.fact.clone(), v);
        }
    }
    from_text
}

fn verdict_order(v: Verdict) -> u8 {
    match v {
        Verdict::Confirmed => 0,
        Verdict::Unknown => 1,
        Verdict::Error => 2,
        Verdict::RuledOut => 3,
    }
}

/// Runs an entry's symptoms and causes; returns the match, the check trace and the score
/// change from symptoms.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    set: &PackSet,
    c: &Scored,
    hits: &[crate::matcher::SignatureHit],
    caller: &Facts,
    input: &Facts,
    extracted: &BTreeMap<String, FactValue>,
    text: &str,
    budget: &crate::budget::Budget,
) -> (Match, Vec<CheckTrace>, f32) {
    let entry = set.entry(c.entry);
    let pack = set.pack_of(c.entry);
    // the query's check time is spent between candidates, not inside one: an entry's checks
    // run together, so one slow check does not starve the others of its entry
    let out_of_time = budget.spent();
    let run = |check: &crate::script::Check, facts: &Facts| {
        if out_of_time {
            crate::script::Evaluation {
                verdict: Verdict::Error,
                facts_read: Vec::new(),
                missing: Vec::new(),
                error: Some(
                    "not run: the checks of this query used up its time (max_check_time)".into(),
                ),
            }
        } else {
            pack.scripts.evaluate(check, facts)
        }
    };
    let (facts, from_text) = facts_for(set, c, hits, caller, input, extracted);
    let mut checks = Vec::new();
    let mut delta = 0.0;
    let mut symptoms = Vec::new();
    for s in &entry.symptoms {
        let ev = run(&s.check, &facts);
        match ev.verdict {
            Verdict::Confirmed => delta += RANKING.symptom,
            Verdict::RuledOut => delta -= RANKING.symptom,
            _ => {}
        }
        checks.push(CheckTrace {
            id: format!("symptom:{}", s.id),
            verdict: ev.verdict,
            facts_read: ev.facts_read.clone(),
            why: why(&ev),
        });
        symptoms.push(SymptomResult {
            id: s.id.clone(),
            description: s.description.clone(),
            verdict: ev.verdict,
        });
    }
    let mut causes = Vec::new();
    for cause in &entry.causes {
        let (verdict, read, missing, error) = match &cause.check {
            Some(check) => {
                let ev = run(check, &facts);
                checks.push(CheckTrace {
                    id: format!("cause:{}", cause.id),
                    verdict: ev.verdict,
                    facts_read: ev.facts_read.clone(),
                    why: why(&ev),
                });
                (ev.verdict, ev.facts_read, ev.missing, ev.error)
            }
            None => (Verdict::Unknown, Vec::new(), Vec::new(), None),
        };
        causes.push(CauseResult {
            id: cause.id.clone(),
            title: cause.title.clone(),
            verdict,
            explanation: cause.explanation.clone(),
            remedy: cause.remedy.clone(),
            facts_read: read,
            missing_facts: missing,
            error,
            references: cause.references.clone(),
        });
    }
    causes.sort_by_key(|c| verdict_order(c.verdict));
    let mut remedy: Vec<String> = Vec::new();
    for c in causes.iter().filter(|c| c.verdict == Verdict::Confirmed) {
        for step in &c.remedy {
            if !remedy.contains(step) {
                remedy.push(step.clone());
            }
        }
    }
    for step in &entry.remedy {
        if !remedy.contains(step) {
            remedy.push(step.clone());
        }
    }
    let evidence = Evidence {
        signatures: c
            .sig_hits
            .iter()
            .map(|&h| {
                let hit = &hits[h];
                SignatureEvidence {
                    id: entry.signatures[set.signature_owner[hit.signature].1]
                        .id
                        .clone(),
                    span: [hit.start, hit.end],
                    text: text[hit.start..hit.end].to_owned(),
                }
            })
            .collect(),
        terms: c.terms.clone(),
        facts: from_text,
        symptoms,
    };
    let mut m = Match {
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
    m.questions = questions_for(pack, entry, &m, &facts);
    (m, checks, delta)
}

fn why(ev: &crate::script::Evaluation) -> Option<String> {
    match ev.verdict {
        Verdict::Confirmed => None,
        Verdict::RuledOut => Some("the check returned false for the known facts".into()),
        Verdict::Unknown => Some(format!("missing fact(s): {}", ev.missing.join(", "))),
        Verdict::Error => ev.error.clone(),
    }
}

/// Facts whose answer would decide an undecided check: the missing ones first, then the
/// other unknown facts it may read.
fn undecided_needs(check: &crate::script::Check, missing: &[String], known: &Facts) -> Vec<String> {
    let mut out: Vec<String> = missing.to_vec();
    for f in check.may_read() {
        if !known.contains_key(f) && !out.contains(f) && !f.starts_with("input.") {
            out.push(f.clone());
        }
    }
    out
}

fn questions_for(pack: &Pack, entry: &Entry, m: &Match, facts: &Facts) -> Vec<Question> {
    // fact -> (decides, times it was the fact that stopped a check), in first-read order
    let mut counts: Vec<(String, (usize, usize))> = Vec::new();
    let mut note = |needs: Vec<String>, first: Option<&String>| {
        for f in needs {
            let i = match counts.iter().position(|(n, _)| n == &f) {
                Some(i) => i,
                None => {
                    counts.push((f.clone(), (0, 0)));
                    counts.len() - 1
                }
            };
            counts[i].1 .0 += 1;
            if Some(&f) == first {
                counts[i].1 .1 += 1;
            }
        }
    };
    for s in &entry.symptoms {
        if let Some(r) = m.evidence.symptoms.iter().find(|r| r.id == s.id) {
            if r.verdict == Verdict::Unknown {
                note(undecided_needs(&s.check, &[], facts), None);
            }
        }
    }
    for cause in &entry.causes {
        let Some(check) = &cause.check else { continue };
        if let Some(r) = m.causes.iter().find(|r| r.id == cause.id) {
            if r.verdict == Verdict::Unknown {
                note(
                    undecided_needs(check, &r.missing_facts, facts),
                    r.missing_facts.first(),
                );
            }
        }
    }
    let mut qs: Vec<(usize, usize, Question)> = counts
        .into_iter()
        .filter_map(|(fact, (decides, first))| {
            let decl = pack.facts.get(&fact)?;
            Some((
                decides,
                first,
                Question {
                    fact: fact.clone(),
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
                    entries: vec![entry.id.clone()],
                },
            ))
        })
        .collect();
    qs.sort_by(|a, b| {
        (b.1 > 0)
            .cmp(&(a.1 > 0))
            .then(b.0.cmp(&a.0))
            .then(a.2.fact.cmp(&b.2.fact))
    });
    qs.into_iter().map(|(_, _, q)| q).collect()
}

/// Merges per-match questions: a fact asked by several candidates decides more.
fn rank_questions(matches: &[Match]) -> Vec<Question> {
    // insertion-ordered: the best match's own order wins ties
    let mut out: Vec<(f32, Question)> = Vec::new();
    for m in matches {
        for q in &m.questions {
            let weight = q.decides as f32 * (0.25 + m.confidence);
            match out.iter_mut().find(|(_, e)| e.fact == q.fact) {
                Some((w, existing)) => {
                    *w += weight;
                    existing.decides += q.decides;
                    for e in &q.entries {
                        if !existing.entries.contains(e) {
                            existing.entries.push(e.clone());
                        }
                    }
                }
                None => out.push((weight, q.clone())),
            }
        }
    }
    out.sort_by(|a, b| {
        b.1.entries
            .len()
            .cmp(&a.1.entries.len())
            .then(b.0.total_cmp(&a.0))
    });
    out.into_iter().map(|(_, q)| q).collect()
}
