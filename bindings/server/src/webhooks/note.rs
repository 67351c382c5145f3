//! The internal note written on a ticket: the best match's title and id, confidence, the
//! cause verdicts, numbered remedy steps and the best question to ask the customer. Plain
//! text (vendors whose notes are HTML get it converted by their adapter).
//!
//! A source may set its own `template`; placeholders are `{title}`, `{id}`, `{confidence}`
//! (`96%`), `{summary}`, `{causes}` (one `- title [verdict]` line each), `{remedy}`
//! (`1. …` lines), `{question}`, `{source}` and `{ticket}`. A template must name `{id}`: the
//! note is how an agent (and the resolution feedback) knows which entry was suggested.

use fixbook::{Diagnosis, Match, Verdict};

use super::TicketRef;

/// The template used when a source sets none.
pub const DEFAULT_TEMPLATE: &str = "fixbook: {title} [{id}]
Confidence: {confidence}

Causes:
{causes}

Fix:
{remedy}

Ask the customer: {question}";

const PLACEHOLDERS: [&str; 9] = [
    "title",
    "id",
    "confidence",
    "summary",
    "causes",
    "remedy",
    "question",
    "source",
    "ticket",
];

/// Checks a template: known placeholders only, `{id}` among them.
pub fn check_template(t: &str) -> Result<(), String> {
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("a `{` is not closed".into());
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}} (known: {})",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    if !t.contains("{id}") {
        return Err("the template must contain {id} (the note names the entry)".into());
    }
    Ok(())
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Confirmed => "confirmed",
        Verdict::RuledOut => "ruled out",
        Verdict::Unknown => "unknown",
        Verdict::Error => "error",
    }
}

/// The best match worth a note: the first, when its confidence reaches `min_confidence`.
pub fn best(d: &Diagnosis, min_confidence: f32) -> Option<&Match> {
    d.matches.first().filter(|m| m.confidence >= min_confidence)
}

/// The note for the best match of `d`; `None` when nothing matched well enough.
pub fn render(
    d: &Diagnosis,
    template: Option<&str>,
    min_confidence: f32,
    source: &str,
    ticket: &TicketRef,
) -> Option<String> {
    let m = best(d, min_confidence)?;
    let causes = if m.causes.is_empty() {
        "- (none listed)".to_owned()
    } else {
        m.causes
            .iter()
            .map(|c| format!("- {} [{}]", c.title, verdict_name(c.verdict)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let remedy = m
        .remedy
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{}. {r}", i + 1))
        .collect::<Vec<_>>()
        .join("\n");
    let question = m
        .questions
        .first()
        .or(d.questions.first())
        .map_or("nothing more is needed to decide the causes", |q| {
            q.text.as_str()
        });
    let confidence = format!("{:.0}%", m.confidence * 100.0);
    let key = ticket.key();
    let values: [(&str, &str); 9] = [
        ("title", &m.title),
        ("id", &m.id),
        ("confidence", &confidence),
        ("summary", &m.summary),
        ("causes", &causes),
        ("remedy", &remedy),
        ("question", question),
        ("source", source),
        ("ticket", &key),
    ];
    Some(fill(template.unwrap_or(DEFAULT_TEMPLATE), &values))
}

/// Replaces each `{name}` once, left to right (a value holding braces is not re-read).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|c| {
            values
                .iter()
                .find(|(k, _)| *k == &after[..c])
                .map(|v| (c, v.1))
        }) {
            Some((close, v)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The entry a fixbook note names: the first of `entry_ids` found in a text that mentions
/// fixbook (so a note made by any template is recognised while its entry exists).
pub fn noted_entry<'a>(text: &str, entry_ids: &'a [String]) -> Option<&'a String> {
    if !text.contains("fixbook") {
        return None;
    }
    entry_ids
        .iter()
        .filter_map(|id| text.find(id.as_str()).map(|at| (at, id)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_checked() {
        assert!(check_template(DEFAULT_TEMPLATE).is_ok());
        assert!(check_template("{title}").unwrap_err().contains("{id}"));
        assert!(check_template("{id} {titel}")
            .unwrap_err()
            .contains("unknown placeholder {titel}"));
        assert!(check_template("{id} {").is_err());
    }

    #[test]
    fn the_note_names_the_entry_and_numbers_the_steps() {
        let engine = fixbook::Engine::embedded().unwrap();
        let d = engine
            .diagnose(&fixbook::Query::new("Session token not found or invalid"))
            .unwrap();
        let t = TicketRef::new("7");
        let note = render(&d, None, 0.0, "zendesk", &t).unwrap();
        let m = &d.matches[0];
        assert!(
            note.starts_with(&format!("fixbook: {} [{}]", m.title, m.id)),
            "{note}"
        );
        assert!(note.contains(&format!("1. {}", m.remedy[0])), "{note}");
        assert!(note.contains("[unknown]"), "{note}");
        let ids = engine.entry_ids();
        assert_eq!(noted_entry(&note, &ids), Some(&m.id));
        let custom = render(&d, Some("{ticket}: {id} {confidence}"), 0.0, "x", &t).unwrap();
        assert_eq!(custom, format!("7: {} {:.0}%", m.id, m.confidence * 100.0));
        assert_eq!(render(&d, None, 1.01, "x", &t), None);
        let none = engine
            .diagnose(&fixbook::Query::new(
                "the printer on floor 3 jams on every page",
            ))
            .unwrap();
        assert_eq!(render(&none, None, 0.0, "x", &t), None);
    }
}
