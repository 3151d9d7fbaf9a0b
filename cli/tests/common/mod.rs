//! What the `ims` binary's test files share: an in-process emulator, the binary with a clean
//! environment, its outcome as text, and the first line of a spawned `ims emulator`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output};
use std::time::Duration;

use ims_emulator::{DEMO_AK, DEMO_SK, Emulator, EmulatorConfig};

/// An ECS id of the examples.
pub const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
/// A CBR vault id of the examples.
pub const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";

/// The demo emulator, in process, with jobs of `job`.
pub fn emulator(job: Duration) -> Emulator {
    Emulator::start(EmulatorConfig::demo().with_job_duration(job)).expect("emulator starts")
}

/// `ims` with nothing from this machine's environment but `PATH`: no metadata, the demo AK,
/// no SK.
pub fn bare() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ims"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("IMS_NO_METADATA", "1")
        .env("HUAWEICLOUD_SDK_AK", DEMO_AK);
    c
}

/// [`bare`] with the demo SK, pointed at `emu` when given.
pub fn ims(emu: Option<&Emulator>) -> Command {
    let mut c = bare();
    c.env("HUAWEICLOUD_SDK_SK", DEMO_SK);
    if let Some(e) = emu {
        c.args(["--endpoint", &e.url(), "--project-id", &e.project_id()]);
    }
    c
}

/// Runs `cmd` to the end: exit code (-1 for a signal), stdout, stderr.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("ims runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// `text` as JSON, or a panic that shows it.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// The first stdout line of a spawned `ims emulator` (its base URL), trimmed.
pub fn first_line(child: &mut Child) -> String {
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    first.trim().to_owned()
}
