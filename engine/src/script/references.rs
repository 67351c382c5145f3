//! References: which facts a script reads, found in its compiled syntax tree.
//!
//! The loader refuses a check that reads an undeclared fact, and questions list the facts an
//! undecided check may read, so the names must be found the way Rhai reads the script: by
//! walking the compiled AST (`AST::walk`, rhai's `internals` feature), once per script, as
//! part of compiling it. A search over the script's text would also see comments and
//! strings (`// old name was fact("svc.restarted")` would block a pack) and would take the
//! first part of a computed name for a name (`fact("service." + k)` read as `service.`).
//!
//! A call of `fact`, `has` or `fact_or` whose name is a string literal is a reference; any
//! other form (a computed name, a variable, a method call `"x".fact()`) is reported as
//! computed, and the loader asks for a literal.

use rhai::{ASTNode, Expr, FnCallExpr, Position, Stmt, AST};

/// The functions that read facts by name.
const FACT_FUNCTIONS: [&str; 3] = ["fact", "has", "fact_or"];

/// A place inside a script, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScriptPos {
    /// Line inside the script.
    pub line: usize,
    /// Column (in characters) inside the script.
    pub column: usize,
}

impl ScriptPos {
    fn of(pos: Position) -> ScriptPos {
        ScriptPos {
            line: pos.line().unwrap_or(1),
            column: pos.position().unwrap_or(1),
        }
    }
}

/// A fact name a script reads, where its literal is written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FactRef {
    /// The fact name.
    pub name: String,
    /// Where its string literal starts (the opening quote).
    pub at: ScriptPos,
}

/// A call of a fact function whose name is not a string literal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ComputedRef {
    /// The function called (`fact`, `has` or `fact_or`).
    pub function: String,
    /// Where the call starts.
    pub at: ScriptPos,
}

/// The facts a script reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct References {
    /// Fact names read through a string literal: each name once, at its first literal, in
    /// the order they are written.
    pub literal: Vec<FactRef>,
    /// Calls that compute the name; the loader refuses them.
    pub computed: Vec<ComputedRef>,
}

impl References {
    /// The fact names, in order of first appearance.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.literal.iter().map(|r| r.name.as_str())
    }
}

/// The references of a compiled script (its statements and its function bodies).
pub(super) fn find(ast: &AST) -> References {
    let mut out = References::default();
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            // a call is a statement of its own when it is the whole statement
            Some(
                ASTNode::Expr(Expr::FnCall(call, pos)) | ASTNode::Stmt(Stmt::FnCall(call, pos)),
            ) => note_call(&mut out, call, *pos),
            Some(ASTNode::Expr(Expr::MethodCall(call, pos))) if is_fact_function(call) => {
                out.computed.push(ComputedRef {
                    function: call.name.to_string(),
                    at: ScriptPos::of(*pos),
                })
            }
            _ => {}
        }
        true
    });
    // the walk visits functions after the statements: order by place in the text
    out.literal.sort_by_key(|r| (r.at.line, r.at.column));
    let mut seen = Vec::new();
    out.literal.retain(|r| {
        let first = !seen.contains(&r.name);
        if first {
            seen.push(r.name.clone());
        }
        first
    });
    out.computed.sort_by_key(|r| (r.at.line, r.at.column));
    // kept for every check of a pack: no spare capacity
    out.literal.shrink_to_fit();
    out.computed.shrink_to_fit();
    out
}

fn is_fact_function(call: &FnCallExpr) -> bool {
    FACT_FUNCTIONS.contains(&call.name.as_str())
}

/// Records a call of a fact function: a reference when its first argument is a literal.
fn note_call(out: &mut References, call: &FnCallExpr, pos: Position) {
    if !is_fact_function(call) {
        return;
    }
    match call.args.first() {
        Some(Expr::StringConstant(name, at)) => out.literal.push(FactRef {
            name: name.to_string(),
            at: ScriptPos::of(*at),
        }),
        _ => out.computed.push(ComputedRef {
            function: call.name.to_string(),
            at: ScriptPos::of(pos),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(script: &str) -> References {
        let engine = rhai::Engine::new();
        find(&engine.compile(script).unwrap())
    }

    fn names(script: &str) -> Vec<String> {
        refs(script).names().map(str::to_owned).collect()
    }

    #[test]
    fn literal_names_are_found_once_in_the_order_written() {
        let r = refs("fact(\"a.b\") && has(\"c\")\n  || fact_or(\"d\", 1) > 0 && fact(\"a.b\")");
        assert_eq!(
            r.literal,
            [
                FactRef {
                    name: "a.b".into(),
                    at: ScriptPos { line: 1, column: 6 }
                },
                FactRef {
                    name: "c".into(),
                    at: ScriptPos {
                        line: 1,
                        column: 20
                    }
                },
                FactRef {
                    name: "d".into(),
                    at: ScriptPos {
                        line: 2,
                        column: 14
                    }
                },
            ]
        );
        assert!(r.computed.is_empty());
    }

    #[test]
    fn comments_and_strings_are_not_references() {
        assert_eq!(
            names("// old name was fact(\"svc.restarted\")\nfact(\"service.restarted\")"),
            ["service.restarted"]
        );
        assert_eq!(
            names("/* fact(\"x\") */ \"has(\\\"y\\\")\" == \"z\" || fact(\"w\")"),
            ["w"]
        );
    }

    #[test]
    fn computed_names_are_reported_where_the_call_is() {
        let r = refs("let k = \"restarted\";\nfact(\"service.\" + k)");
        assert!(r.literal.is_empty(), "{r:?}");
        assert_eq!(
            r.computed,
            [ComputedRef {
                function: "fact".into(),
                at: ScriptPos { line: 2, column: 1 }
            }]
        );
        for script in ["has(k)", "fact_or(`x${1}`, 0)", "\"x\".fact()"] {
            assert_eq!(
                refs(&format!("let k = 1; {script}")).computed.len(),
                1,
                "{script}"
            );
        }
    }

    #[test]
    fn a_call_that_is_a_whole_statement_is_found() {
        assert_eq!(names("fact(\"a\")"), ["a"]);
        assert_eq!(names("let x = 1;\nhas(\"b\");\nfact(\"c\")"), ["b", "c"]);
    }

    #[test]
    fn function_bodies_are_walked() {
        assert_eq!(
            names("fn f() { fact(\"in.fn\") }\nf() && fact(\"top\")"),
            ["in.fn", "top"]
        );
    }
}
