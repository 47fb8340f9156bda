//! Agent versions: `MAJOR.MINOR.PATCH`, compared as semantic versions (numerically, major
//! first).

use std::fmt;
use std::str::FromStr;

/// A GitOps agent version such as `0.101.0` (the `harness/gitops-agent` image tag without
/// its `v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl AgentVersion {
    /// The default latest agent version (`--agent-version`'s default): `0.101.0`.
    pub const DEFAULT: AgentVersion = AgentVersion {
        major: 0,
        minor: 101,
        patch: 0,
    };
}

impl Default for AgentVersion {
    fn default() -> Self {
        AgentVersion::DEFAULT
    }
}

impl fmt::Display for AgentVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A version that is not `MAJOR.MINOR.PATCH` (three whole numbers, no leading zeros, no
/// `v`, no pre-release or build suffix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an agent version; use MAJOR.MINOR.PATCH, e.g. 0.102.0")]
pub struct BadVersion(pub String);

impl FromStr for AgentVersion {
    type Err = BadVersion;

    fn from_str(s: &str) -> Result<AgentVersion, BadVersion> {
        let bad = || BadVersion(s.to_string());
        let mut parts = s.split('.');
        let mut next = || -> Result<u64, BadVersion> {
            let p = parts.next().ok_or_else(bad)?;
            let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            if !digits || (p.len() > 1 && p.starts_with('0')) {
                return Err(bad());
            }
            p.parse().map_err(|_| bad())
        };
        let v = AgentVersion {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_as_semver() {
        let v = |s: &str| s.parse::<AgentVersion>().unwrap();
        assert_eq!(v("0.101.0"), AgentVersion::DEFAULT);
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
        assert!(v("0.101.0") < v("0.102.0"));
        assert!(v("0.99.9") < v("0.101.0"), "numeric, not lexicographic");
        assert!(v("0.999.0") < v("1.0.0"));
        assert!(v("1.0.10") > v("1.0.9"));
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "v1.2.3",
            "1.2.x",
            "01.2.3",
            "1..3",
            "1.2.3-rc1",
            " 1.2.3",
            "-1.2.3",
            "99999999999999999999.0.0",
        ] {
            assert!(bad.parse::<AgentVersion>().is_err(), "{bad:?}");
        }
    }
}
