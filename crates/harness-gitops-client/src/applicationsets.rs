//! ApplicationSets: `/api/v1/applicationset[/{identifier}]`, `/api/v1/applicationsets` and
//! `/api/v1/applicationset/generate` (reference harness-gitops-more.md §5.3). Not under
//! `agents/`: the agent is the `agentIdentifier` query parameter (in the body for the list).
//! Sets are project-scoped: every call needs org, project and agent in the [`Scope`].
//!
//! The path id of get and delete is the server's UUID (`identifier` of the answer); create and
//! update address the set by `applicationset.metadata.name` in the body. A create whose outcome
//! is unknown is resolved by a list lookup of that name, like every create of this client.

use reqwest::Method;

use super::client::{Call, Client};
use super::error::{Error, Operation};
use super::models::{
    ApplicationSet, ApplicationSetCreateRequest, ApplicationSetGenerateRequest,
    ApplicationSetGenerateResponse, ApplicationSetList, ApplicationSetQuery,
    ApplicationSetResponse,
};
use super::scope::Scope;

const SINGULAR: &str = "applicationset";
const PLURAL: &str = "applicationsets";
/// Key of the entity object in `servicev1ApplicationSet`.
const ENTITY_KEY: &str = "appset";
/// Page size of the lookup by name (a create's resolution, [`ApplicationSets::find`]).
const LOOKUP_PAGE: i32 = 1000;

/// ApplicationSet calls; from [`Client::applicationsets`].
pub struct ApplicationSets<'c> {
    client: &'c Client,
}

impl<'c> ApplicationSets<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        ApplicationSets { client }
    }

    fn op(
        action: &'static str,
        kind: &'static str,
        scope: &Scope,
        target: Option<&str>,
    ) -> Operation {
        Operation {
            action,
            kind,
            target: target.map(str::to_string),
            agent: scope.agent.clone(),
        }
    }

    /// A call at the API root: `applicationset[/{id}]?{scope}&agentIdentifier=…`.
    fn call<'a>(
        &self,
        action: &'static str,
        method: Method,
        scope: &'a Scope,
        target: Option<&str>,
    ) -> Result<Call<'a>, Error> {
        check_scope(scope, action, target)?;
        let op = Self::op(action, SINGULAR, scope, target);
        let mut call = Call::new(op, method, scope, self.client.deadline());
        call.agent_path = false;
        call.under_agents = false;
        call.project_only = true;
        call.path.push(("collection", SINGULAR));
        call.query.push(("agentIdentifier", scope.agent.clone()));
        Ok(call)
    }

    /// The list call: `POST applicationsets` with the scope in the body, the query only
    /// `routingId`.
    fn list_call<'a>(
        &self,
        action: &'static str,
        scope: &'a Scope,
        target: Option<&str>,
        query: &ApplicationSetQuery,
    ) -> Result<Call<'a>, Error> {
        check_scope(scope, action, target)?;
        let kind = if target.is_some() { SINGULAR } else { PLURAL };
        let op = Self::op(action, kind, scope, target);
        let mut call = Call::new(op, Method::POST, scope, self.client.deadline());
        call.agent_path = false;
        call.under_agents = false;
        // The scope travels in the body; only the gateway's `routingId` goes in the query.
        call.no_scope_query = true;
        call.query
            .push(("routingId", self.client.account_id().to_string()));
        call.path.push(("collection", PLURAL));
        let mut body = query.clone();
        body.account_identifier = Some(self.client.account_id().to_string());
        body.org_identifier = scope.org_id().map(str::to_string);
        body.project_identifier = scope.project_id().map(str::to_string);
        body.agent_identifier = Some(scope.agent.clone());
        call.json(&body)
    }

    /// Reads a set by its server identifier (UUID).
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist; [`Error::InvalidRequest`] when the scope
    /// lacks org, project or agent; any other [`Error`].
    pub async fn get(
        &self,
        scope: &Scope,
        identifier: &str,
    ) -> Result<ApplicationSetResponse, Error> {
        match self.get_opt(scope, identifier).await? {
            Some(found) => Ok(found),
            None => Err(Error::NotFound {
                operation: Box::new(Self::op("get", SINGULAR, scope, Some(identifier))),
            }),
        }
    }

    /// Reads a set; `Ok(None)` on HTTP 404 with gRPC code 5 and on a 200 without `appset`.
    /// When `Some`, `appset` is present.
    pub async fn get_opt(
        &self,
        scope: &Scope,
        identifier: &str,
    ) -> Result<Option<ApplicationSetResponse>, Error> {
        let mut call = self.call("get", Method::GET, scope, Some(identifier))?;
        call.path.push(("identifier", identifier));
        self.client.send_opt(&call, ENTITY_KEY).await
    }

    /// Creates a set (`POST applicationset`). `name` must equal
    /// `request.applicationset.metadata.name`: after an attempt with an unknown outcome the
    /// client looks the set up by that name (a list) before sending again, so retries never
    /// duplicate.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the names differ or the scope is incomplete;
    /// [`Error::Api`] with status 409 when it already existed (without `upsert`);
    /// [`Error::CreateUnresolved`] when the outcome stayed unknown; any other [`Error`].
    pub async fn create(
        &self,
        scope: &Scope,
        name: &str,
        request: &ApplicationSetCreateRequest,
    ) -> Result<ApplicationSetResponse, Error> {
        check_name(scope, "create", name, request.applicationset.as_ref())?;
        let mut call = self.call("create", Method::POST, scope, Some(name))?;
        call = call.json(request)?;
        let mut lookup = self.list_call("create", scope, Some(name), &lookup_query(name))?;
        lookup.pick = Some(pick_by_name);
        lookup.deadline = call.deadline.clone();
        self.client.create(&call, &lookup, ENTITY_KEY).await
    }

    /// Replaces a set (`PUT applicationset`, no id in the path: the body's
    /// `applicationset.metadata.name` names it). Idempotent, retried.
    ///
    /// # Errors
    /// As [`ApplicationSets::create`], except 409.
    pub async fn update(
        &self,
        scope: &Scope,
        name: &str,
        request: &ApplicationSetCreateRequest,
    ) -> Result<ApplicationSetResponse, Error> {
        check_name(scope, "update", name, request.applicationset.as_ref())?;
        let call = self.call("update", Method::PUT, scope, Some(name))?;
        let call = call.json(request)?;
        self.client.send(&call).await
    }

    /// Deletes a set by its server identifier; one already gone is success. (Argo CD deletes
    /// its generated applications too unless `syncPolicy.preserveResourcesOnDeletion`.)
    pub async fn delete(&self, scope: &Scope, identifier: &str) -> Result<(), Error> {
        let mut call = self.call("delete", Method::DELETE, scope, Some(identifier))?;
        call.path.push(("identifier", identifier));
        self.client.delete(&call).await
    }

    /// One page of the agent's sets in this project (`POST applicationsets`); the scope fields
    /// of `query` are filled from `scope` and the client's account.
    pub async fn list(
        &self,
        scope: &Scope,
        query: &ApplicationSetQuery,
    ) -> Result<ApplicationSetList, Error> {
        let call = self.list_call("list", scope, None, query)?;
        self.client.send(&call).await
    }

    /// The set named `name` (`metadata.name`, exact) in this scope, if any: a list filtered by
    /// `searchTerm`. For callers that know a name but no identifier (import, lost creates).
    pub async fn find(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<ApplicationSetResponse>, Error> {
        let list = self.list(scope, &lookup_query(name)).await?;
        Ok(list
            .content
            .unwrap_or_default()
            .into_iter()
            .find(|s| set_name(s) == Some(name) && s.appset.is_some()))
    }

    /// The applications `request.applicationset` would generate, without creating anything
    /// (`POST applicationset/generate`; retried: it changes nothing).
    pub async fn generate(
        &self,
        scope: &Scope,
        request: &ApplicationSetGenerateRequest,
    ) -> Result<ApplicationSetGenerateResponse, Error> {
        let name = request
            .applicationset
            .as_ref()
            .and_then(|a| a.metadata.as_ref())
            .and_then(|m| m.name.as_deref());
        let mut call = self.call("generate", Method::POST, scope, name)?;
        call.path.push(("operation", "generate"));
        let call = call.json(request)?;
        self.client.send(&call).await
    }
}

fn lookup_query(name: &str) -> ApplicationSetQuery {
    ApplicationSetQuery {
        search_term: Some(name.to_string()),
        page_size: Some(LOOKUP_PAGE),
        page_index: Some(0),
        ..Default::default()
    }
}

fn set_name(s: &ApplicationSetResponse) -> Option<&str> {
    s.appset
        .as_ref()
        .and_then(|a| a.metadata.as_ref())
        .and_then(|m| m.name.as_deref())
}

/// The list entry whose `appset.metadata.name` is `name`, as JSON; `None` when absent.
fn pick_by_name(name: &str, body: &[u8]) -> Option<Vec<u8>> {
    let list: ApplicationSetList = serde_json::from_slice(body).ok()?;
    let found = list
        .content?
        .into_iter()
        .find(|s| set_name(s) == Some(name) && s.appset.is_some())?;
    serde_json::to_vec(&found).ok()
}

/// Sets are project-scoped (harness-gitops-more.md §2.6): agent, org and project are needed.
fn check_scope(scope: &Scope, action: &'static str, target: Option<&str>) -> Result<(), Error> {
    let problem = if scope.agent.trim().is_empty() {
        Some("the agent identifier is empty")
    } else if scope.org_id().is_none() || scope.project_id().is_none() {
        Some("applicationsets are project-scoped: org and project identifiers are required")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(detail) => Err(Error::InvalidRequest {
            operation: Box::new(ApplicationSets::op(action, SINGULAR, scope, target)),
            detail: detail.to_string(),
        }),
    }
}

/// The body's `applicationset.metadata.name` must be the `name` the call addresses.
fn check_name(
    scope: &Scope,
    action: &'static str,
    name: &str,
    set: Option<&ApplicationSet>,
) -> Result<(), Error> {
    let body_name = set
        .and_then(|a| a.metadata.as_ref())
        .and_then(|m| m.name.as_deref());
    if body_name == Some(name) && !name.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidRequest {
        operation: Box::new(ApplicationSets::op(action, SINGULAR, scope, Some(name))),
        detail: match body_name {
            Some(other) if other != name => format!(
                "the body's applicationset.metadata.name {other:?} differs from the name {name:?}"
            ),
            _ => {
                "the body has no applicationset.metadata.name; set it to the set's name".to_string()
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ApplicationSetResponse, ObjectMeta};

    fn entry(name: &str, id: &str) -> ApplicationSetResponse {
        ApplicationSetResponse {
            identifier: Some(id.into()),
            appset: Some(ApplicationSet {
                metadata: Some(ObjectMeta {
                    name: Some(name.into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn pick_by_name_is_exact() {
        let list = ApplicationSetList {
            content: Some(vec![entry("web-x", "1"), entry("web", "2")]),
            ..Default::default()
        };
        let body = serde_json::to_vec(&list).unwrap();
        let found: ApplicationSetResponse =
            serde_json::from_slice(&pick_by_name("web", &body).unwrap()).unwrap();
        assert_eq!(found.identifier.as_deref(), Some("2"));
        assert!(pick_by_name("we", &body).is_none());
        assert!(pick_by_name("web", b"not json").is_none());
    }

    #[test]
    fn scope_and_name_checks() {
        assert!(check_scope(&Scope::project("o", "p", "a"), "get", None).is_ok());
        assert!(check_scope(&Scope::org("o", "a"), "get", None).is_err());
        assert!(check_scope(&Scope::project("o", "p", " "), "get", None).is_err());
        let scope = Scope::project("o", "p", "a");
        let set = entry("web", "1").appset.unwrap();
        assert!(check_name(&scope, "create", "web", Some(&set)).is_ok());
        let e = check_name(&scope, "create", "api", Some(&set)).unwrap_err();
        assert!(e.to_string().contains("differs"), "{e}");
        assert!(check_name(&scope, "create", "web", None).is_err());
    }
}
