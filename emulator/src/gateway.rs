//! How the emulated API gateway words its answers: the code prefix, a forced "signature
//! expired", a raw `Date` header, and the `Retry-After` form. For clock and gateway-code tests.

/// The prefix of the gateway's error codes (`APIGW.0301` or `APIG.0301`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GatewayPrefix {
    /// `APIGW.` (the signing guide, 2024–2026): the default.
    #[default]
    Apigw,
    /// `APIG.` (older and dedicated-gateway pages).
    Apig,
}

impl GatewayPrefix {
    /// The prefix text, without the dot.
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayPrefix::Apigw => "APIGW",
            GatewayPrefix::Apig => "APIG",
        }
    }

    /// `code` (written `APIGW.nnnn`) with this prefix.
    pub(crate) fn rename(self, code: &str) -> String {
        match (self, code.strip_prefix("APIGW.")) {
            (GatewayPrefix::Apig, Some(number)) => format!("APIG.{number}"),
            _ => code.to_owned(),
        }
    }
}

impl std::str::FromStr for GatewayPrefix {
    type Err = String;

    /// `APIGW` or `APIG` (case-insensitive, an optional trailing dot).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim_end_matches('.').to_ascii_uppercase().as_str() {
            "APIGW" => Ok(GatewayPrefix::Apigw),
            "APIG" => Ok(GatewayPrefix::Apig),
            _ => Err(format!(
                "gateway prefix {s:?}: must be \"APIGW\" or \"APIG\""
            )),
        }
    }
}

/// The gateway's wording switches (all off by default: the gateway as documented).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayBehaviour {
    /// The prefix of gateway error codes.
    pub prefix: GatewayPrefix,
    /// Every signed request is refused as "signature expired" (401, 0301), whatever its date.
    pub always_expired: bool,
    /// When set, every answer carries exactly this `Date` header text (any text, even a
    /// hostile one such as a year-10000 date), instead of the emulator's clock.
    pub date_override: Option<String>,
    /// Throttling answers give `Retry-After` as an HTTP date (IMF-fixdate) instead of seconds.
    pub retry_after_http_date: bool,
    /// How far (seconds) a request's `X-Sdk-Date` may be from the gateway's clock before it is
    /// refused as "signature expired" (`None`: the documented 15 minutes,
    /// [`crate::MAX_CLOCK_SKEW_SECS`]). A short window plays a request that waited too long
    /// between signing and sending without waiting 15 minutes.
    pub signature_window_secs: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_renames_and_parses() {
        assert_eq!(GatewayPrefix::Apig.rename("APIGW.0301"), "APIG.0301");
        assert_eq!(GatewayPrefix::Apigw.rename("APIGW.0301"), "APIGW.0301");
        assert_eq!(GatewayPrefix::Apig.rename("IMG.0001"), "IMG.0001");
        assert_eq!("apig".parse::<GatewayPrefix>(), Ok(GatewayPrefix::Apig));
        assert_eq!("APIGW.".parse::<GatewayPrefix>(), Ok(GatewayPrefix::Apigw));
        assert!(
            "APX"
                .parse::<GatewayPrefix>()
                .unwrap_err()
                .contains("APIGW")
        );
    }
}
