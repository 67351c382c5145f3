//! Drafting a pack from content gaps: one draft entry per template, whose signature is
//! made from the template and whose tests are made from its examples.
//!
//! The pack is a starting point for an author: entries are `status = "draft"` (they match
//! only when drafts are asked for, as in `fixbook test` and `fixbook diagnose --drafts`),
//! titles and summaries say what to write. It passes `fixbook lint` and `fixbook test` as
//! written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::gaps::{Gap, WILDCARD};
use crate::error::{Error, Result};

/// What [`draft`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drafted {
    /// The pack's folder.
    pub dir: PathBuf,
    /// The pack id.
    pub pack: String,
    /// Entry ids written, with the template each comes from.
    pub entries: Vec<(String, String)>,
    /// Templates left out, with why (e.g. nothing but placeholders to match on).
    pub skipped: Vec<(String, String)>,
}

/// A stand-in value for each placeholder, used to turn a masked example into a test text.
fn sample(name: &str) -> Option<&'static str> {
    Some(match name {
        "email" => "user@example.com",
        "url" => "https://example.com/path",
        "ip" => "192.0.2.10",
        "arn" => "arn:aws:iam::123456789012:role/Example",
        "uuid" => "3f2b8c1e-9d4a-4e6b-8f0c-1a2b3c4d5e6f",
        "timestamp" => "2026-01-01T00:00:00Z",
        "hex" => "0a1b2c3d4e5f",
        "number" => "1234567",
        "id" => "abc123def456",
        _ => return None,
    })
}

/// Splits a token into literal text and `{placeholder}`s.
fn segments(token: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = token;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        if sample(name).is_none() {
            out.push((false, &rest[..open + close + 1]));
            rest = &rest[open + close + 1..];
            continue;
        }
        if open > 0 {
            out.push((false, &rest[..open]));
        }
        out.push((true, name));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

/// The signature pattern for a template: its words literally, placeholders as the engine's
/// `{placeholder}`s (`{id}` as a run of letters and digits), `<*>` as one token.
pub fn pattern_for(template: &str) -> String {
    let mut out = String::new();
    for (i, token) in template.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if token == WILDCARD {
            out.push_str(r"\S+");
            continue;
        }
        for (param, s) in segments(token) {
            match (param, s) {
                (true, "id") => out.push_str("[A-Za-z0-9]+"),
                (true, name) => {
                    let _ = write!(out, "{{{name}}}");
                }
                (false, lit) => out.push_str(&regex::escape(lit)),
            }
        }
    }
    out
}

/// Whether a template has a word to look for (a signature needs a literal of three bytes).
fn has_literal(template: &str) -> bool {
    template.split(' ').any(|t| {
        t != WILDCARD
            && segments(t)
                .iter()
                .any(|(p, s)| !p && s.chars().filter(|c| c.is_alphanumeric()).count() >= 3)
    })
}

/// A masked example with its placeholders replaced by stand-in values.
fn unmask(text: &str) -> String {
    text.split(' ')
        .map(|token| {
            segments(token)
                .into_iter()
                .map(|(p, s)| if p { sample(s).unwrap_or(s) } else { s })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A TOML string for `s`: literal when it can be, basic (escaped) otherwise.
fn toml_str(s: &str) -> String {
    if !s.contains('\'') && !s.chars().any(char::is_control) {
        format!("'{s}'")
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }
}

/// Writes a draft pack for `gaps` into `dir` (which must not hold a pack yet). The pack id
/// is the folder's name (lowercased; other characters become `-`).
pub fn draft(gaps: &[Gap], dir: &Path) -> Result<Drafted> {
    let io = |e: std::io::Error| Error::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    if dir.join("pack.toml").exists() {
        return Err(Error::Query(format!(
            "{} already holds a pack; give a new folder for the draft",
            dir.display()
        )));
    }
    let mut pack: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    pack = pack.trim_matches('-').to_owned();
    if pack.is_empty() {
        pack = "gaps".into();
    }
    let mut entries = String::from(
        "# Drafted by `fixbook gaps --draft` from texts that matched nothing.\n\
         # Each entry's signature comes from one template; review it, write the title, summary,\n\
         # causes and remedy, then remove `status = \"draft\"`.\n",
    );
    let mut tests = String::from("# Examples: texts recorded as matching nothing.\n");
    let mut out = Drafted {
        dir: dir.to_path_buf(),
        pack: pack.clone(),
        entries: Vec::new(),
        skipped: Vec::new(),
    };
    for (n, g) in gaps.iter().enumerate() {
        if !has_literal(&g.template) {
            out.skipped.push((
                g.template.clone(),
                "nothing but placeholders: no word for a signature to look for".into(),
            ));
            continue;
        }
        let id = format!("gap-{}", n + 1);
        let pattern = pattern_for(&g.template);
        let _ = write!(
            entries,
            "\n[[entries]]\nid = \"{id}\"\ntitle = {title}\nsummary = {summary}\nstatus = \"draft\"\n\
             remedy = [\"Write the steps that fix this.\"]\n\n  [[entries.signatures]]\n  id = \"template\"\n  pattern = {pattern}\n",
            title = toml_str(&format!("Draft: {}", g.template)),
            summary = toml_str(&format!(
                "Seen {} times from {} to {} with nothing matching. Say what it means.",
                g.count, g.first_seen, g.last_seen
            )),
            pattern = toml_str(&pattern),
        );
        for (k, ex) in g.examples.iter().enumerate() {
            let _ = write!(
                tests,
                "\n[[examples]]\nname = \"{id}: example {}\"\ntext = {}\nexpect = \"{id}\"\n",
                k + 1,
                toml_str(&unmask(ex)),
            );
        }
        out.entries
            .push((format!("{pack}/{id}"), g.template.clone()));
    }
    tests.push_str(
        "\n[[examples]]\nname = \"unrelated text\"\ntext = \"my printer is out of paper\"\nexpect_none = true\n",
    );
    std::fs::create_dir_all(dir.join("entries")).map_err(io)?;
    std::fs::create_dir_all(dir.join("tests")).map_err(io)?;
    std::fs::write(
        dir.join("pack.toml"),
        format!(
            "format = 1\nid = \"{pack}\"\nname = \"{pack}\"\nversion = \"0.1.0\"\n\
             description = \"Drafts for texts that matched nothing (from fixbook gaps).\"\n\
             min_engine_version = \"{}\"\n",
            crate::VERSION
        ),
    )
    .map_err(io)?;
    std::fs::write(dir.join("entries/gaps.toml"), entries).map_err(io)?;
    std::fs::write(dir.join("tests/gaps.toml"), tests).map_err(io)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_keep_words_and_placeholders() {
        assert_eq!(
            pattern_for("sync of d-{hex} failed (job {id}) <*> {email}"),
            r"sync of d\-{hex} failed \(job [A-Za-z0-9]+\) \S+ {email}"
        );
        assert!(!has_literal("{timestamp} <*> {uuid}"));
        assert!(has_literal("{timestamp} disk full"));
        assert_eq!(unmask("to {ip}:"), "to 192.0.2.10:");
    }
}
