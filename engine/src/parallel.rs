//! Work spread over the machine's cores: [`map_in_order`] and [`join`].
//!
//! Loading is the one place the engine runs on several threads of its own: packs are
//! independent, and so are the files of one large pack (parsing and validating them is most
//! of a start), and so are the jobs of a cold build (the text index written by tantivy, the
//! impact lists, the pack snapshots). Plain scoped threads pulling the next item from a shared counter: no pool
//! kept alive after the load, nothing to configure, and the results come back in the order
//! of the items, so errors are reported in the same order on every run.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The stack of each helper thread: the main thread's usual size (parsing is depth-limited,
/// but not by much).
const STACK_SIZE: usize = 8 << 20;

/// `f` of every item, on up to `max_threads` threads (the calling thread is one of them),
/// results in the order of `items`. A thread that cannot be spawned leaves its share to the
/// others; a panic in `f` is resumed on the calling thread.
pub(crate) fn map_in_order<T, R, F>(items: &[T], max_threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(max_threads)
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut results: Vec<Option<R>> = items.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("fixbook-load".into())
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(done) => all.extend(done),
                // as if it had happened on this thread
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (i, r) in all {
            results[i] = Some(r);
        }
    });
    // every index was taken by exactly one worker; one no worker reached cannot remain, but
    // would be mapped here rather than lost
    results
        .into_iter()
        .zip(items)
        .map(|(r, item)| r.unwrap_or_else(|| f(item)))
        .collect()
}

/// Runs `a` on a helper thread and `b` on this one, and returns both results. When no
/// thread can be spawned, or the machine has one core, `a` runs here first. A panic in
/// either is resumed on the calling thread.
pub(crate) fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB,
    RA: Send,
{
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if cores < 2 {
        return (a(), b());
    }
    // where `a` waits for the helper: still there when no helper could be spawned
    let slot = std::sync::Mutex::new(Some(a));
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("fixbook-load".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || {
                let a = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                a.map(|a| a())
            });
        let rb = b();
        let ra = match helper.map(|h| h.join()) {
            Ok(Ok(Some(ra))) => ra,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // not spawned (or, impossibly, started without its job): run it here
            Ok(Ok(None)) | Err(_) => {
                let a = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                a.expect("the job runs once: on the helper or here")()
            }
        };
        (ra, rb)
    })
}

#[cfg(test)]
mod tests {
    use super::{join, map_in_order};

    #[test]
    fn join_returns_both_results_and_resumes_a_panic() {
        let (a, b) = join(|| (0..100u64).sum::<u64>(), || "here".to_owned());
        assert_eq!((a, b.as_str()), (4950, "here"));
        let caught = std::panic::catch_unwind(|| join(|| panic!("helper failed"), || 1));
        assert!(caught.is_err());
    }

    #[test]
    fn results_come_back_in_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let slow_first = |&n: &u64| {
            if n < 3 {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            n * n
        };
        let got = map_in_order(&items, 4, slow_first);
        assert_eq!(got, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert!(map_in_order(&[] as &[u64], 4, |n| *n).is_empty());
        assert_eq!(map_in_order(&[7u64], 4, |n| n + 1), vec![8]);
    }
}
