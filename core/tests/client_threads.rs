//! The blocking door and the caller's threads: a progress callback runs on the waiting thread,
//! outside any runtime, between polls; it may call the client it waits on, block, sleep or take
//! locks, and no other thread's call waits for it. The blocking client works from every thread
//! that is not itself busy in a runtime's poll (plain threads, `spawn_blocking`,
//! `block_in_place`), and a credential provider may block or run a runtime of its own.
//!
//! Each scenario that could hang runs under a watchdog: it fails with a message instead of
//! hanging the test binary.

use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ims_core::client::{Control, Progress};
use ims_core::credentials::{CredentialProvider, Credentials};
use ims_core::{Client, JobId, WaitOptions};
use ims_emulator::{Api as Ep, EmulatorConfig, Fault};

mod common;
use common::*;

/// Runs `scenario` on a thread of its own and waits at most `limit` for it; a scenario still
/// running then is a hang (its threads are left behind, the test fails).
fn watchdog<T: Send + 'static>(
    what: &str,
    limit: Duration,
    scenario: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(scenario());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out,
        Err(_) => panic!("{what}: still running after {limit:?} (a deadlock)"),
    }
}

fn quick() -> WaitOptions {
    WaitOptions::fixed(Duration::from_millis(20), Duration::from_secs(20))
}

/// A blocking client for `emu` and one job created on it.
fn client_and_job(emu: &ims_emulator::Emulator) -> (Client, JobId) {
    let client = builder(emu).build().expect("client builds");
    let job = client.create_whole_image(&ecs("threads")).expect("created");
    (client, job)
}

#[test]
fn a_progress_callback_may_call_the_client_it_waits_on() {
    let emu = emulator(Duration::from_millis(200));
    let (client, job) = client_and_job(&emu);
    let other = client.create_whole_image(&ecs("other")).expect("created");
    let inner = client.clone();
    let mut seen = Vec::new();
    let mut observer = |p: &Progress<'_>| {
        // The client being waited on, called back from its own wait's callback.
        seen.push(
            inner
                .job(&other)
                .map(|j| j.job_id.clone())
                .map_err(|e| e.to_string()),
        );
        let _ = p;
        Control::Continue
    };
    let done = client
        .wait_with(&job, &quick(), &mut observer)
        .expect("the wait ends");
    assert_eq!(done.job_id, job.as_str());
    assert!(!seen.is_empty());
    for call in seen {
        assert_eq!(call.as_deref(), Ok(other.as_str()), "the call back failed");
    }
}

#[test]
fn a_callback_that_waits_for_another_threads_call_finishes() {
    let emu = emulator(Duration::from_millis(100));
    let (client, job) = client_and_job(&emu);
    let other = client.create_whole_image(&ecs("other")).expect("created");
    // Every job answer takes 300 ms, so thread B's call is out while A's callback waits.
    emu.faults()
        .inject(Ep::Job, Fault::Delay(Duration::from_millis(300)), 100);
    let outcome = watchdog(
        "callback waiting on a lock",
        Duration::from_secs(30),
        move || {
            let lock = Arc::new(Mutex::new(()));
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let (holding_tx, holding_rx) = mpsc::channel::<()>();
            let b_lock = Arc::clone(&lock);
            let b_client = client.clone();
            let b = thread::spawn(move || {
                go_rx.recv().expect("go");
                let _held = b_lock.lock().expect("lock");
                holding_tx.send(()).expect("holding");
                // Thread B holds the lock across its own call.
                b_client.job(&other).map(|j| j.job_id.clone())
            });
            let mut first = true;
            let mut observer = |_: &Progress<'_>| {
                if first {
                    first = false;
                    go_tx.send(()).expect("go");
                    holding_rx.recv().expect("B holds the lock");
                    thread::sleep(Duration::from_millis(50));
                    // A waits for B, whose call is out.
                    drop(lock.lock().expect("lock"));
                }
                Control::Continue
            };
            let waited = client.wait_with(&job, &quick(), &mut observer);
            let b_result = b.join().expect("thread B ends");
            (waited.map(|j| j.job_id.clone()), b_result)
        },
    );
    let (waited, b_result) = outcome;
    assert!(waited.is_ok(), "{waited:?}");
    assert!(b_result.is_ok(), "{b_result:?}");
}

#[test]
fn a_slow_callback_does_not_hold_up_another_threads_call() {
    let emu = emulator(Duration::from_millis(100));
    let (client, job) = client_and_job(&emu);
    let other = client.create_whole_image(&ecs("other")).expect("created");
    let latency = watchdog("slow callback", Duration::from_secs(30), move || {
        let start_b = Arc::new(Barrier::new(2));
        let b_start = Arc::clone(&start_b);
        let b_client = client.clone();
        let b = thread::spawn(move || {
            b_start.wait();
            // A's callback is asleep by now.
            thread::sleep(Duration::from_millis(100));
            let t = Instant::now();
            let result = b_client.job(&other);
            (t.elapsed(), result.is_ok())
        });
        let mut first = true;
        let mut observer = |_: &Progress<'_>| {
            if first {
                first = false;
                start_b.wait();
                thread::sleep(Duration::from_millis(1500));
            }
            Control::Continue
        };
        client
            .wait_with(&job, &quick(), &mut observer)
            .expect("waited");
        b.join().expect("thread B ends")
    });
    let (elapsed, ok) = latency;
    assert!(ok, "thread B's call failed");
    assert!(
        elapsed < Duration::from_secs(1),
        "thread B's call took {elapsed:?} while A's callback slept 1.5 s"
    );
}

#[test]
fn the_blocking_client_works_inside_spawn_blocking_and_block_in_place() {
    let emu = emulator(Duration::ZERO);
    let client = builder(&emu).build().expect("client builds");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let c = client.clone();
    let from_spawn_blocking = rt.block_on(async move {
        tokio::task::spawn_blocking(move || {
            let id = c.create_whole_image(&ecs("spawn-blocking"))?;
            c.wait(&id, &quick())
        })
        .await
        .expect("task ends")
    });
    assert!(from_spawn_blocking.is_ok(), "{from_spawn_blocking:?}");
    let c = client.clone();
    let from_block_in_place = rt.block_on(async move {
        tokio::spawn(async move {
            tokio::task::block_in_place(|| {
                let id = c.create_whole_image(&ecs("block-in-place"))?;
                c.wait(&id, &quick())
            })
        })
        .await
        .expect("task ends")
    });
    assert!(from_block_in_place.is_ok(), "{from_block_in_place:?}");
    // Even on a current-thread runtime's own thread a call ends (it blocks that thread, as
    // any blocking call would there, but its I/O runs elsewhere, so it cannot hang).
    let c = client.clone();
    let on_runtime_thread = watchdog("on a runtime thread", Duration::from_secs(30), move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async { c.create_whole_image(&ecs("on-runtime")).map(|_| ()) })
    });
    assert!(on_runtime_thread.is_ok(), "{on_runtime_thread:?}");
    assert_eq!(emu.stats().images_created, 3);
}

/// A provider that answers through a runtime of its own (as one built on `reqwest::blocking`,
/// or any SDK with a blocking facade, would).
#[derive(Debug)]
struct OwnRuntimeProvider {
    credentials: Credentials,
}

impl CredentialProvider for OwnRuntimeProvider {
    fn credentials(&self) -> ims_core::Result<Credentials> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ims_core::Error::Credentials(e.to_string()))?;
        rt.block_on(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
        });
        Ok(self.credentials.clone())
    }
    fn name(&self) -> &'static str {
        "own runtime"
    }
}

#[test]
fn a_credential_provider_with_its_own_runtime_works_in_both_doors() {
    let emu = emulator(Duration::ZERO);
    let demo = EmulatorConfig::demo().settings;
    let provider = Arc::new(OwnRuntimeProvider {
        credentials: Credentials::new(demo.ak, demo.sk),
    }) as Arc<dyn CredentialProvider>;
    let b = builder(&emu).credentials_provider(provider);
    let blocking = b.clone().build().expect("client builds");
    let out = watchdog(
        "provider, blocking door",
        Duration::from_secs(30),
        move || {
            blocking
                .create_whole_image(&ecs("own-runtime"))
                .map(|id| id.to_string())
        },
    );
    assert!(out.is_ok(), "{out:?}");
    for kind in [DoorKind::AsyncCurrentThread, DoorKind::AsyncMultiThread] {
        let asynchronous = b.clone().build_async().expect("client builds");
        let rt = kind.runtime().expect("runtime");
        let out = rt.block_on(async { asynchronous.create_whole_image(&ecs("own-rt")).await });
        assert!(out.is_ok(), "{kind:?}: {out:?}");
    }
    assert_eq!(emu.stats().images_created, 3);
}

#[test]
fn a_create_after_an_idle_close_does_not_pick_the_dead_connection_while_another_call_waits() {
    // The server closes keep-alive connections idle for 150 ms, as balancers do.
    let mut cfg = EmulatorConfig::demo().with_job_duration(Duration::from_millis(100));
    cfg.settings.idle_close_ms = Some(150);
    let emu = ims_emulator::Emulator::start(cfg).expect("emulator");
    let (client, job) = client_and_job(&emu);
    let outcome = watchdog(
        "create after an idle close",
        Duration::from_secs(30),
        move || {
            let in_callback = Arc::new(Barrier::new(2));
            let x_start = Arc::clone(&in_callback);
            let x_client = client.clone();
            let x = thread::spawn(move || {
                x_start.wait();
                // A's callback is running; the pooled connection goes idle and the server closes
                // it; then thread X creates an image.
                thread::sleep(Duration::from_millis(600));
                x_client
                    .create_whole_image(&ecs("after-idle"))
                    .map(|id| id.to_string())
            });
            let mut first = true;
            let mut observer = |_: &Progress<'_>| {
                if first {
                    first = false;
                    in_callback.wait();
                    thread::sleep(Duration::from_millis(1500));
                }
                Control::Continue
            };
            let waited = client.wait_with(&job, &quick(), &mut observer).map(|_| ());
            (waited, x.join().expect("thread X ends"))
        },
    );
    let (waited, created) = outcome;
    assert!(waited.is_ok(), "{waited:?}");
    assert!(
        created.is_ok(),
        "the create after an idle close failed: {created:?}"
    );
    let stats = emu.stats();
    assert_eq!(stats.images_created, 2, "exactly one image per create");
}
