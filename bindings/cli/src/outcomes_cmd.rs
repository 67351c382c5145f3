//! `--outcomes DB`, `fixbook feedback` and `fixbook gaps`: the outcome store from the
//! command line. The store itself is the engine's (`fixbook::outcomes`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use fixbook::outcomes::{draft, format_time, parse_time, Feedback, GapsQuery, OutcomeOptions};
use fixbook::{EngineBuilder, ErrorKind};

use crate::{exit, print_json, render, CliResult, Global};

/// The outcome store options, accepted after any subcommand.
#[derive(Args, Debug, Clone)]
pub struct OutcomeArgs {
    /// Outcome store (an SQLite file, created if missing): record feedback and texts that
    /// match nothing, and let resolution history adjust the ranking.
    #[arg(long = "outcomes", value_name = "DB", global = true)]
    pub outcomes: Option<PathBuf>,
    /// Store texts whole in the outcome store (default: masked: e-mails, ids, addresses and
    /// times replaced by placeholders).
    #[arg(long, global = true)]
    pub keep_text: bool,
    /// Days the outcome store keeps rows (0: forever).
    #[arg(long, value_name = "DAYS", default_value_t = 180, global = true)]
    pub retention_days: u32,
}

/// Adds the outcome store to an engine builder, when one is named.
pub fn apply(builder: EngineBuilder, a: &OutcomeArgs) -> EngineBuilder {
    match &a.outcomes {
        Some(db) => builder.outcomes(db).outcome_options(OutcomeOptions {
            keep_text: a.keep_text,
            retention_days: a.retention_days,
        }),
        None => builder,
    }
}

/// The exit code for an engine error at start: a bad outcome store is bad input.
pub fn build_error_code(kind: ErrorKind) -> u8 {
    if kind == ErrorKind::Outcomes {
        exit::USAGE
    } else {
        exit::PACKS
    }
}

/// `fixbook feedback`.
#[derive(Args, Debug)]
pub struct FeedbackArgs {
    /// The entry, `pack/entry`.
    #[arg(value_name = "ENTRY_ID")]
    pub entry: String,
    /// `resolved` or `not-resolved`.
    #[arg(value_name = "resolved|not-resolved")]
    pub outcome: String,
    /// The text the problem was reported with (stored masked unless --keep-text).
    #[arg(long)]
    pub text: Option<String>,
    /// The ticket it concerns.
    #[arg(long, value_name = "ID")]
    pub ticket: Option<String>,
}

/// `fixbook gaps`.
#[derive(Args, Debug)]
pub struct GapsArgs {
    /// Only texts recorded since DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// At most N templates.
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<usize>,
    /// Write a draft pack for the templates into DIR (must not hold a pack yet).
    #[arg(long, value_name = "DIR")]
    pub draft: Option<PathBuf>,
}

fn need_store(g: &Global) -> Result<(), (u8, String)> {
    if g.outcomes.outcomes.is_none() {
        return Err((
            exit::USAGE,
            "this command needs the outcome store: add --outcomes DB".into(),
        ));
    }
    Ok(())
}

/// Records one report.
pub fn feedback(out: &mut dyn Write, g: &Global, a: &FeedbackArgs) -> CliResult {
    need_store(g)?;
    let resolution = a
        .outcome
        .parse()
        .map_err(|e: fixbook::Error| (exit::USAGE, e.to_string()))?;
    let engine = crate::build_engine(g)?;
    let mut fb = Feedback::new(&a.entry, resolution, "cli");
    fb.text = a.text.clone();
    fb.ticket = a.ticket.clone();
    let id = engine
        .feedback(&fb)
        .map_err(|e| (exit::USAGE, e.to_string()))?;
    if g.json {
        print_json(
            out,
            &fixbook::answer::FeedbackReceipt {
                recorded: id,
                entry: a.entry.clone(),
                outcome: resolution,
                ticket: a.ticket.clone(),
            },
        )?;
    } else {
        w!(out, "recorded: {} {}", a.entry, resolution);
    }
    Ok(exit::OK)
}

/// Lists the content gaps, and drafts a pack for them when asked.
pub fn gaps(out: &mut dyn Write, g: &Global, a: &GapsArgs, style: &render::Style) -> CliResult {
    need_store(g)?;
    let since = a
        .since
        .as_deref()
        .map(parse_time)
        .transpose()
        .map_err(|e| (exit::USAGE, e.to_string()))?;
    let engine = crate::build_engine(g)?;
    let gaps = engine
        .gaps(&GapsQuery {
            since,
            limit: a.limit,
        })
        .map_err(|e| (exit::USAGE, e.to_string()))?;
    let drafted = match &a.draft {
        Some(dir) => Some(draft::draft(&gaps, dir).map_err(|e| (exit::USAGE, e.to_string()))?),
        None => None,
    };
    if g.json {
        let report = fixbook::answer::GapsReport {
            gaps,
            draft: drafted,
        };
        print_json(out, &report)?;
        return Ok(exit::OK);
    }
    if gaps.is_empty() {
        w!(
            out,
            "no content gaps{}: every recorded diagnosis matched something",
            since
                .map(|s| format!(" since {}", format_time(s)))
                .unwrap_or_default()
        );
    }
    for (i, gap) in gaps.iter().enumerate() {
        w!(
            out,
            "{:>3}. {} {}",
            i + 1,
            style.bold(&format!("{:>5}x", gap.count)),
            gap.template
        );
        w!(
            out,
            "      {}",
            style.dim(&format!("first {}, last {}", gap.first_seen, gap.last_seen))
        );
        for ex in &gap.examples {
            w!(out, "      e.g. {ex}");
        }
    }
    if let Some(d) = drafted {
        w!(
            out,
            "\ndrafted pack `{}` in {}: {} entries{}; review it, then run `fixbook lint {1}` and `fixbook test {1}`",
            d.pack,
            d.dir.display(),
            d.entries.len(),
            if d.skipped.is_empty() {
                String::new()
            } else {
                format!(" ({} templates left out: nothing but placeholders)", d.skipped.len())
            }
        );
    }
    Ok(exit::OK)
}
