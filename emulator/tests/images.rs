//! The image records, `GET /v2/cloudimages`, the quota, `DELETE /v2/images/{id}`, the tenant
//! limits, the list and delete delays, and the standing create faults.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::*;
use ims_emulator::{DEMO_PROJECT_ID, Emulator, EmulatorConfig, FaultConfig};
use serde_json::{Value, json};

/// A list query and the names it must answer.
type Query<'a> = &'a [(&'a str, &'a str)];

fn emulator(job_ms: u64, change: impl FnOnce(&mut ims_emulator::Settings)) -> Emulator {
    let mut cfg = EmulatorConfig::demo().with_job_duration(Duration::from_millis(job_ms));
    change(&mut cfg.settings);
    start(cfg)
}

fn create(emu: &Emulator, body: String) -> Resp {
    Call::create(body).send(emu)
}

/// The job's image id (the job must have left INIT).
fn image_id_of(emu: &Emulator, job_id: &str) -> String {
    let job = Call::job(job_id).send(emu);
    job.json["entities"]["image_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no image id yet: {}", job.text()))
        .to_owned()
}

fn list(emu: &Emulator, query: &[(&str, &str)]) -> Resp {
    let mut call = Call::get("/v2/cloudimages");
    for (k, v) in query {
        call = call.query(k, v);
    }
    call.send(emu)
}

/// The images of a 200 list answer.
fn images(emu: &Emulator, query: &[(&str, &str)]) -> Vec<Value> {
    let r = list(emu, query);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json["images"].as_array().expect("images").clone()
}

fn names(images: &[Value]) -> Vec<String> {
    images
        .iter()
        .map(|i| i["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn delete(emu: &Emulator, id: &str, body: Option<Value>) -> Resp {
    let mut call = Call::new("DELETE", &format!("/v2/images/{id}"));
    if let Some(body) = body {
        call.body = body.to_string().into_bytes();
        call = call.header("Content-Type", "application/json;charset=UTF-8");
    }
    call.send(emu)
}

/// `YYYY-MM-DDThh:mm:ssZ` of `unix`, the form the list writes and its time filters read.
fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[test]
fn every_filter_passes_and_fails() {
    let emu = emulator(0, |_| {});
    let a = json!({"name": "a", "instance_id": INSTANCE, "vault_id": VAULT,
                   "image_tags": [{"key": "fleet", "value": "a"}, {"key": "run", "value": "7"}]});
    let b = json!({"name": "b", "backup_id": BACKUP, "whole_image_type": "CBR",
                   "tags": ["fleet.b"]});
    assert_eq!(create(&emu, a.to_string()).status, 200);
    sleep(Duration::from_millis(5));
    assert_eq!(create(&emu, b.to_string()).status, 200);
    sleep(Duration::from_millis(5));
    assert_eq!(create(&emu, ecs_body("c")).status, 200);

    // Default: every image, newest first.
    let all = images(&emu, &[]);
    assert_eq!(names(&all), ["c", "b", "a"]);
    let img_a = &all[2];
    assert_eq!(img_a["tags"], json!(["fleet=a", "run=7"]));
    assert_eq!(img_a["owner"], DEMO_PROJECT_ID);
    assert_eq!(img_a["__imagetype"], "private");
    assert_eq!(img_a["__whole_image"], true);
    assert_eq!(img_a["visibility"], "private");
    assert_eq!(img_a["status"], "active");
    assert_eq!(img_a["__backup_id"], "");
    assert_eq!(all[1]["__backup_id"], BACKUP);
    assert_eq!(all[1]["tags"], json!(["fleet=b"]));
    let created = img_a["created_at"].as_str().unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z') && &created[10..11] == "T",
        "{created}"
    );

    let cases: &[(Query, &[&str])] = &[
        (&[("tag", "fleet=a")], &["a"]),
        (&[("tag", "fleet=b")], &["b"]),
        (&[("tag", "fleet=zzz")], &[]),
        (&[("tag", "run=7")], &["a"]),
        (&[("name", "c")], &["c"]),
        (&[("name", "nope")], &[]),
        (&[("status", "active")], &["c", "b", "a"]),
        (&[("status", "saving")], &[]),
        (&[("__imagetype", "private")], &["c", "b", "a"]),
        (&[("__imagetype", "gold")], &[]),
        (&[("__whole_image", "true")], &["c", "b", "a"]),
        (&[("__whole_image", "false")], &[]),
        (&[("id", all[0]["id"].as_str().unwrap())], &["c"]),
        (&[("owner", DEMO_PROJECT_ID)], &["c", "b", "a"]),
        (&[("owner", "someone-else")], &[]),
        (
            &[("sort_key", "name"), ("sort_dir", "asc")],
            &["a", "b", "c"],
        ),
        (&[("sort_key", "name")], &["c", "b", "a"]),
        (&[("sort_dir", "asc")], &["a", "b", "c"]),
        (&[("tag", "fleet=a"), ("name", "b")], &[]),
    ];
    for (query, want) in cases {
        assert_eq!(names(&images(&emu, query)), *want, "{query:?}");
    }

    let now = emu.now_unix();
    let before = utc(now - 60);
    let after = utc(now + 60);
    for (filter, want) in [
        (format!("gte:{before}"), 3),
        (format!("gt:{before}"), 3),
        (format!("lte:{before}"), 0),
        (format!("lt:{after}"), 3),
        (format!("gt:{after}"), 0),
        (format!("eq:{created}"), 1),
        (format!("neq:{created}"), 2),
        (
            format!("gte:{}", before.replace('T', " ").trim_end_matches('Z')),
            3,
        ),
    ] {
        let got = images(&emu, &[("created_at", &filter)]);
        // Creates within one second share created_at: count those equal to a's.
        let want = match filter.split(':').next() {
            Some("eq") => all.iter().filter(|i| i["created_at"] == created).count(),
            Some("neq") => all.iter().filter(|i| i["created_at"] != created).count(),
            _ => want,
        };
        assert_eq!(got.len(), want, "created_at={filter}");
    }

    for (query, code) in [
        (("__imagetype", "mine"), "IMG.0024"),
        (("__whole_image", "yes"), "IMG.0001"),
        (("created_at", "after:2024-01-01T00:00:00Z"), "IMG.0001"),
        (("created_at", "gte:yesterday"), "IMG.0001"),
        (("sort_key", "colour"), "IMG.0001"),
        (("sort_dir", "up"), "IMG.0001"),
        (("limit", "0"), "IMG.0001"),
        (("limit", "1001"), "IMG.0001"),
        (("limit", "ten"), "IMG.0001"),
    ] {
        let r = list(&emu, &[query]);
        assert_eq!((r.status, r.code()), (400, code), "{query:?}: {}", r.text());
    }
    // Signed like every IMS route.
    let r = Call::get("/v2/cloudimages").unsigned().send(&emu);
    assert_eq!((r.status, r.code()), (401, "APIGW.0301"));
    let r = Call::get("/v2/cloudimages").project(None).send(&emu);
    assert_eq!((r.status, r.code()), (400, "IMG.0104"));
}

#[test]
fn status_is_queued_saving_active_or_killed() {
    let emu = start_with(1000);
    emu.faults().fail_next_jobs(1);
    let failing = create(&emu, ecs_body("failing")).job_id();
    let fine = create(&emu, ecs_body("fine")).job_id();
    let status_of = |name: &str| {
        let found = images(&emu, &[("name", name)]);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        found[0]["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status_of("fine"), "queued");
    sleep(Duration::from_millis(400));
    assert_eq!(status_of("fine"), "saving");
    assert_eq!(status_of("failing"), "saving");
    let id = image_id_of(&emu, &fine);
    sleep(Duration::from_millis(800));
    assert_eq!(status_of("fine"), "active");
    assert_eq!(status_of("failing"), "killed");
    assert_eq!(Call::job(&failing).send(&emu).json["status"], "FAIL");
    assert_eq!(images(&emu, &[("status", "killed")]).len(), 1);
    assert_eq!(images(&emu, &[("id", &id)])[0]["name"], "fine");
}

#[test]
fn pages_with_marker_to_the_end() {
    let emu = start_with(0);
    for i in 0..7 {
        assert_eq!(create(&emu, ecs_body(&format!("img-{i}"))).status, 200);
    }
    let everything = names(&images(&emu, &[]));
    assert_eq!(everything.len(), 7);
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let mut query = vec![("limit", "3".to_owned())];
        if let Some(m) = &marker {
            query.push(("marker", m.clone()));
        }
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = images(&emu, &q);
        let r = list(&emu, &q);
        assert!(r.json.get("next").is_none(), "no next link: {}", r.text());
        sizes.push(page.len());
        if page.is_empty() {
            assert!(r.json.get("page_info").is_none());
            break;
        }
        let last_id = page.last().unwrap()["id"].clone();
        match sizes.len() {
            1 | 2 => assert_eq!(r.json["page_info"]["next_marker"], last_id),
            _ => assert!(r.json.get("page_info").is_none(), "last page: {}", r.text()),
        }
        seen.extend(names(&page));
        marker = Some(page.last().unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(sizes, [3, 3, 1, 0]);
    assert_eq!(seen, everything, "every image once, in order");

    // Paging also holds in ascending name order.
    let first = images(
        &emu,
        &[("sort_key", "name"), ("sort_dir", "asc"), ("limit", "4")],
    );
    let last = first.last().unwrap()["id"].as_str().unwrap().to_owned();
    let rest = images(
        &emu,
        &[("sort_key", "name"), ("sort_dir", "asc"), ("marker", &last)],
    );
    assert_eq!(names(&first), ["img-0", "img-1", "img-2", "img-3"]);
    assert_eq!(names(&rest), ["img-4", "img-5", "img-6"]);

    let r = list(&emu, &[("marker", "00000000-0000-4000-8000-000000000000")]);
    assert_eq!((r.status, r.code()), (400, "IMG.0144"), "{}", r.text());
}

#[test]
fn quota_refuses_creates_and_is_reported() {
    let emu = emulator(0, |s| {
        s.image_quota = 2;
        s.delete_delay = Duration::from_millis(200);
    });
    let j1 = create(&emu, ecs_body("q1")).job_id();
    assert_eq!(create(&emu, ecs_body("q2")).status, 200);
    let r = create(&emu, ecs_body("q3"));
    assert_eq!((r.status, r.code()), (400, "IMG.0015"), "{}", r.text());
    assert!(r.message().contains("quota"), "{}", r.message());
    assert_eq!(emu.stats().images_created, 2);

    let expect = json!({"quotas": {"resources": [
        {"type": "image", "used": 2, "quota": 2, "min": 1, "max": 1000}]}});
    let q = Call::get("/v1/cloudimages/quota").send(&emu);
    assert_eq!((q.status, &q.json), (200, &expect), "{}", q.text());
    let q = Call::get(&format!("/v1/{DEMO_PROJECT_ID}/cloudimages/quota")).send(&emu);
    assert_eq!((q.status, &q.json), (200, &expect));
    let q = Call::get("/v1/other-project/cloudimages/quota").send(&emu);
    assert_eq!((q.status, q.code()), (400, "IMG.0104"));

    // Deleting one frees a slot once it is gone.
    let id = image_id_of(&emu, &j1);
    assert_eq!(delete(&emu, &id, None).status, 204);
    assert_eq!(
        create(&emu, ecs_body("q3")).code(),
        "IMG.0015",
        "still pending"
    );
    sleep(Duration::from_millis(300));
    assert_eq!(create(&emu, ecs_body("q3")).status, 200);

    // Raised while running.
    emu.update(|s| s.image_quota = 3);
    assert_eq!(create(&emu, ecs_body("q4")).status, 200);
    let q = Call::get("/v1/cloudimages/quota").send(&emu);
    assert_eq!(q.json["quotas"]["resources"][0]["used"], 3);
}

#[test]
fn killed_images_count_against_the_quota() {
    let emu = emulator(0, |s| s.image_quota = 1);
    emu.faults().fail_next_jobs(1);
    assert_eq!(create(&emu, ecs_body("k")).status, 200);
    assert_eq!(images(&emu, &[])[0]["status"], "killed");
    assert_eq!(create(&emu, ecs_body("k2")).code(), "IMG.0015");
}

#[test]
fn concurrent_jobs_are_limited_and_the_peak_recorded() {
    let emu = emulator(60_000, |s| s.max_concurrent_jobs = 3);
    for i in 0..3 {
        assert_eq!(create(&emu, ecs_body(&format!("c{i}"))).status, 200);
    }
    let r = create(&emu, ecs_body("c3"));
    assert_eq!((r.status, r.code()), (400, "IMG.0060"), "{}", r.text());
    let stats = emu.stats();
    assert_eq!((stats.peak_running_jobs, stats.running_jobs), (3, 3));
    assert_eq!(stats.images_created, 3);
    // A refused create makes nothing, not even a listed image.
    assert_eq!(images(&emu, &[]).len(), 3);

    emu.update(|s| s.max_concurrent_jobs = 4);
    assert_eq!(create(&emu, ecs_body("c3")).status, 200);
    assert_eq!(emu.stats().peak_running_jobs, 4);
    emu.reset_stats();
    assert_eq!(emu.stats().peak_running_jobs, 0);
}

#[test]
fn finished_jobs_free_their_slot() {
    let emu = emulator(200, |s| s.max_concurrent_jobs = 1);
    assert_eq!(create(&emu, ecs_body("one")).status, 200);
    assert_eq!(create(&emu, ecs_body("two")).code(), "IMG.0060");
    sleep(Duration::from_millis(300));
    assert_eq!(create(&emu, ecs_body("two")).status, 200);
    assert_eq!(emu.stats().peak_running_jobs, 1);
}

#[test]
fn delete_answers_204_and_the_image_goes_after_the_delay() {
    let emu = emulator(0, |s| s.delete_delay = Duration::from_millis(300));
    let job = create(&emu, ecs_body("doomed")).job_id();
    let id = image_id_of(&emu, &job);
    let r = delete(&emu, &id, Some(json!({"delete_backup": false})));
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    let listed = images(&emu, &[]);
    assert_eq!(listed.len(), 1, "still listed while the delete is pending");
    assert_eq!(listed[0]["status"], "active", "listed unchanged");
    assert_eq!(
        delete(&emu, &id, None).status,
        204,
        "a repeated delete is accepted"
    );
    sleep(Duration::from_millis(400));
    assert!(images(&emu, &[]).is_empty());
    let r = delete(&emu, &id, None);
    assert_eq!((r.status, r.code()), (404, "IMG.0144"), "{}", r.text());

    let r = delete(&emu, &id, Some(json!({"delete_backup": "yes"})));
    assert_eq!((r.status, r.code()), (400, "IMG.0001"));
    let r = Call::new("DELETE", &format!("/v2/images/{id}"))
        .unsigned()
        .send(&emu);
    assert_eq!((r.status, r.code()), (401, "APIGW.0301"));
}

#[test]
fn an_image_being_created_cannot_be_deleted() {
    let emu = start_with(1000);
    let job = create(&emu, ecs_body("busy")).job_id();
    let listed = images(&emu, &[]);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let r = delete(&emu, &id, None);
    assert_eq!((r.status, r.code()), (400, "IMG.0090"), "{}", r.text());
    sleep(Duration::from_millis(1100));
    assert_eq!(Call::job(&job).send(&emu).json["status"], "SUCCESS");
    assert_eq!(delete(&emu, &id, None).status, 204);
}

#[test]
fn a_backup_is_free_again_once_its_image_is_gone() {
    let emu = emulator(0, |s| s.delete_delay = Duration::ZERO);
    let job = create(&emu, backup_body("first", BACKUP)).job_id();
    assert_eq!(
        create(&emu, backup_body("second", BACKUP)).code(),
        "IMG.0029"
    );
    let id = image_id_of(&emu, &job);
    assert_eq!(delete(&emu, &id, None).status, 204);
    assert_eq!(create(&emu, backup_body("second", BACKUP)).status, 200);
}

#[test]
fn list_delay_hides_new_images_for_a_while() {
    let emu = emulator(0, |s| s.list_delay = Duration::from_millis(300));
    let job = create(&emu, ecs_body("late")).job_id();
    assert!(images(&emu, &[]).is_empty(), "not listed yet");
    assert_eq!(Call::job(&job).send(&emu).json["status"], "SUCCESS");
    let q = Call::get("/v1/cloudimages/quota").send(&emu);
    assert_eq!(
        q.json["quotas"]["resources"][0]["used"], 1,
        "counted at once"
    );
    sleep(Duration::from_millis(400));
    assert_eq!(names(&images(&emu, &[])), ["late"]);
}

#[test]
fn drop_after_create_rate_makes_the_image_but_answers_nothing() {
    let emu = start(
        EmulatorConfig::demo()
            .with_job_duration(Duration::ZERO)
            .with_faults(FaultConfig {
                drop_after_create_rate: 1.0,
                ..FaultConfig::default()
            }),
    );
    for i in 0..3 {
        let outcome = Call::create(ecs_body(&format!("lost-{i}"))).try_send(&emu);
        assert!(outcome.is_err(), "connection dropped: {outcome:?}");
    }
    let stats = emu.stats();
    assert_eq!((stats.images_created, stats.create_accepted), (3, 0));
    assert_eq!(images(&emu, &[]).len(), 3, "the images ARE made");
    emu.faults().set_drop_after_create_rate(0.0, 0);
    assert_eq!(create(&emu, ecs_body("kept")).status, 200);
}

#[test]
fn throttle_rate_answers_429_and_makes_nothing() {
    let emu = start_with(0);
    emu.faults().set_throttle_rate(1.0, 4, 9);
    let r = create(&emu, ecs_body("t"));
    assert_eq!((r.status, r.code()), (429, "APIGW.0308"));
    assert_eq!(r.header("retry-after"), Some("4"));
    assert_eq!(emu.stats().images_created, 0);
    assert!(
        images(&emu, &[]).is_empty(),
        "lists are not throttled by the rate"
    );
    emu.faults().set_throttle_rate(0.5, 1, 9);
    let statuses: Vec<u16> = (0..20)
        .map(|i| create(&emu, ecs_body(&format!("t{i}"))).status)
        .collect();
    assert!(
        statuses.contains(&429) && statuses.contains(&200),
        "{statuses:?}"
    );
}
