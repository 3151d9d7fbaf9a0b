//! Ctrl-C while waiting: SIGINT (and SIGTERM) set a flag that the waiter's observer checks on
//! every tick, so the wait ends with `Cancelled` (exit 130) and the job id is still printed.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    // An error means a handler is already installed (by this function): nothing to do.
    let _ = ctrlc::set_handler(|| REQUESTED.store(true, Ordering::SeqCst));
}

/// Whether Ctrl-C was pressed since [`install`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
