//! What `argocd cluster add` does, through the Kubernetes API: a ServiceAccount, a
//! ClusterRole and ClusterRoleBinding (or a Role and RoleBinding in each namespace), and a
//! long-lived `kubernetes.io/service-account-token` Secret whose token and CA the token
//! controller fills. Every object carries the provider's label and an annotation naming the
//! registration that owns it: such objects are adopted, anything else is an error naming it.
//!
//! Every call observes the operation's deadline and StopProvider (`Ctx::run`), and the wait
//! for the token is `Ctx::wait_for`, capped at [`TOKEN_WAIT`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use harness_gitops_client::Secret as SecretText;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};
use kube::ResourceExt as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tfplugin::ctx::{Backoff, Ctx, Poll, WaitError};

use super::connect::Connection;
use super::error::{classify, K8sError, Op};

/// The label every object made by this provider carries (value [`MANAGED_BY`]).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "terraform-provider-harness";
/// The annotation naming the cluster registration (its import ID) that owns an object.
pub const OWNER_ANNOTATION: &str = "gitops.harness.io/cluster";
/// The Secret type and annotations of the legacy token controller.
pub const SA_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
pub const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
pub const SA_UID_ANNOTATION: &str = "kubernetes.io/service-account.uid";
/// Longest wait for the token controller (`argocd cluster add` waits 30 s).
pub const TOKEN_WAIT: Duration = Duration::from_secs(60);

const RBAC: &str = "rbac.authorization.k8s.io";

/// A Kubernetes object kind the bootstrap manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    ServiceAccount,
    ClusterRole,
    ClusterRoleBinding,
    Role,
    RoleBinding,
    Secret,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ServiceAccount => "ServiceAccount",
            Kind::ClusterRole => "ClusterRole",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::Role => "Role",
            Kind::RoleBinding => "RoleBinding",
            Kind::Secret => "Secret",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::ServiceAccount,
            Kind::ClusterRole,
            Kind::ClusterRoleBinding,
            Kind::Role,
            Kind::RoleBinding,
            Kind::Secret,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    /// The API resource name and group.
    fn resource(self) -> (&'static str, &'static str) {
        match self {
            Kind::ServiceAccount => ("serviceaccounts", ""),
            Kind::ClusterRole => ("clusterroles", RBAC),
            Kind::ClusterRoleBinding => ("clusterrolebindings", RBAC),
            Kind::Role => ("roles", RBAC),
            Kind::RoleBinding => ("rolebindings", RBAC),
            Kind::Secret => ("secrets", ""),
        }
    }
}

/// One managed object. `namespace` is empty for cluster-scoped kinds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjRef {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjRef {
    fn op(&self, verb: &'static str) -> Op {
        let (resource, group) = self.kind.resource();
        Op {
            verb,
            resource,
            group,
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

impl fmt::Display for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {:?}", self.kind.as_str(), self.name)
        } else {
            write!(
                f,
                "{} {:?} in namespace {:?}",
                self.kind.as_str(),
                self.name,
                self.namespace
            )
        }
    }
}

/// What to bootstrap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub service_account: String,
    /// The service account's namespace.
    pub namespace: String,
    /// Namespaces to grant access in (Roles); empty: cluster-wide (a ClusterRole).
    pub namespaces: Vec<String>,
    /// The `rotate_token` value: each value has its own token Secret.
    pub rotate_token: Option<String>,
    /// The registration owning the objects (its import ID).
    pub owner: String,
}

/// FNV-1a, 64 bits: a stable short name suffix for a `rotate_token` value.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Spec {
    pub fn role_name(&self) -> String {
        format!("{}-role", self.service_account)
    }
    pub fn binding_name(&self) -> String {
        format!("{}-role-binding", self.service_account)
    }
    /// `<sa>-long-lived-token`, with a suffix derived from `rotate_token` when it is set.
    pub fn token_secret_name(&self) -> String {
        match self.rotate_token.as_deref() {
            None => format!("{}-long-lived-token", self.service_account),
            Some(r) => format!(
                "{}-long-lived-token-{:08x}",
                self.service_account,
                fnv1a(r.as_bytes()) as u32
            ),
        }
    }
    fn namespaces(&self) -> Vec<String> {
        let mut n = self.namespaces.clone();
        n.sort();
        n.dedup();
        n
    }
    /// Every object, in creation order: ServiceAccount, RBAC, token Secret.
    pub fn objects(&self) -> Vec<ObjRef> {
        let obj = |kind, namespace: &str, name: String| ObjRef {
            kind,
            namespace: namespace.to_string(),
            name,
        };
        let mut out = vec![obj(
            Kind::ServiceAccount,
            &self.namespace,
            self.service_account.clone(),
        )];
        let namespaces = self.namespaces();
        if namespaces.is_empty() {
            out.push(obj(Kind::ClusterRole, "", self.role_name()));
            out.push(obj(Kind::ClusterRoleBinding, "", self.binding_name()));
        } else {
            for ns in &namespaces {
                out.push(obj(Kind::Role, ns, self.role_name()));
                out.push(obj(Kind::RoleBinding, ns, self.binding_name()));
            }
        }
        out.push(obj(Kind::Secret, &self.namespace, self.token_secret_name()));
        out
    }
    fn meta(&self, name: &str, namespace: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
            labels: Some(BTreeMap::from([(
                MANAGED_BY_LABEL.to_string(),
                MANAGED_BY.to_string(),
            )])),
            annotations: Some(BTreeMap::from([(
                OWNER_ANNOTATION.to_string(),
                self.owner.clone(),
            )])),
            ..Default::default()
        }
    }
    fn subject(&self) -> Subject {
        Subject {
            kind: "ServiceAccount".into(),
            name: self.service_account.clone(),
            namespace: Some(self.namespace.clone()),
            api_group: None,
        }
    }
}

/// All verbs on all resources (and, cluster-wide, all non-resource URLs), as
/// `argocd cluster add` grants.
fn rules(cluster_wide: bool) -> Vec<PolicyRule> {
    let all = || vec!["*".to_string()];
    let mut r = vec![PolicyRule {
        api_groups: Some(all()),
        resources: Some(all()),
        verbs: all(),
        ..Default::default()
    }];
    if cluster_wide {
        r.push(PolicyRule {
            non_resource_urls: Some(all()),
            verbs: all(),
            ..Default::default()
        });
    }
    r
}

/// Who owns an existing object.
#[derive(Debug, PartialEq, Eq)]
enum Owner {
    Us,
    OtherRegistration(String),
    Foreign,
}

fn owner_of(meta: &ObjectMeta, owner: &str) -> Owner {
    let ours = meta
        .labels
        .as_ref()
        .and_then(|l| l.get(MANAGED_BY_LABEL))
        .is_some_and(|v| v == MANAGED_BY);
    let annotated = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(OWNER_ANNOTATION))
        .cloned();
    match (ours, annotated) {
        (true, Some(a)) if a == owner => Owner::Us,
        (true, Some(a)) => Owner::OtherRegistration(a),
        _ => Owner::Foreign,
    }
}

fn not_ours(r: &ObjRef, owner: Owner) -> K8sError {
    let owner = match owner {
        Owner::OtherRegistration(o) => format!(
            "belongs to another Harness GitOps cluster registration ({o}); choose another \
             `bootstrap.service_account` (and namespace) for this one"
        ),
        _ => format!(
            "was not made by this provider (it lacks the label {MANAGED_BY_LABEL}={MANAGED_BY} and the \
             annotation {OWNER_ANNOTATION}); choose another `bootstrap.service_account`, or delete or label the \
             object to let this registration adopt it"
        ),
    };
    K8sError::NotOurs {
        object: r.to_string(),
        owner,
    }
}

/// The token, CA and Secret the token controller filled.
#[derive(Clone)]
pub struct Issued {
    pub token: SecretText,
    pub ca_pem: Option<String>,
    pub secret_uid: String,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("secret_uid", &self.secret_uid)
            .finish_non_exhaustive()
    }
}

/// Bootstrap operations over one connection, within one resource operation.
pub struct Bootstrap<'a, D> {
    pub conn: &'a Connection,
    pub ctx: &'a Ctx<D>,
}

fn interrupted(op: &Op, why: tfplugin::ctx::Interrupt) -> K8sError {
    K8sError::Interrupted {
        op: format!("{op} on {}", "the Kubernetes API"),
        why: why.to_string(),
    }
}

impl<'a, D> Bootstrap<'a, D> {
    fn api<K>(&self, r: &ObjRef) -> Api<K>
    where
        K: kube::Resource<DynamicType = ()>,
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    {
        Api::namespaced(self.conn.client.clone(), &r.namespace)
    }

    fn cluster_api<K>(&self) -> Api<K>
    where
        K: kube::Resource<DynamicType = (), Scope = k8s_openapi::ClusterResourceScope>,
    {
        Api::all(self.conn.client.clone())
    }

    async fn call<T>(
        &self,
        op: Op,
        fut: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, K8sError> {
        tracing::debug!(request = %op, server = %self.conn.server, "kubernetes request");
        let limit = self.conn.request_timeout;
        match self.ctx.run(tokio::time::timeout(limit, fut)).await {
            Err(i) => Err(interrupted(&op, i)),
            Ok(Err(_)) => Err(K8sError::Interrupted {
                op: format!("{op} on the Kubernetes API"),
                why: format!(
                    "no answer within {}s, the provider's `request_timeout`",
                    limit.as_secs_f64()
                ),
            }),
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => Err(classify(&self.conn.server, op, e)),
        }
    }

    async fn get_opt<K>(&self, api: &Api<K>, r: &ObjRef) -> Result<Option<K>, K8sError>
    where
        K: kube::Resource + Clone + DeserializeOwned + fmt::Debug,
    {
        self.call(r.op("get"), api.get_opt(&r.name)).await
    }

    /// Makes `r` exist as `desired` describes: creates it, or adopts it when it is ours
    /// (replacing it when `recreate` says an immutable part differs, updating it when `same`
    /// says the rest differs). A foreign object is an error naming it.
    async fn ensure<K>(
        &self,
        api: &Api<K>,
        r: &ObjRef,
        owner: &str,
        desired: K,
        same: impl Fn(&K, &K) -> bool,
        recreate: impl Fn(&K, &K) -> bool,
    ) -> Result<K, K8sError>
    where
        K: kube::Resource + Clone + DeserializeOwned + Serialize + fmt::Debug,
    {
        for _attempt in 0..3 {
            let existing = self.get_opt(api, r).await?;
            let Some(existing) = existing else {
                match self
                    .call(r.op("create"), api.create(&PostParams::default(), &desired))
                    .await
                {
                    Ok(made) => {
                        tracing::info!(object = %r, "created");
                        return Ok(made);
                    }
                    // Made concurrently: look at it again.
                    Err(K8sError::Api { code: 409, .. }) => continue,
                    Err(e) => return Err(e),
                }
            };
            match owner_of(existing.meta(), owner) {
                Owner::Us => {}
                other => return Err(not_ours(r, other)),
            }
            if recreate(&existing, &desired) {
                self.call(
                    r.op("delete"),
                    api.delete(&r.name, &DeleteParams::background()),
                )
                .await?;
                continue;
            }
            if same(&existing, &desired) {
                return Ok(existing);
            }
            let mut update = desired.clone();
            update.meta_mut().resource_version = existing.meta().resource_version.clone();
            match self
                .call(
                    r.op("update"),
                    api.replace(&r.name, &PostParams::default(), &update),
                )
                .await
            {
                Ok(v) => {
                    tracing::info!(object = %r, "updated");
                    return Ok(v);
                }
                Err(K8sError::Api { code: 409, .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(K8sError::Api {
            server: self.conn.server.clone(),
            op: Box::new(r.op("update")),
            code: 409,
            reason: "Conflict".into(),
            message: "the object kept changing while it was being written; apply again".into(),
        })
    }

    /// Creates or adopts every object of `spec` but waits for nothing. `present` receives
    /// each object as it is known to exist, so a failure part-way still reports them.
    pub async fn ensure_all(&self, spec: &Spec, present: &mut Vec<ObjRef>) -> Result<(), K8sError> {
        let owner = spec.owner.as_str();
        for r in spec.objects() {
            match r.kind {
                Kind::ServiceAccount => {
                    let desired = ServiceAccount {
                        metadata: spec.meta(&r.name, &r.namespace),
                        ..Default::default()
                    };
                    self.ensure(
                        &self.api::<ServiceAccount>(&r),
                        &r,
                        owner,
                        desired,
                        |_, _| true,
                        |_, _| false,
                    )
                    .await?;
                }
                Kind::ClusterRole => {
                    let desired = ClusterRole {
                        metadata: spec.meta(&r.name, ""),
                        rules: Some(rules(true)),
                        ..Default::default()
                    };
                    self.ensure(
                        &self.cluster_api::<ClusterRole>(),
                        &r,
                        owner,
                        desired,
                        |a, b| a.rules == b.rules,
                        |_, _| false,
                    )
                    .await?;
                }
                Kind::ClusterRoleBinding => {
                    let desired = ClusterRoleBinding {
                        metadata: spec.meta(&r.name, ""),
                        role_ref: RoleRef {
                            api_group: RBAC.into(),
                            kind: "ClusterRole".into(),
                            name: spec.role_name(),
                        },
                        subjects: Some(vec![spec.subject()]),
                    };
                    self.ensure(
                        &self.cluster_api::<ClusterRoleBinding>(),
                        &r,
                        owner,
                        desired,
                        |a, b| same_subjects(&a.subjects, &b.subjects),
                        |a, b| a.role_ref != b.role_ref,
                    )
                    .await?;
                }
                Kind::Role => {
                    let desired = Role {
                        metadata: spec.meta(&r.name, &r.namespace),
                        rules: Some(rules(false)),
                    };
                    self.ensure(
                        &self.api::<Role>(&r),
                        &r,
                        owner,
                        desired,
                        |a, b| a.rules == b.rules,
                        |_, _| false,
                    )
                    .await?;
                }
                Kind::RoleBinding => {
                    let desired = RoleBinding {
                        metadata: spec.meta(&r.name, &r.namespace),
                        role_ref: RoleRef {
                            api_group: RBAC.into(),
                            kind: "Role".into(),
                            name: spec.role_name(),
                        },
                        subjects: Some(vec![spec.subject()]),
                    };
                    self.ensure(
                        &self.api::<RoleBinding>(&r),
                        &r,
                        owner,
                        desired,
                        |a, b| same_subjects(&a.subjects, &b.subjects),
                        |a, b| a.role_ref != b.role_ref,
                    )
                    .await?;
                }
                Kind::Secret => {
                    let mut meta = spec.meta(&r.name, &r.namespace);
                    if let Some(a) = meta.annotations.as_mut() {
                        a.insert(SA_NAME_ANNOTATION.into(), spec.service_account.clone());
                    }
                    let desired = Secret {
                        metadata: meta,
                        type_: Some(SA_TOKEN_TYPE.into()),
                        ..Default::default()
                    };
                    // The type and the service account of a token Secret cannot change: a
                    // Secret of ours that differs is made again. Whatever else it holds is
                    // the token controller's.
                    self.ensure(
                        &self.api::<Secret>(&r),
                        &r,
                        owner,
                        desired,
                        |_, _| true,
                        |a, b| a.type_ != b.type_ || sa_name(a) != sa_name(b),
                    )
                    .await?;
                }
            }
            if !present.contains(&r) {
                present.push(r);
            }
        }
        Ok(())
    }

    /// Waits until the token controller has filled the token Secret (`token` and `ca.crt`),
    /// at most [`TOKEN_WAIT`] and never past the operation's deadline or a stop.
    pub async fn wait_for_token(&self, spec: &Spec) -> Result<Issued, K8sError> {
        let r = spec
            .objects()
            .into_iter()
            .find(|o| o.kind == Kind::Secret)
            .unwrap_or_else(|| ObjRef {
                kind: Kind::Secret,
                namespace: spec.namespace.clone(),
                name: spec.token_secret_name(),
            });
        let api = self.api::<Secret>(&r);
        let started = Instant::now();
        let backoff = Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
            factor: 1.5,
        };
        let polled = self
            .ctx
            .wait_for(backoff, || async {
                let s = self.get_opt(&api, &r).await?;
                let Some(s) = s else {
                    return Ok(Poll::Failed(
                        None,
                        "the Secret disappeared; the token controller deletes a token Secret whose service \
                         account does not exist"
                            .to_string(),
                    ));
                };
                if let Some(issued) = issued(&s) {
                    return Ok(Poll::Ready(Some(issued)));
                }
                if started.elapsed() >= TOKEN_WAIT {
                    return Ok(Poll::Failed(
                        None,
                        format!(
                            "no token after {} s; is the token controller of kube-controller-manager running?",
                            TOKEN_WAIT.as_secs()
                        ),
                    ));
                }
                Ok(Poll::Pending(None))
            })
            .await;
        match polled {
            Ok(Some(i)) => Ok(i),
            Ok(None) => Err(K8sError::TokenNotIssued {
                secret: r.to_string(),
                detail: "no token".into(),
            }),
            Err(WaitError::Failed(_, why)) => Err(K8sError::TokenNotIssued {
                secret: r.to_string(),
                detail: why,
            }),
            Err(WaitError::Interrupted(_, why)) => Err(K8sError::TokenNotIssued {
                secret: r.to_string(),
                detail: format!("still empty when {why}"),
            }),
            Err(WaitError::Poll(_, e)) => Err(e),
        }
    }

    /// The objects of `spec` that exist and are ours, for a refresh. The token Secret counts
    /// only while it holds the token that is registered (`registered_uid`: the Secret's UID
    /// when its token was sent to Harness) for the service account as it exists now.
    pub async fn present(
        &self,
        spec: &Spec,
        registered_uid: Option<&str>,
    ) -> Result<Vec<ObjRef>, K8sError> {
        let mut out = Vec::new();
        let mut sa_uid: Option<String> = None;
        for r in spec.objects() {
            let meta = match r.kind {
                Kind::ServiceAccount => {
                    let sa = self.get_opt(&self.api::<ServiceAccount>(&r), &r).await?;
                    sa_uid = sa.as_ref().and_then(|s| s.metadata.uid.clone());
                    sa.map(|s| s.metadata)
                }
                Kind::ClusterRole => self
                    .get_opt(&self.cluster_api::<ClusterRole>(), &r)
                    .await?
                    .map(|o| o.metadata),
                Kind::ClusterRoleBinding => self
                    .get_opt(&self.cluster_api::<ClusterRoleBinding>(), &r)
                    .await?
                    .map(|o| o.metadata),
                Kind::Role => self
                    .get_opt(&self.api::<Role>(&r), &r)
                    .await?
                    .map(|o| o.metadata),
                Kind::RoleBinding => self
                    .get_opt(&self.api::<RoleBinding>(&r), &r)
                    .await?
                    .map(|o| o.metadata),
                Kind::Secret => {
                    let s = self.get_opt(&self.api::<Secret>(&r), &r).await?;
                    s.filter(|s| {
                        let live = issued(s).is_some()
                            && s.annotations().get(SA_UID_ANNOTATION) == sa_uid.as_ref();
                        let registered =
                            registered_uid.is_none_or(|u| s.metadata.uid.as_deref() == Some(u));
                        live && registered
                    })
                    .map(|s| s.metadata)
                }
            };
            if meta.is_some_and(|m| owner_of(&m, &spec.owner) == Owner::Us) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Deletes the objects (last made first) that exist and are ours. Foreign objects at
    /// those names are left alone and returned.
    pub async fn remove(&self, objects: &[ObjRef], owner: &str) -> Result<Vec<ObjRef>, K8sError> {
        let mut left_alone = Vec::new();
        let mut order: Vec<&ObjRef> = objects.iter().collect();
        order.sort_by(|a, b| b.kind.cmp(&a.kind).then_with(|| a.cmp(b)));
        order.dedup();
        for r in order {
            let meta = match r.kind {
                Kind::ServiceAccount => {
                    self.delete_ours(&self.api::<ServiceAccount>(r), r, owner)
                        .await?
                }
                Kind::ClusterRole => {
                    self.delete_ours(&self.cluster_api::<ClusterRole>(), r, owner)
                        .await?
                }
                Kind::ClusterRoleBinding => {
                    self.delete_ours(&self.cluster_api::<ClusterRoleBinding>(), r, owner)
                        .await?
                }
                Kind::Role => self.delete_ours(&self.api::<Role>(r), r, owner).await?,
                Kind::RoleBinding => {
                    self.delete_ours(&self.api::<RoleBinding>(r), r, owner)
                        .await?
                }
                Kind::Secret => self.delete_ours(&self.api::<Secret>(r), r, owner).await?,
            };
            if !meta {
                left_alone.push(r.clone());
            }
        }
        Ok(left_alone)
    }

    /// Deletes `r` if it is ours; false when something foreign sits there.
    async fn delete_ours<K>(&self, api: &Api<K>, r: &ObjRef, owner: &str) -> Result<bool, K8sError>
    where
        K: kube::Resource + Clone + DeserializeOwned + fmt::Debug,
    {
        let Some(existing) = self.get_opt(api, r).await? else {
            return Ok(true);
        };
        if owner_of(existing.meta(), owner) != Owner::Us {
            tracing::warn!(object = %r, "not deleting an object this registration does not own");
            return Ok(false);
        }
        match self
            .call(
                r.op("delete"),
                api.delete(&r.name, &DeleteParams::background()),
            )
            .await
        {
            Ok(_) | Err(K8sError::Api { code: 404, .. }) => {
                tracing::info!(object = %r, "deleted");
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }
}

fn same_subjects(a: &Option<Vec<Subject>>, b: &Option<Vec<Subject>>) -> bool {
    // The API server defaults a ServiceAccount subject's apiGroup to "".
    let norm = |s: &Option<Vec<Subject>>| -> Vec<(String, String, String)> {
        s.iter()
            .flatten()
            .map(|x| {
                (
                    x.kind.clone(),
                    x.name.clone(),
                    x.namespace.clone().unwrap_or_default(),
                )
            })
            .collect()
    };
    norm(a) == norm(b)
}

fn sa_name(s: &Secret) -> Option<&String> {
    s.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SA_NAME_ANNOTATION))
}

/// The token and CA of a filled token Secret.
fn issued(s: &Secret) -> Option<Issued> {
    let data = s.data.as_ref()?;
    let token = data.get("token").map(|b| b.0.as_slice())?;
    if token.is_empty() {
        return None;
    }
    let token = String::from_utf8(token.to_vec()).ok()?;
    let ca_pem = data
        .get("ca.crt")
        .and_then(|b| String::from_utf8(b.0.clone()).ok())
        .filter(|s| !s.trim().is_empty());
    Some(Issued {
        token: SecretText::new(token.trim().to_string()),
        ca_pem,
        secret_uid: s.metadata.uid.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(namespaces: &[&str], rotate: Option<&str>) -> Spec {
        Spec {
            service_account: "harness-gitops-manager".into(),
            namespace: "kube-system".into(),
            namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
            rotate_token: rotate.map(str::to_string),
            owner: "account.a/c".into(),
        }
    }

    #[test]
    fn cluster_wide_objects_in_creation_order() {
        let names: Vec<String> = spec(&[], None)
            .objects()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            names,
            vec![
                "ServiceAccount \"harness-gitops-manager\" in namespace \"kube-system\"",
                "ClusterRole \"harness-gitops-manager-role\"",
                "ClusterRoleBinding \"harness-gitops-manager-role-binding\"",
                "Secret \"harness-gitops-manager-long-lived-token\" in namespace \"kube-system\"",
            ]
        );
    }

    #[test]
    fn namespaced_objects_are_sorted_and_deduplicated() {
        let kinds: Vec<(Kind, String)> = spec(&["b", "a", "b"], None)
            .objects()
            .into_iter()
            .map(|o| (o.kind, o.namespace))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::ServiceAccount, "kube-system".into()),
                (Kind::Role, "a".into()),
                (Kind::RoleBinding, "a".into()),
                (Kind::Role, "b".into()),
                (Kind::RoleBinding, "b".into()),
                (Kind::Secret, "kube-system".into()),
            ]
        );
    }

    #[test]
    fn each_rotation_value_has_its_own_stable_secret_name() {
        let a = spec(&[], Some("2024-01")).token_secret_name();
        let b = spec(&[], Some("2024-02")).token_secret_name();
        assert_ne!(a, b);
        assert_eq!(a, spec(&[], Some("2024-01")).token_secret_name());
        assert!(a.starts_with("harness-gitops-manager-long-lived-token-") && a.len() == 48);
    }

    #[test]
    fn ownership_needs_label_and_matching_annotation() {
        let s = spec(&[], None);
        let m = s.meta("x", "kube-system");
        assert_eq!(owner_of(&m, "account.a/c"), Owner::Us);
        assert_eq!(
            owner_of(&m, "account.a/other"),
            Owner::OtherRegistration("account.a/c".into())
        );
        assert_eq!(
            owner_of(&ObjectMeta::default(), "account.a/c"),
            Owner::Foreign
        );
        let e = not_ours(&s.objects()[0], Owner::Foreign).to_string();
        assert!(
            e.starts_with("ServiceAccount \"harness-gitops-manager\" in namespace \"kube-system\" already exists and was not made by this provider"),
            "{e}"
        );
    }
}
