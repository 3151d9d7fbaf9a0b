//! Project id resolution: explicit, from the credentials' source, or looked up in IAM
//! (`GET /v3/projects?name={region}`), cached for the process per access key, region and IAM
//! endpoint (two IAM endpoints may well know two different projects of the same name).
//!
//! Concurrent first calls share one lookup: one call asks IAM while the others wait for its
//! answer (10,000 first polls send one IAM request, not 10,000). A call that waited for a lookup
//! that failed gets that failure too, rather than asking again at once. The client's slot and
//! the process cache are locked only to read or store a value, so a slow lookup never holds up
//! a call that needs no lookup (a dry run, or a client with another key).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use reqwest::Method;

use super::retry::Idempotency;
use super::transport::Call;
use super::{ClientAuth, Inner};
use crate::error::{Error, Result};

/// (access key, region, IAM endpoint URL) → project id.
type CacheKey = (String, String, String);

static CACHE: LazyLock<Mutex<HashMap<CacheKey, String>>> = LazyLock::new(Mutex::default);

/// The lookup in progress, shared by concurrent first calls (one per client and process).
#[derive(Default)]
pub(crate) struct Lookup {
    /// Lookups finished so far: a call that saw this number before it waited, and finds a
    /// higher one, waited for a lookup that ended.
    finished: AtomicU64,
    /// Held while IAM is asked; holds the last lookup's failure, if it failed.
    gate: tokio::sync::Mutex<Option<Error>>,
}

impl Inner {
    /// The project id to send, resolving it on first use (one lookup for all concurrent calls).
    pub(crate) async fn project_id(&self) -> Result<String> {
        if let Some(p) = self.known_project_id() {
            return Ok(p);
        }
        let process = self.process()?;
        let lookup = &process.project_lookup;
        let before = lookup.finished.load(Ordering::Acquire);
        let mut last_failure = lookup.gate.lock().await;
        if let Some(p) = self.known_project_id() {
            return Ok(p);
        }
        if lookup.finished.load(Ordering::Acquire) != before
            && let Some(e) = last_failure.as_ref()
        {
            return Err(e.shared_copy());
        }
        let resolved = self.resolve_project().await;
        lookup.finished.fetch_add(1, Ordering::AcqRel);
        match resolved {
            Ok(id) => {
                *last_failure = None;
                let mut slot = self.project_id.lock().unwrap_or_else(|p| p.into_inner());
                Ok(slot.get_or_insert(id).clone())
            }
            Err(e) => {
                *last_failure = Some(e.shared_copy());
                Err(e)
            }
        }
    }

    /// The project id once known (given, or looked up before).
    fn known_project_id(&self) -> Option<String> {
        self.project_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The project id when it is known without asking IAM.
    pub(crate) fn project_id_if_known(&self) -> Option<String> {
        let slot = self.project_id.lock().unwrap_or_else(|p| p.into_inner());
        slot.clone().or_else(|| match &self.auth {
            ClientAuth::AkSk(p) => p.project_id(),
            ClientAuth::Token(_) => None,
        })
    }

    async fn resolve_project(&self) -> Result<String> {
        let provider = match &self.auth {
            ClientAuth::AkSk(p) => p,
            ClientAuth::Token(_) => {
                return Err(Error::Config(
                    "token authentication needs an explicit project id".to_owned(),
                ));
            }
        };
        // Credentials first: a chain then knows which of its sources answers, without asking
        // a network source (instance metadata) through its blocking method.
        let creds = crate::credentials::ask(provider).await?;
        if let Some(p) = provider.project_id() {
            return Ok(p);
        }
        let region = self.region.clone().ok_or_else(|| {
            Error::Config("no project id: give one (project_id, HUAWEICLOUD_SDK_PROJECT_ID) or a region to look it up in IAM".to_owned())
        })?;
        let iam = self
            .iam_endpoint
            .as_ref()
            .map_err(|e| Error::Config(e.clone()))?;
        let ak = creds.access_key().to_owned();
        let key = (ak, region.clone(), iam.as_str().to_owned());
        if let Some(p) = CACHE.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(p.clone());
        }
        let call = Call {
            method: Method::GET,
            endpoint: iam,
            path: iam.path("/v3/projects"),
            query: &[("name", region.as_str())],
            body: None,
            project_id: None,
            service: "iam",
            idempotency: Idempotency::Safe,
            sending: None,
        };
        let resp = self.execute(&call).await?;
        let doc = super::response::json_body(&resp)?;
        let ids: Vec<String> = doc["projects"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        match ids.as_slice() {
            [one] => {
                let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
                Ok(cache.entry(key).or_insert_with(|| one.clone()).clone())
            }
            [] => Err(Error::Config(format!(
                "IAM has no project named {region:?} for this account: check the region, or give the project id explicitly"
            ))),
            many => Err(Error::Config(format!(
                "IAM has {} projects named {region:?} ({}): give the one to use explicitly (project_id / HUAWEICLOUD_SDK_PROJECT_ID)",
                many.len(),
                many.join(", ")
            ))),
        }
    }
}
