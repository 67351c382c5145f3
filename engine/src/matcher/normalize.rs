//! Text normalisation: the one canonical form every signature and extractor sees.
//!
//! People paste error messages through chat tools, word processors and terminals, which turn
//! `'` into `’`, `-` into `–`, wrap long lines and add non-breaking spaces. Signatures are
//! written once, with straight quotes and single spaces, so the input is folded to that form
//! before anything else looks at it. Case is kept (captures return what the user wrote);
//! signatures match case-insensitively instead.

/// The input text after normalisation, with what was changed on the way.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The normalised text: straight quotes, ASCII dashes, one space for every run of white space.
    pub text: String,
    /// Human-readable notes about the input (truncation, replaced bytes).
    pub notes: Vec<String>,
}

/// Folds one character to its canonical form, or `None` when it is dropped.
fn fold_char(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}'
        | '\u{0060}' | '\u{FF07}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' | '\u{FF02}' | '\u{300C}' | '\u{300D}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        '\u{2026}' => '.',
        // zero-width characters and the byte-order mark carry nothing
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => return None,
        '\0' => ' ',
        c if c.is_whitespace() => ' ',
        c if c.is_control() => ' ',
        c => c,
    })
}

/// Normalises `input`, keeping at most `max_bytes` bytes of it.
///
/// Never fails: overlong input is cut at a character boundary with a note.
pub fn normalize(input: &str, max_bytes: usize) -> Normalized {
    let mut notes = Vec::new();
    let mut src = input;
    if src.len() > max_bytes {
        let mut cut = max_bytes;
        while cut > 0 && !src.is_char_boundary(cut) {
            cut -= 1;
        }
        src = &src[..cut];
        notes.push(format!(
            "input was {} bytes; only the first {} were read",
            input.len(),
            cut
        ));
    }
    let mut text = String::with_capacity(src.len());
    let mut pending_space = false;
    for c in src.chars() {
        let Some(c) = fold_char(c) else { continue };
        if c == ' ' {
            pending_space = !text.is_empty();
            continue;
        }
        if pending_space {
            text.push(' ');
            pending_space = false;
        }
        text.push(c);
    }
    Normalized { text, notes }
}

/// Normalises every line of `input` on its own (as [`normalize`] does) and keeps the line
/// breaks, so a match can be traced back to its line. Used to scan logs a chunk at a time.
pub fn normalize_lines(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for (i, line) in input.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut pending_space = false;
        let start = out.len();
        if line.is_ascii() {
            // the common case in logs, byte by byte: the same folding as `fold_char`
            for &b in line.as_bytes() {
                let b = match b {
                    b'`' => b'\'',
                    b if b.is_ascii_whitespace() || b.is_ascii_control() => b' ',
                    b => b,
                };
                if b == b' ' {
                    pending_space = out.len() > start;
                    continue;
                }
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(char::from(b));
            }
            continue;
        }
        for c in line.chars() {
            let Some(c) = fold_char(c) else { continue };
            if c == ' ' {
                pending_space = out.len() > start;
                continue;
            }
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Decodes bytes as UTF-8, replacing invalid sequences, and says so in a note.
pub fn decode_lossy(bytes: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), None),
        Err(_) => {
            let s = String::from_utf8_lossy(bytes).into_owned();
            let replaced = s
                .chars()
                .filter(|&c| c == char::REPLACEMENT_CHARACTER)
                .count();
            (
                s,
                Some(format!(
                    "input was not valid UTF-8: {replaced} invalid sequence(s) replaced with U+FFFD"
                )),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_quotes_dashes_and_whitespace() {
        let n = normalize(
            "  It\u{2019}s not you,\n\tit\u{2019}s us \u{2014} “really”  ",
            1 << 20,
        );
        assert_eq!(n.text, "It's not you, it's us - \"really\"");
        assert!(n.notes.is_empty());
    }

    #[test]
    fn drops_zero_width_and_controls() {
        let n = normalize("Session\u{200B} token\0not\u{7}found", 1 << 20);
        assert_eq!(n.text, "Session token not found");
    }

    #[test]
    fn truncates_at_char_boundary_with_note() {
        let n = normalize("ééééé", 5);
        assert_eq!(n.text, "éé");
        assert_eq!(n.notes.len(), 1);
    }

    #[test]
    fn ascii_fast_path_folds_like_the_general_one() {
        let all: String = (0u8..0x80)
            .filter(|&b| b != b'\n')
            .map(char::from)
            .collect();
        for text in [all.as_str(), "a\x0b b\x7f`c`  d\te", "  x  ", "\0\0"] {
            assert_eq!(
                normalize_lines(text),
                normalize(text, 1 << 20).text,
                "{text:?}"
            );
        }
    }

    #[test]
    fn normalize_lines_keeps_line_breaks() {
        let n = normalize_lines("a  \u{2019}b\r\n\n  c\td ");
        assert_eq!(n, "a 'b\n\nc d");
        assert_eq!(n.lines().count(), 3);
    }

    #[test]
    fn lossy_decoding_notes_replacement() {
        let (s, note) = decode_lossy(b"bad \xff\xfe bytes");
        assert!(s.contains('\u{FFFD}'));
        assert!(note.unwrap().contains("2 invalid"));
        assert!(decode_lossy(b"fine").1.is_none());
    }
}
