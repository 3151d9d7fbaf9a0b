//! Project id resolution: explicit, from the credentials' source, or looked up in IAM
//! (`GET /v3/projects?name={region}`), cached for the process per access key, region and IAM
//! endpoint (two IAM endpoints may well know two different projects of the same name).
//!
//! No lock is held while IAM is asked: the client's slot and the process cache are locked only
//! to read or store a value, so a slow lookup (with its retries) never holds up another thread
//! (a dry run, or a client with another key). Threads that find no id at the same time may
//! each look it up; the first answer is kept.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use reqwest::Method;

use super::retry::Idempotency;
use super::transport::Call;
use super::{ClientAuth, Inner};
use crate::error::{Error, Result};

/// (access key, region, IAM endpoint URL) → project id.
type CacheKey = (String, String, String);

static CACHE: LazyLock<Mutex<HashMap<CacheKey, String>>> = LazyLock::new(Mutex::default);

impl Inner {
    /// The project id to send, resolving it on first use.
    pub(crate) async fn project_id(&self) -> Result<String> {
        let known = self
            .project_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(p) = known {
            return Ok(p);
        }
        let resolved = self.resolve_project().await?;
        let mut slot = self.project_id.lock().unwrap_or_else(|p| p.into_inner());
        Ok(slot.get_or_insert(resolved).clone())
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
        let creds = provider.credentials_async().await?;
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
