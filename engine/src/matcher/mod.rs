//! Signatures and text: normalisation, variable parts, and one-pass regex matching.
//!
//! Every signature of every loaded pack goes into a single [`regex::RegexSet`], so the input
//! is scanned once however many packs are loaded; only the signatures that hit are run again
//! to extract their captures. This module is the only one that compiles user regexes.

pub mod normalize;
pub mod variables;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::ast::{self, Ast};

pub use normalize::{decode_lossy, normalize, normalize_lines, Normalized};
pub use variables::{
    expand_placeholders, find_variables, is_variable_token, text_for_search, ExpandedPattern,
    Variable, VariableKind,
};

/// Compile-size limit of one pattern (bytes of compiled program), against regex bombs.
pub const PATTERN_SIZE_LIMIT: usize = 2 << 20;

/// Why a pattern was refused, with the byte offset in the author's pattern when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the pattern as written (before placeholder expansion).
    pub offset: Option<usize>,
}

/// Compiles a pattern as signatures and extractors use it: placeholders expanded,
/// case-insensitive unless the pattern says otherwise, size-limited, never empty-matching.
pub fn compile_pattern(pattern: &str) -> Result<Regex, PatternError> {
    let expanded = expand_placeholders(pattern);
    if let Err(e) = ast::parse::Parser::new().parse(&expanded.source) {
        return Err(PatternError {
            message: format!("invalid regex: {}", e.kind()),
            offset: Some(expanded.raw_offset(e.span().start.offset)),
        });
    }
    let re = RegexBuilder::new(&expanded.source)
        .case_insensitive(true)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| PatternError {
            message: match e {
                regex::Error::CompiledTooBig(limit) => format!(
                    "pattern is too large once compiled (over {limit} bytes); simplify repetitions like {{1000}}"
                ),
                other => format!("invalid regex: {other}"),
            },
            offset: None,
        })?;
    if re.is_match("") {
        return Err(PatternError {
            message: "pattern matches the empty string, so it would match every input".into(),
            offset: None,
        });
    }
    Ok(re)
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

/// All signatures of a pack set, matched in one pass.
#[derive(Debug, Clone)]
pub struct SignatureSet {
    set: RegexSet,
    regexes: Vec<Regex>,
}

impl SignatureSet {
    /// Builds the set from compiled signature regexes (see [`compile_pattern`]).
    pub fn new(regexes: Vec<Regex>) -> Result<SignatureSet, String> {
        let set = RegexSetBuilder::new(regexes.iter().map(Regex::as_str))
            .case_insensitive(true)
            .size_limit(
                PATTERN_SIZE_LIMIT
                    .saturating_mul(regexes.len().max(1))
                    .min(1 << 30),
            )
            .dfa_size_limit(64 << 20)
            .build()
            .map_err(|e| format!("cannot build the signature set: {e}"))?;
        Ok(SignatureSet { set, regexes })
    }

    /// Number of signatures in the set.
    pub fn len(&self) -> usize {
        self.regexes.len()
    }

    /// True when the set holds no signature.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty()
    }

    /// Indexes of the signatures that match `text` (one pass over the text).
    pub fn matching(&self, text: &str) -> Vec<usize> {
        if self.regexes.is_empty() {
            return Vec::new();
        }
        self.set.matches(text).into_iter().collect()
    }

    /// For text holding many lines (see [`normalize_lines`]): every (line index, signature)
    /// pair where the signature matches inside that line, sorted by line. One pass of the set
    /// over the whole text finds which signatures occur at all; only those are run again to
    /// find their lines.
    pub fn hit_lines(&self, text: &str) -> Vec<(usize, usize)> {
        let present = self.matching(text);
        if present.is_empty() {
            return Vec::new();
        }
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(memchr_newlines(text).map(|i| i + 1))
            .collect();
        let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset) - 1;
        let mut out = Vec::new();
        for sig in present {
            let mut last_line = usize::MAX;
            for m in self.regexes[sig].find_iter(text) {
                let line = line_of(m.start());
                // a match must not span lines
                if text[m.start()..m.end()].contains('\n') || line == last_line {
                    continue;
                }
                last_line = line;
                out.push((line, sig));
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
                let re = &self.regexes[i];
                let caps = re.captures(text)?;
                let whole = caps.get(0)?;
                let captures = re
                    .capture_names()
                    .flatten()
                    .filter_map(|name| {
                        caps.name(name)
                            .map(|m| (name.to_owned(), m.as_str().to_owned()))
                    })
                    .collect();
                Some(SignatureHit {
                    signature: i,
                    start: whole.start(),
                    end: whole.end(),
                    captures,
                })
            })
            .collect()
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_lines_maps_matches_to_lines() {
        let set = SignatureSet::new(vec![
            compile_pattern("token not found").unwrap(),
            compile_pattern("disk full").unwrap(),
        ])
        .unwrap();
        let text = "ok\ntoken not found\nDISK FULL and token not found\nok";
        assert_eq!(set.hit_lines(text), vec![(1, 0), (2, 0), (2, 1)]);
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
            compile_pattern(r"role '(?P<iam.role>[^']+)'").unwrap(),
            compile_pattern("nothing here").unwrap(),
        ])
        .unwrap();
        let hits = set.hits("cannot edit role 'AWSReservedSSO_X_1'");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].signature, 0);
        assert_eq!(
            hits[0].captures,
            vec![("iam.role".to_owned(), "AWSReservedSSO_X_1".to_owned())]
        );
    }
}
