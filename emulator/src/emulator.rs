//! [`Emulator`]: an emulator running on its own threads, for tests and blocking code.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::config::EmulatorConfig;
use crate::faults::FaultHandle;
use crate::server::serve_state;
use crate::settings::{DEFAULT_TEMPORARY_LIFETIME, Settings, TemporaryCredentials};
use crate::state::AppState;
use crate::stats::Stats;

/// How long [`Emulator::shutdown`] lets in-flight requests finish before cutting them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// A running emulator: its own tokio runtime (two worker threads) on a thread of its own, so
/// it can be used from blocking code and plain `#[test]`s.
///
/// Dropping it shuts it down (as [`Emulator::shutdown`] does).
///
/// ```no_run
/// use ims_emulator::{Emulator, EmulatorConfig};
///
/// let emu = Emulator::start(EmulatorConfig::demo())?;
/// println!("IMS endpoint: {}", emu.url());
/// emu.shutdown();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Emulator {
    state: Arc<AppState>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `config.listen` (a loopback address; port 0 picks a free one) and starts serving.
    ///
    /// Errors: a non-loopback address (`InvalidInput`), the bind failing, or the runtime or
    /// thread not starting.
    pub fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        if !config.listen.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the emulator listens on loopback addresses only, not {}",
                    config.listen
                ),
            ));
        }
        let std_listener = std::net::TcpListener::bind(config.listen)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ims-emulator-worker")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let state = Arc::new(AppState::new(&config));
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("ims-emulator".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let (graceful_tx, graceful_rx) = oneshot::channel::<()>();
                    let server = tokio::spawn(serve_state(server_state, listener, async move {
                        let _ = graceful_rx.await;
                    }));
                    // Either an explicit stop or the Emulator being dropped ends the wait.
                    let _ = stop_rx.await;
                    let _ = graceful_tx.send(());
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, server).await;
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })?;
        Ok(Emulator {
            state,
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`, or `https://...` when serving TLS (no trailing
    /// slash).
    pub fn url(&self) -> String {
        let scheme = if self.state.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM of the CA that signed the server certificate, when serving TLS: what a client
    /// must trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.state.tls.as_ref().map(|t| t.ca_pem())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `host:port` clients send (and sign) as `Host`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The handle on the faults (inject, throttle, delays, job failures).
    pub fn faults(&self) -> FaultHandle {
        self.state.faults.clone()
    }

    /// Shifts the emulator's clock by `secs` (may be negative): applied to the
    /// signature-expiry check, the `Date` header, job times and credential expiry.
    pub fn set_clock_offset(&self, secs: i64) {
        self.state.clock.set_offset(secs);
    }

    /// The clock offset in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.state.clock.offset()
    }

    /// The emulator's now (clock offset included), seconds since the Unix epoch.
    pub fn now_unix(&self) -> i64 {
        self.state.clock.now_unix()
    }

    /// Changes the settings while it runs: `f` gets the current [`Settings`] to change in
    /// place (requests in flight keep the settings they started with; the next ones see the
    /// change). Returns what `f` returns.
    ///
    /// ```no_run
    /// # let emu = ims_emulator::Emulator::start(ims_emulator::EmulatorConfig::demo())?;
    /// emu.update(|s| {
    ///     s.job_duration = std::time::Duration::ZERO;
    ///     s.gateway.always_expired = true;
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn update<R>(&self, f: impl FnOnce(&mut Settings) -> R) -> R {
        self.state.update_settings(f)
    }

    /// A snapshot of the current settings (a copy: changing it changes nothing; use
    /// [`Emulator::update`]).
    pub fn settings(&self) -> Settings {
        Settings::clone(&self.state.settings())
    }

    /// The project id (shorthand for `settings().project_id`).
    pub fn project_id(&self) -> String {
        self.state.settings().project_id.clone()
    }

    /// The region (shorthand for `settings().region`).
    pub fn region(&self) -> String {
        self.state.settings().region.clone()
    }

    /// The temporary credentials the metadata service hands out now (the last of
    /// `settings().temporary_credentials`).
    pub fn temporary_credentials(&self) -> Option<TemporaryCredentials> {
        self.state.settings().current_temporary().cloned()
    }

    /// Hands out a new random triple from now on, valid two hours from the emulator's now.
    /// Triples handed out before stay accepted until they expire.
    pub fn rotate_temporary_credentials(&self) -> TemporaryCredentials {
        let lifetime = i64::try_from(DEFAULT_TEMPORARY_LIFETIME.as_secs()).unwrap_or(7200);
        let fresh = TemporaryCredentials::generate(self.now_unix() + lifetime);
        self.update(|s| s.temporary_credentials.push(fresh.clone()));
        fresh
    }

    /// A snapshot of the counters (with the jobs running now) and the request log.
    pub fn stats(&self) -> Stats {
        let mut stats = self.state.stats.snapshot();
        stats.running_jobs = self.state.running_jobs() as u64;
        stats
    }

    /// Zeroes the counters (the peak of running jobs included) and empties the request log.
    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }

    /// Stops accepting connections, lets in-flight requests finish (at most
    /// [`SHUTDOWN_GRACE`]), closes the port and joins the emulator's thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
