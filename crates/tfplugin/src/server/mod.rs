//! tfplugin6 RPCs: protobuf ↔ `tf` conversion and dispatch to resources. Every RPC answers
//! `Ok` with diagnostics inside; a gRPC error status is left for transport faults. A panic in
//! a handler is caught and becomes an error diagnostic instead of a crashed `terraform apply`.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, RwLock};

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::ctx::{Ctx, Private};
use crate::plan;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::{Provider as PbProvider, ProviderServer};
use crate::resource::{DataSource, PlanRequest, Provider, Resource};
use crate::tf::schema::{AttrKind, Attribute, Schema};
use crate::tf::{codec, Diagnostics, Type, Value};

pub mod convert;

/// Largest gRPC message accepted or sent (Terraform's plugin servers use 256 MiB).
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

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
    provider_schema: Schema,
    configured: RwLock<Configured<P::Data>>,
    stop: CancellationToken,
}

impl<P: Provider> ProviderService<P> {
    /// A service over the provider's resources and data sources.
    pub fn new(provider: P) -> Self {
        let resources = provider.resources();
        let data_sources = provider.data_sources();
        Self::with(provider, resources, data_sources)
    }

    /// A service over the given resources and data sources (tests use their own).
    pub fn with(
        provider: P,
        resources: Vec<Arc<dyn Resource<P::Data>>>,
        data_sources: Vec<Arc<dyn DataSource<P::Data>>>,
    ) -> Self {
        let resources = resources
            .into_iter()
            .map(|r| (r.type_name(), Typed::new(r.schema(), r)))
            .collect();
        let data_sources = data_sources
            .into_iter()
            .map(|d| (d.type_name(), Typed::new(d.schema(), d)))
            .collect();
        ProviderService {
            provider_schema: provider.schema(),
            provider,
            resources,
            data_sources,
            configured: RwLock::new(Configured::No),
            stop: CancellationToken::new(),
        }
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

    fn provider_data(&self) -> Option<Arc<P::Data>> {
        match &*self.configured.read().unwrap_or_else(|e| e.into_inner()) {
            Configured::Yes { data, .. } => Some(data.clone()),
            Configured::No => None,
        }
    }

    /// Why remote calls cannot be made now, or `None` when they can.
    fn remote_blocker(&self) -> Option<String> {
        match &*self.configured.read().unwrap_or_else(|e| e.into_inner()) {
            Configured::Yes { blocker, .. } => blocker.clone(),
            Configured::No => Some(format!(
                "Terraform called the {} provider before configuring it. This is unexpected; please report it \
                 with the Terraform version and command you ran.",
                self.provider.name()
            )),
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

    /// The call context, or an error diagnostic when the provider cannot make remote calls.
    fn ctx(&self, private: Private, diags: &mut Diagnostics) -> Option<Ctx<P::Data>> {
        if let Some(why) = self.remote_blocker() {
            let summary = match self.unknown_configuration() {
                Some(_) => "Provider Configuration Not Known",
                None => "Provider Not Configured",
            };
            diags.error(summary, why);
            return None;
        }
        let data = self.provider_data()?;
        Some(Ctx::new(data, self.stop.child_token(), None, private))
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
    let started = std::time::Instant::now();
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

/// Sets every write-only attribute (at any nesting depth) to null.
fn null_write_only(attrs: &[Attribute], v: &mut Value) {
    let Some(obj) = v.as_object_mut() else { return };
    for a in attrs {
        let Some(slot) = obj.get_mut(&a.name) else {
            continue;
        };
        if a.write_only {
            *slot = Value::Null;
        } else if let AttrKind::Nested { attributes, .. } = &a.kind {
            match slot {
                Value::Object(_) => null_write_only(attributes, slot),
                Value::List(items) | Value::Set(items) => items
                    .iter_mut()
                    .for_each(|i| null_write_only(attributes, i)),
                Value::Map(m) => m.values_mut().for_each(|i| null_write_only(attributes, i)),
                _ => {}
            }
        }
    }
}

/// True if a write-only attribute anywhere holds a non-null value.
fn has_write_only_value(attrs: &[Attribute], v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    for a in attrs {
        let Some(x) = obj.get(&a.name) else { continue };
        if a.write_only && !x.is_null() {
            return Some(a.name.clone());
        }
        if let AttrKind::Nested { attributes, .. } = &a.kind {
            let found = match x {
                Value::Object(_) => has_write_only_value(attributes, x),
                Value::List(items) | Value::Set(items) => items
                    .iter()
                    .find_map(|i| has_write_only_value(attributes, i)),
                Value::Map(m) => m.values().find_map(|i| has_write_only_value(attributes, i)),
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

/// Makes a state Terraform will accept after apply or read: wholly known, write-only null.
/// Leftover unknowns are a provider bug; they become null so the object still reaches state.
fn finalize_state(schema: &Schema, mut v: Value, diags: &mut Diagnostics) -> Value {
    null_write_only(&schema.block.attributes, &mut v);
    if !v.is_wholly_known() {
        diags.bug("the resulting state still had unknown values; they were recorded as null");
        v = unknowns_to_null(v);
    }
    v
}

fn unknowns_to_null(v: Value) -> Value {
    match v {
        Value::Unknown(_) => Value::Null,
        Value::List(i) => Value::List(i.into_iter().map(unknowns_to_null).collect()),
        Value::Set(i) => Value::Set(i.into_iter().map(unknowns_to_null).collect()),
        Value::Tuple(i) => Value::Tuple(i.into_iter().map(unknowns_to_null).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| (k, unknowns_to_null(v)))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, unknowns_to_null(v)))
                .collect(),
        ),
        other => other,
    }
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
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _r: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let mut diags = Diagnostics::new();
        for err in self.provider_schema.validate(false) {
            diags.bug(format!("provider schema: {err}"));
        }
        for (name, r) in &self.resources {
            r.schema
                .validate(true)
                .into_iter()
                .for_each(|e| diags.bug(format!("{name}: {e}")));
        }
        for (name, d) in &self.data_sources {
            d.schema
                .validate(false)
                .into_iter()
                .for_each(|e| diags.bug(format!("{name}: {e}")));
        }
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(n, r)| (n.to_string(), convert::schema(&r.schema)))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(n, d)| (n.to_string(), convert::schema(&d.schema)))
                .collect(),
            diagnostics: convert::diagnostics(&diags),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
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
        let mut diags = Diagnostics::new();
        if let Some(cfg) = convert::decode(
            r.config.as_ref(),
            &self.provider_schema.ty(),
            "provider configuration",
            &mut diags,
        ) {
            self.provider.validate(&cfg, &mut diags);
        }
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn configure_provider(
        &self,
        r: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let r = r.into_inner();
        let mut diags = Diagnostics::new();
        tracing::debug!(terraform_version = %r.terraform_version, "configuring provider");
        if let Some(cfg) = convert::decode(
            r.config.as_ref(),
            &self.provider_schema.ty(),
            "provider configuration",
            &mut diags,
        ) {
            let state = match self
                .provider
                .configure(&cfg, self.stop.child_token(), &mut diags)
            {
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
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: convert::diagnostics(&diags),
        }))
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
                        let wo_allowed = r.client_capabilities.as_ref().is_some_and(|c| c.write_only_attributes_allowed);
                        if !wo_allowed {
                            if let Some(name) = has_write_only_value(&res.schema.block.attributes, &cfg) {
                                diags.error_at(
                                    crate::tf::AttributePath::attr(&name),
                                    "Write-Only Attribute Not Supported",
                                    format!("`{name}` is write-only and needs Terraform 1.11 or later (or an OpenTofu that supports write-only attributes); this client would store it in state. Use the sensitive non-write-only attribute instead, or upgrade."),
                                );
                            }
                        }
                        res.imp.validate(&cfg, &mut diags);
                    }
                }
                pb::validate_resource_config::Response { diagnostics: convert::diagnostics(&diags) }
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
        let private = r.private.clone();
        guarded(
            "ReadResource",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let new_state = self.read(&r, &mut diags).await;
                pb::read_resource::Response {
                    new_state,
                    diagnostics: convert::diagnostics(&diags),
                    private: r.private.clone(),
                    ..Default::default()
                }
            },
            |d| pb::read_resource::Response {
                new_state: r.current_state.clone(),
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
                let (planned_state, requires_replace) =
                    self.plan(&r, &mut diags).unwrap_or_default();
                pb::plan_resource_change::Response {
                    planned_state,
                    requires_replace: requires_replace.iter().map(convert::path).collect(),
                    planned_private: r.prior_private.clone(),
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
        let prior = r.prior_state.clone();
        let private = r.planned_private.clone();
        guarded(
            "ApplyResourceChange",
            &r.type_name,
            async {
                let mut diags = Diagnostics::new();
                let new_state = self.apply(&r, &mut diags).await;
                pb::apply_resource_change::Response {
                    new_state,
                    private: r.planned_private.clone(),
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
        let r = r.into_inner();
        let mut diags = Diagnostics::new();
        diags.error(
            "Move Resource State Not Supported",
            format!(
                "The {} provider cannot move state from {} ({}) into {}. Remove the `moved` block and import the object instead.",
                self.provider.name(), r.source_type_name, r.source_provider_address, r.target_type_name
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

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: true,
        generate_resource_config: false,
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
    ) -> Option<pb::DynamicValue> {
        let res = self.resource(&r.type_name, diags)?;
        let current = convert::decode(r.current_state.as_ref(), &res.ty, "current state", diags)?;
        if current.is_null() {
            return Some(null_dv());
        }
        if let Some(why) = self.unknown_configuration() {
            diags.warning(
                "State Not Refreshed",
                format!(
                    "{why}\n\nThe state recorded for this {} is kept as it was.",
                    r.type_name
                ),
            );
            return r.current_state.clone();
        }
        let Some(ctx) = self.ctx(Private::from_bytes(&r.private), diags) else {
            return r.current_state.clone();
        };
        match res.imp.read(&ctx, &current, diags).await {
            Some(v) => {
                let v = finalize_state(&res.schema, v, diags);
                convert::encode(&v, &res.ty, "refreshed state", diags)
            }
            // Failed reads keep the state as it was; a clean None means the object is gone.
            None if diags.has_errors() => r.current_state.clone(),
            None => {
                tracing::info!(type_name = %r.type_name, "remote object no longer exists; removing it from state");
                Some(null_dv())
            }
        }
    }

    fn plan(
        &self,
        r: &pb::plan_resource_change::Request,
        diags: &mut Diagnostics,
    ) -> Option<(Option<pb::DynamicValue>, Vec<crate::tf::AttributePath>)> {
        let res = self.resource(&r.type_name, diags)?;
        let prior = convert::decode(r.prior_state.as_ref(), &res.ty, "prior state", diags)?;
        let proposed = convert::decode(
            r.proposed_new_state.as_ref(),
            &res.ty,
            "proposed state",
            diags,
        )?;
        let config = convert::decode(r.config.as_ref(), &res.ty, "configuration", diags)?;
        let mut p = plan::plan(&res.schema, &prior, &proposed, &config);
        if !p.planned.is_null() {
            let data = self.provider_data();
            let req = PlanRequest {
                prior: &prior,
                config: &config,
                provider: data.as_deref(),
            };
            res.imp
                .modify_plan(&req, &mut p.planned, &mut p.requires_replace, diags);
            // The hook may not reintroduce write-only values.
            null_write_only(&res.schema.block.attributes, &mut p.planned);
            p.requires_replace.sort();
            p.requires_replace.dedup();
            if prior.is_null() {
                p.requires_replace.clear();
            }
        }
        let dv = convert::encode(&p.planned, &res.ty, "planned state", diags)?;
        Some((Some(dv), p.requires_replace))
    }

    async fn apply(
        &self,
        r: &pb::apply_resource_change::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::DynamicValue> {
        let res = self.resource(&r.type_name, diags)?;
        let prior = convert::decode(r.prior_state.as_ref(), &res.ty, "prior state", diags)?;
        let planned = convert::decode(r.planned_state.as_ref(), &res.ty, "planned state", diags)?;
        let config = convert::decode(r.config.as_ref(), &res.ty, "configuration", diags)?;
        let Some(ctx) = self.ctx(Private::from_bytes(&r.planned_private), diags) else {
            return r.prior_state.clone();
        };
        let out = if planned.is_null() {
            res.imp.delete(&ctx, &prior, diags).await;
            // A failed delete keeps the object in state.
            return if diags.has_errors() {
                r.prior_state.clone()
            } else {
                Some(null_dv())
            };
        } else if prior.is_null() {
            res.imp.create(&ctx, &planned, &config, diags).await
        } else {
            res.imp
                .update(&ctx, &prior, &planned, &config, diags)
                .await
                .or_else(|| Some(prior.clone()))
        };
        match out {
            Some(v) => {
                let v = finalize_state(&res.schema, v, diags);
                // If the result cannot be encoded (a provider bug), fall back to the plan with
                // its unknowns nulled: an object that exists remotely must still reach state.
                convert::encode(&v, &res.ty, "new state", diags).or_else(|| {
                    let fallback =
                        finalize_state(&res.schema, planned.clone(), &mut Diagnostics::new());
                    convert::encode(&fallback, &res.ty, "new state", &mut Diagnostics::new())
                })
            }
            None => {
                if !diags.has_errors() {
                    diags.bug("create returned no state and no error");
                }
                Some(null_dv())
            }
        }
    }

    async fn import(
        &self,
        r: &pb::import_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<pb::import_resource_state::ImportedResource> {
        let res = self.resource(&r.type_name, diags)?;
        let ctx = self.ctx(Private::default(), diags)?;
        let v = res.imp.import(&ctx, &r.id, diags).await?;
        let v = finalize_state(&res.schema, v, diags);
        let state = convert::encode(&v, &res.ty, "imported state", diags)?;
        Some(pb::import_resource_state::ImportedResource {
            type_name: r.type_name.clone(),
            state: Some(state),
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
        let ctx = self.ctx(Private::default(), diags)?;
        let v = ds.imp.read(&ctx, &config, diags).await?;
        if !v.is_wholly_known() {
            diags.bug("data source result had unknown values");
            return None;
        }
        convert::encode(&v, &ds.ty, "data source state", diags)
    }
}

/// The routes `transport::serve` mounts: the tfplugin6 Provider service with raised limits.
pub fn provider_routes<P: Provider>(provider: P) -> tonic::service::Routes {
    let svc = ProviderServer::new(ProviderService::new(provider))
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    tonic::service::Routes::new(svc)
}

#[cfg(test)]
mod tests;
