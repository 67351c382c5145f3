//! Engine work: on tokio's blocking pool, at most `limits.max_concurrency` jobs at once, and
//! shed (429) rather than queued when all are busy.
//!
//! The jobs go through a tower stack, `load_shed` over `concurrency_limit` over a service that
//! runs each job with `spawn_blocking`: a job that finds no free slot is refused at once, so
//! memory stays bounded however many clients call. The slot is held until the job has
//! finished, even when the client has gone or the request timed out (the job cannot be
//! stopped half-way; its own time budget bounds it), so the limit counts real work; and a
//! request is answered only once its slot is free again. A job learns through its
//! [`Caller`] when its client has gone, and a batch stops at the next item. The reactor
//! threads never run engine code: a slow check cannot stall other connections.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::limit::ConcurrencyLimit;
use tower::load_shed::LoadShed;
use tower::{Service, ServiceBuilder, ServiceExt};

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Runs one job on the blocking pool; resolves when it has finished.
#[derive(Clone, Debug, Default)]
struct Blocking;

impl Service<Job> for Blocking {
    type Response = ();
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<(), Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, job: Job) -> Self::Future {
        let handle = tokio::task::spawn_blocking(job);
        Box::pin(async move {
            // a panicking job drops its result sender; the caller reports it
            let _ = handle.await;
            Ok(())
        })
    }
}

/// The bounded pool of engine work.
#[derive(Clone)]
pub struct EnginePool {
    svc: LoadShed<ConcurrencyLimit<Blocking>>,
    busy: Arc<AtomicUsize>,
    limit: usize,
}

impl std::fmt::Debug for EnginePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnginePool")
            .field("limit", &self.limit)
            .field("busy", &self.busy())
            .finish()
    }
}

impl EnginePool {
    /// A pool running at most `limit` jobs at once.
    pub fn new(limit: usize) -> EnginePool {
        let svc = ServiceBuilder::new()
            .load_shed()
            .concurrency_limit(limit)
            .service(Blocking);
        EnginePool {
            svc,
            busy: Arc::new(AtomicUsize::new(0)),
            limit,
        }
    }

    /// Jobs running now.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }

    /// The most jobs at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Runs `f` on the blocking pool and returns its result; 429 `overloaded` when every
    /// slot is taken. `f` is given its [`Caller`], to stop early when the client has gone; a
    /// job whose client has gone before it starts does not run.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Caller) -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let busy = self.busy.clone();
        let caller = Caller::default();
        // dropped with this future: when the client goes, hyper drops the request's future
        let _waiting = Waiting(caller.gone.clone());
        let job: Job = Box::new(move || {
            if caller.is_gone() {
                return;
            }
            busy.fetch_add(1, Ordering::Relaxed);
            let _guard = Decrement(busy);
            let _ = tx.send(f(&caller));
        });
        let mut svc = self.svc.clone();
        let ready = svc
            .ready()
            .await
            .map_err(|_| ApiError::internal("the engine pool is closed"))?;
        let call = ready.call(job);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        // the slot is released when the job ends, not when this request does: a client that
        // has gone leaves the job to finish in this task
        tokio::spawn(async move {
            let shed = call.await.is_err();
            let _ = done_tx.send(shed);
        });
        let value = rx.await;
        // answer only once the slot is free again, so that a client sending its requests one
        // after another is never refused because of its own previous request
        let shed = done_rx.await.unwrap_or(false);
        match value {
            Ok(v) => Ok(v),
            // no result: the job was shed (never run) or it panicked
            Err(_) if shed => Err(ApiError::overloaded()),
            Err(_) => Err(ApiError::internal("the engine job failed")),
        }
    }
}

/// What a job knows of the request it works for.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    gone: Arc<AtomicBool>,
}

impl Caller {
    /// Whether the request was dropped (its client went away, or it timed out): nobody will
    /// read the answer, so a long job (a batch) may stop.
    pub fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }
}

struct Waiting(Arc<AtomicBool>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

struct Decrement(Arc<AtomicUsize>);

impl Drop for Decrement {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
