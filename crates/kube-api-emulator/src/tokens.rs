//! The legacy service-account token controller.
//!
//! For a Secret of type `kubernetes.io/service-account-token` whose annotation
//! `kubernetes.io/service-account.name` names a ServiceAccount, after `--token-delay` the
//! controller (as kube-controller-manager's tokens controller does):
//! * if that ServiceAccount does not exist in the Secret's namespace (or its UID differs from
//!   the Secret's `kubernetes.io/service-account.uid` annotation), deletes the Secret;
//! * otherwise fills what is missing: `data.token` (a new random token, only if empty),
//!   `data["ca.crt"]` (the emulator CA in PEM, replaced if different), `data.namespace`, and
//!   sets the annotations `kubernetes.io/service-account.name` and `.uid`. The update moves
//!   the resourceVersion.
//!
//! Deleting a ServiceAccount deletes its token Secrets (done synchronously by the delete
//! handler; the real controller does it shortly after).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::app::App;
use crate::resources::{SECRETS, SERVICE_ACCOUNTS};
use crate::store::Store;
use crate::util::{annotation, b64, meta_mut, meta_str};
use crate::validate::{secret_data, SA_NAME_ANNOTATION, SA_TOKEN_TYPE, SA_UID_ANNOTATION};

/// A token Secret to look at.
#[derive(Debug, Clone)]
pub struct TokenJob {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl TokenJob {
    pub fn for_secret(secret: &Value) -> Self {
        Self {
            namespace: meta_str(secret, "namespace").to_owned(),
            name: meta_str(secret, "name").to_owned(),
            uid: meta_str(secret, "uid").to_owned(),
        }
    }
}

/// Runs the job after the token delay, on the current runtime.
pub fn schedule(app: Arc<App>, job: TokenJob) {
    tokio::spawn(async move {
        tokio::time::sleep(app.token_delay).await;
        sync(&app, &job);
    });
}

/// Jobs for every token Secret (at start, so a restart finishes pending work).
pub fn pending(store: &Store) -> Vec<TokenJob> {
    store
        .list(&SECRETS, None)
        .filter(|s| s.get("type").and_then(Value::as_str) == Some(SA_TOKEN_TYPE))
        .map(TokenJob::for_secret)
        .collect()
}

/// One controller pass over a Secret.
pub fn sync(app: &App, job: &TokenJob) {
    let mut store = app.store();
    let Some(secret) = store.get(&SECRETS, &job.namespace, &job.name).cloned() else {
        return;
    };
    if meta_str(&secret, "uid") != job.uid
        || secret.get("type").and_then(Value::as_str) != Some(SA_TOKEN_TYPE)
    {
        return;
    }
    let sa_name = annotation(&secret, SA_NAME_ANNOTATION)
        .unwrap_or("")
        .to_owned();
    if sa_name.is_empty() {
        return;
    }
    let want_uid = annotation(&secret, SA_UID_ANNOTATION)
        .unwrap_or("")
        .to_owned();
    let sa = store
        .get(&SERVICE_ACCOUNTS, &job.namespace, &sa_name)
        .filter(|sa| want_uid.is_empty() || meta_str(sa, "uid") == want_uid)
        .cloned();
    let Some(sa) = sa else {
        store.remove(&SECRETS, &job.namespace, &job.name);
        if app.log_requests {
            eprintln!(
                "kube-api-emulator: token controller: deleted secret {}/{}: service account {sa_name:?} does not exist",
                job.namespace, job.name
            );
        }
        let _ = app.persist(&store);
        return;
    };
    let ca_b64 = b64(store.ca.cert_pem.as_bytes());
    let needs_token = secret_data(&secret, "token").is_none_or(|t| t.is_empty());
    let needs_ca = secret
        .get("data")
        .and_then(|d| d.get("ca.crt"))
        .and_then(Value::as_str)
        != Some(ca_b64.as_str());
    let needs_ns = secret_data(&secret, "namespace").is_none_or(|t| t.is_empty());
    if !needs_token && !needs_ca && !needs_ns {
        return;
    }
    let mut updated = secret.clone();
    if !updated.get("data").is_some_and(Value::is_object) {
        updated["data"] = json!({});
    }
    if needs_ca {
        updated["data"]["ca.crt"] = json!(ca_b64);
    }
    if needs_ns {
        updated["data"]["namespace"] = json!(b64(job.namespace.as_bytes()));
    }
    let mut issued = None;
    if needs_token {
        let token = crate::util::new_token();
        updated["data"]["token"] = json!(b64(token.as_bytes()));
        issued = Some(token);
    }
    {
        let meta = meta_mut(&mut updated);
        let ann = meta.entry("annotations").or_insert_with(|| json!({}));
        ann[SA_NAME_ANNOTATION] = json!(sa_name);
        ann[SA_UID_ANNOTATION] = json!(meta_str(&sa, "uid"));
    }
    if let Some(token) = issued {
        store.issued_tokens.insert(job.uid.clone(), token);
    }
    store.put(&SECRETS, updated);
    let _ = app.persist(&store);
}
