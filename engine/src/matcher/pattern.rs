//! One signature or extractor pattern: checked when the pack loads, compiled when first used.
//!
//! Compiling a case-insensitive Unicode regex costs about half a millisecond, and most of a
//! large pack's signatures never match anything a given user sends. So loading only parses
//! the pattern, checks it (syntax, empty matches, size), and extracts a *required literal*:
//! text that every match must contain, such as `session token not found` in
//! `session token not found for {email}`. Matching first looks for those literals (see
//! [`super::SignatureSet`]) and compiles and runs a regex only when its literal is present.
//!
//! A compiled pattern runs only on short texts (a query, one log line), so it is built lean:
//! an NFA with the bounded backtracker and PikeVM, without the lazy DFA whose cache would
//! double the memory of each of tens of thousands of signatures.
//!
//! The size check is an estimate of the compiled program from the parsed pattern; patterns
//! whose estimate is high are compiled at once against the real limit, so a regex bomb is still
//! refused at load time with its location.

use std::fmt;
use std::sync::OnceLock;

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_syntax::ast;
use regex_syntax::hir::{Class, Hir, HirKind};

use super::variables::expand_placeholders;

/// Compile-size limit of one pattern (bytes of compiled program), against regex bombs.
pub const PATTERN_SIZE_LIMIT: usize = 2 << 20;

/// Patterns whose estimated weight (see [`Pattern::weight`]) is above this are compiled at
/// load time, to check them against [`PATTERN_SIZE_LIMIT`] exactly. Ordinary signatures weigh
/// a few hundred.
pub const EAGER_WEIGHT: u64 = 20_000;

/// Shortest required literal worth looking for; shorter ones occur almost everywhere.
pub const MIN_LITERAL_LEN: usize = 3;

/// At most this many alternative literals per pattern (from alternations) are looked for.
const MAX_LITERAL_ALTERNATIVES: usize = 16;

/// One match of a pattern: where it is, and the named groups that took part in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternMatch {
    /// Byte offset of the match in the text.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
    /// Named groups that matched: (name, byte range).
    pub groups: Vec<(String, std::ops::Range<usize>)>,
}

impl PatternMatch {
    /// The range of the group `name`, if it took part in the match.
    pub fn group(&self, name: &str) -> Option<std::ops::Range<usize>> {
        self.groups
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
    }
}

/// Why a pattern was refused, with the byte offset in the author's pattern when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the pattern as written (before placeholder expansion).
    pub offset: Option<usize>,
}

/// A checked pattern, compiled on first use.
///
/// Cloning shares nothing: a clone compiles again when used. Share with `Arc` instead.
#[derive(Clone)]
pub struct Pattern {
    /// The regex source, placeholders expanded.
    source: String,
    /// Alternatives of which every match contains one (lowercase ASCII, other bytes as is);
    /// empty when the pattern has no literal. Shorter ones than [`MIN_LITERAL_LEN`] (the `@`
    /// of an address) still spare a pattern's own search; sets of patterns do not use them.
    required: Vec<Vec<u8>>,
    /// Names of the capture groups, in order.
    capture_names: Vec<String>,
    /// Estimated size of the compiled program.
    weight: u64,
    /// The pattern is exactly its one required literal (no classes, groups or flags): finding
    /// the literal is matching it, and no regex is ever compiled.
    exact: bool,
    /// Lean build, for short texts.
    regex: OnceLock<Option<Regex>>,
    /// Full build with the lazy DFA, for texts over [`LEAN_TEXT_LEN`] bytes.
    regex_long: OnceLock<Option<Regex>>,
    /// Searcher for the required literals, built on first use.
    finder: OnceLock<Option<aho_corasick::AhoCorasick>>,
}

/// Texts up to this length are matched by the lean build (NFA engines only); longer ones by
/// a build with the lazy DFA, made on first need.
pub const LEAN_TEXT_LEN: usize = 64 << 10;

/// What a pattern's snapshot holds: its checked parts, without any compiled program.
#[derive(serde::Serialize, serde::Deserialize)]
struct PatternParts {
    source: String,
    required: Vec<Vec<u8>>,
    capture_names: Vec<String>,
    weight: u64,
    exact: bool,
}

impl serde::Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PatternParts {
            source: self.source.clone(),
            required: self.required.clone(),
            capture_names: self.capture_names.clone(),
            weight: self.weight,
            exact: self.exact,
        }
        .serialize(s)
    }
}

/// A pattern read back from a snapshot is not checked again (the snapshot holds only packs
/// that loaded); it compiles on first use like any other, and a program over the size limit
/// then matches nothing.
impl<'de> serde::Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = PatternParts::deserialize(d)?;
        Ok(Pattern {
            source: p.source,
            required: p.required,
            capture_names: p.capture_names,
            weight: p.weight,
            exact: p.exact,
            regex: OnceLock::new(),
            regex_long: OnceLock::new(),
            finder: OnceLock::new(),
        })
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pattern")
            .field("source", &self.source)
            .field("required", &self.required_literals().collect::<Vec<_>>())
            .field("weight", &self.weight)
            .finish_non_exhaustive()
    }
}

impl Pattern {
    /// Checks `pattern` as signatures and extractors use it: placeholders expanded,
    /// case-insensitive unless the pattern says otherwise, size-limited, never empty-matching.
    pub fn new(pattern: &str) -> Result<Pattern, PatternError> {
        let expanded = expand_placeholders(pattern);
        let ast = ast::parse::Parser::new()
            .parse(&expanded.source)
            .map_err(|e| PatternError {
                message: format!("invalid regex: {}", e.kind()),
                offset: Some(expanded.raw_offset(e.span().start.offset)),
            })?;
        // Translated case-sensitively: folding Unicode classes is most of the cost of
        // translation, and none of the checks below needs it (letters of literals are
        // lowercased by hand; classes are already case-closed or estimated alike).
        let hir = regex_syntax::hir::translate::TranslatorBuilder::new()
            .build()
            .translate(&expanded.source, &ast)
            .map_err(|e| PatternError {
                message: format!("invalid regex: {}", e.kind()),
                offset: Some(expanded.raw_offset(e.span().start.offset)),
            })?;
        if hir.properties().minimum_len() == Some(0) {
            return Err(PatternError {
                message: "pattern can match the empty string, so it would match every input".into(),
                offset: None,
            });
        }
        let mut capture_names = Vec::new();
        let weight = weigh(&hir, &mut capture_names, 0);
        let required = match need(&hir, 0) {
            Some(alts) if alts.iter().all(|a| !a.is_empty()) => alts,
            _ => Vec::new(),
        };
        let exact = required.len() == 1
            && required[0].len() >= MIN_LITERAL_LEN
            && !expanded.source.contains("(?")
            && as_literal_run(&hir).is_some_and(|run| run == required[0]);
        let p = Pattern {
            source: expanded.source,
            required,
            capture_names,
            weight,
            exact,
            regex: OnceLock::new(),
            regex_long: OnceLock::new(),
            finder: OnceLock::new(),
        };
        if weight > EAGER_WEIGHT {
            p.compile()?;
        }
        Ok(p)
    }

    /// The regex source, placeholders expanded.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Estimated size of the compiled program, in abstract units (see [`EAGER_WEIGHT`]).
    pub fn weight(&self) -> u64 {
        self.weight
    }

    /// Names of the named capture groups, in order.
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.capture_names.iter().map(String::as_str)
    }

    /// Literals of which every match contains one (lowercased ASCII); none when the pattern
    /// has no literal of [`MIN_LITERAL_LEN`] bytes or more.
    pub fn required_literals(&self) -> impl Iterator<Item = &[u8]> {
        let usable = self.required.iter().all(|l| l.len() >= MIN_LITERAL_LEN);
        self.required
            .iter()
            .filter(move |_| usable)
            .map(Vec::as_slice)
    }

    /// True when the pattern is one literal text (matched ASCII-case-insensitively), found
    /// without a regex.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Byte range of the first match in `text`.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        if self.exact && !has_case_folding_outliers(text) {
            return self.find_literal(text);
        }
        let re = self.for_text(text)?;
        re.find(text).map(|m| (m.start(), m.end()))
    }

    /// Byte ranges of every match in `text`, left to right, not overlapping.
    pub fn find_all(&self, text: &str) -> Vec<(usize, usize)> {
        match self.for_text(text) {
            Some(re) => re.find_iter(text).map(|m| (m.start(), m.end())).collect(),
            None => Vec::new(),
        }
    }

    /// The first match in `text` with its named groups.
    pub fn captures(&self, text: &str) -> Option<PatternMatch> {
        if self.exact && !has_case_folding_outliers(text) {
            return self.find(text).map(|(start, end)| PatternMatch {
                start,
                end,
                groups: Vec::new(),
            });
        }
        let re = self.for_text(text)?;
        let mut caps = re.create_captures();
        re.captures(text, &mut caps);
        self.to_match(&caps)
    }

    /// Every match in `text`, left to right, not overlapping, with named groups.
    pub fn captures_all(&self, text: &str) -> Vec<PatternMatch> {
        let Some(re) = self.for_text(text) else {
            return Vec::new();
        };
        re.captures_iter(text)
            .filter_map(|caps| self.to_match(&caps))
            .collect()
    }

    fn to_match(&self, caps: &regex_automata::util::captures::Captures) -> Option<PatternMatch> {
        let whole = caps.get_match()?;
        let groups = self
            .capture_names
            .iter()
            .filter_map(|name| {
                caps.get_group_by_name(name)
                    .map(|span| (name.clone(), span.start..span.end))
            })
            .collect();
        Some(PatternMatch {
            start: whole.start(),
            end: whole.end(),
            groups,
        })
    }

    /// Compiles the pattern now (once), reporting a program over the size limit.
    pub fn compile(&self) -> Result<(), PatternError> {
        if let Some(re) = self.regex.get() {
            return re.as_ref().map(|_| ()).ok_or_else(too_large);
        }
        let built = build(&self.source, false);
        let result = built.as_ref().map(|_| ()).map_err(Clone::clone);
        self.regex.get_or_init(|| built.ok());
        result
    }

    /// The compiled regex; `None` only when it exceeds the size limit, which [`Pattern::new`]
    /// has already reported for all but borderline estimates.
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| build(&self.source, false).ok())
            .as_ref()
    }

    /// The compiled regex suited to a text of `len` bytes.
    fn regex_for_len(&self, len: usize) -> Option<&Regex> {
        if len <= LEAN_TEXT_LEN {
            self.regex()
        } else {
            self.regex_long
                .get_or_init(|| build(&self.source, true).ok())
                .as_ref()
        }
    }

    /// Whether `text` can match: false when it lacks every required literal. Cheap; sets of
    /// patterns use one automaton for this instead (see [`super::SignatureSet`]).
    pub fn may_match(&self, text: &str) -> bool {
        if self.required.is_empty() || has_case_folding_outliers(text) {
            return true;
        }
        self.find_literal(text).is_some()
    }

    /// Where the first required literal occurs in `text` (ASCII case ignored).
    fn find_literal(&self, text: &str) -> Option<(usize, usize)> {
        if let [lit] = self.required.as_slice() {
            // one literal: a byte scan, with no automaton to build first
            return find_ascii_ci(text.as_bytes(), lit).map(|at| (at, at + lit.len()));
        }
        let finder = self.finder.get_or_init(|| {
            // an NFA: a few literals searched in short texts, where building a DFA (the
            // default for so few) would cost more than every search it speeds up
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(&self.required)
                .ok()
        });
        match finder {
            Some(f) => f.find(text).map(|m| (m.start(), m.end())),
            // cannot happen for a few short literals; fall back to a plain scan
            None => self
                .required
                .iter()
                .find_map(|lit| find_ascii_ci(text.as_bytes(), lit).map(|at| (at, at + lit.len()))),
        }
    }

    /// The compiled regex when `text` may match (see [`Pattern::may_match`]).
    fn for_text(&self, text: &str) -> Option<&Regex> {
        if self.may_match(text) {
            self.regex_for_len(text.len())
        } else {
            None
        }
    }

    /// Whether the pattern matches somewhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        if self.exact && !has_case_folding_outliers(text) {
            return self.may_match(text);
        }
        self.for_text(text).is_some_and(|re| re.is_match(text))
    }

    /// Whether the pattern matches somewhere in `text`, its literal being known to occur
    /// there (see [`super::SignatureSet`]).
    pub(super) fn confirm(&self, text: &str) -> bool {
        self.exact
            || self
                .regex_for_len(text.len())
                .is_some_and(|re| re.is_match(text))
    }
}

fn too_large() -> PatternError {
    PatternError {
        message: format!(
            "pattern is too large once compiled (over {PATTERN_SIZE_LIMIT} bytes); simplify repetitions like {{1000}}"
        ),
        offset: None,
    }
}

fn build(source: &str, long_texts: bool) -> Result<Regex, PatternError> {
    Regex::builder()
        .syntax(syntax::Config::new().case_insensitive(true))
        .configure(
            meta::Config::new()
                .nfa_size_limit(Some(PATTERN_SIZE_LIMIT))
                .onepass_size_limit(Some(PATTERN_SIZE_LIMIT))
                .hybrid_cache_capacity(PATTERN_SIZE_LIMIT)
                .hybrid(long_texts)
                .dfa(false),
        )
        .build(source)
        .map_err(|e| match e.size_limit() {
            Some(_) => too_large(),
            None => PatternError {
                message: format!("invalid regex: {e}"),
                offset: None,
            },
        })
}

/// True when `text` holds one of the two non-ASCII characters that case-fold to ASCII
/// letters (KELVIN SIGN → k, LONG S → s); literal prefilters, which fold ASCII only, must
/// then see a folded copy (see [`fold_outliers`]) or let everything through.
pub fn has_case_folding_outliers(text: &str) -> bool {
    // U+212A is E2 84 AA, U+017F is C5 BF
    memchr::memchr2(0xE2, 0xC5, text.as_bytes()).is_some()
        && (text.contains('\u{212A}') || text.contains('\u{17F}'))
}

/// `text` with KELVIN SIGN and LONG S replaced by `k` and `s`, for literal prefilters.
/// Keeps every newline, so line numbers stay the same.
pub fn fold_outliers(text: &str) -> String {
    text.replace('\u{212A}', "k").replace('\u{17F}', "s")
}

/// Where `needle` (lowercase) first occurs in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut at = 0;
    while let Some(i) = memchr::memchr2(lower, upper, &hay[at..]) {
        let start = at + i + 1;
        if hay.len() - start >= rest.len()
            && hay[start..start + rest.len()].eq_ignore_ascii_case(rest)
        {
            return Some(start - 1);
        }
        at = start;
    }
    None
}

/// Estimated compiled size; also collects capture names.
fn weigh(h: &Hir, names: &mut Vec<String>, depth: usize) -> u64 {
    if depth > 512 {
        return u64::MAX / 4;
    }
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        // letters become two-letter classes once case-insensitive
        HirKind::Literal(lit) => 2 * lit.0.len() as u64,
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .map(|r| 1 + u64::from(r.end() > '\u{7F}') * 3)
            .sum(),
        HirKind::Class(Class::Bytes(c)) => c.ranges().len() as u64,
        HirKind::Repetition(r) => {
            let copies = match r.max {
                Some(max) => max.max(r.min),
                None => r.min.saturating_add(1),
            };
            weigh(&r.sub, names, depth + 1).saturating_mul(u64::from(copies.max(1)))
        }
        HirKind::Capture(c) => {
            if let Some(n) = &c.name {
                names.push(n.to_string());
            }
            weigh(&c.sub, names, depth + 1).saturating_add(2)
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().fold(subs.len() as u64, |acc, s| {
                acc.saturating_add(weigh(s, names, depth + 1))
            })
        }
    }
}

/// The literal bytes `h` stands for when it is one fixed (case-folded) string.
fn as_literal(h: &Hir) -> Option<Vec<u8>> {
    match h.kind() {
        HirKind::Literal(lit) => Some(lit.0.to_ascii_lowercase()),
        HirKind::Class(c) => single_char(c).map(|b| vec![b]),
        _ => None,
    }
}

/// The ASCII letter a class stands for when it is the case orbit of one letter, like
/// `[Ss\u{17F}]`.
fn single_char(c: &Class) -> Option<u8> {
    let mut found: Option<u8> = None;
    let mut count = 0u32;
    let mut note = |ch: u32| -> bool {
        let folded = match ch {
            0x212A => b'k',
            0x17F => b's',
            c if c < 0x80 => (c as u8).to_ascii_lowercase(),
            _ => return false,
        };
        count += 1;
        count <= 4 && *found.get_or_insert(folded) == folded
    };
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                for ch in u32::from(r.start())..=u32::from(r.end()) {
                    if !note(ch) {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                for ch in r.start()..=r.end() {
                    if ch >= 0x80 || !note(u32::from(ch)) {
                        return None;
                    }
                }
            }
        }
    }
    found
}

/// The text `h` matches when it is nothing but a run of literals (case-folded).
fn as_literal_run(h: &Hir) -> Option<Vec<u8>> {
    match h.kind() {
        HirKind::Concat(subs) => {
            let mut run = Vec::new();
            for s in subs {
                run.extend(as_literal(s)?);
            }
            Some(run)
        }
        _ => as_literal(h),
    }
}

/// Literal alternatives of which every match of `h` contains one.
fn need(h: &Hir, depth: usize) -> Option<Vec<Vec<u8>>> {
    if depth > 64 {
        return None;
    }
    match h.kind() {
        HirKind::Literal(_) | HirKind::Class(_) => as_literal(h).map(|l| vec![l]),
        HirKind::Capture(c) => need(&c.sub, depth + 1),
        HirKind::Repetition(r) if r.min >= 1 => need(&r.sub, depth + 1),
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(need(a, depth + 1)?);
                if out.len() > MAX_LITERAL_ALTERNATIVES {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(subs) => {
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut run: Vec<u8> = Vec::new();
            let consider = |best: &mut Option<Vec<Vec<u8>>>, cand: Vec<Vec<u8>>| {
                if cand.is_empty() || cand.iter().any(Vec::is_empty) {
                    return;
                }
                if best.as_ref().is_none_or(|b| score(&cand) > score(b)) {
                    *best = Some(cand);
                }
            };
            for s in subs {
                if let Some(lit) = as_literal(s) {
                    run.extend(lit);
                    continue;
                }
                if matches!(s.kind(), HirKind::Look(_) | HirKind::Empty) {
                    // zero-width: the literals either side are still adjacent in a match
                    continue;
                }
                consider(&mut best, vec![std::mem::take(&mut run)]);
                if let Some(n) = need(s, depth + 1) {
                    consider(&mut best, n);
                }
            }
            consider(&mut best, vec![run]);
            best
        }
        _ => None,
    }
}

/// How selective a set of literal alternatives is: its shortest one, then fewer alternatives.
fn score(alts: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    (
        alts.iter().map(Vec::len).min().unwrap_or(0),
        std::cmp::Reverse(alts.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Vec<String> {
        Pattern::new(p)
            .unwrap()
            .required_literals()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    #[test]
    fn required_literal_is_the_longest_fixed_run() {
        assert_eq!(lits("Session token not found"), ["session token not found"]);
        assert_eq!(
            lits(r"user {email} is locked out of the portal"),
            [" is locked out of the portal"]
        );
        assert_eq!(
            lits(r"role '(?P<iam.role>AWSReservedSSO_\w+)'"),
            ["awsreservedsso_"]
        );
        assert_eq!(lits(r"\bdisk\s+full\b"), ["disk"]);
        assert_eq!(
            lits("(token expired|session timed out)"),
            ["token expired", "session timed out"]
        );
        // an optional part is not required; a two-letter word is too short to look for
        assert!(lits(r"(foobar)?\d+ab").is_empty());
        assert_eq!(lits("(?-i)ABC def"), ["abc def"]);
    }

    #[test]
    fn a_short_literal_spares_the_search_but_not_a_set() {
        let email = Pattern::new(r"(?P<value>{email})").unwrap();
        let down_level = Pattern::new(r"\b[a-z0-9][a-z0-9._-]+\\[a-z0-9][a-z0-9._-]*").unwrap();
        for p in [&email, &down_level] {
            // too short for a set's automaton, where it would be found in most texts
            assert_eq!(p.required_literals().count(), 0, "{p:?}");
            assert!(!p.may_match("Session token not found or invalid"), "{p:?}");
        }
        let text = "Ana signed in as CORP\\ana or Ana.Lima@Example.com";
        assert!(email.may_match(text) && down_level.may_match(text));
        assert_eq!(
            email.captures(text).map(|m| &text[m.start..m.end]),
            Some("Ana.Lima@Example.com")
        );
        assert_eq!(
            down_level.captures(text).map(|m| &text[m.start..m.end]),
            Some("CORP\\ana")
        );
    }

    #[test]
    fn only_two_non_ascii_characters_fold_to_ascii_letters() {
        // the literal prefilter folds ASCII only, and handles these two by hand
        let re = regex::Regex::new("(?i)^[a-z]$").unwrap();
        let outliers: Vec<char> = (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| re.is_match(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert_eq!(outliers, ['\u{17F}', '\u{212A}']);
    }

    #[test]
    fn prefilter_never_hides_a_match() {
        let p = Pattern::new("kubelet stopped").unwrap();
        for text in [
            "KUBELET STOPPED",
            "the \u{212A}ubelet \u{17F}topped",
            "x kubelet stopped y",
        ] {
            assert!(p.is_match(text), "{text}");
        }
        assert!(!p.may_match("kubelet running"));
    }

    #[test]
    fn plain_text_patterns_never_compile() {
        let p = Pattern::new(r"Zephyr agent is already in use \(E0001\)").unwrap();
        assert!(p.is_exact());
        assert_eq!(
            p.find("x ZEPHYR agent is already in use (e0001) y"),
            Some((2, 40))
        );
        assert!(!p.is_match("Zephyr agent is already in use (E0002)"));
        assert!(p.regex.get().is_none());
        // outliers fall back to the regex, which folds them
        assert!(p.is_match("Zephyr agent is already in u\u{17F}e (E0001)"));
        for not_exact in [
            r"user \w+ locked",
            "(?-i)Token expired",
            r"\bdisk full",
            "(a|b)cde",
        ] {
            assert!(!Pattern::new(not_exact).unwrap().is_exact(), "{not_exact}");
        }
    }

    #[test]
    fn compiles_only_when_used() {
        let p = Pattern::new(r"session token not found for \w+").unwrap();
        assert!(p.regex.get().is_none());
        assert!(!p.is_match("nothing here"));
        assert!(p.regex.get().is_none(), "no literal, no compile");
        assert!(p.is_match("Session Token NOT found for alice"));
        assert!(p.regex.get().is_some());
    }

    #[test]
    fn bombs_and_empty_matches_are_refused_at_once() {
        let err = Pattern::new("(a{1000}){1000}").unwrap_err();
        assert!(err.message.contains("too large"), "{}", err.message);
        for empty in ["a*", r"\b", "(?:)", "x?"] {
            let err = Pattern::new(empty).unwrap_err();
            assert!(err.message.contains("empty"), "{empty}: {}", err.message);
        }
    }

    #[test]
    fn estimate_keeps_lazy_patterns_under_the_real_limit() {
        // the largest \w{n} the estimate lets through lazily must compile
        let mut n = 1;
        while Pattern::new(&format!(r"\w{{{}}}", n + 1)).is_ok_and(|p| p.weight() <= EAGER_WEIGHT) {
            n += 1;
        }
        assert!(n > 3, "ordinary patterns stay lazy");
        let p = Pattern::new(&format!(r"\w{{{n}}}")).unwrap();
        assert!(p.compile().is_ok());
    }
}
