//! The emulated Argo CD application controller: sync operations, sync and health status,
//! `reconciledAt`, history, following Argo CD's rules (argocd.md §2.4/§2.5).
//!
//! The state ([`SyncState`]) changes at two kinds of moments, and nothing else moves it:
//! * **a change** ([`on_change`]): a create, an update whose `spec` differs, or a drift
//!   (admin PATCH of the spec). The controller compares the new desired state ([`Target`]:
//!   sources, destination, resolved revisions) with what the last successful sync deployed.
//!   - Already deployed: the comparison is the reconcile; `reconciledAt` = now, `Synced`,
//!     `Healthy` (also after a failed sync of another target: a revert to what runs).
//!   - Not deployed, `syncPolicy.automated` set: an automated sync operation starts now
//!     (unless the last automated sync of this very target failed: Argo CD does not retry
//!     those on its own). `reconciledAt` stays until the operation ends.
//!   - Not deployed, manual sync policy: `OutOfSync`; the comparison is the reconcile,
//!     `reconciledAt` = now. Nothing happens until a sync is requested ([`start`]).
//!   - An automated operation still running for an older target is replaced by one for the
//!     new target (Argo CD would finish the old one first; the emulator restarts).
//! * **the end of an operation** ([`settle`]), `--sync-delay` after it started (a failing
//!   one with `retry.limit` N > 0 after N+1 attempts of one delay each; with N < 0 never):
//!   `reconciledAt` = its end; on success (not dry-run) the target is deployed, health
//!   `Healthy`, a history entry is added (at most `revisionHistoryLimit`, default 10); on
//!   failure health `Degraded`, a `SyncError` condition, the target stays undeployed.
//!
//! Everything is a pure function of the stored state and the clock: a read settles a copy,
//! a write settles the stored state first, so reads and writes agree and a restart changes
//! nothing.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::agent::{revision_of, sources};
use super::store::{AppEntry, Health, SyncOp, SyncState, Target, Ts};

/// Marker in a source path that makes the emulated sync fail.
pub const FAIL_SYNC_MARKER: &str = "fail-sync";

/// Argo CD's default `revisionHistoryLimit`.
pub const DEFAULT_HISTORY_LIMIT: usize = 10;

/// Argo CD's namespace, reported as `status.controllerNamespace`.
const CONTROLLER_NAMESPACE: &str = "argocd";

fn spec_of(e: &AppEntry) -> Value {
    e.app.get("spec").cloned().unwrap_or(Value::Null)
}

/// Whether the spec asks for automated sync (`syncPolicy.automated` present, even `{}`).
pub fn automated(spec: &Value) -> bool {
    spec.get("syncPolicy")
        .and_then(|p| p.get("automated"))
        .is_some_and(Value::is_object)
}

/// The desired state of a spec.
pub fn target_of(spec: &Value) -> Target {
    let (srcs, multi) = sources(spec);
    Target {
        sources: srcs.iter().map(|s| (*s).clone()).collect(),
        multi,
        destination: spec.get("destination").cloned().unwrap_or(Value::Null),
        revisions: srcs.iter().map(|s| revision_of(s)).collect(),
    }
}

/// `revisionHistoryLimit` of a spec (int64 string), default 10.
fn history_limit(spec: &Value) -> usize {
    spec.get("revisionHistoryLimit")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .map_or(DEFAULT_HISTORY_LIMIT, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        })
}

/// The source path that makes a target fail, if any.
fn failing_path(t: &Target) -> Option<String> {
    t.sources.iter().find_map(|s| {
        s.get("path")
            .and_then(Value::as_str)
            .filter(|p| p.contains(FAIL_SYNC_MARKER))
            .map(str::to_string)
    })
}

/// The kinds a sync deploys (group, kind, namespaced): a Deployment and a Service
/// ([`resources`]).
pub const DEPLOYED_KINDS: &[(&str, &str, bool)] =
    &[("apps", "Deployment", true), ("", "Service", true)];

/// Makes the operation started at `now` fail with `why` (e.g. a resource its project does
/// not permit), retried as a failing sync is.
pub fn refuse(st: &mut SyncState, now: Ts, why: String) {
    let Some(op) = st.operation.as_mut() else {
        return;
    };
    if op.settled || op.started_at != now || op.dry_run || op.fails {
        return;
    }
    op.fails = true;
    op.failure = format!("one or more synchronization tasks are not valid: {why}");
    op.finishes_at = (op.retry_limit >= 0).then(|| {
        let attempts = u32::try_from(op.retry_limit.saturating_add(1)).unwrap_or(u32::MAX);
        now.plus(Duration::from_millis(op.attempt_ms).saturating_mul(attempts))
    });
}

/// Records the end of the operation if it has ended by `now`.
pub fn settle(st: &mut SyncState, now: Ts, spec: &Value) {
    let Some(op) = st.operation.as_mut() else {
        return;
    };
    let Some(end) = op.finishes_at else {
        return;
    };
    if op.settled || now < end {
        return;
    }
    op.settled = true;
    st.reconciled_at = Some(end);
    if op.dry_run {
        return;
    }
    if op.fails {
        st.health = Health::Degraded;
        return;
    }
    st.health = Health::Healthy;
    st.deployed = Some(op.target.clone());
    let mut h = Map::new();
    if st.next_history_id != 0 {
        h.insert("id".into(), json!(st.next_history_id.to_string()));
    }
    put_revisions(&mut h, &op.target);
    h.insert("deployStartedAt".into(), op.started_at.v1_time());
    h.insert("deployedAt".into(), end.v1_time());
    h.insert("initiatedBy".into(), initiator(op));
    st.next_history_id += 1;
    st.history.push(Value::Object(h));
    let limit = history_limit(spec);
    if st.history.len() > limit {
        let extra = st.history.len() - limit;
        st.history.drain(..extra);
    }
}

/// `revision`/`source` (single source) or `revisions`/`sources` (multi-source) of a target.
fn put_revisions(m: &mut Map<String, Value>, t: &Target) {
    if t.multi {
        m.insert("revisions".into(), json!(t.revisions));
        m.insert("sources".into(), Value::Array(t.sources.clone()));
    } else {
        if let Some(r) = t.revisions.first() {
            m.insert("revision".into(), json!(r));
        }
        if let Some(s) = t.sources.first() {
            m.insert("source".into(), s.clone());
        }
    }
}

fn initiator(op: &SyncOp) -> Value {
    if op.automated {
        json!({"automated": true})
    } else {
        json!({"username": op.username})
    }
}

/// Whether an operation runs (on a settled state).
pub fn running(st: &SyncState) -> bool {
    st.operation.as_ref().is_some_and(|o| !o.settled)
}

/// What a sync request asks for, besides the target (recorded in `operation.sync`).
#[derive(Debug, Default, Clone)]
pub struct Request {
    /// `initiatedBy.username`; empty for automated sync.
    pub username: String,
    pub automated: bool,
    pub dry_run: bool,
    /// Extra `applicationsSyncOperation` keys: prune, syncStrategy, resources, manifests,
    /// syncOptions.
    pub sync: Map<String, Value>,
    pub info: Vec<Value>,
    /// The retry strategy (the request's, or the spec's for automated sync).
    pub retry: Option<Value>,
}

/// Starts a sync operation of `target` at `now`.
pub fn start(
    st: &mut SyncState,
    app_name: &str,
    target: Target,
    req: Request,
    now: Ts,
    delay: Duration,
) {
    let failing = failing_path(&target);
    let retry_limit = req
        .retry
        .as_ref()
        .and_then(|r| r.get("limit"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let finishes_at = match (&failing, retry_limit) {
        (None, _) => Some(now.plus(delay)),
        (Some(_), n) if n >= 0 => Some(
            now.plus(delay.saturating_mul(u32::try_from(n.saturating_add(1)).unwrap_or(u32::MAX))),
        ),
        (Some(_), _) => None,
    };
    let failure = failing.as_deref().map_or_else(String::new, |path| {
        format!(
            "one or more objects failed to apply, reason: Deployment.apps \"{app_name}\" is invalid: \
             spec.template.spec.containers[0].image: Required value \
             (harness-gitops-emulator: source path \"{path}\" contains \"{FAIL_SYNC_MARKER}\")"
        )
    });
    let mut sync = Map::new();
    put_revisions(&mut sync, &target);
    if req.dry_run {
        sync.insert("dryRun".into(), json!(true));
    }
    for (k, v) in req.sync {
        sync.insert(k, v);
    }
    st.operation = Some(SyncOp {
        started_at: now,
        finishes_at,
        attempt_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        retry_limit,
        fails: failing.is_some(),
        failure,
        dry_run: req.dry_run,
        automated: req.automated,
        username: req.username,
        target,
        sync,
        info: req.info,
        retry: req.retry,
        settled: false,
    });
}

/// The controller's reaction to a create, a spec change or a drift of `e` at `now` (see the
/// module docs).
pub fn on_change(e: &mut AppEntry, now: Ts, delay: Duration) {
    let spec = spec_of(e);
    let name = e.key.id.clone();
    let st = &mut e.sync;
    settle(st, now, &spec);
    let target = target_of(&spec);
    let auto = automated(&spec);
    let auto_request = || Request {
        automated: true,
        retry: spec.get("syncPolicy").and_then(|p| p.get("retry")).cloned(),
        ..Request::default()
    };
    if let Some(op) = st.operation.as_ref().filter(|o| !o.settled) {
        if op.automated && !op.dry_run && op.target != target && auto {
            start(st, &name, target, auto_request(), now, delay);
        }
        return;
    }
    if st.deployed.as_ref() == Some(&target) {
        // Back to what runs (e.g. a failed change reverted): the live resources are those
        // of the deployed target, which were healthy.
        st.reconciled_at = Some(now);
        st.health = Health::Healthy;
        return;
    }
    let failed_before = st
        .operation
        .as_ref()
        .is_some_and(|o| o.automated && o.fails && !o.dry_run && o.target == target);
    if auto && !failed_before {
        start(st, &name, target, auto_request(), now, delay);
    } else {
        st.reconciled_at = Some(now);
    }
}

/// What the controller shows of `e` at `now`: its `status`, and the top-level `operation`
/// while one runs (Argo CD clears it at the end).
pub fn observe(e: &AppEntry, now: Ts) -> (Value, Option<Value>) {
    let spec = spec_of(e);
    let mut st = e.sync.clone();
    settle(&mut st, now, &spec);
    let operation = st
        .operation
        .as_ref()
        .filter(|o| !o.settled)
        .map(operation_of);
    (status(e, &st, &spec, now), operation)
}

/// The `status` of `e` from its settled state `st`.
fn status(e: &AppEntry, st: &SyncState, spec: &Value, now: Ts) -> Value {
    let target = target_of(spec);
    let mut status = Map::new();

    let mut compared = Map::new();
    if target.multi {
        compared.insert("sources".into(), Value::Array(target.sources.clone()));
    } else if let Some(s) = target.sources.first() {
        compared.insert("source".into(), s.clone());
    }
    if !target.destination.is_null() {
        compared.insert("destination".into(), target.destination.clone());
    }
    if let Some(ign) = spec.get("ignoreDifferences") {
        compared.insert("ignoreDifferences".into(), ign.clone());
    }
    let synced = st.deployed.as_ref() == Some(&target);
    let mut sync = Map::new();
    sync.insert(
        "status".into(),
        json!(if synced { "Synced" } else { "OutOfSync" }),
    );
    sync.insert("comparedTo".into(), Value::Object(compared));
    // Argo CD: the revision(s) the comparison was made against, i.e. the target's.
    if target.multi {
        sync.insert("revisions".into(), json!(target.revisions));
    } else if let Some(r) = target.revisions.first() {
        sync.insert("revision".into(), json!(r));
    }
    status.insert("sync".into(), Value::Object(sync));

    let progressing = st
        .operation
        .as_ref()
        .is_some_and(|o| !o.settled && !o.dry_run);
    let health = if progressing {
        json!({"status": "Progressing"})
    } else {
        match st.health {
            Health::Degraded => json!({
                "status": "Degraded",
                "message": format!("Deployment \"{}\" exceeded its progress deadline", e.key.id),
            }),
            h => json!({"status": h.as_str()}),
        }
    };
    let health_text = health["status"].as_str().unwrap_or("Unknown").to_string();
    status.insert("health".into(), health);
    status.insert(
        "resources".into(),
        resources(e, &target, synced, st.deployed.is_some(), &health_text),
    );
    if !st.history.is_empty() {
        status.insert("history".into(), Value::Array(st.history.clone()));
    }
    if let Some(op) = st.operation.as_ref().filter(|o| o.settled && o.fails) {
        let at = op.finishes_at.unwrap_or(op.started_at);
        status.insert(
            "conditions".into(),
            json!([{"type": "SyncError", "message": op.failure, "lastTransitionTime": at.v1_time()}]),
        );
    }
    if let Some(r) = st.reconciled_at {
        status.insert("reconciledAt".into(), r.v1_time());
        status.insert("observedAt".into(), r.v1_time());
    }
    if let Some(op) = &st.operation {
        status.insert("operationState".into(), operation_state(op, now));
    }
    let types: Vec<&str> = target.sources.iter().map(source_type).collect();
    if target.multi {
        status.insert("sourceTypes".into(), json!(types));
    } else if let Some(t) = types.first() {
        status.insert("sourceType".into(), json!(t));
    }
    status.insert("summary".into(), summary(e, st.deployed.as_ref()));
    status.insert("controllerNamespace".into(), json!(CONTROLLER_NAMESPACE));
    Value::Object(status)
}

fn operation_of(op: &SyncOp) -> Value {
    let mut m = Map::new();
    m.insert("sync".into(), Value::Object(op.sync.clone()));
    m.insert("initiatedBy".into(), initiator(op));
    if !op.info.is_empty() {
        m.insert("info".into(), Value::Array(op.info.clone()));
    }
    if let Some(r) = &op.retry {
        m.insert("retry".into(), r.clone());
    }
    Value::Object(m)
}

fn operation_state(op: &SyncOp, now: Ts) -> Value {
    let mut m = Map::new();
    m.insert("operation".into(), operation_of(op));
    let elapsed = (now.0 - op.started_at.0).whole_milliseconds().max(0);
    let attempts_done = u64::try_from(elapsed)
        .unwrap_or(u64::MAX)
        .checked_div(op.attempt_ms)
        .unwrap_or(0);
    let retry_count: i64 = if !op.fails || op.retry_limit == 0 {
        0
    } else if op.settled {
        op.retry_limit
    } else {
        let done = i64::try_from(attempts_done).unwrap_or(i64::MAX);
        if op.retry_limit > 0 {
            done.min(op.retry_limit)
        } else {
            done
        }
    };
    let (phase, message) = if !op.settled {
        if retry_count > 0 {
            (
                "Running",
                format!(
                    "Retrying attempt #{retry_count} at {}: {}",
                    now.rfc3339(),
                    op.failure
                ),
            )
        } else {
            ("Running", "one or more tasks are running".to_string())
        }
    } else if op.fails {
        let msg = if op.retry_limit > 0 {
            format!("{} (retried {} times).", op.failure, op.retry_limit)
        } else {
            op.failure.clone()
        };
        ("Failed", msg)
    } else {
        (
            "Succeeded",
            "successfully synced (all tasks run)".to_string(),
        )
    };
    m.insert("phase".into(), json!(phase));
    m.insert("message".into(), json!(message));
    m.insert("startedAt".into(), op.started_at.v1_time());
    if op.settled {
        if let Some(end) = op.finishes_at {
            m.insert("finishedAt".into(), end.v1_time());
        }
        let mut result = Map::new();
        put_revisions(&mut result, &op.target);
        m.insert("syncResult".into(), Value::Object(result));
    }
    if retry_count > 0 {
        m.insert("retryCount".into(), json!(retry_count.to_string()));
    }
    Value::Object(m)
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

/// Annotation whose value Argo CD shows as an external link of an annotated resource.
const EXTERNAL_LINK: &str = "link.argocd.argoproj.io/external-link";

/// `status.resources`: what the emulated manifests of the target hold, deterministically a
/// `Deployment` (`apps/v1`) and a `Service` (`v1`) named after the application in the
/// destination namespace (`default` when unset). Their sync status is the application's;
/// before the first successful sync they are `Missing`, after it the Deployment has the
/// application's health and the Service is `Healthy`.
fn resources(e: &AppEntry, target: &Target, synced: bool, deployed: bool, health: &str) -> Value {
    if target.sources.is_empty() {
        return json!([]);
    }
    let name = e
        .app
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or(&e.key.id);
    let namespace = target
        .destination
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or("default");
    let sync = if synced { "Synced" } else { "OutOfSync" };
    let (deployment, service) = if deployed {
        (health, "Healthy")
    } else {
        ("Missing", "Missing")
    };
    json!([
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": namespace,
         "name": name, "status": sync, "health": {"status": deployment}},
        {"version": "v1", "kind": "Service", "namespace": namespace, "name": name,
         "status": sync, "health": {"status": service}},
    ])
}

/// `status.summary`: the images of the deployed sources' `kustomize.images` (an override
/// `name=image:tag` counts as `image:tag`) and, as `externalURLs`, the application's
/// `link.argocd.argoproj.io/external-link` annotation (comma-separated URLs; Argo CD shows
/// those of annotated resources); empty before the first sync.
fn summary(e: &AppEntry, deployed: Option<&Target>) -> Value {
    let mut images: Vec<String> = Vec::new();
    for s in deployed.map(|d| d.sources.as_slice()).unwrap_or(&[]) {
        let list = s
            .get("kustomize")
            .and_then(|k| k.get("images"))
            .and_then(Value::as_array);
        for img in list.into_iter().flatten().filter_map(Value::as_str) {
            let image = img.split_once('=').map_or(img, |(_, i)| i).to_string();
            if !images.contains(&image) {
                images.push(image);
            }
        }
    }
    let mut out = Map::new();
    if !images.is_empty() {
        out.insert("images".into(), json!(images));
    }
    let links: Vec<&str> = e
        .app
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(EXTERNAL_LINK))
        .and_then(Value::as_str)
        .filter(|_| deployed.is_some())
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !links.is_empty() {
        out.insert("externalURLs".into(), json!(links));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::{Key, Scope};

    fn entry(spec: Value) -> AppEntry {
        let now = Ts::now();
        AppEntry {
            key: Key {
                scope: Scope {
                    account: "a".into(),
                    org: "o".into(),
                    project: "p".into(),
                },
                agent: "x".into(),
                id: "app".into(),
                ns: String::new(),
            },
            app: [("spec".to_string(), spec)].into_iter().collect(),
            cluster_id: String::new(),
            repo_id: String::new(),
            repo_ids: Vec::new(),
            skip_repo_validation: false,
            created_at: now,
            last_modified_at: now,
            sync: SyncState::default(),
            deletion: None,
        }
    }

    fn spec(path: &str, automated: bool) -> Value {
        let mut s = json!({"project": "default",
            "source": {"repoURL": "https://x/y", "path": path, "targetRevision": "main"},
            "destination": {"server": "https://k", "namespace": "n"}});
        if automated {
            s["syncPolicy"] = json!({"automated": {}});
        }
        s
    }

    const D: Duration = Duration::from_secs(10);

    #[test]
    fn automated_sync_runs_then_succeeds() {
        let mut e = entry(spec("ok", true));
        let t0 = Ts::now();
        on_change(&mut e, t0, D);
        let s = observe(&e, t0).0;
        assert_eq!(s["sync"]["status"], "OutOfSync");
        assert_eq!(s["health"]["status"], "Progressing");
        assert_eq!(s["operationState"]["phase"], "Running");
        assert!(s.get("reconciledAt").is_none());
        let s = observe(&e, t0.plus(D)).0;
        assert_eq!(s["sync"]["status"], "Synced");
        assert_eq!(s["health"]["status"], "Healthy");
        assert_eq!(s["reconciledAt"], t0.plus(D).v1_time());
        assert_eq!(s["history"].as_array().map(Vec::len), Some(1));
        assert!(s["history"][0].get("id").is_none(), "id 0 is a zero value");
    }

    #[test]
    fn manual_app_waits_for_a_sync_request() {
        let mut e = entry(spec("ok", false));
        let t0 = Ts::now();
        on_change(&mut e, t0, D);
        let later = t0.plus(D * 5);
        let s = observe(&e, later).0;
        assert_eq!(s["sync"]["status"], "OutOfSync");
        assert_eq!(s["health"]["status"], "Missing");
        assert_eq!(s["reconciledAt"], t0.v1_time());
        assert!(s.get("operationState").is_none());
        let target = target_of(&spec_of(&e));
        start(
            &mut e.sync,
            "app",
            target,
            Request {
                username: "u".into(),
                ..Request::default()
            },
            later,
            D,
        );
        assert_eq!(observe(&e, later).0["operationState"]["phase"], "Running");
        let done = observe(&e, later.plus(D)).0;
        assert_eq!(done["sync"]["status"], "Synced");
        assert_eq!(
            done["operationState"]["operation"]["initiatedBy"]["username"],
            "u"
        );
    }

    #[test]
    fn failing_sync_with_retries_reports_them() {
        let mut s = spec("apps/fail-sync", true);
        s["syncPolicy"]["retry"] = json!({"limit": "2"});
        let mut e = entry(s);
        let t0 = Ts::now();
        on_change(&mut e, t0, D);
        let mid = observe(&e, t0.plus(D + Duration::from_secs(1))).0;
        assert_eq!(mid["operationState"]["phase"], "Running");
        assert_eq!(mid["operationState"]["retryCount"], "1");
        let end = observe(&e, t0.plus(D * 3)).0;
        assert_eq!(end["operationState"]["phase"], "Failed");
        assert_eq!(end["health"]["status"], "Degraded");
        assert_eq!(end["sync"]["status"], "OutOfSync");
        assert!(end["operationState"]["message"]
            .as_str()
            .unwrap_or("")
            .ends_with("(retried 2 times)."));
        // No automatic retry of the same failed target.
        let mut settled = e.clone();
        on_change(&mut settled, t0.plus(D * 4), D);
        assert_eq!(
            observe(&settled, t0.plus(D * 4)).0["operationState"]["startedAt"],
            t0.v1_time()
        );
    }

    #[test]
    fn reverting_a_failed_change_is_synced_and_healthy_without_a_sync() {
        let mut e = entry(spec("ok", true));
        let t0 = Ts::now();
        on_change(&mut e, t0, D);
        let t1 = t0.plus(D);
        e.app.get_mut("spec").unwrap()["source"]["path"] = json!("apps/fail-sync");
        on_change(&mut e, t1, D);
        let t2 = t1.plus(D);
        assert_eq!(observe(&e, t2).0["health"]["status"], "Degraded");
        e.app.get_mut("spec").unwrap()["source"]["path"] = json!("ok");
        on_change(&mut e, t2, D);
        let s = observe(&e, t2).0;
        assert_eq!(s["sync"]["status"], "Synced");
        assert_eq!(s["health"]["status"], "Healthy");
        assert_eq!(s["reconciledAt"], t2.v1_time());
        assert_eq!(
            s["operationState"]["phase"], "Failed",
            "no new operation started"
        );
    }

    #[test]
    fn resources_are_a_deployment_and_a_service_named_after_the_app() {
        let t0 = Ts::now();
        let mut e = entry(spec("apps/web", true));
        e.app.insert(
            "metadata".into(),
            json!({"name": "web", "annotations": {EXTERNAL_LINK: "https://web.example.com"}}),
        );
        on_change(&mut e, t0, D);
        let s = observe(&e, t0).0;
        assert_eq!(s["resources"][0]["kind"], "Deployment");
        assert_eq!(s["resources"][0]["group"], "apps");
        assert_eq!(s["resources"][0]["name"], "web");
        assert_eq!(s["resources"][0]["status"], "OutOfSync");
        assert_eq!(s["resources"][0]["health"]["status"], "Missing");
        assert_eq!(s["resources"][1]["kind"], "Service");
        assert!(s["summary"].get("externalURLs").is_none());
        let done = observe(&e, t0.plus(D * 2)).0;
        assert_eq!(done["resources"][0]["status"], "Synced");
        assert_eq!(done["resources"][0]["health"]["status"], "Healthy");
        assert_eq!(done["resources"][1]["health"]["status"], "Healthy");
        assert_eq!(
            done["summary"]["externalURLs"],
            json!(["https://web.example.com"])
        );
    }

    #[test]
    fn history_is_capped() {
        let mut s = spec("ok", true);
        s["revisionHistoryLimit"] = json!("2");
        let mut e = entry(s);
        let mut t = Ts::now();
        for rev in ["a", "b", "c", "d"] {
            e.app.get_mut("spec").unwrap()["source"]["targetRevision"] = json!(rev);
            on_change(&mut e, t, D);
            t = t.plus(D);
            let spec = spec_of(&e);
            settle(&mut e.sync, t, &spec);
        }
        let h = observe(&e, t).0["history"].clone();
        assert_eq!(h.as_array().map(Vec::len), Some(2));
        assert_eq!(h[1]["id"], "3");
    }
}
