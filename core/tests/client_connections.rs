//! One client's connections: however many operations run at once, it keeps a bounded number
//! of exchanges in flight, and every connection it opens can stay pooled, so a burst of
//! concurrent waits reuses a few connections instead of opening one per operation.

mod common;

use std::time::Duration;

use ims_core::WaitOptions;
use ims_core::model::WholeImageRequest;

/// The most exchanges one client has in flight by default (`max_concurrent_requests`): also
/// the most idle connections it keeps, hence the most it ever needs.
const MAX_EXCHANGES: u64 = ims_core::client::DEFAULT_MAX_CONCURRENT_REQUESTS as u64;

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
        stats.connections <= MAX_EXCHANGES,
        "{} connections for one client",
        stats.connections
    );
}
