//! `harness_gitops_gnupg_key`: a GnuPG public key an Argo CD agent uses to verify commit
//! signatures (harness-gitops-more.md §2.9, §5.6), and the data source of the same name.
//!
//! The API has no update: a new `key_data` is a new key (a new key ID), so it replaces.
//! The key text is kept as configured: re-wrapping or re-indenting the armored block,
//! adding or dropping armor headers or the checksum line, is no change (`same_key`).
//!
//! Order: model → validation → plan hook → create/read/update/delete/import → API mapping
//! → data source → tests.

use async_trait::async_trait;
use base64::Engine as _;
use harness_gitops_client as harness;
use harness_gitops_client::models::{GpgKey as ApiKey, GpgKeyCreateRequest};
use tfplugin::resource::Resource;
use tfplugin::tf::schema::{Constraint, Schema};
use tfplugin::tf::{AttributePath, Diagnostics, Value};
use tfplugin::typed::{self, ModelResource, TypedPlan};
use tfplugin::{Model, Val};

use super::common::{self, api_error, Scope};
use super::data_source::ScopedLookup;
use super::Ctx;
use crate::provider::ProviderData;

const TYPE_NAME: &str = "harness_gitops_gnupg_key";

/// A GnuPG public key of a Harness GitOps agent's Argo CD, used to verify signed commits
/// (Argo CD projects' `signature_keys`). The key ID, fingerprint, owner, sub-type and trust
/// are what Argo CD reports for the key.
#[derive(Model, Clone, Debug, Default, PartialEq)]
pub struct GpgKey {
    /// Import ID: `agent_id/key_id`, `org_id/agent_id/key_id` or
    /// `org_id/project_id/agent_id/key_id`, depending on the scope.
    #[tf(computed, keep_prior)]
    pub id: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
    /// The ASCII-armored public key (`gpg --armor --export <id>`), one key per resource.
    /// Kept in state as written: re-wrapping, re-indenting or changing armor headers is no
    /// change. Changing the key replaces the resource.
    #[tf(required, requires_replace, equivalence = same_key, validate = armored_public_key)]
    pub key_data: Val<String>,
    /// On create, adopt the key when the agent already has it instead of failing. Defaults
    /// to `false`.
    #[tf(default = false)]
    pub upsert: Val<bool>,
    /// The key ID Argo CD reports: the last 16 hex digits of the fingerprint.
    #[tf(computed, keep_prior)]
    pub key_id: Val<String>,
    /// The key's fingerprint (40 hex digits).
    #[tf(computed, keep_prior)]
    pub fingerprint: Val<String>,
    /// The key's first user ID, e.g. `Jane Doe <jane@example.com>`.
    #[tf(computed, keep_prior)]
    pub owner: Val<String>,
    /// The key's algorithm and size as gpg prints it, e.g. `rsa4096` or `ed25519`.
    #[tf(computed, keep_prior)]
    pub sub_type: Val<String>,
    /// The trust Argo CD reports for the key.
    #[tf(computed, keep_prior)]
    pub trust: Val<String>,
}

const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const END: &str = "-----END PGP PUBLIC KEY BLOCK-----";

/// The OpenPGP packets of an ASCII-armored public key block: armor headers, the checksum
/// line and all whitespace ignored. `Err` says why the text is not one.
pub fn dearmor(text: &str) -> Result<Vec<u8>, String> {
    if text.contains("-----BEGIN PGP PRIVATE KEY BLOCK-----") {
        return Err("This is a private key block. Give the public key only (`gpg --armor --export <key id>`); a private key must never be sent to Harness.".into());
    }
    let start = text.find(BEGIN).ok_or_else(|| {
        format!("The key must be an ASCII-armored public key starting with {BEGIN} (`gpg --armor --export <key id>`).")
    })?;
    let rest = &text[start + BEGIN.len()..];
    let end = rest
        .find(END)
        .ok_or_else(|| format!("The armored key has no {END} line."))?;
    let mut body = String::new();
    for line in rest[..end].lines() {
        let line = line.trim();
        if line.is_empty() || line.contains(": ") || line.starts_with('=') {
            continue;
        }
        body.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    let packets = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "The armored body is not valid base64.".to_string())?;
    match packets.first() {
        None => Err("The armored key block is empty.".into()),
        Some(b) if b & 0x80 == 0 => Err("The armored body is not an OpenPGP packet.".into()),
        // Old or new format public key packet (tag 6).
        Some(b) if (b & 0x40 == 0 && (b >> 2) & 0x0f == 6) || (b & 0x40 != 0 && b & 0x3f == 6) => {
            Ok(packets)
        }
        Some(_) => Err("The key block does not start with a public key packet.".into()),
    }
}

/// Two armored keys with the same packets.
fn same_key(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => {
            a == b || matches!((dearmor(a), dearmor(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

fn armored_public_key(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if let Some(text) = v.as_str() {
        if let Err(why) = dearmor(text) {
            diags.error_at(path.clone(), "Invalid GnuPG Public Key", why);
        }
    }
}

/// The resource.
pub struct GitopsGnupgKey;

#[async_trait]
impl ModelResource<ProviderData> for GitopsGnupgKey {
    type Model = GpgKey;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn modify_plan(
        &self,
        req: &TypedPlan<'_, GpgKey, ProviderData>,
        planned: &mut GpgKey,
        _replace: &mut Vec<AttributePath>,
        diags: &mut Diagnostics,
    ) {
        planned
            .scope
            .plan(&req.config.scope, req.provider.map(|p| &p.defaults), diags);
    }

    async fn create(
        &self,
        ctx: &Ctx,
        planned: &GpgKey,
        _config: &GpgKey,
        diags: &mut Diagnostics,
    ) -> Option<GpgKey> {
        let client = &common::client(ctx, "the GnuPG key's 20m create deadline", diags)?;
        let upsert = planned.upsert.unwrap_or(false);
        let body = GpgKeyCreateRequest {
            publickey: Some(ApiKey {
                key_data: planned.key_data.known().cloned(),
                ..Default::default()
            }),
            upsert: Some(upsert),
        };
        let scope = planned.scope.api();
        let resp = match client.gpg_keys().create(&scope, &body).await {
            Ok(r) => r,
            Err(e) => {
                api_error(diags, "Unable to Create GnuPG Key", &e);
                return None;
            }
        };
        let created = resp
            .created
            .and_then(|c| c.items)
            .and_then(|i| i.into_iter().next());
        if let Some(key) = created {
            return Some(from_api(&key, planned));
        }
        let skipped = resp.skipped.unwrap_or_default();
        let id = skipped.first().cloned().unwrap_or_default();
        let import_id = planned.scope.import_id(&Val::Known(id.clone()));
        diags.error_at(
            AttributePath::attr(GpgKey::KEY_DATA),
            "GnuPG Key Already Exists",
            format!(
                "The agent already has the key {id}. To manage it, import it (`terraform import <address> {}`), or set `upsert = true` to adopt it on create.",
                import_id.as_deref().unwrap_or("<agent_id>/<key_id>")
            ),
        );
        None
    }

    async fn read(&self, ctx: &Ctx, current: &GpgKey, diags: &mut Diagnostics) -> Option<GpgKey> {
        let client = &common::client(ctx, "the GnuPG key's 20m read deadline", diags)?;
        let key_id = current.key_id.as_deref().unwrap_or_default();
        match client
            .gpg_keys()
            .get_opt(&current.scope.api(), key_id)
            .await
        {
            Ok(Some(key)) => Some(from_api(&key, current)),
            Ok(None) => None,
            Err(e) => {
                api_error(diags, "Unable to Read GnuPG Key", &e);
                None
            }
        }
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _prior: &GpgKey,
        planned: &GpgKey,
        _config: &GpgKey,
        _diags: &mut Diagnostics,
    ) -> Option<GpgKey> {
        // Only `upsert` (a create-time flag) can change in place.
        Some(planned.clone())
    }

    async fn delete(&self, ctx: &Ctx, prior: &GpgKey, diags: &mut Diagnostics) {
        let Some(client) = &common::client(ctx, "the GnuPG key's 20m delete deadline", diags)
        else {
            return;
        };
        let key_id = prior.key_id.as_deref().unwrap_or_default();
        if let Err(e) = client.gpg_keys().delete(&prior.scope.api(), key_id).await {
            api_error(diags, "Unable to Delete GnuPG Key", &e);
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<GpgKey> {
        let read = async |stub: &GpgKey, d: &mut Diagnostics| self.read(ctx, stub, d).await;
        super::data_source::import::<GitopsGnupgKeyData, _>(id, read, diags).await
    }
}

/// The state for an API key. `key_data` stays as configured while it is the same key.
fn from_api(k: &ApiKey, prior: &GpgKey) -> GpgKey {
    let mut s = prior.clone();
    let text = |v: &Option<String>| Val::from_option(v.clone().filter(|x| !x.is_empty()));
    if let Some(api) = k.key_data.as_deref().filter(|d| !d.is_empty()) {
        let keep = prior
            .key_data
            .as_deref()
            .is_some_and(|p| same_key(&Value::from(p), &Value::from(api)));
        if !keep {
            s.key_data = Val::Known(api.to_string());
        }
    }
    s.key_id = text(&k.key_id);
    s.fingerprint = text(&k.fingerprint);
    s.owner = text(&k.owner);
    s.sub_type = text(&k.sub_type);
    s.trust = text(&k.trust);
    if !s.upsert.is_known() {
        s.upsert = Val::Known(false);
    }
    s.id = s.scope.import_id(&s.key_id);
    s
}

/// The data source: a key by scope and key ID.
pub struct GitopsGnupgKeyData;

fn data_schema() -> Schema {
    common::data_source_schema(
        &GpgKey::schema(),
        "Reads a GnuPG public key of a Harness GitOps agent by its key ID.",
        &[
            (GpgKey::KEY_ID, Constraint::Required),
            (Scope::AGENT_ID, Constraint::OptionalComputed),
            (Scope::ORG_ID, Constraint::OptionalComputed),
            (Scope::PROJECT_ID, Constraint::OptionalComputed),
        ],
        &[GpgKey::UPSERT],
    )
}

#[async_trait]
impl ScopedLookup for GitopsGnupgKeyData {
    type Model = GpgKey;
    type Response = ApiKey;
    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: &'static str = "GnuPG Key";
    const KEY: &'static str = GpgKey::KEY_ID;

    fn schema() -> Schema {
        data_schema()
    }

    fn key(m: &mut GpgKey) -> (&mut Scope, &mut Val<String>) {
        (&mut m.scope, &mut m.key_id)
    }

    async fn get(
        client: &harness::Client,
        scope: &harness::Scope,
        key: &str,
    ) -> Result<Option<ApiKey>, harness::Error> {
        client.gpg_keys().get_opt(scope, key).await
    }

    fn convert(resp: &ApiKey, key: &GpgKey) -> GpgKey {
        from_api(resp, key)
    }
}

/// The registered resource.
pub fn resource() -> std::sync::Arc<dyn Resource<ProviderData>> {
    typed::resource(GitopsGnupgKey)
}

#[cfg(test)]
mod tests;
