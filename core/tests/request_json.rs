//! The request body on the wire: documented field order, unset fields omitted, round trips.
#![allow(clippy::unwrap_used)]

use ims_core::model::request::{
    ImageTag, JOB_TYPE_BY_BACKUP, JOB_TYPE_BY_INSTANCE, Source, Tags, WholeImageRequest,
};
use ims_core::validate::Rule;
use serde_json::{Value, json};

const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";
const BACKUP: &str = "9b27efab-4a17-4c06-bfa2-3e0cf021d3c3";

/// The seed page's first example, as printed there.
const SEED_ECS_TAGS: &str = include_str!("data/seed-ecs-tags.json");

const SEED_ECS_IMAGE_TAGS: &str = include_str!("data/seed-ecs-image-tags.json");

const SEED_BACKUP_TAGS: &str = include_str!("data/seed-backup-tags.json");

const SEED_BACKUP_IMAGE_TAGS: &str = include_str!("data/seed-backup-image-tags.json");

const SEED_BACKUP_NO_TYPE: &str = include_str!("data/seed-backup-no-type.json");

#[test]
fn seed_ecs_example_serializes_byte_for_byte_in_field_order() {
    let req = WholeImageRequest::from_json(SEED_ECS_TAGS).unwrap();
    req.validate().unwrap();
    assert_eq!(
        req.to_json(),
        concat!(
            r#"{"name":"instance_whole_image","description":"creating an image from an ECS","#,
            r#""tags":["aaa.111","bbb.333","ccc.444"],"#,
            r#""instance_id":"877a2cda-ba63-4e1e-b95f-e67e48b6129a","#,
            r#""vault_id":"de9fcf45-11b2-432c-8562-5c5428574600"}"#
        )
    );
    assert_eq!(req.to_json_vec(), req.to_json().into_bytes());
}

#[test]
fn seed_examples_survive_parse_and_serialize() {
    for seed in [
        SEED_ECS_TAGS,
        SEED_ECS_IMAGE_TAGS,
        SEED_BACKUP_TAGS,
        SEED_BACKUP_IMAGE_TAGS,
    ] {
        let req = WholeImageRequest::from_json(seed).unwrap();
        req.validate().unwrap();
        let sent: Value = serde_json::from_str(&req.to_json()).unwrap();
        let original: Value = serde_json::from_str(seed).unwrap();
        assert_eq!(sent, original, "{seed}");
    }
}

#[test]
fn backup_body_always_carries_whole_image_type_cbr() {
    let req = WholeImageRequest::from_json(SEED_BACKUP_NO_TYPE).unwrap();
    let body = req.to_json();
    assert!(body.contains(r#""whole_image_type":"CBR""#), "{body}");
    assert_eq!(req.job_type(), JOB_TYPE_BY_BACKUP);
    let req = WholeImageRequest::new("b", Source::backup(BACKUP));
    assert_eq!(
        req.to_json(),
        format!(r#"{{"name":"b","backup_id":"{BACKUP}","whole_image_type":"CBR"}}"#)
    );
}

#[test]
fn every_field_in_documented_order() {
    let req = WholeImageRequest::from_backup("img", BACKUP)
        .description("d")
        .tag("k", "v")
        .min_ram(1024)
        .max_ram(4096)
        .enterprise_project_id("0")
        .build()
        .unwrap();
    assert_eq!(
        req.to_json(),
        format!(
            concat!(
                r#"{{"name":"img","description":"d","image_tags":[{{"key":"k","value":"v"}}],"#,
                r#""backup_id":"{}","whole_image_type":"CBR","max_ram":4096,"min_ram":1024,"#,
                r#""enterprise_project_id":"0"}}"#
            ),
            BACKUP
        )
    );
    let req = WholeImageRequest::from_ecs("img", INSTANCE, VAULT)
        .legacy_tag("a.b")
        .max_ram(0)
        .min_ram(0)
        .build()
        .unwrap();
    assert_eq!(
        req.to_json(),
        format!(
            r#"{{"name":"img","tags":["a.b"],"instance_id":"{INSTANCE}","vault_id":"{VAULT}","max_ram":0,"min_ram":0}}"#
        )
    );
    assert_eq!(req.job_type(), JOB_TYPE_BY_INSTANCE);
}

#[test]
fn unset_fields_are_omitted() {
    let req = WholeImageRequest::new("n", Source::ecs(INSTANCE, VAULT));
    assert_eq!(
        req.to_json(),
        format!(r#"{{"name":"n","instance_id":"{INSTANCE}","vault_id":"{VAULT}"}}"#)
    );
    // Empty strings and empty tag lists are never sent either.
    let mut req = WholeImageRequest::new("n", Source::ecs("", ""));
    req.description = Some(String::new());
    req.enterprise_project_id = Some(String::new());
    req.tags = Tags::Legacy(Vec::new());
    let body = req.to_json();
    assert_eq!(body, r#"{"name":"n"}"#);
    req.tags = Tags::Image(Vec::new());
    req.source = Source::backup("");
    let body = req.to_json();
    assert_eq!(body, r#"{"name":"n","whole_image_type":"CBR"}"#);
    assert!(!body.contains("null") && !body.contains(r#""""#), "{body}");
}

#[test]
fn round_trips() {
    let requests = [
        WholeImageRequest::from_ecs("镜像 1", INSTANCE, VAULT)
            .description("with \"quotes\" & unicode é")
            .legacy_tag("a.b.c")
            .legacy_tag("nodot")
            .min_ram(512)
            .build()
            .unwrap(),
        WholeImageRequest::from_backup("b", BACKUP)
            .tag("k", "")
            .tag("键", "值")
            .max_ram(8192)
            .enterprise_project_id("0A1B2C3D-4E5F-6789-ABCD-EF0123456789")
            .build()
            .unwrap(),
        // Invalid requests round-trip too: the body is faithful, validation is separate.
        {
            let mut r = WholeImageRequest::new(" bad/name ", Source::ecs("", VAULT));
            r.min_ram = Some(-5);
            r.max_ram = Some(i64::MAX);
            r.enterprise_project_id = Some("abc".into());
            r
        },
        WholeImageRequest::new("only", Source::backup("")),
    ];
    for req in requests {
        let text = req.to_json();
        assert_eq!(WholeImageRequest::from_json(&text).unwrap(), req, "{text}");
        let value = serde_json::to_value(&req).unwrap();
        assert_eq!(WholeImageRequest::from_json_value(value).unwrap(), req);
        let via_serde: WholeImageRequest = serde_json::from_str(&text).unwrap();
        assert_eq!(via_serde, req);
    }
}

#[test]
fn builder_rejects_mixing_tag_forms_and_reports_everything() {
    let err = WholeImageRequest::from_ecs("img", INSTANCE, VAULT)
        .legacy_tag("a.1")
        .tag("bad|key", "v")
        .build()
        .unwrap_err();
    assert_eq!(
        err.pairs(),
        vec![
            ("image_tags[0].key", "charset"),
            ("image_tags", "exclusive")
        ]
    );
    let err = WholeImageRequest::from_ecs("img", INSTANCE, VAULT)
        .tag("k", "v")
        .legacy_tag("a.1")
        .build()
        .unwrap_err();
    assert!(err.contains("image_tags", Rule::Exclusive));
}

#[test]
fn builder_validates() {
    let err = WholeImageRequest::from_backup("", "")
        .min_ram(2)
        .max_ram(1)
        .build()
        .unwrap_err();
    assert_eq!(
        err.pairs(),
        vec![
            ("name", "required"),
            ("backup_id", "required"),
            ("min_ram", "range")
        ]
    );
}

#[test]
fn from_json_is_structural_only() {
    let text = format!(r#"{{"name":"{}","backup_id":"{BACKUP}"}}"#, "n".repeat(200));
    let req = WholeImageRequest::from_json(&text).unwrap();
    assert!(req.validate().unwrap_err().contains("name", Rule::Length));
    let err = WholeImageRequest::from_json_validated(&text).unwrap_err();
    assert_eq!(err.pairs(), vec![("name", "length")]);
}

#[test]
fn from_json_reports_structure_by_path() {
    let err = WholeImageRequest::from_json_value(json!({
        "name": "a", "instance_id": INSTANCE, "vault_id": VAULT,
        "image_tags": [{"key": "a", "value": "1"}, {"key": "b", "value": false}],
        "surprise": 1,
    }))
    .unwrap_err();
    assert_eq!(
        err.pairs(),
        vec![
            ("image_tags[1].value", "type"),
            ("surprise", "unknown_field")
        ]
    );
    assert!(err.to_string().contains("surprise"), "{err}");
    let value = err.violations[0].value.as_deref();
    assert_eq!(value, Some("false"));
    // Through serde the same error surfaces as a message naming the field.
    let e = serde_json::from_str::<WholeImageRequest>(r#"{"name":"a","backup_id":"b","x":1}"#)
        .unwrap_err();
    assert!(e.to_string().contains("x: is not a field"), "{e}");
}

#[test]
fn from_json_empty_description_is_unset() {
    let req = WholeImageRequest::from_json(&format!(
        r#"{{"name":"a","description":"","backup_id":"{BACKUP}","whole_image_type":"CBR"}}"#
    ))
    .unwrap();
    assert_eq!(req.description, None);
}

#[test]
fn tag_pairs_split_at_the_first_dot() {
    let tags = Tags::Legacy(vec![
        "a.b.c".into(),
        "nodot".into(),
        ".v".into(),
        "k.".into(),
    ]);
    assert_eq!(
        tags.pairs(),
        vec![
            ("a".to_owned(), "b.c".to_owned()),
            ("nodot".to_owned(), String::new()),
            (String::new(), "v".to_owned()),
            ("k".to_owned(), String::new()),
        ]
    );
    assert_eq!(tags.len(), 4);
    let tags = Tags::Image(vec![ImageTag::new("k", "v.w")]);
    assert_eq!(tags.pairs(), vec![("k".to_owned(), "v.w".to_owned())]);
    assert!(Tags::None.is_empty());
    assert!(Tags::None.pairs().is_empty());
}

#[test]
fn source_job_types() {
    assert_eq!(
        Source::ecs(INSTANCE, VAULT).job_type(),
        "imsCreateWholeImageByInstanceJob"
    );
    assert_eq!(
        Source::backup(BACKUP).job_type(),
        "imsCreateWholeImageByBackupJob"
    );
}

mod props {
    use proptest::option;
    use proptest::prelude::*;

    use super::*;

    fn non_empty() -> impl Strategy<Value = String> {
        any::<String>().prop_filter("non-empty", |s| !s.is_empty())
    }

    fn tags() -> impl Strategy<Value = Tags> {
        prop_oneof![
            Just(Tags::None),
            prop::collection::vec(any::<String>(), 1..12).prop_map(Tags::Legacy),
            prop::collection::vec(
                (any::<String>(), any::<String>()).prop_map(|(k, v)| ImageTag::new(k, v)),
                1..12
            )
            .prop_map(Tags::Image),
        ]
    }

    fn source() -> impl Strategy<Value = Source> {
        prop_oneof![
            (non_empty(), any::<String>()).prop_map(|(i, v)| Source::ecs(i, v)),
            (any::<String>(), non_empty()).prop_map(|(i, v)| Source::ecs(i, v)),
            any::<String>().prop_map(Source::backup),
        ]
    }

    proptest! {
        #[test]
        fn any_request_round_trips(
            name in any::<String>(),
            description in option::of(non_empty()),
            tags in tags(),
            min_ram in option::of(any::<i64>()),
            max_ram in option::of(any::<i64>()),
            enterprise_project_id in option::of(non_empty()),
            source in source(),
        ) {
            let req = WholeImageRequest {
                name, description, tags, min_ram, max_ram, enterprise_project_id, source,
                whole_image_type: None,
            };
            let text = req.to_json();
            let value: Value = serde_json::from_str(&text).unwrap();
            let object = value.as_object().unwrap();
            prop_assert!(object.values().all(|v| !v.is_null()));
            prop_assert!(object.iter().all(|(k, v)| k == "name" || v != ""));
            prop_assert_eq!(WholeImageRequest::from_json(&text), Ok(req));
        }
    }
}
