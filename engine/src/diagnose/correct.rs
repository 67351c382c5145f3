//! Step 2b: signatures over the text as the user meant it.
//!
//! A typo or a short form inside an error message ("Host key verifieation failed", "conn
//! refused") keeps its signature from matching. Once the signatures have run on the text as
//! written, words that no signature uses are read the way [`crate::index::rewrite`] reads
//! them for word search, but against the signatures' own words: a short form becomes its
//! long form (when a signature uses that), a word of five letters or more at edit distance 1
//! (2 from nine letters) of a signature word becomes that word. When that changes the text,
//! the signatures run again on the corrected text; a signature found only there counts like
//! any other hit, its span mapped back onto the text as written, and the trace lists the
//! correction.

use crate::index::rewrite::{Letters, TYPO_LONG_LETTERS, TYPO_MIN_LETTERS};
use crate::matcher::SignatureHit;
use crate::set::PackSet;

/// The corrected text and, for each of its pieces, where it came from.
pub(super) struct Corrected {
    /// The text with corrections.
    pub text: String,
    /// (start, end) in the corrected text and (start, end) in the original, in order.
    pieces: Vec<(usize, usize, usize, usize)>,
    /// The corrections, as the trace shows them.
    pub notes: Vec<String>,
    /// The words put in by typo corrections (they weigh as typos in word search).
    pub typo_words: Vec<String>,
}

impl Corrected {
    /// The original byte range of a range of the corrected text (a position inside a
    /// corrected word maps to that word's start or end).
    fn map(&self, start: usize, end: usize) -> (usize, usize) {
        let at = |pos: usize, is_end: bool| -> usize {
            // original minus corrected offset, before the current piece
            let mut shift: isize = 0;
            for &(cs, ce, os, oe) in &self.pieces {
                if pos < cs || (is_end && pos == cs) {
                    break;
                }
                if pos < ce || (is_end && pos == ce) {
                    return if is_end { oe } else { os };
                }
                shift = oe as isize - ce as isize;
            }
            (pos as isize + shift).max(0) as usize
        };
        (at(start, false), at(end, true).max(at(start, false)))
    }
}

/// The typo lookups of one query: a query corrects its text and its search text, which
/// share most words, so each unknown word is looked up once.
#[derive(Default)]
pub(super) struct Lookups(std::collections::HashMap<String, Option<String>>);

impl Lookups {
    /// The signature word `word` (lower-cased) is a typo of, looked up once per query.
    fn closest(&mut self, set: &PackSet, word: String) -> Option<String> {
        if !may_be_typo(&word) {
            return None;
        }
        self.0
            .entry(word)
            .or_insert_with_key(|w| closest_literal(set, w))
            .clone()
    }
}

/// Whether `word` is long enough and plain enough to be read as a typo.
fn may_be_typo(word: &str) -> bool {
    word.len() >= TYPO_MIN_LETTERS && word.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `text` with words read as the signatures write them; `None` when nothing changes.
pub(super) fn correct(set: &PackSet, text: &str, lookups: &mut Lookups) -> Option<Corrected> {
    let mut out = Corrected {
        text: String::with_capacity(text.len()),
        pieces: Vec::new(),
        notes: Vec::new(),
        typo_words: Vec::new(),
    };
    let mut last = 0;
    let mut changed = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric()) {
            i += 1;
        }
        // a word glued to identifier characters (`a_b`, `x.y`, `-n`) is not corrected
        let glued = |b: Option<&u8>| b.is_some_and(|&b| matches!(b, b'_' | b'.' | b'/' | b'@'));
        if glued(bytes.get(i)) || (start > 0 && glued(bytes.get(start - 1))) {
            continue;
        }
        let word = &text[start..i];
        let lower = word.to_ascii_lowercase();
        if set.literal_words.contains(&lower) {
            continue;
        }
        let long = set
            .synonyms
            .long_form(&lower)
            .filter(|long| {
                long.split_whitespace()
                    .all(|w| set.literal_words.contains(&w.to_ascii_lowercase()))
            })
            .map(str::to_owned);
        let (rep, why) = match long {
            Some(l) => (l, "shorthand"),
            None => match lookups.closest(set, lower) {
                Some(t) => {
                    out.typo_words.push(t.clone());
                    (t, "typo")
                }
                None => continue,
            },
        };
        out.text.push_str(&text[last..start]);
        let cs = out.text.len();
        out.text.push_str(&rep);
        out.pieces.push((cs, out.text.len(), start, i));
        out.notes
            .push(format!("{word} → {rep} ({why}, in error messages)"));
        last = i;
        changed = true;
    }
    if !changed {
        return None;
    }
    out.text.push_str(&text[last..]);
    Some(out)
}

/// The closest signature word to `word` (lower-cased ASCII letters, see [`may_be_typo`])
/// within the edits its length allows.
fn closest_literal(set: &PackSet, word: &str) -> Option<String> {
    let max = if word.len() >= TYPO_LONG_LETTERS {
        2
    } else {
        1
    };
    // `word` is ASCII: its first byte is its first character
    let first = *word.as_bytes().first()?;
    let letters = Letters::of(word);
    // the words of the same first letter and a length within `max` of the word's
    (word.len().saturating_sub(max)..=word.len() + max)
        .filter_map(|len| set.literal_words_by_head.get(&(first, len)))
        .flatten()
        .filter(|w| !letters.bag_distance_exceeds(&w.letters, max))
        .map(|w| (strsim::osa_distance(word, &w.word), &w.word))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, w)| w.clone())
}

/// The signature hits found only in the corrected text, spans mapped onto `text`.
pub(super) fn extra_hits(
    set: &PackSet,
    c: &Corrected,
    original: &str,
    already: &[SignatureHit],
) -> Vec<SignatureHit> {
    set.signatures
        .hits(&c.text)
        .into_iter()
        .filter(|h| !already.iter().any(|a| a.signature == h.signature))
        .map(|mut h| {
            let (s, e) = c.map(h.start, h.end);
            let (mut s, mut e) = (s.min(original.len()), e.min(original.len()));
            while !original.is_char_boundary(s) {
                s -= 1;
            }
            while !original.is_char_boundary(e) {
                e += 1;
            }
            h.start = s;
            h.end = e.max(s);
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::index::rewrite::Letters;

    fn bag(a: &str, b: &str) -> usize {
        Letters::of(a).bag_distance(&Letters::of(b))
    }

    #[test]
    fn the_bag_distance_is_never_above_the_edit_distance() {
        let words = [
            "password",
            "pasword",
            "passwrod",
            "session",
            "sessoin",
            "sesion",
            "token",
            "tokne",
            "verification",
            "verifieation",
            "aaaa",
            "bbbb",
            "abcd",
            "dcba",
            "x509",
            "x590",
            "oauth2",
            "oauth",
            "",
        ];
        for a in words {
            for b in words {
                let d = strsim::osa_distance(a, b);
                assert!(bag(a, b) <= d, "{a} / {b}: {}", bag(a, b));
                // the quick test never rules out a word within the allowance
                for max in 0..=3 {
                    if d <= max {
                        assert!(!Letters::of(a).bag_distance_exceeds(&Letters::of(b), max));
                    }
                }
            }
        }
        // a transposition costs nothing, a substitution one
        assert_eq!(bag("sessoin", "session"), 0);
        assert_eq!(bag("verifieation", "verification"), 1);
        assert!(Letters::of("token").bag_distance_exceeds(&Letters::of("xyzzy"), 2));
    }
}
