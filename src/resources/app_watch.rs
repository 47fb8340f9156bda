//! Waiting for many applications at once. Every application a provider process waits for
//! (Terraform applies many at a time, all through one provider process) is observed through
//! one poll per scope and round, shared by all of them: a list call when several wait in the
//! same scope (one agent, org and project), a GET when only one does. Rounds start fast and
//! back off while the waits go on, and start fast again when a new wait joins.
//!
//! Compared with every waiter polling its own GET with its own backoff, this turns
//! `waiters × polls` requests into `polls` per scope: at `-parallelism=50`, fifty applications
//! waiting out the same sync cost the API one list call per round instead of fifty GETs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness_gitops_client::models::Application;
use harness_gitops_client::{Client, Error, Scope};
use tokio::sync::watch;

/// The first round's delay after a wait joins, and how rounds back off.
const FIRST: Duration = Duration::from_millis(300);
const FACTOR: f64 = 1.5;
const LONGEST: Duration = Duration::from_secs(5);

/// What one round saw.
#[derive(Clone, Default)]
struct Round {
    number: u64,
    /// Applications by name (only those seen; a covered name that is absent is a deleted
    /// application).
    apps: Arc<HashMap<String, Application>>,
    /// The names this round looked for: a wait that joined after the round started waits
    /// for the next one.
    covered: Arc<Vec<String>>,
    /// The round failed: every waiter gets the error.
    error: Option<Arc<Error>>,
}

/// The waits of one scope.
struct ScopeWatch {
    /// Keys (`namespace/name`, [`watch_key`]) waited for, with how many waits each (the same
    /// application can wait twice).
    waiting: Mutex<BTreeMap<String, usize>>,
    rounds: watch::Sender<Round>,
    /// Wakes the poller early: a new wait joined.
    joined: tokio::sync::Notify,
}

/// The shared observer; one per configured provider.
#[derive(Default)]
pub struct Watcher {
    scopes: Mutex<HashMap<Scope, Arc<ScopeWatch>>>,
}

/// One application waited for. Dropping it ends the wait (also when the waiting future is
/// cancelled).
pub struct Waiting {
    registration: Registration,
    rounds: watch::Receiver<Round>,
    agent: String,
}

impl Waiting {
    /// Waits for the first round after round `after` and returns its number and the
    /// application (`None`: it does not exist).
    ///
    /// # Errors
    /// The error of that round's API call.
    pub async fn next(&mut self, after: u64) -> Result<(u64, Option<Application>), Arc<Error>> {
        loop {
            {
                let round = self.rounds.borrow_and_update();
                let covered = round.covered.binary_search(&self.registration.name).is_ok();
                if round.number > after && covered {
                    if let Some(e) = &round.error {
                        return Err(e.clone());
                    }
                    return Ok((
                        round.number,
                        round.apps.get(&self.registration.name).cloned(),
                    ));
                }
            }
            if self.rounds.changed().await.is_err() {
                // The sender lives as long as the scope's watch, which this wait holds: this
                // cannot happen, but if it did, say so rather than spin.
                return Err(Arc::new(Error::Cancelled {
                    operation: Box::new(harness_gitops_client::Operation {
                        action: "watch",
                        kind: "application",
                        target: Some(split_key(&self.registration.name).1.to_string()),
                        agent: self.agent.clone(),
                    }),
                }));
            }
        }
    }
}

/// Removes a wait when dropped.
struct Registration {
    watch: Arc<ScopeWatch>,
    name: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut w = self.watch.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = w.get_mut(&self.name) {
            *n -= 1;
            if *n == 0 {
                w.remove(&self.name);
            }
        }
    }
}

impl Watcher {
    /// Starts waiting for application `name` of `scope`: it is observed in every round until
    /// the returned [`Waiting`] is dropped. A new wait makes the next round come soon.
    /// `namespace` is the application's Kubernetes namespace (Argo CD names an application by
    /// namespace and name); `None` matches any.
    pub fn wait(
        &self,
        client: &Client,
        scope: &Scope,
        name: &str,
        namespace: Option<&str>,
    ) -> Waiting {
        let key = watch_key(name, namespace.filter(|n| !n.is_empty()));
        let name = key.as_str();
        let watch = self.scope(client, scope);
        *watch
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.to_string())
            .or_insert(0) += 1;
        watch.joined.notify_one();
        let rounds = watch.rounds.subscribe();
        Waiting {
            registration: Registration {
                watch,
                name: name.to_string(),
            },
            rounds,
            agent: scope.agent.clone(),
        }
    }

    /// The watch of `scope`, starting its poller if none runs.
    fn scope(&self, client: &Client, scope: &Scope) -> Arc<ScopeWatch> {
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = scopes.get(scope) {
            return w.clone();
        }
        let (tx, _) = watch::channel(Round::default());
        let w = Arc::new(ScopeWatch {
            waiting: Mutex::new(BTreeMap::new()),
            rounds: tx,
            joined: tokio::sync::Notify::new(),
        });
        scopes.insert(scope.clone(), w.clone());
        // The poll serves every wait in the scope, so no one operation's deadline bounds its
        // calls (each wait observes its own deadline).
        tokio::spawn(poll(client.without_deadline(), scope.clone(), w.clone()));
        w
    }
}

/// The key a wait is registered under: `namespace/name` (a Kubernetes name has no `/`), the
/// namespace empty when not known (then any application of that name matches).
fn watch_key(name: &str, namespace: Option<&str>) -> String {
    format!("{}/{name}", namespace.unwrap_or_default())
}

/// The namespace (`None` when empty) and name of a [`watch_key`].
fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('/') {
        Some((ns, name)) => ((!ns.is_empty()).then_some(ns), name),
        None => (None, key),
    }
}

/// The application of the wait `key`, read alone.
async fn get_one(
    client: &Client,
    scope: &Scope,
    key: &str,
) -> Result<Option<harness_gitops_client::models::ApplicationResponse>, Error> {
    let (ns, name) = split_key(key);
    client.applications().get_opt_in(scope, name, ns).await
}

/// The listed applications the waits of `keys` look for, by key.
fn matching(keys: &[String], items: Vec<Application>) -> HashMap<String, Application> {
    keys.iter()
        .filter_map(|k| {
            let (ns, name) = split_key(k);
            let found = items.iter().find(|a| {
                let meta = a.metadata.as_ref();
                meta.and_then(|m| m.name.as_deref()) == Some(name)
                    && ns.is_none_or(|ns| meta.and_then(|m| m.namespace.as_deref()) == Some(ns))
            })?;
            Some((k.clone(), found.clone()))
        })
        .collect()
}

/// Polls `scope` while anything waits in it: one request per round.
async fn poll(client: Client, scope: Scope, watch: Arc<ScopeWatch>) {
    let mut number = 0u64;
    let mut delay = FIRST;
    loop {
        // A round starts after the delay, or at once when a new wait joins.
        let joined = tokio::select! {
            _ = watch.joined.notified() => true,
            _ = tokio::time::sleep(delay) => false,
        };
        if joined {
            // Let the waits that join together share this round.
            tokio::time::sleep(Duration::from_millis(20)).await;
            delay = FIRST;
        }
        let names: Vec<String> = watch
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        if names.is_empty() {
            // Idle until a wait joins (the provider process ends with its command).
            delay = LONGEST;
            continue;
        }
        number += 1;
        let covered = Arc::new(names.clone());
        let round = match names.as_slice() {
            [only] => match get_one(&client, &scope, only).await {
                Ok(found) => Round {
                    number,
                    apps: Arc::new(
                        found
                            .and_then(|r| r.app)
                            .map(|a| (only.clone(), a))
                            .into_iter()
                            .collect(),
                    ),
                    covered,
                    error: None,
                },
                Err(e) => Round {
                    number,
                    apps: Default::default(),
                    covered,
                    error: Some(Arc::new(e)),
                },
            },
            _ => match client.applications().list(&scope).await {
                Ok(list) => Round {
                    number,
                    apps: Arc::new(matching(&names, list.items.unwrap_or_default())),
                    covered,
                    error: None,
                },
                Err(e) => Round {
                    number,
                    apps: Default::default(),
                    covered,
                    error: Some(Arc::new(e)),
                },
            },
        };
        let _ = watch.rounds.send(round);
        delay = Duration::from_secs_f64((delay.as_secs_f64() * FACTOR).min(LONGEST.as_secs_f64()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_gitops_client::models::ObjectMeta;

    fn app(ns: &str, name: &str) -> Application {
        Application {
            metadata: Some(ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_wait_matches_its_namespace_or_any_when_it_names_none() {
        assert_eq!(
            split_key(&watch_key("web", Some("team-a"))),
            (Some("team-a"), "web")
        );
        assert_eq!(split_key(&watch_key("web", None)), (None, "web"));
        let items = vec![
            app("team-a", "web"),
            app("team-b", "web"),
            app("team-a", "db"),
        ];
        let keys = vec![
            watch_key("web", Some("team-b")),
            watch_key("db", None),
            watch_key("db", Some("team-b")),
        ];
        let got = matching(&keys, items);
        assert_eq!(got.len(), 2, "{:?}", got.keys());
        let ns = |k: &str| got[k].metadata.as_ref().unwrap().namespace.clone().unwrap();
        assert_eq!(ns("team-b/web"), "team-b");
        assert_eq!(ns("/db"), "team-a");
        assert!(!got.contains_key("team-b/db"));
    }
}
