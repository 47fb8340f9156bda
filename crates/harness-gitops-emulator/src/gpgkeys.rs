//! GnuPG public keys (`/gitops/api/v1/agents/{agent}/gpgkeys[/{keyID}]`, reference §5.6):
//! Argo CD's keys for commit signature verification. Only `keyData` is an input; the key ID,
//! fingerprint, owner, sub-type and trust are derived from the ASCII-armored key
//! ([`super::openpgp`]).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::common::{list_body, not_found, str_of};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::openpgp::parse_public_key;
use super::schema::{Msg, Ty};
use super::store::Ts;
use super::validate::check_msg;

/// One stored key (`gpgkeysGnuPGPublicKey`), keyed by its key ID.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GpgEntry {
    pub key: super::scope::Key,
    pub public_key: Map<String, Value>,
    pub created_at: Ts,
    pub last_modified_at: Ts,
}

/// `gpgkeysGnuPGPublicKey`.
pub static PUBLIC_KEY: Msg = Msg {
    name: "gpgkeysGnuPGPublicKey",
    fields: &[
        ("keyID", Ty::Str),
        ("fingerprint", Ty::Str),
        ("owner", Ty::Str),
        ("trust", Ty::Str),
        ("subType", Ty::Str),
        ("keyData", Ty::Str),
    ],
};

/// `gpgkeysGnuPGPublicKeyCreateRequest`: body of `POST …/gpgkeys`.
pub static GPG_CREATE_REQUEST: Msg = Msg {
    name: "gpgkeysGnuPGPublicKeyCreateRequest",
    fields: &[("publickey", Ty::Msg(&PUBLIC_KEY)), ("upsert", Ty::Bool)],
};

/// Argo CD reports imported keys with trust `unknown` (it trusts every key it holds).
const TRUST: &str = "unknown";

/// `POST …/gpgkeys` (AgentGPGKeyService_Create): imports the key. A key already present is
/// answered under `skipped` (its key ID) unless `upsert`, which replaces its data.
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &GPG_CREATE_REQUEST, "")?;
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let data = body
        .get("publickey")
        .and_then(Value::as_object)
        .map(|p| str_of(p, "keyData").to_string())
        .unwrap_or_default();
    if data.trim().is_empty() {
        return Err(ApiError::invalid(
            "field \"publickey.keyData\" (an ASCII-armored GnuPG public key) is required",
        ));
    }
    let info = parse_public_key(&data).map_err(ApiError::invalid)?;
    let key = req.key(&info.key_id);
    let now = req.now;
    let mut public_key = Map::new();
    public_key.insert("keyID".into(), json!(info.key_id));
    public_key.insert("fingerprint".into(), json!(info.fingerprint));
    public_key.insert("owner".into(), json!(info.owner));
    public_key.insert("trust".into(), json!(TRUST));
    public_key.insert("subType".into(), json!(info.sub_type));
    public_key.insert("keyData".into(), json!(data));
    let created = ctx
        .store
        .write(|s| {
            let old = s.gpg_keys.get(&key);
            if old.is_some() && !upsert {
                return Ok(None);
            }
            let entry = GpgEntry {
                key: key.clone(),
                public_key,
                created_at: old.map_or(now, |e| e.created_at),
                last_modified_at: now,
            };
            s.gpg_keys.insert(key.clone(), entry.clone());
            Ok(Some(entry))
        })
        .await?;
    Ok(match created {
        Some(e) => {
            req.applied(ctx);
            json!({"created": list_body(json!({}), vec![Value::Object(e.public_key)])})
        }
        None => json!({"created": list_body(json!({}), vec![]), "skipped": [info.key_id]}),
    })
}

/// `GET …/gpgkeys/{keyID}` (AgentGPGKeyService_Get).
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .read(|s| {
            s.gpg_keys
                .get(&key)
                .map(|e| Value::Object(e.public_key.clone()))
        })
        .await
        .ok_or_else(|| not_found("gpg key", &key))
}

/// `GET …/gpgkeys` (AgentGPGKeyService_List), filtered by `query.keyID`.
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let items = ctx
        .store
        .read(|s| {
            s.gpg_keys
                .values()
                .filter(|e| e.key.scope == req.scope && e.key.agent == req.route.agent)
                .filter(|e| req.query.admits("query.keyID", |id| e.key.id == id))
                .map(|e| Value::Object(e.public_key.clone()))
                .collect()
        })
        .await;
    Ok(list_body(json!({}), items))
}

/// `DELETE …/gpgkeys/{keyID}` (AgentGPGKeyService_Delete); a missing key is 404 (code 5).
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .write(|s| {
            s.gpg_keys
                .remove(&key)
                .map(|_| ())
                .ok_or_else(|| not_found("gpg key", &key))
        })
        .await?;
    req.applied(ctx);
    Ok(json!({}))
}
