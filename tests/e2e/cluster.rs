//! `harness_gitops_cluster` with the real CLI, the Harness emulator and the Kubernetes API
//! emulator (started in this process from its library). Every step checks Terraform's
//! state, the Harness emulator's view and the Kubernetes objects read back with the real
//! `kubectl`.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value as Json};

use crate::support::*;
use tfplugin::testing::output_within;

/// The label every bootstrap object carries.
const MANAGED: &str = "app.kubernetes.io/managed-by=terraform-provider-harness";
const SA: &str = "harness-gitops-manager";
const SECRET: &str = "harness-gitops-manager-long-lived-token";

/// How long one kubectl command may take.
const KUBECTL_DEADLINE: Duration = Duration::from_secs(120);

/// kubectl: `KUBECTL` when set, else `kubectl` on `PATH`.
fn kubectl_bin() -> PathBuf {
    tfplugin::testing::find_binary("kubectl", "KUBECTL")
}

/// A Kubernetes API emulator on a thread of this process (stopped on drop), with the admin
/// kubeconfig it wrote.
pub struct Kube {
    pub url: String,
    pub ca_pem: String,
    pub admin_token: String,
    pub kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Kube {
    /// Starts an emulator whose token controller fills token Secrets after `token_delay`.
    pub fn start(token_delay: Duration) -> Kube {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("admin.kubeconfig");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let config = kube_api_emulator::Config {
            kubeconfig_out: Some(kubeconfig.clone()),
            token_delay,
            log_requests: false,
            ..Default::default()
        };
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                match kube_api_emulator::start(config).await {
                    Ok(h) => {
                        let _ = ready_tx.send(Ok((
                            h.url().to_string(),
                            h.ca_pem().to_string(),
                            h.admin_token().to_string(),
                        )));
                        let _ = stop_rx.await;
                        h.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                }
            });
        });
        let (url, ca_pem, admin_token) = ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the Kubernetes emulator starts")
            .unwrap_or_else(|e| panic!("start the Kubernetes emulator: {e}"));
        Kube {
            url,
            ca_pem,
            admin_token,
            kubeconfig,
            _dir: dir,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Runs the real kubectl as the admin.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        output_within(
            std::process::Command::new(kubectl_bin())
                .arg("--kubeconfig")
                .arg(&self.kubeconfig)
                .args(args)
                .env_remove("KUBECONFIG"),
            &format!("kubectl {}", args.join(" ")),
            KUBECTL_DEADLINE,
        )
    }

    /// kubectl that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl get -o json` of one object, `None` when it does not exist.
    pub fn get(&self, kind: &str, name: &str, namespace: Option<&str>) -> Option<Json> {
        let mut args = vec!["get", kind, name, "-o", "json"];
        if let Some(ns) = namespace {
            args.extend(["-n", ns]);
        }
        let out = self.kubectl(&args);
        if out.status.success() {
            return Some(serde_json::from_slice(&out.stdout).expect("kubectl json"));
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("NotFound") || err.contains("not found"),
            "kubectl get {kind} {name}: {err}"
        );
        None
    }

    /// The names (`kind/namespace/name`) of every object carrying the provider's label.
    pub fn managed(&self) -> Vec<String> {
        let out = self.ok(&[
            "get",
            "serviceaccounts,secrets,roles,rolebindings,clusterroles,clusterrolebindings",
            "-A",
            "-l",
            MANAGED,
            "-o",
            "json",
        ]);
        let v: Json = serde_json::from_str(&out).expect("list json");
        let mut names: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                format!(
                    "{}/{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["namespace"].as_str().unwrap_or(""),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        names.sort();
        names
    }

    /// The token a filled token Secret holds.
    pub fn token_of(&self, secret: &str, namespace: &str) -> String {
        let s = self
            .get("secret", secret, Some(namespace))
            .unwrap_or_else(|| panic!("secret {secret}"));
        let b64 = s["data"]["token"].as_str().expect("a filled token Secret");
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap()
    }

    /// Whether `token` authenticates (`kubectl auth whoami` with only that token).
    pub fn token_works(&self, token: &str) -> bool {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &self.ca_pem).unwrap();
        let out = output_within(
            std::process::Command::new(kubectl_bin())
                .args([
                    "--kubeconfig",
                    "/dev/null",
                    "--server",
                    &self.url,
                    "--token",
                    token,
                ])
                .arg(format!("--certificate-authority={}", ca.display()))
                .args(["get", "--raw", "/api"])
                .env_remove("KUBECONFIG"),
            "kubectl get --raw /api (with a token)",
            KUBECTL_DEADLINE,
        );
        out.status.success()
    }

    /// A service account with a filled token Secret, made with kubectl (no RBAC: it can
    /// authenticate and read discovery, nothing else).
    pub fn make_token(&self, name: &str) -> String {
        self.ok(&["create", "serviceaccount", name, "-n", "default"]);
        let manifest = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}-token\n  namespace: default\n  annotations:\n    kubernetes.io/service-account.name: {name}\ntype: kubernetes.io/service-account-token\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("secret.yaml");
        std::fs::write(&f, manifest).unwrap();
        self.ok(&["create", "-f", f.to_str().unwrap()]);
        for _ in 0..200 {
            if let Some(s) = self.get("secret", &format!("{name}-token"), Some("default")) {
                if s["data"]["token"].is_string() {
                    return self.token_of(&format!("{name}-token"), "default");
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no token for {name}");
    }
}

impl Drop for Kube {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Clusters in the Harness emulator's dump (secrets in clear).
fn clusters(emu: &Emulator) -> Vec<Json> {
    emu.state()["clusters"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn cluster(emu: &Emulator, identifier: &str) -> Json {
    clusters(emu)
        .into_iter()
        .find(|c| c["identifier"] == identifier)
        .unwrap_or_else(|| panic!("cluster {identifier} in the emulator: {:#?}", clusters(emu)))
}

fn provider(emu: &Emulator, kube: &Kube) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  kubernetes = {{
    config_path = "{kc}"
  }}
}}
"#,
        url = emu.url,
        kc = kube.kubeconfig.display()
    )
}

fn gpu(bootstrap_extra: &str, extra: &str) -> String {
    format!(
        r#"
resource "harness_gitops_cluster" "gpu" {{
  identifier = "ml_gpu"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
  bootstrap = {{
{bootstrap_extra}  }}
{extra}}}
"#
    )
}

/// The name of the token Secret among a state's bootstrap objects.
fn token_secret(state: &Json) -> String {
    state["bootstrap"]["objects"]
        .as_array()
        .and_then(|objs| objs.iter().find(|o| o["kind"] == "Secret"))
        .and_then(|o| o["name"].as_str())
        .unwrap_or_else(|| panic!("a token Secret among the bootstrap objects: {state}"))
        .to_string()
}

/// A state's (or planned value's) `bootstrap.objects` as (kind, namespace, name), the
/// elements of the set, each once.
fn objects_of(values: &Json) -> std::collections::BTreeSet<(String, String, String)> {
    let objs = values["bootstrap"]["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("bootstrap.objects: {values}"));
    let set: std::collections::BTreeSet<_> = objs
        .iter()
        .map(|o| {
            let field = |k: &str| {
                o[k].as_str()
                    .unwrap_or_else(|| panic!("{k} of {o}"))
                    .to_string()
            };
            (field("kind"), field("namespace"), field("name"))
        })
        .collect();
    assert_eq!(set.len(), objs.len(), "no object twice: {objs:?}");
    set
}

/// Terraform wraps diagnostics at 80 columns: compare with whitespace collapsed.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn destroy(tf: &Tf) {
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
}

/// The issue's whole sequence: bootstrap, second plan, namespaced, rotation, restore after
/// a deletion behind Terraform's back, a plain cluster with a write-only token, the switch
/// to IRSA, import in the three ID forms, destroy.
#[test]
fn bootstrap_lifecycle() {
    let emu = Emulator::start(&[]);
    let kube = Kube::start(Duration::from_millis(200));
    let tf = Tf::new();
    let addr = "harness_gitops_cluster.gpu";

    // 1. Bootstrap create.
    tf.write(&(provider(&emu, &kube) + &gpu("", "")));
    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(
        change["after_unknown"]["server"], true,
        "read from the kubeconfig only while applying"
    );
    assert_eq!(change["after"]["connection_type"], "SERVICE_ACCOUNT");
    assert_eq!(
        change["after"]["bootstrap"]["objects"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "the objects are known at plan time"
    );
    tf.apply();
    let sa = kube
        .get("serviceaccount", SA, Some("kube-system"))
        .expect("ServiceAccount made");
    assert_eq!(
        sa["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "terraform-provider-harness"
    );
    assert_eq!(
        sa["metadata"]["annotations"]["gitops.harness.io/cluster"],
        "default/mlplatform/mlagent/ml_gpu"
    );
    let role = kube
        .get("clusterrole", "harness-gitops-manager-role", None)
        .expect("ClusterRole made");
    assert_eq!(role["rules"][0]["verbs"], json!(["*"]));
    let binding = kube
        .get(
            "clusterrolebinding",
            "harness-gitops-manager-role-binding",
            None,
        )
        .expect("ClusterRoleBinding made");
    assert_eq!(binding["subjects"][0]["name"], SA);
    assert_eq!(binding["subjects"][0]["namespace"], "kube-system");
    let token = kube.token_of(SECRET, "kube-system");
    let remote = cluster(&emu, "ml_gpu");
    assert_eq!(
        remote["cluster"]["server"], kube.url,
        "the server from the kubeconfig"
    );
    assert_eq!(
        remote["cluster"]["config"]["bearerToken"], token,
        "Harness holds the Secret's token"
    );
    assert_eq!(
        remote["cluster"]["config"]["clusterConnectionType"],
        "SERVICE_ACCOUNT"
    );
    let ca = base64::engine::general_purpose::STANDARD
        .decode(
            remote["cluster"]["config"]["tlsClientConfig"]["caData"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(ca).unwrap().trim(),
        kube.ca_pem.trim(),
        "and the API server's CA"
    );
    assert_eq!(
        remote["cluster"]["connectionState"]["status"], "Successful",
        "{remote:#}"
    );
    let st = tf.resource(addr);
    assert_eq!(st["connection_status"], "Successful");
    assert_eq!(st["server"], kube.url);
    assert_eq!(st["server_version"], "1.30");
    assert!(
        st["bearer_token"].is_null(),
        "the bootstrap token never reaches state"
    );
    let raw = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !raw.contains(&token),
        "the service account token is not in the state file"
    );

    // 2. Second plan empty.
    assert!(
        tf.plan_is_empty(),
        "second plan after a bootstrap must be empty"
    );

    // 3. Namespaced: Roles in each namespace instead of the ClusterRole.
    kube.ok(&["create", "namespace", "ml-serving"]);
    kube.ok(&["create", "namespace", "ml-training"]);
    tf.write(
        &(provider(&emu, &kube) + &gpu("", "  namespaces = [\"ml-serving\", \"ml-training\"]\n")),
    );
    tf.apply();
    for ns in ["ml-serving", "ml-training"] {
        let r = kube
            .get("role", "harness-gitops-manager-role", Some(ns))
            .unwrap_or_else(|| panic!("Role in {ns}"));
        assert_eq!(r["rules"][0]["resources"], json!(["*"]));
        let rb = kube
            .get(
                "rolebinding",
                "harness-gitops-manager-role-binding",
                Some(ns),
            )
            .unwrap_or_else(|| panic!("RoleBinding in {ns}"));
        assert_eq!(rb["roleRef"]["kind"], "Role");
    }
    assert!(
        kube.get("clusterrole", "harness-gitops-manager-role", None)
            .is_none(),
        "the ClusterRole is removed"
    );
    assert!(kube
        .get(
            "clusterrolebinding",
            "harness-gitops-manager-role-binding",
            None
        )
        .is_none());
    let remote = cluster(&emu, "ml_gpu");
    assert_eq!(
        remote["cluster"]["namespaces"],
        json!(["ml-serving", "ml-training"])
    );
    assert_eq!(
        remote["cluster"]["config"]["bearerToken"], token,
        "the token did not change"
    );
    assert_eq!(remote["cluster"]["connectionState"]["status"], "Successful");
    assert!(
        tf.plan_is_empty(),
        "plan after the namespaced variant must be empty"
    );

    // 4. Token rotation: a new Secret, its token in Harness, the old one revoked.
    let ns_body = "  namespaces = [\"ml-serving\", \"ml-training\"]\n";
    let objects_before = objects_of(&tf.resource(addr));
    assert!(
        objects_before.contains(&("Secret".into(), "kube-system".into(), SECRET.into())),
        "{objects_before:?}"
    );
    tf.write(&(provider(&emu, &kube) + &gpu("    rotate_token = \"2025-q1\"\n", ns_body)));
    let plan = tf.plan_json();
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        json!(["update"])
    );
    let objects_planned = objects_of(&plan["resource_changes"][0]["change"]["after"]);
    tf.apply();
    let objects_after = objects_of(&tf.resource(addr));
    assert_eq!(
        objects_planned, objects_after,
        "the rotated objects were known at plan time"
    );
    // Exactly the token Secret's element changed: the old Secret out, the new one in, every
    // other object (service account, Roles and RoleBindings) identical.
    let removed: Vec<_> = objects_before.difference(&objects_after).collect();
    let added: Vec<_> = objects_after.difference(&objects_before).collect();
    assert_eq!(
        removed,
        [&(
            "Secret".to_string(),
            "kube-system".to_string(),
            SECRET.to_string()
        )],
        "only the old token Secret left bootstrap.objects"
    );
    assert!(
        added.len() == 1 && added[0].0 == "Secret" && added[0].1 == "kube-system",
        "only a new token Secret joined bootstrap.objects: {added:?}"
    );
    assert_eq!(
        objects_before.len(),
        objects_after.len(),
        "the other objects are the same ones: {objects_before:?} -> {objects_after:?}"
    );
    assert!(
        kube.get("secret", SECRET, Some("kube-system")).is_none(),
        "the old token Secret is deleted"
    );
    let rotated_secret = token_secret(&tf.resource(addr));
    assert!(
        rotated_secret.starts_with("harness-gitops-manager-long-lived-token-"),
        "{rotated_secret}"
    );
    assert_eq!(
        added[0].2, rotated_secret,
        "the new element is the new Secret"
    );
    let new_token = kube.token_of(&rotated_secret, "kube-system");
    assert_ne!(new_token, token);
    let remote = cluster(&emu, "ml_gpu");
    assert_eq!(
        remote["cluster"]["config"]["bearerToken"], new_token,
        "Harness holds the new token"
    );
    assert_eq!(remote["cluster"]["connectionState"]["status"], "Successful");
    assert!(!kube.token_works(&token), "the old token is revoked");
    assert!(kube.token_works(&new_token));
    assert!(tf.plan_is_empty(), "plan after rotation must be empty");

    // 5. The service account deleted behind Terraform's back: drift, restored by apply.
    kube.ok(&["delete", "serviceaccount", SA, "-n", "kube-system"]);
    assert_eq!(
        cluster(&emu, "ml_gpu")["cluster"]["connectionState"]["status"],
        "Failed",
        "the agent cannot use the revoked token"
    );
    assert!(
        !tf.plan_is_empty(),
        "the deleted service account shows in the plan"
    );
    tf.apply();
    assert!(
        kube.get("serviceaccount", SA, Some("kube-system"))
            .is_some(),
        "restored"
    );
    let restored_token = kube.token_of(&rotated_secret, "kube-system");
    assert_ne!(restored_token, new_token);
    let remote = cluster(&emu, "ml_gpu");
    assert_eq!(
        remote["cluster"]["config"]["bearerToken"], restored_token,
        "the new token is registered"
    );
    assert_eq!(remote["cluster"]["connectionState"]["status"], "Successful");
    assert_eq!(tf.resource(addr)["connection_status"], "Successful");
    assert!(tf.plan_is_empty(), "plan after the restore must be empty");

    // 6. A plain cluster (account level) with a write-only bearer token, and an in-cluster
    // one (org level).
    let plain_token = kube.make_token("plain-reader");
    let ca = kube.ca_pem.replace('\n', "\\n");
    let plain = |body: &str| {
        format!(
            r#"
resource "harness_gitops_cluster" "plain" {{
  identifier = "plain"
  agent_id   = "account.platform"
{body}}}

resource "harness_gitops_cluster" "local" {{
  identifier = "in_cluster"
  agent_id   = "org.platform"
  org_id     = "default"
  server     = "https://kubernetes.default.svc"
}}
"#
        )
    };
    let with_token = format!(
        "  server                  = \"{url}\"\n  ca_data                 = \"{ca}\"\n  bearer_token_wo         = \"{plain_token}\"\n  bearer_token_wo_version = 1\n",
        url = kube.url
    );
    tf.write(
        &(provider(&emu, &kube)
            + &gpu("    rotate_token = \"2025-q1\"\n", ns_body)
            + &plain(&with_token)),
    );
    tf.apply();
    let remote = cluster(&emu, "plain");
    assert_eq!(remote["cluster"]["config"]["bearerToken"], plain_token);
    assert_eq!(
        remote["cluster"]["connectionState"]["status"], "Successful",
        "the agent accepted the token"
    );
    let st = tf.resource("harness_gitops_cluster.plain");
    assert!(st["bearer_token_wo"].is_null() && st["bearer_token"].is_null());
    assert_eq!(st["id"], "account.platform/plain");
    assert_eq!(
        tf.resource("harness_gitops_cluster.local")["connection_type"],
        "IN_CLUSTER"
    );
    let raw = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !raw.contains(&plain_token),
        "the write-only token is not in the state file"
    );
    assert!(
        tf.plan_is_empty(),
        "plan after the plain clusters must be empty"
    );

    // 7. Switch the plain cluster from SERVICE_ACCOUNT to IRSA: no token is sent (the
    // emulator, like the agent, refuses IRSA with static credentials).
    let irsa = "  server           = \"https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com\"\n  connection_type  = \"IRSA\"\n  aws_cluster_name = \"ml-eks\"\n  aws_role_arn     = \"arn:aws:iam::123456789012:role/argocd\"\n";
    tf.write(
        &(provider(&emu, &kube) + &gpu("    rotate_token = \"2025-q1\"\n", ns_body) + &plain(irsa)),
    );
    tf.apply();
    let remote = cluster(&emu, "plain");
    let config = &remote["cluster"]["config"];
    assert_eq!(config["clusterConnectionType"], "IRSA");
    assert!(
        config.get("bearerToken").is_none(),
        "no token after the switch: {config:#}"
    );
    assert_eq!(config["awsClusterName"], "ml-eks");
    assert_eq!(config["roleARN"], "arn:aws:iam::123456789012:role/argocd");
    assert_eq!(remote["cluster"]["connectionState"]["status"], "Successful");
    assert!(
        tf.plan_is_empty(),
        "plan after the switch to IRSA must be empty"
    );

    // 8. Import, in the three ID forms.
    let uid_before =
        kube.get("serviceaccount", SA, Some("kube-system")).unwrap()["metadata"]["uid"].clone();
    for (a, id) in [
        (addr, "default/mlplatform/mlagent/ml_gpu"),
        ("harness_gitops_cluster.plain", "account.platform/plain"),
        (
            "harness_gitops_cluster.local",
            "default/org.platform/in_cluster",
        ),
    ] {
        tf.ok(&["state", "rm", a]);
        tf.ok(&["import", "-no-color", "-input=false", a, id]);
    }
    let plan = tf.plan_json();
    for rc in plan["resource_changes"].as_array().unwrap() {
        let ch = &rc["change"];
        if rc["address"] != addr {
            assert_eq!(
                ch["actions"],
                json!(["no-op"]),
                "{}: nothing differs after import",
                rc["address"]
            );
            continue;
        }
        // The bootstrap is this provider's bookkeeping, not Harness's: it is added (which
        // adopts the objects) and takes over the CA it manages.
        assert_eq!(ch["actions"], json!(["update"]));
        let (before, after, unknown) = (&ch["before"], &ch["after"], &ch["after_unknown"]);
        let mut changed: Vec<&String> = before
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| unknown[k.as_str()] != true && before[k.as_str()] != after[k.as_str()])
            .collect();
        changed.sort();
        assert_eq!(
            changed,
            vec!["bootstrap", "ca_data"],
            "after import only the bootstrap differs"
        );
    }
    tf.apply();
    assert_eq!(
        kube.get("serviceaccount", SA, Some("kube-system")).unwrap()["metadata"]["uid"],
        uid_before,
        "the objects were adopted, not made again"
    );
    assert_eq!(
        cluster(&emu, "ml_gpu")["cluster"]["connectionState"]["status"],
        "Successful"
    );
    assert!(
        tf.plan_is_empty(),
        "plan after import + apply must be empty"
    );

    // 9. Destroy leaves nothing in Harness or in the cluster.
    destroy(&tf);
    assert!(clusters(&emu).is_empty(), "{:#?}", clusters(&emu));
    assert_eq!(
        kube.managed(),
        Vec::<String>::new(),
        "no bootstrap object is left"
    );
    assert!(
        kube.get("serviceaccount", "plain-reader", Some("default"))
            .is_some(),
        "what the user made stays"
    );
}

/// Under 30 % injected faults on the Harness side (and 10 % applied-then-dropped), every
/// cluster is created exactly once and destroy leaves nothing.
#[test]
fn faults_create_each_cluster_once_and_leave_nothing() {
    let emu = Emulator::start(&[
        "--fault-rate",
        "0.3",
        "--fault-after-rate",
        "0.1",
        "--seed",
        "11",
    ]);
    let kube = Kube::start(Duration::from_millis(100));
    let tf = Tf::new();
    let mut body = format!(
        "provider \"harness\" {{\n  endpoint    = \"{}\"\n  account_id  = \"{ACCOUNT}\"\n  api_key     = \"{API_KEY}\"\n  agent_id    = \"account.mlagent\"\n  max_retries = 10\n  kubernetes  = {{ config_path = \"{}\" }}\n}}\n\nresource \"harness_gitops_cluster\" \"boot\" {{\n  identifier = \"boot\"\n  bootstrap  = {{}}\n}}\n",
        emu.url,
        kube.kubeconfig.display()
    );
    for i in 0..5 {
        body.push_str(&format!(
            "\nresource \"harness_gitops_cluster\" \"c{i}\" {{\n  identifier   = \"eks_{i}\"\n  server       = \"https://eks-{i}.gr7.us-west-2.eks.amazonaws.com\"\n  bearer_token = \"token-{i}\"\n  labels       = {{ team = \"ml\" }}\n}}\n"
        ));
    }
    tf.write(&body);
    tf.apply();
    let mut ids: Vec<String> = clusters(&emu)
        .iter()
        .map(|c| c["identifier"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec!["boot", "eks_0", "eks_1", "eks_2", "eks_3", "eks_4"]
    );
    assert_eq!(
        emu.applied("clusters.create"),
        6,
        "each cluster created exactly once: {}",
        emu.counters()
    );
    assert!(emu.faults_fired() > 0, "faults fired: {}", emu.counters());
    assert_eq!(
        kube.managed().len(),
        4,
        "one set of bootstrap objects: {:?}",
        kube.managed()
    );
    assert!(tf.plan_is_empty());
    destroy(&tf);
    assert!(clusters(&emu).is_empty());
    assert_eq!(kube.managed(), Vec::<String>::new());
}

/// The usual wiring: the bootstrap's host, token and CA come from other resources (unknown
/// at plan time), and one configuration bootstraps two clusters.
#[test]
fn bootstrap_host_from_another_resource_and_two_clusters() {
    let emu = Emulator::start(&[]);
    let (a, b) = (
        Kube::start(Duration::from_millis(100)),
        Kube::start(Duration::from_millis(100)),
    );
    let tf = Tf::new();
    let cluster_block = |name: &str| {
        format!(
            r#"
resource "harness_gitops_cluster" "{name}" {{
  identifier = "{name}"
  bootstrap = {{
    host                   = terraform_data.{name}.output.host
    token                  = terraform_data.{name}.output.token
    cluster_ca_certificate = terraform_data.{name}.output.ca
  }}
}}
"#
        )
    };
    let data = |name: &str, k: &Kube| {
        format!(
            "\nresource \"terraform_data\" \"{name}\" {{\n  input = {{\n    host  = \"{}\"\n    token = \"{}\"\n    ca    = \"{}\"\n  }}\n}}\n",
            k.url,
            k.admin_token,
            base64::engine::general_purpose::STANDARD.encode(&k.ca_pem)
        )
    };
    tf.write(&format!(
        "provider \"harness\" {{\n  endpoint   = \"{}\"\n  account_id = \"{ACCOUNT}\"\n  api_key    = \"{API_KEY}\"\n  agent_id   = \"account.mlagent\"\n}}\n{}{}{}{}",
        emu.url,
        data("east", &a),
        data("west", &b),
        cluster_block("east"),
        cluster_block("west")
    ));
    let plan = tf.plan_json();
    for rc in plan["resource_changes"].as_array().unwrap() {
        if rc["type"] != "harness_gitops_cluster" {
            continue;
        }
        let unknown = &rc["change"]["after_unknown"];
        assert_eq!(
            unknown["server"], true,
            "{}: the host is not known yet",
            rc["address"]
        );
        assert_eq!(rc["change"]["after"]["connection_type"], "SERVICE_ACCOUNT");
    }
    tf.apply();
    for (name, k) in [("east", &a), ("west", &b)] {
        let st = tf.resource(&format!("harness_gitops_cluster.{name}"));
        assert_eq!(st["server"], k.url);
        assert_eq!(st["connection_status"], "Successful");
        assert_eq!(
            cluster(&emu, name)["cluster"]["config"]["bearerToken"],
            k.token_of(SECRET, "kube-system")
        );
        assert_eq!(k.managed().len(), 4, "{name}: its own objects");
    }
    assert!(tf.plan_is_empty(), "second plan must be empty");
    destroy(&tf);
    assert!(clusters(&emu).is_empty());
    assert!(a.managed().is_empty() && b.managed().is_empty());
}

/// A failure half-way keeps what was made in state (tainted), and the next apply converges:
/// first the token never appears in time, then Harness refuses the cluster.
#[test]
fn failure_half_way_keeps_what_was_made_and_converges() {
    let emu = Emulator::start(&[]);
    let kube = Kube::start(Duration::from_secs(6));
    let tf = Tf::new();
    let addr = "harness_gitops_cluster.gpu";
    let timeouts = "  timeouts {\n    create = \"2s\"\n  }\n";
    tf.write(&(provider(&emu, &kube) + &gpu("", timeouts)));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        text.contains("token controller did not fill the token Secret"),
        "{text}"
    );
    let st = tf.state();
    let r = &st["values"]["root_module"]["resources"][0];
    assert_eq!(r["address"], addr);
    assert_eq!(r["tainted"], true, "{st}");
    assert_eq!(
        r["values"]["bootstrap"]["objects"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "what was made is recorded"
    );
    assert_eq!(kube.managed().len(), 4, "{:?}", kube.managed());
    assert!(clusters(&emu).is_empty(), "nothing reached Harness");
    // Without the short timeout the token arrives: the tainted object is replaced.
    tf.write(&(provider(&emu, &kube) + &gpu("", "")));
    tf.apply();
    assert_eq!(
        kube.managed().len(),
        4,
        "one set of objects: {:?}",
        kube.managed()
    );
    assert_eq!(
        cluster(&emu, "ml_gpu")["cluster"]["connectionState"]["status"],
        "Successful"
    );
    assert_eq!(emu.applied("clusters.create"), 1);
    assert!(tf.plan_is_empty());
    destroy(&tf);
    assert!(kube.managed().is_empty());

    // Harness refuses: another cluster already holds this server on the agent.
    let squatter = reqwest::blocking::Client::new()
        .post(format!("{}/gitops/api/v1/agents/mlagent/clusters", emu.url))
        .query(&[
            ("accountIdentifier", ACCOUNT),
            ("orgIdentifier", "default"),
            ("projectIdentifier", "mlplatform"),
            ("identifier", "squatter"),
        ])
        .header("x-api-key", API_KEY)
        .json(&json!({"cluster": {"server": kube.url, "name": "squatter"}}))
        .send()
        .unwrap();
    assert!(squatter.status().is_success(), "{:?}", squatter.text());
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(text.contains("already"), "{text}");
    let st = tf.state();
    assert_eq!(
        st["values"]["root_module"]["resources"][0]["tainted"], true,
        "{st}"
    );
    assert_eq!(
        kube.managed().len(),
        4,
        "the objects made are recorded, not lost"
    );
    emu.admin(
        reqwest::Method::DELETE,
        "clusters",
        &[
            ("orgIdentifier", "default"),
            ("projectIdentifier", "mlplatform"),
            ("agentIdentifier", "mlagent"),
            ("identifier", "squatter"),
        ],
        None,
    );
    tf.apply();
    assert_eq!(clusters(&emu).len(), 1);
    assert_eq!(
        cluster(&emu, "ml_gpu")["cluster"]["connectionState"]["status"],
        "Successful"
    );
    assert_eq!(kube.managed().len(), 4);
    assert!(tf.plan_is_empty());
    destroy(&tf);
    assert!(clusters(&emu).is_empty() && kube.managed().is_empty());
}

/// Kubernetes failures read as a user needs them, and nothing reaches Harness.
#[test]
fn kubernetes_errors_name_the_server_the_request_and_the_object() {
    let emu = Emulator::start(&[]);
    let kube = Kube::start(Duration::from_millis(100));
    let weak = kube.make_token("weak");
    let ca = kube.ca_pem.replace('\n', "\\n");
    // Tokens come through a sensitive variable, as they would in practice: Terraform quotes
    // the configuration's source lines in diagnostics, and a literal would show there.
    let cases: Vec<(&str, String, &str, Vec<String>)> = vec![
        (
            "unreachable",
            "    host  = \"https://127.0.0.1:1\"\n    token = var.k8s_token\n".to_string(),
            "x",
            vec!["cannot reach the Kubernetes API server https://127.0.0.1:1".into()],
        ),
        (
            "unknown context",
            format!("    config_path    = \"{}\"\n    config_context = \"production\"\n", kube.kubeconfig.display()),
            "",
            vec!["has no context \"production\"".into(), "\"kube-api-emulator\"".into()],
        ),
        (
            "401",
            format!("    host = \"{}\"\n    token = var.k8s_token\n    cluster_ca_certificate = \"{ca}\"\n", kube.url),
            "not-a-token-Zq81",
            vec![
                "401 Unauthorized".into(),
                "get serviceaccounts \"harness-gitops-manager\" in namespace \"kube-system\"".into(),
            ],
        ),
        (
            "403",
            format!("    host = \"{}\"\n    token = var.k8s_token\n    cluster_ca_certificate = \"{ca}\"\n", kube.url),
            weak.as_str(),
            vec![
                "refused get serviceaccounts \"harness-gitops-manager\" in namespace \"kube-system\" (403 Forbidden)".into(),
                "system:serviceaccount:default:weak".into(),
            ],
        ),
    ];
    for (what, bootstrap, token, wants) in cases {
        let mut tf = Tf::new();
        tf.env("TF_VAR_k8s_token", token);
        tf.write(&(provider(&emu, &kube)
            + "\nvariable \"k8s_token\" {\n  type      = string\n  sensitive = true\n  default   = \"\"\n}\n"
            + &gpu(&bootstrap, "")));
        let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        for want in wants {
            assert!(
                flat(&text).contains(&want),
                "{what}: {want:?} not in\n{text}"
            );
        }
        assert!(
            (token.len() < 4 || !text.contains(token)) && !text.contains(&kube.admin_token),
            "{what}: a token in the output:\n{text}"
        );
        let st = tf.run(&["show", "-json"]);
        let st: Json = serde_json::from_slice(&st.stdout).unwrap_or(Json::Null);
        assert!(
            st["values"]["root_module"]["resources"]
                .as_array()
                .is_none_or(|r| r.is_empty()),
            "{what}: {st}"
        );
    }
    assert!(clusters(&emu).is_empty());
    assert!(kube.managed().is_empty());

    // A foreign object in the way is named, and left alone.
    kube.ok(&["create", "serviceaccount", SA, "-n", "kube-system"]);
    let tf = Tf::new();
    tf.write(&(provider(&emu, &kube) + &gpu("", "")));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        flat(&text).contains("ServiceAccount \"harness-gitops-manager\" in namespace \"kube-system\" already exists and was not made by this provider"),
        "{text}"
    );
    let foreign_uid = kube
        .get("serviceaccount", SA, Some("kube-system"))
        .expect("the foreign object is left alone")["metadata"]["uid"]
        .clone();
    assert!(clusters(&emu).is_empty());

    // Labelled and annotated for this registration, it is adopted (not made again), and the
    // rest is made around it.
    kube.ok(&["label", "serviceaccount", SA, "-n", "kube-system", MANAGED]);
    kube.ok(&[
        "annotate",
        "serviceaccount",
        SA,
        "-n",
        "kube-system",
        "gitops.harness.io/cluster=default/mlplatform/mlagent/ml_gpu",
    ]);
    tf.apply();
    assert_eq!(
        kube.get("serviceaccount", SA, Some("kube-system")).unwrap()["metadata"]["uid"],
        foreign_uid,
        "adopted"
    );
    assert_eq!(kube.managed().len(), 4, "{:?}", kube.managed());
    assert_eq!(
        cluster(&emu, "ml_gpu")["cluster"]["connectionState"]["status"],
        "Successful"
    );
    destroy(&tf);
    assert!(kube.managed().is_empty() && clusters(&emu).is_empty());
}

/// The data source reads a cluster by scope and identifier, without secrets.
#[test]
fn data_source_reads_without_secrets() {
    let emu = Emulator::start(&[]);
    let kube = Kube::start(Duration::from_millis(100));
    let tf = Tf::new();
    tf.write(
        &(provider(&emu, &kube)
            + &gpu("", "  labels = { team = \"ml\" }\n")
            + r#"
data "harness_gitops_cluster" "read" {
  identifier = harness_gitops_cluster.gpu.identifier
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}

output "server" {
  value = data.harness_gitops_cluster.read.server
}
output "status" {
  value = data.harness_gitops_cluster.read.connection_status
}
output "labels" {
  value = data.harness_gitops_cluster.read.labels
}
"#),
    );
    tf.apply();
    let out: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    assert_eq!(out["server"]["value"], kube.url);
    assert_eq!(out["status"]["value"], "Successful");
    assert_eq!(out["labels"]["value"], json!({"team": "ml"}));
    let st = tf.state();
    let ds = st["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "data")
        .cloned()
        .unwrap();
    assert!(
        ds["values"].get("bearer_token").is_none() && ds["values"].get("bootstrap").is_none(),
        "{ds}"
    );
    destroy(&tf);
}

/// Secrets (the bootstrap's admin token, the issued service-account token, passwords,
/// keys) never reach provider logs at TRACE or CLI output; write-only ones never state.
#[test]
fn no_secret_in_logs_plan_output_or_state() {
    let emu = Emulator::start(&[]);
    let kube = Kube::start(Duration::from_millis(100));
    let mut tf = Tf::new();
    tf.env("TF_LOG_PROVIDER", "TRACE");
    let ca = kube.ca_pem.replace('\n', "\\n");
    let password = "hunter2-cluster-password";
    let key_wo = "-----BEGIN EC PRIVATE KEY-----wo-key-material";
    let cfg = |rotate: &str| {
        format!(
            r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = "account.mlagent"
}}

resource "harness_gitops_cluster" "boot" {{
  identifier = "boot"
  bootstrap = {{
    host                   = "{kurl}"
    token                  = "{admin}"
    cluster_ca_certificate = "{ca}"
    rotate_token           = "{rotate}"
  }}
}}

resource "harness_gitops_cluster" "basic" {{
  identifier = "basic"
  server     = "https://basic.k8s.example.com"
  username   = "argo"
  password   = "{password}"
}}

resource "harness_gitops_cluster" "cert" {{
  identifier                      = "cert"
  server                          = "https://cert.k8s.example.com"
  tls_client_cert_data_wo         = "-----BEGIN CERTIFICATE-----cert"
  tls_client_cert_data_wo_version = 1
  tls_client_cert_key_wo          = "{key_wo}"
  tls_client_cert_key_wo_version  = 1
}}
"#,
            url = emu.url,
            kurl = kube.url,
            admin = kube.admin_token,
        )
    };
    let mut transcript = String::new();
    let mut run = |tf: &Tf, args: &[&str]| {
        let out = tf.run(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        transcript.push_str(&String::from_utf8_lossy(&out.stdout));
        transcript.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    tf.write(&cfg("1"));
    run(&tf, &["plan", "-no-color", "-input=false"]);
    run(
        &tf,
        &["apply", "-auto-approve", "-no-color", "-input=false"],
    );
    let issued = kube.token_of(
        &token_secret(&tf.resource("harness_gitops_cluster.boot")),
        "kube-system",
    );
    run(&tf, &["plan", "-no-color", "-input=false"]);
    tf.write(&cfg("2"));
    run(
        &tf,
        &["apply", "-auto-approve", "-no-color", "-input=false"],
    );
    let rotated = kube.token_of(
        &token_secret(&tf.resource("harness_gitops_cluster.boot")),
        "kube-system",
    );
    let state_file = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    run(
        &tf,
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
    );
    // They did reach the API (so their absence below means something).
    assert!(
        transcript.contains("harness_gitops_cluster.boot"),
        "the transcript is real"
    );
    assert!(
        transcript.contains("[TRACE] provider.terraform-provider-harness: call done"),
        "TRACE provider logs were captured"
    );
    for (what, secret) in [
        ("bootstrap admin token", kube.admin_token.as_str()),
        ("issued token", issued.as_str()),
        ("rotated token", rotated.as_str()),
        ("password", password),
        ("write-only key", key_wo),
        ("API key", API_KEY),
    ] {
        assert!(
            !transcript.contains(secret),
            "{what} leaked into the CLI output or logs"
        );
    }
    for (what, secret) in [
        ("issued token", issued.as_str()),
        ("rotated token", rotated.as_str()),
        ("write-only key", key_wo),
    ] {
        assert!(!state_file.contains(secret), "{what} leaked into the state");
    }
}

/// A bootstrapped cluster whose Kubernetes API is gone: the refresh warns and keeps what it
/// knew (a plan never fails for it), and destroy removes the Harness side, then says what it
/// could not remove and keeps it recorded.
#[test]
fn an_unreachable_kubernetes_api_never_breaks_a_refresh() {
    let emu = Emulator::start(&[]);
    let kube = Kube::start(Duration::from_millis(100));
    let tf = Tf::new();
    let ca = base64::engine::general_purpose::STANDARD.encode(&kube.ca_pem);
    tf.write(&format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  agent_id   = "account.mlagent"
}}

resource "harness_gitops_cluster" "gone" {{
  identifier = "gone"
  bootstrap = {{
    host                   = "{host}"
    token                  = "{token}"
    cluster_ca_certificate = "{ca}"
  }}
}}

resource "harness_gitops_repository" "r" {{
  identifier = "r"
  url        = "https://github.com/acme/ml.git"
}}
"#,
        url = emu.url,
        host = kube.url,
        token = kube.admin_token,
    ));
    tf.apply();
    assert_eq!(clusters(&emu).len(), 1);
    drop(kube);
    let out = tf.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the plan works and is empty:\n{text}"
    );
    assert!(
        flat(&text).contains("Kubernetes Side Not Checked"),
        "{text}"
    );
    assert!(
        flat(&text).contains("cannot reach the Kubernetes API server"),
        "{text}"
    );
    let text = tf.fails(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        flat(&text).contains("Unable to Remove Bootstrap Objects"),
        "{text}"
    );
    assert!(clusters(&emu).is_empty(), "the Harness side is removed");
    assert!(
        emu.repositories().is_empty(),
        "the other resources are destroyed"
    );
    let st = tf.state();
    let left: Vec<&Json> = st["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(left.len(), 1, "{st}");
    assert_eq!(left[0]["address"], "harness_gitops_cluster.gone");
    // With the cluster gone for good, the user forgets it.
    tf.ok(&["state", "rm", "harness_gitops_cluster.gone"]);
}

/// An API error on update keeps the prior state: a cluster's labels change, the emulator
/// refuses the update once; the apply fails with the API's message, Terraform's state and the
/// remote cluster keep the prior labels, and the next apply succeeds.
#[test]
fn an_api_error_on_update_keeps_the_prior_state() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    let addr = "harness_gitops_cluster.c";
    let cfg = |version: &str| {
        format!(
            r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
}}

resource "harness_gitops_cluster" "c" {{
  identifier = "ml_cpu"
  agent_id   = "account.platform"
  server     = "https://cpu.k8s.example.com"
  username   = "argo"
  password   = "argo-password"
  labels     = {{ version = "{version}" }}
}}
"#,
            url = emu.url
        )
    };
    tf.write(&cfg("v1"));
    tf.apply();
    assert_eq!(tf.resource(addr)["labels"]["version"], "v1");

    tf.write(&cfg("v2"));
    update_refused_keeps_prior_state(&emu, &tf, addr, "GitOps Cluster", "clusters.update");
    assert_eq!(
        cluster(&emu, "ml_cpu")["cluster"]["labels"]["version"],
        "v1",
        "the refused update changed nothing remotely"
    );

    tf.apply();
    assert_eq!(tf.resource(addr)["labels"]["version"], "v2");
    assert_eq!(
        cluster(&emu, "ml_cpu")["cluster"]["labels"]["version"],
        "v2"
    );
    assert!(tf.plan_is_empty(), "plan after the retried update is empty");
}

/// A cluster whose token comes from the Harness secret manager (`secret_expressions`): no
/// secret in the configuration or state; the emulated agent resolves it and connects; the
/// second plan is empty; `applications_count` is read; changing the expression updates
/// only `secretExpressions`.
#[test]
fn secret_expressions_connect_without_a_secret_in_terraform() {
    let emu = Emulator::start(&[]);
    let kube = Kube::start(Duration::from_millis(100));
    emu.admin(
        reqwest::Method::POST,
        "secrets",
        &[],
        Some(json!({"reference": "account.k8s_token", "value": kube.admin_token})),
    );
    let tf = Tf::new();
    let config = |reference: &str| {
        provider(&emu, &kube)
            + &format!(
                r#"
resource "harness_gitops_cluster" "expr" {{
  identifier = "expr"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
  server     = "{url}"
  ca_data    = <<-EOT
{ca}
EOT
  secret_expressions = {{
    bearer_token = "<+secrets.getValue(\"{reference}\")>"
  }}
}}
"#,
                url = kube.url,
                ca = kube.ca_pem.trim()
            )
    };
    tf.write(&config("account.k8s_token"));
    tf.apply();
    let st = tf.state();
    let v = &st["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(v["connection_type"], "SERVICE_ACCOUNT", "{v}");
    assert_eq!(v["connection_status"], "Successful", "{v}");
    assert_eq!(v["applications_count"], 0, "{v}");
    assert_eq!(
        v["secret_expressions"]["bearer_token"],
        "<+secrets.getValue(\"account.k8s_token\")>"
    );
    let raw = serde_json::to_string(&st).unwrap();
    assert!(!raw.contains(&kube.admin_token), "no token in state");
    let c = cluster(&emu, "expr");
    assert_eq!(
        c["secretExpressions"],
        json!({"bearerToken": "<+secrets.getValue(\"account.k8s_token\")>"})
    );
    assert!(
        c["cluster"]["config"].get("bearerToken").is_none(),
        "no literal token sent: {c}"
    );
    assert!(tf.plan_is_empty(), "second plan empty");
    // Another secret: the expression changes, the agent cannot resolve it.
    tf.write(&config("account.missing"));
    let out = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        flat(&out).contains("account.missing"),
        "the agent's message names the secret: {out}"
    );
    assert_eq!(
        cluster(&emu, "expr")["secretExpressions"],
        json!({"bearerToken": "<+secrets.getValue(\"account.missing\")>"})
    );
    tf.write(&config("account.k8s_token"));
    tf.apply();
    assert!(tf.plan_is_empty(), "second plan empty after the fix");
    destroy(&tf);
}
