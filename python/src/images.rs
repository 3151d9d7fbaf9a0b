//! `ims.Image` and `ims.ImageQuota` (what `list_images` and `image_quota` return), and the
//! listing's filters read from keyword arguments.

use ims_core::model::{Image as CoreImage, ImageQuery, ImageQuota as CoreQuota};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::arguments::Whole;
use crate::errors::IntoPyResult;

/// `repr()` of an optional text (`'x'` or `None`).
pub(crate) fn repr_text(py: Python<'_>, value: Option<&str>) -> PyResult<String> {
    match value {
        Some(v) => Ok(PyString::new(py, v).repr()?.to_cow()?.into_owned()),
        None => Ok("None".to_owned()),
    }
}

/// One image of a listing. Immutable, comparable with `==`, hashable, picklable.
#[pyclass(frozen, eq, hash, module = "ims", name = "Image")]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Image {
    /// The image id.
    #[pyo3(get)]
    pub id: String,
    /// The image name.
    #[pyo3(get)]
    pub name: String,
    /// `queued`, `saving`, `active`, `killed`, `deleted` (or what the service says).
    #[pyo3(get)]
    pub status: String,
    /// Creation time, UTC (`2026-12-02T08:00:00Z`).
    #[pyo3(get)]
    pub created_at: String,
    /// Last update, UTC.
    #[pyo3(get)]
    pub updated_at: String,
    /// `gold`, `private`, `shared`, `market`, when listed.
    #[pyo3(get)]
    pub imagetype: Option<String>,
    /// Whether it is a full-ECS image, when listed.
    #[pyo3(get)]
    pub whole_image: Option<bool>,
    /// The backup it was made from, if any.
    #[pyo3(get)]
    pub backup_id: Option<String>,
    /// The project that owns it.
    #[pyo3(get)]
    pub owner: Option<String>,
    /// Its tags, in the service's order (`tags` shows them as a dict).
    tag_pairs: Vec<(String, String)>,
}

impl Image {
    /// The Python image of a core one.
    pub fn new(image: CoreImage) -> Image {
        Image {
            id: image.id,
            name: image.name,
            status: image.status,
            created_at: image.created_at,
            updated_at: image.updated_at,
            imagetype: image.imagetype,
            whole_image: image.whole_image,
            backup_id: image.backup_id,
            owner: image.owner,
            tag_pairs: image.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        }
    }
}

#[pymethods]
impl Image {
    /// An image from its fields (as `list_images` makes them; for tests and pickling).
    #[new]
    #[pyo3(signature = (
        id, name = String::new(), status = String::new(), created_at = String::new(),
        updated_at = String::new(), tags = None, imagetype = None, whole_image = None,
        backup_id = None, owner = None
    ),
    text_signature = "(id, name='', status='', created_at='', updated_at='', tags=None, imagetype=None, whole_image=None, backup_id=None, owner=None)")]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        id: String,
        name: String,
        status: String,
        created_at: String,
        updated_at: String,
        tags: Option<Vec<(String, String)>>,
        imagetype: Option<String>,
        whole_image: Option<bool>,
        backup_id: Option<String>,
        owner: Option<String>,
    ) -> Image {
        Image {
            id,
            name,
            status,
            created_at,
            updated_at,
            imagetype,
            whole_image,
            backup_id,
            owner,
            tag_pairs: tags.unwrap_or_default(),
        }
    }

    /// The tags as a new dict, key → value.
    #[getter]
    fn tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.tag_pairs {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// The value of the tag `key`, or `None`.
    fn tag(&self, key: &str) -> Option<&str> {
        self.tag_pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> (
        Bound<'py, PyAny>,
        (
            String,
            String,
            String,
            String,
            String,
            Vec<(String, String)>,
            Option<String>,
            Option<bool>,
            Option<String>,
            Option<String>,
        ),
    ) {
        let i = slf.get().clone();
        (
            slf.get_type().into_any(),
            (
                i.id,
                i.name,
                i.status,
                i.created_at,
                i.updated_at,
                i.tag_pairs,
                i.imagetype,
                i.whole_image,
                i.backup_id,
                i.owner,
            ),
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Image(id={}, name={}, status={}, created_at={})",
            repr_text(py, Some(&self.id))?,
            repr_text(py, Some(&self.name))?,
            repr_text(py, Some(&self.status))?,
            repr_text(py, Some(&self.created_at))?,
        ))
    }
}

/// The region's private-image quota. Immutable, comparable, hashable, picklable.
#[pyclass(frozen, eq, hash, module = "ims", name = "ImageQuota")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageQuota {
    /// Private images that count against the quota now.
    #[pyo3(get)]
    pub used: u64,
    /// The quota.
    #[pyo3(get)]
    pub quota: u64,
}

impl From<CoreQuota> for ImageQuota {
    fn from(q: CoreQuota) -> Self {
        ImageQuota {
            used: q.used,
            quota: q.quota,
        }
    }
}

#[pymethods]
impl ImageQuota {
    /// A quota from its numbers.
    #[new]
    fn py_new(used: u64, quota: u64) -> ImageQuota {
        ImageQuota { used, quota }
    }

    /// How many more images may be made (0 at or over the quota).
    #[getter]
    fn remaining(&self) -> u64 {
        self.quota.saturating_sub(self.used)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyAny>, (u64, u64)) {
        let q = slf.get();
        (slf.get_type().into_any(), (q.used, q.quota))
    }

    fn __repr__(&self) -> String {
        format!(
            "ImageQuota(used={}, quota={}, remaining={})",
            self.used,
            self.quota,
            self.remaining()
        )
    }
}

/// `list_images`' keyword arguments, as given.
pub(crate) struct QueryArgs {
    pub tag: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub imagetype: Option<String>,
    pub whole_image: Option<bool>,
    pub created_at: Option<String>,
    pub sort_key: Option<String>,
    pub sort_dir: Option<String>,
    pub page_size: Option<Whole>,
}

impl QueryArgs {
    /// The query, checked by core's rules (`ValidationError` naming each field, nothing sent).
    /// `tag` is `key=value`.
    pub(crate) fn query(self, py: Python<'_>) -> PyResult<ImageQuery> {
        let page_size = match Whole::get(self.page_size, "page_size")? {
            None => None,
            Some(n) => Some(u32::try_from(n).map_err(|_| {
                crate::arguments::invalid(
                    py,
                    "page_size",
                    ims_core::validate::Rule::Range,
                    format!(
                        "must be from 1 to {}, got {n}",
                        ims_core::model::image::MAX_PAGE_SIZE
                    ),
                )
            })?),
        };
        let query = ImageQuery {
            tag: self.tag,
            name: self.name,
            status: self.status,
            imagetype: self.imagetype,
            whole_image: self.whole_image,
            created_at: self.created_at,
            sort_key: self.sort_key,
            sort_dir: self.sort_dir,
            page_size,
        };
        query.validate().into_py_result(py)?;
        Ok(query)
    }
}
