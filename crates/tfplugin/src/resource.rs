//! What a provider built on this framework implements: a [`Provider`] (its configuration and
//! the list of its types), [`Resource`]s, [`DataSource`]s and [`EphemeralResource`]s. The server (`crate::server`)
//! does everything else: decoding, the plan pipeline, Terraform's invariants, diagnostics,
//! deadlines, cancellation and private state.
//!
//! Resources work on [`Value`]s here; [`crate::typed`] offers the same traits over typed
//! models (`#[derive(Model)]`), which is what resources normally implement.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ctx::{Ctx, Private};
use crate::tf::schema::Schema;
use crate::tf::{AttributePath, Diagnostics, Value};

/// A provider: its own configuration block and the types it serves. `Data` is what
/// ConfigureProvider produces and every resource call receives (an API client, defaults).
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What configuration produces; shared by every call.
    type Data: Send + Sync + 'static;

    /// The local name, e.g. `acme` (used in messages).
    fn name(&self) -> &'static str;
    /// The provider block's schema.
    fn schema(&self) -> Schema;
    /// Checks that need no environment and no remote call. Unknown values must pass.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Builds the provider data from the configuration. The configuration may hold values
    /// not known until apply (Terraform configures providers during plan too): build what
    /// can be built and say what cannot through [`Provider::remote_blocker`]. `None` with an
    /// error diagnostic means the configuration is wrong.
    fn configure(
        &self,
        config: &Value,
        stop: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<Self::Data>;
    /// Why remote calls cannot be made with `data` (its own inputs are not known yet), or
    /// `None` when they can. Read then keeps the prior state with a warning.
    fn remote_blocker(&self, _data: &Self::Data) -> Option<String> {
        None
    }
    /// Every resource type: the only registry.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;
    /// Every data source type.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;
    /// Every ephemeral resource type (protocol 6.7, Terraform ≥ 1.10); none by default.
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<Self::Data>>> {
        Vec::new()
    }
}

/// Which operation a deadline is for (the keys of a `timeouts` block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    /// The attribute name inside a `timeouts` block.
    pub fn key(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// The plan as a resource hook sees it, after the generic pipeline ran.
pub struct PlanRequest<'a, D> {
    /// Null on create.
    pub prior: &'a Value,
    pub config: &'a Value,
    /// Provider data once ConfigureProvider ran without errors (its fields may be unknown).
    pub provider: Option<&'a D>,
    /// The private state planned for apply: the prior one until the hook changes it (see
    /// [`PlanRequest::private_set`]); apply's [`Ctx`] starts from it.
    pub private: &'a Mutex<Private>,
}

impl<D> PlanRequest<'_, D> {
    /// The planned private state entry `key` (from the prior private state unless set).
    pub fn private_get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.private
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
    }
    /// Sets (or removes) a private state entry of the plan; apply receives it.
    pub fn private_set<T: Serialize>(&self, key: &str, value: Option<&T>) {
        self.private
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set(key, value)
    }
}

/// A managed resource type over untyped values.
#[async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `acme_widget`.
    fn type_name(&self) -> &'static str;
    /// The schema, including the plan behaviour and validators of each attribute.
    fn schema(&self) -> Schema;
    /// Checks beyond the declarative validators, without remote calls. Unknown values pass.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Adjusts the planned state after the generic pipeline (e.g. inherited provider
    /// defaults, derived values) and may add replacement paths. Runs for create and update
    /// plans only. Whatever cannot be derived yet must be planned unknown.
    fn modify_plan(
        &self,
        _req: &PlanRequest<'_, D>,
        _planned: &mut Value,
        _replace: &mut Vec<AttributePath>,
        _diags: &mut Diagnostics,
    ) {
    }
    /// Remote checks of a create or update plan, after `modify_plan` (e.g. rules that another
    /// remote object holds). The server calls it only when the plan has no errors and the
    /// provider can make remote calls, with a deadline of at most 30 seconds. It may only add
    /// diagnostics; a check that cannot be made (a value still unknown, the remote object not
    /// there yet, a failed call) must pass silently, leaving the verdict to apply.
    async fn check_plan(
        &self,
        _ctx: &Ctx<D>,
        _prior: &Value,
        _planned: &Value,
        _diags: &mut Diagnostics,
    ) {
    }
    /// The deadline of `op` when the configuration has no `timeouts` value for it.
    fn default_timeout(&self, _op: Operation) -> Duration {
        Duration::from_secs(20 * 60)
    }
    /// Creates the object. After the remote object exists, any failure returns its state
    /// together with the error, so it is never lost.
    async fn create(
        &self,
        ctx: &Ctx<D>,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// Refreshes `current`; `None` without an error means the remote object is gone.
    async fn read(&self, ctx: &Ctx<D>, current: &Value, diags: &mut Diagnostics) -> Option<Value>;
    /// Updates in place. On failure, returns the best known state (or `None` for the prior).
    async fn update(
        &self,
        ctx: &Ctx<D>,
        prior: &Value,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// Deletes; a missing object is success.
    async fn delete(&self, ctx: &Ctx<D>, prior: &Value, diags: &mut Diagnostics);
    /// Turns an import ID into a state that `read` can complete.
    async fn import(&self, ctx: &Ctx<D>, id: &str, diags: &mut Diagnostics) -> Option<Value>;
    /// Upgrades raw JSON state written by schema version `from` (< current) to the current
    /// version's shape. The default knows no older versions.
    fn upgrade(
        &self,
        from: i64,
        _state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        diags.error(
            "Unsupported State Version",
            format!(
                "{} has no upgrade from schema version {from}; this is a bug in the provider.",
                self.type_name()
            ),
        );
        None
    }
}

/// A data source type over untyped values.
#[async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Checks beyond the declarative validators. Unknown values pass.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Reads the object the configuration names and returns the full state.
    async fn read(&self, ctx: &Ctx<D>, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// What [`EphemeralResource::open`] produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    /// The whole object: every configured value as configured, computed values filled, no
    /// unknowns. Terraform holds it in memory only (never in plan or state).
    pub result: Value,
    /// Opaque bytes Terraform hands to the first [`EphemeralResource::renew`] and to
    /// [`EphemeralResource::close`].
    pub private: Option<Vec<u8>>,
    /// When Terraform should call [`EphemeralResource::renew`] (while the value is still in
    /// use); `None`: never.
    pub renew_at: Option<SystemTime>,
}

/// What [`EphemeralResource::renew`] produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Renewed {
    /// Bytes for the next renew (Terraform 1.11 passes close the bytes open returned, not
    /// these).
    pub private: Option<Vec<u8>>,
    /// When to renew again; `None`: no further renewal.
    pub renew_at: Option<SystemTime>,
}

/// An ephemeral resource type over untyped values: something opened for the length of one
/// Terraform run (a token, a lease, a tunnel) whose result may feed only ephemeral contexts
/// (write-only attributes, provider blocks, locals, other ephemeral resources) and is never
/// stored in plan or state.
///
/// Terraform opens it during plan and again during apply, each time with a wholly known
/// configuration (while the configuration has unknown values Terraform does not call the
/// provider and makes the unknown result itself; the server does the same if a client sends
/// unknowns anyway). It renews at `renew_at` while the value is in use and closes it when
/// the run no longer needs it.
#[async_trait]
pub trait EphemeralResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `acme_token`.
    fn type_name(&self) -> &'static str;
    /// The schema (no write-only attributes: Terraform allows them in managed resources only).
    fn schema(&self) -> Schema;
    /// Checks beyond the declarative validators, without remote calls. Unknown values pass.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// The deadline of each open, renew and close call.
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(5 * 60)
    }
    /// Opens the object for the wholly known `config`. `None` with an error diagnostic when it
    /// cannot be opened.
    async fn open(&self, ctx: &Ctx<D>, config: &Value, diags: &mut Diagnostics) -> Option<Opened>;
    /// Renews what [`Opened::renew_at`] (or a previous [`Renewed::renew_at`]) asked for;
    /// `private` is what that open or renew returned. `None`: no further renewal. The default
    /// renews nothing.
    async fn renew(
        &self,
        _ctx: &Ctx<D>,
        _private: Option<&[u8]>,
        _diags: &mut Diagnostics,
    ) -> Option<Renewed> {
        None
    }
    /// Releases what open acquired; `private` is what open returned. The default does nothing.
    async fn close(&self, _ctx: &Ctx<D>, _private: Option<&[u8]>, _diags: &mut Diagnostics) {}
}
