//! `harness_gitops_app_project`: an Argo CD project (AppProject) on a Harness GitOps agent,
//! and the data source of the same name.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → API mapping
//! (`to_api`, `from_api`) → data source → tests.
//!
//! The spec is nested attributes (ARCHITECTURE.md's decision) in the CRD's names in snake
//! case. Every collection Argo CD treats as unordered is a set, so reordering it in the
//! configuration is no change. JWT tokens of roles are not configuration: an update keeps
//! the ones Argo CD has.

use std::collections::BTreeMap;

use async_trait::async_trait;
use harness_gitops_client as harness;
use harness_gitops_client::models::{
    AppProject as ApiProject, AppProjectSpec, DestinationServiceAccount as ApiDestSa,
    GroupKind as ApiGroupKind, ObjectMeta, OrphanedResourceKey, OrphanedResources,
    ProjectCreateRequest, ProjectDestination, ProjectRole, ProjectUpdateRequest,
    SignatureKey as ApiSignatureKey, SyncWindow as ApiSyncWindow,
};
use tfplugin::resource::Resource;
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::{self, ModelResource, Set, TfType, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, Scope};
use super::data_source::ScopedLookup;
use super::gitops_application::{kubernetes_name, zero};
use super::Ctx;
use crate::provider::ProviderData;

mod cron;
pub mod rules;

const TYPE_NAME: &str = "harness_gitops_app_project";

/// An Argo CD project (AppProject) on a Harness GitOps agent: which repositories its
/// applications may deploy from, where to, which resource kinds, when (sync windows) and who
/// (roles). An application names it in `argo_project`; an application it does not permit
/// (a source repository, the destination) fails at plan time where that can be known then
/// (see the application's `argo_project`), else at apply with Argo CD's reason; a resource
/// kind it does not permit fails the application's sync.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AppProject {
    /// Import ID: `agent_id/name`, `org_id/agent_id/name` or `org_id/project_id/agent_id/name`.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// Name of the Argo CD project (a Kubernetes object name). Changing it replaces the
    /// project.
    #[tf(required, requires_replace, validate = kubernetes_name)]
    pub name: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// Description (at most 255 characters).
    #[tf(optional, null_means = zero, validate = description)]
    pub description: Val<String>,
    /// Repository URLs the project's applications may deploy from; globs (`*` for any,
    /// `https://github.com/ml/*`), `!` in front denies.
    #[tf(optional, null_means = zero)]
    pub source_repos: Val<Set<String>>,
    /// Namespaces where the project's Application objects may live (apps in any namespace).
    #[tf(optional, null_means = zero)]
    pub source_namespaces: Val<Set<String>>,
    /// Clusters and namespaces the project's applications may deploy to.
    #[tf(optional, null_means = zero, nested)]
    pub destinations: Val<Set<Destination>>,
    /// Service accounts Argo CD impersonates to sync to a destination.
    #[tf(optional, null_means = zero, nested)]
    pub destination_service_accounts: Val<Set<DestinationServiceAccount>>,
    /// Cluster-scoped kinds the applications may deploy (none when unset).
    #[tf(optional, null_means = zero, nested)]
    pub cluster_resource_whitelist: Val<Set<GroupKind>>,
    /// Cluster-scoped kinds the applications may not deploy.
    #[tf(optional, null_means = zero, nested)]
    pub cluster_resource_blacklist: Val<Set<GroupKind>>,
    /// Namespaced kinds the applications may deploy (all when unset).
    #[tf(optional, null_means = zero, nested)]
    pub namespace_resource_whitelist: Val<Set<GroupKind>>,
    /// Namespaced kinds the applications may not deploy.
    #[tf(optional, null_means = zero, nested)]
    pub namespace_resource_blacklist: Val<Set<GroupKind>>,
    /// Project roles: policies and OIDC groups. JWT tokens are issued in Argo CD, not here.
    #[tf(optional, null_means = zero, nested)]
    pub roles: Val<Set<Role>>,
    /// When applications may (`allow`) or may not (`deny`) sync.
    #[tf(optional, null_means = zero, nested)]
    pub sync_windows: Val<Set<SyncWindow>>,
    /// Monitoring of resources in the destination namespaces that no application owns.
    #[tf(optional, nested)]
    pub orphaned_resources: Val<Orphaned>,
    /// GnuPG key IDs whose signatures the project's sources must carry.
    #[tf(optional, null_means = zero, nested)]
    pub signature_keys: Val<Set<SignatureKey>>,
    /// Destinations must be clusters scoped to this project.
    #[tf(optional, null_means = zero)]
    pub permit_only_project_scoped_clusters: Val<bool>,
    /// Kubernetes labels of the project object.
    #[tf(optional, null_means = zero)]
    pub labels: Val<BTreeMap<String, String>>,
    /// Kubernetes annotations of the project object.
    #[tf(optional, null_means = zero)]
    pub annotations: Val<BTreeMap<String, String>>,
}

/// A permitted destination: a cluster by `server` URL or `name`, and a namespace (globs).
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Destination {
    /// Cluster API server URL (glob; `*` for any).
    #[tf(optional, null_means = zero)]
    pub server: Val<String>,
    /// Cluster name (glob), instead of `server`.
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
    /// Namespace (glob; `!` in front denies).
    #[tf(optional, null_means = zero)]
    pub namespace: Val<String>,
}

/// A service account to impersonate for a destination.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct DestinationServiceAccount {
    /// Cluster API server URL (glob).
    #[tf(required)]
    pub server: Val<String>,
    /// Namespace (glob).
    #[tf(optional, null_means = zero)]
    pub namespace: Val<String>,
    /// Service account (`namespace:name` or `name`).
    #[tf(required)]
    pub default_service_account: Val<String>,
}

/// A Kubernetes API group and kind (`group = ""` is the core group; `*` for any).
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GroupKind {
    /// API group.
    #[tf(required)]
    pub group: Val<String>,
    /// Kind.
    #[tf(required)]
    pub kind: Val<String>,
}

/// A project role.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Role {
    /// Role name.
    #[tf(required)]
    pub name: Val<String>,
    /// Description.
    #[tf(optional, null_means = zero)]
    pub description: Val<String>,
    /// Casbin policy lines: `p, proj:<project>:<role>, <resource>, <action>, <object>, allow|deny`.
    #[tf(optional, null_means = zero)]
    pub policies: Val<Vec<String>>,
    /// OIDC groups bound to the role.
    #[tf(optional, null_means = zero)]
    pub groups: Val<Set<String>>,
}

/// A sync window.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct SyncWindow {
    /// `allow` or `deny`.
    #[tf(required, one_of("allow", "deny"))]
    pub kind: Val<String>,
    /// When the window opens: a 5-field cron schedule (`0 22 * * *`) or `@daily` style.
    #[tf(required, validate = cron::schedule)]
    pub schedule: Val<String>,
    /// How long it stays open (`1h`, `8h`, `30m`).
    #[tf(required, duration)]
    pub duration: Val<String>,
    /// Applications it applies to (globs).
    #[tf(optional, null_means = zero)]
    pub applications: Val<Set<String>>,
    /// Namespaces it applies to (globs).
    #[tf(optional, null_means = zero)]
    pub namespaces: Val<Set<String>>,
    /// Clusters it applies to (globs of server URLs or names).
    #[tf(optional, null_means = zero)]
    pub clusters: Val<Set<String>>,
    /// Manual syncs pass even while the window blocks.
    #[tf(optional, null_means = zero)]
    pub manual_sync: Val<bool>,
    /// Time zone of the schedule (`UTC` when unset), e.g. `Europe/Berlin`.
    #[tf(optional, null_means = zero)]
    pub time_zone: Val<String>,
}

/// Orphaned resource monitoring.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Orphaned {
    /// Warn (an application condition) when orphaned resources exist.
    #[tf(optional, null_means = zero)]
    pub warn: Val<bool>,
    /// Resources that are never reported as orphaned.
    #[tf(optional, null_means = zero, nested)]
    pub ignore: Val<Set<OrphanedKey>>,
}

/// A resource that monitoring ignores.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct OrphanedKey {
    /// API group.
    #[tf(optional, null_means = zero)]
    pub group: Val<String>,
    /// Kind.
    #[tf(optional, null_means = zero)]
    pub kind: Val<String>,
    /// Name (glob).
    #[tf(optional, null_means = zero)]
    pub name: Val<String>,
}

/// A GnuPG key.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct SignatureKey {
    /// Key ID (as `gpg --list-keys` shows it, e.g. `4AEE18F83AFDEB23`).
    #[tf(required)]
    pub key_id: Val<String>,
}

/// At most 255 characters (Argo CD's limit).
pub fn description(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if let Some(s) = v.as_str() {
        if s.chars().count() > 255 {
            diags.error_at(
                path.clone(),
                "Description Too Long",
                format!(
                    "Argo CD takes at most 255 characters; this has {}.",
                    s.chars().count()
                ),
            );
        }
    }
}

/// Checks across attributes: destinations name a cluster; role policies name their role.
fn validate_config(c: &AppProject, diags: &mut Diagnostics) {
    if let Val::Known(dests) = &c.destinations {
        for d in &dests.0 {
            if d.server.is_null() && d.name.is_null() {
                diags.error_at(
                    AttributePath::attr(AppProject::DESTINATIONS),
                    "Destination Without Cluster",
                    "Each destination needs `server` or `name` (use `server = \"*\"` for any cluster).",
                );
            }
        }
    }
    if let (Val::Known(roles), Some(project)) = (&c.roles, c.name.as_deref()) {
        for r in &roles.0 {
            let (Some(role), Val::Known(policies)) = (r.name.as_deref(), &r.policies) else {
                continue;
            };
            for (i, p) in policies.iter().enumerate() {
                let parts: Vec<&str> = p.split(',').map(str::trim).collect();
                let want = format!("proj:{project}:{role}");
                if parts.len() < 5 || parts[0] != "p" || parts[1] != want {
                    diags.error_at(
                        AttributePath::attr(AppProject::ROLES),
                        "Invalid Role Policy",
                        format!(
                            "Policy {} of role {role:?} is {p:?}; Argo CD takes `p, {want}, <resource>, <action>, <object>, allow|deny`.",
                            i + 1
                        ),
                    );
                }
            }
        }
    }
}

/// The resource.
pub struct GitopsAppProject;

#[async_trait]
impl ModelResource<ProviderData> for GitopsAppProject {
    type Model = AppProject;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn validate(&self, config: &AppProject, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, AppProject, ProviderData>,
        planned: &mut AppProject,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&planned.name);
        }
        // Applications planned after this one must not judge by the rules it replaces.
        if let (Some(provider), Val::Known(name)) = (req.provider, &planned.name) {
            let scope_known = [
                &planned.scope.agent_id,
                &planned.scope.org_id,
                &planned.scope.project_id,
            ]
            .iter()
            .all(|v| !v.is_unknown());
            if scope_known && req.prior != Some(&*planned) {
                provider.projects.changing(&planned.scope.api(), name);
            }
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &AppProject,
        _config: &AppProject,
        diags: &mut Diagnostics,
    ) -> Option<AppProject> {
        let client = &common::client(ctx, "the project's 20m create deadline", diags)?;
        let name = planned.name.as_deref().unwrap_or_default();
        let body = ProjectCreateRequest {
            project: Some(to_api(planned, None)),
            upsert: None,
        };
        let created = client
            .projects()
            .create(&planned.scope.api(), name, &body)
            .await;
        // What applications' plans read of it before is stale now.
        ctx.provider.projects.forget(&planned.scope.api(), name);
        match created {
            Ok(p) => Some(from_api_kept(&p, planned)),
            Err(e) => {
                common::create_error(
                    diags,
                    "Unable to Create Argo CD Project",
                    &e,
                    "Argo CD project",
                    planned.id.known().cloned(),
                );
                common::failed_create_state(&e, planned, "Argo CD project", diags)
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx,
        current: &AppProject,
        diags: &mut Diagnostics,
    ) -> Option<AppProject> {
        let client = &common::client(ctx, "the project's 20m read deadline", diags)?;
        let name = current.name.as_deref().unwrap_or_default();
        match client.projects().get_opt(&current.scope.api(), name).await {
            Ok(Some(p)) => Some(from_api_kept(&p, current)),
            Ok(None) => None,
            Err(e) => {
                api_error(diags, "Unable to Read Argo CD Project", &e);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _prior: &AppProject,
        planned: &AppProject,
        _config: &AppProject,
        diags: &mut Diagnostics,
    ) -> Option<AppProject> {
        let client = &common::client(ctx, "the project's 20m update deadline", diags)?;
        let name = planned.name.as_deref().unwrap_or_default();
        let scope = planned.scope.api();
        // The whole object is replaced: keep what Argo CD holds that is not configuration
        // (the roles' JWT tokens).
        let current = match client.projects().get_opt(&scope, name).await {
            Ok(p) => p,
            Err(e) => {
                api_error(diags, "Unable to Update Argo CD Project", &e);
                return None;
            }
        };
        let body = ProjectUpdateRequest {
            project: Some(to_api(planned, current.as_ref())),
        };
        let updated = client.projects().update(&scope, name, &body).await;
        ctx.provider.projects.forget(&scope, name);
        match updated {
            Ok(p) => Some(from_api_kept(&p, planned)),
            Err(e) => {
                api_error(diags, "Unable to Update Argo CD Project", &e);
                None
            }
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &AppProject, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "the project's 20m delete deadline", diags) else {
            return;
        };
        let name = prior.name.as_deref().unwrap_or_default();
        let scope = &prior.scope.api();
        // Argo CD refuses while applications name the project ("project is referenced by N
        // applications"): retried while they go away, as for clusters and repositories.
        let deleted = common::delete_when_unused(
            ctx,
            common::BLOCKED_DELETE_PATIENCE,
            move || async move { client.projects().delete(scope, name).await },
            move || {
                common::applications_using(client, scope, move |a| {
                    a.spec.as_ref().and_then(|s| s.project.as_deref()) == Some(name)
                })
            },
        )
        .await;
        ctx.provider.projects.forget(scope, name);
        if let Err(f) = deleted {
            common::delete_error(
                diags,
                "Unable to Delete Argo CD Project",
                "Argo CD project",
                name,
                "argo_project = harness_gitops_app_project.<name>.name",
                &f,
            );
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<AppProject> {
        let read = async |stub: &AppProject, d: &mut Diagnostics| self.read(ctx, stub, d).await;
        super::data_source::import::<GitopsAppProjectData, _>(id, read, diags).await
    }
}

// ---- API mapping ---------------------------------------------------------------------

fn strs(v: &Val<Set<String>>) -> Option<Vec<String>> {
    match v {
        Val::Known(s) if !s.0.is_empty() => Some(s.0.clone()),
        _ => None,
    }
}

fn opt(v: &Val<String>) -> Option<String> {
    v.non_empty().map(str::to_string)
}

fn each<T, U>(v: &Val<Set<T>>, f: impl Fn(&T) -> U) -> Option<Vec<U>> {
    match v {
        Val::Known(s) if !s.0.is_empty() => Some(s.0.iter().map(f).collect()),
        _ => None,
    }
}

fn group_kinds(v: &Val<Set<GroupKind>>) -> Option<Vec<ApiGroupKind>> {
    each(v, |g| ApiGroupKind {
        group: Some(g.group.as_deref().unwrap_or_default().to_string()),
        kind: opt(&g.kind),
    })
}

/// The Argo object to send; `current` (on update) gives the roles' JWT tokens to keep.
fn to_api(p: &AppProject, current: Option<&ApiProject>) -> ApiProject {
    let tokens = |role: &str| {
        current
            .and_then(|c| c.spec.as_ref())
            .and_then(|s| s.roles.as_ref())
            .and_then(|rs| rs.iter().find(|r| r.name.as_deref() == Some(role)))
            .and_then(|r| r.jwt_tokens.clone())
    };
    let map = |v: &Val<BTreeMap<String, String>>| match v {
        Val::Known(m) if !m.is_empty() => Some(m.clone()),
        _ => None,
    };
    let spec = AppProjectSpec {
        description: opt(&p.description),
        source_repos: strs(&p.source_repos),
        source_namespaces: strs(&p.source_namespaces),
        destinations: each(&p.destinations, |d| ProjectDestination {
            server: opt(&d.server),
            name: opt(&d.name),
            namespace: opt(&d.namespace),
        }),
        destination_service_accounts: each(&p.destination_service_accounts, |d| ApiDestSa {
            server: opt(&d.server),
            namespace: opt(&d.namespace),
            default_service_account: opt(&d.default_service_account),
        }),
        cluster_resource_whitelist: group_kinds(&p.cluster_resource_whitelist),
        cluster_resource_blacklist: group_kinds(&p.cluster_resource_blacklist),
        namespace_resource_whitelist: group_kinds(&p.namespace_resource_whitelist),
        namespace_resource_blacklist: group_kinds(&p.namespace_resource_blacklist),
        roles: each(&p.roles, |r| {
            let name = r.name.as_deref().unwrap_or_default();
            ProjectRole {
                name: Some(name.to_string()),
                description: opt(&r.description),
                policies: match &r.policies {
                    Val::Known(v) if !v.is_empty() => Some(v.clone()),
                    _ => None,
                },
                groups: strs(&r.groups),
                jwt_tokens: tokens(name),
            }
        }),
        sync_windows: each(&p.sync_windows, |w| ApiSyncWindow {
            kind: opt(&w.kind),
            schedule: opt(&w.schedule),
            duration: opt(&w.duration),
            applications: strs(&w.applications),
            namespaces: strs(&w.namespaces),
            clusters: strs(&w.clusters),
            manual_sync: w.manual_sync.known().copied().filter(|b| *b),
            time_zone: opt(&w.time_zone),
        }),
        orphaned_resources: p.orphaned_resources.known().map(|o| OrphanedResources {
            warn: o.warn.known().copied(),
            ignore: each(&o.ignore, |k| OrphanedResourceKey {
                group: opt(&k.group),
                kind: opt(&k.kind),
                name: opt(&k.name),
            }),
        }),
        signature_keys: each(&p.signature_keys, |k| ApiSignatureKey {
            key_id: opt(&k.key_id),
        }),
        permit_only_project_scoped_clusters: p
            .permit_only_project_scoped_clusters
            .known()
            .copied()
            .filter(|b| *b),
    };
    ApiProject {
        metadata: Some(ObjectMeta {
            name: opt(&p.name),
            labels: map(&p.labels),
            annotations: map(&p.annotations),
            ..Default::default()
        }),
        spec: Some(spec),
        status: None,
    }
}

fn s(v: &Option<String>) -> Val<String> {
    Val::from_option(v.clone().filter(|x| !x.is_empty()))
}

fn set_of(v: &Option<Vec<String>>) -> Val<Set<String>> {
    match v {
        Some(v) if !v.is_empty() => Val::Known(Set(v.clone())),
        _ => Val::Null,
    }
}

fn set_each<A, T>(v: &Option<Vec<A>>, f: impl Fn(&A) -> T) -> Val<Set<T>> {
    match v {
        Some(v) if !v.is_empty() => Val::Known(Set(v.iter().map(f).collect())),
        _ => Val::Null,
    }
}

fn from_group_kinds(v: &Option<Vec<ApiGroupKind>>) -> Val<Set<GroupKind>> {
    set_each(v, |g| GroupKind {
        group: Val::Known(g.group.clone().unwrap_or_default()),
        kind: s(&g.kind),
    })
}

/// The state for an API answer; scope from `prior`. Empty collections read as null (the
/// declared `null_means = zero` keeps an explicitly empty configuration).
fn from_api(p: &ApiProject, prior: &AppProject) -> AppProject {
    let meta = p.metadata.clone().unwrap_or_default();
    let spec = p.spec.clone().unwrap_or_default();
    let map = |m: &Option<BTreeMap<String, String>>| match m {
        Some(m) if !m.is_empty() => Val::Known(m.clone()),
        _ => Val::Null,
    };
    let mut out = AppProject {
        id: Val::Null,
        name: meta.name.clone().map_or(prior.name.clone(), Val::Known),
        scope: prior.scope.clone(),
        description: s(&spec.description),
        source_repos: set_of(&spec.source_repos),
        source_namespaces: set_of(&spec.source_namespaces),
        destinations: set_each(&spec.destinations, |d| Destination {
            server: s(&d.server),
            name: s(&d.name),
            namespace: s(&d.namespace),
        }),
        destination_service_accounts: set_each(&spec.destination_service_accounts, |d| {
            DestinationServiceAccount {
                server: s(&d.server),
                namespace: s(&d.namespace),
                default_service_account: s(&d.default_service_account),
            }
        }),
        cluster_resource_whitelist: from_group_kinds(&spec.cluster_resource_whitelist),
        cluster_resource_blacklist: from_group_kinds(&spec.cluster_resource_blacklist),
        namespace_resource_whitelist: from_group_kinds(&spec.namespace_resource_whitelist),
        namespace_resource_blacklist: from_group_kinds(&spec.namespace_resource_blacklist),
        roles: set_each(&spec.roles, |r| Role {
            name: s(&r.name),
            description: s(&r.description),
            policies: match &r.policies {
                Some(v) if !v.is_empty() => Val::Known(v.clone()),
                _ => Val::Null,
            },
            groups: set_of(&r.groups),
        }),
        sync_windows: set_each(&spec.sync_windows, |w| SyncWindow {
            kind: s(&w.kind),
            schedule: s(&w.schedule),
            duration: s(&w.duration),
            applications: set_of(&w.applications),
            namespaces: set_of(&w.namespaces),
            clusters: set_of(&w.clusters),
            manual_sync: Val::from_option(w.manual_sync.filter(|b| *b)),
            time_zone: s(&w.time_zone),
        }),
        orphaned_resources: match &spec.orphaned_resources {
            Some(o) => Val::Known(Orphaned {
                warn: Val::from_option(o.warn),
                ignore: set_each(&o.ignore, |k| OrphanedKey {
                    group: s(&k.group),
                    kind: s(&k.kind),
                    name: s(&k.name),
                }),
            }),
            None => Val::Null,
        },
        signature_keys: set_each(&spec.signature_keys, |k| SignatureKey {
            key_id: s(&k.key_id),
        }),
        permit_only_project_scoped_clusters: Val::from_option(
            spec.permit_only_project_scoped_clusters.filter(|b| *b),
        ),
        labels: map(&meta.labels),
        annotations: map(&meta.annotations),
    };
    out.id = out.scope.import_id(&out.name);
    out
}

/// A value with every "zero" (false, "", empty collection) as null: what Argo CD does not
/// distinguish from unset.
fn normal(v: &Value) -> Value {
    match v {
        v if zero(v) => Value::Null,
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), normal(x))).collect()),
        Value::Set(i) => Value::Set(i.iter().map(normal).collect()),
        Value::List(i) => Value::List(i.iter().map(normal).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, x)| (k.clone(), normal(x))).collect()),
        v => v.clone(),
    }
}

/// The elements of `api` in the user's form: an element that means the same as one of
/// `user`'s (zeros as null) is that element, so `false` or `""` written in the configuration
/// stays what it is although the API omits it.
fn keep_form<T: TfType + Clone>(api: &mut Val<Set<T>>, user: &Val<Set<T>>) {
    let (Val::Known(a), Val::Known(u)) = (&mut *api, user) else {
        return;
    };
    for e in a.0.iter_mut() {
        let n = normal(&e.to_value());
        if let Some(m) = u.0.iter().find(|x| normal(&x.to_value()) == n) {
            *e = m.clone();
        }
    }
}

/// [`from_api`], with set elements in the form `prior` (plan or state) has them.
fn from_api_kept(p: &ApiProject, prior: &AppProject) -> AppProject {
    let mut out = from_api(p, prior);
    keep_form(&mut out.destinations, &prior.destinations);
    keep_form(
        &mut out.destination_service_accounts,
        &prior.destination_service_accounts,
    );
    keep_form(&mut out.roles, &prior.roles);
    keep_form(&mut out.sync_windows, &prior.sync_windows);
    keep_form(&mut out.signature_keys, &prior.signature_keys);
    for (o, pr) in [
        (
            &mut out.cluster_resource_whitelist,
            &prior.cluster_resource_whitelist,
        ),
        (
            &mut out.cluster_resource_blacklist,
            &prior.cluster_resource_blacklist,
        ),
        (
            &mut out.namespace_resource_whitelist,
            &prior.namespace_resource_whitelist,
        ),
        (
            &mut out.namespace_resource_blacklist,
            &prior.namespace_resource_blacklist,
        ),
    ] {
        keep_form(o, pr);
    }
    if let (Val::Known(o), Val::Known(pr)) =
        (&mut out.orphaned_resources, &prior.orphaned_resources)
    {
        keep_form(&mut o.ignore, &pr.ignore);
    }
    out
}

// ---- data source ---------------------------------------------------------------------

/// The data source: the resource's attributes, looked up by scope and name.
pub struct GitopsAppProjectData;

#[async_trait]
impl ScopedLookup for GitopsAppProjectData {
    type Model = AppProject;
    type Response = ApiProject;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "Argo CD project";
    const KEY: &'static str = AppProject::NAME;

    fn schema() -> Schema {
        common::data_source_schema(
            &AppProject::schema(),
            "Reads an Argo CD project of a Harness GitOps agent by scope and name.",
            &[
                (AppProject::NAME, Constraint::Required),
                (Scope::AGENT_ID, Constraint::OptionalComputed),
                (Scope::ORG_ID, Constraint::OptionalComputed),
                (Scope::PROJECT_ID, Constraint::OptionalComputed),
            ],
            &[],
        )
    }

    fn key(m: &mut AppProject) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.name)
    }

    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<ApiProject>, harness::Error> {
        client.projects().get_opt(scope, key).await
    }

    fn convert(resp: &ApiProject, key: &AppProject) -> AppProject {
        from_api(resp, key)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsAppProject)
}

#[cfg(test)]
mod tests;
