//! `ims demo`: the whole story against the in-process emulator, no credentials, no network.
//!
//! Two images (one from an ECS, one from a CBR backup) are created and waited for with progress;
//! then a request that breaks several rules, and a job that fails, are shown as a user sees them.

use std::time::Duration;

use ims_core::model::WholeImageRequest;
use ims_core::{Client, Credentials, Error, WaitOptions};
use ims_emulator::{DEMO_AK, DEMO_SK, Emulator, EmulatorConfig, ServerCertificate};

use crate::args::DemoArgs;
use crate::exit::Failure;
use crate::progress::JobProgress;

/// Runs the demo; succeeds only if every step behaved as it should.
pub fn run(a: &DemoArgs) -> Result<(), Failure> {
    let duration = Duration::try_from_secs_f64(a.job_seconds).map_err(|_| {
        Failure::usage(format!(
            "--job-seconds {}: must be a non-negative number",
            a.job_seconds
        ))
    })?;
    // Over HTTPS, as the real service: a CA made now, trusted by this client only.
    let config = EmulatorConfig::demo()
        .with_job_duration(duration)
        .with_tls(ServerCertificate::Valid)
        .map_err(|e| Failure::config(format!("cannot make the TLS certificates: {e}")))?;
    let emu = Emulator::start(config)
        .map_err(|e| Failure::config(format!("cannot start the emulator: {e}")))?;
    let ca_pem = emu.ca_pem().unwrap_or_default().to_owned();
    println!(
        "IMS emulator on {} (demo AK {DEMO_AK}, project {})",
        emu.url(),
        emu.project_id()
    );
    let client = Client::builder()
        .endpoint(emu.url())
        .project_id(emu.project_id())
        .credentials(Credentials::new(DEMO_AK, DEMO_SK))
        .add_root_certificate_pem(ca_pem)
        .build()?;
    let wait = WaitOptions {
        first_delay: Duration::from_millis(200),
        interval: Duration::from_millis(250),
        max_interval: Duration::from_millis(500),
        timeout: Duration::from_secs(120),
        ..WaitOptions::default()
    };

    println!("\n1. Full-ECS image from an ECS");
    let ecs = WholeImageRequest::from_ecs(
        "demo-from-ecs",
        "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
        "de9fcf45-11b2-432c-8562-5c5428574600",
    )
    .description("created by ims demo")
    .tag("env", "demo")
    .build()
    .map_err(Error::from)?;
    let ecs_image = create_and_wait(&client, &ecs, &wait)?;

    println!("\n2. Full-ECS image from a CBR backup");
    let backup =
        WholeImageRequest::from_backup("demo-from-backup", "9b27efab-4a17-4c06-bfa2-3e0cf021d3c3")
            .legacy_tag("env.demo")
            .build()
            .map_err(Error::from)?;
    let backup_image = create_and_wait(&client, &backup, &wait)?;

    println!("\n3. A request that breaks the rules (nothing is sent)");
    let bad = WholeImageRequest::from_ecs("bad/name ", "", "de9fcf45-11b2-432c-8562-5c5428574600")
        .description("line one\nline two")
        .tag("env", "demo")
        .legacy_tag("owner.alice")
        .min_ram(4096)
        .max_ram(1024)
        .build();
    match bad {
        Err(errors) => {
            println!(
                "   invalid request, {} violations, nothing sent:",
                errors.len()
            );
            for v in errors.iter() {
                println!("     - {v}");
            }
        }
        Ok(_) => return Err(Failure::usage("demo: the invalid request was accepted")),
    }

    println!("\n4. A job that fails on the service");
    emu.faults().fail_next_jobs(1);
    let failing = WholeImageRequest::from_ecs(
        "demo-will-fail",
        "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
        "de9fcf45-11b2-432c-8562-5c5428574600",
    )
    .build()
    .map_err(Error::from)?;
    match create_and_wait(&client, &failing, &wait) {
        Err(f) if f.code == crate::exit::JOB_FAILED => println!("   error: {}", f.message),
        Err(f) => return Err(f),
        Ok(_) => return Err(Failure::usage("demo: the failing job succeeded")),
    }

    let stats = emu.stats();
    println!(
        "\nImages: {ecs_image} (from the ECS), {backup_image} (from the backup). \
         The emulator saw {} requests on {} connection(s).",
        stats.requests_total, stats.connections
    );
    emu.shutdown();
    Ok(())
}

fn create_and_wait(
    client: &Client,
    request: &WholeImageRequest,
    wait: &WaitOptions,
) -> Result<String, Failure> {
    let id = client.create_whole_image(request)?;
    println!("   job {id} created for image {:?}", request.name);
    let mut progress = JobProgress::new(format!("   {}", request.name));
    match client.wait_with(&id, wait, &mut progress) {
        Ok(job) => {
            let image = job.image_id().unwrap_or("-").to_owned();
            progress.finish(&format!("SUCCESS image {image}"));
            println!("   image id: {image}");
            Ok(image)
        }
        Err(e) => {
            progress.finish(e.kind().as_str());
            Err(e.into())
        }
    }
}
