//! The profile file (`~/.huaweicloud/credentials`): a small INI reader for section `[basic]`.

use std::path::Path;

use super::Credentials;

/// What a profile file's `[basic]` section holds.
#[derive(Debug, Clone)]
pub struct Profile {
    /// AK/SK (and security token).
    pub credentials: Credentials,
    /// `project_id`, when present.
    pub project_id: Option<String>,
}

impl Profile {
    /// Reads and parses the file; the error says why in one phrase (never with a secret).
    pub fn load(path: &Path) -> Result<Profile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses INI text: section `[basic]` (or `[basiccredentials]`, which the official Python SDK
    /// looks for), keys `ak`, `sk`, `security_token`, `project_id`; `#` and `;` start comments.
    pub fn parse(text: &str) -> Result<Profile, String> {
        let (mut in_basic, mut seen_basic) = (false, false);
        let (mut ak, mut sk, mut token, mut project) = (None, None, None, None);
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim().to_ascii_lowercase();
                in_basic = name == "basic" || name == "basiccredentials";
                seen_basic |= in_basic;
                continue;
            }
            if !in_basic {
                continue;
            }
            let Some((k, v)) = line.split_once('=').or_else(|| line.split_once(':')) else {
                continue;
            };
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "ak" => ak = Some(v),
                "sk" => sk = Some(v),
                "security_token" => token = Some(v),
                "project_id" => project = Some(v),
                _ => {}
            }
        }
        if !seen_basic {
            return Err("no [basic] section".to_owned());
        }
        match (ak.filter(|a| !a.is_empty()), sk.filter(|s| !s.is_empty())) {
            (Some(ak), Some(sk)) => {
                let mut credentials = Credentials::new(ak, sk);
                if let Some(t) = token {
                    credentials = credentials.with_security_token(t);
                }
                Ok(Profile {
                    credentials,
                    project_id: project.filter(|p| !p.is_empty()),
                })
            }
            _ => Err("[basic] needs both ak and sk".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic_section() {
        let p = Profile::parse(
            "# c\n[other]\nak=X\n[basic]\nak = AK\nsk = SK\nproject_id = P\nsecurity_token=T\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.credentials.access_key(), "AK");
        assert_eq!(p.credentials.security_token(), Some("T"));
        assert_eq!(p.project_id.as_deref(), Some("P"));
    }

    #[test]
    fn reports_missing_parts() {
        assert_eq!(
            Profile::parse("[other]\nak=1\nsk=2").unwrap_err(),
            "no [basic] section"
        );
        assert_eq!(
            Profile::parse("[basic]\nak=1").unwrap_err(),
            "[basic] needs both ak and sk"
        );
        let secret_free = Profile::parse("[basic]\nsk=SUPERSECRET").unwrap_err();
        assert!(!secret_free.contains("SUPERSECRET"));
    }
}
