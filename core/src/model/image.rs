//! Images as the image list shows them (`GET /v2/cloudimages`), the query that selects them,
//! and the image quota (`GET /v1/cloudimages/quota`).

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::ImageTag;
use crate::validate::{Rule, ValidationErrors, Violation};

/// The page size this client asks for when none is given (the service's default is 500).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page the service serves.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The filters of an image listing (`GET /v2/cloudimages`): every field left `None` is not
/// sent. Paging (`limit`, `marker`) is the client's business: see
/// [`crate::AsyncClient::list_images`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageQuery {
    /// `tag`: one tag, `key=value`, matched exactly.
    pub tag: Option<String>,
    /// `name`: the image name, matched exactly.
    pub name: Option<String>,
    /// `status`: `queued`, `saving`, `active`, `killed` or `deleted`.
    pub status: Option<String>,
    /// `__imagetype`: `gold`, `private`, `shared` or `market`.
    pub imagetype: Option<String>,
    /// `__whole_image`: whether the image is a full-ECS image.
    pub whole_image: Option<bool>,
    /// `created_at`: an operator and a UTC time, `gte:2026-12-01T00:00:00Z`.
    pub created_at: Option<String>,
    /// `sort_key`: `created_at`, `name`, `container_format`, `disk_format`, `status`, `id`,
    /// `size`.
    pub sort_key: Option<String>,
    /// `sort_dir`: `asc` or `desc`.
    pub sort_dir: Option<String>,
    /// `limit`: images per page (1 to [`MAX_PAGE_SIZE`]; [`DEFAULT_PAGE_SIZE`] when `None`).
    pub page_size: Option<u32>,
}

impl ImageQuery {
    /// Private full-ECS images carrying the tag `key=value`.
    pub fn private_whole_images_tagged(key: &str, value: &str) -> ImageQuery {
        ImageQuery {
            tag: Some(format!("{key}={value}")),
            imagetype: Some("private".to_owned()),
            whole_image: Some(true),
            ..ImageQuery::default()
        }
    }

    /// The query string's pairs, `marker` last when given (what the official SDK sends).
    pub fn to_pairs(&self, marker: Option<&str>) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        let mut put = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                pairs.push((k, v.clone()));
            }
        };
        put("__imagetype", &self.imagetype);
        put("__whole_image", &self.whole_image.map(|b| b.to_string()));
        put("created_at", &self.created_at);
        put("name", &self.name);
        put("sort_dir", &self.sort_dir);
        put("sort_key", &self.sort_key);
        put("status", &self.status);
        put("tag", &self.tag);
        pairs.push((
            "limit",
            self.page_size.unwrap_or(DEFAULT_PAGE_SIZE).to_string(),
        ));
        if let Some(m) = marker {
            pairs.push(("marker", m.to_owned()));
        }
        pairs
    }

    /// Checks what the service would refuse, before anything is sent: every violation, each
    /// naming its field and rule.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut out = Vec::new();
        if let Some(n) = self.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&n)
        {
            out.push(Violation::new(
                "page_size",
                Rule::Range,
                format!("must be from 1 to {MAX_PAGE_SIZE}, got {n}"),
            ));
        }
        if let Some(d) = &self.sort_dir
            && d != "asc"
            && d != "desc"
        {
            out.push(Violation::new("sort_dir", Rule::Enum, "must be asc or desc").with_value(d));
        }
        for (name, v) in [
            ("tag", &self.tag),
            ("name", &self.name),
            ("status", &self.status),
            ("imagetype", &self.imagetype),
            ("created_at", &self.created_at),
            ("sort_key", &self.sort_key),
        ] {
            match v {
                Some(v) if v.is_empty() => {
                    out.push(Violation::new(name, Rule::Length, "must not be empty"));
                }
                Some(v) if v.chars().any(char::is_control) => {
                    out.push(
                        Violation::new(name, Rule::Charset, "must not contain control characters")
                            .with_value(v),
                    );
                }
                _ => {}
            }
        }
        ValidationErrors::from_violations(out)
    }
}

/// One image of a listing. Fields the service may leave out are `Option`; unknown fields are
/// ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Image {
    /// The image id.
    pub id: String,
    /// The image name.
    #[serde(default)]
    pub name: String,
    /// `queued`, `saving`, `active`, `killed`, `deleted` (or what the service says).
    #[serde(default)]
    pub status: String,
    /// Creation time, UTC (`2026-12-02T08:00:00Z`).
    #[serde(default)]
    pub created_at: String,
    /// Last update, UTC.
    #[serde(default)]
    pub updated_at: String,
    /// The tags, whichever form the service wrote them in (`"key=value"`, `"key.value"` or
    /// `{"key", "value"}` objects).
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<ImageTag>,
    /// `__imagetype`: `gold`, `private`, `shared`, `market`.
    #[serde(default, rename = "__imagetype")]
    pub imagetype: Option<String>,
    /// `__whole_image`: a full-ECS image (`true` or `"true"` on the wire).
    #[serde(default, rename = "__whole_image", deserialize_with = "loose_bool")]
    pub whole_image: Option<bool>,
    /// `__backup_id`: the backup the image was made from, if any.
    #[serde(default, rename = "__backup_id")]
    pub backup_id: Option<String>,
    /// The project that owns the image.
    #[serde(default)]
    pub owner: Option<String>,
}

impl Image {
    /// The value of the tag `key`, if the image has it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }
}

/// One page of a listing: its images, and the marker of the next page (`None` at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePage {
    /// The images of this page, in the service's order.
    pub images: Vec<Image>,
    /// The id to pass as `marker` for the next page; `None` when this page was the last.
    pub next_marker: Option<String>,
}

/// The private-image quota of the region (`GET /v1/cloudimages/quota`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageQuota {
    /// Private images that count against the quota now.
    pub used: u64,
    /// The quota.
    pub quota: u64,
}

impl ImageQuota {
    /// How many more images may be made (0 when at or over the quota).
    pub fn remaining(&self) -> u64 {
        self.quota.saturating_sub(self.used)
    }

    /// Reads `{"quotas": {"resources": [{"type": "image", "used", "quota", ...}]}}`.
    pub fn from_json(body: &[u8]) -> Result<ImageQuota, String> {
        #[derive(Deserialize)]
        struct Doc {
            quotas: Quotas,
        }
        #[derive(Deserialize)]
        struct Quotas {
            resources: Vec<Resource>,
        }
        #[derive(Deserialize)]
        struct Resource {
            #[serde(rename = "type")]
            kind: String,
            used: u64,
            quota: u64,
        }
        let doc: Doc = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        doc.quotas
            .resources
            .into_iter()
            .find(|r| r.kind == "image")
            .map(|r| ImageQuota {
                used: r.used,
                quota: r.quota,
            })
            .ok_or_else(|| "no resource of type image".to_owned())
    }
}

/// Reads `{"images": [...], "page_info": {"next_marker": ...}}`; without `page_info`, a page
/// of `page_size` images may be followed by another.
pub fn read_image_page(body: &[u8], page_size: u32) -> Result<ImagePage, String> {
    #[derive(Deserialize)]
    struct Doc {
        images: Vec<Image>,
        #[serde(default)]
        page_info: Option<PageInfo>,
    }
    #[derive(Deserialize)]
    struct PageInfo {
        #[serde(default)]
        next_marker: Option<String>,
    }
    let doc: Doc = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let full = u32::try_from(doc.images.len()).unwrap_or(u32::MAX) >= page_size;
    // `page_info.next_marker` when the service gives it; otherwise a full page may be
    // followed by another, after its last id.
    let next_marker = match doc.page_info.and_then(|p| p.next_marker) {
        Some(m) if !m.is_empty() => Some(m),
        _ if full => doc.images.last().map(|i| i.id.clone()),
        _ => None,
    };
    Ok(ImagePage {
        images: doc.images,
        next_marker,
    })
}

fn loose_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<Loose>::deserialize(d)? {
        None => None,
        Some(Loose::Bool(b)) => Some(b),
        Some(Loose::Text(t)) => match t.as_str() {
            "true" | "True" => Some(true),
            "false" | "False" => Some(false),
            _ => None,
        },
    })
}

fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ImageTag>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Text(String),
        Object { key: String, value: Option<String> },
    }
    let wire = Option::<Vec<Wire>>::deserialize(d)?.unwrap_or_default();
    wire.into_iter()
        .map(|t| match t {
            Wire::Text(s) => {
                let (k, v) = s
                    .split_once('=')
                    .or_else(|| s.split_once('.'))
                    .unwrap_or((s.as_str(), ""));
                if k.is_empty() {
                    return Err(de::Error::custom(format!("tag {s:?} has no key")));
                }
                Ok(ImageTag::new(k, v))
            }
            Wire::Object { key, value } => Ok(ImageTag::new(key, value.unwrap_or_default())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_reads_every_tag_form_and_loose_booleans() {
        let body = br#"{"images":[{"id":"a","name":"n","status":"active","created_at":"2026-12-02T08:00:00Z","tags":["k1=v1","k2.v.2",{"key":"k3","value":"v3"}],"__imagetype":"private","__whole_image":"true","extra":1},{"id":"b","__whole_image":false}]}"#;
        let page = read_image_page(body, 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page.next_marker.as_deref(), Some("b"));
        let a = &page.images[0];
        assert_eq!(a.tag("k1"), Some("v1"));
        assert_eq!(a.tag("k2"), Some("v.2"));
        assert_eq!(a.tag("k3"), Some("v3"));
        assert_eq!(a.tag("k4"), None);
        assert_eq!(a.whole_image, Some(true));
        assert_eq!(page.images[1].whole_image, Some(false));
        let short = read_image_page(body, 3).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(short.next_marker, None);
        let told = read_image_page(
            br#"{"images":[{"id":"a"}],"page_info":{"next_marker":"a"}}"#,
            5,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(told.next_marker.as_deref(), Some("a"));
    }

    #[test]
    fn a_listing_that_is_not_one_is_refused() {
        assert!(read_image_page(b"{}", 10).is_err());
        assert!(read_image_page(br#"{"images":[{"name":"no id"}]}"#, 10).is_err());
        assert!(read_image_page(br#"{"images":[{"id":"x","tags":["=v"]}]}"#, 10).is_err());
    }

    #[test]
    fn the_quota_is_the_image_resource() {
        let body = br#"{"quotas":{"resources":[{"type":"other","used":1,"quota":2},{"type":"image","used":48,"quota":50,"min":1,"max":1000}]}}"#;
        let q = ImageQuota::from_json(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.used, q.quota, q.remaining()), (48, 50, 2));
        assert!(ImageQuota::from_json(br#"{"quotas":{"resources":[]}}"#).is_err());
        let over = ImageQuota {
            used: 60,
            quota: 50,
        };
        assert_eq!(over.remaining(), 0);
    }

    #[test]
    fn queries_send_only_what_is_set_and_refuse_what_the_service_would() {
        let q = ImageQuery::private_whole_images_tagged("k", "v");
        let pairs = q.to_pairs(Some("m"));
        assert!(pairs.contains(&("tag", "k=v".to_owned())));
        assert!(pairs.contains(&("__whole_image", "true".to_owned())));
        assert_eq!(pairs.last(), Some(&("marker", "m".to_owned())));
        assert!(!pairs.iter().any(|(k, _)| *k == "name"));
        assert!(q.validate().is_ok());
        for bad in [
            ImageQuery {
                page_size: Some(0),
                ..ImageQuery::default()
            },
            ImageQuery {
                page_size: Some(1001),
                ..ImageQuery::default()
            },
            ImageQuery {
                sort_dir: Some("up".into()),
                ..ImageQuery::default()
            },
            ImageQuery {
                name: Some("a\nb".into()),
                ..ImageQuery::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
