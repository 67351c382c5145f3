//! Names: the rules for fact names and dates; the id rule and "did you mean" are the
//! engine's (`crate::names`), shared with the doors.

pub(super) use crate::names::{did_you_mean, is_valid_id, ID_RULE};

// Ids, fact names and dates are checked by hand: these run for every entry, and compiling
// a regex for each would cost more than all the checks together.

/// `^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`
pub(super) fn is_fact_name(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        })
}

/// `YYYY-MM-DD` with a month 01–12 and a day 01–31.
pub(super) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && num(0..4).is_some()
        && num(5..7).is_some_and(|m| (1..=12).contains(&m))
        && num(8..10).is_some_and(|d| (1..=31).contains(&d))
}

/// Input facts the engine always provides.
pub(super) fn is_input_fact(name: &str) -> bool {
    matches!(
        name,
        "input.emails"
            | "input.urls"
            | "input.ips"
            | "input.arns"
            | "input.uuids"
            | "input.timestamps"
            | "input.text"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    #[test]
    fn hand_written_checks_agree_with_their_regexes() {
        let cases = [
            "",
            "a",
            "A",
            "0",
            "ab-c_d",
            "-ab",
            "_a",
            "a.b",
            "a..b",
            "a.",
            ".a",
            "a.B",
            "input.x",
            "iam.role_1",
            "9a.b",
            "é",
            "2024-02-30",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "2024-12-31",
            "20a4-12-31",
            "2024-12-310",
            "2024/12/31",
        ];
        let id = Regex::new(r"^[a-z0-9][a-z0-9_-]*$").unwrap();
        let fact = Regex::new(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$").unwrap();
        let date = Regex::new(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$").unwrap();
        for c in cases {
            assert_eq!(is_valid_id(c), id.is_match(c), "id {c:?}");
            assert_eq!(is_fact_name(c), fact.is_match(c), "fact {c:?}");
            assert_eq!(is_date(c), date.is_match(c), "date {c:?}");
        }
    }
}
