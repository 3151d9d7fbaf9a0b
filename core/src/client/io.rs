//! The blocking door's engine: one process-wide I/O runtime on a thread of its own, which
//! blocking callers hand their exchanges to (as `reqwest::blocking` does).
//!
//! The caller's thread never enters a runtime: it hands a future to the `ims-io` thread and
//! waits for the answer on a channel. So whatever the caller runs between two exchanges (a C or
//! Python progress callback, a lock, a sleep, a call back into the library) never holds up
//! another thread's I/O, and the blocking client works from any thread: plain threads, C and
//! Python threads, tokio's `spawn_blocking` and `block_in_place`.
//!
//! The thread is started by the first blocking call of the process (not by building a client)
//! and lives until the process exits. After `fork()` the child's first blocking call starts a
//! thread of its own: the parent's runtime is never touched again in the child (its thread did
//! not survive the fork and its epoll and eventfd descriptors are shared with the parent), so it
//! is leaked there, never dropped.
//!
//! The caller's `tracing` dispatcher and current span travel with each future, so events of a
//! blocking call reach the subscriber the caller set, on its own thread, too.

use std::future::Future;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tracing::Instrument;
use tracing::instrument::WithSubscriber as _;

use crate::error::{Error, Result};

/// The I/O runtime of this process: its handle, and the pid that started it.
struct Io {
    pid: u32,
    handle: tokio::runtime::Handle,
}

static IO: Mutex<Option<Io>> = Mutex::new(None);

/// The handle of this process's I/O runtime, starting it (and its thread) on first use, and
/// again in a forked child.
fn handle() -> Result<tokio::runtime::Handle> {
    let pid = std::process::id();
    let mut io = IO.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(current) = io.as_ref().filter(|io| io.pid == pid) {
        return Ok(current.handle.clone());
    }
    // A parent's runtime, inherited through fork(): never dropped here (see the module docs).
    if let Some(inherited) = io.take() {
        super::process::keep_forever(inherited.handle);
    }
    let handle = start()?;
    *io = Some(Io {
        pid,
        handle: handle.clone(),
    });
    Ok(handle)
}

/// Starts the `ims-io` thread with a current-thread runtime (I/O and timers) that runs every
/// task handed to it until the process exits. The runtime itself lives in a static (never
/// dropped), so that a forked child, whose copy of the thread is gone, still reaches it.
fn start() -> Result<tokio::runtime::Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("ims-io-blocking")
        .build()
        .map_err(|e| Error::Config(format!("cannot start the I/O runtime: {e}")))?;
    let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(runtime));
    RUNTIMES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(runtime);
    std::thread::Builder::new()
        .name("ims-io".to_owned())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .map_err(|e| Error::Config(format!("cannot start the I/O thread: {e}")))?;
    Ok(runtime.handle().clone())
}

/// Every I/O runtime this process started (one, and one more per fork that called): kept
/// reachable for the life of the process.
static RUNTIMES: Mutex<Vec<&'static tokio::runtime::Runtime>> = Mutex::new(Vec::new());

/// Why [`run`] returned without the future's output.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// The deadline passed first; the future was dropped.
    Deadline,
    /// The caller's check asked to stop; the future was dropped.
    Interrupted,
}

/// What the caller checks while it waits: how often, and whether to stop.
pub(crate) struct Check<'a> {
    /// How often to ask.
    pub every: Duration,
    /// Asked every `every` on the caller's thread (outside any runtime); `true` stops the call.
    pub stop: &'a mut dyn FnMut() -> bool,
}

/// Runs `future` on the I/O runtime and waits for its output on this thread, until `deadline`
/// (when given) or until `check` asks to stop. A stopped future is dropped on the I/O thread
/// (every future of this crate is cancel-safe).
pub(crate) fn run<T: Send + 'static>(
    future: impl Future<Output = Result<T>> + Send + 'static,
    deadline: Option<Instant>,
    mut check: Option<Check<'_>>,
) -> std::result::Result<Result<T>, Stopped> {
    let handle = match handle() {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    let (tx, rx) = mpsc::sync_channel(1);
    let call = async move {
        // The receiver may be gone (a caller that stopped waiting): nothing to do then.
        let _ = tx.send(future.await);
    }
    .in_current_span();
    // The caller's subscriber, when it set one: with none, the I/O thread must have none
    // either, so that `tracing`'s `log` records (what Python's logging bridge reads) still flow.
    let dispatch = tracing::dispatcher::get_default(|d| {
        (!d.is::<tracing::subscriber::NoSubscriber>()).then(|| d.clone())
    });
    let task = match dispatch {
        Some(dispatch) => handle.spawn(call.with_subscriber(dispatch)),
        None => handle.spawn(call),
    };
    loop {
        let now = Instant::now();
        let mut until = deadline;
        if let Some(c) = &check {
            let next = now.checked_add(c.every).unwrap_or(now);
            until = Some(until.map_or(next, |d| d.min(next)));
        }
        let received = match until {
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(until) => rx.recv_timeout(until.saturating_duration_since(now)),
        };
        match received {
            Ok(output) => return Ok(output),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Ok(Err(Error::Config(
                    "the I/O runtime dropped the call without an answer (a panic inside it?)"
                        .to_owned(),
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    task.abort();
                    return Err(Stopped::Deadline);
                }
                if let Some(c) = &mut check {
                    if (c.stop)() {
                        task.abort();
                        return Err(Stopped::Interrupted);
                    }
                }
            }
        }
    }
}

/// [`run`] with neither deadline nor check: the future's output.
pub(crate) fn run_to_end<T: Send + 'static>(
    future: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    match run(future, None, None) {
        Ok(output) => output,
        // Neither a deadline nor a check was given, so neither can have stopped it.
        Err(_) => Err(Error::Config("the I/O call stopped early".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_run_on_the_io_thread_and_return_their_output() {
        let name = run_to_end(async { Ok(std::thread::current().name().map(str::to_owned)) });
        assert_eq!(name.ok().flatten().as_deref(), Some("ims-io"));
    }

    #[test]
    fn a_deadline_stops_a_call_that_never_ends() {
        let started = Instant::now();
        let out = run(
            std::future::pending::<Result<()>>(),
            Some(Instant::now() + Duration::from_millis(50)),
            None,
        );
        assert!(matches!(out, Err(Stopped::Deadline)), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_check_stops_a_call_and_runs_on_the_callers_thread() {
        let caller = std::thread::current().id();
        let mut asked = 0;
        let mut stop = || {
            assert_eq!(std::thread::current().id(), caller);
            asked += 1;
            asked == 3
        };
        let out = run(
            std::future::pending::<Result<()>>(),
            None,
            Some(Check {
                every: Duration::from_millis(5),
                stop: &mut stop,
            }),
        );
        assert!(matches!(out, Err(Stopped::Interrupted)), "{out:?}");
        assert_eq!(asked, 3);
    }
}
