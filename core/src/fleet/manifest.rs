//! The manifest: JSON Lines, one item per line, each the documented create body plus an
//! optional `key`. Every line is read and checked before anything is sent; every problem is
//! reported with its line number, all at once.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use crate::model::{Source, WholeImageRequest};
use crate::validate::MAX_TAGS;

/// The longest item key, in characters.
pub const MAX_KEY_CHARS: usize = 128;
/// At most this many items in one manifest.
pub const MAX_ITEMS: usize = 100_000;
/// A manifest line longer than this (bytes) is refused unread.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// One item of a fleet: where it stands in the manifest, its key, and its create body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestItem {
    /// Line number in the manifest, from 1.
    pub line: usize,
    /// The item's key: the `key` field, else the source (`instance_id` or `backup_id`).
    pub key: String,
    /// The create body, valid by every documented rule (before the fleet adds its tag).
    pub request: WholeImageRequest,
}

impl ManifestItem {
    /// The backup the item is made from, if it is made from one.
    pub fn backup_id(&self) -> Option<&str> {
        match &self.request.source {
            Source::Backup { backup_id } => Some(backup_id),
            Source::Ecs { .. } => None,
        }
    }
}

/// A checked manifest: at least one item, keys unique, no backup used twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    items: Vec<ManifestItem>,
}

/// One problem of a manifest line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Line number, from 1 (0: the manifest as a whole).
    pub line: usize,
    /// What is wrong (a field and its rule, when a rule is broken).
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "manifest: {}", self.message)
        } else {
            write!(f, "manifest line {}: {}", self.line, self.message)
        }
    }
}

/// Every problem found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestErrors {
    /// The problems, by line.
    pub errors: Vec<LineError>,
}

impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "the manifest has {n} problem{}, nothing was sent",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestErrors {}

impl Manifest {
    /// Reads JSON Lines: blank lines and lines starting with `#` are skipped; each other line
    /// is one JSON object, the create body plus an optional `key` (a string of 1 to
    /// [`MAX_KEY_CHARS`] printable characters). The fleet adds one tag of its own to each
    /// body, so a body may hold at most `MAX_TAGS - 1` tags.
    pub fn parse(text: &str) -> Result<Manifest, ManifestErrors> {
        let mut errors = Vec::new();
        let mut items: Vec<ManifestItem> = Vec::new();
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut backups: HashMap<String, usize> = HashMap::new();
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if items.len() + errors.len() >= MAX_ITEMS {
                errors.push(LineError {
                    line,
                    message: format!("more than {MAX_ITEMS} items"),
                });
                break;
            }
            if raw.len() > MAX_LINE_BYTES {
                errors.push(LineError {
                    line,
                    message: format!("longer than {MAX_LINE_BYTES} bytes"),
                });
                continue;
            }
            match read_line(trimmed) {
                Err(problems) => errors.extend(
                    problems
                        .into_iter()
                        .map(|message| LineError { line, message }),
                ),
                Ok((key, request)) => {
                    if let Some(first) = keys.get(&key) {
                        errors.push(LineError {
                            line,
                            message: format!(
                                "key: unique: {key:?} is also the key of line {first}"
                            ),
                        });
                        continue;
                    }
                    let item = ManifestItem { line, key, request };
                    if let Some(b) = item.backup_id() {
                        if let Some(first) = backups.get(b) {
                            errors.push(LineError {
                                line,
                                message: format!(
                                    "backup_id: unique: backup {b:?} is also the source of line {first} (a backup makes one full-ECS image at a time)"
                                ),
                            });
                            continue;
                        }
                        backups.insert(b.to_owned(), line);
                    }
                    keys.insert(item.key.clone(), line);
                    items.push(item);
                }
            }
        }
        if items.is_empty() && errors.is_empty() {
            errors.push(LineError {
                line: 0,
                message: "no item (every line is blank or a comment)".to_owned(),
            });
        }
        if errors.is_empty() {
            Ok(Manifest { items })
        } else {
            Err(ManifestErrors { errors })
        }
    }

    /// The items, in manifest order.
    pub fn items(&self) -> &[ManifestItem] {
        &self.items
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no item (never true of a parsed manifest).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// One line: its key and its valid body, or every problem found.
fn read_line(text: &str) -> Result<(String, WholeImageRequest), Vec<String>> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| vec![format!("$: json: {e}")])?;
    let Some(object) = value.as_object_mut() else {
        return Err(vec!["$: type: must be a JSON object".to_owned()]);
    };
    let mut problems = Vec::new();
    let key = match object.remove("key") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => {
            let n = k.chars().count();
            if n == 0 || n > MAX_KEY_CHARS {
                problems.push(format!(
                    "key: length: must be 1-{MAX_KEY_CHARS} characters, got {n}"
                ));
            } else if k.chars().any(char::is_control) {
                problems.push("key: charset: must not contain control characters".to_owned());
            }
            Some(k)
        }
        Some(_) => {
            problems.push("key: type: must be a string".to_owned());
            None
        }
    };
    let request = match WholeImageRequest::from_json_value_validated(value) {
        Ok(r) => Some(r),
        Err(violations) => {
            problems.extend(violations.iter().map(|v| {
                let mut m = format!("{}: {}: {}", v.field, v.rule.as_str(), v.message);
                if let Some(value) = &v.value {
                    m.push_str(&format!(" (value \"{value}\")"));
                }
                m
            }));
            None
        }
    };
    if let Some(r) = &request
        && r.tags.len() >= MAX_TAGS
    {
        problems.push(format!(
            "tags: count: at most {} tags, since the fleet adds one of its own, got {}",
            MAX_TAGS - 1,
            r.tags.len()
        ));
    }
    match (problems.is_empty(), request) {
        (true, Some(request)) => {
            let key = key.unwrap_or_else(|| match &request.source {
                Source::Ecs { instance_id, .. } => instance_id.clone(),
                Source::Backup { backup_id } => backup_id.clone(),
            });
            Ok((key, request))
        }
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECS: &str = r#"{"name":"web-1","instance_id":"i-1","vault_id":"v-1"}"#;

    #[test]
    fn a_good_manifest_reads_with_default_and_explicit_keys() {
        let text = format!(
            "# nightly\n{ECS}\n\n{{\"key\":\"db\",\"name\":\"db-1\",\"backup_id\":\"b-1\",\"whole_image_type\":\"CBR\"}}\r\n"
        );
        let m = Manifest::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.len(), 2);
        assert_eq!((m.items()[0].line, m.items()[0].key.as_str()), (2, "i-1"));
        assert_eq!((m.items()[1].line, m.items()[1].key.as_str()), (4, "db"));
        assert_eq!(m.items()[1].backup_id(), Some("b-1"));
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text = [
            ECS,
            "not json",
            "[1]",
            r#"{"name":"x","instance_id":"i-2","vault_id":"v","colour":"red"}"#,
            r#"{"name":"","instance_id":"i-3","vault_id":"v"}"#,
            ECS,
            r#"{"key":7,"name":"y","instance_id":"i-4","vault_id":"v"}"#,
            r#"{"name":"b1","backup_id":"b","whole_image_type":"CBR"}"#,
            r#"{"key":"other","name":"b2","backup_id":"b","whole_image_type":"CBR"}"#,
        ]
        .join("\n");
        let e = Manifest::parse(&text).expect_err("bad manifest");
        let lines: Vec<usize> = e.errors.iter().map(|l| l.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7, 9], "{e}");
        let shown = e.to_string();
        for needle in [
            "line 2: $: json",
            "line 4: colour",
            "line 5: name",
            "line 6: key: unique",
            "line 7: key: type",
            "line 9: backup_id: unique",
            "nothing was sent",
        ] {
            assert!(shown.contains(needle), "{needle}: {shown}");
        }
    }

    #[test]
    fn an_empty_manifest_and_too_many_tags_are_refused() {
        assert!(Manifest::parse("\n# only a comment\n").is_err());
        let tags: Vec<String> = (0..MAX_TAGS).map(|i| format!("\"k{i}.v\"")).collect();
        let line = format!(
            r#"{{"name":"t","instance_id":"i","vault_id":"v","tags":[{}]}}"#,
            tags.join(",")
        );
        let e = Manifest::parse(&line).expect_err("too many tags");
        assert!(e.to_string().contains("tags: count"), "{e}");
        let fewer = format!(
            r#"{{"name":"t","instance_id":"i","vault_id":"v","tags":[{}]}}"#,
            tags[1..].join(",")
        );
        assert!(Manifest::parse(&fewer).is_ok());
    }
}
