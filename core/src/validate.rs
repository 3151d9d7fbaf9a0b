//! Every documented rule on the fields of the request (spec §1), each a check of plain values
//! (texts, counts, tag pairs) that appends its violations; `model` applies them to a request
//! and reports all violations at once. The violation types are re-exported from `violation`.
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

pub use crate::violation::{
    Rule, VALUE_PREVIEW_CHARS, ValidationErrors, Violation, preview, top_level,
};

/// The `whole_image_type` sent for a backup source unless another is given.
pub const WHOLE_IMAGE_TYPE_CBR: &str = "CBR";
/// The legacy `whole_image_type` the SDK text names beside `CBR`; accepted and sent as given.
pub const WHOLE_IMAGE_TYPE_CSBS: &str = "CSBS";
/// Every `whole_image_type` accepted for a backup source.
pub const WHOLE_IMAGE_TYPES: [&str; 2] = [WHOLE_IMAGE_TYPE_CBR, WHOLE_IMAGE_TYPE_CSBS];

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

pub(crate) fn check_name(name: &str, out: &mut Vec<Violation>) {
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

pub(crate) fn check_description(description: &str, out: &mut Vec<Violation>) {
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

/// Splits a legacy tag at its FIRST dot: `"a.b.c"` → `("a", "b.c")`, `"a"` → `("a", "")`.
pub fn split_legacy_tag(tag: &str) -> (&str, &str) {
    tag.split_once('.').unwrap_or((tag, ""))
}

/// Checks `whole_image_type` (`t`) for a source that is an ECS (`ecs`) or a backup.
pub(crate) fn check_whole_image_type(ecs: bool, t: &str, out: &mut Vec<Violation>) {
    const FIELD: &str = "whole_image_type";
    if ecs {
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

/// Checks legacy `"key.value"` tags (split at the first dot).
pub(crate) fn check_legacy_tags(tags: &[String], out: &mut Vec<Violation>) {
    check_count("tags", tags.len(), out);
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, tag) in tags.iter().enumerate() {
        let field = format!("tags[{i}]");
        let (key, value) = split_legacy_tag(tag);
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
pub(crate) fn check_image_tags<'a>(
    tags: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    out: &mut Vec<Violation>,
) {
    check_count("image_tags", tags.len(), out);
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, (key, value)) in tags.enumerate() {
        let key_field = format!("image_tags[{i}].key");
        check_tag_part(&key_field, "key", key, true, out);
        check_tag_part(
            &format!("image_tags[{i}].value"),
            "value",
            value,
            false,
            out,
        );
        if !seen.insert(key) {
            out.push(
                Violation::new(
                    key_field,
                    Rule::Unique,
                    "duplicates the key of an earlier tag",
                )
                .with_value(key),
            );
        }
    }
}

/// Checks an id (`instance_id`, `vault_id`, `backup_id`).
///
/// Deliberately lenient: ids are UUIDs today, but CBR backup ids and future id formats are the
/// server's to judge, and a client must never be stricter than the server. Only what can never
/// be a valid id in a JSON body or URL is refused: empty, whitespace, control characters, and
/// absurd lengths.
pub(crate) fn check_id(field: &str, id: &str, out: &mut Vec<Violation>) {
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

pub(crate) fn check_ram(min_ram: Option<i64>, max_ram: Option<i64>, out: &mut Vec<Violation>) {
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

pub(crate) fn check_enterprise_project_id(id: &str, out: &mut Vec<Violation>) {
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
