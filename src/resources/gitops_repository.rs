//! `harness_gitops_repository`: an Argo CD repository (Git, Helm or OCI) registered through
//! a Harness GitOps agent, and the data source of the same name.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → API mapping
//! (`to_api`, `from_api`) → data source → tests.

use async_trait::async_trait;
use harness_gitops_client as harness;
use harness_gitops_client::models::{
    gen_type, AwsSecretRef, EcrGenerator, GcrGenerator, GcrWorkloadIdentity, Int64,
    Repository as ApiRepository, RepositoryCreateRequest, RepositoryResponse,
    RepositoryUpdateRequest, ServiceAccountSelector,
};
use harness_gitops_client::DeleteOptions;
use tfplugin::resource::Resource;
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics};
use tfplugin::typed::{self, ModelResource, Secret, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, api_str, Scope};
use super::data_source::ScopedLookup;
use super::Ctx;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_repository";

/// A Kubernetes service account whose token is exchanged for cloud credentials.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ServiceAccountRef {
    /// Name of the service account.
    #[tf(required)]
    pub name: Val<String>,
    /// Namespace of the service account (the agent's when unset).
    #[tf(optional)]
    pub namespace: Val<String>,
    /// Audiences of the token.
    #[tf(optional)]
    pub audiences: Val<Vec<String>>,
}

/// Static AWS credentials of an ECR generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AwsSecret {
    /// AWS access key ID.
    #[tf(required)]
    pub aws_access_key_id: Val<String>,
    /// AWS secret access key.
    #[tf(required, sensitive)]
    pub aws_secret_access_key: Val<String>,
    /// AWS session token, for temporary credentials.
    #[tf(optional, sensitive)]
    pub aws_session_token: Val<String>,
}

/// The ECR token generator (`ecrGen`): the agent gets an ECR authorization token for the
/// repository and refreshes it every `refresh_interval`.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct EcrGen {
    /// AWS region of the registry, e.g. `us-east-1`; must match the repository URL's.
    #[tf(required)]
    pub region: Val<String>,
    /// Static AWS credentials (else `jwt_auth`, else the agent's own identity).
    #[tf(optional, nested)]
    pub secret_ref: Val<AwsSecret>,
    /// A service account whose token AWS exchanges for credentials (IRSA).
    #[tf(optional, nested)]
    pub jwt_auth: Val<ServiceAccountRef>,
    /// IAM role ARN to assume with those credentials.
    #[tf(optional)]
    pub role: Val<String>,
}

/// GKE workload identity of a GCR generator.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct WorkloadIdentity {
    /// The Kubernetes service account bound to a Google service account.
    #[tf(required, nested)]
    pub service_account_ref: Val<ServiceAccountRef>,
    /// Location (region or zone) of the GKE cluster.
    #[tf(required)]
    pub cluster_location: Val<String>,
    /// Name of the GKE cluster.
    #[tf(required)]
    pub cluster_name: Val<String>,
    /// Google Cloud project of the GKE cluster (the generator's `project_id` when unset).
    #[tf(optional)]
    pub cluster_project_id: Val<String>,
}

/// The GCR / Artifact Registry token generator (`gcrGen`).
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GcrGen {
    /// Google Cloud project of the registry.
    #[tf(required)]
    pub project_id: Val<String>,
    /// JSON key of a Google service account (else `workload_identity`).
    #[tf(optional, sensitive)]
    pub access_key: Val<String>,
    /// GKE workload identity instead of a key.
    #[tf(optional, nested)]
    pub workload_identity: Val<WorkloadIdentity>,
}

/// A Harness GitOps repository: a Git, Helm or OCI repository that an Argo CD agent managed
/// by Harness can deploy from. Credentials can be given as write-only attributes so they
/// never reach plan or state.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Repo {
    /// Import ID of the repository: `agent_id/identifier`, `org_id/agent_id/identifier` or
    /// `org_id/project_id/agent_id/identifier`, depending on its scope.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// Harness identifier of the repository, unique within its scope and agent. Changing it
    /// replaces the repository.
    #[tf(required, requires_replace, validate = common::identifier)]
    pub identifier: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// Repository URL: `https://…` or `ssh://…`/`git@host:org/repo.git` for Git, the chart
    /// repository URL for Helm, or the registry URL for OCI. Changing it replaces the
    /// repository.
    #[tf(required, requires_replace)]
    pub url: Val<String>,
    /// Repository type: `git` (default), `helm` or `oci`.
    #[tf(default = "git", one_of("git", "helm", "oci"))]
    pub r#type: Val<String>,
    /// Display name (Argo CD `name`); required by Argo CD for Helm repositories.
    #[tf(optional)]
    pub name: Val<String>,
    /// Argo CD project the repository belongs to. Needs a project-level repository
    /// (`project_id` set).
    #[tf(optional_computed, keep_prior)]
    pub argo_project: Val<String>,
    /// How Harness connects: `HTTPS`, `SSH`, `GITHUB` (GitHub App), `GITHUB_ENTERPRISE` or
    /// `HTTPS_ANONYMOUS`. When unset it is derived: `SSH` for SSH URLs, `GITHUB` when a
    /// GitHub App key is given, `HTTPS` when a password or TLS client certificate is given,
    /// `HTTPS_ANONYMOUS` otherwise (planned unknown while the credentials are).
    #[tf(
        optional_computed,
        one_of("HTTPS", "SSH", "GITHUB", "GITHUB_ENTERPRISE", "HTTPS_ANONYMOUS")
    )]
    pub connection_type: Val<String>,
    /// Username for HTTPS authentication.
    #[tf(optional)]
    pub username: Val<String>,
    /// HTTP(S) proxy URL used to reach the repository.
    #[tf(optional)]
    pub proxy: Val<String>,
    /// Comma-separated hosts that bypass `proxy`.
    #[tf(optional)]
    pub no_proxy: Val<String>,
    /// GitHub App ID (with `github_app_private_key`).
    #[tf(optional, validate = common::positive)]
    pub github_app_id: Val<i64>,
    /// GitHub App installation ID.
    #[tf(optional, validate = common::positive)]
    pub github_app_installation_id: Val<i64>,
    /// GitHub Enterprise API base URL, e.g. `https://ghe.example.com/api/v3` (connection
    /// type `GITHUB_ENTERPRISE`).
    #[tf(optional)]
    pub github_app_enterprise_base_url: Val<String>,
    /// Skip TLS verification of the repository server. Defaults to `false`.
    #[tf(default = false)]
    pub insecure: Val<bool>,
    /// Skip SSH host key verification. Defaults to `false`.
    #[tf(default = false)]
    pub insecure_ignore_host_key: Val<bool>,
    /// Fetch Git LFS objects. Defaults to `false`.
    #[tf(default = false)]
    pub enable_lfs: Val<bool>,
    /// Treat a Helm repository as an OCI registry. Defaults to `false`.
    #[tf(default = false)]
    pub enable_oci: Val<bool>,
    /// Force HTTP basic authentication even when the server offers other methods. Defaults
    /// to `false`.
    #[tf(default = false)]
    pub force_http_basic_auth: Val<bool>,
    /// Password or token for HTTPS authentication (with `username`).
    #[tf(secret)]
    pub password: Secret,
    /// PEM private key for SSH authentication.
    #[tf(secret)]
    pub ssh_private_key: Secret,
    /// PEM client certificate for TLS client authentication.
    #[tf(secret)]
    pub tls_client_cert_data: Secret,
    /// PEM private key of the TLS client certificate.
    #[tf(secret)]
    pub tls_client_cert_key: Secret,
    /// PEM private key of the GitHub App used for authentication.
    #[tf(secret)]
    pub github_app_private_key: Secret,
    /// Token generator (`genType`) for a registry whose credentials expire: `AWS_ECR` (with
    /// `ecr_gen`) or `GOOGLE_GCR` (with `gcr_gen`). The agent fetches a registry token and
    /// refreshes it every `refresh_interval`. Needs a `helm` or `oci` repository (or
    /// `enable_oci`) whose URL is the registry's. Harness does not return generators, so
    /// their drift is not seen and an import leaves them unset.
    #[tf(optional, one_of("AWS_ECR", "GOOGLE_GCR"))]
    pub gen_type: Val<String>,
    /// The ECR generator (`gen_type = "AWS_ECR"`).
    #[tf(optional, nested)]
    pub ecr_gen: Val<EcrGen>,
    /// The GCR / Artifact Registry generator (`gen_type = "GOOGLE_GCR"`).
    #[tf(optional, nested)]
    pub gcr_gen: Val<GcrGen>,
    /// How often the generator refreshes the token, e.g. `1h` (needs `gen_type`).
    #[tf(optional, duration)]
    pub refresh_interval: Val<String>,
    /// On create, adopt a repository that already exists with this identifier instead of
    /// failing. Defaults to `false`.
    #[tf(default = false)]
    pub upsert: Val<bool>,
    /// Register a credentials template (Argo CD repository credentials) instead of a
    /// repository. Defaults to `false`. Changing it replaces the repository.
    #[tf(default = false, requires_replace)]
    pub creds_only: Val<bool>,
    /// On destroy, remove the repository even if applications still reference it. Defaults
    /// to `false`.
    #[tf(default = false)]
    pub force_delete: Val<bool>,
    /// Connection status the agent reported: `Successful` or `Failed`.
    #[tf(computed)]
    pub connection_status: Val<String>,
    /// The agent's message about the connection, e.g. why it failed.
    #[tf(computed)]
    pub connection_message: Val<String>,
    /// Whether credentials come from a matching credentials template.
    #[tf(computed)]
    pub inherited_creds: Val<bool>,
    /// When the repository was created (RFC 3339).
    #[tf(computed, keep_prior)]
    pub created_at: Val<String>,
    /// When the repository was last modified (RFC 3339).
    #[tf(computed)]
    pub updated_at: Val<String>,
}

/// Flags sent only on create or delete; they never change the remote object.
const BEHAVIOUR_FLAGS: [&str; 3] = [Repo::UPSERT, Repo::CREDS_ONLY, Repo::FORCE_DELETE];

fn is_ssh_url(url: &str) -> bool {
    url.starts_with("ssh://") || (!url.contains("://") && url.contains('@') && url.contains(':'))
}

/// Checks across attributes (the single-attribute ones are declared on the model).
fn validate_config(c: &Repo, diags: &mut Diagnostics) {
    let at = |n: &str| AttributePath::attr(n);
    let ssh = c.ssh_private_key.is_set();
    let password = c.password.is_set();
    let app = c.github_app_private_key.is_set();
    let tls = c.tls_client_cert_data.is_set() || c.tls_client_cert_key.is_set();
    if ssh && (password || app || tls || !c.username.is_null()) {
        diags.error_at(
            at(Repo::SSH_PRIVATE_KEY),
            "Conflicting Authentication Methods",
            "An SSH private key cannot be combined with `username`/`password`, a GitHub App or a TLS client certificate.",
        );
    }
    if app && password {
        diags.error_at(
            at(Repo::GITHUB_APP_PRIVATE_KEY),
            "Conflicting Authentication Methods",
            "Use either a GitHub App or `username`/`password`, not both.",
        );
    }
    if app && (c.github_app_id.is_null() || c.github_app_installation_id.is_null()) {
        diags.error_at(
            at(Repo::GITHUB_APP_ID),
            "Incomplete GitHub App Credentials",
            "A GitHub App private key needs `github_app_id` and `github_app_installation_id`.",
        );
    }
    let ct = c.connection_type.as_deref();
    if let Some(url) = c.url.as_deref() {
        let url_is_ssh = is_ssh_url(url);
        if url_is_ssh && (password || app) {
            diags.error_at(
                at(Repo::URL),
                "Credentials Do Not Match URL",
                format!("{url:?} is an SSH URL; authenticate with `ssh_private_key` (or `ssh_private_key_wo`)."),
            );
        }
        if url_is_ssh && !ssh && ct.is_some_and(|c| c != "HTTPS_ANONYMOUS" && c != "SSH") {
            diags.error_at(
                at(Repo::CONNECTION_TYPE),
                "Connection Type Does Not Match URL",
                format!("{url:?} is an SSH URL; use connection type SSH."),
            );
        }
        if url_is_ssh && !ssh && ct == Some("SSH") {
            // Not an error: Argo CD may take the key from a credentials template whose URL
            // prefix matches (`inherited_creds`), and imported configurations start this way.
            diags.warning_at(
                at(Repo::SSH_PRIVATE_KEY),
                "No SSH Key",
                format!("{url:?} is an SSH URL with connection type SSH but no `ssh_private_key`/`ssh_private_key_wo`; the agent can only connect if a credentials template provides the key."),
            );
        }
        if !url_is_ssh && url.contains("://") && ssh {
            diags.error_at(
                at(Repo::SSH_PRIVATE_KEY),
                "Credentials Do Not Match URL",
                format!("{url:?} is not an SSH URL; an SSH key cannot be used with it."),
            );
        }
        if !url.contains("://") && !url_is_ssh {
            diags.error_at(
                at(Repo::URL),
                "Invalid Repository URL",
                format!("{url:?} is neither an http(s)/oci URL nor an SSH URL like git@github.com:org/repo.git."),
            );
        }
    }
    validate_generator(c, diags);
    match ct {
        Some("SSH") if c.url.as_deref().is_some_and(|u| !is_ssh_url(u)) => {
            diags.error_at(
                at(Repo::CONNECTION_TYPE),
                "Connection Type Does Not Match URL",
                "Connection type SSH needs an SSH URL (ssh://… or git@host:path).",
            );
        }
        Some("GITHUB" | "GITHUB_ENTERPRISE") if !app => {
            diags.warning_at(
                at(Repo::GITHUB_APP_PRIVATE_KEY),
                "No GitHub App Key",
                "Connection types GITHUB and GITHUB_ENTERPRISE need `github_app_private_key` (or `_wo`) unless a credentials template provides it.",
            );
        }
        Some("GITHUB_ENTERPRISE") if c.github_app_enterprise_base_url.is_null() => {
            diags.error_at(
                at(Repo::GITHUB_APP_ENTERPRISE_BASE_URL),
                "Missing Enterprise URL",
                "Connection type GITHUB_ENTERPRISE needs `github_app_enterprise_base_url`.",
            );
        }
        Some("HTTPS_ANONYMOUS") if password || app || ssh || tls => {
            diags.error_at(
                at(Repo::CONNECTION_TYPE),
                "Credentials With Anonymous Connection",
                "HTTPS_ANONYMOUS takes no credentials; remove them or choose another connection type.",
            );
        }
        _ => {}
    }
}

/// The host of a registry URL (`oci://`, `https://` or a bare `host/path`).
fn registry_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// The region of an ECR registry host `<account>.dkr.ecr.<region>.amazonaws.com` (also
/// `.amazonaws.com.cn` and FIPS `dkr.ecr-fips`).
fn ecr_region(host: &str) -> Option<&str> {
    let labels: Vec<&str> = host.split('.').collect();
    let ecr = labels
        .iter()
        .position(|l| *l == "ecr" || *l == "ecr-fips")?;
    let ok = ecr == 2
        && labels[0].len() == 12
        && labels[0].chars().all(|c| c.is_ascii_digit())
        && labels[1] == "dkr"
        && labels.get(ecr + 2) == Some(&"amazonaws");
    ok.then(|| labels.get(ecr + 1).copied()).flatten()
}

/// A Google Container Registry or Artifact Registry host.
fn is_gcr_host(host: &str) -> bool {
    host == "gcr.io" || host.ends_with(".gcr.io") || host.ends_with("-docker.pkg.dev")
}

/// Checks of the token generator: type and block agree, the repository is a registry of the
/// generator's kind, one way of authenticating.
fn validate_generator(c: &Repo, diags: &mut Diagnostics) {
    let at = |n: &str| AttributePath::attr(n);
    if c.gen_type.is_unknown() {
        return;
    }
    let gen = c.gen_type.as_deref();
    for (name, set, wants) in [
        (Repo::ECR_GEN, !c.ecr_gen.is_null(), "AWS_ECR"),
        (Repo::GCR_GEN, !c.gcr_gen.is_null(), "GOOGLE_GCR"),
    ] {
        if set && gen != Some(wants) {
            diags.error_at(
                at(name),
                "Generator Does Not Match gen_type",
                format!("`{name}` is the generator of gen_type {wants}; set `gen_type = \"{wants}\"` or remove it."),
            );
        }
    }
    if !c.refresh_interval.is_null() && gen.is_none() {
        diags.error_at(
            at(Repo::REFRESH_INTERVAL),
            "Refresh Interval Without Generator",
            "`refresh_interval` is how often a token generator refreshes; set `gen_type` too.",
        );
    }
    let Some(gen) = gen else {
        return;
    };
    let (block, block_set) = match gen {
        "AWS_ECR" => (Repo::ECR_GEN, !c.ecr_gen.is_null()),
        _ => (Repo::GCR_GEN, !c.gcr_gen.is_null()),
    };
    if !block_set {
        diags.error_at(
            at(block),
            "Missing Generator",
            format!("gen_type {gen} needs `{block}`."),
        );
    }
    let registry =
        c.enable_oci.known() == Some(&true) || matches!(c.r#type.as_deref(), Some("helm" | "oci"));
    if !registry && c.r#type.is_known() && !c.enable_oci.is_unknown() {
        diags.error_at(
            at(Repo::GEN_TYPE),
            "Generator Needs A Registry",
            "A token generator gets registry credentials: set `type` to `helm` or `oci` (or `enable_oci = true`).",
        );
    }
    if let Some(url) = c.url.as_deref() {
        let host = registry_host(url).unwrap_or("");
        match gen {
            "AWS_ECR" => match ecr_region(host) {
                None => diags.error_at(
                    at(Repo::URL),
                    "Not An ECR Registry",
                    format!("gen_type AWS_ECR needs an ECR registry URL like \"oci://123456789012.dkr.ecr.us-east-1.amazonaws.com\", not {url:?}."),
                ),
                Some(region) => {
                    if let Some(r) = c
                        .ecr_gen
                        .known()
                        .and_then(|e| e.region.known())
                        .filter(|r| r.as_str() != region)
                    {
                        diags.error_at(
                            at(Repo::ECR_GEN).child(EcrGen::REGION),
                            "Region Does Not Match The Registry",
                            format!("The registry {host:?} is in {region}, not {r}."),
                        );
                    }
                }
            },
            _ if !is_gcr_host(host) => diags.error_at(
                at(Repo::URL),
                "Not A GCR Registry",
                format!("gen_type GOOGLE_GCR needs a Container Registry (gcr.io) or Artifact Registry (<location>-docker.pkg.dev) URL, not {url:?}."),
            ),
            _ => {}
        }
    }
    if let Some(e) = c.ecr_gen.known() {
        if !e.secret_ref.is_null() && !e.jwt_auth.is_null() {
            diags.error_at(
                at(Repo::ECR_GEN).child(EcrGen::JWT_AUTH),
                "Conflicting AWS Authentication",
                "Use `secret_ref` (static credentials) or `jwt_auth` (a service account token), not both.",
            );
        }
    }
    if let Some(g) = c.gcr_gen.known() {
        if !g.access_key.is_null() && !g.workload_identity.is_null() {
            diags.error_at(
                at(Repo::GCR_GEN).child(GcrGen::WORKLOAD_IDENTITY),
                "Conflicting Google Authentication",
                "Use `access_key` (a service account key) or `workload_identity`, not both.",
            );
        }
        if g.access_key.is_null() && g.workload_identity.is_null() {
            diags.error_at(
                at(Repo::GCR_GEN),
                "Missing Google Authentication",
                "The GCR generator needs `access_key` or `workload_identity`.",
            );
        }
    }
}

/// The generator fields of a create or update body.
struct Generator {
    gen_type: Option<String>,
    ecr_gen: Option<EcrGenerator>,
    gcr_gen: Option<GcrGenerator>,
    refresh_interval: Option<String>,
}

fn selector(s: &ServiceAccountRef) -> ServiceAccountSelector {
    ServiceAccountSelector {
        name: s.name.known().cloned(),
        namespace: s.namespace.non_empty().map(str::to_string),
        audiences: s.audiences.known().cloned(),
    }
}

/// The generator of a model; an update without one sends `UNSET`.
fn generator_api(m: &Repo, update: bool) -> Generator {
    let opt = |v: &Val<String>| v.non_empty().map(str::to_string);
    let gen_type = match m.gen_type.as_deref() {
        Some(t) => Some(t.to_string()),
        None if update => Some(gen_type::UNSET.to_string()),
        None => None,
    };
    Generator {
        gen_type,
        ecr_gen: m.ecr_gen.known().map(|e| EcrGenerator {
            region: opt(&e.region),
            secret_ref: e.secret_ref.known().map(|s| AwsSecretRef {
                aws_access_key_id: opt(&s.aws_access_key_id),
                aws_secret_access_key: opt(&s.aws_secret_access_key).map(Into::into),
                aws_session_token: opt(&s.aws_session_token).map(Into::into),
            }),
            jwt_auth: e.jwt_auth.known().map(selector),
            role: opt(&e.role),
        }),
        gcr_gen: m.gcr_gen.known().map(|g| GcrGenerator {
            project_id: opt(&g.project_id),
            access_key: opt(&g.access_key).map(Into::into),
            workload_identity: g.workload_identity.known().map(|w| GcrWorkloadIdentity {
                service_account_ref: w.service_account_ref.known().map(selector),
                cluster_location: opt(&w.cluster_location),
                cluster_name: opt(&w.cluster_name),
                cluster_project_id: opt(&w.cluster_project_id),
            }),
        }),
        refresh_interval: opt(&m.refresh_interval),
    }
}

/// Derives the connection type from the URL and credentials; unknown while any input is.
fn derive_connection_type(c: &Repo) -> Val<String> {
    let Some(url) = c.url.as_deref() else {
        return Val::Unknown;
    };
    let inputs_unknown = [
        &c.ssh_private_key,
        &c.password,
        &c.github_app_private_key,
        &c.tls_client_cert_data,
    ]
    .iter()
    .any(|s| s.is_unknown())
        || c.github_app_enterprise_base_url.is_unknown();
    if inputs_unknown {
        return Val::Unknown;
    }
    let t = if is_ssh_url(url) {
        "SSH"
    } else if c.github_app_private_key.is_set() {
        if c.github_app_enterprise_base_url.is_null() {
            "GITHUB"
        } else {
            "GITHUB_ENTERPRISE"
        }
    } else if c.password.is_set() || c.tls_client_cert_data.is_set() {
        "HTTPS"
    } else {
        "HTTPS_ANONYMOUS"
    };
    Val::Known(t.to_string())
}

/// The resource.
pub struct GitopsRepository;

#[async_trait]
impl ModelResource<ProviderData> for GitopsRepository {
    type Model = Repo;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn validate(&self, config: &Repo, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, Repo, ProviderData>,
        planned: &mut Repo,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
        common::check_argo_project(
            &planned.scope,
            &req.config.argo_project,
            "repository",
            diags,
        );
        if req.config.connection_type.is_null() {
            planned.connection_type = derive_connection_type(req.config);
        }
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&planned.identifier);
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &Repo,
        config: &Repo,
        diags: &mut Diagnostics,
    ) -> Option<Repo> {
        let client = &common::client(ctx, "the repository's 20m create deadline", diags)?;
        let identifier = planned.identifier.as_deref().unwrap_or_default();
        let g = generator_api(planned, false);
        let body = RepositoryCreateRequest {
            repo: Some(to_api(planned, config)),
            upsert: planned.upsert.known().copied(),
            creds_only: planned.creds_only.known().copied(),
            gen_type: g.gen_type,
            ecr_gen: g.ecr_gen,
            gcr_gen: g.gcr_gen,
            refresh_interval: g.refresh_interval,
        };
        let resp = match client
            .repositories()
            .create(&planned.scope.api(), identifier, &body)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let id = planned.id.known().cloned();
                common::create_error(
                    diags,
                    "Unable to Create GitOps Repository",
                    &e,
                    "repository",
                    id,
                );
                return common::failed_create_state(&e, planned, "repository", diags);
            }
        };
        let state = from_api(&resp, planned);
        check_connection(&state, "created", diags);
        Some(state)
    }

    async fn read(&self, ctx: &Ctx, current: &Repo, diags: &mut Diagnostics) -> Option<Repo> {
        let client = &common::client(ctx, "the repository's 20m read deadline", diags)?;
        let identifier = current.identifier.as_deref().unwrap_or_default();
        match client
            .repositories()
            .get_opt(&current.scope.api(), identifier)
            .await
        {
            Ok(Some(resp)) => Some(from_api(&resp, current)),
            Ok(None) => None,
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Repository", &e);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _prior: &Repo,
        planned: &Repo,
        config: &Repo,
        diags: &mut Diagnostics,
    ) -> Option<Repo> {
        let client = &common::client(ctx, "the repository's 20m update deadline", diags)?;
        let identifier = planned.identifier.as_deref().unwrap_or_default();
        let g = generator_api(planned, true);
        let body = RepositoryUpdateRequest {
            repo: Some(to_api(planned, config)),
            gen_type: g.gen_type,
            ecr_gen: g.ecr_gen,
            gcr_gen: g.gcr_gen,
            refresh_interval: g.refresh_interval,
            ..Default::default()
        };
        match client
            .repositories()
            .update(&planned.scope.api(), identifier, &body)
            .await
        {
            Ok(resp) => {
                let state = from_api(&resp, planned);
                check_connection(&state, "updated", diags);
                Some(state)
            }
            Err(e) => {
                api_error(diags, "Unable to Update GitOps Repository", &e);
                None
            }
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Repo, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "the repository's 20m delete deadline", diags)
        else {
            return;
        };
        let identifier = prior.identifier.as_deref().unwrap_or_default();
        let opts = DeleteOptions {
            force_delete: prior.force_delete.unwrap_or(false),
        };
        let scope = &prior.scope.api();
        let url = prior.url.as_deref();
        let deleted = common::delete_when_unused(
            ctx,
            common::BLOCKED_DELETE_PATIENCE,
            move || async move { client.repositories().delete(scope, identifier, opts).await },
            move || {
                common::applications_using(client, scope, move |a| {
                    let Some(spec) = a.spec.as_ref() else {
                        return false;
                    };
                    let norm = |u: &str| {
                        let u = u.trim().trim_end_matches('/').to_ascii_lowercase();
                        u.strip_suffix(".git").map(str::to_string).unwrap_or(u)
                    };
                    let want = url.map(norm);
                    spec.source
                        .iter()
                        .chain(spec.sources.iter().flatten())
                        .any(|s| {
                            s.repo_url
                                .as_deref()
                                .map(norm)
                                .is_some_and(|u| Some(&u) == want.as_ref())
                        })
                })
            },
        )
        .await;
        if let Err(f) = deleted {
            common::delete_error(
                diags,
                "Unable to Delete GitOps Repository",
                "repository",
                identifier,
                "repo_id = harness_gitops_repository.<name>.identifier",
                &f,
            );
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<Repo> {
        let read = async |stub: &Repo, d: &mut Diagnostics| self.read(ctx, stub, d).await;
        super::data_source::import::<GitopsRepositoryData, _>(id, read, diags).await
    }
}

/// Fails the apply (keeping the state) when the agent cannot connect.
fn check_connection(state: &Repo, what: &str, diags: &mut Diagnostics) {
    common::check_connection(
        &state.connection_status,
        &state.connection_message,
        "Repository",
        what,
        Repo::URL,
        diags,
    );
}

/// The Argo repository object to send: write-only values from the configuration win over
/// the stored secret; flags are always sent (explicit `false`).
fn to_api(planned: &Repo, config: &Repo) -> ApiRepository {
    let opt = |v: &Val<String>| v.non_empty().map(str::to_string);
    let secret =
        |s: fn(&Repo) -> &Secret| s(planned).to_send(s(config)).map(|x| x.to_string().into());
    let flag = |v: &Val<bool>| Some(v.unwrap_or(false));
    ApiRepository {
        repo: opt(&planned.url),
        repo_type: opt(&planned.r#type),
        name: opt(&planned.name),
        project: opt(&planned.argo_project),
        connection_type: opt(&planned.connection_type),
        username: opt(&planned.username),
        proxy: opt(&planned.proxy),
        no_proxy: opt(&planned.no_proxy),
        github_app_id: planned.github_app_id.known().copied().map(Int64),
        github_app_installation_id: planned
            .github_app_installation_id
            .known()
            .copied()
            .map(Int64),
        github_app_enterprise_base_url: opt(&planned.github_app_enterprise_base_url),
        insecure: flag(&planned.insecure),
        insecure_ignore_host_key: flag(&planned.insecure_ignore_host_key),
        enable_lfs: flag(&planned.enable_lfs),
        enable_oci: flag(&planned.enable_oci),
        force_http_basic_auth: flag(&planned.force_http_basic_auth),
        password: secret(|r| &r.password),
        ssh_private_key: secret(|r| &r.ssh_private_key),
        tls_client_cert_data: secret(|r| &r.tls_client_cert_data),
        tls_client_cert_key: secret(|r| &r.tls_client_cert_key),
        github_app_private_key: secret(|r| &r.github_app_private_key),
        ..Default::default()
    }
}

/// The state for an API response. Keys, secrets and behaviour flags come from `prior` (the
/// API returns secrets masked and knows nothing of the flags).
fn from_api(resp: &RepositoryResponse, prior: &Repo) -> Repo {
    let empty = ApiRepository::default();
    let r = resp.repository.as_ref().unwrap_or(&empty);
    let mut s = prior.clone();
    s.url = api_str(r.repo.as_deref(), &prior.url);
    s.r#type = Val::Known(
        r.repo_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("git")
            .to_string(),
    );
    s.name = api_str(r.name.as_deref(), &prior.name);
    s.argo_project = api_str(r.project.as_deref(), &prior.argo_project);
    s.connection_type = match r.connection_type.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Val::Known(c.to_string()),
        None if prior.connection_type.is_unknown() => Val::Null,
        None => prior.connection_type.clone(),
    };
    s.username = api_str(r.username.as_deref(), &prior.username);
    s.proxy = api_str(r.proxy.as_deref(), &prior.proxy);
    s.no_proxy = api_str(r.no_proxy.as_deref(), &prior.no_proxy);
    s.github_app_id = Val::from_option(r.github_app_id.map(|n| n.0));
    s.github_app_installation_id = Val::from_option(r.github_app_installation_id.map(|n| n.0));
    s.github_app_enterprise_base_url = api_str(
        r.github_app_enterprise_base_url.as_deref(),
        &prior.github_app_enterprise_base_url,
    );
    s.insecure = Val::Known(r.insecure.unwrap_or(false));
    s.insecure_ignore_host_key = Val::Known(r.insecure_ignore_host_key.unwrap_or(false));
    s.enable_lfs = Val::Known(r.enable_lfs.unwrap_or(false));
    s.enable_oci = Val::Known(r.enable_oci.unwrap_or(false));
    s.force_http_basic_auth = Val::Known(r.force_http_basic_auth.unwrap_or(false));
    // Masked secrets: present → keep what the user configured; absent → gone remotely.
    let present =
        |x: &Option<harness_gitops_client::Secret>| x.as_ref().is_some_and(|x| !x.is_empty());
    s.password.settle_masked(present(&r.password));
    s.ssh_private_key.settle_masked(present(&r.ssh_private_key));
    s.tls_client_cert_data
        .settle_masked(present(&r.tls_client_cert_data));
    s.tls_client_cert_key
        .settle_masked(present(&r.tls_client_cert_key));
    s.github_app_private_key
        .settle_masked(present(&r.github_app_private_key));
    for flag in [&mut s.upsert, &mut s.creds_only, &mut s.force_delete] {
        if !flag.is_known() {
            *flag = Val::Known(false);
        }
    }
    let cs = r.connection_state.as_ref();
    s.connection_status =
        Val::from_option(cs.and_then(|c| c.status.clone()).filter(|x| !x.is_empty()));
    s.connection_message =
        Val::from_option(cs.and_then(|c| c.message.clone()).filter(|x| !x.is_empty()));
    s.inherited_creds = Val::Known(r.inherited_creds.unwrap_or(false));
    s.created_at = Val::from_option(resp.created_at.clone());
    s.updated_at = Val::from_option(resp.last_modified_at.clone());
    s.id = s.scope.import_id(&s.identifier);
    s
}

/// The data source: the resource's attributes without secrets and behaviour flags.
pub struct GitopsRepositoryData;

fn data_schema() -> Schema {
    let mut leave_out: Vec<&str> = BEHAVIOUR_FLAGS.to_vec();
    leave_out.extend(Repo::secret_names().iter().map(|n| n.wo_version));
    // Harness does not return generators (and they hold credentials).
    leave_out.extend([
        Repo::GEN_TYPE,
        Repo::ECR_GEN,
        Repo::GCR_GEN,
        Repo::REFRESH_INTERVAL,
    ]);
    common::data_source_schema(
        &Repo::schema(),
        "Reads a Harness GitOps repository by scope and identifier. Credentials are never exposed.",
        &[
            (Repo::IDENTIFIER, Constraint::Required),
            (Scope::AGENT_ID, Constraint::OptionalComputed),
            (Scope::ORG_ID, Constraint::OptionalComputed),
            (Scope::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &leave_out,
    )
}

#[async_trait]
impl ScopedLookup for GitopsRepositoryData {
    type Model = Repo;
    type Response = RepositoryResponse;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "Repository";
    const KEY: &'static str = Repo::IDENTIFIER;

    fn schema() -> Schema {
        data_schema()
    }

    fn key(m: &mut Repo) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.identifier)
    }

    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<RepositoryResponse>, harness::Error> {
        client.repositories().get_opt(scope, key).await
    }

    fn convert(resp: &RepositoryResponse, key: &Repo) -> Repo {
        from_api(resp, key)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsRepository)
}

#[cfg(test)]
mod tests;
