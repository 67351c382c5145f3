//! Full-text lookup over entries: a tantivy index built in RAM at load.
//!
//! This is the only module that touches `tantivy`. Two decisions shape it:
//!
//! * **User text is never parsed as query syntax.** Error strings are full of `:`, quotes,
//!   brackets, `AND`, `-flag`; tantivy's query parser either fails on them or silently changes
//!   their meaning. The query is instead built from the analyzer's terms: a boolean "should"
//!   query of term queries, one per term and field, each with its field's boost.
//! * **One analyzer for documents and queries**: simple tokenizer, lower-casing, a short
//!   English stop list (plus helpdesk filler such as "hi" and "thanks"), English stemming;
//!   compound identifiers (`ListApplicationProviders`) are indexed whole and split.

use std::collections::{HashMap, HashSet};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::matcher::is_variable_token;

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
        // only real compounds: `NameID` is `Name ID`, but `PuTTY` is not `Pu TTY`
        if parts.len() > 1 && parts[0].len() >= 3 && parts.iter().all(|p| p.len() >= 2) {
            out.push(' ');
            out.push_str(&parts.join(" "));
            out.push(' ');
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

impl TextIndex {
    /// Builds the index in RAM. `background` is ordinary text unrelated to any entry (one
    /// document per line): words frequent there count for little when they match an entry.
    pub fn build(docs: &[IndexDoc], background: &str) -> Result<TextIndex, String> {
        let mut sb = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs);
        let opts = TextOptions::default().set_indexing_options(indexing);
        let fields: Vec<(Field, f32)> = FIELDS
            .iter()
            .map(|(name, boost)| (sb.add_text_field(name, opts.clone()), *boost))
            .collect();
        let entry_field = sb.add_u64_field("entry", FAST);
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register(TOKENIZER, analyzer());
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
            .map_err(|e| e.to_string())?;
        let mut an = analyzer();
        let mut entry_terms = Vec::with_capacity(docs.len());
        let mut entry_trigrams: Vec<HashSet<u64>> = Vec::with_capacity(docs.len());
        let mut doc_freq: HashMap<String, u32> = HashMap::new();
        for d in docs {
            let mut grams = HashSet::new();
            for text in &d.fields[..4] {
                for phrase in text.split('\n') {
                    let seq = sequence(&mut an, phrase);
                    grams.extend(trigrams(&seq));
                }
            }
            if entry_trigrams.len() <= d.entry {
                entry_trigrams.resize_with(d.entry + 1, HashSet::new);
            }
            entry_trigrams[d.entry] = grams;
            let mut doc = TantivyDocument::default();
            doc.add_u64(entry_field, d.entry as u64);
            let mut terms: HashMap<String, f32> = HashMap::new();
            for ((field, boost), text) in fields.iter().zip(&d.fields) {
                let expanded = expand_compounds(text);
                let mut stream = an.token_stream(&expanded);
                while stream.advance() {
                    let t = &stream.token().text;
                    let e = terms.entry(t.clone()).or_insert(0.0);
                    *e = e.max(*boost);
                }
                doc.add_text(*field, &expanded);
            }
            for t in terms.keys() {
                *doc_freq.entry(t.clone()).or_insert(0) += 1;
            }
            if entry_terms.len() <= d.entry {
                entry_terms.resize_with(d.entry + 1, HashMap::new);
            }
            entry_terms[d.entry] = terms;
            writer.add_document(doc).map_err(|e| e.to_string())?;
        }
        writer.commit().map_err(|e| e.to_string())?;
        let mut background_freq: HashMap<String, u32> = HashMap::new();
        let mut background_docs = 0;
        for line in background.lines().filter(|l| !l.trim().is_empty()) {
            background_docs += 1;
            let seen: HashSet<String> = sequence(&mut an, line).into_iter().collect();
            for t in seen {
                *background_freq.entry(t).or_insert(0) += 1;
            }
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| e.to_string())?;
        Ok(TextIndex {
            reader,
            fields,
            analyzer: an,
            entry_terms,
            doc_freq,
            background_freq,
            background_docs,
            entry_trigrams,
        })
    }

    /// The distinct search terms of `text`, in order of first occurrence, ids removed.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut an = self.analyzer.clone();
        let expanded = expand_compounds(text);
        let mut stream = an.token_stream(&expanded);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        while stream.advance() {
            let t = &stream.token().text;
            if is_variable_token(t) || !seen.insert(t.clone()) {
                continue;
            }
            out.push(t.clone());
            if out.len() >= 512 {
                break;
            }
        }
        out
    }

    /// Number of entries containing `term` in any field.
    pub fn doc_freq(&self, term: &str) -> u32 {
        self.doc_freq.get(term).copied().unwrap_or(0)
    }

    /// Number of indexed entries.
    pub fn len(&self) -> usize {
        self.entry_terms.len()
    }

    /// True when no entry is indexed.
    pub fn is_empty(&self) -> bool {
        self.entry_terms.is_empty()
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

    /// The `limit` best entries for `terms` (BM25, boosted by field).
    pub fn search(&self, terms: &[String], limit: usize) -> Vec<TextHit> {
        if terms.is_empty() || limit == 0 || self.entry_terms.is_empty() {
            return Vec::new();
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in terms {
            if self.doc_freq(t) == 0 {
                continue;
            }
            for (field, boost) in &self.fields {
                let q = TermQuery::new(
                    Term::from_field_text(*field, t),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), *boost)),
                ));
            }
        }
        if clauses.is_empty() {
            return Vec::new();
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let Ok(top) = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score()) else {
            return Vec::new();
        };
        // the entry number is a fast field: no stored-document decompression per hit
        let columns: Vec<Option<tantivy::columnar::Column<u64>>> = searcher
            .segment_readers()
            .iter()
            .map(|r| r.fast_fields().u64("entry").ok())
            .collect();
        top.into_iter()
            .filter_map(|(score, addr)| {
                let column = columns.get(addr.segment_ord as usize)?.as_ref()?;
                let entry = column.first(addr.doc_id)? as usize;
                Some(TextHit { entry, score })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
