//! `harness_gitops_repository_credentials`: an Argo CD credential template registered through
//! a Harness GitOps agent — credentials for every repository whose URL starts with the
//! template's `url` and that has none of its own — and the data source of the same name.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → API mapping
//! (`to_api`, `from_api`) → data source → tests.

use async_trait::async_trait;
use harness_gitops_client as harness;
use harness_gitops_client::models::{
    Int64, RepoCreds, RepoCredsCreateRequest, RepoCredsUpdateRequest, RepositoryCredentialsResponse,
};
use tfplugin::resource::Resource;
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics};
use tfplugin::typed::{self, ModelResource, Secret, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, api_str, Scope};
use super::data_source::ScopedLookup;
use super::Ctx;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_repository_credentials";

/// A Harness GitOps repository credential template (Argo CD "repository credentials"): the
/// agent uses its credentials for every repository whose URL starts with `url` and that has
/// no credentials of its own (such repositories report `inherited_creds = true`).
/// Credentials can be given as write-only attributes so they never reach plan or state.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct RepoCredsModel {
    /// Import ID of the template: `agent_id/identifier`, `org_id/agent_id/identifier` or
    /// `org_id/project_id/agent_id/identifier`, depending on its scope.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// Harness identifier of the template, unique within its scope and agent. Changing it
    /// replaces the template.
    #[tf(required, requires_replace, validate = common::identifier)]
    pub identifier: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// URL prefix the template applies to, e.g. `https://github.com/acme-ml/` or
    /// `git@github.com:acme-ml/`. Changing it replaces the template.
    #[tf(required, requires_replace)]
    pub url: Val<String>,
    /// Type of the repositories it applies to: `git` (default), `helm` or `oci`.
    #[tf(default = "git", one_of("git", "helm", "oci"))]
    pub r#type: Val<String>,
    /// Username for HTTPS authentication.
    #[tf(optional)]
    pub username: Val<String>,
    /// GitHub App ID (with `github_app_private_key`).
    #[tf(optional, validate = common::positive)]
    pub github_app_id: Val<i64>,
    /// GitHub App installation ID (with `github_app_private_key`).
    #[tf(optional, validate = common::positive)]
    pub github_app_installation_id: Val<i64>,
    /// GitHub Enterprise API base URL, e.g. `https://ghe.example.com/api/v3`.
    #[tf(optional)]
    pub github_app_enterprise_base_url: Val<String>,
    /// Treat matching Helm repositories as OCI registries. Defaults to `false`.
    #[tf(default = false)]
    pub enable_oci: Val<bool>,
    /// Password or token for HTTPS authentication (with `username`).
    #[tf(secret)]
    pub password: Secret,
    /// PEM private key for SSH authentication.
    #[tf(secret)]
    pub ssh_private_key: Secret,
    /// PEM client certificate for TLS client authentication (with `tls_client_cert_key`).
    #[tf(secret)]
    pub tls_client_cert_data: Secret,
    /// PEM private key of the TLS client certificate.
    #[tf(secret)]
    pub tls_client_cert_key: Secret,
    /// PEM private key of the GitHub App used for authentication.
    #[tf(secret)]
    pub github_app_private_key: Secret,
    /// On create, adopt a template that already exists with this identifier instead of
    /// failing. Defaults to `false`.
    #[tf(default = false)]
    pub upsert: Val<bool>,
    /// When the template was created (RFC 3339).
    #[tf(computed, keep_prior)]
    pub created_at: Val<String>,
    /// When the template was last modified (RFC 3339).
    #[tf(computed)]
    pub updated_at: Val<String>,
}

type M = RepoCredsModel;

/// Checks across attributes (the single-attribute ones are declared on the model): the
/// authentication methods (username/password, SSH key, TLS client certificate, GitHub App)
/// exclude each other, and each is complete.
fn validate_config(c: &M, diags: &mut Diagnostics) {
    let at = |n: &str| AttributePath::attr(n);
    let ssh = c.ssh_private_key.is_set();
    let password = c.password.is_set();
    let app = c.github_app_private_key.is_set();
    let cert = c.tls_client_cert_data.is_set();
    let cert_key = c.tls_client_cert_key.is_set();
    let methods = [
        (password, M::PASSWORD, "`username`/`password`"),
        (ssh, M::SSH_PRIVATE_KEY, "an SSH private key"),
        (
            cert || cert_key,
            M::TLS_CLIENT_CERT_DATA,
            "a TLS client certificate",
        ),
        (app, M::GITHUB_APP_PRIVATE_KEY, "a GitHub App"),
    ];
    let chosen: Vec<_> = methods.iter().filter(|m| m.0).collect();
    if let [first, rest @ ..] = chosen.as_slice() {
        for other in rest {
            diags.error_at(
                at(other.1),
                "Conflicting Authentication Methods",
                format!(
                    "A credential template takes one authentication method: {} cannot be combined with {}.",
                    other.2, first.2
                ),
            );
        }
    }
    if ssh && !c.username.is_null() {
        diags.error_at(
            at(M::USERNAME),
            "Conflicting Authentication Methods",
            "An SSH private key cannot be combined with `username`.",
        );
    }
    if cert != cert_key
        && !c.tls_client_cert_data.is_unknown()
        && !c.tls_client_cert_key.is_unknown()
    {
        let missing = if cert {
            M::TLS_CLIENT_CERT_KEY
        } else {
            M::TLS_CLIENT_CERT_DATA
        };
        diags.error_at(
            at(missing),
            "Incomplete TLS Client Certificate",
            "`tls_client_cert_data` and `tls_client_cert_key` (or their `_wo` forms) go together.",
        );
    }
    if app && (c.github_app_id.is_null() || c.github_app_installation_id.is_null()) {
        diags.error_at(
            at(M::GITHUB_APP_ID),
            "Incomplete GitHub App Credentials",
            "A GitHub App private key needs `github_app_id` and `github_app_installation_id`.",
        );
    }
    if let Some(url) = c.url.as_deref() {
        if url.trim().is_empty() {
            diags.error_at(
                at(M::URL),
                "Invalid URL Prefix",
                "`url` must be a non-empty URL prefix such as https://github.com/acme-ml/.",
            );
        }
    }
}

/// The resource.
pub struct GitopsRepositoryCredentials;

#[async_trait]
impl ModelResource<ProviderData> for GitopsRepositoryCredentials {
    type Model = M;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn validate(&self, config: &M, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, M, ProviderData>,
        planned: &mut M,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&planned.identifier);
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &M,
        config: &M,
        diags: &mut Diagnostics,
    ) -> Option<M> {
        let client = &common::client(ctx, "the credential template's 20m create deadline", diags)?;
        let identifier = planned.identifier.as_deref().unwrap_or_default();
        let body = RepoCredsCreateRequest {
            creds: Some(to_api(planned, config)),
            upsert: planned.upsert.known().copied(),
        };
        match client
            .repository_credentials()
            .create(&planned.scope.api(), identifier, &body)
            .await
        {
            Ok(resp) => Some(from_api(&resp, planned)),
            Err(e) => {
                let id = planned.id.known().cloned();
                common::create_error(
                    diags,
                    "Unable to Create GitOps Repository Credentials",
                    &e,
                    "repository credentials",
                    id,
                );
                common::failed_create_state(&e, planned, "repository credentials", diags)
            }
        }
    }

    async fn read(&self, ctx: &Ctx, current: &M, diags: &mut Diagnostics) -> Option<M> {
        let client = &common::client(ctx, "the credential template's 20m read deadline", diags)?;
        let identifier = current.identifier.as_deref().unwrap_or_default();
        match client
            .repository_credentials()
            .get_opt(&current.scope.api(), identifier)
            .await
        {
            Ok(Some(resp)) => Some(from_api(&resp, current)),
            Ok(None) => None,
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Repository Credentials", &e);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _prior: &M,
        planned: &M,
        config: &M,
        diags: &mut Diagnostics,
    ) -> Option<M> {
        let client = &common::client(ctx, "the credential template's 20m update deadline", diags)?;
        let identifier = planned.identifier.as_deref().unwrap_or_default();
        let body = RepoCredsUpdateRequest {
            creds: Some(to_api(planned, config)),
            ..Default::default()
        };
        match client
            .repository_credentials()
            .update(&planned.scope.api(), identifier, &body)
            .await
        {
            Ok(resp) => Some(from_api(&resp, planned)),
            Err(e) => {
                api_error(diags, "Unable to Update GitOps Repository Credentials", &e);
                None
            }
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &M, diags: &mut Diagnostics) {
        let Some(client) =
            &common::client(ctx, "the credential template's 20m delete deadline", diags)
        else {
            return;
        };
        let identifier = prior.identifier.as_deref().unwrap_or_default();
        if let Err(e) = client
            .repository_credentials()
            .delete(&prior.scope.api(), identifier)
            .await
        {
            api_error(diags, "Unable to Delete GitOps Repository Credentials", &e);
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<M> {
        let read = async |stub: &M, d: &mut Diagnostics| self.read(ctx, stub, d).await;
        super::data_source::import::<GitopsRepositoryCredentialsData, _>(id, read, diags).await
    }
}

/// The template to send: write-only values from the configuration win over the stored
/// secret; `enableOCI` is always sent (explicit `false`).
fn to_api(planned: &M, config: &M) -> RepoCreds {
    let opt = |v: &Val<String>| v.non_empty().map(str::to_string);
    let secret = |s: fn(&M) -> &Secret| s(planned).to_send(s(config)).map(|x| x.to_string().into());
    RepoCreds {
        url: opt(&planned.url),
        creds_type: opt(&planned.r#type),
        username: opt(&planned.username),
        github_app_id: planned.github_app_id.known().copied().map(Int64),
        github_app_installation_id: planned
            .github_app_installation_id
            .known()
            .copied()
            .map(Int64),
        github_app_enterprise_base_url: opt(&planned.github_app_enterprise_base_url),
        enable_oci: Some(planned.enable_oci.unwrap_or(false)),
        password: secret(|r| &r.password),
        ssh_private_key: secret(|r| &r.ssh_private_key),
        tls_client_cert_data: secret(|r| &r.tls_client_cert_data),
        tls_client_cert_key: secret(|r| &r.tls_client_cert_key),
        github_app_private_key: secret(|r| &r.github_app_private_key),
        ..Default::default()
    }
}

/// The state for an API response. Keys, secrets and `upsert` come from `prior` (the API
/// returns secrets masked and knows nothing of the flag).
fn from_api(resp: &RepositoryCredentialsResponse, prior: &M) -> M {
    let empty = RepoCreds::default();
    let r = resp.repo_creds.as_ref().unwrap_or(&empty);
    let mut s = prior.clone();
    s.url = api_str(r.url.as_deref(), &prior.url);
    s.r#type = Val::Known(
        r.creds_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("git")
            .to_string(),
    );
    s.username = api_str(r.username.as_deref(), &prior.username);
    s.github_app_id = Val::from_option(r.github_app_id.map(|n| n.0));
    s.github_app_installation_id = Val::from_option(r.github_app_installation_id.map(|n| n.0));
    s.github_app_enterprise_base_url = api_str(
        r.github_app_enterprise_base_url.as_deref(),
        &prior.github_app_enterprise_base_url,
    );
    s.enable_oci = Val::Known(r.enable_oci.unwrap_or(false));
    // Masked secrets: present → keep what the user configured; absent → gone remotely.
    let present = |x: &Option<harness::Secret>| x.as_ref().is_some_and(|x| !x.is_empty());
    s.password.settle_masked(present(&r.password));
    s.ssh_private_key.settle_masked(present(&r.ssh_private_key));
    s.tls_client_cert_data
        .settle_masked(present(&r.tls_client_cert_data));
    s.tls_client_cert_key
        .settle_masked(present(&r.tls_client_cert_key));
    s.github_app_private_key
        .settle_masked(present(&r.github_app_private_key));
    if !s.upsert.is_known() {
        s.upsert = Val::Known(false);
    }
    s.created_at = Val::from_option(resp.created_at.clone());
    s.updated_at = Val::from_option(resp.last_modified_at.clone());
    s.id = s.scope.import_id(&s.identifier);
    s
}

/// The data source: the resource's attributes without secrets and `upsert`.
pub struct GitopsRepositoryCredentialsData;

fn data_schema() -> Schema {
    let mut leave_out: Vec<&str> = vec![M::UPSERT];
    leave_out.extend(M::secret_names().iter().map(|n| n.wo_version));
    common::data_source_schema(
        &M::schema(),
        "Reads a Harness GitOps repository credential template by scope and identifier. Credentials are never exposed.",
        &[
            (M::IDENTIFIER, Constraint::Required),
            (Scope::AGENT_ID, Constraint::OptionalComputed),
            (Scope::ORG_ID, Constraint::OptionalComputed),
            (Scope::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &leave_out,
    )
}

#[async_trait]
impl ScopedLookup for GitopsRepositoryCredentialsData {
    type Model = M;
    type Response = RepositoryCredentialsResponse;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "Repository credentials";
    const KEY: &'static str = M::IDENTIFIER;

    fn schema() -> Schema {
        data_schema()
    }

    fn key(m: &mut M) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.identifier)
    }

    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<RepositoryCredentialsResponse>, harness::Error> {
        client.repository_credentials().get_opt(scope, key).await
    }

    fn convert(resp: &RepositoryCredentialsResponse, key: &M) -> M {
        from_api(resp, key)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsRepositoryCredentials)
}

#[cfg(test)]
mod tests;
