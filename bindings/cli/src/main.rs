//! `fixbook`: the command-line door onto the fixbook engine.
//!
//! This crate only parses arguments, reads input and renders results; every decision is made
//! by the `fixbook` library. Exit codes are documented in `--help` and in the README.

/// `writeln!` that ignores a closed pipe (`fixbook … | head`) instead of failing.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

mod author;
mod outcomes_cmd;
mod pack_cmd;
mod render;
mod scan;
mod serve;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use fixbook::{Diagnosis, Engine, Error, ErrorKind, FactValue, PackError, PackErrorKind, Query};

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
    /// Also load the pack(s) in DIR (a pack folder, a .fixbook archive or a folder of packs;
    /// one holding no pack is an error, exit code 3). Repeatable.
    #[arg(long = "packs", value_name = "DIR", global = true)]
    packs: Vec<PathBuf>,
    /// Trust pack archives signed with this minisign public key, besides those in the
    /// trusted-keys folder ($XDG_CONFIG_HOME/fixbook/trusted-keys). Repeatable.
    #[arg(long = "trusted-key", value_name = "FILE", global = true)]
    trusted_keys: Vec<PathBuf>,
    /// Accept pack archives that no trusted key signed.
    #[arg(long, global = true)]
    allow_unsigned: bool,
    /// Leave out the packs embedded in the binary.
    #[arg(long, global = true)]
    no_builtin: bool,
    /// Fail when any pack has an error, instead of skipping it.
    #[arg(long, global = true)]
    strict: bool,
    /// Do not keep the text index and the pack snapshots on disk between runs. By default
    /// they are kept in $FIXBOOK_CACHE_DIR, else $XDG_CACHE_HOME/fixbook, else
    /// ~/.cache/fixbook (an empty FIXBOOK_CACHE_DIR turns it off too).
    #[arg(long, global = true)]
    no_cache: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = render::ColorChoice::Auto, global = true)]
    color: render::ColorChoice,
    #[command(flatten)]
    outcomes: outcomes_cmd::OutcomeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Find the known problems matching TEXT (or standard input with `-`).
    Search {
        /// Error string, log excerpt or ticket; `-` reads standard input (at most 16 MiB).
        text: String,
        /// Maximum matches (0: the engine's default).
        #[arg(long, short = 'n', default_value_t = fixbook::DEFAULT_LIMIT)]
        limit: usize,
    },
    /// Diagnose TEXT with facts: cause verdicts and the questions to ask next.
    Diagnose {
        /// Error string, log excerpt or ticket; `-` reads standard input (at most 16 MiB).
        text: String,
        /// A fact, `name=value`. Repeatable.
        #[arg(long = "fact", value_name = "NAME=VALUE")]
        facts: Vec<String>,
        /// A JSON or TOML file of facts (`{"name": value}`, at most 1 MiB).
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
        /// Maximum matches (0: the engine's default).
        #[arg(long, short = 'n', default_value_t = fixbook::DEFAULT_LIMIT)]
        limit: usize,
    },
    /// Diagnose every line of FILE (or `-`): one result per matching line. A line longer
    /// than 1 MiB is read up to 1 MiB, with a note on its result.
    Scan {
        /// Log file; `-` reads standard input.
        file: String,
        /// Read JSON lines and diagnose this field of each record.
        #[arg(long, value_name = "NAME")]
        jsonl_field: Option<String>,
        /// Print per-entry totals instead of one result per line.
        #[arg(long)]
        count: bool,
        /// Maximum matches per line (0: the engine's default).
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = author::Format::Text)]
        format: author::Format,
    },
    /// Build, sign, install, upgrade, list and remove pack archives (.fixbook files).
    Pack(pack_cmd::PackArgs),
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
    /// Record whether an entry solved a problem (needs --outcomes DB).
    Feedback(outcomes_cmd::FeedbackArgs),
    /// Group the texts that matched nothing into templates; draft a pack for them.
    Gaps(outcomes_cmd::GapsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = render::Style::new(cli.global.color);
    match run(&cli, &style) {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => {
            let _ = writeln!(std::io::stderr(), "fixbook: {message}");
            ExitCode::from(code)
        }
    }
}

type CliResult = Result<u8, (u8, String)>;

/// The exit code of an engine error met while answering a query (loading packs is
/// [`exit::PACKS`] whatever the kind).
fn query_failed(e: Error) -> (u8, String) {
    let code = match e.kind() {
        ErrorKind::Pack | ErrorKind::Index => exit::PACKS,
        _ => exit::USAGE,
    };
    (code, e.to_string())
}

/// A pack problem as the CLI shows it: the engine's message, with the flag that does what
/// its hint says.
fn with_flags(e: &PackError) -> String {
    let mut s = e.to_string();
    if e.kind == PackErrorKind::DuplicateId {
        s.push_str(" (--no-builtin leaves out the embedded packs)");
    }
    s
}

/// Loads the engine for one command. It lives until the process exits: leaking it skips
/// freeing every pack structure one by one at exit, which costs more than a whole search.
fn build_engine(g: &Global) -> Result<&'static Engine, (u8, String)> {
    let engine = outcomes_cmd::apply(Engine::builder(), &g.outcomes)
        .builtin(!g.no_builtin)
        .pack_path_from_env()
        .pack_dirs(g.packs.iter().cloned())
        .strict(g.strict)
        .archive_trust(pack_cmd::trust(&g.trusted_keys, g.allow_unsigned)?)
        .index_cache(if g.no_cache {
            None
        } else {
            fixbook::default_cache_dir()
        })
        .build()
        .map_err(|e| (outcomes_cmd::build_error_code(e.kind()), load_failed(g, &e)))?;
    for e in engine.skipped() {
        eprintln!("fixbook: warning: skipped: {}", with_flags(&e));
    }
    Ok(Box::leak(Box::new(engine)))
}

/// Why the packs did not load; a folder named with --packs is named with the flag.
fn load_failed(g: &Global, e: &Error) -> String {
    let named = |path: &str| g.packs.iter().any(|d| d.display().to_string() == path);
    match e {
        Error::Io { path, source } if named(&path.display().to_string()) => format!(
            "--packs {}: {source} (fix: give a pack folder or a folder of packs)",
            path.display()
        ),
        Error::Pack(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|p| {
                    if p.line == 0 && named(&p.path) {
                        format!("--packs {}: {} (fix: {})", p.path, p.message, p.hint)
                    } else {
                        with_flags(p)
                    }
                })
                .collect();
            lines.join("\nfixbook: ")
        }
        other => other.to_string(),
    }
}

/// The query for a text argument: the text itself, or standard input for `-` (read
/// through the engine's bounded reader and decoded by the engine).
fn read_query(arg: &str) -> Result<Query, (u8, String)> {
    if arg != "-" {
        return Ok(Query::new(arg));
    }
    let bytes = fixbook::input::read_bounded(
        std::io::stdin().lock(),
        fixbook::input::MAX_INPUT_BYTES,
        Path::new("<stdin>"),
    )
    .map_err(|e| (exit::USAGE, e.to_string()))?;
    Ok(Query::from_bytes(&bytes))
}

fn parse_facts(
    engine: &Engine,
    pairs: &[String],
    file: Option<&PathBuf>,
) -> Result<std::collections::BTreeMap<String, FactValue>, (u8, String)> {
    let mut facts = std::collections::BTreeMap::new();
    if let Some(path) = file {
        let bytes = fixbook::input::read_file_bounded(path, fixbook::input::MAX_FACTS_BYTES)
            .map_err(|e| (exit::USAGE, e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            (
                exit::USAGE,
                format!("{}: not UTF-8 text: {e}", path.display()),
            )
        })?;
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
            return Err((
                exit::USAGE,
                format!("--fact {}: write NAME=VALUE", fixbook::input::quote(pair)),
            ));
        };
        let k = k.trim();
        let decl = engine.fact(k).ok_or_else(|| {
            (
                exit::USAGE,
                format!(
                    "--fact {}: no loaded pack declares this fact (see `fixbook show ID` for an entry's facts)",
                    fixbook::input::quote(k)
                ),
            )
        })?;
        let value = decl
            .parse_text(v)
            .map_err(|e| (exit::USAGE, e.to_string()))?;
        facts.insert(k.to_owned(), value);
    }
    Ok(facts)
}

/// Prints a serialised engine record as pretty JSON.
fn print_json<T: serde::Serialize>(out: &mut dyn Write, v: &T) -> Result<(), (u8, String)> {
    let s = serde_json::to_string_pretty(v).map_err(|e| (exit::USAGE, e.to_string()))?;
    let _ = writeln!(out, "{s}");
    Ok(())
}

/// Prints a diagnosis (JSON or text) and gives the exit code: found or not.
fn finish(
    out: &mut dyn Write,
    style: &render::Style,
    d: &Diagnosis,
    json: bool,
    detailed: bool,
) -> CliResult {
    if json {
        print_json(out, d)?;
    } else {
        render::diagnosis(out, style, d, detailed);
    }
    Ok(if d.matches.is_empty() {
        exit::NO_MATCH
    } else {
        exit::OK
    })
}

/// "no entry `id`", with the engine's suggestion.
fn no_entry(engine: &Engine, id: &str) -> (u8, String) {
    let hint = engine
        .suggest_entry(id)
        .map(|i| format!(" (did you mean {i}?)"))
        .unwrap_or_default();
    (
        exit::USAGE,
        format!("no entry {}{hint}", fixbook::input::quote(id)),
    )
}

fn run(cli: &Cli, style: &render::Style) -> CliResult {
    let g = &cli.global;
    let stdout = std::io::stdout();
    let out = &mut stdout.lock();
    match &cli.command {
        Command::Search { text, limit } => {
            let engine = build_engine(g)?;
            let q = read_query(text)?.limit(*limit);
            let d = engine.diagnose(&q).map_err(query_failed)?;
            finish(out, style, &d, g.json, false)
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
            let mut q = read_query(text)?.limit(*limit);
            q.trace = *trace;
            q.drafts = *drafts;
            q.facts = parse_facts(engine, facts, facts_file.as_ref())?;
            if *interactive {
                return interactive_loop(out, engine, q, style, g.json);
            }
            let d = engine.diagnose(&q).map_err(query_failed)?;
            finish(out, style, &d, g.json, true)
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
            if g.json {
                print_json(out, &engine.packs_report())?;
            } else {
                render::packs(out, style, &engine.packs());
            }
            Ok(exit::OK)
        }
        Command::Show { id } => {
            let engine = build_engine(g)?;
            let Some(e) = engine.entry(id) else {
                return Err(no_entry(engine, id));
            };
            if g.json {
                print_json(out, &e)?;
            } else {
                render::entry(out, style, &e);
            }
            Ok(exit::OK)
        }
        Command::Explain { id, text, facts } => {
            let engine = build_engine(g)?;
            if engine.entry(id).is_none() {
                return Err(no_entry(engine, id));
            }
            let mut q = read_query(text)?;
            q.facts = parse_facts(engine, facts, None)?;
            let x = engine.explain(id, &q).map_err(query_failed)?;
            if g.json {
                print_json(out, &x)?;
            } else {
                render::explain(out, style, &x);
            }
            Ok(if x.matched { exit::OK } else { exit::NO_MATCH })
        }
        Command::Lint {
            dirs,
            deny_warnings,
        } => author::lint(out, dirs, *deny_warnings, g.json, style),
        Command::Test {
            dirs,
            filter,
            format,
        } => author::test(
            out,
            dirs,
            filter.as_deref(),
            if g.json {
                author::Format::Json
            } else {
                *format
            },
            style,
        ),
        Command::New { dir, id } => author::new_pack(out, dir, id.as_deref()),
        Command::Pack(args) => {
            pack_cmd::run(args, &g.trusted_keys, g.allow_unsigned, g.json, style)
        }
        Command::Feedback(a) => outcomes_cmd::feedback(out, g, a),
        Command::Gaps(a) => outcomes_cmd::gaps(out, g, a, style),
        Command::Serve(args) => serve::run(g, args),
    }
}

fn interactive_loop(
    out: &mut dyn Write,
    engine: &Engine,
    mut q: Query,
    style: &render::Style,
    json: bool,
) -> CliResult {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut skipped: Vec<String> = Vec::new();
    loop {
        let d = engine.diagnose(&q).map_err(query_failed)?;
        let next = d
            .questions
            .iter()
            .find(|x| !skipped.contains(&x.fact))
            .cloned();
        let Some(question) = next else {
            return finish(out, style, &d, json, true);
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
        let answer = match lines.next() {
            Some(Ok(answer)) => answer,
            // end of input (or unreadable input): the answer so far
            _ => return finish(out, style, &d, json, true),
        };
        let answer = answer.trim();
        if answer == "q" {
            return finish(out, style, &d, json, true);
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
