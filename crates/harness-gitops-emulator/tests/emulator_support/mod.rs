//! Shared by the emulator integration tests: starting the real binary, an HTTP client that
//! validates every response against the Harness GitOps OpenAPI document, and helpers that
//! derive request bodies from the document.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonschema::Validator;
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const KEY: &str = "test-api-key";
pub const ACCOUNT: &str = "acc1";
/// The documented mask of string secrets.
pub const MASK: &str = "********";
/// The documented mask of `bytes` secrets (base64 of MASK).
pub const MASK_BYTES: &str = "KioqKioqKio=";
pub const BIN: &str = env!("CARGO_BIN_EXE_harness-gitops-emulator");

/// A running `harness-gitops-emulator` process (killed on drop).
pub struct Emulator {
    pub child: Child,
    pub url: String,
}

impl Emulator {
    /// Starts the binary with `--api-key KEY --account-id ACCOUNT` plus `extra`, and waits
    /// (at most 20 s) for its first stdout line, which must be `LISTENING http://127.0.0.1:PORT`.
    pub async fn start(extra: &[&str]) -> Emulator {
        let mut args = vec![
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--account-id",
            ACCOUNT,
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("no LISTENING line within 20 s")
            .expect("reading stdout failed")
            .expect("emulator exited before printing LISTENING");
        let url = first
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("first stdout line is not LISTENING ...: {first:?}"))
            .to_string();
        let port_ok = url
            .strip_prefix("http://127.0.0.1:")
            .is_some_and(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
        assert!(port_ok, "unexpected LISTENING address {url:?}");
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Emulator { child, url }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("emulator already reaped")
    }

    /// Sends `signal` (e.g. "TERM") to this process and waits (at most 10 s) for its exit code.
    pub async fn signal_and_wait(mut self, signal: &str) -> Option<i32> {
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -{signal} failed");
        let exit = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("emulator did not exit within 10 s of the signal")
            .expect("wait failed");
        exit.code()
    }

    /// SIGKILL, and wait for the process to be gone.
    pub async fn kill_hard(mut self) {
        self.child.start_kill().expect("SIGKILL failed");
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("not dead after SIGKILL");
    }

    /// A validating client for this emulator.
    pub fn api(&self) -> Api {
        Api::new(&self.url, contract())
    }

    /// `GET /_emulator/{what}` (with the API key), e.g. `state?secrets=clear`.
    pub async fn admin_get(&self, what: &str) -> Value {
        let resp = self
            .admin(Method::GET, what, None)
            .await
            .expect("admin request failed");
        assert_eq!(resp.status(), 200, "admin {what}");
        resp.json().await.expect("admin answer is not JSON")
    }

    /// An admin request `METHOD /_emulator/{what}` with the API key and an optional body.
    pub async fn admin(
        &self,
        method: Method,
        what: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}/_emulator/{what}", self.url))
            .header("x-api-key", KEY);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await
    }

    /// `GET /_emulator/requests`: the counters.
    pub async fn counters(&self) -> Value {
        self.admin_get("requests").await
    }
}

// ---- the OpenAPI document as JSON Schema --------------------------------------------

/// The OpenAPI document's contract (`contract/harness-gitops-openapi.json`: the official
/// document without its prose), with its component schemas converted to JSON Schema.
pub struct Contract {
    pub doc: Value,
    defs: Map<String, Value>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// The contract's file, inside the checkout.
pub fn contract_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contract/harness-gitops-openapi.json")
}

/// Loads the committed contract of the OpenAPI document once.
pub fn contract() -> Arc<Contract> {
    static CONTRACT: std::sync::OnceLock<Arc<Contract>> = std::sync::OnceLock::new();
    CONTRACT
        .get_or_init(|| {
            let path = contract_path();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "the conformance tests need the OpenAPI document's contract at {} ({e}); \
                     it is committed: see contract/README.md",
                    path.display()
                )
            });
            let doc: Value = serde_json::from_str(&text).expect("the contract is not JSON");
            let schemas = doc["components"]["schemas"]
                .as_object()
                .expect("no components.schemas")
                .clone();
            let defs = schemas
                .iter()
                .map(|(k, v)| (k.clone(), convert(v, true)))
                .collect();
            Arc::new(Contract {
                doc,
                defs,
                validators: Mutex::new(HashMap::new()),
            })
        })
        .clone()
}

/// OpenAPI 3.0 schema → JSON Schema: refs to `#/$defs/`, `additionalProperties: false` on
/// objects that list properties (or are named components) and say nothing else, and a
/// digits pattern on int64 strings.
fn convert(v: &Value, component: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let nested = match k.as_str() {
                    "$ref" => json!(x
                        .as_str()
                        .unwrap_or("")
                        .replace("#/components/schemas/", "#/$defs/")),
                    "properties" => Value::Object(
                        x.as_object()
                            .into_iter()
                            .flatten()
                            .map(|(p, s)| (p.clone(), convert(s, false)))
                            .collect(),
                    ),
                    "items" | "additionalProperties" if x.is_object() => convert(x, false),
                    _ => x.clone(),
                };
                out.insert(k.clone(), nested);
            }
            let is_object = m.get("type").and_then(Value::as_str) == Some("object");
            if is_object
                && !m.contains_key("additionalProperties")
                && (component || m.contains_key("properties"))
            {
                out.insert("additionalProperties".into(), json!(false));
            }
            if m.get("type").and_then(Value::as_str) == Some("string")
                && m.get("format").and_then(Value::as_str) == Some("int64")
            {
                out.insert("pattern".into(), json!("^-?[0-9]+$"));
            }
            Value::Object(out)
        }
        _ => v.clone(),
    }
}

impl Contract {
    /// A validator for component schema `name`.
    pub fn validator(&self, name: &str) -> Arc<Validator> {
        let mut cache = self.validators.lock().unwrap();
        cache
            .entry(name.to_string())
            .or_insert_with(|| {
                assert!(
                    self.defs.contains_key(name),
                    "no schema {name} in the document"
                );
                let schema = json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$ref": format!("#/$defs/{name}"),
                    "$defs": Value::Object(self.defs.clone()),
                });
                Arc::new(
                    jsonschema::options()
                        .should_validate_formats(true)
                        .build(&schema)
                        .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}")),
                )
            })
            .clone()
    }

    /// The operation object of `method` on `template` (a path of the document).
    pub fn operation(&self, method: &Method, template: &str) -> &Value {
        let op = &self.doc["paths"][template][method.as_str().to_ascii_lowercase()];
        assert!(op.is_object(), "the document has no {method} {template}");
        op
    }

    /// The component name of the response schema of an operation for `status` (`200`, or
    /// `default` for anything else).
    pub fn response_schema(&self, method: &Method, template: &str, status: StatusCode) -> String {
        let responses = &self.operation(method, template)["responses"];
        let r = if status == StatusCode::OK {
            &responses["200"]
        } else {
            &responses["default"]
        };
        let reference = r["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("no schema for {status} of {method} {template}"));
        reference.rsplit('/').next().unwrap_or_default().to_string()
    }

    /// The component name of the request body schema of an operation.
    pub fn request_schema(&self, method: &Method, template: &str) -> String {
        let r = &self.operation(method, template)["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"];
        r.as_str()
            .expect("operation has no request body")
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Query parameters of an operation as the document lists them: (name, is boolean, is array).
    pub fn query_params(&self, method: &Method, template: &str) -> Vec<(String, bool, bool)> {
        let params = self.operation(method, template)["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| {
                let ty = p["schema"]["type"].as_str().unwrap_or("");
                (
                    p["name"].as_str().unwrap_or("").to_string(),
                    ty == "boolean",
                    ty == "array",
                )
            })
            .collect()
    }

    /// Validates `body` against component `name`; panics listing every violation.
    pub fn assert_valid(&self, name: &str, body: &Value, context: &str) {
        let v = self.validator(name);
        let errors: Vec<String> = v
            .iter_errors(body)
            .map(|e| format!("  at {}: {}", e.instance_path(), e))
            .collect();
        assert!(
            errors.is_empty(),
            "{context}: response does not match {name}:\n{}\nbody: {}",
            errors.join("\n"),
            serde_json::to_string_pretty(body).unwrap_or_default()
        );
    }

    /// Resolves a `$ref` (if any) to its converted schema.
    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => &self.defs[r.rsplit('/').next().unwrap_or_default()],
            None => s,
        }
    }

    /// A body that uses every property of component `name`, recursively, with a valid
    /// non-zero value of its type.
    pub fn maximal(&self, name: &str) -> Value {
        self.maximal_of(&self.defs[name], 0)
    }

    fn maximal_of(&self, s: &Value, depth: usize) -> Value {
        assert!(depth < 40, "schema nesting deeper than 40: a cycle?");
        let s = self.resolve(s);
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            return e.last().cloned().unwrap_or(Value::Null);
        }
        match s.get("type").and_then(Value::as_str) {
            Some("string") => match s.get("format").and_then(Value::as_str) {
                Some("int64") => json!("7"),
                Some("date-time") => json!("2024-01-02T03:04:05Z"),
                Some("byte") => json!("eA=="),
                _ => json!("x"),
            },
            Some("integer") => json!(7),
            Some("boolean") => json!(true),
            Some("array") => json!([self.maximal_of(&s["items"], depth + 1)]),
            _ => {
                if let Some(props) = s.get("properties").and_then(Value::as_object) {
                    Value::Object(
                        props
                            .iter()
                            .map(|(k, p)| (k.clone(), self.maximal_of(p, depth + 1)))
                            .collect(),
                    )
                } else if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
                    json!({"k": self.maximal_of(ap, depth + 1)})
                } else {
                    json!({"free": {"form": [1, "a"]}})
                }
            }
        }
    }

    /// Every node of `body` (shaped like `name`) with the field path the emulator names in
    /// its errors, a value of the wrong type for it, and whether it is a message object
    /// (where an unknown key must be refused).
    pub fn nodes(&self, name: &str, body: &Value) -> Vec<Node> {
        let mut out = Vec::new();
        self.nodes_of(
            &self.defs[name],
            body,
            String::new(),
            String::new(),
            &mut out,
        );
        out
    }

    fn nodes_of(&self, s: &Value, v: &Value, pointer: String, path: String, out: &mut Vec<Node>) {
        let s = self.resolve(s);
        let ty = s.get("type").and_then(Value::as_str).unwrap_or("");
        let wrong = match (ty, s.get("format").and_then(Value::as_str)) {
            ("string", _) => json!(12),
            ("integer", _) => json!("12"),
            ("boolean", _) => json!("true"),
            ("array", _) => json!({"a": 1}),
            _ => json!("not-an-object"),
        };
        let keys: Vec<String> = s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        let is_message = ty == "object" && s.get("properties").is_some();
        if !path.is_empty() || is_message {
            out.push(Node {
                pointer: pointer.clone(),
                path: path.clone(),
                wrong,
                message: is_message,
                keys,
            });
        }
        match v {
            Value::Object(m) if is_message => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.nodes_of(&s["properties"][k], x, format!("{pointer}/{k}"), p, out);
                }
            }
            Value::Object(m) => {
                if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
                    for (k, x) in m {
                        self.nodes_of(
                            ap,
                            x,
                            format!("{pointer}/{k}"),
                            format!("{path}[\"{k}\"]"),
                            out,
                        );
                    }
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    self.nodes_of(
                        &s["items"],
                        x,
                        format!("{pointer}/{i}"),
                        format!("{path}[{i}]"),
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}

/// One node of a body: where it is and how to break it.
#[derive(Debug, Clone)]
pub struct Node {
    /// JSON pointer into the body.
    pub pointer: String,
    /// The field path as the emulator names it (`repo.githubAppID`, `a.b[0]`, `m["k"]`).
    pub path: String,
    /// A value of the wrong JSON type for this node.
    pub wrong: Value,
    /// Whether the node is a message (fixed keys).
    pub message: bool,
    /// The document's keys of the message (empty for other nodes).
    pub keys: Vec<String>,
}

// ---- the validating client ----------------------------------------------------------

/// An answer: status, JSON body, headers.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// Asserts an error answer: status, gRPC code, and a message containing `needle`.
    pub fn assert_error(&self, status: u16, code: i64, needle: &str) {
        assert_eq!(self.status.as_u16(), status, "status; body {}", self.body);
        assert_eq!(self.body["code"], json!(code), "code; body {}", self.body);
        let message = self.body["message"].as_str().unwrap_or("");
        assert!(
            message.contains(needle),
            "message {message:?} does not contain {needle:?}"
        );
        assert_eq!(
            self.body["error"], self.body["message"],
            "error and message differ"
        );
        assert_eq!(self.body["details"], json!([]), "details");
    }
}

/// An HTTP client that checks every response body against the document's schema for the
/// operation and status.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub contract: Arc<Contract>,
    pub key: Option<String>,
    /// How many responses were validated.
    pub validated: Arc<Mutex<usize>>,
}

impl Api {
    pub fn new(base: &str, contract: Arc<Contract>) -> Api {
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            base: base.to_string(),
            contract,
            key: Some(KEY.to_string()),
            validated: Arc::new(Mutex::new(0)),
        }
    }

    /// This client with another `x-api-key` (`None`: no header).
    pub fn with_key(&self, key: Option<&str>) -> Api {
        Api {
            http: self.http.clone(),
            base: self.base.clone(),
            contract: self.contract.clone(),
            key: key.map(str::to_string),
            validated: self.validated.clone(),
        }
    }

    /// Calls `method` on the document path `template` (e.g.
    /// `/api/v1/agents/{agentIdentifier}/repositories/{identifier}`) with `params` substituted,
    /// under the `/gitops` prefix; validates the answer against the document.
    pub async fn call(
        &self,
        method: Method,
        template: &str,
        params: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Answer {
        let mut path = template.to_string();
        for (k, v) in params {
            path = path.replace(&format!("{{{k}}}"), v);
        }
        assert!(!path.contains('{'), "unsubstituted parameter in {path}");
        let mut req = self
            .http
            .request(method.clone(), format!("{}/gitops{path}", self.base))
            .query(query);
        if let Some(k) = &self.key {
            req = req.header("x-api-key", k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: request failed: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("cannot read body");
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{method} {path} -> {status}: body is not JSON ({e}): {text}")
        });
        let schema = self.contract.response_schema(&method, template, status);
        self.contract
            .assert_valid(&schema, &body, &format!("{method} {path} -> {status}"));
        *self.validated.lock().unwrap() += 1;
        Answer {
            status,
            body,
            headers,
        }
    }
}

// ---- document paths -----------------------------------------------------------------

pub const REPOS: &str = "/api/v1/agents/{agentIdentifier}/repositories";
pub const REPO: &str = "/api/v1/agents/{agentIdentifier}/repositories/{identifier}";
pub const REPO_VALIDATE: &str = "/api/v1/agents/{agentIdentifier}/repositories/validate";
pub const CLUSTERS: &str = "/api/v1/agents/{agentIdentifier}/clusters";
pub const CLUSTER: &str = "/api/v1/agents/{agentIdentifier}/clusters/{identifier}";
pub const APPS: &str = "/api/v1/agents/{agentIdentifier}/applications";
pub const APP_GET: &str = "/api/v1/agents/{agentIdentifier}/applications/{query.name}";
pub const APP_PUT: &str =
    "/api/v1/agents/{agentIdentifier}/applications/{request.application.metadata.name}";
pub const APP_DELETE: &str = "/api/v1/agents/{agentIdentifier}/applications/{request.name}";
pub const APP_SYNC: &str = "/api/v1/agents/{agentIdentifier}/applications/{request.name}/sync";
pub const CERTS: &str = "/api/v1/agents/{agentIdentifier}/certificates";
pub const GPGKEYS: &str = "/api/v1/agents/{agentIdentifier}/gpgkeys";
pub const GPGKEY: &str = "/api/v1/agents/{agentIdentifier}/gpgkeys/{query.keyID}";
pub const PROJECTS: &str = "/api/v1/agents/{agentIdentifier}/projects";
pub const PROJECT_GET: &str = "/api/v1/agents/{agentIdentifier}/projects/{query.name}";
pub const PROJECT_PUT: &str =
    "/api/v1/agents/{agentIdentifier}/projects/{request.project.metadata.name}";
pub const MAPPINGS_V2: &str = "/api/v2/agents/{agentIdentifier}/appprojectsmapping";
pub const MAPPING_V2: &str = "/api/v2/agents/{agentIdentifier}/appprojectsmapping/{identifier}";
pub const MAPPING_LIST_V2: &str = "/api/v2/agents/{agentIdentifier}/appprojectsmappings";
pub const APPSET: &str = "/api/v1/applicationset";
pub const APPSET_ITEM: &str = "/api/v1/applicationset/{identifier}";
pub const APPSET_GENERATE: &str = "/api/v1/applicationset/generate";
pub const APPSETS: &str = "/api/v1/applicationsets";

/// Request fields and query parameters the emulator accepts beyond the 2025-07 document
/// because the official Go SDK sends them (reference §2.2, §2.3): (schema or operation,
/// name).
pub const SDK_EXTRAS: &[(&str, &str)] = &[
    ("clustersClusterCreateRequest", "secretExpressions"),
    ("clustersClusterUpdateRequest", "secretExpressions"),
    (
        "DELETE /api/v1/agents/{agentIdentifier}/applications/{request.name}",
        "options.forceDelete",
    ),
];

/// The SDK extras of a schema or operation.
pub fn sdk_extras(of: &str) -> Vec<&'static str> {
    SDK_EXTRAS
        .iter()
        .filter(|(o, _)| *o == of)
        .map(|(_, n)| *n)
        .collect()
}

/// Every emulated operation: (method, document path, path parameter of the entity id).
pub fn operations() -> Vec<(Method, &'static str, Option<&'static str>)> {
    vec![
        (Method::POST, REPOS, None),
        (Method::GET, REPOS, None),
        (Method::GET, REPO, Some("identifier")),
        (Method::PUT, REPO, Some("identifier")),
        (Method::DELETE, REPO, Some("identifier")),
        (Method::POST, REPO_VALIDATE, None),
        (Method::POST, CLUSTERS, None),
        (Method::GET, CLUSTERS, None),
        (Method::GET, CLUSTER, Some("identifier")),
        (Method::PUT, CLUSTER, Some("identifier")),
        (Method::DELETE, CLUSTER, Some("identifier")),
        (Method::POST, APPS, None),
        (Method::GET, APPS, None),
        (Method::GET, APP_GET, Some("query.name")),
        (
            Method::PUT,
            APP_PUT,
            Some("request.application.metadata.name"),
        ),
        (Method::DELETE, APP_DELETE, Some("request.name")),
        (Method::POST, APP_SYNC, Some("request.name")),
        (Method::POST, CERTS, None),
        (Method::GET, CERTS, None),
        (Method::DELETE, CERTS, None),
        (Method::POST, GPGKEYS, None),
        (Method::GET, GPGKEYS, None),
        (Method::GET, GPGKEY, Some("query.keyID")),
        (Method::DELETE, GPGKEY, Some("query.keyID")),
        (Method::POST, PROJECTS, None),
        (Method::GET, PROJECTS, None),
        (Method::GET, PROJECT_GET, Some("query.name")),
        (
            Method::PUT,
            PROJECT_PUT,
            Some("request.project.metadata.name"),
        ),
        (Method::DELETE, PROJECT_GET, Some("query.name")),
        (Method::POST, MAPPINGS_V2, None),
        (Method::GET, MAPPING_V2, Some("identifier")),
        (Method::PUT, MAPPING_V2, Some("identifier")),
        (Method::DELETE, MAPPING_V2, Some("identifier")),
        (Method::GET, MAPPING_LIST_V2, None),
        (Method::POST, APPSET, None),
        (Method::PUT, APPSET, None),
        (Method::GET, APPSET_ITEM, Some("identifier")),
        (Method::DELETE, APPSET_ITEM, Some("identifier")),
        (Method::POST, APPSET_GENERATE, None),
        (Method::POST, APPSETS, None),
    ]
}

/// Sets the value at JSON pointer `pointer` (the parent must exist).
pub fn set_at(body: &mut Value, pointer: &str, v: Value) {
    *body
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in body")) = v;
}

/// Waits (polling every 100 ms, at most `limit`) until `check` returns `Some`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
