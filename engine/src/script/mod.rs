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

//!
//! One file per job: [`limits`](Limits) (what an evaluation may spend), `sandbox` (the
//! engine's configuration and how facts are read), `builtins` (built-ins bounded before
//! they allocate, or refused) and `references` (which facts a check reads, found at load).

mod builtins;
pub mod kleene;
mod limits;
mod references;
mod sandbox;

use std::time::Duration;

use rhai::{Dynamic, Scope, AST};
use serde::{Deserialize, Serialize};

use crate::facts::Facts;
use sandbox::Reads;

pub use limits::Limits;
pub use references::{ComputedRef, FactRef, References, ScriptPos};

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

/// A check, known to compile.
///
/// It holds its source and references, and compiles its syntax tree (with its pack's
/// helpers) the first time it is evaluated: a pack loaded from its files keeps no tree from
/// the compile that validated it (at 50 000 entries those trees were 37 MiB, most of them
/// for checks no query runs), and one read back from its snapshot has none to keep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    source: String,
    /// The syntax tree with the helpers merged in, or why it did not compile.
    #[serde(skip)]
    ast: std::sync::OnceLock<Result<AST, String>>,
    /// Its evaluation when none of the facts it may read is known (see
    /// [`ScriptEngine::evaluate_kleene`]), made on first need.
    #[serde(skip)]
    without_facts: std::sync::OnceLock<Evaluation>,
    may_read: Vec<String>,
    references: References,
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

    /// The fact references of the script, with where they are written (found in its
    /// compiled syntax tree, not in its text).
    pub fn references(&self) -> &References {
        &self.references
    }
}

/// A sandboxed Rhai engine for one pack: its limits and its shared helper functions.
///
/// It serialises as its limits and its helpers' sources (for the pack snapshot). Read back,
/// the Rhai engine and the helpers are built on first use: a start that reads snapshots
/// builds them only for the packs whose checks a query runs.
pub struct ScriptEngine {
    limits: Limits,
    helper_sources: Vec<String>,
    /// What the helpers read: the fact names, and whether one computes a name.
    helper_reads: HelperReads,
    built: std::sync::OnceLock<Built>,
}

/// The facts the helper functions of an engine may read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct HelperReads {
    names: Vec<String>,
    computed: bool,
}

/// The Rhai engine with fixbook's built-ins, and the helper functions compiled.
struct Built {
    engine: rhai::Engine,
    helpers: AST,
}

/// What a script engine's snapshot holds.
#[derive(Serialize, Deserialize)]
struct ScriptEngineParts {
    limits: Limits,
    helpers: Vec<String>,
    helper_reads: HelperReads,
}

impl Serialize for ScriptEngine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ScriptEngineParts {
            limits: self.limits,
            helpers: self.helper_sources.clone(),
            helper_reads: self.helper_reads.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ScriptEngine {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parts = ScriptEngineParts::deserialize(d)?;
        Ok(ScriptEngine {
            limits: parts.limits,
            helper_sources: parts.helpers,
            helper_reads: parts.helper_reads,
            built: std::sync::OnceLock::new(),
        })
    }
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
        let (engine, limits) = Self::rhai_engine(limits);
        ScriptEngine {
            limits,
            helper_sources: Vec::new(),
            helper_reads: HelperReads::default(),
            built: std::sync::OnceLock::from(Built {
                engine,
                helpers: AST::empty(),
            }),
        }
    }

    /// The sandboxed Rhai engine with fixbook's built-ins, and the limits it enforces.
    fn rhai_engine(limits: Limits) -> (rhai::Engine, Limits) {
        let (mut engine, limits) = sandbox::engine(limits);
        builtins::register(&mut engine, &limits);
        (engine, limits)
    }

    /// The Rhai engine and the helpers, built now if this engine was read back from a
    /// snapshot (its helpers compiled when the pack was loaded, so none fails here; one
    /// that did would be left out, and the checks calling it would be errors).
    fn built(&self) -> &Built {
        self.built.get_or_init(|| self.build())
    }

    fn build(&self) -> Built {
        let (engine, _) = Self::rhai_engine(self.limits);
        let mut helpers = AST::empty();
        for script in &self.helper_sources {
            if let Ok(ast) = engine.compile(script) {
                helpers = helpers.merge(&ast.clone_functions_only());
            }
        }
        Built { engine, helpers }
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
    /// Returns the facts the helpers read.
    pub fn add_helpers(&mut self, script: &str) -> Result<References, CompileError> {
        let mut built = self.built.take().unwrap_or_else(|| self.build());
        let compiled = built.engine.compile(script).map_err(Self::compile_err);
        let references = compiled.map(|ast| {
            let functions = ast.clone_functions_only();
            built.helpers = built.helpers.merge(&functions);
            self.helper_sources.push(script.to_owned());
            let references = references::find(&functions);
            let reads = &mut self.helper_reads;
            reads.computed |= !references.computed.is_empty();
            for name in references.names() {
                if !reads.names.iter().any(|n| n == name) {
                    reads.names.push(name.to_owned());
                }
            }
            references
        });
        let _ = self.built.set(built);
        references
    }

    /// Compiles a check, to validate it. The facts it reads are found once, in its own syntax
    /// tree (not its helpers'): [`Check::references`], and their names in
    /// [`Check::may_read`]. The tree itself is not kept (see [`Check`]).
    pub fn compile(&self, script: &str) -> Result<Check, CompileError> {
        let built = self.built();
        let ast = built.engine.compile(script).map_err(Self::compile_err)?;
        let references = references::find(&ast);
        Ok(Check {
            source: script.to_owned(),
            ast: std::sync::OnceLock::new(),
            without_facts: std::sync::OnceLock::new(),
            may_read: references.names().map(str::to_owned).collect(),
            references,
        })
    }

    /// Evaluates a check against `facts`. Never panics, never fails: problems are verdicts.
    /// A missing fact stops the script where it is read (see [`ScriptEngine::evaluate_kleene`]
    /// for what the rest of the expression decides).
    pub fn evaluate(&self, check: &Check, facts: &Facts) -> Evaluation {
        self.evaluate_assuming(check, facts, &Facts::new())
    }

    /// Evaluates a check with three-valued logic over its missing facts (see [`kleene`]):
    /// decided whatever the missing facts of finite type turn out to be, or `unknown` with
    /// exactly the facts that would decide it. `decls` are the fact declarations of the
    /// pack the check belongs to (always the same for one check).
    ///
    /// A check sees only the facts it (or a helper) names, so when `facts` holds none of
    /// them its evaluation is the one with no facts at all: that one is made once per check
    /// and kept (a text-only query runs no script for the checks it saw before). An `error`
    /// is not kept: a time limit depends on the machine, not only on the facts.
    pub fn evaluate_kleene(
        &self,
        check: &Check,
        facts: &Facts,
        decls: &std::collections::BTreeMap<String, crate::facts::FactDecl>,
    ) -> Evaluation {
        let blind = self.sees_none_of(check, facts);
        if blind {
            if let Some(ev) = check.without_facts.get() {
                return ev.clone();
            }
        }
        let ev = kleene::evaluate(decls, |assumed| {
            self.evaluate_assuming(check, facts, assumed)
        });
        if blind && ev.verdict != Verdict::Error {
            let _ = check.without_facts.set(ev.clone());
        }
        ev
    }

    /// Whether the check cannot read any of `facts`: every name it or a helper may read is
    /// a literal, and none is in `facts`.
    fn sees_none_of(&self, check: &Check, facts: &Facts) -> bool {
        check.references.computed.is_empty()
            && !self.helper_reads.computed
            && (facts.is_empty()
                || !check
                    .may_read
                    .iter()
                    .chain(&self.helper_reads.names)
                    .any(|name| facts.contains_key(name)))
    }

    /// The check's syntax tree, compiled now with this engine's helpers if it was read back
    /// from a snapshot.
    fn ast_of<'c>(&self, check: &'c Check) -> &'c Result<AST, String> {
        check.ast.get_or_init(|| {
            let built = self.built();
            built
                .engine
                .compile(&check.source)
                .map(|ast| built.helpers.merge(&ast))
                .map_err(|e| format!("check does not compile: {}", Self::compile_err(e).message))
        })
    }

    /// Evaluates a check with values assumed for missing facts (seen by `fact()` only).
    fn evaluate_assuming(&self, check: &Check, facts: &Facts, assumed: &Facts) -> Evaluation {
        let ast = match self.ast_of(check) {
            Ok(ast) => ast,
            Err(message) => {
                return Evaluation {
                    verdict: Verdict::Error,
                    facts_read: Vec::new(),
                    missing: Vec::new(),
                    error: Some(message.clone()),
                }
            }
        };
        let budget = Duration::from_millis(self.limits.max_duration_ms);
        let (result, reads) = sandbox::with_facts_assuming(facts, assumed, budget, || {
            self.built()
                .engine
                .eval_ast_with_scope::<Dynamic>(&mut Scope::new(), ast)
        });
        let Reads { read, missing } = reads;
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
                Err(e) => (
                    Verdict::Error,
                    Some(limits::describe_error(&e, &self.limits)),
                ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FactValue;

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

    fn kleene(se: &ScriptEngine, c: &Check, f: &Facts) -> Evaluation {
        let decl = |name: &str| crate::facts::FactDecl {
            name: name.to_owned(),
            ty: crate::facts::FactType::Bool,
            values: Vec::new(),
            description: String::new(),
            question: String::new(),
        };
        let decls = ["a", "b", "user.admin"]
            .into_iter()
            .map(|n| (n.to_owned(), decl(n)))
            .collect();
        se.evaluate_kleene(c, f, &decls)
    }

    #[test]
    fn a_check_kept_for_no_facts_still_sees_the_facts_it_or_its_helpers_read() {
        let mut se = ScriptEngine::new(Limits::default());
        se.add_helpers(r#"fn admin() { fact("user.admin") }"#)
            .unwrap();
        // a snapshot's engine knows what its helpers read
        let bytes = rmp_serde::to_vec_named(&se).unwrap();
        let read_back: ScriptEngine = rmp_serde::from_slice(&bytes).unwrap();
        for se in [se, read_back] {
            let c = se.compile(r#"fact("a") && admin()"#).unwrap();
            let unrelated = facts(&[("other", FactValue::Bool(true))]);
            for f in [Facts::new(), unrelated.clone(), Facts::new()] {
                let e = kleene(&se, &c, &f);
                assert_eq!(e.verdict, Verdict::Unknown);
                assert_eq!(e.missing, ["a", "user.admin"]);
            }
            let a = facts(&[("a", FactValue::Bool(true))]);
            assert_eq!(kleene(&se, &c, &a).missing, ["user.admin"]);
            let admin = facts(&[("user.admin", FactValue::Bool(false))]);
            assert_eq!(kleene(&se, &c, &admin).verdict, Verdict::RuledOut);
            let both = facts(&[
                ("a", FactValue::Bool(true)),
                ("user.admin", FactValue::Bool(true)),
            ]);
            assert_eq!(kleene(&se, &c, &both).verdict, Verdict::Confirmed);
            assert_eq!(kleene(&se, &c, &unrelated).missing, ["a", "user.admin"]);
        }
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
}
