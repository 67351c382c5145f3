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

use crate::index::rewrite::{TYPO_LONG_LETTERS, TYPO_MIN_LETTERS};
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

/// `text` with words read as the signatures write them; `None` when nothing changes.
pub(super) fn correct(set: &PackSet, text: &str) -> Option<Corrected> {
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
            None => match closest_literal(set, &lower) {
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

fn closest_literal(set: &PackSet, word: &str) -> Option<String> {
    let letters = word.chars().count();
    if letters < TYPO_MIN_LETTERS || !word.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let max = if letters >= TYPO_LONG_LETTERS { 2 } else { 1 };
    // `word` is ASCII: its first byte is its first character
    let first = *word.as_bytes().first()?;
    let letters = letter_counts(word);
    // the words of the same first letter and a length within `max` of the word's
    (word.len().saturating_sub(max)..=word.len() + max)
        .filter_map(|len| set.literal_words_by_head.get(&(first, len)))
        .flatten()
        .filter(|w| !w.is_ascii() || bag_distance(&letters, w) <= max)
        .map(|w| (strsim::osa_distance(word, w), w))
        .filter(|(d, _)| *d <= max)
        .min()
        .map(|(_, w)| w.clone())
}

/// How many times each byte occurs in `word`.
fn letter_counts(word: &str) -> [u8; 128] {
    let mut counts = [0u8; 128];
    for b in word.bytes() {
        let c = &mut counts[usize::from(b & 0x7f)];
        *c = c.saturating_add(1);
    }
    counts
}

/// The bag distance of two ASCII words (`counts` those of the first, see [`letter_counts`]):
/// the larger of the letters only one of them holds, counted with repeats. An insertion,
/// deletion or substitution changes it by at most one and a transposition not at all, so it
/// is never above the edit distance: a word further than that is skipped without computing
/// the edit distance.
fn bag_distance(counts: &[u8; 128], other: &str) -> usize {
    let theirs = letter_counts(other);
    let (mut only_mine, mut only_theirs) = (0usize, 0usize);
    for (a, b) in counts.iter().zip(&theirs) {
        only_mine += usize::from(a.saturating_sub(*b));
        only_theirs += usize::from(b.saturating_sub(*a));
    }
    only_mine.max(only_theirs)
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
    use super::{bag_distance, letter_counts};

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
            "",
        ];
        for a in words {
            for b in words {
                let bag = bag_distance(&letter_counts(a), b);
                assert!(bag <= strsim::osa_distance(a, b), "{a} / {b}: {bag}");
            }
        }
        // a transposition costs nothing, a substitution one
        assert_eq!(bag_distance(&letter_counts("sessoin"), "session"), 0);
        assert_eq!(
            bag_distance(&letter_counts("verifieation"), "verification"),
            1
        );
    }
}
