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
    /// Names waited for, with how many waits each (the same name can wait twice).
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
                        target: Some(self.registration.name.clone()),
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
    pub fn wait(&self, client: &Client, scope: &Scope, name: &str) -> Waiting {
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
            [only] => match client.applications().get_opt(&scope, only).await {
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
                    apps: Arc::new(
                        list.items
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(|a| {
                                let n = a.metadata.as_ref()?.name.clone()?;
                                names.binary_search(&n).is_ok().then_some((n, a))
                            })
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
        };
        let _ = watch.rounds.send(round);
        delay = Duration::from_secs_f64((delay.as_secs_f64() * FACTOR).min(LONGEST.as_secs_f64()));
    }
}
