//! GnuPG public keys: `…/agents/{agent}/gpgkeys[/{keyID}]` (harness-gitops-more.md §5.6).

use super::client::Client;
use super::crud::{Crud, Kind};
use super::error::Error;
use super::models::{GpgKey, GpgKeyCreateRequest, GpgKeyCreateResponse, GpgKeyList};
use super::scope::Scope;

static KIND: Kind = Kind {
    singular: "gnupg key",
    plural: "gpgkeys",
    // The get answers the key itself: a 200 without `keyID` is "not there".
    entity_key: "keyID",
    id_name: "key ID",
    project_only: false,
};

/// GnuPG key calls; from [`Client::gpg_keys`].
pub struct GpgKeys<'c> {
    crud: Crud<'c>,
}

impl<'c> GpgKeys<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        GpgKeys {
            crud: Crud {
                client,
                kind: &KIND,
            },
        }
    }

    /// Reads a key by its key ID; `Ok(None)` when the agent does not have it.
    pub async fn get_opt(&self, scope: &Scope, key_id: &str) -> Result<Option<GpgKey>, Error> {
        self.crud.get_opt(scope, key_id).await
    }

    /// Imports a key (`POST gpgkeys`). The answer lists it under `created`, or its key ID
    /// under `skipped` when the agent already had it and `upsert` was not set. With
    /// `upsert` the call is idempotent and retried.
    pub async fn create(
        &self,
        scope: &Scope,
        request: &GpgKeyCreateRequest,
    ) -> Result<GpgKeyCreateResponse, Error> {
        self.crud.post_collection("create", scope, request).await
    }

    /// Deletes a key; a key that is already gone is success.
    pub async fn delete(&self, scope: &Scope, key_id: &str) -> Result<(), Error> {
        self.crud.delete(scope, key_id, Vec::new()).await
    }

    /// Lists the agent's keys.
    pub async fn list(&self, scope: &Scope) -> Result<GpgKeyList, Error> {
        self.crud.list(scope).await
    }
}
