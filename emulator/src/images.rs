//! The image records: one per accepted create, with the status its job gives it, as
//! `GET /v2/cloudimages` lists them, `GET /v1/cloudimages/quota` counts them and
//! `DELETE /v2/images/{id}` removes them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::clock;
use crate::jobs::{JobPhase, JobRecord};

/// What a create knows about the image it makes.
#[derive(Debug, Clone)]
pub(crate) struct NewImage {
    /// The image id (the job's `entities.image_id`).
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `(key, value)` pairs, from either tag form of the request.
    pub tags: Vec<(String, String)>,
    /// The project id.
    pub owner: String,
    /// The CBR/CSBS backup a backup-made image came from.
    pub backup_id: Option<String>,
    /// The ECS an ECS-made image came from.
    pub instance_id: Option<String>,
    pub min_ram: Option<i64>,
}

/// The status an image shows: `queued` while its job is INIT, `saving` while it runs,
/// `active` once it succeeded, `killed` once it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageStatus {
    Queued,
    Saving,
    Active,
    Killed,
}

impl ImageStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Queued => "queued",
            ImageStatus::Saving => "saving",
            ImageStatus::Active => "active",
            ImageStatus::Killed => "killed",
        }
    }

    /// Whether the image is still being created (and so cannot be deleted).
    pub fn in_creation(self) -> bool {
        matches!(self, ImageStatus::Queued | ImageStatus::Saving)
    }
}

/// One image.
#[derive(Debug)]
pub(crate) struct ImageRecord {
    pub image: NewImage,
    pub job: Arc<JobRecord>,
    /// Listed from then on ([`crate::Settings::list_delay`] after the create).
    visible_at: Instant,
    /// When a delete was accepted: when the image leaves the store, and whether its backup
    /// goes with it.
    deletion: Option<(Instant, bool)>,
}

impl ImageRecord {
    /// The record of `image`, made by `job`, listed `list_delay` after now.
    pub fn new(image: NewImage, job: Arc<JobRecord>, list_delay: Duration) -> Self {
        let visible_at = job.created + list_delay;
        ImageRecord {
            image,
            job,
            visible_at,
            deletion: None,
        }
    }

    /// The status at `now`, from the job's phase.
    pub fn status(&self, now: Instant) -> ImageStatus {
        match self.job.phase(now) {
            JobPhase::Init => ImageStatus::Queued,
            JobPhase::Running(_) => ImageStatus::Saving,
            JobPhase::Success => ImageStatus::Active,
            JobPhase::Fail => ImageStatus::Killed,
        }
    }

    /// Creation time, Unix seconds (the job's begin time).
    pub fn created_unix(&self) -> i64 {
        self.job.begin_millis.div_euclid(1000)
    }

    /// Last change, Unix seconds: the creation, then the job's end once it ended.
    pub fn updated_unix(&self, now: Instant) -> i64 {
        if self.status(now).in_creation() {
            return self.created_unix();
        }
        let millis = i64::try_from(self.job.duration.as_millis()).unwrap_or(i64::MAX);
        self.job
            .begin_millis
            .saturating_add(millis)
            .div_euclid(1000)
    }

    /// Whether the list shows it at `now` ([`crate::Settings::list_delay`] has passed).
    pub fn listed(&self, now: Instant) -> bool {
        now >= self.visible_at
    }

    /// The tags as the list shows them: `"key=value"` strings.
    pub fn tag_strings(&self) -> Vec<String> {
        self.image
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    /// Whether it carries exactly the tag `key=value`.
    pub fn has_tag(&self, key: &str, value: &str) -> bool {
        self.image.tags.iter().any(|(k, v)| k == key && v == value)
    }

    /// The image as one entry of the list answer (the documented fields of a private
    /// full-ECS image).
    pub fn document(&self, now: Instant) -> Value {
        let img = &self.image;
        let data_origin = match (&img.backup_id, &img.instance_id) {
            (Some(b), _) => format!("backup,{b}"),
            (None, Some(i)) => format!("instance,{i}"),
            (None, None) => String::new(),
        };
        json!({
            "schema": "/v2/schemas/image",
            "id": img.id,
            "name": img.name,
            "status": self.status(now).as_str(),
            "created_at": clock::image_time(self.created_unix()),
            "updated_at": clock::image_time(self.updated_unix(now)),
            "tags": self.tag_strings(),
            "owner": img.owner,
            "visibility": "private",
            "protected": false,
            "__imagetype": "private",
            "__whole_image": true,
            "__isregistered": "true",
            "__backup_id": img.backup_id.clone().unwrap_or_default(),
            "__data_origin": data_origin,
            "__description": img.description.clone().unwrap_or_default(),
            "__image_source_type": "uds",
            "__os_type": "Linux",
            "__platform": "Other",
            "__os_bit": "64",
            "__lazyloading": "true",
            "container_format": "bare",
            "disk_format": "zvhd2",
            "min_ram": img.min_ram.unwrap_or(0),
            "min_disk": 40,
            "size": 0,
            "virtual_size": 0,
            "virtual_env_type": "FusionCompute",
            "hw_firmware_type": "bios",
            "enterprise_project_id": "0",
            "checksum": "d41d8cd98f00b204e9800998ecf8427e",
            "file": format!("/v2/images/{}/file", img.id),
            "self": format!("/v2/images/{}", img.id),
        })
    }
}

/// Why a delete was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteRefusal {
    /// No such image (or its deletion completed).
    NotFound,
    /// The image is still being created (`queued` or `saving`).
    BeingCreated,
}

/// Every image not yet gone, by id.
#[derive(Debug, Default)]
pub(crate) struct ImageStore {
    images: HashMap<String, ImageRecord>,
}

impl ImageStore {
    /// Stores an image.
    pub fn insert(&mut self, image: ImageRecord) {
        self.images.insert(image.image.id.clone(), image);
    }

    /// Removes the images whose deletion completed by `now`. A removed backup-made image
    /// frees its backup for another image unless the backup was deleted with it.
    pub fn purge(&mut self, now: Instant, used_backups: &mut HashSet<String>) {
        self.images.retain(|_, img| match img.deletion {
            Some((gone_at, delete_backup)) if now >= gone_at => {
                if let (Some(backup), false) = (&img.image.backup_id, delete_backup) {
                    used_backups.remove(backup);
                }
                false
            }
            _ => true,
        });
    }

    /// How many images count against the quota: every image not gone, whatever its status
    /// (`killed` ones and ones whose deletion is pending included, listed or not yet).
    pub fn used(&self) -> usize {
        self.images.len()
    }

    /// The images the list shows at `now`.
    pub fn listed(&self, now: Instant) -> impl Iterator<Item = &ImageRecord> {
        self.images.values().filter(move |i| i.listed(now))
    }

    /// Accepts the deletion of `id`: it leaves the store `delay` after now (a repeated delete
    /// while it is pending is accepted and keeps the first deadline).
    pub fn delete(
        &mut self,
        id: &str,
        now: Instant,
        delay: Duration,
        delete_backup: bool,
    ) -> Result<(), DeleteRefusal> {
        let img = self.images.get_mut(id).ok_or(DeleteRefusal::NotFound)?;
        if img.deletion.is_some() {
            return Ok(());
        }
        if img.status(now).in_creation() {
            return Err(DeleteRefusal::BeingCreated);
        }
        img.deletion = Some((now + delay, delete_backup));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(duration_ms: u64, fail: bool, list_delay: Duration) -> ImageRecord {
        let job = JobRecord {
            job_id: "j".into(),
            job_type: "imsCreateWholeImageByInstanceJob",
            image_name: "img".into(),
            image_id: "i-1".into(),
            created: Instant::now(),
            begin_millis: 1_730_874_494_425,
            duration: Duration::from_millis(duration_ms),
            failure: fail.then(crate::faults::JobFailure::default),
        };
        let image = NewImage {
            id: "i-1".into(),
            name: "img".into(),
            description: None,
            tags: vec![("fleet".into(), "a".into()), ("k".into(), "".into())],
            owner: "p".into(),
            backup_id: Some("b-1".into()),
            instance_id: None,
            min_ram: None,
        };
        ImageRecord::new(image, Arc::new(job), list_delay)
    }

    #[test]
    fn status_follows_the_job() {
        let img = record(10_000, false, Duration::ZERO);
        let at = |ms| img.job.created + Duration::from_millis(ms);
        assert_eq!(img.status(at(0)), ImageStatus::Queued);
        assert_eq!(img.status(at(5_000)), ImageStatus::Saving);
        assert_eq!(img.status(at(10_000)), ImageStatus::Active);
        assert_eq!(img.created_unix(), 1_730_874_494);
        assert_eq!(img.updated_unix(at(0)), 1_730_874_494);
        assert_eq!(img.updated_unix(at(10_000)), 1_730_874_504);
        let doc = img.document(at(10_000));
        assert_eq!(doc["created_at"], "2024-11-06T06:28:14Z");
        assert_eq!(doc["updated_at"], "2024-11-06T06:28:24Z");
        assert_eq!(doc["tags"], json!(["fleet=a", "k="]));
        assert_eq!(doc["__backup_id"], "b-1");
        let failed = record(0, true, Duration::ZERO);
        assert_eq!(failed.status(failed.job.created), ImageStatus::Killed);
    }

    #[test]
    fn delete_purge_and_backup_release() {
        let mut store = ImageStore::default();
        let img = record(0, false, Duration::from_secs(60));
        let t0 = img.job.created;
        store.insert(img);
        assert_eq!(store.listed(t0).count(), 0, "hidden by list_delay");
        assert_eq!(store.used(), 1);
        assert_eq!(
            store.delete("nope", t0, Duration::ZERO, false),
            Err(DeleteRefusal::NotFound)
        );
        store
            .delete("i-1", t0, Duration::from_secs(1), false)
            .unwrap();
        let mut backups: HashSet<String> = ["b-1".to_owned()].into();
        store.purge(t0, &mut backups);
        assert_eq!(store.used(), 1, "still pending");
        store.purge(t0 + Duration::from_secs(1), &mut backups);
        assert_eq!(store.used(), 0);
        assert!(backups.is_empty(), "the backup can make another image");
    }

    #[test]
    fn an_image_in_creation_cannot_be_deleted() {
        let mut store = ImageStore::default();
        let img = record(10_000, false, Duration::ZERO);
        let t0 = img.job.created;
        store.insert(img);
        assert_eq!(
            store.delete("i-1", t0, Duration::ZERO, false),
            Err(DeleteRefusal::BeingCreated)
        );
    }
}
