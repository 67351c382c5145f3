//! Request decoding: JSON body bytes → a request value, with the errors a client can act on.
//!
//! Pure functions (no HTTP types), so the fuzz target `request_json` drives them directly.
//! Text is never a reason to refuse a request: bytes that are not UTF-8 are replaced with
//! U+FFFD and a lone UTF-16 surrogate escape (`"\ud800"`, which JSON allows and Rust strings
//! cannot hold) becomes `\ufffd`; the answer's `notes` say so, as the CLI's do for standard
//! input that is not UTF-8.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A decoded request and the notes about what decoding had to replace.
#[derive(Debug)]
pub struct Decoded<T> {
    /// The request.
    pub value: T,
    /// Notes for the answer (empty when the body was clean).
    pub notes: Vec<String>,
}

/// Decodes a JSON body into `T`. `Err` is always a 400 `invalid-json` naming the line and
/// column, or the field, that is wrong.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<Decoded<T>, ApiError> {
    let mut notes = Vec::new();
    let (text, note) = match std::str::from_utf8(body) {
        Ok(s) => (Cow::Borrowed(s), None),
        Err(_) => {
            let (s, note) = fixbook::input::decode_lossy(body);
            (Cow::Owned(s), note)
        }
    };
    notes.extend(note);
    let (text, lone) = replace_lone_surrogates(&text);
    if lone > 0 {
        notes.push(format!(
            "input held {lone} lone surrogate escape(s) (\\ud800-\\udfff without its pair), replaced with U+FFFD"
        ));
    }
    if text.trim().is_empty() {
        return Err(ApiError::invalid_json(
            "the request body is empty: send a JSON object",
        ));
    }
    match serde_json::from_str::<T>(&text) {
        Ok(value) => Ok(Decoded { value, notes }),
        Err(e) => {
            let what = match e.classify() {
                serde_json::error::Category::Data => "the JSON does not fit this route",
                serde_json::error::Category::Eof => "the JSON ends too early",
                _ => "the body is not valid JSON",
            };
            Err(ApiError::invalid_json(format!("{what}: {e}"))
                .with("line", e.line())
                .with("column", e.column()))
        }
    }
}

/// Replaces every `\uXXXX` escape of a UTF-16 surrogate that is not part of a valid pair by
/// `\ufffd`, inside JSON strings only. Returns the text (borrowed when nothing changed) and
/// how many escapes were replaced.
pub fn replace_lone_surrogates(text: &str) -> (Cow<'_, str>, usize) {
    let b = text.as_bytes();
    if !text.contains("\\u") && !text.contains("\\U") {
        return (Cow::Borrowed(text), 0);
    }
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already in `out`
    let mut replaced = 0;
    let mut in_string = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                in_string = !in_string;
                i += 1;
            }
            b'\\' if in_string => {
                let unit = hex4(b, i + 2).filter(|_| b.get(i + 1) == Some(&b'u'));
                match unit {
                    Some(hi @ 0xD800..=0xDBFF) => {
                        let lo = hex4(b, i + 8).filter(|_| {
                            b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u')
                        });
                        if matches!(lo, Some(0xDC00..=0xDFFF)) {
                            let _ = hi;
                            i += 12;
                        } else {
                            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                            o.push_str(&text[copied..i]);
                            o.push_str("\\ufffd");
                            replaced += 1;
                            i += 6;
                            copied = i;
                        }
                    }
                    Some(0xDC00..=0xDFFF) => {
                        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                        o.push_str(&text[copied..i]);
                        o.push_str("\\ufffd");
                        replaced += 1;
                        i += 6;
                        copied = i;
                    }
                    // any other escape: skip the backslash and the escaped byte
                    _ => i += 2,
                }
            }
            _ => i += 1,
        }
    }
    match out {
        None => (Cow::Borrowed(text), 0),
        Some(mut o) => {
            o.push_str(&text[copied.min(text.len())..]);
            (Cow::Owned(o), replaced)
        }
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u16> {
    let digits = b.get(at..at + 4)?;
    let s = std::str::from_utf8(digits).ok()?;
    u16::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let (t, n) = replace_lone_surrogates(r#"{"text": "a\ud800b\udc00c\ud83d\ude00"}"#);
        assert_eq!(n, 2);
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["text"], "a\u{fffd}b\u{fffd}c\u{1f600}");
    }

    #[test]
    fn escapes_outside_strings_and_escaped_backslashes_are_left() {
        let src = r#"{"a": "\\ud800", "b": "\"\ud800"}"#;
        let (t, n) = replace_lone_surrogates(src);
        assert_eq!(n, 1);
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["a"], "\\ud800");
        assert_eq!(v["b"], "\"\u{fffd}");
    }

    #[test]
    fn errors_name_line_and_column() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct R {
            text: String,
        }
        let e = decode_json::<R>(b"{\n \"text\": 5}").unwrap_err();
        assert!(e.message().contains("line 2"), "{}", e.message());
        let e = decode_json::<R>(b"").unwrap_err();
        assert!(e.message().contains("empty"));
        let d = decode_json::<R>(b"{\"text\": \"caf\xe9\"}").unwrap();
        assert_eq!(d.value.text, "caf\u{fffd}");
        assert_eq!(d.notes.len(), 1);
    }
}
