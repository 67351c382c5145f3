//! The sandbox's limits: what one evaluation may spend, and how a limit that stopped a
//! check is worded.
//!
//! A pack may set its own limits, capped by the application's ceiling; 0 is always the
//! strictest value, never "no limit" (Rhai reads 0 as unlimited, so the sandbox raises it to
//! 1 where that matters, see [`super::ScriptEngine::new`]).

use rhai::EvalAltResult;
use serde::{Deserialize, Serialize};

/// Sandbox limits for checks. A pack may set its own within the application's ceiling.
///
/// A limit of 0 is the strictest there is, never "no limit": the operation count, the
/// expression depth and the sizes are enforced as 1 (see `ScriptEngine::new`).
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

/// The words of a runtime error, naming the limit that stopped the check.
pub(super) fn describe_error(e: &EvalAltResult, limits: &Limits) -> String {
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
    use crate::facts::Facts;
    use crate::script::{ScriptEngine, Verdict};
    use std::time::{Duration, Instant};

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
}
