//! What the GitOps agent (Argo CD) would report: repository and cluster connection state,
//! cluster info, and application sync/health status.
//!
//! Conventions (documented in the module docs and `--help`):
//! * A repository URL or cluster server whose host is `invalid` or ends in `.invalid`
//!   (RFC 2606 reserves that TLD, so it can never resolve) gets connection status
//!   `Failed` with a DNS error message; any other host is `Successful`.
//! * An application is `OutOfSync`/`Progressing` (operation `Running`) until the sync delay
//!   has passed since its last create/update/drift, then `Synced`/`Healthy` (operation
//!   `Succeeded`). If the path of its source, or of any of its sources, contains
//!   `fail-sync`, it ends `OutOfSync`/`Degraded` with operation phase `Failed` instead.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::store::{AppEntry, Ts};

/// Kubernetes version every reachable emulated cluster reports.
pub const SERVER_VERSION: &str = "1.30";

/// Marker in a source path that makes the emulated sync fail.
pub const FAIL_SYNC_MARKER: &str = "fail-sync";

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

/// Adds the agent-reported fields to a cluster object: `info` {connectionState,
/// serverVersion, applicationsCount} and the deprecated top-level `connectionState` and
/// `serverVersion` that Argo CD still fills.
pub fn add_cluster_info(cluster: &mut Map<String, Value>, at: Ts, applications: usize) {
    let server = cluster
        .get("server")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let reachable = cluster_reachable(&server);
    let ok = reachable.is_ok();
    let state = connection_state(reachable, at);
    let mut info = Map::new();
    info.insert("connectionState".into(), state.clone());
    if ok {
        info.insert("serverVersion".into(), json!(SERVER_VERSION));
        cluster.insert("serverVersion".into(), json!(SERVER_VERSION));
    }
    if applications > 0 {
        info.insert("applicationsCount".into(), json!(applications.to_string()));
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

fn source_type(source: &Value) -> &'static str {
    let has = |k: &str| source.get(k).is_some();
    if has("chart") || has("helm") {
        "Helm"
    } else if has("kustomize") {
        "Kustomize"
    } else if has("plugin") {
        "Plugin"
    } else {
        "Directory"
    }
}

fn plus(ts: Ts, d: Duration) -> Ts {
    Ts(ts.0 + time::Duration::try_from(d).unwrap_or(time::Duration::MAX))
}

/// The `status` of an application at `now`, given the sync delay. Pure function of the
/// stored entry, so it is the same after a restart.
pub fn app_status(entry: &AppEntry, now: Ts, delay: Duration) -> Value {
    let spec = entry.app.get("spec").cloned().unwrap_or(Value::Null);
    let (srcs, multi) = sources(&spec);
    let revisions: Vec<String> = srcs.iter().map(|s| revision_of(s)).collect();
    let failing = srcs.iter().any(|s| {
        s.get("path")
            .and_then(Value::as_str)
            .is_some_and(|p| p.contains(FAIL_SYNC_MARKER))
    });
    let started = entry.sync_started_at;
    let finished = plus(started, delay);
    let done = now >= finished;

    let mut compared = Map::new();
    let mut sync_op = Map::new();
    if multi {
        let list: Vec<Value> = srcs.iter().map(|s| (*s).clone()).collect();
        compared.insert("sources".into(), Value::Array(list.clone()));
        sync_op.insert("sources".into(), Value::Array(list));
        sync_op.insert("revisions".into(), json!(revisions));
    } else if let Some(s) = srcs.first() {
        compared.insert("source".into(), (*s).clone());
        sync_op.insert("source".into(), (*s).clone());
        sync_op.insert("revision".into(), json!(revisions.first()));
    }
    if let Some(d) = spec.get("destination") {
        compared.insert("destination".into(), d.clone());
    }
    let mut sync = Map::new();
    let (sync_status, health, phase, message) = match (done, failing) {
        (false, _) => ("OutOfSync", json!({"status": "Progressing"}), "Running", "one or more tasks are running".to_string()),
        (true, false) => ("Synced", json!({"status": "Healthy"}), "Succeeded", "successfully synced (all tasks run)".to_string()),
        (true, true) => (
            "OutOfSync",
            json!({"status": "Degraded", "message": "Deployment has failed progressing (emulated)"}),
            "Failed",
            format!(
                "one or more objects failed to apply, reason: emulated sync failure (a source path contains \"{FAIL_SYNC_MARKER}\")"
            ),
        ),
    };
    sync.insert("status".into(), json!(sync_status));
    sync.insert("comparedTo".into(), Value::Object(compared));
    if done {
        if multi {
            sync.insert("revisions".into(), json!(revisions));
        } else if let Some(r) = revisions.first() {
            sync.insert("revision".into(), json!(r));
        }
    }

    let mut op_state = Map::new();
    op_state.insert(
        "operation".into(),
        json!({"sync": Value::Object(sync_op.clone()), "initiatedBy": {"automated": true}}),
    );
    op_state.insert("phase".into(), json!(phase));
    op_state.insert("message".into(), json!(message));
    op_state.insert("startedAt".into(), started.v1_time());
    if done {
        op_state.insert("finishedAt".into(), finished.v1_time());
        let mut result = Map::new();
        for k in ["revision", "revisions", "source", "sources"] {
            if let Some(v) = sync_op.get(k) {
                result.insert(k.into(), v.clone());
            }
        }
        op_state.insert("syncResult".into(), Value::Object(result));
    }

    let mut status = Map::new();
    status.insert("sync".into(), Value::Object(sync));
    status.insert("health".into(), health);
    let reconciled = if done {
        Some(finished)
    } else {
        entry.previous_reconciled_at
    };
    if let Some(r) = reconciled {
        status.insert("reconciledAt".into(), r.v1_time());
        status.insert("observedAt".into(), r.v1_time());
    }
    status.insert("operationState".into(), Value::Object(op_state));
    let types: Vec<&str> = srcs.iter().map(|s| source_type(s)).collect();
    if multi {
        status.insert("sourceTypes".into(), json!(types));
    } else if let Some(t) = types.first() {
        status.insert("sourceType".into(), json!(t));
    }
    status.insert("controllerNamespace".into(), json!("argocd"));
    Value::Object(status)
}

/// When the current sync of `entry` finishes (or finished), given the delay.
pub fn sync_finished_at(entry: &AppEntry, delay: Duration) -> Ts {
    plus(entry.sync_started_at, delay)
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
