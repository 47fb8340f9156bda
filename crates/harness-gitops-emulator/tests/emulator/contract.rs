//! The conformance check itself: the committed contract (`contract/`, inside the checkout) is
//! what the validating client reads, it has the operations the emulator serves, and a
//! response that violates it fails the call, naming the field. Without this, a contract
//! that lost its schemas would let every conformance test pass.

use std::path::PathBuf;

use crate::emulator_support::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[test]
fn the_contract_is_read_from_inside_the_checkout() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    assert!(
        root.join("Cargo.toml").is_file() && root.join("crates").is_dir(),
        "{} is the workspace root",
        root.display()
    );
    let path = contract_path().canonicalize().unwrap_or_else(|e| {
        panic!(
            "the contract is committed at {}: {e}",
            contract_path().display()
        )
    });
    assert!(
        path.starts_with(&root),
        "{} is inside {}",
        path.display(),
        root.display()
    );
}

#[test]
fn the_contract_has_the_operations_the_emulator_serves() {
    let c = contract();
    for (method, template, _) in operations() {
        assert!(
            c.operation(&method, template)["operationId"].is_string(),
            "{method} {template} has an operationId"
        );
        let ok = c.response_schema(&method, template, StatusCode::OK);
        assert_eq!(
            c.doc["components"]["schemas"][&ok]["type"], "object",
            "{method} {template}: 200 is {ok}, an object"
        );
        assert_eq!(
            c.response_schema(&method, template, StatusCode::NOT_FOUND),
            "gatewayruntimeError",
            "{method} {template}: errors"
        );
    }
    assert_eq!(
        c.response_schema(&Method::GET, REPO, StatusCode::OK),
        "servicev1Repository"
    );
    assert_eq!(
        c.request_schema(&Method::POST, REPOS),
        "repositoriesRepoCreateRequest"
    );
    let params = c.query_params(&Method::GET, REPO);
    for (name, boolean) in [("accountIdentifier", false), ("query.repo", false)] {
        assert!(
            params.iter().any(|(n, b, _)| n == name && *b == boolean),
            "GET {REPO} has query parameter {name}: {params:?}"
        );
    }
    let required: Vec<&Value> = c.operation(&Method::GET, REPO)["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["required"] == json!(true))
        .map(|p| &p["name"])
        .collect();
    assert_eq!(
        required,
        vec!["agentIdentifier", "identifier"],
        "required flags kept"
    );
}

/// Serves `status` with `body` to every request on loopback; returns the base URL.
async fn canned(status: u16, body: Value) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let text = body.to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let text = text.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

/// GET of one repository from a server that answers `status` with `body`, through the
/// validating client; the panic message when validation fails.
async fn get_repo(status: u16, body: Value) -> Result<Value, String> {
    let url = canned(status, body).await;
    let call = tokio::spawn(async move {
        Api::new(&url, contract())
            .call(
                Method::GET,
                REPO,
                &[("agentIdentifier", "a"), ("identifier", "r")],
                &[("accountIdentifier", ACCOUNT)],
                None,
            )
            .await
            .body
    });
    match call.await {
        Ok(body) => Ok(body),
        Err(e) => {
            let panic = e.into_panic();
            Err(panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default())
        }
    }
}

#[tokio::test]
async fn a_response_that_violates_the_contract_fails_the_call() {
    let valid = contract().maximal("servicev1Repository");
    assert!(valid["repository"]["githubAppID"].is_string());
    assert_eq!(
        get_repo(200, valid.clone()).await,
        Ok(valid.clone()),
        "a body of the contract's shape passes"
    );
    let cases: &[(&str, Value, &str)] = &[
        (
            "/repository/insecure",
            json!("yes"),
            "is not of type \"boolean\"",
        ),
        ("/repository/githubAppID", json!("12a"), "does not match"),
        (
            "/repository/githubAppID",
            json!(12),
            "is not of type \"string\"",
        ),
        ("/createdAt", json!("yesterday"), "is not a \"date-time\""),
        ("/repository", json!(["x"]), "is not of type \"object\""),
    ];
    for (pointer, wrong, needle) in cases {
        let mut body = valid.clone();
        set_at(&mut body, pointer, wrong.clone());
        let message = get_repo(200, body)
            .await
            .expect_err("a violating body must fail the call");
        assert!(
            message.contains("response does not match servicev1Repository")
                && message.contains(&format!("at {pointer}:"))
                && message.contains(needle),
            "{pointer} = {wrong}: {message}"
        );
    }
    // A key the contract does not list.
    let mut body = valid.clone();
    body["repository"]["brandNew"] = json!(true);
    let message = get_repo(200, body).await.unwrap_err();
    assert!(
        message.contains("at /repository:") && message.contains("brandNew"),
        "{message}"
    );
    // An error answer is checked against the `default` response.
    let error = json!({"error": "gone", "code": 5, "message": "gone", "details": []});
    assert!(get_repo(404, error).await.is_ok());
    let message = get_repo(404, json!({"code": "five"})).await.unwrap_err();
    assert!(
        message.contains("response does not match gatewayruntimeError")
            && message.contains("at /code:"),
        "{message}"
    );
}
