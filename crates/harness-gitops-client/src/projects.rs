//! Argo CD projects: `…/agents/{agent}/projects[/{name}]` (reference harness-gitops-more.md
//! §5.1). The answer is the raw Argo object, keyed by its name; there is no Harness identifier.

use super::client::Client;
use super::crud::{Crud, Kind};
use super::error::Error;
use super::models::{AppProject, AppProjectList, ProjectCreateRequest, ProjectUpdateRequest};
use super::scope::Scope;

static KIND: Kind = Kind {
    singular: "Argo project",
    plural: "projects",
    entity_key: "metadata",
    id_name: "name",
    project_only: false,
};

/// Argo project calls; from [`Client::projects`].
pub struct Projects<'c> {
    crud: Crud<'c>,
}

impl<'c> Projects<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Projects {
            crud: Crud {
                client,
                kind: &KIND,
            },
        }
    }

    /// Reads a project.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist; any other [`Error`].
    pub async fn get(&self, scope: &Scope, name: &str) -> Result<AppProject, Error> {
        self.crud.get(scope, name).await
    }

    /// Reads a project; `Ok(None)` when it does not exist.
    pub async fn get_opt(&self, scope: &Scope, name: &str) -> Result<Option<AppProject>, Error> {
        self.crud.get_opt(scope, name).await
    }

    /// Creates a project (its name is `request.project.metadata.name`); duplicate-safe under
    /// retries (a lookup by name before re-sending).
    pub async fn create(
        &self,
        scope: &Scope,
        name: &str,
        request: &ProjectCreateRequest,
    ) -> Result<AppProject, Error> {
        self.crud.create(scope, name, Vec::new(), request).await
    }

    /// Replaces a project (the whole object).
    pub async fn update(
        &self,
        scope: &Scope,
        name: &str,
        request: &ProjectUpdateRequest,
    ) -> Result<AppProject, Error> {
        self.crud.update(scope, name, Vec::new(), request).await
    }

    /// Deletes a project; a project that is already gone is success.
    pub async fn delete(&self, scope: &Scope, name: &str) -> Result<(), Error> {
        self.crud.delete(scope, name, Vec::new()).await
    }

    /// Lists the agent's projects in this scope.
    pub async fn list(&self, scope: &Scope) -> Result<AppProjectList, Error> {
        self.crud.list(scope).await
    }
}
