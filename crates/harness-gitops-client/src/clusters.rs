//! GitOps clusters: `…/agents/{agent}/clusters[/{identifier}]` (harness-gitops-api.md §2.2).

use super::client::Client;
use super::crud::{flag, Crud, DeleteOptions, Kind};
use super::error::Error;
use super::models::{ClusterCreateRequest, ClusterList, ClusterResponse, ClusterUpdateRequest};
use super::scope::Scope;

static KIND: Kind = Kind {
    singular: "cluster",
    plural: "clusters",
    entity_key: "cluster",
    id_name: "identifier",
    project_only: false,
};

/// Options of a cluster update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterUpdateOptions {
    /// Sent as `forceUpdate=true` when true.
    pub force_update: bool,
}

/// Cluster calls; from [`Client::clusters`].
pub struct Clusters<'c> {
    crud: Crud<'c>,
}

impl<'c> Clusters<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Clusters {
            crud: Crud {
                client,
                kind: &KIND,
            },
        }
    }

    /// Reads a cluster.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist or is soft-deleted; any other [`Error`].
    pub async fn get(&self, scope: &Scope, identifier: &str) -> Result<ClusterResponse, Error> {
        self.crud.get(scope, identifier).await
    }

    /// Reads a cluster; `Ok(None)` on HTTP 404 with gRPC code 5 and on a 200 without `cluster`
    /// (soft-deleted). When `Some`, `cluster` is present.
    pub async fn get_opt(
        &self,
        scope: &Scope,
        identifier: &str,
    ) -> Result<Option<ClusterResponse>, Error> {
        self.crud.get_opt(scope, identifier).await
    }

    /// Creates a cluster (`identifier` goes in the query); duplicate-safe under retries like
    /// [`Repositories::create`](super::Repositories::create).
    pub async fn create(
        &self,
        scope: &Scope,
        identifier: &str,
        request: &ClusterCreateRequest,
    ) -> Result<ClusterResponse, Error> {
        let query = vec![("identifier", identifier.to_string())];
        self.crud.create(scope, identifier, query, request).await
    }

    /// Updates a cluster. Argo applies only the fields named in `updatedFields`: fill them, e.g.
    /// with [`ClusterUpdateRequest::with_updated_fields_from`].
    pub async fn update(
        &self,
        scope: &Scope,
        identifier: &str,
        request: &ClusterUpdateRequest,
    ) -> Result<ClusterResponse, Error> {
        self.update_with(scope, identifier, request, ClusterUpdateOptions::default())
            .await
    }

    /// [`Clusters::update`] with options (`forceUpdate`).
    pub async fn update_with(
        &self,
        scope: &Scope,
        identifier: &str,
        request: &ClusterUpdateRequest,
        options: ClusterUpdateOptions,
    ) -> Result<ClusterResponse, Error> {
        let mut query = Vec::new();
        flag(&mut query, "forceUpdate", options.force_update);
        self.crud.update(scope, identifier, query, request).await
    }

    /// Deletes a cluster; a cluster that is already gone is success.
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

    /// Lists the agent's clusters in this scope (raw Argo CD objects).
    pub async fn list(&self, scope: &Scope) -> Result<ClusterList, Error> {
        self.crud.list(scope).await
    }
}
