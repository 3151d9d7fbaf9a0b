//! Responses in the service's two error shapes (IMS and API gateway), JSON and plain text.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde_json::json;

/// `Content-Type` of JSON answers (as the service sends it).
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// `Content-Type` of plain-text answers.
pub const TEXT_CONTENT_TYPE: &str = "text/plain;charset=UTF-8";

/// An answer before the common headers (`X-Request-Id`, `Date`) are added.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Extra headers (e.g. `Retry-After`, `Allow`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: StatusCode, value: &serde_json::Value) -> Self {
        Reply {
            status,
            content_type: JSON_CONTENT_TYPE,
            body: serde_json::to_vec(value).unwrap_or_default(),
            headers: Vec::new(),
        }
    }

    /// An IMS-shaped error: `{"error": {"code": "IMG.xxxx", "message": "..."}}`.
    pub fn ims_error(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        let message: String = message.into();
        Self::json(
            status,
            &json!({"error": {"code": code, "message": message}}),
        )
    }

    /// An API-gateway-shaped error: `{"error_code", "error_msg", "request_id"}`.
    pub fn gateway_error(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        request_id: &str,
    ) -> Self {
        let message: String = message.into();
        Self::json(
            status,
            &json!({"error_code": code, "error_msg": message, "request_id": request_id}),
        )
    }

    /// A plain-text answer (the metadata service's style).
    pub fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Reply {
            status,
            content_type: TEXT_CONTENT_TYPE,
            body: text.into().into_bytes(),
            headers: Vec::new(),
        }
    }

    /// Adds a header (silently skipped when the value is not a valid header value).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}

/// A caller-supplied string for an error message: core's one preview (at most 64 characters,
/// escaped).
pub fn clip(s: &str) -> String {
    ims_core::violation::preview(s)
}
