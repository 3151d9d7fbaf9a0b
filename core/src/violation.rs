//! What a broken rule looks like: [`Rule`], [`Violation`], [`ValidationErrors`], and the one
//! helper that shortens a caller's text for a message ([`preview`], which the signer's and the
//! client's messages use too). A leaf: it reads nothing else of the crate.

use std::fmt;

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

/// The top-level field of a path: `image_tags[2].key` → `image_tags`.
pub fn top_level(field: &str) -> &str {
    field.split(['[', '.']).next().unwrap_or(field)
}
