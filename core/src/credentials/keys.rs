//! [`Credentials`]: the AK/SK pair (and optional security token) that requests are signed
//! with. A leaf: the signer reads it, and nothing here reads the rest of the crate.

use std::fmt;

use zeroize::Zeroizing;

/// An access key / secret key pair, with a security token for temporary credentials.
#[derive(Clone)]
pub struct Credentials {
    access_key: String,
    secret_key: Zeroizing<String>,
    security_token: Option<Zeroizing<String>>,
}

impl Credentials {
    /// Permanent credentials from an access key (AK) and a secret key (SK).
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            access_key: access_key.into(),
            secret_key: Zeroizing::new(secret_key.into()),
            security_token: None,
        }
    }

    /// Adds the security token of temporary credentials (sent as a signed `X-Security-Token`).
    /// Surrounding whitespace is dropped (a header value cannot carry it, so it would be signed
    /// but not received); a blank token is no token.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        let mut token = Zeroizing::new(token.into());
        let trimmed = token.trim();
        if trimmed.len() != token.len() {
            let kept = Zeroizing::new(trimmed.to_owned());
            token = kept;
        }
        self.security_token = (!token.is_empty()).then_some(token);
        self
    }

    /// The access key (AK). Not a secret: it is sent in every `Authorization` header.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret key (SK). Crate-internal: only the signer reads it.
    pub(crate) fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The security token of temporary credentials, if any.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref().map(String::as_str)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new("AKID", "VERYSECRET").with_security_token("TOKENVALUE");
        let shown = format!("{c:?} {c:#?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("VERYSECRET"));
        assert!(!shown.contains("TOKENVALUE"));
    }

    #[test]
    fn empty_token_means_none() {
        let c = Credentials::new("a", "b").with_security_token("");
        assert_eq!(c.security_token(), None);
    }
}
