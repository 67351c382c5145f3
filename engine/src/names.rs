//! Names: the rule for pack and entry ids, and "did you mean" suggestions.
//!
//! The loader, `fixbook new` and every door use these, so that a name one accepts the others
//! accept, and a suggestion reads the same everywhere.

/// Whether `s` is a valid pack, entry, signature or cause id: `^[a-z0-9][a-z0-9_-]*$`
/// (lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit).
pub fn is_valid_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// The rule of [`is_valid_id`], in words, for messages.
pub const ID_RULE: &str =
    "use lowercase letters, digits, '-' and '_', starting with a letter or digit";

/// The closest of `candidates` to `word` (Jaro-Winkler similarity above 0.8), if one is
/// close: the "did you mean" of every message.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_valid_id("my-pack_2"));
        assert!(is_valid_id("2fa"));
        assert!(!is_valid_id("_x"));
        assert!(!is_valid_id("-x"));
        assert!(!is_valid_id("My"));
        assert!(!is_valid_id(""));
    }

    #[test]
    fn suggestions() {
        let ids = ["aws/session-token-invalid", "okta/nameid"];
        assert_eq!(
            did_you_mean("aws/session-token-invalud", ids),
            Some("aws/session-token-invalid")
        );
        assert_eq!(did_you_mean("printer", ids), None);
    }
}
