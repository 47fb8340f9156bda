//! The `provider "harness"` block: schema, validation, and configuration into the data every
//! resource call gets (the Harness client and scope defaults).

use std::sync::Arc;
use std::time::Duration;

use harness_gitops_client as harness;
use harness_gitops_client::Secret;
use tfplugin::resource::{DataSource, EphemeralResource, Provider, Resource};
use tfplugin::tf::duration::parse as parse_duration;
use tfplugin::tf::schema::Schema;
use tfplugin::tf::{AttributePath, Diagnostics, Number, Value};
use tfplugin::typed::TfType;
use tfplugin::{Model, Val};
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
pub const ENV_ORG_ID: &str = "HARNESS_ORG_ID";
pub const ENV_PROJECT_ID: &str = "HARNESS_PROJECT_ID";
pub const ENV_AGENT_ID: &str = "HARNESS_AGENT_ID";
pub const ENV_REQUEST_TIMEOUT: &str = "HARNESS_REQUEST_TIMEOUT";
pub const ENV_MAX_RETRIES: &str = "HARNESS_MAX_RETRIES";

/// Every setting of the provider block and the environment variable it falls back to when
/// unset (null or empty) in configuration. The `kubernetes` settings follow the Kubernetes
/// provider's names, so one environment serves both providers; `config_path` also reads
/// `KUBECONFIG` after `KUBE_CONFIG_PATH`.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("endpoint", ENV_ENDPOINT),
    ("account_id", ENV_ACCOUNT_ID),
    ("api_key", ENV_API_KEY),
    ("org_id", ENV_ORG_ID),
    ("project_id", ENV_PROJECT_ID),
    ("agent_id", ENV_AGENT_ID),
    ("request_timeout", ENV_REQUEST_TIMEOUT),
    ("max_retries", ENV_MAX_RETRIES),
    ("kubernetes.config_path", "KUBE_CONFIG_PATH"),
    ("kubernetes.config_context", "KUBE_CTX"),
    ("kubernetes.host", "KUBE_HOST"),
    ("kubernetes.token", "KUBE_TOKEN"),
    (
        "kubernetes.cluster_ca_certificate",
        "KUBE_CLUSTER_CA_CERT_DATA",
    ),
    ("kubernetes.insecure", "KUBE_INSECURE"),
];

/// How configuration reads the environment: the process's, or a fixed map in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment; empty values count as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The environment variable of a setting (`kubernetes.host` for a nested one).
pub fn env_name(setting: &str) -> &'static str {
    ENVIRONMENT
        .iter()
        .find(|(s, _)| *s == setting)
        .map(|(_, e)| *e)
        .expect("every provider setting has an environment variable")
}

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
    /// The Argo CD projects read by applications' plan checks (one read per project).
    pub projects: crate::resources::gitops_app_project::rules::ProjectCache,
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
        configure(config, &process_env, stop, diags)
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
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<ProviderData>>> {
        crate::resources::ephemeral_resources()
    }
}

// The provider block, declared once: the schema Terraform sees and the typed view that
// validation and configuration read. The doc comment is the provider's description.
/// The Harness provider manages Harness GitOps (Argo CD) repositories, applications and
/// clusters through the Harness GitOps API. Every setting can also come from the
/// environment: `HARNESS_ENDPOINT`, `HARNESS_ACCOUNT_ID`, `HARNESS_PLATFORM_API_KEY`,
/// `HARNESS_ORG_ID`, `HARNESS_PROJECT_ID`, `HARNESS_AGENT_ID`, `HARNESS_REQUEST_TIMEOUT`,
/// `HARNESS_MAX_RETRIES`, and for the `kubernetes` block the Kubernetes provider's
/// `KUBE_CONFIG_PATH` (or `KUBECONFIG`), `KUBE_CTX`, `KUBE_HOST`, `KUBE_TOKEN`,
/// `KUBE_CLUSTER_CA_CERT_DATA` and `KUBE_INSECURE`. A value set in configuration wins over
/// the environment.
// No `Debug`: the API key and the Kubernetes token must never reach a log.
#[derive(Model, Clone, Default, PartialEq)]
pub struct ProviderConfig {
    /// Harness gateway URL. Defaults to the `HARNESS_ENDPOINT` environment variable, then
    /// `https://app.harness.io/gateway`. Point it at a local `harness-gitops-emulator`
    /// (e.g. `http://127.0.0.1:8899`) to try configurations offline.
    #[tf(optional)]
    pub endpoint: Val<String>,
    /// Harness account identifier. Defaults to the `HARNESS_ACCOUNT_ID` environment variable. Required.
    #[tf(optional)]
    pub account_id: Val<String>,
    /// Harness API key (a personal access token or service account token), sent as `x-api-key`.
    /// Defaults to the `HARNESS_PLATFORM_API_KEY` environment variable. Required. Never logged.
    #[tf(optional, sensitive)]
    pub api_key: Val<String>,
    /// Default organization identifier for resources that do not set `org_id`. Defaults to the
    /// `HARNESS_ORG_ID` environment variable.
    #[tf(optional)]
    pub org_id: Val<String>,
    /// Default project identifier for resources that do not set `project_id`. Defaults to the
    /// `HARNESS_PROJECT_ID` environment variable.
    #[tf(optional)]
    pub project_id: Val<String>,
    /// Default GitOps agent identifier, with its scope prefix (`account.<id>`, `org.<id>` or `<id>`
    /// for a project agent), for resources that do not set `agent_id`. Defaults to the
    /// `HARNESS_AGENT_ID` environment variable.
    #[tf(optional)]
    pub agent_id: Val<String>,
    /// Upper bound for one API call including its retries, as a duration such as `30s` or `2m`.
    /// Defaults to the `HARNESS_REQUEST_TIMEOUT` environment variable, then `60s`.
    #[tf(optional)]
    pub request_timeout: Val<String>,
    /// How many times a call is retried after a connection error, HTTP 429, 502, 503 or 504, with
    /// exponential backoff and jitter. Defaults to the `HARNESS_MAX_RETRIES` environment variable,
    /// then `5`; `0` disables retries.
    #[tf(optional)]
    pub max_retries: Val<Number>,
    /// How to reach Kubernetes when a `harness_gitops_cluster` bootstraps Argo CD access
    /// (service account, RBAC and token) and sets no connection of its own in its `bootstrap`.
    /// Used only while applying and refreshing bootstrapped clusters: values known only after
    /// apply (e.g. a cluster endpoint from another resource) never stop a plan or the refresh of
    /// other resources. Prefer the cluster's own `bootstrap.host` when one configuration
    /// bootstraps several clusters. Unused by repositories and applications.
    #[tf(optional, nested)]
    pub kubernetes: Val<KubernetesConfig>,
}

/// The provider block's `kubernetes` attribute.
// No `Debug`: the token must never reach a log.
#[derive(Model, Clone, Default, PartialEq)]
pub struct KubernetesConfig {
    /// Path to a kubeconfig file. Defaults to the `KUBE_CONFIG_PATH` environment variable, then
    /// `KUBECONFIG`, then `~/.kube/config`.
    #[tf(optional)]
    pub config_path: Val<String>,
    /// kubeconfig context to use. Defaults to the `KUBE_CTX` environment variable, then
    /// the current context.
    #[tf(optional)]
    pub config_context: Val<String>,
    /// Kubernetes API server URL; overrides the kubeconfig. Defaults to the `KUBE_HOST`
    /// environment variable.
    #[tf(optional)]
    pub host: Val<String>,
    /// Bearer token for the Kubernetes API; never logged. Defaults to the `KUBE_TOKEN`
    /// environment variable.
    #[tf(optional, sensitive)]
    pub token: Val<String>,
    /// PEM CA bundle of the Kubernetes API server (base64-encoded PEM is accepted too). Defaults
    /// to the `KUBE_CLUSTER_CA_CERT_DATA` environment variable.
    #[tf(optional)]
    pub cluster_ca_certificate: Val<String>,
    /// Skip TLS verification of the Kubernetes API server (test clusters only).
    /// Defaults to the `KUBE_INSECURE` environment variable (`true` or `false`).
    #[tf(optional)]
    pub insecure: Val<bool>,
}

impl KubernetesConfig {
    /// No attribute is unknown (whatever attributes the block gains).
    fn is_known(&self) -> bool {
        self.to_value().is_wholly_known()
    }
}

/// The provider block's schema.
pub fn schema() -> Schema {
    ProviderConfig::schema()
}

/// The typed view of a provider block; a value that does not fit is an error at its path.
fn decode(config: &Value, diags: &mut Diagnostics) -> Option<ProviderConfig> {
    match ProviderConfig::from_object(config) {
        Ok(c) => Some(c),
        Err(d) => {
            diags.0.push(d);
            None
        }
    }
}

/// Checks what can be checked without the environment; unknown values pass.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(c) = decode(config, diags) {
        validate_config(&c, diags);
    }
}

fn validate_config(config: &ProviderConfig, diags: &mut Diagnostics) {
    if let Some(e) = config.endpoint.as_deref() {
        check_endpoint(e, diags);
    }
    if let Some(t) = config.request_timeout.as_deref() {
        if parse_duration(t).is_none_or(|d| d.is_zero()) {
            diags.error_at(
                AttributePath::attr(ProviderConfig::REQUEST_TIMEOUT),
                "Invalid Request Timeout",
                format!("{t:?} is not a positive duration; use a form like \"30s\", \"2m\" or \"1m30s\"."),
            );
        }
    }
    if config.kubernetes.known().map(|k| &k.insecure) == Some(&Val::Known(true)) {
        diags.warning_at(
            AttributePath::attr(ProviderConfig::KUBERNETES).child(KubernetesConfig::INSECURE),
            "Kubernetes TLS Verification Skipped",
            crate::k8s::INSECURE_WARNING,
        );
    }
    if let Some(n) = config.max_retries.known() {
        if n.as_i64().is_none_or(|n| !(0..=100).contains(&n)) {
            diags.error_at(
                AttributePath::attr(ProviderConfig::MAX_RETRIES),
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
            AttributePath::attr(ProviderConfig::ENDPOINT),
            "Invalid Endpoint",
            format!("{e:?} is not an http(s) URL; expected something like \"https://app.harness.io/gateway\" or \"http://127.0.0.1:8899\"."),
        ),
    }
}

/// A string setting (configuration, else its environment variable, [`ENVIRONMENT`]); empty
/// strings count as unset. `name` is the setting's name there (`kubernetes.host` for a nested
/// one).
fn setting(v: &Val<String>, name: &str, env: Env) -> Option<String> {
    v.non_empty()
        .map(str::to_string)
        .or_else(|| env(env_name(name)))
}

/// A setting of the `kubernetes` block, falling back to its environment variable.
fn kube_setting(v: &Val<String>, attr: &str, env: Env) -> Option<String> {
    setting(v, &format!("{}.{attr}", ProviderConfig::KUBERNETES), env)
}

/// A boolean environment value as Terraform providers read them.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// The request timeout: configured (already validated), else its environment variable.
fn request_timeout(config: &ProviderConfig, env: Env, diags: &mut Diagnostics) -> Duration {
    if let Some(t) = config.request_timeout.as_deref().and_then(parse_duration) {
        return t;
    }
    match env(ENV_REQUEST_TIMEOUT) {
        None => DEFAULT_REQUEST_TIMEOUT,
        Some(v) => match parse_duration(&v).filter(|d| !d.is_zero()) {
            Some(d) => d,
            None => {
                diags.error_at(
                    AttributePath::attr(ProviderConfig::REQUEST_TIMEOUT),
                    "Invalid Request Timeout",
                    format!(
                        "The {ENV_REQUEST_TIMEOUT} environment variable ({v:?}) is not a positive duration; \
                         use a form like \"30s\", \"2m\" or \"1m30s\"."
                    ),
                );
                DEFAULT_REQUEST_TIMEOUT
            }
        },
    }
}

/// The retry count: configured (already validated), else its environment variable.
fn max_retries(config: &ProviderConfig, env: Env, diags: &mut Diagnostics) -> u32 {
    if let Some(n) = config.max_retries.known().and_then(|n| n.as_i64()) {
        return n as u32;
    }
    match env(ENV_MAX_RETRIES) {
        None => DEFAULT_MAX_RETRIES,
        Some(v) => match v.trim().parse::<u32>().ok().filter(|n| *n <= 100) {
            Some(n) => n,
            None => {
                diags.error_at(
                    AttributePath::attr(ProviderConfig::MAX_RETRIES),
                    "Invalid Max Retries",
                    format!(
                        "The {ENV_MAX_RETRIES} environment variable ({v:?}) must be a whole number from 0 to 100."
                    ),
                );
                DEFAULT_MAX_RETRIES
            }
        },
    }
}

/// The `kubernetes` settings from the block (known; null reads as all unset) and the
/// environment.
fn kubernetes_settings(
    k: &KubernetesConfig,
    env: Env,
    diags: &mut Diagnostics,
) -> KubernetesSettings {
    let insecure_path =
        || AttributePath::attr(ProviderConfig::KUBERNETES).child(KubernetesConfig::INSECURE);
    let insecure = match k.insecure.known() {
        Some(b) => Some(*b),
        None => env(env_name("kubernetes.insecure")).and_then(|v| {
            let b = parse_bool(&v);
            if b.is_none() {
                diags.error_at(
                    insecure_path(),
                    "Invalid Kubernetes Insecure Setting",
                    format!(
                        "The KUBE_INSECURE environment variable ({v:?}) must be `true` or `false`."
                    ),
                );
            } else if b == Some(true) {
                diags.warning_at(
                    insecure_path(),
                    "Kubernetes TLS Verification Skipped",
                    format!("KUBE_INSECURE is set. {}", crate::k8s::INSECURE_WARNING),
                );
            }
            b
        }),
    };
    KubernetesSettings {
        config_path: kube_setting(&k.config_path, KubernetesConfig::CONFIG_PATH, env)
            .or_else(|| env("KUBECONFIG")),
        config_context: kube_setting(&k.config_context, KubernetesConfig::CONFIG_CONTEXT, env),
        host: kube_setting(&k.host, KubernetesConfig::HOST, env),
        token: kube_setting(&k.token, KubernetesConfig::TOKEN, env).map(Secret::new),
        cluster_ca_certificate: kube_setting(
            &k.cluster_ca_certificate,
            KubernetesConfig::CLUSTER_CA_CERTIFICATE,
            env,
        )
        .map(|c| crate::k8s::connect::pem_text(&c)),
        insecure,
    }
}

/// Builds the provider data. Parts that depend on unknown values are left out: the client
/// when its own settings are unknown, the Kubernetes settings when that block is unknown.
pub fn configure(
    config: &Value,
    env: Env,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<ProviderData> {
    let config = decode(config, diags)?;
    validate_config(&config, diags);
    if diags.has_errors() {
        return None;
    }
    let defaults = Defaults {
        org_id: default_value(&config.org_id, ProviderConfig::ORG_ID, env),
        project_id: default_value(&config.project_id, ProviderConfig::PROJECT_ID, env),
        agent_id: default_value(&config.agent_id, ProviderConfig::AGENT_ID, env),
    };
    let kubernetes = match &config.kubernetes {
        Val::Unknown => None,
        Val::Known(k) if !k.is_known() => None,
        Val::Known(k) => Some(kubernetes_settings(k, env, diags)),
        Val::Null => Some(kubernetes_settings(
            &KubernetesConfig::default(),
            env,
            diags,
        )),
    };
    let client_inputs_known = !(config.endpoint.is_unknown()
        || config.account_id.is_unknown()
        || config.api_key.is_unknown()
        || config.request_timeout.is_unknown()
        || config.max_retries.is_unknown());
    let client = if client_inputs_known {
        Some(client(&config, env, cancel, diags)?)
    } else {
        None
    };
    Some(ProviderData {
        client,
        defaults,
        kubernetes,
        app_watch: Default::default(),
        projects: Default::default(),
    })
}

/// A scope default: the configured string, unknown when unknown, else its environment
/// variable, null when neither is set.
fn default_value(v: &Val<String>, attr: &str, env: Env) -> Val<String> {
    match v {
        Val::Known(s) if !s.is_empty() => Val::Known(s.clone()),
        Val::Unknown => Val::Unknown,
        _ => env(env_name(attr)).map_or(Val::Null, Val::Known),
    }
}

/// The Harness client from known settings (environment variables fill unset ones).
fn client(
    config: &ProviderConfig,
    env: Env,
    cancel: CancellationToken,
    diags: &mut Diagnostics,
) -> Option<harness::Client> {
    let endpoint = setting(&config.endpoint, ProviderConfig::ENDPOINT, env)
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
    if config.endpoint.is_null() {
        check_endpoint(&endpoint, diags);
    }
    let account_id = setting(&config.account_id, ProviderConfig::ACCOUNT_ID, env);
    if account_id.is_none() {
        diags.error_at(
            AttributePath::attr(ProviderConfig::ACCOUNT_ID),
            "Missing Harness Account ID",
            format!("Set `account_id` in the provider block or the {ENV_ACCOUNT_ID} environment variable."),
        );
    }
    let api_key = setting(&config.api_key, ProviderConfig::API_KEY, env);
    if api_key.is_none() {
        diags.error_at(
            AttributePath::attr(ProviderConfig::API_KEY),
            "Missing Harness API Key",
            format!(
                "Set `api_key` in the provider block or the {ENV_API_KEY} environment variable."
            ),
        );
    }
    let request_timeout = request_timeout(config, env, diags);
    let max_retries = max_retries(config, env, diags);
    if diags.has_errors() {
        return None;
    }
    let (account_id, api_key) = (account_id?, Secret::new(api_key?));
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
                AttributePath::attr(ProviderConfig::ENDPOINT),
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

    use tfplugin::tf::codec::{decode_json_value, JsonOptions};

    #[test]
    fn schema_is_valid_and_described() {
        assert_eq!(schema().validate(false), Vec::<String>::new());
    }

    /// A provider block from JSON (absent attributes null).
    fn config(json: serde_json::Value) -> Value {
        let opts = JsonOptions {
            missing_attrs_null: true,
            ..Default::default()
        };
        decode_json_value(&json, &schema().ty(), opts).expect("config")
    }

    fn run(json: serde_json::Value, vars: &[(&str, &str)]) -> (Option<ProviderData>, Diagnostics) {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut diags = Diagnostics::default();
        let data = configure(&config(json), &env, CancellationToken::new(), &mut diags);
        (data, diags)
    }

    const CLIENT: &[(&str, &str)] = &[
        ("HARNESS_ENDPOINT", "http://127.0.0.1:9"),
        ("HARNESS_ACCOUNT_ID", "acc"),
        ("HARNESS_PLATFORM_API_KEY", "key"),
    ];

    /// Every setting of the schema (nested ones as `kubernetes.x`) is in [`ENVIRONMENT`], and
    /// every description names its variable, so a new setting cannot forget its fallback.
    #[test]
    fn every_setting_has_an_environment_variable_named_in_its_description() {
        let s = schema();
        let mut settings = Vec::new();
        for a in &s.block.attributes {
            match &a.kind {
                tfplugin::tf::schema::AttrKind::Nested { attributes, .. } => {
                    for c in attributes {
                        settings.push((format!("{}.{}", a.name, c.name), c.description.clone()));
                    }
                }
                tfplugin::tf::schema::AttrKind::Typed(_) => {
                    settings.push((a.name.to_string(), a.description.clone()))
                }
            }
        }
        let mut names: Vec<&str> = settings.iter().map(|(n, _)| n.as_str()).collect();
        let mut listed: Vec<&str> = ENVIRONMENT.iter().map(|(s, _)| *s).collect();
        names.sort_unstable();
        listed.sort_unstable();
        assert_eq!(
            names, listed,
            "ENVIRONMENT must list every setting of the provider block"
        );
        for (name, description) in &settings {
            let var = env_name(name);
            assert!(
                description.contains(&format!("`{var}`")),
                "the description of {name} does not name {var}: {description}"
            );
            assert!(
                s.block.description.contains(var),
                "the provider description omits {var}"
            );
        }
    }

    #[test]
    fn scope_defaults_and_client_settings_come_from_the_environment() {
        let mut vars = CLIENT.to_vec();
        vars.extend([
            ("HARNESS_ORG_ID", "ml"),
            ("HARNESS_PROJECT_ID", "gpu"),
            ("HARNESS_AGENT_ID", "org.agent"),
            ("HARNESS_REQUEST_TIMEOUT", "7s"),
            ("HARNESS_MAX_RETRIES", "0"),
        ]);
        let (data, diags) = run(serde_json::json!({}), &vars);
        assert!(!diags.has_errors(), "{diags:?}");
        let data = data.expect("configured");
        assert_eq!(data.defaults.org_id, Val::Known("ml".into()));
        assert_eq!(data.defaults.project_id, Val::Known("gpu".into()));
        assert_eq!(data.defaults.agent_id, Val::Known("org.agent".into()));
        assert!(data.client.is_some());
        // Configuration wins over the environment.
        let (data, _) = run(
            serde_json::json!({"org_id": "cfg", "project_id": ""}),
            &vars,
        );
        let data = data.expect("configured");
        assert_eq!(data.defaults.org_id, Val::Known("cfg".into()));
        assert_eq!(
            data.defaults.project_id,
            Val::Known("gpu".into()),
            "empty counts as unset"
        );
        // Nothing set: null defaults.
        let (data, _) = run(serde_json::json!({}), CLIENT);
        assert_eq!(data.expect("configured").defaults.org_id, Val::Null);
    }

    #[test]
    fn unknown_scope_defaults_stay_unknown_whatever_the_environment() {
        let mut vars = CLIENT.to_vec();
        vars.push(("HARNESS_AGENT_ID", "env"));
        let mut cfg = config(serde_json::json!({}));
        cfg.set_attr("agent_id", Value::unknown());
        let env = |n: &str| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        };
        let mut diags = Diagnostics::default();
        let data = configure(&cfg, &env, CancellationToken::new(), &mut diags).expect("data");
        assert_eq!(data.defaults.agent_id, Val::Unknown);
    }

    /// The typed view: an unknown inside `kubernetes` leaves only the Kubernetes settings out;
    /// a bad value is an error at its path that never shows the API key.
    #[test]
    fn typed_configuration_keeps_unknowns_apart_and_paths_exact() {
        let mut cfg = config(serde_json::json!({"kubernetes": {"host": "h"}}));
        let mut k = cfg.attr("kubernetes").clone();
        k.set_attr("host", Value::unknown());
        cfg.set_attr("kubernetes", k);
        let env = |n: &str| {
            CLIENT
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        };
        let mut diags = Diagnostics::default();
        let data = configure(&cfg, &env, CancellationToken::new(), &mut diags).expect("data");
        assert!(
            data.kubernetes.is_none() && data.client.is_some(),
            "{diags:?}"
        );
        let (data, diags) = run(
            serde_json::json!({"max_retries": 2.5, "endpoint": "ftp://x", "api_key": "s3cret"}),
            CLIENT,
        );
        assert!(data.is_none());
        let paths: Vec<String> = diags
            .iter()
            .filter_map(|d| d.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(paths, ["endpoint", "max_retries"], "{diags:?}");
        assert!(diags.iter().all(|d| !d.detail.contains("s3cret")));
    }

    #[test]
    fn invalid_environment_values_are_errors_at_their_setting() {
        for (var, value, path) in [
            ("HARNESS_REQUEST_TIMEOUT", "soon", "request_timeout"),
            ("HARNESS_REQUEST_TIMEOUT", "0s", "request_timeout"),
            ("HARNESS_MAX_RETRIES", "-1", "max_retries"),
            ("HARNESS_MAX_RETRIES", "101", "max_retries"),
            ("KUBE_INSECURE", "maybe", "kubernetes.insecure"),
        ] {
            let mut vars = CLIENT.to_vec();
            vars.push((var, value));
            let (_, diags) = run(serde_json::json!({}), &vars);
            let errors: Vec<_> = diags
                .iter()
                .filter(|d| d.severity == tfplugin::tf::Severity::Error)
                .collect();
            assert_eq!(errors.len(), 1, "{var}={value}: {diags:?}");
            let d = errors[0];
            assert!(d.detail.contains(var) && d.detail.contains(value), "{d:?}");
            assert_eq!(
                d.path.as_ref().map(|p| p.to_string()).as_deref(),
                Some(path),
                "{d:?}"
            );
        }
    }

    #[test]
    fn kubernetes_settings_come_from_the_kubernetes_providers_variables() {
        let mut vars = CLIENT.to_vec();
        vars.extend([
            ("KUBE_CONFIG_PATH", "/kc"),
            ("KUBECONFIG", "/other"),
            ("KUBE_CTX", "ctx"),
            ("KUBE_HOST", "https://k8s.example:6443"),
            ("KUBE_TOKEN", "tok"),
            ("KUBE_INSECURE", "true"),
        ]);
        let (data, diags) = run(serde_json::json!({}), &vars);
        let k = data.expect("data").kubernetes.expect("known block");
        assert_eq!(k.config_path.as_deref(), Some("/kc"));
        assert_eq!(k.config_context.as_deref(), Some("ctx"));
        assert_eq!(k.host.as_deref(), Some("https://k8s.example:6443"));
        assert_eq!(k.token.as_ref().map(|t| t.expose()), Some("tok"));
        assert_eq!(k.insecure, Some(true));
        assert!(
            diags
                .iter()
                .any(|d| d.summary == "Kubernetes TLS Verification Skipped"),
            "KUBE_INSECURE=true warns like the attribute: {diags:?}"
        );
        // The block's own values win; KUBECONFIG is the last fallback of config_path.
        let (data, _) = run(
            serde_json::json!({"kubernetes": {"host": "https://cfg:6443", "insecure": false}}),
            &[
                CLIENT,
                &[
                    ("KUBE_HOST", "https://env:6443"),
                    ("KUBECONFIG", "/kcfg"),
                    ("KUBE_INSECURE", "true"),
                ],
            ]
            .concat(),
        );
        let k = data.expect("data").kubernetes.expect("known block");
        assert_eq!(k.host.as_deref(), Some("https://cfg:6443"));
        assert_eq!(k.config_path.as_deref(), Some("/kcfg"));
        assert_eq!(k.insecure, Some(false));
    }
}
