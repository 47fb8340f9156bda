//! `harness_gitops_repository`: an Argo CD repository (Git, Helm or OCI) registered through
//! a Harness GitOps agent, and the data source of the same name.
//!
//! Order: schema → validation → plan hook → create/read/update/delete/import → API mapping
//! (`to_api`, `from_api`) → data source → tests.

use async_trait::async_trait;
use tfplugin::resource::{DataSource, Resource};

use super::common::{self, api_error, ScopedId};
use super::{Ctx, PlanRequest};
use crate::provider::ProviderData;
use harness_gitops_client::models::{
    Int64, Repository, RepositoryCreateRequest, RepositoryResponse, RepositoryUpdateRequest,
};
use harness_gitops_client::DeleteOptions;
use tfplugin::tf::schema::{Attribute as A, Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};

const TYPE_NAME: &str = "harness_gitops_repository";

/// Secret attributes; each has a write-only twin `<name>_wo` and `<name>_wo_version`.
const SECRETS: [(&str, &str); 5] = [
    (
        "password",
        "Password or token for HTTPS authentication (with `username`).",
    ),
    ("ssh_private_key", "PEM private key for SSH authentication."),
    (
        "tls_client_cert_data",
        "PEM client certificate for TLS client authentication.",
    ),
    (
        "tls_client_cert_key",
        "PEM private key of the TLS client certificate.",
    ),
    (
        "github_app_private_key",
        "PEM private key of the GitHub App used for authentication.",
    ),
];

const REPO_TYPES: [&str; 3] = ["git", "helm", "oci"];
const CONNECTION_TYPES: [&str; 5] = [
    "HTTPS",
    "SSH",
    "GITHUB",
    "GITHUB_ENTERPRISE",
    "HTTPS_ANONYMOUS",
];
/// Flags sent only on create or delete; they never change the remote object.
const BEHAVIOUR_FLAGS: [&str; 3] = ["upsert", "creds_only", "force_delete"];
/// Boolean repository settings, all defaulting to `false` and always sent explicitly.
const BOOL_SETTINGS: [(&str, &str); 5] = [
    ("insecure", "Skip TLS verification of the repository server. Defaults to `false`."),
    ("insecure_ignore_host_key", "Skip SSH host key verification. Defaults to `false`."),
    ("enable_lfs", "Fetch Git LFS objects. Defaults to `false`."),
    ("enable_oci", "Treat a Helm repository as an OCI registry. Defaults to `false`."),
    ("force_http_basic_auth", "Force HTTP basic authentication even when the server offers other methods. Defaults to `false`."),
];

/// The resource.
pub struct GitopsRepository;

fn schema() -> Schema {
    let mut attrs = vec![
        A::string("id").computed().keep_prior().description(
            "Import ID of the repository: `agent_id/identifier`, `org_id/agent_id/identifier` or \
             `org_id/project_id/agent_id/identifier`, depending on its scope.",
        ),
        A::string("identifier").required().requires_replace().description(
            "Harness identifier of the repository, unique within its scope and agent. Changing it replaces the repository.",
        ),
    ];
    attrs.extend(common::scope_attributes("repository"));
    attrs.extend([
        A::string("url").required().requires_replace().description(
            "Repository URL: `https://…` or `ssh://…`/`git@host:org/repo.git` for Git, the chart repository URL for Helm, \
             or the registry URL for OCI. Changing it replaces the repository.",
        ),
        A::string("type").default(Value::string("git")).description("Repository type: `git` (default), `helm` or `oci`."),
        A::string("name").optional().description("Display name (Argo CD `name`); required by Argo CD for Helm repositories."),
        A::string("argo_project")
            .optional_computed()
            .keep_prior()
            .description("Argo CD project the repository belongs to. Needs a project-level repository (`project_id` set)."),
        A::string("connection_type").optional_computed().description(
            "How Harness connects: `HTTPS`, `SSH`, `GITHUB` (GitHub App), `GITHUB_ENTERPRISE` or `HTTPS_ANONYMOUS`. \
             When unset it is derived: `SSH` for SSH URLs, `GITHUB` when a GitHub App key is given, `HTTPS` when a \
             password or TLS client certificate is given, `HTTPS_ANONYMOUS` otherwise.",
        ),
        A::string("username").optional().description("Username for HTTPS authentication."),
        A::string("proxy").optional().description("HTTP(S) proxy URL used to reach the repository."),
        A::string("no_proxy").optional().description("Comma-separated hosts that bypass `proxy`."),
        A::number("github_app_id").optional().description("GitHub App ID (with `github_app_private_key`)."),
        A::number("github_app_installation_id").optional().description("GitHub App installation ID."),
        A::string("github_app_enterprise_base_url").optional().description(
            "GitHub Enterprise API base URL, e.g. `https://ghe.example.com/api/v3` (connection type `GITHUB_ENTERPRISE`).",
        ),
    ]);
    for (name, desc) in BOOL_SETTINGS {
        attrs.push(A::bool(name).default(Value::Bool(false)).description(desc));
    }
    for (name, desc) in SECRETS {
        attrs.push(A::string(name).optional().sensitive().description(&format!(
            "{desc} Stored in state (marked sensitive); prefer `{name}_wo`, which never is. The API returns it masked, \
             so drift of its value cannot be detected."
        )));
        attrs.push(A::string(&format!("{name}_wo")).optional().sensitive().write_only().description(&format!(
            "Write-only variant of `{name}` (Terraform 1.11+): sent to Harness, never stored in plan or state. Change \
             `{name}_wo_version` to send a new value."
        )));
        attrs.push(A::number(&format!("{name}_wo_version")).optional().description(&format!(
            "Any number; changing it sends `{name}_wo` again (a write-only value itself cannot be compared)."
        )));
    }
    attrs.extend([
        A::bool("upsert").default(Value::Bool(false)).description(
            "On create, adopt a repository that already exists with this identifier instead of failing. Defaults to `false`.",
        ),
        A::bool("creds_only").default(Value::Bool(false)).requires_replace().description(
            "Register a credentials template (Argo CD repository credentials) instead of a repository. Defaults to `false`. \
             Changing it replaces the repository.",
        ),
        A::bool("force_delete")
            .default(Value::Bool(false))
            .description("On destroy, remove the repository even if applications still reference it. Defaults to `false`."),
        A::string("connection_status").computed().description("Connection status the agent reported: `Successful` or `Failed`."),
        A::string("connection_message").computed().description("The agent's message about the connection, e.g. why it failed."),
        A::bool("inherited_creds").computed().description("Whether credentials come from a matching credentials template."),
        A::string("created_at").computed().keep_prior().description("When the repository was created (RFC 3339)."),
        A::string("updated_at").computed().description("When the repository was last modified (RFC 3339)."),
    ]);
    Schema::new(
        0,
        "A Harness GitOps repository: a Git, Helm or OCI repository that an Argo CD agent managed by Harness can \
         deploy from. Credentials can be given as write-only attributes so they never reach plan or state.",
        attrs,
    )
}

fn is_ssh_url(url: &str) -> bool {
    url.starts_with("ssh://") || (!url.contains("://") && url.contains('@') && url.contains(':'))
}

/// The effective value of a secret: the write-only twin wins, then the stored attribute.
fn secret_value<'a>(planned: &'a Value, config: &'a Value, name: &str) -> Option<&'a str> {
    config
        .attr_str(&format!("{name}_wo"))
        .or_else(|| planned.attr_str(name))
        .filter(|s| !s.is_empty())
}

/// Whether a secret is configured at all (known, unknown, plain or write-only).
fn secret_set(config: &Value, name: &str) -> bool {
    !config.attr(name).is_null() || !config.attr(&format!("{name}_wo")).is_null()
}

fn validate_config(config: &Value, diags: &mut Diagnostics) {
    common::check_identifier(config, "identifier", diags);
    let at = |n: &str| AttributePath::attr(n);
    if let Some(t) = config.attr_str("type") {
        if !REPO_TYPES.contains(&t) {
            diags.error_at(
                at("type"),
                "Invalid Repository Type",
                format!("{t:?} is not one of: git, helm, oci."),
            );
        }
    }
    let ct = config.attr_str("connection_type");
    if let Some(c) = ct {
        if !CONNECTION_TYPES.contains(&c) {
            diags.error_at(
                at("connection_type"),
                "Invalid Connection Type",
                format!("{c:?} is not one of: {}.", CONNECTION_TYPES.join(", ")),
            );
        }
    }
    for (name, _) in SECRETS {
        let (wo, ver) = (format!("{name}_wo"), format!("{name}_wo_version"));
        if !config.attr(name).is_null() && !config.attr(&wo).is_null() {
            diags.error_at(
                at(&wo),
                "Conflicting Attributes",
                format!("Set either `{name}` or `{wo}`, not both."),
            );
        }
        if !config.attr(&ver).is_null() && config.attr(&wo).is_null() {
            diags.error_at(
                at(&ver),
                "Missing Write-Only Value",
                format!("`{ver}` is only meaningful with `{wo}`."),
            );
        }
        if let Some(n) = config.attr(&ver).as_number() {
            if n.as_i64().is_none() {
                diags.error_at(
                    at(&ver),
                    "Invalid Version",
                    format!("`{ver}` must be a whole number, got {n}."),
                );
            }
        }
    }
    for id in ["github_app_id", "github_app_installation_id"] {
        if let Some(n) = config.attr(id).as_number() {
            if n.as_i64().is_none_or(|n| n <= 0) {
                diags.error_at(
                    at(id),
                    "Invalid GitHub App Number",
                    format!("`{id}` must be a positive whole number, got {n}."),
                );
            }
        }
    }
    // Authentication methods exclude each other.
    let ssh = secret_set(config, "ssh_private_key");
    let password = secret_set(config, "password");
    let app = secret_set(config, "github_app_private_key");
    let tls =
        secret_set(config, "tls_client_cert_data") || secret_set(config, "tls_client_cert_key");
    if ssh && (password || app || tls || !config.attr("username").is_null()) {
        diags.error_at(
            at("ssh_private_key"),
            "Conflicting Authentication Methods",
            "An SSH private key cannot be combined with `username`/`password`, a GitHub App or a TLS client certificate.",
        );
    }
    if app && password {
        diags.error_at(
            at("github_app_private_key"),
            "Conflicting Authentication Methods",
            "Use either a GitHub App or `username`/`password`, not both.",
        );
    }
    if app
        && (config.attr("github_app_id").is_null()
            || config.attr("github_app_installation_id").is_null())
    {
        diags.error_at(
            at("github_app_id"),
            "Incomplete GitHub App Credentials",
            "A GitHub App private key needs `github_app_id` and `github_app_installation_id`.",
        );
    }
    if let Some(url) = config.attr_str("url") {
        let url_is_ssh = is_ssh_url(url);
        if url_is_ssh && (password || app) {
            diags.error_at(
                at("url"),
                "Credentials Do Not Match URL",
                format!("{url:?} is an SSH URL; authenticate with `ssh_private_key` (or `ssh_private_key_wo`)."),
            );
        }
        if url_is_ssh && !ssh && ct.is_some_and(|c| c != "HTTPS_ANONYMOUS" && c != "SSH") {
            diags.error_at(
                at("connection_type"),
                "Connection Type Does Not Match URL",
                format!("{url:?} is an SSH URL; use connection type SSH."),
            );
        }
        if url_is_ssh && !ssh && ct == Some("SSH") {
            // Not an error: Argo CD may take the key from a credentials template whose URL
            // prefix matches (`inherited_creds`), and imported configurations start this way.
            diags.warning_at(
                at("ssh_private_key"),
                "No SSH Key",
                format!("{url:?} is an SSH URL with connection type SSH but no `ssh_private_key`/`ssh_private_key_wo`; the agent can only connect if a credentials template provides the key."),
            );
        }
        if !url_is_ssh && url.contains("://") && ssh {
            diags.error_at(
                at("ssh_private_key"),
                "Credentials Do Not Match URL",
                format!("{url:?} is not an SSH URL; an SSH key cannot be used with it."),
            );
        }
        if !url.contains("://") && !url_is_ssh {
            diags.error_at(
                at("url"),
                "Invalid Repository URL",
                format!("{url:?} is neither an http(s)/oci URL nor an SSH URL like git@github.com:org/repo.git."),
            );
        }
    }
    match ct {
        Some("SSH") if config.attr_str("url").is_some_and(|u| !is_ssh_url(u)) => {
            diags.error_at(
                at("connection_type"),
                "Connection Type Does Not Match URL",
                "Connection type SSH needs an SSH URL (ssh://… or git@host:path).",
            );
        }
        Some("GITHUB" | "GITHUB_ENTERPRISE") if !app => {
            diags.warning_at(
                at("github_app_private_key"),
                "No GitHub App Key",
                "Connection types GITHUB and GITHUB_ENTERPRISE need `github_app_private_key` (or `_wo`) unless a credentials template provides it.",
            );
        }
        Some("GITHUB_ENTERPRISE") if config.attr("github_app_enterprise_base_url").is_null() => {
            diags.error_at(
                at("github_app_enterprise_base_url"),
                "Missing Enterprise URL",
                "Connection type GITHUB_ENTERPRISE needs `github_app_enterprise_base_url`.",
            );
        }
        Some("HTTPS_ANONYMOUS") if password || app || ssh || tls => {
            diags.error_at(
                at("connection_type"),
                "Credentials With Anonymous Connection",
                "HTTPS_ANONYMOUS takes no credentials; remove them or choose another connection type.",
            );
        }
        _ => {}
    }
}

/// Derives the connection type from the URL and credentials (plan time, known values only).
fn derive_connection_type(config: &Value) -> Value {
    let Some(url) = config.attr_str("url") else {
        return Value::unknown();
    };
    let secrets = [
        "ssh_private_key",
        "password",
        "github_app_private_key",
        "tls_client_cert_data",
    ];
    if secrets
        .iter()
        .any(|s| config.attr(s).is_unknown() || config.attr(&format!("{s}_wo")).is_unknown())
    {
        return Value::unknown();
    }
    let t = if is_ssh_url(url) {
        "SSH"
    } else if secret_set(config, "github_app_private_key") {
        if config.attr("github_app_enterprise_base_url").is_null() {
            "GITHUB"
        } else {
            "GITHUB_ENTERPRISE"
        }
    } else if secret_set(config, "password") || secret_set(config, "tls_client_cert_data") {
        "HTTPS"
    } else {
        "HTTPS_ANONYMOUS"
    };
    Value::string(t)
}

fn state_id(v: &Value) -> Value {
    ScopedId::of(v, "identifier")
        .map(|i| Value::string(i.to_string()))
        .unwrap_or_else(Value::unknown)
}

#[async_trait]
impl Resource<ProviderData> for GitopsRepository {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &PlanRequest<'_>,
        planned: &mut Value,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        common::plan_scope(
            req.config,
            planned,
            req.provider.map(|p| &p.defaults),
            diags,
        );
        if !req.config.attr("argo_project").is_null() && planned.attr("project_id").is_null() {
            diags.error_at(
                AttributePath::attr("argo_project"),
                "Argo Project Needs A Project",
                "`argo_project` can only be set on a project-level repository: set `project_id` (and `org_id`), here or in the provider.",
            );
        }
        if req.config.attr("connection_type").is_null() {
            let derived = derive_connection_type(req.config);
            // Keep the prior value when the derivation agrees (or cannot tell yet on update).
            let prior = req.prior.attr("connection_type");
            let v = if derived.is_unknown() && !prior.is_null() {
                prior.clone()
            } else {
                derived
            };
            planned.set_attr("connection_type", v);
        }
        if req.prior.is_null() {
            planned.set_attr("id", state_id(planned));
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let scope = common::scope_of(planned);
        let identifier = planned.attr_str("identifier").unwrap_or_default();
        let body = RepositoryCreateRequest {
            repo: Some(to_api(planned, config)),
            upsert: planned.attr("upsert").as_bool(),
            creds_only: planned.attr("creds_only").as_bool(),
            ..Default::default()
        };
        let resp = match ctx
            .provider
            .client(diags)?
            .repositories()
            .create(&scope, identifier, &body)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let id = ScopedId::of(planned, "identifier").map(|i| i.to_string());
                common::create_error(
                    diags,
                    "Unable to Create GitOps Repository",
                    &e,
                    "repository",
                    id,
                );
                return None;
            }
        };
        let state = settle(from_api(&resp, planned), planned);
        check_connection(&state, "created", diags);
        Some(state)
    }

    async fn read(&self, ctx: &Ctx, current: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let scope = common::scope_of(current);
        let identifier = current.attr_str("identifier").unwrap_or_default();
        match ctx
            .provider
            .client(diags)?
            .repositories()
            .get_opt(&scope, identifier)
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
        _prior: &Value,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let scope = common::scope_of(planned);
        let identifier = planned.attr_str("identifier").unwrap_or_default();
        let body = RepositoryUpdateRequest {
            repo: Some(to_api(planned, config)),
            ..Default::default()
        };
        match ctx
            .provider
            .client(diags)?
            .repositories()
            .update(&scope, identifier, &body)
            .await
        {
            Ok(resp) => {
                let state = settle(from_api(&resp, planned), planned);
                check_connection(&state, "updated", diags);
                Some(state)
            }
            Err(e) => {
                api_error(diags, "Unable to Update GitOps Repository", &e);
                None
            }
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value, diags: &mut Diagnostics) {
        let Some(client) = ctx.provider.client(diags) else {
            return;
        };
        let scope = common::scope_of(prior);
        let identifier = prior.attr_str("identifier").unwrap_or_default();
        let opts = DeleteOptions {
            force_delete: prior.attr("force_delete").as_bool().unwrap_or(false),
        };
        if let Err(e) = client.repositories().delete(&scope, identifier, opts).await {
            api_error(diags, "Unable to Delete GitOps Repository", &e);
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let sid = ScopedId::parse_import(id, "repository", diags)?;
        let mut stub = schema().null_object();
        stub.set_attr("identifier", Value::string(&sid.identifier));
        stub.set_attr("agent_id", Value::string(&sid.agent));
        stub.set_attr("org_id", Value::opt_string(sid.org.clone()));
        stub.set_attr("project_id", Value::opt_string(sid.project.clone()));
        let state = self.read(ctx, &stub, diags).await;
        if state.is_none() && !diags.has_errors() {
            diags.error(
                "Cannot Import Non-Existent Repository",
                format!("No GitOps repository {id:?} exists (or the API key cannot see it)."),
            );
        }
        state
    }
}

/// Fails the apply (keeping the state) when the agent could not connect to the repository.
fn check_connection(state: &Value, what: &str, diags: &mut Diagnostics) {
    if state.attr_str("connection_status") == Some("Failed") {
        diags.error_at(
            AttributePath::attr("url"),
            "GitOps Repository Connection Failed",
            format!(
                "The repository was {what}, but the GitOps agent cannot connect to it: {}\n\nIt is recorded in state (a \
                 created one is marked tainted); fix the URL or credentials and apply again.",
                state.attr_str("connection_message").unwrap_or("no message")
            ),
        );
    }
}

/// After create or update: the user's form of every value known in the plan wins, so the
/// result matches the plan exactly; the API fills what the plan left unknown.
fn settle(mut from_api: Value, planned: &Value) -> Value {
    if let (Some(out), Some(plan)) = (from_api.as_object_mut(), planned.as_object()) {
        for (k, v) in plan {
            if !v.is_unknown() {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    from_api
}

/// Optional strings: absent and empty are the same to the API.
fn opt(v: &Value, name: &str) -> Option<String> {
    v.attr_str(name)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The Argo repository object to send.
fn to_api(planned: &Value, config: &Value) -> Repository {
    let secret = |n: &str| secret_value(planned, config, n).map(str::to_string);
    let flag = |n: &str| Some(planned.attr(n).as_bool().unwrap_or(false));
    Repository {
        repo: opt(planned, "url"),
        repo_type: opt(planned, "type"),
        name: opt(planned, "name"),
        project: opt(planned, "argo_project"),
        connection_type: opt(planned, "connection_type"),
        username: opt(planned, "username"),
        proxy: opt(planned, "proxy"),
        no_proxy: opt(planned, "no_proxy"),
        github_app_id: planned.attr("github_app_id").as_i64().map(Int64),
        github_app_installation_id: planned
            .attr("github_app_installation_id")
            .as_i64()
            .map(Int64),
        github_app_enterprise_base_url: opt(planned, "github_app_enterprise_base_url"),
        insecure: flag("insecure"),
        insecure_ignore_host_key: flag("insecure_ignore_host_key"),
        enable_lfs: flag("enable_lfs"),
        enable_oci: flag("enable_oci"),
        force_http_basic_auth: flag("force_http_basic_auth"),
        password: secret("password").map(Into::into),
        ssh_private_key: secret("ssh_private_key").map(Into::into),
        tls_client_cert_data: secret("tls_client_cert_data").map(Into::into),
        tls_client_cert_key: secret("tls_client_cert_key").map(Into::into),
        github_app_private_key: secret("github_app_private_key").map(Into::into),
        ..Default::default()
    }
}

/// An optional string from the API, normalised against the prior value: empty and absent
/// mean null, unless the prior value says the user wrote `""`.
fn api_str(api: Option<&str>, prior: &Value) -> Value {
    match api.filter(|s| !s.is_empty()) {
        Some(s) => Value::string(s),
        None if prior.as_str() == Some("") => Value::string(""),
        None => Value::Null,
    }
}

/// The state for an API response. Keys, secrets and behaviour flags come from `prior`
/// (the API returns secrets masked and knows nothing of the flags).
fn from_api(resp: &RepositoryResponse, prior: &Value) -> Value {
    let empty = Repository::default();
    let r = resp.repository.as_ref().unwrap_or(&empty);
    let mut s = prior.clone();
    if s.as_object().is_none() {
        return s;
    }
    let p = |n: &str| prior.attr(n).clone();
    s.set_attr("url", api_str(r.repo.as_deref(), &p("url")));
    s.set_attr(
        "type",
        Value::string(
            r.repo_type
                .as_deref()
                .filter(|t| !t.is_empty())
                .unwrap_or("git"),
        ),
    );
    s.set_attr("name", api_str(r.name.as_deref(), &p("name")));
    s.set_attr(
        "argo_project",
        api_str(r.project.as_deref(), &p("argo_project")),
    );
    match r.connection_type.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => s.set_attr("connection_type", Value::string(c)),
        None if p("connection_type").is_unknown() => s.set_attr("connection_type", Value::Null),
        None => {}
    }
    s.set_attr("username", api_str(r.username.as_deref(), &p("username")));
    s.set_attr("proxy", api_str(r.proxy.as_deref(), &p("proxy")));
    s.set_attr("no_proxy", api_str(r.no_proxy.as_deref(), &p("no_proxy")));
    s.set_attr(
        "github_app_id",
        Value::opt_int(r.github_app_id.map(|n| n.0)),
    );
    s.set_attr(
        "github_app_installation_id",
        Value::opt_int(r.github_app_installation_id.map(|n| n.0)),
    );
    s.set_attr(
        "github_app_enterprise_base_url",
        api_str(
            r.github_app_enterprise_base_url.as_deref(),
            &p("github_app_enterprise_base_url"),
        ),
    );
    let flags = [
        ("insecure", r.insecure),
        ("insecure_ignore_host_key", r.insecure_ignore_host_key),
        ("enable_lfs", r.enable_lfs),
        ("enable_oci", r.enable_oci),
        ("force_http_basic_auth", r.force_http_basic_auth),
    ];
    for (name, v) in flags {
        s.set_attr(name, Value::Bool(v.unwrap_or(false)));
    }
    // Masked secrets: present → keep what the user configured; absent → gone remotely.
    let present = [
        (
            "password",
            r.password.as_ref().is_some_and(|x| !x.is_empty()),
        ),
        (
            "ssh_private_key",
            r.ssh_private_key.as_ref().is_some_and(|x| !x.is_empty()),
        ),
        (
            "tls_client_cert_data",
            r.tls_client_cert_data
                .as_ref()
                .is_some_and(|x| !x.is_empty()),
        ),
        (
            "tls_client_cert_key",
            r.tls_client_cert_key
                .as_ref()
                .is_some_and(|x| !x.is_empty()),
        ),
        (
            "github_app_private_key",
            r.github_app_private_key
                .as_ref()
                .is_some_and(|x| !x.is_empty()),
        ),
    ];
    for (name, is_present) in present {
        if !is_present {
            s.set_attr(name, Value::Null);
        } else if p(name).is_unknown() {
            s.set_attr(name, Value::Null);
        }
        s.set_attr(&format!("{name}_wo"), Value::Null);
    }
    for flag in BEHAVIOUR_FLAGS {
        if !p(flag).as_bool().is_some() {
            s.set_attr(flag, Value::Bool(false));
        }
    }
    let cs = r.connection_state.as_ref();
    s.set_attr(
        "connection_status",
        Value::opt_string(cs.and_then(|c| c.status.clone()).filter(|x| !x.is_empty())),
    );
    s.set_attr(
        "connection_message",
        Value::opt_string(cs.and_then(|c| c.message.clone()).filter(|x| !x.is_empty())),
    );
    s.set_attr(
        "inherited_creds",
        Value::Bool(r.inherited_creds.unwrap_or(false)),
    );
    s.set_attr("created_at", Value::opt_string(resp.created_at.clone()));
    s.set_attr(
        "updated_at",
        Value::opt_string(resp.last_modified_at.clone()),
    );
    s.set_attr("id", state_id(&s));
    s
}

/// The data source.
pub struct GitopsRepositoryData;

fn data_schema() -> Schema {
    let versions: Vec<String> = SECRETS
        .iter()
        .map(|(n, _)| format!("{n}_wo_version"))
        .collect();
    let mut leave_out: Vec<&str> = BEHAVIOUR_FLAGS.to_vec();
    leave_out.extend(versions.iter().map(String::as_str));
    common::data_source_schema(
        &schema(),
        "Reads a Harness GitOps repository by scope and identifier. Credentials are never exposed.",
        &[
            ("identifier", Constraint::Required),
            ("agent_id", Constraint::OptionalComputed),
            ("org_id", Constraint::OptionalComputed),
            ("project_id", Constraint::OptionalComputed),
        ],
        &leave_out,
    )
}

#[async_trait]
impl DataSource<ProviderData> for GitopsRepositoryData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        data_schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        common::check_identifier(config, "identifier", diags);
    }

    async fn read(&self, ctx: &Ctx, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let mut key = config.clone();
        common::plan_scope(config, &mut key, Some(&ctx.provider.defaults), diags);
        if diags.has_errors() {
            return None;
        }
        let scope = common::scope_of(&key);
        let identifier = key.attr_str("identifier").unwrap_or_default();
        let resp = match ctx
            .provider
            .client(diags)?
            .repositories()
            .get_opt(&scope, identifier)
            .await
        {
            Ok(Some(r)) => r,
            Ok(None) => {
                diags.error_at(
                    AttributePath::attr("identifier"),
                    "GitOps Repository Not Found",
                    format!(
                        "No repository {identifier:?} exists for agent {:?} in this scope.",
                        scope.agent
                    ),
                );
                return None;
            }
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Repository", &e);
                return None;
            }
        };
        // Map through the resource's full state shape, then keep the data source's attributes.
        let mut full = schema().null_object();
        for k in ["identifier", "agent_id", "org_id", "project_id"] {
            full.set_attr(k, key.attr(k).clone());
        }
        let full = from_api(&resp, &full);
        let ds = data_schema();
        Some(Value::Object(
            ds.block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), full.attr(&a.name).clone()))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests;
