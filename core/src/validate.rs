//! Every documented rule on the request (spec §1), all violations reported at once.
//!
//! The server is authoritative: nothing here is stricter than the newest documented rule, so a
//! request this module accepts may still be refused by the service, never the other way round.
//!
//! Readings of the documentation that are this module's own:
//!
//! * "characters" are Unicode scalar values (`char`s), not bytes: 128 Chinese characters are a
//!   valid name even though they take 384 bytes.
//! * "letters" are the ASCII letters `a-z` and `A-Z`. The documented server rule names letters
//!   beside Chinese characters, which reads as the Latin alphabet; other scripts (`é`, `ß`,
//!   Cyrillic) are refused.
//! * "Chinese characters" are the CJK ideographs: CJK Unified Ideographs U+4E00–U+9FFF,
//!   extension A U+3400–U+4DBF, CJK Compatibility Ideographs U+F900–U+FAFF, and the whole
//!   Supplementary and Tertiary Ideographic Planes U+20000–U+3FFFF (extensions B and later, and
//!   the compatibility supplement). Chinese punctuation (`，`, `。`) is not a Chinese character.
//! * An empty `description` is the same as no description.
//! * Tag keys are compared case-sensitively for uniqueness (the more lenient reading).
//! * Tag characters: only what every documented revision refuses is refused
//!   ([`TAG_FORBIDDEN_CHARS`]); `v1:2` and `a b` pass, as older revisions allow them.
//! * `whole_image_type` is `CBR` or the legacy `CSBS` (named by the SDK), sent as given.

use std::collections::HashSet;
use std::fmt;

use crate::model::request::{ImageTag, Source, Tags, WHOLE_IMAGE_TYPES, WholeImageRequest};

/// Maximum length of `name`, in characters.
pub const NAME_MAX_CHARS: usize = 128;
/// Maximum length of `description`, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 1024;
/// Maximum length of a tag key, in characters (the minimum is 1).
pub const TAG_KEY_MAX_CHARS: usize = 36;
/// Maximum length of a tag value, in characters (the minimum is 0).
pub const TAG_VALUE_MAX_CHARS: usize = 43;
/// Maximum number of tags on one image.
pub const MAX_TAGS: usize = 10;
/// Maximum length of `instance_id`, `vault_id` and `backup_id`, in characters.
pub const ID_MAX_CHARS: usize = 255;
/// How many characters of an offending value a [`Violation`] keeps.
pub const VALUE_PREVIEW_CHARS: usize = 64;

/// The machine-readable name of a broken rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// A required field is missing or empty.
    Required,
    /// Too short or too long.
    Length,
    /// A character outside the allowed set.
    Charset,
    /// Leading/trailing whitespace, or whitespace where none is allowed.
    Whitespace,
    /// A character that is explicitly forbidden (line breaks, `<`, `>`, control characters).
    ForbiddenChar,
    /// A value that must be unique appears twice.
    Unique,
    /// Too many items.
    Count,
    /// Two fields that cannot be used together.
    Exclusive,
    /// A number out of its range, or two numbers in the wrong order.
    Range,
    /// A value that does not have the required format.
    Format,
    /// A JSON field this request does not have.
    UnknownField,
    /// A JSON value of the wrong type.
    Type,
    /// The text is not valid JSON.
    Json,
    /// A value outside its fixed set of allowed values.
    Enum,
}

impl Rule {
    /// The stable snake_case name (`"length"`, `"forbidden_char"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::Length => "length",
            Rule::Charset => "charset",
            Rule::Whitespace => "whitespace",
            Rule::ForbiddenChar => "forbidden_char",
            Rule::Unique => "unique",
            Rule::Count => "count",
            Rule::Exclusive => "exclusive",
            Rule::Range => "range",
            Rule::Format => "format",
            Rule::UnknownField => "unknown_field",
            Rule::Type => "type",
            Rule::Json => "json",
            Rule::Enum => "enum",
        }
    }

    /// Every rule, in declaration order.
    pub const ALL: [Rule; 14] = [
        Rule::Required,
        Rule::Length,
        Rule::Charset,
        Rule::Whitespace,
        Rule::ForbiddenChar,
        Rule::Unique,
        Rule::Count,
        Rule::Exclusive,
        Rule::Range,
        Rule::Format,
        Rule::UnknownField,
        Rule::Type,
        Rule::Json,
        Rule::Enum,
    ];
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule: where, which rule, and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Field path, e.g. `image_tags[2].key`; `$` for the whole JSON document.
    pub field: String,
    /// The broken rule.
    pub rule: Rule,
    /// One lowercase sentence that explains the rule (without the field name).
    pub message: String,
    /// The offending value: at most [`VALUE_PREVIEW_CHARS`] characters, escaped with
    /// [`str::escape_debug`], `…` appended when cut.
    pub value: Option<String>,
}

impl Violation {
    /// A violation without a value.
    pub fn new(field: impl Into<String>, rule: Rule, message: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            rule,
            message: message.into(),
            value: None,
        }
    }

    /// The same violation, carrying a truncated, escaped preview of `value`.
    #[must_use]
    pub fn with_value(mut self, value: &str) -> Self {
        self.value = Some(preview(value));
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)?;
        if let Some(value) = &self.value {
            write!(f, " (value \"{value}\")")?;
        }
        Ok(())
    }
}

/// At most [`VALUE_PREVIEW_CHARS`] characters of `s`, escaped with [`str::escape_debug`], with
/// `…` appended when `s` was longer.
pub fn preview(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    for c in chars.by_ref().take(VALUE_PREVIEW_CHARS) {
        out.extend(c.escape_debug());
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// All the violations found in one request (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors {
    /// The violations, in field order.
    pub violations: Vec<Violation>,
}

impl ValidationErrors {
    /// `Ok(())` when `violations` is empty, otherwise the error holding them.
    pub fn from_violations(violations: Vec<Violation>) -> Result<(), ValidationErrors> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors { violations })
        }
    }

    /// The violations, in field order.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.violations.iter()
    }

    /// The field path of every violation, in order (a field may appear more than once).
    pub fn fields(&self) -> Vec<&str> {
        self.violations.iter().map(|v| v.field.as_str()).collect()
    }

    /// `(field, rule name)` of every violation, in order.
    pub fn pairs(&self) -> Vec<(&str, &'static str)> {
        self.violations
            .iter()
            .map(|v| (v.field.as_str(), v.rule.as_str()))
            .collect()
    }

    /// Whether some violation is on `field` and breaks `rule`.
    pub fn contains(&self, field: &str, rule: Rule) -> bool {
        self.violations
            .iter()
            .any(|v| v.field == field && v.rule == rule)
    }

    /// Number of violations.
    pub fn len(&self) -> usize {
        self.violations.len()
    }

    /// Whether there is no violation (never true for an error returned by this crate).
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a Violation;
    type IntoIter = std::slice::Iter<'a, Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.violations.iter()
    }
}

impl IntoIterator for ValidationErrors {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.violations.into_iter()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid request: ")?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Checks `req` against every documented rule and reports all violations at once, in field
/// order (the order of the request body).
pub fn validate(req: &WholeImageRequest) -> Result<(), ValidationErrors> {
    let mut out = Vec::new();
    collect(req, &mut out);
    sort_by_field(&mut out);
    ValidationErrors::from_violations(out)
}

/// Appends every violation of `req` to `out` (unsorted).
pub(crate) fn collect(req: &WholeImageRequest, out: &mut Vec<Violation>) {
    check_name(&req.name, out);
    if let Some(description) = &req.description {
        check_description(description, out);
    }
    match &req.tags {
        Tags::None => {}
        Tags::Legacy(tags) => check_legacy_tags(tags, out),
        Tags::Image(tags) => check_image_tags(tags, out),
    }
    check_source(&req.source, out);
    if let Some(t) = &req.whole_image_type {
        check_whole_image_type(&req.source, t, out);
    }
    check_ram(req.min_ram, req.max_ram, out);
    if let Some(id) = &req.enterprise_project_id {
        check_enterprise_project_id(id, out);
    }
}

/// The violation for a request that has both `tags` and `image_tags`.
pub(crate) fn exclusive_tags() -> Violation {
    Violation::new(
        "image_tags",
        Rule::Exclusive,
        "cannot be used together with tags: use either tags or image_tags",
    )
}

/// The top-level field of a path: `image_tags[2].key` → `image_tags`.
pub(crate) fn top_level(field: &str) -> &str {
    field.split(['[', '.']).next().unwrap_or(field)
}

/// Position of a top-level field in the request body; unknown fields sort last.
fn rank(field: &str) -> usize {
    const ORDER: [&str; 13] = [
        "$",
        "name",
        "description",
        "tags",
        "image_tags",
        "source",
        "instance_id",
        "vault_id",
        "backup_id",
        "whole_image_type",
        "max_ram",
        "min_ram",
        "enterprise_project_id",
    ];
    let top = top_level(field);
    ORDER.iter().position(|f| *f == top).unwrap_or(ORDER.len())
}

/// Stable sort of violations into body field order.
pub(crate) fn sort_by_field(violations: &mut [Violation]) {
    violations.sort_by_key(|v| rank(&v.field));
}

/// Whether `c` is a Chinese character (see the module documentation).
pub fn is_chinese(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x2_0000..=0x3_FFFF
    )
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ' ') || is_chinese(c)
}

/// The tag characters every documented revision refuses. The newest allows only letters,
/// digits, `_`, `-` (and `.` in values) and Chinese characters; older revisions forbade only
/// these. A tag is refused only for what both refuse (spec §1: "keep tag checks lenient").
pub const TAG_FORBIDDEN_CHARS: [char; 8] = ['=', '*', '<', '>', '\\', ',', '|', '/'];

fn tag_char(c: char) -> bool {
    !TAG_FORBIDDEN_CHARS.contains(&c)
}

/// The distinct characters of `s` that `allowed` refuses (at most five, then `…`), quoted, or
/// `None` when every character is allowed.
fn offending(s: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    const SHOWN: usize = 5;
    let mut bad: Vec<char> = Vec::new();
    let mut more = false;
    for c in s.chars().filter(|c| !allowed(*c)) {
        if bad.contains(&c) {
            continue;
        }
        if bad.len() == SHOWN {
            more = true;
            break;
        }
        bad.push(c);
    }
    if bad.is_empty() {
        return None;
    }
    let mut list: Vec<String> = bad
        .iter()
        .map(|c| format!("'{}' (U+{:04X})", c.escape_debug(), u32::from(*c)))
        .collect();
    if more {
        list.push("…".to_owned());
    }
    Some(list.join(", "))
}

fn check_name(name: &str, out: &mut Vec<Violation>) {
    const FIELD: &str = "name";
    if name.is_empty() {
        out.push(Violation::new(
            FIELD,
            Rule::Required,
            format!("is required (1-{NAME_MAX_CHARS} characters)"),
        ));
        return;
    }
    let len = name.chars().count();
    if len > NAME_MAX_CHARS {
        out.push(
            Violation::new(
                FIELD,
                Rule::Length,
                format!("must be 1-{NAME_MAX_CHARS} characters, got {len}"),
            )
            .with_value(name),
        );
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        out.push(
            Violation::new(
                FIELD,
                Rule::Whitespace,
                "must not begin or end with whitespace",
            )
            .with_value(name),
        );
    }
    if let Some(bad) = offending(name, name_char) {
        out.push(
            Violation::new(
                FIELD,
                Rule::Charset,
                format!(
                    "may contain only letters a-z A-Z, digits, '-', '.', '_', space and Chinese characters, found {bad}"
                ),
            )
            .with_value(name),
        );
    }
}

fn check_description(description: &str, out: &mut Vec<Violation>) {
    const FIELD: &str = "description";
    let len = description.chars().count();
    if len > DESCRIPTION_MAX_CHARS {
        out.push(
            Violation::new(
                FIELD,
                Rule::Length,
                format!("must be at most {DESCRIPTION_MAX_CHARS} characters, got {len}"),
            )
            .with_value(description),
        );
    }
    let found: Vec<&str> = [
        ('\r', "carriage return"),
        ('\n', "line feed"),
        ('<', "'<'"),
        ('>', "'>'"),
    ]
    .iter()
    .filter(|(c, _)| description.contains(*c))
    .map(|(_, label)| *label)
    .collect();
    if !found.is_empty() {
        out.push(
            Violation::new(
                FIELD,
                Rule::ForbiddenChar,
                format!(
                    "must not contain carriage return, line feed, '<' or '>', found {}",
                    found.join(", ")
                ),
            )
            .with_value(description),
        );
    }
}

fn check_count(field: &str, count: usize, out: &mut Vec<Violation>) {
    if count > MAX_TAGS {
        out.push(Violation::new(
            field,
            Rule::Count,
            format!("must have at most {MAX_TAGS} tags, got {count}"),
        ));
    }
}

/// Checks one tag key or value; `part` names it in messages (`"key"`, `"key part"`).
fn check_tag_part(field: &str, part: &str, text: &str, is_key: bool, out: &mut Vec<Violation>) {
    let len = text.chars().count();
    let (min, max) = if is_key {
        (1, TAG_KEY_MAX_CHARS)
    } else {
        (0, TAG_VALUE_MAX_CHARS)
    };
    if len < min || len > max {
        out.push(
            Violation::new(
                field,
                Rule::Length,
                format!("{part} must be {min}-{max} characters, got {len}"),
            )
            .with_value(text),
        );
    }
    if let Some(bad) = offending(text, tag_char) {
        out.push(
            Violation::new(
                field,
                Rule::Charset,
                format!(
                    "{part} must not contain '=', '*', '<', '>', '\\', ',', '|' or '/', found {bad}"
                ),
            )
            .with_value(text),
        );
    }
}

/// Checks legacy `"key.value"` tags (split at the first dot).
pub(crate) fn check_legacy_tags(tags: &[String], out: &mut Vec<Violation>) {
    check_count("tags", tags.len(), out);
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, tag) in tags.iter().enumerate() {
        let field = format!("tags[{i}]");
        let (key, value) = Tags::split_legacy(tag);
        check_tag_part(&field, "key part (before the first '.')", key, true, out);
        check_tag_part(
            &field,
            "value part (after the first '.')",
            value,
            false,
            out,
        );
        if !seen.insert(key) {
            out.push(
                Violation::new(
                    field,
                    Rule::Unique,
                    "key part duplicates the key of an earlier tag",
                )
                .with_value(key),
            );
        }
    }
}

/// Checks `image_tags`.
pub(crate) fn check_image_tags(tags: &[ImageTag], out: &mut Vec<Violation>) {
    check_count("image_tags", tags.len(), out);
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, tag) in tags.iter().enumerate() {
        let key_field = format!("image_tags[{i}].key");
        check_tag_part(&key_field, "key", &tag.key, true, out);
        check_tag_part(
            &format!("image_tags[{i}].value"),
            "value",
            &tag.value,
            false,
            out,
        );
        if !seen.insert(tag.key.as_str()) {
            out.push(
                Violation::new(
                    key_field,
                    Rule::Unique,
                    "duplicates the key of an earlier tag",
                )
                .with_value(&tag.key),
            );
        }
    }
}

fn check_source(source: &Source, out: &mut Vec<Violation>) {
    match source {
        Source::Ecs {
            instance_id,
            vault_id,
        } => {
            check_id("instance_id", instance_id, out);
            check_id("vault_id", vault_id, out);
        }
        Source::Backup { backup_id } => check_id("backup_id", backup_id, out),
    }
}

/// Checks an id (`instance_id`, `vault_id`, `backup_id`).
///
/// Deliberately lenient: ids are UUIDs today, but CBR backup ids and future id formats are the
/// server's to judge, and a client must never be stricter than the server. Only what can never
/// be a valid id in a JSON body or URL is refused: empty, whitespace, control characters, and
/// absurd lengths.
fn check_id(field: &str, id: &str, out: &mut Vec<Violation>) {
    if id.is_empty() {
        out.push(Violation::new(field, Rule::Required, "is required"));
        return;
    }
    let len = id.chars().count();
    if len > ID_MAX_CHARS {
        out.push(
            Violation::new(
                field,
                Rule::Length,
                format!("must be at most {ID_MAX_CHARS} characters, got {len}"),
            )
            .with_value(id),
        );
    }
    if id.contains(char::is_whitespace) {
        out.push(
            Violation::new(field, Rule::Whitespace, "must not contain whitespace").with_value(id),
        );
    }
    if id.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        out.push(
            Violation::new(
                field,
                Rule::ForbiddenChar,
                "must not contain control characters",
            )
            .with_value(id),
        );
    }
}

fn check_whole_image_type(source: &Source, t: &str, out: &mut Vec<Violation>) {
    const FIELD: &str = "whole_image_type";
    if matches!(source, Source::Ecs { .. }) {
        out.push(Violation::new(
            FIELD,
            Rule::Exclusive,
            "applies only to a CBR backup source (backup_id), not to instance_id and vault_id",
        ));
    } else if !WHOLE_IMAGE_TYPES.contains(&t) {
        out.push(
            Violation::new(
                FIELD,
                Rule::Enum,
                "must be \"CBR\" (or the legacy \"CSBS\")",
            )
            .with_value(t),
        );
    }
}

fn check_ram(min_ram: Option<i64>, max_ram: Option<i64>, out: &mut Vec<Violation>) {
    for (field, value) in [("max_ram", max_ram), ("min_ram", min_ram)] {
        if let Some(v) = value
            && v < 0
        {
            out.push(Violation::new(
                field,
                Rule::Range,
                format!("must be at least 0 (MB), got {v}"),
            ));
        }
    }
    if let (Some(min), Some(max)) = (min_ram, max_ram)
        && min >= 0
        && max >= 0
        && min > max
    {
        out.push(Violation::new(
            "min_ram",
            Rule::Range,
            format!("must not exceed max_ram ({max} MB), got {min}"),
        ));
    }
}

fn check_enterprise_project_id(id: &str, out: &mut Vec<Violation>) {
    if id != "0" && !is_uuid(id) {
        out.push(
            Violation::new(
                "enterprise_project_id",
                Rule::Format,
                "must be \"0\" or a UUID (8-4-4-4-12 hexadecimal digits)",
            )
            .with_value(id),
        );
    }
}

/// Whether `s` is a UUID in its hyphenated 8-4-4-4-12 form, hex digits of either case.
pub fn is_uuid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}
