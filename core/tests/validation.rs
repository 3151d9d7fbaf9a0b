//! Every validation rule, accepted and rejected, at its edges (spec §1).
//!
//! The main test is one table: each row is an input (a mutation of a valid request, a JSON
//! body, or a builder) and the exact `(field, rule)` list it must produce, or `OK`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use ims_core::model::request::{ImageTag, Source, Tags, WholeImageRequest};
use ims_core::validate::{self, Rule, ValidationErrors};

const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";
const BACKUP: &str = "9b27efab-4a17-4c06-bfa2-3e0cf021d3c3";

/// A valid ECS request every mutation starts from.
fn base() -> WholeImageRequest {
    WholeImageRequest::new("instance_whole_image", Source::ecs(INSTANCE, VAULT))
}

type Outcome = Result<(), ValidationErrors>;

enum Input {
    /// Mutate [`base`], then `validate`.
    Mutate(Box<dyn Fn(&mut WholeImageRequest)>),
    /// `from_json_validated`.
    Json(String),
    /// Any code producing an outcome (builders).
    Run(Box<dyn Fn() -> Outcome>),
}

struct Case {
    what: &'static str,
    input: Input,
    /// `None`: accepted. `Some(list)`: exactly these `(field, rule)` violations, in order.
    expect: Option<Vec<(&'static str, &'static str)>>,
    /// For accepted rows: the rule whose edge this row shows is not over-strict.
    covers: Option<Rule>,
}

fn ok(what: &'static str, covers: Rule, input: Input) -> Case {
    Case {
        what,
        input,
        expect: None,
        covers: Some(covers),
    }
}

fn err(what: &'static str, input: Input, expect: &[(&'static str, &'static str)]) -> Case {
    Case {
        what,
        input,
        expect: Some(expect.to_vec()),
        covers: None,
    }
}

fn m(f: impl Fn(&mut WholeImageRequest) + 'static) -> Input {
    Input::Mutate(Box::new(f))
}

fn json(text: &str) -> Input {
    Input::Json(text.to_owned())
}

fn json_value(value: serde_json::Value) -> Input {
    Input::Json(value.to_string())
}

fn run(f: impl Fn() -> Outcome + 'static) -> Input {
    Input::Run(Box::new(f))
}

fn legacy(tags: &[&str]) -> Tags {
    Tags::Legacy(tags.iter().map(|t| (*t).to_owned()).collect())
}

fn image(tags: &[(&str, &str)]) -> Tags {
    Tags::Image(tags.iter().map(|(k, v)| ImageTag::new(*k, *v)).collect())
}

fn n_legacy(n: usize) -> Tags {
    Tags::Legacy((0..n).map(|i| format!("k{i}.v{i}")).collect())
}

fn n_image(n: usize) -> Tags {
    Tags::Image(
        (0..n)
            .map(|i| ImageTag::new(format!("k{i}"), format!("v{i}")))
            .collect(),
    )
}

fn ecs_body(extra: serde_json::Value) -> serde_json::Value {
    let mut body = serde_json::json!({
        "name": "instance_whole_image",
        "instance_id": INSTANCE,
        "vault_id": VAULT,
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

fn cases() -> Vec<Case> {
    use Rule::*;
    let cjk128: String = "图".repeat(128);
    let cjk129: String = "图".repeat(129);
    vec![
        // ---- name ----
        ok(
            "name of 128 ASCII characters",
            Length,
            m(|r| r.name = "a".repeat(128)),
        ),
        err(
            "name of 129 characters",
            m(|r| r.name = "a".repeat(129)),
            &[("name", "length")],
        ),
        ok("name of 128 Chinese characters (384 bytes)", Length, {
            let n = cjk128.clone();
            m(move |r| r.name = n.clone())
        }),
        err(
            "name of 129 Chinese characters",
            {
                let n = cjk129.clone();
                m(move |r| r.name = n.clone())
            },
            &[("name", "length")],
        ),
        err(
            "empty name",
            m(|r| r.name = String::new()),
            &[("name", "required")],
        ),
        ok("one-character name", Required, m(|r| r.name = "a".into())),
        err(
            "name with a leading space",
            m(|r| r.name = " image".into()),
            &[("name", "whitespace")],
        ),
        err(
            "name with a trailing space",
            m(|r| r.name = "image ".into()),
            &[("name", "whitespace")],
        ),
        ok(
            "name with inner spaces",
            Whitespace,
            m(|r| r.name = "my image 1".into()),
        ),
        err(
            "name with '/'",
            m(|r| r.name = "a/b".into()),
            &[("name", "charset")],
        ),
        err(
            "name with '@'",
            m(|r| r.name = "a@b".into()),
            &[("name", "charset")],
        ),
        err(
            "name with an emoji",
            m(|r| r.name = "image😀".into()),
            &[("name", "charset")],
        ),
        err(
            "name with a non-ASCII letter",
            m(|r| r.name = "café".into()),
            &[("name", "charset")],
        ),
        err(
            "name with a tab inside",
            m(|r| r.name = "a\tb".into()),
            &[("name", "charset")],
        ),
        err(
            "name with Chinese punctuation",
            m(|r| r.name = "镜像，一".into()),
            &[("name", "charset")],
        ),
        ok(
            "name with every allowed class",
            Charset,
            m(|r| r.name = "Ab-1.2_c 镜像".into()),
        ),
        ok(
            "name with CJK extension A, compatibility and extension B",
            Charset,
            m(|r| r.name = "\u{3400}\u{F900}\u{20000}".into()),
        ),
        // ---- description ----
        ok(
            "description of 1024 characters",
            Length,
            m(|r| r.description = Some("d".repeat(1024))),
        ),
        err(
            "description of 1025 characters",
            m(|r| r.description = Some("d".repeat(1025))),
            &[("description", "length")],
        ),
        ok(
            "description of 1024 Chinese characters",
            Length,
            m(|r| r.description = Some("述".repeat(1024))),
        ),
        ok(
            "empty description",
            Length,
            m(|r| r.description = Some(String::new())),
        ),
        err(
            "description with '<'",
            m(|r| r.description = Some("a<b".into())),
            &[("description", "forbidden_char")],
        ),
        err(
            "description with '>'",
            m(|r| r.description = Some("a>b".into())),
            &[("description", "forbidden_char")],
        ),
        err(
            "description with a carriage return",
            m(|r| r.description = Some("a\rb".into())),
            &[("description", "forbidden_char")],
        ),
        err(
            "description with a line feed",
            m(|r| r.description = Some("a\nb".into())),
            &[("description", "forbidden_char")],
        ),
        err(
            "description too long and with '<'",
            m(|r| r.description = Some(format!("<{}", "d".repeat(1024)))),
            &[("description", "length"), ("description", "forbidden_char")],
        ),
        ok(
            "description with punctuation, tab and quotes",
            ForbiddenChar,
            m(|r| r.description = Some("a & b, 'c' \"d\"\t/@ 😀 — é".into())),
        ),
        // ---- legacy tags ----
        ok("10 legacy tags", Count, m(|r| r.tags = n_legacy(10))),
        err(
            "11 legacy tags",
            m(|r| r.tags = n_legacy(11)),
            &[("tags", "count")],
        ),
        ok(
            "legacy tag with an empty value",
            Length,
            m(|r| r.tags = legacy(&["key."])),
        ),
        ok(
            "legacy tag without a dot",
            Length,
            m(|r| r.tags = legacy(&["key"])),
        ),
        ok(
            "legacy tag with dots in the value",
            Charset,
            m(|r| r.tags = legacy(&["a.b.c"])),
        ),
        ok("legacy key of 36 characters", Length, {
            let t = format!("{}.v", "k".repeat(36));
            m(move |r| r.tags = legacy(&[&t]))
        }),
        err(
            "legacy key of 37 characters",
            {
                let t = format!("{}.v", "k".repeat(37));
                m(move |r| r.tags = legacy(&[&t]))
            },
            &[("tags[0]", "length")],
        ),
        ok("legacy value of 43 characters", Length, {
            let t = format!("k.{}", "v".repeat(43));
            m(move |r| r.tags = legacy(&[&t]))
        }),
        err(
            "legacy value of 44 characters",
            {
                let t = format!("k.{}", "v".repeat(44));
                m(move |r| r.tags = legacy(&[&t]))
            },
            &[("tags[0]", "length")],
        ),
        err(
            "legacy tag with an empty key",
            m(|r| r.tags = legacy(&["ok.1", ".value"])),
            &[("tags[1]", "length")],
        ),
        // Tag characters: only what every documented revision refuses (`= * < > \ , | /`).
        ok(
            "legacy key with a space (older revisions allow it)",
            Charset,
            m(|r| r.tags = legacy(&["a b.c"])),
        ),
        ok(
            "legacy value with ':' (older revisions allow it)",
            Charset,
            m(|r| r.tags = legacy(&["v1.2:3", "env.a b", "k@x.#1+(y)"])),
        ),
        err(
            "legacy value with '/'",
            m(|r| r.tags = legacy(&["a.b/c"])),
            &[("tags[0]", "charset")],
        ),
        err(
            "legacy key with '='",
            m(|r| r.tags = legacy(&["a=b.c"])),
            &[("tags[0]", "charset")],
        ),
        ok(
            "legacy tag in Chinese",
            Charset,
            m(|r| r.tags = legacy(&["键.值"])),
        ),
        err(
            "duplicate legacy keys",
            m(|r| r.tags = legacy(&["a.1", "b.2", "a.3"])),
            &[("tags[2]", "unique")],
        ),
        err(
            "duplicate legacy keys without values",
            m(|r| r.tags = legacy(&["a", "a."])),
            &[("tags[1]", "unique")],
        ),
        ok(
            "legacy keys differing in case",
            Unique,
            m(|r| r.tags = legacy(&["a.1", "A.1"])),
        ),
        // ---- image_tags ----
        ok("10 image tags", Count, m(|r| r.tags = n_image(10))),
        err(
            "11 image tags",
            m(|r| r.tags = n_image(11)),
            &[("image_tags", "count")],
        ),
        ok(
            "image tag with an empty value",
            Length,
            m(|r| r.tags = image(&[("key", "")])),
        ),
        ok("image key of 36 characters", Length, {
            let k = "k".repeat(36);
            m(move |r| r.tags = image(&[(&k, "v")]))
        }),
        err(
            "image key of 37 characters",
            {
                let k = "k".repeat(37);
                m(move |r| r.tags = image(&[("ok", "v"), (&k, "v")]))
            },
            &[("image_tags[1].key", "length")],
        ),
        err(
            "empty image key",
            m(|r| r.tags = image(&[("", "v")])),
            &[("image_tags[0].key", "length")],
        ),
        ok("image value of 43 characters", Length, {
            let v = "v".repeat(43);
            m(move |r| r.tags = image(&[("k", &v)]))
        }),
        err(
            "image value of 44 characters",
            {
                let v = "v".repeat(44);
                m(move |r| r.tags = image(&[("k", &v)]))
            },
            &[("image_tags[0].value", "length")],
        ),
        ok(
            "image value with dots",
            Charset,
            m(|r| r.tags = image(&[("k", "1.2.3")])),
        ),
        ok(
            "image tags v1:2 and a b (older revisions allow them)",
            Charset,
            m(|r| r.tags = image(&[("v1:2", "a b"), ("a b", "v1:2"), ("a.b", "é")])),
        ),
        err(
            "image value with '='",
            m(|r| r.tags = image(&[("k", "a=b")])),
            &[("image_tags[0].value", "charset")],
        ),
        err(
            "image tags with each character every revision refuses",
            m(|r| {
                r.tags = image(&[
                    ("a*", "v"),
                    ("k1", "<"),
                    ("k2", ">"),
                    ("a\\b", "v"),
                    ("k3", "a,b"),
                    ("a|b", "v"),
                    ("k4", "a/b"),
                ])
            }),
            &[
                ("image_tags[0].key", "charset"),
                ("image_tags[1].value", "charset"),
                ("image_tags[2].value", "charset"),
                ("image_tags[3].key", "charset"),
                ("image_tags[4].value", "charset"),
                ("image_tags[5].key", "charset"),
                ("image_tags[6].value", "charset"),
            ],
        ),
        err(
            "duplicate image keys",
            m(|r| r.tags = image(&[("key1", "a"), ("key1", "b")])),
            &[("image_tags[1].key", "unique")],
        ),
        ok(
            "distinct image keys with equal values",
            Unique,
            m(|r| r.tags = image(&[("key1", "a"), ("key2", "a")])),
        ),
        // ---- tags vs image_tags ----
        err(
            "builder mixing tag and legacy_tag",
            run(|| {
                WholeImageRequest::from_ecs("img", INSTANCE, VAULT)
                    .tag("k", "v")
                    .legacy_tag("a.b")
                    .build()
                    .map(|_| ())
            }),
            &[("image_tags", "exclusive")],
        ),
        ok(
            "builder with only image tags",
            Exclusive,
            run(|| {
                WholeImageRequest::from_ecs("img", INSTANCE, VAULT)
                    .tag("k1", "v")
                    .tag("k2", "v")
                    .build()
                    .map(|_| ())
            }),
        ),
        err(
            "JSON with tags and image_tags",
            json_value(ecs_body(serde_json::json!({
                "tags": ["a.1"], "image_tags": [{"key": "b", "value": "2"}]
            }))),
            &[("image_tags", "exclusive")],
        ),
        ok(
            "JSON with an empty tags list beside image_tags",
            Exclusive,
            json_value(ecs_body(
                serde_json::json!({"tags": [], "image_tags": [{"key": "b", "value": "2"}]}),
            )),
        ),
        // ---- memory ----
        ok(
            "min_ram 0 and max_ram 0",
            Range,
            m(|r| {
                r.min_ram = Some(0);
                r.max_ram = Some(0);
            }),
        ),
        ok(
            "min_ram equal to max_ram",
            Range,
            m(|r| {
                r.min_ram = Some(2048);
                r.max_ram = Some(2048);
            }),
        ),
        err(
            "min_ram above max_ram",
            m(|r| {
                r.min_ram = Some(4096);
                r.max_ram = Some(1024);
            }),
            &[("min_ram", "range")],
        ),
        err(
            "negative min_ram",
            m(|r| r.min_ram = Some(-1)),
            &[("min_ram", "range")],
        ),
        err(
            "negative max_ram",
            m(|r| r.max_ram = Some(-1)),
            &[("max_ram", "range")],
        ),
        err(
            "both negative",
            m(|r| {
                r.min_ram = Some(-1);
                r.max_ram = Some(-5);
            }),
            &[("max_ram", "range"), ("min_ram", "range")],
        ),
        err(
            "JSON max_ram beyond i64",
            json(&format!(
                r#"{{"name":"a","backup_id":"{BACKUP}","max_ram":18446744073709551615}}"#
            )),
            &[("max_ram", "range")],
        ),
        // ---- enterprise project ----
        ok(
            "enterprise project \"0\"",
            Format,
            m(|r| r.enterprise_project_id = Some("0".into())),
        ),
        ok(
            "enterprise project UUID",
            Format,
            m(|r| r.enterprise_project_id = Some("0a1b2c3d-4e5f-6789-abcd-ef0123456789".into())),
        ),
        ok(
            "enterprise project UUID in upper case",
            Format,
            m(|r| r.enterprise_project_id = Some("0A1B2C3D-4E5F-6789-ABCD-EF0123456789".into())),
        ),
        err(
            "enterprise project \"abc\"",
            m(|r| r.enterprise_project_id = Some("abc".into())),
            &[("enterprise_project_id", "format")],
        ),
        err(
            "enterprise project \"\"",
            m(|r| r.enterprise_project_id = Some(String::new())),
            &[("enterprise_project_id", "format")],
        ),
        err(
            "enterprise project UUID without hyphens",
            m(|r| r.enterprise_project_id = Some("0a1b2c3d4e5f6789abcdef0123456789".into())),
            &[("enterprise_project_id", "format")],
        ),
        err(
            "enterprise project UUID with a non-hex digit",
            m(|r| r.enterprise_project_id = Some("0a1b2c3d-4e5f-6789-abcd-ef012345678g".into())),
            &[("enterprise_project_id", "format")],
        ),
        // ---- ids ----
        err(
            "empty instance_id",
            m(|r| r.source = Source::ecs("", VAULT)),
            &[("instance_id", "required")],
        ),
        err(
            "empty vault_id",
            m(|r| r.source = Source::ecs(INSTANCE, "")),
            &[("vault_id", "required")],
        ),
        err(
            "empty backup_id",
            m(|r| r.source = Source::backup("")),
            &[("backup_id", "required")],
        ),
        ok(
            "backup id that is not a UUID",
            Required,
            m(|r| r.source = Source::backup("backup-42_x.y")),
        ),
        err(
            "instance_id with a space",
            m(|r| r.source = Source::ecs("877a2cda ba63", VAULT)),
            &[("instance_id", "whitespace")],
        ),
        err(
            "vault_id with a trailing newline",
            m(|r| r.source = Source::ecs(INSTANCE, format!("{VAULT}\n"))),
            &[("vault_id", "whitespace")],
        ),
        err(
            "backup_id with a control character",
            m(|r| r.source = Source::backup("ab\u{1}cd")),
            &[("backup_id", "forbidden_char")],
        ),
        err(
            "backup_id with DEL",
            m(|r| r.source = Source::backup("ab\u{7f}")),
            &[("backup_id", "forbidden_char")],
        ),
        ok(
            "id of 255 characters",
            Length,
            m(|r| r.source = Source::backup("b".repeat(255))),
        ),
        err(
            "id of 256 characters",
            m(|r| r.source = Source::backup("b".repeat(256))),
            &[("backup_id", "length")],
        ),
        // ---- JSON structure ----
        ok("seed example: ECS with tags", Json, json(SEED_ECS_TAGS)),
        ok(
            "seed example: ECS with image_tags",
            Type,
            json(SEED_ECS_IMAGE_TAGS),
        ),
        ok(
            "seed example: backup without whole_image_type",
            Enum,
            json(SEED_BACKUP_NO_TYPE),
        ),
        ok(
            "seed example: backup with tags",
            Enum,
            json(SEED_BACKUP_TAGS),
        ),
        ok(
            "seed example: backup with image_tags",
            UnknownField,
            json(SEED_BACKUP_IMAGE_TAGS),
        ),
        ok(
            "JSON nulls for optional fields",
            Type,
            json_value(ecs_body(serde_json::json!({
                "description": null, "tags": null, "image_tags": null, "max_ram": null,
                "min_ram": null, "enterprise_project_id": null, "backup_id": null
            }))),
        ),
        err(
            "JSON with both sources",
            json_value(ecs_body(serde_json::json!({"backup_id": BACKUP}))),
            &[("source", "exclusive")],
        ),
        err(
            "JSON without a source",
            json(r#"{"name":"a"}"#),
            &[("source", "required")],
        ),
        err(
            "JSON with instance_id but no vault_id",
            json(&format!(r#"{{"name":"a","instance_id":"{INSTANCE}"}}"#)),
            &[("vault_id", "required")],
        ),
        err(
            "JSON without a name",
            json(&format!(r#"{{"backup_id":"{BACKUP}"}}"#)),
            &[("name", "required")],
        ),
        err(
            "JSON with an unknown field",
            json_value(ecs_body(serde_json::json!({"flavor": "x"}))),
            &[("flavor", "unknown_field")],
        ),
        err(
            "JSON with an unknown field in an image tag",
            json_value(ecs_body(
                serde_json::json!({"image_tags": [{"key": "k", "value": "v", "x": 1}]}),
            )),
            &[("image_tags[0].x", "unknown_field")],
        ),
        err(
            "JSON image tag without key",
            json_value(ecs_body(
                serde_json::json!({"image_tags": [{"value": "v"}]}),
            )),
            &[("image_tags[0].key", "required")],
        ),
        err(
            "JSON with a wrong type deep inside",
            json_value(ecs_body(serde_json::json!({
                "image_tags": [{"key": "a", "value": "1"}, {"key": "b", "value": 5}]
            }))),
            &[("image_tags[1].value", "type")],
        ),
        err(
            "JSON with a non-string legacy tag",
            json_value(ecs_body(
                serde_json::json!({"tags": ["a.1", 2, "a/b.c", null]}),
            )),
            &[
                ("tags[1]", "type"),
                ("tags[3]", "type"),
                ("tags[2]", "charset"),
            ],
        ),
        err(
            "JSON with a numeric name",
            json_value(ecs_body(serde_json::json!({"name": 5}))),
            &[("name", "type")],
        ),
        err(
            "JSON with a fractional min_ram",
            json_value(ecs_body(serde_json::json!({"min_ram": 1.5}))),
            &[("min_ram", "type")],
        ),
        err(
            "JSON with a string max_ram",
            json_value(ecs_body(serde_json::json!({"max_ram": "1024"}))),
            &[("max_ram", "type")],
        ),
        ok(
            "JSON with whole_image_type CSBS (legacy, named by the SDK)",
            Enum,
            json(&format!(
                r#"{{"name":"a","backup_id":"{BACKUP}","whole_image_type":"CSBS"}}"#
            )),
        ),
        err(
            "JSON with whole_image_type ECS",
            json(&format!(
                r#"{{"name":"a","backup_id":"{BACKUP}","whole_image_type":"ECS"}}"#
            )),
            &[("whole_image_type", "enum")],
        ),
        err(
            "JSON with whole_image_type in lower case",
            json(&format!(
                r#"{{"name":"a","backup_id":"{BACKUP}","whole_image_type":"csbs"}}"#
            )),
            &[("whole_image_type", "enum")],
        ),
        err(
            "JSON with whole_image_type on an ECS source",
            json_value(ecs_body(serde_json::json!({"whole_image_type": "CBR"}))),
            &[("whole_image_type", "exclusive")],
        ),
        err(
            "invalid JSON syntax",
            json(r#"{"name": "a",}"#),
            &[("$", "json")],
        ),
        err("empty input", json(""), &[("$", "json")]),
        err(
            "JSON that is not an object",
            json("[1,2]"),
            &[("$", "type")],
        ),
        err(
            "structure and value problems together",
            json_value(serde_json::json!({
                "name": " bad/name", "backup_id": BACKUP, "extra": true, "min_ram": "x",
                "image_tags": [{"key": "k", "value": "v"}, {"key": "k", "value": "v"}]
            })),
            &[
                ("name", "whitespace"),
                ("name", "charset"),
                ("image_tags[1].key", "unique"),
                ("min_ram", "type"),
                ("extra", "unknown_field"),
            ],
        ),
        err(
            "huge name in JSON",
            json_value(ecs_body(serde_json::json!({"name": "n".repeat(1 << 20)}))),
            &[("name", "length")],
        ),
    ]
}

const SEED_ECS_TAGS: &str = include_str!("data/seed-ecs-tags.json");

const SEED_ECS_IMAGE_TAGS: &str = include_str!("data/seed-ecs-image-tags.json");

const SEED_BACKUP_NO_TYPE: &str = include_str!("data/seed-backup-no-type.json");

const SEED_BACKUP_TAGS: &str = include_str!("data/seed-backup-tags.json");

const SEED_BACKUP_IMAGE_TAGS: &str = include_str!("data/seed-backup-image-tags.json");

fn outcome(input: &Input) -> Outcome {
    match input {
        Input::Mutate(f) => {
            let mut req = base();
            f(&mut req);
            req.validate()
        }
        Input::Json(text) => WholeImageRequest::from_json_validated(text).map(|_| ()),
        Input::Run(f) => f(),
    }
}

#[test]
fn base_request_is_valid() {
    assert_eq!(base().validate(), Ok(()));
}

#[test]
fn table() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let got = outcome(&case.input);
        let got_pairs = match &got {
            Ok(()) => None,
            Err(e) => Some(e.pairs()),
        };
        if got_pairs != case.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.what,
                case.expect,
                got.as_ref().map_err(|e| e.to_string())
            ));
        }
        if let Err(e) = &got {
            assert!(
                !e.is_empty(),
                "{}: an error must hold violations",
                case.what
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_an_accepted_and_a_rejected_row() {
    let cases = cases();
    let rejected: BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| c.expect.as_ref())
        .flatten()
        .map(|(_, rule)| *rule)
        .collect();
    let accepted: BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| c.covers)
        .map(Rule::as_str)
        .collect();
    for rule in Rule::ALL {
        assert!(
            rejected.contains(rule.as_str()),
            "no rejected row for rule {rule}"
        );
        assert!(
            accepted.contains(rule.as_str()),
            "no accepted row for rule {rule}"
        );
    }
}

#[test]
fn all_violations_are_reported_at_once() {
    let mut req = base();
    req.name = "bad/name".into();
    req.description = Some("<b>".into());
    req.tags = legacy(&["a.1", "a.2"]);
    req.min_ram = Some(-3);
    let err = req.validate().unwrap_err();
    assert_eq!(
        err.pairs(),
        vec![
            ("name", "charset"),
            ("description", "forbidden_char"),
            ("tags[1]", "unique"),
            ("min_ram", "range"),
        ]
    );
    assert_eq!(err.len(), 4);
    assert_eq!(
        err.fields(),
        vec!["name", "description", "tags[1]", "min_ram"]
    );
    assert!(err.contains("tags[1]", Rule::Unique));
    assert_eq!(err.iter().count(), 4);
}

#[test]
fn display_is_one_sentence_per_violation() {
    let mut req = base();
    req.name = "a".repeat(129);
    let err = req.validate().unwrap_err();
    let value = format!("{}…", "a".repeat(64));
    assert_eq!(
        err.violations[0].to_string(),
        format!("name: must be 1-128 characters, got 129 (value \"{value}\")")
    );
    assert_eq!(
        err.to_string(),
        format!("invalid request: name: must be 1-128 characters, got 129 (value \"{value}\")")
    );
    req.min_ram = Some(-1);
    let text = req.validate().unwrap_err().to_string();
    assert!(text.contains("; min_ram: must be at least 0"), "{text}");
}

#[test]
fn huge_input_is_reported_truncated() {
    let mut req = base();
    req.name = "/".repeat(1 << 20);
    req.description = Some("<".repeat(1 << 20));
    req.tags = Tags::Legacy(vec!["k".repeat(1 << 16); 20]);
    req.source = Source::backup(" ".repeat(1 << 20));
    let err = req.validate().unwrap_err();
    for v in &err {
        if let Some(value) = &v.value {
            assert!(
                value.chars().count() <= 65 * 2,
                "{}: value not truncated",
                v.field
            );
        }
        assert!(
            v.message.len() < 300,
            "{}: message too long: {}",
            v.field,
            v.message
        );
    }
    assert!(err.contains("name", Rule::Length));
    assert!(err.contains("name", Rule::Charset));
    assert!(err.contains("tags", Rule::Count));
    assert!(err.contains("tags[19]", Rule::Unique));
    assert!(err.contains("tags[0]", Rule::Length));
    assert!(err.contains("backup_id", Rule::Length));
    // The name is 1 MiB of '/': listed once, not a million times.
    let charset = err
        .iter()
        .find(|v| v.field == "name" && v.rule == Rule::Charset)
        .unwrap();
    assert_eq!(
        charset.message.matches("U+002F").count(),
        1,
        "{}",
        charset.message
    );
}

#[test]
fn value_preview_escapes_and_truncates() {
    assert_eq!(validate::preview("a\"b\nc"), "a\\\"b\\nc");
    assert_eq!(validate::preview(&"x".repeat(64)), "x".repeat(64));
    assert_eq!(
        validate::preview(&"x".repeat(65)),
        format!("{}…", "x".repeat(64))
    );
    assert_eq!(validate::preview(&"图".repeat(100)).chars().count(), 65);
    let mut req = base();
    req.description = Some("line1\nline2".into());
    let err = req.validate().unwrap_err();
    assert_eq!(err.violations[0].value.as_deref(), Some("line1\\nline2"));
}

#[test]
fn weird_unicode_never_panics() {
    let weird = [
        "",
        "\u{0}",
        "\u{FEFF}",
        "\u{200B}",
        "e\u{301}\u{301}\u{301}",
        "\u{10FFFF}",
        "\u{D7FF}\u{E000}",
        "🏳️‍🌈",
        "\u{202E}abc",
        ".",
        "..",
        "...",
    ];
    for w in weird {
        let mut req = base();
        req.name = w.into();
        req.description = Some(w.into());
        req.tags = legacy(&[w, w]);
        req.enterprise_project_id = Some(w.into());
        req.source = Source::ecs(w, w);
        let _ = req.validate();
        let mut req = base();
        req.tags = image(&[(w, w)]);
        let _ = req.validate();
        let _ = WholeImageRequest::from_json_validated(w);
    }
}

#[test]
fn rule_names_are_stable() {
    let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "required",
            "length",
            "charset",
            "whitespace",
            "forbidden_char",
            "unique",
            "count",
            "exclusive",
            "range",
            "format",
            "unknown_field",
            "type",
            "json",
            "enum"
        ]
    );
}

#[test]
fn json_syntax_error_names_line_and_column() {
    let err = WholeImageRequest::from_json("{\n  \"name\": \"a\",\n}").unwrap_err();
    assert_eq!(err.pairs(), vec![("$", "json")]);
    let message = &err.violations[0].message;
    assert!(message.contains("line 3 column 1"), "{message}");
}

mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn validate_never_panics(name in any::<String>(), description in any::<String>(),
                                 tag in any::<String>(), id in any::<String>(),
                                 min in any::<i64>(), max in any::<i64>()) {
            let mut req = base();
            req.name = name;
            req.description = Some(description);
            req.tags = Tags::Legacy(vec![tag.clone(), tag]);
            req.source = Source::backup(id.clone());
            req.enterprise_project_id = Some(id);
            req.min_ram = Some(min);
            req.max_ram = Some(max);
            if let Err(e) = req.validate() {
                prop_assert!(!e.is_empty());
                prop_assert!(!e.to_string().is_empty());
            }
        }

        #[test]
        fn from_json_never_panics(text in any::<String>()) {
            let _ = WholeImageRequest::from_json_validated(&text);
        }

        #[test]
        fn valid_names_are_accepted(name in "[a-zA-Z0-9_.\\-\u{4e00}-\u{9fff}]([a-zA-Z0-9_.\\- \u{4e00}-\u{9fff}]{0,126}[a-zA-Z0-9_.\\-\u{4e00}-\u{9fff}])?") {
            let mut req = base();
            req.name = name;
            prop_assert_eq!(req.validate(), Ok(()));
        }
    }
}

#[test]
fn whole_image_type_is_sent_as_given() {
    let text = format!(r#"{{"name":"a","backup_id":"{BACKUP}","whole_image_type":"CSBS"}}"#);
    let req = WholeImageRequest::from_json_validated(&text).expect("CSBS is accepted");
    assert!(
        req.to_json().contains(r#""whole_image_type":"CSBS""#),
        "{}",
        req.to_json()
    );
    let built = WholeImageRequest::from_backup("a", BACKUP)
        .whole_image_type("CSBS")
        .build()
        .expect("valid");
    assert_eq!(built.to_json(), req.to_json());
    let default = WholeImageRequest::from_backup("a", BACKUP)
        .build()
        .expect("valid");
    assert!(default.to_json().contains(r#""whole_image_type":"CBR""#));
    let err = WholeImageRequest::from_ecs("a", INSTANCE, VAULT)
        .whole_image_type("CBR")
        .build()
        .expect_err("an ECS source has no whole_image_type");
    assert_eq!(err.pairs(), vec![("whole_image_type", "exclusive")]);
}
