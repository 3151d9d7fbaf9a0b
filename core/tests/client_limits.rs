//! `max_concurrent_requests`: exchanges in flight, and so connections, are bounded per client.

mod common;

use std::time::Duration;

use ims_core::Error;
use ims_emulator::{Api, Fault};

#[test]
fn concurrent_calls_share_at_most_max_concurrent_requests_connections() {
    let emu = common::emulator(Duration::ZERO);
    let client = common::builder(&emu)
        .max_concurrent_requests(2)
        .build()
        .expect("client builds");
    let id = client
        .create_whole_image(&common::ecs("limits"))
        .expect("created");
    emu.reset_stats();
    // Every answer waits, so twenty threads at once would need twenty connections.
    emu.faults()
        .inject(Api::Job, Fault::Delay(Duration::from_millis(150)), 20);
    std::thread::scope(|s| {
        for _ in 0..20 {
            s.spawn(|| client.job(&id).expect("job answered"));
        }
    });
    let stats = emu.stats();
    assert_eq!(stats.requests_total, 20, "every call was answered once");
    assert!(
        stats.connections <= 2,
        "20 concurrent calls opened {} connections with max_concurrent_requests 2",
        stats.connections
    );
}

#[test]
fn the_default_bounds_connections_too() {
    let emu = common::emulator(Duration::ZERO);
    let client = common::builder(&emu).build().expect("client builds");
    let id = client
        .create_whole_image(&common::ecs("limits"))
        .expect("created");
    emu.reset_stats();
    emu.faults()
        .inject(Api::Job, Fault::Delay(Duration::from_millis(100)), 64);
    std::thread::scope(|s| {
        for _ in 0..64 {
            s.spawn(|| client.job(&id).expect("job answered"));
        }
    });
    let stats = emu.stats();
    assert_eq!(stats.requests_total, 64);
    assert!(
        stats.connections <= ims_core::client::DEFAULT_MAX_CONCURRENT_REQUESTS as u64,
        "64 concurrent calls opened {} connections",
        stats.connections
    );
}

#[test]
fn concurrent_async_calls_share_at_most_max_concurrent_requests_connections() {
    let emu = common::emulator(Duration::ZERO);
    let client = common::builder(&emu)
        .max_concurrent_requests(2)
        .build_async()
        .expect("client builds");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let id = rt
        .block_on(client.create_whole_image(&common::ecs("limits")))
        .expect("created");
    emu.reset_stats();
    emu.faults()
        .inject(Api::Job, Fault::Delay(Duration::from_millis(150)), 20);
    rt.block_on(async {
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (client, id) = (client.clone(), id.clone());
            calls.spawn(async move { client.job(&id).await });
        }
        while let Some(done) = calls.join_next().await {
            done.expect("task").expect("job answered");
        }
    });
    let stats = emu.stats();
    assert_eq!(stats.requests_total, 20);
    assert!(
        stats.connections <= 2,
        "20 concurrent async calls opened {} connections with max_concurrent_requests 2",
        stats.connections
    );
}

#[test]
fn max_concurrent_requests_out_of_range_is_a_config_error_naming_it() {
    let emu = common::emulator(Duration::ZERO);
    for n in [0, ims_core::client::MAX_CONCURRENT_REQUESTS + 1] {
        let err = common::builder(&emu)
            .max_concurrent_requests(n)
            .build()
            .expect_err("refused");
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert!(err.to_string().contains("max_concurrent_requests"), "{err}");
        let err = common::builder(&emu)
            .max_concurrent_requests(n)
            .build_async()
            .expect_err("refused");
        assert!(err.to_string().contains("max_concurrent_requests"), "{err}");
    }
    assert_eq!(emu.stats().requests_total, 0);
}
