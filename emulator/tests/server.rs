//! The server itself: connection counting, statistics, start and shutdown.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::*;
use ims_emulator::{Emulator, EmulatorConfig};

#[test]
fn keep_alive_client_uses_one_connection() {
    let emu = start_with(0);
    let client = new_client();
    let id = Call::create(ecs_body("k"))
        .client(&client)
        .send(&emu)
        .job_id();
    for _ in 0..20 {
        assert_eq!(Call::job(&id).client(&client).send(&emu).status, 200);
    }
    let s = emu.stats();
    assert_eq!(s.connections, 1, "{s:?}");
    assert_eq!(s.requests_total, 21);
    // A second client opens a second connection.
    Call::job(&id).client(&new_client()).send(&emu);
    assert_eq!(emu.stats().connections, 2);
}

#[test]
fn stats_log_and_reset() {
    let emu = start_with(0);
    Call::create(ecs_body("s")).send(&emu);
    Call::job("nope").send(&emu);
    let s = emu.stats();
    assert_eq!(s.requests.len(), 2);
    assert_eq!(s.requests[0].method, "POST");
    assert_eq!(s.requests[0].path, ims_emulator::CREATE_PATH);
    assert_eq!(s.requests[0].status, 200);
    assert_eq!(s.requests[1].path, "/v1/cloudimages/job/nope");
    assert_eq!(s.requests[1].status, 404);
    emu.reset_stats();
    let s = emu.stats();
    assert_eq!(
        (
            s.create_accepted,
            s.images_created,
            s.connections,
            s.requests.len()
        ),
        (0, 0, 0, 0)
    );
}

#[test]
fn url_and_addr() {
    let emu = start_with(0);
    assert!(emu.addr().ip().is_loopback());
    assert_ne!(emu.addr().port(), 0);
    assert_eq!(emu.url(), format!("http://127.0.0.1:{}", emu.addr().port()));
    assert_eq!(emu.host(), format!("127.0.0.1:{}", emu.addr().port()));
    assert_eq!(emu.project_id(), ims_emulator::DEMO_PROJECT_ID);
    assert_eq!(emu.region(), "cn-north-4");
}

#[test]
fn shutdown_closes_the_port() {
    let emu = start_with(0);
    let addr = emu.addr();
    // An idle keep-alive connection does not hold shutdown up.
    let client = new_client();
    Call::job("x").client(&client).send(&emu);
    let t = std::time::Instant::now();
    emu.shutdown();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn drop_shuts_down_too() {
    let addr;
    {
        let emu = start_with(0);
        addr = emu.addr();
        assert!(TcpStream::connect(addr).is_ok());
    }
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn shutdown_does_not_wait_forever_for_a_slow_request() {
    let emu = start_with(0);
    emu.faults().set_response_delay(Duration::from_secs(30));
    let addr = emu.addr();
    let req = Call::job("x").build(&emu);
    let pending = std::thread::spawn(move || req.send());
    std::thread::sleep(Duration::from_millis(200));
    let t = std::time::Instant::now();
    emu.shutdown();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(pending.join().expect("thread").is_err());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn only_loopback() {
    let mut cfg = EmulatorConfig::demo();
    cfg.listen = SocketAddr::from(([0, 0, 0, 0], 0));
    let err = Emulator::start(cfg).expect_err("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn port_in_use_is_an_error() {
    let emu = start_with(0);
    let mut cfg = EmulatorConfig::demo();
    cfg.listen = emu.addr();
    assert!(Emulator::start(cfg).is_err());
}

#[test]
fn many_emulators_at_once() {
    let emus: Vec<Emulator> = (0..4).map(|_| start_with(0)).collect();
    for emu in &emus {
        assert_eq!(Call::create(ecs_body("m")).send(emu).status, 200);
        assert_eq!(emu.stats().images_created, 1);
    }
}

#[test]
fn from_env_uses_the_official_variables_only_when_both_are_set() {
    // Only checks the default path: the variables are not set in tests.
    if std::env::var_os("HUAWEICLOUD_SDK_AK").is_none() {
        let cfg = EmulatorConfig::from_env();
        assert_eq!(cfg.settings.ak, ims_emulator::DEMO_AK);
        assert_eq!(cfg.settings.sk, ims_emulator::DEMO_SK);
    }
}
