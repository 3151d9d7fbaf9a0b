//! HTTPS for the emulator: a CA made fresh at start-up and a server certificate it signs, for
//! `127.0.0.1`, `::1` and `localhost`, or (to play the failure cases) for another host name or
//! already expired.

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The names a [`ServerCertificate::Valid`] certificate is issued for.
pub const EMULATOR_TLS_NAMES: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

/// The only name a [`ServerCertificate::OtherHost`] certificate is issued for.
pub const OTHER_HOST_NAME: &str = "other-host.invalid";

/// Which server certificate the emulator presents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ServerCertificate {
    /// Valid now, for `127.0.0.1`, `::1` and `localhost` (the default).
    #[default]
    Valid,
    /// Valid now, but only for [`OTHER_HOST_NAME`]: clients must refuse it (name mismatch).
    OtherHost,
    /// For the right names, but it expired on 2021-01-01: clients must refuse it.
    Expired,
}

impl std::str::FromStr for ServerCertificate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "valid" => Ok(ServerCertificate::Valid),
            "other-host" => Ok(ServerCertificate::OtherHost),
            "expired" => Ok(ServerCertificate::Expired),
            other => Err(format!(
                "{other:?} is not a certificate kind: use valid, other-host or expired"
            )),
        }
    }
}

/// The emulator's TLS material: a fresh CA (its PEM is what clients trust) and a server
/// certificate it signed. Made once; cloning shares it.
#[derive(Clone)]
pub struct EmulatorTls {
    ca_pem: Arc<str>,
    certificate: ServerCertificate,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for EmulatorTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorTls")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

impl EmulatorTls {
    /// Makes a fresh CA (ECDSA P-256, valid 2000 to 2099) and a server
    /// certificate of the given kind signed by it.
    pub fn generate(certificate: ServerCertificate) -> io::Result<EmulatorTls> {
        let (ca_pem, chain, key) = make_certificates(certificate).map_err(io::Error::other)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(io::Error::other)?;
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(EmulatorTls {
            ca_pem: ca_pem.into(),
            certificate,
            acceptor: TlsAcceptor::from(Arc::new(server)),
        })
    }

    /// The CA's certificate (PEM): what a client adds to its trusted roots.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The kind of server certificate presented.
    pub fn certificate(&self) -> ServerCertificate {
        self.certificate
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

type Material = (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn make_certificates(kind: ServerCertificate) -> Result<Material, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // A name of its own: a CA file left from an earlier run is then simply not the issuer.
    let ca_name = format!("ims emulator CA {}", &crate::ids::hex32()[..12]);
    ca.distinguished_name = name(&ca_name);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = rcgen::date_time_ymd(2000, 1, 1);
    ca.not_after = rcgen::date_time_ymd(2099, 12, 31);
    let ca_cert = ca.self_signed(&ca_key)?;

    let names: Vec<String> = match kind {
        ServerCertificate::OtherHost => vec![OTHER_HOST_NAME.to_owned()],
        _ => EMULATOR_TLS_NAMES.iter().map(|n| (*n).to_owned()).collect(),
    };
    let server_key = KeyPair::generate()?;
    let mut server = CertificateParams::new(names)?;
    server.distinguished_name = name("ims emulator");
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    match kind {
        ServerCertificate::Expired => {
            server.not_before = rcgen::date_time_ymd(2020, 1, 1);
            server.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        _ => {
            server.not_before = rcgen::date_time_ymd(2000, 1, 1);
            server.not_after = rcgen::date_time_ymd(2099, 12, 30);
        }
    }
    let server_cert = server.signed_by(&server_key, &ca_cert, &ca_key)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    Ok((
        ca_cert.pem(),
        vec![server_cert.der().clone(), ca_cert.der().clone()],
        key,
    ))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}
