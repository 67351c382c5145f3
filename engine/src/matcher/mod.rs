//! Signatures and text: normalisation, variable parts, and literal-first matching.
//!
//! A pack set may hold tens of thousands of signatures. Each one's *required literal* (text
//! every match contains, see [`Pattern`]) goes into one table ([`Literals`]), so the input
//! is read once however many packs are loaded; only signatures whose literal occurs are
//! compiled (on first use) and run, and only on the lines where their literal occurs. The few
//! signatures without a usable literal share one lazily built [`regex::RegexSet`]. This
//! module is the only one that compiles user regexes.

mod literals;
pub mod normalize;
pub mod pattern;
pub mod variables;

use std::sync::{Arc, OnceLock};

use aho_corasick::AhoCorasick;
use regex::{RegexSet, RegexSetBuilder};
use regex_syntax::ast::{self, Ast};

pub use literals::Literals;
pub use normalize::{decode_lossy, normalize, normalize_lines, Normalized};
pub use pattern::{
    fold_outliers, has_case_folding_outliers, Pattern, PatternError, PatternMatch, EAGER_WEIGHT,
    PATTERN_SIZE_LIMIT,
};
pub use variables::{
    expand_placeholders, find_variables, is_variable_token, text_for_search, ExpandedPattern,
    Variable, VariableKind,
};

/// Checks a pattern as signatures and extractors use it (see [`Pattern::new`]).
pub fn compile_pattern(pattern: &str) -> Result<Pattern, PatternError> {
    Pattern::new(pattern)
}

/// The literal words of a pattern, for full-text indexing: `cannot perform the operation on
/// the protected role '(?P<r>\w+)'` gives `cannot perform the operation on the protected role ' '`.
pub fn pattern_literals(pattern: &str) -> String {
    // placeholders are not words of the message
    let mut cleaned = String::with_capacity(pattern.len());
    let expanded = expand_placeholders(pattern);
    if expanded.source == pattern {
        cleaned.push_str(pattern);
    } else {
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            cleaned.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close)
                    if VariableKind::ALL
                        .iter()
                        .any(|k| k.name() == &after[..close])
                        && !rest[..open].ends_with('\\') =>
                {
                    cleaned.push(' ');
                    rest = &after[close + 1..];
                }
                _ => {
                    cleaned.push('{');
                    rest = after;
                }
            }
        }
        cleaned.push_str(rest);
    }
    let Ok(ast) = ast::parse::Parser::new().parse(&cleaned) else {
        return String::new();
    };
    let mut out = String::new();
    collect_literals(&ast, &mut out, 0);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn collect_literals(node: &Ast, out: &mut String, depth: usize) {
    if depth > 64 {
        return;
    }
    match node {
        Ast::Literal(lit) => out.push(lit.c),
        Ast::Concat(c) => c
            .asts
            .iter()
            .for_each(|a| collect_literals(a, out, depth + 1)),
        Ast::Alternation(a) => {
            for alt in &a.asts {
                out.push(' ');
                collect_literals(alt, out, depth + 1);
            }
            out.push(' ');
        }
        Ast::Group(g) => collect_literals(&g.ast, out, depth + 1),
        Ast::Repetition(r) => {
            out.push(' ');
            collect_literals(&r.ast, out, depth + 1);
            out.push(' ');
        }
        Ast::ClassPerl(c) if matches!(c.kind, ast::ClassPerlKind::Space) => out.push(' '),
        _ => out.push(' '),
    }
}

/// One signature hit: which signature, where, and its named captures.
#[derive(Debug, Clone)]
pub struct SignatureHit {
    /// Index of the signature in the set (the order it was added in).
    pub signature: usize,
    /// Byte range of the match in the normalised text.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
    /// Named captures: (group name, captured text).
    pub captures: Vec<(String, String)>,
}

/// All signatures of a pack set, matched literal-first in one pass.
#[derive(Debug)]
pub struct SignatureSet {
    patterns: Vec<Arc<Pattern>>,
    /// Every distinct required literal, indexed cheaply (queries search a few hundred
    /// bytes), and which signatures need each.
    literals: Literals,
    /// The automaton for scanning logs (a full DFA while the literals are small), built on
    /// the first scan: it costs milliseconds that a single query does not repay.
    scan_literals: OnceLock<Option<AhoCorasick>>,
    /// Those of the signatures without a required literal light enough to share one set, built on first use.
    residual_set: OnceLock<Option<RegexSet>>,
}

/// Literal bytes up to which the literal automaton is a full DFA.
const DFA_LITERAL_BYTES: usize = 64 << 10;

/// Size limit of the set shared by signatures without a literal.
const RESIDUAL_SET_LIMIT: usize = 64 << 20;

impl SignatureSet {
    /// Builds the set from checked signature patterns (see [`Pattern::new`]).
    pub fn new(patterns: Vec<Arc<Pattern>>) -> SignatureSet {
        SignatureSet {
            literals: Literals::new(patterns.iter().map(|p| &**p)),
            patterns,
            scan_literals: OnceLock::new(),
            residual_set: OnceLock::new(),
        }
    }

    /// The literal automaton for long texts (logs), built on the first scan: a full DFA is
    /// the fastest (one table lookup per byte) but takes about a kilobyte per literal byte,
    /// so past `DFA_LITERAL_BYTES` it is a contiguous NFA.
    fn scan_automaton(&self) -> Option<&AhoCorasick> {
        self.scan_literals
            .get_or_init(|| {
                let bytes = self.literals.bytes();
                if bytes.is_empty() {
                    return None;
                }
                let total: usize = bytes.iter().map(Vec::len).sum();
                let kind = match total > DFA_LITERAL_BYTES {
                    true => aho_corasick::AhoCorasickKind::ContiguousNFA,
                    false => aho_corasick::AhoCorasickKind::DFA,
                };
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .kind(Some(kind))
                    // its own byte-at-a-time scan beats the rare-byte prefilter, whose
                    // candidates (digits, punctuation) are everywhere in logs
                    .prefilter(kind != aho_corasick::AhoCorasickKind::DFA)
                    .build(bytes)
                    .ok()
            })
            .as_ref()
    }

    /// Number of signatures in the set.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when the set holds no signature.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Number of signatures without a required literal (matched by a shared regex set).
    pub fn residual_len(&self) -> usize {
        self.literals.residual().len()
    }

    fn residual_set(&self) -> Option<&RegexSet> {
        self.residual_set
            .get_or_init(|| {
                if self.literals.residual().is_empty() {
                    return None;
                }
                RegexSetBuilder::new(
                    self.literals
                        .residual()
                        .iter()
                        .map(|&i| self.patterns[i].as_str()),
                )
                .case_insensitive(true)
                .size_limit(RESIDUAL_SET_LIMIT)
                .dfa_size_limit(RESIDUAL_SET_LIMIT)
                .build()
                .ok()
            })
            .as_ref()
    }

    /// Residual signatures that match somewhere in `text`.
    fn residual_matching(&self, text: &str) -> Vec<usize> {
        if self.literals.residual().is_empty() {
            return Vec::new();
        }
        match self.residual_set() {
            Some(set) => set
                .matches(text)
                .into_iter()
                .map(|k| self.literals.residual()[k])
                .collect(),
            // too large to share one set: run them one by one
            None => self
                .literals
                .residual()
                .iter()
                .copied()
                .filter(|&i| self.patterns[i].is_match(text))
                .collect(),
        }
    }

    /// Indexes of the signatures that match `text`, ascending.
    pub fn matching(&self, text: &str) -> Vec<usize> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        let mut candidates = self.literals.candidates(text);
        // a plain-text signature matches where its literal was found (in the folded text,
        // which its regex would match too)
        candidates.retain(|&i| self.patterns[i].confirm(text));
        candidates.extend(self.residual_matching(text));
        candidates.sort_unstable();
        candidates
    }

    /// For text holding many lines (see [`normalize_lines`]): every (line index, signature)
    /// pair where the signature matches inside that line, sorted. One pass of the literal
    /// automaton finds the lines where each signature's literal occurs; only those lines are
    /// checked with the signature's regex.
    pub fn hit_lines(&self, text: &str) -> Vec<(usize, usize)> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        let line = |i: usize| -> &str {
            let start = line_starts[i];
            let end = line_starts.get(i + 1).map_or(text.len(), |&e| e - 1);
            &text[start..end]
        };
        let mut out: Vec<(usize, usize)> = Vec::new();
        if let Some(ac) = self.scan_automaton() {
            let folded;
            let (hay, hay_starts) = if has_case_folding_outliers(text) {
                folded = fold_outliers(text);
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(memchr::memchr_iter(b'\n', folded.as_bytes()).map(|i| i + 1))
                    .collect();
                (folded.as_str(), Some(starts))
            } else {
                (text, None)
            };
            let starts = hay_starts.as_deref().unwrap_or(&line_starts);
            // (line, literal) pairs. Most lines hold no literal: a plain search (which stops
            // at the first literal) skips to the next line that holds one, then only that
            // line is searched for all of its literals.
            let mut seen: Vec<(usize, u32)> = Vec::new();
            let mut pos = 0usize;
            while pos < hay.len() {
                let Some(m) = ac.find(aho_corasick::Input::new(hay).span(pos..hay.len())) else {
                    break;
                };
                let l = starts.partition_point(|&s| s <= m.start()) - 1;
                let (ls, le) = (starts[l], starts.get(l + 1).map_or(hay.len(), |&e| e - 1));
                seen.extend(
                    ac.find_overlapping_iter(&hay[ls..le])
                        .map(|m| (l, m.pattern().as_u32())),
                );
                pos = le + 1;
            }
            seen.sort_unstable();
            seen.dedup();
            let mut candidates: Vec<(usize, usize)> = seen
                .into_iter()
                .flat_map(|(l, id)| {
                    self.literals
                        .owners(id)
                        .iter()
                        .map(move |&s| (l, s as usize))
                })
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            for (l, sig) in candidates {
                if self.patterns[sig].confirm(line(l)) {
                    out.push((l, sig));
                }
            }
        }
        let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset) - 1;
        for sig in self.residual_matching(text) {
            let mut last_line = usize::MAX;
            for (start, end) in self.patterns[sig].find_all(text) {
                let l = line_of(start);
                // a match must not span lines
                if text[start..end].contains('\n') || l == last_line {
                    continue;
                }
                last_line = l;
                out.push((l, sig));
            }
        }
        out.sort_unstable();
        out
    }

    /// Matches `text` and extracts the first match and captures of each signature that hits.
    pub fn hits(&self, text: &str) -> Vec<SignatureHit> {
        self.matching(text)
            .into_iter()
            .filter_map(|i| {
                let m = self.patterns[i].captures(text)?;
                Some(SignatureHit {
                    signature: i,
                    start: m.start,
                    end: m.end,
                    captures: m
                        .groups
                        .into_iter()
                        .map(|(name, r)| (name, text[r].to_owned()))
                        .collect(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_lines_maps_matches_to_lines() {
        let set = SignatureSet::new(vec![
            Arc::new(compile_pattern("token not found").unwrap()),
            Arc::new(compile_pattern("disk full").unwrap()),
            Arc::new(compile_pattern(r"\d\d:\d\d").unwrap()),
        ]);
        let text = "ok\ntoken not found\nDISK FULL and token not found\nok 12:30\ntoken\nnot found";
        assert_eq!(
            set.hit_lines(text),
            vec![(1, 0), (2, 0), (2, 1), (3, 2)],
            "no match across lines"
        );
        assert_eq!(set.residual_len(), 1);
        assert_eq!(set.hit_lines("dis\u{212A} full"), vec![(0, 1)]);
        assert!(set.hit_lines("nothing\nhere").is_empty());
    }

    #[test]
    fn compile_is_case_insensitive_and_rejects_empty() {
        let re = compile_pattern("session token not found").unwrap();
        assert!(re.is_match("Session Token NOT found"));
        let err = compile_pattern("a*").unwrap_err();
        assert!(err.message.contains("empty string"));
        let err = compile_pattern("(?-i)ok").unwrap();
        assert!(!err.is_match("OK"));
    }

    #[test]
    fn bad_regex_reports_offset_in_authors_pattern() {
        let err = compile_pattern("{email} (unclosed").unwrap_err();
        assert_eq!(err.offset, Some(8));
        assert!(err.message.contains("invalid regex"));
    }

    #[test]
    fn regex_bomb_is_refused() {
        let err = compile_pattern("(a{1000}){1000}").unwrap_err();
        assert!(err.message.contains("too large"), "{}", err.message);
    }

    #[test]
    fn literals_skip_syntax_and_placeholders() {
        let lit = pattern_literals(
            r"(?i)cannot perform the operation on the protected role '(?P<r>AWSReservedSSO_\w+)'",
        );
        assert!(lit.starts_with("cannot perform the operation on the protected role"));
        assert!(lit.contains("AWSReservedSSO_"));
        assert_eq!(
            pattern_literals(r"user {email} (is|was)\s+locked"),
            "user is was locked"
        );
    }

    #[test]
    fn set_reports_only_hits_with_captures() {
        let set = SignatureSet::new(vec![
            Arc::new(compile_pattern(r"role '(?P<iam.role>[^']+)'").unwrap()),
            Arc::new(compile_pattern("nothing here").unwrap()),
        ]);
        let hits = set.hits("cannot edit role 'AWSReservedSSO_X_1'");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].signature, 0);
        assert_eq!(
            hits[0].captures,
            vec![("iam.role".to_owned(), "AWSReservedSSO_X_1".to_owned())]
        );
    }
}
