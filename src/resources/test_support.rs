//! Fixtures every resource's unit tests share: configurations built from attribute pairs,
//! validation as the server runs it, planning through the real pipeline, provider data.

use std::sync::Arc;

use tfplugin::resource::Resource;
use tfplugin::tf::{AttributePath, Diagnostics, Severity, Value};
use tfplugin::Model;

use crate::provider::{Defaults, ProviderData};

/// The configuration value of model `M` with the given top-level attributes set (every
/// other attribute null).
pub fn cfg_value<M: Model>(pairs: &[(&str, Value)]) -> Value {
    let mut v = M::schema().null_object();
    for (k, x) in pairs {
        v.set_attr(k, x.clone());
    }
    v
}

/// The configuration as the model.
pub fn cfg<M: Model>(pairs: &[(&str, Value)]) -> M {
    M::from_object(&cfg_value::<M>(pairs)).expect("a configuration of the model")
}

/// Every diagnostic validation gives `config` (declared validators, then the resource's
/// cross-attribute checks), as the server runs them.
pub fn diagnostics(resource: &Arc<dyn Resource<ProviderData>>, config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    tfplugin::tf::validator::validate_block(
        &resource.schema().block,
        config,
        &AttributePath::root(),
        &mut d,
    );
    resource.validate(config, &mut d);
    d
}

/// The paths of the diagnostics of `severity`.
pub fn paths(d: &Diagnostics, severity: Severity) -> Vec<String> {
    d.0.iter()
        .filter(|x| x.severity == severity)
        .map(|x| x.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
        .collect()
}

/// The paths of validation's errors for `config`.
pub fn errors(resource: &Arc<dyn Resource<ProviderData>>, config: &Value) -> Vec<String> {
    paths(&diagnostics(resource, config), Severity::Error)
}

/// Provider data with `defaults` and no client (planning never calls Harness).
pub fn provider(defaults: Defaults) -> ProviderData {
    ProviderData {
        client: None,
        defaults,
        kubernetes: None,
        app_watch: Default::default(),
        projects: Default::default(),
    }
}

/// Provider data whose scope defaults are all unknown (they come from other resources).
pub fn unknown_provider() -> ProviderData {
    provider(Defaults {
        agent_id: tfplugin::Val::Unknown,
        org_id: tfplugin::Val::Unknown,
        project_id: tfplugin::Val::Unknown,
    })
}

/// The plan of `config` over `prior` (null: create) through the server's pipeline.
pub fn plan(
    resource: &Arc<dyn Resource<ProviderData>>,
    prior: &Value,
    config: &Value,
    provider: Option<&ProviderData>,
) -> (Value, Diagnostics) {
    let mut d = Diagnostics::new();
    let (planned, _) =
        tfplugin::server::plan_resource(resource.clone(), provider, prior, config, &mut d);
    (planned, d)
}
