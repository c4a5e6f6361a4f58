//! Bounds on one piece of work (a trace, a screening, a view of a large entity):
//! most steps, most records kept, and a flag that stops it from outside (a
//! server's timeout, a client that hung up). The work checks the budget in its
//! loop and stops with [`Exceeded`], so no request runs or grows without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Why a piece of work was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    /// It took more steps (transactions split, history rows read) than allowed.
    #[error("the work needs more than {limit} steps (transactions or history rows read), the limit")]
    Steps {
        /// The limit.
        limit: u64,
    },
    /// It would keep more records (nodes, edges, endpoints) than allowed.
    #[error("the answer would hold more than {limit} records (nodes, edges, endpoints), the limit")]
    Records {
        /// The limit.
        limit: u64,
    },
    /// The flag was set: the caller gave up (a timeout, a closed connection).
    #[error("the work was cancelled")]
    Cancelled,
}

/// A bound on one piece of work. Cheap to check: an atomic add and two loads.
#[derive(Debug)]
pub struct Budget {
    max_steps: u64,
    max_records: u64,
    cancel: Option<Arc<AtomicBool>>,
    used: AtomicU64,
}

impl Budget {
    /// No bound and no flag (the command line: the user waits or presses Ctrl-C).
    pub fn unlimited() -> Self {
        Self { max_steps: u64::MAX, max_records: u64::MAX, cancel: None, used: AtomicU64::new(0) }
    }

    /// At most `max_steps` steps and `max_records` records, stopped early when
    /// `cancel` is set.
    pub fn new(max_steps: u64, max_records: u64, cancel: Option<Arc<AtomicBool>>) -> Self {
        Self { max_steps, max_records, cancel, used: AtomicU64::new(0) }
    }

    /// Spends `steps` steps.
    ///
    /// # Errors
    /// When the steps run out or the work was cancelled.
    pub fn charge(&self, steps: u64) -> Result<(), Exceeded> {
        if self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Exceeded::Cancelled);
        }
        let used = self.used.fetch_add(steps, Ordering::Relaxed).saturating_add(steps);
        if used > self.max_steps {
            return Err(Exceeded::Steps { limit: self.max_steps });
        }
        Ok(())
    }

    /// Checks that `records` records may be kept.
    ///
    /// # Errors
    /// When there are more than the limit.
    pub fn hold(&self, records: usize) -> Result<(), Exceeded> {
        if records as u64 > self.max_records {
            return Err(Exceeded::Records { limit: self.max_records });
        }
        Ok(())
    }
}

/// Sets a cancellation flag when dropped: held by a request's future, so that a
/// timeout or a closed connection (both drop the future) stops the blocking work
/// it started.
#[derive(Debug)]
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_out_at_the_limit() {
        let budget = Budget::new(10, 5, None);
        assert_eq!(budget.charge(10), Ok(()));
        assert_eq!(budget.charge(1), Err(Exceeded::Steps { limit: 10 }));
        assert_eq!(budget.hold(5), Ok(()));
        assert_eq!(budget.hold(6), Err(Exceeded::Records { limit: 5 }));
    }

    #[test]
    fn dropping_the_guard_cancels() {
        let flag = Arc::new(AtomicBool::new(false));
        let budget = Budget::new(u64::MAX, u64::MAX, Some(flag.clone()));
        let guard = CancelOnDrop(flag);
        assert_eq!(budget.charge(1), Ok(()));
        drop(guard);
        assert_eq!(budget.charge(1), Err(Exceeded::Cancelled));
    }

    #[test]
    fn unlimited_never_runs_out() {
        let budget = Budget::unlimited();
        assert_eq!(budget.charge(u64::MAX), Ok(()));
        assert_eq!(budget.charge(u64::MAX), Ok(()));
        assert_eq!(budget.hold(usize::MAX), Ok(()));
    }
}
