//! What only the async door has: futures dropped
//! mid-wait and mid-exchange, `Send` futures spawned by the hundred on both runtime flavours,
//! the observer's timer, instance-metadata credentials inside a runtime, and clients dropped on
//! a runtime thread. Each test asserts on what the emulator saw (requests, connections) or on
//! the runtime's count of live tasks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ims_core::client::{Control, Progress, WaitObserver};
use ims_core::credentials::{CredentialProvider, MetadataProvider};
use ims_core::model::JobStatus;
use ims_core::{AsyncClient, Client, WaitOptions};
use ims_emulator::{Api as Ep, Emulator, Fault};

mod common;
use common::*;

/// The two async flavours: a current-thread runtime and a multi-thread one with 2 workers.
const FLAVOURS: [DoorKind; 2] = [DoorKind::AsyncCurrentThread, DoorKind::AsyncMultiThread];

fn runtime(kind: DoorKind) -> tokio::runtime::Runtime {
    kind.runtime().expect("an async flavour")
}

/// An async client for `emu` ([`builder`]).
fn async_client(emu: &Emulator) -> AsyncClient {
    builder(emu).build_async().expect("client builds")
}

fn quick_wait() -> WaitOptions {
    WaitOptions::fixed(Duration::from_millis(20), Duration::from_secs(10))
}

/// Job queries (either endpoint) the emulator logged so far.
fn job_requests(emu: &Emulator) -> usize {
    emu.stats()
        .requests
        .iter()
        .filter(|r| r.path.starts_with("/v1/cloudimages/job/") || r.path.contains("/jobs/"))
        .count()
}

/// Tasks alive on the current runtime.
fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Checks `condition` every 5 ms until it holds or `limit` passes; whether it held.
async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Drops `client` (its last handle) and checks that the runtime is left with no task at all:
/// whatever the client started (connections, the pool's idle timer) ended with it, and nothing
/// a cancelled call started outlived it.
fn drop_and_expect_no_task_left(rt: &tokio::runtime::Runtime, client: AsyncClient, kind: DoorKind) {
    drop(client);
    rt.block_on(async {
        let mut seen = usize::MAX;
        let ended = eventually(Duration::from_secs(2), || {
            seen = alive_tasks();
            seen == 0
        })
        .await;
        assert!(
            ended,
            "{kind:?}: {seen} tasks still alive after the client was dropped"
        );
    });
}

// ---- 1: the blocking client inside a runtime: see client_threads.rs (it works there) ----

// ---- 2: a dropped wait stops polling ----

#[test]
fn dropping_a_wait_stops_polling() {
    let interval = Duration::from_millis(20);
    let options = WaitOptions::fixed(interval, Duration::from_secs(60));
    for kind in FLAVOURS {
        let emu = emulator(Duration::from_secs(600));
        let rt = runtime(kind);
        let client = async_client(&emu);
        rt.block_on(async {
            let id = client
                .create_whole_image(&ecs("dropped"))
                .await
                .expect("created");

            // A wait in a task, aborted after a few polls.
            let waiting = tokio::spawn({
                let (client, id) = (client.clone(), id.clone());
                async move { client.wait(&id, &options).await }
            });
            let polled = eventually(Duration::from_secs(5), || job_requests(&emu) >= 3).await;
            assert!(polled, "{kind:?}: the wait polls");
            waiting.abort();
            let joined = waiting.await.expect_err("aborted");
            assert!(joined.is_cancelled(), "{kind:?}: {joined}");
            // A poll the abort cut short may still be logged: let it land, then count.
            tokio::time::sleep(interval * 3).await;
            let polls = job_requests(&emu);
            tokio::time::sleep(interval * 10).await;
            assert_eq!(
                job_requests(&emu),
                polls,
                "{kind:?}: polling went on after the abort"
            );

            // A wait future dropped by a timeout, the other way to cancel.
            let before = job_requests(&emu);
            let cut = tokio::time::timeout(interval * 5, client.wait(&id, &options)).await;
            assert!(cut.is_err(), "{kind:?}: the job runs for 10 minutes");
            tokio::time::sleep(interval * 3).await;
            let polls = job_requests(&emu);
            assert!(polls > before, "{kind:?}: that wait polled too");
            tokio::time::sleep(interval * 10).await;
            assert_eq!(
                job_requests(&emu),
                polls,
                "{kind:?}: polling went on after the drop"
            );

            // The client still answers.
            let job = client.job(&id).await.expect("usable");
            assert!(matches!(job.status, JobStatus::Init | JobStatus::Running));
        });
        drop_and_expect_no_task_left(&rt, client, kind);
    }
}

// ---- 3: cancelled mid-exchange ----

#[test]
fn cancelling_in_the_middle_of_an_exchange_leaves_the_client_usable() {
    let held = Duration::from_secs(1);
    let cut_after = Duration::from_millis(150);
    for kind in FLAVOURS {
        let emu = emulator(Duration::from_millis(100));
        let rt = runtime(kind);
        let client = async_client(&emu);
        rt.block_on(async {
            let id = client
                .create_whole_image(&ecs("warm"))
                .await
                .expect("created");
            // The client idle with its one pooled connection: the tasks that keeps alive.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let idle = alive_tasks();

            // A job query whose answer is held back by the emulator, cancelled meanwhile.
            emu.faults().inject(Ep::Job, Fault::Delay(held), 1);
            let cut = tokio::time::timeout(cut_after, client.job(&id)).await;
            assert!(cut.is_err(), "{kind:?}: cancelled by the timeout");
            assert_eq!(
                emu.faults().pending(Ep::Job),
                0,
                "{kind:?}: the request was read by the emulator, so the exchange was half done"
            );
            // Its connection is closed, not pooled, and nothing it started keeps running.
            let mut seen = 0;
            let fewer = eventually(Duration::from_secs(1), || {
                seen = alive_tasks();
                seen < idle
            })
            .await;
            assert!(
                fewer,
                "{kind:?}: {seen} tasks alive, {idle} before the cancelled call"
            );
            // The next query reads its own answer on a new connection (a reused half-done one
            // would deliver the held-back answer a second late), and the count is back.
            let started = Instant::now();
            client.job(&id).await.expect("usable after the cancel");
            assert!(
                started.elapsed() < held / 2,
                "{kind:?}: {:?}",
                started.elapsed()
            );
            let back = eventually(Duration::from_secs(1), || {
                seen = alive_tasks();
                seen == idle
            })
            .await;
            assert!(
                back,
                "{kind:?}: {seen} tasks alive, {idle} before the cancelled call"
            );
            let next = client
                .create_whole_image(&ecs("after-job-cut"))
                .await
                .expect("created");
            let done = client.wait(&next, &quick_wait()).await.expect("waited");
            assert_eq!(done.status, JobStatus::Success);

            // A create whose answer is held back, cancelled meanwhile.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let idle = alive_tasks();
            let images = emu.stats().images_created;
            emu.faults().inject(Ep::Create, Fault::Delay(held), 1);
            let cut = tokio::time::timeout(cut_after, client.create_whole_image(&ecs("cut"))).await;
            assert!(cut.is_err(), "{kind:?}: cancelled by the timeout");
            assert_eq!(emu.faults().pending(Ep::Create), 0, "{kind:?}: half done");
            // The emulator handled it before holding the answer: as the docs warn, a create
            // dropped after its request was written may still have created the image.
            assert_eq!(emu.stats().images_created, images + 1, "{kind:?}");
            let fewer = eventually(Duration::from_secs(1), || {
                seen = alive_tasks();
                seen < idle
            })
            .await;
            assert!(
                fewer,
                "{kind:?}: {seen} tasks alive, {idle} before the cancelled create"
            );
            let next = client
                .create_whole_image(&ecs("after-create-cut"))
                .await
                .expect("created");
            let done = client.wait(&next, &quick_wait()).await.expect("waited");
            assert_eq!(done.status, JobStatus::Success);
            assert_eq!(emu.stats().images_created, images + 2, "{kind:?}");
        });
        drop_and_expect_no_task_left(&rt, client, kind);
    }
}

// ---- 4: Send futures, both flavours ----

#[test]
fn async_futures_are_send_and_run_on_both_runtime_flavours() {
    const TASKS: u64 = 100;
    let options = WaitOptions::fixed(Duration::from_millis(50), Duration::from_secs(30));
    for kind in FLAVOURS {
        let emu = emulator(Duration::from_millis(500));
        let rt = runtime(kind);
        let client = async_client(&emu);
        let outcomes = rt.block_on(async {
            // Spawned (so the futures must be Send), one clone of the client each, all at once.
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    let client = client.clone();
                    tokio::spawn(async move {
                        let id = client
                            .create_whole_image(&ecs(&format!("task-{i}")))
                            .await?;
                        client.wait(&id, &options).await
                    })
                })
                .collect();
            let mut outcomes = Vec::new();
            for t in tasks {
                outcomes.push(t.await.expect("task ends"));
            }
            outcomes
        });
        for (i, outcome) in outcomes.iter().enumerate() {
            let job = outcome
                .as_ref()
                .unwrap_or_else(|e| panic!("{kind:?} task {i}: {e}"));
            assert_eq!(job.status, JobStatus::Success, "{kind:?} task {i}");
        }
        let stats = emu.stats();
        assert_eq!(stats.images_created, TASKS, "{kind:?}");
        // A create and at least one poll each (about ten on an idle machine).
        assert!(
            stats.requests_total >= 2 * TASKS,
            "{kind:?}: {}",
            stats.requests_total
        );
        // The clones share one pool, and it keeps what it opened. Each task has at most one
        // exchange in flight, so one connection per task is enough: the 100 creates at once
        // open 100, and every poll after finds one idle. The 25 % on top are for connections
        // still on their way back to the pool when a task's next request starts (hyper hands
        // them back from a task of its own, hyperium/hyper#4134). A pool that dropped idle
        // connections would reconnect for most polls: hundreds.
        assert!(
            stats.connections <= TASKS + TASKS / 4,
            "{kind:?}: {} connections for {} requests",
            stats.connections,
            stats.requests_total
        );
        drop_and_expect_no_task_left(&rt, client, kind);
    }
}

// ---- 5: the observer's timer ----

/// Counts what the waiter calls; says whether it wants ticks.
struct Counting {
    wants: bool,
    ticks: usize,
    progress: usize,
}

impl WaitObserver for Counting {
    fn on_progress(&mut self, _: &Progress<'_>) -> Control {
        self.progress += 1;
        Control::Continue
    }
    fn on_tick(&mut self, _: Duration) -> Control {
        self.ticks += 1;
        Control::Continue
    }
    fn wants_ticks(&self) -> bool {
        self.wants
    }
}

/// Waits for a 300 ms job, polling every 50 ms with a 5 ms tick, through the async door.
fn observed_wait(kind: DoorKind, wants: bool) -> Counting {
    let emu = emulator(Duration::from_millis(300));
    let door = client(&emu, kind);
    let id = door.create_whole_image(&ecs("observed")).expect("created");
    let options = WaitOptions {
        tick: Duration::from_millis(5),
        ..WaitOptions::fixed(Duration::from_millis(50), Duration::from_secs(10))
    };
    let mut observer = Counting {
        wants,
        ticks: 0,
        progress: 0,
    };
    let job = door
        .wait_with(&id, &options, &mut observer)
        .expect("succeeds");
    assert_eq!(job.status, JobStatus::Success);
    observer
}

#[test]
fn a_wait_without_on_tick_sleeps_on_one_timer() {
    for kind in FLAVOURS {
        let seen = observed_wait(kind, false);
        assert!(
            seen.progress >= 3,
            "{kind:?}: it polled and slept: {}",
            seen.progress
        );
        assert_eq!(seen.ticks, 0, "{kind:?}: woken for ticks nobody wants");
    }
}

#[test]
fn an_observer_with_on_tick_is_ticked() {
    for kind in FLAVOURS {
        let seen = observed_wait(kind, true);
        assert!(seen.progress >= 3, "{kind:?}: {}", seen.progress);
        // Each 50 ms sleep between polls is cut in 5 ms ticks: about ten each.
        assert!(
            seen.ticks >= 3 * (seen.progress - 1),
            "{kind:?}: {} ticks for {} polls",
            seen.ticks,
            seen.progress
        );
    }
}

// ---- 6: instance metadata inside a runtime ----

#[test]
fn metadata_credentials_work_inside_a_runtime() {
    const CALLS: usize = 50;
    for kind in FLAVOURS {
        let emu = emulator(Duration::ZERO);
        let temporary = emu.temporary_credentials().expect("a temporary triple");
        let rt = runtime(kind);
        // The sync method inside spawn_blocking (where tokio sets the runtime's context) and
        // on the runtime's own thread: it refreshes on a thread of its own, so both work.
        let in_spawn_blocking = rt
            .block_on(async {
                let url = emu.url();
                tokio::task::spawn_blocking(move || MetadataProvider::new(url).credentials()).await
            })
            .expect("task ends")
            .expect("credentials inside spawn_blocking");
        assert_eq!(in_spawn_blocking.access_key(), temporary.access, "{kind:?}");
        let on_runtime_thread = rt
            .block_on(async { MetadataProvider::new(emu.url()).credentials() })
            .expect("credentials on a runtime thread");
        assert_eq!(on_runtime_thread.access_key(), temporary.access, "{kind:?}");
        emu.reset_stats();

        // Fifty first calls at once through one client: one fetch serves them all (the
        // metadata answer is held back so that they all arrive while it is under way).
        let provider = Arc::new(MetadataProvider::new(emu.url()));
        let client = Client::builder()
            .endpoint(emu.url())
            .project_id(emu.project_id())
            .credentials_provider(Arc::clone(&provider) as Arc<dyn CredentialProvider>)
            .retry_policy(fast_retry())
            .build_async()
            .expect("client builds");
        emu.faults()
            .inject(Ep::Metadata, Fault::Delay(Duration::from_millis(200)), 1);
        let created = rt.block_on(async {
            let tasks: Vec<_> = (0..CALLS)
                .map(|i| {
                    let client = client.clone();
                    tokio::spawn(async move {
                        client.create_whole_image(&ecs(&format!("meta-{i}"))).await
                    })
                })
                .collect();
            let mut created = Vec::new();
            for t in tasks {
                created.push(
                    t.await
                        .expect("task ends")
                        .expect("temporary credentials accepted"),
                );
            }
            created
        });
        assert_eq!(created.len(), CALLS);
        let stats = emu.stats();
        assert_eq!(stats.images_created, CALLS as u64, "{kind:?}");
        assert_eq!(
            (
                stats.count("PUT", "/meta-data/latest/api/token", 200),
                stats.count("GET", "/openstack/latest/securitykey", 200),
            ),
            (1, 1),
            "{kind:?}: one metadata fetch for {CALLS} concurrent first calls"
        );
        // Once cached, even the sync method answers inside a runtime: no I/O is needed.
        let cached = rt
            .block_on(async { provider.credentials() })
            .expect("from the cache");
        assert_eq!(cached.access_key(), temporary.access, "{kind:?}");
        assert_eq!(emu.stats().requests_total, stats.requests_total, "{kind:?}");
    }
}

// ---- 7: dropping clients on a runtime thread ----

#[test]
fn clients_can_be_dropped_inside_a_runtime() {
    for kind in FLAVOURS {
        let emu = emulator(Duration::ZERO);
        assert!(tokio::runtime::Handle::try_current().is_err());
        // Built, and used, with no runtime around: the async one needs none to be built; the
        // blocking one and the metadata provider start runtimes of their own when used.
        let make = || {
            let blocking = builder(&emu).build().expect("blocking client builds");
            let id = blocking.create_whole_image(&ecs("drop")).expect("created");
            let provider = MetadataProvider::new(emu.url());
            provider.credentials().expect("metadata outside a runtime");
            let async_client = async_client(&emu);
            (blocking, async_client, provider, id)
        };
        let rt = runtime(kind);
        // Dropped in a spawned task (a worker thread on the multi-thread runtime)...
        let (blocking, async_client, provider, id) = make();
        rt.block_on(async {
            async_client.job(&id).await.expect("pooled a connection");
            tokio::spawn(async move {
                drop(blocking);
                drop(async_client);
                drop(provider);
            })
            .await
            .expect("dropping in a task does not panic");
        });
        // ... and on the thread that runs `block_on`.
        let (blocking, async_client, provider, id) = make();
        rt.block_on(async move {
            async_client.job(&id).await.expect("pooled a connection");
            drop(blocking);
            drop(async_client);
            drop(provider);
        });
        // The runtime is left with nothing of theirs.
        rt.block_on(async {
            let gone = eventually(Duration::from_secs(2), || alive_tasks() == 0).await;
            assert!(gone, "{kind:?}: {} tasks left", alive_tasks());
        });
    }
}
