//! `harness_gitops_agent`: a Harness GitOps agent, optionally installed into its cluster by
//! the provider itself (`install`), and the data source of the same name.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → install and
//! wait → API mapping (`to_api`, `from_api`) → data source → tests.
//!
//! The agent's token (its private key) is needed to fetch its manifest without locking the
//! running agent out (Harness issues a new token when the manifest is fetched without one).
//! It is kept in memory only: taken from the create response, else read with
//! `withCredentials`, else from the installed Secret. It reaches state only through
//! `agent_token` when the user sets `export_token`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use harness_gitops_client as harness;
use harness_gitops_client::models::{
    Agent as ApiAgent, AgentComponentHealth, AgentMetadata, AgentProxy, AgentYamlQuery,
};
use harness_gitops_client::{AgentScope, Secret};
use tfplugin::ctx::{Backoff, Poll, WaitError};
use tfplugin::resource::{DataSource, Operation, Resource};
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::{self, ModelResource, Set, TfType, Timeouts, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, api_str};
use super::kube_connection::{self, KubeConnection};
use super::Ctx;
use crate::k8s::agent as kagent;
use crate::k8s::install::{Installed, Installer, Manifest};
use crate::k8s::Connection;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_agent";
/// Private state: every object the last install applied (what `install.objects` should hold).
const PRIVATE_INSTALLED: &str = "installed";
/// How long components may stay unhealthy once the agent is connected (Argo CD's pods start).
const COMPONENT_GRACE: Duration = Duration::from_secs(60);

/// An object the install applied to the cluster.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct InstalledObject {
    /// `apiVersion`, e.g. `apps/v1`.
    #[tf(computed)]
    pub api_version: Val<String>,
    /// Kind, e.g. `Deployment`.
    #[tf(computed)]
    pub kind: Val<String>,
    /// Namespace; empty for cluster-scoped objects.
    #[tf(computed)]
    pub namespace: Val<String>,
    /// Name.
    #[tf(computed)]
    pub name: Val<String>,
}

/// The proxy the agent reaches Harness through.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Proxy {
    /// HTTP proxy URL.
    #[tf(optional)]
    pub http: Val<String>,
    /// HTTPS proxy URL.
    #[tf(optional)]
    pub https: Val<String>,
    /// Proxy user name.
    #[tf(optional)]
    pub username: Val<String>,
    /// Proxy password (stored in state, marked sensitive).
    #[tf(optional, sensitive)]
    pub password: Val<String>,
    /// Skip TLS verification of the proxy. Defaults to `false`.
    #[tf(default = false)]
    pub skip_ssl_verify: Val<bool>,
}

/// How the provider installs the agent into its cluster.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Install {
    #[tf(flatten)]
    pub connection: KubeConnection,
    /// Create the agent's `namespace` when it is missing (Harness does not). A namespace the
    /// install created is deleted with the agent. Defaults to `true`.
    #[tf(default = true)]
    pub create_namespace: Val<bool>,
    /// Leave out Argo CD's CustomResourceDefinitions (they are installed already). Defaults
    /// to `false`. CRDs are never deleted by an update: deleting them deletes every Argo CD
    /// application in the cluster.
    #[tf(default = false)]
    pub skip_crds: Val<bool>,
    /// PEM CA bundle the agent trusts when it connects to Harness (a self-signed or
    /// intercepting proxy's CA).
    #[tf(optional)]
    pub ca_data: Val<String>,
    /// The proxy the agent reaches Harness through.
    #[tf(optional, nested)]
    pub proxy: Val<Proxy>,
    /// Wait, within `timeouts`, until Harness reports the agent connected and every component
    /// healthy; fail fast naming the component or pod that is not. Defaults to `true`.
    #[tf(default = true)]
    pub wait: Val<bool>,
    /// Install a newer agent version when Harness reports one (`upgrade_available`): the next
    /// plan shows the installation changing. Defaults to `false` (the installed version
    /// stays until you opt in).
    #[tf(default = false)]
    pub upgrade: Val<bool>,
    /// The agent version the install applied.
    #[tf(computed)]
    pub version: Val<String>,
    /// The objects the install applied, as found at the last refresh: one deleted outside
    /// Terraform shows as a change and is applied again. Destroy removes them (and nothing
    /// else) before deleting the agent in Harness.
    #[tf(computed, nested)]
    pub objects: Val<Set<InstalledObject>>,
}

/// What Harness reports of one of the agent's components.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ComponentHealth {
    /// `HEALTHY` or `UNHEALTHY`.
    #[tf(computed)]
    pub status: Val<String>,
    /// Why it is unhealthy.
    #[tf(computed)]
    pub message: Val<String>,
}

/// A Harness GitOps agent: the Argo CD based process in a Kubernetes cluster that applies
/// GitOps applications there. Other GitOps resources take its `prefixed_identifier` as
/// `agent_id`. With `install`, the provider also installs it into its cluster, waits until it
/// is connected and healthy, and removes what it installed on destroy.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GitopsAgent {
    /// Import ID: `identifier`, `org_id/identifier` or `org_id/project_id/identifier`. Known
    /// once the agent exists (unlike `prefixed_identifier`): reference it from what must wait
    /// for the agent's creation, such as `harness_gitops_agent_credentials`.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// Harness identifier of the agent, unique within its scope. Changing it replaces the
    /// agent.
    #[tf(required, requires_replace, validate = common::identifier)]
    pub identifier: Val<String>,
    /// Organization identifier; unset (with no provider default) for an account-level agent.
    /// Defaults to the provider's `org_id`. Changing it replaces the agent.
    #[tf(optional_computed, requires_replace)]
    pub org_id: Val<String>,
    /// Project identifier; requires `org_id`. Defaults to the provider's `project_id`.
    /// Changing it replaces the agent.
    #[tf(optional_computed, requires_replace)]
    pub project_id: Val<String>,
    /// Display name. Harness does not rename agents: changing it replaces the agent.
    #[tf(required, requires_replace)]
    pub name: Val<String>,
    /// Description.
    #[tf(optional)]
    pub description: Val<String>,
    /// Tags (key to value).
    #[tf(optional)]
    pub tags: Val<BTreeMap<String, String>>,
    /// `MANAGED_ARGO_PROVIDER` (Harness installs its own Argo CD), `CONNECTED_ARGO_PROVIDER`
    /// (an Argo CD already in the cluster) or `HOSTED_ARGO_PROVIDER` (run by Harness; cannot
    /// be installed).
    #[tf(
        required,
        one_of(
            "MANAGED_ARGO_PROVIDER",
            "CONNECTED_ARGO_PROVIDER",
            "HOSTED_ARGO_PROVIDER"
        )
    )]
    pub r#type: Val<String>,
    /// The GitOps operator: `ARGO` (default) or `FLAMINGO` (Flux). Changing it replaces the
    /// agent (Harness does not update it).
    #[tf(default = "ARGO", one_of("ARGO", "FLAMINGO"), requires_replace)]
    pub operator: Val<String>,
    /// Kubernetes namespace the agent runs in (Harness's `metadata.namespace`). Changing it
    /// replaces the agent.
    #[tf(required, requires_replace, validate = common::dns_label)]
    pub namespace: Val<String>,
    /// Run the agent highly available (2 replicas, Redis HA). Defaults to `false`.
    #[tf(default = false)]
    pub high_availability: Val<bool>,
    /// Install the agent with namespace-scoped permissions only (no ClusterRole). Defaults
    /// to `false`. Changing it replaces the agent.
    #[tf(default = false, requires_replace)]
    pub namespaced: Val<bool>,
    /// Any value; changing it regenerates the agent's credentials (the old token stops
    /// working) and, with `install`, applies the new token to the cluster. E.g. a
    /// `time_rotating` ID.
    #[tf(optional)]
    pub credentials_version: Val<String>,
    /// Put the agent's token in `agent_token` (in state, marked sensitive). Defaults to
    /// `false`: the token never reaches plan or state. The ephemeral resource
    /// `harness_gitops_agent_credentials` hands it to other providers without storing it.
    #[tf(default = false)]
    pub export_token: Val<bool>,
    /// The agent's token (private key), only when `export_token` is `true`.
    #[tf(computed, sensitive)]
    pub agent_token: Val<String>,
    /// The identifier other GitOps resources take as `agent_id`: `account.<id>`, `org.<id>`
    /// or `<id>` for an account, org or project agent. Known at plan time.
    #[tf(computed)]
    pub prefixed_identifier: Val<String>,
    /// Install the agent into its cluster: connect, create the namespace, fetch the agent's
    /// manifest from Harness with the agent's own token, server-side apply every object
    /// (conflicts with other field managers are reported, never forced) and wait until the
    /// agent is connected and healthy. Unset: install it yourself (see the
    /// `harness_gitops_agent_deploy_yaml` data source).
    #[tf(optional, nested)]
    pub install: Val<Install>,
    /// `CONNECTED` or `DISCONNECTED`, as Harness last saw the agent (`CONNECTED_STATUS_UNSET`
    /// before its first heartbeat).
    #[tf(computed)]
    pub connection_status: Val<String>,
    /// When Harness last heard from the agent (RFC 3339).
    #[tf(computed)]
    pub last_heartbeat: Val<String>,
    /// Health of each component the agent reports: `gitops_agent`, `repo_server`,
    /// `app_controller`, `redis` and `appset_controller`.
    #[tf(computed, nested)]
    pub health: Val<BTreeMap<String, ComponentHealth>>,
    /// The agent version Harness reports, e.g. `0.101.0`.
    #[tf(computed)]
    pub version: Val<String>,
    /// Whether Harness has a newer agent version (see `install.upgrade`).
    #[tf(computed)]
    pub upgrade_available: Val<bool>,
    /// When the agent was created (RFC 3339).
    #[tf(computed, keep_prior)]
    pub created_at: Val<String>,
    /// How long create, update and delete may take, e.g. `create = "10m"` (installing and
    /// waiting for the agent included).
    #[tf(block)]
    pub timeouts: Val<Timeouts>,
}

/// Harness's component names and ours.
/// How one component's health is read from the agent's health.
type ComponentOf = fn(&harness::models::AgentHealth) -> Option<&AgentComponentHealth>;

const COMPONENTS: [(&str, ComponentOf); 5] = [
    ("gitops_agent", |h| h.harness_gitops_agent.as_ref()),
    ("repo_server", |h| h.argo_repo_server.as_ref()),
    ("app_controller", |h| h.argo_app_controller.as_ref()),
    ("redis", |h| h.argo_redis_server.as_ref()),
    ("appset_controller", |h| h.argo_app_set_controller.as_ref()),
];

fn api_scope(m: &GitopsAgent) -> AgentScope {
    scope_of(&m.org_id, &m.project_id)
}

/// The API scope of an agent's `org_id` and `project_id` (empty or null: not set).
pub fn scope_of(org: &Val<String>, project: &Val<String>) -> AgentScope {
    AgentScope {
        org: org.non_empty().map(str::to_string),
        project: project.non_empty().map(str::to_string),
    }
}

/// The scope an agent lookup (data sources, the ephemeral credentials) names: unset
/// `org_id`/`project_id` take the provider's defaults; `None`, with an error, while either is
/// unknown.
pub fn lookup_scope(
    org: &mut Val<String>,
    project: &mut Val<String>,
    defaults: &crate::provider::Defaults,
    diags: &mut Diagnostics,
) -> Option<AgentScope> {
    if org.is_null() {
        *org = defaults.org_id.clone();
    }
    if project.is_null() {
        *project = defaults.project_id.clone();
    }
    if org.is_unknown() || project.is_unknown() {
        diags.error(
            "Agent Scope Not Known",
            "The agent's `org_id` or `project_id` (or the provider default) is not known in this run.",
        );
        return None;
    }
    Some(scope_of(org, project))
}

/// An agent's id (`identifier`, `org_id/identifier` or `org_id/project_id/identifier`) as
/// org, project and identifier; `None` for anything else (a blank part included).
pub fn parse_agent_id(id: &str) -> Option<(Val<String>, Val<String>, Val<String>)> {
    let parts: Vec<&str> = id.split('/').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return None;
    }
    let s = |x: &str| Val::Known(x.to_string());
    match parts.as_slice() {
        [i] => Some((Val::Null, Val::Null, s(i))),
        [o, i] => Some((s(o), Val::Null, s(i))),
        [o, p, i] => Some((s(o), s(p), s(i))),
        _ => None,
    }
}

/// The id [`parse_agent_id`] reads, for an agent in `org`/`project` (empty: not set).
pub fn agent_id_of(org: Option<&str>, project: Option<&str>, identifier: &str) -> String {
    match (org, project) {
        (Some(o), Some(p)) => format!("{o}/{p}/{identifier}"),
        (Some(o), None) => format!("{o}/{identifier}"),
        _ => identifier.to_string(),
    }
}

/// `account.<id>`, `org.<id>` or `<id>`; unknown while the scope or identifier is.
fn prefixed(m: &GitopsAgent) -> Val<String> {
    if m.identifier.is_unknown() || m.org_id.is_unknown() || m.project_id.is_unknown() {
        return Val::Unknown;
    }
    let Some(id) = m.identifier.as_deref() else {
        return Val::Unknown;
    };
    Val::Known(if m.project_id.non_empty().is_some() {
        id.to_string()
    } else if m.org_id.non_empty().is_some() {
        format!("org.{id}")
    } else {
        format!("account.{id}")
    })
}

/// The import ID for the agent's scope.
fn import_id(m: &GitopsAgent) -> Val<String> {
    if m.identifier.is_unknown() || m.org_id.is_unknown() || m.project_id.is_unknown() {
        return Val::Unknown;
    }
    let Some(id) = m.identifier.as_deref() else {
        return Val::Unknown;
    };
    Val::Known(agent_id_of(
        m.org_id.non_empty(),
        m.project_id.non_empty(),
        id,
    ))
}

/// Checks across attributes.
fn validate_config(c: &GitopsAgent, diags: &mut Diagnostics) {
    if c.project_id.non_empty().is_some() && c.org_id.as_deref() == Some("") {
        diags.error_at(
            AttributePath::attr(GitopsAgent::ORG_ID),
            "Project Without Organization",
            "A project-level agent needs `org_id`.",
        );
    }
    if let Some(i) = c.install.known() {
        i.connection
            .validate(&AttributePath::attr(GitopsAgent::INSTALL), diags);
    }
    if c.install.known().is_some() && c.r#type.as_deref() == Some("HOSTED_ARGO_PROVIDER") {
        diags.error_at(
            AttributePath::attr(GitopsAgent::INSTALL),
            "Hosted Agents Are Not Installed",
            "A `HOSTED_ARGO_PROVIDER` agent runs in Harness's infrastructure; remove `install`.",
        );
    }
    if c.install.known().is_some() && c.operator.as_deref() == Some("FLAMINGO") {
        diags.error_at(
            AttributePath::attr(GitopsAgent::INSTALL),
            "Flux Agents Are Not Installed",
            "The install applies Argo CD based agents; remove `install` or use `operator = \"ARGO\"`.",
        );
    }
}

/// The resource.
pub struct GitopsAgentResource;

#[async_trait]
impl ModelResource<ProviderData> for GitopsAgentResource {
    type Model = GitopsAgent;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn default_timeout(&self, op: Operation) -> Duration {
        match op {
            Operation::Read => Duration::from_secs(2 * 60),
            _ => Duration::from_secs(10 * 60),
        }
    }

    fn validate(&self, config: &GitopsAgent, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, GitopsAgent, ProviderData>,
        planned: &mut GitopsAgent,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        let config = req.config;
        if let Some(d) = req.provider.map(|p| &p.defaults) {
            if config.org_id.is_null() {
                planned.org_id = d.org_id.clone();
            }
            if config.project_id.is_null() {
                planned.project_id = d.project_id.clone();
            }
        }
        if planned.project_id.non_empty().is_some()
            && planned.org_id.non_empty().is_none()
            && planned.org_id.is_known()
        {
            diags.error_at(
                AttributePath::attr(GitopsAgent::PROJECT_ID),
                "Project Without Organization",
                "A project-level agent needs `org_id` (here or in the provider).",
            );
        }
        planned.prefixed_identifier = prefixed(planned);
        // `id` stays unknown until the agent exists: what references it (the ephemeral
        // credentials, a data source) waits for the create.
        let rotate = req
            .prior
            .is_some_and(|p| p.credentials_version != planned.credentials_version);
        planned.agent_token = match planned.export_token.known() {
            Some(true) => match req.prior {
                Some(p) if !rotate && p.agent_token.is_known() => p.agent_token.clone(),
                _ => Val::Unknown,
            },
            Some(false) => Val::Null,
            None => Val::Unknown,
        };
        plan_install(req, planned, rotate);
        // Any update reads the agent again: what it reports live is known after apply.
        if let Some(prior) = req.prior {
            if planned != prior {
                planned.connection_status = Val::Unknown;
                planned.last_heartbeat = Val::Unknown;
                planned.health = Val::Unknown;
                planned.version = Val::Unknown;
                planned.upgrade_available = Val::Unknown;
            }
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &GitopsAgent,
        _config: &GitopsAgent,
        diags: &mut Diagnostics,
    ) -> Option<GitopsAgent> {
        let client = &common::client(ctx, "`timeouts.create`", diags)?;
        let created = match client.agents().create(&to_api(planned)).await {
            Ok(a) => a,
            Err(e) => {
                let id = planned.id.known().cloned();
                common::create_error(diags, "Unable to Create GitOps Agent", &e, "agent", id);
                return common::failed_create_state(&e, planned, "agent", diags);
            }
        };
        let token = created
            .credentials
            .as_ref()
            .and_then(|c| c.private_key.clone())
            .filter(|k| !k.is_empty());
        let mut state = from_api(&created, planned);
        state.agent_token = token_state(planned, token.as_ref());
        if let Val::Known(i) = &mut state.install {
            i.objects = Val::Known(Set(Vec::new()));
            i.version = Val::Null;
        }
        if planned.install.is_known() {
            install_and_wait(
                ctx,
                client,
                planned,
                &mut state,
                token,
                &[],
                "created",
                diags,
            )
            .await;
        }
        Some(state)
    }

    async fn read(
        &self,
        ctx: &Ctx,
        current: &GitopsAgent,
        diags: &mut Diagnostics,
    ) -> Option<GitopsAgent> {
        let client = &common::client(ctx, "`timeouts.read`", diags)?;
        let identifier = current.identifier.as_deref().unwrap_or_default();
        let agent = match client
            .agents()
            .get_opt(&api_scope(current), identifier, false)
            .await
        {
            Ok(Some(a)) => a,
            Ok(None) => return None,
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Agent", &e);
                return None;
            }
        };
        let mut state = from_api(&agent, current);
        refresh_installed(ctx, current, &mut state, diags).await;
        Some(state)
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: &GitopsAgent,
        planned: &GitopsAgent,
        _config: &GitopsAgent,
        diags: &mut Diagnostics,
    ) -> Option<GitopsAgent> {
        let client = &common::client(ctx, "`timeouts.update`", diags)?;
        let identifier = planned.identifier.as_deref().unwrap_or_default();
        let scope = api_scope(planned);
        let remote_changed = prior.description != planned.description
            || prior.tags != planned.tags
            || prior.r#type != planned.r#type
            || prior.high_availability != planned.high_availability;
        let mut agent = if remote_changed {
            match client.agents().update(&to_api(planned)).await {
                Ok(a) => a,
                Err(e) => {
                    api_error(diags, "Unable to Update GitOps Agent", &e);
                    return None;
                }
            }
        } else {
            match client.agents().get(&scope, identifier, false).await {
                Ok(a) => a,
                Err(e) => {
                    api_error(diags, "Unable to Read GitOps Agent", &e);
                    return None;
                }
            }
        };
        let mut token = None;
        if prior.credentials_version != planned.credentials_version {
            match client
                .agents()
                .regenerate_credentials(&scope, identifier)
                .await
            {
                Ok(a) => {
                    token = a
                        .credentials
                        .as_ref()
                        .and_then(|c| c.private_key.clone())
                        .filter(|k| !k.is_empty());
                    agent = a;
                }
                Err(e) => {
                    api_error(diags, "Unable to Regenerate GitOps Agent Credentials", &e);
                    return None;
                }
            }
        }
        let mut state = from_api(&agent, planned);
        state.install = prior_install_record(prior, planned);
        state.agent_token = match (&token, planned.export_token.unwrap_or(false)) {
            (_, false) => Val::Null,
            (Some(t), true) => Val::Known(t.expose().to_string()),
            (None, true) => prior.agent_token.clone(),
        };
        let before = installed_of(prior);
        let reinstall = planned.install.is_known()
            && (token.is_some()
                || planned
                    .install
                    .as_ref()
                    .known()
                    .is_some_and(|i| !i.objects.is_known() || !i.version.is_known())
                || planned.install.as_ref().known().map(|i| &i.objects)
                    != prior.install.as_ref().known().map(|i| &i.objects));
        if planned.install.is_known() && reinstall {
            install_and_wait(
                ctx, client, planned, &mut state, token, &before, "updated", diags,
            )
            .await;
        } else if planned.install.is_null() && !before.is_empty() {
            // `install` removed: uninstall what it applied.
            if let Err(e) = uninstall(ctx, prior, &before).await {
                diags.error_at(
                    AttributePath::attr(GitopsAgent::INSTALL),
                    "Unable to Remove the Agent's Installation",
                    format!("{e}\n\nThe agent is kept with its installation recorded; fix the connection and apply again."),
                );
                state.install = prior.install.clone();
                return Some(state);
            }
            ctx.private_set::<Vec<Installed>>(PRIVATE_INSTALLED, None);
        } else if planned.install.is_known()
            && planned
                .install
                .as_ref()
                .known()
                .is_some_and(|i| i.wait.unwrap_or(true))
        {
            wait_healthy(ctx, client, planned, &mut state, None, None, diags).await;
        }
        if state.agent_token.is_unknown() {
            state.agent_token = Val::Null;
        }
        Some(state)
    }

    async fn delete(&self, ctx: &Ctx, prior: &GitopsAgent, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "`timeouts.delete`", diags) else {
            return;
        };
        let installed = installed_of(prior);
        if !installed.is_empty() {
            if let Err(e) = uninstall(ctx, prior, &installed).await {
                diags.error_at(
                    AttributePath::attr(GitopsAgent::INSTALL),
                    "Unable to Remove the Agent's Installation",
                    format!(
                        "{e}\n\nNothing was deleted in Harness; the agent stays in state. Fix the Kubernetes connection \
                         (or remove `install` and apply, to leave the installed objects alone) and destroy again."
                    ),
                );
                return;
            }
        }
        let identifier = prior.identifier.as_deref().unwrap_or_default();
        if let Err(e) = client.agents().delete(&api_scope(prior), identifier).await {
            api_error(diags, "Unable to Delete GitOps Agent", &e);
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<GitopsAgent> {
        let stub = stub_of_import(id, diags)?;
        let state = self.read(ctx, &stub, diags).await;
        if state.is_none() && !diags.has_errors() {
            diags.error(
                "Cannot Import Non-Existent Agent",
                format!("No GitOps agent {id:?} exists (or the API key cannot see it)."),
            );
        }
        state.map(|mut s| {
            s.operator = s.operator.or(Val::Known("ARGO".into()));
            s.export_token = Val::Known(false);
            s.agent_token = Val::Null;
            s
        })
    }
}

/// The model an import ID names: `identifier`, `org_id/identifier` or
/// `org_id/project_id/identifier`.
fn stub_of_import(id: &str, diags: &mut Diagnostics) -> Option<GitopsAgent> {
    let Some((org_id, project_id, identifier)) = parse_agent_id(id) else {
        diags.error(
            "Invalid Import ID",
            format!(
                "{id:?} is not an agent import ID: use `identifier`, `org_id/identifier` or `org_id/project_id/identifier`."
            ),
        );
        return None;
    };
    Some(GitopsAgent {
        identifier,
        org_id,
        project_id,
        ..Default::default()
    })
}

/// The agent token state for `planned` given the token the apply holds.
fn token_state(planned: &GitopsAgent, token: Option<&Secret>) -> Val<String> {
    match (planned.export_token.unwrap_or(false), token) {
        (true, Some(t)) => Val::Known(t.expose().to_string()),
        _ => Val::Null,
    }
}

/// The install part of the plan: what is applied (again), what stays.
fn plan_install(
    req: &TypedPlan<'_, GitopsAgent, ProviderData>,
    planned: &mut GitopsAgent,
    rotate: bool,
) {
    let prior_install = req.prior.and_then(|p| p.install.known());
    let changed_outside = req.prior.is_some_and(|p| {
        p.high_availability != planned.high_availability || p.r#type != planned.r#type
    });
    let upgrade = req
        .prior
        .is_some_and(|p| p.upgrade_available.known() == Some(&true));
    let expected: Option<Vec<Installed>> = req.private_get(PRIVATE_INSTALLED);
    let Val::Known(install) = &mut planned.install else {
        return;
    };
    let Some(prior) = prior_install else {
        install.objects = Val::Unknown;
        install.version = Val::Unknown;
        return;
    };
    let same_inputs = {
        let strip = |i: &Install| Install {
            objects: Val::Null,
            version: Val::Null,
            ..i.clone()
        };
        strip(prior) == strip(install)
    };
    if !same_inputs || rotate || changed_outside || (upgrade && install.upgrade.unwrap_or(false)) {
        install.objects = Val::Unknown;
        install.version = Val::Unknown;
        return;
    }
    install.version = prior.version.clone();
    // A refresh found objects missing: plan them back.
    install.objects = match expected {
        Some(all) if Val::Known(objects_of(&all)) != prior.objects => Val::Known(objects_of(&all)),
        _ => prior.objects.clone(),
    };
}

/// What the prior state records as installed (from private state when the install applied
/// more than the last refresh found).
fn installed_of(m: &GitopsAgent) -> Vec<Installed> {
    let Some(i) = m.install.known() else {
        return Vec::new();
    };
    let Some(Set(objs)) = i.objects.known() else {
        return Vec::new();
    };
    objs.iter().filter_map(installed_from_object).collect()
}

fn objects_of(all: &[Installed]) -> Set<InstalledObject> {
    Set(all
        .iter()
        .map(|o| InstalledObject {
            api_version: Val::Known(o.api_version.clone()),
            kind: Val::Known(o.kind.clone()),
            namespace: Val::Known(o.namespace.clone().unwrap_or_default()),
            name: Val::Known(o.name.clone()),
        })
        .collect())
}

fn installed_from_object(o: &InstalledObject) -> Option<Installed> {
    Some(Installed {
        api_version: o.api_version.known()?.clone(),
        kind: o.kind.known()?.clone(),
        namespace: o.namespace.non_empty().map(str::to_string),
        name: o.name.known()?.clone(),
    })
}

/// The prior install record carried into an update's state before it installs again.
fn prior_install_record(prior: &GitopsAgent, planned: &GitopsAgent) -> Val<Install> {
    match (&planned.install, prior.install.known()) {
        (Val::Known(p), Some(before)) => {
            let mut i = p.clone();
            i.objects = before.objects.clone();
            i.version = before.version.clone();
            Val::Known(i)
        }
        (Val::Known(p), None) => {
            let mut i = p.clone();
            i.objects = Val::Known(Set(Vec::new()));
            i.version = Val::Null;
            Val::Known(i)
        }
        (other, _) => other.clone(),
    }
}

/// Installs (or installs again) and, when asked, waits. Failures are errors on the state
/// (which keeps what was applied, so nothing is lost and destroy can remove it).
#[allow(clippy::too_many_arguments)]
async fn install_and_wait(
    ctx: &Ctx,
    client: &harness::Client,
    planned: &GitopsAgent,
    state: &mut GitopsAgent,
    token: Option<Secret>,
    before: &[Installed],
    what: &str,
    diags: &mut Diagnostics,
) {
    let at = AttributePath::attr(GitopsAgent::INSTALL);
    let Some(install) = planned.install.known() else {
        return;
    };
    let kept = format!(
        "The agent was {what} in Harness and is kept in state{}, with the objects applied so far; fix the cause and apply \
         again (or destroy, which removes what was applied).",
        if what == "created" { " (marked tainted)" } else { "" }
    );
    let Some(target) = install.connection.target(ctx, at.clone(), diags) else {
        return;
    };
    let conn = match kube_connection::open(ctx, &target).await {
        Ok(c) => c,
        Err(e) => {
            diags.error_at(
                at,
                "Unable to Install the GitOps Agent",
                format!("{e}\n\n{kept}"),
            );
            return;
        }
    };
    let token = match token {
        Some(t) => Some(t),
        None => match current_token(ctx, client, planned, &conn).await {
            Ok(t) => Some(t),
            Err(e) => {
                diags.error_at(
                    at,
                    "Unable to Install the GitOps Agent",
                    format!("{e}\n\n{kept}"),
                );
                return;
            }
        },
    };
    if planned.export_token.unwrap_or(false) {
        state.agent_token = token_state(planned, token.as_ref());
    }
    let mut applied: Vec<Installed> = Vec::new();
    let result = apply_install(
        ctx,
        client,
        planned,
        install,
        &conn,
        token,
        before,
        &mut applied,
    )
    .await;
    // Whatever was applied is recorded, even when a later step failed.
    let mut all: Vec<Installed> = applied.clone();
    if result.is_err() {
        for o in before {
            if !all.contains(o) {
                all.push(o.clone());
            }
        }
    }
    ctx.private_set(PRIVATE_INSTALLED, Some(&all));
    if let Val::Known(i) = &mut state.install {
        i.objects = Val::Known(objects_of(&all));
    }
    match result {
        Ok(version) => {
            if let Val::Known(i) = &mut state.install {
                i.version = Val::from_option(version);
            }
        }
        Err(e) => {
            if let Val::Known(i) = &mut state.install {
                if i.version.is_unknown() {
                    i.version = Val::Null;
                }
            }
            diags.error_at(
                at,
                "Unable to Install the GitOps Agent",
                format!("{e}\n\n{kept}"),
            );
            return;
        }
    }
    if install.wait.unwrap_or(true) {
        let expected = state
            .install
            .known()
            .and_then(|i| i.version.known().cloned());
        wait_healthy(
            ctx,
            client,
            planned,
            state,
            Some(&conn),
            expected.as_deref(),
            diags,
        )
        .await;
    }
}

/// The token of a running agent: Harness's (`withCredentials`), else the installed Secret.
/// Never a new one: fetching the manifest without the token would lock the running agent out.
async fn current_token(
    ctx: &Ctx,
    client: &harness::Client,
    m: &GitopsAgent,
    conn: &Connection,
) -> Result<Secret, String> {
    let identifier = m.identifier.as_deref().unwrap_or_default();
    match client.agents().get(&api_scope(m), identifier, true).await {
        Ok(a) => {
            if let Some(k) = a
                .credentials
                .and_then(|c| c.private_key)
                .filter(|k| !k.is_empty())
            {
                return Ok(k);
            }
        }
        Err(e) => return Err(format!("reading the agent's credentials: {e}")),
    }
    let ns = m.namespace.as_deref().unwrap_or_default();
    match ctx.run(kagent::installed_token(conn, ns)).await {
        Ok(Ok(Some(t))) => Ok(t),
        Ok(Ok(None)) => Err(format!(
            "Harness did not return the agent's token and no Secret \"gitops-agent\" holds it in namespace {ns:?}. \
             Change `credentials_version` to issue a new token (the running agent, if any, then gets it from this install)."
        )),
        Ok(Err(e)) => Err(e.to_string()),
        Err(i) => Err(format!("reading the installed token was interrupted: {i}")),
    }
}

/// Fetches the manifest with the agent's token and applies it; objects the new manifest no
/// longer has are removed (CustomResourceDefinitions excepted). Returns the agent version
/// the manifest installs.
#[allow(clippy::too_many_arguments)]
async fn apply_install(
    ctx: &Ctx,
    client: &harness::Client,
    m: &GitopsAgent,
    install: &Install,
    conn: &Connection,
    token: Option<Secret>,
    before: &[Installed],
    applied: &mut Vec<Installed>,
) -> Result<Option<String>, String> {
    let ns = m.namespace.as_deref().unwrap_or_default();
    let identifier = m.identifier.as_deref().unwrap_or_default();
    let installer = Installer::new(conn, ctx.stop.clone(), ctx.deadline);
    if install.create_namespace.unwrap_or(true) {
        match installer.ensure_namespace(ns).await {
            Ok(true) => applied.push(Installed::namespace(ns)),
            Ok(false) => {
                // It existed already; keep it recorded when an earlier install made it.
                if let Some(o) = before
                    .iter()
                    .find(|o| o.kind == "Namespace" && o.name == ns)
                {
                    applied.push(o.clone());
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let proxy = install.proxy.known().map(|p| AgentProxy {
        http: p.http.known().cloned(),
        https: p.https.known().cloned(),
        username: p.username.known().cloned(),
        password: p.password.known().map(|s| Secret::new(s.clone())),
        skip_ssl_verify: p.skip_ssl_verify.known().copied(),
    });
    let query = AgentYamlQuery {
        namespace: Some(ns.to_string()),
        skip_crds: install.skip_crds.known().copied(),
        ca_data: install.ca_data.non_empty().map(str::to_string),
        private_key: token,
        proxy,
        ..Default::default()
    };
    let yaml = client
        .agents()
        .deploy_yaml(&api_scope(m), identifier, &query)
        .await
        .map_err(|e| format!("fetching the agent's manifest: {e}"))?;
    let manifest = Manifest::parse(yaml.expose())
        .map_err(|e| format!("the agent's manifest from Harness: {e}"))?;
    let version = kagent::manifest_version(yaml.expose());
    installer
        .apply_into(&manifest, ns, applied)
        .await
        .map_err(|e| e.to_string())?;
    let stale: Vec<Installed> = before
        .iter()
        .filter(|o| !applied.contains(o) && o.kind != "CustomResourceDefinition")
        .cloned()
        .collect();
    if !stale.is_empty() {
        if let Err(e) = installer.remove(&stale).await {
            applied.extend(stale);
            return Err(format!(
                "removing objects the new manifest no longer has: {e}"
            ));
        }
    }
    Ok(version)
}

/// Removes what the install applied (reverse dependency order, waiting until gone).
async fn uninstall(ctx: &Ctx, prior: &GitopsAgent, objects: &[Installed]) -> Result<(), String> {
    let at = AttributePath::attr(GitopsAgent::INSTALL);
    let mut d = Diagnostics::default();
    let install = prior.install.known().cloned().unwrap_or_default();
    let Some(target) = install.connection.target(ctx, at, &mut d) else {
        return Err("the Kubernetes connection is not known in this run".into());
    };
    let conn = kube_connection::open(ctx, &target)
        .await
        .map_err(|e| e.to_string())?;
    Installer::new(&conn, ctx.stop.clone(), ctx.deadline)
        .remove(objects)
        .await
        .map_err(|e| e.to_string())
}

/// Refresh: which installed objects still exist. An unreachable cluster keeps the record
/// (with a warning): a refresh must not forget what destroy has to remove.
async fn refresh_installed(
    ctx: &Ctx,
    current: &GitopsAgent,
    state: &mut GitopsAgent,
    diags: &mut Diagnostics,
) {
    let recorded = installed_of(current);
    if recorded.is_empty() {
        return;
    }
    let Some(install) = current.install.known() else {
        return;
    };
    let warn = |diags: &mut Diagnostics, e: &dyn std::fmt::Display| {
        diags.warning_at(
            AttributePath::attr(GitopsAgent::INSTALL),
            "Installed Objects Not Checked",
            format!("{e}\n\nThe installed objects recorded in state are kept as they were."),
        );
    };
    let mut d = Diagnostics::default();
    let Some(target) =
        install
            .connection
            .target(ctx, AttributePath::attr(GitopsAgent::INSTALL), &mut d)
    else {
        return;
    };
    let conn = match kube_connection::open(ctx, &target).await {
        Ok(c) => c,
        Err(e) => return warn(diags, &e),
    };
    match Installer::new(&conn, ctx.stop.clone(), ctx.deadline)
        .present(&recorded)
        .await
    {
        Ok(present) => {
            if let Val::Known(i) = &mut state.install {
                i.objects = Val::Known(objects_of(&present));
            }
        }
        Err(e) => warn(diags, &e),
    }
}

/// Waits until Harness reports the agent connected and every component healthy (and, after
/// an install, running the version it installed: an upgrade is done when the new agent
/// reports in). Fails fast when the agent's pod crash-loops (its last message says why, e.g.
/// a bad token) or a component stays unhealthy after [`COMPONENT_GRACE`]. The last state
/// seen is recorded.
async fn wait_healthy(
    ctx: &Ctx,
    client: &harness::Client,
    m: &GitopsAgent,
    state: &mut GitopsAgent,
    conn: Option<&Connection>,
    expected_version: Option<&str>,
    diags: &mut Diagnostics,
) {
    let identifier = m.identifier.as_deref().unwrap_or_default();
    let scope = api_scope(m);
    let ns = m.namespace.as_deref().unwrap_or_default().to_string();
    let connected_since: std::sync::Mutex<Option<tokio::time::Instant>> =
        std::sync::Mutex::new(None);
    let backoff = Backoff {
        initial: Duration::from_millis(250),
        max: Duration::from_secs(3),
        factor: 1.6,
    };
    let waited = ctx
        .wait_for(backoff, || {
            let scope = scope.clone();
            let ns = ns.clone();
            let since = &connected_since;
            async move {
                let a = client.agents().get(&scope, identifier, false).await?;
                let h = a.health.clone().unwrap_or_default();
                let connected = h.connection_status.as_deref() == Some("CONNECTED");
                if !connected {
                    *since.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    if let Some(conn) = conn {
                        if let Ok(Some(why)) = kagent::agent_pod_failure(conn, &ns).await {
                            return Ok(Poll::Failed(a, why));
                        }
                    }
                    return Ok(Poll::Pending(a));
                }
                let first_unhealthy = COMPONENTS.iter().find_map(|(name, get)| {
                    get(&h)
                        .filter(|c| c.status.as_deref() != Some("HEALTHY"))
                        .map(|c| {
                            format!(
                                "component {name} is {}: {}",
                                c.status.as_deref().unwrap_or("not reported"),
                                c.message
                                    .as_deref()
                                    .filter(|m| !m.is_empty())
                                    .unwrap_or("no message")
                            )
                        })
                });
                let reported = reported_version(&a);
                if let Some(want) = expected_version {
                    if reported.as_deref() != Some(want) {
                        return Ok(Poll::Pending(a));
                    }
                }
                match first_unhealthy {
                    None => Ok(Poll::Ready(a)),
                    Some(why) => {
                        let t0 = *since
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_or_insert_with(tokio::time::Instant::now);
                        if t0.elapsed() >= COMPONENT_GRACE {
                            Ok(Poll::Failed(a, why))
                        } else {
                            Ok(Poll::Pending(a))
                        }
                    }
                }
            }
        })
        .await;
    let fail = |diags: &mut Diagnostics, detail: String| {
        diags.error_at(
            AttributePath::attr(GitopsAgent::INSTALL),
            "GitOps Agent Not Healthy",
            format!(
                "{detail}\n\nThe agent and its installation are kept in state; fix the cause and apply again, or destroy."
            ),
        );
    };
    let last = match waited {
        Ok(a) => Some(a),
        Err(WaitError::Failed(a, why)) => {
            fail(
                diags,
                format!("The agent {identifier:?} is not healthy: {why}."),
            );
            Some(a)
        }
        Err(WaitError::Interrupted(a, i)) => {
            fail(
                diags,
                format!(
                    "Waiting for the agent {identifier:?} to connect was interrupted ({i}); Harness last reported it {}.",
                    a.as_ref()
                        .and_then(|a| a.health.as_ref())
                        .and_then(|h| h.connection_status.as_deref())
                        .unwrap_or("without a heartbeat")
                ),
            );
            a
        }
        Err(WaitError::Poll(a, e)) => {
            api_error(diags, "Unable to Read GitOps Agent", &e);
            a
        }
    };
    if let Some(a) = last {
        let fresh = from_api(&a, state);
        *state = fresh;
    }
}

/// The version the agent reports (`major.minor.patch`; `None` before its first heartbeat).
fn reported_version(a: &ApiAgent) -> Option<String> {
    let v = a.version.as_ref()?;
    let n = |x: &Option<harness::models::Int64>| x.map(|i| i.0);
    match (n(&v.major), n(&v.minor), n(&v.patch)) {
        (None, None, None) => None,
        (ma, mi, pa) => Some(format!(
            "{}.{}.{}",
            ma.unwrap_or(0),
            mi.unwrap_or(0),
            pa.unwrap_or(0)
        )),
    }
}

/// The agent to send: scope, names, type, operator, tags and metadata.
fn to_api(m: &GitopsAgent) -> ApiAgent {
    let s = |v: &Val<String>| v.known().cloned();
    ApiAgent {
        identifier: s(&m.identifier),
        org_identifier: m.org_id.non_empty().map(str::to_string),
        project_identifier: m.project_id.non_empty().map(str::to_string),
        name: s(&m.name),
        description: Some(m.description.known().cloned().unwrap_or_default()),
        r#type: s(&m.r#type),
        operator: s(&m.operator),
        tags: Some(m.tags.known().cloned().unwrap_or_default()),
        metadata: Some(AgentMetadata {
            namespace: s(&m.namespace),
            high_availability: Some(m.high_availability.unwrap_or(false)),
            is_namespaced: Some(m.namespaced.unwrap_or(false)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The state for an API answer: keys, flags and the install come from `prior`.
fn from_api(a: &ApiAgent, prior: &GitopsAgent) -> GitopsAgent {
    let mut s = prior.clone();
    s.identifier = api_str(a.identifier.as_deref(), &prior.identifier);
    s.org_id = api_str(a.org_identifier.as_deref(), &prior.org_id);
    s.project_id = api_str(a.project_identifier.as_deref(), &prior.project_id);
    s.name = api_str(a.name.as_deref(), &prior.name);
    s.description = api_str(a.description.as_deref(), &prior.description);
    s.tags = match a.tags.as_ref().filter(|t| !t.is_empty()) {
        Some(t) => Val::Known(t.clone()),
        None if prior.tags.known().is_some_and(BTreeMap::is_empty) => Val::Known(BTreeMap::new()),
        None => Val::Null,
    };
    s.r#type = api_str(a.r#type.as_deref(), &prior.r#type);
    if let Some(op) = a
        .operator
        .as_deref()
        .filter(|o| !o.is_empty() && *o != "UNKNOWN")
    {
        s.operator = Val::Known(op.to_string());
    } else if !s.operator.is_known() {
        s.operator = Val::Known("ARGO".into());
    }
    let meta = a.metadata.clone().unwrap_or_default();
    s.namespace = api_str(meta.namespace.as_deref(), &prior.namespace);
    s.high_availability = Val::Known(meta.high_availability.unwrap_or(false));
    s.namespaced = Val::Known(meta.is_namespaced.unwrap_or(false));
    if !s.export_token.is_known() {
        s.export_token = Val::Known(false);
    }
    if s.agent_token.is_unknown() {
        s.agent_token = Val::Null;
    }
    s.prefixed_identifier = match a.prefixed_identifier.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Val::Known(p.to_string()),
        None => prefixed(&s),
    };
    let h = a.health.clone().unwrap_or_default();
    s.connection_status = Val::Known(
        h.connection_status
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "CONNECTED_STATUS_UNSET".into()),
    );
    s.last_heartbeat = Val::from_option(h.last_heartbeat.clone().filter(|t| !t.is_empty()));
    s.health = Val::Known(
        COMPONENTS
            .iter()
            .filter_map(|(name, get)| {
                get(&h).map(|c| {
                    (
                        (*name).to_string(),
                        ComponentHealth {
                            status: Val::Known(
                                c.status
                                    .clone()
                                    .filter(|x| !x.is_empty())
                                    .unwrap_or_else(|| "HEALTH_STATUS_UNSET".into()),
                            ),
                            message: Val::Known(c.message.clone().unwrap_or_default()),
                        },
                    )
                })
            })
            .collect(),
    );
    s.version = Val::from_option(reported_version(a));
    s.upgrade_available = Val::Known(a.upgrade_available.unwrap_or(false));
    s.created_at = Val::from_option(
        a.created_at
            .as_ref()
            .and_then(|t| t.seconds)
            .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs.0).ok())
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
    )
    .or(prior.created_at.clone());
    if s.created_at.is_unknown() {
        s.created_at = Val::Null;
    }
    if let Val::Known(i) = &mut s.install {
        if i.objects.is_unknown() {
            i.objects = Val::Known(Set(Vec::new()));
        }
        if i.version.is_unknown() {
            i.version = Val::Null;
        }
    } else if s.install.is_unknown() {
        s.install = Val::Null;
    }
    s.id = import_id(&s);
    s
}

// ---- data source ------------------------------------------------------------------------

/// The data source `harness_gitops_agent`: an agent by scope and identifier.
pub struct GitopsAgentData;

fn data_schema() -> Schema {
    common::data_source_schema(
        &GitopsAgent::schema(),
        "Reads a Harness GitOps agent by scope and identifier: its prefixed identifier (the `agent_id` other resources \
         take), health and version. Its token is never exposed (see the ephemeral resource \
         `harness_gitops_agent_credentials`).",
        &[
            (GitopsAgent::IDENTIFIER, Constraint::Required),
            (GitopsAgent::ORG_ID, Constraint::OptionalComputed),
            (GitopsAgent::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &[
            GitopsAgent::INSTALL,
            GitopsAgent::CREDENTIALS_VERSION,
            GitopsAgent::EXPORT_TOKEN,
            GitopsAgent::AGENT_TOKEN,
        ],
    )
}

#[async_trait]
impl DataSource<ProviderData> for GitopsAgentData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        data_schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = &common::client(ctx, common::DATA_SOURCE_LIMIT, diags)?;
        let mut key = match GitopsAgent::from_object(config) {
            Ok(m) => m,
            Err(d) => {
                diags.0.push(d);
                return None;
            }
        };
        let scope = lookup_scope(
            &mut key.org_id,
            &mut key.project_id,
            &ctx.provider.defaults,
            diags,
        )?;
        let identifier = key.identifier.as_deref().unwrap_or_default().to_string();
        let agent = match client.agents().get_opt(&scope, &identifier, false).await {
            Ok(Some(a)) => a,
            Ok(None) => {
                diags.error_at(
                    AttributePath::attr(GitopsAgent::IDENTIFIER),
                    "GitOps Agent Not Found",
                    format!("No agent {identifier:?} exists in this scope."),
                );
                return None;
            }
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Agent", &e);
                return None;
            }
        };
        let state = from_api(&agent, &key);
        Some(common::data_source_value(&data_schema(), &state.to_value()))
    }
}

/// The registered resource.
pub fn resource() -> Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsAgentResource)
}

/// The registered data source.
pub fn data_source() -> Arc<dyn DataSource<ProviderData>> {
    Arc::new(GitopsAgentData)
}

#[cfg(test)]
mod tests;
