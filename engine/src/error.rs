//! Errors: what went wrong, where, and how to fix it.
//!
//! Pack problems are [`PackError`]s: each names a file, a line and a column, says what is
//! wrong and how to fix it. Loading collects all of them in one pass, so an author fixes a
//! pack in one round instead of one error at a time. Everything else is an [`Error`] whose
//! [`Error::kind`] is stable for programs (the C and Python doors map it to codes and
//! exception classes).

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of problem a [`PackError`] is. Stable strings, used by tools (`lint --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PackErrorKind {
    /// The file could not be read (missing, too large, not UTF-8).
    Io,
    /// The file is not valid TOML.
    TomlSyntax,
    /// A key the format does not know (usually a typo).
    UnknownKey,
    /// A value of the wrong type or form, or a missing required key.
    InvalidValue,
    /// A regex that does not compile, is too large, or matches the empty string.
    BadRegex,
    /// A Rhai script that does not compile.
    ScriptCompile,
    /// A check, capture or extractor that uses a fact the pack does not declare.
    UndeclaredFact,
    /// An id used twice (in a pack, or across packs).
    DuplicateId,
    /// An entry with neither signatures nor keywords: it could never match.
    Unmatchable,
    /// A pack format this engine does not read.
    UnsupportedFormat,
    /// A pack that needs a newer engine.
    EngineVersion,
}

impl PackErrorKind {
    /// The kind's stable name (`toml-syntax`, `bad-regex`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PackErrorKind::Io => "io",
            PackErrorKind::TomlSyntax => "toml-syntax",
            PackErrorKind::UnknownKey => "unknown-key",
            PackErrorKind::InvalidValue => "invalid-value",
            PackErrorKind::BadRegex => "bad-regex",
            PackErrorKind::ScriptCompile => "script-compile",
            PackErrorKind::UndeclaredFact => "undeclared-fact",
            PackErrorKind::DuplicateId => "duplicate-id",
            PackErrorKind::Unmatchable => "unmatchable",
            PackErrorKind::UnsupportedFormat => "unsupported-format",
            PackErrorKind::EngineVersion => "engine-version",
        }
    }
}

/// One problem in a pack, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackError {
    /// What kind of problem.
    pub kind: PackErrorKind,
    /// The file, as the user knows it (a path, or `builtin:<pack>/<file>`).
    pub path: String,
    /// Line, 1-based (0 when the problem is about the whole file or folder).
    pub line: usize,
    /// Column in characters, 1-based (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// The entry it concerns, if any (`pack/entry`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The text of the offending line, for underlining.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// How many characters to underline from `column`.
    pub length: usize,
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        )?;
        if !self.hint.is_empty() {
            write!(f, " (fix: {})", self.hint)?;
        }
        Ok(())
    }
}

/// The stable category of an [`Error`], for programs and bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// One or more packs failed to load or validate.
    Pack,
    /// A fact value does not fit the fact's declared type.
    Fact,
    /// A query is malformed (not its text: its structure, e.g. bad JSON).
    Query,
    /// A file or folder could not be read.
    Io,
    /// The full-text index could not be built.
    Index,
    /// The outcome store could not be opened, read or written.
    Outcomes,
}

impl ErrorKind {
    /// The kind's stable name: `pack`, `fact`, `query`, `io`, `index`, `outcomes` (used by the
    /// conformance cases, `tests/data/conformance.toml`, and by doors that name kinds).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Pack => "pack",
            ErrorKind::Fact => "fact",
            ErrorKind::Query => "query",
            ErrorKind::Io => "io",
            ErrorKind::Index => "index",
            ErrorKind::Outcomes => "outcomes",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Packs failed to load; every problem found is listed.
    #[error("{}", render_pack_errors(.0))]
    Pack(Vec<PackError>),
    /// A caller-supplied fact has the wrong type or an unknown enum value.
    #[error("invalid fact: {0}")]
    Fact(String),
    /// A structurally invalid query.
    #[error("invalid query: {0}")]
    Query(String),
    /// A file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The full-text index failed.
    #[error("full-text index: {0}")]
    Index(String),
    /// The outcome store (an SQLite file) could not be opened, read or written.
    #[error("outcome store {}: {message}", path.display())]
    Outcomes {
        /// The store's file.
        path: PathBuf,
        /// What went wrong, and what to do.
        message: String,
    },
}

fn render_pack_errors(errors: &[PackError]) -> String {
    let mut s = format!(
        "{} pack error{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for e in errors {
        s.push_str("\n  ");
        s.push_str(&e.to_string());
    }
    s
}

impl Error {
    /// The error's stable category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Pack(_) => ErrorKind::Pack,
            Error::Fact(_) => ErrorKind::Fact,
            Error::Query(_) => ErrorKind::Query,
            Error::Io { .. } => ErrorKind::Io,
            Error::Index(_) => ErrorKind::Index,
            Error::Outcomes { .. } => ErrorKind::Outcomes,
        }
    }

    /// The pack errors, when this is a pack error.
    pub fn pack_errors(&self) -> &[PackError] {
        match self {
            Error::Pack(errors) => errors,
            _ => &[],
        }
    }
}
