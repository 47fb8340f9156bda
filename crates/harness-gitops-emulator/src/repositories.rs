//! Repository operations (`/gitops/api/v1/agents/{agent}/repositories…`).

use serde_json::{json, Map, Value};

use super::agent;
use super::common::{
    already_exists, envelope, keep_masked, list_body, mask, not_found, same_repo_url, str_of,
    taken, SecretField, REPO_SECRETS,
};
use super::error::{ApiError, ApiResult};
use super::http::{ApiRequest, Ctx};
use super::repo_creds;
use super::schema::{REPO_ACCESS_QUERY, REPO_CREATE_REQUEST, REPO_UPDATE_REQUEST};
use super::scope::{check_identifier, Key};
use super::store::{RepoEntry, State};
use super::validate::check_msg;

/// Request fields kept with a repository but not part of the Argo object.
const GENERATOR_FIELDS: &[&str] = &[
    "genType",
    "ecrGen",
    "gcrGen",
    "refreshInterval",
    "credsOnly",
];

/// Fields the agent computes; what a client sends for them is ignored.
const COMPUTED: &[&str] = &["connectionState", "inheritedCreds"];

const TYPES: &[&str] = &["git", "helm", "oci"];

/// The `servicev1Repository` of an entry; secrets masked unless `clear`. `state` gives the
/// credential templates it may inherit ([`repo_creds::inherited`]).
pub fn render(e: &RepoEntry, clear: bool, state: &State) -> Value {
    let mut out = envelope(&e.key, "identifier", e.created_at, e.last_modified_at);
    out.insert("repository".into(), argo_object(e, clear, state));
    if !e.repo_creds_id.is_empty() {
        out.insert("repositoryCredentialsId".into(), json!(e.repo_creds_id));
    }
    Value::Object(out)
}

/// Generator secrets, masked in the admin dump unless `clear`.
const GENERATOR_SECRETS: &[SecretField] = &[
    SecretField {
        path: &["ecrGen", "secretRef", "awsSecretAccessKey"],
        bytes: false,
    },
    SecretField {
        path: &["ecrGen", "secretRef", "awsSessionToken"],
        bytes: false,
    },
    SecretField {
        path: &["gcrGen", "accessKey"],
        bytes: false,
    },
];

/// [`render`] plus the stored generator fields (`genType`, `ecrGen`, `gcrGen`,
/// `refreshInterval`), which the document's responses lack: the admin dump's view.
pub fn render_with_generator(e: &RepoEntry, clear: bool, state: &State) -> Value {
    let mut out = render(e, clear, state);
    let mut generator = e.generator.clone();
    generator.remove("credsOnly");
    if !clear {
        mask(&mut generator, GENERATOR_SECRETS);
    }
    if let Some(m) = out.as_object_mut() {
        m.extend(generator);
    }
    out
}

/// The Argo repository object with its connection state (through an inherited credential
/// template when it has no credentials of its own and one matches).
fn argo_object(e: &RepoEntry, clear: bool, state: &State) -> Value {
    let mut repo = e.repo.clone();
    if !clear {
        mask(&mut repo, REPO_SECRETS);
    }
    let url = str_of(&e.repo, "repo").to_string();
    let state = match repo_creds::inherited(state, &e.key, &e.repo) {
        Some(t) => {
            repo.insert("inheritedCreds".into(), json!(true));
            let at = e.last_modified_at.max(t.last_modified_at);
            repo_creds::inherited_connection(&url, t, at)
        }
        None => agent::repo_connection(&url, e.last_modified_at),
    };
    repo.insert("connectionState".into(), state);
    Value::Object(repo)
}

/// Splits a validated create/update body into the Argo object and the generator fields,
/// and applies the rules every write shares.
fn repo_from_body(
    req: &ApiRequest,
    body: &Map<String, Value>,
) -> ApiResult<(Map<String, Value>, Map<String, Value>)> {
    let mut repo = match body.get("repo") {
        Some(Value::Object(r)) => r.clone(),
        _ => {
            return Err(ApiError::invalid(
                "field \"repo\" is required: send the repository as {\"repo\": {\"repo\": \"<url>\", ...}}",
            ))
        }
    };
    for k in COMPUTED {
        repo.remove(*k);
    }
    if str_of(&repo, "repo").is_empty() {
        return Err(ApiError::invalid(
            "field \"repo.repo\" (the repository URL) is required",
        ));
    }
    let ty = str_of(&repo, "type");
    if ty.is_empty() {
        repo.insert("type".into(), json!("git"));
    } else if !TYPES.contains(&ty) {
        return Err(ApiError::invalid(format!(
            "invalid value for field \"repo.type\": \"{ty}\" is not one of {}",
            TYPES.join(", ")
        )));
    }
    if !str_of(&repo, "project").is_empty() && req.scope.project.is_empty() {
        return Err(ApiError::invalid(
            "project_id is required when creating repo in project, cannot set argocd project for account level repo",
        ));
    }
    let generator = GENERATOR_FIELDS
        .iter()
        .filter_map(|k| body.get(*k).map(|v| ((*k).to_string(), v.clone())))
        .collect();
    Ok((repo, generator))
}

/// Argo CD keys repositories by URL and Argo project inside one agent: a second Harness
/// repository with the same pair on the same agent is refused.
fn check_unique(state: &State, key: &Key, repo: &Map<String, Value>) -> ApiResult<()> {
    let url = str_of(repo, "repo");
    let project = str_of(repo, "project");
    let clash = state.repositories.values().find(|e| {
        e.key != *key
            && e.key.instance() == key.instance()
            && same_repo_url(str_of(&e.repo, "repo"), url)
            && str_of(&e.repo, "project") == project
    });
    match clash {
        Some(e) => Err(taken("repository", url, key, &e.key)),
        None => Ok(()),
    }
}

/// `POST …/repositories?identifier=` (AgentRepositoryService_CreateRepository).
pub async fn create(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let id = req.query.str("identifier").to_string();
    check_identifier("query parameter identifier", &id)?;
    let body = check_msg(&req.body, &REPO_CREATE_REQUEST, "")?;
    let (mut repo, generator) = repo_from_body(&req, &body)?;
    let upsert = body.get("upsert").and_then(Value::as_bool).unwrap_or(false);
    let key = req.key(&id);
    let creds_id = req.query.str("repoCredsId").to_string();
    let now = req.now;
    let entry = ctx
        .store
        .write(|s| {
            let old = s.repositories.get(&key);
            if old.is_some() && !upsert {
                return Err(already_exists("repository", &key));
            }
            keep_masked(&mut repo, old.map(|e| &e.repo), REPO_SECRETS);
            check_unique(s, &key, &repo)?;
            let entry = RepoEntry {
                key: key.clone(),
                repo,
                generator,
                repo_creds_id: creds_id,
                created_at: old.map_or(now, |e| e.created_at),
                last_modified_at: now,
            };
            s.repositories.insert(key.clone(), entry.clone());
            Ok(render(&entry, false, s))
        })
        .await?;
    req.applied(ctx);
    Ok(entry)
}

/// `GET …/repositories/{identifier}` (AgentRepositoryService_Get).
pub async fn get(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    ctx.store
        .read(|s| s.repositories.get(&key).map(|e| render(e, false, s)))
        .await
        .ok_or_else(|| not_found("repository", &key))
}

/// `GET …/repositories` (AgentRepositoryService_ListRepositories): the agent's repositories
/// in exactly the requested scope, as raw Argo objects, filtered by `identifier`,
/// `query.repo` and `query.project` when given.
pub async fn list(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let q = &req.query;
    let items: Vec<Value> = ctx
        .store
        .read(|s| {
            s.repositories
                .values()
                .filter(|e| e.key.scope == req.scope && e.key.agent == req.route.agent)
                .filter(|e| q.admits("identifier", |id| e.key.id == id))
                .filter(|e| q.admits("query.repo", |u| same_repo_url(str_of(&e.repo, "repo"), u)))
                .filter(|e| q.admits("query.project", |p| str_of(&e.repo, "project") == p))
                .map(|e| argo_object(e, false, s))
                .collect()
        })
        .await;
    Ok(list_body(json!({}), items))
}

/// `PUT …/repositories/{identifier}` (AgentRepositoryService_UpdateRepository): replaces the
/// repository object; the URL cannot change (Argo CD keys repositories by URL).
pub async fn update(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    let body = check_msg(&req.body, &REPO_UPDATE_REQUEST, "")?;
    let (mut repo, generator) = repo_from_body(&req, &body)?;
    let now = req.now;
    let entry = ctx
        .store
        .write(|s| {
            let old = s
                .repositories
                .get(&key)
                .ok_or_else(|| not_found("repository", &key))?;
            let (was, now_url) = (str_of(&old.repo, "repo"), str_of(&repo, "repo"));
            if !same_repo_url(was, now_url) {
                return Err(ApiError::invalid(format!(
                    "the URL of repository \"{}\" cannot change (is {was}, request has {now_url}); \
                     delete it and create a new one",
                    key.id
                )));
            }
            keep_masked(&mut repo, Some(&old.repo), REPO_SECRETS);
            check_unique(s, &key, &repo)?;
            let entry = RepoEntry {
                repo,
                generator,
                last_modified_at: now,
                ..old.clone()
            };
            s.repositories.insert(key.clone(), entry.clone());
            Ok(render(&entry, false, s))
        })
        .await?;
    req.applied(ctx);
    Ok(entry)
}

/// How many applications on the repository's agent instance use it: by `repoIdentifier`,
/// `repoIdentifiers` or a source `repoURL` equal to its URL (those being deleted included).
pub fn applications_count(e: &RepoEntry, state: &State) -> usize {
    let url = str_of(&e.repo, "repo");
    state
        .applications
        .values()
        .filter(|a| a.key.instance() == e.key.instance())
        .filter(|a| {
            let spec = a.app.get("spec").unwrap_or(&Value::Null);
            a.repo_id == e.key.id
                || a.repo_ids.contains(&e.key.id)
                || agent::sources(spec).0.iter().any(|s| {
                    same_repo_url(s.get("repoURL").and_then(Value::as_str).unwrap_or(""), url)
                })
        })
        .count()
}

/// `DELETE …/repositories/{identifier}` (AgentRepositoryService_DeleteRepository). Refused
/// (400, code 9, "repository is used by N application(s)", worded as the API's cluster
/// refusal) while applications use it ([`applications_count`]), unless `forceDelete=true`.
pub async fn delete(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let key = req.path_key();
    let force = req.query.bool("forceDelete");
    ctx.store
        .write(|s| {
            let e = s
                .repositories
                .get(&key)
                .ok_or_else(|| not_found("repository", &key))?;
            let users = applications_count(e, s);
            if users > 0 && !force {
                return Err(ApiError::failed_precondition(format!(
                    "repository is used by {users} application(s)"
                )));
            }
            s.repositories.remove(&key);
            Ok(())
        })
        .await?;
    req.applied(ctx);
    Ok(json!({}))
}

/// `POST …/repositories/validate` (AgentRepositoryService_ValidateAccess): the connection
/// state the agent would report for the URL in the body (or, when the body has none, for
/// the repository named by `identifier`).
pub async fn validate(ctx: &Ctx, req: ApiRequest) -> ApiResult<Value> {
    let body = check_msg(&req.body, &REPO_ACCESS_QUERY, "")?;
    let mut url = str_of(&body, "repo").to_string();
    if url.is_empty() {
        let id = req.query.str("identifier");
        if id.is_empty() {
            return Err(ApiError::invalid(
                "field \"repo\" (the repository URL) is required, or name a stored repository with ?identifier=",
            ));
        }
        let key = req.key(id);
        url = ctx
            .store
            .read(|s| {
                s.repositories
                    .get(&key)
                    .map(|e| str_of(&e.repo, "repo").to_string())
            })
            .await
            .ok_or_else(|| not_found("repository", &key))?;
    }
    Ok(agent::repo_connection(&url, req.now))
}
