//! Reading a body a user wrote, by walking a `serde_json::Value`: every problem is reported with
//! its path, all at once.

use serde_json::{Map, Value};

use super::fields::{self, FIELDS};
use super::request::{
    ImageTag, Source, Tags, WHOLE_IMAGE_TYPE_CBR, WHOLE_IMAGE_TYPES, WholeImageRequest,
};
use crate::validate::{self, Rule, ValidationErrors, Violation, preview};

impl WholeImageRequest {
    /// Reads a body from JSON text.
    ///
    /// Reports what makes the body unrepresentable, all at once: invalid JSON (`$`, rule
    /// `json`), a non-object document (`$`, `type`), unknown fields (by name, `unknown_field`),
    /// wrong types (by path, e.g. `image_tags[1].value`, `type`), `tags` with `image_tags`
    /// (`image_tags`, `exclusive`), both or no source (`source`, `exclusive` / `required`),
    /// `whole_image_type` other than `"CBR"` (`enum`) or with an ECS source (`exclusive`).
    ///
    /// It does not apply the value rules (lengths, charsets, ...): call
    /// [`WholeImageRequest::validate`], or use [`WholeImageRequest::from_json_validated`].
    /// `null` is the same as an absent field; a missing `name` or id reads as `""`, which
    /// validation reports as `required`; `""` as `description` or `enterprise_project_id` reads
    /// as unset, and an id that is `""` selects no source (so that an accepted body round-trips
    /// through [`WholeImageRequest::to_json`], which never sends `""`).
    pub fn from_json(text: &str) -> Result<Self, ValidationErrors> {
        parse_text(text).into_structural()
    }

    /// [`WholeImageRequest::from_json`] on an already parsed JSON value.
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, ValidationErrors> {
        parse_value(value).into_structural()
    }

    /// [`WholeImageRequest::from_json`] followed by [`WholeImageRequest::validate`], reporting
    /// the structural violations and the rule violations of the fields that could be read, all
    /// at once, in field order.
    pub fn from_json_validated(text: &str) -> Result<Self, ValidationErrors> {
        parse_text(text).into_validated()
    }

    /// [`WholeImageRequest::from_json_validated`] on an already parsed JSON value.
    pub fn from_json_value_validated(value: serde_json::Value) -> Result<Self, ValidationErrors> {
        parse_value(value).into_validated()
    }
}

/// Stands for an id of the wrong type while the source is chosen (never kept: the id then
/// reads as `""`, its value skipped by the rules).
const UNREADABLE: &str = "\u{0}unreadable";

/// What reading produced.
struct Parsed {
    /// The request with defaults where a field could not be read; `None` when the document
    /// is not even a JSON object.
    draft: Option<WholeImageRequest>,
    /// `image_tags` read beside `tags` (only when both were given).
    extra_image_tags: Vec<ImageTag>,
    /// Paths whose value could not be read: the value rules are not applied to them.
    skip: Vec<String>,
    /// Structural violations.
    violations: Vec<Violation>,
}

impl Parsed {
    fn fatal(violation: Violation) -> Self {
        Parsed {
            draft: None,
            extra_image_tags: Vec::new(),
            skip: Vec::new(),
            violations: vec![violation],
        }
    }

    /// The request when the structure was sound.
    fn into_structural(self) -> Result<WholeImageRequest, ValidationErrors> {
        let mut violations = self.violations;
        fields::sort_by_field(&mut violations);
        match self.draft {
            Some(draft) if violations.is_empty() => Ok(draft),
            _ => Err(ValidationErrors { violations }),
        }
    }

    /// The request when the structure was sound and every rule holds.
    fn into_validated(self) -> Result<WholeImageRequest, ValidationErrors> {
        let mut violations = self.violations;
        let Some(draft) = self.draft else {
            return Err(ValidationErrors { violations });
        };
        let mut rules = Vec::new();
        draft.violations(&mut rules);
        validate::check_image_tags(
            self.extra_image_tags
                .iter()
                .map(|t| (t.key.as_str(), t.value.as_str())),
            &mut rules,
        );
        violations.extend(
            rules
                .into_iter()
                .filter(|v| !self.skip.iter().any(|p| under(&v.field, p))),
        );
        fields::sort_by_field(&mut violations);
        ValidationErrors::from_violations(violations).map(|()| draft)
    }
}

/// The path of the member `key` of the object at `parent` (`$` for the document): the key
/// itself at the top (`imagetags`), `parent.key` below (`image_tags[0].extra`), and
/// `parent[""]` for the empty key, so that no path is ever empty.
fn member_path(parent: &str, key: &str) -> String {
    match (parent, key.is_empty()) {
        (_, true) => format!("{parent}[\"\"]"),
        ("$", false) => preview(key),
        (_, false) => format!("{parent}.{}", preview(key)),
    }
}

/// Whether `field` is `path` or inside it (`image_tags[1].key` is inside `image_tags[1]`).
fn under(field: &str, path: &str) -> bool {
    field
        .strip_prefix(path)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// One field as read.
enum Read<T> {
    /// Absent or `null`.
    Absent,
    /// Read.
    Good(T),
    /// Present with the wrong type (already reported).
    Bad,
}

impl<T> Read<T> {
    fn present(&self) -> bool {
        !matches!(self, Read::Absent)
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn type_error(field: impl Into<String>, expected: &str, value: &Value) -> Violation {
    let violation = Violation::new(
        field,
        Rule::Type,
        format!("must be {expected}, got {}", kind(value)),
    );
    match value {
        Value::String(s) => violation.with_value(s),
        Value::Number(_) | Value::Bool(_) => violation.with_value(&value.to_string()),
        _ => violation,
    }
}

/// Reads a body from JSON text.
fn parse_text(text: &str) -> Parsed {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => parse_value(value),
        Err(e) => Parsed::fatal(Violation::new(
            "$",
            Rule::Json,
            format!("is not valid JSON: {e}"),
        )),
    }
}

/// Reads a parsed JSON document.
fn parse_value(value: Value) -> Parsed {
    match value {
        Value::Object(map) => parse_object(&map),
        other => Parsed::fatal(Violation::new(
            "$",
            Rule::Type,
            format!("must be a JSON object, got {}", kind(&other)),
        )),
    }
}

fn read_string(map: &Map<String, Value>, key: &str, out: &mut Vec<Violation>) -> Read<String> {
    match map.get(key) {
        None | Some(Value::Null) => Read::Absent,
        Some(Value::String(s)) => Read::Good(s.clone()),
        Some(other) => {
            out.push(type_error(key, "a string", other));
            Read::Bad
        }
    }
}

fn read_int(map: &Map<String, Value>, key: &str, out: &mut Vec<Violation>) -> Read<i64> {
    match map.get(key) {
        None | Some(Value::Null) => Read::Absent,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Read::Good(i),
            None if n.is_u64() => {
                out.push(
                    Violation::new(key, Rule::Range, "is too large for a memory size in MB")
                        .with_value(&n.to_string()),
                );
                Read::Bad
            }
            None => {
                out.push(type_error(key, "an integer", &Value::Number(n.clone())));
                Read::Bad
            }
        },
        Some(other) => {
            out.push(type_error(key, "an integer", other));
            Read::Bad
        }
    }
}

/// Reads `tags`; elements that could not be read are kept as empty tags and their paths
/// added to `skip`.
fn read_legacy_tags(
    map: &Map<String, Value>,
    out: &mut Vec<Violation>,
    skip: &mut Vec<String>,
) -> Read<Vec<String>> {
    match map.get("tags") {
        None | Some(Value::Null) => Read::Absent,
        Some(Value::Array(items)) => {
            let mut tags = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => tags.push(s.clone()),
                    other => {
                        let path = format!("tags[{i}]");
                        out.push(type_error(path.as_str(), "a string", other));
                        skip.push(path);
                        tags.push(String::new());
                    }
                }
            }
            Read::Good(tags)
        }
        Some(other) => {
            out.push(type_error("tags", "an array of strings", other));
            Read::Bad
        }
    }
}

/// Reads `image_tags`; elements that could not be read are kept as empty tags and their
/// paths added to `skip`.
fn read_image_tags(
    map: &Map<String, Value>,
    out: &mut Vec<Violation>,
    skip: &mut Vec<String>,
) -> Read<Vec<ImageTag>> {
    let items = match map.get("image_tags") {
        None | Some(Value::Null) => return Read::Absent,
        Some(Value::Array(items)) => items,
        Some(other) => {
            out.push(type_error(
                "image_tags",
                "an array of {\"key\", \"value\"} objects",
                other,
            ));
            return Read::Bad;
        }
    };
    let mut tags = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("image_tags[{i}]");
        let Value::Object(obj) = item else {
            out.push(type_error(
                path.as_str(),
                "an object {\"key\", \"value\"}",
                item,
            ));
            skip.push(path);
            tags.push(ImageTag::new("", ""));
            continue;
        };
        for unknown in obj.keys().filter(|k| *k != "key" && *k != "value") {
            out.push(Violation::new(
                member_path(&path, unknown),
                Rule::UnknownField,
                "is not a field of an image tag (only key and value are)",
            ));
        }
        let mut bad = false;
        let key = match obj.get("key") {
            None | Some(Value::Null) => {
                out.push(Violation::new(
                    format!("{path}.key"),
                    Rule::Required,
                    "is required",
                ));
                bad = true;
                String::new()
            }
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                out.push(type_error(format!("{path}.key"), "a string", other));
                bad = true;
                String::new()
            }
        };
        // A missing value is read as the empty value (0 characters are allowed).
        let value = match obj.get("value") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                out.push(type_error(format!("{path}.value"), "a string", other));
                bad = true;
                String::new()
            }
        };
        if bad {
            skip.push(path);
        }
        tags.push(ImageTag { key, value });
    }
    Read::Good(tags)
}

/// Takes a read id: absent reads as `""` (reported by validation as `required`).
fn id(read: Read<String>, field: &str, skip: &mut Vec<String>) -> String {
    match read {
        Read::Good(s) => s,
        Read::Absent => String::new(),
        Read::Bad => {
            skip.push(field.to_owned());
            String::new()
        }
    }
}

fn parse_object(map: &Map<String, Value>) -> Parsed {
    let mut out = Vec::new();
    let mut skip = Vec::new();

    for unknown in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        out.push(Violation::new(
            member_path("$", unknown),
            Rule::UnknownField,
            "is not a field of this request",
        ));
    }

    let name = match read_string(map, "name", &mut out) {
        Read::Good(s) => s,
        Read::Absent => String::new(),
        Read::Bad => {
            skip.push("name".to_owned());
            String::new()
        }
    };
    let description = match read_string(map, "description", &mut out) {
        Read::Good(s) if !s.is_empty() => Some(s),
        Read::Good(_) | Read::Absent => None,
        Read::Bad => {
            skip.push("description".to_owned());
            None
        }
    };

    let (tags, extra_image_tags) = read_tags(map, &mut out, &mut skip);
    let (source, whole_image_type) = read_source(map, &mut out, &mut skip);

    let mut ram = |key: &str, out: &mut Vec<Violation>| match read_int(map, key, out) {
        Read::Good(v) => Some(v),
        Read::Absent => None,
        Read::Bad => {
            skip.push(key.to_owned());
            None
        }
    };
    let max_ram = ram("max_ram", &mut out);
    let min_ram = ram("min_ram", &mut out);

    let enterprise_project_id = match read_string(map, "enterprise_project_id", &mut out) {
        Read::Good(s) if !s.is_empty() => Some(s),
        Read::Good(_) | Read::Absent | Read::Bad => None,
    };

    Parsed {
        draft: Some(WholeImageRequest {
            name,
            description,
            tags,
            min_ram,
            max_ram,
            enterprise_project_id,
            source,
            whole_image_type,
        }),
        extra_image_tags,
        skip,
        violations: out,
    }
}

/// Reads `tags` and `image_tags`; an empty list is the same as an absent one.
fn read_tags(
    map: &Map<String, Value>,
    out: &mut Vec<Violation>,
    skip: &mut Vec<String>,
) -> (Tags, Vec<ImageTag>) {
    let legacy = match read_legacy_tags(map, out, skip) {
        Read::Good(t) if !t.is_empty() => Some(t),
        Read::Good(_) | Read::Absent => None,
        Read::Bad => {
            skip.push("tags".to_owned());
            None
        }
    };
    let image = match read_image_tags(map, out, skip) {
        Read::Good(t) if !t.is_empty() => Some(t),
        Read::Good(_) | Read::Absent => None,
        Read::Bad => {
            skip.push("image_tags".to_owned());
            None
        }
    };
    let legacy_given = legacy.is_some() || map.get("tags").is_some_and(is_non_empty);
    let image_given = image.is_some() || map.get("image_tags").is_some_and(is_non_empty);
    if legacy_given && image_given {
        out.push(fields::exclusive_tags());
    }
    match (legacy, image) {
        (Some(l), Some(i)) => (Tags::Legacy(l), i),
        (Some(l), None) => (Tags::Legacy(l), Vec::new()),
        (None, Some(i)) => (Tags::Image(i), Vec::new()),
        (None, None) => (Tags::None, Vec::new()),
    }
}

/// Whether a JSON value is something other than `null` or an empty array.
fn is_non_empty(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

fn read_source(
    map: &Map<String, Value>,
    out: &mut Vec<Violation>,
    skip: &mut Vec<String>,
) -> (Source, Option<String>) {
    let instance_id = read_string(map, "instance_id", out);
    let vault_id = read_string(map, "vault_id", out);
    let backup_id = read_string(map, "backup_id", out);
    let whole_image_type = read_string(map, "whole_image_type", out);
    // `CBR` is the default (`None`); `CSBS` (legacy) is kept and sent as given.
    let check_type = |out: &mut Vec<Violation>| match &whole_image_type {
        Read::Good(t) if t == WHOLE_IMAGE_TYPE_CBR => None,
        Read::Good(t) if WHOLE_IMAGE_TYPES.contains(&t.as_str()) => Some(t.clone()),
        Read::Good(t) => {
            out.push(
                Violation::new(
                    "whole_image_type",
                    Rule::Enum,
                    "must be \"CBR\" (or the legacy \"CSBS\")",
                )
                .with_value(t),
            );
            None
        }
        Read::Absent | Read::Bad => None,
    };
    let unknown_source = |skip: &mut Vec<String>| {
        for field in ["instance_id", "vault_id", "backup_id"] {
            skip.push(field.to_owned());
        }
        Source::ecs("", "")
    };
    // The source rule is `Source::from_ids`'s. A value of the wrong type still names its source
    // (its type violation is reported, and its value skipped); `""` names none, as everywhere
    // (`to_json` never sends it). A `whole_image_type` alone asks for a backup.
    let named = |read: &Read<String>| match read {
        Read::Good(s) => Some(s.clone()),
        Read::Bad => Some(UNREADABLE.to_owned()),
        Read::Absent => None,
    };
    let (i, v, mut b) = (named(&instance_id), named(&vault_id), named(&backup_id));
    let none_named = [&i, &v, &b]
        .iter()
        .all(|id| id.as_deref().is_none_or(str::is_empty));
    if none_named && whole_image_type.present() {
        b = Some(UNREADABLE.to_owned());
    }
    match Source::from_ids(i.as_deref(), v.as_deref(), b.as_deref()) {
        Err(violation) => {
            out.push(violation);
            (unknown_source(skip), None)
        }
        Ok(Source::Ecs { .. }) => {
            if whole_image_type.present() {
                out.push(Violation::new(
                    "whole_image_type",
                    Rule::Exclusive,
                    "applies only to a CBR backup source (backup_id), not to instance_id \
                     and vault_id",
                ));
            }
            let source = Source::Ecs {
                instance_id: id(instance_id, "instance_id", skip),
                vault_id: id(vault_id, "vault_id", skip),
            };
            (source, None)
        }
        Ok(Source::Backup { .. }) => {
            let kind = check_type(out);
            let source = Source::Backup {
                backup_id: id(backup_id, "backup_id", skip),
            };
            (source, kind)
        }
    }
}
