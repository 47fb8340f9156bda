//! Repository certificates and GnuPG keys against the document (every answer validated by
//! `Api::call`), their derived values, their refusals, counters and persistence.

use crate::emulator_support::*;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: &str = "account.agent1";

const GPG_KEY: &str = include_str!("../../../../tests/e2e/fixtures/gnupg-test-key.asc");
const HOST_KEY: &str = include_str!("../../../../tests/e2e/fixtures/ssh-test-host-key.pub");
const PEM: &str = include_str!("../../../../tests/e2e/fixtures/https-test-cert.pem");

fn acc() -> Vec<(&'static str, &'static str)> {
    vec![("accountIdentifier", ACCOUNT)]
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn ssh_item() -> Value {
    let key = HOST_KEY.split_whitespace().nth(1).unwrap();
    json!({"serverName": "git.example.com", "certType": "ssh",
           "certSubType": "ecdsa-sha2-nistp256", "certData": b64(key)})
}

#[tokio::test]
async fn certificates_crud_matches_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state.json");
    let data = data.to_str().unwrap().to_string();
    let emu = Emulator::start(&["--data", &data]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let https = json!({"serverName": "git.example.com", "certType": "https", "certData": b64(PEM)});
    let ans = api
        .call(
            Method::POST,
            CERTS,
            &agent,
            &acc(),
            Some(&json!({"certificates": {"items": [ssh_item(), https]}, "upsert": true})),
        )
        .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let items = ans.body["items"].as_array().unwrap();
    assert_eq!(
        items[0]["certInfo"],
        "SHA256:mV8ZkC+/7kByVEqKfcj2XQ/KrIHb9jz3cf9/woucSYM"
    );
    assert_eq!(items[1]["certInfo"], "O=Example,CN=git.example.com");
    assert_eq!(items[1]["certSubType"], "ECDSA");

    let list = |q: Vec<(&'static str, &'static str)>| {
        let mut query = acc();
        query.extend(q);
        let api = &api;
        async move {
            api.call(Method::GET, CERTS, &agent, &query, None)
                .await
                .body
        }
    };
    assert_eq!(list(vec![]).await["items"].as_array().unwrap().len(), 2);
    let ssh = list(vec![
        ("query.hostNamePattern", "*.example.com"),
        ("query.certType", "ssh"),
    ])
    .await;
    assert_eq!(ssh["items"].as_array().unwrap().len(), 1);
    assert_eq!(ssh["items"][0]["certData"], ssh_item()["certData"]);
    assert!(list(vec![("query.hostNamePattern", "*.example.org")])
        .await
        .get("items")
        .is_none());

    // Same entry with other data: refused without upsert.
    let other = {
        let mut i = ssh_item();
        i["certData"] = json!(b64(
            "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOx6"
        ));
        i
    };
    api.call(
        Method::POST,
        CERTS,
        &agent,
        &acc(),
        Some(&json!({"certificates": {"items": [other]}})),
    )
    .await
    .assert_error(400, 3, "");

    // Refusals name the problem.
    for (item, needle) in [
        (
            json!({"serverName": "h", "certType": "ssh", "certSubType": "ssh-ed25519", "certData": ssh_item()["certData"]}),
            "not \"ssh-ed25519\"",
        ),
        (
            json!({"serverName": "h", "certType": "https", "certData": b64("nope")}),
            "BEGIN CERTIFICATE",
        ),
        (
            json!({"serverName": "h", "certType": "ftp", "certData": b64("x")}),
            "ssh or https",
        ),
        (
            json!({"serverName": "", "certType": "ssh", "certData": b64("x")}),
            "serverName",
        ),
    ] {
        api.call(
            Method::POST,
            CERTS,
            &agent,
            &acc(),
            Some(&json!({"certificates": {"items": [item]}, "upsert": true})),
        )
        .await
        .assert_error(400, 3, needle);
    }

    // Persisted: a restart on the same data file keeps them.
    drop(emu);
    let emu = Emulator::start(&["--data", &data]).await;
    let api = emu.api();
    let mut q = acc();
    q.push(("query.certType", "ssh"));
    let del = api.call(Method::DELETE, CERTS, &agent, &q, None).await;
    assert_eq!(del.status, 200, "{}", del.body);
    assert_eq!(del.body["items"].as_array().unwrap().len(), 1);
    let rest = api
        .call(Method::GET, CERTS, &agent, &acc(), None)
        .await
        .body;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["items"][0]["certType"], "https");
    let state = emu.admin_get("state").await;
    let held = state["certificates"]
        .as_array()
        .expect("certificates in the state");
    assert_eq!(held.len(), 1, "{state}");
    assert_eq!(held[0]["serverName"], "git.example.com");
    let mut https = acc();
    https.push(("query.certType", "https"));
    let del = api.call(Method::DELETE, CERTS, &agent, &https, None).await;
    assert_eq!(del.status, 200, "{}", del.body);
    let state = emu.admin_get("state").await;
    assert!(state.get("certificates").is_none(), "none left: {state}");
    let counts = emu.counters().await;
    assert_eq!(counts["applied"]["certificates.delete"], 2, "{counts}");
    assert_eq!(counts["requests"]["certificates.list"], 1, "{counts}");
}

#[tokio::test]
async fn gpg_keys_are_reported_like_argo_cd() {
    let emu = Emulator::start(&[]).await;
    let api = emu.api();
    let agent = [("agentIdentifier", AGENT)];
    let create =
        |upsert: bool, data: &str| json!({"publickey": {"keyData": data}, "upsert": upsert});
    let ans = api
        .call(
            Method::POST,
            GPGKEYS,
            &agent,
            &acc(),
            Some(&create(false, GPG_KEY)),
        )
        .await;
    assert_eq!(ans.status, 200, "{}", ans.body);
    let key = &ans.body["created"]["items"][0];
    // What `gpg --with-colons --fingerprint` printed for the fixture.
    assert_eq!(key["keyID"], "C524E8E8F92D08BC");
    assert_eq!(
        key["fingerprint"],
        "6CA60E240D47CC44DB3AA7D1C524E8E8F92D08BC"
    );
    assert_eq!(key["owner"], "Terraform Test <tf-test@example.com>");
    assert_eq!(key["subType"], "ed25519");
    assert_eq!(key["keyData"], GPG_KEY);

    // Again: skipped, unless upsert.
    let again = api
        .call(
            Method::POST,
            GPGKEYS,
            &agent,
            &acc(),
            Some(&create(false, GPG_KEY)),
        )
        .await;
    assert_eq!(
        again.body["skipped"],
        json!(["C524E8E8F92D08BC"]),
        "{}",
        again.body
    );
    let up = api
        .call(
            Method::POST,
            GPGKEYS,
            &agent,
            &acc(),
            Some(&create(true, GPG_KEY)),
        )
        .await;
    assert_eq!(up.body["created"]["items"][0]["keyID"], "C524E8E8F92D08BC");

    let item = [
        ("agentIdentifier", AGENT),
        ("query.keyID", "C524E8E8F92D08BC"),
    ];
    let got = api.call(Method::GET, GPGKEY, &item, &acc(), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(&got.body, key);
    let mut q = acc();
    q.push(("query.keyID", "C524E8E8F92D08BC"));
    let list = api.call(Method::GET, GPGKEYS, &agent, &q, None).await;
    assert_eq!(list.body["items"][0]["keyID"], "C524E8E8F92D08BC");

    for (data, needle) in [
        ("not a key", "no ASCII-armored PGP public key block"),
        (
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nabc\n-----END PGP PRIVATE KEY BLOCK-----",
            "public key",
        ),
        ("", "publickey.keyData"),
    ] {
        api.call(
            Method::POST,
            GPGKEYS,
            &agent,
            &acc(),
            Some(&create(true, data)),
        )
        .await
        .assert_error(400, 3, needle);
    }

    let state = emu.admin_get("state").await;
    let keys = state["gnupgKeys"].as_array().expect("keys in the state");
    assert_eq!(keys.len(), 1, "{state}");
    assert_eq!(keys[0]["keyID"], "C524E8E8F92D08BC");
    let del = api.call(Method::DELETE, GPGKEY, &item, &acc(), None).await;
    assert_eq!(del.status, 200);
    let state = emu.admin_get("state").await;
    assert!(state.get("gnupgKeys").is_none(), "none left: {state}");
    api.call(Method::GET, GPGKEY, &item, &acc(), None)
        .await
        .assert_error(404, 5, "C524E8E8F92D08BC");
    api.call(Method::DELETE, GPGKEY, &item, &acc(), None)
        .await
        .assert_error(404, 5, "not found");
    let counts = emu.counters().await;
    assert_eq!(counts["applied"]["gpgkeys.create"], 2, "{counts}");
    assert_eq!(counts["applied"]["gpgkeys.delete"], 1, "{counts}");
}
