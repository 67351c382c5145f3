//! Loading and validating one pack: TOML → typed model → compiled [`Pack`].
//!
//! Validation runs to the end and returns every problem it found, each located in its file
//! (line and column) with a fix. Only structural TOML errors stop a file early (serde stops
//! at the first one); the other files of the pack are still checked.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use regex::Regex;
use toml::Spanned;

use super::raw::{RawEntry, RawFile, RawReference, RawStatus};
use super::{
    Cause, Domain, Entry, Extractor, Implication, Location, Pack, PackSource, Place, Reference,
    Signature, SourceFile, Status, Symptom, FORMAT_VERSION,
};
use crate::error::{PackError, PackErrorKind};
use crate::facts::{FactDecl, FactType, FactValue};
use crate::matcher::{compile_pattern, pattern_literals, Pattern};
use crate::script::{Check, CompileError, Limits, ScriptEngine};

/// Options for loading packs.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The most a pack may raise its script limits to.
    pub ceiling: Limits,
    /// Limits for packs that set none.
    pub defaults: Limits,
    /// Folder where the pack set's text index is cached between starts (see
    /// [`crate::index::cache`]); `None` builds it in RAM every time.
    pub index_cache: Option<std::path::PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            ceiling: Limits::default_ceiling(),
            defaults: Limits::default(),
            index_cache: None,
        }
    }
}

/// A file being validated: its text and where its lines start.
struct FileCtx<'a> {
    file: &'a SourceFile,
    line_starts: Vec<usize>,
}

impl<'a> FileCtx<'a> {
    fn new(file: &'a SourceFile) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(file.text.match_indices('\n').map(|(i, _)| i + 1));
        FileCtx { file, line_starts }
    }

    /// The nearest char boundary at or before `offset` (offsets computed inside escaped
    /// strings may land inside a multi-byte character).
    fn floor(&self, offset: usize) -> usize {
        let mut o = offset.min(self.file.text.len());
        while !self.file.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.floor(offset);
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.file.text[start..offset].chars().count() + 1;
        (line, col)
    }

    fn line_text(&self, line: usize) -> Option<String> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.file.text.len(), |e| e.saturating_sub(1));
        Some(
            self.file.text[start..end.max(start)]
                .trim_end_matches('\r')
                .to_owned(),
        )
    }

    fn error(
        &self,
        kind: PackErrorKind,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
        entry: Option<&str>,
    ) -> PackError {
        let (line, column) = self.line_col(span.start);
        let source_line = self.line_text(line);
        let start = self.floor(span.start);
        let end = self.floor(span.end).max(start);
        let length = self.file.text[start..end]
            .lines()
            .next()
            .map_or(1, |l| l.chars().count().max(1));
        PackError {
            kind,
            path: self.file.path.clone(),
            line,
            column,
            message: message.into(),
            hint: hint.into(),
            entry: entry.map(str::to_owned),
            source_line,
            length,
        }
    }

    /// Offset in the file of a 1-based (line, column in characters) position.
    fn offset_at(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.file.text.len();
        };
        let rest = &self.file.text[start..];
        let line_len = rest.find('\n').unwrap_or(rest.len());
        start
            + rest[..line_len]
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(line_len, |(b, _)| b)
    }

    /// Offset where a string value's content starts, given the span of the value (which
    /// includes its quotes).
    fn content_start(&self, span: &Range<usize>) -> usize {
        let t = &self.file.text[self.floor(span.start)..];
        if t.starts_with("'''") || t.starts_with("\"\"\"") {
            let mut s = span.start + 3;
            let rest = &self.file.text[self.floor(s)..];
            if rest.starts_with("\r\n") {
                s += 2;
            } else if rest.starts_with('\n') {
                s += 1;
            }
            s
        } else if t.starts_with('\'') || t.starts_with('"') {
            span.start + 1
        } else {
            span.start
        }
    }

    /// Offset in the file of byte `offset` inside a string value (exact for literal strings).
    fn inside(&self, span: &Range<usize>, offset: usize) -> usize {
        (self.content_start(span) + offset).min(span.end.max(span.start))
    }

    /// Offset in the file of a (line, column) position inside a script value.
    fn script_pos(&self, span: &Range<usize>, script: &str, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for (i, l) in script.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                offset += l
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
                return self.inside(span, offset);
            }
            offset += l.len();
        }
        self.inside(span, offset)
    }
}

// Ids, fact names and dates are checked by hand: these run for every entry, and compiling
// a regex for each would cost more than all the checks together.

/// `^[a-z0-9][a-z0-9_-]*$`
fn is_id(s: &str) -> bool {
    crate::names::is_valid_id(s)
}

/// `^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`
fn is_fact_name(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        })
}

/// `YYYY-MM-DD` with a month 01–12 and a day 01–31.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && num(0..4).is_some()
        && num(5..7).is_some_and(|m| (1..=12).contains(&m))
        && num(8..10).is_some_and(|d| (1..=31).contains(&d))
}

/// Suggests the closest of `candidates` to `word`, if one is close.
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    crate::names::did_you_mean(word, candidates)
}

/// Turns a TOML/serde error into a located [`PackError`] with a fix.
fn toml_error(ctx: &FileCtx<'_>, err: &toml::de::Error) -> PackError {
    static UNKNOWN: OnceLock<Regex> = OnceLock::new();
    #[allow(clippy::unwrap_used)]
    let unknown = UNKNOWN.get_or_init(|| {
        Regex::new(r"unknown (field|variant) `([^`]*)`, expected (?:one of )?(.*)").unwrap()
    });
    let span = err.span().unwrap_or(0..0);
    let message = err.message().trim().to_owned();
    let syntax = ctx.file.text.parse::<toml::Table>().is_err();
    if let Some(c) = unknown.captures(&message) {
        let word = &c[2];
        let expected: Vec<&str> = c[3]
            .split(',')
            .map(|s| s.trim().trim_start_matches("or ").trim_matches('`'))
            .filter(|s| !s.is_empty())
            .collect();
        let hint = match did_you_mean(word, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? (allowed: {})", expected.join(", ")),
            None => format!("use one of: {}", expected.join(", ")),
        };
        let kind = if &c[1] == "field" {
            PackErrorKind::UnknownKey
        } else {
            PackErrorKind::InvalidValue
        };
        let what = if &c[1] == "field" {
            "unknown key"
        } else {
            "unknown value"
        };
        return ctx.error(kind, span, format!("{what} `{word}`"), hint, None);
    }
    if syntax {
        return ctx.error(
            PackErrorKind::TomlSyntax,
            span,
            format!("TOML syntax: {message}"),
            "fix the TOML syntax at this position (quotes, brackets, `key = value`)",
            None,
        );
    }
    let hint = if message.starts_with("missing field") {
        "add the missing key; see docs/pack-format.md".to_owned()
    } else if message.starts_with("invalid type") {
        "change the value to the expected type; see docs/pack-format.md".to_owned()
    } else {
        "see docs/pack-format.md for this key".to_owned()
    };
    ctx.error(PackErrorKind::InvalidValue, span, message, hint, None)
}

struct Loader<'a> {
    errors: Vec<PackError>,
    opts: &'a LoadOptions,
}

impl Loader<'_> {
    fn compile_script(
        &mut self,
        se: &ScriptEngine,
        ctx: &FileCtx<'_>,
        script: &Spanned<String>,
        facts: &BTreeMap<String, FactDecl>,
        entry: &str,
    ) -> Option<Check> {
        let span = script.span();
        let src = script.get_ref();
        let check = match se.compile(src) {
            Ok(c) => c,
            Err(CompileError {
                message,
                line,
                column,
            }) => {
                let at = ctx.script_pos(&span, src, line, column);
                self.errors.push(ctx.error(
                    PackErrorKind::ScriptCompile,
                    at..at + 1,
                    format!("Rhai: {message}"),
                    "fix the script; checks are Rhai expressions returning true or false",
                    Some(entry),
                ));
                return None;
            }
        };
        let refs = check.references();
        for call in &refs.computed {
            let at = ctx.script_pos(&span, src, call.at.line, call.at.column);
            self.errors.push(ctx.error(
                PackErrorKind::InvalidValue,
                at..at + call.function.len(),
                format!(
                    "{}() is given a computed fact name; fact(), has() and fact_or() take the fact name as a string literal",
                    call.function
                ),
                "write the name in quotes, e.g. fact(\"user.provisioned\"), so the engine knows which facts the check reads",
                Some(entry),
            ));
        }
        let before = self.errors.len();
        for r in &refs.literal {
            if !facts.contains_key(&r.name) && !is_input_fact(&r.name) {
                let at = ctx.script_pos(&span, src, r.at.line, r.at.column);
                let hint = match did_you_mean(&r.name, facts.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean \"{s}\"? Otherwise declare it under [facts.\"{}\"] with a type and a question", r.name),
                    None => format!("declare it: [facts.\"{}\"] with type and question", r.name),
                };
                self.errors.push(ctx.error(
                    PackErrorKind::UndeclaredFact,
                    at..at + r.name.len() + 2,
                    format!(
                        "the check reads fact \"{}\", which the pack does not declare",
                        r.name
                    ),
                    hint,
                    Some(entry),
                ));
            }
        }
        (self.errors.len() == before && refs.computed.is_empty()).then_some(check)
    }

    fn compile_regex(
        &mut self,
        ctx: &FileCtx<'_>,
        pattern: &Spanned<String>,
        entry: Option<&str>,
    ) -> Option<Pattern> {
        let span = pattern.span();
        match compile_pattern(pattern.get_ref()) {
            Ok(re) => Some(re),
            Err(e) => {
                let at = e.offset.map_or(span.start, |o| ctx.inside(&span, o));
                let end = if e.offset.is_some() { at + 1 } else { span.end };
                self.errors.push(ctx.error(
                    PackErrorKind::BadRegex,
                    at..end,
                    format!("{} in pattern `{}`", e.message, pattern.get_ref()),
                    "fix the regex (Rust regex syntax; escape literal ( ) [ ] . ? * + with \\)",
                    entry,
                ));
                None
            }
        }
    }
}

/// Input facts the engine always provides.
pub(crate) fn is_input_fact(name: &str) -> bool {
    matches!(
        name,
        "input.emails"
            | "input.urls"
            | "input.ips"
            | "input.arns"
            | "input.uuids"
            | "input.timestamps"
            | "input.text"
    )
}

fn convert_refs(refs: &[RawReference]) -> Vec<Reference> {
    refs.iter()
        .map(|r| Reference {
            title: r.title.clone(),
            url: r.url.clone(),
        })
        .collect()
}

/// Loads and validates one pack. Returns every problem found when it cannot be loaded.
pub fn load_pack(src: &PackSource, opts: &LoadOptions) -> Result<Pack, Vec<PackError>> {
    let mut loader = Loader {
        errors: Vec::new(),
        opts,
    };
    // 1. parse every TOML file
    let mut parsed: Vec<(FileCtx<'_>, RawFile)> = Vec::new();
    let mut scripts: Vec<&SourceFile> = Vec::new();
    for f in &src.files {
        if f.rel.ends_with(".rhai") {
            scripts.push(f);
            continue;
        }
        let ctx = FileCtx::new(f);
        match toml::from_str::<RawFile>(&f.text) {
            Ok(raw) => parsed.push((ctx, raw)),
            Err(e) => loader.errors.push(toml_error(&ctx, &e)),
        }
    }
    let Some(manifest_idx) = parsed.iter().position(|(c, _)| c.file.rel == "pack.toml") else {
        if loader.errors.is_empty() {
            loader.errors.push(PackError {
                kind: PackErrorKind::Io,
                path: src
                    .files
                    .first()
                    .map_or_else(String::new, |f| f.path.clone()),
                line: 0,
                column: 0,
                message: "the pack has no pack.toml".into(),
                hint: "add pack.toml with format, id, name and version".into(),
                entry: None,
                source_line: None,
                length: 0,
            });
        }
        return Err(loader.errors);
    };

    // 2. manifest
    let (mctx, manifest) = &parsed[manifest_idx];
    let mfile_start = 0..0;
    let mut pack_id = String::from("?");
    match &manifest.format {
        None => loader.errors.push(mctx.error(
            PackErrorKind::UnsupportedFormat,
            mfile_start.clone(),
            "missing `format`",
            format!("add `format = {FORMAT_VERSION}` at the top of pack.toml"),
            None,
        )),
        Some(f) if *f.get_ref() != FORMAT_VERSION => loader.errors.push(mctx.error(
            PackErrorKind::UnsupportedFormat,
            f.span(),
            format!(
                "pack format {} is not supported by this engine (it reads format {FORMAT_VERSION})",
                f.get_ref()
            ),
            format!("set `format = {FORMAT_VERSION}`, or upgrade fixbook"),
            None,
        )),
        Some(_) => {}
    }
    match &manifest.id {
        None => loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            mfile_start.clone(),
            "missing `id`",
            "add `id = \"my-pack\"` (lowercase letters, digits, '-')",
            None,
        )),
        Some(id) if !is_id(id.get_ref()) => loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            id.span(),
            format!("pack id `{}` is not valid", id.get_ref()),
            "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
            None,
        )),
        Some(id) => pack_id = id.get_ref().clone(),
    }
    if manifest.name.is_none() {
        loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            mfile_start.clone(),
            "missing `name`",
            "add `name = \"Human readable name\"`",
            None,
        ));
    }
    match &manifest.version {
        None => loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            mfile_start.clone(),
            "missing `version`",
            "add `version = \"1.0.0\"` (semver)",
            None,
        )),
        Some(v) => {
            if let Err(e) = semver::Version::parse(v.get_ref()) {
                loader.errors.push(mctx.error(
                    PackErrorKind::InvalidValue,
                    v.span(),
                    format!("version `{}` is not semver: {e}", v.get_ref()),
                    "write MAJOR.MINOR.PATCH, e.g. \"1.0.0\"",
                    None,
                ));
            }
        }
    }
    if let Some(min) = &manifest.min_engine_version {
        match semver::VersionReq::parse(&format!(">={}", min.get_ref()))
            .ok()
            .zip(semver::Version::parse(min.get_ref()).ok())
        {
            None => loader.errors.push(mctx.error(
                PackErrorKind::InvalidValue,
                min.span(),
                format!("min_engine_version `{}` is not semver", min.get_ref()),
                "write MAJOR.MINOR.PATCH, e.g. \"0.1.0\"",
                None,
            )),
            Some((_, min_v)) => {
                let engine = crate::engine_version();
                if min_v > engine {
                    loader.errors.push(mctx.error(
                        PackErrorKind::EngineVersion,
                        min.span(),
                        format!(
                            "the pack needs fixbook {} or newer; this is fixbook {engine}",
                            min.get_ref()
                        ),
                        "upgrade fixbook, or use an older version of the pack",
                        None,
                    ));
                }
            }
        }
    }
    // manifest keys outside pack.toml
    for (ctx, raw) in &parsed {
        if ctx.file.rel == "pack.toml" {
            continue;
        }
        for (key, span) in [
            ("format", raw.format.as_ref().map(Spanned::span)),
            ("id", raw.id.as_ref().map(Spanned::span)),
            ("name", raw.name.as_ref().map(Spanned::span)),
            ("version", raw.version.as_ref().map(Spanned::span)),
            ("description", raw.description.as_ref().map(Spanned::span)),
            (
                "min_engine_version",
                raw.min_engine_version.as_ref().map(Spanned::span),
            ),
            ("limits", raw.limits.as_ref().map(Spanned::span)),
            ("synonyms", raw.synonyms.as_ref().map(Spanned::span)),
            ("domain", raw.domain.as_ref().map(Spanned::span)),
        ] {
            if let Some(span) = span {
                loader.errors.push(ctx.error(
                    PackErrorKind::UnknownKey,
                    span,
                    format!("`{key}` is a manifest key; it belongs in pack.toml"),
                    "move it to pack.toml, or remove it",
                    None,
                ));
            }
        }
    }

    // 3. script engine: limits and helpers
    let mut limits = loader.opts.defaults;
    if let Some(l) = &manifest.limits {
        let l = l.get_ref();
        let set = |v: &mut u64, x: Option<u64>| {
            if let Some(x) = x {
                *v = x;
            }
        };
        let setu = |v: &mut usize, x: Option<usize>| {
            if let Some(x) = x {
                *v = x;
            }
        };
        set(&mut limits.max_operations, l.max_operations);
        set(&mut limits.max_duration_ms, l.max_duration_ms);
        setu(&mut limits.max_call_depth, l.max_call_depth);
        setu(&mut limits.max_expr_depth, l.max_expr_depth);
        setu(&mut limits.max_string_size, l.max_string_size);
        setu(&mut limits.max_array_size, l.max_array_size);
        setu(&mut limits.max_map_size, l.max_map_size);
    }
    let mut se = ScriptEngine::new(limits.capped(&loader.opts.ceiling));

    // 4. facts (declared in any file)
    let mut facts: BTreeMap<String, FactDecl> = BTreeMap::new();
    let mut fact_locations: BTreeMap<String, Location> = BTreeMap::new();
    for (ctx, raw) in &parsed {
        for (name, decl) in &raw.facts {
            let span = decl.span();
            let d = decl.get_ref();
            if !is_fact_name(name) || name.starts_with("input.") {
                loader.errors.push(ctx.error(
                    PackErrorKind::InvalidValue,
                    span.clone(),
                    format!("fact name `{name}` is not valid"),
                    "use dotted lowercase words, e.g. \"user.provisioned\"; the input.* names are reserved",
                    None,
                ));
            }
            if d.ty == FactType::Enum && d.values.is_empty() {
                loader.errors.push(ctx.error(
                    PackErrorKind::InvalidValue,
                    span.clone(),
                    format!("enum fact `{name}` lists no `values`"),
                    "add values = [\"a\", \"b\"], or use type = \"string\"",
                    None,
                ));
            }
            if d.ty != FactType::Enum && !d.values.is_empty() {
                loader.errors.push(ctx.error(
                    PackErrorKind::InvalidValue,
                    span.clone(),
                    format!("fact `{name}` has `values` but is of type {}", d.ty),
                    "use type = \"enum\", or remove `values`",
                    None,
                ));
            }
            if facts.contains_key(name) {
                loader.errors.push(ctx.error(
                    PackErrorKind::DuplicateId,
                    span,
                    format!("fact `{name}` is declared twice"),
                    "keep one declaration",
                    None,
                ));
                continue;
            }
            let (line, column) = ctx.line_col(span.start);
            fact_locations.insert(
                name.clone(),
                Location {
                    path: ctx.file.path.clone(),
                    line,
                    column,
                },
            );
            facts.insert(
                name.clone(),
                FactDecl {
                    name: name.clone(),
                    ty: d.ty,
                    values: d.values.clone(),
                    description: d.description.clone(),
                    question: d.question.clone().unwrap_or_default(),
                },
            );
        }
    }

    for f in &scripts {
        let ctx = FileCtx::new(f);
        match se.add_helpers(&f.text) {
            Ok(refs) => {
                for r in refs.literal {
                    if !facts.contains_key(&r.name) && !is_input_fact(&r.name) {
                        let off = ctx.offset_at(r.at.line, r.at.column);
                        loader.errors.push(ctx.error(
                            PackErrorKind::UndeclaredFact,
                            off..off + r.name.len() + 2,
                            format!(
                                "the helper reads fact \"{}\", which the pack does not declare",
                                r.name
                            ),
                            format!("declare it: [facts.\"{}\"] with type and question", r.name),
                            None,
                        ));
                    }
                }
            }
            Err(e) => {
                let off = ctx.offset_at(e.line, e.column);
                loader.errors.push(ctx.error(
                    PackErrorKind::ScriptCompile,
                    off..off + 1,
                    format!("Rhai: {}", e.message),
                    "fix the script; helper files hold `fn name(args) { ... }` definitions",
                    None,
                ));
            }
        }
    }

    // 5. extractors
    let mut extractors = Vec::new();
    for (ctx, raw) in &parsed {
        for x in &raw.extractors {
            let x = x.get_ref();
            let name = x.fact.get_ref();
            let decl = facts.get(name);
            if decl.is_none() {
                loader.errors.push(ctx.error(
                    PackErrorKind::UndeclaredFact,
                    x.fact.span(),
                    format!("extractor sets fact \"{name}\", which the pack does not declare"),
                    format!("declare it: [facts.\"{name}\"] with type and question"),
                    None,
                ));
            }
            let value = match (&x.value, decl) {
                (Some(v), Some(d)) => match FactValue::from_toml(v.get_ref()).map(|fv| d.check(fv))
                {
                    Some(Ok(fv)) => Some(fv),
                    Some(Err(e)) => {
                        loader.errors.push(ctx.error(
                            PackErrorKind::InvalidValue,
                            v.span(),
                            e.to_string(),
                            "give a value of the fact's declared type",
                            None,
                        ));
                        None
                    }
                    None => {
                        loader.errors.push(ctx.error(
                            PackErrorKind::InvalidValue,
                            v.span(),
                            "extractor value must be a bool, number, string or list of strings",
                            "give a value of the fact's declared type",
                            None,
                        ));
                        None
                    }
                },
                _ => None,
            };
            if let Some(re) = loader.compile_regex(ctx, &x.pattern, None) {
                if decl.is_some() {
                    extractors.push(Extractor {
                        fact: name.clone(),
                        regex: re,
                        value,
                    });
                }
            }
        }
    }

    // 6. entries
    let mut entries = Vec::new();
    let mut seen_entries: BTreeMap<String, Location> = BTreeMap::new();
    for (ctx, raw) in &parsed {
        for e in &raw.entries {
            if let Some(entry) = load_entry(
                &mut loader,
                &se,
                ctx,
                e,
                &facts,
                &pack_id,
                &mut seen_entries,
            ) {
                entries.push(entry);
            }
        }
    }

    // 7. implications: every fact declared, every value of its type
    let mut implications = Vec::new();
    for (ctx, raw) in &parsed {
        for imp in &raw.implications {
            let mut sides: [Vec<(String, FactValue)>; 2] = [Vec::new(), Vec::new()];
            let mut ok = true;
            for (side, map) in [&imp.get_ref().when, &imp.get_ref().then]
                .into_iter()
                .enumerate()
            {
                for (name, v) in map {
                    let typed = match (facts.get(name), FactValue::from_toml(v)) {
                        (None, _) => Err(format!(
                            "implication names fact `{name}`, which the pack does not declare"
                        )),
                        (Some(_), None) => Err(format!(
                            "fact `{name}`: use a bool, number, string or list of strings"
                        )),
                        (Some(d), Some(fv)) => d.check(fv).map_err(|e| e.to_string()),
                    };
                    match typed {
                        Ok(fv) => sides[side].push((name.clone(), fv)),
                        Err(message) => {
                            ok = false;
                            loader.errors.push(ctx.error(
                                PackErrorKind::InvalidValue,
                                imp.span(),
                                message,
                                "write [[implications]] when = { \"fact\" = value } then = { \"other.fact\" = value } with declared facts and values of their types",
                                None,
                            ));
                        }
                    }
                }
            }
            if ok && !sides[0].is_empty() && !sides[1].is_empty() {
                let [when, then] = sides;
                implications.push(Implication { when, then });
            }
        }
    }

    // 8. domain and synonyms
    let domain = manifest
        .domain
        .as_ref()
        .map(|d| {
            let raw = d.get_ref();
            for f in &raw.facts {
                if !facts.contains_key(f) {
                    loader.errors.push(mctx.error(
                        PackErrorKind::UndeclaredFact,
                        d.span(),
                        format!("[domain] names fact `{f}`, which the pack does not declare"),
                        "declare it under [facts.\"...\"], or remove it from domain.facts",
                        None,
                    ));
                }
            }
            let clean = |v: &[String]| -> Vec<String> {
                v.iter()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            };
            Domain {
                products: clean(&raw.products),
                services: clean(&raw.services),
                vendors: clean(&raw.vendors),
                facts: raw.facts.clone(),
            }
        })
        .unwrap_or_default();
    let mut synonyms = Vec::new();
    if let Some(syn) = &manifest.synonyms {
        for (short, long) in syn.get_ref() {
            if short.trim().is_empty()
                || long.trim().is_empty()
                || short.contains(char::is_whitespace)
            {
                loader.errors.push(mctx.error(
                    PackErrorKind::InvalidValue,
                    syn.span(),
                    format!("synonym `{short}` = `{long}`: the short form must be one word and both must be non-empty"),
                    "write `short = \"what it stands for\"`, e.g. `idc = \"IAM Identity Center\"`",
                    None,
                ));
                continue;
            }
            synonyms.push((short.trim().to_owned(), long.trim().to_owned()));
        }
    }

    if !loader.errors.is_empty() {
        return Err(loader.errors);
    }
    Ok(Pack {
        id: pack_id,
        domain,
        synonyms,
        implications,
        name: manifest
            .name
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default(),
        version: manifest
            .version
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default(),
        description: manifest
            .description
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default(),
        min_engine_version: manifest
            .min_engine_version
            .as_ref()
            .map(|s| s.get_ref().clone()),
        origin: src.origin.clone(),
        manifest_path: parsed[manifest_idx].0.file.path.clone(),
        facts,
        fact_locations,
        extractors,
        entries,
        scripts: se,
    })
}

fn check_id(
    loader: &mut Loader<'_>,
    ctx: &FileCtx<'_>,
    id: &Spanned<String>,
    what: &str,
    seen: &mut BTreeSet<String>,
    entry: Option<&str>,
) {
    if !is_id(id.get_ref()) {
        loader.errors.push(ctx.error(
            PackErrorKind::InvalidValue,
            id.span(),
            format!("{what} id `{}` is not valid", id.get_ref()),
            "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
            entry,
        ));
    }
    if !seen.insert(id.get_ref().clone()) {
        loader.errors.push(ctx.error(
            PackErrorKind::DuplicateId,
            id.span(),
            format!("{what} id `{}` is used twice", id.get_ref()),
            format!("give each {what} its own id"),
            entry,
        ));
    }
}

fn date_value(
    loader: &mut Loader<'_>,
    ctx: &FileCtx<'_>,
    v: &Option<Spanned<toml::Value>>,
    key: &str,
    entry: &str,
) -> Option<String> {
    let v = v.as_ref()?;
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        _ => String::new(),
    };
    if is_date(&text) {
        Some(text)
    } else {
        loader.errors.push(ctx.error(
            PackErrorKind::InvalidValue,
            v.span(),
            format!("`{key}` must be a date YYYY-MM-DD"),
            format!("write e.g. {key} = \"2026-12-31\""),
            Some(entry),
        ));
        None
    }
}

fn load_entry(
    loader: &mut Loader<'_>,
    se: &ScriptEngine,
    ctx: &FileCtx<'_>,
    spanned: &Spanned<RawEntry>,
    facts: &BTreeMap<String, FactDecl>,
    pack_id: &str,
    seen_entries: &mut BTreeMap<String, Location>,
) -> Option<Entry> {
    let e = spanned.get_ref();
    let local = e.id.get_ref().clone();
    let full = format!("{pack_id}/{local}");
    let (line, column) = ctx.line_col(e.id.span().start);
    let location = Location {
        path: ctx.file.path.clone(),
        line,
        column,
    };
    let before = loader.errors.len();
    if !is_id(&local) {
        loader.errors.push(ctx.error(
            PackErrorKind::InvalidValue,
            e.id.span(),
            format!("entry id `{local}` is not valid"),
            "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
            Some(&full),
        ));
    }
    if let Some(prev) = seen_entries.get(&local) {
        loader.errors.push(ctx.error(
            PackErrorKind::DuplicateId,
            e.id.span(),
            format!(
                "entry id `{local}` is used twice (first at {}:{})",
                prev.path, prev.line
            ),
            "give each entry its own id",
            Some(&full),
        ));
    } else {
        seen_entries.insert(local.clone(), location.clone());
    }
    if e.title.get_ref().trim().is_empty() {
        loader.errors.push(ctx.error(
            PackErrorKind::InvalidValue,
            e.title.span(),
            "entry title is empty",
            "write a one-line title",
            Some(&full),
        ));
    }
    if e.signatures.is_empty() && e.keywords.is_empty() && e.aliases.is_empty() {
        loader.errors.push(ctx.error(
            PackErrorKind::Unmatchable,
            e.id.span(),
            format!("entry `{local}` has neither signatures nor keywords, so nothing can match it"),
            "add [[entries.signatures]] with the error text, or keywords = [...]",
            Some(&full),
        ));
    }

    let mut sig_ids = BTreeSet::new();
    let mut signatures = Vec::new();
    for s in &e.signatures {
        let s = s.get_ref();
        check_id(loader, ctx, &s.id, "signature", &mut sig_ids, Some(&full));
        let Some(re) = loader.compile_regex(ctx, &s.pattern, Some(&full)) else {
            continue;
        };
        for name in re.capture_names() {
            if !facts.contains_key(name) {
                let off = s.pattern.get_ref().find(&format!("<{name}>")).unwrap_or(0);
                let at = ctx.inside(&s.pattern.span(), off);
                loader.errors.push(ctx.error(
                    PackErrorKind::UndeclaredFact,
                    at..at + name.len() + 2,
                    format!("capture `{name}` sets a fact the pack does not declare"),
                    format!("declare [facts.\"{name}\"], or make the group unnamed with (?:...)"),
                    Some(&full),
                ));
            }
        }
        let (sl, sc) = ctx.line_col(s.pattern.span().start);
        signatures.push(Signature {
            id: s.id.get_ref().clone(),
            pattern: s.pattern.get_ref().clone(),
            literals: pattern_literals(s.pattern.get_ref()),
            regex: Arc::new(re),
            description: s.description.clone(),
            location: Location {
                path: ctx.file.path.clone(),
                line: sl,
                column: sc,
            },
        });
    }

    let mut symptom_ids = BTreeSet::new();
    let mut symptoms = Vec::new();
    for s in &e.symptoms {
        let s = s.get_ref();
        check_id(loader, ctx, &s.id, "symptom", &mut symptom_ids, Some(&full));
        if let Some(check) = loader.compile_script(se, ctx, &s.check, facts, &full) {
            symptoms.push(Symptom {
                id: s.id.get_ref().clone(),
                description: s.description.clone(),
                check,
            });
        }
    }

    let mut cause_ids = BTreeSet::new();
    let mut causes = Vec::new();
    for spanned_cause in &e.causes {
        let c = spanned_cause.get_ref();
        let (cl, cc) = ctx.line_col(c.id.span().start);
        check_id(loader, ctx, &c.id, "cause", &mut cause_ids, Some(&full));
        let check = match &c.check {
            Some(src) => loader.compile_script(se, ctx, src, facts, &full),
            None => None,
        };
        let likelihood = c.likelihood.as_ref().and_then(|l| {
            let v = *l.get_ref();
            if v > 0.0 && v <= 1.0 {
                Some(v as f32)
            } else {
                loader.errors.push(ctx.error(
                    PackErrorKind::InvalidValue,
                    l.span(),
                    format!("likelihood {v} is outside (0, 1]"),
                    "give a number above 0 and at most 1, e.g. likelihood = 0.6",
                    Some(&full),
                ));
                None
            }
        });
        causes.push(Cause {
            likelihood,
            id: c.id.get_ref().clone(),
            title: c.title.clone(),
            explanation: c.explanation.clone(),
            remedy: c.remedy.clone(),
            references: convert_refs(&c.references),
            check,
            location: Location {
                path: ctx.file.path.clone(),
                line: cl,
                column: cc,
            },
        });
    }
    let updated = date_value(loader, ctx, &e.updated, "updated", &full);
    let valid_until = date_value(loader, ctx, &e.valid_until, "valid_until", &full);
    if loader.errors.len() > before {
        return None;
    }
    Some(Entry {
        id: full,
        local_id: local,
        title: e.title.get_ref().clone(),
        summary: e.summary.clone(),
        tags: e.tags.clone(),
        keywords: e.keywords.clone(),
        aliases: e.aliases.clone(),
        signatures,
        symptoms,
        causes,
        remedy: e.remedy.clone(),
        references: convert_refs(&e.references),
        where_to_look: e
            .where_to_look
            .iter()
            .map(|p| Place {
                place: p.place.clone(),
                event: p.event.clone(),
                hint: p.hint.clone(),
            })
            .collect(),
        status: match e.status {
            RawStatus::Draft => Status::Draft,
            RawStatus::Approved => Status::Approved,
            RawStatus::Retired => Status::Retired,
        },
        owner: e.owner.clone(),
        updated,
        valid_until,
        location,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_checks_agree_with_their_regexes() {
        let cases = [
            "",
            "a",
            "A",
            "0",
            "ab-c_d",
            "-ab",
            "_a",
            "a.b",
            "a..b",
            "a.",
            ".a",
            "a.B",
            "input.x",
            "iam.role_1",
            "9a.b",
            "é",
            "2024-02-30",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "2024-12-31",
            "20a4-12-31",
            "2024-12-310",
            "2024/12/31",
        ];
        let id = Regex::new(r"^[a-z0-9][a-z0-9_-]*$").unwrap();
        let fact = Regex::new(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$").unwrap();
        let date = Regex::new(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$").unwrap();
        for c in cases {
            assert_eq!(is_id(c), id.is_match(c), "id {c:?}");
            assert_eq!(is_fact_name(c), fact.is_match(c), "fact {c:?}");
            assert_eq!(is_date(c), date.is_match(c), "date {c:?}");
        }
    }
}
