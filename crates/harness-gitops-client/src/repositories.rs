//! GitOps repositories: `…/agents/{agent}/repositories[/{identifier}]` (harness-gitops-api.md §2.1).

use super::client::Client;
use super::crud::{flag, Crud, DeleteOptions, Kind};
use super::error::Error;
use super::models::{
    RepositoryCreateRequest, RepositoryList, RepositoryResponse, RepositoryUpdateRequest,
};
use super::scope::Scope;

static KIND: Kind = Kind {
    singular: "repository",
    plural: "repositories",
    entity_key: "repository",
    id_name: "identifier",
    project_only: false,
};

/// Repository calls; from [`Client::repositories`].
pub struct Repositories<'c> {
    crud: Crud<'c>,
}

impl<'c> Repositories<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Repositories {
            crud: Crud {
                client,
                kind: &KIND,
            },
        }
    }

    /// Reads a repository.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist or is soft-deleted; any other [`Error`].
    pub async fn get(&self, scope: &Scope, identifier: &str) -> Result<RepositoryResponse, Error> {
        self.crud.get(scope, identifier).await
    }

    /// Reads a repository; `Ok(None)` on HTTP 404 with gRPC code 5 and on a 200 without
    /// `repository` (soft-deleted). When `Some`, `repository` is present.
    pub async fn get_opt(
        &self,
        scope: &Scope,
        identifier: &str,
    ) -> Result<Option<RepositoryResponse>, Error> {
        self.crud.get_opt(scope, identifier).await
    }

    /// Creates a repository (`identifier` goes in the query). Retries never create a duplicate:
    /// after an attempt with an unknown outcome the repository is looked up first, and returned
    /// if it exists.
    ///
    /// # Errors
    /// [`Error::Api`] with status 409 when it already existed before this call; any other [`Error`].
    pub async fn create(
        &self,
        scope: &Scope,
        identifier: &str,
        request: &RepositoryCreateRequest,
    ) -> Result<RepositoryResponse, Error> {
        let query = vec![("identifier", identifier.to_string())];
        self.crud.create(scope, identifier, query, request).await
    }

    /// Replaces a repository (PUT of the whole object; retried, since it is idempotent).
    pub async fn update(
        &self,
        scope: &Scope,
        identifier: &str,
        request: &RepositoryUpdateRequest,
    ) -> Result<RepositoryResponse, Error> {
        self.crud
            .update(scope, identifier, Vec::new(), request)
            .await
    }

    /// Deletes a repository; a repository that is already gone is success.
    pub async fn delete(
        &self,
        scope: &Scope,
        identifier: &str,
        options: DeleteOptions,
    ) -> Result<(), Error> {
        let mut query = Vec::new();
        flag(&mut query, "forceDelete", options.force_delete);
        self.crud.delete(scope, identifier, query).await
    }

    /// Lists the agent's repositories in this scope (raw Argo CD objects).
    pub async fn list(&self, scope: &Scope) -> Result<RepositoryList, Error> {
        self.crud.list(scope).await
    }
}
