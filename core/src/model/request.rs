//! The "Creating a Full-ECS Image" request body (spec §1):
//! `POST /v1/cloudimages/wholeimages/action`.
//!
//! * [`WholeImageRequest`] is the body; its hand-written `Serialize` writes exactly the documented
//!   fields in documented order and omits every unset field (never `null`, never `""`).
//! * [`WholeImageRequest::from_ecs`] / [`WholeImageRequest::from_backup`] start a
//!   [`WholeImageBuilder`] whose `build` runs [`crate::validate`].
//! * [`WholeImageRequest::from_json`] reads a body a user wrote, reporting unknown fields and
//!   wrong types by path; [`WholeImageRequest::from_json_validated`] also applies every rule.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::fields::{self, FIELDS};
use crate::validate::{
    self, Rule, ValidationErrors, Violation, check_description, check_enterprise_project_id,
    check_id, check_image_tags, check_legacy_tags, check_name, check_ram,
};

/// `job_type` of the job that creates a full-ECS image from an ECS.
pub const JOB_TYPE_BY_INSTANCE: &str = "imsCreateWholeImageByInstanceJob";
/// `job_type` of the job that creates a full-ECS image from a CBR backup.
pub const JOB_TYPE_BY_BACKUP: &str = "imsCreateWholeImageByBackupJob";
pub use crate::validate::{WHOLE_IMAGE_TYPE_CBR, WHOLE_IMAGE_TYPE_CSBS, WHOLE_IMAGE_TYPES};

/// One entry of `image_tags`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ImageTag {
    /// Tag key: 1–36 characters.
    pub key: String,
    /// Tag value: 0–43 characters.
    pub value: String,
}

impl ImageTag {
    /// A tag from its key and value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        ImageTag {
            key: key.into(),
            value: value.into(),
        }
    }

    /// Reads a tag written `KEY=VALUE` (the CLI's `--tag`), split at the FIRST `=`:
    /// `"a=b=c"` → key `"a"`, value `"b=c"`; `"a="` → value `""`. Nothing is trimmed or checked
    /// here (validation applies the tag rules); only a text without `=` is refused.
    pub fn parse_key_value(text: &str) -> Result<ImageTag, TagSyntaxError> {
        text.split_once('=')
            .map(|(key, value)| ImageTag::new(key, value))
            .ok_or(TagSyntaxError)
    }
}

/// A tag written without its `=` (see [`ImageTag::parse_key_value`]); the text is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected KEY=VALUE")]
pub struct TagSyntaxError;

/// The image's tags, in one of the two documented forms (never both).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tags {
    /// No tags (an empty list of either form is the same and is not sent).
    #[default]
    None,
    /// `tags`: strings `"key.value"`, split at the first dot (no dot = empty value).
    Legacy(Vec<String>),
    /// `image_tags`: `{"key", "value"}` objects.
    Image(Vec<ImageTag>),
}

impl Tags {
    /// Splits a legacy tag at its FIRST dot: `"a.b.c"` → `("a", "b.c")`, `"a"` → `("a", "")`.
    pub fn split_legacy(tag: &str) -> (&str, &str) {
        validate::split_legacy_tag(tag)
    }

    /// Every tag as `(key, value)`, whatever the form.
    pub fn pairs(&self) -> Vec<(String, String)> {
        match self {
            Tags::None => Vec::new(),
            Tags::Legacy(tags) => tags
                .iter()
                .map(|t| {
                    let (k, v) = Tags::split_legacy(t);
                    (k.to_owned(), v.to_owned())
                })
                .collect(),
            Tags::Image(tags) => tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
        }
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        match self {
            Tags::None => 0,
            Tags::Legacy(tags) => tags.len(),
            Tags::Image(tags) => tags.len(),
        }
    }

    /// Whether there is no tag.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the full-ECS image is made from: exactly one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A running or stopped ECS, backed up into a CBR vault.
    Ecs {
        /// The ECS id (a UUID).
        instance_id: String,
        /// The CBR vault the ECS is in or will be added to (a UUID).
        vault_id: String,
    },
    /// An existing CBR backup (`whole_image_type` `"CBR"` is sent with it).
    Backup {
        /// The CBR backup id.
        backup_id: String,
    },
}

impl Source {
    /// An ECS source.
    pub fn ecs(instance_id: impl Into<String>, vault_id: impl Into<String>) -> Self {
        Source::Ecs {
            instance_id: instance_id.into(),
            vault_id: vault_id.into(),
        }
    }

    /// A CBR backup source.
    pub fn backup(backup_id: impl Into<String>) -> Self {
        Source::Backup {
            backup_id: backup_id.into(),
        }
    }

    /// The source the given ids choose: the one statement of the source rule, used by the
    /// builder, the JSON reader, the CLI and Python alike. An id is given when it is `Some` and
    /// not empty. `instance_id` or `vault_id` chooses an ECS (a missing half is reported later
    /// by validation, on its own field), `backup_id` a CBR backup; both, or none, is a
    /// violation on `source`.
    pub fn from_ids(
        instance_id: Option<&str>,
        vault_id: Option<&str>,
        backup_id: Option<&str>,
    ) -> Result<Source, Violation> {
        let (instance_id, vault_id, backup_id) = (
            instance_id.filter(|s| !s.is_empty()),
            vault_id.filter(|s| !s.is_empty()),
            backup_id.filter(|s| !s.is_empty()),
        );
        match (instance_id.is_some() || vault_id.is_some(), backup_id) {
            (true, Some(_)) => Err(Violation::new(
                "source",
                Rule::Exclusive,
                "use either instance_id and vault_id (ECS source) or backup_id (CBR backup \
                 source), not both",
            )),
            (true, None) => Ok(Source::ecs(
                instance_id.unwrap_or_default(),
                vault_id.unwrap_or_default(),
            )),
            (false, Some(backup_id)) => Ok(Source::backup(backup_id)),
            (false, None) => Err(Violation::new(
                "source",
                Rule::Required,
                "is required: give instance_id and vault_id (ECS source) or backup_id (CBR \
                 backup source)",
            )),
        }
    }

    /// The `job_type` of the job this source starts: [`JOB_TYPE_BY_INSTANCE`] or
    /// [`JOB_TYPE_BY_BACKUP`].
    pub fn job_type(&self) -> &'static str {
        match self {
            Source::Ecs { .. } => JOB_TYPE_BY_INSTANCE,
            Source::Backup { .. } => JOB_TYPE_BY_BACKUP,
        }
    }
}

/// A full-ECS image creation request (the body of
/// `POST /v1/cloudimages/wholeimages/action`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeImageRequest {
    /// Image name: 1–128 characters.
    pub name: String,
    /// Description: at most 1024 characters (`Some("")` is sent as unset).
    pub description: Option<String>,
    /// Tags, in one of the two forms.
    pub tags: Tags,
    /// Minimum memory in MB (`i64` so a negative input is reported, not a parse failure).
    pub min_ram: Option<i64>,
    /// Maximum memory in MB.
    pub max_ram: Option<i64>,
    /// Enterprise project: `"0"` or a UUID.
    pub enterprise_project_id: Option<String>,
    /// What the image is made from.
    pub source: Source,
    /// `whole_image_type` of a backup source, sent as given (`"CBR"` or the legacy `"CSBS"`);
    /// `None` sends `"CBR"`. Setting it with an ECS source is an `exclusive` violation.
    pub whole_image_type: Option<String>,
}

impl WholeImageRequest {
    /// A request with only the required parts; every optional field unset.
    pub fn new(name: impl Into<String>, source: Source) -> Self {
        WholeImageRequest {
            name: name.into(),
            description: None,
            tags: Tags::None,
            min_ram: None,
            max_ram: None,
            enterprise_project_id: None,
            source,
            whole_image_type: None,
        }
    }

    /// Starts a builder for an image of the ECS `instance_id` backed up into `vault_id`.
    pub fn from_ecs(
        name: impl Into<String>,
        instance_id: impl Into<String>,
        vault_id: impl Into<String>,
    ) -> WholeImageBuilder {
        WholeImageBuilder::new(name.into(), Source::ecs(instance_id, vault_id))
    }

    /// Starts a builder for an image of the CBR backup `backup_id`.
    pub fn from_backup(name: impl Into<String>, backup_id: impl Into<String>) -> WholeImageBuilder {
        WholeImageBuilder::new(name.into(), Source::backup(backup_id))
    }

    /// Starts a builder whose source is not chosen yet: give it with
    /// [`WholeImageBuilder::source`] or [`WholeImageBuilder::source_ids`]; `build` reports a
    /// source never given as a `source` `required` violation, with the others.
    pub fn builder(name: impl Into<String>) -> WholeImageBuilder {
        WholeImageBuilder::unsourced(name.into())
    }

    /// Checks every documented rule ([`crate::validate`]) and reports all violations at once,
    /// in field order (the order of the request body).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut out = Vec::new();
        self.violations(&mut out);
        fields::sort_by_field(&mut out);
        ValidationErrors::from_violations(out)
    }

    /// Appends every violation of this request to `out` (unsorted): each field's rules.
    pub(crate) fn violations(&self, out: &mut Vec<Violation>) {
        check_name(&self.name, out);
        if let Some(description) = &self.description {
            check_description(description, out);
        }
        match &self.tags {
            Tags::None => {}
            Tags::Legacy(tags) => check_legacy_tags(tags, out),
            Tags::Image(tags) => {
                check_image_tags(tags.iter().map(|t| (t.key.as_str(), t.value.as_str())), out)
            }
        }
        match &self.source {
            Source::Ecs {
                instance_id,
                vault_id,
            } => {
                check_id("instance_id", instance_id, out);
                check_id("vault_id", vault_id, out);
            }
            Source::Backup { backup_id } => check_id("backup_id", backup_id, out),
        }
        if let Some(t) = &self.whole_image_type {
            let ecs = matches!(self.source, Source::Ecs { .. });
            validate::check_whole_image_type(ecs, t, out);
        }
        check_ram(self.min_ram, self.max_ram, out);
        if let Some(id) = &self.enterprise_project_id {
            check_enterprise_project_id(id, out);
        }
    }

    /// The `job_type` of the job this request starts.
    pub fn job_type(&self) -> &'static str {
        self.source.job_type()
    }

    /// The body as compact JSON.
    pub fn to_json(&self) -> String {
        // Cannot fail: the body holds only strings and integers, and map keys are strings.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The body as compact JSON bytes.
    pub fn to_json_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// One value of the body, for the hand-written `Serialize`.
enum Entry<'a> {
    Str(&'a str),
    Strs(&'a [String]),
    Tags(&'a [ImageTag]),
    Int(i64),
}

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Str(s) => serializer.serialize_str(s),
            Entry::Strs(v) => v.serialize(serializer),
            Entry::Tags(v) => v.serialize(serializer),
            Entry::Int(i) => serializer.serialize_i64(*i),
        }
    }
}

impl WholeImageRequest {
    /// The body's fields in documented order ([`FIELDS`]), unset ones left out.
    fn entries(&self) -> Vec<(&'static str, Entry<'_>)> {
        FIELDS
            .iter()
            .filter_map(|field| self.entry(field).map(|value| (*field, value)))
            .collect()
    }

    /// The value sent for `field`, or `None` when it is not sent (unset, `""`, an empty tag
    /// list, an id of the other source).
    fn entry(&self, field: &str) -> Option<Entry<'_>> {
        let (instance_id, vault_id, backup_id) = match &self.source {
            Source::Ecs {
                instance_id,
                vault_id,
            } => (Some(instance_id.as_str()), Some(vault_id.as_str()), None),
            Source::Backup { backup_id } => (None, None, Some(backup_id.as_str())),
        };
        match field {
            "name" => Some(Entry::Str(&self.name)),
            "description" => non_empty(self.description.as_deref()).map(Entry::Str),
            "tags" => match &self.tags {
                Tags::Legacy(tags) if !tags.is_empty() => Some(Entry::Strs(tags)),
                _ => None,
            },
            "image_tags" => match &self.tags {
                Tags::Image(tags) if !tags.is_empty() => Some(Entry::Tags(tags)),
                _ => None,
            },
            "instance_id" => non_empty(instance_id).map(Entry::Str),
            "vault_id" => non_empty(vault_id).map(Entry::Str),
            "backup_id" => non_empty(backup_id).map(Entry::Str),
            "whole_image_type" => backup_id.map(|_| {
                Entry::Str(
                    self.whole_image_type
                        .as_deref()
                        .unwrap_or(WHOLE_IMAGE_TYPE_CBR),
                )
            }),
            "max_ram" => self.max_ram.map(Entry::Int),
            "min_ram" => self.min_ram.map(Entry::Int),
            "enterprise_project_id" => {
                non_empty(self.enterprise_project_id.as_deref()).map(Entry::Str)
            }
            _ => None,
        }
    }
}

/// `Some` only for a non-empty string: unset and `""` are never sent.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

impl Serialize for WholeImageRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.entries();
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in &entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for WholeImageRequest {
    /// Reads the body like [`WholeImageRequest::from_json_value`] (structure only).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        WholeImageRequest::from_json_value(value).map_err(serde::de::Error::custom)
    }
}

/// Builds a [`WholeImageRequest`]; `build` validates it. Start with
/// [`WholeImageRequest::from_ecs`] or [`WholeImageRequest::from_backup`].
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the request"]
pub struct WholeImageBuilder {
    name: String,
    /// The source, or why there is none (not chosen yet, or ids that choose none).
    source: Result<Source, Violation>,
    description: Option<String>,
    legacy_tags: Vec<String>,
    image_tags: Vec<ImageTag>,
    min_ram: Option<i64>,
    max_ram: Option<i64>,
    enterprise_project_id: Option<String>,
    whole_image_type: Option<String>,
}

impl WholeImageBuilder {
    fn new(name: String, source: Source) -> Self {
        Self::with_source(name, Ok(source))
    }

    fn unsourced(name: String) -> Self {
        Self::with_source(name, Source::from_ids(None, None, None))
    }

    fn with_source(name: String, source: Result<Source, Violation>) -> Self {
        WholeImageBuilder {
            name,
            source,
            description: None,
            legacy_tags: Vec::new(),
            image_tags: Vec::new(),
            min_ram: None,
            max_ram: None,
            enterprise_project_id: None,
            whole_image_type: None,
        }
    }

    /// Sets the source.
    pub fn source(mut self, source: Source) -> Self {
        self.source = Ok(source);
        self
    }

    /// Sets the source the ids choose ([`Source::from_ids`]: empty ids count as not given);
    /// ids that choose none, or two, are reported by `build`.
    pub fn source_ids(
        mut self,
        instance_id: Option<&str>,
        vault_id: Option<&str>,
        backup_id: Option<&str>,
    ) -> Self {
        self.source = Source::from_ids(instance_id, vault_id, backup_id);
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds an `image_tags` entry. Mixing with [`WholeImageBuilder::legacy_tag`] fails at
    /// `build` with an `exclusive` violation.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.image_tags.push(ImageTag::new(key, value));
        self
    }

    /// Adds a legacy `tags` entry `"key.value"`. Mixing with [`WholeImageBuilder::tag`] fails
    /// at `build` with an `exclusive` violation.
    pub fn legacy_tag(mut self, tag: impl Into<String>) -> Self {
        self.legacy_tags.push(tag.into());
        self
    }

    /// Sets the minimum memory in MB.
    pub fn min_ram(mut self, mb: i64) -> Self {
        self.min_ram = Some(mb);
        self
    }

    /// Sets the maximum memory in MB.
    pub fn max_ram(mut self, mb: i64) -> Self {
        self.max_ram = Some(mb);
        self
    }

    /// Sets the enterprise project (`"0"` or a UUID).
    pub fn enterprise_project_id(mut self, id: impl Into<String>) -> Self {
        self.enterprise_project_id = Some(id.into());
        self
    }

    /// Sets `whole_image_type` of a backup source (`"CBR"`, the default, or the legacy
    /// `"CSBS"`), sent as given.
    pub fn whole_image_type(mut self, whole_image_type: impl Into<String>) -> Self {
        self.whole_image_type = Some(whole_image_type.into());
        self
    }

    /// The request, or every violation at once (including `image_tags` `exclusive` when both
    /// tag forms were used).
    pub fn build(self) -> Result<WholeImageRequest, ValidationErrors> {
        let both = !self.legacy_tags.is_empty() && !self.image_tags.is_empty();
        let (tags, extra_image_tags) = if both {
            (Tags::Legacy(self.legacy_tags), self.image_tags)
        } else if !self.legacy_tags.is_empty() {
            (Tags::Legacy(self.legacy_tags), Vec::new())
        } else if !self.image_tags.is_empty() {
            (Tags::Image(self.image_tags), Vec::new())
        } else {
            (Tags::None, Vec::new())
        };
        let mut out = Vec::new();
        let source = self.source.unwrap_or_else(|violation| {
            out.push(violation);
            // Stands in for the missing source: its empty ids are not checked (the source
            // violation says it all).
            Source::ecs("", "")
        });
        let unsourced = !out.is_empty();
        let request = WholeImageRequest {
            name: self.name,
            description: self.description,
            tags,
            min_ram: self.min_ram,
            max_ram: self.max_ram,
            enterprise_project_id: self.enterprise_project_id,
            source,
            whole_image_type: self.whole_image_type,
        };
        let mut rules = Vec::new();
        request.violations(&mut rules);
        out.extend(rules.into_iter().filter(|v| {
            !(unsourced && matches!(validate::top_level(&v.field), "instance_id" | "vault_id"))
        }));
        if both {
            validate::check_image_tags(
                extra_image_tags
                    .iter()
                    .map(|t| (t.key.as_str(), t.value.as_str())),
                &mut out,
            );
            out.push(fields::exclusive_tags());
        }
        fields::sort_by_field(&mut out);
        ValidationErrors::from_violations(out).map(|()| request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_rule_is_stated_once() {
        assert_eq!(
            Source::from_ids(Some("i"), Some("v"), None),
            Ok(Source::ecs("i", "v"))
        );
        assert_eq!(
            Source::from_ids(Some("i"), None, Some("")),
            Ok(Source::ecs("i", ""))
        );
        assert_eq!(
            Source::from_ids(Some(""), None, Some("b")),
            Ok(Source::backup("b"))
        );
        let both = Source::from_ids(None, Some("v"), Some("b")).expect_err("two sources");
        assert_eq!(
            (both.field.as_str(), both.rule),
            ("source", Rule::Exclusive)
        );
        let none = Source::from_ids(Some(""), None, None).expect_err("no source");
        assert_eq!((none.field.as_str(), none.rule), ("source", Rule::Required));
    }

    #[test]
    fn a_builder_without_a_source_reports_it_with_the_rest() {
        let errs = WholeImageRequest::builder("")
            .build()
            .expect_err("no name, no source");
        let fields: Vec<&str> = errs.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["name", "source"]);
        let req = WholeImageRequest::builder("n")
            .source_ids(None, None, Some("b-1"))
            .build()
            .expect("valid");
        assert_eq!(req.source, Source::backup("b-1"));
        let errs = WholeImageRequest::builder("n")
            .source_ids(Some("i"), None, None)
            .build()
            .expect_err("no vault");
        assert_eq!(errs.violations[0].field, "vault_id");
    }

    #[test]
    fn key_value_splits_at_the_first_equals() {
        assert_eq!(
            ImageTag::parse_key_value("a=b=c"),
            Ok(ImageTag::new("a", "b=c"))
        );
        assert_eq!(ImageTag::parse_key_value("a="), Ok(ImageTag::new("a", "")));
        assert_eq!(ImageTag::parse_key_value("=v"), Ok(ImageTag::new("", "v")));
        assert_eq!(ImageTag::parse_key_value("a.b"), Err(TagSyntaxError));
        assert_eq!(TagSyntaxError.to_string(), "expected KEY=VALUE");
    }
}
