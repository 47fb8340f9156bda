//! The client against the real emulator binary (`harness-gitops-emulator`) over loopback: CRUD
//! for every kind, error messages for a wrong key / account, and the acceptance check: with
//! 30% of requests faulted (503, 429, dropped connections) and 10% dropped after being applied,
//! a scripted run of 200 create/get/update/delete calls ends with every entity present exactly
//! once (the emulator counts applied creates), with its last update, as its admin dump shows.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use harness_gitops_client::models::*;
use harness_gitops_client::Secret;
use harness_gitops_client::{
    AgentScope, AppQuery, Client, ClientConfig, DeleteOptions, Error, RetryBackoff, Scope,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::support::{ACCOUNT, KEY};

const TEST_LIMIT: Duration = Duration::from_secs(120);

/// An emulator running in this test's runtime (stopped with it).
struct Emulator {
    url: String,
    _running: harness_gitops_emulator::Running,
}

impl Emulator {
    async fn start(extra: &[&str]) -> Emulator {
        let args = [
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--account-id",
            ACCOUNT,
            "--sync-delay",
            "0",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string());
        let config = match harness_gitops_emulator::cli::parse(args) {
            Ok(harness_gitops_emulator::cli::Command::Run(c)) => c,
            Ok(_) => panic!("emulator arguments asked for help"),
            Err(e) => panic!("bad emulator arguments {extra:?}: {e}"),
        };
        let running = harness_gitops_emulator::start(config)
            .await
            .expect("start harness-gitops-emulator");
        let url = running.url();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "emulator must listen on loopback: {url}"
        );
        Emulator {
            url,
            _running: running,
        }
    }

    fn client(&self, max_retries: u32) -> Client {
        let config = ClientConfig {
            endpoint: self.url.clone(),
            account_id: ACCOUNT.into(),
            api_key: Secret::new(KEY),
            request_timeout: Duration::from_secs(60),
            max_retries,
        };
        let backoff = RetryBackoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        };
        Client::with_backoff(config, CancellationToken::new(), backoff).expect("client")
    }

    /// `GET /_emulator/{what}`: the admin API needs the API key.
    async fn admin(&self, what: &str) -> Value {
        let body = reqwest::Client::new()
            .get(format!("{}/_emulator/{what}", self.url))
            .header("x-api-key", KEY)
            .send()
            .await
            .expect("admin request")
            .error_for_status()
            .expect("admin status")
            .text()
            .await
            .expect("admin body");
        serde_json::from_str(&body).expect("admin JSON")
    }

    /// identifier (or name) → how many entities of `kind` carry it, plus the entities
    /// (secrets in clear).
    async fn dump(&self, kind: &str, id_key: &str) -> (BTreeMap<String, usize>, Vec<Value>) {
        let state = self.admin("state?secrets=clear").await;
        let items = state[kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {kind} in dump: {state}"))
            .clone();
        let mut counts = BTreeMap::new();
        for e in &items {
            let id = e[id_key]
                .as_str()
                .unwrap_or_else(|| panic!("{kind} without {id_key}: {e}"));
            *counts.entry(id.to_string()).or_insert(0) += 1;
        }
        (counts, items)
    }
}

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, f)
        .await
        .expect("test exceeded its time limit")
}

fn repository(url: &str, username: &str) -> Repository {
    Repository {
        repo: Some(url.into()),
        connection_type: Some("HTTPS".into()),
        username: Some(username.into()),
        password: Some(Secret::new("pw-in-clear")),
        insecure: Some(false),
        ..Default::default()
    }
}

fn cluster(server: &str, name: &str) -> Cluster {
    Cluster {
        server: Some(server.into()),
        name: Some(name.into()),
        config: Some(ClusterConfig {
            bearer_token: Some(Secret::new("token-in-clear")),
            cluster_connection_type: Some("SERVICE_ACCOUNT".into()),
            tls_client_config: Some(TlsClientConfig {
                insecure: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn application(name: &str, repo_url: &str, path: &str) -> Application {
    Application {
        metadata: Some(ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        }),
        spec: Some(ApplicationSpec {
            project: Some("default".into()),
            source: Some(ApplicationSource {
                repo_url: Some(repo_url.into()),
                path: Some(path.into()),
                target_revision: Some("HEAD".into()),
                ..Default::default()
            }),
            destination: Some(ApplicationDestination {
                server: Some("https://kubernetes.default.svc".into()),
                namespace: Some("apps".into()),
                ..Default::default()
            }),
            sync_policy: Some(SyncPolicy {
                automated: Some(SyncPolicyAutomated {
                    prune: Some(false),
                    self_heal: Some(true),
                    allow_empty: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn repository_crud() {
    bounded(async {
        let emu = Emulator::start(&[]).await;
        let c = emu.client(2);
        let repos = c.repositories();
        let scope = Scope::project("org1", "proj1", "agent1");
        let create = RepositoryCreateRequest {
            repo: Some(repository("https://github.com/o/r1", "alice")),
            upsert: Some(false),
            ..Default::default()
        };
        let created = repos
            .create(&scope, "repo_one", &create)
            .await
            .expect("create");
        assert_eq!(created.identifier.as_deref(), Some("repo_one"));
        let got = repos.get(&scope, "repo_one").await.expect("get");
        let repo = got.repository.expect("repository in get");
        assert_eq!(repo.username.as_deref(), Some("alice"));
        assert_ne!(
            repo.password.as_ref().map(Secret::expose),
            Some("pw-in-clear"),
            "password comes back masked"
        );

        let e = repos.create(&scope, "repo_one", &create).await.unwrap_err();
        assert!(
            e.is_already_exists() && e.to_string().contains("import"),
            "{e}"
        );

        let update = RepositoryUpdateRequest {
            repo: Some(repository("https://github.com/o/r1", "bob")),
            ..Default::default()
        };
        let updated = repos
            .update(&scope, "repo_one", &update)
            .await
            .expect("update");
        assert_eq!(
            updated.repository.and_then(|r| r.username).as_deref(),
            Some("bob")
        );
        let list = repos.list(&scope).await.expect("list");
        assert_eq!(list.items.map(|i| i.len()), Some(1));

        let (_, dump) = emu.dump("repositories", "identifier").await;
        assert_eq!(
            dump[0]["repository"]["password"], "pw-in-clear",
            "the real secret reached the server"
        );

        assert!(repos
            .get_opt(&scope, "missing")
            .await
            .expect("get_opt")
            .is_none());
        repos
            .delete(&scope, "repo_one", DeleteOptions { force_delete: true })
            .await
            .expect("delete");
        assert!(repos
            .get_opt(&scope, "repo_one")
            .await
            .expect("get_opt")
            .is_none());
        let e = repos.get(&scope, "repo_one").await.unwrap_err();
        assert!(e.is_not_found(), "{e}");
        repos
            .delete(&scope, "repo_one", DeleteOptions::default())
            .await
            .expect("deleting a gone repository is fine");
        assert!(emu.dump("repositories", "identifier").await.0.is_empty());
    })
    .await
}

#[tokio::test]
async fn cluster_crud() {
    bounded(async {
        let emu = Emulator::start(&[]).await;
        let c = emu.client(2);
        let clusters = c.clusters();
        let scope = Scope::account("account.agent1");
        let create = ClusterCreateRequest {
            cluster: Some(cluster("https://k8s.example.com", "first")),
            tags: Some(BTreeMap::from([("team".to_string(), "a".to_string())])),
            ..Default::default()
        };
        let created = clusters
            .create(&scope, "cl_one", &create)
            .await
            .expect("create");
        let old = created.cluster.clone().expect("cluster in create response");
        assert_eq!(old.name.as_deref(), Some("first"));

        let request = ClusterUpdateRequest {
            cluster: Some(Cluster {
                name: Some("second".into()),
                ..cluster("https://k8s.example.com", "x")
            }),
            tags: created.tags.clone(),
            ..Default::default()
        }
        .with_updated_fields_from(&old, created.tags.as_ref(), None);
        let fields = request.updated_fields.clone().unwrap_or_default();
        assert!(fields.contains(&"name".to_string()), "{fields:?}");
        let updated = clusters
            .update(&scope, "cl_one", &request)
            .await
            .expect("update");
        assert_eq!(
            updated.cluster.and_then(|c| c.name).as_deref(),
            Some("second")
        );
        let got = clusters.get(&scope, "cl_one").await.expect("get");
        assert_eq!(got.tags, create.tags);
        assert_eq!(
            clusters
                .list(&scope)
                .await
                .expect("list")
                .items
                .map(|i| i.len()),
            Some(1)
        );
        clusters
            .delete(&scope, "cl_one", DeleteOptions::default())
            .await
            .expect("delete");
        assert!(clusters
            .get_opt(&scope, "cl_one")
            .await
            .expect("get_opt")
            .is_none());
    })
    .await
}

#[tokio::test]
async fn application_crud() {
    bounded(async {
        let emu = Emulator::start(&[]).await;
        let c = emu.client(2);
        let scope = Scope::project("org1", "proj1", "agent1");
        let repo = RepositoryCreateRequest {
            repo: Some(repository("https://github.com/o/apps", "u")),
            ..Default::default()
        };
        c.repositories()
            .create(&scope, "apps_repo", &repo)
            .await
            .expect("repo");
        let cl = ClusterCreateRequest {
            cluster: Some(cluster("https://kubernetes.default.svc", "in")),
            ..Default::default()
        };
        c.clusters()
            .create(&scope, "incluster", &cl)
            .await
            .expect("cluster");

        let apps = c.applications();
        let query = AppQuery {
            cluster_identifier: Some("incluster".into()),
            repo_identifier: Some("apps_repo".into()),
            ..Default::default()
        };
        let create = ApplicationCreateRequest {
            application: Some(application(
                "guestbook",
                "https://github.com/o/apps",
                "guestbook",
            )),
            ..Default::default()
        };
        let created = apps
            .create(&scope, "guestbook", &query, &create)
            .await
            .expect("create");
        assert_eq!(created.name.as_deref(), Some("guestbook"));
        let got = apps.get(&scope, "guestbook").await.expect("get");
        let app = got.app.expect("app");
        let automated = app
            .spec
            .as_ref()
            .and_then(|s| s.sync_policy.as_ref())
            .and_then(|p| p.automated.clone());
        assert_eq!(automated.and_then(|a| a.self_heal), Some(true));

        let update = ApplicationUpdateRequest {
            application: Some(application(
                "guestbook",
                "https://github.com/o/apps",
                "guestbook-v2",
            )),
            ..Default::default()
        };
        let updated = apps
            .update(&scope, "guestbook", &query, &update)
            .await
            .expect("update");
        let path = updated
            .app
            .and_then(|a| a.spec)
            .and_then(|s| s.source)
            .and_then(|s| s.path);
        assert_eq!(path.as_deref(), Some("guestbook-v2"));
        assert_eq!(
            apps.list(&scope)
                .await
                .expect("list")
                .items
                .map(|i| i.len()),
            Some(1)
        );
        apps.delete(&scope, "guestbook", DeleteOptions::default())
            .await
            .expect("delete");
        assert!(apps
            .get_opt(&scope, "guestbook")
            .await
            .expect("get_opt")
            .is_none());
        apps.delete(&scope, "guestbook", DeleteOptions::default())
            .await
            .expect("gone is fine");
    })
    .await
}

#[tokio::test]
async fn a_manual_application_syncs_on_request_and_a_second_request_is_refused_while_it_runs() {
    bounded(async {
        let emu = Emulator::start(&["--sync-delay", "3s"]).await;
        let c = emu.client(0);
        let scope = Scope::project("org1", "proj1", "agent1");
        let mut app = application("manual", "https://github.com/o/apps", "manual");
        if let Some(spec) = app.spec.as_mut() {
            spec.sync_policy = None;
        }
        let query = AppQuery {
            skip_repo_validation: true,
            ..Default::default()
        };
        let create = ApplicationCreateRequest {
            application: Some(app),
            ..Default::default()
        };
        let created = c
            .applications()
            .create(&scope, "manual", &query, &create)
            .await
            .expect("create");
        let status = |r: &ApplicationResponse| {
            let st = r
                .app
                .as_ref()
                .and_then(|a| a.status.clone())
                .unwrap_or_default();
            (
                st.sync.and_then(|s| s.status),
                st.operation_state.and_then(|o| o.phase),
            )
        };
        assert_eq!(
            status(&created),
            (Some("OutOfSync".into()), None),
            "a manual app waits"
        );
        let request = ApplicationSyncRequest {
            name: Some("manual".into()),
            ..Default::default()
        };
        let synced = c
            .applications()
            .sync(&scope, "manual", &request)
            .await
            .expect("sync");
        assert_eq!(status(&synced).1.as_deref(), Some("Running"));
        let again = c
            .applications()
            .sync(&scope, "manual", &request)
            .await
            .expect_err("a second sync while one runs is refused");
        assert!(again.is_operation_in_progress(), "{again}");
        // The body's name must be the addressed one.
        let wrong = ApplicationSyncRequest {
            name: Some("other".into()),
            ..Default::default()
        };
        let e = c
            .applications()
            .sync(&scope, "manual", &wrong)
            .await
            .expect_err("name mismatch");
        assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
    })
    .await
}

#[tokio::test]
async fn wrong_key_and_wrong_account_explain_themselves() {
    bounded(async {
        let emu = Emulator::start(&[]).await;
        let scope = Scope::account("account.agent1");
        let wrong_key = ClientConfig {
            endpoint: emu.url.clone(),
            account_id: ACCOUNT.into(),
            api_key: Secret::new("not-the-key"),
            request_timeout: Duration::from_secs(10),
            max_retries: 1,
        };
        let c = Client::new(wrong_key.clone(), CancellationToken::new()).unwrap();
        let e = c.repositories().list(&scope).await.unwrap_err();
        assert_eq!(e.status(), Some(401), "{e}");
        assert!(
            e.to_string().contains("HARNESS_PLATFORM_API_KEY")
                && !e.to_string().contains("not-the-key"),
            "{e}"
        );

        let wrong_account = ClientConfig {
            account_id: "someone_else".into(),
            api_key: Secret::new(KEY),
            ..wrong_key
        };
        let c = Client::new(wrong_account, CancellationToken::new()).unwrap();
        let e = c.clusters().get_opt(&scope, "x").await.unwrap_err();
        assert_eq!(e.status(), Some(403), "{e}");
        assert!(e.to_string().contains("HARNESS_ACCOUNT_ID"), "{e}");
        assert!(matches!(e, Error::Api { .. }));
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Acceptance: 200 calls under faults
// ---------------------------------------------------------------------------------------------

const REPOS: usize = 30; // create, get, update each; delete every third; get_opt the deleted
const CLUSTERS: usize = 15; // create, get, update each; delete every third
const APPS: usize = 12; // create, get, update each; delete every third

fn deleted(i: usize) -> bool {
    i % 3 == 0
}

#[tokio::test]
async fn acceptance_faulty_emulator_ends_with_every_entity_exactly_once() {
    bounded(async {
        let emu = Emulator::start(&["--fault-rate", "0.3", "--fault-after-rate", "0.1", "--seed", "20240611"]).await;
        let c = emu.client(12);
        let project = Scope::project("org1", "proj1", "agent1");
        let account = Scope::account("account.agent1");
        // The application links, created without faults mattering (the client retries).
        c.clusters()
            .create(&project, "app_target", &ClusterCreateRequest { cluster: Some(cluster("https://apps.example.com", "t")), ..Default::default() })
            .await
            .expect("application target cluster");
        let setup_calls = 0; // the target cluster is not one of the 200

        let calls = std::sync::atomic::AtomicUsize::new(setup_calls);
        let count = || calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let repo_life = |i: usize| {
            let (c, project) = (c.clone(), project.clone());
            let count = &count;
            async move {
                let id = format!("repo_{i:02}");
                let url = format!("https://github.com/o/r{i:02}");
                let create = RepositoryCreateRequest { repo: Some(repository(&url, "first")), upsert: Some(false), ..Default::default() };
                c.repositories().create(&project, &id, &create).await.map_err(|e| format!("{e}"))?;
                count();
                c.repositories().get(&project, &id).await.map_err(|e| format!("{e}"))?;
                count();
                let update = RepositoryUpdateRequest { repo: Some(repository(&url, &format!("final_{i}"))), ..Default::default() };
                c.repositories().update(&project, &id, &update).await.map_err(|e| format!("{e}"))?;
                count();
                if deleted(i) {
                    c.repositories().delete(&project, &id, DeleteOptions::default()).await.map_err(|e| format!("{e}"))?;
                    count();
                    let gone = c.repositories().get_opt(&project, &id).await.map_err(|e| format!("{e}"))?;
                    count();
                    if gone.is_some() {
                        return Err(format!("{id} still there after delete"));
                    }
                }
                Ok::<(), String>(())
            }
        };
        let cluster_life = |i: usize| {
            let (c, account) = (c.clone(), account.clone());
            let count = &count;
            async move {
                let id = format!("cluster_{i:02}");
                let server = format!("https://k{i:02}.example.com");
                let create = ClusterCreateRequest { cluster: Some(cluster(&server, "first")), ..Default::default() };
                let created = c.clusters().create(&account, &id, &create).await.map_err(|e| format!("{e}"))?;
                count();
                c.clusters().get(&account, &id).await.map_err(|e| format!("{e}"))?;
                count();
                let old = created.cluster.unwrap_or_default();
                let update = ClusterUpdateRequest { cluster: Some(cluster(&server, &format!("final_{i}"))), ..Default::default() }
                    .with_updated_fields_from(&old, None, None);
                c.clusters().update(&account, &id, &update).await.map_err(|e| format!("{e}"))?;
                count();
                if deleted(i) {
                    c.clusters().delete(&account, &id, DeleteOptions::default()).await.map_err(|e| format!("{e}"))?;
                    count();
                }
                Ok::<(), String>(())
            }
        };
        let app_life = |i: usize| {
            let (c, project) = (c.clone(), project.clone());
            let count = &count;
            async move {
                let name = format!("app-{i:02}");
                let query = AppQuery { cluster_identifier: Some("app_target".into()), skip_repo_validation: true, ..Default::default() };
                let create = ApplicationCreateRequest { application: Some(application(&name, "https://github.com/o/apps", "first")), ..Default::default() };
                c.applications().create(&project, &name, &query, &create).await.map_err(|e| format!("{e}"))?;
                count();
                c.applications().get(&project, &name).await.map_err(|e| format!("{e}"))?;
                count();
                let update = ApplicationUpdateRequest {
                    application: Some(application(&name, "https://github.com/o/apps", &format!("final-{i}"))),
                    ..Default::default()
                };
                c.applications().update(&project, &name, &query, &update).await.map_err(|e| format!("{e}"))?;
                count();
                if deleted(i) {
                    c.applications().delete(&project, &name, DeleteOptions::default()).await.map_err(|e| format!("{e}"))?;
                    count();
                }
                Ok::<(), String>(())
            }
        };

        // Each entity's life is sequential; lives run 8 at a time (Retry-After: 1 s on 429s
        // would make a fully sequential run slow).
        let lives = (0..REPOS)
            .map(|i| futures::future::Either::Left(repo_life(i)))
            .chain((0..CLUSTERS).map(|i| futures::future::Either::Right(futures::future::Either::Left(cluster_life(i)))))
            .chain((0..APPS).map(|i| futures::future::Either::Right(futures::future::Either::Right(app_life(i)))));
        let failures: Vec<String> =
            stream::iter(lives).buffer_unordered(8).filter_map(|r| async move { r.err() }).collect().await;
        assert!(failures.is_empty(), "client calls failed under faults:\n{}", failures.join("\n"));
        let total = calls.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(total, 200, "the script is 200 client calls");

        // Faults really happened: the emulator saw many more requests than client calls, and
        // every kind of fault fired.
        let counters = emu.admin("requests").await;
        let seen: u64 = counters["requests"].as_object().expect("counts").values().filter_map(Value::as_u64).sum();
        assert!(seen >= 230, "only {seen} requests reached the emulator for 200 calls: were faults injected? {counters}");
        for kind in ["before.unavailable", "before.tooManyRequests", "before.drop", "after.drop"] {
            assert!(counters["faults"][kind].as_u64().unwrap_or(0) > 0, "no {kind} fault: {counters}");
        }
        // Each entity was created exactly once: the emulator's count of applied creates, which
        // (unlike the dump keyed by identifier) would show a create applied twice.
        for (op, want) in [
            ("repositories.create", REPOS),
            ("clusters.create", CLUSTERS + 1),
            ("applications.create", APPS),
        ] {
            assert_eq!(counters["applied"][op].as_u64(), Some(want as u64), "{op} applied: {counters}");
        }

        let survivors = |n: usize, f: fn(usize) -> String| (0..n).filter(|i| !deleted(*i)).map(f).collect::<Vec<_>>();
        let check = |kind: &str, counts: &BTreeMap<String, usize>, want: Vec<String>| {
            let dupes: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
            assert!(dupes.is_empty(), "{kind}: duplicates {dupes:?}");
            let have: Vec<String> = counts.keys().cloned().collect();
            let mut want_sorted = want;
            want_sorted.sort();
            assert_eq!(have, want_sorted, "{kind}: the entities present differ from the script's");
        };

        let (repo_counts, repo_items) = emu.dump("repositories", "identifier").await;
        check("repositories", &repo_counts, survivors(REPOS, |i| format!("repo_{i:02}")));
        for r in &repo_items {
            let id = r["identifier"].as_str().unwrap_or_default();
            let i: usize = id.trim_start_matches("repo_").parse().expect("repo index");
            assert_eq!(r["repository"]["username"], format!("final_{i}"), "{id}: update lost");
        }

        let (cluster_counts, cluster_items) = emu.dump("clusters", "identifier").await;
        let mut want_clusters = survivors(CLUSTERS, |i| format!("cluster_{i:02}"));
        want_clusters.push("app_target".into());
        check("clusters", &cluster_counts, want_clusters);
        for cl in cluster_items.iter().filter(|c| c["identifier"] != "app_target") {
            let id = cl["identifier"].as_str().unwrap_or_default();
            let i: usize = id.trim_start_matches("cluster_").parse().expect("cluster index");
            assert_eq!(cl["cluster"]["name"], format!("final_{i}"), "{id}: update lost");
        }

        let (app_counts, app_items) = emu.dump("applications", "name").await;
        check("applications", &app_counts, survivors(APPS, |i| format!("app-{i:02}")));
        for a in &app_items {
            let name = a["name"].as_str().unwrap_or_default();
            let i: usize = name.trim_start_matches("app-").parse().expect("app index");
            assert_eq!(a["app"]["spec"]["source"]["path"], format!("final-{i}"), "{name}: update lost");
        }
    })
    .await
}

#[tokio::test]
async fn an_operation_deadline_bounds_every_call_of_a_slow_server() {
    bounded(async {
        // Every API request takes 3 s; the request timeout is 60 s.
        let emu = Emulator::start(&["--latency", "3s"]).await;
        let c = emu.client(5);
        let scope = Scope::account("account.agent1");
        let req = RepositoryCreateRequest {
            repo: Some(repository("https://github.com/o/slow", "u")),
            ..Default::default()
        };

        // A create cut by the operation's deadline: its outcome is unknown, the lookup is cut
        // too, and the error says so (the resource then records the object, tainted).
        let started = std::time::Instant::now();
        let op = c.with_deadline(started + Duration::from_millis(800), "`timeouts.create`");
        let e = op
            .repositories()
            .create(&scope, "slow", &req)
            .await
            .expect_err("cut by the deadline");
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(1800),
            "returned after {took:?}"
        );
        assert!(e.is_create_unresolved(), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("create repository \"slow\"") && text.contains("`timeouts.create`"),
            "{text}"
        );

        // A delete cut by it names the operation and the limit.
        let started = std::time::Instant::now();
        let op = c.with_deadline(started + Duration::from_millis(500), "`timeouts.delete`");
        let e = op
            .repositories()
            .delete(&scope, "slow", DeleteOptions::default())
            .await
            .expect_err("cut by the deadline");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(e, Error::Timeout { limit: Some(_), .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("delete repository \"slow\"")
                && text.contains("the time left under `timeouts.delete`"),
            "{text}"
        );

        // A deadline already passed: nothing is sent.
        let op = c.with_deadline(std::time::Instant::now(), "`timeouts.read`");
        let e = op.repositories().get_opt(&scope, "slow").await.unwrap_err();
        assert!(
            e.to_string()
                .contains("not sent: `timeouts.read` had run out"),
            "{e}"
        );

        // The same client without the deadline waits for the slow answer.
        let found = op
            .without_deadline()
            .repositories()
            .get_opt(&scope, "slow")
            .await
            .expect("within the request timeout");
        let _ = found;
    })
    .await
}

#[tokio::test]
async fn deleting_a_cluster_or_repository_in_use_is_refused_unless_forced() {
    bounded(async {
        let emu = Emulator::start(&["--delete-delay", "0s"]).await;
        let c = emu.client(2);
        let scope = Scope::project("org1", "proj1", "agent1");
        let url = "https://github.com/o/used";
        c.repositories()
            .create(
                &scope,
                "used_repo",
                &RepositoryCreateRequest {
                    repo: Some(repository(url, "u")),
                    ..Default::default()
                },
            )
            .await
            .expect("repo");
        c.clusters()
            .create(
                &scope,
                "used_cluster",
                &ClusterCreateRequest {
                    cluster: Some(cluster("https://used.example.com", "used")),
                    ..Default::default()
                },
            )
            .await
            .expect("cluster");
        let mut app = application("user", url, "app");
        if let Some(d) = app.spec.as_mut().and_then(|s| s.destination.as_mut()) {
            d.server = Some("https://used.example.com".into());
        }
        let query = AppQuery {
            cluster_identifier: Some("used_cluster".into()),
            repo_identifier: Some("used_repo".into()),
            ..Default::default()
        };
        c.applications()
            .create(
                &scope,
                "user",
                &query,
                &ApplicationCreateRequest {
                    application: Some(app),
                    ..Default::default()
                },
            )
            .await
            .expect("app");

        let e = c
            .clusters()
            .delete(&scope, "used_cluster", DeleteOptions::default())
            .await
            .expect_err("in use");
        assert_eq!((e.status(), e.grpc_code()), (Some(400), Some(9)), "{e}");
        assert_eq!(e.blocking_dependents(), Some(1), "{e}");
        assert!(
            e.to_string()
                .contains("cluster is used by 1 application(s)"),
            "{e}"
        );
        let e = c
            .repositories()
            .delete(&scope, "used_repo", DeleteOptions::default())
            .await
            .expect_err("in use");
        assert_eq!(e.blocking_dependents(), Some(1), "{e}");

        // Forced, the repository goes; once the application is gone, so does the cluster.
        c.repositories()
            .delete(&scope, "used_repo", DeleteOptions { force_delete: true })
            .await
            .expect("forced");
        c.applications()
            .delete(&scope, "user", DeleteOptions::default())
            .await
            .expect("app delete");
        c.clusters()
            .delete(&scope, "used_cluster", DeleteOptions::default())
            .await
            .expect("no longer used");
    })
    .await
}

/// The agents' calls against the emulator: the requests the client sends are the ones the
/// emulator (and so the document) accepts, and the token lifecycle reads as documented.
#[tokio::test]
async fn agents_against_the_emulator() {
    tokio::time::timeout(TEST_LIMIT, async {
        let emu = Emulator::start(&[]).await;
        let c = emu.client(3);
        let agents = c.agents();
        let scope = AgentScope::project("o1", "p1");
        let new = |id: &str| Agent {
            identifier: Some(id.into()),
            org_identifier: Some("o1".into()),
            project_identifier: Some("p1".into()),
            name: Some(format!("{id} name")),
            r#type: Some(agent_type::MANAGED_ARGO_PROVIDER.into()),
            metadata: Some(AgentMetadata {
                namespace: Some("gitops".into()),
                high_availability: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = agents.create(&new("a1")).await.expect("create");
        let t0 = created.credentials.clone().unwrap().private_key.unwrap();
        assert_eq!(created.prefixed_identifier.as_deref(), Some("a1"));
        assert_eq!(
            created.health.unwrap().connection_status.as_deref(),
            Some(connection_status::UNSET)
        );
        let got = agents.get(&scope, "a1", false).await.expect("get");
        assert!(got.credentials.is_none());
        let got = agents
            .get(&scope, "a1", true)
            .await
            .expect("get with credentials");
        assert_eq!(got.credentials.unwrap().private_key.unwrap(), t0);
        assert!(agents
            .get_opt(&scope, "nope", false)
            .await
            .unwrap()
            .is_none());
        for i in 0..3 {
            agents.create(&new(&format!("b{i}"))).await.expect("create");
        }
        assert_eq!(agents.list(&scope).await.expect("list").len(), 4);
        let mut update = new("a1");
        update.description = Some("now described".into());
        let updated = agents.update(&update).await.expect("update");
        assert_eq!(updated.description.as_deref(), Some("now described"));

        let query = AgentYamlQuery {
            namespace: Some("gitops".into()),
            private_key: Some(t0.clone()),
            ..Default::default()
        };
        let yaml = agents
            .deploy_yaml(&scope, "a1", &query)
            .await
            .expect("yaml");
        assert!(
            yaml.expose().contains(t0.expose()),
            "the current token is embedded"
        );
        let values = agents
            .helm_overrides(&scope, "a1", &query)
            .await
            .expect("overrides");
        assert!(values.expose().contains("agentHttpTarget"));
        let wrong = AgentYamlQuery {
            private_key: Some(Secret::new("d3Jvbmc=")),
            ..query.clone()
        };
        let e = agents
            .deploy_yaml(&scope, "a1", &wrong)
            .await
            .expect_err("refused");
        assert_eq!(e.status(), Some(400));
        assert!(!e.to_string().contains(t0.expose()), "{e}");
        let rotated = agents
            .regenerate_credentials(&scope, "a1")
            .await
            .expect("rotate");
        assert_ne!(rotated.credentials.unwrap().private_key.unwrap(), t0);
        agents.delete(&scope, "a1").await.expect("delete");
        agents
            .delete(&scope, "a1")
            .await
            .expect("delete of a missing agent");
        assert!(agents.get_opt(&scope, "a1", false).await.unwrap().is_none());
    })
    .await
    .expect("test exceeded its time limit")
}
