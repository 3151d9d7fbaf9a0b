//! The CLI's tag flags: `--tag KEY=VALUE` (`ImageTag::parse_key_value`) and
//! `--legacy-tag KEY.VALUE` (`Tags::split_legacy`).
//!
//! Invariants: a parsed `KEY=VALUE` gives back its input as `format!("{k}={v}")` with no `=`
//! in the key, and only a text without `=` is refused; a legacy tag is `key + "." + value`
//! with no `.` in the key (or the whole text as key, empty value, when it has no dot); a
//! request built with the tag either is refused on `image_tags` / `tags` only, or serializes
//! and reads back with the same key and value.
#![no_main]

use ims_core::model::{ImageTag, Tags, WholeImageRequest};
use libfuzzer_sys::fuzz_target;

const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";

/// The input: the `--tag` text, a NUL byte, the `--legacy-tag` text (without a NUL, the same
/// text is both), so that seeds are readable.
struct Input<'a> {
    tag: &'a str,
    legacy: &'a str,
}

impl<'a> Input<'a> {
    fn read(data: &'a [u8]) -> Option<Input<'a>> {
        let text = std::str::from_utf8(data).ok()?;
        let (tag, legacy) = text.split_once('\0').unwrap_or((text, text));
        Some(Input { tag, legacy })
    }
}

fn check_built(
    built: Result<WholeImageRequest, ims_core::validate::ValidationErrors>,
    field: &str,
    expected: (&str, &str),
) {
    let (key, value) = expected;
    match built {
        Ok(req) => {
            let json = req.to_json();
            let doc: serde_json::Value = serde_json::from_str(&json).expect("to_json is JSON");
            if field == "image_tags" {
                assert_eq!(doc["image_tags"][0]["key"], key, "{json}");
                assert_eq!(doc["image_tags"][0]["value"], value, "{json}");
            } else {
                let sent = doc["tags"][0].as_str().expect("tags[0] is a string");
                assert_eq!(Tags::split_legacy(sent), (key, value), "{json}");
            }
            let back = WholeImageRequest::from_json_validated(&json).expect("valid body reads");
            assert_eq!(back.tags.pairs(), vec![(key.to_owned(), value.to_owned())]);
        }
        Err(errs) => {
            assert!(!errs.violations.is_empty());
            for v in &errs.violations {
                assert!(v.field.starts_with(field), "violation off the tag: {v:?}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::read(data) else {
        return;
    };
    match ImageTag::parse_key_value(input.tag) {
        Ok(tag) => {
            assert_eq!(format!("{}={}", tag.key, tag.value), input.tag);
            assert!(!tag.key.contains('='));
            let built = WholeImageRequest::from_ecs("n", INSTANCE, VAULT)
                .tag(tag.key.as_str(), tag.value.as_str())
                .build();
            check_built(built, "image_tags", (&tag.key, &tag.value));
        }
        Err(e) => {
            assert!(!input.tag.contains('='), "{:?} refused", input.tag);
            assert_eq!(e.to_string(), "expected KEY=VALUE");
        }
    }

    let (key, value) = Tags::split_legacy(input.legacy);
    if input.legacy.contains('.') {
        assert_eq!(format!("{key}.{value}"), input.legacy);
        assert!(!key.contains('.'));
    } else {
        assert_eq!((key, value), (input.legacy, ""));
    }
    assert_eq!(
        Tags::Legacy(vec![input.legacy.to_owned()]).pairs(),
        vec![(key.to_owned(), value.to_owned())]
    );
    let built = WholeImageRequest::from_ecs("n", INSTANCE, VAULT)
        .legacy_tag(input.legacy)
        .build();
    check_built(built, "tags", (key, value));
});
