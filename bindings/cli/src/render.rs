//! Human-readable output: plain text, coloured on a terminal unless `NO_COLOR` is set.

use std::io::{IsTerminal, Write};

use fixbook::{Diagnosis, EntryInfo, Explanation, PackInfo, Verdict};

/// When to colour (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Colours on or off.
pub struct Style {
    color: bool,
}

impl Style {
    /// The style for `when` (auto: on when standard output is a terminal and `NO_COLOR` is
    /// unset or empty).
    pub fn new(when: ColorChoice) -> Style {
        let color = match when {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Style { color }
    }

    /// No colour (for tests and files).
    #[cfg(test)]
    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Dim.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    /// Green.
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Red.
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    /// Yellow.
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    /// Cyan.
    pub fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }

    /// A verdict, coloured.
    pub fn verdict(&self, v: Verdict) -> String {
        match v {
            Verdict::Confirmed => self.green("confirmed"),
            Verdict::RuledOut => self.dim("ruled out"),
            Verdict::Unknown => self.yellow("unknown"),
            Verdict::Error => self.red("error"),
        }
    }
}

/// Prints a diagnosis; `detailed` shows every cause and all questions.
pub fn diagnosis(out: &mut dyn Write, s: &Style, d: &Diagnosis, detailed: bool) {
    for n in &d.notes {
        w!(out, "{}", s.dim(&format!("note: {n}")));
    }
    if d.matches.is_empty() {
        w!(out, "No known problem matches this text.");
        return;
    }
    for (i, m) in d.matches.iter().enumerate() {
        w!(
            out,
            "{}. {}  {}",
            i + 1,
            s.bold(&m.title),
            s.dim(&format!(
                "[{}]  confidence {:.0}%",
                m.id,
                m.confidence * 100.0
            ))
        );
        for sig in &m.evidence.signatures {
            w!(out, "   {} {} \"{}\"", s.dim("matched"), sig.id, sig.text);
        }
        if m.evidence.signatures.is_empty() && !m.evidence.terms.is_empty() {
            w!(out, "   {} {}", s.dim("words"), m.evidence.terms.join(", "));
        }
        for (k, v) in &m.evidence.facts {
            w!(out, "   {} {k} = {v}", s.dim("fact"));
        }
        let shown: Vec<_> = if detailed || i == 0 {
            m.causes.iter().collect()
        } else {
            m.causes
                .iter()
                .filter(|c| c.verdict == Verdict::Confirmed)
                .collect()
        };
        if detailed && !m.evidence.symptoms.is_empty() {
            w!(out, "   {}", s.cyan("symptoms"));
            for sy in &m.evidence.symptoms {
                let what = if sy.description.is_empty() {
                    &sy.id
                } else {
                    &sy.description
                };
                w!(out, "     - {what} [{}]", s.verdict(sy.verdict));
            }
        }
        if !shown.is_empty() {
            w!(out, "   {}", s.cyan("causes"));
            for c in shown {
                w!(out, "     - {} [{}]", c.title, s.verdict(c.verdict));
                if let Some(e) = &c.error {
                    w!(out, "       {}", s.red(e));
                }
            }
        }
        if i == 0 || detailed {
            if !m.remedy.is_empty() {
                w!(out, "   {}", s.cyan("fix"));
                for (n, step) in m.remedy.iter().enumerate() {
                    w!(out, "     {}. {step}", n + 1);
                }
            }
            for r in m.references.iter().take(2) {
                let url = r.url.as_deref().unwrap_or("");
                w!(out, "   {} {} {}", s.dim("see"), r.title, s.dim(url));
            }
        }
    }
    if let Some(t) = &d.trace {
        w!(out, "\n{}", s.cyan("trace"));
        let normalized: String = t.normalized.chars().take(200).collect();
        w!(out, "  normalised: {normalized}");
        w!(out, "  terms: {}", t.terms.join(", "));
        for r in &t.rewrites {
            w!(out, "  read as: {r}");
        }
        for c in &t.context {
            w!(out, "  context: {c}");
        }
        for c in &t.candidates {
            let mark = if c.accepted { s.green("+") } else { s.dim("-") };
            w!(out, "  {mark} {} score {:.2}: {}", c.id, c.score, c.reason);
            if !c.signatures.is_empty() {
                w!(out, "      signatures: {}", c.signatures.join(", "));
            }
            if !c.terms.is_empty() {
                w!(
                    out,
                    "      terms: {} (weight {:.2}, coverage {:.0}%, {} phrase(s))",
                    c.terms.join(", "),
                    c.weight,
                    c.coverage * 100.0,
                    c.phrases
                );
            }
            for k in &c.checks {
                let read = if k.facts_read.is_empty() {
                    "nothing".to_owned()
                } else {
                    k.facts_read.join(", ")
                };
                let why = k
                    .why
                    .as_ref()
                    .map(|w| format!(" - {w}"))
                    .unwrap_or_default();
                w!(
                    out,
                    "      {} [{}] read: {read}{why}",
                    k.id,
                    s.verdict(k.verdict)
                );
            }
            for n in &c.notes {
                w!(out, "      note: {n}");
            }
        }
        if !t.questions.is_empty() {
            w!(out, "  questions, by expected information:");
            for q in &t.questions {
                w!(out, "    {q}");
            }
        }
    }
    let qs: Vec<_> = d
        .questions
        .iter()
        .take(if detailed { 5 } else { 2 })
        .collect();
    if !qs.is_empty() {
        w!(out, "\n{}", s.cyan("ask next"));
        for q in qs {
            let choices = if q.choices.is_empty() {
                String::new()
            } else {
                format!(" [{}]", q.choices.join(" / "))
            };
            w!(
                out,
                "  - {}{}  {}",
                q.text,
                choices,
                s.dim(&format!("(--fact {}=…)", q.fact))
            );
        }
    }
}

/// One line of interactive progress.
pub fn diagnosis_brief(s: &Style, d: &Diagnosis) {
    let tops: Vec<String> = d
        .matches
        .iter()
        .take(3)
        .map(|m| format!("{} {:.0}%", m.id, m.confidence * 100.0))
        .collect();
    eprintln!("{} {}", s.dim("now:"), tops.join(", "));
}

/// One matching line of `scan`.
pub fn scan_line(out: &mut dyn Write, s: &Style, line: u64, d: &Diagnosis) {
    let ids: Vec<String> = d
        .matches
        .iter()
        .map(|m| format!("{} ({:.2})", m.id, m.score))
        .collect();
    w!(out, "{}: {}", s.dim(&line.to_string()), ids.join(", "));
}

/// The `packs` listing.
pub fn packs(out: &mut dyn Write, s: &Style, packs: &[PackInfo]) {
    if packs.is_empty() {
        w!(out, "No packs loaded.");
    }
    for p in packs {
        w!(
            out,
            "{} {}  {} entries  {}",
            s.bold(&p.id),
            p.version,
            p.entries,
            s.dim(&format!("from {}", origin(&p.origin)))
        );
        w!(out, "    {}", p.name);
    }
}

fn origin(o: &fixbook::pack::Origin) -> String {
    o.to_string()
}

/// The `show` view of one entry.
pub fn entry(out: &mut dyn Write, s: &Style, e: &EntryInfo) {
    w!(
        out,
        "{}  {}",
        s.bold(&e.title),
        s.dim(&format!("[{}]", e.id))
    );
    w!(
        out,
        "{}",
        s.dim(&format!("{}:{}", e.location.path, e.location.line))
    );
    if !e.summary.is_empty() {
        w!(out, "\n{}", e.summary);
    }
    if !e.signatures.is_empty() {
        w!(out, "\n{}", s.cyan("signatures"));
        for sig in &e.signatures {
            w!(out, "  {}  {}", sig.id, sig.pattern);
        }
    }
    if !e.keywords.is_empty() {
        w!(out, "\n{} {}", s.cyan("keywords"), e.keywords.join(", "));
    }
    if !e.causes.is_empty() {
        w!(out, "\n{}", s.cyan("causes"));
        for c in &e.causes {
            w!(out, "  {}: {}", c.id, c.title);
            if let Some(k) = &c.check {
                w!(out, "    {}", s.dim(&format!("check: {k}")));
            }
        }
    }
    if !e.facts.is_empty() {
        w!(out, "\n{}", s.cyan("facts"));
        for f in &e.facts {
            let vals = if f.values.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.values.join(" | "))
            };
            w!(out, "  {} [{}{}]: {}", f.name, f.ty, vals, f.question);
        }
    }
    if !e.remedy.is_empty() {
        w!(out, "\n{}", s.cyan("fix"));
        for (i, r) in e.remedy.iter().enumerate() {
            w!(out, "  {}. {r}", i + 1);
        }
    }
    for p in &e.where_to_look {
        w!(
            out,
            "{} {}{}{}",
            s.dim("look in"),
            p.place,
            p.event
                .as_ref()
                .map(|e| format!(": event {e}"))
                .unwrap_or_default(),
            p.hint
                .as_ref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        );
    }
    for r in &e.references {
        w!(
            out,
            "{} {} {}",
            s.dim("see"),
            r.title,
            s.dim(r.url.as_deref().unwrap_or(""))
        );
    }
}

/// The `explain` view: why an entry matched or not.
pub fn explain(out: &mut dyn Write, s: &Style, x: &Explanation) {
    let id = &x.id;
    match x.rank {
        Some(r) => w!(out, "{} matched at rank {}", s.bold(id), r),
        None => w!(out, "{} did not match", s.bold(id)),
    }
    if let Some(t) = &x.terms {
        w!(out, "{} {}", s.dim("search terms:"), t.join(", "));
    }
    let Some(c) = &x.candidate else {
        w!(out, "  not a candidate: no signature matched and none of the search terms occurs in the entry");
        return;
    };
    w!(
        out,
        "  score {:.2} (full-text {:.2}): {}",
        c.score,
        c.text_score,
        c.reason
    );
    if let Some(p) = &c.prior {
        w!(
            out,
            "  resolution history: {} (included in the score)",
            p.note
        );
    }
    if c.signatures.is_empty() {
        w!(out, "  signatures: none matched");
    } else {
        w!(out, "  signatures matched: {}", c.signatures.join(", "));
    }
    w!(
        out,
        "  terms that hit: {}",
        if c.terms.is_empty() {
            "none".into()
        } else {
            c.terms.join(", ")
        }
    );
    for k in &c.checks {
        w!(
            out,
            "  {} [{}] read: {}{}",
            k.id,
            s.verdict(k.verdict),
            if k.facts_read.is_empty() {
                "nothing".into()
            } else {
                k.facts_read.join(", ")
            },
            k.why
                .as_ref()
                .map(|w| format!(" — {w}"))
                .unwrap_or_default()
        );
    }
    for n in &c.notes {
        w!(out, "  note: {n}");
    }
    if !x.questions.is_empty() {
        w!(out, "  questions, by expected information:");
        for q in &x.questions {
            w!(
                out,
                "    {} {:.3} bit(s), decides {} check(s)",
                q.fact,
                q.information,
                q.decides
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn rendered(f: impl FnOnce(&mut dyn Write)) -> String {
        let mut buf: Vec<u8> = Vec::new();
        f(&mut buf);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn a_diagnosis_renders_its_top_match_fix_and_notes() {
        let engine = fixbook::Engine::embedded().unwrap();
        let d = engine.search_bytes(b"Session token not found or invalid \xff", 3);
        let text = rendered(|out| diagnosis(out, &Style::plain(), &d, false));
        assert!(
            text.starts_with("note: input was not valid UTF-8"),
            "{text}"
        );
        assert!(
            text.contains("1. ")
                && text.contains("[aws-iam-identity-center/session-token-invalid]"),
            "{text}"
        );
        assert!(text.contains("   fix\n"), "{text}");
        assert!(!text.contains('\x1b'), "plain style has no colour: {text}");
    }

    #[test]
    fn no_match_says_so() {
        let text = rendered(|out| diagnosis(out, &Style::plain(), &Diagnosis::default(), true));
        assert_eq!(text, "No known problem matches this text.\n");
    }

    #[test]
    fn explain_names_the_rank_or_the_miss() {
        let engine = fixbook::Engine::embedded().unwrap();
        let q = fixbook::Query::new("Session token not found or invalid");
        let x = engine
            .explain("aws-iam-identity-center/session-token-invalid", &q)
            .unwrap();
        let text = rendered(|out| explain(out, &Style::plain(), &x));
        assert!(text.contains("matched at rank 1"), "{text}");
        let x = engine
            .explain("aws-iam-identity-center/protected-role", &q)
            .unwrap();
        let text = rendered(|out| explain(out, &Style::plain(), &x));
        assert!(text.contains("did not match"), "{text}");
    }

    #[test]
    fn explain_shows_each_question_with_its_score() {
        let engine = fixbook::Engine::embedded().unwrap();
        let q = fixbook::Query::new("An unexpected error has occurred at sign-in via Okta");
        let x = engine
            .explain("aws-iam-identity-center/external-idp-unexpected-error", &q)
            .unwrap();
        let first = &x.questions[0];
        let text = rendered(|out| explain(out, &Style::plain(), &x));
        assert!(
            text.contains("questions, by expected information:"),
            "{text}"
        );
        let line = format!("    {} {:.3} bit(s)", first.fact, first.information);
        assert!(text.contains(&line), "{text}");
    }

    #[test]
    fn a_scan_line_lists_ids_with_scores() {
        let engine = fixbook::Engine::embedded().unwrap();
        let d = engine.search("Session token not found or invalid", 1);
        let text = rendered(|out| scan_line(out, &Style::plain(), 7, &d));
        assert!(
            text.starts_with("7: aws-iam-identity-center/session-token-invalid ("),
            "{text}"
        );
    }

    #[test]
    fn colour_always_paints() {
        let s = Style::new(ColorChoice::Always);
        assert_eq!(s.bold("x"), "\x1b[1mx\x1b[0m");
        assert_eq!(Style::new(ColorChoice::Never).bold("x"), "x");
    }
}
