//! Shared test helpers: an in-process emulator and an HTTPS client that trusts its CA.
#![allow(dead_code)]

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
