//! Variable parts of messages: e-mail addresses, URLs, IPs, ARNs, UUIDs, timestamps, ids.
//!
//! The same error arrives with a different request id, account number or user every time.
//! These parts are recognised once here so that (1) pattern authors write `{uuid}` instead of
//! a UUID regex, (2) full-text scoring is not diluted by tokens that never repeat, and (3)
//! checks can read them as `input.*` facts.

use std::sync::OnceLock;

use regex::Regex;

/// A kind of variable part, usable as a `{placeholder}` in patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    /// An e-mail address.
    Email,
    /// An http(s) or ftp URL.
    Url,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An Amazon Resource Name.
    Arn,
    /// A UUID (request ids, object ids).
    Uuid,
    /// An ISO-8601 or syslog timestamp.
    Timestamp,
    /// A hexadecimal id of six or more digits.
    Hex,
    /// A decimal number.
    Number,
    /// A single- or double-quoted string.
    Quoted,
}

impl VariableKind {
    /// Every kind, in the order placeholders are documented.
    pub const ALL: [VariableKind; 9] = [
        VariableKind::Email,
        VariableKind::Url,
        VariableKind::Ip,
        VariableKind::Arn,
        VariableKind::Uuid,
        VariableKind::Timestamp,
        VariableKind::Hex,
        VariableKind::Number,
        VariableKind::Quoted,
    ];

    /// The placeholder name (`email` for `{email}`).
    pub fn name(self) -> &'static str {
        match self {
            VariableKind::Email => "email",
            VariableKind::Url => "url",
            VariableKind::Ip => "ip",
            VariableKind::Arn => "arn",
            VariableKind::Uuid => "uuid",
            VariableKind::Timestamp => "timestamp",
            VariableKind::Hex => "hex",
            VariableKind::Number => "number",
            VariableKind::Quoted => "quoted",
        }
    }

    /// The regex fragment a placeholder expands to (no capture groups). Digits are ASCII
    /// digits (`[0-9]`, not `\d`): addresses, times and account ids are written with them, and
    /// the Unicode class would make the input recogniser several times costlier to build.
    pub fn fragment(self) -> &'static str {
        match self {
            VariableKind::Email => {
                r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
            }
            VariableKind::Url => r#"(?:https?|ftp)://[^\s"'<>]+"#,
            VariableKind::Ip => {
                r"(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}"
            }
            VariableKind::Arn => {
                r#"arn:aws[A-Za-z-]*:[A-Za-z0-9-]*:[A-Za-z0-9-]*:[0-9]{0,12}:[^\s"',;)\]]+"#
            }
            VariableKind::Uuid => {
                r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
            }
            VariableKind::Timestamp => {
                r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
            }
            VariableKind::Hex => r"(?:0x)?[0-9A-Fa-f]{6,}",
            VariableKind::Number => r"[0-9]+(?:\.[0-9]+)?",
            VariableKind::Quoted => r#"'[^']*'|"[^"]*""#,
        }
    }

    /// The `input.*` fact that lists the values of this kind, if it has one.
    pub fn fact_name(self) -> Option<&'static str> {
        match self {
            VariableKind::Email => Some("input.emails"),
            VariableKind::Url => Some("input.urls"),
            VariableKind::Ip => Some("input.ips"),
            VariableKind::Arn => Some("input.arns"),
            VariableKind::Uuid => Some("input.uuids"),
            VariableKind::Timestamp => Some("input.timestamps"),
            _ => None,
        }
    }

    fn from_name(name: &str) -> Option<VariableKind> {
        VariableKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One recognised variable part of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// What it is.
    pub kind: VariableKind,
    /// Byte range in the normalised text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

/// Kinds recognised in input text, in priority order (a URL containing an e-mail is a URL).
const RECOGNISED: [VariableKind; 6] = [
    VariableKind::Url,
    VariableKind::Arn,
    VariableKind::Timestamp,
    VariableKind::Uuid,
    VariableKind::Email,
    VariableKind::Ip,
];

fn recogniser() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let alts: Vec<String> = RECOGNISED
            .iter()
            .map(|k| format!("(?P<{}>{})", k.name(), k.fragment()))
            .collect();
        #[allow(clippy::unwrap_used)] // a fixed, tested pattern
        Regex::new(&alts.join("|")).unwrap()
    })
}

/// Finds the variable parts of `text`, left to right, without overlaps.
pub fn find_variables(text: &str) -> Vec<Variable> {
    let re = recogniser();
    let mut out = Vec::new();
    for caps in re.captures_iter(text) {
        for kind in RECOGNISED {
            if let Some(m) = caps.name(kind.name()) {
                out.push(Variable {
                    kind,
                    start: m.start(),
                    end: m.end(),
                });
                break;
            }
        }
    }
    out
}

/// The text full-text search should see: variable parts removed, except the informative
/// part of e-mail addresses (their domain) and of URLs (host and path words).
pub fn text_for_search(text: &str, vars: &[Variable]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for v in vars {
        out.push_str(&text[last..v.start]);
        out.push(' ');
        let value = &text[v.start..v.end];
        match v.kind {
            VariableKind::Email => {
                if let Some(at) = value.find('@') {
                    out.push_str(&value[at + 1..]);
                }
            }
            VariableKind::Url | VariableKind::Arn => out.push_str(value),
            _ => {}
        }
        out.push(' ');
        last = v.end;
    }
    out.push_str(&text[last..]);
    out
}

/// True for a token that is an id rather than a word: long and made of digits, or a long
/// mix of hex digits. Short numbers (HTTP statuses, exit codes) stay searchable.
pub fn is_variable_token(token: &str) -> bool {
    let digits = token.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    if digits == token.len() {
        return token.len() > 5;
    }
    token.len() >= 6 && digits >= 2
}

/// Where a placeholder was expanded in a pattern, to map error offsets back.
#[derive(Debug, Clone, Copy)]
struct Expansion {
    raw_start: usize,
    raw_len: usize,
    expanded_start: usize,
    expanded_len: usize,
}

/// A pattern with `{placeholder}`s expanded, able to map offsets back to what the author wrote.
#[derive(Debug, Clone)]
pub struct ExpandedPattern {
    /// The regex source after expansion.
    pub source: String,
    expansions: Vec<Expansion>,
}

impl ExpandedPattern {
    /// Maps a byte offset in the expanded pattern to one in the author's pattern.
    pub fn raw_offset(&self, expanded: usize) -> usize {
        let mut shift: isize = 0;
        for e in &self.expansions {
            if expanded < e.expanded_start {
                break;
            }
            if expanded < e.expanded_start + e.expanded_len {
                return e.raw_start;
            }
            shift += e.expanded_len as isize - e.raw_len as isize;
        }
        (expanded as isize - shift).max(0) as usize
    }
}

/// Expands `{email}`, `{uuid}` … in a pattern. `\{` and unknown names are left alone.
pub fn expand_placeholders(pattern: &str) -> ExpandedPattern {
    let mut source = String::with_capacity(pattern.len());
    let mut expansions = Vec::new();
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let ch_len = pattern[i + 1..].chars().next().map_or(1, char::len_utf8);
            source.push_str(&pattern[i..i + 1 + ch_len]);
            i += 1 + ch_len;
            continue;
        }
        if bytes[i] == b'{' {
            if let Some(close) = pattern[i + 1..].find('}') {
                let name = &pattern[i + 1..i + 1 + close];
                if let Some(kind) = VariableKind::from_name(name) {
                    let frag = format!("(?:{})", kind.fragment());
                    expansions.push(Expansion {
                        raw_start: i,
                        raw_len: close + 2,
                        expanded_start: source.len(),
                        expanded_len: frag.len(),
                    });
                    source.push_str(&frag);
                    i += close + 2;
                    continue;
                }
            }
        }
        let ch_len = pattern[i..].chars().next().map_or(1, char::len_utf8);
        source.push_str(&pattern[i..i + ch_len]);
        i += ch_len;
    }
    ExpandedPattern { source, expansions }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind() {
        let text = "2024-07-01T09:14:55Z user j.doe@example.com from 10.0.3.12 req 9c0e1a2b-3d4f-4a5b-8c6d-7e8f9a0b1c2d role arn:aws:iam::123456789012:role/x see https://example.com/a?b=c";
        let kinds: Vec<_> = find_variables(text).iter().map(|v| v.kind).collect();
        assert_eq!(
            kinds,
            vec![
                VariableKind::Timestamp,
                VariableKind::Email,
                VariableKind::Ip,
                VariableKind::Uuid,
                VariableKind::Arn,
                VariableKind::Url
            ]
        );
    }

    #[test]
    fn search_text_keeps_email_domain_only() {
        let text = "mail from no-reply@login.awsapps.com lost";
        let vars = find_variables(text);
        let s = text_for_search(text, &vars);
        assert!(s.contains("login.awsapps.com"));
        assert!(!s.contains("no-reply"));
    }

    #[test]
    fn variable_tokens() {
        assert!(is_variable_token("123456789012"));
        assert!(is_variable_token("5e4d3c2b1a0f9e8d"));
        assert!(!is_variable_token("404"));
        assert!(!is_variable_token("ec2"));
        assert!(!is_variable_token("token"));
    }

    #[test]
    fn placeholders_expand_and_map_back() {
        let p = expand_placeholders(r"user (?P<u>{email}) at \{email} {nope}");
        assert!(p.source.contains("[A-Za-z0-9._%+-]+@"));
        assert!(p.source.contains(r"\{email}"));
        assert!(p.source.contains("{nope}"));
        let q = expand_placeholders(r"user (?P<u>{email}) at \{email}");
        let re = Regex::new(&q.source).unwrap();
        assert!(re.is_match("user a@b.io at {email}"));
        // an offset after the expansion maps back to the author's text
        let end = p.source.find(" at").unwrap();
        assert_eq!(p.raw_offset(end), r"user (?P<u>{email})".len());
    }
}
