//! GitOps applications: `…/agents/{agent}/applications[/{name}]` (harness-gitops-api.md §2.3).
//! Applications are project-scoped only: every call needs org and project in the [`Scope`].

use super::client::Client;
use super::crud::{flag, Crud, DeleteOptions, Kind};
use super::error::{Error, Operation};
use super::models::{
    Application, ApplicationCreateRequest, ApplicationList, ApplicationResponse,
    ApplicationSyncRequest, ApplicationUpdateRequest,
};
use super::scope::Scope;

static KIND: Kind = Kind {
    singular: "application",
    plural: "applications",
    entity_key: "app",
    id_name: "name",
    project_only: true,
};

/// Query parameters of application create and update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppQuery {
    /// `clusterIdentifier`: the Harness cluster the application deploys to.
    pub cluster_identifier: Option<String>,
    /// `repoIdentifier`: the Harness repository of a single-source application.
    pub repo_identifier: Option<String>,
    /// `repoIdentifiers`, one query parameter per item (multi-source applications).
    pub repo_identifiers: Vec<String>,
    /// `skipRepoValidation=true` when true.
    pub skip_repo_validation: bool,
}

impl AppQuery {
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        let set = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        if let Some(c) = set(&self.cluster_identifier) {
            q.push(("clusterIdentifier", c));
        }
        if let Some(r) = set(&self.repo_identifier) {
            q.push(("repoIdentifier", r));
        }
        q.extend(
            self.repo_identifiers
                .iter()
                .map(|r| ("repoIdentifiers", r.clone())),
        );
        flag(&mut q, "skipRepoValidation", self.skip_repo_validation);
        q
    }
}

/// Options of an application delete. `From<DeleteOptions>` keeps the common call shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplicationDeleteOptions {
    /// `options.forceDelete=true` when true (Go SDK; not in the 2025-07 document).
    pub force_delete: bool,
    /// `request.cascade`, sent when set.
    pub cascade: Option<bool>,
    /// `request.propagationPolicy` (`foreground`, `background`, `orphan`), sent when set.
    pub propagation_policy: Option<String>,
    /// `options.removeExistingFinalizers=true` when true.
    pub remove_existing_finalizers: bool,
    /// `request.appNamespace`: the application's Kubernetes namespace, sent when set and not
    /// empty.
    pub app_namespace: Option<String>,
}

impl From<DeleteOptions> for ApplicationDeleteOptions {
    fn from(o: DeleteOptions) -> Self {
        ApplicationDeleteOptions {
            force_delete: o.force_delete,
            ..Default::default()
        }
    }
}

/// Application calls; from [`Client::applications`].
pub struct Applications<'c> {
    crud: Crud<'c>,
}

impl<'c> Applications<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Applications {
            crud: Crud {
                client,
                kind: &KIND,
            },
        }
    }

    /// Reads an application.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist or is soft-deleted;
    /// [`Error::InvalidRequest`] when the scope lacks org or project; any other [`Error`].
    pub async fn get(&self, scope: &Scope, name: &str) -> Result<ApplicationResponse, Error> {
        self.crud.get(scope, name).await
    }

    /// Reads an application; `Ok(None)` on HTTP 404 with gRPC code 5 and on a 200 without `app`.
    /// When `Some`, `app` is present.
    pub async fn get_opt(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<ApplicationResponse>, Error> {
        self.crud.get_opt(scope, name).await
    }

    /// As [`Applications::get_opt`], in the Kubernetes namespace `namespace` of the
    /// application (`query.appNamespace`, sent when given and not empty): Argo CD names an
    /// application by namespace and name.
    pub async fn get_opt_in(
        &self,
        scope: &Scope,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Option<ApplicationResponse>, Error> {
        let query = namespace
            .filter(|n| !n.is_empty())
            .map(|n| ("query.appNamespace", n.to_string()))
            .into_iter()
            .collect();
        self.crud.get_opt_query(scope, name, query).await
    }

    /// Creates an application. `name` must equal `request.application.metadata.name` (the API
    /// takes the name from the body; the client uses `name` to look the application up before
    /// re-sending after an attempt with an unknown outcome, so retries never duplicate).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the names differ or the scope lacks org or project;
    /// [`Error::Api`] with status 409 when it already existed; any other [`Error`].
    pub async fn create(
        &self,
        scope: &Scope,
        name: &str,
        query: &AppQuery,
        request: &ApplicationCreateRequest,
    ) -> Result<ApplicationResponse, Error> {
        check_name(scope, "create", name, request.application.as_ref())?;
        // The lookup after an attempt with an unknown outcome names the namespace too.
        let lookup = request
            .application
            .as_ref()
            .and_then(|a| a.metadata.as_ref())
            .and_then(|m| m.namespace.clone())
            .filter(|n| !n.is_empty())
            .map(|n| ("query.appNamespace", n))
            .into_iter()
            .collect();
        self.crud
            .create_with_lookup(scope, name, query.params(), lookup, request)
            .await
    }

    /// Replaces an application (PUT of the whole object to `applications/{name}`; retried).
    ///
    /// # Errors
    /// As [`Applications::create`], except 409.
    pub async fn update(
        &self,
        scope: &Scope,
        name: &str,
        query: &AppQuery,
        request: &ApplicationUpdateRequest,
    ) -> Result<ApplicationResponse, Error> {
        check_name(scope, "update", name, request.application.as_ref())?;
        self.crud.update(scope, name, query.params(), request).await
    }

    /// Deletes an application; one that is already gone is success. Accepts [`DeleteOptions`]
    /// or [`ApplicationDeleteOptions`].
    pub async fn delete(
        &self,
        scope: &Scope,
        name: &str,
        options: impl Into<ApplicationDeleteOptions>,
    ) -> Result<(), Error> {
        let options = options.into();
        let mut query = Vec::new();
        if let Some(cascade) = options.cascade {
            query.push(("request.cascade", cascade.to_string()));
        }
        if let Some(policy) = options.propagation_policy.filter(|p| !p.is_empty()) {
            query.push(("request.propagationPolicy", policy));
        }
        if let Some(ns) = options.app_namespace.filter(|n| !n.is_empty()) {
            query.push(("request.appNamespace", ns));
        }
        flag(
            &mut query,
            "options.removeExistingFinalizers",
            options.remove_existing_finalizers,
        );
        flag(&mut query, "options.forceDelete", options.force_delete);
        self.crud.delete(scope, name, query).await
    }

    /// Starts a sync operation (`POST …/applications/{name}/sync`); answers the application
    /// with its operation. Retried on transient failures like an update: a retry after an
    /// attempt that did start the sync is refused while that sync runs, which
    /// [`Error::is_operation_in_progress`] recognises.
    ///
    /// # Errors
    /// [`Error::Api`] with status 400 and gRPC code 9 (FailedPrecondition) while another
    /// operation runs or the application is being deleted; any other [`Error`].
    pub async fn sync(
        &self,
        scope: &Scope,
        name: &str,
        request: &ApplicationSyncRequest,
    ) -> Result<ApplicationResponse, Error> {
        if let Some(other) = request.name.as_deref().filter(|n| *n != name) {
            return Err(Error::InvalidRequest {
                operation: Box::new(Operation {
                    action: "sync",
                    kind: KIND.singular,
                    target: Some(name.to_string()),
                    agent: scope.agent.clone(),
                }),
                detail: format!("the body's name {other:?} differs from the name {name:?}"),
            });
        }
        self.crud
            .post_action("sync", scope, name, "sync", request)
            .await
    }

    /// Lists the agent's applications in this project (raw Argo CD objects).
    pub async fn list(&self, scope: &Scope) -> Result<ApplicationList, Error> {
        self.crud.list(scope).await
    }
}

/// The body's `application.metadata.name` must be the `name` the call addresses.
fn check_name(
    scope: &Scope,
    action: &'static str,
    name: &str,
    app: Option<&Application>,
) -> Result<(), Error> {
    let body_name = app
        .and_then(|a| a.metadata.as_ref())
        .and_then(|m| m.name.as_deref());
    if body_name == Some(name) {
        return Ok(());
    }
    Err(Error::InvalidRequest {
        operation: Box::new(Operation {
            action,
            kind: KIND.singular,
            target: Some(name.to_string()),
            agent: scope.agent.clone(),
        }),
        detail: match body_name {
            Some(other) => format!(
                "the body's application.metadata.name {other:?} differs from the name {name:?}"
            ),
            None => "the body has no application.metadata.name; set it to the application name"
                .to_string(),
        },
    })
}
