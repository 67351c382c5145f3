//! Checks: Rhai scripts compiled once at load and evaluated, sandboxed, against facts.
//!
//! This is the only module that touches `rhai`. Two rules shape it:
//!
//! * **A missing fact is never a value.** Rhai reads a missing map key as `()`, which makes
//!   `facts.x != "email"` *true* on no evidence. Checks therefore read facts only through
//!   `fact("name")`, which records the name and, when the fact is missing, stops the script;
//!   the verdict is then [`Verdict::Unknown`] and the fact becomes a question. Even a script
//!   that catches that error cannot turn it into a verdict: any missing read means unknown.
//! * **A pack is untrusted code.** Every script runs with operation, call-depth,
//!   expression-depth, size and time limits, with no module resolver, no `eval` and no
//!   printing. A failing check yields [`Verdict::Error`] for its cause, never a failed query.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

use crate::budget::Budget;

use regex::Regex;
use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Position, Scope, AST};
use serde::{Deserialize, Serialize};

use crate::facts::{FactValue, Facts};

/// Sandbox limits for checks. A pack may set its own within the application's ceiling.
///
/// A limit of 0 is the strictest there is, never "no limit": the operation count, the
/// expression depth and the sizes are enforced as 1 (see [`ScriptEngine::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Maximum operations one evaluation may perform.
    pub max_operations: u64,
    /// Maximum function call depth.
    pub max_call_depth: usize,
    /// Maximum expression nesting depth (also inside functions).
    pub max_expr_depth: usize,
    /// Maximum length of a string, in bytes.
    pub max_string_size: usize,
    /// Maximum number of items in an array.
    pub max_array_size: usize,
    /// Maximum number of items in a map.
    pub max_map_size: usize,
    /// Time budget of one evaluation, in milliseconds of the evaluating thread's CPU time
    /// (time spent waiting for a core does not count; wall-clock time outside Linux).
    pub max_duration_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 100_000,
            // depth limits also protect the host's stack: a thread may have only 2 MiB, and
            // an unoptimised build spends tens of KiB per script call level
            max_call_depth: 12,
            max_expr_depth: 48,
            max_string_size: 1 << 20,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_duration_ms: 50,
        }
    }
}

impl Limits {
    /// The default ceiling an application allows packs to raise their limits to: ten times
    /// the defaults.
    pub fn default_ceiling() -> Limits {
        let d = Limits::default();
        Limits {
            max_operations: d.max_operations * 10,
            max_call_depth: d.max_call_depth * 2,
            max_expr_depth: d.max_expr_depth * 2,
            max_string_size: d.max_string_size * 10,
            max_array_size: d.max_array_size * 10,
            max_map_size: d.max_map_size * 10,
            max_duration_ms: d.max_duration_ms * 10,
        }
    }

    /// Each limit capped at `ceiling`'s.
    pub fn capped(self, ceiling: &Limits) -> Limits {
        Limits {
            max_operations: self.max_operations.min(ceiling.max_operations),
            max_call_depth: self.max_call_depth.min(ceiling.max_call_depth),
            max_expr_depth: self.max_expr_depth.min(ceiling.max_expr_depth),
            max_string_size: self.max_string_size.min(ceiling.max_string_size),
            max_array_size: self.max_array_size.min(ceiling.max_array_size),
            max_map_size: self.max_map_size.min(ceiling.max_map_size),
            max_duration_ms: self.max_duration_ms.min(ceiling.max_duration_ms),
        }
    }
}

/// The outcome of one check.
///
/// Verdicts are ordered as an answer lists causes: [`Verdict::Confirmed`] first (what to
/// fix), then [`Verdict::Unknown`] (what to ask), [`Verdict::Error`] (what could not be
/// decided), and [`Verdict::RuledOut`] last. This is the only ordering of verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The check returned `true`: the cause applies.
    Confirmed,
    /// The check returned `false`: the cause does not apply.
    RuledOut,
    /// A fact the check needs is missing; it is asked for.
    Unknown,
    /// The check failed (limit, type error, non-boolean result).
    Error,
}

impl Verdict {
    /// Position in the order answers list causes.
    fn rank(self) -> u8 {
        match self {
            Verdict::Confirmed => 0,
            Verdict::Unknown => 1,
            Verdict::Error => 2,
            Verdict::RuledOut => 3,
        }
    }

    /// The verdict's name as it appears in JSON and pack tests.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::RuledOut => "ruled_out",
            Verdict::Unknown => "unknown",
            Verdict::Error => "error",
        }
    }
}

impl Ord for Verdict {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Verdict {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The result of evaluating a check: verdict, the facts it read, those it missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The verdict.
    pub verdict: Verdict,
    /// Facts the script read, present or not, in order of first read.
    pub facts_read: Vec<String>,
    /// Facts the script needed but were missing.
    pub missing: Vec<String>,
    /// For [`Verdict::Error`]: what went wrong.
    pub error: Option<String>,
}

/// A compile error with its position inside the script (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// What is wrong.
    pub message: String,
    /// Line inside the script, 1-based.
    pub line: usize,
    /// Column inside the script, 1-based.
    pub column: usize,
}

/// A compiled check.
#[derive(Debug, Clone)]
pub struct Check {
    source: String,
    ast: AST,
    may_read: Vec<String>,
}

impl Check {
    /// The script as the author wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every fact name the script may read (string literals passed to `fact`, `has`,
    /// `fact_or`), found at load.
    pub fn may_read(&self) -> &[String] {
        &self.may_read
    }
}

struct EvalState {
    facts: Facts,
    read: Vec<String>,
    missing: BTreeSet<String>,
    budget: Budget,
}

thread_local! {
    static STATE: RefCell<Option<EvalState>> = const { RefCell::new(None) };
}

const MISSING_MARK: &str = "fixbook: missing fact ";

fn to_dynamic(v: &FactValue) -> Dynamic {
    match v {
        FactValue::Bool(b) => Dynamic::from_bool(*b),
        FactValue::Int(i) => Dynamic::from_int(*i),
        FactValue::Float(x) => Dynamic::from_float(*x),
        FactValue::Str(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        FactValue::List(l) => Dynamic::from_array(
            l.iter()
                .map(|s| Dynamic::from(ImmutableString::from(s.as_str())))
                .collect::<Array>(),
        ),
    }
}

fn read_fact(name: &str, record_missing: bool) -> Option<Dynamic> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let state = s.as_mut()?;
        if !state.read.iter().any(|r| r == name) {
            state.read.push(name.to_owned());
        }
        match state.facts.get(name) {
            Some(v) => Some(to_dynamic(v)),
            None => {
                if record_missing {
                    state.missing.insert(name.to_owned());
                }
                None
            }
        }
    })
}

/// Fact names used as string literals in `fact(..)`, `has(..)`, `fact_or(..)`, and calls
/// whose argument is not a literal (reported as errors by the loader).
pub fn fact_references(script: &str) -> (Vec<String>, Vec<usize>) {
    static LIT: OnceLock<Regex> = OnceLock::new();
    static ANY: OnceLock<Regex> = OnceLock::new();
    #[allow(clippy::unwrap_used)] // fixed patterns
    let lit =
        LIT.get_or_init(|| Regex::new(r#"\b(?:fact|has|fact_or)\s*\(\s*"([^"\\]*)""#).unwrap());
    #[allow(clippy::unwrap_used)]
    let any = ANY.get_or_init(|| Regex::new(r"\b(?:fact|has|fact_or)\s*\(\s*").unwrap());
    let mut names = Vec::new();
    for c in lit.captures_iter(script) {
        let n = c[1].to_owned();
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let non_literal = any
        .find_iter(script)
        .filter(|m| !script[m.end()..].starts_with('"'))
        .filter(|m| {
            // `fn fact(...)` definitions are not calls
            !script[..m.start()].trim_end().ends_with("fn")
        })
        .map(|m| m.start())
        .collect();
    (names, non_literal)
}

/// A sandboxed Rhai engine for one pack: its limits and its shared helper functions.
pub struct ScriptEngine {
    engine: rhai::Engine,
    helpers: AST,
    limits: Limits,
}

impl std::fmt::Debug for ScriptEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptEngine")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl ScriptEngine {
    /// A sandboxed engine with the given limits and no helpers.
    pub fn new(limits: Limits) -> ScriptEngine {
        /// Operations between two reads of the clock for the time limit.
        const CLOCK_EVERY_OPS: u64 = 8;
        // Rhai reads a limit of 0 as "no limit at all"; here 0 is the strictest limit there is,
        // so that a pack's `[limits]` (capped by the ceiling with `min`) cannot switch a limit
        // off by asking for 0
        let limits = Limits {
            max_operations: limits.max_operations.max(1),
            max_expr_depth: limits.max_expr_depth.max(1),
            max_string_size: limits.max_string_size.max(1),
            max_array_size: limits.max_array_size.max(1),
            max_map_size: limits.max_map_size.max(1),
            // 0 is already the strictest for these: no nested calls, an immediate deadline
            max_call_depth: limits.max_call_depth,
            max_duration_ms: limits.max_duration_ms,
        };
        let mut engine = rhai::Engine::new();
        engine
            .set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new())
            .disable_symbol("eval")
            .disable_symbol("import")
            .on_print(|_| {})
            .on_debug(|_, _, _| {})
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_depth)
            .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_max_modules(0);
        engine.on_progress(|ops| {
            // One operation can be one long built-in call (`chars()` of megabytes takes tens
            // of milliseconds), so the clock is read often enough that a loop of such calls
            // stops a few calls past the limit; a clock read costs about 20 ns.
            if ops % CLOCK_EVERY_OPS != 0 {
                return None;
            }
            let late = STATE.with(|s| s.borrow().as_ref().is_some_and(|st| st.budget.spent()));
            late.then(|| Dynamic::from("time limit exceeded"))
        });
        engine.register_fn(
            "fact",
            |name: ImmutableString| -> Result<Dynamic, Box<EvalAltResult>> {
                read_fact(&name, true).ok_or_else(|| {
                    Box::new(EvalAltResult::ErrorRuntime(
                        Dynamic::from(format!("{MISSING_MARK}{name}")),
                        Position::NONE,
                    ))
                })
            },
        );
        // built-ins that escape the limits: sleep blocks the thread (and panics on huge
        // values), pad with an empty string never returns; checks have no use for them
        fn refused(what: &str) -> Box<EvalAltResult> {
            Box::new(EvalAltResult::ErrorRuntime(
                Dynamic::from(format!("{what} is not available in checks")),
                Position::NONE,
            ))
        }
        engine.register_fn(
            "sleep",
            |_: rhai::FLOAT| -> Result<(), Box<EvalAltResult>> { Err(refused("sleep")) },
        );
        engine.register_fn("sleep", |_: rhai::INT| -> Result<(), Box<EvalAltResult>> {
            Err(refused("sleep"))
        });
        engine.register_fn(
            "pad",
            |_: &mut ImmutableString,
             _: rhai::INT,
             _: ImmutableString|
             -> Result<(), Box<EvalAltResult>> { Err(refused("pad")) },
        );
        engine.register_fn(
            "pad",
            |_: &mut ImmutableString, _: rhai::INT, _: char| -> Result<(), Box<EvalAltResult>> {
                Err(refused("pad"))
            },
        );
        engine.register_fn(
            "pad",
            |_: &mut Array, _: rhai::INT, _: Dynamic| -> Result<(), Box<EvalAltResult>> {
                Err(refused("pad"))
            },
        );
        // replace builds its whole result before the engine's size check sees it: a 16 KiB
        // string with every character replaced by 32 KiB asks for 512 MiB, two strings at
        // the limit for a TiB. These overrides compute the result's size first and refuse
        // one over max_string_size without allocating it.
        let max = limits.max_string_size;
        engine.register_fn(
            "replace",
            move |s: &mut ImmutableString,
                  find: ImmutableString,
                  sub: ImmutableString|
                  -> Result<(), Box<EvalAltResult>> {
                bounded_replace(s, &find, &sub, max)
            },
        );
        engine.register_fn(
            "replace",
            move |s: &mut ImmutableString,
                  find: ImmutableString,
                  sub: char|
                  -> Result<(), Box<EvalAltResult>> {
                bounded_replace(s, &find, sub.encode_utf8(&mut [0; 4]), max)
            },
        );
        engine.register_fn(
            "replace",
            move |s: &mut ImmutableString,
                  find: char,
                  sub: ImmutableString|
                  -> Result<(), Box<EvalAltResult>> {
                bounded_replace(s, find.encode_utf8(&mut [0; 4]), &sub, max)
            },
        );
        engine.register_fn(
            "replace",
            move |s: &mut ImmutableString,
                  find: char,
                  sub: char|
                  -> Result<(), Box<EvalAltResult>> {
                bounded_replace(
                    s,
                    find.encode_utf8(&mut [0; 4]),
                    sub.encode_utf8(&mut [0; 4]),
                    max,
                )
            },
        );
        // split, split_rev and to_chars build their whole array (a `Dynamic`, and a string for
        // split, per item) before the engine's size check sees it: an 8 MiB string split at
        // every character took about 540 MB and 2 s in one native call. These overrides count
        // the items first (no further than one past the limit) and refuse more than
        // max_array_size without building the array; otherwise they split exactly as Rhai's.
        let max = limits.max_array_size;
        engine.register_fn(
            "split",
            move |s: &mut ImmutableString, d: ImmutableString| -> SplitResult {
                bounded_split(s, &d, None, Direction::Forward, max)
            },
        );
        engine.register_fn(
            "split",
            move |s: &mut ImmutableString, d: char| -> SplitResult {
                bounded_split(s, d.encode_utf8(&mut [0; 4]), None, Direction::Forward, max)
            },
        );
        engine.register_fn(
            "split",
            move |s: &mut ImmutableString, d: ImmutableString, n: rhai::INT| -> SplitResult {
                bounded_split(s, &d, Some(n), Direction::Forward, max)
            },
        );
        engine.register_fn(
            "split",
            move |s: &mut ImmutableString, d: char, n: rhai::INT| -> SplitResult {
                bounded_split(
                    s,
                    d.encode_utf8(&mut [0; 4]),
                    Some(n),
                    Direction::Forward,
                    max,
                )
            },
        );
        engine.register_fn(
            "split_rev",
            move |s: &mut ImmutableString, d: ImmutableString| -> SplitResult {
                bounded_split(s, &d, None, Direction::Reverse, max)
            },
        );
        engine.register_fn(
            "split_rev",
            move |s: &mut ImmutableString, d: char| -> SplitResult {
                bounded_split(s, d.encode_utf8(&mut [0; 4]), None, Direction::Reverse, max)
            },
        );
        engine.register_fn(
            "split_rev",
            move |s: &mut ImmutableString, d: ImmutableString, n: rhai::INT| -> SplitResult {
                bounded_split(s, &d, Some(n), Direction::Reverse, max)
            },
        );
        engine.register_fn(
            "split_rev",
            move |s: &mut ImmutableString, d: char, n: rhai::INT| -> SplitResult {
                bounded_split(
                    s,
                    d.encode_utf8(&mut [0; 4]),
                    Some(n),
                    Direction::Reverse,
                    max,
                )
            },
        );
        engine.register_fn("split", move |s: &mut ImmutableString| -> SplitResult {
            bounded_split_whitespace(s, max)
        });
        engine.register_fn("to_chars", move |s: ImmutableString| -> SplitResult {
            bounded_to_chars(&s, max)
        });
        engine.register_fn("has", |name: ImmutableString| -> bool {
            read_fact(&name, false).is_some()
        });
        engine.register_fn("fact_or", |name: ImmutableString, default: Dynamic| {
            read_fact(&name, false).unwrap_or(default)
        });
        ScriptEngine {
            engine,
            helpers: AST::empty(),
            limits,
        }
    }

    /// The limits this engine enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn compile_err(e: rhai::ParseError) -> CompileError {
        let pos = e.position();
        CompileError {
            message: e.err_type().to_string(),
            line: pos.line().unwrap_or(1),
            column: pos.position().unwrap_or(1),
        }
    }

    /// Adds shared helper functions (a `.rhai` file). Only `fn` definitions are kept.
    pub fn add_helpers(&mut self, script: &str) -> Result<(), CompileError> {
        let ast = self.engine.compile(script).map_err(Self::compile_err)?;
        self.helpers = self.helpers.merge(&ast.clone_functions_only());
        Ok(())
    }

    /// Compiles a check. Fact names are returned by [`Check::may_read`].
    pub fn compile(&self, script: &str) -> Result<Check, CompileError> {
        let ast = self.engine.compile(script).map_err(Self::compile_err)?;
        let (may_read, _) = fact_references(script);
        Ok(Check {
            source: script.to_owned(),
            ast: self.helpers.merge(&ast),
            may_read,
        })
    }

    /// Evaluates a check against `facts`. Never panics, never fails: problems are verdicts.
    pub fn evaluate(&self, check: &Check, facts: &Facts) -> Evaluation {
        let budget = Duration::from_millis(self.limits.max_duration_ms);
        STATE.with(|s| {
            *s.borrow_mut() = Some(EvalState {
                facts: facts.clone(),
                read: Vec::new(),
                missing: BTreeSet::new(),
                budget: Budget::start(budget),
            })
        });
        let mut scope = Scope::new();
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &check.ast);
        let state = STATE.with(|s| s.borrow_mut().take());
        let (read, missing) = state
            .map(|s| (s.read, s.missing.into_iter().collect::<Vec<_>>()))
            .unwrap_or_default();
        let (verdict, error) = if !missing.is_empty() {
            (Verdict::Unknown, None)
        } else {
            match result {
                Ok(v) => match v.as_bool() {
                    Ok(true) => (Verdict::Confirmed, None),
                    Ok(false) => (Verdict::RuledOut, None),
                    Err(ty) => (
                        Verdict::Error,
                        Some(format!("check must return true or false, got {ty}")),
                    ),
                },
                Err(e) => (Verdict::Error, Some(describe_error(&e, &self.limits))),
            }
        };
        Evaluation {
            verdict,
            facts_read: read,
            missing,
            error,
        }
    }
}

/// `s.replace(find, sub)` as Rhai's built-in does it (in place; an empty `s` stays empty),
/// but refused when the result would be longer than `max` bytes.
/// The size is counted first, in one pass over `s`, so nothing over the limit is allocated.
fn bounded_replace(
    s: &mut ImmutableString,
    find: &str,
    sub: &str,
    max: usize,
) -> Result<(), Box<EvalAltResult>> {
    if s.is_empty() {
        return Ok(());
    }
    // `matches` finds the same non-overlapping occurrences `str::replace` replaces (with an
    // empty `find`, one at every character boundary)
    let count = s.matches(find).count();
    if count == 0 {
        return Ok(());
    }
    let size = (s.len() - count * find.len()).saturating_add(count.saturating_mul(sub.len()));
    if size > max {
        return Err(Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from(format!(
                "replace would make a string of {size} bytes ({count} occurrences), over the \
                 string size limit of {max} bytes (max_string_size)"
            )),
            Position::NONE,
        )));
    }
    *s = s.replace(find, sub).into();
    Ok(())
}

type SplitResult = Result<Array, Box<EvalAltResult>>;

/// Which end [`bounded_split`] splits from: `split` or `split_rev`.
#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Reverse,
}

/// The error for an array-building string function whose result would have more than `max`
/// items.
fn too_many_items(what: &str, max: usize) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(format!(
            "{what} would make an array of more than {max} items, over the array size limit \
             of {max} items (max_array_size)"
        )),
        Position::NONE,
    ))
}

/// `s.split(delim)`, `s.split(delim, segments)` (`segments` given) and their `split_rev`
/// forms, as Rhai's built-ins do them (a character delimiter is passed as its UTF-8 string,
/// which matches at the same places), but refused when the array would have more than `max`
/// items. The items are counted first, and no further than one past the limit, so a refused
/// call costs at most `max` searches and allocates nothing.
fn bounded_split(
    s: &ImmutableString,
    delim: &str,
    segments: Option<rhai::INT>,
    direction: Direction,
    max: usize,
) -> SplitResult {
    // Rhai's special cases: the string itself, alone
    if segments.is_some_and(|n| n <= 1) || s.is_empty() || (!delim.is_empty() && !s.contains(delim))
    {
        return Ok(vec![s.clone().into()]);
    }
    let segments = segments.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    // `str::split` yields one item more than there are matches (an empty delimiter matches at
    // every character boundary, both ends included); `splitn` at most `segments`. `rsplit`
    // searches from the end, so count as it does.
    let enough = segments
        .unwrap_or(usize::MAX)
        .min(max.saturating_add(1))
        .saturating_sub(1);
    let matches = match direction {
        Direction::Forward => s.matches(delim).take(enough).count(),
        Direction::Reverse => s.rmatches(delim).take(enough).count(),
    };
    if matches + 1 > max {
        let what = match direction {
            Direction::Forward => "split",
            Direction::Reverse => "split_rev",
        };
        return Err(too_many_items(what, max));
    }
    Ok(match (direction, segments) {
        (Direction::Forward, None) => s.split(delim).map(Into::into).collect(),
        (Direction::Forward, Some(n)) => s.splitn(n, delim).map(Into::into).collect(),
        (Direction::Reverse, None) => s.rsplit(delim).map(Into::into).collect(),
        (Direction::Reverse, Some(n)) => s.rsplitn(n, delim).map(Into::into).collect(),
    })
}

/// `s.split()` (on whitespace) as Rhai's built-in does it (an empty string gives one empty
/// item), refused over `max` items, counted first.
fn bounded_split_whitespace(s: &ImmutableString, max: usize) -> SplitResult {
    if s.is_empty() {
        return Ok(vec![s.clone().into()]);
    }
    if s.split_whitespace().take(max.saturating_add(1)).count() > max {
        return Err(too_many_items("split", max));
    }
    Ok(s.split_whitespace().map(Into::into).collect())
}

/// `s.to_chars()` as Rhai's built-in does it, refused over `max` characters, counted first.
fn bounded_to_chars(s: &str, max: usize) -> SplitResult {
    if s.chars().take(max.saturating_add(1)).count() > max {
        return Err(too_many_items("to_chars", max));
    }
    Ok(s.chars().map(Into::into).collect())
}

fn describe_error(e: &EvalAltResult, limits: &Limits) -> String {
    match e {
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "stopped after {} operations (limit max_operations)",
            limits.max_operations
        ),
        EvalAltResult::ErrorTerminated(..) => format!(
            "stopped after {} ms (limit max_duration_ms)",
            limits.max_duration_ms
        ),
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "call depth over {} (limit max_call_depth)",
            limits.max_call_depth
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            format!("{what} over its size limit (max_string_size / max_array_size / max_map_size)")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn facts(pairs: &[(&str, FactValue)]) -> Facts {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn verdicts_are_ordered_as_answers_list_causes() {
        let mut all = [
            Verdict::RuledOut,
            Verdict::Error,
            Verdict::Unknown,
            Verdict::Confirmed,
        ];
        all.sort();
        assert_eq!(
            all,
            [
                Verdict::Confirmed,
                Verdict::Unknown,
                Verdict::Error,
                Verdict::RuledOut
            ]
        );
    }

    #[test]
    fn missing_fact_is_unknown_not_confirmed() {
        let se = ScriptEngine::new(Limits::default());
        let c = se
            .compile(r#"fact("saml.nameid_format") != "email""#)
            .unwrap();
        let e = se.evaluate(&c, &Facts::new());
        assert_eq!(e.verdict, Verdict::Unknown);
        assert_eq!(e.missing, vec!["saml.nameid_format".to_owned()]);
        let e = se.evaluate(
            &c,
            &facts(&[("saml.nameid_format", FactValue::Str("persistent".into()))]),
        );
        assert_eq!(e.verdict, Verdict::Confirmed);
        assert_eq!(e.facts_read, vec!["saml.nameid_format".to_owned()]);
    }

    #[test]
    fn catching_the_missing_fact_error_does_not_confirm() {
        let se = ScriptEngine::new(Limits::default());
        let c = se.compile(r#"try { fact("a") } catch { true }"#).unwrap();
        assert_eq!(se.evaluate(&c, &Facts::new()).verdict, Verdict::Unknown);
    }

    #[test]
    fn has_and_fact_or_do_not_ask() {
        let se = ScriptEngine::new(Limits::default());
        let c = se.compile(r#"!has("a") && fact_or("b", 3) > 2"#).unwrap();
        let e = se.evaluate(&c, &Facts::new());
        assert_eq!(e.verdict, Verdict::Confirmed);
        assert!(e.missing.is_empty());
    }

    #[test]
    fn hostile_scripts_error_quickly() {
        let se = ScriptEngine::new(Limits::default());
        for src in [
            "loop {}",
            "fn f(x) { f(x + 1) } f(0)",
            r#"let s = "x"; loop { s += s; }"#,
            "let a = []; loop { a.push(1); }",
        ] {
            let c = se.compile(src).unwrap();
            let t = Instant::now();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Error, "{src}");
            assert!(t.elapsed() < Duration::from_secs(2), "{src}");
        }
    }

    #[test]
    fn replace_keeps_rhai_semantics_within_the_size_limit() {
        let se = ScriptEngine::new(Limits::default());
        for src in [
            r#"let s = "a-b-c"; s.replace("-", "+"); s == "a+b+c""#,
            r#"let s = "a-b-c"; s.replace("-", '+'); s == "a+b+c""#,
            r#"let s = "a-b-c"; s.replace('-', "<>"); s == "a<>b<>c""#,
            r#"let s = "a-b-c"; s.replace('-', 'é'); s == "aébéc""#,
            r#"let s = "abc"; s.replace("", "."); s == ".a.b.c.""#,
            r#"let s = ""; s.replace("", "x"); s == """#,
            r#"let s = "aaa"; s.replace("aa", "b"); s == "ba""#,
            r#"let s = "abc"; s.replace("x", "y"); s == "abc""#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Confirmed, "{src}: {:?}", e.error);
        }
    }

    #[test]
    fn replace_past_the_size_limit_is_refused_before_allocating() {
        let se = ScriptEngine::new(Limits {
            max_string_size: 1000,
            ..Limits::default()
        });
        // exactly at the limit is fine: 500 x "ab" -> 1000 bytes
        let at = r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace('a', "bb"); s.len() == 1000"#;
        let c = se.compile(at).unwrap();
        assert_eq!(se.evaluate(&c, &Facts::new()).verdict, Verdict::Confirmed);
        for src in [
            r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace("a", "bbb"); true"#,
            r#"let s = "a"; while s.len() < 501 { s += "a"; } s.replace("a", 'é'); true"#,
            r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace('a', "bbb"); true"#,
            r#"let s = "a"; while s.len() < 400 { s += "a"; } s.replace('a', '😀'); true"#,
            r#"let s = "a"; while s.len() < 500 { s += "a"; } s.replace("", "bb"); true"#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Error, "{src}");
            let msg = e.error.unwrap_or_default();
            assert!(
                msg.contains("over the string size limit of 1000 bytes (max_string_size)"),
                "{src}: {msg}"
            );
        }
    }

    /// The items of an array result, with their types, to compare two engines' results.
    fn items(v: &Dynamic) -> Vec<(String, String)> {
        v.clone()
            .into_array()
            .unwrap_or_else(|t| panic!("not an array: {t}"))
            .iter()
            .map(|d| (d.type_name().to_owned(), d.to_string()))
            .collect()
    }

    #[test]
    fn split_and_to_chars_give_what_rhai_gives() {
        // every overload on ASCII, multi-byte and whitespace strings, empty ones, delimiters
        // absent, empty, overlapping or multi-byte, and segment counts from i64::MIN to
        // i64::MAX, compared with Rhai's own built-ins (a plain engine has no overrides)
        let ours = ScriptEngine::new(Limits::default());
        let rhai = rhai::Engine::new();
        let strings = [
            "",
            "x",
            "abc",
            "a,b,,c,",
            ",",
            ",,,",
            "aaaa",
            "aaaaa",
            "hello, world! hello, foo!",
            "héllo, wörld",
            "日本語のテキスト",
            "😀a😀b😀",
            "  lead and  trail  ",
            "\t tabs\nand\r\nlines\u{3000}ideographic\u{a0}",
            "   ",
        ];
        let delimiters: Vec<Dynamic> = [
            "", ",", ",,", "a", "aa", "ll", "é", "😀", " ", "本語", "missing",
        ]
        .into_iter()
        .map(|d| Dynamic::from(ImmutableString::from(d)))
        .chain(
            [',', 'a', 'l', 'é', '😀', ' ', 'z']
                .into_iter()
                .map(Dynamic::from_char),
        )
        .collect();
        let segments = [rhai::INT::MIN, -1, 0, 1, 2, 3, 4, 100, rhai::INT::MAX];
        let with_delimiter = ["s.split(d)", "s.split_rev(d)"];
        let with_segments = ["s.split(d, n)", "s.split_rev(d, n)"];
        let alone = ["s.split()", "s.to_chars()", "s.split(2)", "s.split(-1)"];
        let compile = |src: &str| {
            (
                ours.engine.compile(src).unwrap(),
                rhai.compile(src).unwrap(),
            )
        };
        let mut compared = 0;
        let mut check = |src: &str, s: &str, d: Option<&Dynamic>, n: Option<rhai::INT>| {
            let (a, b) = compile(src);
            let mut scope = Scope::new();
            scope.push("s", ImmutableString::from(s));
            if let Some(d) = d {
                scope.push_dynamic("d", d.clone());
            }
            if let Some(n) = n {
                scope.push("n", n);
            }
            let got = ours
                .engine
                .eval_ast_with_scope::<Dynamic>(&mut scope.clone(), &a)
                .unwrap_or_else(|e| panic!("{src} with {s:?}, {d:?}, {n:?}: {e}"));
            let want = rhai.eval_ast_with_scope::<Dynamic>(&mut scope, &b).unwrap();
            assert_eq!(items(&got), items(&want), "{src} with {s:?}, {d:?}, {n:?}");
            compared += 1;
        };
        for s in strings {
            for src in alone {
                check(src, s, None, None);
            }
            for d in &delimiters {
                for src in with_delimiter {
                    check(src, s, Some(d), None);
                }
                for n in segments {
                    for src in with_segments {
                        check(src, s, Some(d), Some(n));
                    }
                }
            }
        }
        assert_eq!(
            compared,
            strings.len() * (4 + delimiters.len() * (2 + 2 * segments.len()))
        );
    }

    #[test]
    fn split_and_to_chars_keep_rhai_semantics_within_the_array_size_limit() {
        let se = ScriptEngine::new(Limits::default());
        // the examples of Rhai's documentation, and its special cases
        for src in [
            r#"let t = "hello, world! hello, foo!"; t.split("ll") == ["he", "o, world! he", "o, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split("ll", 2) == ["he", "o, world! hello, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split('l') == ["he", "", "o, wor", "d! he", "", "o, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split('l', 3) == ["he", "", "o, world! hello, foo!"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev("ll") == ["o, foo!", "o, world! he", "he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev("ll", 2) == ["o, foo!", "hello, world! he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev('l') == ["o, foo!", "", "d! he", "o, wor", "", "he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split_rev('l', 3) == ["o, foo!", "", "hello, world! he"]"#,
            r#"let t = "hello, world! hello, foo!"; t.split() == ["hello,", "world!", "hello,", "foo!"]"#,
            r#""hello".to_chars() == ['h', 'e', 'l', 'l', 'o']"#,
            r#""abc".split("") == ["", "a", "b", "c", ""]"#,
            r#""abc".split_rev("") == ["", "c", "b", "a", ""]"#,
            r#""abc".split("", 2) == ["", "abc"]"#,
            r#""日本語".split("") == ["", "日", "本", "語", ""]"#,
            r#""日本語".split('本') == ["日", "語"]"#,
            r#""héllo".to_chars() == ['h', 'é', 'l', 'l', 'o']"#,
            r#""a😀b".split("😀") == ["a", "b"]"#,
            r#""aaa".split("aa") == ["", "a"] && "aaa".split_rev("aa") == ["", "a"]"#,
            r#""a,b".split(",", 0) == ["a,b"] && "a,b".split(",", -5) == ["a,b"]"#,
            r#""a,b".split(',', 1) == ["a,b"] && "a,b,c".split_rev(',', 2) == ["c", "a,b"]"#,
            r#""a,b".split("x") == ["a,b"] && "a,b".split('x') == ["a,b"]"#,
            r#""".split("") == [""] && "".split(",") == [""] && "".split(',', 3) == [""]"#,
            r#""".split() == [""] && "   ".split() == [] && "".to_chars() == []"#,
            r#""hello, world!".split(6) == ["hello,", " world!"]"#,
            // a constant can be split (the overrides are pure, as Rhai's are)
            r#"const C = "a,b"; C.split(",") == ["a", "b"] && C.to_chars().len() == 3"#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Confirmed, "{src}: {:?}", e.error);
        }
    }

    #[test]
    fn split_and_to_chars_past_the_array_size_limit_are_refused_before_building() {
        let se = ScriptEngine::new(Limits {
            max_array_size: 10,
            ..Limits::default()
        });
        // exactly at the limit is fine: 10 items
        for src in [
            r#""abcdefgh".split("").len() == 10"#,
            r#""abcdefgh".split_rev("").len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j".split(",").len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j".split(',').len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j".split_rev(',').len() == 10"#,
            r#""a b c d e f g h i j".split().len() == 10"#,
            r#""abcdefghij".to_chars().len() == 10"#,
            // a segment count keeps a long split within the limit
            r#""abcdefghijklmnopqrstuvwxyz".split("", 10).len() == 10"#,
            r#""a,b,c,d,e,f,g,h,i,j,k,l".split_rev(',', 10).len() == 10"#,
            r#""abcdefghijklmnopqrstuvwxyz".split(3).len() == 2"#,
        ] {
            let c = se.compile(src).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Confirmed, "{src}: {:?}", e.error);
        }
        for (src, what) in [
            (r#""abcdefghi".split("")"#, "split"),
            (r#""abcdefghi".split_rev("")"#, "split_rev"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(",")"#, "split"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(',')"#, "split"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split_rev(",")"#, "split_rev"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split_rev(',')"#, "split_rev"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(",", 11)"#, "split"),
            (r#""a,b,c,d,e,f,g,h,i,j,k".split(',', 1000)"#, "split"),
            (r#""abcdefghij".split_rev("", 11)"#, "split_rev"),
            (
                r#""a,b,c,d,e,f,g,h,i,j,k".split_rev(',', 9223372036854775807)"#,
                "split_rev",
            ),
            (r#""a b c d e f g h i j k".split()"#, "split"),
            (r#""abcdefghijk".to_chars()"#, "to_chars"),
            (r#""日本語のテキストです。".to_chars()"#, "to_chars"),
        ] {
            let c = se.compile(&format!("{src}; true")).unwrap();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Error, "{src}");
            let msg = e.error.unwrap_or_default();
            assert!(
                msg.contains(&format!(
                    "{what} would make an array of more than 10 items, over the array size \
                     limit of 10 items (max_array_size)"
                )),
                "{src}: {msg}"
            );
        }
    }

    #[test]
    fn a_limit_of_zero_is_the_strictest_not_unlimited() {
        let zero = Limits {
            max_operations: 0,
            max_call_depth: 0,
            max_expr_depth: 0,
            max_string_size: 0,
            max_array_size: 0,
            max_map_size: 0,
            max_duration_ms: 0,
        };
        let strict = ScriptEngine::new(zero);
        assert_eq!(
            strict.limits(),
            Limits {
                max_operations: 1,
                max_expr_depth: 1,
                max_string_size: 1,
                max_array_size: 1,
                max_map_size: 1,
                ..zero
            }
        );
        // each limit alone at 0, the others at their defaults
        let cases: [(Limits, &str, &str); 4] = [
            (
                Limits {
                    max_string_size: 0,
                    ..Limits::default()
                },
                r#"let s = "x"; loop { s += s; }"#,
                "size limit",
            ),
            (
                Limits {
                    max_array_size: 0,
                    ..Limits::default()
                },
                "let a = []; loop { a.push(1); }",
                "size limit",
            ),
            (
                Limits {
                    max_map_size: 0,
                    ..Limits::default()
                },
                "let m = #{a: 1}; m += #{b: 2}; true",
                "size limit",
            ),
            (
                Limits {
                    max_operations: 0,
                    max_duration_ms: 60_000,
                    ..Limits::default()
                },
                "loop {}",
                "max_operations",
            ),
        ];
        for (limits, src, says) in cases {
            let se = ScriptEngine::new(limits);
            let c = se.compile(src).unwrap();
            let t = Instant::now();
            let e = se.evaluate(&c, &Facts::new());
            assert_eq!(e.verdict, Verdict::Error, "{src}");
            assert!(
                e.error.as_deref().unwrap_or_default().contains(says),
                "{src}: {e:?}"
            );
            assert!(t.elapsed() < Duration::from_secs(2), "{src}");
        }
        let deep = ScriptEngine::new(Limits {
            max_expr_depth: 0,
            ..Limits::default()
        });
        let nested = format!("{}1{} == 1", "(".repeat(2000), ")".repeat(2000));
        assert!(deep.compile(&nested).is_err());
    }

    #[test]
    fn no_eval_no_import_no_non_bool() {
        let se = ScriptEngine::new(Limits::default());
        assert!(se.compile(r#"eval("1")"#).is_err());
        assert!(se.compile(r#"import "x" as y; true"#).is_err());
        let c = se.compile("42").unwrap();
        let e = se.evaluate(&c, &Facts::new());
        assert_eq!(e.verdict, Verdict::Error);
        assert!(e.error.unwrap().contains("true or false"));
    }

    #[test]
    fn helpers_are_callable_and_compile_errors_have_positions() {
        let mut se = ScriptEngine::new(Limits::default());
        se.add_helpers("fn is_email(s) { s.contains(\"@\") }")
            .unwrap();
        let c = se.compile(r#"is_email(fact("u"))"#).unwrap();
        let e = se.evaluate(&c, &facts(&[("u", FactValue::Str("a@b".into()))]));
        assert_eq!(e.verdict, Verdict::Confirmed);
        let err = se.compile("true &&\n  (1 +").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn fact_references_finds_literals_and_dynamic_calls() {
        let (names, dynamic) = fact_references(r#"fact("a.b") && has("c") || fact(x)"#);
        assert_eq!(names, vec!["a.b".to_owned(), "c".to_owned()]);
        assert_eq!(dynamic.len(), 1);
    }
}
