//! Pack authoring commands: `lint`, `test`, `new`.

use std::io::Write;
use std::path::{Path, PathBuf};

use fixbook::answer::{LintReport, PackTests, TestReport};
use fixbook::testing::{load_examples, run_examples, Status};
use fixbook::{Engine, PackError};

use crate::exit;
use crate::render::Style;

pub(crate) fn print_error(s: &Style, e: &PackError) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{}: {} [{}]",
        s.red("error"),
        s.bold(&e.message),
        e.kind.as_str()
    );
    let _ = writeln!(
        err,
        "  {} {}:{}:{}",
        s.cyan("-->"),
        e.path,
        e.line,
        e.column
    );
    if let Some(line) = &e.source_line {
        let num = e.line.to_string();
        let pad = " ".repeat(num.len());
        let _ = writeln!(err, "  {pad} |");
        let _ = writeln!(err, "  {num} | {line}");
        let lead: String = line
            .chars()
            .take(e.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(
            err,
            "  {pad} | {lead}{}",
            s.red(&"^".repeat(e.length.clamp(1, 120)))
        );
    }
    if !e.hint.is_empty() {
        let _ = writeln!(err, "  = {}: {}", s.bold("fix"), e.hint);
    }
    let _ = writeln!(err);
}

/// Output format of `fixbook test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text, failures only.
    Text,
    /// The JSON of the engine's test report.
    Json,
    /// JUnit XML, for CI.
    Junit,
}

/// A pack folder's engine, loaded strictly (once).
fn load_one(dir: &Path) -> Result<Engine, Vec<PackError>> {
    Engine::builder()
        .builtin(false)
        .pack_dir(dir)
        .strict(true)
        .build()
        .map_err(|e| match e {
            fixbook::Error::Pack(errors) => errors,
            other => vec![PackError {
                kind: fixbook::PackErrorKind::Io,
                path: dir.display().to_string(),
                line: 0,
                column: 0,
                message: other.to_string(),
                hint: "give a pack folder".into(),
                entry: None,
                source_line: None,
                length: 0,
            }],
        })
}

/// `fixbook lint DIR…`
pub fn lint(
    out: &mut dyn Write,
    dirs: &[PathBuf],
    deny_warnings: bool,
    json: bool,
    s: &Style,
) -> Result<u8, (u8, String)> {
    let mut report = LintReport::default();
    let today = fixbook::lint::today();
    for dir in dirs {
        // each pack is loaded once: the engine's load is what lint checks
        let engine = match load_one(dir) {
            Ok(engine) => engine,
            Err(es) => {
                report.errors.extend(es);
                continue;
            }
        };
        let Some(pack) = engine.packs().into_iter().next() else {
            continue;
        };
        let examples = match load_examples(dir, &pack.id) {
            Err(es) => {
                report.errors.extend(es);
                continue;
            }
            Ok(ex) => ex,
        };
        report.warnings.extend(fixbook::lint::lint_loaded(
            &engine, &pack.id, &examples, &today,
        ));
    }
    let (all_errors, all_warnings) = (&report.errors, &report.warnings);
    if json {
        crate::print_json(out, &report)?;
    } else {
        for e in all_errors {
            print_error(s, e);
        }
        for w in all_warnings {
            eprintln!(
                "{}: {} [{}]\n  {} {}:{}\n  = {}: {}\n",
                s.yellow("warning"),
                s.bold(&w.message),
                w.check,
                s.cyan("-->"),
                w.path,
                w.line,
                s.bold("fix"),
                w.hint
            );
        }
        eprintln!(
            "{} error(s), {} warning(s) in {} pack(s)",
            all_errors.len(),
            all_warnings.len(),
            dirs.len()
        );
    }
    Ok(
        if !all_errors.is_empty() || (deny_warnings && !all_warnings.is_empty()) {
            exit::NO_MATCH
        } else {
            exit::OK
        },
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `fixbook test DIR…`
pub fn test(
    out: &mut dyn Write,
    dirs: &[PathBuf],
    filter: Option<&str>,
    format: Format,
    s: &Style,
) -> Result<u8, (u8, String)> {
    let mut report = TestReport::default();
    for dir in dirs {
        let engine = match load_one(dir) {
            Ok(e) => e,
            Err(errors) => {
                for pe in &errors {
                    print_error(s, pe);
                }
                return Err((
                    exit::PACKS,
                    format!("{}: the pack does not load", dir.display()),
                ));
            }
        };
        let Some(pack) = engine.packs().into_iter().next() else {
            return Err((exit::PACKS, format!("{}: no pack found", dir.display())));
        };
        let mut examples = load_examples(dir, &pack.id).map_err(|es| {
            for e in &es {
                print_error(s, e);
            }
            (
                exit::PACKS,
                format!("{}: the tests do not load", dir.display()),
            )
        })?;
        if let Some(f) = filter {
            let f = f.to_lowercase();
            examples.retain(|x| {
                x.name.to_lowercase().contains(&f) || x.text.to_lowercase().contains(&f)
            });
        }
        let outcomes = run_examples(&engine, &pack.id, &examples);
        for o in &outcomes {
            match o.status {
                Status::Pass | Status::Fixed => report.passed += 1,
                Status::Fail => report.failed += 1,
                Status::Todo => report.todo += 1,
            }
        }
        report.packs.push(PackTests {
            pack: pack.id.clone(),
            examples: outcomes,
        });
    }
    let (passed, failed, todo) = (report.passed, report.failed, report.todo);
    match format {
        Format::Json => {
            crate::print_json(out, &report)?;
        }
        Format::Junit => {
            w!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            w!(
                out,
                "<testsuites tests=\"{}\" failures=\"{failed}\">",
                passed + failed + todo
            );
            for PackTests {
                pack: id,
                examples: outcomes,
            } in &report.packs
            {
                let f = outcomes.iter().filter(|o| o.status == Status::Fail).count();
                w!(
                    out,
                    "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\">",
                    xml_escape(id),
                    outcomes.len()
                );
                for o in outcomes {
                    {
                        let _ = write!(
                            out,
                            "    <testcase classname=\"{}\" name=\"{}\"",
                            xml_escape(id),
                            xml_escape(&o.name)
                        );
                    }
                    match o.status {
                        Status::Fail => w!(
                            out,
                            "><failure message=\"{}\">{}</failure></testcase>",
                            xml_escape(o.problems.first().map_or("", String::as_str)),
                            xml_escape(&o.problems.join("\n"))
                        ),
                        Status::Todo => w!(out, "><skipped message=\"todo\"/></testcase>"),
                        _ => w!(out, "/>"),
                    }
                }
                w!(out, "  </testsuite>");
            }
            w!(out, "</testsuites>");
        }
        Format::Text => {
            for PackTests {
                pack: id,
                examples: outcomes,
            } in &report.packs
            {
                w!(out, "{}", s.bold(id));
                for o in outcomes {
                    let tag = match o.status {
                        Status::Pass => s.green("ok  "),
                        Status::Fixed => s.yellow("FIXED"),
                        Status::Fail => s.red("FAIL"),
                        Status::Todo => s.yellow("todo"),
                    };
                    if o.status == Status::Pass {
                        continue;
                    }
                    w!(out, "  {tag} {}  {}", o.name, s.dim(&o.location));
                    for p in &o.problems {
                        w!(out, "       {p}");
                    }
                    if o.status != Status::Pass && o.status != Status::Fixed {
                        let got: Vec<String> = o
                            .got
                            .iter()
                            .take(3)
                            .map(|(i, sc)| format!("{i} ({sc:.2})"))
                            .collect();
                        w!(
                            out,
                            "       got: {}",
                            if got.is_empty() {
                                "no match".into()
                            } else {
                                got.join(", ")
                            }
                        );
                    }
                }
            }
            w!(out, "{passed} passed, {failed} failed, {todo} todo");
        }
    }
    Ok(if failed > 0 { exit::NO_MATCH } else { exit::OK })
}

/// `fixbook new DIR --id ID`
pub fn new_pack(out: &mut dyn Write, dir: &Path, id: Option<&str>) -> Result<u8, (u8, String)> {
    if dir.join("pack.toml").exists() {
        return Err((
            exit::USAGE,
            format!("{} already holds a pack", dir.display()),
        ));
    }
    let id = id
        .map(str::to_owned)
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().to_lowercase()))
        .unwrap_or_else(|| "my-pack".into());
    // the loader's rule, so that the new pack passes lint
    if !fixbook::pack::is_valid_id(&id) {
        return Err((
            exit::USAGE,
            format!(
                "pack id {}: {}",
                fixbook::input::quote(&id),
                fixbook::pack::ID_RULE
            ),
        ));
    }
    let io = |e: std::io::Error| (exit::USAGE, format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir.join("entries")).map_err(io)?;
    std::fs::create_dir_all(dir.join("tests")).map_err(io)?;
    std::fs::write(
        dir.join("pack.toml"),
        format!(
            r#"format = 1
id = "{id}"
name = "{id}"
version = "0.1.0"
description = "What this pack knows about."
min_engine_version = "{v}"

[facts."service.restarted"]
type = "bool"
description = "Whether the service was restarted since the error first appeared."
question = "Has the service been restarted since the error first appeared?"
"#,
            v = fixbook::VERSION
        ),
    )
    .map_err(io)?;
    std::fs::write(
        dir.join("entries/example.toml"),
        r#"[[entries]]
id = "example-timeout"
title = "Sync fails with 'acme-sync: upstream timed out'"
summary = "The sync service does not answer in time, usually because it is stuck or overloaded."
keywords = ["acme sync timeout", "sync never finishes"]
aliases = ["the acme sync spins and then says the upstream timed out"]
remedy = ["Check the service's health and logs.", "Restart it if it is stuck."]

  [[entries.signatures]]
  id = "upstream-timed-out"
  pattern = 'acme-sync: upstream timed out'

  [[entries.causes]]
  id = "service-stuck"
  title = "The service is stuck and has not been restarted"
  check = '!fact("service.restarted")'
  explanation = "A stuck process keeps its port open but never answers."
  remedy = ["Restart the service."]
"#,
    )
    .map_err(io)?;
    std::fs::write(
        dir.join("tests/examples.toml"),
        r#"[[examples]]
name = "exact error"
text = "2026-11-02 10:00:01 acme-sync: upstream timed out after 30s"
expect = "example-timeout"

[[examples]]
name = "not restarted yet"
text = "acme-sync: upstream timed out"
facts = { "service.restarted" = false }
expect = "example-timeout"
verdicts = { "service-stuck" = "confirmed" }

[[examples]]
name = "unrelated"
text = "my printer is out of paper"
expect_none = true
"#,
    )
    .map_err(io)?;
    w!(
        out,
        "created {}: run `fixbook lint {0}` and `fixbook test {0}`",
        dir.display()
    );
    Ok(exit::OK)
}
