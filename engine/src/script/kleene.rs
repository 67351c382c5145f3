//! Three-valued checks: what a check says whatever the missing facts turn out to be.
//!
//! Pack authors write plain Rhai (`!fact("a") || !fact("b")`). A missing fact stops a script
//! where it is read, so on its own evaluation would say `unknown` as soon as the first read
//! fact is missing, even where the rest of the expression decides (`false || true`). Checks
//! are therefore evaluated over the possible values of the missing facts: a missing fact
//! with a finite set of values (a bool: true, false; an enum: its declared values) is
//! assumed to have each of them in turn, and
//!
//! * a check that is true (or false) under every assumption gets that verdict;
//! * otherwise it is `unknown`, and its `missing` facts are exactly those whose value changes
//!   the outcome: the facts that would decide it.
//!
//! This is the strong Kleene reading of `&&`, `||`, `!` and comparisons (an unknown operand
//! decides nothing unless its value does not matter), extended to every helper and to `if`.
//! Assumed values are seen by `fact()` only: `has("x")` stays false and `fact_or("x", d)`
//! stays `d` for a missing fact, so `has()` guards keep their meaning. A missing fact of an
//! open type (string, number, list) cannot be enumerated: where it is read the outcome stays
//! `unknown` and that fact is asked for. At most [`MAX_CASES`] cases are tried; past that the
//! check is `unknown` with the facts seen so far.

use std::collections::BTreeMap;

use crate::facts::{FactDecl, FactType, FactValue, Facts};

use super::{Evaluation, Verdict};

/// Most assumptions tried for one check.
pub const MAX_CASES: usize = 64;

/// The values a missing fact may take, when there are finitely many.
pub fn values_of(decl: &FactDecl) -> Option<Vec<FactValue>> {
    match decl.ty {
        FactType::Bool => Some(vec![FactValue::Bool(true), FactValue::Bool(false)]),
        FactType::Enum if !decl.values.is_empty() => Some(
            decl.values
                .iter()
                .map(|v| FactValue::Str(v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

/// The outcome of one branch of the case split.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// A plain verdict (confirmed, ruled out, error), the same under every assumption below.
    Decided(Verdict, Option<String>),
    /// Depends on these facts (or an open-typed fact was read while missing).
    Undecided(Vec<String>),
}

/// Evaluates a check over the values of its missing facts. `eval` runs the check once with
/// the given assumed facts (seen by `fact()` only); `decls` gives the declared facts.
pub fn evaluate(
    decls: &BTreeMap<String, FactDecl>,
    mut eval: impl FnMut(&Facts) -> Evaluation,
) -> Evaluation {
    let mut cases = 0usize;
    let mut read: Vec<String> = Vec::new();
    let mut first_error: Option<Evaluation> = None;
    let outcome = split(
        decls,
        &mut eval,
        &mut Facts::new(),
        &mut cases,
        &mut read,
        &mut first_error,
    );
    match outcome {
        Outcome::Decided(Verdict::Error, _) => {
            let mut e = first_error.unwrap_or(Evaluation {
                verdict: Verdict::Error,
                facts_read: Vec::new(),
                missing: Vec::new(),
                error: None,
            });
            e.facts_read = read;
            e
        }
        Outcome::Decided(verdict, error) => Evaluation {
            verdict,
            facts_read: read,
            missing: Vec::new(),
            error,
        },
        Outcome::Undecided(missing) => Evaluation {
            verdict: Verdict::Unknown,
            facts_read: read,
            missing,
            error: None,
        },
    }
}

fn split(
    decls: &BTreeMap<String, FactDecl>,
    eval: &mut impl FnMut(&Facts) -> Evaluation,
    assumed: &mut Facts,
    cases: &mut usize,
    read: &mut Vec<String>,
    first_error: &mut Option<Evaluation>,
) -> Outcome {
    *cases += 1;
    let ev = eval(assumed);
    for f in &ev.facts_read {
        if !read.contains(f) {
            read.push(f.clone());
        }
    }
    if ev.verdict != Verdict::Unknown {
        if ev.verdict == Verdict::Error && first_error.is_none() {
            *first_error = Some(ev.clone());
        }
        return Outcome::Decided(ev.verdict, ev.error);
    }
    // the fact that stopped this run
    let Some(fact) = ev.missing.first().cloned() else {
        return Outcome::Undecided(Vec::new());
    };
    let values = decls.get(&fact).and_then(values_of);
    let Some(values) = values.filter(|_| *cases < MAX_CASES) else {
        return Outcome::Undecided(vec![fact]);
    };
    let mut outcomes = Vec::with_capacity(values.len());
    for v in values {
        assumed.insert(fact.clone(), v);
        let o = split(decls, eval, assumed, cases, read, first_error);
        assumed.remove(&fact);
        // a failing branch (a limit, a type error) fails the check: no more cases are run
        if matches!(o, Outcome::Decided(Verdict::Error, _)) {
            return o;
        }
        outcomes.push(o);
    }
    let all_same = outcomes.windows(2).all(|w| w[0] == w[1]);
    match all_same {
        // the same outcome whatever this fact is: it decides nothing
        true => outcomes.swap_remove(0),
        false => {
            // this fact decides, and so do the facts the branches still depend on
            let mut needs = vec![fact];
            for o in outcomes {
                if let Outcome::Undecided(fs) = o {
                    for f in fs {
                        if !needs.contains(&f) {
                            needs.push(f);
                        }
                    }
                }
            }
            Outcome::Undecided(needs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::FactDecl;
    use crate::script::{Limits, ScriptEngine};

    fn decl(name: &str, ty: FactType, values: &[&str]) -> FactDecl {
        FactDecl {
            name: name.to_owned(),
            ty,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            description: String::new(),
            question: String::new(),
        }
    }

    fn decls() -> BTreeMap<String, FactDecl> {
        let mut d = BTreeMap::new();
        for name in ["a", "b", "c"] {
            d.insert(name.to_owned(), decl(name, FactType::Bool, &[]));
        }
        d.insert(
            "fmt".to_owned(),
            decl("fmt", FactType::Enum, &["email", "persistent", "transient"]),
        );
        d.insert("n".to_owned(), decl("n", FactType::Int, &[]));
        d
    }

    /// Each of `a`, `b` is true, false or missing (None).
    fn eval(script: &str, a: Option<bool>, b: Option<bool>) -> Evaluation {
        let se = ScriptEngine::new(Limits::default());
        let check = se.compile(script).unwrap();
        let mut facts = Facts::new();
        if let Some(a) = a {
            facts.insert("a".into(), FactValue::Bool(a));
        }
        if let Some(b) = b {
            facts.insert("b".into(), FactValue::Bool(b));
        }
        se.evaluate_kleene(&check, &facts, &decls())
    }

    fn kleene(v: Option<bool>) -> Verdict {
        match v {
            Some(true) => Verdict::Confirmed,
            Some(false) => Verdict::RuledOut,
            None => Verdict::Unknown,
        }
    }

    const VALUES: [Option<bool>; 3] = [Some(true), Some(false), None];

    #[test]
    fn and_or_not_follow_kleene_truth_tables() {
        for a in VALUES {
            for b in VALUES {
                let and = match (a, b) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                };
                let or = match (a, b) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                };
                let not_a = a.map(|x| !x);
                let e = eval(r#"fact("a") && fact("b")"#, a, b);
                assert_eq!(e.verdict, kleene(and), "{a:?} && {b:?}");
                let e = eval(r#"fact("a") || fact("b")"#, a, b);
                assert_eq!(e.verdict, kleene(or), "{a:?} || {b:?}");
                let e = eval(r#"!fact("a")"#, a, b);
                assert_eq!(e.verdict, kleene(not_a), "!{a:?}");
                // the order of the operands does not matter
                let e = eval(r#"fact("b") && fact("a")"#, a, b);
                assert_eq!(e.verdict, kleene(and), "{b:?} && {a:?}");
                let e = eval(r#"fact("b") || fact("a")"#, a, b);
                assert_eq!(e.verdict, kleene(or), "{b:?} || {a:?}");
            }
        }
    }

    #[test]
    fn unknown_names_exactly_the_facts_that_decide() {
        // a is known false: `!a || ...` is decided, whatever b and c are
        let e = eval(
            r#"!fact("a") || !fact("b") || !fact("c")"#,
            Some(false),
            None,
        );
        assert_eq!(e.verdict, Verdict::Confirmed);
        // the first read fact missing, the second decides alone
        let e = eval(r#"!fact("c") || !fact("b")"#, None, Some(false));
        assert_eq!(e.verdict, Verdict::Confirmed);
        // a true: only b and c are asked for
        let e = eval(
            r#"!fact("a") || !fact("b") || !fact("c")"#,
            Some(true),
            None,
        );
        assert_eq!(e.verdict, Verdict::Unknown);
        assert_eq!(e.missing, vec!["b".to_owned(), "c".to_owned()]);
        // a fact read but not deciding is not asked for
        let e = eval(r#"(fact("c") || true) && fact("b")"#, None, None);
        assert_eq!(e.verdict, Verdict::Unknown);
        assert_eq!(e.missing, vec!["b".to_owned()]);
    }

    #[test]
    fn comparisons_and_enums_are_three_valued() {
        // every NameID format but email makes the check true
        let e = eval(r#"fact("fmt") != "email" || fact("a")"#, Some(true), None);
        assert_eq!(e.verdict, Verdict::Confirmed);
        let e = eval(r#"fact("fmt") == "x" && fact("b")"#, None, Some(true));
        assert_eq!(e.verdict, Verdict::RuledOut, "no declared value equals x");
        // an open-typed fact cannot be enumerated: unknown, and it is asked for
        let e = eval(r#"fact("n") > 3 && fact("a")"#, Some(true), None);
        assert_eq!(e.verdict, Verdict::Unknown);
        assert_eq!(e.missing, vec!["n".to_owned()]);
        // ... unless the rest decides first
        let e = eval(r#"fact("a") && fact("n") > 3"#, Some(false), None);
        assert_eq!(e.verdict, Verdict::RuledOut);
    }

    #[test]
    fn has_guards_keep_their_meaning() {
        // has() sees a missing fact as missing, also while a value is assumed for fact()
        let e = eval(r#"has("a") && fact("a")"#, None, None);
        assert_eq!(e.verdict, Verdict::RuledOut);
        let e = eval(r#"!has("a") || fact("a")"#, None, None);
        assert_eq!(e.verdict, Verdict::Confirmed);
        let e = eval(r#"fact_or("a", false) || fact("b")"#, None, Some(false));
        assert_eq!(e.verdict, Verdict::RuledOut);
    }

    #[test]
    fn a_failing_branch_fails_the_check() {
        let e = eval(r#"if fact("a") { loop {} } else { false }"#, None, None);
        assert_eq!(e.verdict, Verdict::Error);
        assert!(e.error.is_some());
    }
}
