//! `ims_core::sign::parse_authorization` and `ParsedAuthorization::to_header_value`.
//!
//! Invariants, on any text: a header that parses re-renders to the same text up to what the
//! parser documents it ignores (whitespace around the parameters, their order), and the
//! rendering parses back to the same value. On a header assembled from parts in the form the
//! signer writes: it re-renders to exactly the same string, gives back its parts, and parses
//! whenever every part is one the form can carry.
#![no_main]

use arbitrary::Arbitrary;
use ims_core::sign::{Algorithm, ParsedAuthorization, parse_authorization};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// Any text.
    Raw(&'a str),
    /// The parts of a header in the signer's form.
    Parts {
        algorithm: u8,
        access_key: &'a str,
        scope: &'a str,
        signed_headers: Vec<&'a str>,
        signature: &'a str,
    },
}

/// The algorithm and the trimmed parameters, sorted: what the parser reads from a header.
fn normalized(header: &str) -> Option<(String, Vec<String>)> {
    let (alg, rest) = header.trim().split_once(' ')?;
    let mut params: Vec<String> = rest.split(',').map(|p| p.trim().to_owned()).collect();
    params.sort();
    Some((alg.to_owned(), params))
}

fn check_raw(text: &str) {
    let Ok(parsed) = parse_authorization(text) else {
        return;
    };
    let rendered = parsed.to_header_value();
    assert_eq!(
        parse_authorization(&rendered).as_ref(),
        Ok(&parsed),
        "the rendering {rendered:?} of {text:?} parses differently"
    );
    assert_eq!(
        normalized(text),
        normalized(&rendered),
        "{text:?} re-renders as {rendered:?}"
    );
}

fn clean(part: &str) -> bool {
    !part.contains(',') && part.trim() == part && !part.chars().any(char::is_control)
}

fn check_parts(
    algorithm: Algorithm,
    access_key: &str,
    scope: &str,
    signed_headers: &[&str],
    signature: &str,
) {
    let header = match algorithm {
        Algorithm::V11HmacSha256 => format!(
            "{algorithm} Credential={access_key}/{scope}, SignedHeaders={}, Signature={signature}",
            signed_headers.join(";")
        ),
        _ => format!(
            "{algorithm} Access={access_key}, SignedHeaders={}, Signature={signature}",
            signed_headers.join(";")
        ),
    };
    let representable = !access_key.is_empty()
        && clean(access_key)
        && !(algorithm == Algorithm::V11HmacSha256 && access_key.contains('/'))
        && (algorithm != Algorithm::V11HmacSha256 || clean(scope))
        && !signed_headers.is_empty()
        && signed_headers
            .iter()
            .all(|h| !h.is_empty() && !h.contains(';') && clean(h))
        && !signature.is_empty()
        && signature.bytes().all(|b| b.is_ascii_hexdigit());
    check_raw(&header);
    match parse_authorization(&header) {
        Ok(parsed) => {
            if !representable {
                return; // a part the parser trims or splits: check_raw covered it
            }
            assert_eq!(
                parsed.to_header_value(),
                header,
                "does not re-render exactly"
            );
            let expected = ParsedAuthorization {
                algorithm,
                access_key: access_key.to_owned(),
                scope: (algorithm == Algorithm::V11HmacSha256).then(|| scope.to_owned()),
                signed_headers: signed_headers.iter().map(|h| (*h).to_owned()).collect(),
                signature: signature.to_owned(),
            };
            assert_eq!(parsed, expected, "{header:?} read wrongly");
        }
        Err(e) => assert!(!representable, "{header:?} refused: {e}"),
    }
}

fuzz_target!(|input: Input<'_>| {
    match input {
        Input::Raw(text) => check_raw(text),
        Input::Parts {
            algorithm,
            access_key,
            scope,
            signed_headers,
            signature,
        } => {
            let algorithm = [
                Algorithm::SdkHmacSha256,
                Algorithm::SdkHmacSm3,
                Algorithm::V11HmacSha256,
            ][usize::from(algorithm % 3)];
            check_parts(algorithm, access_key, scope, &signed_headers, signature);
            check_raw(access_key);
        }
    }
});
