//! Repository credential templates: `…/agents/{agent}/repocreds[/{identifier}]`
//! (harness-gitops-more.md §5.4).

use reqwest::Method;

use super::client::{Call, Client};
use super::crud::{Crud, Kind};
use super::error::{Error, Operation};
use super::models::{
    RepoCredsCreateRequest, RepoCredsUpdateRequest, RepositoryCredentialsList,
    RepositoryCredentialsQuery, RepositoryCredentialsResponse,
};
use super::scope::Scope;

static KIND: Kind = Kind {
    singular: "repository credentials",
    plural: "repocreds",
    entity_key: "repoCreds",
    id_name: "identifier",
    project_only: false,
};

/// Repository credential template calls; from [`Client::repository_credentials`].
pub struct RepositoryCredentials<'c> {
    crud: Crud<'c>,
}

impl Client {
    /// GitOps repository credential templates.
    pub fn repository_credentials(&self) -> RepositoryCredentials<'_> {
        RepositoryCredentials {
            crud: Crud {
                client: self,
                kind: &KIND,
            },
        }
    }
}

impl RepositoryCredentials<'_> {
    /// Reads a template.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist or is soft-deleted; any other [`Error`].
    pub async fn get(
        &self,
        scope: &Scope,
        identifier: &str,
    ) -> Result<RepositoryCredentialsResponse, Error> {
        self.crud.get(scope, identifier).await
    }

    /// Reads a template; `Ok(None)` on HTTP 404 with gRPC code 5 and on a 200 without
    /// `repoCreds`. When `Some`, `repoCreds` is present.
    pub async fn get_opt(
        &self,
        scope: &Scope,
        identifier: &str,
    ) -> Result<Option<RepositoryCredentialsResponse>, Error> {
        self.crud.get_opt(scope, identifier).await
    }

    /// Creates a template (`identifier` in the query); duplicate-safe under retries like
    /// every create.
    ///
    /// # Errors
    /// [`Error::Api`] with status 409 when it already existed (without `upsert`); any other
    /// [`Error`].
    pub async fn create(
        &self,
        scope: &Scope,
        identifier: &str,
        request: &RepoCredsCreateRequest,
    ) -> Result<RepositoryCredentialsResponse, Error> {
        let query = vec![("identifier", identifier.to_string())];
        self.crud.create(scope, identifier, query, request).await
    }

    /// Replaces a template (PUT of the whole object; retried, since it is idempotent).
    pub async fn update(
        &self,
        scope: &Scope,
        identifier: &str,
        request: &RepoCredsUpdateRequest,
    ) -> Result<RepositoryCredentialsResponse, Error> {
        self.crud
            .update(scope, identifier, Vec::new(), request)
            .await
    }

    /// Deletes a template; one that is already gone is success. The document's delete takes
    /// no `query.url` / `query.repoCredsType` (only the Go SDK sends them), so neither is sent.
    pub async fn delete(&self, scope: &Scope, identifier: &str) -> Result<(), Error> {
        self.crud.delete(scope, identifier, Vec::new()).await
    }

    /// Lists one page of templates: `POST /api/v1/repocreds` (at the API root, not under
    /// `agents/`), the scope and agent of `scope` in the body (and the scope in the query, as
    /// the gateway routes by it). `query`'s paging and search fields are sent as given.
    pub async fn list(
        &self,
        scope: &Scope,
        query: &RepositoryCredentialsQuery,
    ) -> Result<RepositoryCredentialsList, Error> {
        let client = self.crud.client;
        let op = Operation {
            action: "list",
            kind: KIND.plural,
            target: None,
            agent: scope.agent.clone(),
        };
        let mut call = Call::new(op, Method::POST, scope, client.deadline());
        call.agent_path = false;
        call.under_agents = false;
        call.path.push(("collection", KIND.plural));
        let body = RepositoryCredentialsQuery {
            account_identifier: Some(client.account_id().to_string()),
            org_identifier: scope.org_id().map(str::to_string),
            project_identifier: scope.project_id().map(str::to_string),
            agent_identifier: Some(scope.agent.clone()).filter(|a| !a.is_empty()),
            ..query.clone()
        };
        let call = call.json(&body)?;
        client.send(&call).await
    }
}
