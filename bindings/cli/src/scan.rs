//! `fixbook scan`: logs and ticket dumps, line by line, in parallel, in bounded memory.
//!
//! The input is read in chunks of whole lines by a reader thread, which stays at most one
//! batch ahead; a batch of chunks is processed in parallel (rayon) and printed in order, so
//! memory stays at a few chunks whatever the input size.
//! A line longer than [`fixbook::input::MAX_LINE_BYTES`] is read up to that limit (the
//! rest of it is skipped, not buffered) and its result carries a note saying so.
//! Plain lines are matched by signature (one pass of the signature set over the whole
//! chunk), and only lines that hit get a full diagnosis. JSON records (`--jsonl-field`) are
//! free text, so each gets a full search.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Read, Write};

use fixbook::answer::{ScanCounts, ScanRecord};
use fixbook::{Diagnosis, Engine, Query};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::exit;
use crate::render::Style;

/// Bytes per chunk (a chunk always ends at a line break).
const CHUNK: usize = 4 << 20;

/// Options of one scan.
pub struct ScanOptions<'a> {
    /// File path or `-`.
    pub file: &'a str,
    /// JSONL field to diagnose, if the input is JSON lines.
    pub field: Option<&'a str>,
    /// Print per-entry totals only.
    pub count: bool,
    /// Matches per line.
    pub limit: usize,
    /// JSON output.
    pub json: bool,
}

struct Chunk {
    bytes: Vec<u8>,
    first_line: u64,
    lines: u64,
    /// Lines (index in the chunk) cut at [`fixbook::input::MAX_LINE_BYTES`].
    cut: Vec<usize>,
}

struct LineResult {
    line: u64,
    diagnosis: Option<Diagnosis>,
    entries: Vec<String>,
}

/// Skips the rest of a line (through its line break) in bounded memory.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(i) = memchr::memchr(b'\n', buf) {
            reader.consume(i + 1);
            return Ok(());
        }
        let n = buf.len();
        reader.consume(n);
    }
}

/// Reads whole lines up to about [`CHUNK`] bytes; a line longer than `max_line` bytes is
/// kept up to `max_line` bytes (its index goes to `cut`) and the rest of it skipped.
fn read_chunk(
    reader: &mut impl BufRead,
    first_line: u64,
    max_line: usize,
) -> std::io::Result<Option<Chunk>> {
    let mut bytes = Vec::with_capacity(CHUNK + 4096);
    let mut lines: u64 = 0;
    let mut cut = Vec::new();
    while bytes.len() < CHUNK {
        let start = bytes.len();
        let n = Read::by_ref(reader)
            .take(max_line as u64 + 1)
            .read_until(b'\n', &mut bytes)?;
        if n == 0 {
            break;
        }
        if bytes.last() != Some(&b'\n') && n > max_line {
            bytes.truncate(start + max_line);
            skip_line(reader)?;
            bytes.push(b'\n');
            cut.push(lines as usize);
        }
        lines += 1;
    }
    if bytes.is_empty() {
        return Ok(None);
    }
    Ok(Some(Chunk {
        bytes,
        first_line,
        lines,
        cut,
    }))
}

/// The diagnosis of one line, decoded by the engine ([`fixbook::Query::from_bytes`]).
fn diagnose_line(engine: &Engine, raw: &[u8], limit: usize, cut: bool) -> Diagnosis {
    let q = Query::from_bytes(raw).limit(limit);
    // without caller facts a query cannot fail
    let mut d = engine.diagnose(&q).unwrap_or_default();
    if cut {
        d.notes.insert(
            0,
            fixbook::input::cut_line_note(fixbook::input::MAX_LINE_BYTES),
        );
    }
    d
}

fn process(engine: &Engine, chunk: &Chunk, opts: &ScanOptions<'_>) -> Vec<LineResult> {
    // valid UTF-8 (the common case) is used in place; otherwise decoded with replacements
    let text = match std::str::from_utf8(&chunk.bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(fixbook::input::decode_lossy(&chunk.bytes).0),
    };
    let mut out = Vec::new();
    match opts.field {
        Some(field) => {
            for (i, raw) in text.split_terminator('\n').enumerate() {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) else {
                    continue;
                };
                let t = match v.get(field) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => continue,
                    Some(other) => other.to_string(),
                };
                let d = diagnose_line(engine, t.as_bytes(), opts.limit, false);
                if d.matches.is_empty() {
                    continue;
                }
                let entries = d.matches.iter().take(1).map(|m| m.id.clone()).collect();
                out.push(LineResult {
                    line: chunk.first_line + i as u64,
                    diagnosis: Some(d),
                    entries,
                });
            }
        }
        None => {
            let hits = engine.scan_chunk(&text);
            // the raw lines are needed only to diagnose hits
            let lines: Vec<&[u8]> = if opts.count || hits.is_empty() {
                Vec::new()
            } else {
                chunk.bytes.split(|&b| b == b'\n').collect()
            };
            for hit in hits {
                let diagnosis = if opts.count {
                    None
                } else {
                    let raw = lines.get(hit.line).copied().unwrap_or_default();
                    let cut = chunk.cut.binary_search(&hit.line).is_ok();
                    Some(diagnose_line(engine, raw, opts.limit, cut))
                };
                out.push(LineResult {
                    line: chunk.first_line + hit.line as u64,
                    diagnosis,
                    entries: hit.entries,
                });
            }
        }
    }
    out
}

/// Runs a scan; returns the exit code.
pub fn scan(engine: &Engine, opts: &ScanOptions<'_>, style: &Style) -> Result<u8, (u8, String)> {
    let file = opts.file;
    let (mut reader, size): (Box<dyn BufRead + Send>, Option<u64>) = if file == "-" {
        (
            Box::new(std::io::BufReader::with_capacity(1 << 20, std::io::stdin())),
            None,
        )
    } else {
        let f = std::fs::File::open(file).map_err(|e| (exit::USAGE, format!("{file}: {e}")))?;
        let size = f.metadata().ok().map(|m| m.len());
        (
            Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
            size,
        )
    };
    let progress = match size {
        Some(total) if std::io::stderr().is_terminal() && total > (8 << 20) => {
            let pb = ProgressBar::new(total);
            pb.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Some(pb)
        }
        _ => None,
    };
    let batch = rayon::current_num_threads().max(1) * 2;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut matched: u64 = 0;
    let mut lines: u64 = 0;
    // A reader thread keeps the next batch coming while this one is matched; the channel
    // holds at most one batch, so memory stays at about two batches of chunks.
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Chunk>>(batch);
    std::thread::scope(|scope| -> Result<(), (u8, String)> {
        scope.spawn(move || {
            let mut next_line: u64 = 1;
            loop {
                let chunk = read_chunk(&mut reader, next_line, fixbook::input::MAX_LINE_BYTES);
                let more = matches!(chunk, Ok(Some(_)));
                let item = match chunk {
                    Ok(Some(c)) => {
                        next_line += c.lines;
                        Ok(c)
                    }
                    Ok(None) => break,
                    Err(e) => Err(e),
                };
                // a closed channel means the scan stopped
                if tx.send(item).is_err() || !more {
                    break;
                }
            }
        });
        // owned here, so that an early return closes the channel and ends the reader
        let rx = rx;
        loop {
            let mut chunks = Vec::with_capacity(batch);
            for item in rx.iter() {
                chunks.push(item.map_err(|e| (exit::USAGE, format!("{file}: {e}")))?);
                if chunks.len() == batch {
                    break;
                }
            }
            if chunks.is_empty() {
                return Ok(());
            }
            let bytes: u64 = chunks.iter().map(|c| c.bytes.len() as u64).sum();
            lines += chunks.iter().map(|c| c.lines).sum::<u64>();
            let results: Vec<Vec<LineResult>> = chunks
                .par_iter()
                .map(|c| process(engine, c, opts))
                .collect();
            for r in results.into_iter().flatten() {
                matched += 1;
                if opts.count {
                    for e in &r.entries {
                        *totals.entry(e.clone()).or_insert(0) += 1;
                    }
                    continue;
                }
                let Some(d) = r.diagnosis else { continue };
                if d.matches.is_empty() {
                    continue;
                }
                if opts.json {
                    let rec = ScanRecord::new(r.line, d);
                    let json =
                        serde_json::to_string(&rec).map_err(|e| (exit::USAGE, e.to_string()))?;
                    let _ = writeln!(out, "{json}");
                } else {
                    crate::render::scan_line(&mut out, style, r.line, &d);
                }
            }
            if let Some(pb) = &progress {
                pb.inc(bytes);
            }
        }
    })?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    if opts.count {
        if opts.json {
            let counts = ScanCounts {
                lines,
                matched_lines: matched,
                counts: totals,
            };
            let json = serde_json::to_string(&counts).map_err(|e| (exit::USAGE, e.to_string()))?;
            let _ = writeln!(out, "{json}");
        } else {
            for (id, n) in &totals {
                let _ = writeln!(out, "{n:>10}  {id}");
            }
            let _ = writeln!(out, "{matched:>10}  matching lines of {lines}");
        }
    }
    let _ = out.flush();
    Ok(if matched > 0 {
        exit::OK
    } else {
        exit::NO_MATCH
    })
}
