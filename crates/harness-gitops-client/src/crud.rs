//! The operations every kind shares (get, get_opt, create, update, delete, list), written once
//! over a [`Kind`] descriptor; `repositories.rs`, `clusters.rs` and `applications.rs` are thin
//! typed front ends.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::{Call, Client};
use super::error::{Error, Operation};
use super::scope::Scope;

/// How one kind appears in the API.
pub(crate) struct Kind {
    /// For messages: `repository`.
    pub singular: &'static str,
    /// URL segment after `agents/{agent}/`, and the kind in `list` messages: `repositories`.
    pub plural: &'static str,
    /// Key of the entity object in the `servicev1*` response: `repository`, `cluster`, `app`.
    pub entity_key: &'static str,
    /// What the path id is called in messages: `identifier` or `name`.
    pub id_name: &'static str,
    /// Only project-scoped entities exist (applications, harness-gitops-api.md §2.3).
    pub project_only: bool,
}

/// A kind bound to a client.
pub(crate) struct Crud<'c> {
    pub client: &'c Client,
    pub kind: &'static Kind,
}

impl<'c> Crud<'c> {
    fn call<'a>(
        &self,
        action: &'static str,
        method: Method,
        scope: &'a Scope,
        id: Option<&'a str>,
    ) -> Call<'a> {
        let op = Operation {
            action,
            kind: if id.is_some() {
                self.kind.singular
            } else {
                self.kind.plural
            },
            target: id.map(str::to_string),
            agent: scope.agent.clone(),
        };
        let mut call = Call::new(op, method, scope, self.client.deadline());
        call.project_only = self.kind.project_only;
        call.path.push(("collection", self.kind.plural));
        if let Some(id) = id {
            call.path.push((self.kind.id_name, id));
        }
        call
    }

    /// `GET {plural}/{id}`; `None` when missing or soft-deleted.
    pub async fn get_opt<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<T>, Error> {
        self.get_opt_query(scope, id, Vec::new()).await
    }

    /// `GET {plural}/{id}?{query}`; `None` when missing or soft-deleted.
    pub async fn get_opt_query<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        id: &str,
        query: Vec<(&'static str, String)>,
    ) -> Result<Option<T>, Error> {
        let mut call = self.call("get", Method::GET, scope, Some(id));
        call.query = query;
        self.client.send_opt(&call, self.kind.entity_key).await
    }

    /// `GET {plural}/{id}`; [`Error::NotFound`] when missing or soft-deleted.
    pub async fn get<T: DeserializeOwned>(&self, scope: &Scope, id: &str) -> Result<T, Error> {
        match self.get_opt(scope, id).await? {
            Some(found) => Ok(found),
            None => Err(Error::NotFound {
                operation: self.call("get", Method::GET, scope, Some(id)).op,
            }),
        }
    }

    /// `POST {plural}?{query}` with `body`, duplicate-safe under retries: the entity `id` is
    /// looked up before re-sending after an attempt with an unknown outcome.
    pub async fn create<T: DeserializeOwned, B: Serialize>(
        &self,
        scope: &Scope,
        id: &str,
        query: Vec<(&'static str, String)>,
        body: &B,
    ) -> Result<T, Error> {
        self.create_with_lookup(scope, id, query, Vec::new(), body)
            .await
    }

    /// As [`Crud::create`], the lookup sending `lookup_query` (e.g. an application's
    /// namespace).
    pub async fn create_with_lookup<T: DeserializeOwned, B: Serialize>(
        &self,
        scope: &Scope,
        id: &str,
        query: Vec<(&'static str, String)>,
        lookup_query: Vec<(&'static str, String)>,
        body: &B,
    ) -> Result<T, Error> {
        let mut call = self.call("create", Method::POST, scope, None);
        call.op.kind = self.kind.singular;
        call.op.target = Some(id.to_string());
        call.query = query;
        let call = call.json(body)?;
        let mut lookup = self.call("create", Method::GET, scope, Some(id));
        lookup.query = lookup_query;
        lookup.deadline = call.deadline.clone();
        self.client
            .create(&call, &lookup, self.kind.entity_key)
            .await
    }

    /// `PUT {plural}/{id}?{query}` with `body` (the whole object: idempotent, retried).
    pub async fn update<T: DeserializeOwned, B: Serialize>(
        &self,
        scope: &Scope,
        id: &str,
        query: Vec<(&'static str, String)>,
        body: &B,
    ) -> Result<T, Error> {
        let mut call = self.call("update", Method::PUT, scope, Some(id));
        call.query = query;
        let call = call.json(body)?;
        self.client.send(&call).await
    }

    /// `DELETE {plural}/{id}?{query}`; already gone is success.
    pub async fn delete(
        &self,
        scope: &Scope,
        id: &str,
        query: Vec<(&'static str, String)>,
    ) -> Result<(), Error> {
        let mut call = self.call("delete", Method::DELETE, scope, Some(id));
        call.query = query;
        self.client.delete(&call).await
    }

    /// `POST {plural}/{id}/{segment}` with `body`: an operation on one entity (e.g. an
    /// application's `sync`). Retried like an update: the caller decides what a repeated
    /// request means for it.
    pub async fn post_action<T: DeserializeOwned, B: Serialize>(
        &self,
        action: &'static str,
        scope: &Scope,
        id: &str,
        segment: &'static str,
        body: &B,
    ) -> Result<T, Error> {
        let mut call = self.call(action, Method::POST, scope, Some(id));
        call.path.push(("operation", segment));
        let call = call.json(body)?;
        self.client.send(&call).await
    }

    /// `POST {plural}` with `body`, retried like an update: for upserts, whose repetition
    /// changes nothing.
    pub async fn post_collection<T: DeserializeOwned, B: Serialize>(
        &self,
        action: &'static str,
        scope: &Scope,
        body: &B,
    ) -> Result<T, Error> {
        let call = self.call(action, Method::POST, scope, None).json(body)?;
        self.client.send(&call).await
    }

    /// `GET {plural}`: the agent's raw Argo CD objects in this scope.
    pub async fn list<T: DeserializeOwned>(&self, scope: &Scope) -> Result<T, Error> {
        let call = self.call("list", Method::GET, scope, None);
        self.client.send(&call).await
    }
}

/// `(key, "true")` when `flag` is set. Boolean query parameters are sent only when true:
/// grpc-gateway reads an absent bool as false.
pub(crate) fn flag(query: &mut Vec<(&'static str, String)>, key: &'static str, flag: bool) {
    if flag {
        query.push((key, "true".to_string()));
    }
}

/// Options of a delete.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Sent as `forceDelete=true` (repositories, clusters) or `options.forceDelete=true`
    /// (applications) when true.
    pub force_delete: bool,
}
