//! `harness_gitops_agent_deploy_yaml`: the agent's manifest (plain YAML and Helm values) for
//! users who install the agent with their own tools (a Helm or Kubernetes provider, GitOps).
//!
//! The manifest is fetched with the agent's own token, read from Harness (`withCredentials`):
//! fetched without it, Harness would issue a new token and lock the running agent out (a
//! known bug of the official provider's data source). The outputs embed the token: they are
//! sensitive, and like every data source result they are stored in state. To keep the token
//! out of state, let the agent resource `install` it, or pass the ephemeral
//! `harness_gitops_agent_credentials` to your own tools.

use std::sync::Arc;

use async_trait::async_trait;
use harness_gitops_client::models::{AgentProxy, AgentYamlQuery};
use harness_gitops_client::Secret;
use tfplugin::resource::DataSource;
use tfplugin::tf::schema::Schema;
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::TfType;
use tfplugin::{Model, Val};

use super::common::{self, api_error};
use super::Ctx;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_agent_deploy_yaml";

/// The proxy the agent reaches Harness through.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct YamlProxy {
    /// HTTP proxy URL.
    #[tf(optional)]
    pub http: Val<String>,
    /// HTTPS proxy URL.
    #[tf(optional)]
    pub https: Val<String>,
    /// Proxy user name.
    #[tf(optional)]
    pub username: Val<String>,
    /// Proxy password.
    #[tf(optional, sensitive)]
    pub password: Val<String>,
    /// Skip TLS verification of the proxy.
    #[tf(optional)]
    pub skip_ssl_verify: Val<bool>,
}

/// The manifest of a Harness GitOps agent, as plain Kubernetes YAML and as Helm values, for
/// installing it with other tools. Both embed the agent's token: they are sensitive and, as
/// data source results, stored in state. The manifest is fetched with the agent's current
/// token, so reading it never locks a running agent out.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AgentDeployYaml {
    /// Identifier of the agent.
    #[tf(required, validate = common::identifier)]
    pub identifier: Val<String>,
    /// Organization of the agent. Defaults to the provider's `org_id`.
    #[tf(optional_computed)]
    pub org_id: Val<String>,
    /// Project of the agent. Defaults to the provider's `project_id`.
    #[tf(optional_computed)]
    pub project_id: Val<String>,
    /// Namespace the agent is installed in (it must exist before the manifest is applied:
    /// Harness does not create it).
    #[tf(required, validate = common::dns_label)]
    pub namespace: Val<String>,
    /// Leave out Argo CD's CustomResourceDefinitions.
    #[tf(optional)]
    pub skip_crds: Val<bool>,
    /// PEM CA bundle the agent trusts when it connects to Harness.
    #[tf(optional)]
    pub ca_data: Val<String>,
    /// The proxy the agent reaches Harness through.
    #[tf(optional, nested)]
    pub proxy: Val<YamlProxy>,
    /// The multi-document Kubernetes YAML (embeds the agent's token).
    #[tf(computed, sensitive)]
    pub yaml: Val<String>,
    /// The Helm values file for Harness's `gitops-helm` chart (embeds the agent's token).
    #[tf(computed, sensitive)]
    pub helm_values: Val<String>,
}

/// The data source.
pub struct AgentDeployYamlData;

#[async_trait]
impl DataSource<ProviderData> for AgentDeployYamlData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut s = AgentDeployYaml::schema();
        s.block.description = format!(
            "{} A read takes at most 5 minutes, each call at most the provider's `request_timeout`.",
            s.block.description
        );
        s
    }

    async fn read(&self, ctx: &Ctx, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = &common::client(ctx, common::DATA_SOURCE_LIMIT, diags)?;
        let mut m = match AgentDeployYaml::from_object(config) {
            Ok(m) => m,
            Err(d) => {
                diags.0.push(d);
                return None;
            }
        };
        let scope = super::gitops_agent::lookup_scope(
            &mut m.org_id,
            &mut m.project_id,
            &ctx.provider.defaults,
            diags,
        )?;
        let identifier = m.identifier.as_deref().unwrap_or_default().to_string();
        let agents = client.agents();
        let token = match agents.get_opt(&scope, &identifier, true).await {
            Ok(Some(a)) => a
                .credentials
                .and_then(|c| c.private_key)
                .filter(|k| !k.is_empty()),
            Ok(None) => {
                diags.error_at(
                    AttributePath::attr(AgentDeployYaml::IDENTIFIER),
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
        let Some(token) = token else {
            diags.error_at(
                AttributePath::attr(AgentDeployYaml::IDENTIFIER),
                "Agent Token Not Available",
                "Harness did not return the agent's token (it may omit it once the agent has connected). Fetching the \
                 manifest without it would issue a new token and lock the running agent out, so nothing was fetched. \
                 Regenerate the credentials deliberately (`credentials_version` on `harness_gitops_agent`) and read again.",
            );
            return None;
        };
        let query = AgentYamlQuery {
            namespace: m.namespace.known().cloned(),
            skip_crds: m.skip_crds.known().copied(),
            ca_data: m.ca_data.non_empty().map(str::to_string),
            private_key: Some(token),
            proxy: m.proxy.known().map(|p| AgentProxy {
                http: p.http.known().cloned(),
                https: p.https.known().cloned(),
                username: p.username.known().cloned(),
                password: p.password.known().map(|s| Secret::new(s.clone())),
                skip_ssl_verify: p.skip_ssl_verify.known().copied(),
            }),
            ..Default::default()
        };
        let yaml = match agents.deploy_yaml(&scope, &identifier, &query).await {
            Ok(y) => y,
            Err(e) => {
                api_error(diags, "Unable to Fetch the Agent's Manifest", &e);
                return None;
            }
        };
        let values = match agents.helm_overrides(&scope, &identifier, &query).await {
            Ok(y) => y,
            Err(e) => {
                api_error(diags, "Unable to Fetch the Agent's Helm Values", &e);
                return None;
            }
        };
        m.yaml = Val::Known(yaml.expose().to_string());
        m.helm_values = Val::Known(values.expose().to_string());
        Some(m.to_value())
    }
}

/// The registered data source.
pub fn data_source() -> Arc<dyn DataSource<ProviderData>> {
    Arc::new(AgentDeployYamlData)
}
