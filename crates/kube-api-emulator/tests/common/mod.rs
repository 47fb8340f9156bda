//! Shared test helpers: an in-process emulator and an HTTPS client that trusts its CA, kube-rs's
//! client from a kubeconfig, and kubectl.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kube_api_emulator::{Config, Handle};
use serde_json::Value;

pub struct Emu {
    pub handle: Handle,
    pub client: reqwest::Client,
}

pub fn client_for(ca_pem: &str) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("emulator CA parses");
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub async fn start_with(config: Config) -> Emu {
    let handle = kube_api_emulator::start(config)
        .await
        .expect("emulator starts");
    let client = client_for(handle.ca_pem());
    Emu { handle, client }
}

pub async fn start() -> Emu {
    start_with(Config {
        token_delay: Duration::from_millis(100),
        log_requests: false,
        ..Config::default()
    })
    .await
}

/// A response: status, JSON body (Null when not JSON), headers.
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Emu {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.url())
    }

    pub fn admin(&self) -> &str {
        self.handle.admin_token()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(m, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", content_type.unwrap_or("application/json"))
                .body(serde_json::to_vec(b).expect("json"));
        }
        let resp = req.send().await.expect("request completes");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            text,
            headers,
        }
    }

    /// As admin.
    pub async fn req(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let t = self.admin().to_owned();
        self.call(method, path, Some(&t), None, body).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.req("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.req("POST", path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, content_type: &str, body: &Value) -> Resp {
        let t = self.admin().to_owned();
        self.call("PATCH", path, Some(&t), Some(content_type), Some(body))
            .await
    }

    /// Waits (at most 10 s) until the Secret has `data.token`; returns the decoded token.
    pub async fn wait_token(&self, ns: &str, name: &str) -> String {
        for _ in 0..200 {
            let r = self
                .get(&format!("/api/v1/namespaces/{ns}/secrets/{name}"))
                .await;
            if let Some(t) = r.body["data"]["token"].as_str() {
                let raw = kube_api_emulator::util::unb64(t).expect("token is base64");
                return String::from_utf8(raw).expect("token is text");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no token appeared in {ns}/{name}");
    }
}

/// Asserts a Failure Status with the code, reason and exact message.
pub fn assert_status(r: &Resp, code: u16, reason: &str, message: &str) {
    assert_eq!(r.status, code, "HTTP status; body: {}", r.text);
    assert_eq!(r.body["kind"], "Status", "{}", r.text);
    assert_eq!(r.body["apiVersion"], "v1", "{}", r.text);
    assert_eq!(r.body["status"], "Failure", "{}", r.text);
    assert_eq!(r.body["code"], code, "{}", r.text);
    assert_eq!(r.body["reason"], reason, "{}", r.text);
    assert_eq!(r.body["message"], message, "{}", r.text);
}

/// The Status of a kube-rs API error; any other error fails the test.
pub fn api_error(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected kube::Error::Api, got {other:?}"),
    }
}

/// kube-rs's client from a kubeconfig document (as the emulator writes it).
pub async fn kube_client(kubeconfig: &str) -> kube::Client {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kubeconfig).unwrap();
    let kc = kube::config::Kubeconfig::read_from(&path).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(cfg).unwrap()
}

/// kubectl: `KUBECTL` when set, else `kubectl` on `PATH`; panics naming both when neither.
pub fn kubectl_bin() -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    if let Some(p) = std::env::var_os("KUBECTL").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "KUBECTL={} does not name a file; point it at kubectl or unset it to use kubectl from PATH",
            p.display()
        );
        return p;
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("kubectl"))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .expect("this test needs kubectl: it is on no PATH entry; install it or set KUBECTL to its path")
}

/// Runs kubectl (`kubectl_bin`) with `KUBECONFIG=kubeconfig`, `--cache-dir cache` and
/// `stdin` as its input: its exit code (-1 for a signal), stdout and stderr.
pub fn kubectl_run(
    kubeconfig: &Path,
    cache: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(kubectl_bin())
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .arg("--cache-dir")
        .arg(cache)
        .arg("--request-timeout=20s")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
