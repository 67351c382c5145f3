//! References: which facts a check reads, found at load.

use std::sync::OnceLock;

use regex::Regex;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fact_references_finds_literals_and_dynamic_calls() {
        let (names, dynamic) = fact_references(r#"fact("a.b") && has("c") || fact(x)"#);
        assert_eq!(names, vec!["a.b".to_owned(), "c".to_owned()]);
        assert_eq!(dynamic.len(), 1);
    }
}
