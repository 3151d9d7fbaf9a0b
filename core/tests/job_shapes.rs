//! Every job document shape the service has been seen to send (spec §2), read without failing.
#![allow(clippy::unwrap_used)]

use ims_core::model::{Job, JobEntities, JobResult, JobStatus};
use serde_json::{Value, json};

fn job(value: Value) -> Job {
    Job::from_value(value).unwrap()
}

#[test]
fn documented_success_example() {
    let text = r#"{"job_id":"9a175ac792fa12d201930028cddb29c6","job_type":"imsCreateWholeImageByInstanceJob",
 "begin_time":"2024-11-06T06:28:14.425Z","end_time":"2024-11-06T06:37:03.742Z",
 "status":"SUCCESS","error_code":null,"fail_reason":null,
 "entities":{"image_name":"test","image_id":"17b7bdeb-2e72-43a0-a202-d36ce344e902"}}"#;
    let j = Job::from_json(text).unwrap();
    assert_eq!(j.job_id, "9a175ac792fa12d201930028cddb29c6");
    assert_eq!(
        j.job_type.as_deref(),
        Some("imsCreateWholeImageByInstanceJob")
    );
    assert_eq!(j.status, JobStatus::Success);
    assert!(j.is_terminal());
    assert_eq!(j.begin_time.as_deref(), Some("2024-11-06T06:28:14.425Z"));
    assert_eq!(j.end_time.as_deref(), Some("2024-11-06T06:37:03.742Z"));
    assert_eq!(j.error_code, None);
    assert_eq!(j.fail_reason, None);
    assert_eq!(j.entities.image_name.as_deref(), Some("test"));
    assert_eq!(j.image_id(), Some("17b7bdeb-2e72-43a0-a202-d36ce344e902"));
    assert_eq!(j.process_percent(), None);
    // The raw document is kept as received.
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(j.raw.to_value(), original);
    let again: Value = serde_json::from_str(&j.to_json()).unwrap();
    assert_eq!(again, original);
}

#[test]
fn legacy_time_format_is_kept_opaque() {
    let j = job(json!({
        "status": "SUCCESS", "job_id": "4010a32b5f909853015f90aaa24b0015",
        "begin_time": "04-Jun-2015 18:11:06:586", "end_time": "",
        "entities": {"image_id": "abc"}
    }));
    assert_eq!(j.begin_time.as_deref(), Some("04-Jun-2015 18:11:06:586"));
    assert_eq!(j.end_time, None);
}

#[test]
fn nulls_everywhere() {
    let j = job(json!({
        "status": null, "job_id": null, "job_type": null, "begin_time": null, "end_time": null,
        "error_code": null, "fail_reason": null,
        "entities": {
            "image_id": null, "image_name": null, "process_percent": null, "current_task": null,
            "sub_job_id": null, "results": null, "sub_jobs_result": null, "sub_jobs_list": null,
            "error_code": null, "error": null, "addition_error_code": null,
            "addition_error_msg": null, "alarm_code": null
        }
    }));
    assert_eq!(j.status, JobStatus::Unknown(String::new()));
    assert!(!j.is_terminal());
    assert_eq!(j.job_id, "");
    assert_eq!(j.entities, JobEntities::default());
    assert_eq!(j.image_id(), None);
}

#[test]
fn empty_strings_read_as_none() {
    let j = job(json!({
        "status": "FAIL", "job_id": "j", "error_code": "", "fail_reason": "",
        "entities": {"image_id": "", "error_code": ""}
    }));
    assert_eq!(j.error_code, None);
    assert_eq!(j.fail_reason, None);
    assert_eq!(j.entities.image_id, None);
    assert_eq!(j.entities.error_code, None);
}

#[test]
fn unknown_keys_are_ignored() {
    let j = job(json!({
        "status": "RUNNING", "job_id": "j", "brand_new": {"deep": [1, 2]},
        "entities": {"image_id": "i", "future_field": true, "process_percent": 12.5}
    }));
    assert_eq!(j.status, JobStatus::Running);
    assert_eq!(j.image_id(), Some("i"));
    assert_eq!(j.process_percent(), Some(12.5));
    assert_eq!(j.raw.to_value()["brand_new"]["deep"][1], 2);
}

#[test]
fn missing_or_null_entities_are_default() {
    for doc in [
        json!({"status": "INIT", "job_id": "j"}),
        json!({"status": "INIT", "job_id": "j", "entities": null}),
        json!({"status": "INIT", "job_id": "j", "entities": "weird"}),
        json!({"status": "INIT", "job_id": "j", "entities": []}),
    ] {
        let j = job(doc);
        assert_eq!(j.status, JobStatus::Init);
        assert_eq!(j.entities, JobEntities::default());
    }
}

#[test]
fn process_percent_as_number_or_string() {
    let cases = [
        (json!(45), Some(45.0)),
        (json!(45.5), Some(45.5)),
        (json!("45.5"), Some(45.5)),
        (json!(" 80 "), Some(80.0)),
        (json!("80%"), Some(80.0)),
        (json!("abc"), None),
        (json!("NaN"), None),
        (json!("inf"), None),
        (json!(""), None),
        (json!(true), None),
        (json!([1]), None),
    ];
    for (value, expected) in cases {
        let j = job(json!({"status": "RUNNING", "entities": {"process_percent": value.clone()}}));
        assert_eq!(j.process_percent(), expected, "{value}");
    }
}

#[test]
fn unknown_status_is_kept_and_not_terminal() {
    let j = job(json!({"status": "QUEUED", "job_id": "j"}));
    assert_eq!(j.status, JobStatus::Unknown("QUEUED".into()));
    assert!(!j.is_terminal());
    assert_eq!(j.status.to_string(), "QUEUED");
    assert_eq!(j.status.as_str(), "QUEUED");
}

#[test]
fn statuses_parse_and_print_as_on_the_wire() {
    for (wire, status, terminal) in [
        ("INIT", JobStatus::Init, false),
        ("RUNNING", JobStatus::Running, false),
        ("SUCCESS", JobStatus::Success, true),
        ("FAIL", JobStatus::Fail, true),
    ] {
        assert_eq!(JobStatus::parse(wire), status);
        assert_eq!(status.to_string(), wire);
        assert_eq!(status.is_terminal(), terminal);
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{wire}\"")
        );
        let back: JobStatus = serde_json::from_str(&format!("\"{wire}\"")).unwrap();
        assert_eq!(back, status);
    }
    assert_eq!(JobStatus::parse("success"), JobStatus::Success);
    assert_eq!(JobStatus::parse(""), JobStatus::Unknown(String::new()));
    assert_eq!("FAIL".parse::<JobStatus>().unwrap(), JobStatus::Fail);
    let odd: JobStatus = serde_json::from_str("5").unwrap();
    assert_eq!(odd, JobStatus::Unknown("5".into()));
}

#[test]
fn fail_with_error_code_and_reason() {
    let j = job(json!({
        "status": "FAIL", "job_id": "j", "job_type": "imsCreateWholeImageByBackupJob",
        "error_code": "IMG.0029", "fail_reason": "the backup has been used to create an image",
        "entities": {}
    }));
    assert_eq!(j.status, JobStatus::Fail);
    assert!(j.is_terminal());
    assert_eq!(j.error_code.as_deref(), Some("IMG.0029"));
    assert_eq!(
        j.fail_reason.as_deref(),
        Some("the backup has been used to create an image")
    );
}

#[test]
fn image_id_only_inside_sub_jobs_result() {
    let j = job(json!({
        "status": "SUCCESS", "job_id": "parent",
        "entities": {
            "sub_jobs_result": [
                {"status": "SUCCESS", "job_id": "child0", "entities": {"image_name": "x"}},
                {"status": "SUCCESS", "job_id": "child1",
                 "entities": {"image_id": "sub-image", "image_name": "x"}},
                "not an object"
            ],
            "sub_jobs_list": ["child0", "child1", 7, {"id": "c"}]
        }
    }));
    assert_eq!(j.entities.image_id, None);
    assert_eq!(j.entities.sub_jobs_result.len(), 2);
    assert_eq!(j.entities.sub_jobs_result[1].job_id, "child1");
    assert_eq!(j.image_id(), Some("sub-image"));
    assert_eq!(
        j.entities.sub_jobs_list,
        vec!["child0", "child1", "7", r#"{"id":"c"}"#]
    );
    assert_eq!(
        j.entities.sub_jobs_result[1].raw.to_value()["entities"]["image_id"],
        "sub-image"
    );
}

#[test]
fn results_shape() {
    let j = job(json!({
        "status": "SUCCESS", "job_id": "j",
        "entities": {"results": [
            {"image_id": null, "project_id": "p0", "status": "FAIL"},
            {"image_id": "img-1", "project_id": "p1", "status": "SUCCESS"},
            5
        ]}
    }));
    assert_eq!(
        j.entities.results,
        vec![
            JobResult {
                image_id: None,
                project_id: Some("p0".into()),
                status: Some("FAIL".into()),
            },
            JobResult {
                image_id: Some("img-1".into()),
                project_id: Some("p1".into()),
                status: Some("SUCCESS".into()),
            },
        ]
    );
    assert_eq!(j.image_id(), Some("img-1"));
}

#[test]
fn image_id_prefers_entities_then_sub_jobs_then_results() {
    let j = job(json!({"entities": {
        "image_id": "top",
        "sub_jobs_result": [{"entities": {"image_id": "sub"}}],
        "results": [{"image_id": "res"}]
    }}));
    assert_eq!(j.image_id(), Some("top"));
    let j = job(json!({"entities": {
        "sub_jobs_result": [{"entities": {"image_id": "sub"}}],
        "results": [{"image_id": "res"}]
    }}));
    assert_eq!(j.image_id(), Some("sub"));
}

#[test]
fn rare_entity_fields() {
    let j = job(json!({"status": "FAIL", "entities": {
        "current_task": "CreateImage", "sub_job_id": "s1", "error_code": 500,
        "error": "boom", "addition_error_code": "IMG.0188", "addition_error_msg": "vault",
        "alarm_code": 3
    }}));
    let e = &j.entities;
    assert_eq!(e.current_task.as_deref(), Some("CreateImage"));
    assert_eq!(e.sub_job_id.as_deref(), Some("s1"));
    assert_eq!(e.error_code.as_deref(), Some("500"));
    assert_eq!(e.error.as_deref(), Some("boom"));
    assert_eq!(e.addition_error_code.as_deref(), Some("IMG.0188"));
    assert_eq!(e.addition_error_msg.as_deref(), Some("vault"));
    assert_eq!(e.alarm_code.as_deref(), Some("3"));
}

#[test]
fn non_object_document_is_an_error() {
    for text in ["[]", "null", "\"SUCCESS\"", "42", "true"] {
        assert!(Job::from_json(text).is_err(), "{text}");
    }
    assert!(Job::from_json("{").is_err());
    assert!(Job::from_json("").is_err());
    let e = Job::from_json("[1]").unwrap_err();
    assert!(e.to_string().contains("JSON object"), "{e}");
    assert!(serde_json::from_str::<Job>("[1]").is_err());
}

#[test]
fn wrong_typed_fields_do_not_fail() {
    let j = job(json!({
        "job_id": 123, "status": 5, "job_type": true, "begin_time": 1_700_000_000,
        "error_code": {"code": "X"}, "fail_reason": ["a"],
        "entities": {"image_id": 9, "results": {"not": "an array"}, "sub_jobs_result": "x",
                     "sub_jobs_list": "single"}
    }));
    assert_eq!(j.job_id, "123");
    assert_eq!(j.status, JobStatus::Unknown("5".into()));
    assert_eq!(j.job_type.as_deref(), Some("true"));
    assert_eq!(j.begin_time.as_deref(), Some("1700000000"));
    assert_eq!(j.error_code.as_deref(), Some(r#"{"code":"X"}"#));
    assert_eq!(j.fail_reason.as_deref(), Some(r#"["a"]"#));
    assert_eq!(j.image_id(), Some("9"));
    assert!(j.entities.results.is_empty());
    assert!(j.entities.sub_jobs_result.is_empty());
    assert_eq!(j.entities.sub_jobs_list, vec!["single"]);
    let j: Job = serde_json::from_str(r#"{"job_id": 1.5, "status": {}}"#).unwrap();
    assert_eq!(j.job_id, "1.5");
    assert_eq!(j.status, JobStatus::Unknown("{}".into()));
}

#[test]
fn deep_sub_job_nesting_is_bounded() {
    let mut doc = json!({"job_id": "leaf", "entities": {"image_id": "deep"}});
    for i in 0..100 {
        doc = json!({"job_id": format!("level{i}"), "entities": {"sub_jobs_result": [doc]}});
    }
    let j = job(doc);
    // Too deep to follow: the image id is not found, but nothing fails and the raw is whole.
    assert_eq!(j.image_id(), None);
    assert_eq!(j.job_id, "level99");
    let shallow = job(json!({"entities": {"sub_jobs_result": [
        {"entities": {"sub_jobs_result": [{"entities": {"image_id": "two-down"}}]}}
    ]}}));
    assert_eq!(shallow.image_id(), Some("two-down"));
}

#[test]
fn serializes_clean_shape_and_raw() {
    let j = job(json!({"status": "RUNNING", "job_id": "j", "extra": 1,
                       "entities": {"process_percent": "50"}}));
    let clean = serde_json::to_value(&j).unwrap();
    assert_eq!(clean["status"], "RUNNING");
    assert_eq!(clean["job_id"], "j");
    assert_eq!(clean["entities"]["process_percent"], 50.0);
    assert!(clean.get("raw").is_none());
    assert!(clean.get("extra").is_none());
    // to_json hands back the document as received.
    let raw: Value = serde_json::from_str(&j.to_json()).unwrap();
    assert_eq!(raw["extra"], 1);
    assert_eq!(raw["entities"]["process_percent"], "50");
    // A job built by hand has no raw: to_json falls back to the clean shape.
    let by_hand = Job {
        job_id: "h".into(),
        status: JobStatus::Fail,
        error_code: Some("IMG.0005".into()),
        ..Job::default()
    };
    let text = by_hand.to_json();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["status"], "FAIL");
    assert_eq!(v["error_code"], "IMG.0005");
    assert_eq!(
        Job::from_json(&text).unwrap().error_code.as_deref(),
        Some("IMG.0005")
    );
}

#[test]
fn structures_read_as_compact_text_and_the_last_duplicate_wins() {
    let j = Job::from_json(
        r#"{ "job_id" : "a", "job_id": "b", "error_code": { "c" : [1, 2] , "s":"x \" y" } }"#,
    )
    .unwrap();
    assert_eq!(j.job_id, "b");
    assert_eq!(j.error_code.as_deref(), Some(r#"{"c":[1,2],"s":"x \" y"}"#));
    assert!(
        j.raw.as_str().starts_with(r#"{ "job_id" : "a""#),
        "kept as received"
    );
    assert_eq!(j.to_json(), j.raw.as_str());
}

#[test]
fn sub_jobs_and_lists_are_bounded() {
    use ims_core::model::job::{MAX_LIST_ITEMS, MAX_SUB_JOBS};
    // Sub-jobs of a realistic size (a few hundred bytes each), so that only the counts bound
    // what is read, not the room a read keeps.
    let pad = "x".repeat(300);
    let sub = json!({"job_id": "s", "job_type": pad, "entities": {"sub_jobs_result": [
        {"job_id": "t", "job_type": pad}, {"job_id": "u", "job_type": pad}]}});
    let subs: Vec<Value> = (0..MAX_SUB_JOBS).map(|_| sub.clone()).collect();
    let ids: Vec<Value> = (0..MAX_LIST_ITEMS + 5).map(|i| json!(i)).collect();
    let j = job(
        json!({"entities": {"sub_jobs_result": subs, "sub_jobs_list": ids,
                                     "results": [1, {"image_id": "r"}, "x"]}}),
    );
    let total: usize = j
        .entities
        .sub_jobs_result
        .iter()
        .map(|s| 1 + s.entities.sub_jobs_result.len())
        .sum();
    assert_eq!(total, MAX_SUB_JOBS, "all levels together");
    assert_eq!(
        j.entities.sub_jobs_result[0].entities.sub_jobs_result.len(),
        2
    );
    assert_eq!(j.entities.sub_jobs_list.len(), MAX_LIST_ITEMS);
    assert_eq!(j.entities.results.len(), 1);
    assert_eq!(j.entities.results[0].image_id.as_deref(), Some("r"));
    // Depth first: 333 sub-jobs with their two each, then one without its two.
    let read = j.entities.sub_jobs_result.len();
    assert_eq!(read, 334);
    assert_eq!(j.entities.sub_jobs_result[333].entities.omitted, 2);
    assert_eq!(j.entities.sub_jobs_result[332].entities.omitted, 0);
    assert_eq!(
        j.entities.omitted,
        (MAX_SUB_JOBS - read) + 5,
        "the sub-jobs and ids left out; the results that are not objects are no entries"
    );
}

#[test]
fn a_document_of_many_tiny_parts_keeps_what_fits_its_size() {
    use ims_core::model::job::{READ_ALLOWANCE, READ_BYTES_PER_BYTE};
    // 2,000 `{}` sub-jobs in about 6 kB: each costs hundreds of bytes to hold, so only the
    // first ones that fit the room of the read are kept, in order, and the rest counted.
    let n = 2000;
    let subs: Vec<String> = (0..n).map(|i| format!(r#"{{"job_id":"{i}"}}"#)).collect();
    let text = format!(
        r#"{{"job_id":"top","entities":{{"sub_jobs_result":[{}]}}}}"#,
        subs.join(",")
    );
    let j = Job::from_json(&text).unwrap();
    let kept = &j.entities.sub_jobs_result;
    assert!(!kept.is_empty() && kept.len() < 1000, "{} kept", kept.len());
    assert_eq!(kept.len() + j.entities.omitted, n);
    assert!(
        kept.iter()
            .enumerate()
            .all(|(i, s)| s.job_id == i.to_string())
    );
    let held = kept.capacity() * std::mem::size_of::<Job>();
    assert!(
        held <= READ_BYTES_PER_BYTE * text.len() + READ_ALLOWANCE,
        "{held} bytes of sub-jobs for {} bytes",
        text.len()
    );
    // The same sub-jobs, each of a realistic size: all of them are read (up to the count).
    let pad = "x".repeat(300);
    let subs: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"job_id":"{i}","job_type":"{pad}"}}"#))
        .collect();
    let text = format!(
        r#"{{"job_id":"top","entities":{{"sub_jobs_result":[{}]}}}}"#,
        subs.join(",")
    );
    let j = Job::from_json(&text).unwrap();
    assert_eq!(j.entities.sub_jobs_result.len(), 1000);
    assert_eq!(j.entities.omitted, n - 1000);
}

#[test]
fn list_elements_are_found_whatever_they_hold() {
    // Commas, brackets and escaped quotes inside strings and structures do not split an entry.
    let j = Job::from_json(
        r#"{"job_id":"top","entities":{"sub_jobs_list":[ "a,b" , "c\"],[" ,[1,[2,3]],{"k":"]},"},
            -1.5e3 ,true,null,"\\"],"results":[{"status":"a,\"}"} , {"image_id":"i"}]}}"#,
    )
    .unwrap();
    assert_eq!(
        j.entities.sub_jobs_list,
        [
            "a,b",
            "c\"],[",
            "[1,[2,3]]",
            r#"{"k":"]},"}"#,
            "-1.5e3",
            "true",
            "null",
            "\\"
        ]
    );
    assert_eq!(j.entities.results.len(), 2);
    assert_eq!(j.entities.results[0].status.as_deref(), Some("a,\"}"));
    assert_eq!(j.entities.results[1].image_id.as_deref(), Some("i"));
    assert_eq!(j.entities.omitted, 0);
    let empty = Job::from_json(r#"{"entities":{"sub_jobs_list":[ ],"results":[]}}"#).unwrap();
    assert!(empty.entities.sub_jobs_list.is_empty() && empty.entities.results.is_empty());
}
