//! `ims create-whole-image`: from flags or a JSON body, with `--dry-run` and `--wait`.

use std::io::Read;

use ims_core::model::{ImageTag, WholeImageRequest};

use super::job::IdShown;
use crate::args::{CreateArgs, Global, Output};
use crate::exit::Failure;

/// Runs `ims create-whole-image`.
pub fn run(g: &Global, a: &CreateArgs) -> Result<(), Failure> {
    let request = match &a.request_file {
        Some(path) => from_file(path)?,
        None => from_flags(a)?,
    };
    // Every argument is checked before the first byte is sent (also for a dry run, which
    // promises to validate): exit 2 must mean "nothing sent".
    let wait_options = super::wait_options(a.timeout, a.interval)?;
    let client = super::client(g)?;
    if a.dry_run {
        let preview = client.preview_create(&request)?;
        match g.output {
            Output::Text => println!("{preview}"),
            Output::Json => {
                let headers: serde_json::Map<String, serde_json::Value> = preview
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into()))
                    .collect();
                let body: serde_json::Value =
                    serde_json::from_str(&preview.body).unwrap_or(preview.body.clone().into());
                let doc = serde_json::json!({"method": preview.method, "url": preview.url, "headers": headers, "body": body});
                println!("{doc}");
            }
        }
        return Ok(());
    }
    let id = client.create_whole_image(&request)?;
    // From here on the job exists: its id reaches stdout whatever happens next. With --wait in
    // JSON mode, `wait_and_print` prints one document holding it (the job, or `{"job_id"}`).
    match g.output {
        Output::Json if !a.wait => println!("{}", serde_json::json!({ "job_id": id.as_str() })),
        Output::Text => println!("job_id: {id}"),
        Output::Json => {}
    }
    if a.wait {
        super::job::wait_and_print(&client, &id, &wait_options, g.output, IdShown::Yes)?;
    }
    Ok(())
}

fn from_file(path: &str) -> Result<WholeImageRequest, Failure> {
    let text = if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::usage(format!("cannot read the request from stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {path}: {e}")))?
    };
    Ok(WholeImageRequest::from_json(&text).map_err(ims_core::Error::from)?)
}

fn from_flags(a: &CreateArgs) -> Result<WholeImageRequest, Failure> {
    let name = a.name.clone().unwrap_or_default();
    // The source rule is core's (`Source::from_ids`), reported in the same words as for JSON
    // and Python, with every other violation.
    let mut b = WholeImageRequest::builder(name).source_ids(
        a.instance_id.as_deref(),
        a.vault_id.as_deref(),
        a.backup_id.as_deref(),
    );
    if let Some(d) = &a.description {
        b = b.description(d);
    }
    for t in &a.tags {
        let tag = ImageTag::parse_key_value(t)
            .map_err(|e| Failure::usage(format!("--tag {t:?}: {e}")))?;
        b = b.tag(tag.key, tag.value);
    }
    for t in &a.legacy_tags {
        b = b.legacy_tag(t);
    }
    if let Some(m) = a.min_ram {
        b = b.min_ram(m);
    }
    if let Some(m) = a.max_ram {
        b = b.max_ram(m);
    }
    if let Some(e) = &a.enterprise_project_id {
        b = b.enterprise_project_id(e);
    }
    Ok(b.build().map_err(ims_core::Error::from)?)
}
