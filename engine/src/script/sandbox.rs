//! The sandbox: a Rhai engine with no modules, no `eval`, no printing, every limit set,
//! and facts read only through `fact()`, `has()` and `fact_or()`.
//!
//! Facts are not pushed into the script's scope: Rhai reads a missing map key as `()`, and
//! constants in scope let the optimiser fold reads away. Instead the facts of the running
//! evaluation sit in a thread-local state that the fact functions read, recording every name
//! read and every one missing; `fact()` of a missing name stops the script, and any missing
//! read makes the verdict `unknown` whatever the script did with the error.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::Duration;

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Position};

use super::Limits;
use crate::budget::Budget;
use crate::facts::{FactValue, Facts};

struct EvalState {
    facts: Facts,
    /// Values assumed for missing facts (three-valued checks): seen by `fact()` only.
    assumed: Facts,
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
            // an assumed value answers `fact()`; `has()` and `fact_or()` still see a
            // missing fact
            None if record_missing && state.assumed.contains_key(name) => {
                state.assumed.get(name).map(to_dynamic)
            }
            None => {
                if record_missing {
                    state.missing.insert(name.to_owned());
                }
                None
            }
        }
    })
}

/// What an evaluation read: every fact name in order of first read, and the missing ones.
pub(super) struct Reads {
    /// Fact names read, present or not.
    pub read: Vec<String>,
    /// Fact names read by `fact()` and missing.
    pub missing: Vec<String>,
}

/// Runs `eval` with `facts` readable by the fact functions, within `budget` of this thread's
/// CPU time, and with values assumed for missing facts: `fact()` returns them, `has()`
/// and `fact_or()` do not see them.
pub(super) fn with_facts_assuming<T>(
    facts: &Facts,
    assumed: &Facts,
    budget: Duration,
    eval: impl FnOnce() -> T,
) -> (T, Reads) {
    STATE.with(|s| {
        *s.borrow_mut() = Some(EvalState {
            assumed: assumed.clone(),
            facts: facts.clone(),
            read: Vec::new(),
            missing: BTreeSet::new(),
            budget: Budget::start(budget),
        })
    });
    let out = eval();
    let state = STATE.with(|s| s.borrow_mut().take());
    let (read, missing) = state
        .map(|s| (s.read, s.missing.into_iter().collect::<Vec<_>>()))
        .unwrap_or_default();
    (out, Reads { read, missing })
}

/// A Rhai engine with the sandbox's limits (0 made the strictest value) and the fact
/// functions; returns it with the limits it enforces.
pub(super) fn engine(limits: Limits) -> (rhai::Engine, Limits) {
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
    engine.register_fn("has", |name: ImmutableString| -> bool {
        read_fact(&name, false).is_some()
    });
    engine.register_fn("fact_or", |name: ImmutableString, default: Dynamic| {
        read_fact(&name, false).unwrap_or(default)
    });
    (engine, limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{ScriptEngine, Verdict};
    use std::time::Instant;

    fn facts(pairs: &[(&str, FactValue)]) -> Facts {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
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
    fn no_eval_no_import_no_non_bool() {
        let se = ScriptEngine::new(Limits::default());
        assert!(se.compile(r#"eval("1")"#).is_err());
        assert!(se.compile(r#"import "x" as y; true"#).is_err());
        let c = se.compile("42").unwrap();
        let e = se.evaluate(&c, &Facts::new());
        assert_eq!(e.verdict, Verdict::Error);
        assert!(e.error.unwrap().contains("true or false"));
    }
}
