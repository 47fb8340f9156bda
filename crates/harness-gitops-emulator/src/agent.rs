//! What the GitOps agent (Argo CD) would report about repositories and clusters, and the
//! helpers on application sources the controller ([`super::sync`]) uses.
//!
//! Conventions (documented in the module docs and `--help`):
//! * A repository URL or cluster server whose host is `invalid` or ends in `.invalid`
//!   (RFC 2606 reserves that TLD, so it can never resolve) gets connection status
//!   `Failed` with a DNS error message; any other host is `Successful`.
//! * A cluster whose server is a loopback URL is checked for real ([`super::kube`]).

use serde_json::{json, Map, Value};

use super::kube::Probe;
use super::store::Ts;

/// Kubernetes version every reachable emulated (non-loopback) cluster reports.
pub const SERVER_VERSION: &str = "1.30";

/// The host of a repository URL or cluster server: URL syntax, scp-like `user@host:path`,
/// or a scheme-less `host/path` (OCI registries).
pub fn host_of(url: &str) -> Option<String> {
    let clean = |h: &str| {
        h.trim_matches(['[', ']'])
            .trim_end_matches('.')
            .to_ascii_lowercase()
    };
    if let Ok(u) = url::Url::parse(url) {
        return u.host_str().filter(|h| !h.is_empty()).map(clean);
    }
    let rest = url.split_once('@').map_or(url, |(_, r)| r);
    let host = match rest.split_once(':') {
        Some((h, _)) if !h.contains('/') => h,
        _ => rest.split('/').next().unwrap_or(""),
    };
    (!host.is_empty()).then(|| clean(host))
}

fn unresolvable(host: &str) -> bool {
    host == "invalid" || host.ends_with(".invalid")
}

fn connection_state(ok: Result<(), String>, at: Ts) -> Value {
    match ok {
        Ok(()) => json!({"status": "Successful", "attemptedAt": at.v1_time()}),
        Err(message) => {
            json!({"status": "Failed", "message": message, "attemptedAt": at.v1_time()})
        }
    }
}

/// `commonsConnectionState` of a repository URL, as attempted at `at`.
pub fn repo_connection(url: &str, at: Ts) -> Value {
    let result = match host_of(url) {
        None => Err(format!(
            "Unable to connect to repository: cannot find a host in repository URL \"{url}\""
        )),
        Some(h) if unresolvable(&h) => Err(format!(
            "Unable to connect to repository: dial tcp: lookup {h}: no such host"
        )),
        Some(_) => Ok(()),
    };
    connection_state(result, at)
}

/// Whether a cluster server can be reached (the `.invalid` rule).
pub fn cluster_reachable(server: &str) -> Result<(), String> {
    match host_of(server) {
        None => Err(format!("unable to connect to cluster: cannot find a host in server URL \"{server}\"")),
        Some(h) if unresolvable(&h) => Err(format!(
            "unable to connect to cluster: Get \"{}/version?timeout=32s\": dial tcp: lookup {h}: no such host",
            server.trim_end_matches('/')
        )),
        Some(_) => Ok(()),
    }
}

/// What the agent reports about a cluster's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConn {
    pub result: Result<(), String>,
    /// `serverVersion` when connected.
    pub version: Option<String>,
    /// `info.apiVersions` (from a real discovery call; empty under the conventions).
    pub api_versions: Vec<String>,
    pub attempted_at: Ts,
}

impl ClusterConn {
    /// The convention for servers that are not checked for real: `.invalid` hosts fail,
    /// others succeed with [`SERVER_VERSION`], as attempted at `at` (the last change).
    pub fn by_convention(server: &str, at: Ts) -> ClusterConn {
        let result = cluster_reachable(server);
        ClusterConn {
            version: result.is_ok().then(|| SERVER_VERSION.to_string()),
            result,
            api_versions: Vec::new(),
            attempted_at: at,
        }
    }

    /// The outcome of a real check at `at`.
    pub fn probed(p: Probe, at: Ts) -> ClusterConn {
        ClusterConn {
            result: p.result,
            version: p.version,
            api_versions: p.api_versions,
            attempted_at: at,
        }
    }
}

/// Adds the agent-reported fields to a cluster object: `info` {connectionState,
/// serverVersion, applicationsCount, apiVersions} and the deprecated top-level
/// `connectionState` and `serverVersion` that Argo CD still fills.
pub fn add_cluster_info(cluster: &mut Map<String, Value>, conn: &ClusterConn, applications: usize) {
    let ok = conn.result.is_ok();
    let state = connection_state(conn.result.clone(), conn.attempted_at);
    let mut info = Map::new();
    info.insert("connectionState".into(), state.clone());
    if let Some(v) = conn.version.as_ref().filter(|_| ok) {
        info.insert("serverVersion".into(), json!(v));
        cluster.insert("serverVersion".into(), json!(v));
    }
    if applications > 0 {
        info.insert("applicationsCount".into(), json!(applications.to_string()));
    }
    if ok && !conn.api_versions.is_empty() {
        info.insert("apiVersions".into(), json!(conn.api_versions));
    }
    cluster.insert("connectionState".into(), state);
    cluster.insert("info".into(), Value::Object(info));
}

/// The sources of an application spec: `sources` when non-empty (Argo CD ignores `source`
/// then), else `source`.
pub fn sources(spec: &Value) -> (Vec<&Value>, bool) {
    match spec.get("sources").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => (list.iter().collect(), true),
        _ => (spec.get("source").into_iter().collect(), false),
    }
}

fn fnv1a(seed: u64, data: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The revision a source syncs to: the chart version for Helm charts, the commit itself
/// when `targetRevision` is a full SHA, else a made-up but stable 40-hex commit id.
pub fn revision_of(source: &Value) -> String {
    let field = |k: &str| source.get(k).and_then(Value::as_str).unwrap_or("");
    let target = field("targetRevision");
    if !field("chart").is_empty() && !target.is_empty() {
        return target.to_string();
    }
    if target.len() == 40 && target.bytes().all(|b| b.is_ascii_hexdigit()) {
        return target.to_ascii_lowercase();
    }
    let input = format!(
        "{}\n{}\n{}\n{}",
        field("repoURL"),
        target,
        field("path"),
        field("chart")
    );
    let hex: String = (0..3u64)
        .map(|i| format!("{:016x}", fnv1a(i, input.as_bytes())))
        .collect();
    hex[..40].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://git.example.invalid/org/repo.git").as_deref(),
            Some("git.example.invalid")
        );
        assert_eq!(
            host_of("git@github.com:org/repo.git").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            host_of("ssh://git@Host.Invalid./x").as_deref(),
            Some("host.invalid")
        );
        assert_eq!(
            host_of("registry.example.com/charts").as_deref(),
            Some("registry.example.com")
        );
        assert!(unresolvable("a.invalid") && !unresolvable("invalid.example.com"));
    }

    #[test]
    fn revisions_are_stable_and_shaped_like_commits() {
        let s = json!({"repoURL": "https://x/y", "targetRevision": "main", "path": "p"});
        let r = revision_of(&s);
        assert_eq!(r.len(), 40);
        assert_eq!(r, revision_of(&s));
        assert_ne!(
            r,
            revision_of(&json!({"repoURL": "https://x/y", "targetRevision": "dev", "path": "p"}))
        );
        assert_eq!(
            revision_of(&json!({"chart": "c", "targetRevision": "1.2.3"})),
            "1.2.3"
        );
    }
}
