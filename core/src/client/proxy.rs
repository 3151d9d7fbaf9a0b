//! The proxy decided per host when no explicit proxy is set: the environment's
//! `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (or their lower-case names), read through the
//! builder's [`EnvSource`], except for the hosts in `NO_PROXY` and for loopback hosts, which are
//! always reached directly.
//!
//! Deciding per host matters because one client talks to two services: a loopback IMS endpoint
//! (the emulator, a tunnel) must not go through the proxy, while the remote IAM project lookup
//! of the same client must.

use crate::env::EnvSource;
use crate::error::{Error, Result};

/// Hosts never proxied, in `NO_PROXY` syntax: every loopback name and address.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// `http` with the environment's proxies, per scheme, each bypassed for loopback hosts and for
/// `NO_PROXY`. reqwest's own lookup of the process environment is switched off, so the
/// builder's [`EnvSource`] is the only source. As curl does, `HTTP_PROXY` is ignored when
/// `REQUEST_METHOD` is set (a CGI request can set that header).
pub(crate) fn from_env(
    http: reqwest::ClientBuilder,
    env: &EnvSource,
) -> Result<reqwest::ClientBuilder> {
    let var = |name: &str| {
        env.get(name)
            .or_else(|| env.get(&name.to_ascii_lowercase()))
    };
    let bypass = match var("NO_PROXY") {
        Some(list) => format!("{LOOPBACK},{list}"),
        None => LOOPBACK.to_owned(),
    };
    let all = var("ALL_PROXY");
    let https = var("HTTPS_PROXY").or_else(|| all.clone());
    let plain = if env.get("REQUEST_METHOD").is_some() {
        all
    } else {
        var("HTTP_PROXY").or(all)
    };
    let mut http = http.no_proxy();
    for (name, url) in [("HTTPS_PROXY", https), ("HTTP_PROXY", plain)] {
        let Some(url) = url else { continue };
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
