//! Compiling what a pack computes with: checks (Rhai) and patterns (regex), each failure a
//! located error; and the one place an undeclared fact is reported, whoever reads or sets it
//! (a check, a helper, an extractor, a capture).

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::names::{did_you_mean, is_input_fact};
use super::span::FileCtx;
use super::Loader;
use crate::error::PackErrorKind;
use crate::facts::FactDecl;
use crate::matcher::{compile_pattern, Pattern};
use crate::script::{Check, CompileError, ScriptEngine};

/// Who names a fact, for [`Loader::undeclared_fact`].
#[derive(Clone, Copy)]
pub(super) enum Namer {
    /// A check reads it.
    Check,
    /// A helper file reads it.
    Helper,
    /// An extractor sets it.
    Extractor,
    /// A named capture group of a signature sets it.
    Capture,
}

impl Loader<'_> {
    /// Reports `name` at `span` when the pack does not declare it; returns whether it is
    /// declared. Scripts may also read the input facts the engine provides; nothing sets them.
    pub(super) fn undeclared_fact(
        &mut self,
        ctx: &FileCtx<'_>,
        span: Range<usize>,
        name: &str,
        facts: &BTreeMap<String, FactDecl>,
        namer: Namer,
        entry: Option<&str>,
    ) -> bool {
        let reads = matches!(namer, Namer::Check | Namer::Helper);
        if facts.contains_key(name) || (reads && is_input_fact(name)) {
            return true;
        }
        let message = match namer {
            Namer::Check => {
                format!("the check reads fact \"{name}\", which the pack does not declare")
            }
            Namer::Helper => {
                format!("the helper reads fact \"{name}\", which the pack does not declare")
            }
            Namer::Extractor => {
                format!("extractor sets fact \"{name}\", which the pack does not declare")
            }
            Namer::Capture => format!("capture `{name}` sets a fact the pack does not declare"),
        };
        let declare = format!("declare it: [facts.\"{name}\"] with type and question");
        let hint = match (namer, did_you_mean(name, facts.keys().map(String::as_str))) {
            (Namer::Capture, _) => format!("{declare}, or make the group unnamed with (?:...)"),
            (_, Some(s)) => format!("did you mean \"{s}\"? Otherwise {declare}"),
            (_, None) => declare,
        };
        self.errors
            .push(ctx.error(PackErrorKind::UndeclaredFact, span, message, hint, entry));
        false
    }

    /// Compiles a check written at `script`, and checks the facts it reads.
    pub(super) fn compile_script(
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
        let mut declared = refs.computed.is_empty();
        for r in &refs.literal {
            let at = ctx.script_pos(&span, src, r.at.line, r.at.column);
            let span = at..at + r.name.len() + 2;
            declared &= self.undeclared_fact(ctx, span, &r.name, facts, Namer::Check, Some(entry));
        }
        declared.then_some(check)
    }

    /// Compiles a pattern (a signature's or an extractor's).
    pub(super) fn compile_regex(
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
