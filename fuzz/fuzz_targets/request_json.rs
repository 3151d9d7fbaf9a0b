//! `WholeImageRequest::from_json` and `from_json_validated` on any text.
//!
//! Invariants: an accepted body round-trips through `to_json` to an equal request, and
//! `to_json` is stable; a refused body has at least one violation, each with a non-empty field
//! path and message; a validated request passes `validate`, is what `from_json` reads, and
//! round-trips through `from_json_validated`; the structural violations are all among the
//! validated ones.
#![no_main]

use ims_core::model::WholeImageRequest;
use ims_core::validate::ValidationErrors;
use libfuzzer_sys::fuzz_target;

fn check_refusal(text: &str, errs: &ValidationErrors) {
    assert!(
        !errs.violations.is_empty(),
        "refused without violations: {text:?}"
    );
    for v in &errs.violations {
        assert!(!v.field.is_empty(), "violation without a field path: {v:?}");
        assert!(!v.message.is_empty(), "violation without a message: {v:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let structural = WholeImageRequest::from_json(text);
    match &structural {
        Ok(req) => {
            let json = req.to_json();
            let again = WholeImageRequest::from_json(&json).unwrap_or_else(|e| {
                panic!("to_json of an accepted body is refused: {text:?} -> {json} -> {e:?}")
            });
            assert_eq!(
                &again, req,
                "round trip changed the request: {text:?} -> {json}"
            );
            assert_eq!(again.to_json(), json, "to_json is not stable");
        }
        Err(errs) => check_refusal(text, errs),
    }
    match WholeImageRequest::from_json_validated(text) {
        Ok(req) => {
            assert_eq!(req.validate(), Ok(()), "validated but invalid: {text:?}");
            assert_eq!(
                structural.as_ref().ok(),
                Some(&req),
                "validated, not read: {text:?}"
            );
            let json = req.to_json();
            let again = WholeImageRequest::from_json_validated(&json).unwrap_or_else(|e| {
                panic!("to_json of a valid body is refused: {text:?} -> {json} -> {e:?}")
            });
            assert_eq!(
                again, req,
                "validated round trip changed the request: {json}"
            );
        }
        Err(errs) => {
            check_refusal(text, &errs);
            if let Err(structural) = &structural {
                for v in &structural.violations {
                    assert!(
                        errs.violations.contains(v),
                        "structural violation {v:?} missing from the validated ones {errs:?}"
                    );
                }
            }
        }
    }
});
