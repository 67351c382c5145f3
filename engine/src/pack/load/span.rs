//! Spans and positions: where in a pack file something is, for located errors.
//!
//! TOML gives byte spans of values; Rhai gives (line, column) inside a script, which may sit
//! inside a TOML string (after its quotes, or the line break that starts a multi-line one).
//! Every conversion between them is here, once, so an error points at the same place
//! whichever part of the loader found it.

use std::ops::Range;

use crate::error::{PackError, PackErrorKind};
use crate::pack::{Location, SourceFile};

/// A file being validated: its text and where its lines start.
pub(super) struct FileCtx<'a> {
    pub(super) file: &'a SourceFile,
    line_starts: Vec<usize>,
}

impl<'a> FileCtx<'a> {
    pub(super) fn new(file: &'a SourceFile) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(file.text.match_indices('\n').map(|(i, _)| i + 1));
        FileCtx { file, line_starts }
    }

    /// The nearest char boundary at or before `offset` (offsets computed inside escaped
    /// strings may land inside a multi-byte character).
    pub(super) fn floor(&self, offset: usize) -> usize {
        let mut o = offset.min(self.file.text.len());
        while !self.file.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    /// Where `offset` is in the file, as a [`Location`].
    pub(super) fn location(&self, offset: usize) -> Location {
        let (line, column) = self.line_col(offset);
        Location {
            path: self.file.path.clone(),
            line,
            column,
        }
    }

    /// 1-based line and column (in characters) of `offset`.
    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.floor(offset);
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.file.text[start..offset].chars().count() + 1;
        (line, col)
    }

    /// The text of a 1-based line, without its line break.
    pub(super) fn line_text(&self, line: usize) -> Option<String> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.file.text.len(), |e| e.saturating_sub(1));
        Some(
            self.file.text[start..end.max(start)]
                .trim_end_matches('\r')
                .to_owned(),
        )
    }

    /// A located error: `span` is underlined in its source line.
    pub(super) fn error(
        &self,
        kind: PackErrorKind,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
        entry: Option<&str>,
    ) -> PackError {
        let (line, column) = self.line_col(span.start);
        let source_line = self.line_text(line);
        let start = self.floor(span.start);
        let end = self.floor(span.end).max(start);
        let length = self.file.text[start..end]
            .lines()
            .next()
            .map_or(1, |l| l.chars().count().max(1));
        PackError {
            kind,
            path: self.file.path.clone(),
            line,
            column,
            message: message.into(),
            hint: hint.into(),
            entry: entry.map(str::to_owned),
            source_line,
            length,
        }
    }

    /// Offset in the file of a 1-based (line, column in characters) position.
    pub(super) fn offset_at(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.file.text.len();
        };
        let rest = &self.file.text[start..];
        let line_len = rest.find('\n').unwrap_or(rest.len());
        start
            + rest[..line_len]
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(line_len, |(b, _)| b)
    }

    /// Offset where a string value's content starts, given the span of the value (which
    /// includes its quotes).
    pub(super) fn content_start(&self, span: &Range<usize>) -> usize {
        let t = &self.file.text[self.floor(span.start)..];
        if t.starts_with("'''") || t.starts_with("\"\"\"") {
            let mut s = span.start + 3;
            let rest = &self.file.text[self.floor(s)..];
            if rest.starts_with("\r\n") {
                s += 2;
            } else if rest.starts_with('\n') {
                s += 1;
            }
            s
        } else if t.starts_with('\'') || t.starts_with('"') {
            span.start + 1
        } else {
            span.start
        }
    }

    /// Offset in the file of byte `offset` inside a string value (exact for literal strings).
    pub(super) fn inside(&self, span: &Range<usize>, offset: usize) -> usize {
        (self.content_start(span) + offset).min(span.end.max(span.start))
    }

    /// Offset in the file of a (line, column) position inside a script value.
    pub(super) fn script_pos(
        &self,
        span: &Range<usize>,
        script: &str,
        line: usize,
        column: usize,
    ) -> usize {
        let mut offset = 0;
        for (i, l) in script.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                offset += l
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
                return self.inside(span, offset);
            }
            offset += l.len();
        }
        self.inside(span, offset)
    }
}
