//! Reading responses: both error body shapes, the request id, and short snippets of bodies that
//! are not JSON.

use serde_json::Value;

use crate::error::{ApiError, Error};
use crate::redact::KnownSecrets;

/// A response read whole: status, request id, server date and body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub request_id: Option<String>,
    pub date: Option<String>,
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

/// At most this many characters of a non-JSON body are kept in an error.
const SNIPPET_CHARS: usize = 200;

/// The first characters of a body, one line, for an error message, scrubbed of `known` and of
/// the generic token patterns.
pub(crate) fn snippet(body: &[u8], known: &KnownSecrets) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .take(SNIPPET_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(SNIPPET_CHARS).is_some() {
        out.push('…');
    }
    known.scrub(out.trim())
}

/// At most this many bytes of a body are kept by [`raw_text`].
const RAW_BYTES: usize = 4096;

/// A body as text for an error that must keep it (control characters escaped, cut at
/// [`RAW_BYTES`] with `…`), scrubbed of `known` and of the generic token patterns.
pub(crate) fn raw_text(body: &[u8], known: &KnownSecrets) -> String {
    let cut = &body[..body.len().min(RAW_BYTES)];
    let mut out: String = String::from_utf8_lossy(cut)
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if body.len() > RAW_BYTES {
        out.push('…');
    }
    known.scrub(&out)
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The API error of a non-2xx response: `{"error": {"code", "message"}}` (IMS, IAM) or
/// `{"error_code", "error_msg", "request_id"}` (API gateway), else a snippet of the body; its
/// message scrubbed of `known` and of the generic token patterns.
pub(crate) fn api_error(resp: &RawResponse, known: &KnownSecrets) -> ApiError {
    let parsed: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let (mut code, mut message, mut body_request_id) = (None, None, None);
    if let Some(doc) = &parsed {
        if let Some(err) = doc.get("error").filter(|e| e.is_object()) {
            code = err.get("code").and_then(text_of);
            message = err
                .get("message")
                .and_then(text_of)
                .or_else(|| err.get("title").and_then(text_of));
        }
        code = code.or_else(|| doc.get("error_code").and_then(text_of));
        message = message.or_else(|| doc.get("error_msg").and_then(text_of));
        body_request_id = doc.get("request_id").and_then(text_of);
    }
    let message = match (message, parsed.is_some()) {
        (Some(m), _) => m,
        (None, true) => format!("unrecognised error body: {}", snippet(&resp.body, known)),
        (None, false) if resp.body.is_empty() => "empty body".to_owned(),
        (None, false) => format!("non-JSON body: {}", snippet(&resp.body, known)),
    };
    ApiError {
        status: resp.status,
        code,
        message: known.scrub(&message),
        request_id: resp.request_id.clone().or(body_request_id),
        hint: None,
        signed_request: None,
        retry_after: resp.retry_after.map(std::time::Duration::from_secs),
    }
}

/// Parses a 2xx JSON body, or says why it is not one ([`not_json`], scrubbed of the generic
/// token patterns only: a caller that knows its secrets parses and calls [`not_json`] itself).
pub(crate) fn json_body(resp: &RawResponse) -> Result<Value, Error> {
    serde_json::from_slice::<Value>(&resp.body)
        .map_err(|_| not_json(resp, &KnownSecrets::default()))
}

/// The error of a 2xx body that is not JSON, with a snippet scrubbed of `known`.
pub(crate) fn not_json(resp: &RawResponse, known: &KnownSecrets) -> Error {
    Error::InvalidResponse {
        status: resp.status,
        message: format!("expected a JSON body, got: {}", snippet(&resp.body, known)),
        request_id: resp.request_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            request_id: Some("rid".into()),
            date: None,
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn both_shapes() {
        let none = KnownSecrets::default();
        let ims = api_error(
            &raw(400, r#"{"error":{"code":"IMG.0024","message":"bad"}}"#),
            &none,
        );
        assert_eq!(
            (ims.code.as_deref(), ims.message.as_str()),
            (Some("IMG.0024"), "bad")
        );
        let gw = api_error(
            &RawResponse {
                request_id: None,
                ..raw(
                    401,
                    r#"{"error_code":"APIGW.0301","error_msg":"sig","request_id":"b"}"#,
                )
            },
            &none,
        );
        assert_eq!(
            (
                gw.code.as_deref(),
                gw.message.as_str(),
                gw.request_id.as_deref()
            ),
            (Some("APIGW.0301"), "sig", Some("b"))
        );
        let iam = api_error(
            &raw(401, r#"{"error":{"code":401,"title":"Unauthorized"}}"#),
            &none,
        );
        assert_eq!(
            (iam.code.as_deref(), iam.message.as_str()),
            (Some("401"), "Unauthorized")
        );
    }

    #[test]
    fn non_json_keeps_a_snippet() {
        let none = KnownSecrets::default();
        let e = api_error(
            &raw(502, &format!("<html>{}</html>", "x".repeat(500))),
            &none,
        );
        assert!(
            e.message.starts_with("non-JSON body: <html>xxx"),
            "{}",
            e.message
        );
        assert!(e.message.chars().count() < 230);
        assert_eq!(api_error(&raw(503, ""), &none).message, "empty body");
    }
}
