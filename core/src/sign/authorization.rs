//! The `Authorization` header: written by [`super::sign`] with [`write`], and parsed back (to
//! verify a request) next to it, so the two forms cannot drift apart.

use super::{Algorithm, SignError, printable};

/// The parts of an `Authorization` header. `Debug` leaves the signature out.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The access key.
    pub access_key: String,
    /// V11 only: the scope `yyyymmdd/region/service`.
    pub scope: Option<String>,
    /// The signed header names, lower case, in the order given.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

impl std::fmt::Debug for ParsedAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedAuthorization")
            .field("algorithm", &self.algorithm)
            .field("access_key", &self.access_key)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .finish()
    }
}

impl ParsedAuthorization {
    /// The header value in the form [`super::sign`] writes: `<algorithm> Access=<AK>, ...` or
    /// `V11-HMAC-SHA256 Credential=<AK>/<scope>, ...`, then `SignedHeaders=a;b, Signature=<hex>`.
    ///
    /// For a value [`super::parse_authorization`] read, this is the same text up to the
    /// whitespace around the parameters and their order, which parsing ignores; parsing it again
    /// gives back `self`. (A method, not `Display`: it holds the signature, which is not for
    /// logs or messages.)
    pub fn to_header_value(&self) -> String {
        let scope: Option<&str> = self.scope.as_deref();
        write(
            self.algorithm,
            &self.access_key,
            scope.as_ref().map(std::slice::from_ref),
            &self.signed_headers.join(";"),
            &self.signature,
        )
    }
}

/// The header value: `<algorithm> Access=<AK>, ...` or, with a V11 `scope`,
/// `V11-HMAC-SHA256 Credential=<AK>/<scope>, ...` (the scope given in pieces); then
/// `SignedHeaders=a;b, Signature=<hex>`.
pub(super) fn write(
    alg: Algorithm,
    access_key: &str,
    scope: Option<&[&str]>,
    signed_headers: &str,
    signature: &str,
) -> String {
    let scope_len: usize = scope.map_or(0, |pieces| pieces.iter().map(|p| p.len()).sum());
    let mut out = String::with_capacity(
        64 + access_key.len() + signed_headers.len() + signature.len() + scope_len,
    );
    out.push_str(alg.as_str());
    match scope {
        Some(scope) => {
            out.push_str(" Credential=");
            out.push_str(access_key);
            out.push('/');
            for piece in scope {
                out.push_str(piece);
            }
        }
        None => {
            out.push_str(" Access=");
            out.push_str(access_key);
        }
    }
    out.push_str(", SignedHeaders=");
    out.push_str(signed_headers);
    out.push_str(", Signature=");
    out.push_str(signature);
    out
}

pub(super) fn parse(value: &str) -> Result<ParsedAuthorization, SignError> {
    let bad = |why: &str| SignError::InvalidAuthorization(why.to_owned());
    let (alg, rest) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("expected '<algorithm> <parameters>'"))?;
    let algorithm: Algorithm = alg.parse()?;
    let (mut access, mut credential, mut signed, mut signature) = (None, None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| bad("expected comma-separated key=value parameters"))?;
        let slot = match k {
            "Access" => &mut access,
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            other => {
                return Err(SignError::InvalidAuthorization(format!(
                    "unknown parameter {:?}",
                    printable(other)
                )));
            }
        };
        if slot.replace(v).is_some() {
            return Err(bad("a parameter appears twice"));
        }
    }
    let (access_key, scope) = match (algorithm, access, credential) {
        (Algorithm::V11HmacSha256, None, Some(c)) => {
            let (ak, scope) = c
                .split_once('/')
                .ok_or_else(|| bad("Credential must be <AK>/<yyyymmdd>/<region>/<service>"))?;
            (ak.to_owned(), Some(scope.to_owned()))
        }
        (Algorithm::SdkHmacSha256 | Algorithm::SdkHmacSm3, Some(a), None) => (a.to_owned(), None),
        _ => {
            return Err(bad(
                "expected Access= (SDK-HMAC-*) or Credential= (V11-HMAC-SHA256)",
            ));
        }
    };
    if access_key.is_empty() {
        return Err(bad("empty access key"));
    }
    let signed_headers: Vec<String> = signed
        .ok_or_else(|| bad("missing SignedHeaders"))?
        .split(';')
        .map(str::to_owned)
        .collect();
    if signed_headers.iter().any(String::is_empty) {
        return Err(bad("empty name in SignedHeaders"));
    }
    let signature = signature.ok_or_else(|| bad("missing Signature"))?;
    if signature.is_empty() || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("Signature must be hex"));
    }
    Ok(ParsedAuthorization {
        algorithm,
        access_key,
        scope,
        signed_headers,
        signature: signature.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_signature() {
        let parsed = ParsedAuthorization {
            algorithm: Algorithm::SdkHmacSha256,
            access_key: "AKID".to_owned(),
            scope: None,
            signed_headers: vec!["host".to_owned()],
            signature: "9f1c2e4d".to_owned(),
        };
        let shown = format!("{parsed:?} {parsed:#?}");
        assert!(shown.contains("AKID"), "{shown}");
        assert!(!shown.contains("9f1c2e4d"), "{shown}");
    }

    #[test]
    fn renders_what_it_parsed() {
        for header in [
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=0a1b",
            "SDK-HMAC-SM3 Access=AK2, SignedHeaders=content-type;host;x-sdk-date, Signature=ff",
            "V11-HMAC-SHA256 Credential=AK3/20240102/cn-north-4/ims, SignedHeaders=host, \
             Signature=99",
        ] {
            let parsed = parse(header).expect(header);
            assert_eq!(parsed.to_header_value(), header);
        }
    }

    #[test]
    fn renders_in_canonical_form() {
        let parsed =
            parse("  SDK-HMAC-SHA256 Signature=ab ,SignedHeaders=host,   Access=AK  ").expect("ok");
        let header = parsed.to_header_value();
        assert_eq!(
            header,
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=ab"
        );
        assert_eq!(parse(&header), Ok(parsed));
    }
}
