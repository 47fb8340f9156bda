//! `harness_gitops_cluster`: a Kubernetes cluster registered with a Harness GitOps agent
//! (an Argo CD cluster), optionally bootstrapped through the Kubernetes API the way
//! `argocd cluster add` does it (service account, RBAC, long-lived token Secret), and the
//! data source of the same name.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → bootstrap
//! steps → API mapping (`to_api`, `from_api`, `updated_fields`) → data source → tests.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::Engine as _;
use harness_gitops_client as harness;
use harness_gitops_client::models::{
    changed_cluster_fields, Cluster as ApiCluster, ClusterConfig, ClusterCreateRequest,
    ClusterResponse, ClusterUpdateRequest, ExecProviderConfig, Int64, TlsClientConfig,
};
use harness_gitops_client::{ClusterUpdateOptions, DeleteOptions, Secret};
use tfplugin::resource::Resource;
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::{self, ModelResource, Set, TfType, Timeouts, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, api_str, without_unknowns, Scope};
use super::data_source::ScopedLookup;
use super::kube_connection::{open, KubeConnection};
use super::Ctx;
use crate::k8s::bootstrap::{Bootstrap as Kube, Issued, Kind, ObjRef, Spec};
use crate::k8s::connect::pem_text;
use crate::k8s::{self, Connection, K8sError, Target};
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_cluster";

/// The six connection types (`config.clusterConnectionType`).
pub const CONNECTION_TYPES: [&str; 6] = [
    "SERVICE_ACCOUNT",
    "IN_CLUSTER",
    "TLS_CLIENT_CERT",
    "USERNAME_PASSWORD",
    "EXEC_PROVIDER",
    "IRSA",
];

/// Argo CD's built-in in-cluster address.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";

/// Private state: the Kubernetes objects the bootstrap made or adopted, and the UID of the
/// token Secret whose token Harness holds.
const PRIVATE_OBJECTS: &str = "bootstrap_objects";
const PRIVATE_TOKEN_UID: &str = "bootstrap_token_secret_uid";

/// Credentials the agent resolves from the Harness secret manager (`secretExpressions`):
/// each a secret reference (`account.<id>`, `org.<id>`, `<id>`) or an expression
/// `<+secrets.getValue("<reference>")>`. No secret passes through Terraform.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct SecretExpressions {
    /// The bearer token (`SERVICE_ACCOUNT`), e.g. `<+secrets.getValue("account.k8s_token")>`.
    #[tf(optional)]
    pub bearer_token: Val<String>,
    /// The user name (`USERNAME_PASSWORD`).
    #[tf(optional)]
    pub username: Val<String>,
    /// The password (`USERNAME_PASSWORD`).
    #[tf(optional)]
    pub password: Val<String>,
    /// The PEM client certificate (`TLS_CLIENT_CERT`).
    #[tf(optional)]
    pub tls_client_cert_data: Val<String>,
    /// The PEM private key of the client certificate (`TLS_CLIENT_CERT`).
    #[tf(optional)]
    pub tls_client_cert_key: Val<String>,
    /// The CA bundle of the API server.
    #[tf(optional)]
    pub ca_data: Val<String>,
}

/// `secret_expressions` attributes and their `secretExpressions` keys.
const EXPRESSION_KEYS: [(&str, &str); 6] = [
    (SecretExpressions::BEARER_TOKEN, "bearerToken"),
    (SecretExpressions::USERNAME, "username"),
    (SecretExpressions::PASSWORD, "password"),
    (SecretExpressions::TLS_CLIENT_CERT_DATA, "certData"),
    (SecretExpressions::TLS_CLIENT_CERT_KEY, "keyData"),
    (SecretExpressions::CA_DATA, "caData"),
];

impl SecretExpressions {
    fn field(&self, name: &str) -> &Val<String> {
        match name {
            SecretExpressions::BEARER_TOKEN => &self.bearer_token,
            SecretExpressions::USERNAME => &self.username,
            SecretExpressions::PASSWORD => &self.password,
            SecretExpressions::TLS_CLIENT_CERT_DATA => &self.tls_client_cert_data,
            SecretExpressions::TLS_CLIENT_CERT_KEY => &self.tls_client_cert_key,
            _ => &self.ca_data,
        }
    }

    fn field_mut(&mut self, name: &str) -> &mut Val<String> {
        match name {
            SecretExpressions::BEARER_TOKEN => &mut self.bearer_token,
            SecretExpressions::USERNAME => &mut self.username,
            SecretExpressions::PASSWORD => &mut self.password,
            SecretExpressions::TLS_CLIENT_CERT_DATA => &mut self.tls_client_cert_data,
            SecretExpressions::TLS_CLIENT_CERT_KEY => &mut self.tls_client_cert_key,
            _ => &mut self.ca_data,
        }
    }
}

/// The `secretExpressions` map of a model (empty when none is set).
fn expressions_api(m: &Cluster) -> BTreeMap<String, String> {
    let Some(e) = m.secret_expressions.known() else {
        return BTreeMap::new();
    };
    EXPRESSION_KEYS
        .iter()
        .filter_map(|(attr, key)| {
            e.field(attr)
                .non_empty()
                .map(|v| (key.to_string(), v.to_string()))
        })
        .collect()
}

/// `secret_expressions` from the API's map: the prior value when the API does not return
/// them (the 2025-07 document's `servicev1Cluster` has no such field).
fn expressions_from_api(
    api: Option<&BTreeMap<String, String>>,
    prior: &Val<SecretExpressions>,
) -> Val<SecretExpressions> {
    let Some(api) = api else {
        return prior.clone();
    };
    if api.is_empty() {
        return Val::Null;
    }
    let mut e = SecretExpressions::default();
    for (attr, key) in EXPRESSION_KEYS {
        *e.field_mut(attr) = Val::from_option(api.get(key).cloned());
    }
    Val::Known(e)
}

/// Checks of `secret_expressions` values: each a reference or `<+secrets.getValue(…)>`, and
/// not together with the literal credential it replaces.
fn validate_expressions(c: &Cluster, diags: &mut Diagnostics) {
    let Some(e) = c.secret_expressions.known() else {
        return;
    };
    let base = AttributePath::attr(Cluster::SECRET_EXPRESSIONS);
    for (attr, _) in EXPRESSION_KEYS {
        let Some(v) = e.field(attr).known() else {
            continue;
        };
        if !is_secret_expression(v) {
            diags.error_at(
                base.child(attr),
                "Invalid Secret Expression",
                format!("{v:?} is neither a Harness secret reference (`account.<id>`, `org.<id>`, `<id>`) nor `<+secrets.getValue(\"<reference>\")>`."),
            );
        }
        let literal = match attr {
            SecretExpressions::BEARER_TOKEN => Some(Cluster::BEARER_TOKEN),
            SecretExpressions::PASSWORD => Some(Cluster::PASSWORD),
            SecretExpressions::TLS_CLIENT_CERT_DATA => Some(Cluster::TLS_CLIENT_CERT_DATA),
            SecretExpressions::TLS_CLIENT_CERT_KEY => Some(Cluster::TLS_CLIENT_CERT_KEY),
            SecretExpressions::USERNAME => Some(Cluster::USERNAME),
            _ => None,
        };
        let both = match literal {
            Some(Cluster::USERNAME) => !c.username.is_null(),
            Some(n) => c.secret(n).is_some_and(|s| s.is_set()),
            None => !c.ca_data.is_null(),
        };
        if both {
            diags.error_at(
                base.child(attr),
                "Credential Set Twice",
                format!(
                    "`secret_expressions.{attr}` and `{}` are both set; keep one.",
                    literal.unwrap_or(Cluster::CA_DATA)
                ),
            );
        }
    }
}

/// A Harness secret reference (`account.<id>`, `org.<id>`, `<id>`, identifiers of letters,
/// digits, `_`, `-`, `.`) or `<+secrets.getValue("<reference>")>`.
fn is_secret_expression(v: &str) -> bool {
    let v = v.trim();
    let reference = v
        .strip_prefix("<+secrets.getValue(")
        .and_then(|r| r.strip_suffix(")>"))
        .map(|r| {
            r.trim()
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .unwrap_or("")
        })
        .unwrap_or(v);
    !reference.is_empty()
        && reference
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
        && !reference.starts_with('.')
        && !reference.ends_with('.')
}

/// How the agent runs a command to get credentials (Argo CD `execProviderConfig`).
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct ExecProvider {
    /// Command to run, e.g. `argocd-k8s-auth`. It must exist in the agent's image.
    #[tf(required)]
    pub command: Val<String>,
    /// Arguments of the command.
    #[tf(optional)]
    pub args: Val<Vec<String>>,
    /// Environment variables for the command (marked sensitive: they often carry
    /// credentials).
    #[tf(optional, sensitive)]
    pub env: Val<BTreeMap<String, String>>,
    /// Preferred `client.authentication.k8s.io` version of the exec credential, e.g.
    /// `client.authentication.k8s.io/v1beta1`.
    #[tf(optional)]
    pub api_version: Val<String>,
    /// Text shown when the command is missing.
    #[tf(optional)]
    pub install_hint: Val<String>,
}

/// A Kubernetes object the bootstrap manages.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct KubeObject {
    /// `ServiceAccount`, `ClusterRole`, `ClusterRoleBinding`, `Role`, `RoleBinding` or `Secret`.
    #[tf(computed)]
    pub kind: Val<String>,
    /// Namespace; empty for cluster-scoped objects.
    #[tf(computed)]
    pub namespace: Val<String>,
    /// Name.
    #[tf(computed)]
    pub name: Val<String>,
}

/// How the provider bootstraps the target cluster (see the `bootstrap` attribute).
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Bootstrap {
    /// Where the cluster is reached; its `host` is also the cluster's `server` unless that is
    /// set.
    #[tf(flatten)]
    pub connection: KubeConnection,
    /// Name of the service account the agent authenticates as. Defaults to
    /// `harness-gitops-manager`; the ClusterRole/Role is `<name>-role`, the binding
    /// `<name>-role-binding`, the token Secret `<name>-long-lived-token`.
    #[tf(default = "harness-gitops-manager", validate = common::dns_subdomain)]
    pub service_account: Val<String>,
    /// Namespace of the service account and its token Secret. Defaults to `kube-system`.
    #[tf(default = "kube-system", validate = common::dns_label)]
    pub namespace: Val<String>,
    /// Any value; changing it makes a new token Secret, registers its token in Harness, then
    /// deletes the old Secret (revoking the old token). E.g. a `time_rotating` ID.
    #[tf(optional)]
    pub rotate_token: Val<String>,
    /// The Kubernetes objects this bootstrap manages, as found at the last refresh: a
    /// missing one (deleted outside Terraform) shows as a change and is made again by the
    /// next apply, which registers the new token.
    #[tf(computed, nested)]
    pub objects: Val<Set<KubeObject>>,
}

/// A Harness GitOps cluster: a Kubernetes cluster an Argo CD agent managed by Harness deploys
/// to. With `bootstrap`, the provider creates the agent's service account, RBAC and token in
/// the cluster itself. Credentials can be given as write-only attributes so they never reach
/// plan or state.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct Cluster {
    /// Import ID of the cluster: `agent_id/identifier`, `org_id/agent_id/identifier` or
    /// `org_id/project_id/agent_id/identifier`, depending on its scope.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    /// Harness identifier of the cluster, unique within its scope and agent. Changing it
    /// replaces the cluster.
    #[tf(required, requires_replace, validate = common::identifier)]
    pub identifier: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// Kubernetes API server URL (`https://…`; `https://kubernetes.default.svc` for the
    /// agent's own cluster). Defaults to the bootstrap's API server. A trailing `/` is
    /// ignored.
    #[tf(optional_computed, equivalence = same_server)]
    pub server: Val<String>,
    /// Display name. Argo CD names an unnamed cluster after its server URL, so it defaults
    /// to `server`.
    #[tf(optional_computed)]
    pub name: Val<String>,
    /// Restrict the agent to these namespaces (Argo CD `namespaces`). With `bootstrap`, the
    /// service account gets a Role in each instead of a ClusterRole.
    #[tf(optional)]
    pub namespaces: Val<Set<String>>,
    /// With `namespaces`, also manage cluster-scoped resources. Defaults to `false`.
    #[tf(default = false)]
    pub cluster_resources: Val<bool>,
    /// Argo CD project the cluster belongs to. Needs a project-level cluster (`project_id`).
    #[tf(optional)]
    pub argo_project: Val<String>,
    /// Labels of the Argo CD cluster.
    #[tf(optional)]
    pub labels: Val<BTreeMap<String, String>>,
    /// Annotations of the Argo CD cluster.
    #[tf(optional)]
    pub annotations: Val<BTreeMap<String, String>>,
    /// Harness tags.
    #[tf(optional)]
    pub tags: Val<BTreeMap<String, String>>,
    /// Application controller shard that manages the cluster.
    #[tf(optional, int_between(0, 1000000))]
    pub shard: Val<i64>,
    /// How the agent authenticates: `SERVICE_ACCOUNT` (bearer token, or `bootstrap`),
    /// `IN_CLUSTER` (the agent's own cluster), `TLS_CLIENT_CERT`, `USERNAME_PASSWORD`,
    /// `EXEC_PROVIDER` or `IRSA` (AWS IAM role of the agent). Derived when unset from what
    /// is configured (planned unknown while that is). Only the chosen type's credentials
    /// are sent: switching to `IRSA` sends no token.
    #[tf(
        optional_computed,
        one_of(
            "SERVICE_ACCOUNT",
            "IN_CLUSTER",
            "TLS_CLIENT_CERT",
            "USERNAME_PASSWORD",
            "EXEC_PROVIDER",
            "IRSA"
        )
    )]
    pub connection_type: Val<String>,
    /// Bearer token (`SERVICE_ACCOUNT`); `bootstrap` can provide one instead.
    #[tf(secret)]
    pub bearer_token: typed::Secret,
    /// User name (`USERNAME_PASSWORD`).
    #[tf(optional)]
    pub username: Val<String>,
    /// Password (`USERNAME_PASSWORD`).
    #[tf(secret)]
    pub password: typed::Secret,
    /// PEM client certificate (`TLS_CLIENT_CERT`).
    #[tf(secret)]
    pub tls_client_cert_data: typed::Secret,
    /// PEM private key of the client certificate (`TLS_CLIENT_CERT`).
    #[tf(secret)]
    pub tls_client_cert_key: typed::Secret,
    /// PEM CA bundle that signs the API server's certificate (base64-encoded PEM is accepted
    /// too). With `bootstrap` it defaults to the bootstrap connection's CA, else the token
    /// Secret's `ca.crt`.
    #[tf(optional, equivalence = same_pem)]
    pub ca_data: Val<String>,
    /// Skip TLS verification of the API server. Defaults to `false`. Cannot be combined
    /// with `ca_data`.
    #[tf(default = false)]
    pub insecure: Val<bool>,
    /// Server name to verify the API server's certificate against (and send as SNI).
    #[tf(optional)]
    pub server_name: Val<String>,
    /// Command the agent runs for credentials (`EXEC_PROVIDER`).
    #[tf(optional, nested)]
    pub exec_provider: Val<ExecProvider>,
    /// EKS cluster name (`IRSA`).
    #[tf(optional)]
    pub aws_cluster_name: Val<String>,
    /// IAM role ARN to assume (`IRSA`).
    #[tf(optional)]
    pub aws_role_arn: Val<String>,
    /// Proxy URL for requests to the API server.
    #[tf(optional)]
    pub proxy_url: Val<String>,
    /// Disable gzip compression of API server responses. Defaults to `false`.
    #[tf(default = false)]
    pub disable_compression: Val<bool>,
    /// Credentials the agent resolves from the Harness secret manager instead of literal ones
    /// (`secretExpressions`), e.g. `{ bearer_token = "<+secrets.getValue(\"account.k8s_token\")>" }`:
    /// the secret never passes through Terraform. Each counts as the credential it replaces
    /// when the connection type is derived. Harness does not return them, so drift of them is
    /// not seen and an import leaves them unset.
    #[tf(optional, nested)]
    pub secret_expressions: Val<SecretExpressions>,
    /// Creates what the agent needs in the target cluster through the Kubernetes API, as
    /// `argocd cluster add` does: a ServiceAccount, a ClusterRole and ClusterRoleBinding granting
    /// it everything (or, when the cluster's `namespaces` are set, a Role and RoleBinding in each
    /// of them) and a long-lived `kubernetes.io/service-account-token` Secret; then registers the
    /// cluster with that token, the API server URL and its CA. Needs `connection_type`
    /// `SERVICE_ACCOUNT` (the default with a bootstrap).
    ///
    /// Where the target cluster is reached: this block's own `host` (with `token`,
    /// `cluster_ca_certificate`, `insecure`) or `config_path`/`config_context` when any is set,
    /// otherwise the provider's `kubernetes` settings (then `KUBECONFIG`, then
    /// `~/.kube/config`). The connection is used only while applying and refreshing, so `host`
    /// may come from another resource (e.g. the endpoint of the cluster being created).
    ///
    /// Objects are labelled `app.kubernetes.io/managed-by=terraform-provider-harness` and
    /// annotated `gitops.harness.io/cluster=<id>`; existing objects with both are adopted, any
    /// other object in the way is an error naming it.
    #[tf(optional, nested)]
    pub bootstrap: Val<Bootstrap>,
    /// On create, adopt a cluster that already exists with this identifier instead of
    /// failing. Defaults to `false`.
    #[tf(default = false)]
    pub upsert: Val<bool>,
    /// Send updates with `forceUpdate`. Defaults to `false`.
    #[tf(default = false)]
    pub force_update: Val<bool>,
    /// On destroy, remove the cluster even if applications still deploy to it. Defaults to
    /// `false`.
    #[tf(default = false)]
    pub force_delete: Val<bool>,
    /// Connection status the agent reported: `Successful` or `Failed`.
    #[tf(computed)]
    pub connection_status: Val<String>,
    /// The agent's message about the connection, e.g. why it failed.
    #[tf(computed)]
    pub connection_message: Val<String>,
    /// Kubernetes version the agent found, e.g. `1.30`.
    #[tf(computed)]
    pub server_version: Val<String>,
    /// How many applications deploy to the cluster (`info.applicationsCount`), as of the last
    /// refresh.
    #[tf(computed)]
    pub applications_count: Val<i64>,
    /// When the cluster was registered (RFC 3339).
    #[tf(computed, keep_prior)]
    pub created_at: Val<String>,
    /// When the cluster was last modified (RFC 3339).
    #[tf(computed)]
    pub updated_at: Val<String>,
    /// How long create, update and delete may take, e.g. `create = "10m"` (the bootstrap
    /// waits for the token controller up to one minute within it).
    #[tf(block)]
    pub timeouts: Val<Timeouts>,
}

/// Flags that only steer requests; they never change the remote object.
const BEHAVIOUR_FLAGS: [&str; 3] = [
    Cluster::UPSERT,
    Cluster::FORCE_UPDATE,
    Cluster::FORCE_DELETE,
];

/// Which connection type each credential attribute belongs to.
const CREDENTIALS: [(&str, &str); 8] = [
    (Cluster::BEARER_TOKEN, "SERVICE_ACCOUNT"),
    (Cluster::BOOTSTRAP, "SERVICE_ACCOUNT"),
    (Cluster::USERNAME, "USERNAME_PASSWORD"),
    (Cluster::PASSWORD, "USERNAME_PASSWORD"),
    (Cluster::TLS_CLIENT_CERT_DATA, "TLS_CLIENT_CERT"),
    (Cluster::TLS_CLIENT_CERT_KEY, "TLS_CLIENT_CERT"),
    (Cluster::EXEC_PROVIDER, "EXEC_PROVIDER"),
    (Cluster::AWS_CLUSTER_NAME, "IRSA"),
];

impl Cluster {
    /// Whether credential attribute `name` is configured, and whether it is unknown.
    fn credential(&self, name: &str) -> (bool, bool) {
        let (set, unknown) = self.literal_credential(name);
        let expr = match name {
            Cluster::BEARER_TOKEN => Some(SecretExpressions::BEARER_TOKEN),
            Cluster::USERNAME => Some(SecretExpressions::USERNAME),
            Cluster::PASSWORD => Some(SecretExpressions::PASSWORD),
            Cluster::TLS_CLIENT_CERT_DATA => Some(SecretExpressions::TLS_CLIENT_CERT_DATA),
            Cluster::TLS_CLIENT_CERT_KEY => Some(SecretExpressions::TLS_CLIENT_CERT_KEY),
            _ => None,
        };
        let (eset, eunknown) = match (expr, &self.secret_expressions) {
            (None, _) | (_, Val::Null) => (false, false),
            (Some(_), Val::Unknown) => (false, true),
            (Some(f), Val::Known(e)) => (!e.field(f).is_null(), e.field(f).is_unknown()),
        };
        (set || eset, unknown || eunknown)
    }

    /// Whether credential attribute `name` itself is configured, and whether it is unknown.
    fn literal_credential(&self, name: &str) -> (bool, bool) {
        let plain = |v: &Val<String>| (!v.is_null(), v.is_unknown());
        match name {
            Cluster::BOOTSTRAP => (!self.bootstrap.is_null(), self.bootstrap.is_unknown()),
            Cluster::USERNAME => plain(&self.username),
            Cluster::EXEC_PROVIDER => (
                !self.exec_provider.is_null(),
                self.exec_provider.is_unknown(),
            ),
            Cluster::AWS_CLUSTER_NAME => (
                !self.aws_cluster_name.is_null() || !self.aws_role_arn.is_null(),
                self.aws_cluster_name.is_unknown() || self.aws_role_arn.is_unknown(),
            ),
            n => self
                .secret(n)
                .map_or((false, false), |s| (s.is_set(), s.is_unknown())),
        }
    }

    /// The attribute path of a credential (the write-only twin when that is the one set).
    fn credential_path(&self, name: &str) -> AttributePath {
        if !self.literal_credential(name).0 {
            if let Some((attr, _)) = EXPRESSION_KEYS.iter().find(|(a, _)| *a == name) {
                return AttributePath::attr(Cluster::SECRET_EXPRESSIONS).child(*attr);
            }
        }
        if let Some((names, s)) = self.secrets().into_iter().find(|(n, _)| n.value == name) {
            return AttributePath::attr(s.set_name(names));
        }
        if name == Cluster::AWS_CLUSTER_NAME && self.aws_cluster_name.is_null() {
            return AttributePath::attr(Cluster::AWS_ROLE_ARN);
        }
        AttributePath::attr(name)
    }
}

/// The connection type the configured credentials imply: `Unknown` while any of them is,
/// `Null` when nothing says (then the type must be configured).
fn derive_connection_type(c: &Cluster) -> Val<String> {
    if CREDENTIALS.iter().any(|(n, _)| c.credential(n).1) || c.server.is_unknown() {
        return Val::Unknown;
    }
    let set: Vec<&str> = CREDENTIALS
        .iter()
        .filter(|(n, _)| c.credential(n).0)
        .map(|(_, t)| *t)
        .collect();
    if let Some(t) = set.first() {
        return Val::Known(t.to_string());
    }
    if c.server.as_deref().map(|s| s.trim_end_matches('/')) == Some(IN_CLUSTER_SERVER) {
        return Val::Known("IN_CLUSTER".into());
    }
    Val::Null
}

/// The connection type the credentials of an API cluster imply (they come back masked, but
/// present), for a cluster registered without one; `Null` when nothing says.
fn implied_connection_type(
    c: &ApiCluster,
    cfg: &ClusterConfig,
    tls: &TlsClientConfig,
) -> Val<String> {
    let secret = |s: &Option<Secret>| s.as_ref().is_some_and(|s| !s.is_empty());
    let text = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    let t = if text(&cfg.aws_cluster_name) || text(&cfg.role_arn) {
        "IRSA"
    } else if cfg.exec_provider_config.is_some() {
        "EXEC_PROVIDER"
    } else if secret(&tls.cert_data) {
        "TLS_CLIENT_CERT"
    } else if secret(&cfg.password) || text(&cfg.username) {
        "USERNAME_PASSWORD"
    } else if secret(&cfg.bearer_token) {
        "SERVICE_ACCOUNT"
    } else if c.server.as_deref().map(|s| s.trim_end_matches('/')) == Some(IN_CLUSTER_SERVER) {
        "IN_CLUSTER"
    } else {
        return Val::Null;
    };
    Val::Known(t.to_string())
}

/// Server URLs that differ only by a trailing `/` are the same server.
fn same_server(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => a.trim_end_matches('/') == b.trim_end_matches('/'),
        _ => false,
    }
}

/// Two PEM values (either may be base64-encoded) with the same content.
fn same_pem(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => pem_text(a).trim() == pem_text(b).trim(),
        _ => false,
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// Checks across attributes (the single-attribute ones are declared on the model).
fn validate_config(c: &Cluster, diags: &mut Diagnostics) {
    let at = |n: &str| AttributePath::attr(n);
    let chosen = match &c.connection_type {
        Val::Known(t) => Val::Known(t.clone()),
        Val::Unknown => Val::Unknown,
        Val::Null => derive_connection_type(c),
    };
    // Credentials of another connection type.
    if let Some(t) = chosen.as_deref() {
        for (name, belongs) in CREDENTIALS {
            if c.credential(name).0 && belongs != t {
                let what = if name == Cluster::AWS_CLUSTER_NAME {
                    "`aws_cluster_name` and `aws_role_arn` belong".to_string()
                } else {
                    format!("`{name}` belongs")
                };
                let how = if c.connection_type.is_null() {
                    format!(
                        "the configured credentials make it {t}; configure one kind of credentials"
                    )
                } else {
                    format!("the connection type is {t}; remove it or change `connection_type`")
                };
                diags.error_at(
                    c.credential_path(name),
                    "Credential Does Not Match Connection Type",
                    format!("{what} to connection type {belongs}, but {how}. Only the chosen type's credentials are sent to Harness."),
                );
            }
        }
        if t == "IN_CLUSTER" {
            for (name, set) in [
                (Cluster::CA_DATA, !c.ca_data.is_null()),
                (Cluster::SERVER_NAME, !c.server_name.is_null()),
                (Cluster::PROXY_URL, !c.proxy_url.is_null()),
                (Cluster::INSECURE, c.insecure.known() == Some(&true)),
            ] {
                if set {
                    diags.error_at(
                        at(name),
                        "Setting Does Not Match Connection Type",
                        format!("`{name}` has no meaning for IN_CLUSTER: the agent reaches its own cluster with its in-cluster configuration."),
                    );
                }
            }
        }
        if c.connection_type.is_known() {
            let missing = |name: &str| !c.credential(name).0;
            match t {
                "EXEC_PROVIDER" if missing(Cluster::EXEC_PROVIDER) => diags.error_at(
                    at(Cluster::EXEC_PROVIDER),
                    "Missing Exec Provider",
                    "Connection type EXEC_PROVIDER needs `exec_provider` (the command the agent runs for credentials).",
                ),
                "IRSA" if c.aws_cluster_name.is_null() => diags.error_at(
                    at(Cluster::AWS_CLUSTER_NAME),
                    "Missing EKS Cluster Name",
                    "Connection type IRSA needs `aws_cluster_name` (and usually `aws_role_arn`).",
                ),
                // Secrets cannot be imported: a configuration written after an import starts
                // without them. Say so, but do not refuse it.
                "SERVICE_ACCOUNT" if missing(Cluster::BEARER_TOKEN) && missing(Cluster::BOOTSTRAP) => {
                    diags.warning_at(
                        at(Cluster::BEARER_TOKEN),
                        "No Bearer Token",
                        "Connection type SERVICE_ACCOUNT without `bearer_token`, `bearer_token_wo` or `bootstrap`: Harness keeps the token it has, if any.",
                    )
                }
                "USERNAME_PASSWORD" if missing(Cluster::PASSWORD) => diags.warning_at(
                    at(Cluster::PASSWORD),
                    "No Password",
                    "Connection type USERNAME_PASSWORD without `password` or `password_wo`: Harness keeps the password it has, if any.",
                ),
                _ => {}
            }
        }
    } else if chosen.is_null() {
        diags.error_at(
            at(Cluster::CONNECTION_TYPE),
            "Cannot Tell How To Connect",
            "Set `bootstrap`, credentials (`bearer_token`, `username`/`password`, a TLS client certificate, \
             `exec_provider`, `aws_cluster_name`), or `connection_type` (IN_CLUSTER for the agent's own cluster).",
        );
    }
    // A bootstrap brings its own token.
    if !c.bootstrap.is_null() {
        // (With another connection type the token is refused above already.)
        if c.credential(Cluster::BEARER_TOKEN).0 && chosen.as_deref() == Some("SERVICE_ACCOUNT") {
            diags.error_at(
                c.credential_path(Cluster::BEARER_TOKEN),
                "Bootstrap Provides The Token",
                "With `bootstrap`, the token comes from the service account the provider creates; remove `bearer_token`/`bearer_token_wo`.",
            );
        }
        if let Some(t) = c
            .connection_type
            .as_deref()
            .filter(|t| *t != "SERVICE_ACCOUNT")
        {
            diags.error_at(
                at(Cluster::BOOTSTRAP),
                "Bootstrap Needs SERVICE_ACCOUNT",
                format!("`bootstrap` creates a service account and registers its token, which is connection type SERVICE_ACCOUNT, not {t}."),
            );
        }
        if c.namespaces.known().is_some_and(|n| !n.0.is_empty())
            && c.cluster_resources.known() == Some(&true)
        {
            diags.error_at(
                at(Cluster::CLUSTER_RESOURCES),
                "Bootstrap Grants Namespaces Only",
                "With `namespaces`, the bootstrap grants the service account access in those namespaces only (a Role in each), so the agent could not manage cluster-scoped resources. Leave `namespaces` unset for cluster-wide access, or set `cluster_resources = false`.",
            );
        }
        if let Some(b) = c.bootstrap.known() {
            b.connection.validate(&at(Cluster::BOOTSTRAP), diags);
            if let Some(h) = b.connection.host.as_deref() {
                check_url(
                    h,
                    AttributePath::attr(Cluster::BOOTSTRAP).child("host"),
                    false,
                    diags,
                );
            }
        }
    }
    // Server.
    match c.server.as_deref() {
        Some(s) => check_url(s, at(Cluster::SERVER), chosen.as_deref() == Some("IN_CLUSTER"), diags),
        None if c.server.is_null() && c.bootstrap.is_null() => diags.error_at(
            at(Cluster::SERVER),
            "Missing Server",
            "Set `server` (the Kubernetes API server URL), or `bootstrap`, which registers the API server it reaches.",
        ),
        None => {}
    }
    validate_expressions(c, diags);
    // TLS.
    let cert = c.credential(Cluster::TLS_CLIENT_CERT_DATA).0;
    let key = c.credential(Cluster::TLS_CLIENT_CERT_KEY).0;
    if cert != key && chosen.as_deref() == Some("TLS_CLIENT_CERT") {
        let missing = if cert {
            Cluster::TLS_CLIENT_CERT_KEY
        } else {
            Cluster::TLS_CLIENT_CERT_DATA
        };
        diags.error_at(
            at(missing),
            "Incomplete TLS Client Certificate",
            "A TLS client certificate needs both `tls_client_cert_data` and `tls_client_cert_key` (or their write-only variants).",
        );
    }
    if c.insecure.known() == Some(&true) && !c.ca_data.is_null() {
        diags.error_at(
            at(Cluster::INSECURE),
            "Insecure With A CA",
            "`insecure = true` skips verification, so `ca_data` would be ignored; the agent refuses the combination. Keep one.",
        );
    }
}

/// `server` (or `bootstrap.host`) must be an https URL; `http` only for IN_CLUSTER.
fn check_url(s: &str, path: AttributePath, allow_http: bool, diags: &mut Diagnostics) {
    match url::Url::parse(s) {
        Ok(u) if u.has_host() && (u.scheme() == "https" || (allow_http && u.scheme() == "http")) => {}
        _ => diags.error_at(
            path,
            "Invalid Server URL",
            format!("{s:?} is not an https:// URL of a Kubernetes API server, e.g. \"https://203.0.113.10:6443\"."),
        ),
    }
}

/// The bootstrap spec of a (planned or stored) model, when everything it needs is known.
fn spec_of(m: &Cluster) -> Option<Spec> {
    let b = m.bootstrap.known()?;
    let owner = m.id.known()?.clone();
    let namespaces = match &m.namespaces {
        Val::Null => Vec::new(),
        Val::Known(s) => s.0.clone(),
        Val::Unknown => return None,
    };
    Some(Spec {
        service_account: b.service_account.known()?.clone(),
        namespace: b.namespace.known()?.clone(),
        namespaces,
        rotate_token: match &b.rotate_token {
            Val::Null => None,
            Val::Known(r) => Some(r.clone()),
            Val::Unknown => return None,
        },
        owner,
    })
}

fn kube_objects(objs: &[ObjRef]) -> Val<Set<KubeObject>> {
    Val::Known(Set(objs
        .iter()
        .map(|o| KubeObject {
            kind: Val::Known(o.kind.as_str().into()),
            namespace: Val::Known(o.namespace.clone()),
            name: Val::Known(o.name.clone()),
        })
        .collect()))
}

fn obj_refs(objs: &Val<Set<KubeObject>>) -> Vec<ObjRef> {
    objs.known()
        .into_iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|o| {
            Some(ObjRef {
                kind: Kind::parse(o.kind.as_deref()?)?,
                namespace: o.namespace.as_deref()?.to_string(),
                name: o.name.as_deref()?.to_string(),
            })
        })
        .collect()
}

/// What the bootstrap's server will be when the plan cannot read it from `host`: the prior
/// value while the connection settings are unchanged, else unknown.
fn planned_bootstrap_server(
    planned: &Bootstrap,
    prior: Option<&Cluster>,
    provider: Option<&ProviderData>,
) -> Val<String> {
    let planned = &planned.connection;
    match &planned.host {
        Val::Known(h) => return Val::Known(h.trim_end_matches('/').to_string()),
        Val::Unknown => return Val::Unknown,
        Val::Null => {}
    }
    let own = planned.config_path.is_known() || planned.config_context.is_known();
    if !own {
        match provider.map(|p| p.kubernetes.as_ref()) {
            Some(Some(k)) => {
                if let Some(h) = &k.host {
                    return Val::Known(h.trim_end_matches('/').to_string());
                }
            }
            // Not configured yet, or its settings are unknown in this run.
            _ => return Val::Unknown,
        }
    }
    // A kubeconfig: read only while applying. Keep the server the cluster is registered
    // with while the connection settings stay the same (or a bootstrap is added to a
    // registered cluster); apply refuses a kubeconfig that now reaches another server.
    match prior {
        Some(p) => match p.bootstrap.known() {
            None if p.bootstrap.is_null() => p.server.clone(),
            Some(b)
                if b.connection.config_path == planned.config_path
                    && b.connection.config_context == planned.config_context
                    && b.connection.host == planned.host =>
            {
                p.server.clone()
            }
            _ => Val::Unknown,
        },
        None => Val::Unknown,
    }
}

/// The resource.
pub struct GitopsCluster;

#[async_trait]
impl ModelResource<ProviderData> for GitopsCluster {
    type Model = Cluster;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn validate(&self, config: &Cluster, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, Cluster, ProviderData>,
        planned: &mut Cluster,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        let config = req.config;
        planned
            .scope
            .plan(&config.scope, req.provider.map(|p| &p.defaults), diags);
        common::check_argo_project(&planned.scope, &config.argo_project, "cluster", diags);
        if config.connection_type.is_null() {
            planned.connection_type = derive_connection_type(config);
        }
        if config.server.is_null() {
            planned.server = match planned.bootstrap.known() {
                Some(b) => planned_bootstrap_server(b, req.prior, req.provider),
                None if planned.bootstrap.is_unknown() => Val::Unknown,
                None => Val::Null,
            };
        }
        if config.name.is_null() {
            // Argo CD names an unnamed cluster after its (trimmed) server URL.
            planned.name = planned
                .server
                .clone()
                .map(|s| s.trim_end_matches('/').to_string());
        }
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&planned.identifier);
        }
        // The objects a bootstrap will manage follow from known inputs.
        let objects_before = req
            .prior
            .map(|p| p.bootstrap.as_ref().map(|b| b.objects.clone()));
        if let Val::Known(b) = &mut planned.bootstrap {
            b.objects = Val::Unknown;
        }
        if let Some(spec) = spec_of(planned) {
            if let Val::Known(b) = &mut planned.bootstrap {
                b.objects = kube_objects(&spec.objects());
            }
        }
        // Objects to make (again) mean a new token for Harness: what it reports changes.
        let objects_after = planned.bootstrap.as_ref().map(|b| b.objects.clone());
        if let Some(before) = objects_before {
            if before != objects_after {
                planned.connection_status = Val::Unknown;
                planned.connection_message = Val::Unknown;
                planned.server_version = Val::Unknown;
                planned.updated_at = Val::Unknown;
            }
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &Cluster,
        config: &Cluster,
        diags: &mut Diagnostics,
    ) -> Option<Cluster> {
        let client = &common::client(ctx, "`timeouts.create`", diags)?;
        let identifier = planned.identifier.as_deref().unwrap_or_default();
        let mut partial = without_unknowns(planned);
        let boot = match bootstrap_first(ctx, planned, config, &mut partial, "Nothing was created.", "What was made in Kubernetes is recorded in state (marked tainted): the next apply removes and makes it again, or `terraform destroy` removes it.", diags).await {
            Ok(b) => b,
            Err(Made::Nothing) => return None,
            Err(Made::Some) => return partial_state(partial),
        };
        let body = ClusterCreateRequest {
            cluster: Some(to_api(&partial, config, boot.as_ref())),
            upsert: planned.upsert.known().copied(),
            tags: planned.tags.known().cloned(),
            secret_expressions: Some(expressions_api(planned)).filter(|e| !e.is_empty()),
        };
        let resp = match client
            .clusters()
            .create(&planned.scope.api(), identifier, &body)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                create_error(diags, &e, planned.id.as_deref());
                if let Some(state) = common::failed_create_state(&e, &partial, "cluster", diags) {
                    return Some(state);
                }
                if boot.is_some() {
                    return partial_state(partial);
                }
                return None;
            }
        };
        if let Some((_, issued)) = &boot {
            ctx.private_set(PRIVATE_TOKEN_UID, Some(&issued.secret_uid));
        }
        let state = from_api(&resp, &partial);
        check_connection(&state, "registered", diags);
        Some(state)
    }

    async fn read(&self, ctx: &Ctx, current: &Cluster, diags: &mut Diagnostics) -> Option<Cluster> {
        let client = &common::client(ctx, "`timeouts.read`", diags)?;
        let identifier = current.identifier.as_deref().unwrap_or_default();
        let resp = match client
            .clusters()
            .get_opt(&current.scope.api(), identifier)
            .await
        {
            Ok(Some(r)) => r,
            Ok(None) => return None,
            Err(e) => {
                api_error(diags, "Unable to Read GitOps Cluster", &e);
                return None;
            }
        };
        let mut state = from_api(&resp, current);
        refresh_bootstrap(ctx, &mut state, diags).await;
        Some(state)
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: &Cluster,
        planned: &Cluster,
        config: &Cluster,
        diags: &mut Diagnostics,
    ) -> Option<Cluster> {
        let client = &common::client(ctx, "`timeouts.update`", diags)?;
        let identifier = planned.identifier.as_deref().unwrap_or_default();
        let mut partial = without_unknowns(planned);
        let registered_uid: Option<String> = ctx.private_get(PRIVATE_TOKEN_UID);
        let boot = match bootstrap_first(ctx, planned, config, &mut partial, "Nothing was changed.", "The Harness cluster was not changed; what exists in Kubernetes is recorded in state. Fix the cause and apply again.", diags).await {
            Ok(b) => b,
            Err(Made::Nothing) => return None,
            Err(Made::Some) => return Some(partial_update_state(prior, &partial)),
        };
        let token_changed = match &boot {
            Some((_, issued)) => registered_uid.as_deref() != Some(issued.secret_uid.as_str()),
            None => false,
        };
        let fields = updated_fields(prior, &partial, token_changed);
        let resp = if fields.is_empty() {
            // Only behaviour flags changed: nothing to send, one GET for the computed values.
            client
                .clusters()
                .get(&planned.scope.api(), identifier)
                .await
        } else {
            let body = ClusterUpdateRequest {
                cluster: Some(to_api(&partial, config, boot.as_ref())),
                updated_fields: Some(fields),
                tags: Some(planned.tags.known().cloned().unwrap_or_default()),
                secret_expressions: Some(expressions_api(planned)),
                ..Default::default()
            };
            client
                .clusters()
                .update_with(
                    &planned.scope.api(),
                    identifier,
                    &body,
                    ClusterUpdateOptions {
                        force_update: planned.force_update.unwrap_or(false),
                    },
                )
                .await
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                api_error(diags, "Unable to Update GitOps Cluster", &e);
                if boot.is_some() {
                    return Some(partial_update_state(prior, &partial));
                }
                return None;
            }
        };
        if let Some((_, issued)) = &boot {
            ctx.private_set(PRIVATE_TOKEN_UID, Some(&issued.secret_uid));
        }
        let mut state = from_api(&resp, &partial);
        // Objects no longer wanted (another token Secret, other namespaces, a removed
        // bootstrap): removed once Harness holds the new token.
        let wanted = obj_refs(
            &partial
                .bootstrap
                .as_ref()
                .map(|b| b.objects.clone())
                .into_known()
                .unwrap_or(Val::Null),
        );
        let mut before: Vec<ObjRef> = ctx.private_get(PRIVATE_OBJECTS).unwrap_or_default();
        for o in obj_refs(
            &prior
                .bootstrap
                .as_ref()
                .map(|b| b.objects.clone())
                .into_known()
                .unwrap_or(Val::Null),
        ) {
            if !before.contains(&o) {
                before.push(o);
            }
        }
        let stale: Vec<ObjRef> = before.into_iter().filter(|o| !wanted.contains(o)).collect();
        if !stale.is_empty() {
            let owner = prior.id.known().cloned().unwrap_or_default();
            let result = match &boot {
                Some((conn, _)) => Kube { conn, ctx }.remove(&stale, &owner).await,
                // The bootstrap was removed: reach the cluster the way it was reached.
                None => {
                    let target = prior.bootstrap.known().and_then(|b| {
                        k8s::target(&b.connection.settings(), ctx.provider.kubernetes.as_ref())
                    });
                    match target {
                        Some(t) => match open(ctx, &t).await {
                            Ok(conn) => Kube { conn: &conn, ctx }.remove(&stale, &owner).await,
                            Err(e) => Err(e),
                        },
                        None => Err(K8sError::NoConnection(
                            "the provider's `kubernetes` settings the removed bootstrap used are not known in this run"
                                .into(),
                        )),
                    }
                }
            };
            match result {
                Ok(left) => {
                    for o in left {
                        diags.warning(
                            "Kubernetes Object Left In Place",
                            format!("{o} is no longer this cluster's, but it was not made by this provider, so it was not deleted."),
                        );
                    }
                    ctx.private_set(PRIVATE_OBJECTS, Some(&wanted));
                }
                Err(e) => {
                    let mut keep = wanted.clone();
                    keep.extend(stale.iter().cloned());
                    ctx.private_set(PRIVATE_OBJECTS, Some(&keep));
                    k8s_error(
                        diags,
                        "Unable to Remove Old Kubernetes Objects",
                        &e,
                        "Harness holds the new settings. The objects still to be removed stay in state, so the next apply (or destroy) removes them.",
                    );
                    // Keep them in state, with the connection that reaches them, so the next
                    // plan shows the difference and the next apply retries.
                    if boot.is_some() {
                        if let Val::Known(b) = &mut state.bootstrap {
                            b.objects = kube_objects(&keep);
                        }
                    } else if let Val::Known(mut b) = prior.bootstrap.clone() {
                        b.objects = kube_objects(&stale);
                        state.bootstrap = Val::Known(b);
                    }
                    return Some(without_unknowns(&state));
                }
            }
        } else if boot.is_some() {
            ctx.private_set(PRIVATE_OBJECTS, Some(&wanted));
        } else {
            ctx.private_set::<Vec<ObjRef>>(PRIVATE_OBJECTS, None);
            ctx.private_set::<String>(PRIVATE_TOKEN_UID, None);
        }
        check_connection(&state, "updated", diags);
        Some(state)
    }

    async fn delete(&self, ctx: &Ctx, prior: &Cluster, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "`timeouts.delete`", diags) else {
            return;
        };
        let identifier = prior.identifier.as_deref().unwrap_or_default();
        let opts = DeleteOptions {
            force_delete: prior.force_delete.unwrap_or(false),
        };
        let scope = &prior.scope.api();
        let (server, name) = (prior.server.as_deref(), prior.name.as_deref());
        let deleted = common::delete_when_unused(
            ctx,
            common::BLOCKED_DELETE_PATIENCE,
            move || async move { client.clusters().delete(scope, identifier, opts).await },
            move || {
                common::applications_using(client, scope, move |a| {
                    let dest = a.spec.as_ref().and_then(|s| s.destination.as_ref());
                    let same = |x: Option<&str>, y: Option<&str>| {
                        x.zip(y).is_some_and(|(x, y)| {
                            !x.is_empty() && x.trim_end_matches('/') == y.trim_end_matches('/')
                        })
                    };
                    dest.is_some_and(|d| {
                        same(d.server.as_deref(), server) || same(d.name.as_deref(), name)
                    })
                })
            },
        )
        .await;
        if let Err(f) = deleted {
            common::delete_error(
                diags,
                "Unable to Delete GitOps Cluster",
                "cluster",
                identifier,
                "cluster_id = harness_gitops_cluster.<name>.identifier",
                &f,
            );
            return;
        }
        let mut objects: Vec<ObjRef> = ctx.private_get(PRIVATE_OBJECTS).unwrap_or_default();
        let from_state = obj_refs(
            &prior
                .bootstrap
                .as_ref()
                .map(|b| b.objects.clone())
                .into_known()
                .unwrap_or(Val::Null),
        );
        let from_spec = spec_of(prior).map(|s| s.objects()).unwrap_or_default();
        for o in from_state.into_iter().chain(from_spec) {
            if !objects.contains(&o) {
                objects.push(o);
            }
        }
        if objects.is_empty() {
            return;
        }
        let owner = prior.id.known().cloned().unwrap_or_default();
        if prior.bootstrap.is_null() {
            // Only after a hand-edited state: no connection is recorded to reach them.
            let list: Vec<String> = objects.iter().map(ToString::to_string).collect();
            diags.warning(
                "Kubernetes Objects Not Removed",
                format!(
                    "No bootstrap connection is recorded, so these objects were left in place: {}.",
                    list.join(", ")
                ),
            );
            return;
        }
        let Some(target) = target_for(ctx, prior, diags) else {
            ctx.private_set(PRIVATE_OBJECTS, Some(&objects));
            return;
        };
        let removed = match open(ctx, &target).await {
            Ok(conn) => Kube { conn: &conn, ctx }.remove(&objects, &owner).await,
            Err(e) => Err(e),
        };
        match removed {
            Ok(left) => {
                for o in left {
                    diags.warning(
                        "Kubernetes Object Left In Place",
                        format!("{o} was not made by this provider (it lacks its label or belongs to another registration), so it was not deleted."),
                    );
                }
            }
            Err(e) => {
                ctx.private_set(PRIVATE_OBJECTS, Some(&objects));
                k8s_error(
                    diags,
                    "Unable to Remove Bootstrap Objects",
                    &e,
                    "The Harness cluster was deleted; the Kubernetes objects are still recorded and the next destroy removes them. If the Kubernetes cluster itself no longer exists, `terraform state rm` this resource.",
                );
            }
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<Cluster> {
        let read = async |stub: &Cluster, d: &mut Diagnostics| self.read(ctx, stub, d).await;
        super::data_source::import::<GitopsClusterData, _>(id, read, diags).await
    }
}

/// What a failed [`bootstrap_first`] left in Kubernetes.
enum Made {
    Nothing,
    /// Objects may exist: the caller records them.
    Some,
}

/// The bootstrap a create or update does first (when `planned` has one): connect, adopt the
/// server, make or restore the objects into `partial`. `untouched` ends the message of a
/// failure before anything was made, `recorded` that of a failed bootstrap.
async fn bootstrap_first(
    ctx: &Ctx,
    planned: &Cluster,
    config: &Cluster,
    partial: &mut Cluster,
    untouched: &str,
    recorded: &str,
    diags: &mut Diagnostics,
) -> Result<Option<(Connection, Issued)>, Made> {
    if !planned.bootstrap.is_known() {
        return Ok(None);
    }
    let target = target_for(ctx, planned, diags).ok_or(Made::Nothing)?;
    let conn = match open(ctx, &target).await {
        Ok(c) => c,
        Err(e) => {
            k8s_error(diags, "Unable to Bootstrap GitOps Cluster", &e, untouched);
            return Err(Made::Nothing);
        }
    };
    if !adopt_server(config, partial, &conn, diags) {
        return Err(Made::Nothing);
    }
    match bootstrap(ctx, planned, &conn, partial).await {
        Ok(issued) => Ok(Some((conn, issued))),
        Err(e) => {
            k8s_error(diags, "Unable to Bootstrap GitOps Cluster", &e, recorded);
            Err(Made::Some)
        }
    }
}

/// A create that failed after Kubernetes objects were made: recorded (tainted) with them.
fn partial_state(partial: Cluster) -> Option<Cluster> {
    let made = partial
        .bootstrap
        .known()
        .and_then(|b| b.objects.known())
        .is_some_and(|o| !o.0.is_empty());
    made.then(|| without_unknowns(&partial))
}

/// An update that failed before or at Harness: the prior Harness side, the Kubernetes side
/// as it is now.
fn partial_update_state(prior: &Cluster, partial: &Cluster) -> Cluster {
    let mut s = prior.clone();
    if let (Val::Known(b), Some(pb)) = (&mut s.bootstrap, partial.bootstrap.known()) {
        b.objects = pb.objects.clone();
    }
    without_unknowns(&s)
}

/// Fills the server (and a default name) from the bootstrap connection when the plan could
/// not know it. A server kept from the prior state that the kubeconfig no longer reaches is
/// an error: the token of one cluster must not be registered for another.
fn adopt_server(
    config: &Cluster,
    partial: &mut Cluster,
    conn: &Connection,
    diags: &mut Diagnostics,
) -> bool {
    if !config.server.is_null() {
        return true;
    }
    let norm = |s: &str| {
        url::Url::parse(s)
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_else(|_| s.trim_end_matches('/').to_string())
    };
    match partial.server.as_deref() {
        None => {
            partial.server = Val::Known(conn.server.clone());
            if config.name.is_null() {
                partial.name = partial.server.clone();
            }
            true
        }
        Some(s) if norm(s) == norm(&conn.server) => true,
        Some(s) => {
            diags.error_at(
                AttributePath::attr(Cluster::SERVER),
                "Bootstrap Reaches Another Server",
                format!(
                    "The cluster is registered with server {s:?}, but its bootstrap connection now reaches {:?}. \
                     Set `server` (or `bootstrap.host`) to say which one is meant; a change of server replaces the \
                     registration's credentials.",
                    conn.server
                ),
            );
            false
        }
    }
}

/// Where a model's bootstrap connects; `None` (with an error) when it relies on the
/// provider's `kubernetes` settings and those are not known in this run.
fn target_for(ctx: &Ctx, m: &Cluster, diags: &mut Diagnostics) -> Option<Target> {
    let b = m.bootstrap.known()?;
    let t = k8s::target(&b.connection.settings(), ctx.provider.kubernetes.as_ref());
    if t.is_none() {
        diags.error_at(
            AttributePath::attr(Cluster::BOOTSTRAP),
            "Kubernetes Connection Not Known",
            "The bootstrap uses the provider's `kubernetes` settings, which are not known in this run.",
        );
    }
    t
}

/// Makes (or adopts) every bootstrap object and waits for the token. `partial` records the
/// objects as they come to exist, and private state with them.
async fn bootstrap(
    ctx: &Ctx,
    planned: &Cluster,
    conn: &Connection,
    partial: &mut Cluster,
) -> Result<Issued, K8sError> {
    let spec = spec_of(partial)
        .or_else(|| spec_of(planned))
        .ok_or_else(|| {
            K8sError::Invalid(
                "the bootstrap's service account, namespace or the cluster's id is not known"
                    .into(),
            )
        })?;
    let kube = Kube { conn, ctx };
    let mut present: Vec<ObjRef> = Vec::new();
    let made = kube.ensure_all(&spec, &mut present).await;
    // Remember everything that exists, including what an earlier apply made.
    let mut remembered: Vec<ObjRef> = ctx.private_get(PRIVATE_OBJECTS).unwrap_or_default();
    for o in &present {
        if !remembered.contains(o) {
            remembered.push(o.clone());
        }
    }
    ctx.private_set(PRIVATE_OBJECTS, Some(&remembered));
    if let Val::Known(b) = &mut partial.bootstrap {
        b.objects = kube_objects(&present);
    }
    made?;
    let issued = kube.wait_for_token(&spec).await?;
    Ok(issued)
}

/// Refresh of the Kubernetes side: which objects exist and hold the registered token. When
/// the cluster cannot be reached (or its settings are unknown in this run), the recorded
/// objects stay as they were, with a warning: a refresh never fails for it.
async fn refresh_bootstrap(ctx: &Ctx, state: &mut Cluster, diags: &mut Diagnostics) {
    let Some(spec) = spec_of(state) else { return };
    let Some(b) = state.bootstrap.known() else {
        return;
    };
    let Some(target) = k8s::target(&b.connection.settings(), ctx.provider.kubernetes.as_ref())
    else {
        return;
    };
    let registered: Option<String> = ctx.private_get(PRIVATE_TOKEN_UID);
    let checked = async {
        let conn = open(ctx, &target).await?;
        Kube { conn: &conn, ctx }
            .present(&spec, registered.as_deref())
            .await
    }
    .await;
    match checked {
        Ok(present) => {
            if let Val::Known(b) = &mut state.bootstrap {
                b.objects = kube_objects(&present);
            }
        }
        Err(e) => diags.warning_at(
            AttributePath::attr(Cluster::BOOTSTRAP),
            "Kubernetes Side Not Checked",
            format!("{e}\n\nThe bootstrap objects recorded in state are kept as they were."),
        ),
    }
}

/// A failed create. Argo CD keys clusters by server inside an agent, so "already exists" is
/// either this identifier or this server under another identifier.
fn create_error(
    diags: &mut Diagnostics,
    err: &harness_gitops_client::Error,
    import_id: Option<&str>,
) {
    if err.is_already_exists() {
        let id = import_id.unwrap_or("<import id>");
        diags.error(
            "Unable to Create GitOps Cluster",
            format!(
                "{err}\n\nHarness already has this cluster: either this identifier, or another cluster with the same \
                 server on this agent (Argo CD keys clusters by server). To manage an existing cluster with this \
                 identifier, import it (`terraform import <address> {id}`) or set `upsert = true`; a server registered \
                 under another identifier must be removed (or imported) first."
            ),
        );
    } else {
        api_error(diags, "Unable to Create GitOps Cluster", err);
    }
}

/// A Kubernetes failure as a diagnostic at the bootstrap.
fn k8s_error(diags: &mut Diagnostics, summary: &str, e: &K8sError, then: &str) {
    diags.error_at(
        AttributePath::attr(Cluster::BOOTSTRAP),
        summary,
        format!("{e}\n\n{then}"),
    );
}

/// Fails the apply (keeping the state) when the agent cannot connect.
fn check_connection(state: &Cluster, what: &str, diags: &mut Diagnostics) {
    common::check_connection(
        &state.connection_status,
        &state.connection_message,
        "Cluster",
        what,
        Cluster::SERVER,
        diags,
    );
}

/// The Argo cluster to send. Only the chosen connection type's credentials go into
/// `config`; write-only values from the configuration win over stored ones; a bootstrap's
/// token, server and CA fill what the configuration leaves out.
fn to_api(planned: &Cluster, config: &Cluster, boot: Option<&(Connection, Issued)>) -> ApiCluster {
    let mut c = cluster_meta(planned);
    c.config = Some(cluster_config(planned, config, boot));
    c
}

/// The top-level fields other than `config`.
fn cluster_meta(m: &Cluster) -> ApiCluster {
    let opt = |v: &Val<String>| v.non_empty().map(str::to_string);
    let mut namespaces: Option<Vec<String>> = m.namespaces.known().map(|s| s.0.clone());
    if let Some(n) = namespaces.as_mut() {
        n.sort();
        n.dedup();
    }
    ApiCluster {
        server: m
            .server
            .as_deref()
            .map(|s| s.trim_end_matches('/').to_string()),
        name: opt(&m.name),
        namespaces,
        cluster_resources: Some(m.cluster_resources.unwrap_or(false)),
        project: opt(&m.argo_project),
        labels: m.labels.known().cloned(),
        annotations: m.annotations.known().cloned(),
        shard: m.shard.known().copied().map(Int64),
        ..Default::default()
    }
}

fn cluster_config(
    planned: &Cluster,
    config: &Cluster,
    boot: Option<&(Connection, Issued)>,
) -> ClusterConfig {
    let opt = |v: &Val<String>| v.non_empty().map(str::to_string);
    let secret = |s: fn(&Cluster) -> &typed::Secret| s(planned).to_send(s(config)).map(Secret::new);
    let pem_secret = |s: fn(&Cluster) -> &typed::Secret| {
        secret(s).map(|s| Secret::new(b64(&pem_text(s.expose()))))
    };
    let t = planned.connection_type.as_deref().unwrap_or_default();
    let insecure = planned.insecure.unwrap_or(false);
    let ca = opt(&planned.ca_data).map(|p| pem_text(&p)).or_else(|| {
        let (conn, issued) = boot?;
        if insecure {
            return None;
        }
        conn.ca_pem.clone().or_else(|| issued.ca_pem.clone())
    });
    let mut tls = TlsClientConfig {
        insecure: Some(insecure),
        server_name: opt(&planned.server_name),
        ca_data: ca.as_deref().map(b64),
        ..Default::default()
    };
    let mut out = ClusterConfig {
        cluster_connection_type: Some(t.to_string()),
        proxy_url: opt(&planned.proxy_url),
        disable_compression: Some(planned.disable_compression.unwrap_or(false)),
        ..Default::default()
    };
    match t {
        "SERVICE_ACCOUNT" => {
            out.bearer_token =
                secret(|c| &c.bearer_token).or_else(|| boot.map(|(_, i)| i.token.clone()));
        }
        "USERNAME_PASSWORD" => {
            out.username = opt(&planned.username);
            out.password = secret(|c| &c.password);
        }
        "TLS_CLIENT_CERT" => {
            tls.cert_data = pem_secret(|c| &c.tls_client_cert_data);
            tls.key_data = pem_secret(|c| &c.tls_client_cert_key);
        }
        "EXEC_PROVIDER" => {
            out.exec_provider_config = planned.exec_provider.known().map(|e| ExecProviderConfig {
                command: opt(&e.command),
                args: e.args.known().cloned(),
                env: e.env.known().cloned(),
                api_version: opt(&e.api_version),
                install_hint: opt(&e.install_hint),
            });
        }
        "IRSA" => {
            out.aws_cluster_name = opt(&planned.aws_cluster_name);
            out.role_arn = opt(&planned.aws_role_arn);
        }
        _ => {}
    }
    if t != "IN_CLUSTER" {
        out.tls_client_config = Some(tls);
    }
    out
}

/// What of the cluster's `config` a change of the model touches, in one comparable value:
/// every credential and TLS setting but the secrets (see `typed::secrets_to_resend`), the
/// bootstrap's presence.
fn config_view(m: &Cluster) -> Value {
    let mut v = Vec::new();
    for (k, x) in [
        (Cluster::CONNECTION_TYPE, m.connection_type.to_value()),
        (Cluster::USERNAME, m.username.to_value()),
        (
            Cluster::CA_DATA,
            m.ca_data
                .as_deref()
                .map(|p| pem_text(p).trim().to_string())
                .map_or(Value::Null, Value::string),
        ),
        (Cluster::INSECURE, m.insecure.to_value()),
        (Cluster::SERVER_NAME, m.server_name.to_value()),
        (Cluster::EXEC_PROVIDER, m.exec_provider.to_value()),
        (Cluster::AWS_CLUSTER_NAME, m.aws_cluster_name.to_value()),
        (Cluster::AWS_ROLE_ARN, m.aws_role_arn.to_value()),
        (Cluster::PROXY_URL, m.proxy_url.to_value()),
        (
            Cluster::DISABLE_COMPRESSION,
            m.disable_compression.to_value(),
        ),
        ("bootstrap", Value::Bool(!m.bootstrap.is_null())),
    ] {
        v.push((k.to_string(), x));
    }
    Value::Object(v.into_iter().collect())
}

/// The `updatedFields` of an update from `prior` to `planned`: exactly the top-level Argo
/// fields whose values change (`config` when any credential or TLS setting changes, a
/// write-only version moves or a new bootstrap token is to be registered; `tags`).
fn updated_fields(prior: &Cluster, planned: &Cluster, token_changed: bool) -> Vec<String> {
    let mut fields = changed_cluster_fields(&cluster_meta(prior), &cluster_meta(planned));
    fields.retain(|f| f != "config");
    if token_changed
        || config_view(prior) != config_view(planned)
        || !typed::secrets_to_resend(prior, planned).is_empty()
    {
        fields.push("config".into());
    }
    let tags = |m: &Cluster| m.tags.known().cloned().unwrap_or_default();
    if tags(prior) != tags(planned) {
        fields.push("tags".into());
    }
    if expressions_api(prior) != expressions_api(planned) {
        fields.push("secretExpressions".into());
    }
    fields
}

/// A map from the API: empty and absent mean null unless the prior value is `{}`.
fn api_map(
    api: Option<&BTreeMap<String, String>>,
    prior: &Val<BTreeMap<String, String>>,
) -> Val<BTreeMap<String, String>> {
    match api.filter(|m| !m.is_empty()) {
        Some(m) => Val::Known(m.clone()),
        None if prior.known().is_some_and(BTreeMap::is_empty) => Val::Known(BTreeMap::new()),
        None => Val::Null,
    }
}

/// The state for an API response. Keys, secrets, flags and the bootstrap come from `prior`
/// (the API returns secrets masked and knows nothing of the rest).
fn from_api(resp: &ClusterResponse, prior: &Cluster) -> Cluster {
    let empty = ApiCluster::default();
    let c = resp.cluster.as_ref().unwrap_or(&empty);
    let no_config = ClusterConfig::default();
    let cfg = c.config.as_ref().unwrap_or(&no_config);
    let no_tls = TlsClientConfig::default();
    let tls = cfg.tls_client_config.as_ref().unwrap_or(&no_tls);
    let mut s = prior.clone();
    s.server = match c.server.as_deref().filter(|x| !x.is_empty()) {
        Some(x)
            if prior
                .server
                .as_deref()
                .is_some_and(|p| p.trim_end_matches('/') == x.trim_end_matches('/')) =>
        {
            prior.server.clone()
        }
        Some(x) => Val::Known(x.to_string()),
        None => Val::Null,
    };
    s.name = api_str(c.name.as_deref(), &prior.name);
    s.namespaces = match c.namespaces.as_ref().filter(|n| !n.is_empty()) {
        Some(n) => Val::Known(Set(n.clone())),
        None if prior.namespaces.known().is_some_and(|n| n.0.is_empty()) => {
            Val::Known(Set(Vec::new()))
        }
        None => Val::Null,
    };
    s.cluster_resources = Val::Known(c.cluster_resources.unwrap_or(false));
    s.argo_project = api_str(c.project.as_deref(), &prior.argo_project);
    s.labels = api_map(c.labels.as_ref(), &prior.labels);
    s.annotations = api_map(c.annotations.as_ref(), &prior.annotations);
    s.tags = api_map(resp.tags.as_ref(), &prior.tags);
    s.shard = Val::from_option(c.shard.map(|n| n.0));
    s.connection_type = match cfg
        .cluster_connection_type
        .as_deref()
        .filter(|t| !t.is_empty())
    {
        Some(t) => Val::Known(t.to_string()),
        None if prior.connection_type.is_unknown() => Val::Null,
        // Imported (no prior value) from a cluster registered without a type, e.g. in the
        // Harness UI: the credentials it has say which. Without this, the configuration
        // `-generate-config-out` writes (secrets are never imported) cannot tell how to
        // connect and is refused.
        None if prior.connection_type.is_null() => implied_connection_type(c, cfg, tls),
        None => prior.connection_type.clone(),
    };
    s.username = api_str(cfg.username.as_deref(), &prior.username);
    // With a bootstrap, the CA is the bootstrap's business unless the user set one.
    s.ca_data = if prior.bootstrap.is_known() && prior.ca_data.is_null() {
        Val::Null
    } else {
        match tls.ca_data.as_deref().filter(|x| !x.is_empty()) {
            Some(x) => {
                let pem = pem_text(x);
                match prior.ca_data.as_deref() {
                    Some(p) if pem_text(p).trim() == pem.trim() => prior.ca_data.clone(),
                    _ => Val::Known(pem),
                }
            }
            None => Val::Null,
        }
    };
    s.insecure = Val::Known(tls.insecure.unwrap_or(false));
    s.server_name = api_str(tls.server_name.as_deref(), &prior.server_name);
    s.exec_provider = match &cfg.exec_provider_config {
        Some(e) if e.command.as_deref().is_some_and(|x| !x.is_empty()) => {
            let p = prior.exec_provider.known().cloned().unwrap_or_default();
            Val::Known(ExecProvider {
                command: Val::from_option(e.command.clone()),
                args: match e.args.as_ref().filter(|a| !a.is_empty()) {
                    Some(a) => Val::Known(a.clone()),
                    None if p.args.known().is_some_and(Vec::is_empty) => Val::Known(Vec::new()),
                    None => Val::Null,
                },
                env: api_map(e.env.as_ref(), &p.env),
                api_version: api_str(e.api_version.as_deref(), &p.api_version),
                install_hint: api_str(e.install_hint.as_deref(), &p.install_hint),
            })
        }
        _ => Val::Null,
    };
    let aws = cfg.aws_auth_config.clone().unwrap_or_default();
    s.aws_cluster_name = api_str(
        cfg.aws_cluster_name
            .as_deref()
            .or(aws.cluster_name.as_deref()),
        &prior.aws_cluster_name,
    );
    s.aws_role_arn = api_str(
        cfg.role_arn.as_deref().or(aws.role_arn.as_deref()),
        &prior.aws_role_arn,
    );
    s.proxy_url = api_str(cfg.proxy_url.as_deref(), &prior.proxy_url);
    s.disable_compression = Val::Known(cfg.disable_compression.unwrap_or(false));
    // Masked secrets: present → keep what the user configured; absent → gone remotely.
    let present = |x: &Option<Secret>| x.as_ref().is_some_and(|x| !x.is_empty());
    s.bearer_token.settle_masked(present(&cfg.bearer_token));
    s.password.settle_masked(present(&cfg.password));
    s.tls_client_cert_data
        .settle_masked(present(&tls.cert_data));
    s.tls_client_cert_key.settle_masked(present(&tls.key_data));
    for flag in [&mut s.upsert, &mut s.force_update, &mut s.force_delete] {
        if !flag.is_known() {
            *flag = Val::Known(false);
        }
    }
    let cs = c
        .connection_state
        .as_ref()
        .or_else(|| c.info.as_ref().and_then(|i| i.connection_state.as_ref()));
    s.connection_status =
        Val::from_option(cs.and_then(|x| x.status.clone()).filter(|x| !x.is_empty()));
    s.connection_message =
        Val::from_option(cs.and_then(|x| x.message.clone()).filter(|x| !x.is_empty()));
    s.server_version = Val::from_option(
        c.server_version
            .clone()
            .or_else(|| c.info.as_ref().and_then(|i| i.server_version.clone()))
            .filter(|x| !x.is_empty()),
    );
    s.secret_expressions =
        expressions_from_api(resp.secret_expressions.as_ref(), &prior.secret_expressions);
    s.applications_count = Val::Known(
        c.info
            .as_ref()
            .and_then(|i| i.applications_count)
            .map_or(0, |n| n.0),
    );
    s.created_at = Val::from_option(resp.created_at.clone());
    s.updated_at = Val::from_option(resp.last_modified_at.clone());
    s.id = s.scope.import_id(&s.identifier);
    s
}

/// The data source: the resource's attributes without secrets, flags and the bootstrap.
pub struct GitopsClusterData;

fn data_schema() -> Schema {
    let mut leave_out: Vec<&str> = BEHAVIOUR_FLAGS.to_vec();
    leave_out.push(Cluster::BOOTSTRAP);
    leave_out.extend(Cluster::secret_names().iter().map(|n| n.wo_version));
    common::data_source_schema(
        &Cluster::schema(),
        "Reads a Harness GitOps cluster by scope and identifier. Credentials are never exposed.",
        &[
            (Cluster::IDENTIFIER, Constraint::Required),
            (Scope::AGENT_ID, Constraint::OptionalComputed),
            (Scope::ORG_ID, Constraint::OptionalComputed),
            (Scope::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &leave_out,
    )
}

#[async_trait]
impl ScopedLookup for GitopsClusterData {
    type Model = Cluster;
    type Response = ClusterResponse;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "Cluster";
    const KEY: &'static str = Cluster::IDENTIFIER;

    fn schema() -> Schema {
        data_schema()
    }

    fn key(m: &mut Cluster) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.identifier)
    }

    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<ClusterResponse>, harness::Error> {
        client.clusters().get_opt(scope, key).await
    }

    fn convert(resp: &ClusterResponse, key: &Cluster) -> Cluster {
        from_api(resp, key)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsCluster)
}

#[cfg(test)]
mod tests;
