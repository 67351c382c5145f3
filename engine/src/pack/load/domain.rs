//! What a pack says about its domain and its facts beyond the entries: the products and
//! vendors it covers with its own words (`[domain]`, `[synonyms]`), and the facts whose values
//! imply other facts (`[[implications]]`). Each is checked against the fact declarations.

use std::collections::BTreeMap;

use super::span::FileCtx;
use super::{Loader, Parsed};
use crate::error::PackErrorKind;
use crate::facts::{FactDecl, FactValue};
use crate::pack::raw::RawFile;
use crate::pack::{Domain, Implication};

/// `[[implications]]` of every file: every fact declared, every value of its type.
pub(super) fn implications(
    loader: &mut Loader<'_>,
    parsed: &[Parsed<'_>],
    facts: &BTreeMap<String, FactDecl>,
) -> Vec<Implication> {
    let mut out = Vec::new();
    for (ctx, raw) in parsed {
        for imp in &raw.implications {
            let mut sides: [Vec<(String, FactValue)>; 2] = [Vec::new(), Vec::new()];
            let mut ok = true;
            for (side, map) in [&imp.get_ref().when, &imp.get_ref().then]
                .into_iter()
                .enumerate()
            {
                for (name, v) in map {
                    match typed(facts, name, v) {
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
                out.push(Implication { when, then });
            }
        }
    }
    out
}

/// A value of an implication, typed by the fact's declaration.
fn typed(
    facts: &BTreeMap<String, FactDecl>,
    name: &str,
    v: &toml::Value,
) -> Result<FactValue, String> {
    match (facts.get(name), FactValue::from_toml(v)) {
        (None, _) => Err(format!(
            "implication names fact `{name}`, which the pack does not declare"
        )),
        (Some(_), None) => Err(format!(
            "fact `{name}`: use a bool, number, string or list of strings"
        )),
        (Some(d), Some(fv)) => d.check(fv).map_err(|e| e.to_string()),
    }
}

/// The manifest's `[domain]`; the facts it names must be declared.
pub(super) fn domain(
    loader: &mut Loader<'_>,
    mctx: &FileCtx<'_>,
    manifest: &RawFile,
    facts: &BTreeMap<String, FactDecl>,
) -> Domain {
    let Some(d) = manifest.domain.as_ref() else {
        return Domain::default();
    };
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
}

/// The manifest's `[synonyms]`: one-word short forms and what they stand for.
pub(super) fn synonyms(
    loader: &mut Loader<'_>,
    mctx: &FileCtx<'_>,
    manifest: &RawFile,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(syn) = &manifest.synonyms else {
        return out;
    };
    for (short, long) in syn.get_ref() {
        if short.trim().is_empty() || long.trim().is_empty() || short.contains(char::is_whitespace)
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
        out.push((short.trim().to_owned(), long.trim().to_owned()));
    }
    out
}
