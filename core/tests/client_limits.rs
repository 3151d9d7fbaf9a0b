//! `max_concurrent_requests`: exchanges in flight, and so connections, are bounded per client;
//! it and `pool_idle_timeout` are checked when a client is built.

mod common;

use std::time::Duration;

use ims_core::model::WholeImageRequest;
use ims_core::{Error, WaitOptions};
use ims_emulator::{Api, Fault};

/// The connections `n` exchanges in flight may need: `n`, plus a few for the race in which a
/// finished exchange's connection is still on its way back to the pool (hyper returns it from
/// the connection's task) when the next exchange takes the freed slot and opens a new one
/// (hyperium/hyper#4134). Without the bound, every concurrent call opens its own.
/// Measured: blocking threads, which run the connections' tasks only while one of them drives
/// the client's runtime, overshot 32 by up to 14; twice the cap still proves it.
fn connection_bound(n: u64) -> u64 {
    2 * n
}

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
        stats.connections <= connection_bound(2),
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
        .inject(Api::Job, Fault::Delay(Duration::from_millis(100)), 128);
    std::thread::scope(|s| {
        for _ in 0..128 {
            s.spawn(|| client.job(&id).expect("job answered"));
        }
    });
    let stats = emu.stats();
    assert_eq!(stats.requests_total, 128);
    assert!(
        stats.connections
            <= connection_bound(ims_core::client::DEFAULT_MAX_CONCURRENT_REQUESTS as u64),
        "128 concurrent calls opened {} connections",
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
        stats.connections <= connection_bound(2),
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

/// `pool_idle_timeout` is checked like `max_concurrent_requests`: `Duration::MAX` used to be
/// taken, and overflowed inside hyper-util's idle task (a panic tokio caught; idle connections
/// were never cleaned up after it).
#[test]
fn pool_idle_timeout_out_of_range_is_a_config_error_naming_it() {
    let emu = common::emulator(Duration::ZERO);
    let day = Duration::from_secs(24 * 3600);
    for bad in [
        Duration::ZERO,
        day + Duration::from_nanos(1),
        Duration::from_secs(u64::MAX / 2),
        Duration::MAX,
    ] {
        for door in ["blocking", "async"] {
            let builder = common::builder(&emu).pool_idle_timeout(bad);
            let err = match door {
                "blocking" => builder.build().map(drop),
                _ => builder.build_async().map(drop),
            }
            .expect_err(&format!("{door}: {bad:?} refused"));
            assert!(matches!(err, Error::Config(_)), "{err:?}");
            let text = err.to_string();
            assert!(
                text.contains("pool_idle_timeout") && text.contains("at most 24 hours"),
                "{door}: {text}"
            );
        }
    }
    for good in [Duration::from_nanos(1), Duration::from_millis(100), day] {
        common::builder(&emu)
            .pool_idle_timeout(good)
            .build()
            .expect("accepted");
    }
    assert_eq!(emu.stats().requests_total, 0);
}

/// Fifty create + wait cycles at once on one async client: a burst of concurrent waits reuses a
/// few connections instead of opening one per operation.
#[test]
fn fifty_concurrent_cycles_on_one_async_client_share_a_few_connections() {
    let emu = common::emulator(Duration::from_millis(200));
    let client = common::builder(&emu)
        .build_async()
        .expect("async client builds");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let options = WaitOptions::fixed(Duration::from_millis(20), Duration::from_secs(30));
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let client = client.clone();
            rt.spawn(async move {
                let request = WholeImageRequest::from_backup(format!("c-{i}"), format!("b-{i}"))
                    .build()
                    .expect("valid request");
                let id = client.create_whole_image(&request).await?;
                client.wait(&id, &options).await
            })
        })
        .collect();
    let jobs: Vec<_> = rt.block_on(async {
        let mut jobs = Vec::new();
        for h in handles {
            jobs.push(h.await.expect("task ends").expect("cycle succeeds"));
        }
        jobs
    });
    assert_eq!(jobs.len(), 50);
    let stats = emu.stats();
    assert_eq!(stats.images_created, 50);
    assert!(
        stats.requests_total > 150,
        "hundreds of exchanges: {}",
        stats.requests_total
    );
    assert!(
        stats.connections
            <= connection_bound(ims_core::client::DEFAULT_MAX_CONCURRENT_REQUESTS as u64),
        "{} connections for one client",
        stats.connections
    );
}
