//! Repository credential templates (`/gitops/api/v1/agents/{agent}/repocreds…`, Argo CD's
//! "repo creds"), and what they mean to repositories: a repository with no credentials of
//! its own whose URL starts with a template's URL (same type, same Argo CD instance; the
//! longest prefix wins, as Argo CD picks it) connects with the template's credentials and
//! reports `inheritedCreds: true`.
//!
//! Convention for "credentials that work": a template works when it holds one complete
//! method — `username` with `password`, an `sshPrivateKey`, `tlsClientCertData` with
//! `tlsClientCertKey`, or `githubAppPrivateKey` with `githubAppID` and
//! `githubAppInstallationID`. A repository inheriting from a template that does not connects
//! `Failed` with Argo CD's "authentication required" message; the `.invalid` host rule
//! applies first either way.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::agent;
use super::common::{
    already_exists, envelope, keep_masked, mask, not_found, str_of, taken, REPO_SECRETS,
};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::schema::{Msg, Ty, FIELD_MASK};
use super::scope::{check_identifier, Key};
use super::store::{State, Ts};
use super::validate::check_msg;

/// `hrepocredsRepoCreds`: the template.
pub static REPO_CREDS: Msg = Msg {
    name: "hrepocredsRepoCreds",
    fields: &[
        ("url", Ty::Str),
        ("username", Ty::Str),
        ("password", Ty::Str),
        ("sshPrivateKey", Ty::Str),
        ("tlsClientCertData", Ty::Str),
        ("tlsClientCertKey", Ty::Str),
        ("githubAppPrivateKey", Ty::Str),
        ("githubAppID", Ty::I64),
        ("githubAppInstallationID", Ty::I64),
        ("githubAppEnterpriseBaseUrl", Ty::Str),
        ("enableOCI", Ty::Bool),
        ("type", Ty::Str),
        ("name", Ty::Str),
    ],
};

/// `hrepocredsRepoCredsCreateRequest`: body of `POST …/repocreds`.
pub static CREATE_REQUEST: Msg = Msg {
    name: "hrepocredsRepoCredsCreateRequest",
    fields: &[("creds", Ty::Msg(&REPO_CREDS)), ("upsert", Ty::Bool)],
};

/// `hrepocredsRepoCredsUpdateRequest`: body of `PUT …/repocreds/{identifier}`.
pub static UPDATE_REQUEST: Msg = Msg {
    name: "hrepocredsRepoCredsUpdateRequest",
    fields: &[
        ("creds", Ty::Msg(&REPO_CREDS)),
        ("updateMask", Ty::Msg(&FIELD_MASK)),
    ],
};

/// `hrepocredsRepoCredsQuery`: body of `POST …/repocreds/get`.
pub static QUERY: Msg = Msg {
    name: "hrepocredsRepoCredsQuery",
    fields: &[("url", Ty::Str), ("repoCredsType", Ty::Str)],
};

/// `v1RepositoryCredentialsQuery`: body of `POST /api/v1/repocreds` (the list).
pub static LIST_QUERY: Msg = Msg {
    name: "v1RepositoryCredentialsQuery",
    fields: &[
        ("accountIdentifier", Ty::Str),
        ("orgIdentifier", Ty::Str),
        ("projectIdentifier", Ty::Str),
        ("agentIdentifier", Ty::Str),
        ("identifier", Ty::Str),
        ("searchTerm", Ty::Str),
        ("pageSize", Ty::I32),
        ("pageIndex", Ty::I32),
        ("filter", Ty::Struct),
    ],
};

const TYPES: &[&str] = &["git", "helm", "oci"];

/// A stored template: the `hrepocredsRepoCreds` object (secrets in clear).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoCredsEntry {
    pub key: Key,
    pub creds: Map<String, Value>,
    pub created_at: Ts,
    pub last_modified_at: Ts,
}

/// The `servicev1RepositoryCredentials` of an entry; secrets masked unless `clear`.
pub fn render(e: &RepoCredsEntry, clear: bool) -> Value {
    let mut out = envelope(&e.key, "identifier", e.created_at, e.last_modified_at);
    let mut creds = e.creds.clone();
    if !clear {
        mask(&mut creds, REPO_SECRETS);
    }
    out.insert("repoCreds".into(), Value::Object(creds));
    Value::Object(out)
}

fn set(obj: &Map<String, Value>, k: &str) -> bool {
    match obj.get(k) {
        Some(Value::String(s)) => !s.is_empty() && s != "0",
        Some(Value::Bool(b)) => *b,
        Some(_) => true,
        None => false,
    }
}

/// Keys of a repository object that are credentials of its own.
const OWN_CREDENTIALS: &[&str] = &[
    "username",
    "password",
    "sshPrivateKey",
    "tlsClientCertData",
    "tlsClientCertKey",
    "githubAppPrivateKey",
    "githubAppID",
    "githubAppInstallationID",
];

/// Whether a template holds one complete authentication method (the convention above).
pub fn works(creds: &Map<String, Value>) -> bool {
    (set(creds, "username") && set(creds, "password"))
        || set(creds, "sshPrivateKey")
        || (set(creds, "tlsClientCertData") && set(creds, "tlsClientCertKey"))
        || (set(creds, "githubAppPrivateKey")
            && set(creds, "githubAppID")
            && set(creds, "githubAppInstallationID"))
}

fn type_of(obj: &Map<String, Value>) -> &str {
    match str_of(obj, "type") {
        "" => "git",
        t => t,
    }
}

/// The template a URL of type `ty` on `key`'s Argo CD instance would use: the longest URL
/// prefix (case-insensitive).
pub fn matching<'s>(
    state: &'s State,
    key: &Key,
    url: &str,
    ty: &str,
) -> Option<&'s RepoCredsEntry> {
    let url = url.to_ascii_lowercase();
    state
        .repo_creds
        .values()
        .filter(|c| c.key.instance() == key.instance() && type_of(&c.creds) == ty)
        .filter(|c| {
            let prefix = str_of(&c.creds, "url").to_ascii_lowercase();
            !prefix.is_empty() && url.starts_with(&prefix)
        })
        .max_by_key(|c| str_of(&c.creds, "url").len())
}

/// For a repository object on `key`: `Some(template)` when it has no credentials of its own
/// and a template matches its URL.
pub fn inherited<'s>(
    state: &'s State,
    key: &Key,
    repo: &Map<String, Value>,
) -> Option<&'s RepoCredsEntry> {
    if OWN_CREDENTIALS.iter().any(|k| set(repo, k)) {
        return None;
    }
    matching(state, key, str_of(repo, "repo"), type_of(repo))
}

/// The connection state of a repository that inherits `template`'s credentials.
pub fn inherited_connection(url: &str, template: &RepoCredsEntry, at: Ts) -> Value {
    let by_host = agent::repo_connection(url, at);
    if by_host["status"] != "Successful" || works(&template.creds) {
        return by_host;
    }
    json!({
        "status": "Failed",
        "message": format!(
            "Unable to connect to repository: authentication required: the credential template \
             \"{}\" for {} holds no complete credentials",
            template.key.id,
            str_of(&template.creds, "url")
        ),
        "attemptedAt": at.v1_time(),
    })
}

fn creds_from_body(body: &Map<String, Value>) -> ApiResult<Map<String, Value>> {
    let mut creds = match body.get("creds") {
        Some(Value::Object(c)) => c.clone(),
        _ => {
            return Err(ApiError::invalid(
                "field \"creds\" is required: send the template as {\"creds\": {\"url\": \"<prefix>\", ...}}",
            ))
        }
    };
    if str_of(&creds, "url").is_empty() {
        return Err(ApiError::invalid(
            "field \"creds.url\" (the URL prefix) is required",
        ));
    }
    let ty = str_of(&creds, "type");
    if ty.is_empty() {
        creds.insert("type".into(), json!("git"));
    } else if !TYPES.contains(&ty) {
        return Err(ApiError::invalid(format!(
            "invalid value for field \"creds.type\": \"{ty}\" is not one of {}",
            TYPES.join(", ")
        )));
    }
    Ok(creds)
}

/// Argo CD keys templates by URL inside one instance.
fn check_unique(state: &State, key: &Key, creds: &Map<String, Value>) -> ApiResult<()> {
    let url = str_of(creds, "url");
    let clash = state.repo_creds.values().find(|e| {
        e.key != *key && e.key.instance() == key.instance() && str_of(&e.creds, "url") == url
    });
    match clash {
        Some(e) => Err(taken("repository credentials", url, key, &e.key)),
        None => Ok(()),
    }
}

/// `POST …/repocreds?identifier=` (CreateRepositoryCredentials).
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let id = req.query.str("identifier").to_string();
    check_identifier("query parameter identifier", &id)?;
    let body = check_msg(&req.body, &CREATE_REQUEST, "")?;
    let mut creds = creds_from_body(&body)?;
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let key = req.key(&id);
    let now = req.now;
    let entry = ctx
        .store
        .write(|s| {
            let old = s.repo_creds.get(&key);
            if old.is_some() && !upsert {
                return Err(already_exists("repository credentials", &key));
            }
            keep_masked(&mut creds, old.map(|e| &e.creds), REPO_SECRETS);
            check_unique(s, &key, &creds)?;
            let entry = RepoCredsEntry {
                key: key.clone(),
                creds,
                created_at: old.map_or(now, |e| e.created_at),
                last_modified_at: now,
            };
            s.repo_creds.insert(key.clone(), entry.clone());
            Ok(entry)
        })
        .await?;
    req.applied(ctx);
    Ok(render(&entry, false))
}

/// `GET …/repocreds/{identifier}` (GetRepositoryCredentials); `query.url` and
/// `query.repoCredsType` are accepted and change nothing.
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .read(|s| s.repo_creds.get(&key).map(|e| render(e, false)))
        .await
        .ok_or_else(|| not_found("repository credentials", &key))
}

/// `POST …/repocreds/get` (GetCredentialsForRepositoryUrl): the template a repository at
/// `url` would use.
pub async fn for_url(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &QUERY, "")?;
    let url = str_of(&body, "url").to_string();
    if url.is_empty() {
        return Err(ApiError::invalid("field \"url\" is required"));
    }
    let ty = match str_of(&body, "repoCredsType") {
        "" => "git".to_string(),
        t => t.to_string(),
    };
    let key = req.key("");
    ctx.store
        .read(|s| matching(s, &key, &url, &ty).map(|e| render(e, false)))
        .await
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no repository credentials on agent \"{}\" match {url}",
                key.agent
            ))
        })
}

/// `PUT …/repocreds/{identifier}` (UpdateRepositoryCredentials): replaces the template; its
/// URL cannot change (Argo CD keys templates by URL).
pub async fn update(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    let body = check_msg(&req.body, &UPDATE_REQUEST, "")?;
    let mut creds = creds_from_body(&body)?;
    let now = req.now;
    let entry = ctx
        .store
        .write(|s| {
            let old = s
                .repo_creds
                .get(&key)
                .ok_or_else(|| not_found("repository credentials", &key))?;
            let (was, now_url) = (str_of(&old.creds, "url"), str_of(&creds, "url"));
            if was != now_url {
                return Err(ApiError::invalid(format!(
                    "the URL of repository credentials \"{}\" cannot change (is {was}, request has {now_url}); \
                     delete them and create new ones",
                    key.id
                )));
            }
            keep_masked(&mut creds, Some(&old.creds), REPO_SECRETS);
            let entry = RepoCredsEntry {
                creds,
                last_modified_at: now,
                ..old.clone()
            };
            s.repo_creds.insert(key.clone(), entry.clone());
            Ok(entry)
        })
        .await?;
    req.applied(ctx);
    Ok(render(&entry, false))
}

/// `DELETE …/repocreds/{identifier}` (DeleteRepositoryCredentials): answers
/// `hrepocredsRepoCredsResponse` (`{}`).
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .write(|s| {
            s.repo_creds
                .remove(&key)
                .map(|_| ())
                .ok_or_else(|| not_found("repository credentials", &key))
        })
        .await?;
    req.applied(ctx);
    Ok(json!({}))
}

/// `POST /api/v1/repocreds` (ListRepositoryCredentials): the templates of the scope in the
/// body (which must agree with the query's), optionally of one agent, filtered by
/// `identifier` and `searchTerm` (in the identifier or URL), one page at a time
/// (`pageSize` default 50, `pageIndex` from 0), as `servicev1RepositoryCredentialsList`.
/// `filter` is accepted and changes nothing.
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &LIST_QUERY, "")?;
    for (field, query) in [
        ("accountIdentifier", &req.scope.account),
        ("orgIdentifier", &req.scope.org),
        ("projectIdentifier", &req.scope.project),
    ] {
        let given = str_of(&body, field);
        if !given.is_empty() && given != query.as_str() {
            return Err(ApiError::invalid(format!(
                "field \"{field}\" ({given}) differs from the query parameter ({query})"
            )));
        }
    }
    let agent = str_of(&body, "agentIdentifier").to_string();
    let id = str_of(&body, "identifier").to_string();
    let search = str_of(&body, "searchTerm").to_ascii_lowercase();
    let int = |k: &str| body.get(k).and_then(Value::as_i64);
    let size = int("pageSize").filter(|n| *n > 0).unwrap_or(50) as usize;
    let index = int("pageIndex").filter(|n| *n >= 0).unwrap_or(0) as usize;
    let all: Vec<Value> = ctx
        .store
        .read(|s| {
            s.repo_creds
                .values()
                .filter(|e| e.key.scope == req.scope)
                .filter(|e| agent.is_empty() || e.key.agent == agent)
                .filter(|e| id.is_empty() || e.key.id == id)
                .filter(|e| {
                    search.is_empty()
                        || e.key.id.to_ascii_lowercase().contains(&search)
                        || str_of(&e.creds, "url")
                            .to_ascii_lowercase()
                            .contains(&search)
                })
                .map(|e| render(e, false))
                .collect()
        })
        .await;
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(index * size).take(size).collect();
    let mut out = Map::new();
    if !page.is_empty() {
        out.insert("pageItemCount".into(), json!(page.len()));
        out.insert("content".into(), Value::Array(page));
    } else {
        out.insert("empty".into(), json!(true));
    }
    if total > 0 {
        out.insert("totalItems".into(), json!(total));
        out.insert("totalPages".into(), json!(total.div_ceil(size)));
    }
    out.insert("pageSize".into(), json!(size));
    if index > 0 {
        out.insert("pageIndex".into(), json!(index));
    }
    Ok(Value::Object(out))
}
