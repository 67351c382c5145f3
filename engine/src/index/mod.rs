//! Full-text lookup over entries: a tantivy index built at load, in RAM or in the index
//! cache ([`cache`]).
//!
//! This is the only module that touches `tantivy`. Three decisions shape it:
//!
//! * **User text is never parsed as query syntax.** Error strings are full of `:`, quotes,
//!   brackets, `AND`, `-flag`; tantivy's query parser either fails on them or silently changes
//!   their meaning. Lookup instead takes the analyzer's terms and reads what the index holds
//!   for each.
//! * **Candidates are scored the way the ranking weighs words**: a term counts its
//!   specificity (idf over the entries plus a background corpus of everyday text) times the
//!   boost of the best field holding it. That needs no scorer, only each term's entries with
//!   their best boost: its *impact list* ([`analysis`]), made with the documents and cached
//!   with the index. Reading it costs a fraction of tantivy's posting lists, one decoder per
//!   (term, field), let alone a boolean query of hundreds of boosted term queries per ticket.
//!   The tantivy index stays what is written and cached, and the tests check the impact
//!   lists against its term dictionaries and postings.
//! * **One analyzer for documents and queries**: simple tokenizer, lower-casing, a short
//!   English stop list (plus helpdesk filler such as "hi" and "thanks"), English stemming;
//!   compound identifiers (`ListApplicationProviders`) are indexed whole and split.

use std::collections::HashSet;

use tantivy::directory::RamDirectory;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    TokenizerManager,
};
use tantivy::{Index, TantivyDocument};
#[cfg(test)]
use tantivy::{IndexReader, ReloadPolicy, Term};

use crate::matcher::is_variable_token;

mod analysis;
pub mod cache;
pub mod rewrite;
mod stem;

use analysis::Analysis;

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

/// A term's number in one [`TextIndex`] (see [`TextIndex::term_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermId(u32);

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
    /// The tantivy index the documents were written to: what the cache keeps, and what the
    /// impact lists are checked against (tests).
    #[cfg_attr(not(test), allow(dead_code))]
    index: Index,
    analyzer: TextAnalyzer,
    /// Term → its number in `stats`.
    ids: analysis::TermMap<u32>,
    /// Per term number: the entries holding it (impact list) and its background count.
    stats: Vec<analysis::TermStats>,
    /// Number of entries.
    entries: usize,
    /// Number of background documents.
    background_docs: usize,
    /// For each entry: the term trigrams of its phrases (title, signatures, keywords,
    /// aliases), sorted.
    entry_trigrams: Vec<Box<[u64]>>,
    /// The terms a typo can be read as, by first character and length in characters, with
    /// their letters counted; made on the first typo looked up (see `rewrite.rs`).
    typo_terms: std::sync::OnceLock<rewrite::TypoTerms>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex")
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// The analyzer of queries: see the module docs.
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(stop_words())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzer of documents, for one build: the same tokens as [`analyzer`], each distinct
/// word stemmed once ([`stem::CachedStemmer`]).
fn build_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(stop_words())
        .filter(stem::CachedStemmer)
        .build()
}

fn stop_words() -> StopWordFilter {
    StopWordFilter::remove(STOP_WORDS.iter().map(|s| (*s).to_owned()))
}

/// Appends the parts of compound identifiers: `ListApplicationProviders` →
/// `ListApplicationProviders List Application Providers`, `AWSReservedSSO_x` → `… AWS Reserved SSO`.
pub fn expand_compounds(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for word in text.split_inclusive(|c: char| !c.is_alphanumeric()) {
        out.push_str(word);
        let w: &str = word.trim_end_matches(|c: char| !c.is_alphanumeric());
        // only ASCII words of 4 letters or more with a capital after the first letter can
        // split (most words are not: no allocation for them)
        let b = w.as_bytes();
        if b.len() < 4
            || !b.iter().all(u8::is_ascii_alphabetic)
            || !b[1..].iter().any(u8::is_ascii_uppercase)
        {
            continue;
        }
        let chars: Vec<char> = w.chars().collect();
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
    tokenizers.register(TOKENIZER, build_analyzer());
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
        // tantivy writes while the impact lists are made: two independent passes
        let (index, analysis) = crate::parallel::join(
            || write_index(docs, Box::new(RamDirectory::create())),
            || Analysis::of(docs, background),
        );
        TextIndex::assemble(index?, analysis)
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
        let (written, analysis) = crate::parallel::join(
            || cache::write(cache_dir, key, |dir| write_index(&docs, dir)),
            || Analysis::of(&docs, background),
        );
        match written.and_then(|pending| pending.finish(&analysis)) {
            Ok(index) => Ok((TextIndex::assemble(index, analysis)?, CacheUse::Stored)),
            Err(e) => {
                let index = write_index(&docs, Box::new(RamDirectory::create()))?;
                Ok((TextIndex::assemble(index, analysis)?, CacheUse::Failed(e)))
            }
        }
    }

    fn assemble(index: Index, analysis: Analysis) -> Result<TextIndex, String> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let Analysis {
            ids,
            stats,
            entries,
            background_docs,
            entry_trigrams,
        } = analysis;
        Ok(TextIndex {
            index,
            analyzer: analyzer(),
            ids,
            stats,
            entries,
            background_docs,
            entry_trigrams,
            typo_terms: std::sync::OnceLock::new(),
        })
    }

    /// The distinct search terms of `text`, in order of first occurrence, ids removed.
    #[cfg(test)]
    pub fn terms(&self, text: &str) -> Vec<String> {
        distinct_terms(&self.sequence(text))
    }

    fn stats(&self, term: &str) -> Option<&analysis::TermStats> {
        self.ids.get(term).map(|&id| &self.stats[id as usize])
    }

    /// The number of `term` in this index, if it knows the term (from entries or the
    /// background): to look a query's terms up once, not once per candidate.
    pub fn term_id(&self, term: &str) -> Option<TermId> {
        self.ids.get(term).map(|&id| TermId(id))
    }

    /// [`TextIndex::term_boost`] of a term known by its number.
    pub fn boost_of(&self, entry: usize, term: TermId) -> Option<f32> {
        self.stats.get(term.0 as usize)?.boost(entry)
    }

    /// Whether any field of the index holds `term`.
    pub fn knows(&self, term: &str) -> bool {
        self.stats(term).is_some_and(|s| !s.postings.is_empty())
    }

    /// Whether the background corpus holds `term`.
    pub fn in_background(&self, term: &str) -> bool {
        self.stats(term).is_some_and(|s| s.background > 0)
    }

    /// Number of entries containing `term` in any field.
    pub fn doc_freq(&self, term: &str) -> u32 {
        self.stats(term).map_or(0, |s| s.postings.len() as u32)
    }

    /// The highest field boost of `term` in `entry`, if the entry contains it.
    #[cfg(test)]
    pub fn term_boost(&self, entry: usize, term: &str) -> Option<f32> {
        self.stats(term)?.boost(entry)
    }

    /// How specific a term is: inverse document frequency over the entries *and* the
    /// background corpus (BM25 form). Domain words score high, everyday helpdesk words low.
    pub fn idf(&self, term: &str) -> f32 {
        self.idf_of(self.stats(term))
    }

    fn idf_of(&self, stats: Option<&analysis::TermStats>) -> f32 {
        let n = (self.entries + self.background_docs) as f32;
        let df = stats.map_or(0, |s| s.postings.len() as u32 + s.background) as f32;
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
            Some(grams) if !grams.is_empty() => query_trigrams
                .iter()
                .filter(|g| grams.binary_search(g).is_ok())
                .count(),
            _ => 0,
        }
    }

    /// The `limit` best entries for `terms`: each entry scores the sum, over the terms it
    /// holds, of the term's [`TextIndex::idf`] times the boost of the best field holding it
    /// (the same weight the ranking gives a word). Ties go to the lower entry number.
    ///
    /// Each term's impact list is read (see [`analysis`]): one hash lookup per term.
    pub fn search(&self, terms: &[String], limit: usize) -> Vec<TextHit> {
        self.top(terms, limit, |ti, t, acc| {
            let stats = self.stats(t);
            let idf = self.idf_of(stats);
            for &(e, boost) in stats.map_or(&[][..], |s| &s.postings) {
                acc.add(e as usize, ti, idf * boost);
            }
        })
    }

    /// The `limit` best entries, each term's weights added by `add` (term number, term,
    /// accumulators).
    fn top(
        &self,
        terms: &[String],
        limit: usize,
        mut add: impl FnMut(u32, &str, &mut Accumulators),
    ) -> Vec<TextHit> {
        let n = self.entries;
        if terms.is_empty() || limit == 0 || n == 0 {
            return Vec::new();
        }
        SCRATCH.with(|scratch| {
            let mut acc = scratch.borrow_mut();
            acc.reset(n);
            for (ti, t) in terms.iter().enumerate() {
                add(ti as u32, t, &mut acc);
            }
            acc.top(limit)
        })
    }

    /// [`TextIndex::search`] over tantivy's posting lists, field by field, best boost first
    /// (how it was first written). Kept to check that the impact lists rank alike.
    #[cfg(test)]
    fn search_postings(&self, terms: &[String], limit: usize) -> Vec<TextHit> {
        use tantivy::{DocSet, TERMINATED};
        let tantivy = self.tantivy();
        let searcher = tantivy.reader.searcher();
        let mut fields = tantivy.fields.clone();
        fields.sort_by(|a, b| b.1.total_cmp(&a.1));
        self.top(terms, limit, |ti, t, acc| {
            let idf = self.idf(t);
            for &(field, boost) in &fields {
                let term = Term::from_field_text(field, t);
                for (seg, doc_entry) in searcher.segment_readers().iter().zip(&tantivy.doc_entry) {
                    let inverted = seg.inverted_index(field).unwrap();
                    let Some(mut postings) = inverted
                        .read_postings(&term, IndexRecordOption::Basic)
                        .unwrap()
                    else {
                        continue;
                    };
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        // fields come best boost first: the first one counts
                        acc.add(doc_entry[doc as usize] as usize, ti, idf * boost);
                        doc = postings.advance();
                    }
                }
            }
        })
    }

    /// The tantivy index opened for reading, with its fields and each document's entry.
    #[cfg(test)]
    fn tantivy(&self) -> Tantivy {
        let schema = self.index.schema();
        let fields = FIELDS
            .iter()
            .map(|(name, boost)| (schema.get_field(name).unwrap(), *boost))
            .collect();
        let reader: IndexReader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .unwrap();
        let doc_entry = reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|segment| {
                let column = segment.fast_fields().u64("entry").unwrap();
                (0..segment.max_doc())
                    .map(|d| column.first(d).map_or(u32::MAX, |e| e as u32))
                    .collect()
            })
            .collect();
        Tantivy {
            reader,
            fields,
            doc_entry,
        }
    }
}

/// The tantivy side of an index, opened for the tests that compare against it.
#[cfg(test)]
struct Tantivy {
    reader: IndexReader,
    fields: Vec<(Field, f32)>,
    /// Per segment: document → entry number.
    doc_entry: Vec<Vec<u32>>,
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

    /// The `limit` entries of highest score (ties: the lower entry first), best first;
    /// entries without a positive score are not hits.
    ///
    /// A query of common words touches thousands of entries at 50 000, so they are ranked
    /// as integers: for positive floats the bits order as the values, and the entry's
    /// complement below them puts the lower entry first on equal scores.
    fn top(&self, limit: usize) -> Vec<TextHit> {
        let mut keys: Vec<u64> = self
            .touched
            .iter()
            .filter(|&&e| self.score[e as usize] > 0.0)
            .map(|&e| u64::from(self.score[e as usize].to_bits()) << 32 | u64::from(!e))
            .collect();
        if keys.len() > limit {
            keys.select_nth_unstable_by(limit - 1, |a, b| b.cmp(a));
            keys.truncate(limit);
        }
        keys.sort_unstable_by(|a, b| b.cmp(a));
        keys.into_iter()
            .map(|k| TextHit {
                entry: !(k as u32) as usize,
                score: f32::from_bits((k >> 32) as u32),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The impact lists made when the documents are analysed (and cached with the
    /// analysis) hold exactly the terms of the built index's term dictionaries, and for each
    /// term the entries of its posting lists with the boost of the best field among them.
    #[test]
    fn the_impact_lists_are_the_posting_lists_of_the_index() {
        use tantivy::{DocSet, TERMINATED};
        let set = crate::set::PackSet::embedded_for_tests();
        let idx = &set.index;
        let tantivy = idx.tantivy();
        let mut from_index: HashMap<String, HashMap<u32, f32>> = HashMap::new();
        for (segment, doc_entry) in tantivy
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .zip(&tantivy.doc_entry)
        {
            for &(field, boost) in &tantivy.fields {
                let inverted = segment.inverted_index(field).unwrap();
                let mut stream = inverted.terms().stream().unwrap();
                while stream.advance() {
                    let term = String::from_utf8_lossy(stream.key()).into_owned();
                    let mut postings = inverted
                        .read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)
                        .unwrap();
                    let best = from_index.entry(term).or_default();
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        let b = best.entry(doc_entry[doc as usize]).or_insert(0.0);
                        *b = b.max(boost);
                        doc = postings.advance();
                    }
                }
            }
        }
        assert!(from_index.len() > 1000, "{}", from_index.len());
        let from_analysis: HashMap<String, HashMap<u32, f32>> = idx
            .ids
            .iter()
            .filter(|(t, _)| idx.knows(t))
            .map(|(t, &id)| {
                (
                    t.clone(),
                    idx.stats[id as usize].postings.iter().copied().collect(),
                )
            })
            .collect();
        assert_eq!(from_analysis, from_index);
    }

    /// Every dev query, and each of its words alone, finds the same entries with the same
    /// scores from the impact lists as from tantivy's posting lists.
    #[test]
    fn impact_lists_rank_as_the_posting_lists_do() {
        let set = crate::set::PackSet::embedded_for_tests();
        let idx = &set.index;
        let dev = include_str!("../../../tests/data/dev-queries.jsonl");
        let mut texts: Vec<String> = dev
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| v["q"].as_str().unwrap().to_owned())
            .collect();
        texts.extend([
            "Session token not found or invalid".into(),
            "printer".into(),
            String::new(),
        ]);
        let (mut queries, mut hits) = (0, 0);
        for text in &texts {
            let terms = idx.terms(text);
            let mut lookups = vec![terms.clone()];
            lookups.extend(terms.iter().map(|t| vec![t.clone()]));
            for terms in lookups {
                for limit in [1, 5, 40] {
                    let found = idx.search(&terms, limit);
                    assert_eq!(
                        found,
                        idx.search_postings(&terms, limit),
                        "{text:?} {terms:?}"
                    );
                    queries += 1;
                    hits += found.len();
                }
            }
        }
        assert!(
            queries > 300 && hits > 1000,
            "{queries} lookups, {hits} hits"
        );
    }

    /// The best hits come as a sort by score (ties: lower entry first) would give them.
    #[test]
    fn the_best_hits_are_the_highest_scores_lower_entries_first_on_ties() {
        let mut acc = Accumulators {
            score: Vec::new(),
            last: Vec::new(),
            touched: Vec::new(),
        };
        acc.reset(5000);
        // scores with many ties and some tiny and large values, entries touched out of order
        for i in 0..4000u32 {
            let e = (i * 7919) % 5000;
            let w = [0.5, 1.25, 3.0, 1e-6, 17.0][(i % 5) as usize] * ((i % 3) as f32);
            acc.add(e as usize, 0, w);
        }
        let mut expected: Vec<TextHit> = acc
            .touched
            .iter()
            .map(|&e| TextHit {
                entry: e as usize,
                score: acc.score[e as usize],
            })
            .filter(|h| h.score > 0.0)
            .collect();
        expected.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        for limit in [1, 7, 40, 2000, 5000] {
            let n = limit.min(expected.len());
            assert_eq!(acc.top(limit), expected[..n], "limit {limit}");
        }
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
