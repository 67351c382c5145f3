//! Text normalisation: the one canonical form every signature and extractor sees.
//!
//! People paste error messages through chat tools, word processors and terminals, which turn
//! `'` into `’`, `-` into `–`, wrap long lines and add non-breaking spaces. Signatures are
//! written once, with straight quotes and single spaces, so the input is folded to that form
//! before anything else looks at it. Case is kept (captures return what the user wrote);
//! signatures match case-insensitively instead.

use std::borrow::Cow;

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
///
/// Most log lines are already in canonical form (ASCII, no tabs or control bytes, single
/// spaces): those are not copied one by one but in runs, and a chunk made only of them is
/// returned as it is.
pub fn normalize_lines(input: &str) -> Cow<'_, str> {
    let bytes = input.as_bytes();
    // allocated when the first line needs folding
    let mut out: Option<Vec<u8>> = None;
    // start of the run of canonical lines not yet copied to `out` (with its line break)
    let mut clean_from = 0;
    let mut start = 0;
    loop {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = &input[start..end];
        if !is_canonical_ascii(line.as_bytes()) {
            let o = out.get_or_insert_with(|| Vec::with_capacity(input.len()));
            o.extend_from_slice(&bytes[clean_from..start]);
            fold_line(line, o);
            clean_from = end;
        }
        if end == bytes.len() {
            break;
        }
        start = end + 1;
    }
    match out {
        None => Cow::Borrowed(input),
        Some(mut o) => {
            o.extend_from_slice(&bytes[clean_from..]);
            // only whole characters were copied, so this is valid UTF-8
            Cow::Owned(
                String::from_utf8(o)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            )
        }
    }
}

/// Appends `line` (ASCII, printable) without leading and trailing spaces and with each run of
/// spaces made one: the usual case of a log line with aligned columns. Copies the text
/// between runs whole.
fn squeeze_spaces(line: &[u8], out: &mut Vec<u8>) {
    let start = line.iter().position(|&b| b != b' ').unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |i| i + 1);
    let t = &line[start..end];
    let mut copied = 0;
    while let Some(i) = find_double_space(t, copied) {
        out.extend_from_slice(&t[copied..=i]);
        // `t` ends with a non-space, so the run ends inside it
        let mut j = i + 2;
        while t[j] == b' ' {
            j += 1;
        }
        copied = j;
    }
    out.extend_from_slice(&t[copied..]);
}

/// The first `i >= from` with two spaces at `t[i..i + 2]`, eight positions at a time.
fn find_double_space(t: &[u8], from: usize) -> Option<usize> {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let word = |at: usize| {
        t.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let mut i = from;
    while let (Some(x), Some(y)) = (word(i), word(i + 1)) {
        // a zero byte where both byte `k` and byte `k + 1` are spaces; the lowest flagged
        // byte of this zero-byte test is always a true one
        let v = (x ^ SPACES) | (y ^ SPACES);
        let zero = v.wrapping_sub(LOW) & !v & HIGH;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    (i..t.len().saturating_sub(1)).find(|&k| t[k] == b' ' && t[k + 1] == b' ')
}

/// Whether `line` is ASCII that normalisation leaves unchanged: no control byte, no
/// backtick, no leading, trailing or double space.
fn is_canonical_ascii(line: &[u8]) -> bool {
    match (line.first(), line.last()) {
        (None, _) | (_, None) => return true,
        (Some(b' '), _) | (_, Some(b' ')) => return false,
        _ => {}
    }
    // branch-free over pairs of bytes so that it vectorises
    let odd_byte = |b: u8| !(0x20..0x7f).contains(&b) | (b == b'`');
    let odd = line
        .iter()
        .zip(&line[1..])
        .fold(odd_byte(line[0]), |acc, (&a, &b)| {
            acc | odd_byte(b) | ((a == b' ') & (b == b' '))
        });
    !odd
}

/// Appends the normal form of one line (no line break inside) to `out`.
fn fold_line(line: &str, out: &mut Vec<u8>) {
    let base = out.len();
    if line.is_ascii() {
        let bytes = line.as_bytes();
        if !bytes.iter().fold(false, |acc, &b| {
            acc | (b < 0x20) | (b == 0x7f) | (b == b'`')
        }) {
            squeeze_spaces(bytes, out);
            return;
        }
        // the same folding as `fold_char`, in place and without
        // branches on the data (copy every byte, advance past it unless it is a space after
        // a space or at the start)
        out.extend_from_slice(line.as_bytes());
        let buf = &mut out[base..];
        let mut w = 0;
        let mut prev_space = true;
        for i in 0..buf.len() {
            let b = buf[i];
            let c = if b == b'`' {
                b'\''
            } else if b < 0x20 || b == 0x7f {
                b' '
            } else {
                b
            };
            let space = c == b' ';
            buf[w] = c;
            w += usize::from(!(space & prev_space));
            prev_space = space;
        }
        if w > 0 && buf[w - 1] == b' ' {
            w -= 1;
        }
        out.truncate(base + w);
        return;
    }
    let mut pending_space = false;
    let mut utf8 = [0u8; 4];
    for c in line.chars() {
        let Some(c) = fold_char(c) else { continue };
        if c == ' ' {
            pending_space = out.len() > base;
            continue;
        }
        if pending_space {
            out.push(b' ');
            pending_space = false;
        }
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
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
    fn double_spaces_are_found_at_every_offset() {
        for len in 2..40 {
            for at in 0..len - 1 {
                let mut t = vec![b'x'; len];
                t[at] = b' ';
                t[at + 1] = b' ';
                assert_eq!(find_double_space(&t, 0), Some(at), "{len} {at}");
                assert_eq!(find_double_space(&t, at + 1), None, "{len} {at}");
            }
            assert_eq!(find_double_space(&b"x x".repeat(len), 0), None);
        }
    }

    #[test]
    fn canonical_lines_are_kept_as_they_are() {
        let clean = "2026-11-28 INFO ok\nSession token not found\n\nlast";
        assert!(matches!(normalize_lines(clean), Cow::Borrowed(_)));
        // canonical runs around folded lines: each line as `normalize` would give it
        let mixed = "ok one\n  two\tx \nthree\nf\u{2019}our  \nfive\n";
        let expected: Vec<String> = mixed
            .split('\n')
            .map(|l| normalize(l, 1 << 20).text)
            .collect();
        assert_eq!(normalize_lines(mixed), expected.join("\n"));
        assert!(matches!(normalize_lines(mixed), Cow::Owned(_)));
    }

    #[test]
    fn ascii_fast_path_folds_like_the_general_one() {
        let all: String = (0u8..0x80)
            .filter(|&b| b != b'\n')
            .map(char::from)
            .collect();
        for text in [
            all.as_str(),
            "a\x0b b\x7f`c`  d\te",
            "  x  ",
            "\0\0",
            "INFO  two   three    end",
            "   ",
            " a b ",
        ] {
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
