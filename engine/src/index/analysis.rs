//! What the ranking reads at query time: every analysed term once, with its impact list.
//!
//! A query term's weight in an entry is the term's specificity times the boost of the best
//! field holding it there (see [`super::TextIndex::search`]). That weight needs no scorer:
//! per term, the list of (entry, best boost) pairs is all there is to read, so it is made
//! once, when the documents are analysed, and kept with the index in the cache. Reading it
//! is a hash lookup and a walk over a few pairs; the same answer from tantivy's posting
//! lists costs one term-dictionary lookup and one posting decoder per (term, field), which
//! was 30 % of a whole `diagnose` on the shipped packs (the test
//! `impact_lists_rank_as_the_posting_lists_do` keeps both answering alike).
//!
//! Terms are numbered in the order they are first met; the background corpus adds the
//! terms it alone holds (with no entries), so that their specificity is known too.

use std::collections::HashMap;

/// Term → value, hashed with foldhash (keys come from packs; user text only looks up).
pub(super) type TermMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

use tantivy::tokenizer::TextAnalyzer;

use super::{build_analyzer, expand_compounds, sequence, trigrams, IndexDoc, FIELDS};

/// What is known of one term.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct TermStats {
    /// The entries holding the term, in entry order, each with the highest boost of a field
    /// holding it in that entry.
    pub postings: Vec<(u32, f32)>,
    /// Number of background documents holding the term.
    pub background: u32,
}

impl TermStats {
    /// The boost of the best field holding the term in `entry`, if the entry holds it.
    pub fn boost(&self, entry: usize) -> Option<f32> {
        let entry = u32::try_from(entry).ok()?;
        self.postings
            .binary_search_by_key(&entry, |&(e, _)| e)
            .ok()
            .map(|i| self.postings[i].1)
    }
}

/// The analysed documents and background corpus.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Analysis {
    /// Term → its number (position in `stats`).
    pub ids: TermMap<u32>,
    /// Per term number: its entries and background count.
    pub stats: Vec<TermStats>,
    /// Number of entries (one past the highest entry number).
    pub entries: usize,
    /// Number of background documents.
    pub background_docs: usize,
    /// Per entry: the term trigrams of its phrases, sorted.
    pub entry_trigrams: Vec<Box<[u64]>>,
}

impl Analysis {
    /// Analyses `docs` (one per entry) and `background` (one document per line) with the
    /// index's analyzer, reading each field as the index holds it.
    pub fn of(docs: &[IndexDoc], background: &str) -> Analysis {
        let mut an = build_analyzer();
        let entries = docs.iter().map(|d| d.entry + 1).max().unwrap_or(0);
        let mut out = Analysis {
            entries,
            entry_trigrams: vec![Box::default(); entries],
            ..Analysis::default()
        };
        // term number → best boost in the document being read
        let mut best: HashMap<u32, f32> = HashMap::new();
        for d in docs {
            out.entry_trigrams[d.entry] = phrase_trigrams(&mut an, d);
            best.clear();
            for ((_, boost), text) in FIELDS.iter().zip(&d.fields) {
                // the text the index holds (see `write_index`)
                let expanded = expand_compounds(text);
                let mut stream = an.token_stream(&expanded);
                while stream.advance() {
                    let id = out.id(&stream.token().text);
                    let b = best.entry(id).or_insert(0.0);
                    *b = b.max(*boost);
                }
            }
            let entry = d.entry as u32;
            for (&id, &boost) in &best {
                out.stats[id as usize].postings.push((entry, boost));
            }
        }
        for stats in &mut out.stats {
            // documents may come in any order; one per entry, or the best of them counts
            stats.postings.sort_by_key(|&(e, _)| e);
            stats.postings.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    kept.1 = kept.1.max(later.1);
                }
                same
            });
        }
        for line in background.lines().filter(|l| !l.trim().is_empty()) {
            out.background_docs += 1;
            let mut seen: Vec<u32> = sequence(&mut an, line).iter().map(|t| out.id(t)).collect();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                out.stats[id as usize].background += 1;
            }
        }
        out
    }

    /// The number of `term`, given one if it is new.
    fn id(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.stats.len() as u32;
        self.ids.insert(term.to_owned(), id);
        self.stats.push(TermStats::default());
        id
    }
}

/// The term trigrams of a document's phrases: title, signatures, keywords and aliases, each
/// line a phrase of its own.
fn phrase_trigrams(an: &mut TextAnalyzer, d: &IndexDoc) -> Box<[u64]> {
    let mut grams = Vec::new();
    for text in &d.fields[..4] {
        for phrase in text.split('\n') {
            grams.extend(trigrams(&sequence(an, phrase)));
        }
    }
    grams.sort_unstable();
    grams.dedup();
    grams.into_boxed_slice()
}
