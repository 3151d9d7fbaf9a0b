//! The proxy decided per host when no explicit proxy is set: the environment's
//! `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (or their lower-case names), read through the
//! builder's [`EnvSource`], except for the hosts in `NO_PROXY` and for loopback hosts, which are
//! always reached directly.
//!
//! Deciding per host matters because one client talks to two services: a loopback IMS endpoint
//! (the emulator, a tunnel) must not go through the proxy, while the remote IAM project lookup
//! of the same client must.
//!
//! A proxy URL whose user info would be read as part of another host is refused.

use crate::env::EnvSource;
use crate::error::{Error, Result};
use crate::redact;

/// Hosts never proxied, in `NO_PROXY` syntax: every loopback name and address.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// Why a proxy URL whose user info holds `#`, `/` or `?` is refused: a URL parser ends the host
/// part at the first of them, so the URL would name another host as the proxy (and the rest of
/// the password would be taken for a path or fragment).
pub(crate) const AMBIGUOUS_USERINFO: &str = "its user info holds '#', '/' or '?', which end the host part of a URL, so it would name another host as the proxy: percent-encode them in the user name and password (%23, %2F, %3F)";

/// The environment's proxy URLs as [`from_env`] reads them: (for https, for plain http).
fn env_proxies(env: &EnvSource) -> (Option<String>, Option<String>) {
    let var = |name: &str| {
        env.get(name)
            .or_else(|| env.get(&name.to_ascii_lowercase()))
    };
    let all = var("ALL_PROXY");
    let https = var("HTTPS_PROXY").or_else(|| all.clone());
    let plain = if env.get("REQUEST_METHOD").is_some() {
        all
    } else {
        var("HTTP_PROXY").or(all)
    };
    (https, plain)
}

/// `http` with the environment's proxies, per scheme, each bypassed for loopback hosts and for
/// `NO_PROXY`. reqwest's own lookup of the process environment is switched off, so the
/// builder's [`EnvSource`] is the only source. As curl does, `HTTP_PROXY` is ignored when
/// `REQUEST_METHOD` is set (a CGI request can set that header).
pub(crate) fn from_env(
    http: reqwest::ClientBuilder,
    env: &EnvSource,
) -> Result<reqwest::ClientBuilder> {
    let bypass = match env.get("NO_PROXY").or_else(|| env.get("no_proxy")) {
        Some(list) => format!("{LOOPBACK},{list}"),
        None => LOOPBACK.to_owned(),
    };
    let (https, plain) = env_proxies(env);
    let mut http = http.no_proxy();
    for (name, url) in [("HTTPS_PROXY", https), ("HTTP_PROXY", plain)] {
        let Some(url) = url else { continue };
        if redact::userinfo_is_ambiguous(&url) {
            return Err(Error::Config(format!(
                "the proxy in {name} (or ALL_PROXY) of the environment, {:?}: {AMBIGUOUS_USERINFO}",
                redact::url_userinfo(&url)
            )));
        }
        let proxy = if name == "HTTPS_PROXY" {
            reqwest::Proxy::https(url.as_str())
        } else {
            reqwest::Proxy::http(url.as_str())
        };
        // The URL may hold a password: it is never part of the message.
        let proxy = proxy.map_err(|_| {
            Error::Config(format!(
                "the proxy in {name} (or ALL_PROXY) of the environment is not a valid URL"
            ))
        })?;
        http = http.proxy(proxy.no_proxy(reqwest::NoProxy::from_string(&bypass)));
    }
    Ok(http)
}
