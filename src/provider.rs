//! The `provider "harness"` block: schema, validation, and configuration into the data every
//! resource call gets (the Harness client and scope defaults).

use std::sync::Arc;
use std::time::Duration;

use harness_gitops_client as harness;
use harness_gitops_client::Secret;
use tfplugin::resource::{DataSource, Provider, Resource};
use tfplugin::tf::duration::parse as parse_duration;
use tfplugin::tf::schema::{Attribute as A, Nesting, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::Val;
use tokio_util::sync::CancellationToken;

/// Default Harness gateway.
pub const DEFAULT_ENDPOINT: &str = "https://app.harness.io/gateway";
/// Default per-request timeout (including retries of one call).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of retries of a failed idempotent call.
pub const DEFAULT_MAX_RETRIES: u32 = 5;

/// Environment variables, named in diagnostics.
pub const ENV_ENDPOINT: &str = "HARNESS_ENDPOINT";
pub const ENV_ACCOUNT_ID: &str = "HARNESS_ACCOUNT_ID";
pub const ENV_API_KEY: &str = "HARNESS_PLATFORM_API_KEY";

/// Scope defaults that resources inherit when their own attribute is unset. Each is a
/// string, null, or unknown (the provider block takes it from another resource's output):
/// an unknown default plans the inheriting attribute unknown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Defaults {
    pub org_id: Val<String>,
    pub project_id: Val<String>,
    pub agent_id: Val<String>,
}

/// Settings of the `kubernetes` attribute, used by the cluster resource to bootstrap Argo CD
/// access. Secrets stay in [`Secret`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KubernetesSettings {
    pub config_path: Option<String>,
    pub config_context: Option<String>,
    pub host: Option<String>,
    pub token: Option<Secret>,
    pub cluster_ca_certificate: Option<String>,
    pub insecure: Option<bool>,
}

/// What ConfigureProvider produces. During plan the provider block may hold values not
/// known until apply: the client exists as soon as its own inputs are known.
pub struct ProviderData {
    /// `None` while endpoint, account, API key or client settings are unknown.
    pub client: Option<harness::Client>,
    pub defaults: Defaults,
    /// `None` while the `kubernetes` block holds unknown values.
    pub kubernetes: Option<KubernetesSettings>,
    /// The shared observer of applications waited for (one poll per scope and round).
    pub app_watch: crate::resources::app_watch::Watcher,
}

impl ProviderData {
    /// The Harness client. The framework makes no remote call before it exists
    /// ([`HarnessProvider::remote_blocker`]), so `None` here is a provider bug.
    pub fn client(&self, diags: &mut Diagnostics) -> Option<&harness::Client> {
        if self.client.is_none() {
            diags.bug("the Harness client was used before its configuration was known");
        }
        self.client.as_ref()
    }
}

/// The provider, as the framework sees it.
pub struct HarnessProvider;

impl Provider for HarnessProvider {
    type Data = ProviderData;

    fn name(&self) -> &'static str {
        "harness"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }
    fn configure(
        &self,
        config: &Value,
        stop: CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<ProviderData> {
        configure(config, stop, diags)
    }
    fn remote_blocker(&self, data: &ProviderData) -> Option<String> {
        data.client.is_none().then(|| {
            "The harness provider's `endpoint`, `account_id`, `api_key`, `request_timeout` or `max_retries` \
             depends on values not known until apply, so it cannot call Harness yet."
                .to_string()
        })
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<ProviderData>>> {
        crate::resources::resources()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<ProviderData>>> {
        crate::resources::data_sources()
    }
}

/// The provider block's schema.
pub fn schema() -> Schema {
    Schema::new(
        0,
        "The Harness provider manages Harness GitOps (Argo CD) repositories, applications and clusters \
         through the Harness GitOps API. Every setting can also come from the environment.",
        vec![
            A::string("endpoint").optional().description(
                "Harness gateway URL. Defaults to the `HARNESS_ENDPOINT` environment variable, then \
                 `https://app.harness.io/gateway`. Point it at a local `harness-gitops-emulator` \
                 (e.g. `http://127.0.0.1:8899`) to try configurations offline.",
            ),
            A::string("account_id")
                .optional()
                .description("Harness account identifier. Defaults to the `HARNESS_ACCOUNT_ID` environment variable. Required."),
            A::string("api_key").optional().sensitive().description(
                "Harness API key (a personal access token or service account token), sent as `x-api-key`. \
                 Defaults to the `HARNESS_PLATFORM_API_KEY` environment variable. Required. Never logged.",
            ),
            A::string("org_id").optional().description("Default organization identifier for resources that do not set `org_id`."),
            A::string("project_id")
                .optional()
                .description("Default project identifier for resources that do not set `project_id`."),
            A::string("agent_id").optional().description(
                "Default GitOps agent identifier, with its scope prefix (`account.<id>`, `org.<id>` or `<id>` \
                 for a project agent), for resources that do not set `agent_id`.",
            ),
            A::string("request_timeout").optional().description(
                "Upper bound for one API call including its retries, as a duration such as `30s` or `2m`. \
                 Defaults to `60s`.",
            ),
            A::number("max_retries").optional().description(
                "How many times a call is retried after a connection error, HTTP 429, 502, 503 or 504, with \
                 exponential backoff and jitter. Defaults to `5`; `0` disables retries.",
            ),
            A::nested(
                "kubernetes",
                Nesting::Single,
                vec![
                    A::string("config_path").optional().description(
                        "Path to a kubeconfig file. Defaults to the `KUBECONFIG` environment variable, then `~/.kube/config`.",
                    ),
                    A::string("config_context")
                        .optional()
                        .description("kubeconfig context to use. Defaults to the current context."),
                    A::string("host").optional().description("Kubernetes API server URL; overrides the kubeconfig."),
                    A::string("token").optional().sensitive().description("Bearer token for the Kubernetes API; never logged."),
                    A::string("cluster_ca_certificate").optional().description(
                        "PEM CA bundle of the Kubernetes API server (base64-encoded PEM is accepted too).",
                    ),
                    A::bool("insecure")
                        .optional()
                        .description("Skip TLS verification of the Kubernetes API server (test clusters only)."),
                ],
            )
            .optional()
            .description(
                "How to reach Kubernetes when a `harness_gitops_cluster` bootstraps Argo CD access \
                 (service account, RBAC and token) and sets no connection of its own in its `bootstrap`. \
                 Used only while applying and refreshing bootstrapped clusters: values known only after \
                 apply (e.g. a cluster endpoint from another resource) never stop a plan or the refresh of \
                 other resources. Prefer the cluster's own `bootstrap.host` when one configuration \
                 bootstraps several clusters. Unused by repositories and applications.",
            ),
        ],
    )
}

/// Checks what can be checked without the environment; unknown values pass.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(e) = config.attr_str("endpoint") {
        check_endpoint(e, diags);
    }
    if let Some(t) = config.attr_str("request_timeout") {
        if parse_duration(t).is_none_or(|d| d.is_zero()) {
            diags.error_at(
                AttributePath::attr("request_timeout"),
                "Invalid Request Timeout",
                format!("{t:?} is not a positive duration; use a form like \"30s\", \"2m\" or \"1m30s\"."),
            );
        }
    }
    if config.attr("kubernetes").attr("insecure").as_bool() == Some(true) {
        diags.warning_at(
            AttributePath::attr("kubernetes").child("insecure"),
            "Kubernetes TLS Verification Skipped",
            crate::k8s::INSECURE_WARNING,
        );
    }
    if let Some(n) = config.attr("max_retries").as_number() {
        if n.as_i64().is_none_or(|n| !(0..=100).contains(&n)) {
            diags.error_at(
                AttributePath::attr("max_retries"),
                "Invalid Max Retries",
                format!("max_retries must be a whole number from 0 to 100, got {n}."),
            );
        }
    }
}

fn check_endpoint(e: &str, diags: &mut Diagnostics) {
    match url::Url::parse(e) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
        _ => diags.error_at(
            AttributePath::attr("endpoint"),
            "Invalid Endpoint",
            format!("{e:?} is not an http(s) URL; expected something like \"https://app.harness.io/gateway\" or \"http://127.0.0.1:8899\"."),
        ),
    }
}

/// Reads a string setting from configuration, falling back to an environment variable.
fn setting(config: &Value, attr: &str, env: &str) -> Option<String> {
    config
        .attr_str(attr)
        .map(str::to_string)
        .or_else(|| std::env::var(env).ok())
        .filter(|s| !s.is_empty())
}

fn opt_str(v: &Value, attr: &str) -> Option<String> {
    v.attr_str(attr)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Builds the provider data. Parts that depend on unknown values are left out: the client
/// when its own settings are unknown, the Kubernetes settings when that block is unknown.
pub fn configure(
    config: &Value,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<ProviderData> {
    validate(config, diags);
    if diags.has_errors() {
        return None;
    }
    let defaults = Defaults {
        org_id: default_value(config, "org_id"),
        project_id: default_value(config, "project_id"),
        agent_id: default_value(config, "agent_id"),
    };
    let k = config.attr("kubernetes");
    let kubernetes = k.is_wholly_known().then(|| KubernetesSettings {
        config_path: opt_str(k, "config_path").or_else(|| std::env::var("KUBECONFIG").ok()),
        config_context: opt_str(k, "config_context"),
        host: opt_str(k, "host"),
        token: opt_str(k, "token").map(Secret::new),
        cluster_ca_certificate: opt_str(k, "cluster_ca_certificate")
            .map(|c| crate::k8s::connect::pem_text(&c)),
        insecure: k.attr("insecure").as_bool(),
    });
    let client_inputs = [
        "endpoint",
        "account_id",
        "api_key",
        "request_timeout",
        "max_retries",
    ];
    let client = if client_inputs
        .iter()
        .all(|a| config.attr(a).is_wholly_known())
    {
        Some(client(config, cancel, diags)?)
    } else {
        None
    };
    Some(ProviderData {
        client,
        defaults,
        kubernetes,
        app_watch: Default::default(),
    })
}

/// A scope default: the configured string, null when unset or empty, unknown when unknown.
fn default_value(config: &Value, attr: &str) -> Val<String> {
    match config.attr(attr) {
        Value::String(s) if !s.is_empty() => Val::Known(s.clone()),
        Value::Unknown(_) => Val::Unknown,
        _ => Val::Null,
    }
}

/// The Harness client from known settings (environment variables fill unset ones).
fn client(
    config: &Value,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<harness::Client> {
    let endpoint =
        setting(config, "endpoint", ENV_ENDPOINT).unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
    if config.attr("endpoint").is_null() {
        check_endpoint(&endpoint, diags);
    }
    let account_id = setting(config, "account_id", ENV_ACCOUNT_ID);
    if account_id.is_none() {
        diags.error_at(
            AttributePath::attr("account_id"),
            "Missing Harness Account ID",
            format!("Set `account_id` in the provider block or the {ENV_ACCOUNT_ID} environment variable."),
        );
    }
    let api_key = setting(config, "api_key", ENV_API_KEY);
    if api_key.is_none() {
        diags.error_at(
            AttributePath::attr("api_key"),
            "Missing Harness API Key",
            format!(
                "Set `api_key` in the provider block or the {ENV_API_KEY} environment variable."
            ),
        );
    }
    if diags.has_errors() {
        return None;
    }
    let (account_id, api_key) = (account_id?, Secret::new(api_key?));
    let request_timeout = config
        .attr_str("request_timeout")
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
    let max_retries = config
        .attr("max_retries")
        .as_i64()
        .map(|n| n as u32)
        .unwrap_or(DEFAULT_MAX_RETRIES);
    let client = match harness::Client::new(
        harness::ClientConfig {
            endpoint: endpoint.clone(),
            account_id: account_id.clone(),
            api_key,
            request_timeout,
            max_retries,
        },
        cancel,
    ) {
        Ok(c) => c,
        Err(e) => {
            diags.error_at(
                AttributePath::attr("endpoint"),
                "Unable to Create Harness Client",
                e.to_string(),
            );
            return None;
        }
    };
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_valid_and_described() {
        assert_eq!(schema().validate(false), Vec::<String>::new());
    }
}
