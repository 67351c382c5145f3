//! TOML error mapping: serde's messages turned into located errors with a fix.
//!
//! serde stops a file at its first structural error, and words it for Rust types
//! ("unknown field `x`, expected one of ..."); a pack author needs the key, the allowed
//! ones (with the closest as a suggestion) and where it is.

use std::sync::OnceLock;

use regex::Regex;

use super::names::did_you_mean;
use super::span::FileCtx;
use crate::error::{PackError, PackErrorKind};

/// Turns a TOML/serde error into a located [`PackError`] with a fix.
pub(super) fn toml_error(ctx: &FileCtx<'_>, err: &toml::de::Error) -> PackError {
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
