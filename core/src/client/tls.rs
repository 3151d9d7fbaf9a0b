//! Trust and TLS failures: the extra CAs a client trusts (PEM text, files, and the CA-bundle
//! variables `requests` users know), and a TLS failure said in words, so "the certificate is not
//! trusted" never arrives as a bare "error sending request".

use std::error::Error as StdError;
use std::path::Path;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{CertificateError, Error as RustlsError};

use crate::env::{ENV_CA_FILE, ENV_REQUESTS_CA_BUNDLE, ENV_SSL_CERT_FILE, EnvSource};
use crate::error::Error;

/// The CA-bundle variables, in the order they are consulted; the first one set is used.
pub const CA_FILE_VARIABLES: [&str; 3] = [ENV_CA_FILE, ENV_REQUESTS_CA_BUNDLE, ENV_SSL_CERT_FILE];

/// How to add a CA, named for every door (a message is read by Rust, C, Python and CLI users).
const TRUST_HINT: &str = "trust its CA with add_root_certificate_pem / ims_client_options_set_ca_pem / ca_pem= / --ca-file, or IMS_CA_FILE";

/// The certificates of a PEM text (one or more `CERTIFICATE` blocks; other blocks are skipped).
/// `what` names the source in errors.
pub(crate) fn parse_pem(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| Error::Config(format!("{what}: not valid PEM: {e}")))?;
        // Parse it now as a trust anchor, so a damaged certificate is refused here, naming its
        // source (reqwest would only find out when the client is built, in its own words).
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|e| Error::Config(format!("{what}: not a valid certificate: {e}")))?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "{what}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it"
        )));
    }
    Ok(certs)
}

/// How many certificates a PEM text holds: a config error naming `CA certificate` when it holds
/// none, or a damaged one (what [`crate::ClientBuilder::build`] would report later).
pub fn count_pem_certificates(pem: &[u8]) -> Result<usize, Error> {
    parse_pem(pem, "CA certificate").map(|certs| certs.len())
}

/// The certificates of a PEM file; errors name the file (and `via`, the variable that named it).
pub(crate) fn read_pem_file(
    path: &Path,
    via: Option<&str>,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let what = match via {
        Some(var) => format!("CA certificate file {} (from {var})", path.display()),
        None => format!("CA certificate file {}", path.display()),
    };
    let bytes =
        std::fs::read(path).map_err(|e| Error::Config(format!("{what}: cannot read it: {e}")))?;
    parse_pem(&bytes, &what)
}

/// The certificates of the first CA-bundle variable that is set ([`CA_FILE_VARIABLES`]).
pub(crate) fn from_env(env: &EnvSource) -> Result<Vec<CertificateDer<'static>>, Error> {
    for var in CA_FILE_VARIABLES {
        if let Some(path) = env.get(var) {
            return read_pem_file(Path::new(path.trim()), Some(var));
        }
    }
    Ok(Vec::new())
}

/// The TLS error anywhere in `err`'s chain.
pub(crate) fn find<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a RustlsError> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(tls) = as_rustls(e) {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

/// `e` as a rustls error, also when `io::Error`s wrap it (their `source()` skips what they
/// wrap, so they are opened one by one).
fn as_rustls<'a>(mut e: &'a (dyn StdError + 'static)) -> Option<&'a RustlsError> {
    loop {
        if let Some(tls) = e.downcast_ref::<RustlsError>() {
            return Some(tls);
        }
        let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
        e = inner;
    }
}

/// A TLS error of the handshake (the connection was being set up: nothing was sent yet), said
/// in words, with what to do about a refused certificate.
pub(crate) fn handshake_words(e: &RustlsError) -> String {
    let RustlsError::InvalidCertificate(cert) = e else {
        return format!("the TLS handshake failed: {e}");
    };
    match cert {
        CertificateError::UnknownIssuer => format!(
            "the server's certificate is not trusted: no trusted CA signed it; {TRUST_HINT}"
        ),
        CertificateError::NotValidForName => {
            "the server's certificate is not valid for the host name of the endpoint".to_owned()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "the server's certificate is not valid for {}: it names {}",
            server_name(expected),
            presented
                .iter()
                .map(|p| presented_name(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let when = match cert {
                CertificateError::ExpiredContext { not_after, .. } => {
                    let secs = i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX);
                    format!(" on {}", crate::time::format_http_date(secs))
                }
                _ => String::new(),
            };
            format!("the server's certificate expired{when}")
        }
        CertificateError::BadSignature => format!(
            "the server's certificate is not trusted: its signature does not verify against the trusted CA of the same name (a CA file from an earlier run?); {TRUST_HINT}"
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (check this machine's clock)".to_owned()
        }
        other => format!("the server's certificate was refused: {other:?}"),
    }
}

fn server_name(name: &rustls::pki_types::ServerName<'_>) -> String {
    match name {
        rustls::pki_types::ServerName::DnsName(d) => d.as_ref().to_owned(),
        rustls::pki_types::ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// `DnsName("a.example")` as `a.example`.
fn presented_name(p: &str) -> &str {
    match (p.find('"'), p.rfind('"')) {
        (Some(a), Some(b)) if b > a => &p[a + 1..b],
        _ => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_lose_their_wrapper() {
        assert_eq!(presented_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(presented_name("plain"), "plain");
        assert_eq!(presented_name("\""), "\"");
    }

    #[test]
    fn errors_inside_io_errors_are_found() {
        let tls = RustlsError::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = std::io::Error::other(io);
        let text = find(&outer).map(handshake_words).expect("found");
        assert!(text.contains("not trusted"), "{text}");
        assert!(find(&std::io::Error::other("plain")).is_none());
    }

    #[test]
    fn a_signature_from_another_ca_of_the_same_name_is_not_trusted() {
        let text = handshake_words(&RustlsError::InvalidCertificate(
            CertificateError::BadSignature,
        ));
        assert!(text.contains("not trusted"), "{text}");
        assert!(text.contains("IMS_CA_FILE"), "{text}");
    }

    #[test]
    fn an_empty_pem_names_its_source() {
        let err = parse_pem(b"", "CA certificate").expect_err("empty");
        assert!(err.to_string().contains("CA certificate: no PEM"), "{err}");
    }
}
