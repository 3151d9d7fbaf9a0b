//! Time and order: a request is signed when it leaves the slot queue, not before; a wait's
//! timeout is a deadline for every step; concurrent first calls share one project lookup.

mod common;

use std::time::{Duration, Instant};

use ims_core::client::RetryPolicy;
use ims_core::{Client, Credentials, ErrorKind};
use ims_emulator::{Api, EmulatorConfig, Fault};

use common::*;

doors!(requests_are_signed_after_they_leave_the_slot_queue);
fn requests_are_signed_after_they_leave_the_slot_queue(kind: DoorKind) {
    let emu = emulator(Duration::ZERO);
    // A one-second signature window plays the gateway's 15 minutes without the wait.
    emu.update(|s| s.gateway.signature_window_secs = Some(1));
    let client = builder(&emu)
        .max_concurrent_requests(1)
        .build_door(kind)
        .expect("client builds");
    let id = client.create_whole_image(&ecs("slots")).expect("created");
    // The first answer takes 2.5 s: the second call waits that long for the one slot.
    emu.faults()
        .inject(Api::Job, Fault::Delay(Duration::from_millis(2500)), 1);
    let results: Vec<_> = std::thread::scope(|s| {
        let first = s.spawn(|| client.job(&id));
        std::thread::sleep(Duration::from_millis(200));
        let second = s.spawn(|| client.job(&id));
        vec![
            first.join().expect("first ends"),
            second.join().expect("second ends"),
        ]
    });
    for r in &results {
        assert!(r.is_ok(), "{kind:?}: {r:?}");
    }
    assert_eq!(
        emu.stats()
            .count("GET", &format!("/v1/cloudimages/job/{id}"), 401),
        0,
        "{kind:?}: a request went out with a stale signature"
    );
}

doors!(a_wait_returns_at_its_timeout_behind_a_slow_gateway);
fn a_wait_returns_at_its_timeout_behind_a_slow_gateway(kind: DoorKind) {
    let emu = emulator(Duration::from_secs(600));
    let client = builder(&emu).build_door(kind).expect("client builds");
    let id = client
        .create_whole_image(&ecs("deadline"))
        .expect("created");
    // Every job answer takes 6 s (the client's own exchange timeout is 5 s, with retries).
    emu.faults()
        .inject(Api::Job, Fault::Delay(Duration::from_secs(6)), 100);
    let options = ims_core::WaitOptions::fixed(Duration::from_millis(50), Duration::from_secs(1));
    let started = Instant::now();
    let err = client.wait(&id, &options).expect_err("times out");
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::WaitTimeout, "{kind:?}: {err}");
    assert!(
        took < Duration::from_millis(1600),
        "{kind:?}: wait(timeout=1 s) returned after {took:?}"
    );
}

doors!(concurrent_first_calls_share_one_project_lookup);
fn concurrent_first_calls_share_one_project_lookup(kind: DoorKind) {
    let ak = format!("SHAREDLOOKUPAK{}", kind.tag());
    let sk = "shared-lookup-sk";
    let emu = ims_emulator::Emulator::start(
        EmulatorConfig::demo()
            .with_credentials(&ak, sk)
            .with_job_duration(Duration::ZERO),
    )
    .expect("emulator");
    // IAM answers slowly, so every first call arrives while the lookup is under way.
    emu.faults()
        .inject(Api::Iam, Fault::Delay(Duration::from_millis(300)), 1);
    let client = Client::builder()
        .endpoint(emu.url())
        .region("cn-north-4")
        .iam_endpoint(emu.url())
        .credentials(Credentials::new(&ak, sk))
        .retry_policy(RetryPolicy::none())
        .build_door(kind)
        .expect("client");
    let unknown = ims_core::JobId::new("0123456789abcdef0123456789abcdef").expect("id");
    std::thread::scope(|s| {
        for _ in 0..40 {
            s.spawn(|| {
                let err = client.job(&unknown).expect_err("no such job");
                assert_eq!(err.api().map(|a| a.status), Some(404), "{err}");
            });
        }
    });
    assert_eq!(
        emu.stats().count("GET", "/v3/projects", 200),
        1,
        "{kind:?}: one IAM lookup for 40 concurrent first calls"
    );
}
