//! The real kubectl against the emulator, through the kubeconfig the binary writes. kubectl
//! must be installed (on `PATH`, or named by `KUBECTL`): a missing kubectl fails the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kube_api_emulator::child::{ChildEmulator, SpawnOptions};
use serde_json::Value;

use crate::common::kubectl_bin;

struct Kubectl {
    bin: PathBuf,
    cache: tempfile::TempDir,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Kubectl {
    fn new() -> Self {
        Self {
            bin: kubectl_bin(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Out {
        use std::io::Write;
        let mut cmd = Command::new(&self.bin);
        cmd.env("KUBECONFIG", kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .arg("--cache-dir")
            .arg(self.cache.path())
            .arg("--request-timeout=20s")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("kubectl runs");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        } else {
            drop(child.stdin.take());
        }
        let out = wait_within(
            child,
            &format!("kubectl {}", args.join(" ")),
            KUBECTL_DEADLINE,
        );
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and requires exit 0.
    fn ok(&self, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> String {
        let o = self.run(kubeconfig, args, stdin);
        assert_eq!(
            o.code, 0,
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            o.stdout, o.stderr
        );
        o.stdout
    }
}

/// How long one kubectl command may take (it has `--request-timeout=20s` per request).
const KUBECTL_DEADLINE: Duration = Duration::from_secs(120);

/// `child.wait_with_output()` within `limit`: a child still running then is killed and the
/// test fails naming `what`.
fn wait_within(mut child: Child, what: &str, limit: Duration) -> Output {
    fn reader<R: std::io::Read + Send + 'static>(r: Option<R>) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    }
    let (out, err) = (reader(child.stdout.take()), reader(child.stderr.take()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let collect = |rx: mpsc::Receiver<Vec<u8>>| {
        rx.recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{what} exited but its output stayed open"))
    };
    Output {
        status,
        stdout: collect(out),
        stderr: collect(err),
    }
}

const MANIFEST: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: deployer
  namespace: kube-system
  labels:
    app: x
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: sa-reader
  labels:
    app: x
rules:
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: deployer-reads-sa
  labels:
    app: x
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: sa-reader
subjects:
- kind: ServiceAccount
  name: deployer
  namespace: kube-system
---
apiVersion: v1
kind: Secret
metadata:
  name: deployer-token
  namespace: kube-system
  annotations:
    kubernetes.io/service-account.name: deployer
type: kubernetes.io/service-account-token
"#;

#[test]
fn kubectl_end_to_end() {
    let k = Kubectl::new();
    let emu = ChildEmulator::spawn(SpawnOptions {
        binary: Some(PathBuf::from(env!("CARGO_BIN_EXE_kube-api-emulator"))),
        token_delay: Some(Duration::from_millis(300)),
        quiet: true,
        ..Default::default()
    })
    .expect("emulator starts");
    let admin = emu.kubeconfig_path();

    // kubectl get ns: a server-side table.
    let ns = k.ok(admin, &["get", "ns"], None);
    let header: Vec<&str> = ns.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "STATUS", "AGE"], "{ns}");
    for name in ["default", "kube-public", "kube-system"] {
        assert!(
            ns.lines()
                .any(|l| l.starts_with(name) && l.contains("Active")),
            "{name} in:\n{ns}"
        );
    }

    // kubectl create -f with four documents.
    let created = k.ok(admin, &["create", "-f", "-"], Some(MANIFEST));
    for line in [
        "serviceaccount/deployer created",
        "clusterrole.rbac.authorization.k8s.io/sa-reader created",
        "clusterrolebinding.rbac.authorization.k8s.io/deployer-reads-sa created",
        "secret/deployer-token created",
    ] {
        assert!(created.contains(line), "{line:?} in:\n{created}");
    }
    // Creating it again: AlreadyExists, with the real kubectl wording.
    let again = k.run(admin, &["create", "-f", "-"], Some(MANIFEST));
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("Error from server (AlreadyExists): error when creating \"STDIN\": serviceaccounts \"deployer\" already exists"), "{}", again.stderr);

    // -o json
    let list: Value = serde_json::from_str(&k.ok(
        admin,
        &["get", "sa", "-n", "kube-system", "-o", "json"],
        None,
    ))
    .unwrap();
    assert_eq!(list["kind"], "List");
    let deployer = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == "deployer")
        .expect("deployer listed");
    assert_eq!(deployer["kind"], "ServiceAccount");
    assert_eq!(deployer["metadata"]["labels"]["app"], "x");

    // The token appears after the delay.
    let mut token = String::new();
    for _ in 0..50 {
        let out = k.ok(
            admin,
            &[
                "get",
                "secret",
                "deployer-token",
                "-n",
                "kube-system",
                "-o",
                "jsonpath={.data.token}",
            ],
            None,
        );
        if !out.trim().is_empty() {
            token = String::from_utf8(kube_api_emulator::util::unb64(out.trim()).expect("base64"))
                .unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !token.is_empty(),
        "kubectl sees data.token after --token-delay"
    );
    let ca = k.ok(
        admin,
        &[
            "get",
            "secret",
            "deployer-token",
            "-n",
            "kube-system",
            "-o",
            "jsonpath={.data.ca\\.crt}",
        ],
        None,
    );
    assert_eq!(
        kube_api_emulator::util::unb64(ca.trim()).unwrap(),
        emu.ca_pem().as_bytes()
    );

    // Label selector.
    let crbs = k.ok(admin, &["get", "clusterrolebinding", "-l", "app=x"], None);
    assert!(
        crbs.contains("deployer-reads-sa") && crbs.contains("ClusterRole/sa-reader"),
        "{crbs}"
    );
    assert!(!crbs.contains("cluster-admin"), "{crbs}");
    let none = k.run(
        admin,
        &["get", "clusterrolebinding", "-l", "app=nothing"],
        None,
    );
    assert!(
        none.stderr.contains("No resources found"),
        "{}",
        none.stderr
    );

    // auth can-i: the admin, and the service account through its own kubeconfig.
    let yes = k.run(
        admin,
        &[
            "auth",
            "can-i",
            "create",
            "serviceaccounts",
            "-n",
            "kube-system",
        ],
        None,
    );
    assert_eq!((yes.code, yes.stdout.trim()), (0, "yes"));
    let dir = tempfile::tempdir().unwrap();
    let sa_kc = dir.path().join("sa-kubeconfig");
    std::fs::write(
        &sa_kc,
        kube_api_emulator::kubeconfig::render(
            emu.url(),
            emu.ca_pem(),
            "deployer",
            &token,
            "kube-system",
        ),
    )
    .unwrap();
    let can_list = k.run(
        &sa_kc,
        &[
            "auth",
            "can-i",
            "list",
            "serviceaccounts",
            "-n",
            "kube-system",
        ],
        None,
    );
    assert_eq!(
        (can_list.code, can_list.stdout.trim()),
        (0, "yes"),
        "{}",
        can_list.stderr
    );
    let can_create = k.run(
        &sa_kc,
        &[
            "auth",
            "can-i",
            "create",
            "serviceaccounts",
            "-n",
            "kube-system",
        ],
        None,
    );
    assert_eq!(
        (can_create.code, can_create.stdout.trim()),
        (1, "no"),
        "{}",
        can_create.stderr
    );
    let can_secrets = k.run(
        &sa_kc,
        &["auth", "can-i", "get", "secrets", "-n", "kube-system"],
        None,
    );
    assert_eq!(can_secrets.stdout.trim(), "no");
    let whoami = k.ok(&sa_kc, &["auth", "whoami"], None);
    assert!(
        whoami.contains("system:serviceaccount:kube-system:deployer"),
        "{whoami}"
    );
    // What RBAC allows works; what it does not is the real Forbidden.
    let sas = k.ok(&sa_kc, &["get", "sa"], None);
    assert!(sas.contains("deployer"), "{sas}");
    let forbidden = k.run(&sa_kc, &["get", "secrets"], None);
    assert_eq!(forbidden.code, 1);
    assert!(forbidden.stderr.contains("Error from server (Forbidden): secrets is forbidden: User \"system:serviceaccount:kube-system:deployer\" cannot list resource \"secrets\" in API group \"\" in the namespace \"kube-system\""), "{}", forbidden.stderr);

    // NotFound as kubectl prints it.
    let nf = k.run(admin, &["get", "sa", "nope", "-n", "kube-system"], None);
    assert_eq!(nf.code, 1);
    assert!(
        nf.stderr
            .contains("Error from server (NotFound): serviceaccounts \"nope\" not found"),
        "{}",
        nf.stderr
    );

    // Client-side apply: create, then a strategic merge patch.
    let cm = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\n  namespace: default\nstringData:\n  a: one\n";
    assert!(k
        .ok(admin, &["apply", "-f", "-"], Some(cm))
        .contains("secret/applied created"));
    let cm2 = cm.replace("a: one", "a: two");
    assert!(k
        .ok(admin, &["apply", "-f", "-"], Some(&cm2))
        .contains("secret/applied configured"));
    let a = k.ok(
        admin,
        &["get", "secret", "applied", "-o", "jsonpath={.data.a}"],
        None,
    );
    assert_eq!(kube_api_emulator::util::unb64(a.trim()).unwrap(), b"two");

    // kubectl delete; deleting the ServiceAccount revokes its token.
    let del = k.ok(
        admin,
        &["delete", "sa", "deployer", "-n", "kube-system"],
        None,
    );
    assert!(del.contains("serviceaccount \"deployer\" deleted"), "{del}");
    let gone = k.run(
        admin,
        &["get", "secret", "deployer-token", "-n", "kube-system"],
        None,
    );
    assert!(
        gone.stderr
            .contains("Error from server (NotFound): secrets \"deployer-token\" not found"),
        "{}",
        gone.stderr
    );
    let revoked = k.run(&sa_kc, &["get", "sa"], None);
    assert_eq!(revoked.code, 1);
    assert!(
        revoked.stderr.contains("Unauthorized"),
        "{}",
        revoked.stderr
    );
    let del = k.ok(
        admin,
        &["delete", "clusterrolebinding", "-l", "app=x"],
        None,
    );
    assert!(
        del.contains("clusterrolebinding.rbac.authorization.k8s.io \"deployer-reads-sa\" deleted"),
        "{del}"
    );
}
