//! Prometheus metrics in the text exposition format (version 0.0.4), written here.
//!
//! A handful of counters and one histogram family do not need a metrics framework: this module
//! keeps them under one mutex (touched once per request, for a few hundred nanoseconds) and
//! renders them on `GET /metrics`. Labels are bounded: routes are the router's patterns
//! (`/v1/entries/{pack}/{entry}`), never raw paths.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ErrorKindTag;
use crate::state::AppState;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    rejected: BTreeMap<&'static str, u64>,
    queries: BTreeMap<&'static str, u64>,
    reloads: BTreeMap<(&'static str, &'static str), u64>,
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    inner: Mutex<Inner>,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            inner: Mutex::new(Inner::default()),
            started: Instant::now(),
        }
    }
}

/// Gauges read at render time.
#[derive(Debug, Clone)]
pub struct Gauges {
    /// Engine jobs running.
    pub busy: usize,
    /// Most engine jobs at once.
    pub limit: usize,
    /// Packs loaded.
    pub packs: usize,
    /// Entries loaded.
    pub entries: usize,
    /// Whether the last reload succeeded (1 before any reload).
    pub last_reload_ok: bool,
    /// When the loaded set was loaded, seconds since the epoch.
    pub loaded_at: u64,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // a panic while holding the lock leaves counters that are still valid numbers
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut m = self.lock();
        *m.requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        m.latency
            .entry(route.to_owned())
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a refused request by its error kind (`overloaded`, `unauthorized`, …).
    pub fn rejected(&self, kind: &'static str) {
        *self.lock().rejected.entry(kind).or_default() += 1;
    }

    /// Counts engine calls (`search`, `diagnose`, `batch-item`, `feedback`).
    pub fn queries(&self, kind: &'static str, n: u64) {
        *self.lock().queries.entry(kind).or_default() += n;
    }

    /// Counts a reload by what triggered it and whether it worked.
    pub fn reload(&self, trigger: &'static str, ok: bool) {
        *self
            .lock()
            .reloads
            .entry((trigger, if ok { "ok" } else { "failed" }))
            .or_default() += 1;
    }

    /// The text exposition.
    pub fn render(&self, g: &Gauges) -> String {
        let m = self.lock();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP fixbook_http_requests_total HTTP requests answered, by route pattern, method and status.\n# TYPE fixbook_http_requests_total counter"
        );
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                s,
                "fixbook_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                esc(route),
                esc(method)
            );
        }
        let _ = writeln!(
            s,
            "# HELP fixbook_http_request_duration_seconds Time from request to response head, by route pattern.\n# TYPE fixbook_http_request_duration_seconds histogram"
        );
        for (route, h) in &m.latency {
            let r = esc(route);
            for (b, c) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    s,
                    "fixbook_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                s,
                "fixbook_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                s,
                "fixbook_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                s,
                "fixbook_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            s,
            "# HELP fixbook_http_rejected_total Requests refused, by error kind.\n# TYPE fixbook_http_rejected_total counter"
        );
        for (kind, n) in &m.rejected {
            let _ = writeln!(s, "fixbook_http_rejected_total{{kind=\"{kind}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP fixbook_engine_queries_total Engine queries run, by kind.\n# TYPE fixbook_engine_queries_total counter"
        );
        for (kind, n) in &m.queries {
            let _ = writeln!(s, "fixbook_engine_queries_total{{kind=\"{kind}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP fixbook_reloads_total Pack reloads, by trigger and result.\n# TYPE fixbook_reloads_total counter"
        );
        for ((trigger, result), n) in &m.reloads {
            let _ = writeln!(
                s,
                "fixbook_reloads_total{{trigger=\"{trigger}\",result=\"{result}\"}} {n}"
            );
        }
        let gauges: [(&str, &str, String); 7] = [
            (
                "fixbook_reload_last_success",
                "1 when the last reload succeeded (or none was tried), 0 when it failed and the previous packs are still served.",
                u8::from(g.last_reload_ok).to_string(),
            ),
            (
                "fixbook_packs_loaded_timestamp_seconds",
                "When the packs being served were loaded.",
                g.loaded_at.to_string(),
            ),
            ("fixbook_packs_loaded", "Packs being served.", g.packs.to_string()),
            ("fixbook_entries_loaded", "Entries being served.", g.entries.to_string()),
            ("fixbook_engine_jobs_running", "Engine jobs running now.", g.busy.to_string()),
            (
                "fixbook_engine_jobs_limit",
                "Most engine jobs at once (limits.max_concurrency); more are refused with 429.",
                g.limit.to_string(),
            ),
            (
                "fixbook_uptime_seconds",
                "Seconds since the server started.",
                self.started.elapsed().as_secs().to_string(),
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        s
    }
}

fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts every request by route pattern, method and status, and its latency.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let status = resp.status();
    if let Some(ErrorKindTag(kind)) = resp.extensions().get::<ErrorKindTag>() {
        if status.is_client_error() || status.is_server_error() {
            state.metrics().rejected(kind);
        }
    }
    state
        .metrics()
        .request(&route, &method, status.as_u16(), start.elapsed());
    resp
}
