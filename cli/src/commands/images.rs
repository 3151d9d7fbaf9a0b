//! `ims images list|quota|delete`: the single image calls fleet imaging is made of.

use ims_core::model::{Image, ImageQuery};
use serde_json::{Value, json};

use crate::args::{Global, ImagesCommand, ImagesListArgs, Output};
use crate::exit::Failure;

/// Runs `ims images ...`.
pub fn run(g: &Global, command: &ImagesCommand) -> Result<(), Failure> {
    match command {
        ImagesCommand::List(a) => list(g, a),
        ImagesCommand::Quota => {
            let q = super::client(g)?.image_quota()?;
            match g.output {
                Output::Json => println!(
                    "{}",
                    json!({"used": q.used, "quota": q.quota, "remaining": q.remaining()})
                ),
                Output::Text => {
                    println!("used: {}", q.used);
                    println!("quota: {}", q.quota);
                    println!("remaining: {}", q.remaining());
                }
            }
            Ok(())
        }
        ImagesCommand::Delete(a) => {
            if a.image_id.trim().is_empty() {
                return Err(Failure::usage("image_id: must not be empty"));
            }
            super::client(g)?.delete_image(&a.image_id, a.delete_backup)?;
            match g.output {
                Output::Json => println!(
                    "{}",
                    json!({"image_id": a.image_id, "delete_accepted": true, "delete_backup": a.delete_backup})
                ),
                Output::Text => println!(
                    "delete of {} accepted (the image leaves the list shortly: confirm with ims images list)",
                    a.image_id
                ),
            }
            Ok(())
        }
    }
}

/// The query the flags describe, checked before anything is sent.
fn query(a: &ImagesListArgs) -> Result<ImageQuery, Failure> {
    let q = ImageQuery {
        tag: a.tag.clone(),
        name: a.name.clone(),
        status: a.status.clone(),
        imagetype: a.imagetype.clone(),
        whole_image: a.whole_image,
        created_at: a.created_at.clone(),
        sort_key: a.sort_key.clone(),
        sort_dir: a.sort_dir.clone(),
        page_size: a.page_size,
    };
    if let Some(t) = &q.tag
        && !t.contains('=')
    {
        return Err(Failure::usage(format!("--tag {t:?}: must be KEY=VALUE")));
    }
    q.validate()
        .map_err(|e| Failure::usage(format!("image query: {e}")))?;
    Ok(q)
}

fn list(g: &Global, a: &ImagesListArgs) -> Result<(), Failure> {
    let q = query(a)?;
    let images = super::client(g)?.list_images(&q)?;
    match g.output {
        Output::Json => println!(
            "{}",
            json!({"images": images.iter().map(image_json).collect::<Vec<_>>()})
        ),
        Output::Text => {
            for i in &images {
                println!(
                    "{}  {:<7}  {}  {}",
                    i.id,
                    i.status,
                    if i.created_at.is_empty() {
                        "-"
                    } else {
                        &i.created_at
                    },
                    i.name
                );
            }
        }
    }
    Ok(())
}

/// One image as JSON, in the list's own field names.
pub fn image_json(i: &Image) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "status": i.status,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
        "tags": i.tags.iter().map(|t| format!("{}={}", t.key, t.value)).collect::<Vec<_>>(),
        "__imagetype": i.imagetype,
        "__whole_image": i.whole_image,
        "__backup_id": i.backup_id,
        "owner": i.owner,
    })
}
