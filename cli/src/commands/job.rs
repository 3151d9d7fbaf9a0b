//! `ims job JOB_ID [--wait] [--legacy-endpoint]`, and how a job is printed.

use ims_core::model::Job;
use ims_core::{Client, JobEndpoint, JobId};

use crate::args::{Global, JobArgs, Output};
use crate::exit::Failure;
use crate::progress::JobProgress;

/// Runs `ims job`.
pub fn run(g: &Global, a: &JobArgs) -> Result<(), Failure> {
    let which = if a.legacy_endpoint {
        JobEndpoint::Legacy
    } else {
        JobEndpoint::Progress
    };
    let id = JobId::new(a.job_id.as_str())?;
    let opts = super::wait_options(a.timeout, a.interval)?;
    let client = super::builder(g)?.job_endpoint(which).build()?;
    if a.wait {
        return wait_and_print(&client, &id, &opts, g.output, IdShown::No);
    }
    print_job(&client.job(&id)?, g.output);
    Ok(())
}

/// Whether the job id is already on stdout (text mode prints it as soon as the job exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdShown {
    /// `job_id: ...` was printed.
    Yes,
    /// Nothing was printed yet.
    No,
}

/// Waits with progress on stderr (Ctrl-C cancels: exit 130), then prints the final job. When
/// the wait fails, stdout still gets the job id: in JSON mode one document (the failed or last
/// seen job, else `{"job_id": ...}`), in text mode a `job_id:` line unless `shown` says it is
/// already there.
pub fn wait_and_print(
    client: &Client,
    id: &JobId,
    opts: &ims_core::WaitOptions,
    output: Output,
    shown: IdShown,
) -> Result<(), Failure> {
    crate::interrupt::install();
    let mut progress = JobProgress::new(format!("job {id}"));
    match client.wait_with(id, opts, &mut progress) {
        Ok(job) => {
            progress.finish(&format!(
                "{} image {}",
                job.status,
                job.image_id().unwrap_or("-")
            ));
            print_job(&job, output);
            Ok(())
        }
        Err(e) => {
            progress.finish(&format!("{}", e.kind()));
            match (output, e.job()) {
                (Output::Json, Some(job)) => print_job(job, output),
                (Output::Json, None) => {
                    println!("{}", serde_json::json!({ "job_id": id.as_str() }))
                }
                (Output::Text, _) if shown == IdShown::No => println!("job_id: {id}"),
                (Output::Text, _) => {}
            }
            Err(e.into())
        }
    }
}

/// Prints a job: its document for `--output json`, readable lines otherwise.
pub fn print_job(job: &Job, output: Output) {
    match output {
        Output::Json => println!("{}", job.to_json()),
        Output::Text => {
            let e = &job.entities;
            let percent = job.process_percent().map(|p| format!("{p:.0}%"));
            let rows = [
                ("job_id", Some(job.job_id.as_str())),
                ("status", Some(job.status.as_str())),
                ("job_type", job.job_type.as_deref()),
                ("image_id", job.image_id()),
                ("image_name", e.image_name.as_deref()),
                ("progress", percent.as_deref()),
                ("begin_time", job.begin_time.as_deref()),
                ("end_time", job.end_time.as_deref()),
                ("error_code", job.error_code.as_deref()),
                ("fail_reason", job.fail_reason.as_deref()),
            ];
            for (k, v) in rows {
                if let Some(v) = v {
                    println!("{k}: {v}");
                }
            }
        }
    }
}
