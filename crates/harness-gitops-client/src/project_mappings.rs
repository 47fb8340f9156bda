//! Project mappings, v2 API: `/api/v2/agents/{agent}/appprojectsmapping[/{identifier}]`
//! (reference harness-gitops-more.md §5.2). One entity per Argo project, with a server id.

use reqwest::Method;

use super::client::{Call, Client};
use super::error::{Error, Operation};
use super::models::{
    AppProjectMappingCreateRequestV2, AppProjectMappingQueryV2, AppProjectMappingV2,
    AppProjectMappingV2List,
};
use super::scope::Scope;

/// Project mapping calls; from [`Client::project_mappings`].
pub struct ProjectMappings<'c> {
    client: &'c Client,
}

impl<'c> ProjectMappings<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        ProjectMappings { client }
    }

    fn call<'a>(
        &self,
        action: &'static str,
        method: Method,
        scope: &'a Scope,
        target: Option<&'a str>,
    ) -> Call<'a> {
        let op = Operation {
            action,
            kind: "project mapping",
            target: target.map(str::to_string),
            agent: scope.agent.clone(),
        };
        let mut call = Call::new(op, method, scope, self.client.deadline());
        call.v2 = true;
        call.path.push(("collection", "appprojectsmapping"));
        call
    }

    fn body(&self, scope: &Scope, argo_project: &str) -> AppProjectMappingCreateRequestV2 {
        AppProjectMappingCreateRequestV2 {
            agent_identifier: Some(scope.agent.clone()),
            account_identifier: Some(self.client.account_id().to_string()),
            org_identifier: scope.org_id().map(str::to_string),
            project_identifier: scope.project_id().map(str::to_string),
            argo_project_name: Some(argo_project.to_string()),
        }
    }

    /// Maps `argo_project` to the Harness project of `scope` (which must name org and project).
    /// A caller that lost the answer finds the mapping with [`ProjectMappings::find`].
    pub async fn create(
        &self,
        scope: &Scope,
        argo_project: &str,
    ) -> Result<AppProjectMappingV2, Error> {
        let mut call = self.call("create", Method::POST, scope, Some(argo_project));
        call.no_scope_query = true;
        let call = call.json(&self.body(scope, argo_project))?;
        self.client.send(&call).await
    }

    /// Reads a mapping by its server identifier; `Ok(None)` when it does not exist.
    pub async fn get_opt(
        &self,
        scope: &Scope,
        identifier: &str,
        argo_project: &str,
    ) -> Result<Option<AppProjectMappingV2>, Error> {
        let mut call = self.call("get", Method::GET, scope, Some(argo_project));
        call.path.push(("identifier", identifier));
        call.query
            .push(("argoProjectName", argo_project.to_string()));
        self.client.send_opt(&call, "identifier").await
    }

    /// Reads a mapping; [`Error::NotFound`] when it does not exist.
    pub async fn get(
        &self,
        scope: &Scope,
        identifier: &str,
        argo_project: &str,
    ) -> Result<AppProjectMappingV2, Error> {
        match self.get_opt(scope, identifier, argo_project).await? {
            Some(m) => Ok(m),
            None => Err(Error::NotFound {
                operation: self.call("get", Method::GET, scope, Some(argo_project)).op,
            }),
        }
    }

    /// The agent's mapping of `argo_project`, if any (a list filtered by name; import and
    /// lost creates use it, since they know no identifier).
    pub async fn find(
        &self,
        scope: &Scope,
        argo_project: &str,
    ) -> Result<Option<AppProjectMappingV2>, Error> {
        let list = self.list(scope).await?;
        Ok(list
            .app_project_mappings
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.argo_project_name.as_deref() == Some(argo_project)))
    }

    /// Moves a mapping to the Harness project of `scope`.
    pub async fn update(
        &self,
        scope: &Scope,
        identifier: &str,
        argo_project: &str,
    ) -> Result<AppProjectMappingV2, Error> {
        let mut call = self.call("update", Method::PUT, scope, Some(argo_project));
        call.no_scope_query = true;
        call.path.push(("identifier", identifier));
        let b = self.body(scope, argo_project);
        let body = AppProjectMappingQueryV2 {
            identifier: Some(identifier.to_string()),
            agent_identifier: b.agent_identifier,
            account_identifier: b.account_identifier,
            org_identifier: b.org_identifier,
            project_identifier: b.project_identifier,
            argo_project_name: b.argo_project_name,
        };
        let call = call.json(&body)?;
        self.client.send(&call).await
    }

    /// Deletes a mapping; already gone is success.
    pub async fn delete(
        &self,
        scope: &Scope,
        identifier: &str,
        argo_project: &str,
    ) -> Result<(), Error> {
        let mut call = self.call("delete", Method::DELETE, scope, Some(argo_project));
        call.path.push(("identifier", identifier));
        call.query
            .push(("argoProjectName", argo_project.to_string()));
        self.client.delete(&call).await
    }

    /// Lists the agent's mappings (`GET /api/v2/agents/{agent}/appprojectsmappings`).
    pub async fn list(&self, scope: &Scope) -> Result<AppProjectMappingV2List, Error> {
        let mut call = self.call("list", Method::GET, scope, None);
        call.path = vec![("collection", "appprojectsmappings")];
        self.client.send(&call).await
    }
}
