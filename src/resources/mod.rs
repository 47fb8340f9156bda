//! Resources and data sources: one file per Terraform type, all behind two small traits.
//! Resources see `tf` values and the Harness client, never a protobuf type.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::provider::ProviderData;
use crate::tf::schema::Schema;
use crate::tf::{Diagnostics, Value};

pub mod common;
pub mod gitops_repository;

/// What every CRUD call gets: the configured provider and the cancellation token that
/// StopProvider trips.
pub struct Ctx {
    pub provider: Arc<ProviderData>,
    pub cancel: CancellationToken,
}

/// The plan as the resource hook sees it, after the generic pipeline ran.
pub struct PlanRequest<'a> {
    pub prior: &'a Value,
    pub config: &'a Value,
    /// Provider data when the provider is configured with known values.
    pub provider: Option<&'a ProviderData>,
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync {
    /// The full type name, e.g. `harness_gitops_repository`.
    fn type_name(&self) -> &'static str;
    /// The schema, including plan behaviour of each attribute.
    fn schema(&self) -> Schema;
    /// Configuration checks that need no remote call. Unknown values must be accepted.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Adjusts the planned state after the generic pipeline (e.g. inherited provider
    /// defaults) and may add replacement paths. Runs only for create and update plans.
    fn modify_plan(
        &self,
        _req: &PlanRequest<'_>,
        _planned: &mut Value,
        _replace: &mut Vec<crate::tf::AttributePath>,
        _diags: &mut Diagnostics,
    ) {
    }
    /// Creates the object. On a failure after the remote object exists, returns its state
    /// together with the error so it is never lost.
    async fn create(
        &self,
        ctx: &Ctx,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// Refreshes `current`; `None` means the remote object is gone.
    async fn read(&self, ctx: &Ctx, current: &Value, diags: &mut Diagnostics) -> Option<Value>;
    /// Updates in place. On failure, returns the best known state (prior or partial).
    async fn update(
        &self,
        ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// Deletes; a missing object is success.
    async fn delete(&self, ctx: &Ctx, prior: &Value, diags: &mut Diagnostics);
    /// Turns an import ID into a state that `read` can complete.
    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<Value>;
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

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Reads the object the configuration names; returns the full state.
    async fn read(&self, ctx: &Ctx, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// Every resource this provider serves: the only registry.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(gitops_repository::GitopsRepository)]
}

/// Every data source this provider serves.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(gitops_repository::GitopsRepositoryData)]
}
