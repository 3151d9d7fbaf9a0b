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

/// A fresh, empty directory under the system's temporary directory.
pub fn temp_dir(label: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ims-cli-{label}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The key of item `i` of the test manifests.
pub fn item_key(i: usize) -> String {
    format!("srv-{i:03}")
}

/// A manifest of `n` full-ECS images from distinct ECSs, keys [`item_key`], written to
/// `dir/name.jsonl`.
pub fn write_manifest(dir: &std::path::Path, name: &str, n: usize) -> std::path::PathBuf {
    let mut text = String::from("# test fleet\n");
    for i in 0..n {
        text.push_str(&format!(
            "{{\"key\": \"{}\", \"name\": \"img-{i}\", \"instance_id\": \"{:08x}-0000-4000-8000-{i:012x}\", \"vault_id\": \"{VAULT}\"}}\n",
            item_key(i),
            i
        ));
    }
    let path = dir.join(format!("{name}.jsonl"));
    std::fs::write(&path, text).expect("manifest written");
    path
}

/// A core client on `emu` with the demo credentials.
pub fn core_client(emu: &Emulator) -> ims_core::Client {
    ims_core::Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .credentials(ims_core::Credentials::new(DEMO_AK, DEMO_SK))
        .build()
        .expect("client")
}

/// The live (not killed, not deleted) images carrying the fleet tag of (fleet, run, key).
pub fn live_images(
    client: &ims_core::Client,
    fleet: &str,
    run: &str,
    key: &str,
) -> Vec<ims_core::model::Image> {
    let tag = ims_core::fleet::FleetTag::new(fleet, run, key);
    let q = ims_core::model::ImageQuery::private_whole_images_tagged(&tag.key, &tag.value);
    client
        .list_images(&q)
        .expect("images listed")
        .into_iter()
        .filter(|i| {
            i.tag(&tag.key) == Some(tag.value.as_str())
                && i.status != "killed"
                && i.status != "deleted"
        })
        .collect()
}

/// The creates the emulator received (answered or not).
pub fn creates(emu: &Emulator) -> usize {
    emu.stats()
        .requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == ims_emulator::CREATE_PATH)
        .count()
}

/// The items of `run` in the journal at `path` (read-only), as (key, state) pairs.
pub fn journal_states(path: &std::path::Path, run: &str) -> Vec<(String, String)> {
    use ims_core::fleet::Journal;
    let j = ims_core::fleet::SqliteJournal::open_read_only(path).expect("journal readable");
    j.runs()
        .expect("runs")
        .into_iter()
        .filter(|r| r.run == run)
        .flat_map(|r| r.items)
        .map(|i| (i.key, i.state.as_str().to_owned()))
        .collect()
}
