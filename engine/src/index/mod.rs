//! Full-text lookup over entries: a tantivy index built at load, in RAM or in the index
//! cache ([`cache`]).
//!
//! This is the only module that touches `tantivy`. Three decisions shape it:
//!
//! * **User text is never parsed as query syntax.** Error strings are full of `:`, quotes,
//!   brackets, `AND`, `-flag`; tantivy's query parser either fails on them or silently changes
//!   their meaning. Lookup instead takes the analyzer's terms and reads their posting lists.
//! * **Candidates are scored the way the ranking weighs words**: a term counts its
//!   specificity (idf over the entries plus a background corpus of everyday text) times the
//!   boost of the best field holding it. Reading posting lists directly, one lookup per
//!   (term, field) that holds the term, costs a fraction of building a boolean query of
//!   hundreds of boosted term queries per ticket.
//! * **One analyzer for documents and queries**: simple tokenizer, lower-casing, a short
//!   English stop list (plus helpdesk filler such as "hi" and "thanks"), English stemming;
//!   compound identifiers (`ListApplicationProviders`) are indexed whole and split.

use std::collections::{HashMap, HashSet};

use tantivy::directory::RamDirectory;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    TokenizerManager,
};
use tantivy::{DocSet, Index, IndexReader, ReloadPolicy, TantivyDocument, Term, TERMINATED};

use crate::matcher::is_variable_token;

pub mod cache;
pub mod rewrite;

const TOKENIZER: &str = "fixbook";

/// Words that carry no meaning for lookup: English function words and helpdesk filler.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "its", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they",
    "this", "to", "was", "will", "with", "i", "me", "my", "we", "our", "us", "you", "your", "he",
    "she", "her", "his", "him", "them", "hi", "hello", "hey", "thanks", "thank", "please",
    "regards", "cheers", "dear", "team", "so", "do", "does", "did", "have", "has", "had", "been",
    "being", "am", "were", "what", "which", "who", "whom", "why", "how", "when", "where", "can",
    "could", "would", "should", "from", "about", "also", "just", "any", "some", "all", "there",
    "here", "than", "too", "very", "s", "t", "d", "ll", "re", "ve", "m",
];

/// A searchable field and its boost. Order matters: it is the order of [`IndexDoc::fields`].
pub const FIELDS: [(&str, f32); 8] = [
    ("title", 3.0),
    ("signature", 2.5),
    ("keywords", 2.0),
    ("aliases", 1.2),
    ("summary", 1.0),
    ("causes", 0.8),
    ("remedy", 0.4),
    ("extra", 1.0),
];

/// The text of one entry, field by field, in the order of [`FIELDS`].
#[derive(Debug, Clone, Default)]
pub struct IndexDoc {
    /// Position of the entry in the pack set.
    pub entry: usize,
    /// Text per field, in [`FIELDS`] order.
    pub fields: [String; 8],
}

/// One full-text hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextHit {
    /// Position of the entry in the pack set.
    pub entry: usize,
    /// BM25 score with field boosts.
    pub score: f32,
}

/// The full-text index of a pack set.
pub struct TextIndex {
    reader: IndexReader,
    fields: Vec<(Field, f32)>,
    analyzer: TextAnalyzer,
    /// For each entry: term → highest boost of a field it occurs in.
    entry_terms: Vec<HashMap<String, f32>>,
    /// Term → number of entries containing it.
    doc_freq: HashMap<String, u32>,
    /// Term → number of background documents containing it.
    background_freq: HashMap<String, u32>,
    /// Number of background documents.
    background_docs: usize,
    /// For each entry: the term trigrams of its phrases (title, signatures, keywords, aliases).
    entry_trigrams: Vec<HashSet<u64>>,
    /// Term → bit set of the [`FIELDS`] holding it.
    term_fields: HashMap<String, u8>,
    /// Field positions, highest boost first.
    fields_by_boost: Vec<usize>,
    /// Per segment: document → entry number.
    doc_entry: Vec<Vec<u32>>,
    /// The terms a typo can be read as, by first character and length in characters, with
    /// their letters counted; made on the first typo looked up (see `rewrite.rs`).
    typo_terms: std::sync::OnceLock<rewrite::TypoTerms>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("entries", &self.entry_terms.len())
            .finish_non_exhaustive()
    }
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|s| (*s).to_owned()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Appends the parts of compound identifiers: `ListApplicationProviders` →
/// `ListApplicationProviders List Application Providers`, `AWSReservedSSO_x` → `… AWS Reserved SSO`.
pub fn expand_compounds(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for word in text.split_inclusive(|c: char| !c.is_alphanumeric()) {
        out.push_str(word);
        let w: &str = word.trim_end_matches(|c: char| !c.is_alphanumeric());
        let chars: Vec<char> = w.chars().collect();
        if chars.len() < 4 || !chars.iter().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let mut parts: Vec<String> = Vec::new();
        let mut cur = String::new();
        for i in 0..chars.len() {
            let c = chars[i];
            let boundary = i > 0
                && c.is_ascii_uppercase()
                && (chars[i - 1].is_ascii_lowercase()
                    || (i + 1 < chars.len()
                        && chars[i + 1].is_ascii_lowercase()
                        && chars[i - 1].is_ascii_uppercase()));
            if boundary && !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
        parts.push(cur);
        // a lone capital belongs to the part before it: `IdPDirectory` is `IdP Directory`
        let mut merged: Vec<String> = Vec::with_capacity(parts.len());
        for p in parts {
            match merged.last_mut() {
                Some(prev) if p.len() == 1 => prev.push_str(&p),
                _ => merged.push(p),
            }
        }
        let parts = merged;
        // only real compounds: `NameID` is `Name ID`, but `PuTTY` is not `Pu TTY`
        if parts.len() > 1 && parts[0].len() >= 3 && parts.iter().all(|p| p.len() >= 2) {
            out.push(' ');
            out.push_str(&parts.join(" "));
            out.push(' ');
        }
    }
    // snake_case identifiers are also kept whole: `invalid_schema` is
    // `invalid schema invalidschema`
    for w in snake_wholes(text) {
        out.push(' ');
        out.push_str(&w);
        out.push(' ');
    }
    out
}

/// The snake_case identifiers of `text`, each written as one word (`invalid_schema` →
/// `invalidschema`).
pub fn snake_wholes(text: &str) -> Vec<String> {
    let mut run_start = None;
    let mut wholes: Vec<String> = Vec::new();
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        if c.is_ascii_alphanumeric() || c == '_' {
            run_start.get_or_insert(i);
        } else if let Some(s) = run_start.take() {
            let run = text[s..i].trim_matches('_');
            if run.contains('_') && run.split('_').filter(|p| !p.is_empty()).count() > 1 {
                wholes.push(run.replace('_', ""));
            }
        }
    }
    wholes
}

/// Most distinct terms a query is looked up with.
pub const MAX_QUERY_TERMS: usize = 512;

/// The distinct terms of a sequence (see [`TextIndex::sequence`]), in order of first
/// occurrence, at most [`MAX_QUERY_TERMS`].
pub fn distinct_terms(seq: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for t in seq {
        if seen.insert(t.as_str()) {
            out.push(t.clone());
            if out.len() >= MAX_QUERY_TERMS {
                break;
            }
        }
    }
    out
}

/// The distinct consecutive term triples of a term sequence, hashed.
pub fn trigrams(seq: &[String]) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let mut out: Vec<u64> = seq
        .windows(3)
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn sequence(an: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let expanded = expand_compounds(text);
    let mut stream = an.token_stream(&expanded);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Whether [`TextIndex::build_cached`] used the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUse {
    /// The index was opened from the cache: nothing was indexed.
    Hit,
    /// The index was built and stored in the cache.
    Stored,
    /// The index was built in RAM; the cache could not be written (the reason).
    Failed(String),
}

/// What the ranking needs besides the tantivy index: per-entry terms and phrase trigrams, and
/// the background word counts. Computed with the index, stored beside it in the cache.
#[derive(Debug, Default, PartialEq)]
struct Analysis {
    /// For each entry: term → highest boost of a field it occurs in.
    entry_terms: Vec<HashMap<String, f32>>,
    /// Term → number of background documents containing it.
    background_freq: HashMap<String, u32>,
    /// Number of background documents.
    background_docs: usize,
    /// For each entry: the term trigrams of its phrases.
    entry_trigrams: Vec<HashSet<u64>>,
    /// Term → which fields hold it (bit `i` for `FIELDS[i]`): a query reads only those.
    term_fields: HashMap<String, u8>,
}

impl Analysis {
    fn of(docs: &[IndexDoc], background: &str) -> Analysis {
        let mut an = analyzer();
        let n = docs.iter().map(|d| d.entry + 1).max().unwrap_or(0);
        let mut entry_terms = vec![HashMap::new(); n];
        let mut entry_trigrams = vec![HashSet::new(); n];
        let mut term_fields: HashMap<String, u8> = HashMap::new();
        for d in docs {
            let mut grams = HashSet::new();
            for text in &d.fields[..4] {
                for phrase in text.split('\n') {
                    grams.extend(trigrams(&sequence(&mut an, phrase)));
                }
            }
            entry_trigrams[d.entry] = grams;
            let mut terms: HashMap<String, f32> = HashMap::new();
            for (i, ((_, boost), text)) in FIELDS.iter().zip(&d.fields).enumerate() {
                // the text the index holds (see `write_index`), read by the same analyzer
                let expanded = expand_compounds(text);
                let mut stream = an.token_stream(&expanded);
                while stream.advance() {
                    let token = &stream.token().text;
                    match term_fields.get_mut(token) {
                        Some(mask) => *mask |= 1 << i,
                        None => {
                            term_fields.insert(token.clone(), 1 << i);
                        }
                    }
                    let e = terms.entry(token.clone()).or_insert(0.0);
                    *e = e.max(*boost);
                }
            }
            entry_terms[d.entry] = terms;
        }
        let mut background_freq: HashMap<String, u32> = HashMap::new();
        let mut background_docs = 0;
        for line in background.lines().filter(|l| !l.trim().is_empty()) {
            background_docs += 1;
            let seen: HashSet<String> = sequence(&mut an, line).into_iter().collect();
            for t in seen {
                *background_freq.entry(t).or_insert(0) += 1;
            }
        }
        Analysis {
            term_fields,
            entry_terms,
            background_freq,
            background_docs,
            entry_trigrams,
        }
    }
}

/// Writes the tantivy index of `docs` into `dir`.
fn write_index(docs: &[IndexDoc], dir: Box<dyn tantivy::Directory>) -> Result<Index, String> {
    let mut sb = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqs);
    let opts = TextOptions::default().set_indexing_options(indexing);
    let fields: Vec<Field> = FIELDS
        .iter()
        .map(|(name, _)| sb.add_text_field(name, opts.clone()))
        .collect();
    let entry_field = sb.add_u64_field("entry", FAST);
    let tokenizers = TokenizerManager::default();
    tokenizers.register(TOKENIZER, analyzer());
    // One segment, written on this thread: no indexing threads to start, and a memory arena
    // sized to the pack set instead of tantivy's 15 MB minimum per thread (which is most of
    // the build time of a small set). The arena grows when it must.
    let budget = (docs.len() * (8 << 10)).clamp(1 << 20, 64 << 20);
    let mut writer = Index::builder()
        .schema(sb.build())
        .tokenizers(tokenizers)
        .single_segment_index_writer::<TantivyDocument>(dir, budget)
        .map_err(|e| e.to_string())?;
    for d in docs {
        let mut doc = TantivyDocument::default();
        doc.add_u64(entry_field, d.entry as u64);
        for (field, text) in fields.iter().zip(&d.fields) {
            doc.add_text(*field, expand_compounds(text));
        }
        writer.add_document(doc).map_err(|e| e.to_string())?;
    }
    writer.finalize().map_err(|e| e.to_string())
}

impl TextIndex {
    /// Builds the index in RAM. `background` is ordinary text unrelated to any entry (one
    /// document per line): words frequent there count for little when they match an entry.
    pub fn build(docs: &[IndexDoc], background: &str) -> Result<TextIndex, String> {
        let analysis = Analysis::of(docs, background);
        let index = write_index(docs, Box::new(RamDirectory::create()))?;
        TextIndex::assemble(index, analysis)
    }

    /// Like [`TextIndex::build`], but keeps the built index in `cache_dir` under a hash of
    /// everything it is built from, and opens it from there when it is already built.
    /// A cache that cannot be read or written is rebuilt or skipped, never an error.
    pub fn build_cached(
        docs: &[IndexDoc],
        background: &str,
        cache_dir: &std::path::Path,
    ) -> Result<(TextIndex, CacheUse), String> {
        let key = cache::key(docs, background);
        TextIndex::cached(&key, docs.len(), || docs.to_vec(), background, cache_dir)
    }

    /// Like [`TextIndex::build_cached`] for the documents of packs known by their snapshot
    /// keys (see [`crate::pack::snapshot::key`]): those keys and the engine's build fix the
    /// documents, so `docs` is called only when the index is not in the cache.
    pub fn build_cached_for_packs(
        pack_keys: &[[u8; 16]],
        entries: usize,
        docs: impl FnOnce() -> Vec<IndexDoc>,
        background: &str,
        cache_dir: &std::path::Path,
    ) -> Result<(TextIndex, CacheUse), String> {
        let key = cache::key_of_packs(pack_keys, entries, background);
        TextIndex::cached(&key, entries, docs, background, cache_dir)
    }

    fn cached(
        key: &str,
        entries: usize,
        docs: impl FnOnce() -> Vec<IndexDoc>,
        background: &str,
        cache_dir: &std::path::Path,
    ) -> Result<(TextIndex, CacheUse), String> {
        if let Some((index, analysis)) = cache::open(cache_dir, key, entries) {
            if let Ok(idx) = TextIndex::assemble(index, analysis) {
                return Ok((idx, CacheUse::Hit));
            }
        }
        let docs = docs();
        let analysis = Analysis::of(&docs, background);
        match cache::store(cache_dir, key, &analysis, |dir| write_index(&docs, dir)) {
            Ok(index) => Ok((TextIndex::assemble(index, analysis)?, CacheUse::Stored)),
            Err(e) => {
                let index = write_index(&docs, Box::new(RamDirectory::create()))?;
                Ok((TextIndex::assemble(index, analysis)?, CacheUse::Failed(e)))
            }
        }
    }

    fn assemble(index: Index, analysis: Analysis) -> Result<TextIndex, String> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let schema = index.schema();
        let fields = FIELDS
            .iter()
            .map(|(name, boost)| {
                schema
                    .get_field(name)
                    .map(|f| (f, *boost))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, String>>()?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| e.to_string())?;
        let mut doc_entry = Vec::new();
        for segment in reader.searcher().segment_readers() {
            let column = segment
                .fast_fields()
                .u64("entry")
                .map_err(|e| e.to_string())?;
            doc_entry.push(
                (0..segment.max_doc())
                    .map(|d| column.first(d).map_or(u32::MAX, |e| e as u32))
                    .collect(),
            );
        }
        let Analysis {
            entry_terms,
            background_freq,
            background_docs,
            entry_trigrams,
            term_fields,
        } = analysis;
        let mut doc_freq: HashMap<String, u32> = HashMap::new();
        for terms in &entry_terms {
            for t in terms.keys() {
                *doc_freq.entry(t.clone()).or_insert(0) += 1;
            }
        }
        Ok(TextIndex {
            reader,
            fields,
            analyzer: analyzer(),
            entry_terms,
            doc_freq,
            background_freq,
            background_docs,
            entry_trigrams,
            term_fields,
            fields_by_boost: {
                let mut order: Vec<usize> = (0..FIELDS.len()).collect();
                order.sort_by(|&a, &b| FIELDS[b].1.total_cmp(&FIELDS[a].1));
                order
            },
            doc_entry,
            typo_terms: std::sync::OnceLock::new(),
        })
    }

    /// The distinct search terms of `text`, in order of first occurrence, ids removed.
    #[cfg(test)]
    pub fn terms(&self, text: &str) -> Vec<String> {
        distinct_terms(&self.sequence(text))
    }

    /// Number of entries containing `term` in any field.
    pub fn doc_freq(&self, term: &str) -> u32 {
        self.doc_freq.get(term).copied().unwrap_or(0)
    }

    /// The highest field boost of `term` in `entry`, if the entry contains it.
    pub fn term_boost(&self, entry: usize, term: &str) -> Option<f32> {
        self.entry_terms.get(entry)?.get(term).copied()
    }

    /// How specific a term is: inverse document frequency over the entries *and* the
    /// background corpus (BM25 form). Domain words score high, everyday helpdesk words low.
    pub fn idf(&self, term: &str) -> f32 {
        let n = (self.entry_terms.len() + self.background_docs) as f32;
        let df =
            (self.doc_freq(term) + self.background_freq.get(term).copied().unwrap_or(0)) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The analysed terms of `text` in order, repeats kept, ids removed (for phrases).
    pub fn sequence(&self, text: &str) -> Vec<String> {
        let mut an = self.analyzer.clone();
        let mut out = sequence(&mut an, text);
        out.retain(|t| !is_variable_token(t));
        out
    }

    /// How many of the query's term triples (see [`trigrams`]) occur in one of the entry's
    /// phrases.
    pub fn phrase_hits(&self, entry: usize, query_trigrams: &[u64]) -> usize {
        match self.entry_trigrams.get(entry) {
            Some(grams) if !grams.is_empty() => {
                query_trigrams.iter().filter(|g| grams.contains(g)).count()
            }
            _ => 0,
        }
    }

    /// The `limit` best entries for `terms`: each entry scores the sum, over the terms it
    /// holds, of the term's [`TextIndex::idf`] times the boost of the best field holding it
    /// (the same weight the ranking gives a word). Ties go to the lower entry number.
    ///
    /// The posting lists of the terms are read straight from the index: one term-dictionary
    /// lookup per (term, field) that holds it, no query objects or scorers to build.
    pub fn search(&self, terms: &[String], limit: usize) -> Vec<TextHit> {
        let n = self.entry_terms.len();
        if terms.is_empty() || limit == 0 || n == 0 {
            return Vec::new();
        }
        let searcher = self.reader.searcher();
        let mut hits = SCRATCH.with(|scratch| {
            let mut acc = scratch.borrow_mut();
            acc.reset(n);
            for (ti, t) in terms.iter().enumerate() {
                let Some(&mask) = self.term_fields.get(t) else {
                    continue;
                };
                let idf = self.idf(t);
                for &fi in &self.fields_by_boost {
                    if mask & (1 << fi) == 0 {
                        continue;
                    }
                    let (field, boost) = self.fields[fi];
                    let term = Term::from_field_text(field, t);
                    for (seg, doc_entry) in searcher.segment_readers().iter().zip(&self.doc_entry) {
                        let Ok(inverted) = seg.inverted_index(field) else {
                            continue;
                        };
                        let Ok(Some(mut postings)) =
                            inverted.read_postings(&term, IndexRecordOption::Basic)
                        else {
                            continue;
                        };
                        let mut doc = postings.doc();
                        while doc != TERMINATED {
                            if let Some(&e) = doc_entry.get(doc as usize) {
                                // fields come best boost first: the first one counts
                                acc.add(e as usize, ti as u32, idf * boost);
                            }
                            doc = postings.advance();
                        }
                    }
                }
            }
            acc.hits()
        });
        let by_rank =
            |a: &TextHit, b: &TextHit| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry));
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, by_rank);
            hits.truncate(limit);
        }
        hits.sort_by(by_rank);
        hits
    }
}

/// Per-thread score accumulators of [`TextIndex::search`], kept between queries: a query
/// touches the entries its terms' posting lists hold, not every entry of the set (no
/// arrays of the set's size to allocate, zero and walk per query).
struct Accumulators {
    /// Score per entry (0 for entries not touched by the running query).
    score: Vec<f32>,
    /// The term that last scored each entry, so a term counts once per entry.
    last: Vec<u32>,
    /// The entries the running query touched, in order of first touch.
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Accumulators> = const {
        std::cell::RefCell::new(Accumulators { score: Vec::new(), last: Vec::new(), touched: Vec::new() })
    };
}

impl Accumulators {
    /// Ready for a query over `n` entries (what the last query touched is cleared).
    fn reset(&mut self, n: usize) {
        for &e in &self.touched {
            let e = e as usize;
            if e < self.score.len() {
                self.score[e] = 0.0;
                self.last[e] = u32::MAX;
            }
        }
        self.touched.clear();
        self.score.resize(n, 0.0);
        self.last.resize(n, u32::MAX);
        // a smaller set after a larger one: only its entries are read
        self.score.truncate(n);
        self.last.truncate(n);
    }

    /// Adds `weight` to `entry` for term number `term`, unless that term already scored it.
    fn add(&mut self, entry: usize, term: u32, weight: f32) {
        if entry < self.score.len() && self.last[entry] != term {
            if self.last[entry] == u32::MAX {
                self.touched.push(entry as u32);
            }
            self.last[entry] = term;
            self.score[entry] += weight;
        }
    }

    /// The entries with a positive score.
    fn hits(&self) -> Vec<TextHit> {
        self.touched
            .iter()
            .map(|&e| TextHit {
                entry: e as usize,
                score: self.score[e as usize],
            })
            .filter(|h| h.score > 0.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields each term is in, found when the documents are analysed (and cached with
    /// the analysis), are those the built index's term dictionaries hold.
    #[test]
    fn the_fields_of_each_term_are_those_the_index_holds() {
        let set = crate::set::PackSet::embedded_for_tests();
        let idx = &set.index;
        let mut from_index: HashMap<String, u8> = HashMap::new();
        for segment in idx.reader.searcher().segment_readers() {
            for (i, (field, _)) in idx.fields.iter().enumerate() {
                let inverted = segment.inverted_index(*field).unwrap();
                let mut stream = inverted.terms().stream().unwrap();
                while stream.advance() {
                    let term = String::from_utf8_lossy(stream.key()).into_owned();
                    *from_index.entry(term).or_default() |= 1 << i;
                }
            }
        }
        assert!(from_index.len() > 1000, "{}", from_index.len());
        assert_eq!(idx.term_fields, from_index);
    }

    fn doc(entry: usize, title: &str, keywords: &str) -> IndexDoc {
        let mut d = IndexDoc {
            entry,
            ..IndexDoc::default()
        };
        d.fields[0] = title.into();
        d.fields[2] = keywords.into();
        d
    }

    #[test]
    fn query_syntax_characters_are_plain_text() {
        let idx = TextIndex::build(
            &[
                doc(0, "Session token not found", "AWS Toolkit"),
                doc(1, "Printer jam", "paper"),
            ],
            "",
        )
        .unwrap();
        for q in [
            "token AND (",
            "\"session:token\"",
            "-token*",
            "title:printer",
            "",
            ")))",
        ] {
            let hits = idx.search(&idx.terms(q), 5);
            if q.contains("token") {
                assert_eq!(hits[0].entry, 0, "{q}");
            }
            if q.contains("printer") {
                assert_eq!(hits[0].entry, 1, "{q}");
            }
        }
        assert!(idx.search(&idx.terms(""), 5).is_empty());
    }

    #[test]
    fn compounds_are_split_and_ids_dropped() {
        assert!(expand_compounds("ListApplicationProviders").contains("List Application Providers"));
        assert!(expand_compounds("AWSReservedSSO").contains("AWS Reserved SSO"));
        assert_eq!(expand_compounds("PuTTY"), "PuTTY");
        let idx = TextIndex::build(&[doc(0, "x", "ListApplicationProviders")], "").unwrap();
        let terms = idx.terms("list application providers 123456789012");
        assert_eq!(idx.search(&terms, 1)[0].entry, 0);
        assert!(!terms.iter().any(|t| t.contains("1234")));
        assert!(idx.term_boost(0, "provid").is_some());
    }

    #[test]
    fn stop_words_and_filler_are_ignored() {
        let idx = TextIndex::build(&[doc(0, "x", "y")], "").unwrap();
        assert!(idx.terms("Hi, thanks, we have the").is_empty());
    }
}
