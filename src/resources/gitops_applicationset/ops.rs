//! Create, read, update, delete and import; the wait for the generated applications.
//!
//! The wait knows which applications the set makes from the API's dry run (`generate`), or,
//! when that fails, from the set's status; it observes them through the application's
//! shared poll (`app_watch`: one request per scope and round for every application any
//! resource of this provider process waits for) and judges each as `harness_gitops_application`
//! judges its own (`judge`): after an update, an application whose spec the update changes
//! must show a reconcile newer than the update.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use harness_gitops_client as harness;
use harness_gitops_client::models::{
    Application, ApplicationResponse, ApplicationSetCreateRequest, ApplicationSetGenerateRequest,
    ApplicationSetResponse,
};
use tfplugin::ctx::{Backoff, Interrupt, Poll, WaitError};
use tfplugin::tf::Diagnostics;
use tfplugin::Val;

use super::mapping::{self, to_api};
use super::{AppSet, Template, Wait};
use crate::resources::common::{self, api_error, Scope};
use crate::resources::gitops_application::{self as app, judge, wanted, App, Baseline, Observed};
use crate::resources::Ctx;

/// Polling while waiting for deletion.
const POLL: Backoff = Backoff {
    initial: Duration::from_millis(300),
    max: Duration::from_secs(5),
    factor: 1.5,
};

fn name_of(m: &AppSet) -> &str {
    m.name.as_deref().unwrap_or_default()
}

pub(super) async fn create(ctx: &Ctx, planned: &AppSet, diags: &mut Diagnostics) -> Option<AppSet> {
    let client = &common::client(ctx, "`timeouts.create`", diags)?;
    let scope = planned.scope.api();
    let body = ApplicationSetCreateRequest {
        applicationset: Some(to_api(planned)),
        upsert: Some(planned.upsert.unwrap_or(false)),
        ..Default::default()
    };
    let resp = match client
        .applicationsets()
        .create(&scope, name_of(planned), &body)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            common::create_error(
                diags,
                "Unable to Create GitOps ApplicationSet",
                &e,
                "ApplicationSet",
                planned.id.known().cloned(),
            );
            return common::failed_create_state(&e, planned, "ApplicationSet", diags);
        }
    };
    let resp = after_write(
        ctx,
        client,
        planned,
        resp,
        BTreeMap::new(),
        "created",
        diags,
    )
    .await;
    Some(mapping::from_api(&resp, planned))
}

/// The set of `m`: by its identifier, or by name when the state has none (a create whose
/// outcome was unknown).
async fn get(
    client: &harness::Client,
    m: &AppSet,
) -> Result<Option<ApplicationSetResponse>, harness::Error> {
    let scope = m.scope.api();
    match m.identifier.non_empty() {
        Some(id) => client.applicationsets().get_opt(&scope, id).await,
        None => client.applicationsets().find(&scope, name_of(m)).await,
    }
}

pub(super) async fn read(ctx: &Ctx, current: &AppSet, diags: &mut Diagnostics) -> Option<AppSet> {
    let client = &common::client(ctx, "`timeouts.read`", diags)?;
    match get(client, current).await {
        Ok(Some(resp)) => Some(mapping::from_api(&resp, current)),
        Ok(None) => None,
        Err(e) => {
            api_error(diags, "Unable to Read GitOps ApplicationSet", &e);
            None
        }
    }
}

pub(super) async fn update(
    ctx: &Ctx,
    prior: &AppSet,
    planned: &AppSet,
    diags: &mut Diagnostics,
) -> Option<AppSet> {
    let client = &common::client(ctx, "`timeouts.update`", diags)?;
    let scope = planned.scope.api();
    // What the applications were before the change: the wait after it needs a newer
    // reconcile of each application the change touches.
    let before = if planned.wait.is_known() {
        match client.applications().list(&scope).await {
            Ok(l) => l
                .items
                .unwrap_or_default()
                .into_iter()
                .filter_map(|a| {
                    let n = a.metadata.as_ref()?.name.clone()?;
                    Some((n, a))
                })
                .collect(),
            Err(e) => {
                api_error(diags, "Unable to Update GitOps ApplicationSet", &e);
                return None;
            }
        }
    } else {
        BTreeMap::new()
    };
    // Harness names the set by the body's `metadata.name`.
    let body = ApplicationSetCreateRequest {
        applicationset: Some(to_api(planned)),
        ..Default::default()
    };
    let resp = match client
        .applicationsets()
        .update(&scope, name_of(planned), &body)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            api_error(diags, "Unable to Update GitOps ApplicationSet", &e);
            return None;
        }
    };
    let mut keyed = planned.clone();
    if keyed.identifier.is_unknown() || keyed.identifier.is_null() {
        keyed.identifier = prior.identifier.clone();
    }
    let resp = after_write(ctx, client, &keyed, resp, before, "updated", diags).await;
    Some(mapping::from_api(&resp, &keyed))
}

pub(super) async fn delete(ctx: &Ctx, prior: &AppSet, diags: &mut Diagnostics) {
    let Some(client) = &common::client(ctx, "`timeouts.delete`", diags) else {
        return;
    };
    let scope = prior.scope.api();
    let found = match get(client, prior).await {
        Ok(f) => f,
        Err(e) => {
            api_error(diags, "Unable to Delete GitOps ApplicationSet", &e);
            return;
        }
    };
    let Some(found) = found else { return };
    let Some(id) = found.identifier.clone().filter(|i| !i.is_empty()) else {
        diags.error(
            "Unable to Delete GitOps ApplicationSet",
            "Harness answered the ApplicationSet without its identifier.",
        );
        return;
    };
    // The applications it made (the status, and what the state last saw).
    let mut generated: Vec<String> = mapping::applications_of(&found)
        .iter()
        .filter_map(|a| a.name.known().cloned())
        .collect();
    if let Val::Known(apps) = &prior.applications {
        generated.extend(apps.iter().filter_map(|a| a.name.known().cloned()));
    }
    generated.sort();
    generated.dedup();
    // With `preserve_resources_on_deletion` what the applications deployed stays, and the
    // applications may too (no longer owned): only the set's own deletion is waited for.
    let preserved = matches!(&prior.sync_policy, Val::Known(p)
        if p.preserve_resources_on_deletion.known() == Some(&true));
    if preserved {
        generated.clear();
    }
    if let Err(e) = client.applicationsets().delete(&scope, &id).await {
        api_error(diags, "Unable to Delete GitOps ApplicationSet", &e);
        return;
    }
    // Argo CD deletes the generated applications after the set: wait until the set and
    // they are gone, so that a new set of the same name (or applications of the same names)
    // cannot collide with them.
    let gone = ctx
        .wait_for(POLL, || async {
            if client
                .applicationsets()
                .get_opt(&scope, &id)
                .await?
                .is_some()
            {
                return Ok(Poll::Pending(vec![prior
                    .name
                    .as_deref()
                    .unwrap_or_default()
                    .to_string()]));
            }
            if generated.is_empty() {
                return Ok(Poll::Ready(vec![]));
            }
            let left: Vec<String> = client
                .applications()
                .list(&scope)
                .await?
                .items
                .unwrap_or_default()
                .iter()
                .filter_map(|a| a.metadata.as_ref()?.name.clone())
                .filter(|n| generated.binary_search(n).is_ok())
                .collect();
            Ok::<_, harness::Error>(if left.is_empty() {
                Poll::Ready(left)
            } else {
                Poll::Pending(left)
            })
        })
        .await;
    match gone {
        Ok(_) => {}
        Err(WaitError::Poll(_, e)) => {
            api_error(diags, "Unable to Confirm GitOps ApplicationSet Deletion", &e)
        }
        Err(WaitError::Interrupted(left, why)) => diags.error(
            "GitOps ApplicationSet Still Being Deleted",
            format!(
                "The delete of ApplicationSet {:?} was accepted, but {} still exist(s): {why}. Argo CD is \
                 deleting the generated applications; run destroy again or raise `timeouts.delete`.",
                name_of(prior),
                left.map(|l| l.join(", ")).unwrap_or_else(|| "it".into())
            ),
        ),
        Err(WaitError::Failed(_, why)) => diags.error("GitOps ApplicationSet Still Being Deleted", why),
    }
}

pub(super) async fn import(ctx: &Ctx, id: &str, diags: &mut Diagnostics) -> Option<AppSet> {
    let sid = common::parse_project_import(id, "ApplicationSet", diags)?;
    let client = &common::client(ctx, "the import's read deadline", diags)?;
    let stub = AppSet {
        name: Val::Known(sid.identifier.clone()),
        scope: Scope::of_import(&sid),
        ..Default::default()
    };
    let scope = stub.scope.api();
    let found = match client.applicationsets().find(&scope, &sid.identifier).await {
        Ok(Some(r)) => Ok(Some(r)),
        // The last part may be Harness's identifier (UUID) rather than the name.
        Ok(None) => {
            client
                .applicationsets()
                .get_opt(&scope, &sid.identifier)
                .await
        }
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(resp)) => {
            let mut stub = stub;
            if let Some(n) = resp
                .appset
                .as_ref()
                .and_then(|a| a.metadata.as_ref())
                .and_then(|m| m.name.clone())
            {
                stub.name = Val::Known(n);
            }
            Some(mapping::from_api(&resp, &stub))
        }
        Ok(None) => {
            diags.error(
                "Cannot Import Non-Existent ApplicationSet",
                format!("No GitOps ApplicationSet {id:?} exists (or the API key cannot see it)."),
            );
            None
        }
        Err(e) => {
            api_error(diags, "Unable to Read GitOps ApplicationSet", &e);
            None
        }
    }
}

/// The data source's lookup: by name.
pub(super) async fn find(
    client: &harness::Client,
    scope: &harness::Scope,
    name: &str,
) -> Result<Option<ApplicationSetResponse>, harness::Error> {
    let Some(found) = client.applicationsets().find(scope, name).await? else {
        return Ok(None);
    };
    match found.identifier.as_deref().filter(|i| !i.is_empty()) {
        Some(id) => Ok(client
            .applicationsets()
            .get_opt(scope, id)
            .await?
            .or(Some(found))),
        None => Ok(Some(found)),
    }
}

// ---- waiting -----------------------------------------------------------------------------

/// An application the wait looks for.
struct Expected {
    name: String,
    namespace: Option<String>,
    /// What it was before an update that changes its spec; `None`: new, or unchanged.
    baseline: Option<Baseline>,
}

/// Whether the spec of `generated` (what the set makes now) differs from `live`'s, read
/// through the application's mapping on both sides (so forms that mean the same are equal).
fn spec_differs(generated: &Application, live: &Application) -> bool {
    let read = |a: &Application, prior: &App| {
        app::from_api(
            &ApplicationResponse {
                app: Some(a.clone()),
                ..Default::default()
            },
            prior,
        )
    };
    let new = read(generated, &App::default());
    let old = read(live, &new);
    let spec = |t: Template| {
        (
            t.argo_project,
            t.destination,
            t.sources,
            t.sync_policy,
            t.ignore_differences,
            t.info,
            t.revision_history_limit,
        )
    };
    spec(Template::of_app(&new)) != spec(Template::of_app(&old))
}

/// The applications the set makes: the API's dry run, else the set's status.
async fn expected(
    client: &harness::Client,
    planned: &AppSet,
    resp: &ApplicationSetResponse,
    before: &BTreeMap<String, Application>,
) -> Vec<Expected> {
    let scope = planned.scope.api();
    let request = ApplicationSetGenerateRequest {
        applicationset: Some(to_api(planned)),
        ..Default::default()
    };
    match client.applicationsets().generate(&scope, &request).await {
        Ok(g) => g
            .applications
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| {
                let meta = a.metadata.as_ref()?;
                let name = meta.name.clone()?;
                let baseline =
                    before
                        .get(&name)
                        .filter(|live| spec_differs(&a, live))
                        .map(|live| {
                            Baseline::of(&ApplicationResponse {
                                app: Some(live.clone()),
                                ..Default::default()
                            })
                        });
                Some(Expected {
                    namespace: meta.namespace.clone().filter(|n| !n.is_empty()),
                    name,
                    baseline,
                })
            })
            .collect(),
        Err(e) => {
            tracing::info!(error = %e, "the ApplicationSet dry run failed; waiting for the applications its status lists");
            mapping::applications_of(resp)
                .into_iter()
                .filter_map(|a| {
                    Some(Expected {
                        name: a.name.known()?.clone(),
                        namespace: a.namespace.known().cloned(),
                        baseline: None,
                    })
                })
                .collect()
        }
    }
}

/// What one round of the wait saw: each expected application as last observed.
#[derive(Clone, Default)]
struct Seen {
    apps: Vec<(String, Option<Application>)>,
}

impl Seen {
    fn describe(&self, wait: &Wait) -> String {
        let waiting: Vec<String> = self
            .apps
            .iter()
            .filter_map(|(name, a)| match a {
                None => Some(format!("{name} (not created yet)")),
                Some(a) => {
                    let r = ApplicationResponse {
                        app: Some(a.clone()),
                        ..Default::default()
                    };
                    let o = Observed::of(&r);
                    match judge(&o, wait, None) {
                        Ok(true) => None,
                        _ => Some(format!("{name} ({})", o.describe())),
                    }
                }
            })
            .collect();
        if waiting.is_empty() {
            "every application reached it".into()
        } else {
            waiting.join("; ")
        }
    }
}

/// After a create, or an update: waits when asked to, until every generated application is
/// what `wait` asks for. Returns the set as read at the end (its status lists the
/// applications); failures are diagnostics (the caller still records the set).
async fn after_write(
    ctx: &Ctx,
    client: &harness::Client,
    planned: &AppSet,
    resp: ApplicationSetResponse,
    before: BTreeMap<String, Application>,
    what: &str,
    diags: &mut Diagnostics,
) -> ApplicationSetResponse {
    let Val::Known(wait) = &planned.wait else {
        return resp;
    };
    let scope = planned.scope.api();
    let mut planned = planned.clone();
    if let Some(id) = resp.identifier.clone() {
        planned.identifier = Val::Known(id);
    }
    let expected = expected(client, &planned, &resp, &before).await;
    // One shared poll per scope and round (app_watch): each call waits for the next round.
    let waits: Vec<_> = expected
        .iter()
        .map(|e| {
            tokio::sync::Mutex::new((
                ctx.provider
                    .app_watch
                    .wait(client, &scope, &e.name, e.namespace.as_deref()),
                0u64,
            ))
        })
        .collect();
    let shared = Backoff {
        initial: Duration::ZERO,
        max: Duration::ZERO,
        factor: 1.0,
    };
    let outcome = ctx
        .wait_for(shared, || async {
            let mut seen = Seen::default();
            let mut all = true;
            for (e, w) in expected.iter().zip(&waits) {
                let mut w = w.lock().await;
                let last = w.1;
                let (number, found) = w.0.next(last).await?;
                w.1 = number;
                drop(w);
                let Some(a) = found else {
                    all = false;
                    seen.apps.push((e.name.clone(), None));
                    continue;
                };
                let o = Observed::of(&ApplicationResponse {
                    app: Some(a.clone()),
                    ..Default::default()
                });
                match judge(&o, wait, e.baseline.as_ref()) {
                    Ok(true) => {}
                    Ok(false) => all = false,
                    Err(message) => {
                        seen.apps.push((e.name.clone(), Some(a)));
                        return Ok(Poll::Failed(
                            seen,
                            format!("application {:?}: {message}", e.name),
                        ));
                    }
                }
                seen.apps.push((e.name.clone(), Some(a)));
            }
            Ok::<_, Arc<harness::Error>>(if all {
                Poll::Ready(seen)
            } else {
                Poll::Pending(seen)
            })
        })
        .await;
    drop(waits);
    let recorded = if what == "created" {
        "It is recorded in state, marked tainted: the next apply replaces it."
    } else {
        "It is recorded in state with its new configuration."
    };
    match outcome {
        Ok(_) => {}
        Err(WaitError::Failed(_, message)) => diags.error(
            "GitOps ApplicationSet Application Sync Failed",
            format!(
                "The ApplicationSet was {what}, but Argo CD could not sync a generated {message}\n\n{recorded} Fix \
                 the template or the sources and apply again."
            ),
        ),
        Err(WaitError::Interrupted(last, why)) => {
            let seen = last.unwrap_or_default().describe(wait);
            match why {
                Interrupt::Stopped => diags.error(
                    "Wait For GitOps ApplicationSet Interrupted",
                    format!(
                        "The ApplicationSet was {what}; Terraform was interrupted while waiting for its applications \
                         (still waiting for: {seen}). Argo CD goes on syncing them. {recorded}"
                    ),
                ),
                Interrupt::DeadlineExceeded => diags.error(
                    "Timed Out Waiting For GitOps ApplicationSet",
                    format!(
                        "The ApplicationSet was {what}, but its applications did not all become {} in time (still \
                         waiting for: {seen}). {recorded} Raise `timeouts` if syncing takes longer.",
                        wanted(wait)
                    ),
                ),
            }
        }
        Err(WaitError::Poll(_, e)) => diags.error(
            "Unable to Read GitOps Applications",
            format!(
                "The ApplicationSet was {what}, but reading its applications while waiting failed: {e}\n\n{recorded}"
            ),
        ),
    }
    // The set as it is now: its status lists the applications with their status.
    match get(client, &planned).await {
        Ok(Some(now)) => now,
        _ => resp,
    }
}
