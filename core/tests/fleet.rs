//! Fleet imaging against the emulator: runs, resume, reconcile, limits, quota, retention and
//! bad input, through the async and the blocking door.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{DoorKind, builder, emulator};
use ims_core::WaitOptions;
use ims_core::client::Control;
use ims_core::fleet::{
    self, FleetError, FleetEvent, FleetOptions, FleetReport, FleetTag, ItemRecord, ItemState,
    Journal, JournalError, Manifest, Outcome, SqliteJournal,
};
use ims_core::model::ImageQuery;
use ims_emulator::Emulator;

/// A fresh journal path.
fn journal_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ims-fleet-test-{}-{name}-{}",
        std::process::id(),
        fastrand_u64()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("journal.sqlite")
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish()
}

/// A manifest of `n` ECS items `prefix-0` ... (keys are the instance ids).
fn manifest(prefix: &str, n: usize) -> Manifest {
    let text: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"name":"{prefix}-img-{i}","instance_id":"{prefix}-{i}","vault_id":"vault-1"}}"#
            )
        })
        .collect();
    Manifest::parse(&text.join("\n")).expect("valid manifest")
}

/// Options for quick tests: short polls, short grace.
fn options(fleet: &str, run: &str) -> FleetOptions {
    let mut o = FleetOptions::new(fleet, run);
    o.reconcile_grace = Duration::from_secs(2);
    o.relist_interval = Duration::from_millis(200);
    o.wait = WaitOptions {
        first_delay: Duration::from_millis(50),
        interval: Duration::from_millis(100),
        max_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(60),
        ..WaitOptions::default()
    };
    o
}

type Events = Arc<Mutex<Vec<FleetEvent>>>;

/// Runs a fleet through `kind`'s door, collecting its events.
fn run_fleet(
    kind: DoorKind,
    emu: &Emulator,
    manifest: &Manifest,
    journal: &PathBuf,
    options: &FleetOptions,
) -> (Result<FleetReport, FleetError>, Events) {
    let events: Events = Arc::default();
    let journal: Box<dyn Journal> = match SqliteJournal::open(journal) {
        Ok(j) => Box::new(j),
        Err(e) => return (Err(e.into()), events),
    };
    let seen = Arc::clone(&events);
    let mut observer = move |e: &FleetEvent| {
        seen.lock().expect("events").push(e.clone());
        Control::Continue
    };
    let b = builder(emu).max_concurrent_requests(64);
    let result = match kind.runtime() {
        None => {
            let client = b.build().expect("client");
            fleet::run_blocking(&client, manifest, journal, options, &mut observer)
        }
        Some(rt) => {
            let client = b.build_async().expect("client");
            rt.block_on(fleet::run(
                &client,
                manifest,
                journal,
                options,
                &mut observer,
            ))
        }
    };
    (result, events)
}

fn ok(r: (Result<FleetReport, FleetError>, Events)) -> (FleetReport, Events) {
    match r {
        (Ok(report), events) => (report, events),
        (Err(e), _) => panic!("fleet run failed: {e}"),
    }
}

/// The live images (not killed, not deleted) carrying `tag`.
fn live_images(emu: &Emulator, tag: &FleetTag) -> Vec<String> {
    let client = builder(emu).build().expect("client");
    client
        .list_images(&ImageQuery::private_whole_images_tagged(
            &tag.key, &tag.value,
        ))
        .expect("list")
        .into_iter()
        .filter(|i| {
            i.status != "killed"
                && i.status != "deleted"
                && i.tag(&tag.key) == Some(tag.value.as_str())
        })
        .map(|i| i.id)
        .collect()
}

fn creates(emu: &Emulator) -> u64 {
    emu.stats().create_accepted
}

/// Ten items through each door: all succeed, one image each, the events walk every item
/// from sending to succeeded; a rerun sends nothing and reports them already done.
fn a_fleet_succeeds_and_a_rerun_sends_nothing(kind: DoorKind) {
    let emu = emulator(Duration::from_millis(300));
    let m = manifest("ok", 10);
    let path = journal_path("ok");
    let o = options("fleet-ok", "nightly-1");
    let (report, events) = ok(run_fleet(kind, &emu, &m, &path, &o));
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:?}");
    assert_eq!(report.count(ItemState::Succeeded), 10);
    assert_eq!(creates(&emu), 10);
    for item in m.items() {
        let tag = FleetTag::new("fleet-ok", "nightly-1", &item.key);
        assert_eq!(live_images(&emu, &tag).len(), 1, "{}", item.key);
        let states: Vec<ItemState> = events
            .lock()
            .expect("events")
            .iter()
            .filter_map(|e| match e {
                FleetEvent::Item { key, state, .. } if *key == item.key => Some(*state),
                _ => None,
            })
            .collect();
        assert_eq!(
            states,
            [
                ItemState::Sending,
                ItemState::Submitted,
                ItemState::Succeeded
            ],
            "{}",
            item.key
        );
    }
    let row = &report.items[3];
    assert!(row.job_id.is_some() && row.image_id.is_some(), "{row:?}");
    // Durable writes: two per item before the answer is known, one at the end.
    assert!(report.journal_writes >= 30, "{}", report.journal_writes);

    let (again, _) = ok(run_fleet(kind, &emu, &m, &path, &o));
    assert_eq!(again.outcome, Outcome::Succeeded);
    assert!(again.items.iter().all(|i| i.already_done), "{again:?}");
    assert_eq!(creates(&emu), 10, "a rerun sent creates");
    let journal = SqliteJournal::open_read_only(&path).expect("journal");
    let runs = journal.runs().expect("runs");
    assert_eq!(runs.len(), 1);
    assert!(
        runs[0]
            .items
            .iter()
            .all(|i| i.state == ItemState::Succeeded)
    );
}

common::doors!(only [blocking, async_multi_thread]: a_fleet_succeeds_and_a_rerun_sends_nothing);

fn journal_with(path: &PathBuf, fleet: &str, run: &str, records: &[ItemRecord]) {
    let mut j = SqliteJournal::open(path).expect("journal");
    j.open_run(fleet, run).expect("run");
    for r in records {
        j.record(run, r).expect("record");
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A crash between the POST and the journal's `submitted`: the item is `sending`; its image
/// exists with the item's tag. The rerun adopts it (no second create) and follows it.
#[test]
fn a_sending_item_whose_image_exists_is_adopted_not_created_again() {
    let emu = emulator(Duration::from_millis(500));
    let m = manifest("adopt", 2);
    let path = journal_path("adopt");
    let o = options("fleet-adopt", "r1");
    let client = builder(&emu).build().expect("client");
    let key = &m.items()[0].key;
    let tag = FleetTag::new("fleet-adopt", "r1", key);
    client
        .create_whole_image(&tag.add_to(&m.items()[0].request))
        .expect("the create the crash interrupted");
    let mut rec = ItemRecord::pending(key);
    rec.state = ItemState::Sending;
    rec.intent_at = Some(now_ms());
    rec.attempts = 1;
    journal_with(&path, "fleet-adopt", "r1", &[rec]);
    let before = creates(&emu);
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:?}");
    assert_eq!(report.items[0].action, "reconcile");
    assert_eq!(
        creates(&emu) - before,
        1,
        "only the untouched item was created"
    );
    assert_eq!(live_images(&emu, &tag).len(), 1);
}

/// A `sending` item with no image: nothing is sent before the grace after its intent has
/// passed; then it is sent once.
#[test]
fn a_sending_item_with_no_image_is_sent_again_only_after_the_grace() {
    let emu = emulator(Duration::from_millis(200));
    let m = manifest("grace", 1);
    let path = journal_path("grace");
    let mut o = options("fleet-grace", "r1");
    o.reconcile_grace = Duration::from_secs(2);
    let mut rec = ItemRecord::pending(&m.items()[0].key);
    rec.state = ItemState::Sending;
    rec.intent_at = Some(now_ms());
    journal_with(&path, "fleet-grace", "r1", &[rec]);
    let started = Instant::now();
    let (report, _) = ok(run_fleet(DoorKind::AsyncMultiThread, &emu, &m, &path, &o));
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(creates(&emu), 1);
}

/// Two images with the item's tag: `unknown`, nothing created, reported with both ids; it
/// stays so on a rerun unless asked.
#[test]
fn two_images_with_the_items_tag_make_it_unknown_and_nothing_is_created() {
    let emu = emulator(Duration::from_millis(100));
    let m = manifest("amb", 1);
    let path = journal_path("amb");
    let o = options("fleet-amb", "r1");
    let client = builder(&emu).build().expect("client");
    let tag = FleetTag::new("fleet-amb", "r1", &m.items()[0].key);
    for _ in 0..2 {
        client
            .create_whole_image(&tag.add_to(&m.items()[0].request))
            .expect("create");
    }
    let mut rec = ItemRecord::pending(&m.items()[0].key);
    rec.state = ItemState::Sending;
    rec.intent_at = Some(now_ms());
    journal_with(&path, "fleet-amb", "r1", &[rec]);
    let before = creates(&emu);
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(report.outcome, Outcome::Unknown);
    let err = report.items[0].error.as_ref().expect("error");
    assert_eq!(err.code.as_deref(), Some("fleet.ambiguous"));
    assert!(err.message.starts_with("2 images"), "{}", err.message);
    let (again, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(again.items[0].state, ItemState::Unknown);
    assert_eq!(creates(&emu), before);
}

/// A failed job is `failed` with the job's code; a rerun leaves it unless asked, then sends
/// it again.
#[test]
fn a_failed_item_is_retried_only_when_asked() {
    let emu = emulator(Duration::from_millis(100));
    emu.faults().set_job_fail_rate(1.0, 7);
    let m = manifest("fail", 2);
    let path = journal_path("fail");
    let mut o = options("fleet-fail", "r1");
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(report.outcome, Outcome::Failed, "{report:?}");
    assert!(
        report.items[0]
            .error
            .as_ref()
            .and_then(|e| e.code.clone())
            .is_some()
    );
    let (again, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(again.outcome, Outcome::Failed);
    assert_eq!(creates(&emu), 2);
    emu.faults().set_job_fail_rate(0.0, 7);
    o.retry_failed = true;
    let (retried, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(retried.outcome, Outcome::Succeeded, "{retried:?}");
    assert_eq!(creates(&emu), 4);
}

/// A run larger than what the quota leaves is refused before any create, naming both
/// numbers; allowed as a partial run, it makes what fits and the rest fail.
#[test]
fn a_run_larger_than_the_quota_is_refused_before_any_create() {
    let emu = emulator(Duration::from_millis(100));
    emu.update(|s| s.image_quota = 5);
    let m = manifest("quota", 6);
    let path = journal_path("quota");
    let mut o = options("fleet-quota", "r1");
    match run_fleet(DoorKind::Blocking, &emu, &m, &path, &o).0 {
        Err(e @ FleetError::Quota { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("make 6 images") && text.contains("leaves 5"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(creates(&emu), 0);
    o.allow_partial = true;
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(report.count(ItemState::Succeeded), 5, "{report:?}");
    assert_eq!(report.count(ItemState::Failed), 1);
    let failed = report
        .items
        .iter()
        .find(|i| i.state == ItemState::Failed)
        .expect("failed");
    assert_eq!(
        failed.error.as_ref().and_then(|e| e.code.as_deref()),
        Some("IMG.0015")
    );
}

/// 200 items at parallel 40 against the emulator's 40-task limit, with throttled creates:
/// all succeed, never more than 40 jobs at once.
#[test]
fn two_hundred_items_at_parallel_forty_stay_within_the_task_limit() {
    let emu = emulator(Duration::from_millis(400));
    emu.update(|s| {
        s.image_quota = 1000;
        s.max_concurrent_jobs = 40;
    });
    emu.faults().set_throttle_rate(0.05, 1, 11);
    let m = manifest("limit", 200);
    let path = journal_path("limit");
    let mut o = options("fleet-limit", "r1");
    o.parallel = 40;
    let (report, _) = ok(run_fleet(DoorKind::AsyncMultiThread, &emu, &m, &path, &o));
    assert_eq!(
        report.outcome,
        Outcome::Succeeded,
        "{:?}",
        report.summary_json()
    );
    let stats = emu.stats();
    assert!(stats.peak_running_jobs <= 40, "{}", stats.peak_running_jobs);
    assert!(
        stats.peak_running_jobs >= 20,
        "parallelism was not used: {}",
        stats.peak_running_jobs
    );
    assert_eq!(stats.create_accepted, 200);
}

/// A throttled create pauses every create of the client for its Retry-After, not only its
/// own retry: a create started during the pause is sent after it.
#[test]
fn a_throttled_create_pauses_the_clients_other_creates() {
    let emu = emulator(Duration::from_millis(100));
    emu.faults().throttle_next(ims_emulator::Api::Create, 1, 2);
    // A policy that honours a Retry-After of 2 s (the pause is the delay the policy gives).
    let retry = ims_core::client::RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_secs(5),
    };
    let client = common::builder_with(&emu, retry).build().expect("client");
    let other = client.clone();
    let started = Instant::now();
    let first = std::thread::spawn(move || client.create_whole_image(&common::ecs("first")));
    // The first create has had its 429 by now (loopback), and is pausing.
    while emu.stats().requests_total == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    other
        .create_whole_image(&common::ecs("second"))
        .expect("second");
    let second_done = started.elapsed();
    first.join().expect("thread").expect("first");
    assert!(
        second_done >= Duration::from_millis(1900),
        "the second create did not wait: {second_done:?}"
    );
}

/// Five runs with keep 3 leave exactly three images per item; an image without our tag and
/// another fleet's image are untouched.
#[test]
fn retention_keeps_the_newest_three_and_touches_nothing_else() {
    let emu = emulator(Duration::from_millis(100));
    emu.update(|s| s.delete_delay = Duration::from_millis(50));
    let m = manifest("keep", 2);
    let path = journal_path("keep");
    let client = builder(&emu).build().expect("client");
    let untagged = client
        .create_whole_image(&m.items()[0].request)
        .expect("untagged");
    let other_fleet = FleetTag::new("another-fleet", "r", &m.items()[0].key);
    client
        .create_whole_image(&other_fleet.add_to(&m.items()[0].request))
        .expect("other fleet");
    std::thread::sleep(Duration::from_millis(300));
    let all_before: Vec<String> = client
        .list_images(&ImageQuery::default())
        .expect("list")
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(all_before.len(), 2, "{untagged:?}");
    let mut newest = Vec::new();
    for run in 1..=5 {
        let mut o = options("fleet-keep", &format!("nightly-{run}"));
        o.keep = Some(3);
        let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
        assert_eq!(report.outcome, Outcome::Succeeded, "{report:?}");
        newest = report
            .items
            .iter()
            .filter_map(|i| i.image_id.clone())
            .collect();
        // created_at has a resolution of one second.
        std::thread::sleep(Duration::from_millis(1100));
    }
    std::thread::sleep(Duration::from_millis(200));
    let images = client.list_images(&ImageQuery::default()).expect("list");
    for item in m.items() {
        let key = FleetTag::key_of("fleet-keep", &item.key);
        let mine: Vec<_> = images.iter().filter(|i| i.tag(&key).is_some()).collect();
        assert_eq!(mine.len(), 3, "{}: {mine:?}", item.key);
    }
    for id in all_before.iter().chain(newest.iter()) {
        assert!(images.iter().any(|i| &i.id == id), "{id} was deleted");
    }
    let journal = SqliteJournal::open_read_only(&path).expect("journal");
    let deletions: usize = journal
        .runs()
        .expect("runs")
        .iter()
        .map(|r| r.deletions.len())
        .sum();
    assert_eq!(deletions, 4, "two per item, journaled");
}

/// Bad input is refused with a clear error and nothing is sent: a bad manifest, options out
/// of range, a journal of another fleet, a corrupt journal, a held journal.
#[test]
fn bad_input_is_refused_and_nothing_is_sent() {
    let emu = emulator(Duration::from_millis(100));
    let text = "{\"name\":\"a\",\"instance_id\":\"i\",\"vault_id\":\"v\"}\n{\"name\":\"b\",\"instance_id\":\"i\",\"vault_id\":\"v\"}\n{oops";
    let e = Manifest::parse(text).expect_err("duplicate key and bad JSON");
    assert_eq!(e.errors.iter().map(|l| l.line).collect::<Vec<_>>(), [2, 3]);

    let m = manifest("bad", 2);
    let path = journal_path("bad");
    let mut o = options("fleet-bad", "r1");
    o.parallel = 41;
    match run_fleet(DoorKind::Blocking, &emu, &m, &path, &o).0 {
        Err(FleetError::Options(text)) => assert!(text.contains("parallel"), "{text}"),
        other => panic!("{other:?}"),
    }
    journal_with(&path, "someone-else", "r0", &[]);
    let o = options("fleet-bad", "r1");
    match run_fleet(DoorKind::Blocking, &emu, &m, &path, &o).0 {
        Err(FleetError::Journal(JournalError::OtherFleet { .. })) => {}
        other => panic!("{other:?}"),
    }
    let corrupt = journal_path("corrupt");
    std::fs::write(&corrupt, vec![b'x'; 4096]).expect("write");
    match run_fleet(DoorKind::Blocking, &emu, &m, &corrupt, &o).0 {
        Err(FleetError::Journal(JournalError::Corrupt { .. })) => {}
        other => panic!("{other:?}"),
    }
    let held = journal_path("held");
    let _holder = SqliteJournal::open(&held).expect("first holder");
    match run_fleet(DoorKind::Blocking, &emu, &m, &held, &o).0 {
        Err(FleetError::Journal(e @ JournalError::Locked { .. })) => {
            assert!(e.to_string().contains("another process"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.stats().requests_total, 0, "something was sent");
}

/// Creates whose answer is lost (the emulator drops the connection after handling them) are
/// reconciled by tag within the run: exactly one image per item, all succeeded.
#[test]
fn creates_whose_answer_is_lost_are_adopted_by_tag() {
    let emu = emulator(Duration::from_millis(200));
    emu.faults().set_drop_after_create_rate(0.3, 5);
    let m = manifest("drop", 20);
    let path = journal_path("drop");
    let mut o = options("fleet-drop", "r1");
    o.reconcile_grace = Duration::from_secs(2);
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(
        report.outcome,
        Outcome::Succeeded,
        "{:?}",
        report.summary_json()
    );
    assert!(
        report
            .items
            .iter()
            .any(|i| i.action == "create" && i.job_id.is_none()),
        "no answer was lost: {report:?}"
    );
    for item in m.items() {
        let tag = FleetTag::new("fleet-drop", "r1", &item.key);
        assert_eq!(live_images(&emu, &tag).len(), 1, "{}", item.key);
    }
}

/// The observer's Cancel stops the run: nothing new is sent, the jobs already sent stay
/// `submitted` in the journal, and a rerun finishes them without creating them again.
#[test]
fn a_stopped_run_leaves_the_journal_consistent_and_a_rerun_finishes_it() {
    let emu = emulator(Duration::from_secs(2));
    let m = manifest("stop", 6);
    let path = journal_path("stop");
    let mut o = options("fleet-stop", "r1");
    o.parallel = 2;
    let client = builder(&emu).build().expect("client");
    let journal = Box::new(SqliteJournal::open(&path).expect("journal"));
    let mut stopping = 0;
    let mut observer = |e: &FleetEvent| match e {
        FleetEvent::Item {
            state: ItemState::Submitted,
            ..
        } => Control::Cancel,
        FleetEvent::Stopping => {
            stopping += 1;
            Control::Continue
        }
        _ => Control::Continue,
    };
    let report = fleet::run_blocking(&client, &m, journal, &o, &mut observer).expect("run");
    assert!(report.stopped);
    assert_eq!(stopping, 1, "one stopping event answers the first stop");
    assert_eq!(report.outcome, Outcome::Incomplete);
    let sent = creates(&emu);
    assert!((1..=2).contains(&sent), "{sent}");
    assert_eq!(
        report.count(ItemState::Submitted) as u64,
        sent,
        "{report:?}"
    );
    let (done, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(done.outcome, Outcome::Succeeded);
    assert_eq!(creates(&emu), 6);
}

/// A dry run writes nothing and sends nothing: it plans.
#[test]
fn a_dry_run_sends_and_writes_nothing() {
    let emu = emulator(Duration::from_millis(100));
    let m = manifest("dry", 3);
    let path = journal_path("dry");
    let mut o = options("fleet-dry", "r1");
    o.dry_run = true;
    o.keep = Some(1);
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert!(report.dry_run);
    assert!(
        report
            .items
            .iter()
            .all(|i| i.action == "create" && i.state == ItemState::Pending)
    );
    assert_eq!(creates(&emu), 0);
    let journal = SqliteJournal::open_read_only(&path).expect("journal");
    assert!(journal.runs().expect("runs").is_empty());
}

/// Following an adopted image (no job id known) gives up at the wait's timeout, as a wait
/// does: the item stays `submitted`, unfinished, and a rerun follows it again.
#[test]
fn following_an_adopted_image_gives_up_at_the_waits_timeout() {
    let emu = emulator(Duration::from_secs(30));
    let m = manifest("follow", 1);
    let path = journal_path("follow");
    let mut o = options("fleet-follow", "r1");
    o.wait.timeout = Duration::from_millis(600);
    let client = builder(&emu).build().expect("client");
    let tag = FleetTag::new("fleet-follow", "r1", &m.items()[0].key);
    client
        .create_whole_image(&tag.add_to(&m.items()[0].request))
        .expect("create");
    let mut rec = ItemRecord::pending(&m.items()[0].key);
    rec.state = ItemState::Sending;
    rec.intent_at = Some(now_ms());
    journal_with(&path, "fleet-follow", "r1", &[rec]);
    let started = Instant::now();
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.outcome, Outcome::Incomplete, "{report:?}");
    assert_eq!(report.items[0].state, ItemState::Submitted);
    let note = report.items[0]
        .error
        .as_ref()
        .expect("why it is unfinished");
    assert!(
        note.message.contains("gave up following"),
        "{}",
        note.message
    );
    assert_eq!(creates(&emu), 1, "nothing created again");
}

/// A dry run with retention plans the deletions a run would make (the oldest beyond `keep`,
/// counting the image the run would add) and deletes nothing.
#[test]
fn a_dry_run_plans_the_retention_deletions_and_deletes_nothing() {
    let emu = emulator(Duration::from_millis(100));
    let m = manifest("plan", 1);
    let path = journal_path("plan");
    let mut oldest = String::new();
    for run in 1..=2 {
        let mut o = options("fleet-plan", &format!("nightly-{run}"));
        o.keep = Some(2);
        let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
        assert_eq!(report.outcome, Outcome::Succeeded, "{report:?}");
        if run == 1 {
            oldest = report.items[0].image_id.clone().expect("image");
        }
        // created_at has a resolution of one second.
        std::thread::sleep(Duration::from_millis(1100));
    }
    let mut o = options("fleet-plan", "nightly-3");
    o.keep = Some(2);
    o.dry_run = true;
    let (report, _) = ok(run_fleet(DoorKind::Blocking, &emu, &m, &path, &o));
    assert_eq!(report.deletions.len(), 1, "{report:?}");
    assert_eq!(report.deletions[0].image_id, oldest);
    assert_eq!(
        report.deletions[0].state,
        ims_core::fleet::DeletionState::Planned
    );
    let client = builder(&emu).build().expect("client");
    assert_eq!(
        client
            .list_images(&ImageQuery::default())
            .expect("list")
            .len(),
        2
    );
    assert_eq!(creates(&emu), 2);
}
