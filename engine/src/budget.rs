//! Time budgets counted in the CPU time of the calling thread.
//!
//! Checks and the checks of a query are bounded in time so that a hostile pack cannot hold a
//! thread. Wall-clock time would also count the time a thread waits for a core: on a loaded
//! host (or under valgrind, which runs one thread at a time) honest checks would be cut off
//! and the same query would get different answers depending on the load. A budget is
//! therefore the thread's own CPU time.
//!
//! Reading the thread's CPU clock is a system call (about 1.5 µs on a virtual machine, as
//! long as a whole check), while the monotonic clock is read from the vDSO. So a budget reads
//! the monotonic clock only, until half of it has passed in wall-clock time; then it reads
//! the CPU clock once as a mark, and counts from there: half the budget for the time before
//! the mark, then the CPU time used since. Honest checks end long before half the budget and
//! never pay for the system call, and a check that waits for a core is not cut for waiting.
//! A busy check is stopped once its CPU time since the mark reaches the other half.
//!
//! Where the thread's CPU clock is not available (outside Linux), the budget is wall-clock
//! time.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// A time budget started on the current thread; ask it from the same thread.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    limit: Duration,
    wall_start: Instant,
    /// (wall-clock time from the start, thread CPU time) when half the budget had passed,
    /// as first seen by [`Budget::spent`].
    mark: Cell<Option<(Duration, Duration)>>,
}

impl Budget {
    /// Starts a budget of `limit` now, on this thread, for work that asks [`Budget::spent`]
    /// often (every few operations of a check): the CPU clock is read only past half of it.
    pub(crate) fn start(limit: Duration) -> Budget {
        Budget {
            limit,
            wall_start: Instant::now(),
            mark: Cell::new(None),
        }
    }

    /// Starts a budget of `limit` now, on this thread, for work that asks [`Budget::spent`]
    /// seldom (between candidates of a query): the CPU clock is read now, once, so that all
    /// the CPU time is counted however late the first question comes.
    pub(crate) fn start_counted(limit: Duration) -> Budget {
        let b = Budget::start(limit);
        if let Some(cpu) = thread_cpu_time() {
            b.mark.set(Some((Duration::ZERO, cpu)));
        }
        b
    }

    /// Whether this thread has used up the budget since it was started.
    pub(crate) fn spent(&self) -> bool {
        let wall = self.wall_start.elapsed();
        if wall < self.limit / 2 {
            return false;
        }
        let Some(cpu_now) = thread_cpu_time() else {
            return wall >= self.limit;
        };
        let (before, cpu_mark) = match self.mark.get() {
            Some(m) => m,
            None => {
                self.mark.set(Some((wall, cpu_now)));
                (wall, cpu_now)
            }
        };
        // at most half the budget before the mark: a thread that waited for a core before
        // the mark was taken has not used its budget either
        before.min(self.limit / 2) + cpu_now.saturating_sub(cpu_mark) >= self.limit
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
    fn a_counted_budget_counts_from_its_start() {
        let b = Budget::start_counted(Duration::from_millis(20));
        let cpu = thread_cpu_time().unwrap();
        let mut x = 0u64;
        while thread_cpu_time().unwrap() - cpu < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(b.spent(), "30 ms of work, first asked after it");
        assert!(!Budget::start(Duration::from_millis(20)).spent());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn waiting_before_the_mark_is_not_spending() {
        let b = Budget::start(Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!b.spent(), "waited past the whole budget before any look");
        let mut x = 0u64;
        while !b.spent() {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn waiting_is_not_spending() {
        let b = Budget::start(Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(15));
        assert!(!b.spent(), "the mark is taken past half the budget");
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            !b.spent(),
            "a thread that waited (descheduled, or blocked) has not used its budget"
        );
        let mut x = 0u64;
        while !b.spent() {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(b.wall_start.elapsed() >= Duration::from_millis(75));
    }
}
