//! Endpoints: the region table, per-region overrides, explicit URLs, and the https rule.

use url::Url;

use crate::env::{ENV_IAM_ENDPOINT, EnvSource};
use crate::error::{Error, Result};

/// The 33 regions where IMS is served at `https://ims.{region}.myhuaweicloud.com`.
pub const REGIONS: [&str; 33] = [
    "af-south-1",
    "cn-north-4",
    "cn-north-1",
    "cn-east-2",
    "cn-east-3",
    "cn-south-1",
    "cn-southwest-2",
    "ap-southeast-2",
    "ap-southeast-1",
    "ap-southeast-3",
    "cn-north-2",
    "cn-south-2",
    "cn-north-9",
    "la-south-2",
    "sa-brazil-1",
    "la-north-2",
    "na-mexico-1",
    "ap-southeast-4",
    "cn-south-4",
    "tr-west-1",
    "me-east-1",
    "ae-ad-1",
    "cn-east-4",
    "eu-west-101",
    "cn-east-5",
    "eu-west-0",
    "my-kualalumpur-1",
    "af-north-1",
    "ru-moscow-1",
    "ap-southeast-5",
    "cn-north-12",
    "cn-north-11",
    "cn-southwest-3",
];

/// Longest region name accepted, in characters.
pub const REGION_MAX_CHARS: usize = 64;

/// Checks that `region` is a region name before it becomes part of a host
/// (`ims.{region}...`, `iam.{region}...`) or of a signing scope: 1-[`REGION_MAX_CHARS`]
/// lower-case ASCII letters, digits and `-`, not beginning or ending with `-`. Anything else
/// (`evil.com/`, `host:port`, user info, upper case, spaces) is an [`Error::Config`] naming
/// `region`.
pub fn check_region(region: &str) -> Result<()> {
    let ok = !region.is_empty()
        && region.len() <= REGION_MAX_CHARS
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "region \"{}\" is not a region name: it must be 1-{REGION_MAX_CHARS} lower-case letters a-z, digits and '-' (e.g. cn-north-4)",
            crate::validate::preview(region)
        )))
    }
}

/// A parsed service endpoint: scheme, host (with port when given) and a base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
    host: String,
}

impl Endpoint {
    /// Parses an endpoint URL. `https` is required; `http` is accepted only for loopback hosts
    /// or when `allow_http` is set. A bare `host[:port]` means `https://host[:port]`. User info
    /// of any form (`user@`, `user:password@`, `:password@`, a bare `@`) is refused, and no
    /// error shows it (a password may hold `#`, `/` or `?`: everything up to the last `@` is
    /// redacted).
    pub fn parse(text: &str, allow_http: bool) -> Result<Self> {
        let text = text.trim();
        // What errors show of `text`: never its user info.
        let shown = crate::redact::url_userinfo(text);
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("https://{text}")
        };
        let url = Url::parse(&with_scheme)
            .map_err(|e| Error::Config(format!("endpoint {shown:?} is not a url: {e}")))?;
        // The parser drops an empty user info (`https://@host`); the text still had one.
        let authority = with_scheme
            .split_once("://")
            .map_or("", |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        if !url.username().is_empty() || url.password().is_some() || authority.contains('@') {
            return Err(Error::Config(format!(
                "endpoint {shown:?} must not carry user info (a user name or password before '@'): the client authenticates with AK/SK or a token"
            )));
        }
        let host_str = url
            .host_str()
            .ok_or_else(|| Error::Config(format!("endpoint {shown:?} has no host")))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_http || is_loopback_host(host_str) => {}
            "http" => {
                return Err(Error::Config(format!(
                    "endpoint {shown:?} uses plain http; https is required except for loopback addresses (or opt in with allow_http)"
                )));
            }
            other => {
                return Err(Error::Config(format!(
                    "endpoint scheme {other:?} is not http or https"
                )));
            }
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Config(format!(
                "endpoint {shown:?} must not carry a query or fragment"
            )));
        }
        let host = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_owned(),
        };
        Ok(Endpoint { url, host })
    }

    /// The endpoint of IMS in `region`: `HUAWEICLOUD_SDK_REGION_IMS_<REGION>` when set, else the
    /// region table.
    pub fn for_region(region: &str, env: &EnvSource, allow_http: bool) -> Result<Self> {
        check_region(region)?;
        let var = format!(
            "HUAWEICLOUD_SDK_REGION_IMS_{}",
            region.to_ascii_uppercase().replace('-', "_")
        );
        if let Some(url) = env.get(&var) {
            return Self::parse(&url, allow_http);
        }
        if REGIONS.contains(&region) {
            return Self::parse(&format!("https://ims.{region}.myhuaweicloud.com"), false);
        }
        Err(Error::Config(format!(
            "unknown region {region:?}: IMS is served in {}; or give an explicit endpoint, or set {var}",
            REGIONS.join(", ")
        )))
    }

    /// The IAM endpoint for `region`: `HUAWEICLOUD_SDK_IAM_ENDPOINT` when set, else
    /// `https://iam.{region}.myhuaweicloud.com`.
    pub fn iam_for_region(region: &str, env: &EnvSource, allow_http: bool) -> Result<Self> {
        check_region(region)?;
        match env.get(ENV_IAM_ENDPOINT) {
            Some(url) => Self::parse(&url, allow_http),
            None => Self::parse(&format!("https://iam.{region}.myhuaweicloud.com"), false),
        }
    }

    /// `host[:port]`, as sent and signed in `Host`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
    pub fn is_loopback(&self) -> bool {
        self.url.host_str().is_some_and(is_loopback_host)
    }

    /// The wire path for an API path (`/v1/...`), below the endpoint's base path.
    pub fn path(&self, api_path: &str) -> String {
        let base = self.url.path().trim_end_matches('/');
        format!("{base}{api_path}")
    }

    /// The URL of one request: this endpoint's scheme, host and port, parsed once with the
    /// endpoint, with `path` (a wire path from [`Endpoint::path`], percent-encoded) and `query`
    /// (a canonical query, encoded; empty for none). Only the path and query are parsed here,
    /// where parsing the whole URL again for every request would also parse the host.
    pub fn request_url(&self, path: &str, query: &str) -> Url {
        let mut url = self.url.clone();
        url.set_path(path);
        url.set_query((!query.is_empty()).then_some(query));
        url
    }

    /// The endpoint as text.
    pub fn as_str(&self) -> &str {
        // `Url` always ends a bare host with `/`; callers compare with what they passed.
        self.url.as_str().trim_end_matches('/')
    }
}

/// Whether `host` names the loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::from_map(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn every_region_maps_to_https() {
        for r in REGIONS {
            let e =
                Endpoint::for_region(r, &env(&[]), false).unwrap_or_else(|e| panic!("{r}: {e}"));
            assert_eq!(e.host(), format!("ims.{r}.myhuaweicloud.com"));
            assert!(e.as_str().starts_with("https://"));
        }
    }

    #[test]
    fn region_override_and_unknown_region() {
        let e = Endpoint::for_region(
            "cn-north-4",
            &env(&[(
                "HUAWEICLOUD_SDK_REGION_IMS_CN_NORTH_4",
                "http://127.0.0.1:9000",
            )]),
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.host(), "127.0.0.1:9000");
        assert_eq!(e.as_str(), "http://127.0.0.1:9000");
        let err = Endpoint::for_region("mars-1", &env(&[]), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown region \"mars-1\""), "{err}");
    }

    #[test]
    fn http_only_for_loopback_or_opt_in() {
        assert!(Endpoint::parse("http://127.0.0.1:8080", false).is_ok());
        assert!(Endpoint::parse("http://[::1]:8080", false).is_ok());
        assert!(Endpoint::parse("http://localhost", false).is_ok());
        let err = Endpoint::parse("http://ims.example.com", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("https is required"), "{err}");
        assert!(Endpoint::parse("http://ims.example.com", true).is_ok());
        assert!(Endpoint::parse("ftp://x", true).is_err());
        assert!(Endpoint::parse("https://x/?a=b", true).is_err());
        assert_eq!(
            Endpoint::parse("ims.example.com", false)
                .map(|e| e.host().to_owned())
                .ok(),
            Some("ims.example.com".into())
        );
    }

    /// An endpoint carries no user info of any form (a password would be sent nowhere, and
    /// shown everywhere the endpoint is), and refusing it never shows the password.
    #[test]
    fn user_info_is_refused_without_showing_it() {
        for text in [
            "https://:s3cretPW@ims.example.com",
            "https://user:s3cretPW@ims.example.com",
            "https://s3cretPW@ims.example.com",
            "https://@ims.example.com",
            "https://:s3cr#etPW@ims.example.com",
            "https://u:s3cr/etPW@ims.example.com",
            "https://u:s3cr?etPW@ims.example.com",
            "https://u:s3cr%23etPW@ims.example.com",
            "http://:s3cretPW@127.0.0.1:8080",
            ":s3cretPW@ims.example.com",
        ] {
            let err = Endpoint::parse(text, false)
                .map(|e| e.as_str().to_owned())
                .expect_err(text);
            assert_eq!(err.kind(), crate::error::ErrorKind::Config, "{text}: {err}");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("etPW"), "{text}: {shown}");
            assert!(!shown.contains("s3cr"), "{text}: {shown}");
        }
        // An `@` in the path is not user info.
        assert!(Endpoint::parse("https://gw.example.com/a@b", false).is_ok());
    }

    #[test]
    fn base_path_is_kept() {
        let e = Endpoint::parse("https://gw.example.com/prefix/", false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.path("/v1/x"), "/prefix/v1/x");
        assert_eq!(
            e.request_url("/prefix/v1/x", "a=b").as_str(),
            "https://gw.example.com/prefix/v1/x?a=b"
        );
    }

    /// A request URL built on the endpoint parsed once is the URL that parsing the whole text
    /// gives, for hosts of every form and for wire paths and canonical queries that carry
    /// encoded bytes (what the transport sends must be what the signer signed).
    #[test]
    fn request_url_is_the_url_a_full_parse_gives() {
        use crate::sign::encode;
        let ids = [
            "plain",
            "sp ace",
            "per%cent",
            "slash/inside",
            "q?mark#hash",
            "ünïcode",
            "dots/../..",
            "~-._",
        ];
        for base in [
            "https://ims.cn-north-4.myhuaweicloud.com",
            "http://127.0.0.1:18080",
            "http://[::1]:9000/",
            "https://gw.example.com:8443/prefix/",
            "https://IMS.Example.COM",
        ] {
            let e = Endpoint::parse(base, false).unwrap_or_else(|err| panic!("{base}: {err}"));
            for id in ids {
                let path = e.path(&format!("/v1/cloudimages/job/{}", encode::encode(id)));
                let mut query = String::new();
                encode::canonical_query(&[("marker", id), ("limit", "10")], &mut query);
                for q in ["", query.as_str()] {
                    let text = match q {
                        "" => format!("{}://{}{path}", e.url.scheme(), e.host()),
                        q => format!("{}://{}{path}?{q}", e.url.scheme(), e.host()),
                    };
                    let parsed = Url::parse(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
                    assert_eq!(e.request_url(&path, q), parsed, "{text}");
                }
            }
        }
    }
}
