//! `fixbook`: the command-line door onto the fixbook engine.
//!
//! This crate only parses arguments, reads input and renders results; every decision is made
//! by the `fixbook` library. Exit codes are documented in `--help` and in the README.

/// `println!` that ignores a closed pipe (`fixbook … | head`) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod author;
mod render;
mod scan;
mod serve;

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use fixbook::{Diagnosis, Engine, FactValue, PackErrorKind, Query};

/// Exit codes.
pub mod exit {
    /// Success: something matched, lint is clean, tests pass.
    pub const OK: u8 = 0;
    /// Ran fine, but nothing matched / lint found errors / a test failed.
    pub const NO_MATCH: u8 = 1;
    /// Bad usage or bad input (unknown fact, wrong fact type, unreadable file).
    pub const USAGE: u8 = 2;
    /// Packs failed to load.
    pub const PACKS: u8 = 3;
}

#[derive(Parser, Debug)]
#[command(
    name = "fixbook",
    version,
    about = "Troubleshooting engine: find the known problem behind an error, its cause and its fix.",
    after_help = "Exit codes: 0 found / clean / passed, 1 nothing matched / lint errors / test failures, 2 bad usage or input, 3 packs failed to load.\nPacks: the embedded ones, then FIXBOOK_PACK_PATH (colon-separated), then ~/.local/share/fixbook/packs, then --packs."
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct Global {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Also load the pack(s) in DIR (a pack folder or a folder of packs; one holding no pack
    /// is an error, exit code 3). Repeatable.
    #[arg(long = "packs", value_name = "DIR", global = true)]
    packs: Vec<PathBuf>,
    /// Leave out the packs embedded in the binary.
    #[arg(long, global = true)]
    no_builtin: bool,
    /// Fail when any pack has an error, instead of skipping it.
    #[arg(long, global = true)]
    strict: bool,
    /// Do not keep the text index on disk between runs. By default it is kept in
    /// $FIXBOOK_CACHE_DIR, else $XDG_CACHE_HOME/fixbook, else ~/.cache/fixbook (an empty
    /// FIXBOOK_CACHE_DIR turns it off too).
    #[arg(long, global = true)]
    no_cache: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto", global = true)]
    color: String,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Find the known problems matching TEXT (or standard input with `-`).
    Search {
        /// Error string, log excerpt or ticket; `-` reads standard input.
        text: String,
        /// Maximum matches.
        #[arg(long, short = 'n', default_value_t = 5)]
        limit: usize,
    },
    /// Diagnose TEXT with facts: cause verdicts and the questions to ask next.
    Diagnose {
        /// Error string, log excerpt or ticket; `-` reads standard input.
        text: String,
        /// A fact, `name=value`. Repeatable.
        #[arg(long = "fact", value_name = "NAME=VALUE")]
        facts: Vec<String>,
        /// A JSON or TOML file of facts (`{"name": value}`).
        #[arg(long = "facts", value_name = "FILE")]
        facts_file: Option<PathBuf>,
        /// Ask the ranked questions on the terminal and diagnose again after each answer.
        #[arg(long, short = 'i')]
        interactive: bool,
        /// Include the full decision trace (why and why not).
        #[arg(long)]
        trace: bool,
        /// Let draft entries match too.
        #[arg(long)]
        drafts: bool,
        /// Maximum matches.
        #[arg(long, short = 'n', default_value_t = 5)]
        limit: usize,
    },
    /// Diagnose every line of FILE (or `-`): one result per matching line.
    Scan {
        /// Log file; `-` reads standard input.
        file: String,
        /// Read JSON lines and diagnose this field of each record.
        #[arg(long, value_name = "NAME")]
        jsonl_field: Option<String>,
        /// Print per-entry totals instead of one result per line.
        #[arg(long)]
        count: bool,
        /// Maximum matches per line.
        #[arg(long, short = 'n', default_value_t = 3)]
        limit: usize,
    },
    /// List the loaded packs and where each came from.
    Packs,
    /// Show one entry: signatures, causes, facts, remedy.
    Show {
        /// Entry id, `pack/entry`.
        id: String,
    },
    /// Why an entry matched TEXT or not: signatures, terms, checks and facts.
    Explain {
        /// Entry id, `pack/entry`.
        id: String,
        /// The text.
        text: String,
        /// A fact, `name=value`. Repeatable.
        #[arg(long = "fact", value_name = "NAME=VALUE")]
        facts: Vec<String>,
    },
    /// Check pack folders for errors and warnings.
    Lint {
        /// Pack folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Run the examples in each pack's tests/ folder.
    Test {
        /// Pack folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Only examples whose name or text contains this.
        #[arg(long)]
        filter: Option<String>,
        /// Output format: text, json, junit.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Serve the engine over HTTP (JSON API; see docs/server.md).
    Serve(serve::ServeArgs),
    /// Create a new pack that passes lint and test.
    New {
        /// Folder to create.
        dir: PathBuf,
        /// Pack id (default: the folder name).
        #[arg(long)]
        id: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = render::Style::new(&cli.global.color);
    match run(&cli, &style) {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => {
            let _ = writeln!(std::io::stderr(), "fixbook: {message}");
            ExitCode::from(code)
        }
    }
}

type CliResult = Result<u8, (u8, String)>;

/// Loads the engine for one command. It lives until the process exits: leaking it skips
/// freeing every pack structure one by one at exit, which costs more than a whole search.
fn build_engine(g: &Global) -> Result<&'static Engine, (u8, String)> {
    let engine = Engine::builder()
        .builtin(!g.no_builtin)
        .pack_path_from_env()
        .pack_dirs(g.packs.iter().cloned())
        .strict(g.strict)
        .index_cache(if g.no_cache {
            None
        } else {
            fixbook::index::cache::default_dir()
        })
        .build()
        .map_err(|e| (exit::PACKS, e.to_string()))?;
    // a folder named with --packs must hold a pack: the engine reports one that is missing or
    // holds none as an `io` error about the folder, which is fatal here, not a warning (a
    // folder on the pack path may hold nothing)
    let named: Vec<String> = g.packs.iter().map(|d| d.display().to_string()).collect();
    let (fatal, skipped): (Vec<_>, Vec<_>) = engine
        .skipped()
        .into_iter()
        .partition(|e| e.kind == PackErrorKind::Io && e.line == 0 && named.contains(&e.path));
    if !fatal.is_empty() {
        let lines: Vec<String> = fatal
            .iter()
            .map(|e| format!("--packs {}: {} (fix: {})", e.path, e.message, e.hint))
            .collect();
        return Err((exit::PACKS, lines.join("\nfixbook: ")));
    }
    for e in skipped {
        eprintln!("fixbook: warning: skipped: {e}");
    }
    Ok(Box::leak(Box::new(engine)))
}

fn read_text(arg: &str) -> Result<(String, Option<String>), (u8, String)> {
    if arg != "-" {
        return Ok((arg.to_owned(), None));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| (exit::USAGE, format!("cannot read standard input: {e}")))?;
    Ok(fixbook::matcher::decode_lossy(&bytes))
}

fn parse_facts(
    engine: &Engine,
    pairs: &[String],
    file: Option<&PathBuf>,
) -> Result<std::collections::BTreeMap<String, FactValue>, (u8, String)> {
    let mut facts = std::collections::BTreeMap::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| (exit::USAGE, format!("{}: {e}", path.display())))?;
        let is_json =
            path.extension().is_some_and(|x| x == "json") || text.trim_start().starts_with('{');
        if is_json {
            let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
                .map_err(|e| {
                    (
                        exit::USAGE,
                        format!("{}: not a JSON object of facts: {e}", path.display()),
                    )
                })?;
            for (k, v) in v {
                let fv = FactValue::from_json(&v).ok_or_else(|| {
                    (
                        exit::USAGE,
                        format!("{}: fact `{k}` has an unsupported value", path.display()),
                    )
                })?;
                facts.insert(k, fv);
            }
        } else {
            let t: toml::Table = toml::from_str(&text).map_err(|e| {
                (
                    exit::USAGE,
                    format!("{}: not a TOML table of facts: {e}", path.display()),
                )
            })?;
            for (k, v) in t {
                let fv = FactValue::from_toml(&v).ok_or_else(|| {
                    (
                        exit::USAGE,
                        format!("{}: fact `{k}` has an unsupported value", path.display()),
                    )
                })?;
                facts.insert(k, fv);
            }
        }
    }
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            return Err((exit::USAGE, format!("--fact `{pair}`: write NAME=VALUE")));
        };
        let k = k.trim();
        let decl = engine.fact(k).ok_or_else(|| {
            (
                exit::USAGE,
                format!("--fact `{k}`: no loaded pack declares this fact (see `fixbook show ID` for an entry's facts)"),
            )
        })?;
        let value = decl
            .parse_text(v)
            .map_err(|e| (exit::USAGE, e.to_string()))?;
        facts.insert(k.to_owned(), value);
    }
    Ok(facts)
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), (u8, String)> {
    let s = serde_json::to_string_pretty(v).map_err(|e| (exit::USAGE, e.to_string()))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    Ok(())
}

fn with_notes(mut d: Diagnosis, note: Option<String>) -> Diagnosis {
    if let Some(n) = note {
        d.notes.insert(0, n);
    }
    d
}

fn run(cli: &Cli, style: &render::Style) -> CliResult {
    let g = &cli.global;
    match &cli.command {
        Command::Search { text, limit } => {
            let engine = build_engine(g)?;
            let (text, note) = read_text(text)?;
            let d = with_notes(engine.search(&text, *limit), note);
            if g.json {
                print_json(&d)?;
            } else {
                render::diagnosis(style, &d, false);
            }
            Ok(if d.matches.is_empty() {
                exit::NO_MATCH
            } else {
                exit::OK
            })
        }
        Command::Diagnose {
            text,
            facts,
            facts_file,
            interactive,
            trace,
            drafts,
            limit,
        } => {
            let engine = build_engine(g)?;
            let (text, note) = read_text(text)?;
            let mut q = Query::new(text).limit(*limit);
            q.trace = *trace;
            q.drafts = *drafts;
            q.facts = parse_facts(engine, facts, facts_file.as_ref())?;
            if *interactive {
                return interactive_loop(engine, q, style, g.json);
            }
            let d = with_notes(
                engine
                    .diagnose(&q)
                    .map_err(|e| (exit::USAGE, e.to_string()))?,
                note,
            );
            if g.json {
                print_json(&d)?;
            } else {
                render::diagnosis(style, &d, true);
            }
            Ok(if d.matches.is_empty() {
                exit::NO_MATCH
            } else {
                exit::OK
            })
        }
        Command::Scan {
            file,
            jsonl_field,
            count,
            limit,
        } => {
            let engine = build_engine(g)?;
            let opts = scan::ScanOptions {
                file,
                field: jsonl_field.as_deref(),
                count: *count,
                limit: *limit,
                json: g.json,
            };
            scan::scan(engine, &opts, style)
        }
        Command::Packs => {
            let engine = build_engine(g)?;
            let packs = engine.packs();
            if g.json {
                print_json(&serde_json::json!({ "packs": packs, "skipped": engine.skipped() }))?;
            } else {
                render::packs(style, &packs);
            }
            Ok(exit::OK)
        }
        Command::Show { id } => {
            let engine = build_engine(g)?;
            let Some(e) = engine.entry(id) else {
                let ids = engine.entry_ids();
                let hint = ids
                    .iter()
                    .map(|i| (strsim_ratio(id, i), i))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(s, _)| *s > 0.7)
                    .map(|(_, i)| format!(" (did you mean {i}?)"))
                    .unwrap_or_default();
                return Err((exit::USAGE, format!("no entry `{id}`{hint}")));
            };
            if g.json {
                print_json(&e)?;
            } else {
                render::entry(style, &e);
            }
            Ok(exit::OK)
        }
        Command::Explain { id, text, facts } => {
            let engine = build_engine(g)?;
            if engine.entry(id).is_none() {
                return Err((exit::USAGE, format!("no entry `{id}`")));
            }
            let (text, _) = read_text(text)?;
            let mut q = Query::new(text).limit(50).with_trace();
            q.facts = parse_facts(engine, facts, None)?;
            let d = engine
                .diagnose(&q)
                .map_err(|e| (exit::USAGE, e.to_string()))?;
            let cand = d
                .trace
                .as_ref()
                .and_then(|t| t.candidates.iter().find(|c| &c.id == id).cloned());
            if g.json {
                print_json(&serde_json::json!({
                    "id": id,
                    "matched": d.matches.iter().any(|m| &m.id == id),
                    "rank": d.matches.iter().position(|m| &m.id == id).map(|r| r + 1),
                    "candidate": cand,
                    "terms": d.trace.as_ref().map(|t| t.terms.clone()),
                }))?;
            } else {
                render::explain(style, id, &d, cand.as_ref());
            }
            Ok(if d.matches.iter().any(|m| &m.id == id) {
                exit::OK
            } else {
                exit::NO_MATCH
            })
        }
        Command::Lint {
            dirs,
            deny_warnings,
        } => author::lint(dirs, *deny_warnings, g.json, style),
        Command::Test {
            dirs,
            filter,
            format,
        } => author::test(
            dirs,
            filter.as_deref(),
            if g.json { "json" } else { format },
            style,
        ),
        Command::New { dir, id } => author::new_pack(dir, id.as_deref()),
        Command::Serve(args) => serve::run(g, args),
    }
}

fn strsim_ratio(a: &str, b: &str) -> f64 {
    // small local similarity, enough for "did you mean"
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let common = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
    common as f64 / a.len().max(b.len()).max(1) as f64
}

fn interactive_loop(engine: &Engine, mut q: Query, style: &render::Style, json: bool) -> CliResult {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut skipped: Vec<String> = Vec::new();
    loop {
        let d = engine
            .diagnose(&q)
            .map_err(|e| (exit::USAGE, e.to_string()))?;
        let next = d
            .questions
            .iter()
            .find(|x| !skipped.contains(&x.fact))
            .cloned();
        let Some(question) = next else {
            if json {
                print_json(&d)?;
            } else {
                render::diagnosis(style, &d, true);
            }
            return Ok(if d.matches.is_empty() {
                exit::NO_MATCH
            } else {
                exit::OK
            });
        };
        if !json {
            render::diagnosis_brief(style, &d);
        }
        let choices = if question.choices.is_empty() {
            String::new()
        } else {
            format!(" [{}]", question.choices.join("/"))
        };
        eprint!("{}{} (empty to skip, q to stop): ", question.text, choices);
        let _ = std::io::stderr().flush();
        let Some(Ok(answer)) = lines.next() else {
            skipped.push(question.fact.clone());
            if json {
                print_json(&d)?;
            } else {
                render::diagnosis(style, &d, true);
            }
            return Ok(if d.matches.is_empty() {
                exit::NO_MATCH
            } else {
                exit::OK
            });
        };
        let answer = answer.trim();
        if answer == "q" {
            if json {
                print_json(&d)?;
            } else {
                render::diagnosis(style, &d, true);
            }
            return Ok(if d.matches.is_empty() {
                exit::NO_MATCH
            } else {
                exit::OK
            });
        }
        if answer.is_empty() {
            skipped.push(question.fact.clone());
            continue;
        }
        let Some(decl) = engine.fact(&question.fact) else {
            skipped.push(question.fact.clone());
            continue;
        };
        match decl.parse_text(answer) {
            Ok(v) => {
                q.facts.insert(question.fact.clone(), v);
            }
            Err(e) => eprintln!("  {e}; try again"),
        }
    }
}
