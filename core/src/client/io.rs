//! The blocking door's engine: one current-thread runtime per process, driven by the blocking
//! callers themselves.
//!
//! A blocking call runs its future to completion with `block_on` on the calling thread: when
//! no other call is driving the runtime, this thread drives it (its own exchange, and the
//! connections' tasks); when another is, this thread waits for its own future while the other
//! drives the I/O, and takes over when that one leaves. Nothing but the library's own code runs
//! inside `block_on`: the waiter sleeps and calls its observer outside it, between polls
//! ([`super::blocking`]), an interrupt check runs outside it between two `block_on`s of the same
//! future, and a credential provider that may block runs on one of the runtime's blocking
//! threads. So a callback may call the client back, block or take locks without holding up
//! another thread's I/O. (An earlier design handed every exchange to a runtime thread of its
//! own, as `reqwest::blocking` does: measured against this one, it cost 26 % more CPU per Python
//! create + wait cycle and 39 % more per Rust cycle, the two extra thread wake-ups per exchange.)
//!
//! A thread inside a tokio runtime's context (tokio's `spawn_blocking` and `block_in_place`, or
//! an async task's own thread) cannot `block_on`: there the call is driven by a scoped thread
//! started for it, and the caller waits for the answer (blocking that thread, as any blocking
//! call would).
//!
//! After `fork()` the child's first call makes a runtime of its own: the parent's, whose core
//! another thread of the parent may have held at the fork and whose epoll and eventfd
//! descriptors are shared with the parent, is never touched in the child (kept, never dropped).
//!
//! When the call hands its future to another thread, the caller's `tracing` subscriber and span
//! travel with it.

use std::future::Future;
use std::sync::Mutex;
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant};

use tracing::Instrument;
use tracing::instrument::WithSubscriber as _;

use crate::error::{Error, Result};

/// This process's runtime, and the pid that made it.
static RUNTIME: Mutex<Option<(u32, &'static tokio::runtime::Runtime)>> = Mutex::new(None);

/// The runtime of this process, made on first use, and again in a forked child.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    let pid = std::process::id();
    let mut current = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((owner, rt)) = *current {
        if owner == pid {
            return Ok(rt);
        }
        // A parent's, inherited through fork(): kept reachable, never used again.
        super::process::keep_forever(rt);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("ims-blocking")
        .build()
        .map_err(|e| Error::Config(format!("cannot start the I/O runtime: {e}")))?;
    // Never dropped: a forked child still reaches its parent's (see the module docs).
    let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(runtime));
    *current = Some((pid, runtime));
    Ok(runtime)
}

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

/// Runs `future` to completion on this process's runtime, driven from this thread (or, inside
/// a tokio context, from a scoped thread while this one waits), until `deadline` (when given) or
/// until `check` asks to stop; `check` always runs on this thread, outside the runtime. A
/// stopped future is dropped (every future of this crate is cancel-safe).
pub(crate) fn run<T: Send + 'static>(
    future: impl Future<Output = Result<T>> + Send + 'static,
    deadline: Option<Instant>,
    check: Option<Check<'_>>,
) -> std::result::Result<Result<T>, Stopped> {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return Ok(Err(e)),
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return drive(rt, future, deadline, check);
    }
    on_a_thread_of_its_own(rt, future, deadline, check)
}

/// `block_on` on this thread, left every [`Check::every`] (and at the deadline) to ask the
/// check, then entered again with the same future.
fn drive<O>(
    rt: &'static tokio::runtime::Runtime,
    future: impl Future<Output = O>,
    deadline: Option<Instant>,
    mut check: Option<Check<'_>>,
) -> std::result::Result<O, Stopped> {
    // Declared first, dropped last: a stopped future is dropped inside the runtime's context.
    let _context = rt.enter();
    let mut future = std::pin::pin!(future);
    loop {
        let now = Instant::now();
        let Some(until) = wake_at(now, deadline, check.as_ref()) else {
            return Ok(rt.block_on(future.as_mut()));
        };
        if let Ok(output) = rt.block_on(tokio::time::timeout_at(until.into(), future.as_mut())) {
            return Ok(output);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Stopped::Deadline);
        }
        if let Some(c) = &mut check
            && (c.stop)()
        {
            return Err(Stopped::Interrupted);
        }
    }
}

/// [`drive`] from a scoped thread (tokio refuses `block_on` inside its context), while this
/// thread waits for the answer and asks the check; a stop cancels the future there.
fn on_a_thread_of_its_own<T: Send + 'static>(
    rt: &'static tokio::runtime::Runtime,
    future: impl Future<Output = Result<T>> + Send + 'static,
    deadline: Option<Instant>,
    mut check: Option<Check<'_>>,
) -> std::result::Result<Result<T>, Stopped> {
    let cancel = tokio::sync::Notify::new();
    let (tx, rx) = mpsc::sync_channel(1);
    // The caller's subscriber, when it set one: with none, the other thread must have none
    // either, so that `tracing`'s `log` records (what Python's logging bridge reads) still flow.
    let dispatch = tracing::dispatcher::get_default(|d| {
        (!d.is::<tracing::subscriber::NoSubscriber>()).then(|| d.clone())
    });
    let future = future.in_current_span();
    std::thread::scope(|scope| {
        let cancel = &cancel;
        scope.spawn(move || {
            let call = or_cancelled(future, cancel);
            let out = match dispatch {
                Some(dispatch) => drive(rt, call.with_subscriber(dispatch), None, None),
                None => drive(rt, call, None, None),
            };
            // The receiver may be gone (a caller that stopped waiting): nothing to do then.
            let _ = tx.send(out);
        });
        loop {
            let now = Instant::now();
            let received = match wake_at(now, deadline, check.as_ref()) {
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                Some(until) => rx.recv_timeout(until.saturating_duration_since(now)),
            };
            match received {
                Ok(Ok(Some(output))) => return Ok(output),
                Ok(_) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Ok(Err(Error::Config(
                        "the thread driving the call ended without an answer (a panic?)".to_owned(),
                    )));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        cancel.notify_one();
                        return Err(Stopped::Deadline);
                    }
                    if let Some(c) = &mut check
                        && (c.stop)()
                    {
                        cancel.notify_one();
                        return Err(Stopped::Interrupted);
                    }
                }
            }
        }
    })
}

/// When a waiting caller next wakes: at the deadline or at the check's next turn, whichever
/// comes first (`None`: neither, wait for the answer).
fn wake_at(now: Instant, deadline: Option<Instant>, check: Option<&Check<'_>>) -> Option<Instant> {
    let turn = check.map(|c| now.checked_add(c.every).unwrap_or(now));
    match (deadline, turn) {
        (Some(d), Some(t)) => Some(d.min(t)),
        (d, t) => d.or(t),
    }
}

/// `future`'s output, or `None` as soon as `cancel` is notified (the future is then dropped).
async fn or_cancelled<F: Future>(future: F, cancel: &tokio::sync::Notify) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cancelled = std::pin::pin!(cancel.notified());
    std::future::poll_fn(|cx| {
        if cancelled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        future.as_mut().poll(cx).map(Some)
    })
    .await
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
    fn calls_run_on_the_calling_thread_and_return_their_output() {
        let caller = std::thread::current().id();
        let ran_on = run_to_end(async { Ok(std::thread::current().id()) });
        assert_eq!(ran_on.ok(), Some(caller));
    }

    #[test]
    fn inside_a_runtime_context_a_thread_of_its_own_drives_the_call() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let _inside = rt.enter();
        let caller = std::thread::current().id();
        let ran_on = run_to_end(async { Ok(std::thread::current().id()) });
        assert!(ran_on.is_ok_and(|id| id != caller));
        let out = run(
            std::future::pending::<Result<()>>(),
            Some(Instant::now() + Duration::from_millis(50)),
            None,
        );
        assert!(matches!(out, Err(Stopped::Deadline)), "{out:?}");
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
