//! Entries: each known problem with its signatures, symptoms and causes, validated and
//! compiled. An entry with any error is left out, and every error of it is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use toml::Spanned;

use super::compile::Namer;
use super::names::{is_date, is_valid_id, ID_RULE};
use super::span::FileCtx;
use super::{Loader, Parsed};
use crate::error::PackErrorKind;
use crate::facts::FactDecl;
use crate::matcher::pattern_literals;
use crate::pack::raw::{RawCause, RawEntry, RawReference, RawSignature, RawStatus, RawSymptom};
use crate::pack::{Cause, Entry, Location, Place, Reference, Signature, Status, Symptom};
use crate::script::ScriptEngine;

/// What every entry of a pack is checked against.
pub(super) struct PackCx<'p> {
    /// The pack's script engine (limits, helpers).
    pub se: &'p ScriptEngine,
    /// The declared facts.
    pub facts: &'p BTreeMap<String, FactDecl>,
    /// The pack id, for full entry ids.
    pub pack_id: &'p str,
}

/// One entry being loaded: its file and its full id.
struct EntryCx<'a, 'p> {
    pack: &'a PackCx<'p>,
    ctx: &'a FileCtx<'a>,
    full: String,
}

/// The entries of every file, in file order; entry ids are unique across the pack. Files
/// are validated on up to `threads` threads; the errors come out in the same order either
/// way (file by file, entry by entry).
///
/// `raw` holds each file's raw entries (taken out of `parsed`, see [`take_raw`]): each
/// file's are dropped as soon as its entries are made, so a large pack never holds its
/// whole parse tree and all of its entries at once.
pub(super) fn load_all(
    loader: &mut Loader<'_>,
    pack: &PackCx<'_>,
    parsed: &[Parsed<'_>],
    raw: Vec<RawEntries>,
    threads: usize,
) -> Vec<Entry> {
    let firsts = first_uses(parsed, &raw);
    let files: Vec<FileWork<'_>> = parsed
        .iter()
        .zip(raw)
        .zip(firsts)
        .map(|(((ctx, _), raw), firsts)| (ctx, Mutex::new(raw), firsts))
        .collect();
    let opts = loader.opts;
    let done = crate::parallel::map_in_order(&files, threads, |(ctx, raw, firsts)| {
        let mut own = Loader {
            errors: Vec::new(),
            opts,
        };
        // each file is taken by one worker, once
        let raw = std::mem::take(&mut *raw.lock().unwrap_or_else(|e| e.into_inner()));
        let entries: Vec<Entry> = raw
            .iter()
            .zip(firsts.iter())
            .filter_map(|(e, first)| load_entry(&mut own, pack, ctx, e.get_ref(), first.as_ref()))
            .collect();
        (entries, own.errors)
    });
    let mut entries = Vec::with_capacity(done.iter().map(|(e, _)| e.len()).sum());
    for (file_entries, errors) in done {
        entries.extend(file_entries);
        loader.errors.extend(errors);
    }
    entries
}

/// The raw entries of one file.
pub(super) type RawEntries = Vec<Spanned<RawEntry>>;

/// One file's share of [`load_all`]: the file, its raw entries (taken by the worker that
/// loads them) and where each entry's id was first used.
type FileWork<'a> = (&'a FileCtx<'a>, Mutex<RawEntries>, Vec<Option<Location>>);

/// Takes the raw entries out of each parsed file, in file order.
pub(super) fn take_raw(parsed: &mut [Parsed<'_>]) -> Vec<RawEntries> {
    parsed
        .iter_mut()
        .map(|(_, raw)| std::mem::take(&mut raw.entries))
        .collect()
}

/// For each entry of each file, in file order: where its id was first used, when an
/// earlier entry has it (a duplicate names that place).
fn first_uses(parsed: &[Parsed<'_>], raw: &[RawEntries]) -> Vec<Vec<Option<Location>>> {
    let mut seen: BTreeMap<&str, Location> = BTreeMap::new();
    parsed
        .iter()
        .zip(raw)
        .map(|((ctx, _), raw)| {
            raw.iter()
                .map(|e| {
                    let id = e.get_ref().id.get_ref().as_str();
                    match seen.get(id) {
                        Some(first) => Some(first.clone()),
                        None => {
                            seen.insert(id, ctx.location(e.get_ref().id.span().start));
                            None
                        }
                    }
                })
                .collect()
        })
        .collect()
}

/// Reports an id that breaks [`ID_RULE`].
fn check_id_rule(
    loader: &mut Loader<'_>,
    ctx: &FileCtx<'_>,
    id: &Spanned<String>,
    what: &str,
    entry: &str,
) {
    if !is_valid_id(id.get_ref()) {
        loader.errors.push(ctx.error(
            PackErrorKind::InvalidValue,
            id.span(),
            format!("{what} id `{}` is not valid", id.get_ref()),
            ID_RULE,
            Some(entry),
        ));
    }
}

/// The id of a signature, symptom or cause: valid, and unique within its entry.
fn check_id(
    loader: &mut Loader<'_>,
    cx: &EntryCx<'_, '_>,
    id: &Spanned<String>,
    what: &str,
    seen: &mut BTreeSet<String>,
) {
    check_id_rule(loader, cx.ctx, id, what, &cx.full);
    if !seen.insert(id.get_ref().clone()) {
        loader.errors.push(cx.ctx.error(
            PackErrorKind::DuplicateId,
            id.span(),
            format!("{what} id `{}` is used twice", id.get_ref()),
            format!("give each {what} its own id"),
            Some(&cx.full),
        ));
    }
}

/// The entry's own keys: id (valid, unique in the pack), title, something to match on.
fn check_head(
    loader: &mut Loader<'_>,
    cx: &EntryCx<'_, '_>,
    e: &RawEntry,
    first: Option<&Location>,
) {
    let (ctx, full) = (cx.ctx, cx.full.as_str());
    let local = e.id.get_ref();
    check_id_rule(loader, ctx, &e.id, "entry", full);
    if let Some(prev) = first {
        loader.errors.push(ctx.error(
            PackErrorKind::DuplicateId,
            e.id.span(),
            format!(
                "entry id `{local}` is used twice (first at {}:{})",
                prev.path, prev.line
            ),
            "give each entry its own id",
            Some(full),
        ));
    }
    if e.title.get_ref().trim().is_empty() {
        loader.errors.push(ctx.error(
            PackErrorKind::InvalidValue,
            e.title.span(),
            "entry title is empty",
            "write a one-line title",
            Some(full),
        ));
    }
    if e.signatures.is_empty() && e.keywords.is_empty() && e.aliases.is_empty() {
        loader.errors.push(ctx.error(
            PackErrorKind::Unmatchable,
            e.id.span(),
            format!("entry `{local}` has neither signatures nor keywords, so nothing can match it"),
            "add [[entries.signatures]] with the error text, or keywords = [...]",
            Some(full),
        ));
    }
}

fn load_entry(
    loader: &mut Loader<'_>,
    pack: &PackCx<'_>,
    ctx: &FileCtx<'_>,
    e: &RawEntry,
    first: Option<&Location>,
) -> Option<Entry> {
    let local = e.id.get_ref().clone();
    let cx = EntryCx {
        pack,
        ctx,
        full: format!("{}/{local}", pack.pack_id),
    };
    let before = loader.errors.len();
    check_head(loader, &cx, e, first);
    let signatures = signatures(loader, &cx, &e.signatures);
    let symptoms = symptoms(loader, &cx, &e.symptoms);
    let causes = causes(loader, &cx, &e.causes);
    let updated = date_value(loader, &cx, &e.updated, "updated");
    let valid_until = date_value(loader, &cx, &e.valid_until, "valid_until");
    if loader.errors.len() > before {
        return None;
    }
    Some(Entry {
        id: cx.full,
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
        location: ctx.location(e.id.span().start),
    })
}

/// Signatures, compiled; their named captures must be declared facts.
fn signatures(
    loader: &mut Loader<'_>,
    cx: &EntryCx<'_, '_>,
    raw: &[Spanned<RawSignature>],
) -> Vec<Signature> {
    let mut ids = BTreeSet::new();
    // exact capacity: a pack holds tens of thousands of these short lists
    let mut out = Vec::with_capacity(raw.len());
    for s in raw {
        let s = s.get_ref();
        check_id(loader, cx, &s.id, "signature", &mut ids);
        let Some(re) = loader.compile_regex(cx.ctx, &s.pattern, Some(&cx.full)) else {
            continue;
        };
        for name in re.capture_names() {
            let off = s.pattern.get_ref().find(&format!("<{name}>")).unwrap_or(0);
            let at = cx.ctx.inside(&s.pattern.span(), off);
            let span = at..at + name.len() + 2;
            let facts = cx.pack.facts;
            loader.undeclared_fact(cx.ctx, span, name, facts, Namer::Capture, Some(&cx.full));
        }
        out.push(Signature {
            id: s.id.get_ref().clone(),
            pattern: s.pattern.get_ref().clone(),
            literals: pattern_literals(s.pattern.get_ref()),
            regex: Arc::new(re),
            description: s.description.clone(),
            location: cx.ctx.location(s.pattern.span().start),
        });
    }
    out
}

/// Symptoms, their checks compiled.
fn symptoms(
    loader: &mut Loader<'_>,
    cx: &EntryCx<'_, '_>,
    raw: &[Spanned<RawSymptom>],
) -> Vec<Symptom> {
    let mut ids = BTreeSet::new();
    // exact capacity: a pack holds tens of thousands of these short lists
    let mut out = Vec::with_capacity(raw.len());
    for s in raw {
        let s = s.get_ref();
        check_id(loader, cx, &s.id, "symptom", &mut ids);
        let (se, facts) = (cx.pack.se, cx.pack.facts);
        if let Some(check) = loader.compile_script(se, cx.ctx, &s.check, facts, &cx.full) {
            out.push(Symptom {
                id: s.id.get_ref().clone(),
                description: s.description.clone(),
                check,
                defining: s.defining,
            });
        }
    }
    out
}

/// Causes, their checks (if any) compiled.
fn causes(loader: &mut Loader<'_>, cx: &EntryCx<'_, '_>, raw: &[Spanned<RawCause>]) -> Vec<Cause> {
    let mut ids = BTreeSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for c in raw {
        let c = c.get_ref();
        check_id(loader, cx, &c.id, "cause", &mut ids);
        let (se, facts) = (cx.pack.se, cx.pack.facts);
        let check = match &c.check {
            Some(src) => loader.compile_script(se, cx.ctx, src, facts, &cx.full),
            None => None,
        };
        let likelihood = likelihood(loader, cx, c.likelihood.as_ref());
        out.push(Cause {
            likelihood,
            id: c.id.get_ref().clone(),
            title: c.title.clone(),
            explanation: c.explanation.clone(),
            remedy: c.remedy.clone(),
            references: convert_refs(&c.references),
            check,
            location: cx.ctx.location(c.id.span().start),
        });
    }
    out
}

/// A cause's `likelihood`: a number in (0, 1].
fn likelihood(
    loader: &mut Loader<'_>,
    cx: &EntryCx<'_, '_>,
    raw: Option<&Spanned<f64>>,
) -> Option<f32> {
    let l = raw?;
    let v = *l.get_ref();
    if v > 0.0 && v <= 1.0 {
        return Some(v as f32);
    }
    loader.errors.push(cx.ctx.error(
        PackErrorKind::InvalidValue,
        l.span(),
        format!("likelihood {v} is outside (0, 1]"),
        "give a number above 0 and at most 1, e.g. likelihood = 0.6",
        Some(&cx.full),
    ));
    None
}

/// A date key (`updated`, `valid_until`): a TOML date or a `YYYY-MM-DD` string.
fn date_value(
    loader: &mut Loader<'_>,
    cx: &EntryCx<'_, '_>,
    v: &Option<Spanned<toml::Value>>,
    key: &str,
) -> Option<String> {
    let v = v.as_ref()?;
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        _ => String::new(),
    };
    if is_date(&text) {
        return Some(text);
    }
    loader.errors.push(cx.ctx.error(
        PackErrorKind::InvalidValue,
        v.span(),
        format!("`{key}` must be a date YYYY-MM-DD"),
        format!("write e.g. {key} = \"2026-12-31\""),
        Some(&cx.full),
    ));
    None
}

fn convert_refs(refs: &[RawReference]) -> Vec<Reference> {
    refs.iter()
        .map(|r| Reference {
            title: r.title.clone(),
            url: r.url.clone(),
        })
        .collect()
}
