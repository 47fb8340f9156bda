//! `harness_gitops_repository_certificate`: one SSH known-hosts key or HTTPS certificate
//! that an Argo CD agent trusts for repository servers (harness-gitops-more.md §2.8, §5.5).
//!
//! The API has no per-certificate id: Argo CD keys an entry by server name, type and
//! sub-type, so those replace the resource when they change; `cert_data` is updated in
//! place (the create call with `upsert`). Unlike the official provider's one-resource-per-
//! agent `harness_platform_gitops_repo_cert`, each certificate is its own resource, is
//! refreshed (drift is seen) and deletes only itself. There is no get call; the data source
//! looks a certificate up in the agent's list, filtered by server name, type and sub-type.
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → API mapping
//! → tests.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use harness_gitops_client::models::{
    cert_type, Certificate as ApiCert, CertificateCreateRequest, CertificateList, CertificateQuery,
};
use tfplugin::resource::{DataSource, Resource};
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::{self, ModelResource, TfType, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, Scope, ScopedId};
use super::Ctx;
use crate::provider::{Defaults, ProviderData};

const TYPE_NAME: &str = "harness_gitops_repository_certificate";

/// A repository server certificate of a Harness GitOps agent's Argo CD: an SSH known-hosts
/// key (`cert_type = "ssh"`) or a PEM TLS certificate (`cert_type = "https"`) Argo CD
/// trusts when it connects to `server_name`.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct RepoCert {
    /// Import ID: `agent_id/<certificate>`, `org_id/agent_id/<certificate>` or
    /// `org_id/project_id/agent_id/<certificate>`, where `<certificate>` is
    /// `ssh:<cert_sub_type>:<server_name>` or `https:<server_name>`.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// Host name of the repository server, as in a known-hosts line (`github.com`,
    /// `[git.example.com]:2222`) or the HTTPS server name. Changing it replaces the
    /// certificate.
    #[tf(required, requires_replace, validate = server_name)]
    pub server_name: Val<String>,
    /// `ssh` (a known-hosts key) or `https` (a TLS certificate). Changing it replaces the
    /// certificate.
    #[tf(required, requires_replace, one_of("ssh", "https"))]
    pub cert_type: Val<String>,
    /// For `ssh`, the key type: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … (the
    /// second field of a known-hosts line; required). For `https`, what Argo CD reports for
    /// the certificate's key (e.g. `RSA`, `ECDSA`); computed when unset. Changing it
    /// replaces the certificate.
    #[tf(optional_computed, requires_replace, keep_prior)]
    pub cert_sub_type: Val<String>,
    /// For `ssh`, the base64 key (the third field of a known-hosts line); for `https`, one
    /// or more PEM certificates. Whitespace differences are no change.
    #[tf(required, equivalence = same_data)]
    pub cert_data: Val<String>,
    /// On create, adopt an existing certificate of the same server, type and sub-type
    /// instead of failing (its data is replaced). Defaults to `false`.
    #[tf(default = false)]
    pub upsert: Val<bool>,
    /// What Argo CD reports for the certificate: the SSH key's fingerprint
    /// (`SHA256:…`) or the TLS certificate's subject.
    #[tf(computed)]
    pub cert_info: Val<String>,
}

/// Whitespace-insensitive text.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn same_data(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => squash(a) == squash(b),
        _ => false,
    }
}

fn server_name(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if let Some(s) = v.as_str() {
        if s.is_empty() || s.contains(char::is_whitespace) || s.contains('/') {
            diags.error_at(
                path.clone(),
                "Invalid Server Name",
                format!("{s:?} is not a host name: no spaces or slashes (e.g. github.com or [git.example.com]:2222)."),
            );
        }
    }
}

const SSH_TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// The key type named inside an SSH public key blob.
fn ssh_blob_type(key: &str) -> Option<String> {
    let blob = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
    let n = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    String::from_utf8(blob.get(4..4 + n)?.to_vec()).ok()
}

/// Checks across attributes.
fn validate_config(c: &RepoCert, diags: &mut Diagnostics) {
    let at = |n: &str| AttributePath::attr(n);
    let Some(t) = c.cert_type.as_deref() else {
        return;
    };
    let sub = c.cert_sub_type.as_deref();
    let data = c.cert_data.as_deref();
    if t == cert_type::SSH {
        if c.cert_sub_type.is_null() {
            diags.error_at(
                at(RepoCert::CERT_SUB_TYPE),
                "Missing SSH Key Type",
                format!(
                    "An ssh certificate needs `cert_sub_type`, the key type: one of {}.",
                    SSH_TYPES.join(", ")
                ),
            );
        }
        if let Some(s) = sub.filter(|s| !SSH_TYPES.contains(s)) {
            diags.error_at(
                at(RepoCert::CERT_SUB_TYPE),
                "Unknown SSH Key Type",
                format!(
                    "{s:?} is not an SSH key type Argo CD accepts: one of {}.",
                    SSH_TYPES.join(", ")
                ),
            );
        }
        if let Some(d) = data {
            let fields: Vec<&str> = d.split_whitespace().collect();
            if fields.len() > 1 && fields.iter().any(|f| SSH_TYPES.contains(f)) {
                diags.error_at(
                    at(RepoCert::CERT_DATA),
                    "Invalid SSH Key",
                    format!(
                        "`cert_data` must be only the base64 key; this looks like a known-hosts line ({} fields). For the line `host type key`, set `server_name = host`, `cert_sub_type = type` and `cert_data = key`.",
                        fields.len()
                    ),
                );
            } else {
                // A key wrapped over several lines means the same key.
                match ssh_blob_type(&squash(d)) {
                    None => diags.error_at(
                        at(RepoCert::CERT_DATA),
                        "Invalid SSH Key",
                        "`cert_data` must be the base64 key of a known-hosts line (its third field).",
                    ),
                    Some(kt) if sub.is_some_and(|s| SSH_TYPES.contains(&s) && s != kt) => {
                        diags.error_at(
                            at(RepoCert::CERT_DATA),
                            "SSH Key Type Mismatch",
                            format!(
                                "The key is of type {kt:?}, but `cert_sub_type` is {:?}.",
                                sub.unwrap_or_default()
                            ),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
    } else if let (cert_type::HTTPS, Some(d)) = (t, data) {
        if !d.contains("-----BEGIN CERTIFICATE-----") || !d.contains("-----END CERTIFICATE-----") {
            diags.error_at(
                at(RepoCert::CERT_DATA),
                "Invalid Certificate",
                "An https certificate's `cert_data` must be PEM: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----.",
            );
        }
    }
}

/// The `<certificate>` part of the import ID, unknown while a part is, null while the
/// sub-type of an ssh key is missing.
fn cert_key(c: &RepoCert) -> Val<String> {
    if c.cert_type.is_unknown() || c.server_name.is_unknown() || c.cert_sub_type.is_unknown() {
        return Val::Unknown;
    }
    match (
        c.cert_type.as_deref(),
        c.server_name.as_deref(),
        c.cert_sub_type.as_deref(),
    ) {
        (Some("https"), Some(s), _) => Val::Known(format!("https:{s}")),
        (Some("ssh"), Some(s), Some(t)) => Val::Known(format!("ssh:{t}:{s}")),
        _ => Val::Null,
    }
}

/// Parses `ssh:<type>:<server>` or `https:<server>`.
fn parse_cert_key(s: &str) -> Option<(String, Option<String>, String)> {
    if let Some(server) = s.strip_prefix("https:") {
        return (!server.is_empty()).then(|| ("https".into(), None, server.to_string()));
    }
    let rest = s.strip_prefix("ssh:")?;
    let (t, server) = rest.split_once(':')?;
    (!t.is_empty() && !server.is_empty())
        .then(|| ("ssh".into(), Some(t.to_string()), server.to_string()))
}

/// The resource.
pub struct GitopsRepositoryCertificate;

#[async_trait]
impl ModelResource<ProviderData> for GitopsRepositoryCertificate {
    type Model = RepoCert;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn validate(&self, config: &RepoCert, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, RepoCert, ProviderData>,
        planned: &mut RepoCert,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
        if req.prior.is_none() {
            planned.id = planned.scope.import_id(&cert_key(planned));
        }
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &RepoCert,
        _config: &RepoCert,
        diags: &mut Diagnostics,
    ) -> Option<RepoCert> {
        let client = &common::client(ctx, "the certificate's 20m create deadline", diags)?;
        let scope = planned.scope.api();
        let (server, ty) = (
            planned.server_name.as_deref().unwrap_or_default(),
            planned.cert_type.as_deref().unwrap_or_default(),
        );
        let sub = planned.cert_sub_type.as_deref().unwrap_or_default();
        if !planned.upsert.unwrap_or(false) {
            match client.certificates().get_opt(&scope, server, ty, sub).await {
                Ok(None) => {}
                Ok(Some(found)) => {
                    let mut key = planned.clone();
                    key.cert_sub_type = Val::from_option(found.cert_sub_type.clone());
                    let id = key.scope.import_id(&cert_key(&key));
                    diags.error(
                        "Unable to Create Repository Certificate",
                        format!(
                            "The agent already has a {ty} certificate for {server:?}. To manage it, import it (`terraform import <address> {}`), or set `upsert = true` to adopt it on create.",
                            id.as_deref().unwrap_or("<id>")
                        ),
                    );
                    return None;
                }
                Err(e) => {
                    api_error(diags, "Unable to Create Repository Certificate", &e);
                    return None;
                }
            }
        }
        let resp = send(client, planned).await;
        match resp {
            Ok(list) => Some(from_reply(&list, planned, diags)),
            Err(e) => {
                api_error(diags, "Unable to Create Repository Certificate", &e);
                None
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx,
        current: &RepoCert,
        diags: &mut Diagnostics,
    ) -> Option<RepoCert> {
        let client = &common::client(ctx, "the certificate's 20m read deadline", diags)?;
        let found = client
            .certificates()
            .get_opt(
                &current.scope.api(),
                current.server_name.as_deref().unwrap_or_default(),
                current.cert_type.as_deref().unwrap_or_default(),
                current.cert_sub_type.as_deref().unwrap_or_default(),
            )
            .await;
        match found {
            Ok(Some(c)) => Some(from_api(&c, current)),
            Ok(None) => None,
            Err(e) => {
                api_error(diags, "Unable to Read Repository Certificate", &e);
                None
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _prior: &RepoCert,
        planned: &RepoCert,
        _config: &RepoCert,
        diags: &mut Diagnostics,
    ) -> Option<RepoCert> {
        let client = &common::client(ctx, "the certificate's 20m update deadline", diags)?;
        match send(client, planned).await {
            Ok(list) => Some(from_reply(&list, planned, diags)),
            Err(e) => {
                api_error(diags, "Unable to Update Repository Certificate", &e);
                None
            }
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &RepoCert, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "the certificate's 20m delete deadline", diags)
        else {
            return;
        };
        let query = CertificateQuery {
            host_name_pattern: prior.server_name.known().cloned(),
            cert_type: prior.cert_type.known().cloned(),
            cert_sub_type: prior.cert_sub_type.non_empty().map(str::to_string),
        };
        if let Err(e) = client
            .certificates()
            .delete(&prior.scope.api(), &query)
            .await
        {
            api_error(diags, "Unable to Delete Repository Certificate", &e);
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<RepoCert> {
        let sid = ScopedId::parse_import(id, "repository certificate", diags)?;
        let Some((ty, sub, server)) = parse_cert_key(&sid.identifier) else {
            diags.error(
                "Invalid Import ID",
                format!("{id:?}: the certificate part must be `ssh:<key type>:<server name>` or `https:<server name>`, e.g. account.myagent/ssh:ssh-ed25519:github.com"),
            );
            return None;
        };
        let stub = RepoCert {
            scope: Scope::of_import(&sid),
            server_name: Val::Known(server),
            cert_type: Val::Known(ty),
            cert_sub_type: Val::from_option(sub),
            ..Default::default()
        };
        let state = self.read(ctx, &stub, diags).await;
        if state.is_none() && !diags.has_errors() {
            diags.error(
                "Cannot Import Non-Existent Repository Certificate",
                format!("No repository certificate {id:?} exists (or the API key cannot see it)."),
            );
        }
        state
    }
}

/// `POST certificates` with `upsert` (create and update alike).
async fn send(
    client: &harness_gitops_client::Client,
    planned: &RepoCert,
) -> Result<CertificateList, harness_gitops_client::Error> {
    let body = CertificateCreateRequest {
        certificates: Some(CertificateList {
            items: Some(vec![to_api(planned)]),
            ..Default::default()
        }),
        upsert: Some(true),
    };
    client
        .certificates()
        .create(&planned.scope.api(), &body)
        .await
}

/// The certificate to send; an SSH key without the whitespace it may be wrapped with.
fn to_api(planned: &RepoCert) -> ApiCert {
    let ty = planned.cert_type.as_deref().unwrap_or_default();
    let data = planned.cert_data.as_deref().unwrap_or_default();
    let data = if ty == cert_type::SSH {
        squash(data)
    } else {
        data.to_string()
    };
    ApiCert::new(
        planned.server_name.as_deref().unwrap_or_default(),
        ty,
        planned.cert_sub_type.non_empty(),
        &data,
    )
}

/// The state from a create reply: its entry for this server and type.
fn from_reply(list: &CertificateList, planned: &RepoCert, diags: &mut Diagnostics) -> RepoCert {
    let item = list.items.iter().flatten().find(|c| {
        c.server_name.as_deref() == planned.server_name.as_deref()
            && c.cert_type.as_deref() == planned.cert_type.as_deref()
    });
    match item {
        Some(c) => from_api(c, planned),
        None => {
            diags.warning(
                "Certificate Missing From Reply",
                "Harness accepted the certificate but did not return it; `cert_info` is unknown until the next refresh.",
            );
            let mut s = planned.clone();
            s.cert_info = Val::Null;
            if s.cert_sub_type.is_unknown() {
                s.cert_sub_type = Val::Null;
            }
            s
        }
    }
}

/// The state for an API certificate; `cert_data` stays as configured while it means the
/// same.
fn from_api(c: &ApiCert, prior: &RepoCert) -> RepoCert {
    let mut s = prior.clone();
    let text = |v: &Option<String>| v.clone().filter(|x| !x.is_empty());
    if let Some(v) = text(&c.server_name) {
        s.server_name = Val::Known(v);
    }
    if let Some(v) = text(&c.cert_type) {
        s.cert_type = Val::Known(v);
    }
    s.cert_sub_type = Val::from_option(text(&c.cert_sub_type));
    if let Some(api) = c.data_text() {
        let keep = prior
            .cert_data
            .as_deref()
            .is_some_and(|p| squash(p) == squash(&api));
        if !keep {
            s.cert_data = Val::Known(api);
        }
    }
    s.cert_info = Val::from_option(text(&c.cert_info));
    if !s.upsert.is_known() {
        s.upsert = Val::Known(false);
    }
    s.id = s.scope.import_id(&cert_key(&s));
    s
}

/// The data source: a certificate by scope, server name, type and sub-type (the API has no
/// get of one certificate; the agent's list is filtered).
pub struct GitopsRepositoryCertificateData;

fn data_schema() -> Schema {
    common::data_source_schema(
        &RepoCert::schema(),
        "Reads a repository server certificate of a Harness GitOps agent by server name, type and sub-type \
         (`cert_sub_type` is required for `ssh`, optional for `https`).",
        &[
            (RepoCert::SERVER_NAME, Constraint::Required),
            (RepoCert::CERT_TYPE, Constraint::Required),
            (RepoCert::CERT_SUB_TYPE, Constraint::OptionalComputed),
            (Scope::AGENT_ID, Constraint::OptionalComputed),
            (Scope::ORG_ID, Constraint::OptionalComputed),
            (Scope::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &[RepoCert::UPSERT],
    )
}

/// The model holding the scope (provider defaults filled in) and the lookup attributes of
/// the data source's configuration; errors at their paths.
fn data_key(config: &Value, defaults: &Defaults, diags: &mut Diagnostics) -> Option<RepoCert> {
    let c = match RepoCert::from_object(config) {
        Ok(m) => m,
        Err(d) => {
            diags.0.push(d);
            return None;
        }
    };
    let mut scope = c.scope.clone();
    scope.plan(&c.scope, Some(defaults), diags);
    let at = AttributePath::attr;
    for (name, v) in [
        (RepoCert::SERVER_NAME, &c.server_name),
        (RepoCert::CERT_TYPE, &c.cert_type),
    ] {
        if !v.is_known() {
            diags.error_at(
                at(name),
                "Missing Lookup Key",
                format!("Set `{name}` to the certificate's to read."),
            );
        }
    }
    if let Some(t) = c.cert_type.as_deref() {
        if t != cert_type::SSH && t != cert_type::HTTPS {
            diags.error_at(
                at(RepoCert::CERT_TYPE),
                "Invalid Certificate Type",
                format!("{t:?} is not a certificate type: `ssh` or `https`."),
            );
        }
        if t == cert_type::SSH && c.cert_sub_type.non_empty().is_none() {
            diags.error_at(
                at(RepoCert::CERT_SUB_TYPE),
                "Missing SSH Key Type",
                "An ssh certificate is looked up by its key type too: set `cert_sub_type` (e.g. `ssh-ed25519`).",
            );
        }
    }
    if diags.has_errors() {
        return None;
    }
    Some(RepoCert {
        scope,
        server_name: c.server_name,
        cert_type: c.cert_type,
        cert_sub_type: c.cert_sub_type,
        ..Default::default()
    })
}

/// The data source's state of a lookup's answer; "not found" is an error at `server_name`.
fn data_state(found: Option<&ApiCert>, key: &RepoCert, diags: &mut Diagnostics) -> Option<Value> {
    let Some(c) = found else {
        let sub = key
            .cert_sub_type
            .non_empty()
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        diags.error_at(
            AttributePath::attr(RepoCert::SERVER_NAME),
            "GitOps Repository Certificate Not Found",
            format!(
                "No {}{sub} certificate for {:?} exists for agent {:?} in this scope.",
                key.cert_type.as_deref().unwrap_or_default(),
                key.server_name.as_deref().unwrap_or_default(),
                key.scope.agent_id.as_deref().unwrap_or_default(),
            ),
        );
        return None;
    };
    let state = from_api(c, key);
    Some(common::data_source_value(&data_schema(), &state.to_value()))
}

#[async_trait]
impl DataSource<ProviderData> for GitopsRepositoryCertificateData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        data_schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = &common::client(ctx, common::DATA_SOURCE_LIMIT, diags)?;
        let key = data_key(config, &ctx.provider.defaults, diags)?;
        let found = client
            .certificates()
            .get_opt(
                &key.scope.api(),
                key.server_name.as_deref().unwrap_or_default(),
                key.cert_type.as_deref().unwrap_or_default(),
                key.cert_sub_type.as_deref().unwrap_or_default(),
            )
            .await;
        match found {
            Ok(c) => data_state(c.as_ref(), &key, diags),
            Err(e) => {
                api_error(diags, "Unable to Read Repository Certificate", &e);
                None
            }
        }
    }
}

/// The registered resource.
pub fn resource() -> Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsRepositoryCertificate)
}

/// The registered data source.
pub fn data_source() -> Arc<dyn DataSource<ProviderData>> {
    Arc::new(GitopsRepositoryCertificateData)
}

#[cfg(test)]
mod tests;
