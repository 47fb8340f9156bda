//! `harness_gitops_agent_credentials` (ephemeral, Terraform 1.10+): the agent's token for
//! other providers (a Helm release's values, a Kubernetes Secret's write-only data), opened
//! when needed and never stored in plan or state.

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::resource::EphemeralResource;
use tfplugin::tf::{AttributePath, Diagnostics};
use tfplugin::typed::{self, ModelEphemeral, OpenedModel};
use tfplugin::{Model, Val};

use super::common::{self, api_error};
use super::gitops_agent::{agent_id_of, lookup_scope, parse_agent_id};
use super::Ctx;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_agent_credentials";

/// The token (private key) of a Harness GitOps agent, for other providers' write-only or
/// ephemeral arguments: it is never stored in plan or state. Reading it never issues a new
/// token.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct AgentCredentials {
    /// The agent's `id` (`identifier`, `org_id/identifier` or `org_id/project_id/identifier`).
    /// For an agent made in the same configuration, pass `harness_gitops_agent.<name>.id`: it is
    /// known only once the agent exists, so Terraform opens this after the create (an
    /// identifier known at plan time would be looked up before the agent exists).
    #[tf(optional_computed, exactly_one_of("identifier"))]
    pub id: Val<String>,
    /// Identifier of the agent (with `org_id` and `project_id`), instead of `id`.
    #[tf(optional_computed, validate = common::identifier)]
    pub identifier: Val<String>,
    /// Organization of the agent. Defaults to the provider's `org_id` (with `identifier`).
    #[tf(optional_computed)]
    pub org_id: Val<String>,
    /// Project of the agent. Defaults to the provider's `project_id` (with `identifier`).
    #[tf(optional_computed)]
    pub project_id: Val<String>,
    /// The agent's token (`GITOPS_AGENT_TOKEN` of its manifest).
    #[tf(computed, sensitive)]
    pub token: Val<String>,
    /// The agent's public key.
    #[tf(computed)]
    pub public_key: Val<String>,
}

/// The ephemeral resource.
pub struct GitopsAgentCredentials;

#[async_trait]
impl ModelEphemeral<ProviderData> for GitopsAgentCredentials {
    type Model = AgentCredentials;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    async fn open(
        &self,
        ctx: &Ctx,
        mut config: AgentCredentials,
        diags: &mut Diagnostics,
    ) -> Option<OpenedModel<AgentCredentials>> {
        let client = &common::client(ctx, "the ephemeral resource's 5m deadline", diags)?;
        if let Some(id) = config.id.known().cloned() {
            let Some((org, project, ident)) = parse_agent_id(&id) else {
                diags.error_at(
                    AttributePath::attr(AgentCredentials::ID),
                    "Invalid Agent ID",
                    format!("{id:?} is not an agent id: `identifier`, `org_id/identifier` or `org_id/project_id/identifier`."),
                );
                return None;
            };
            if !config.org_id.is_null() || !config.project_id.is_null() {
                diags.error_at(
                    AttributePath::attr(AgentCredentials::ID),
                    "Scope Given Twice",
                    "`id` names the agent's scope: leave `org_id` and `project_id` unset with it.",
                );
                return None;
            }
            config.identifier = ident;
            config.org_id = org.or(Val::Known(String::new()));
            config.project_id = project.or(Val::Known(String::new()));
        }
        let scope = lookup_scope(
            &mut config.org_id,
            &mut config.project_id,
            &ctx.provider.defaults,
            diags,
        )?;
        let identifier = config.identifier.as_deref().unwrap_or_default().to_string();
        let agent = match client.agents().get_opt(&scope, &identifier, true).await {
            Ok(Some(a)) => a,
            Ok(None) => {
                diags.error_at(
                    AttributePath::attr(AgentCredentials::IDENTIFIER),
                    "GitOps Agent Not Found",
                    format!("No agent {identifier:?} exists in this scope."),
                );
                return None;
            }
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Agent Credentials", &e);
                return None;
            }
        };
        let creds = agent.credentials.unwrap_or_default();
        let Some(token) = creds.private_key.filter(|k| !k.is_empty()) else {
            diags.error_at(
                AttributePath::attr(AgentCredentials::IDENTIFIER),
                "Agent Token Not Available",
                "Harness did not return the agent's token (it may omit it once the agent has connected, or the API key \
                 lacks the agent edit permission). Change `credentials_version` on the agent to issue a new one.",
            );
            return None;
        };
        let mut result = config;
        result.org_id = result.org_id.or(Val::Known(String::new()));
        result.project_id = result.project_id.or(Val::Known(String::new()));
        result.id = Val::Known(agent_id_of(
            result.org_id.non_empty(),
            result.project_id.non_empty(),
            &identifier,
        ));
        result.token = Val::Known(token.expose().to_string());
        result.public_key = Val::Known(creds.public_key.unwrap_or_default());
        Some(OpenedModel::new(result))
    }
}

/// The registered ephemeral resource.
pub fn ephemeral() -> Arc<dyn EphemeralResource<ProviderData>> {
    typed::ephemeral(GitopsAgentCredentials)
}
