//! The proxy decided per host when no explicit proxy is set: the environment's
//! `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` (or their lower-case names), read through the
//! builder's [`EnvSource`], except for the hosts in `NO_PROXY` and for loopback hosts, which are
//! always reached directly.
//!
//! Deciding per host matters because one client talks to two services: a loopback IMS endpoint
//! (the emulator, a tunnel) must not go through the proxy, while the remote IAM project lookup
//! of the same client must.
//!
//! Also the words of a proxy's failure: a proxy URL whose user info would be read as part of
//! another host, and a proxy that refuses to open a tunnel, named (never with its user info)
//! with the host the tunnel was for.

use super::config::ClientConfig;
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

/// The proxy that https requests of a client with `config` are tunnelled through, as errors
/// show it (user info redacted): the explicit proxy, else `HTTPS_PROXY` / `ALL_PROXY` of its
/// environment. Which hosts bypass it does not matter: only a request that went through a
/// proxy can fail to open a tunnel.
pub(crate) fn tunnel_proxy_shown(config: &ClientConfig) -> Option<String> {
    match &config.proxy {
        Some(p) => Some(redact::url_userinfo(p.as_str())),
        None => env_proxies(&config.env)
            .0
            .map(|url| redact::url_userinfo(&url)),
    }
}

/// A failed tunnel (`CONNECT`) through a proxy, in words that name the proxy (`proxy`, as
/// [`tunnel_proxy_shown`] gives it), the host the tunnel was for and the proxy's status when it
/// is known: `None` when `err` is no such failure.
///
/// reqwest (through hyper-util's `Tunnel`) reports a 407 answer apart, but any other refusal
/// only as "unsuccessful", without the status; its error type is not public, so it is read by
/// its words ("tunnel error: ...").
pub(crate) fn tunnel_failure(err: &reqwest::Error, proxy: Option<&str>) -> Option<String> {
    let mut next = std::error::Error::source(err);
    let (what, cause) = loop {
        let e = next?;
        if let Some(what) = e.to_string().strip_prefix("tunnel error: ") {
            break (what.to_owned(), e.source());
        }
        next = e.source();
    };
    let proxy = proxy.map_or_else(|| "the proxy".to_owned(), |p| format!("the proxy {p}"));
    let target = err
        .url()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| "the endpoint".to_owned());
    let because = || {
        cause
            .map(|c| format!(": {}", crate::error::error_chain(c)))
            .unwrap_or_default()
    };
    Some(match what.as_str() {
        "proxy authorization required" => format!(
            "{proxy} refused to open a tunnel to {target}: it answered 407 Proxy Authentication Required; check the proxy's user and password"
        ),
        "unsuccessful" => format!(
            "{proxy} refused to open a tunnel to {target} (the HTTP stack passes on no status but an authentication demand); check that the proxy allows tunnels to that host and port"
        ),
        "unexpected end of file" => format!(
            "{proxy} closed the connection instead of answering CONNECT for a tunnel to {target}"
        ),
        "failed to create underlying connection" => {
            format!(
                "cannot reach {proxy} (for a tunnel to {target}){}",
                because()
            )
        }
        "io error establishing tunnel" => format!(
            "the connection to {proxy} broke while it opened a tunnel to {target}{}",
            because()
        ),
        other => format!(
            "{proxy} did not open a tunnel to {target}: {other}{}",
            because()
        ),
    })
}
