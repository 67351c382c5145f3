//! Facts: their declarations (in any file of the pack), the helper scripts that read them
//! and the extractors that set them from the input text.
//!
//! Declarations come first because everything else is checked against them: a check, a
//! helper, an extractor or a capture naming an undeclared fact is an error.

use std::collections::BTreeMap;
use std::ops::Range;

use super::compile::Namer;
use super::names::is_fact_name;
use super::span::FileCtx;
use super::{Loader, Parsed};
use crate::error::PackErrorKind;
use crate::facts::{FactDecl, FactType, FactValue};
use crate::pack::raw::{RawExtractor, RawFact};
use crate::pack::{Extractor, Location, SourceFile};
use crate::script::ScriptEngine;

/// The facts a pack declares, with where.
#[derive(Default)]
pub(super) struct Declared {
    /// By name.
    pub facts: BTreeMap<String, FactDecl>,
    /// Where each is declared.
    pub locations: BTreeMap<String, Location>,
}

/// Reads the fact declarations of every file; a name declared twice keeps its first.
pub(super) fn declare(loader: &mut Loader<'_>, parsed: &[Parsed<'_>]) -> Declared {
    let mut out = Declared::default();
    for (ctx, raw) in parsed {
        for (name, decl) in &raw.facts {
            let span = decl.span();
            check_declaration(loader, ctx, name, decl.get_ref(), span.clone());
            if out.facts.contains_key(name) {
                loader.errors.push(ctx.error(
                    PackErrorKind::DuplicateId,
                    span,
                    format!("fact `{name}` is declared twice"),
                    "keep one declaration",
                    None,
                ));
                continue;
            }
            out.locations.insert(name.clone(), ctx.location(span.start));
            let d = decl.get_ref();
            out.facts.insert(
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
    out
}

/// A declaration's name and its enum values.
fn check_declaration(
    loader: &mut Loader<'_>,
    ctx: &FileCtx<'_>,
    name: &str,
    d: &RawFact,
    span: Range<usize>,
) {
    let problem = if !is_fact_name(name) || name.starts_with("input.") {
        Some((
            format!("fact name `{name}` is not valid"),
            "use dotted lowercase words, e.g. \"user.provisioned\"; the input.* names are reserved",
        ))
    } else {
        None
    };
    let values = match (d.ty == FactType::Enum, d.values.is_empty()) {
        (true, true) => Some((
            format!("enum fact `{name}` lists no `values`"),
            "add values = [\"a\", \"b\"], or use type = \"string\"",
        )),
        (false, false) => Some((
            format!("fact `{name}` has `values` but is of type {}", d.ty),
            "use type = \"enum\", or remove `values`",
        )),
        _ => None,
    };
    for (message, hint) in problem.into_iter().chain(values) {
        loader.errors.push(ctx.error(
            PackErrorKind::InvalidValue,
            span.clone(),
            message,
            hint,
            None,
        ));
    }
}

/// Adds the helper files (`*.rhai`) to the pack's script engine, checking the facts they read.
pub(super) fn load_helpers(
    loader: &mut Loader<'_>,
    se: &mut ScriptEngine,
    scripts: &[&SourceFile],
    facts: &BTreeMap<String, FactDecl>,
) {
    for f in scripts {
        let ctx = FileCtx::new(f);
        match se.add_helpers(&f.text) {
            Ok(refs) => {
                for r in refs.literal {
                    let at = ctx.offset_at(r.at.line, r.at.column);
                    let span = at..at + r.name.len() + 2;
                    loader.undeclared_fact(&ctx, span, &r.name, facts, Namer::Helper, None);
                }
            }
            Err(e) => {
                let at = ctx.offset_at(e.line, e.column);
                loader.errors.push(ctx.error(
                    PackErrorKind::ScriptCompile,
                    at..at + 1,
                    format!("Rhai: {}", e.message),
                    "fix the script; helper files hold `fn name(args) { ... }` definitions",
                    None,
                ));
            }
        }
    }
}

/// The extractors of every file, each setting a declared fact.
pub(super) fn load_extractors(
    loader: &mut Loader<'_>,
    parsed: &[Parsed<'_>],
    facts: &BTreeMap<String, FactDecl>,
) -> Vec<Extractor> {
    let mut extractors = Vec::new();
    for (ctx, raw) in parsed {
        for x in &raw.extractors {
            if let Some(x) = extractor(loader, ctx, x.get_ref(), facts) {
                extractors.push(x);
            }
        }
    }
    extractors
}

fn extractor(
    loader: &mut Loader<'_>,
    ctx: &FileCtx<'_>,
    x: &RawExtractor,
    facts: &BTreeMap<String, FactDecl>,
) -> Option<Extractor> {
    let name = x.fact.get_ref();
    let declared = loader.undeclared_fact(ctx, x.fact.span(), name, facts, Namer::Extractor, None);
    let value = match (&x.value, facts.get(name)) {
        (Some(v), Some(d)) => {
            let checked = FactValue::from_toml(v.get_ref()).map(|fv| d.check(fv));
            let problem = match checked {
                Some(Ok(fv)) => Ok(fv),
                Some(Err(e)) => Err(e.to_string()),
                None => Err(
                    "extractor value must be a bool, number, string or list of strings".to_owned(),
                ),
            };
            match problem {
                Ok(fv) => Some(fv),
                Err(message) => {
                    loader.errors.push(ctx.error(
                        PackErrorKind::InvalidValue,
                        v.span(),
                        message,
                        "give a value of the fact's declared type",
                        None,
                    ));
                    None
                }
            }
        }
        _ => None,
    };
    let regex = loader.compile_regex(ctx, &x.pattern, None)?;
    declared.then(|| Extractor {
        fact: name.clone(),
        regex,
        value,
    })
}
