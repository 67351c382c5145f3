//! Query words the index does not know, read the way a person meant them: shorthand and
//! synonyms (`creds` → credentials) and typos (`pasword` → password).
//!
//! Both only ever land on words of the index's own vocabulary, and only for words the index
//! does not hold as written: a word an entry uses is never rewritten.
//!
//! * **Shorthand** comes from the engine-wide table `engine/data/shorthand.txt` and from
//!   the `synonyms` of the loaded packs; a short form becomes the terms of its long form.
//! * **Typos**: a word of five letters or more that neither the index nor the background
//!   corpus knows is compared with the index terms of the same first letter and a near
//!   length (grouped once, on the first typo; a bag-of-letters bound rules most out before
//!   the edit distance, transpositions costing one): edit distance 1, or 2 for words of
//!   nine letters or more. (A Levenshtein automaton walked over every field's term
//!   dictionary found the same words at several times the cost per query.) The closest term wins, then the one more entries hold.
//!   A corrected word weighs [`TYPO_WEIGHT`] of an exact one, so a typo never outweighs the
//!   word written correctly.

use std::collections::HashMap;

#[cfg(test)]
use tantivy::query::FuzzyTermQuery;
#[cfg(test)]
use tantivy::Term;

use super::TextIndex;
use crate::matcher::is_variable_token;

/// The engine-wide shorthand table: `short = long` per line, `#` comments.
pub const SHORTHAND: &str = include_str!("../../data/shorthand.txt");

/// Weight of a term reached through a typo correction, relative to an exact hit.
pub const TYPO_WEIGHT: f32 = 0.8;
/// Weight of a term reached through shorthand or a synonym.
pub const SYNONYM_WEIGHT: f32 = 0.9;
/// Weight of a snake_case identifier kept whole (its parts are counted on their own).
pub const WHOLE_IDENTIFIER_WEIGHT: f32 = 0.25;
/// Shortest word (in letters) looked up for typos.
pub const TYPO_MIN_LETTERS: usize = 5;
/// Shortest word (in letters) allowed two edits.
pub const TYPO_LONG_LETTERS: usize = 9;

/// A word with its letters counted once, for the typo passes (signature words and index
/// terms): the bag distance of two words (see [`Letters::bag_distance_exceeds`]) is a cheap
/// lower bound of their edit distance, so most words are ruled out without computing that.
#[derive(Debug)]
pub(crate) struct TypoWord {
    /// The word (lower-cased).
    pub(crate) word: String,
    /// Its letters.
    pub(crate) letters: Letters,
}

impl TypoWord {
    /// `word` with its letters counted.
    pub(crate) fn new(word: String) -> TypoWord {
        TypoWord {
            letters: Letters::of(&word),
            word,
        }
    }
}

/// How many times each letter `a`–`z` occurs in a word (every other character counted in one
/// bucket), and a bit per letter present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Letters {
    counts: [u8; 27],
    present: u32,
}

impl Letters {
    /// The letters of `word`.
    pub(crate) fn of(word: &str) -> Letters {
        let mut counts = [0u8; 27];
        for b in word.bytes() {
            let i = if b.is_ascii_lowercase() {
                usize::from(b - b'a')
            } else if b.is_ascii_uppercase() {
                usize::from(b - b'A')
            } else {
                26
            };
            counts[i] = counts[i].saturating_add(1);
        }
        let present = counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .fold(0u32, |m, (i, _)| m | (1 << i));
        Letters { counts, present }
    }

    /// The bag distance of two words: the larger of the letters only one of them holds,
    /// counted with repeats. An insertion, deletion or substitution changes it by at most
    /// one and a transposition not at all, so it is never above the edit distance (counting
    /// every non-letter in one bucket only lowers it). The letters present in one word and
    /// absent from the other are counted first, with two bit operations: often enough to
    /// exceed `max`.
    pub(crate) fn bag_distance_exceeds(&self, other: &Letters, max: usize) -> bool {
        let distinct = (self.present & !other.present)
            .count_ones()
            .max((other.present & !self.present).count_ones());
        if distinct as usize > max {
            return true;
        }
        self.bag_distance(other) > max
    }

    /// The bag distance (see [`Letters::bag_distance_exceeds`]).
    pub(crate) fn bag_distance(&self, other: &Letters) -> usize {
        let (mut only_mine, mut only_theirs) = (0usize, 0usize);
        for (a, b) in self.counts.iter().zip(&other.counts) {
            only_mine += usize::from(a.saturating_sub(*b));
            only_theirs += usize::from(b.saturating_sub(*a));
        }
        only_mine.max(only_theirs)
    }
}

/// Index terms by first character and length in characters (see [`TextIndex::correct`]).
pub(crate) type TypoTerms = HashMap<(char, usize), Vec<TypoWord>>;

/// Where a short form comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynonymSource {
    /// The engine-wide table.
    Engine,
    /// A pack's `synonyms` (its id).
    Pack(String),
}

/// One short form and what it stands for.
#[derive(Debug, Clone)]
pub struct Synonym {
    /// The long form as written in the table.
    pub long: String,
    /// The analysed terms of the long form.
    terms: Vec<String>,
    /// Where it is declared.
    pub source: SynonymSource,
}

/// Short forms by their analysed term.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    by_term: HashMap<String, Synonym>,
    /// Lower-cased short form as written → long form.
    by_word: HashMap<String, String>,
}

impl Synonyms {
    /// The long form of a short form as written (lower-cased), if it is in the table.
    pub fn long_form(&self, word: &str) -> Option<&str> {
        self.by_word.get(word).map(String::as_str)
    }
}

/// Parses `short = long` lines (`#` starts a comment). Malformed lines are skipped: the
/// engine's table is tested, and packs declare theirs in TOML.
pub fn parse_table(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .filter_map(|l| l.split_once('='))
        .map(|(s, l)| (s.trim().to_owned(), l.trim().to_owned()))
        .filter(|(s, l)| !s.is_empty() && !l.is_empty())
        .collect()
}

/// How a query word was read.
#[derive(Debug, Clone, PartialEq)]
pub enum RewriteKind {
    /// Shorthand or a synonym.
    Synonym(SynonymSource),
    /// A typo, corrected at this edit distance.
    Typo(u8),
}

/// One query word read as another.
#[derive(Debug, Clone, PartialEq)]
pub struct Rewrite {
    /// The query word as written.
    pub from: String,
    /// What it was read as (the long form, or the index term).
    pub to: String,
    /// Why.
    pub kind: RewriteKind,
}

impl std::fmt::Display for Rewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            RewriteKind::Synonym(SynonymSource::Engine) => {
                write!(f, "{} → {} (shorthand)", self.from, self.to)
            }
            RewriteKind::Synonym(SynonymSource::Pack(p)) => {
                write!(f, "{} → {} (synonym of pack {p})", self.from, self.to)
            }
            RewriteKind::Typo(d) => write!(
                f,
                "{} → {} (typo, edit distance {d}, weight {TYPO_WEIGHT})",
                self.from, self.to
            ),
        }
    }
}

/// A query's terms after rewriting.
#[derive(Debug, Clone, Default)]
pub struct Rewritten {
    /// The terms in order, repeats kept (for phrases).
    pub sequence: Vec<String>,
    /// Terms weighing less than an exact hit, with their weight.
    pub weights: HashMap<String, f32>,
    /// What was rewritten, in query order.
    pub rewrites: Vec<Rewrite>,
}

impl Rewritten {
    /// The weight of a term: 1 for a word written as the index holds it.
    pub fn weight(&self, term: &str) -> f32 {
        self.weights.get(term).copied().unwrap_or(1.0)
    }
}

impl TextIndex {
    /// Analyses `pairs` (short form, long form) into a synonym table. The first declaration
    /// of a short form wins; a short form that analyses to nothing (a stop word) or to more
    /// than one term is left out.
    pub fn synonyms(&self, pairs: &[(String, String, SynonymSource)]) -> Synonyms {
        let mut by_term = HashMap::new();
        let mut by_word = HashMap::new();
        for (short, long, source) in pairs {
            by_word
                .entry(short.to_lowercase())
                .or_insert_with(|| long.clone());
            let s = self.sequence(short);
            let terms = self.sequence(long);
            if s.len() != 1 || terms.is_empty() || terms == s {
                continue;
            }
            by_term.entry(s[0].clone()).or_insert_with(|| Synonym {
                long: long.clone(),
                terms,
                source: source.clone(),
            });
        }
        Synonyms { by_term, by_word }
    }

    /// Whether a word (any case) is used by an entry or by everyday text.
    pub fn is_known_word(&self, word: &str) -> bool {
        let terms = self.sequence(word);
        !terms.is_empty() && terms.iter().all(|t| self.knows(t) || self.in_background(t))
    }

    /// The analysed terms of `text` with the word each came from, ids removed.
    fn sequence_with_words(&self, text: &str) -> Vec<(String, String)> {
        let expanded = super::expand_compounds(text);
        let mut an = self.analyzer.clone();
        let mut stream = an.token_stream(&expanded);
        let mut out = Vec::new();
        while stream.advance() {
            let tok = stream.token();
            if is_variable_token(&tok.text) {
                continue;
            }
            let word = expanded
                .get(tok.offset_from..tok.offset_to)
                .unwrap_or(&tok.text)
                .to_owned();
            out.push((tok.text.clone(), word));
        }
        out
    }

    /// The closest index term to `term` within the typo distance of `word`, if any: the
    /// fewest edits (a transposition is one), then the term more entries hold, then the first
    /// in alphabetical order. Only terms of the same first letter and at least
    /// `TYPO_MIN_LETTERS - 1` letters are read: a typo keeps the first letter, and a short
    /// stem is not a long word.
    pub fn correct(&self, term: &str, word: &str) -> Option<(String, u8)> {
        let max = usize::from(self.typo_allowance(term, word)?);
        let first = term.chars().next()?;
        let len = term.chars().count();
        let bag = Letters::of(term);
        let terms = self.typo_terms.get_or_init(|| self.typo_terms_by_head());
        (len.saturating_sub(max)..=len + max)
            .filter_map(|l| terms.get(&(first, l)))
            .flatten()
            .filter(|t| !bag.bag_distance_exceeds(&t.letters, max))
            .filter_map(|t| {
                let d = strsim::osa_distance(term, &t.word);
                (d <= max).then(|| (d, std::cmp::Reverse(self.doc_freq(&t.word)), &t.word))
            })
            .min()
            .map(|(d, _, t)| (t.clone(), d as u8))
    }

    /// The edits a typo of `word` (analysed as `term`) may make: `None` when it is not looked
    /// up (too short, not only letters, or a word the index or the background corpus knows).
    fn typo_allowance(&self, term: &str, word: &str) -> Option<u8> {
        let letters = word.chars().count();
        if letters < TYPO_MIN_LETTERS
            || !word.chars().all(|c| c.is_alphabetic())
            || self.knows(term)
            || self.in_background(term)
        {
            return None;
        }
        Some(if letters >= TYPO_LONG_LETTERS { 2 } else { 1 })
    }

    /// Every index term of `TYPO_MIN_LETTERS - 1` letters or more, grouped for
    /// [`TextIndex::correct`].
    fn typo_terms_by_head(&self) -> TypoTerms {
        let mut by_head: TypoTerms = HashMap::new();
        for term in self.ids.keys().filter(|t| self.knows(t)) {
            let len = term.chars().count();
            let Some(first) = term.chars().next() else {
                continue;
            };
            if len + 1 >= TYPO_MIN_LETTERS {
                by_head
                    .entry((first, len))
                    .or_default()
                    .push(TypoWord::new(term.clone()));
            }
        }
        by_head
    }

    /// [`TextIndex::correct`] as it was first written: a Levenshtein automaton (tantivy's
    /// [`FuzzyTermQuery`]) walked over the term dictionary of every field. Kept to check that
    /// the grouped terms find the same word.
    #[cfg(test)]
    pub(crate) fn correct_by_automaton(&self, term: &str, word: &str) -> Option<(String, u8)> {
        let max = self.typo_allowance(term, word)?;
        let tantivy = self.tantivy();
        let automaton =
            FuzzyTermQuery::new(Term::from_field_text(tantivy.fields[0].0, term), max, true)
                .automaton()
                .ok()?;
        let searcher = tantivy.reader.searcher();
        let mut best: Option<(usize, std::cmp::Reverse<u32>, String)> = None;
        for seg in searcher.segment_readers() {
            for (field, _) in &tantivy.fields {
                let Ok(inverted) = seg.inverted_index(*field) else {
                    continue;
                };
                let Ok(mut stream) = inverted.terms().search(&automaton).into_stream() else {
                    continue;
                };
                while stream.advance() {
                    let Ok(found) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if found.chars().next() != term.chars().next()
                        || found.chars().count() < TYPO_MIN_LETTERS - 1
                    {
                        continue;
                    }
                    let d = strsim::osa_distance(term, found);
                    let key = (d, std::cmp::Reverse(self.doc_freq(found)), found.to_owned());
                    if best.as_ref().is_none_or(|b| key < *b) {
                        best = Some(key);
                    }
                }
            }
        }
        best.map(|(d, _, t)| (t, d as u8))
    }

    /// The terms of `text` (as [`TextIndex::sequence`]) with unknown words read as shorthand,
    /// synonyms or typos of index terms.
    pub fn rewrite(&self, text: &str, synonyms: &Synonyms) -> Rewritten {
        let mut out = Rewritten::default();
        // a word is looked up once per query
        let mut seen: HashMap<String, Option<(Vec<String>, f32)>> = HashMap::new();
        let words = self.sequence_with_words(text);
        for (term, word) in &words {
            let (term, word) = (term.clone(), word);
            if self.knows(&term) {
                out.sequence.push(term);
                continue;
            }
            let read = seen.entry(term.clone()).or_insert_with(|| {
                if let Some(s) = synonyms.by_term.get(&term) {
                    out.rewrites.push(Rewrite {
                        from: word.clone(),
                        to: s.long.clone(),
                        kind: RewriteKind::Synonym(s.source.clone()),
                    });
                    return Some((s.terms.clone(), SYNONYM_WEIGHT));
                }
                let (to, d) = self.correct(&term, word)?;
                out.rewrites.push(Rewrite {
                    from: word.clone(),
                    to: to.clone(),
                    kind: RewriteKind::Typo(d),
                });
                Some((vec![to], TYPO_WEIGHT))
            });
            match read {
                Some((terms, weight)) => {
                    for t in terms.iter() {
                        // a term also written exactly elsewhere in the query counts in full
                        let w = out.weights.entry(t.clone()).or_insert(*weight);
                        *w = w.max(*weight);
                        out.sequence.push(t.clone());
                    }
                }
                None => out.sequence.push(term),
            }
        }
        // a term the query also holds as written weighs in full
        let exact: std::collections::HashSet<&String> = words
            .iter()
            .map(|(t, _)| t)
            .filter(|t| self.knows(t))
            .collect();
        out.weights.retain(|t, _| !exact.contains(t));
        // a snake_case identifier kept whole adds precision, not weight: its parts count
        for w in super::snake_wholes(text) {
            for t in self.sequence(&w) {
                out.weights.insert(t, WHOLE_IDENTIFIER_WEIGHT);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{IndexDoc, TextIndex};
    use super::*;

    #[test]
    fn the_grouped_terms_find_the_word_the_automaton_finds() {
        let set = crate::set::PackSet::embedded_for_tests();
        let idx = &set.index;
        let mut terms: Vec<&String> = idx.ids.keys().filter(|t| idx.knows(t)).collect();
        terms.sort();
        let (mut tried, mut corrected) = (0, 0);
        for t in terms.iter().filter(|t| t.len() >= 5).step_by(3) {
            let b = t.as_bytes();
            let mut variants = Vec::new();
            for i in [1, b.len() / 2, b.len() - 1] {
                let mut del = b.to_vec();
                del.remove(i);
                let mut sub = b.to_vec();
                sub[i] = if sub[i] == b'x' { b'q' } else { b'x' };
                let mut ins = b.to_vec();
                ins.insert(i, b'e');
                let mut swap = b.to_vec();
                swap.swap(i - 1, i);
                variants.extend([del, sub, ins, swap]);
            }
            // two edits, for long words
            let mut two = b.to_vec();
            two.remove(1);
            two.insert(b.len() / 2, b'z');
            variants.push(two);
            for v in variants {
                let Ok(v) = String::from_utf8(v) else {
                    continue;
                };
                let want = idx.correct_by_automaton(&v, &v);
                assert_eq!(idx.correct(&v, &v), want, "{v} (from {t})");
                tried += 1;
                corrected += usize::from(want.is_some());
            }
        }
        assert!(
            tried > 1000 && corrected > tried / 4,
            "{corrected} of {tried}"
        );
    }

    fn index() -> TextIndex {
        let mut a = IndexDoc {
            entry: 0,
            ..IndexDoc::default()
        };
        a.fields[0] = "Directory users cannot reset their password".into();
        a.fields[2] = "invalid credentials\npermission set".into();
        let mut b = IndexDoc {
            entry: 1,
            ..IndexDoc::default()
        };
        b.fields[0] = "Session token not found or invalid".into();
        b.fields[7] = "ExternalIdPDirectoryLogin".into();
        TextIndex::build(
            &[a, b],
            "my printer is out of paper\nthe meeting starts soon",
        )
        .unwrap()
    }

    fn table(idx: &TextIndex) -> Synonyms {
        let pairs: Vec<(String, String, SynonymSource)> = parse_table(SHORTHAND)
            .into_iter()
            .map(|(s, l)| (s, l, SynonymSource::Engine))
            .collect();
        idx.synonyms(&pairs)
    }

    #[test]
    fn typos_land_on_index_words_only() {
        let idx = index();
        let syn = table(&idx);
        let r = idx.rewrite("cannot reset pasword", &syn);
        assert_eq!(r.rewrites.len(), 1, "{r:?}");
        assert_eq!(r.rewrites[0].from, "pasword");
        assert_eq!(r.rewrites[0].kind, RewriteKind::Typo(1));
        assert!(r.sequence.contains(&"password".to_owned()));
        assert!((r.weight("password") - TYPO_WEIGHT).abs() < 1e-6);
        // transposition costs one
        let r = idx.rewrite("sessoin token", &syn);
        assert_eq!(r.rewrites[0].to, "session");
        // short words, known words and words too far away are left alone
        for q in ["passw", "meeting", "printer", "zzzzzzz", "sesion token"] {
            let r = idx.rewrite(q, &syn);
            if q == "sesion token" {
                assert_eq!(r.rewrites.len(), 1, "{q}");
            } else {
                assert!(r.rewrites.is_empty(), "{q}: {r:?}");
            }
        }
        // two edits only for long words
        let r = idx.rewrite("credentails", &syn);
        assert_eq!(r.rewrites[0].kind, RewriteKind::Typo(2), "{r:?}");
        assert!(idx.rewrite("pasrwd", &syn).rewrites.is_empty());
    }

    #[test]
    fn shorthand_reads_as_its_long_form_and_says_so() {
        let idx = index();
        let syn = table(&idx);
        let r = idx.rewrite("invalid creds, no perms", &syn);
        let shown: Vec<String> = r.rewrites.iter().map(ToString::to_string).collect();
        assert!(
            shown.iter().any(|s| s.starts_with("creds → credentials")),
            "{shown:?}"
        );
        assert!(r.sequence.contains(&"permiss".to_owned()), "{r:?}");
        // a short form the index holds as written is not rewritten
        let pairs = vec![(
            "token".to_owned(),
            "access token".to_owned(),
            SynonymSource::Pack("p".into()),
        )];
        let r = idx.rewrite("token", &idx.synonyms(&pairs));
        assert!(r.rewrites.is_empty());
    }

    #[test]
    fn identifiers_are_split_and_whole() {
        let idx = index();
        let terms = idx.terms("external idp directory login");
        let hits = idx.search(&terms, 2);
        assert_eq!(hits[0].entry, 1, "{terms:?}");
        let hits = idx.search(&idx.terms("ExternalIdPDirectoryLogin"), 2);
        assert_eq!(hits[0].entry, 1);
    }
}
