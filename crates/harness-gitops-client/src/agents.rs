//! GitOps agents: `/api/v1/agents[/{identifier}…]` (harness-gitops-more.md §1). Unlike the
//! per-agent kinds, the path has no `agents/{agent}/` prefix, create, update and the manifest
//! calls carry the scope in the body (and, like every call, `accountIdentifier`/`routingId`
//! and the org/project in the query, which the gateway routes on), get answers the bare
//! `v1Agent`, and list is paged.
//!
//! The agent token (`credentials.privateKey`) and the manifests that embed it are secrets:
//! they are returned as [`Secret`] and never appear in errors or logs.

use reqwest::Method;

use super::client::{Call, Client};
use super::error::{Error, Operation};
use super::models::{Agent, AgentList, AgentYamlQuery};
use super::scope::Scope;
use super::secret::Secret;

/// Scope of an agent: the account comes from the client config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentScope {
    pub org: Option<String>,
    pub project: Option<String>,
}

impl AgentScope {
    /// An account-level agent.
    pub fn account() -> Self {
        AgentScope::default()
    }

    /// An org-level agent.
    pub fn org(org: impl Into<String>) -> Self {
        AgentScope {
            org: Some(org.into()),
            project: None,
        }
    }

    /// A project-level agent.
    pub fn project(org: impl Into<String>, project: impl Into<String>) -> Self {
        AgentScope {
            org: Some(org.into()),
            project: Some(project.into()),
        }
    }

    /// The scope of an agent object (its `orgIdentifier` / `projectIdentifier`).
    pub fn of(agent: &Agent) -> Self {
        AgentScope {
            org: agent.org_identifier.clone().filter(|s| !s.is_empty()),
            project: agent.project_identifier.clone().filter(|s| !s.is_empty()),
        }
    }

    fn scope(&self) -> Scope {
        Scope {
            org: self.org.clone(),
            project: self.project.clone(),
            agent: String::new(),
        }
    }
}

/// The entity key of a `v1Agent` reply: a 200 without it is "not there".
const ENTITY_KEY: &str = "identifier";
/// Page size of [`Agents::list`].
const PAGE_SIZE: i32 = 100;
/// [`Agents::list`] stops after this many pages (a server whose paging never ends).
const MAX_PAGES: i32 = 10_000;

/// Agent calls; from [`Client::agents`].
pub struct Agents<'c> {
    client: &'c Client,
}

impl<'c> Agents<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Agents { client }
    }

    fn call<'a>(
        &self,
        action: &'static str,
        method: Method,
        scope: &'a Scope,
        id: Option<&'a str>,
    ) -> Call<'a> {
        let op = Operation {
            action,
            kind: if id.is_some() || action == "create" {
                "agent"
            } else {
                "agents"
            },
            target: id.map(str::to_string),
            agent: String::new(),
        };
        let mut call = Call::new(op, method, scope, self.client.deadline());
        call.agent_path = false;
        if let Some(id) = id {
            call.path.push(("agent identifier", id));
        }
        call
    }

    /// `agent` with `accountIdentifier` from the client config and empty scope fields left out.
    fn with_account(&self, agent: &Agent) -> Agent {
        let mut agent = agent.clone();
        agent.account_identifier = Some(self.client.account_id().to_string());
        agent.org_identifier = agent.org_identifier.filter(|s| !s.is_empty());
        agent.project_identifier = agent.project_identifier.filter(|s| !s.is_empty());
        agent
    }

    fn identifier<'a>(&self, action: &'static str, agent: &'a Agent) -> Result<&'a str, Error> {
        match agent.identifier.as_deref() {
            Some(id) if !id.trim().is_empty() => Ok(id),
            _ => Err(Error::InvalidRequest {
                operation: Box::new(Operation {
                    action,
                    kind: "agent",
                    target: None,
                    agent: String::new(),
                }),
                detail: "the agent identifier is empty".into(),
            }),
        }
    }

    /// Creates an agent (`POST /api/v1/agents`; scope and identifier in the body, the account
    /// from the client config). Retries never create a duplicate: after an attempt with an
    /// unknown outcome the agent is looked up first, and returned if it exists. The reply
    /// carries the token (`credentials.privateKey`).
    ///
    /// # Errors
    /// [`Error::Api`] when it already existed before this call; any other [`Error`].
    pub async fn create(&self, agent: &Agent) -> Result<Agent, Error> {
        let id = self.identifier("create", agent)?;
        let body = self.with_account(agent);
        let scope = AgentScope::of(&body).scope();
        let mut call = self.call("create", Method::POST, &scope, None);
        call.op.target = Some(id.to_string());
        let call = call.json(&body)?;
        let mut lookup = self.call("create", Method::GET, &scope, Some(id));
        lookup.query.push(("withCredentials", "true".into()));
        lookup.deadline = call.deadline.clone();
        self.client.create(&call, &lookup, ENTITY_KEY).await
    }

    /// Reads an agent; with `with_credentials`, `credentials.privateKey` is asked for too.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist; any other [`Error`].
    pub async fn get(
        &self,
        scope: &AgentScope,
        identifier: &str,
        with_credentials: bool,
    ) -> Result<Agent, Error> {
        match self.get_opt(scope, identifier, with_credentials).await? {
            Some(agent) => Ok(agent),
            None => {
                let scope = scope.scope();
                Err(Error::NotFound {
                    operation: self.call("get", Method::GET, &scope, Some(identifier)).op,
                })
            }
        }
    }

    /// Reads an agent; `Ok(None)` on HTTP 404 with gRPC code 5 and on a 200 without
    /// `identifier`.
    pub async fn get_opt(
        &self,
        scope: &AgentScope,
        identifier: &str,
        with_credentials: bool,
    ) -> Result<Option<Agent>, Error> {
        let scope = scope.scope();
        let mut call = self.call("get", Method::GET, &scope, Some(identifier));
        if with_credentials {
            call.query.push(("withCredentials", "true".into()));
        }
        self.client.send_opt(&call, ENTITY_KEY).await
    }

    /// Updates an agent (`PUT /api/v1/agents/{identifier}`, the whole object; retried). Harness
    /// applies only `tags`, `metadata` (whole), `description` and `type`.
    pub async fn update(&self, agent: &Agent) -> Result<Agent, Error> {
        let id = self.identifier("update", agent)?;
        let body = self.with_account(agent);
        let scope = AgentScope::of(&body).scope();
        let call = self.call("update", Method::PUT, &scope, Some(id));
        let call = call.json(&body)?;
        self.client.send(&call).await
    }

    /// Deletes an agent; an agent that is already gone is success.
    pub async fn delete(&self, scope: &AgentScope, identifier: &str) -> Result<(), Error> {
        let scope = scope.scope();
        let call = self.call("delete", Method::DELETE, &scope, Some(identifier));
        self.client.delete(&call).await
    }

    /// Lists the agents of exactly this scope, every page.
    pub async fn list(&self, scope: &AgentScope) -> Result<Vec<Agent>, Error> {
        let scope = scope.scope();
        let mut all = Vec::new();
        for page in 0..MAX_PAGES {
            let mut call = self.call("list", Method::GET, &scope, None);
            call.query.push(("pageIndex", page.to_string()));
            call.query.push(("pageSize", PAGE_SIZE.to_string()));
            let reply: AgentList = self.client.send(&call).await?;
            let content = reply.content.unwrap_or_default();
            let got = content.len();
            all.extend(content);
            let more = match reply.total_pages {
                Some(total) => page + 1 < total,
                None => got as i32 >= PAGE_SIZE,
            };
            if !more || got == 0 {
                break;
            }
        }
        Ok(all)
    }

    /// Rotates the agent token (`POST /api/v1/agents/{identifier}/credentials`): the reply
    /// carries the new `credentials.privateKey`; the running agent is locked out until it gets
    /// the new token.
    pub async fn regenerate_credentials(
        &self,
        scope: &AgentScope,
        identifier: &str,
    ) -> Result<Agent, Error> {
        let scope = scope.scope();
        let mut call = self.call(
            "regenerate credentials of",
            Method::POST,
            &scope,
            Some(identifier),
        );
        call.path.push(("operation", "credentials"));
        self.client.send(&call).await
    }

    /// The agent's Kubernetes manifest (`POST …/{agentIdentifier}/deployment-spec/yaml`):
    /// multi-document YAML embedding the token. Pass the current token as `privateKey`:
    /// without it Harness regenerates the token.
    pub async fn deploy_yaml(
        &self,
        scope: &AgentScope,
        identifier: &str,
        query: &AgentYamlQuery,
    ) -> Result<Secret, Error> {
        self.yaml(
            "get the manifest of",
            scope,
            identifier,
            query,
            &["deployment-spec", "yaml"],
        )
        .await
    }

    /// The agent's Helm values file (`POST …/{agentIdentifier}/helm-overrides`), embedding
    /// the token; `privateKey` as for [`Agents::deploy_yaml`].
    pub async fn helm_overrides(
        &self,
        scope: &AgentScope,
        identifier: &str,
        query: &AgentYamlQuery,
    ) -> Result<Secret, Error> {
        self.yaml(
            "get the Helm overrides of",
            scope,
            identifier,
            query,
            &["helm-overrides"],
        )
        .await
    }

    async fn yaml(
        &self,
        action: &'static str,
        agent_scope: &AgentScope,
        identifier: &str,
        query: &AgentYamlQuery,
        segments: &[&'static str],
    ) -> Result<Secret, Error> {
        let scope = agent_scope.scope();
        let mut body = query.clone();
        body.account_identifier = Some(self.client.account_id().to_string());
        body.org_identifier = scope.org_id().map(str::to_string);
        body.project_identifier = scope.project_id().map(str::to_string);
        body.agent_identifier = Some(identifier.to_string());
        let mut call = self.call(action, Method::POST, &scope, Some(identifier));
        for segment in segments {
            call.path.push(("operation", segment));
        }
        call.raw = true;
        let call = call.json(&body)?;
        let bytes = self.client.send_raw(&call).await?;
        // grpc-gateway may wrap a string reply as a JSON string; a YAML body is taken as is.
        let text = match serde_json::from_slice::<String>(&bytes) {
            Ok(text) => text,
            Err(_) => String::from_utf8(bytes).map_err(|_| Error::InvalidRequest {
                operation: call.op.clone(),
                detail: "the server answered a manifest that is not UTF-8 text".into(),
            })?,
        };
        Ok(Secret::new(text))
    }
}
