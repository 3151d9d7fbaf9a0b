//! Each endpoint answering a well-formed request like the service does.

mod common;

use std::collections::HashSet;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::*;
use ims_core::Credentials;
use ims_core::sign::Algorithm;
use ims_emulator::{DEMO_PROJECT_ID, EmulatorConfig};

#[test]
fn create_from_ecs_then_both_job_forms() {
    let emu = start_with(0);
    let r = Call::create(ecs_body("nightly")).send(&emu);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(is_hex32(r.header("x-request-id").unwrap_or("")));
    assert!(r.header("date").is_some_and(|d| d.ends_with(" GMT")));
    let job_id = r.job_id();
    assert!(is_hex32(&job_id), "{job_id}");

    let j = Call::job(&job_id).send(&emu);
    assert_eq!(j.status, 200, "{}", j.text());
    let doc = &j.json;
    assert_eq!(doc["status"], "SUCCESS");
    assert_eq!(doc["job_id"], job_id.as_str());
    assert_eq!(doc["job_type"], "imsCreateWholeImageByInstanceJob");
    assert_eq!(doc["entities"]["image_name"], "nightly");
    assert_eq!(doc["entities"]["process_percent"], 100.0);
    assert!(doc["entities"]["current_task"].is_string());
    assert!(doc["entities"]["sub_job_id"].is_string());
    let image_id = doc["entities"]["image_id"].as_str().expect("image id");
    assert_eq!(image_id.len(), 36);
    assert_eq!(&image_id[14..15], "4");
    assert!(doc["error_code"].is_null() && doc["fail_reason"].is_null());
    let begin = doc["begin_time"].as_str().expect("begin");
    assert_eq!(begin.len(), "2024-11-06T06:28:14.425Z".len());
    assert!(begin.ends_with('Z') && &begin[10..11] == "T" && &begin[19..20] == ".");
    assert_eq!(doc["end_time"].as_str().map(str::len), Some(begin.len()));

    let l = Call::legacy_job(DEMO_PROJECT_ID, &job_id).send(&emu);
    assert_eq!(l.status, 200, "{}", l.text());
    assert_eq!(l.json["status"], "SUCCESS");
    assert_eq!(l.json["entities"]["image_id"], image_id);
    assert!(l.json["entities"].get("process_percent").is_none());

    let s = emu.stats();
    assert_eq!(s.create_accepted, 1);
    assert_eq!(s.images_created, 1);
    assert!(s.requests.iter().all(|r| r.status == 200));
    assert_eq!(s.count("POST", ims_emulator::CREATE_PATH, 200), 1);
}

#[test]
fn create_from_backup_has_backup_job_type() {
    let emu = start_with(0);
    let r = Call::create(backup_body("from-backup", BACKUP)).send(&emu);
    assert_eq!(r.status, 200, "{}", r.text());
    let j = Call::job(&r.job_id()).send(&emu);
    assert_eq!(j.json["job_type"], "imsCreateWholeImageByBackupJob");
    assert_eq!(j.json["entities"]["image_name"], "from-backup");
}

#[test]
fn lifecycle_init_running_success() {
    // 900 ms: INIT until 90 ms, RUNNING until 900 ms, then SUCCESS.
    let emu = start_with(900);
    let t0 = Instant::now();
    let id = Call::create(ecs_body("timed")).send(&emu).job_id();
    let first = Call::job(&id).send(&emu);
    if t0.elapsed() < Duration::from_millis(80) {
        assert_eq!(first.json["status"], "INIT", "{}", first.text());
        assert_eq!(first.json["entities"]["process_percent"], 0.0);
        assert_eq!(first.json["end_time"], "");
    }
    sleep(Duration::from_millis(300).saturating_sub(t0.elapsed()));
    let mid = Call::job(&id).send(&emu);
    assert_eq!(mid.json["status"], "RUNNING", "{}", mid.text());
    let pct = mid.json["entities"]["process_percent"]
        .as_f64()
        .expect("float percent");
    assert!(pct > 0.0 && pct < 100.0, "{pct}");
    assert_eq!(mid.json["end_time"], "");
    assert!(mid.json["error_code"].is_null());
    sleep(Duration::from_millis(100));
    let later = Call::job(&id).send(&emu);
    let pct2 = later.json["entities"]["process_percent"]
        .as_f64()
        .unwrap_or(100.0);
    assert!(pct2 > pct, "percent rises: {pct} then {pct2}");
    sleep(Duration::from_millis(950).saturating_sub(t0.elapsed()));
    let done = Call::job(&id).send(&emu);
    assert_eq!(done.json["status"], "SUCCESS", "{}", done.text());
    assert_ne!(done.json["end_time"], "");
}

#[test]
fn init_state_is_seen_with_a_longer_job() {
    let emu = start_with(5_000);
    let id = Call::create(ecs_body("slow")).send(&emu).job_id();
    let j = Call::job(&id).send(&emu);
    assert_eq!(j.json["status"], "INIT", "{}", j.text());
    assert_eq!(j.json["end_time"], "");
}

#[test]
fn zero_duration_is_success_at_once() {
    let emu = start_with(0);
    let id = Call::create(ecs_body("instant")).send(&emu).job_id();
    assert_eq!(Call::job(&id).send(&emu).json["status"], "SUCCESS");
}

#[test]
fn job_duration_can_change_while_running() {
    let emu = start_with(60_000);
    emu.update(|s| s.job_duration = Duration::ZERO);
    let id = Call::create(ecs_body("changed")).send(&emu).job_id();
    assert_eq!(Call::job(&id).send(&emu).json["status"], "SUCCESS");
}

#[test]
fn unknown_job_is_404() {
    let emu = start_with(0);
    for call in [
        Call::job("00000000000000000000000000000000"),
        Call::legacy_job(DEMO_PROJECT_ID, "nope"),
    ] {
        let r = call.send(&emu);
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(r.code(), ims_emulator::JOB_NOT_FOUND_CODE);
        assert!(r.message().contains("not found"), "{}", r.message());
        assert!(r.header("x-request-id").is_some());
    }
}

#[test]
fn legacy_job_with_other_project_in_path_is_refused() {
    let emu = start_with(0);
    let id = Call::create(ecs_body("p")).send(&emu).job_id();
    let r = Call::legacy_job("ffffffffffffffffffffffffffffffff", &id).send(&emu);
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.code(), "IMG.0104");
    // The legacy form needs no X-Project-Id header.
    let r = Call::legacy_job(DEMO_PROJECT_ID, &id)
        .project(None)
        .send(&emu);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn sm3_and_v11_are_accepted() {
    let emu = start_with(0);
    for alg in [Algorithm::SdkHmacSm3, Algorithm::V11HmacSha256] {
        let r = Call::create(ecs_body("alg")).algorithm(alg).send(&emu);
        assert_eq!(r.status, 200, "{alg}: {}", r.text());
        let j = Call::job(&r.job_id()).algorithm(alg).send(&emu);
        assert_eq!(j.status, 200, "{alg}: {}", j.text());
    }
}

#[test]
fn v11_with_other_region_and_service_in_scope_is_accepted() {
    let emu = start_with(0);
    let mut call = Call::job("x").algorithm(Algorithm::V11HmacSha256);
    call.region = "ap-southeast-1".into();
    call.service = "iam".into();
    // Job unknown, but authentication passed.
    assert_eq!(call.send(&emu).status, 404);
}

#[test]
fn token_auth_is_accepted() {
    let mut cfg = EmulatorConfig::demo().with_job_duration(Duration::ZERO);
    cfg.settings.auth_token = Some("MIIT-test-token".into());
    let emu = start(cfg);
    let r = Call::create(ecs_body("tok"))
        .unsigned()
        .header("X-Auth-Token", "MIIT-test-token")
        .send(&emu);
    assert_eq!(r.status, 200, "{}", r.text());
    // Project-scoped token: no X-Project-Id needed.
    let j = Call::job(&r.job_id())
        .unsigned()
        .project(None)
        .header("X-Auth-Token", "MIIT-test-token")
        .send(&emu);
    assert_eq!(j.status, 200, "{}", j.text());
    let bad = Call::job(&r.job_id())
        .unsigned()
        .header("X-Auth-Token", "wrong")
        .send(&emu);
    assert_eq!(bad.status, 401);
    assert_eq!(bad.code(), "APIGW.0301");
}

#[test]
fn iam_projects_default_and_configured() {
    let emu = start_with(0);
    let r = Call::get(ims_emulator::PROJECTS_PATH)
        .query("name", "cn-north-4")
        .project(None)
        .send(&emu);
    assert_eq!(r.status, 200, "{}", r.text());
    let projects = r.json["projects"].as_array().expect("projects");
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0]["id"], DEMO_PROJECT_ID);
    assert_eq!(projects[0]["name"], "cn-north-4");
    assert_eq!(projects[0]["enabled"], true);
    assert!(projects[0]["domain_id"].is_string());
    assert!(r.json["links"].is_object());

    let other = Call::get(ims_emulator::PROJECTS_PATH)
        .query("name", "eu-west-0")
        .project(None)
        .send(&emu);
    assert_eq!(other.json["projects"].as_array().map(Vec::len), Some(0));

    emu.update(|s| {
        s.projects = Some(vec![
            ("cn-north-4".into(), "p1".into()),
            ("cn-north-4_sub".into(), "p2".into()),
            ("cn-north-4".into(), "p3".into()),
        ])
    });
    let two = Call::get(ims_emulator::PROJECTS_PATH)
        .query("name", "cn-north-4")
        .project(None)
        .send(&emu);
    let ids: Vec<&str> = two.json["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, ["p1", "p3"]);
    emu.update(|s| s.projects = Some(Vec::new()));
    let none = Call::get(ims_emulator::PROJECTS_PATH)
        .query("name", "cn-north-4")
        .project(None)
        .send(&emu);
    assert_eq!(none.json["projects"].as_array().map(Vec::len), Some(0));

    let unsigned = Call::get(ims_emulator::PROJECTS_PATH).unsigned().send(&emu);
    assert_eq!(unsigned.status, 401);
}

fn metadata_token(emu: &ims_emulator::Emulator) -> String {
    let r = Call::new("PUT", ims_emulator::METADATA_TOKEN_PATH)
        .unsigned()
        .project(None)
        .header("X-Metadata-Token-Ttl-Seconds", "21600")
        .send(emu);
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

fn security_key(emu: &ims_emulator::Emulator, token: &str) -> common::Resp {
    Call::get(ims_emulator::SECURITY_KEY_PATH)
        .unsigned()
        .project(None)
        .header("X-Metadata-Token", token)
        .send(emu)
}

#[test]
fn metadata_credentials_are_accepted_by_ims() {
    let emu = start_with(0);
    let token = metadata_token(&emu);
    assert!(!token.is_empty());
    let r = security_key(&emu, &token);
    assert_eq!(r.status, 200, "{}", r.text());
    let c = &r.json["credential"];
    let (ak, sk, st) = (
        c["access"].as_str().expect("access"),
        c["secret"].as_str().expect("secret"),
        c["securitytoken"].as_str().expect("token"),
    );
    let expires = c["expires_at"].as_str().expect("expires");
    assert_eq!(expires.len(), "2026-11-26T10:00:00.000000Z".len());
    assert!(expires.ends_with(".000000Z"));

    let temp = Credentials::new(ak, sk).with_security_token(st);
    let created = Call::create(ecs_body("temp"))
        .creds(temp.clone())
        .send(&emu);
    assert_eq!(created.status, 200, "{}", created.text());

    // Without the token header: refused.
    let no_token = Call::job(&created.job_id())
        .creds(Credentials::new(ak, sk))
        .send(&emu);
    assert_eq!(no_token.status, 401, "{}", no_token.text());
    assert_eq!(no_token.code(), "APIGW.0301");

    // Rotation: a new triple is handed out; the old one stays valid until it expires.
    let fresh = emu.rotate_temporary_credentials();
    assert_ne!(fresh.access, ak);
    let r2 = security_key(&emu, &token);
    assert_eq!(r2.json["credential"]["access"], fresh.access.as_str());
    let with_new = Call::job(&created.job_id())
        .creds(
            Credentials::new(&fresh.access, &fresh.secret)
                .with_security_token(&fresh.security_token),
        )
        .send(&emu);
    assert_eq!(with_new.status, 200, "{}", with_new.text());
    let with_old = Call::job(&created.job_id()).creds(temp).send(&emu);
    assert_eq!(with_old.status, 200, "{}", with_old.text());
}

#[test]
fn expired_temporary_credentials_are_refused() {
    let emu = start_with(0);
    let mut t = emu.rotate_temporary_credentials();
    t.expires_at_unix = emu.now_unix() - 10;
    t.access = "TMPAKEXPIRED000000000".into();
    emu.update(|s| s.temporary_credentials.push(t.clone()));
    let r = Call::job("x")
        .creds(Credentials::new(&t.access, &t.secret).with_security_token(&t.security_token))
        .send(&emu);
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.code(), "APIGW.0307");
}

#[test]
fn metadata_needs_a_valid_token_and_can_be_turned_off() {
    let emu = start_with(0);
    assert_eq!(security_key(&emu, "not-issued").status, 401);
    let missing_ttl = Call::new("PUT", ims_emulator::METADATA_TOKEN_PATH)
        .unsigned()
        .project(None)
        .send(&emu);
    assert_eq!(missing_ttl.status, 400);
    let token = metadata_token(&emu);
    emu.update(|s| s.metadata_enabled = false);
    assert_eq!(security_key(&emu, &token).status, 404);
    let put = Call::new("PUT", ims_emulator::METADATA_TOKEN_PATH)
        .unsigned()
        .project(None)
        .header("X-Metadata-Token-Ttl-Seconds", "60")
        .send(&emu);
    assert_eq!(put.status, 404);
    emu.update(|s| s.metadata_enabled = true);
    assert_eq!(security_key(&emu, &token).status, 200);
}

#[test]
fn configured_temporary_credentials_are_served() {
    let mut cfg = EmulatorConfig::demo();
    cfg.settings.temporary_credentials = vec![ims_emulator::TemporaryCredentials {
        access: "TMPAKFIXED".into(),
        secret: "fixed-secret".into(),
        security_token: "fixed-token".into(),
        expires_at_unix: 1_795_687_200,
    }];
    let emu = start(cfg);
    let token = metadata_token(&emu);
    let r = security_key(&emu, &token);
    assert_eq!(r.json["credential"]["access"], "TMPAKFIXED");
    assert_eq!(
        r.json["credential"]["expires_at"],
        "2026-11-26T10:00:00.000000Z"
    );
}

#[test]
fn permanent_credentials_with_a_security_token() {
    let mut cfg = EmulatorConfig::demo().with_credentials("STSAK", "STSSK");
    cfg.settings.security_token = Some("sts-token".into());
    let emu = start(cfg);
    let ok = Call::job("x")
        .creds(Credentials::new("STSAK", "STSSK").with_security_token("sts-token"))
        .send(&emu);
    assert_eq!(ok.status, 404, "{}", ok.text());
    let missing = Call::job("x")
        .creds(Credentials::new("STSAK", "STSSK"))
        .send(&emu);
    assert_eq!(missing.status, 401, "{}", missing.text());
    let wrong = Call::job("x")
        .creds(Credentials::new("STSAK", "STSSK").with_security_token("other"))
        .send(&emu);
    assert_eq!(wrong.status, 401, "{}", wrong.text());
}

#[test]
fn known_sets_can_change_while_running() {
    let emu = start_with(0);
    emu.update(|s| s.known_instances = Some(HashSet::from([INSTANCE.to_owned()])));
    assert_eq!(Call::create(ecs_body("ok")).send(&emu).status, 200);
    emu.update(|s| s.known_instances = Some(HashSet::new()));
    assert_eq!(Call::create(ecs_body("gone")).send(&emu).code(), "IMG.0005");
}
