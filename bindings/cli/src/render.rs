//! Human-readable output: plain text, coloured on a terminal unless `NO_COLOR` is set.

use std::io::{IsTerminal, Write};

use fixbook::diagnose::Candidate;
use fixbook::{Diagnosis, EntryInfo, PackInfo, Verdict};

/// Colours on or off.
pub struct Style {
    color: bool,
}

impl Style {
    /// `when`: auto, always or never.
    pub fn new(when: &str) -> Style {
        let color = match when {
            "always" => true,
            "never" => false,
            _ => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Style { color }
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
pub fn diagnosis(s: &Style, d: &Diagnosis, detailed: bool) {
    let mut out = std::io::stdout().lock();
    for n in &d.notes {
        let _ = writeln!(out, "{}", s.dim(&format!("note: {n}")));
    }
    if d.matches.is_empty() {
        let _ = writeln!(out, "No known problem matches this text.");
        return;
    }
    for (i, m) in d.matches.iter().enumerate() {
        let _ = writeln!(
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
            let _ = writeln!(out, "   {} {} \"{}\"", s.dim("matched"), sig.id, sig.text);
        }
        if m.evidence.signatures.is_empty() && !m.evidence.terms.is_empty() {
            let _ = writeln!(out, "   {} {}", s.dim("words"), m.evidence.terms.join(", "));
        }
        for (k, v) in &m.evidence.facts {
            let _ = writeln!(out, "   {} {k} = {v}", s.dim("fact"));
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
            let _ = writeln!(out, "   {}", s.cyan("symptoms"));
            for sy in &m.evidence.symptoms {
                let what = if sy.description.is_empty() {
                    &sy.id
                } else {
                    &sy.description
                };
                let _ = writeln!(out, "     - {what} [{}]", s.verdict(sy.verdict));
            }
        }
        if !shown.is_empty() {
            let _ = writeln!(out, "   {}", s.cyan("causes"));
            for c in shown {
                let _ = writeln!(out, "     - {} [{}]", c.title, s.verdict(c.verdict));
                if let Some(e) = &c.error {
                    let _ = writeln!(out, "       {}", s.red(e));
                }
            }
        }
        if i == 0 || detailed {
            if !m.remedy.is_empty() {
                let _ = writeln!(out, "   {}", s.cyan("fix"));
                for (n, step) in m.remedy.iter().enumerate() {
                    let _ = writeln!(out, "     {}. {step}", n + 1);
                }
            }
            for r in m.references.iter().take(2) {
                let url = r.url.as_deref().unwrap_or("");
                let _ = writeln!(out, "   {} {} {}", s.dim("see"), r.title, s.dim(url));
            }
        }
    }
    if let Some(t) = &d.trace {
        let _ = writeln!(out, "\n{}", s.cyan("trace"));
        let normalized: String = t.normalized.chars().take(200).collect();
        let _ = writeln!(out, "  normalised: {normalized}");
        let _ = writeln!(out, "  terms: {}", t.terms.join(", "));
        for c in &t.candidates {
            let mark = if c.accepted { s.green("+") } else { s.dim("-") };
            let _ = writeln!(out, "  {mark} {} score {:.2}: {}", c.id, c.score, c.reason);
            if !c.signatures.is_empty() {
                let _ = writeln!(out, "      signatures: {}", c.signatures.join(", "));
            }
            if !c.terms.is_empty() {
                let _ = writeln!(
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
                let _ = writeln!(
                    out,
                    "      {} [{}] read: {read}{why}",
                    k.id,
                    s.verdict(k.verdict)
                );
            }
        }
    }
    let qs: Vec<_> = d
        .questions
        .iter()
        .take(if detailed { 5 } else { 2 })
        .collect();
    if !qs.is_empty() {
        let _ = writeln!(out, "\n{}", s.cyan("ask next"));
        for q in qs {
            let choices = if q.choices.is_empty() {
                String::new()
            } else {
                format!(" [{}]", q.choices.join(" / "))
            };
            let _ = writeln!(
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
pub fn scan_line(s: &Style, out: &mut impl Write, line: u64, d: &Diagnosis) {
    let ids: Vec<String> = d
        .matches
        .iter()
        .map(|m| format!("{} ({:.2})", m.id, m.score))
        .collect();
    let _ = writeln!(out, "{}: {}", s.dim(&line.to_string()), ids.join(", "));
}

/// The `packs` listing.
pub fn packs(s: &Style, packs: &[PackInfo]) {
    if packs.is_empty() {
        outln!("No packs loaded.");
    }
    for p in packs {
        outln!(
            "{} {}  {} entries  {}",
            s.bold(&p.id),
            p.version,
            p.entries,
            s.dim(&format!("from {}", origin(&p.origin)))
        );
        outln!("    {}", p.name);
    }
}

fn origin(o: &fixbook::pack::Origin) -> String {
    o.to_string()
}

/// The `show` view of one entry.
pub fn entry(s: &Style, e: &EntryInfo) {
    outln!("{}  {}", s.bold(&e.title), s.dim(&format!("[{}]", e.id)));
    outln!(
        "{}",
        s.dim(&format!("{}:{}", e.location.path, e.location.line))
    );
    if !e.summary.is_empty() {
        outln!("\n{}", e.summary);
    }
    if !e.signatures.is_empty() {
        outln!("\n{}", s.cyan("signatures"));
        for sig in &e.signatures {
            outln!("  {}  {}", sig.id, sig.pattern);
        }
    }
    if !e.keywords.is_empty() {
        outln!("\n{} {}", s.cyan("keywords"), e.keywords.join(", "));
    }
    if !e.causes.is_empty() {
        outln!("\n{}", s.cyan("causes"));
        for c in &e.causes {
            outln!("  {}: {}", c.id, c.title);
            if let Some(k) = &c.check {
                outln!("    {}", s.dim(&format!("check: {k}")));
            }
        }
    }
    if !e.facts.is_empty() {
        outln!("\n{}", s.cyan("facts"));
        for f in &e.facts {
            let vals = if f.values.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.values.join(" | "))
            };
            outln!("  {} [{}{}]: {}", f.name, f.ty, vals, f.question);
        }
    }
    if !e.remedy.is_empty() {
        outln!("\n{}", s.cyan("fix"));
        for (i, r) in e.remedy.iter().enumerate() {
            outln!("  {}. {r}", i + 1);
        }
    }
    for p in &e.where_to_look {
        outln!(
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
        outln!(
            "{} {} {}",
            s.dim("see"),
            r.title,
            s.dim(r.url.as_deref().unwrap_or(""))
        );
    }
}

/// The `explain` view: why an entry matched or not.
pub fn explain(s: &Style, id: &str, d: &Diagnosis, cand: Option<&Candidate>) {
    let rank = d.matches.iter().position(|m| m.id == id);
    match rank {
        Some(r) => outln!("{} matched at rank {}", s.bold(id), r + 1),
        None => outln!("{} did not match", s.bold(id)),
    }
    if let Some(t) = &d.trace {
        outln!("{} {}", s.dim("search terms:"), t.terms.join(", "));
    }
    let Some(c) = cand else {
        outln!("  not a candidate: no signature matched and none of the search terms occurs in the entry");
        return;
    };
    outln!(
        "  score {:.2} (full-text {:.2}): {}",
        c.score,
        c.text_score,
        c.reason
    );
    if let Some(p) = &c.prior {
        outln!("  resolution history: {} (included in the score)", p.note);
    }
    if c.signatures.is_empty() {
        outln!("  signatures: none matched");
    } else {
        outln!("  signatures matched: {}", c.signatures.join(", "));
    }
    outln!(
        "  terms that hit: {}",
        if c.terms.is_empty() {
            "none".into()
        } else {
            c.terms.join(", ")
        }
    );
    for k in &c.checks {
        outln!(
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
}
