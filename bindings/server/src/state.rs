//! The one state every handler shares: the engine, keys, limits, metrics, the engine pool
//! and the reload status. Cheap to clone (one `Arc`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use fixbook::{Engine, PackError};
use serde::Serialize;

use crate::auth::Keys;
use crate::config::{Config, Limits};
use crate::metrics::{Gauges, Metrics};
use crate::pool::EnginePool;

/// What the server shares between requests.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    engine: Arc<Engine>,
    config: Config,
    keys: Keys,
    limits: Limits,
    metrics: Metrics,
    pool: EnginePool,
    reload_lock: Mutex<()>,
    status: Mutex<LoadStatus>,
    draining: AtomicBool,
    webhooks: OnceLock<crate::webhooks::Webhooks>,
}

/// The packs being served and the last reload's result, as `/readyz` shows them.
#[derive(Debug, Clone, Serialize)]
pub struct LoadStatus {
    /// A hash of the loaded packs' content (entries, signatures, checks, versions), in hex:
    /// equal hashes mean the same knowledge is served.
    pub content_hash: String,
    /// When the served set was loaded (seconds since the epoch).
    pub loaded_at: u64,
    /// Successful reloads since start.
    pub reloads_ok: u64,
    /// Failed reloads since start.
    pub reloads_failed: u64,
    /// The last reload, when there was one.
    pub last_reload: Option<ReloadReport>,
}

/// What one reload did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReloadReport {
    /// `ok` (the new set is served) or `failed` (the previous set is still served).
    pub result: &'static str,
    /// What asked for it: `admin`, `sighup`, `watch`.
    pub trigger: &'static str,
    /// When it finished (seconds since the epoch).
    pub at: u64,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The content hash of the set served after it.
    pub content_hash: String,
    /// What happened, in a sentence (for a failed reload: why the previous set is kept).
    pub message: String,
    /// The pack errors that failed it, each naming its file, line and column (or, for a
    /// lenient reload, the packs it skipped).
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<PackError>,
}

/// A failed reload's summary and its pack errors. The engine puts a summary with no file
/// first ("reload would drop pack(s) …"); it becomes the message, so that the errors
/// start with one a person can open at its line.
fn reload_errors(e: &fixbook::Error) -> (String, Vec<PackError>) {
    let (located, summaries): (Vec<PackError>, Vec<PackError>) = e
        .pack_errors()
        .iter()
        .cloned()
        .partition(|p| !p.path.is_empty());
    let message = match summaries.first() {
        Some(s) => s.message.clone(),
        None if located.is_empty() => e.to_string(),
        None => "the packs have errors; the previous set is kept".to_owned(),
    };
    if located.is_empty() {
        let whole = summaries.into_iter().next().unwrap_or_else(|| PackError {
            kind: fixbook::PackErrorKind::Io,
            path: String::new(),
            line: 0,
            column: 0,
            message: e.to_string(),
            hint: String::new(),
            entry: None,
            source_line: None,
            length: 0,
        });
        return (message, vec![whole]);
    }
    (message, located)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A hash of what the engine serves: every pack's id, version and origin and every entry as
/// `fixbook show --json` prints it (FNV-1a, 64 bits; stable across runs and builds).
pub fn content_hash(engine: &Engine) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for p in engine.packs() {
        feed(serde_json::to_string(&p).unwrap_or_default().as_bytes());
    }
    for id in engine.entry_ids() {
        if let Some(e) = engine.entry(&id) {
            feed(serde_json::to_string(&e).unwrap_or_default().as_bytes());
        }
    }
    format!("{h:016x}")
}

impl AppState {
    /// The state for a server over `engine`.
    pub fn new(engine: Arc<Engine>, config: Config, keys: Keys, limits: Limits) -> AppState {
        let status = LoadStatus {
            content_hash: content_hash(&engine),
            loaded_at: now(),
            reloads_ok: 0,
            reloads_failed: 0,
            last_reload: None,
        };
        let pool = EnginePool::new(limits.max_concurrency);
        AppState(Arc::new(Inner {
            engine,
            config,
            keys,
            limits,
            metrics: Metrics::default(),
            pool,
            reload_lock: Mutex::new(()),
            status: Mutex::new(status),
            draining: AtomicBool::new(false),
            webhooks: OnceLock::new(),
        }))
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.0.engine
    }

    /// The configuration file's contents (sections of later features read their own part).
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The API keys.
    pub fn keys(&self) -> &Keys {
        &self.0.keys
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.0.limits
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The engine pool (run engine work through it).
    pub fn pool(&self) -> &EnginePool {
        &self.0.pool
    }

    /// The ticketing-system webhooks (none configured until [`AppState::install_webhooks`]).
    pub fn webhooks(&self) -> &crate::webhooks::Webhooks {
        self.0
            .webhooks
            .get_or_init(crate::webhooks::Webhooks::empty)
    }

    /// Installs the configured webhooks, before the server starts; `false` when webhooks
    /// were already in use.
    pub fn install_webhooks(&self, webhooks: crate::webhooks::Webhooks) -> bool {
        self.0.webhooks.set(webhooks).is_ok()
    }

    /// Whether a shutdown has begun (`/readyz` answers 503 then).
    pub fn draining(&self) -> bool {
        self.0.draining.load(Ordering::Relaxed)
    }

    /// Marks the start of a shutdown.
    pub fn set_draining(&self) {
        self.0.draining.store(true, Ordering::Relaxed);
    }

    /// The load status.
    pub fn status(&self) -> LoadStatus {
        self.0
            .status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The gauges for `/metrics`.
    pub fn gauges(&self) -> Gauges {
        let s = self.status();
        Gauges {
            busy: self.0.pool.busy(),
            limit: self.0.pool.limit(),
            packs: self.0.engine.packs().len(),
            entries: self.0.engine.entry_count(),
            last_reload_ok: s.last_reload.as_ref().is_none_or(|r| r.result == "ok"),
            loaded_at: s.loaded_at,
        }
    }

    /// Reloads the packs (blocking: call from a blocking thread). One reload runs at a time;
    /// a failed one keeps the served set, and the status and metrics say so.
    pub fn reload_blocking(&self, trigger: &'static str) -> ReloadReport {
        let _one = self
            .0
            .reload_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = Instant::now();
        let result = self.0.engine.reload();
        let ok = result.is_ok();
        let (message, errors) = match &result {
            Ok(()) => (String::from("reloaded"), self.0.engine.skipped()),
            Err(e) => reload_errors(e),
        };
        let hash = if ok {
            content_hash(&self.0.engine)
        } else {
            self.status().content_hash
        };
        let report = ReloadReport {
            result: if ok { "ok" } else { "failed" },
            trigger,
            at: now(),
            duration_ms: start.elapsed().as_millis() as u64,
            content_hash: hash.clone(),
            message,
            errors,
        };
        {
            let mut s = self
                .0
                .status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if ok {
                s.reloads_ok += 1;
                s.content_hash = hash;
                s.loaded_at = report.at;
            } else {
                s.reloads_failed += 1;
            }
            s.last_reload = Some(report.clone());
        }
        self.0.metrics.reload(trigger, ok);
        if ok {
            tracing::info!(trigger, "packs reloaded");
        } else {
            tracing::warn!(
                trigger,
                errors = report.errors.len(),
                "reload failed; previous packs kept"
            );
        }
        report
    }

    /// Reloads on the blocking pool (not through the engine pool: a reload is never shed).
    pub async fn reload(&self, trigger: &'static str) -> ReloadReport {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.reload_blocking(trigger)).await {
            Ok(r) => r,
            Err(_) => ReloadReport {
                result: "failed",
                trigger,
                at: now(),
                duration_ms: 0,
                content_hash: self.status().content_hash,
                message: "the reload stopped before it finished".into(),
                errors: Vec::new(),
            },
        }
    }
}
