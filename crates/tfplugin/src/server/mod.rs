//! tfplugin6 RPCs for any [`Provider`]: protobuf ↔ `tf` conversion, dispatch, and the work
//! every resource shares (validators, the plan pipeline, Terraform's checks, deadlines,
//! private state). Every RPC answers `Ok` with diagnostics inside; a gRPC error status is left
//! for transport faults. A panic in a handler is caught and becomes an error diagnostic
//! instead of a crashed `terraform apply`.
//!
//! In debug builds (and when [`ProviderService::with_checks`] asks) every plan is checked
//! against Terraform's AssertPlanValid rules after the resource hook, and every apply result
//! against AssertObjectCompatible, so a provider bug is reported with the attribute path
//! before Terraform rejects it with a generic message.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::ctx::{Ctx, Private};
use crate::plan;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::{Provider as PbProvider, ProviderServer};
use crate::resource::{DataSource, EphemeralResource, Operation, PlanRequest, Provider, Resource};
use crate::tf::schema::Schema;
use crate::tf::validator::validate_block;
use crate::tf::{codec, AttributePath, Diagnostics, Type, Value};

pub mod convert;

/// Largest gRPC message accepted or sent (Terraform's plugin servers use 256 MiB).
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// A registered type with its schema and value type, computed once.
struct Typed<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Type,
}

impl<T: ?Sized> Typed<T> {
    fn new(schema: Schema, imp: Arc<T>) -> Self {
        Typed {
            ty: schema.ty(),
            schema,
            imp,
        }
    }
}

/// Provider configuration state between ConfigureProvider calls.
enum Configured<D> {
    /// ConfigureProvider has not been called (or failed).
    No,
    /// Configured; `blocker` says why remote calls cannot be made yet (inputs not known).
    Yes {
        data: Arc<D>,
        blocker: Option<String>,
    },
}

/// The tfplugin6 Provider service for a [`Provider`].
pub struct ProviderService<P: Provider> {
    provider: P,
    resources: BTreeMap<&'static str, Typed<dyn Resource<P::Data>>>,
    data_sources: BTreeMap<&'static str, Typed<dyn DataSource<P::Data>>>,
    ephemerals: BTreeMap<&'static str, Typed<dyn EphemeralResource<P::Data>>>,
    provider_schema: Schema,
    provider_ty: Type,
    /// GetProviderSchema's answer, built once per process.
    schema_response: pb::get_provider_schema::Response,
    configured: RwLock<Configured<P::Data>>,
    stop: CancellationToken,
    checks: bool,
}

impl<P: Provider> ProviderService<P> {
    /// A service over the provider's resources and data sources.
    pub fn new(provider: P) -> Self {
        let resources = provider.resources();
        let data_sources = provider.data_sources();
        Self::with(provider, resources, data_sources)
    }

    /// A service over the given resources and data sources (tests use their own), and the
    /// provider's ephemeral resources (see [`ProviderService::with_ephemerals`]).
    pub fn with(
        provider: P,
        resources: Vec<Arc<dyn Resource<P::Data>>>,
        data_sources: Vec<Arc<dyn DataSource<P::Data>>>,
    ) -> Self {
        let resources: BTreeMap<_, _> = resources
            .into_iter()
            .map(|r| (r.type_name(), Typed::new(r.schema(), r)))
            .collect();
        let data_sources: BTreeMap<_, _> = data_sources
            .into_iter()
            .map(|d| (d.type_name(), Typed::new(d.schema(), d)))
            .collect();
        let ephemerals = ephemeral_map(provider.ephemeral_resources());
        let provider_schema = provider.schema();
        let schema_response =
            schema_response(&provider_schema, &resources, &data_sources, &ephemerals);
        ProviderService {
            provider_ty: provider_schema.ty(),
            provider_schema,
            provider,
            resources,
            data_sources,
            ephemerals,
            schema_response,
            configured: RwLock::new(Configured::No),
            stop: CancellationToken::new(),
            checks: cfg!(debug_assertions),
        }
    }

    /// Serves the given ephemeral resources instead of the provider's own (tests use their own).
    pub fn with_ephemerals(mut self, ephemerals: Vec<Arc<dyn EphemeralResource<P::Data>>>) -> Self {
        self.ephemerals = ephemeral_map(ephemerals);
        self.schema_response = schema_response(
            &self.provider_schema,
            &self.resources,
            &self.data_sources,
            &self.ephemerals,
        );
        self
    }

    /// Uses `stop` as the token StopProvider cancels (e.g. a child of the process's
    /// shutdown token, so a shutdown stops operations in flight too).
    pub fn with_stop(mut self, stop: CancellationToken) -> Self {
        self.stop = stop;
        self
    }

    /// Turns Terraform's plan and apply checks on or off (on by default in debug builds).
    pub fn with_checks(mut self, on: bool) -> Self {
        self.checks = on;
        self
    }

    fn resource(
        &self,
        name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Typed<dyn Resource<P::Data>>> {
        let r = self.resources.get(name);
        if r.is_none() {
            diags.error(
                "Unknown Resource Type",
                format!("This provider has no resource type {name:?}."),
            );
        }
        r
    }

    fn data_source(
        &self,
        name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Typed<dyn DataSource<P::Data>>> {
        let r = self.data_sources.get(name);
        if r.is_none() {
            diags.error(
                "Unknown Data Source Type",
                format!("This provider has no data source type {name:?}."),
            );
        }
        r
    }

    fn ephemeral(
        &self,
        name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Typed<dyn EphemeralResource<P::Data>>> {
        let r = self.ephemerals.get(name);
        if r.is_none() {
            diags.error(
                "Unknown Ephemeral Resource Type",
                format!("This provider has no ephemeral resource type {name:?}."),
            );
        }
        r
    }

    fn provider_data(&self) -> Option<Arc<P::Data>> {
        match &*self.configured.read().unwrap_or_else(|e| e.into_inner()) {
            Configured::Yes { data, .. } => Some(data.clone()),
            Configured::No => None,
        }
    }

    /// Why remote calls cannot be made because the provider's own configuration is not known
    /// yet (configured, but with unknown inputs); `None` otherwise.
    fn unknown_configuration(&self) -> Option<String> {
        match &*self.configured.read().unwrap_or_else(|e| e.into_inner()) {
            Configured::Yes { blocker, .. } => blocker.clone(),
            Configured::No => None,
        }
    }

    /// The context of one operation, or an error diagnostic when the provider cannot make
    /// remote calls.
    fn ctx(
        &self,
        deadline: Option<Instant>,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<Ctx<P::Data>> {
        let data = match &*self.configured.read().unwrap_or_else(|e| e.into_inner()) {
            Configured::Yes {
                data,
                blocker: None,
            } => data.clone(),
            Configured::Yes {
                blocker: Some(why), ..
            } => {
                diags.error("Provider Configuration Not Known", why.clone());
                return None;
            }
            Configured::No => {
                diags.error(
                    "Provider Not Configured",
                    format!(
                        "Terraform called the {} provider before configuring it. This is unexpected; please report it \
                         with the Terraform version and command you ran.",
                        self.provider.name()
                    ),
                );
                return None;
            }
        };
        Some(Ctx::new(data, self.stop.child_token(), deadline, private))
    }

    /// Reports broken Terraform rules as a provider bug, naming each path.
    fn report(&self, what: &str, violations: Vec<plan::Violation>, diags: &mut Diagnostics) {
        for v in violations {
            let path = if v.path.is_root() {
                "the object".to_string()
            } else {
                format!("`{}`", v.path)
            };
            diags.bug(format!("{what}: {path}: {}", v.message));
        }
    }
}

/// The deadline of `op` for a resource: its `timeouts` value for the operation when the
/// schema has a `timeouts` object and the value is set, else the resource's default.
fn deadline<D: Send + Sync + 'static>(
    res: &Typed<dyn Resource<D>>,
    value: &Value,
    op: Operation,
    diags: &mut Diagnostics,
) -> Instant {
    let configured = value.attr("timeouts").attr(op.key());
    let d = match configured.as_str() {
        Some(s) => match crate::tf::duration::parse(s) {
            Some(d) => d,
            None => {
                diags.warning_at(
                    AttributePath::attr("timeouts").child(op.key()),
                    "Invalid Timeout",
                    format!("{s:?} is not a duration; using the default."),
                );
                res.imp.default_timeout(op)
            }
        },
        None => res.imp.default_timeout(op),
    };
    Instant::now() + d.min(Duration::from_secs(365 * 24 * 3600))
}

fn ephemeral_map<D: Send + Sync + 'static>(
    ephemerals: Vec<Arc<dyn EphemeralResource<D>>>,
) -> BTreeMap<&'static str, Typed<dyn EphemeralResource<D>>> {
    ephemerals
        .into_iter()
        .map(|e| (e.type_name(), Typed::new(e.schema(), e)))
        .collect()
}

fn schema_response<D: Send + Sync + 'static>(
    provider: &Schema,
    resources: &BTreeMap<&'static str, Typed<dyn Resource<D>>>,
    data_sources: &BTreeMap<&'static str, Typed<dyn DataSource<D>>>,
    ephemerals: &BTreeMap<&'static str, Typed<dyn EphemeralResource<D>>>,
) -> pb::get_provider_schema::Response {
    let mut diags = Diagnostics::new();
    for err in provider.validate(false) {
        diags.bug(format!("provider schema: {err}"));
    }
    for (name, r) in resources {
        r.schema
            .validate(true)
            .into_iter()
            .for_each(|e| diags.bug(format!("{name}: {e}")));
    }
    for (name, d) in data_sources {
        d.schema
            .validate(false)
            .into_iter()
            .for_each(|e| diags.bug(format!("{name}: {e}")));
    }
    for (name, e) in ephemerals {
        // Not managed: Terraform refuses write-only attributes here.
        e.schema
            .validate(false)
            .into_iter()
            .chain(ephemeral_schema_problems(&e.schema))
            .for_each(|e| diags.bug(format!("{name}: {e}")));
    }
    pb::get_provider_schema::Response {
        provider: Some(convert::schema(provider)),
        resource_schemas: resources
            .iter()
            .map(|(n, r)| (n.to_string(), convert::schema(&r.schema)))
            .collect(),
        data_source_schemas: data_sources
            .iter()
            .map(|(n, d)| (n.to_string(), convert::schema(&d.schema)))
            .collect(),
        ephemeral_resource_schemas: ephemerals
            .iter()
            .map(|(n, e)| (n.to_string(), convert::schema(&e.schema)))
            .collect(),
        diagnostics: convert::diagnostics(&diags),
        server_capabilities: Some(capabilities()),
        ..Default::default()
    }
}

/// What this server implements: schemas may be fetched once per process (Terraform then
/// skips GetProviderSchema for other instances); no destroy planning; no state moves.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

/// Runs an RPC body, turning a panic into an error diagnostic (the response then carries
/// only diagnostics). Logs the call at debug and its duration at trace; never values.
async fn guarded<T, F>(
    rpc: &'static str,
    type_name: &str,
    fut: F,
    on_panic: impl FnOnce(Vec<pb::Diagnostic>) -> T,
) -> Result<Response<T>, Status>
where
    F: Future<Output = T>,
{
    let started = Instant::now();
    tracing::debug!(rpc, type_name, "handling call");
    let out = match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(v) => v,
        Err(_) => {
            tracing::error!(rpc, type_name, "provider panicked while handling the call");
            let mut d = Diagnostics::new();
            d.bug(format!("the provider panicked while handling {rpc}"));
            on_panic(convert::diagnostics(&d))
        }
    };
    tracing::trace!(
        rpc,
        type_name,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "call done"
    );
    Ok(Response::new(out))
}

/// Makes a state Terraform will accept after apply, read, import or upgrade: write-only null,
/// wholly known. Leftover unknowns are a provider bug; they become null so the object still
/// reaches state.
fn finalize_state(schema: &Schema, mut v: Value, diags: &mut Diagnostics) -> Value {
    plan::null_write_only(schema, &mut v);
    if !v.is_wholly_known() {
        diags.bug("the resulting state still had unknown values; they were recorded as null");
        v = v.unknowns_to_null();
    }
    v
}

fn null_dv() -> pb::DynamicValue {
    // msgpack nil: an explicit null of the schema type.
    pb::DynamicValue {
        msgpack: vec![0xc0],
        json: Vec::new(),
    }
}

#[tonic::async_trait]
impl<P: Provider> PbProvider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _r: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|t| pb::get_metadata::ResourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|t| pb::get_metadata::DataSourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            ephemeral_resources: self
                .ephemerals
                .keys()
                .map(|t| pb::get_metadata::EphemeralMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _r: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn get_functions(
        &self,
        _r: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn validate_provider_config(
        &self,
        r: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "ValidateProviderConfig",
            self.provider.name(),
            async {
                let mut diags = Diagnostics::new();
                if let Some(cfg) = convert::decode(
                    r.config.as_ref(),
                    &self.provider_ty,
                    "provider configuration",
                    &mut diags,
                ) {
                    validate_block(
                        &self.provider_schema.block,
                        &cfg,
                        &AttributePath::root(),
                        &mut diags,
                    );
                    self.provider.validate(&cfg, &mut diags);
                }
                pb::validate_provider_config::Response {
                    diagnostics: convert::diagnostics(&diags),
                }
            },
            |d| pb::validate_provider_config::Response { diagnostics: d },
        )
        .await
    }

    async fn configure_provider(
        &self,
        r: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let r = r.into_inner();
        tracing::debug!(terraform_version = %r.terraform_version, "configuring provider");
        guarded(
            "ConfigureProvider",
            self.provider.name(),
            async {
                let mut diags = Diagnostics::new();
                if let Some(cfg) =
                    convert::decode(r.config.as_ref(), &self.provider_ty, "provider configuration", &mut diags)
                {
                    let state = match self.provider.configure(&cfg, self.stop.child_token(), &mut diags) {
                        Some(data) => {
                            let blocker = self.provider.remote_blocker(&data);
                            if blocker.is_some() {
                                tracing::info!("provider configuration has values not known until apply; remote calls deferred");
                            }
                            Configured::Yes {
                                data: Arc::new(data),
                                blocker,
                            }
                        }
                        None => Configured::No,
                    };
                    *self.configured.write().unwrap_or_else(|e| e.into_inner()) = state;
                }
                pb::configure_provider::Response {
                    diagnostics: convert::diagnostics(&diags),
                }
            },
            |d| pb::configure_provider::Response { diagnostics: d },
        )
        .await
    }

    async fn validate_resource_config(
        &self,
        r: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "ValidateResourceConfig",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                if let Some(res) = self.resource(&r.type_name, &mut diags) {
                    if let Some(cfg) = convert::decode(r.config.as_ref(), &res.ty, "configuration", &mut diags) {
                        let wo_allowed = r
                            .client_capabilities
                            .as_ref()
                            .is_some_and(|c| c.write_only_attributes_allowed);
                        if !wo_allowed {
                            if let Some(path) = plan::write_only_value(&res.schema, &cfg) {
                                diags.error_at(
                                    path.clone(),
                                    "Write-Only Attribute Not Supported",
                                    format!(
                                        "`{path}` is write-only and needs Terraform 1.11 or later (or an OpenTofu that \
                                         supports write-only attributes); this client would store it in state. Use the \
                                         sensitive non-write-only attribute instead, or upgrade."
                                    ),
                                );
                            }
                        }
                        validate_block(&res.schema.block, &cfg, &AttributePath::root(), &mut diags);
                        res.imp.validate(&cfg, &mut diags);
                    }
                }
                pb::validate_resource_config::Response {
                    diagnostics: convert::diagnostics(&diags),
                }
            },
            |d| pb::validate_resource_config::Response { diagnostics: d },
        )
        .await
    }

    async fn validate_data_resource_config(
        &self,
        r: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "ValidateDataResourceConfig",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                if let Some(ds) = self.data_source(&r.type_name, &mut diags) {
                    if let Some(cfg) =
                        convert::decode(r.config.as_ref(), &ds.ty, "configuration", &mut diags)
                    {
                        validate_block(&ds.schema.block, &cfg, &AttributePath::root(), &mut diags);
                        ds.imp.validate(&cfg, &mut diags);
                    }
                }
                pb::validate_data_resource_config::Response {
                    diagnostics: convert::diagnostics(&diags),
                }
            },
            |d| pb::validate_data_resource_config::Response { diagnostics: d },
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        r: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "UpgradeResourceState",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let upgraded = self.upgrade(&r, &mut diags);
                pb::upgrade_resource_state::Response {
                    upgraded_state: upgraded,
                    diagnostics: convert::diagnostics(&diags),
                }
            },
            |d| pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: d,
            },
        )
        .await
    }

    async fn read_resource(
        &self,
        r: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let r = r.into_inner();
        let (current, private) = (r.current_state.clone(), r.private.clone());
        guarded(
            "ReadResource",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let (new_state, private) = self.read(&r, &mut diags).await;
                pb::read_resource::Response {
                    new_state,
                    diagnostics: convert::diagnostics(&diags),
                    private,
                    ..Default::default()
                }
            },
            |d| pb::read_resource::Response {
                new_state: current,
                diagnostics: d,
                private,
                ..Default::default()
            },
        )
        .await
    }

    async fn plan_resource_change(
        &self,
        r: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "PlanResourceChange",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let (planned_state, requires_replace, planned_private) = self
                    .plan(&r, &mut diags)
                    .await
                    .unwrap_or_else(|| (None, Vec::new(), r.prior_private.clone()));
                pb::plan_resource_change::Response {
                    planned_state,
                    requires_replace: requires_replace.iter().map(convert::path).collect(),
                    planned_private,
                    diagnostics: convert::diagnostics(&diags),
                    ..Default::default()
                }
            },
            |d| pb::plan_resource_change::Response {
                diagnostics: d,
                ..Default::default()
            },
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        r: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let r = r.into_inner();
        let (prior, private) = (r.prior_state.clone(), r.planned_private.clone());
        guarded(
            "ApplyResourceChange",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let (new_state, private) = self.apply(&r, &mut diags).await;
                pb::apply_resource_change::Response {
                    new_state,
                    private,
                    diagnostics: convert::diagnostics(&diags),
                    ..Default::default()
                }
            },
            // The prior state is the best we know after a panic: nothing recorded is dropped.
            |d| pb::apply_resource_change::Response {
                new_state: prior,
                private,
                diagnostics: d,
                ..Default::default()
            },
        )
        .await
    }

    async fn import_resource_state(
        &self,
        r: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "ImportResourceState",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let imported = self.import(&r, &mut diags).await;
                pb::import_resource_state::Response {
                    imported_resources: imported.into_iter().collect(),
                    diagnostics: convert::diagnostics(&diags),
                    ..Default::default()
                }
            },
            |d| pb::import_resource_state::Response {
                diagnostics: d,
                ..Default::default()
            },
        )
        .await
    }

    async fn move_resource_state(
        &self,
        r: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        // Not advertised (ServerCapabilities.move_resource_state is false), so Terraform
        // never calls it; answer clearly anyway.
        let r = r.into_inner();
        let mut diags = Diagnostics::new();
        diags.error(
            "Move Resource State Not Supported",
            format!(
                "The {} provider cannot move state from {} ({}) into {}. Remove the `moved` block and import the object instead.",
                self.provider.name(),
                r.source_type_name,
                r.source_provider_address,
                r.target_type_name
            ),
        );
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: convert::diagnostics(&diags),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        r: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "ReadDataSource",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let state = self.read_data(&r, &mut diags).await;
                pb::read_data_source::Response {
                    state,
                    diagnostics: convert::diagnostics(&diags),
                    ..Default::default()
                }
            },
            |d| pb::read_data_source::Response {
                diagnostics: d,
                ..Default::default()
            },
        )
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        r: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "ValidateEphemeralResourceConfig",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                if let Some(e) = self.ephemeral(&r.type_name, &mut diags) {
                    if let Some(cfg) =
                        convert::decode(r.config.as_ref(), &e.ty, "configuration", &mut diags)
                    {
                        validate_block(&e.schema.block, &cfg, &AttributePath::root(), &mut diags);
                        e.imp.validate(&cfg, &mut diags);
                    }
                }
                pb::validate_ephemeral_resource_config::Response {
                    diagnostics: convert::diagnostics(&diags),
                }
            },
            |d| pb::validate_ephemeral_resource_config::Response { diagnostics: d },
        )
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        r: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "OpenEphemeralResource",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let (result, private, renew_at) = self
                    .open_ephemeral(&r, &mut diags)
                    .await
                    .unwrap_or_default();
                pb::open_ephemeral_resource::Response {
                    diagnostics: convert::diagnostics(&diags),
                    renew_at,
                    result,
                    private,
                    deferred: None,
                }
            },
            |d| pb::open_ephemeral_resource::Response {
                diagnostics: d,
                ..Default::default()
            },
        )
        .await
    }

    async fn renew_ephemeral_resource(
        &self,
        r: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "RenewEphemeralResource",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut out = pb::renew_ephemeral_resource::Response::default();
                if let Some(renewed) = self.renew_ephemeral(&r, &mut diags).await {
                    out.private = renewed.private;
                    out.renew_at = renewed.renew_at.map(prost_types::Timestamp::from);
                }
                out.diagnostics = convert::diagnostics(&diags);
                out
            },
            |d| pb::renew_ephemeral_resource::Response {
                diagnostics: d,
                ..Default::default()
            },
        )
        .await
    }

    async fn close_ephemeral_resource(
        &self,
        r: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        let r = r.into_inner();
        guarded(
            "CloseEphemeralResource",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                self.close_ephemeral(&r, &mut diags).await;
                pb::close_ephemeral_resource::Response {
                    diagnostics: convert::diagnostics(&diags),
                }
            },
            |d| pb::close_ephemeral_resource::Response { diagnostics: d },
        )
        .await
    }

    async fn stop_provider(
        &self,
        _r: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("StopProvider: cancelling in-flight calls");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

impl<P: Provider> ProviderService<P> {
    fn upgrade(
        &self,
        r: &pb::upgrade_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let res = self.resource(&r.type_name, diags)?;
        let Some(raw) = r.raw_state.as_ref().filter(|s| !s.json.is_empty()) else {
            if r.raw_state.as_ref().is_some_and(|s| !s.flatmap.is_empty()) {
                diags.error(
                    "Unsupported State Format",
                    "This state was written by Terraform 0.11 or older (flatmap). Re-import the resource.",
                );
                return None;
            }
            return Some(null_dv());
        };
        let mut json: serde_json::Value = match serde_json::from_slice(&raw.json) {
            Ok(j) => j,
            Err(e) => {
                diags.bug(format!("stored state of {} is not JSON: {e}", r.type_name));
                return None;
            }
        };
        if r.version < res.schema.version {
            json = res.imp.upgrade(r.version, json, diags)?;
            if diags.has_errors() {
                return None;
            }
        }
        // Attributes added since the state was written are missing: they decode as null.
        let opts = codec::JsonOptions {
            missing_attrs_null: true,
            ignore_unknown_attrs: true,
        };
        let v = match codec::decode_json_value(&json, &res.ty, opts) {
            Ok(v) => v,
            Err(e) => {
                diags.bug(format!(
                    "stored state of {} does not fit the schema: {e}",
                    r.type_name
                ));
                return None;
            }
        };
        let v = finalize_state(&res.schema, v, diags);
        convert::encode(&v, &res.ty, "upgraded state", diags)
    }

    async fn read(
        &self,
        r: &pb::read_resource::Request,
        diags: &mut Diagnostics,
    ) -> (Option<pb::DynamicValue>, Vec<u8>) {
        let keep = (r.current_state.clone(), r.private.clone());
        let Some(res) = self.resource(&r.type_name, diags) else {
            return keep;
        };
        let Some(current) =
            convert::decode(r.current_state.as_ref(), &res.ty, "current state", diags)
        else {
            return keep;
        };
        if current.is_null() {
            return (Some(null_dv()), r.private.clone());
        }
        if let Some(why) = self.unknown_configuration() {
            diags.warning(
                "State Not Refreshed",
                format!(
                    "{why}\n\nThe state recorded for this {} is kept as it was.",
                    r.type_name
                ),
            );
            return keep;
        }
        let deadline = deadline(res, &current, Operation::Read, diags);
        let Some(ctx) = self.ctx(Some(deadline), Private::from_bytes(&r.private), diags) else {
            return keep;
        };
        match res.imp.read(&ctx, &current, diags).await {
            Some(mut v) => {
                plan::normalize_read(&res.schema, &current, &mut v);
                let v = finalize_state(&res.schema, v, diags);
                match convert::encode(&v, &res.ty, "refreshed state", diags) {
                    Some(dv) => (Some(dv), ctx.private().to_bytes()),
                    None => keep,
                }
            }
            // Failed reads keep the state as it was; a clean None means the object is gone.
            None if diags.has_errors() => keep,
            None => {
                tracing::info!(type_name = %r.type_name, "remote object no longer exists; removing it from state");
                (Some(null_dv()), Vec::new())
            }
        }
    }

    async fn plan(
        &self,
        r: &pb::plan_resource_change::Request,
        diags: &mut Diagnostics,
    ) -> Option<(Option<pb::DynamicValue>, Vec<AttributePath>, Vec<u8>)> {
        let res = self.resource(&r.type_name, diags)?;
        let prior = convert::decode(r.prior_state.as_ref(), &res.ty, "prior state", diags)?;
        let proposed = convert::decode(
            r.proposed_new_state.as_ref(),
            &res.ty,
            "proposed state",
            diags,
        )?;
        let config = convert::decode(r.config.as_ref(), &res.ty, "configuration", diags)?;
        let private = std::sync::Mutex::new(Private::from_bytes(&r.prior_private));
        let (planned, replace) = plan_with_hook(
            res,
            self.provider_data().as_deref(),
            &prior,
            &proposed,
            &config,
            &private,
            diags,
        );
        let private = private.into_inner().unwrap_or_else(|e| e.into_inner());
        // Remote checks are for create and update plans: a plan that changes nothing (every
        // refresh of an unchanged resource) has nothing for apply to refuse.
        let changes = prior.is_null() || prior.known_eq(&planned) != Some(true);
        if changes && !planned.is_null() && !diags.has_errors() {
            self.check_plan(res, &prior, &planned, &private, diags)
                .await;
        }
        if self.checks {
            self.report(
                "invalid plan",
                plan::check(&res.schema, &prior, &config, &planned),
                diags,
            );
        }
        let dv = convert::encode(&planned, &res.ty, "planned state", diags)?;
        // Unchanged private bytes go back as Terraform sent them (they may not be ours).
        let private = if private == Private::from_bytes(&r.prior_private) {
            r.prior_private.clone()
        } else {
            private.to_bytes()
        };
        Some((Some(dv), replace, private))
    }

    /// The resource's remote plan checks, when the provider can make remote calls (otherwise
    /// there is nothing to check against, and apply decides).
    async fn check_plan(
        &self,
        res: &Typed<dyn Resource<P::Data>>,
        prior: &Value,
        planned: &Value,
        private: &Private,
        diags: &mut Diagnostics,
    ) {
        if self.unknown_configuration().is_some() {
            return;
        }
        let Some(data) = self.provider_data() else {
            return;
        };
        let limit = Duration::from_secs(30).min(res.imp.default_timeout(Operation::Read));
        let ctx = Ctx::new(
            data,
            self.stop.child_token(),
            Some(Instant::now() + limit),
            private.clone(),
        );
        res.imp.check_plan(&ctx, prior, planned, diags).await;
    }

    async fn apply(
        &self,
        r: &pb::apply_resource_change::Request,
        diags: &mut Diagnostics,
    ) -> (Option<pb::DynamicValue>, Vec<u8>) {
        let keep = (r.prior_state.clone(), r.planned_private.clone());
        let Some(res) = self.resource(&r.type_name, diags) else {
            return keep;
        };
        let decoded = (
            convert::decode(r.prior_state.as_ref(), &res.ty, "prior state", diags),
            convert::decode(r.planned_state.as_ref(), &res.ty, "planned state", diags),
            convert::decode(r.config.as_ref(), &res.ty, "configuration", diags),
        );
        let (Some(prior), Some(planned), Some(config)) = decoded else {
            return keep;
        };
        let op = if planned.is_null() {
            Operation::Delete
        } else if prior.is_null() {
            Operation::Create
        } else {
            Operation::Update
        };
        let timeouts_from = if op == Operation::Delete {
            &prior
        } else {
            &planned
        };
        let deadline = deadline(res, timeouts_from, op, diags);
        let Some(ctx) = self.ctx(
            Some(deadline),
            Private::from_bytes(&r.planned_private),
            diags,
        ) else {
            return keep;
        };
        let out = match op {
            Operation::Delete => {
                res.imp.delete(&ctx, &prior, diags).await;
                // A failed delete keeps the object in state.
                return if diags.has_errors() {
                    (r.prior_state.clone(), ctx.private().to_bytes())
                } else {
                    (Some(null_dv()), Vec::new())
                };
            }
            Operation::Create => res.imp.create(&ctx, &planned, &config, diags).await,
            _ => res.imp.update(&ctx, &prior, &planned, &config, diags).await,
        };
        let private = ctx.private().to_bytes();
        let Some(result) = out else {
            if !diags.has_errors() {
                diags.bug(format!("{} returned no state and no error", op.key()));
            }
            // A create that returned nothing created nothing we know of; an update that
            // returned nothing leaves the object as it was.
            return if op == Operation::Create {
                (Some(null_dv()), private)
            } else {
                (r.prior_state.clone(), private)
            };
        };
        // The user's form of every value known in the plan wins; unknowns take the result.
        // After an error the result is recorded as the resource reported it (a failed update
        // keeps what really is, not what was planned).
        let failed = diags.has_errors();
        if !failed {
            // Terraform's apply check on what the resource really returned (settling below
            // makes the recorded state agree by construction, which would hide an API that
            // answered something else until it shows up as a perpetual diff).
            let mut raw = result.clone();
            plan::null_write_only(&res.schema, &mut raw);
            let broken = plan::check_compatible(&res.schema, &planned, &raw);
            if self.checks {
                self.report("inconsistent result after apply", broken, diags);
            } else {
                for v in broken {
                    // The path only: values may be secrets.
                    tracing::warn!(
                        type_name = %r.type_name,
                        path = %v.path,
                        "the result differs from the plan here; the planned value is recorded (a provider bug)"
                    );
                }
            }
        }
        let settled = if failed {
            result
        } else {
            plan::settle(&planned, &result)
        };
        let v = finalize_state(&res.schema, settled, diags);
        // If the result cannot be encoded (a provider bug), fall back to the plan with its
        // unknowns nulled: an object that exists remotely must still reach state.
        let dv = convert::encode(&v, &res.ty, "new state", diags).or_else(|| {
            let fallback = finalize_state(&res.schema, planned.clone(), &mut Diagnostics::new());
            convert::encode(&fallback, &res.ty, "new state", &mut Diagnostics::new())
        });
        (dv, private)
    }

    async fn import(
        &self,
        r: &pb::import_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::import_resource_state::ImportedResource> {
        let res = self.resource(&r.type_name, diags)?;
        let deadline = Instant::now() + res.imp.default_timeout(Operation::Read);
        let ctx = self.ctx(Some(deadline), Private::default(), diags)?;
        let v = res.imp.import(&ctx, &r.id, diags).await?;
        let v = finalize_state(&res.schema, v, diags);
        let state = convert::encode(&v, &res.ty, "imported state", diags)?;
        Some(pb::import_resource_state::ImportedResource {
            type_name: r.type_name.clone(),
            state: Some(state),
            private: ctx.private().to_bytes(),
            ..Default::default()
        })
    }

    async fn read_data(
        &self,
        r: &pb::read_data_source::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let ds = self.data_source(&r.type_name, diags)?;
        let config = convert::decode(r.config.as_ref(), &ds.ty, "configuration", diags)?;
        let ctx = self.ctx(None, Private::default(), diags)?;
        let v = ds.imp.read(&ctx, &config, diags).await?;
        if !v.is_wholly_known() {
            diags.bug("data source result had unknown values");
            return None;
        }
        convert::encode(&v, &ds.ty, "data source state", diags)
    }
}

/// The private bytes of an ephemeral result the server made without opening anything
/// (unknown configuration): renew and close of it do nothing.
const NOT_OPENED: &[u8] = b"\0tfplugin:ephemeral-not-opened";

/// Schema flags that mean nothing for an ephemeral resource (no plan, no state).
fn ephemeral_schema_problems(schema: &Schema) -> Vec<String> {
    fn walk(attrs: &[crate::tf::schema::Attribute], prefix: &str, out: &mut Vec<String>) {
        for a in attrs {
            let p = format!("{prefix}{}", a.name);
            if a.requires_replace || a.requires_replace_if.is_some() {
                out.push(format!(
                    "{p}: requires_replace has no meaning in an ephemeral resource"
                ));
            }
            if a.keep_prior {
                out.push(format!(
                    "{p}: keep_prior has no meaning in an ephemeral resource"
                ));
            }
            if let Some((_, inner)) = a.nested_attributes() {
                walk(inner, &format!("{p}."), out);
            }
        }
    }
    fn block(b: &crate::tf::schema::Block, prefix: &str, out: &mut Vec<String>) {
        walk(&b.attributes, prefix, out);
        for nb in &b.blocks {
            block(&nb.block, &format!("{prefix}{}.", nb.name), out);
        }
    }
    let mut out = Vec::new();
    block(&schema.block, "", &mut out);
    out
}

/// What OpenEphemeralResource answers: result, private bytes, renew_at.
type OpenAnswer = (
    Option<pb::DynamicValue>,
    Option<Vec<u8>>,
    Option<prost_types::Timestamp>,
);

impl<P: Provider> ProviderService<P> {
    /// The context of an ephemeral resource call: its default timeout, the stop token.
    fn ephemeral_ctx(
        &self,
        e: &Typed<dyn EphemeralResource<P::Data>>,
        diags: &mut Diagnostics,
    ) -> Option<Ctx<P::Data>> {
        let deadline = Instant::now() + e.imp.default_timeout();
        self.ctx(Some(deadline), Private::default(), diags)
    }

    async fn open_ephemeral(
        &self,
        r: &pb::open_ephemeral_resource::Request,
        diags: &mut Diagnostics,
    ) -> Option<OpenAnswer> {
        let e = self.ephemeral(&r.type_name, diags)?;
        let config = convert::decode(r.config.as_ref(), &e.ty, "configuration", diags)?;
        // Terraform (1.10 and later) never opens with unknown values: it makes this same
        // placeholder itself (configured values kept, computed values unknown). A client that
        // sends unknowns anyway, or a provider whose own configuration is not known yet
        // (planning), gets it too: nothing is opened, so renew and close will do nothing.
        let blocker = self.unknown_configuration();
        if !config.is_wholly_known() || blocker.is_some() {
            tracing::info!(
                type_name = %r.type_name,
                provider_unknown = blocker.is_some(),
                "configuration not known yet; answering an unknown result without opening"
            );
            let proposed = plan::proposed_new(&e.schema, &Value::Null, &config);
            let placeholder = plan::plan(&e.schema, &Value::Null, &proposed, &config);
            let dv = convert::encode(&placeholder, &e.ty, "ephemeral result", diags)?;
            return Some((Some(dv), Some(NOT_OPENED.to_vec()), None));
        }
        let ctx = self.ephemeral_ctx(e, diags)?;
        let opened = e.imp.open(&ctx, &config, diags).await;
        let Some(opened) = opened else {
            if !diags.has_errors() {
                diags.bug("open returned no result and no error");
            }
            return None;
        };
        if diags.has_errors() {
            // Terraform registers nothing after an error, so it will never close this.
            e.imp.close(&ctx, opened.private.as_deref(), diags).await;
            return None;
        }
        if !opened.result.is_wholly_known() {
            diags.bug("the ephemeral result still had unknown values");
        }
        // Terraform checks the result with AssertPlanValid (configured values kept, nothing
        // for unconfigured non-computed attributes); say where, before it says only "invalid".
        self.report(
            "invalid ephemeral result",
            plan::check(&e.schema, &Value::Null, &config, &opened.result),
            diags,
        );
        if diags.has_errors() {
            e.imp.close(&ctx, opened.private.as_deref(), diags).await;
            return None;
        }
        let Some(dv) = convert::encode(&opened.result, &e.ty, "ephemeral result", diags) else {
            e.imp.close(&ctx, opened.private.as_deref(), diags).await;
            return None;
        };
        Some((
            Some(dv),
            opened.private,
            opened.renew_at.map(prost_types::Timestamp::from),
        ))
    }

    async fn renew_ephemeral(
        &self,
        r: &pb::renew_ephemeral_resource::Request,
        diags: &mut Diagnostics,
    ) -> Option<crate::resource::Renewed> {
        let e = self.ephemeral(&r.type_name, diags)?;
        if r.private.as_deref() == Some(NOT_OPENED) {
            return None;
        }
        let ctx = self.ephemeral_ctx(e, diags)?;
        e.imp.renew(&ctx, r.private.as_deref(), diags).await
    }

    async fn close_ephemeral(
        &self,
        r: &pb::close_ephemeral_resource::Request,
        diags: &mut Diagnostics,
    ) {
        let Some(e) = self.ephemeral(&r.type_name, diags) else {
            return;
        };
        if r.private.as_deref() == Some(NOT_OPENED) {
            return;
        }
        if let Some(ctx) = self.ephemeral_ctx(e, diags) {
            e.imp.close(&ctx, r.private.as_deref(), diags).await
        }
    }
}

/// The whole plan of one resource: pipeline, hook, finish. Used by the server and by
/// [`plan_resource`] so tests plan exactly as the server does.
#[allow(clippy::too_many_arguments)]
fn plan_with_hook<D: Send + Sync + 'static>(
    res: &Typed<dyn Resource<D>>,
    provider: Option<&D>,
    prior: &Value,
    proposed: &Value,
    config: &Value,
    private: &std::sync::Mutex<Private>,
    diags: &mut Diagnostics,
) -> (Value, Vec<AttributePath>) {
    let walked = plan::plan(&res.schema, prior, proposed, config);
    if walked.is_null() {
        return (walked, Vec::new());
    }
    let mut planned = walked.clone();
    let mut extra = Vec::new();
    let req = PlanRequest {
        prior,
        config,
        provider,
        private,
    };
    res.imp.modify_plan(&req, &mut planned, &mut extra, diags);
    let mut replace = plan::finish(&res.schema, prior, config, &walked, &mut planned);
    if !prior.is_null() {
        replace.extend(extra);
        replace.sort();
        replace.dedup();
    }
    (planned, replace)
}

/// Plans one resource as the server does (pipeline, hook, finish) outside the server: for
/// tests of plan behaviour, such as "the plan made with unknowns is refined by the plan made
/// once they are known".
pub fn plan_resource<D: Send + Sync + 'static>(
    resource: Arc<dyn Resource<D>>,
    provider: Option<&D>,
    prior: &Value,
    config: &Value,
    diags: &mut Diagnostics,
) -> (Value, Vec<AttributePath>) {
    let typed = Typed::new(resource.schema(), resource);
    let proposed = plan::proposed_new(&typed.schema, prior, config);
    let private = std::sync::Mutex::new(Private::default());
    plan_with_hook(&typed, provider, prior, &proposed, config, &private, diags)
}

/// The routes `transport::serve` mounts: the tfplugin6 Provider service with raised limits.
/// `stop` is cancelled when the process shuts down (operations in flight wind down then).
pub fn provider_routes<P: Provider>(
    provider: P,
    stop: CancellationToken,
) -> tonic::service::Routes {
    let svc = ProviderServer::new(ProviderService::new(provider).with_stop(stop))
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    tonic::service::Routes::new(svc)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod ephemeral_tests;
