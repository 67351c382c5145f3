//! Time budgets counted in the CPU time of the calling thread.
//!
//! Checks and the checks of a query are bounded in time so that a hostile pack cannot hold a
//! thread. Wall-clock time would also count the time a thread waits for a core: on a loaded
//! host (or under valgrind, which runs one thread at a time) honest checks would be cut off
//! and the same query would get different answers depending on the load. A budget is
//! therefore the thread's own CPU time. The monotonic clock (cheap, from the vDSO) is read
//! first, and the thread's CPU clock (a system call) only once wall-clock time alone says the
//! budget may be spent: a thread never uses more CPU time than wall-clock time passes.
//!
//! Where the thread's CPU clock is not available (outside Linux), the budget is wall-clock
//! time.

use std::time::{Duration, Instant};

/// A time budget started on the current thread; ask it from the same thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    limit: Duration,
    wall_start: Instant,
    cpu_start: Option<Duration>,
}

impl Budget {
    /// Starts a budget of `limit` now, on this thread.
    pub(crate) fn start(limit: Duration) -> Budget {
        Budget {
            limit,
            wall_start: Instant::now(),
            cpu_start: thread_cpu_time(),
        }
    }

    /// Whether this thread has used up the budget since [`Budget::start`].
    pub(crate) fn spent(&self) -> bool {
        if self.wall_start.elapsed() < self.limit {
            return false;
        }
        match (self.cpu_start, thread_cpu_time()) {
            (Some(start), Some(now)) => now.saturating_sub(start) >= self.limit,
            _ => true,
        }
    }
}

/// CPU time used by the calling thread so far.
#[cfg(target_os = "linux")]
fn thread_cpu_time() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Some(Duration::new(
        u64::try_from(t.tv_sec).ok()?,
        u32::try_from(t.tv_nsec).ok()?,
    ))
}

/// CPU time used by the calling thread so far (not available here).
#[cfg(not(target_os = "linux"))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_spends_its_budget() {
        let b = Budget::start(Duration::from_millis(20));
        assert!(!b.spent());
        let mut x = 0u64;
        while !b.spent() {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(b.wall_start.elapsed() >= Duration::from_millis(20));
        assert!(
            Budget::start(Duration::ZERO).spent(),
            "a zero budget is spent at once"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn waiting_is_not_spending() {
        let b = Budget::start(Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            !b.spent(),
            "a thread that waited (descheduled, or blocked) has not used its budget"
        );
    }
}
