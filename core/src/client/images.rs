//! The image calls fleet imaging needs: list images (page by page, to the end), the image
//! quota, and deleting an image.

use reqwest::Method;

use super::Inner;
use super::response::{self, RawResponse};
use super::retry::Idempotency;
use super::transport::Call;
use crate::error::{Error, Result};
use crate::model::Image;
use crate::model::image::{DEFAULT_PAGE_SIZE, ImagePage, ImageQuery, ImageQuota, read_image_page};
use crate::sign::encode;

/// A listing stops with an error after this many pages (a service whose marker never ends).
pub const MAX_PAGES: u32 = 100_000;

impl Inner {
    /// One page of `GET /v2/cloudimages`, after `marker` (the last id of the previous page).
    pub(crate) async fn list_images_page(
        &self,
        query: &ImageQuery,
        marker: Option<&str>,
    ) -> Result<ImagePage> {
        query.validate()?;
        let project = self.project_id().await?;
        let pairs = query.to_pairs(marker);
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let call = Call {
            method: Method::GET,
            endpoint: &self.endpoint,
            path: self.endpoint.path("/v2/cloudimages"),
            query: &borrowed,
            body: None,
            project_id: Some(&project),
            service: "ims",
            idempotency: Idempotency::Safe,
            sending: None,
        };
        let resp = self.execute(&call).await?;
        let page_size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        match read_image_page(&resp.body, page_size) {
            Ok(page) => Ok(page),
            Err(e) => Err(self.invalid(&resp, "an image list", &e).await),
        }
    }

    /// Every image `query` selects, page after page, each handed to `visit` (which returns
    /// `false` to stop early); one page in memory at a time.
    pub(crate) async fn visit_images(
        &self,
        query: &ImageQuery,
        visit: &mut (dyn FnMut(Image) -> bool + Send),
    ) -> Result<()> {
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_images_page(query, marker.as_deref()).await?;
            for image in page.images {
                if !visit(image) {
                    return Ok(());
                }
            }
            match page.next_marker {
                None => return Ok(()),
                Some(next) if marker.as_deref() == Some(next.as_str()) => {
                    return Err(Error::InvalidResponse {
                        status: 200,
                        message: format!(
                            "the image list does not advance: the page after marker {next} ends with it again"
                        ),
                        request_id: None,
                    });
                }
                Some(next) => marker = Some(next),
            }
        }
        Err(Error::InvalidResponse {
            status: 200,
            message: format!("the image list did not end after {MAX_PAGES} pages"),
            request_id: None,
        })
    }

    /// `GET /v1/cloudimages/quota`: the region's private-image quota and use.
    pub(crate) async fn image_quota(&self) -> Result<ImageQuota> {
        let project = self.project_id().await?;
        let call = Call {
            method: Method::GET,
            endpoint: &self.endpoint,
            path: self.endpoint.path("/v1/cloudimages/quota"),
            query: &[],
            body: None,
            project_id: Some(&project),
            service: "ims",
            idempotency: Idempotency::Safe,
            sending: None,
        };
        let resp = self.execute(&call).await?;
        match ImageQuota::from_json(&resp.body) {
            Ok(q) => Ok(q),
            Err(e) => Err(self.invalid(&resp, "an image quota", &e).await),
        }
    }

    /// `DELETE /v2/images/{image_id}` with `{"delete_backup": ...}`: answered at once (204);
    /// the image leaves the list later. Retried like a read: deleting twice deletes once.
    pub(crate) async fn delete_image(&self, image_id: &str, delete_backup: bool) -> Result<()> {
        check_image_id(image_id)?;
        let project = self.project_id().await?;
        let body = serde_json::json!({ "delete_backup": delete_backup }).to_string();
        let api_path = format!("/v2/images/{}", encode::encode(image_id));
        let call = Call {
            method: Method::DELETE,
            endpoint: &self.endpoint,
            path: self.endpoint.path(&api_path),
            query: &[],
            body: Some(body.as_bytes()),
            project_id: Some(&project),
            service: "ims",
            idempotency: Idempotency::Safe,
            sending: None,
        };
        self.execute(&call).await.map(drop)
    }

    /// The error of a 2xx answer that is not what was asked for, scrubbed of this client's
    /// secrets.
    async fn invalid(&self, resp: &RawResponse, what: &str, why: &str) -> Error {
        let known = self.known_secrets().await;
        Error::InvalidResponse {
            status: resp.status,
            message: format!(
                "expected {what}, got: {} ({why})",
                response::snippet(&resp.body, &known)
            ),
            request_id: resp.request_id.clone(),
        }
    }
}

/// An image id is one path segment of printable characters, at most 64 of them.
fn check_image_id(image_id: &str) -> Result<()> {
    use crate::validate::{Rule, ValidationErrors, Violation};
    let mut out = Vec::new();
    if image_id.is_empty() || image_id.chars().count() > 64 {
        out.push(Violation::new(
            "image_id",
            Rule::Length,
            "must be 1-64 characters",
        ));
    }
    if image_id
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '/')
    {
        out.push(
            Violation::new(
                "image_id",
                Rule::Charset,
                "must not contain whitespace, control characters or '/'",
            )
            .with_value(image_id),
        );
    }
    Ok(ValidationErrors::from_violations(out)?)
}
