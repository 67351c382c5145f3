//! The SQLite file: opening, schema migrations, reads and writes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode};

use super::prior::Stats;
use super::{Feedback, OutcomeOptions};
use crate::error::{Error, Result};

/// `PRAGMA application_id` of a fixbook outcome store ("FXBK").
const APPLICATION_ID: i32 = 0x4658_424B;

/// Schema migrations: migration `i` takes `user_version` from `i` to `i + 1`. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: feedback and unmatched texts
    "CREATE TABLE feedback (
        id       INTEGER PRIMARY KEY,
        at       INTEGER NOT NULL,
        entry    TEXT NOT NULL,
        pack     TEXT NOT NULL,
        resolved INTEGER NOT NULL CHECK (resolved IN (0, 1)),
        masked   TEXT,
        text     TEXT,
        ticket   TEXT,
        source   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX feedback_entry ON feedback (entry, at);
    CREATE INDEX feedback_at ON feedback (at);
    CREATE TABLE unmatched (
        id     INTEGER PRIMARY KEY,
        at     INTEGER NOT NULL,
        masked TEXT NOT NULL,
        text   TEXT
    );
    CREATE INDEX unmatched_at ON unmatched (at);",
];

/// How long a writer waits for another one before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Priors are recomputed at least this often, so decay follows the clock.
const STATS_MAX_AGE_SECS: i64 = 3600;

pub(super) struct Store {
    path: PathBuf,
    conn: Connection,
    options: OutcomeOptions,
    /// Aggregates for the priors, with the `data_version` and time they were read at.
    stats: Option<(i64, i64, Stats)>,
}

impl Store {
    /// Opens (creating and migrating when needed) the store at `path`. Two processes
    /// opening a new file at once can get a "busy" from SQLite that its busy handler does
    /// not wait on (one switching the file to write-ahead logging while the other reads
    /// it); the whole opening is then tried again, until [`BUSY_TIMEOUT`].
    pub(super) fn open(path: &Path, options: OutcomeOptions) -> Result<Store> {
        let start = std::time::Instant::now();
        loop {
            let busy = std::cell::Cell::new(false);
            match Store::open_once(path, options, &busy) {
                Err(_) if busy.get() && start.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                done => return done,
            }
        }
    }

    /// One attempt of [`Store::open`]; sets `busy` when SQLite answered "busy".
    fn open_once(
        path: &Path,
        options: OutcomeOptions,
        busy: &std::cell::Cell<bool>,
    ) -> Result<Store> {
        let err = |e: rusqlite::Error| {
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ) {
                busy.set(true);
            }
            error(path, e)
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(Error::Outcomes {
                    path: path.to_path_buf(),
                    message: format!("folder {} does not exist", parent.display()),
                });
            }
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // the first read of the file: a file that is not a database fails here
        let app: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if app != APPLICATION_ID {
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
                .map_err(err)?;
            if app != 0 || tables > 0 || version != 0 {
                return Err(Error::Outcomes {
                    path: path.to_path_buf(),
                    message: format!(
                        "an SQLite database of another program (application_id {app:#x}, \
                         {tables} schema objects), not a fixbook outcome store; give another path"
                    ),
                });
            }
        }
        let latest = MIGRATIONS.len() as i64;
        if version > latest {
            return Err(Error::Outcomes {
                path: path.to_path_buf(),
                message: format!(
                    "written by a newer fixbook (schema {version}; this one reads up to {latest}); \
                     upgrade fixbook or use another file"
                ),
            });
        }
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Outcomes {
                path: path.to_path_buf(),
                message: format!(
                    "cannot use write-ahead logging (journal mode {mode}); put the store on a local file system"
                ),
            });
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(err)?;
        let mut store = Store {
            path: path.to_path_buf(),
            conn,
            options,
            stats: None,
        };
        store.migrate().map_err(err)?;
        store.prune_raw().map_err(err)?;
        Ok(store)
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        error(&self.path, e)
    }

    /// Brings the schema to the latest version, in one transaction (another process may be
    /// doing the same: the loser waits for the lock and then finds nothing left to do).
    fn migrate(&mut self) -> rusqlite::Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.execute_batch(&format!(
                "PRAGMA user_version = {}; PRAGMA application_id = {APPLICATION_ID};",
                i + 1
            ))?;
        }
        tx.commit()
    }

    /// Deletes rows past the retention period.
    pub(super) fn prune(&mut self) -> Result<()> {
        self.prune_raw().map_err(|e| self.err(e))
    }

    fn prune_raw(&mut self) -> rusqlite::Result<()> {
        if self.options.retention_days == 0 {
            return Ok(());
        }
        let before = super::now() - i64::from(self.options.retention_days) * 86_400;
        self.conn
            .execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 DELETE FROM feedback WHERE at < {before};
                 DELETE FROM unmatched WHERE at < {before};
                 COMMIT;"
            ))
            .inspect_err(|_| {
                let _ = self.conn.execute_batch("ROLLBACK");
            })
    }

    pub(super) fn insert_feedback(
        &mut self,
        fb: &Feedback,
        pack: &str,
        masked: Option<&str>,
        whole: Option<&str>,
        at: i64,
    ) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO feedback (at, entry, pack, resolved, masked, text, ticket, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    at,
                    fb.entry,
                    pack,
                    fb.resolution == super::Resolution::Resolved,
                    masked,
                    whole,
                    fb.ticket,
                    fb.source
                ])
            })
            .map_err(|e| self.err(e))?;
        // our own commits do not change our data_version: read the aggregates again
        self.stats = None;
        Ok(self.conn.last_insert_rowid())
    }

    pub(super) fn insert_unmatched(
        &mut self,
        masked: &str,
        whole: Option<&str>,
        at: i64,
    ) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO unmatched (at, masked, text) VALUES (?1, ?2, ?3)")
            .and_then(|mut st| st.execute(params![at, masked, whole]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The aggregates behind the priors, read again when another connection has written,
    /// this one has, or an hour has passed.
    pub(super) fn stats(&mut self) -> Result<&Stats> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let now = super::now();
        let fresh =
            matches!(&self.stats, Some((v, t, _)) if *v == version && now - t < STATS_MAX_AGE_SECS);
        if !fresh {
            let mut stats = Stats::default();
            let mut st = self
                .conn
                .prepare_cached("SELECT entry, pack, resolved, at FROM feedback")
                .map_err(|e| error(&self.path, e))?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .map_err(|e| error(&self.path, e))?;
            for row in rows {
                let (entry, pack, resolved, at) = row.map_err(|e| error(&self.path, e))?;
                stats.add(&entry, &pack, resolved, at, now);
            }
            drop(st);
            self.stats = Some((version, now, stats));
        }
        match &self.stats {
            Some((_, _, s)) => Ok(s),
            None => Err(Error::Outcomes {
                path: self.path.clone(),
                message: "statistics unavailable".into(),
            }),
        }
    }

    /// Unmatched texts since `since`: (time, masked text, example to show).
    pub(super) fn unmatched(&mut self, since: Option<i64>) -> Result<Vec<(i64, String, String)>> {
        self.prune()?;
        let mut st = self
            .conn
            .prepare_cached("SELECT at, masked, text FROM unmatched WHERE at >= ?1 ORDER BY at, id")
            .map_err(|e| error(&self.path, e))?;
        let rows = st
            .query_map([since.unwrap_or(i64::MIN)], |r| {
                let masked: String = r.get(1)?;
                let whole: Option<String> = r.get(2)?;
                Ok((r.get(0)?, masked.clone(), whole.unwrap_or(masked)))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| error(&self.path, e))?;
        Ok(rows)
    }

    pub(super) fn counts(&mut self) -> Result<(u64, u64)> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM feedback), (SELECT count(*) FROM unmatched)",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(|e| self.err(e))
    }

    pub(super) fn feedback_for(&mut self, entry: &str) -> Result<Vec<(bool, i64)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT resolved, at FROM feedback WHERE entry = ?1 ORDER BY at, id")
            .map_err(|e| error(&self.path, e))?;
        st.query_map([entry], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| error(&self.path, e))
    }
}

/// An SQLite error as an [`Error::Outcomes`] that says what it means for the user.
fn error(path: &Path, e: rusqlite::Error) -> Error {
    let code = e.sqlite_error_code();
    let message = match code {
        Some(ErrorCode::NotADatabase) => {
            "not an SQLite database (damaged, or another kind of file); give the path of a \
             fixbook outcome store or of a file to create"
                .to_owned()
        }
        Some(ErrorCode::DatabaseCorrupt) => {
            "the database is damaged (SQLite reports corruption); restore it from a copy or \
             start a new file"
                .to_owned()
        }
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => format!(
            "still locked by another writer after {} s: {e}",
            BUSY_TIMEOUT.as_secs()
        ),
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::PermissionDenied) => {
            format!("cannot write: {e}")
        }
        Some(ErrorCode::CannotOpen) => format!("cannot open: {e}"),
        Some(ErrorCode::DiskFull) => "the disk is full".to_owned(),
        _ => e.to_string(),
    };
    Error::Outcomes {
        path: path.to_path_buf(),
        message,
    }
}
