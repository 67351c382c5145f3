//! Outcomes: what solved which problem, and what nothing matched.
//!
//! Two loops of running a knowledge base, kept in one embedded SQLite file that nobody has
//! to run as a service:
//!
//! - **reuse**: people say whether a match fixed their problem ([`Feedback`]); an entry's
//!   resolution rate, smoothed towards its pack's rate and decayed with age, moves it up or
//!   down among the matches shown, by a bounded amount and visibly in the trace
//!   ([`prior`]);
//! - **evolve**: diagnoses that matched nothing are recorded and grouped into templates
//!   ([`gaps`]), from which a pack skeleton can be drafted ([`draft`]).
//!
//! Texts are stored masked by default: the variable parts the matcher recognises (e-mail
//! addresses, URLs, IPs, ARNs, UUIDs, timestamps) and long ids and numbers are replaced by
//! placeholders ([`mask`]). Rows older than the retention period (180 days by default) are
//! deleted. `docs/outcomes.md` says what is stored.
//!
//! This is the only module that uses SQLite (`rusqlite`).

pub mod draft;
pub mod gaps;
pub mod prior;
mod store;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::matcher::{find_variables, is_variable_token};

pub use gaps::Gap;
pub use prior::Prior;

/// How the outcome store keeps what it is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutcomeOptions {
    /// Keep texts whole, as well as masked (default `false`: only the masked form is kept).
    pub keep_text: bool,
    /// Rows older than this many days are deleted (default 180; 0 keeps everything).
    pub retention_days: u32,
}

impl Default for OutcomeOptions {
    fn default() -> Self {
        OutcomeOptions {
            keep_text: false,
            retention_days: 180,
        }
    }
}

/// Whether a match solved the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// The entry's remedy fixed it.
    Resolved,
    /// It did not help.
    NotResolved,
}

impl Resolution {
    /// `resolved` or `not-resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Resolved => "resolved",
            Resolution::NotResolved => "not-resolved",
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Resolution {
    type Err = Error;

    fn from_str(s: &str) -> Result<Resolution> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "resolved" | "solved" | "fixed" => Ok(Resolution::Resolved),
            "not-resolved" | "unresolved" | "not-fixed" => Ok(Resolution::NotResolved),
            _ => Err(Error::Query(format!(
                "outcome `{s}`: write `resolved` or `not-resolved`"
            ))),
        }
    }
}

/// One report of whether an entry solved a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The entry, `pack/entry`.
    pub entry: String,
    /// Whether it solved the problem.
    pub resolution: Resolution,
    /// The text the problem was reported with, if known (stored masked unless
    /// [`OutcomeOptions::keep_text`]).
    pub text: Option<String>,
    /// The ticket it concerns, if any (an id in the ticketing system).
    pub ticket: Option<String>,
    /// Who reported it: `cli`, `python`, `http`, a webhook source… (free text).
    pub source: String,
    /// When, in seconds since 1970 (default: now).
    pub at: Option<i64>,
}

impl Feedback {
    /// A report for `entry` from `source`, now, with no text or ticket.
    pub fn new(entry: impl Into<String>, resolution: Resolution, source: &str) -> Feedback {
        Feedback {
            entry: entry.into(),
            resolution,
            text: None,
            ticket: None,
            source: source.to_owned(),
            at: None,
        }
    }
}

/// What [`crate::Engine::gaps`] reports on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GapsQuery {
    /// Only texts recorded at or after this time (seconds since 1970).
    pub since: Option<i64>,
    /// At most this many gaps, biggest first (default: all).
    pub limit: Option<usize>,
}

/// The outcome store: an SQLite file, shared by any number of threads and processes.
///
/// Writes are transactions in WAL mode with `synchronous = NORMAL`: a process that dies
/// loses no committed row; several processes may write at once (each waits for the others
/// up to a busy timeout).
pub struct Outcomes {
    path: PathBuf,
    options: OutcomeOptions,
    inner: Mutex<store::Store>,
}

impl fmt::Debug for Outcomes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcomes")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Outcomes {
    /// Opens (creating it if missing) the store at `path`, migrating its schema to this
    /// version's. A file that is not an SQLite database, is damaged, belongs to another
    /// program or was written by a newer fixbook is an [`Error::Outcomes`] naming it.
    pub fn open(path: impl AsRef<Path>, options: OutcomeOptions) -> Result<Outcomes> {
        let path = path.as_ref().to_path_buf();
        let store = store::Store::open(&path, options)?;
        Ok(Outcomes {
            path,
            options,
            inner: Mutex::new(store),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options it was opened with.
    pub fn options(&self) -> OutcomeOptions {
        self.options
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, store::Store> {
        // a panic while holding the lock leaves SQLite consistent (transactions roll back)
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a report; `pack` is the entry's pack. Committed when this returns.
    pub(crate) fn record_feedback(&self, fb: &Feedback, pack: &str) -> Result<i64> {
        let (masked, whole) = self.texts(fb.text.as_deref());
        self.lock().insert_feedback(
            fb,
            pack,
            masked.as_deref(),
            whole.as_deref(),
            fb.at.unwrap_or_else(now),
        )
    }

    /// Records a text that matched nothing (its normalised form). Empty texts are skipped.
    pub(crate) fn record_unmatched(&self, normalized: &str) -> Result<()> {
        if normalized.trim().is_empty() {
            return Ok(());
        }
        let (masked, whole) = self.texts(Some(normalized));
        let masked = masked.unwrap_or_default();
        self.lock()
            .insert_unmatched(&masked, whole.as_deref(), now())
    }

    /// The masked form of `text`, and the whole one when texts are kept; both cut to
    /// [`MAX_TEXT_BYTES`].
    fn texts(&self, text: Option<&str>) -> (Option<String>, Option<String>) {
        let Some(t) = text else {
            return (None, None);
        };
        let t = cut(t, MAX_TEXT_BYTES);
        let whole = self.options.keep_text.then(|| t.to_owned());
        (Some(mask(t)), whole)
    }

    /// Resolution priors for the given `(entry, pack)` pairs, in the same order.
    pub(crate) fn priors(&self, entries: &[(&str, &str)]) -> Vec<Option<Prior>> {
        let mut store = self.lock();
        match store.stats() {
            Ok(stats) => entries
                .iter()
                .map(|(e, p)| prior::prior(stats, e, p, now()))
                .collect(),
            // ranking without history is the ranking of an engine without a store
            Err(_) => vec![None; entries.len()],
        }
    }

    /// Texts that matched nothing, grouped into templates, biggest first.
    pub fn gaps(&self, q: &GapsQuery) -> Result<Vec<Gap>> {
        let rows = self.lock().unmatched(q.since)?;
        let mut gaps = gaps::group(rows.into_iter());
        if let Some(l) = q.limit {
            gaps.truncate(l);
        }
        Ok(gaps)
    }

    /// Counts of what the store holds: (feedback rows, unmatched rows).
    pub fn counts(&self) -> Result<(u64, u64)> {
        self.lock().counts()
    }

    /// Every feedback row for `entry`: (resolved, seconds since 1970), oldest first.
    pub fn feedback_for(&self, entry: &str) -> Result<Vec<(bool, i64)>> {
        self.lock().feedback_for(entry)
    }
}

/// Longest text stored, in bytes (a pasted log can be megabytes; its start says enough).
pub const MAX_TEXT_BYTES: usize = 4096;

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Seconds since 1970, now (the clock every stored time is read from).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `text` with its variable parts replaced by placeholders: `{email}`, `{url}`, `{ip}`,
/// `{arn}`, `{uuid}`, `{timestamp}` (as the matcher recognises them), then long numbers
/// (`{number}`), hexadecimal ids (`{hex}`) and other ids mixing letters and digits (`{id}`).
/// Words, short numbers (HTTP statuses, exit codes) and punctuation are kept.
///
/// ```
/// use fixbook::outcomes::mask;
/// assert_eq!(
///     mask("user j.doe@example.com in account 123456789012 got HTTP 403 at 2026-12-02T10:00:00Z"),
///     "user {email} in account {number} got HTTP 403 at {timestamp}"
/// );
/// ```
pub fn mask(text: &str) -> String {
    let vars = find_variables(text);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for v in &vars {
        mask_ids(&text[last..v.start], &mut out);
        out.push('{');
        out.push_str(v.kind.name());
        out.push('}');
        last = v.end;
    }
    mask_ids(&text[last..], &mut out);
    out
}

/// Copies `text` to `out` with id-like runs of ASCII letters and digits masked.
fn mask_ids(text: &str, out: &mut String) {
    let mut run_start: Option<usize> = None;
    let flush = |out: &mut String, run: &str| {
        if !is_variable_token(run) {
            out.push_str(run);
        } else if run.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("{number}");
        } else if run.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push_str("{hex}");
        } else {
            out.push_str("{id}");
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphanumeric() {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(s) = run_start.take() {
            flush(out, &text[s..i]);
        }
        out.push(c);
    }
    if let Some(s) = run_start {
        flush(out, &text[s..]);
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since 1970 (UTC).
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::dates::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Reads `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS][Z]` (UTC) as seconds since 1970.
pub fn parse_time(s: &str) -> Result<i64> {
    let bad = || {
        Error::Query(format!(
            "date `{s}`: write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"
        ))
    };
    let s2 = s.trim().trim_end_matches('Z');
    let (date, time) = match s2.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s2, None),
    };
    let mut dp = date.split('-');
    let num = |p: Option<&str>, lo: i64, hi: i64| -> Result<i64> {
        let v: i64 = p.ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(bad())
        }
    };
    let y = num(dp.next(), 1970, 9999)?;
    let m = num(dp.next(), 1, 12)?;
    let d = num(dp.next(), 1, 31)?;
    if dp.next().is_some() {
        return Err(bad());
    }
    let mut secs = crate::dates::days_from_civil(y, m, d) * 86_400;
    if let Some(t) = time {
        let mut tp = t.split(':');
        secs += num(tp.next(), 0, 23)? * 3600;
        secs += num(tp.next(), 0, 59)? * 60;
        if let Some(sec) = tp.next() {
            secs += num(Some(sec.split('.').next().unwrap_or(sec)), 0, 60)?;
        }
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_variable_parts_and_ids() {
        assert_eq!(
            mask("sync of d-9067aa1b2c to 10.0.3.12 failed (job 00u1a2b3c4D5e6F7g8h9, exit 137)"),
            "sync of d-{hex} to {ip} failed (job {id}, exit 137)"
        );
        assert_eq!(
            mask("role arn:aws:iam::123456789012:role/Admin denied"),
            "role {arn} denied"
        );
        assert_eq!(mask("naïve café 😀 ok"), "naïve café 😀 ok");
    }

    #[test]
    fn times_round_trip() {
        let t = parse_time("2026-12-02T22:15:07Z").unwrap();
        assert_eq!(format_time(t), "2026-12-02T22:15:07Z");
        assert_eq!(parse_time("1970-01-02").unwrap(), 86_400);
        assert!(parse_time("2026-13-01").is_err());
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn resolutions_parse() {
        assert_eq!(
            "resolved".parse::<Resolution>().unwrap(),
            Resolution::Resolved
        );
        assert_eq!(
            "not-resolved".parse::<Resolution>().unwrap(),
            Resolution::NotResolved
        );
        assert!("maybe".parse::<Resolution>().is_err());
    }
}
