//! The manifest (`pack.toml`): format, id, name, versions and script limits; and the manifest
//! keys written in another file, which are refused rather than silently ignored.

use toml::Spanned;

use super::names::{is_valid_id, ID_RULE};
use super::span::FileCtx;
use super::{Loader, Parsed};
use crate::error::PackErrorKind;
use crate::pack::raw::RawFile;
use crate::pack::FORMAT_VERSION;
use crate::script::ScriptEngine;

/// Where an error about a missing manifest key points: the start of `pack.toml`.
const FILE_START: std::ops::Range<usize> = 0..0;

/// Checks the manifest; returns the pack id (`?` when it is missing or invalid).
pub(super) fn check(loader: &mut Loader<'_>, mctx: &FileCtx<'_>, manifest: &RawFile) -> String {
    check_format(loader, mctx, manifest);
    let pack_id = check_id(loader, mctx, manifest);
    check_versions(loader, mctx, manifest);
    check_min_engine(loader, mctx, manifest);
    pack_id
}

/// `format`: present, and the one this engine reads.
fn check_format(loader: &mut Loader<'_>, mctx: &FileCtx<'_>, manifest: &RawFile) {
    match &manifest.format {
        None => loader.errors.push(mctx.error(
            PackErrorKind::UnsupportedFormat,
            FILE_START,
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
}

/// `id`: present and valid.
fn check_id(loader: &mut Loader<'_>, mctx: &FileCtx<'_>, manifest: &RawFile) -> String {
    let mut pack_id = String::from("?");
    match &manifest.id {
        None => loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            FILE_START,
            "missing `id`",
            "add `id = \"my-pack\"` (lowercase letters, digits, '-')",
            None,
        )),
        Some(id) if !is_valid_id(id.get_ref()) => loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            id.span(),
            format!("pack id `{}` is not valid", id.get_ref()),
            ID_RULE,
            None,
        )),
        Some(id) => pack_id = id.get_ref().clone(),
    }
    pack_id
}

/// `name` and `version`.
fn check_versions(loader: &mut Loader<'_>, mctx: &FileCtx<'_>, manifest: &RawFile) {
    if manifest.name.is_none() {
        loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            FILE_START,
            "missing `name`",
            "add `name = \"Human readable name\"`",
            None,
        ));
    }
    match &manifest.version {
        None => loader.errors.push(mctx.error(
            PackErrorKind::InvalidValue,
            FILE_START,
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
}

/// `min_engine_version`: semver, and not newer than this engine.
fn check_min_engine(loader: &mut Loader<'_>, mctx: &FileCtx<'_>, manifest: &RawFile) {
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
}

/// Manifest keys outside `pack.toml` are errors.
pub(super) fn keys_elsewhere(loader: &mut Loader<'_>, parsed: &[Parsed<'_>]) {
    for (ctx, raw) in parsed {
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
}

/// The pack's script engine: its `[limits]` over the application's defaults, capped by the
/// application's ceiling.
pub(super) fn script_engine(loader: &Loader<'_>, manifest: &RawFile) -> ScriptEngine {
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
    ScriptEngine::new(limits.capped(&loader.opts.ceiling))
}
