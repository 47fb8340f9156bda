//! Clusters against a Kubernetes API on loopback: the emulated agent checks a registered
//! cluster's credentials as a real agent would (`GET /version`, `GET /api`, bearer token,
//! CA, insecure, serverName, basic auth), on every read; plus connection types,
//! `secretExpressions` and `updatedFields`. The Kubernetes API here is a small HTTPS fake
//! that checks a bearer token, as the real one does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::emulator_support::*;
use base64::Engine as _;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use reqwest::Method;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};

const AGENT: &str = "account.agent1";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A CA and a server certificate it signed for `names`.
struct Pki {
    ca_pem: String,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn pki(names: &[&str]) -> Pki {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fake-kubernetes-ca");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");
    let key = rcgen::KeyPair::generate().expect("server key");
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("server params");
    let cert = params.signed_by(&key, &ca).expect("server certificate");
    Pki {
        ca_pem: ca.pem(),
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// A fake Kubernetes API over HTTPS: `/version` (anonymous allowed) and `/api`
/// (authenticated), bearer token or basic auth `admin:pw`; an unknown token is 401.
struct FakeKube {
    url: String,
    ca_pem: String,
    token: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn status_json(code: u16, reason: &str, message: &str) -> String {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code})
    .to_string()
}

async fn fake_kube(names: &[&str], minor: &'static str) -> FakeKube {
    let pki = pki(names);
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![pki.cert], pki.key)
    .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let token = Arc::new(Mutex::new("good".to_string()));
    let hits = Arc::new(AtomicUsize::new(0));
    let (t, h) = (token.clone(), hits.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, token, hits) = (acceptor.clone(), t.clone(), h.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(
                    move |req: http::Request<hyper::body::Incoming>| {
                        hits.fetch_add(1, Ordering::SeqCst);
                        let auth = req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let good = format!("Bearer {}", token.lock().expect("token"));
                        let basic = format!("Basic {}", b64("admin:pw"));
                        let (status, body) = if !auth.is_empty() && auth != good && auth != basic {
                            (401, status_json(401, "Unauthorized", "Unauthorized"))
                        } else {
                            match (req.uri().path(), auth.is_empty()) {
                            ("/version", _) => (
                                200,
                                json!({"major": "1", "minor": minor, "gitVersion": format!("v1.{minor}.2")})
                                    .to_string(),
                            ),
                            ("/api", false) => (
                                200,
                                json!({"kind": "APIVersions", "versions": ["v1"],
                                    "serverAddressByClientCIDRs": []})
                                .to_string(),
                            ),
                            ("/api", true) => (
                                403,
                                status_json(
                                    403,
                                    "Forbidden",
                                    "forbidden: User \"system:anonymous\" cannot get path \"/api\"",
                                ),
                            ),
                            _ => (404, status_json(404, "NotFound", "the server could not find the requested resource")),
                        }
                        };
                        async move {
                            let mut resp = http::Response::new(Full::new(Bytes::from(body)));
                            *resp.status_mut() =
                                http::StatusCode::from_u16(status).expect("status");
                            resp.headers_mut().insert(
                                "content-type",
                                http::HeaderValue::from_static("application/json"),
                            );
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    FakeKube {
        url,
        ca_pem: pki.ca_pem,
        token,
        hits,
        task,
    }
}

async fn create(api: &Api, agent: &str, id: &str, cluster: Value, extra: Value) -> Answer {
    let mut body = json!({"cluster": cluster});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    api.call(
        Method::POST,
        CLUSTERS,
        &[("agentIdentifier", agent)],
        &[("accountIdentifier", ACCOUNT), ("identifier", id)],
        Some(&body),
    )
    .await
}

async fn get(api: &Api, agent: &str, id: &str) -> Answer {
    api.call(
        Method::GET,
        CLUSTER,
        &[("agentIdentifier", agent), ("identifier", id)],
        &[("accountIdentifier", ACCOUNT)],
        None,
    )
    .await
}

async fn update(api: &Api, agent: &str, id: &str, body: &Value) -> Answer {
    api.call(
        Method::PUT,
        CLUSTER,
        &[("agentIdentifier", agent), ("identifier", id)],
        &[("accountIdentifier", ACCOUNT)],
        Some(body),
    )
    .await
}

fn state(ans: &Answer) -> (String, String) {
    assert_eq!(ans.status, 200, "{}", ans.body);
    let info = &ans.body["cluster"]["info"];
    (
        info["connectionState"]["status"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        info["connectionState"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

fn assert_failed(ans: &Answer, needle: &str) {
    let (status, message) = state(ans);
    assert_eq!(status, "Failed", "{}", ans.body);
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    assert!(ans.body["cluster"]["info"].get("serverVersion").is_none());
    assert!(ans.body["cluster"].get("serverVersion").is_none());
}

#[tokio::test]
async fn a_loopback_cluster_is_checked_with_its_token_on_every_read() {
    let kube = fake_kube(&["127.0.0.1", "localhost"], "31").await;
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let cluster = json!({"server": kube.url, "config": {"bearerToken": "good",
        "tlsClientConfig": {"caData": b64(&kube.ca_pem)}}});
    let created = create(&api, AGENT, "kind", cluster.clone(), json!({})).await;
    assert_eq!(state(&created).0, "Successful", "{}", created.body);
    let c = &created.body["cluster"];
    assert_eq!(
        c["info"]["serverVersion"], "1.31",
        "the version the API reported"
    );
    assert_eq!(c["serverVersion"], "1.31");
    assert_eq!(c["info"]["apiVersions"], json!(["v1"]));
    assert_eq!(c["config"]["bearerToken"], MASK);
    assert_eq!(
        kube.hits.load(Ordering::SeqCst),
        2,
        "GET /version and GET /api"
    );

    let got = get(&api, AGENT, "kind").await;
    assert_eq!(state(&got).0, "Successful");
    assert_eq!(kube.hits.load(Ordering::SeqCst), 4, "checked again on GET");

    // The token is revoked behind the scenes: the next read says so.
    *kube.token.lock().expect("token") = "rotated".into();
    let revoked = get(&api, AGENT, "kind").await;
    assert_failed(
        &revoked,
        "the server has asked for the client to provide credentials",
    );
    let listed = api
        .call(
            Method::GET,
            CLUSTERS,
            &[("agentIdentifier", AGENT)],
            &[("accountIdentifier", ACCOUNT)],
            None,
        )
        .await;
    assert_eq!(
        listed.body["items"][0]["info"]["connectionState"]["status"],
        "Failed"
    );

    // The new token, through updatedFields: connected again.
    let mut fixed = cluster.clone();
    fixed["config"]["bearerToken"] = json!("rotated");
    let updated = update(
        &api,
        AGENT,
        "kind",
        &json!({"cluster": fixed, "updatedFields": ["config"]}),
    )
    .await;
    assert_eq!(state(&updated).0, "Successful", "{}", updated.body);

    // A wrong token from the start; the right one on the same server from another agent.
    let mut wrong = cluster.clone();
    wrong["config"]["bearerToken"] = json!("nope");
    let bad = create(&api, "account.agent2", "kind", wrong, json!({})).await;
    assert_failed(
        &bad,
        "the server has asked for the client to provide credentials",
    );
    let mut basic = cluster.clone();
    basic["config"] = json!({"username": "admin", "password": "pw",
        "tlsClientConfig": {"caData": b64(&kube.ca_pem)}});
    let ok = create(&api, "account.agent3", "kind", basic, json!({})).await;
    assert_eq!(state(&ok).0, "Successful", "basic auth: {}", ok.body);
    let mut anonymous = cluster.clone();
    anonymous["config"] = json!({"tlsClientConfig": {"caData": b64(&kube.ca_pem)}});
    let anon = create(&api, "account.agent4", "kind", anonymous, json!({})).await;
    assert_failed(
        &anon,
        "forbidden: User \"system:anonymous\" cannot get path \"/api\"",
    );
    // The admin dump checks too, and shows the token only when asked.
    let dump = emu.admin_get("state").await;
    assert_eq!(dump["clusters"].as_array().map(Vec::len), Some(4));
    let clear = emu.admin_get("state?secrets=clear").await;
    let tokens: Vec<&Value> = clear["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["cluster"]["config"]["bearerToken"])
        .collect();
    assert!(tokens.contains(&&json!("rotated")), "{clear}");
}

#[tokio::test]
async fn tls_and_transport_failures_read_like_a_real_agent() {
    let kube = fake_kube(&["127.0.0.1"], "30+").await;
    let named = fake_kube(&["kubernetes.local"], "29").await;
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let ca = b64(&kube.ca_pem);
    let mut n = 0;
    let mut check = |cluster: Value| {
        n += 1;
        let agent = format!("account.tls{n}");
        let api = &api;
        async move { create(api, &agent, "c", cluster, json!({})).await }
    };
    let no_ca = check(json!({"server": kube.url, "config": {"bearerToken": "good"}})).await;
    assert_failed(&no_ca, "x509: certificate signed by unknown authority");
    let insecure = check(json!({"server": kube.url, "config": {"bearerToken": "good",
        "tlsClientConfig": {"insecure": true}}}))
    .await;
    assert_eq!(state(&insecure).0, "Successful", "{}", insecure.body);
    assert_eq!(
        insecure.body["cluster"]["serverVersion"], "1.30",
        "a trailing + is dropped"
    );
    let both = check(json!({"server": kube.url, "config": {"bearerToken": "good",
        "tlsClientConfig": {"insecure": true, "caData": ca}}}))
    .await;
    assert_failed(
        &both,
        "specifying a root certificates file with the insecure flag is not allowed",
    );
    let other_ca = check(json!({"server": kube.url, "config": {"bearerToken": "good",
        "tlsClientConfig": {"caData": b64(&named.ca_pem)}}}))
    .await;
    assert_failed(&other_ca, "x509: certificate signed by unknown authority");
    let not_pem = check(json!({"server": kube.url, "config": {"bearerToken": "good",
        "tlsClientConfig": {"caData": b64("not a certificate")}}}))
    .await;
    assert_failed(&not_pem, "unable to load root certificates");

    // A certificate for another name; serverName says which name to verify.
    let wrong_name = check(
        json!({"server": named.url, "config": {"bearerToken": "good",
        "tlsClientConfig": {"caData": b64(&named.ca_pem)}}}),
    )
    .await;
    assert_failed(&wrong_name, "x509: certificate is not valid for");
    let server_name = check(
        json!({"server": named.url, "config": {"bearerToken": "good",
        "tlsClientConfig": {"caData": b64(&named.ca_pem), "serverName": "kubernetes.local"}}}),
    )
    .await;
    assert_eq!(state(&server_name).0, "Successful", "{}", server_name.body);
    assert_eq!(server_name.body["cluster"]["serverVersion"], "1.29");

    // Nothing listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let refused = check(json!({"server": format!("https://127.0.0.1:{port}"),
        "config": {"bearerToken": "good"}}))
    .await;
    assert_failed(&refused, "connect: connection refused");
    assert!(
        state(&refused)
            .1
            .starts_with("unable to connect to cluster: Get \"https://127.0.0.1:"),
        "{}",
        refused.body
    );

    // Plain HTTP against the TLS port.
    let plain = check(json!({"server": kube.url.replace("https://", "http://"),
        "config": {"bearerToken": "good"}}))
    .await;
    assert_eq!(state(&plain).0, "Failed", "{}", plain.body);

    // Non-loopback servers keep the conventions, checked by nobody.
    let conventional =
        check(json!({"server": "https://k8s.example.com", "config": {"bearerToken": "x"}})).await;
    assert_eq!(state(&conventional).0, "Successful");
    assert_eq!(conventional.body["cluster"]["serverVersion"], "1.30");
    let invalid =
        check(json!({"server": "https://k8s.example.invalid", "config": {"bearerToken": "x"}}))
            .await;
    assert_failed(&invalid, "no such host");
}

#[tokio::test]
async fn connection_types_secret_expressions_and_updated_fields() {
    let kube = fake_kube(&["127.0.0.1"], "30").await;
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let server = "https://k8s.example.com";
    create(
        &api,
        AGENT,
        "bogus",
        json!({"server": server, "config": {"clusterConnectionType": "BOGUS"}}),
        json!({}),
    )
    .await
    .assert_error(400, 3, "IRSA");
    create(
        &api,
        AGENT,
        "irsa",
        json!({"server": server, "config": {"clusterConnectionType": "IRSA", "bearerToken": "t"}}),
        json!({}),
    )
    .await
    .assert_error(400, 3, "IRSA");
    let sa = create(
        &api,
        AGENT,
        "sa",
        json!({"server": server, "config": {"clusterConnectionType": "SERVICE_ACCOUNT", "bearerToken": "t"}}),
        json!({}),
    )
    .await;
    assert_eq!(sa.status, 200, "{}", sa.body);
    // SERVICE_ACCOUNT → IRSA while sending the masked token back (the Go provider's
    // issue #1400): refused; without the token: accepted.
    let stale = json!({"cluster": {"server": server, "config": {"clusterConnectionType": "IRSA",
        "bearerToken": MASK, "roleARN": "arn:aws:iam::1:role/r", "awsClusterName": "eks"}},
        "updatedFields": ["config"]});
    update(&api, AGENT, "sa", &stale)
        .await
        .assert_error(400, 3, "bearerToken");
    let clean = json!({"cluster": {"server": server, "config": {"clusterConnectionType": "IRSA",
        "roleARN": "arn:aws:iam::1:role/r", "awsClusterName": "eks"}}, "updatedFields": ["config"]});
    let ans = update(&api, AGENT, "sa", &clean).await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    assert_eq!(
        ans.body["cluster"]["config"]["clusterConnectionType"],
        "IRSA"
    );

    // secretExpressions: accepted, stored, shown by the admin dump, not by the API.
    let with_expr = create(
        &api,
        AGENT,
        "expr",
        json!({"server": kube.url, "config": {"tlsClientConfig": {"caData": b64(&kube.ca_pem)}}}),
        json!({"secretExpressions": {"bearerToken": "account.k8s_token"}, "tags": {"a": "b"}}),
    )
    .await;
    assert_failed(
        &with_expr,
        "cannot resolve secret expression account.k8s_token for bearerToken",
    );
    assert!(with_expr.body.get("secretExpressions").is_none());
    // Once the emulated secret manager holds the secret, the agent resolves it and connects
    // (a reference or the <+secrets.getValue("…")> expression alike).
    let put = emu
        .admin(
            Method::POST,
            "secrets",
            Some(&json!({"reference": "account.k8s_token", "value": "good"})),
        )
        .await
        .expect("admin secrets");
    assert_eq!(put.status(), 200);
    let ans = get(&api, AGENT, "expr").await;
    assert_eq!(state(&ans).0, "Successful", "{}", ans.body);
    let ans = update(
        &api,
        AGENT,
        "expr",
        &json!({"cluster": {"server": kube.url},
            "secretExpressions": {"bearerToken": "<+secrets.getValue(\"account.k8s_token\")>"},
            "updatedFields": ["secretExpressions"]}),
    )
    .await;
    assert_eq!(state(&ans).0, "Successful", "{}", ans.body);
    let dump = emu.admin_get("state").await;
    let stored = dump["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["identifier"] == "expr")
        .expect("expr in the dump");
    assert_eq!(
        stored["secretExpressions"],
        json!({"bearerToken": "<+secrets.getValue(\"account.k8s_token\")>"})
    );
    // updatedFields naming secretExpressions changes only them; the cluster connects now
    // with a literal token.
    let ans = update(
        &api,
        AGENT,
        "expr",
        &json!({"cluster": {"server": kube.url, "config": {"bearerToken": "good",
            "tlsClientConfig": {"caData": b64(&kube.ca_pem)}}},
            "updatedFields": ["secretExpressions", "config"]}),
    )
    .await;
    assert_eq!(state(&ans).0, "Successful", "{}", ans.body);
    assert_eq!(ans.body["tags"], json!({"a": "b"}), "tags not named, kept");
    let dump = emu.admin_get("state").await;
    let stored = dump["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["identifier"] == "expr")
        .expect("expr in the dump");
    assert!(stored.get("secretExpressions").is_none(), "{stored}");
    for (expr, needle) in [
        (json!({"token": "account.x"}), "not a credential field"),
        (
            json!({"password": "bad ref!"}),
            "not a valid Harness identifier",
        ),
        (json!({"password": 5}), "secretExpressions"),
        (
            json!({"password": "<+secrets.getValue(x)>"}),
            "neither a secret reference",
        ),
    ] {
        create(
            &api,
            AGENT,
            "badexpr",
            json!({"server": "https://other.example.com"}),
            json!({"secretExpressions": expr}),
        )
        .await
        .assert_error(400, 3, needle);
    }
    update(
        &api,
        AGENT,
        "expr",
        &json!({"cluster": {"server": kube.url}, "updatedFields": ["colour"]}),
    )
    .await
    .assert_error(400, 3, "secretExpressions");
}
