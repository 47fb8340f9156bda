//! Installing a Harness GitOps agent's manifest (the multi-document YAML Harness generates)
//! into a cluster, and taking it out again.
//!
//! * [`Manifest::parse`] reads the documents (empty ones and comments skipped, `List`s
//!   expanded); every object needs `apiVersion`, `kind` and `metadata.name`, and errors name
//!   the document. Its `Debug` shows object references only, never a document: the agent
//!   token sits in the Secret `gitops-agent`.
//! * [`Installer::ensure_namespace`] creates the install namespace when it is missing (Harness
//!   does not), labelled [`MANAGED_BY_LABEL`]`=`[`MANAGED_BY`].
//! * [`Installer::apply`] server-side applies every object with the field manager
//!   [`FIELD_MANAGER`] and never forces: a field another manager owns is an
//!   [`InstallError::Conflict`] naming the object, the fields and the managers. Definitions
//!   (CRDs) are applied first and waited for (`Established`) before anything else; then the
//!   rest in [`phase`] order, each phase in document order.
//! * [`Installer::present`] says which applied objects still exist (drift);
//!   [`Installer::remove`] deletes them in the reverse order and waits until each is gone.
//!
//! Kinds are resolved through discovery (`pinned_kind`, cached per [`Installer`]). Every
//! request is bounded by the connection's `request_timeout`, the installer's deadline and its
//! cancellation token.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, Scope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::bootstrap::{MANAGED_BY, MANAGED_BY_LABEL};
use super::connect::Connection;
use super::error::{classify, K8sError, Op};

/// The server-side apply field manager of everything this module applies (the provider's
/// name, as in [`MANAGED_BY`]).
pub const FIELD_MANAGER: &str = MANAGED_BY;

/// Longest wait for a CustomResourceDefinition to be `Established` and served.
pub const ESTABLISH_WAIT: Duration = Duration::from_secs(60);

const CRD_KIND: &str = "CustomResourceDefinition";
const CRD_GROUP: &str = "apiextensions.k8s.io";

// ---------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------

/// One object of a manifest, as applied: what Terraform keeps (a computed set of
/// [`Installed::to_string`] forms) to check drift and to remove the installation.
///
/// The string form is `<apiVersion>/<kind>/<namespace>/<name>`, the namespace empty for
/// cluster-scoped objects: `apps/v1/Deployment/harness/gitops-agent`,
/// `v1/Namespace//harness`. [`FromStr`] reads it back.
///
/// Ordered as applied: by the [`phase`] of its kind (apply applies phase by phase), then
/// apiVersion, kind, namespace and name (within a phase, apply follows the manifest, which
/// a set of these cannot know). [`removal_order`] is the reverse.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Installed {
    pub api_version: String,
    pub kind: String,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
}

/// The order objects are applied in (removed in the reverse): definitions, namespaces,
/// service accounts/secrets/config maps, roles, bindings, services, then everything else
/// (workloads and custom resources).
pub fn phase(api_version: &str, kind: &str) -> u8 {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match (group, kind) {
        (CRD_GROUP, CRD_KIND) => 0,
        ("", "Namespace") => 1,
        ("", "ServiceAccount" | "Secret" | "ConfigMap")
        | ("scheduling.k8s.io", "PriorityClass")
        | ("policy", "PodDisruptionBudget")
        | ("", "LimitRange" | "ResourceQuota") => 2,
        ("rbac.authorization.k8s.io", "ClusterRole" | "Role") => 3,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding" | "RoleBinding") => 4,
        ("", "Service") => 5,
        _ => 6,
    }
}

impl Installed {
    /// The entry of a namespace (for one [`Installer::ensure_namespace`] created).
    pub fn namespace(name: &str) -> Installed {
        Installed {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            namespace: None,
            name: name.into(),
        }
    }

    fn phase(&self) -> u8 {
        phase(&self.api_version, &self.kind)
    }

    fn gvk(&self) -> GroupVersionKind {
        gvk(&self.api_version, &self.kind)
    }

    /// `Deployment "gitops-agent" in namespace "harness"`, for messages.
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {:?} in namespace {ns:?}", self.kind, self.name),
            None => format!("{} {:?}", self.kind, self.name),
        }
    }
}

impl Ord for Installed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (
            self.phase(),
            &self.api_version,
            &self.kind,
            &self.namespace,
            &self.name,
        )
            .cmp(&(
                other.phase(),
                &other.api_version,
                &other.kind,
                &other.namespace,
                &other.name,
            ))
    }
}

impl PartialOrd for Installed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Installed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.api_version,
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }
}

impl FromStr for Installed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("{s:?} is not <apiVersion>/<kind>/<namespace>/<name> (namespace empty for cluster-scoped objects)")
        };
        let mut parts = s.rsplitn(4, '/');
        let name = parts.next().ok_or_else(bad)?;
        let namespace = parts.next().ok_or_else(bad)?;
        let kind = parts.next().ok_or_else(bad)?;
        let api_version = parts.next().ok_or_else(bad)?;
        let version_ok = match api_version.split_once('/') {
            None => !api_version.is_empty(),
            Some((g, v)) => !g.is_empty() && !v.is_empty() && !v.contains('/'),
        };
        if name.is_empty() || kind.is_empty() || !version_ok {
            return Err(bad());
        }
        Ok(Installed {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
            name: name.into(),
        })
    }
}

fn gvk(api_version: &str, kind: &str) -> GroupVersionKind {
    match api_version.split_once('/') {
        Some((g, v)) => GroupVersionKind::gvk(g, v, kind),
        None => GroupVersionKind::gvk("", api_version, kind),
    }
}

// ---------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------

/// Why a manifest cannot be read. Never carries a value from the manifest but names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// 1-based, counting every `---`-separated document (empty ones too).
    pub document: usize,
    /// 1-based index in a `List` document's `items`.
    pub item: Option<usize>,
    pub problem: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "manifest document {}", self.document)?;
        if let Some(i) = self.item {
            write!(f, ", item {i}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for ManifestError {}

struct Doc {
    document: usize,
    api_version: String,
    kind: String,
    /// As written; the install namespace fills it for namespaced kinds.
    namespace: Option<String>,
    name: String,
    body: Value,
}

/// The parsed documents of a manifest, in order. `Debug` lists object references only.
pub struct Manifest {
    docs: Vec<Doc>,
}

/// An object as written in the manifest (its namespace as written, if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manifest")
            .field(
                "objects",
                &self
                    .docs
                    .iter()
                    .map(|d| format!("{}/{} {:?}", d.api_version, d.kind, d.name))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Manifest {
    /// Reads a multi-document YAML manifest.
    pub fn parse(yaml: &str) -> Result<Manifest, ManifestError> {
        let mut docs = Vec::new();
        for (i, de) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
            let document = i + 1;
            let v = Value::deserialize(de).map_err(|e| ManifestError {
                document,
                item: None,
                problem: format!("not valid YAML: {}", yaml_problem(&e)),
            })?;
            if v.is_null() {
                continue;
            }
            let is_list = v
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && v.get("items").is_some_and(Value::is_array);
            if is_list {
                let Value::Object(mut m) = v else {
                    unreachable!("a List has a kind")
                };
                let Some(Value::Array(items)) = m.remove("items") else {
                    unreachable!("checked above")
                };
                for (j, item) in items.into_iter().enumerate() {
                    docs.push(doc(document, Some(j + 1), item)?);
                }
            } else {
                docs.push(doc(document, None, v)?);
            }
        }
        Ok(Manifest { docs })
    }

    /// Every object, in document order.
    pub fn objects(&self) -> Vec<ObjectRef> {
        self.docs
            .iter()
            .map(|d| ObjectRef {
                api_version: d.api_version.clone(),
                kind: d.kind.clone(),
                namespace: d.namespace.clone(),
                name: d.name.clone(),
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

/// A YAML error's location and kind, without the document's text.
fn yaml_problem(e: &serde_yaml_ng::Error) -> String {
    match e.location() {
        Some(l) => format!("syntax error at line {} column {}", l.line(), l.column()),
        None => "syntax error".into(),
    }
}

fn doc(document: usize, item: Option<usize>, v: Value) -> Result<Doc, ManifestError> {
    let err = |problem: String| ManifestError {
        document,
        item,
        problem,
    };
    if !v.is_object() {
        return Err(err(
            "not an object (a mapping with apiVersion, kind and metadata)".into(),
        ));
    }
    let text = |field: &str, at: Option<&Value>| -> Result<String, ManifestError> {
        match at {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                Err(err(format!("{field} is missing")))
            }
            Some(_) => Err(err(format!("{field} is not a string"))),
        }
    };
    let api_version = text("apiVersion", v.get("apiVersion"))?;
    let kind = text("kind", v.get("kind"))?;
    let meta = v.get("metadata");
    if meta.is_some_and(|m| !m.is_object() && !m.is_null()) {
        return Err(err(format!(
            "{api_version}/{kind}: metadata is not an object"
        )));
    }
    let name = text(
        &format!("{api_version}/{kind}: metadata.name"),
        meta.and_then(|m| m.get("name")),
    )?;
    let namespace = match meta.and_then(|m| m.get("namespace")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(err(format!(
                "{api_version}/{kind} {name:?}: metadata.namespace is not a string"
            )))
        }
    };
    Ok(Doc {
        document,
        api_version,
        kind,
        namespace,
        name,
        body: v,
    })
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// A field another manager owns, from a 409 apply conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldConflict {
    /// As the API server names it: `.spec.replicas`, `.data.key`.
    pub field: String,
    /// The other field manager (e.g. `kubectl-client-side-apply`), and the API version it
    /// used when the server says (`"kubectl" using apps/v1` → `kubectl`).
    pub manager: String,
}

/// Why an [`Installer::apply`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstallError {
    /// The cluster serves no such apiVersion/kind (and no definition in the manifest makes it).
    UnknownKind {
        document: usize,
        api_version: String,
        kind: String,
        detail: String,
    },
    /// Fields of the object are owned by other field managers; nothing was forced.
    Conflict {
        object: Installed,
        conflicts: Vec<FieldConflict>,
        /// The API server's message, when it named no field.
        message: String,
    },
    /// A CustomResourceDefinition of the manifest was not `Established` (or not served) in time.
    NotEstablished { name: String, detail: String },
    /// Any other Kubernetes failure (request named in it), an interruption included.
    K8s(K8sError),
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::UnknownKind {
                document,
                api_version,
                kind,
                detail,
            } => write!(
                f,
                "manifest document {document}: the cluster does not serve apiVersion {api_version:?} kind {kind:?} \
                 ({detail}); install its CustomResourceDefinition first or check the apiVersion"
            ),
            InstallError::Conflict {
                object,
                conflicts,
                message,
            } => {
                write!(f, "cannot apply {}: ", object.describe())?;
                if conflicts.is_empty() {
                    write!(f, "conflict: {message}")?;
                } else {
                    let mut by_manager: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
                    for c in conflicts {
                        by_manager.entry(&c.manager).or_default().push(&c.field);
                    }
                    let parts: Vec<String> = by_manager
                        .iter()
                        .map(|(m, fields)| format!("{} owned by field manager {m:?}", fields.join(", ")))
                        .collect();
                    write!(f, "{}", parts.join("; "))?;
                }
                write!(
                    f,
                    ". The provider applies as {FIELD_MANAGER:?} and does not take fields from other managers: \
                     stop managing them elsewhere (or remove them there), then apply again"
                )
            }
            InstallError::NotEstablished { name, detail } => write!(
                f,
                "the CustomResourceDefinition {name:?} did not become Established: {detail}"
            ),
            InstallError::K8s(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for InstallError {}

impl From<K8sError> for InstallError {
    fn from(e: K8sError) -> Self {
        InstallError::K8s(e)
    }
}

/// The conflicts of a 409 apply answer: one per `details.causes` entry with a field, else
/// read from the message (`conflict with "m": .a.b`, one per line).
fn conflicts_of(status: &kube::core::Status) -> Vec<FieldConflict> {
    let quoted = |s: &str| -> Option<String> {
        let start = s.find('"')? + 1;
        let len = s[start..].find('"')?;
        Some(s[start..start + len].to_string())
    };
    let mut out: Vec<FieldConflict> = status
        .details
        .iter()
        .flat_map(|d| d.causes.iter())
        .filter(|c| !c.field.is_empty())
        .map(|c| FieldConflict {
            field: c.field.clone(),
            manager: quoted(&c.message).unwrap_or_else(|| c.message.clone()),
        })
        .collect();
    if out.is_empty() {
        for line in status.message.split('\n') {
            let Some(at) = line.find("conflict with ") else {
                continue;
            };
            let rest = &line[at..];
            if let (Some(m), Some((_, field))) = (quoted(rest), rest.rsplit_once(": ")) {
                out.push(FieldConflict {
                    field: field.trim().to_string(),
                    manager: m,
                });
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Installer
// ---------------------------------------------------------------------------------------

/// Installs, checks and removes manifests over one connection, within one operation (its
/// deadline and cancellation token bound every request and wait).
pub struct Installer<'a> {
    conn: &'a Connection,
    field_manager: String,
    cancel: CancellationToken,
    deadline: Option<tokio::time::Instant>,
    kinds: Mutex<HashMap<GroupVersionKind, (ApiResource, ApiCapabilities)>>,
}

impl fmt::Debug for Installer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installer")
            .field("server", &self.conn.server)
            .field("field_manager", &self.field_manager)
            .finish_non_exhaustive()
    }
}

/// Names of discovered resources and groups for [`Op`] (which holds `&'static str`): each
/// distinct name is leaked once per process.
fn intern(s: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut g = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    let set = g.get_or_insert_with(HashSet::new);
    if let Some(x) = set.get(s) {
        return x;
    }
    let x: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(x);
    x
}

fn op(verb: &'static str, ar: &ApiResource, namespace: Option<&str>, name: &str) -> Op {
    Op {
        verb,
        resource: intern(&ar.plural),
        group: intern(&ar.group),
        namespace: namespace.unwrap_or("").to_string(),
        name: name.to_string(),
    }
}

/// The order [`Installer::remove`] deletes in: the reverse of apply order, each object once.
pub fn removal_order(objects: &[Installed]) -> Vec<&Installed> {
    let mut order: Vec<&Installed> = objects.iter().collect();
    order.sort();
    order.dedup();
    order.reverse();
    order
}

/// How a delete propagates: workloads wait for their pods (foreground), the rest do not.
fn propagation(kind: &str) -> DeleteParams {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" => {
            DeleteParams::foreground()
        }
        _ => DeleteParams::background(),
    }
}

impl<'a> Installer<'a> {
    /// `cancel` is the operation's stop (StopProvider), `deadline` its end (`Ctx::deadline`).
    pub fn new(
        conn: &'a Connection,
        cancel: CancellationToken,
        deadline: Option<std::time::Instant>,
    ) -> Self {
        let deadline = deadline.map(|d| {
            tokio::time::Instant::now() + d.saturating_duration_since(std::time::Instant::now())
        });
        Installer {
            conn,
            field_manager: FIELD_MANAGER.to_string(),
            cancel,
            deadline,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// Another field manager name (tests; never needed by the provider).
    pub fn with_field_manager(mut self, name: &str) -> Self {
        self.field_manager = name.to_string();
        self
    }

    pub fn field_manager(&self) -> &str {
        &self.field_manager
    }

    fn interrupted(&self, what: &str) -> Option<K8sError> {
        let why = if self.cancel.is_cancelled() {
            "the operation was stopped"
        } else if self
            .deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
        {
            "the operation's deadline passed"
        } else {
            return None;
        };
        Some(K8sError::Interrupted {
            op: what.to_string(),
            why: why.into(),
        })
    }

    /// Runs one request within the request timeout, the deadline and the cancellation; the
    /// kube error is returned as it is (the caller classifies it).
    async fn raw<T>(
        &self,
        what: &Op,
        fut: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Result<Result<T, kube::Error>, K8sError> {
        let desc = format!("{what} on the Kubernetes API");
        if let Some(e) = self.interrupted(&desc) {
            return Err(e);
        }
        tracing::debug!(request = %what, server = %self.conn.server, "kubernetes request");
        let mut end = tokio::time::Instant::now() + self.conn.request_timeout;
        let mut by_deadline = false;
        if let Some(d) = self.deadline {
            if d < end {
                end = d;
                by_deadline = true;
            }
        }
        tokio::select! {
            _ = self.cancel.cancelled() => Err(K8sError::Interrupted { op: desc, why: "the operation was stopped".into() }),
            r = tokio::time::timeout_at(end, fut) => match r {
                Ok(v) => Ok(v),
                Err(_) if by_deadline => Err(K8sError::Interrupted { op: desc, why: "the operation's deadline passed".into() }),
                Err(_) => Err(K8sError::Interrupted {
                    op: desc,
                    why: format!("no answer within {}s, the provider's `request_timeout`", self.conn.request_timeout.as_secs_f64()),
                }),
            },
        }
    }

    async fn call<T>(
        &self,
        what: Op,
        fut: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, K8sError> {
        match self.raw(&what, fut).await? {
            Ok(v) => Ok(v),
            Err(e) => Err(classify(&self.conn.server, what, e)),
        }
    }

    /// Sleeps `d`, or less when stopped or out of time (then the error).
    async fn pause(&self, d: Duration, what: &str) -> Result<(), K8sError> {
        let mut end = tokio::time::Instant::now() + d;
        if let Some(dl) = self.deadline {
            end = end.min(dl);
        }
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            _ = tokio::time::sleep_until(end) => {}
        }
        match self.interrupted(what) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The resource of a kind: `Ok(None)` when the cluster does not serve it.
    async fn resolve(
        &self,
        g: &GroupVersionKind,
    ) -> Result<Result<(ApiResource, ApiCapabilities), String>, K8sError> {
        if let Some(hit) = self.kinds.lock().unwrap_or_else(|p| p.into_inner()).get(g) {
            return Ok(Ok(hit.clone()));
        }
        let what = Op {
            verb: "discover",
            resource: intern(&g.kind),
            group: intern(&g.group),
            namespace: String::new(),
            name: String::new(),
        };
        match self
            .raw(&what, kube::discovery::pinned_kind(&self.conn.client, g))
            .await?
        {
            Ok(found) => {
                self.kinds
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(g.clone(), found.clone());
                Ok(Ok(found))
            }
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(Err(format!(
                "the API group version {}{}{} is not served",
                g.group,
                if g.group.is_empty() { "" } else { "/" },
                g.version
            ))),
            Err(kube::Error::Discovery(d)) => Ok(Err(d.to_string())),
            Err(e) => Err(classify(&self.conn.server, what, e)),
        }
    }

    fn api(
        &self,
        ar: &ApiResource,
        caps: &ApiCapabilities,
        ns: Option<&str>,
    ) -> Api<DynamicObject> {
        match (&caps.scope, ns) {
            (Scope::Namespaced, Some(ns)) => Api::namespaced_with(self.conn.client.clone(), ns, ar),
            _ => Api::all_with(self.conn.client.clone(), ar),
        }
    }

    /// Creates namespace `ns` when it does not exist, labelled as made by this provider.
    /// `true` when it was created here (record [`Installed::namespace`] so that
    /// [`Installer::remove`] deletes it); `false` when it existed.
    pub async fn ensure_namespace(&self, ns: &str) -> Result<bool, K8sError> {
        use k8s_openapi::api::core::v1::Namespace;
        let api: Api<Namespace> = Api::all(self.conn.client.clone());
        let o = |verb| Op {
            verb,
            resource: "namespaces",
            group: "",
            namespace: String::new(),
            name: ns.to_string(),
        };
        if self.call(o("get"), api.get_opt(ns)).await?.is_some() {
            return Ok(false);
        }
        let desired = Namespace {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(ns.to_string()),
                labels: Some(BTreeMap::from([(
                    MANAGED_BY_LABEL.to_string(),
                    MANAGED_BY.to_string(),
                )])),
                ..Default::default()
            },
            ..Default::default()
        };
        match self
            .call(o("create"), api.create(&PostParams::default(), &desired))
            .await
        {
            Ok(_) => {
                tracing::info!(namespace = ns, "created namespace");
                Ok(true)
            }
            // Made concurrently by someone else: not ours.
            Err(K8sError::Api { code: 409, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Server-side applies every object of `manifest` (namespaced objects without a
    /// namespace go to `namespace`) and returns them in the order applied.
    pub async fn apply(
        &self,
        manifest: &Manifest,
        namespace: &str,
    ) -> Result<Vec<Installed>, InstallError> {
        let mut out = Vec::new();
        self.apply_into(manifest, namespace, &mut out).await?;
        Ok(out)
    }

    /// [`Installer::apply`], pushing each object onto `applied` as soon as the server has
    /// it: after a failure, `applied` holds what is in the cluster (for the state).
    pub async fn apply_into(
        &self,
        manifest: &Manifest,
        namespace: &str,
        applied: &mut Vec<Installed>,
    ) -> Result<(), InstallError> {
        let mut order: Vec<&Doc> = manifest.docs.iter().collect();
        order.sort_by_key(|d| phase(&d.api_version, &d.kind));
        // (group, kind) of custom resources the manifest's definitions make.
        let defined: HashSet<(String, String)> = order
            .iter()
            .filter(|d| phase(&d.api_version, &d.kind) == 0)
            .filter_map(|d| {
                let spec = d.body.get("spec")?;
                let group = spec.get("group")?.as_str()?;
                let kind = spec.get("names")?.get("kind")?.as_str()?;
                Some((group.to_string(), kind.to_string()))
            })
            .collect();
        let mut crds: Vec<Installed> = Vec::new();
        let mut waited = false;
        for d in order {
            let is_crd = phase(&d.api_version, &d.kind) == 0;
            if !is_crd && !waited {
                for c in &crds {
                    self.wait_established(c).await?;
                }
                waited = true;
            }
            let g = gvk(&d.api_version, &d.kind);
            let (ar, caps) = self
                .resolve_for_apply(d, &g, defined.contains(&(g.group.clone(), g.kind.clone())))
                .await?;
            let inst = self.apply_one(d, &ar, &caps, namespace).await?;
            if is_crd {
                crds.push(inst.clone());
            }
            if !applied.contains(&inst) {
                applied.push(inst);
            }
        }
        if !waited {
            for c in &crds {
                self.wait_established(c).await?;
            }
        }
        Ok(())
    }

    /// Resolves a document's kind; one a definition of the manifest makes is retried until
    /// served (discovery may lag the `Established` condition on a real API server).
    async fn resolve_for_apply(
        &self,
        d: &Doc,
        g: &GroupVersionKind,
        defined_here: bool,
    ) -> Result<(ApiResource, ApiCapabilities), InstallError> {
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.resolve(g).await? {
                Ok(found) => return Ok(found),
                Err(detail) if defined_here && started.elapsed() < ESTABLISH_WAIT => {
                    tracing::debug!(kind = %g.kind, %detail, "waiting for the custom resource to be served");
                    self.pause(
                        delay,
                        &format!("waiting for {}/{} to be served", d.api_version, d.kind),
                    )
                    .await?;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(detail) => {
                    return Err(InstallError::UnknownKind {
                        document: d.document,
                        api_version: d.api_version.clone(),
                        kind: d.kind.clone(),
                        detail,
                    })
                }
            }
        }
    }

    async fn apply_one(
        &self,
        d: &Doc,
        ar: &ApiResource,
        caps: &ApiCapabilities,
        namespace: &str,
    ) -> Result<Installed, InstallError> {
        let namespaced = matches!(caps.scope, Scope::Namespaced);
        let ns = namespaced.then(|| d.namespace.clone().unwrap_or_else(|| namespace.to_string()));
        let mut body = d.body.clone();
        if let Some(m) = body.as_object_mut() {
            let meta = m
                .entry("metadata")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(meta) = meta.as_object_mut() {
                match &ns {
                    Some(ns) => {
                        meta.insert("namespace".into(), Value::String(ns.clone()));
                    }
                    None => {
                        meta.remove("namespace");
                    }
                }
            }
        }
        let inst = Installed {
            api_version: d.api_version.clone(),
            kind: d.kind.clone(),
            namespace: ns.clone(),
            name: d.name.clone(),
        };
        let api = self.api(ar, caps, ns.as_deref());
        let what = op("apply", ar, ns.as_deref(), &d.name);
        let params = PatchParams::apply(&self.field_manager);
        match self
            .raw(&what, api.patch(&d.name, &params, &Patch::Apply(&body)))
            .await?
        {
            Ok(_) => {
                tracing::info!(object = %inst, "applied");
                Ok(inst)
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Err(InstallError::Conflict {
                conflicts: conflicts_of(&s),
                message: s.message.clone(),
                object: inst,
            }),
            Err(e) => Err(InstallError::K8s(classify(&self.conn.server, what, e))),
        }
    }

    /// Waits until the definition reports `Established=True`.
    async fn wait_established(&self, crd: &Installed) -> Result<(), InstallError> {
        let (ar, caps) = match self.resolve(&crd.gvk()).await? {
            Ok(x) => x,
            Err(detail) => {
                return Err(InstallError::NotEstablished {
                    name: crd.name.clone(),
                    detail,
                })
            }
        };
        let api = self.api(&ar, &caps, None);
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            let got = self
                .call(op("get", &ar, None, &crd.name), api.get_opt(&crd.name))
                .await?;
            let Some(obj) = got else {
                return Err(InstallError::NotEstablished {
                    name: crd.name.clone(),
                    detail: "it was deleted while waiting".into(),
                });
            };
            let established = obj
                .data
                .get("status")
                .and_then(|s| s.get("conditions"))
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter().any(|c| {
                        c.get("type").and_then(Value::as_str) == Some("Established")
                            && c.get("status").and_then(Value::as_str) == Some("True")
                    })
                });
            if established {
                return Ok(());
            }
            if started.elapsed() >= ESTABLISH_WAIT {
                return Err(InstallError::NotEstablished {
                    name: crd.name.clone(),
                    detail: format!("not Established after {} s", ESTABLISH_WAIT.as_secs()),
                });
            }
            self.pause(
                delay,
                &format!("waiting for {} to be Established", crd.describe()),
            )
            .await?;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// Resolves an object's kind for reading or deleting: `None` when the kind is no longer
    /// served (its definition is gone, so the object is too).
    async fn resolve_existing(
        &self,
        o: &Installed,
    ) -> Result<Option<(ApiResource, ApiCapabilities)>, K8sError> {
        Ok(self.resolve(&o.gvk()).await?.ok())
    }

    /// GETs `o`: `None` when it is gone, or when its type is no longer served (a 404 that
    /// is not a NotFound Status: its definition was deleted, so the cached kind is dropped).
    async fn get_existing(
        &self,
        api: &Api<DynamicObject>,
        ar: &ApiResource,
        o: &Installed,
    ) -> Result<Option<DynamicObject>, K8sError> {
        match self
            .call(
                op("get", ar, o.namespace.as_deref(), &o.name),
                api.get_opt(&o.name),
            )
            .await
        {
            Err(K8sError::Api { code: 404, .. }) => {
                self.kinds
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&o.gvk());
                Ok(None)
            }
            other => other,
        }
    }

    /// The objects of `objects` that still exist, in the order given.
    pub async fn present(&self, objects: &[Installed]) -> Result<Vec<Installed>, K8sError> {
        let mut out = Vec::new();
        for o in objects {
            let Some((ar, caps)) = self.resolve_existing(o).await? else {
                continue;
            };
            let api = self.api(&ar, &caps, o.namespace.as_deref());
            if self.get_existing(&api, &ar, o).await?.is_some() {
                out.push(o.clone());
            }
        }
        Ok(out)
    }

    /// Deletes `objects` in the reverse of apply order (workloads and custom resources, then
    /// services, bindings, roles, service accounts/config/secrets, namespaces,
    /// definitions), each waited for until it is gone, all within the deadline. Missing
    /// objects are fine. A Namespace is deleted only when it carries the provider's label
    /// (one [`Installer::ensure_namespace`] created); nothing outside `objects` is touched.
    pub async fn remove(&self, objects: &[Installed]) -> Result<(), K8sError> {
        for o in removal_order(objects) {
            let Some((ar, caps)) = self.resolve_existing(o).await? else {
                continue;
            };
            let ns = o.namespace.as_deref();
            let api = self.api(&ar, &caps, ns);
            let Some(got) = self.get_existing(&api, &ar, o).await? else {
                continue;
            };
            if o.phase() == 1 {
                let ours = got
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(MANAGED_BY_LABEL))
                    .is_some_and(|v| v == MANAGED_BY);
                if !ours {
                    tracing::warn!(object = %o, "not deleting a namespace this provider did not create");
                    continue;
                }
            }
            match self
                .call(
                    op("delete", &ar, ns, &o.name),
                    api.delete(&o.name, &propagation(&o.kind)),
                )
                .await
            {
                Ok(_) => tracing::info!(object = %o, "deleting"),
                Err(K8sError::Api { code: 404, .. }) => continue,
                Err(e) => return Err(e),
            }
            self.wait_gone(&api, &ar, o).await?;
        }
        Ok(())
    }

    async fn wait_gone(
        &self,
        api: &Api<DynamicObject>,
        ar: &ApiResource,
        o: &Installed,
    ) -> Result<(), K8sError> {
        let mut delay = Duration::from_millis(100);
        loop {
            if self.get_existing(api, ar, o).await?.is_none() {
                tracing::info!(object = %o, "deleted");
                return Ok(());
            }
            self.pause(
                delay,
                &format!("waiting for {} to be deleted", o.describe()),
            )
            .await?;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests;
