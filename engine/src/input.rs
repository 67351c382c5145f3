//! Input at the doors: bytes into a [`Query`], bounded reading, user values quoted in
//! messages, and the engine's default number of matches.
//!
//! Every door (the CLI, C, Python, HTTP) reads its input through this module, so that all of
//! them decode bytes, bound what they read and answer `limit = 0` the same way.

use std::io::Read;
use std::path::Path;

use crate::diagnose::Query;
use crate::error::{Error, Result};

/// Decodes bytes as UTF-8, replacing invalid sequences; the note says what was replaced
/// (`None` when the bytes were valid). [`Query::from_bytes`] uses it; doors that read lines
/// (`scan`) call it per line.
pub use crate::matcher::decode_lossy;

/// Matches returned when a query sets no limit, or sets `limit = 0`.
///
/// `limit = 0` means "the default" in every door (Rust, CLI, C, Python): it is never an
/// empty answer and never an error.
pub const DEFAULT_LIMIT: usize = 10;

/// Bytes of query text read at most (16 MiB): [`read_bounded`] refuses more from standard
/// input, and a longer text given directly is cut with a note.
pub const MAX_INPUT_BYTES: usize = 16 << 20;

/// Bytes of a facts file read at most (1 MiB).
pub const MAX_FACTS_BYTES: usize = 1 << 20;

/// Bytes of one scanned log line read at most (1 MiB); the rest of a longer line is skipped
/// and the line's answer carries a note (see [`cut_line_note`]).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Characters of a user value quoted in an error message at most (see [`quote`]).
pub const MAX_QUOTED_CHARS: usize = 80;

impl Query {
    /// A query for text given as bytes: valid UTF-8 is used as is; invalid sequences are
    /// replaced with U+FFFD and the answer's notes say how many (the text never makes a
    /// query fail).
    pub fn from_bytes(bytes: &[u8]) -> Query {
        let (text, note) = crate::matcher::decode_lossy(bytes);
        let mut q = Query::new(text);
        q.input_notes.extend(note);
        q
    }

    /// Sets the maximum number of matches from an optional value: `None` and `Some(0)` leave
    /// the engine's default ([`DEFAULT_LIMIT`]).
    pub fn limit_or_default(mut self, limit: Option<usize>) -> Query {
        self.limit = limit.filter(|&n| n > 0);
        self
    }

    /// Notes about how the input was read (e.g. invalid UTF-8 replaced); the answer starts
    /// with them.
    pub fn input_notes(&self) -> &[String] {
        &self.input_notes
    }

    /// The number of matches this query asks for: its limit, or [`DEFAULT_LIMIT`] when it
    /// sets none or 0.
    pub fn effective_limit(&self) -> usize {
        match self.limit {
            Some(n) if n > 0 => n,
            _ => DEFAULT_LIMIT,
        }
    }
}

/// Characters of an error message about a request quoted at most (a message that quotes a
/// long value from the request is cut).
pub const MAX_MESSAGE_CHARS: usize = 300;

impl Query {
    /// A query from a JSON request: `{"text": "...", "facts": {"name": value}, "limit": N,
    /// "packs": ["id"], "trace": false, "drafts": false}`, every field optional, unknown
    /// fields refused. A request that is not such JSON is an [`Error::Query`] naming the line
    /// and column (values from the request are quoted cut). The C door and the HTTP service
    /// read requests with this.
    pub fn from_json(json: &str) -> Result<Query> {
        serde_json::from_str(json).map_err(|e| {
            let message = e.to_string();
            let message = match message.char_indices().nth(MAX_MESSAGE_CHARS) {
                None => message,
                Some((cut, _)) => {
                    format!("{}… ({} more bytes)", &message[..cut], message.len() - cut)
                }
            };
            Error::Query(format!("not a valid request: {message}"))
        })
    }
}

/// Reads all of `reader`, but at most `limit` bytes: one byte more is an [`Error::Io`] about
/// `what` (a path, or `<stdin>`) saying the input is too large, returned as soon as that byte
/// is read (an endless input fails at once, in bounded memory).
pub fn read_bounded(reader: impl Read, limit: usize, what: &Path) -> Result<Vec<u8>> {
    read_sized(reader, limit, what, 0)
}

/// Reads a file as [`read_bounded`] reads any input, into a buffer of the file's size.
pub fn read_file_bounded(path: &Path, limit: usize) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    // sized to the file up front: a doubling buffer would hold up to twice its size
    let size = file.metadata().map_or(0, |m| m.len()).min(limit as u64) as usize;
    read_sized(file, limit, path, size)
}

/// [`read_bounded`] into a buffer of `capacity` bytes (plus the one that tells the end).
fn read_sized(reader: impl Read, limit: usize, what: &Path, capacity: usize) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(capacity.saturating_add(1));
    let mut reader = reader.take(limit as u64 + 1);
    reader.read_to_end(&mut bytes).map_err(|source| Error::Io {
        path: what.to_owned(),
        source,
    })?;
    if bytes.len() > limit {
        return Err(too_large(what, limit));
    }
    Ok(bytes)
}

/// The error of an input larger than its limit.
pub fn too_large(what: &Path, limit: usize) -> Error {
    Error::Io {
        path: what.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("input is larger than the limit of {}", human_bytes(limit)),
        ),
    }
}

/// The note on the answer for a scanned line cut at `limit` bytes.
pub fn cut_line_note(limit: usize) -> String {
    format!(
        "line is longer than {}: only its first {} were read",
        human_bytes(limit),
        human_bytes(limit)
    )
}

/// `16 MiB`, `1 MiB`, `512 bytes`.
fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// A user value quoted for a message (`"..."`, escaped), cut to [`MAX_QUOTED_CHARS`]
/// characters with the size of what was left out: a 100 KB value is not echoed whole.
pub fn quote(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!("{:?}… ({} more bytes)", &value[..cut], value.len() - cut),
    }
}

/// A user value cut like [`quote`] but shown as is (for numbers and lists).
pub fn cut(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        None => value.to_owned(),
        Some((cut, _)) => format!("{}… ({} more bytes)", &value[..cut], value.len() - cut),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A reader that never ends, like /dev/zero.
    struct Endless;

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            buf.fill(b'a');
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_reader_is_refused_past_the_limit() {
        let err = read_bounded(Endless, 1 << 20, Path::new("<stdin>")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Io);
        let msg = err.to_string();
        assert!(msg.contains("<stdin>") && msg.contains("1 MiB"), "{msg}");
    }

    #[test]
    fn input_up_to_the_limit_is_read_whole() {
        let bytes = read_bounded(&b"hello"[..], 5, Path::new("x")).unwrap();
        assert_eq!(bytes, b"hello");
        assert!(read_bounded(&b"hello!"[..], 5, Path::new("x")).is_err());
    }

    #[test]
    fn from_bytes_replaces_invalid_utf8_and_notes_it() {
        let q = Query::from_bytes(b"bad \xff bytes");
        assert_eq!(q.text, "bad \u{FFFD} bytes");
        assert_eq!(q.input_notes().len(), 1);
        assert!(q.input_notes()[0].contains("UTF-8"));
        assert!(Query::from_bytes(b"fine").input_notes().is_empty());
    }

    #[test]
    fn zero_and_none_mean_the_default_limit() {
        assert_eq!(Query::new("x").effective_limit(), DEFAULT_LIMIT);
        assert_eq!(Query::new("x").limit(0).effective_limit(), DEFAULT_LIMIT);
        assert_eq!(Query::new("x").limit(3).effective_limit(), 3);
        assert_eq!(
            Query::new("x").limit_or_default(Some(0)).effective_limit(),
            DEFAULT_LIMIT
        );
    }

    #[test]
    fn a_bad_request_is_a_query_error_naming_its_place() {
        let e = Query::from_json("{\"text\": 3}").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Query);
        assert!(e.to_string().contains("column"), "{e}");
        let e = Query::from_json("{\"txet\": \"x\"}").unwrap_err();
        assert!(e.to_string().contains("unknown field `txet`"), "{e}");
        let huge = format!("{{\"limit\": \"{}\"}}", "9".repeat(100_000));
        let e = Query::from_json(&huge).unwrap_err();
        assert!(e.to_string().len() < 600, "{} bytes", e.to_string().len());
        let q = Query::from_json("{\"text\": \"x\", \"limit\": 0}").unwrap();
        assert_eq!(q.effective_limit(), DEFAULT_LIMIT);
    }

    #[test]
    fn long_values_are_quoted_cut() {
        let long = "x".repeat(100_000);
        let q = quote(&long);
        assert!(q.len() < 200, "{q}");
        assert!(q.contains("99920 more bytes"), "{q}");
        assert_eq!(quote("short"), "\"short\"");
    }
}
