//! Stored entities, the state they live in, and crash-safe persistence to `--data FILE`.
//!
//! Every change runs on a copy of the state; the copy is written to the data file
//! (temporary file in the same directory, fsync, rename, fsync of the directory) and only
//! then replaces the live state, so an acknowledged change is on disk and a failed write
//! changes nothing.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::error::{ApiError, ApiResult};
use super::scope::Key;

/// A UTC instant, stored and rendered as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub OffsetDateTime);

impl Ts {
    /// The current time.
    pub fn now() -> Ts {
        Ts(OffsetDateTime::now_utc())
    }
    /// RFC 3339 text (`createdAt`, `lastModifiedAt`).
    pub fn rfc3339(&self) -> String {
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.0.unix_timestamp().to_string())
    }
    /// This instant plus `d` (saturating).
    pub fn plus(self, d: std::time::Duration) -> Ts {
        Ts(self.0 + time::Duration::try_from(d).unwrap_or(time::Duration::MAX))
    }
    /// A Kubernetes `v1Time` (whole seconds, int64 as a string).
    pub fn v1_time(&self) -> Value {
        serde_json::json!({ "seconds": self.0.unix_timestamp().to_string() })
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ts, D::Error> {
        let s = String::deserialize(d)?;
        OffsetDateTime::parse(&s, &Rfc3339)
            .map(Ts)
            .map_err(serde::de::Error::custom)
    }
}

/// A repository: the Argo CD object (secrets in clear) plus the Harness-side fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoEntry {
    pub key: Key,
    /// Normalised `repositoriesRepository` without `connectionState` (computed on read).
    pub repo: Map<String, Value>,
    /// Create/update request fields other than `repo` (`genType`, `ecrGen`, `gcrGen`,
    /// `refreshInterval`, `credsOnly`): stored, never returned by the document's responses.
    #[serde(default)]
    pub generator: Map<String, Value>,
    #[serde(default)]
    pub repo_creds_id: String,
    pub created_at: Ts,
    pub last_modified_at: Ts,
}

/// A cluster: the Argo CD object (secrets in clear) plus Harness tags.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEntry {
    pub key: Key,
    /// Normalised `clustersCluster` without `info`/`connectionState`/`serverVersion`.
    pub cluster: Map<String, Value>,
    #[serde(default)]
    pub tags: Map<String, Value>,
    /// `secretExpressions` of the create/update request (credential field → Harness secret
    /// reference); not in the document's responses, so only the admin dump shows them.
    #[serde(default)]
    pub secret_expressions: Map<String, Value>,
    pub created_at: Ts,
    pub last_modified_at: Ts,
}

/// An application: the Argo CD object without `status` (computed on read) plus the Harness
/// links, the emulated controller's sync state and a pending deletion.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppEntry {
    pub key: Key,
    /// Normalised `applicationsApplication` with `metadata` and `spec` only.
    pub app: Map<String, Value>,
    #[serde(default)]
    pub cluster_id: String,
    #[serde(default)]
    pub repo_id: String,
    #[serde(default)]
    pub repo_ids: Vec<String>,
    #[serde(default)]
    pub skip_repo_validation: bool,
    pub created_at: Ts,
    pub last_modified_at: Ts,
    /// What the emulated Argo CD controller knows about the application.
    #[serde(default)]
    pub sync: SyncState,
    /// Set by a cascading delete of an application with a resources finalizer.
    #[serde(default)]
    pub deletion: Option<Deletion>,
}

/// A cascading deletion in progress: the application is returned with
/// `metadata.deletionTimestamp` until `gone_at`, then it no longer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deletion {
    pub requested_at: Ts,
    pub gone_at: Ts,
}

/// Health of an application's deployed resources, as the last finished operation left them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Health {
    /// Nothing deployed yet.
    #[default]
    Missing,
    Healthy,
    Degraded,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Missing => "Missing",
            Health::Healthy => "Healthy",
            Health::Degraded => "Degraded",
        }
    }
}

/// The desired state a sync deploys: sources, destination and the resolved revision of each
/// source. Two targets are equal when a sync of one leaves the other `Synced`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// `spec.sources` when non-empty (then `multi`), else `[spec.source]`.
    pub sources: Vec<Value>,
    pub multi: bool,
    #[serde(default)]
    pub destination: Value,
    /// One resolved revision per source.
    pub revisions: Vec<String>,
}

/// One sync operation, requested through the sync endpoint or started by automated sync.
/// Its outcome and end are decided when it starts; the status shows it `Running` until then.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOp {
    pub started_at: Ts,
    /// When it ends; `None` when a failing sync retries forever (`retry.limit` < 0).
    pub finishes_at: Option<Ts>,
    /// Length of one attempt in milliseconds (the sync delay), for `retryCount`.
    pub attempt_ms: u64,
    /// Retries of a failing sync (`retry.limit`; negative: unlimited).
    pub retry_limit: i64,
    /// Whether it fails (a source path contains `fail-sync`).
    pub fails: bool,
    /// The failure message when it fails.
    #[serde(default)]
    pub failure: String,
    pub dry_run: bool,
    /// `initiatedBy.automated` (automated sync) or a user name (requested sync).
    pub automated: bool,
    #[serde(default)]
    pub username: String,
    /// What it deploys.
    pub target: Target,
    /// The `applicationsSyncOperation` shown in `operation.sync`.
    pub sync: Map<String, Value>,
    /// `operation.info` and `operation.retry`.
    #[serde(default)]
    pub info: Vec<Value>,
    #[serde(default)]
    pub retry: Option<Value>,
    /// Whether its end has been recorded in the [`SyncState`].
    #[serde(default)]
    pub settled: bool,
}

/// A GitOps agent (`v1Agent`): what was sent, its token and its last heartbeat. The key's
/// `agent` is empty; `id` is the agent identifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentEntry {
    pub key: Key,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `v1AgentType`.
    pub agent_type: String,
    /// Normalised `v1AgentMetadata` (replaced whole by an update).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub tags: Map<String, Value>,
    /// `v1AgentOperator` as sent (`UNKNOWN` omitted).
    #[serde(default)]
    pub operator: String,
    /// The current token (`credentials.privateKey`); a heartbeat must present it.
    pub private_key: String,
    #[serde(default)]
    pub public_key: String,
    pub created_at: Ts,
    pub last_modified_at: Ts,
    /// The last accepted heartbeat.
    #[serde(default)]
    pub heartbeat: Option<Heartbeat>,
}

/// An accepted heartbeat: when, and the component health it reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    pub at: Ts,
    #[serde(default)]
    pub version: String,
    /// Normalised `v1AgentComponentHealth` per component name.
    #[serde(default)]
    pub components: Map<String, Value>,
}

/// The emulated controller's view of an application.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    /// When a reconcile last completed (`status.reconciledAt`).
    #[serde(default)]
    pub reconciled_at: Option<Ts>,
    /// What the last successful (not dry-run) sync deployed.
    #[serde(default)]
    pub deployed: Option<Target>,
    #[serde(default)]
    pub health: Health,
    /// The current or last operation.
    #[serde(default)]
    pub operation: Option<SyncOp>,
    /// `status.history` entries, oldest first.
    #[serde(default)]
    pub history: Vec<Value>,
    #[serde(default)]
    pub next_history_id: i64,
}

/// Everything the emulator knows.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Kubernetes-style resourceVersion counter shared by all applications.
    pub resource_version: u64,
    pub repositories: BTreeMap<Key, RepoEntry>,
    /// Repository credential templates.
    pub repo_creds: BTreeMap<Key, crate::repo_creds::RepoCredsEntry>,
    pub clusters: BTreeMap<Key, ClusterEntry>,
    /// Behind `Arc`s so that the copy every write works on shares the untouched applications
    /// (a write clones only what it changes, via `Arc::make_mut`): cheap with thousands.
    pub applications: BTreeMap<Key, Arc<AppEntry>>,
    /// GitOps agents, keyed by scope and identifier (empty `agent`).
    pub agents: BTreeMap<Key, AgentEntry>,
    /// Repository certificates (SSH known hosts, HTTPS), keyed by type, server and sub-type.
    pub certificates: BTreeMap<Key, crate::certificates::CertEntry>,
    /// GnuPG public keys, keyed by key ID.
    pub gpg_keys: BTreeMap<Key, crate::gpgkeys::GpgEntry>,
    /// The latest agent version set through `POST /_emulator/agent-version`; `None`: the
    /// `--agent-version` one.
    pub agent_version: Option<crate::AgentVersion>,
    /// Argo CD projects, keyed by scope, agent and name.
    pub projects: BTreeMap<Key, crate::projects::ProjectEntry>,
    /// Project mappings (v2), keyed by Harness project scope, agent and Argo project name.
    pub mappings: BTreeMap<Key, crate::mappings::MappingEntry>,
    /// ApplicationSets, keyed by project scope, agent, name and Kubernetes namespace.
    pub appsets: BTreeMap<Key, crate::appsets::AppSetEntry>,
}

const FORMAT: &str = "harness-gitops-emulator/2";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Snapshot {
    format: String,
    resource_version: u64,
    repositories: Vec<RepoEntry>,
    /// Absent in files written before templates were emulated.
    #[serde(default)]
    repo_creds: Vec<crate::repo_creds::RepoCredsEntry>,
    clusters: Vec<ClusterEntry>,
    applications: Vec<AppEntry>,
    /// Absent in files written before agents were emulated.
    #[serde(default)]
    agents: Vec<AgentEntry>,
    /// Absent unless set through the admin API.
    #[serde(default)]
    agent_version: Option<String>,
    #[serde(default)]
    certificates: Vec<crate::certificates::CertEntry>,
    #[serde(default)]
    gpg_keys: Vec<crate::gpgkeys::GpgEntry>,
    /// Absent in files written before projects were emulated.
    #[serde(default)]
    projects: Vec<crate::projects::ProjectEntry>,
    #[serde(default)]
    mappings: Vec<crate::mappings::MappingEntry>,
    /// Absent in files written before ApplicationSets were emulated.
    #[serde(default)]
    appsets: Vec<crate::appsets::AppSetEntry>,
}

/// [`Snapshot`] borrowed from the state, for writing without copying.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotRef<'a> {
    format: &'a str,
    resource_version: u64,
    repositories: Vec<&'a RepoEntry>,
    repo_creds: Vec<&'a crate::repo_creds::RepoCredsEntry>,
    clusters: Vec<&'a ClusterEntry>,
    applications: Vec<&'a AppEntry>,
    agents: Vec<&'a AgentEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    certificates: Vec<&'a crate::certificates::CertEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    gpg_keys: Vec<&'a crate::gpgkeys::GpgEntry>,
    projects: Vec<&'a crate::projects::ProjectEntry>,
    mappings: Vec<&'a crate::mappings::MappingEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    appsets: Vec<&'a crate::appsets::AppSetEntry>,
}

impl State {
    /// Serialises the state for the data file.
    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let snap = SnapshotRef {
            format: FORMAT,
            resource_version: self.resource_version,
            repositories: self.repositories.values().collect(),
            repo_creds: self.repo_creds.values().collect(),
            clusters: self.clusters.values().collect(),
            applications: self.applications.values().map(|a| &**a).collect(),
            agents: self.agents.values().collect(),
            agent_version: self.agent_version.map(|v| v.to_string()),
            certificates: self.certificates.values().collect(),
            gpg_keys: self.gpg_keys.values().collect(),
            projects: self.projects.values().collect(),
            mappings: self.mappings.values().collect(),
            appsets: self.appsets.values().collect(),
        };
        serde_json::to_vec(&snap)
    }

    fn from_json(bytes: &[u8]) -> Result<State, String> {
        let snap: Snapshot = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if snap.format != FORMAT {
            return Err(format!(
                "unsupported format \"{}\" (expected \"{FORMAT}\")",
                snap.format
            ));
        }
        let agent_version = match &snap.agent_version {
            None => None,
            Some(v) => Some(v.parse().map_err(|e| format!("agentVersion: {e}"))?),
        };
        Ok(State {
            agent_version,
            certificates: snap
                .certificates
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            gpg_keys: snap
                .gpg_keys
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            resource_version: snap.resource_version,
            repositories: snap
                .repositories
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            repo_creds: snap
                .repo_creds
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            clusters: snap
                .clusters
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            applications: snap
                .applications
                .into_iter()
                .map(|e| (e.key.clone(), Arc::new(e)))
                .collect(),
            agents: snap
                .agents
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            projects: snap
                .projects
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            mappings: snap
                .mappings
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
            appsets: snap
                .appsets
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect(),
        })
    }

    /// Forgets the applications whose cascading deletion has completed by `now`.
    pub fn purge_deleted(&mut self, now: Ts) {
        if self
            .applications
            .values()
            .any(|a| a.deletion.is_some_and(|d| d.gone_at <= now))
        {
            self.applications
                .retain(|_, a| a.deletion.is_none_or(|d| d.gone_at > now));
        }
    }

    /// Next resourceVersion (monotonic, as a string).
    pub fn bump_resource_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }
}

/// Errors loading the data file at start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read data file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot create data file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("data file {path} is not a valid emulator state ({reason}); move it away or pass another --data")]
    Corrupt { path: PathBuf, reason: String },
}

/// The live state behind a lock, with optional persistence.
pub struct Store {
    state: Mutex<State>,
    data: Option<PathBuf>,
}

impl Store {
    /// Opens the store: with `data`, loads the file if it exists, else creates it with an
    /// empty state.
    ///
    /// # Errors
    /// [`LoadError`] when the file cannot be read, parsed or created.
    pub fn open(data: Option<PathBuf>) -> Result<Store, LoadError> {
        let state = match &data {
            Some(path) => match fs::read(path) {
                Ok(bytes) => State::from_json(&bytes).map_err(|reason| LoadError::Corrupt {
                    path: path.clone(),
                    reason,
                })?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // Create it now, so an unwritable location fails the start, not a request.
                    let empty = State::default();
                    let bytes = empty.to_json().map_err(|e| LoadError::Write {
                        path: path.clone(),
                        source: io::Error::other(e),
                    })?;
                    write_atomically(path, &bytes).map_err(|source| LoadError::Write {
                        path: path.clone(),
                        source,
                    })?;
                    empty
                }
                Err(source) => {
                    return Err(LoadError::Read {
                        path: path.clone(),
                        source,
                    })
                }
            },
            None => State::default(),
        };
        Ok(Store {
            state: Mutex::new(state),
            data,
        })
    }

    /// Runs `f` on the current state (read-only). Applications whose deletion has completed
    /// are forgotten first (in memory; the next write persists that).
    pub async fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        let mut guard = self.state.lock().await;
        guard.purge_deleted(Ts::now());
        f(&guard)
    }

    /// Runs `f` on a copy of the state; if it succeeds, persists the copy (with `--data`)
    /// and makes it current. Writes are serialised.
    ///
    /// # Errors
    /// The error of `f` (nothing changes), or 500 (code 13) if the data file cannot be
    /// written (nothing changes in memory either).
    pub async fn write<T>(&self, f: impl FnOnce(&mut State) -> ApiResult<T>) -> ApiResult<T> {
        let mut guard = self.state.lock().await;
        guard.purge_deleted(Ts::now());
        let mut next = guard.clone();
        let out = f(&mut next)?;
        if let Some(path) = &self.data {
            let bytes = next.to_json().map_err(|e| {
                ApiError::internal(format!("cannot serialise the emulator state: {e}"))
            })?;
            let path = path.clone();
            tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
                .await
                .map_err(|e| ApiError::internal(format!("persistence task failed: {e}")))?
                .map_err(|e| ApiError::internal(format!("cannot write the data file: {e}")))?;
        }
        *guard = next;
        Ok(out)
    }
}

/// Writes `bytes` to `path` so that a crash leaves either the old or the new file: a
/// temporary file in the same directory (mode 0600: it holds secrets), fsync, rename over
/// `path`, fsync of the directory.
///
/// # Errors
/// Any I/O error, with the file it concerns.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let with_path =
        |p: &Path, e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", p.display()));
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut file = opts.open(&tmp).map_err(|e| with_path(&tmp, e))?;
    file.write_all(bytes).map_err(|e| with_path(&tmp, e))?;
    file.sync_all().map_err(|e| with_path(&tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| with_path(path, e))?;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| with_path(&dir, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    fn key(id: &str) -> Key {
        Key {
            scope: Scope {
                account: "a".into(),
                org: String::new(),
                project: String::new(),
            },
            agent: "account.x".into(),
            id: id.into(),
            ns: String::new(),
        }
    }

    #[tokio::test]
    async fn state_survives_a_reopen_and_failed_writes_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let store = Store::open(Some(path.clone())).unwrap();
        store
            .write(|s| {
                let now = Ts::now();
                s.repositories.insert(
                    key("r1"),
                    RepoEntry {
                        key: key("r1"),
                        repo: Map::new(),
                        generator: Map::new(),
                        repo_creds_id: String::new(),
                        created_at: now,
                        last_modified_at: now,
                    },
                );
                Ok(())
            })
            .await
            .unwrap();
        let err = store.write(|s| -> ApiResult<()> {
            s.repositories.clear();
            Err(ApiError::invalid("no"))
        });
        assert!(err.await.is_err());
        assert_eq!(store.read(|s| s.repositories.len()).await, 1);
        let again = Store::open(Some(path.clone())).unwrap();
        assert!(
            again
                .read(|s| s.repositories.contains_key(&key("r1")))
                .await
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file may stay behind");
    }

    #[test]
    fn corrupt_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"{not json").unwrap();
        let Err(e) = Store::open(Some(path)) else {
            panic!("corrupt file accepted")
        };
        assert!(e.to_string().contains("not a valid emulator state"), "{e}");
    }
}
