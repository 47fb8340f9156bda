//! Protocol tests: the tfplugin6 service driven in-process by a real tonic client over a unix
//! socket, with msgpack values built by the crate's codec, against the real emulator.

use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::server;
use tfplugin::tf::codec::{decode_msgpack, encode_msgpack};
use tfplugin::tf::{Type, Value};
use tonic::transport::{Channel, Endpoint};

const KEY: &str = "pat.protocol.test";

fn emulator(extra: &[&str]) -> harness_gitops_emulator::Background {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        KEY,
        "--account-id",
        "acc",
    ]
    .iter()
    .chain(extra)
    .copied();
    harness_gitops_emulator::start_background_with_args(args).expect("start the emulator")
}

/// Waits (at most 30 s) until the emulator has received a request of `op` (counted on
/// arrival, before its latency): the call is in flight.
async fn until_requested(emu: &harness_gitops_emulator::Background, op: &str) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let counters: serde_json::Value = http
            .get(format!("{}/_emulator/requests", emu.url()))
            .header("x-api-key", KEY)
            .send()
            .await
            .expect("emulator counters")
            .json()
            .await
            .expect("counters json");
        if counters["requests"][op].as_u64().unwrap_or(0) > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {op} request reached the emulator: {counters}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn client() -> (ProviderClient<Channel>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_routes(server::provider_routes(
                tfprovider_harness::HarnessProvider,
                tokio_util::sync::CancellationToken::new(),
            ))
            .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(listener))
            .await
            .unwrap();
    });
    let channel = Endpoint::try_from("http://[::]:1")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?))
            }
        }))
        .await
        .unwrap();
    (
        ProviderClient::new(channel)
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20),
        dir,
    )
}

async fn schema_types(
    c: &mut ProviderClient<Channel>,
) -> (Type, Type, pb::get_provider_schema::Response) {
    let s = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let provider = ty_of(s.provider.as_ref().unwrap());
    let repo = ty_of(&s.resource_schemas["harness_gitops_repository"]);
    (provider, repo, s)
}

/// The object type Terraform derives from the wire schema.
fn ty_of(s: &pb::Schema) -> Type {
    tfplugin::server::convert::implied_type(s).expect("a well-formed wire schema")
}

fn obj(ty: &Type, pairs: &[(&str, Value)]) -> Value {
    let Type::Object(attrs) = ty else { panic!() };
    let mut m: tfplugin::tf::ObjectMap<Value> =
        attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (k, v) in pairs {
        assert!(m.contains_key(*k), "no attribute {k}");
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(v, ty).unwrap(),
        json: vec![],
    })
}

fn diag_paths(d: &[pb::Diagnostic]) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    d.iter()
        .map(|d| {
            d.attribute
                .as_ref()
                .map(|p| {
                    p.steps
                        .iter()
                        .map(|s| match s.selector.as_ref().unwrap() {
                            Selector::AttributeName(a) => a.clone(),
                            Selector::ElementKeyString(k) => format!("[{k}]"),
                            Selector::ElementKeyInt(i) => format!("[{i}]"),
                        })
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .unwrap_or_default()
        })
        .collect()
}

async fn configure(c: &mut ProviderClient<Channel>, pty: &Type, url: &str) -> Vec<pb::Diagnostic> {
    let cfg = obj(
        pty,
        &[
            ("endpoint", url.into()),
            ("account_id", "acc".into()),
            ("api_key", KEY.into()),
            ("request_timeout", "5s".into()),
        ],
    );
    c.configure_provider(pb::configure_provider::Request {
        terraform_version: "1.11.4".into(),
        config: dv(&cfg, pty),
        client_capabilities: Some(pb::ClientCapabilities {
            deferral_allowed: false,
            write_only_attributes_allowed: true,
        }),
    })
    .await
    .unwrap()
    .into_inner()
    .diagnostics
}

#[tokio::test]
async fn schema_is_served_and_unknown_rpcs_are_unimplemented() {
    let (mut c, _d) = client().await;
    let (_, _, s) = schema_types(&mut c).await;
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    assert!(s.resource_schemas.contains_key("harness_gitops_repository"));
    assert!(s
        .data_source_schemas
        .contains_key("harness_gitops_repository"));
    let md = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(md.resources.len(), s.resource_schemas.len());
    let f = c
        .get_functions(pb::get_functions::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(f.functions.is_empty());
    let err = c
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);
    let mv = c
        .move_resource_state(pb::move_resource_state::Request {
            target_type_name: "harness_gitops_repository".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mv.diagnostics.len(), 1);
}

#[tokio::test]
async fn validation_reports_paths_and_accepts_unknowns() {
    let (mut c, _d) = client().await;
    let (_, rty, _) = schema_types(&mut c).await;
    let bad = obj(
        &rty,
        &[
            ("identifier", "r".into()),
            ("url", "https://x/y".into()),
            ("type", "svn".into()),
            ("password", "p".into()),
            ("password_wo", "q".into()),
        ],
    );
    let caps = Some(pb::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: true,
    });
    let r = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "harness_gitops_repository".into(),
            config: dv(&bad, &rty),
            client_capabilities: caps,
        })
        .await
        .unwrap()
        .into_inner();
    let mut paths = diag_paths(&r.diagnostics);
    paths.sort();
    assert_eq!(paths, vec!["password_wo", "type"]);

    let unknowns = obj(
        &rty,
        &[
            ("identifier", Value::unknown()),
            ("url", Value::unknown()),
            ("type", Value::unknown()),
        ],
    );
    let r = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "harness_gitops_repository".into(),
            config: dv(&unknowns, &rty),
            client_capabilities: caps,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);

    // A client without write-only support must not be allowed to send a write-only value.
    let wo = obj(
        &rty,
        &[
            ("identifier", "r".into()),
            ("url", "https://x/y".into()),
            ("password_wo", "q".into()),
        ],
    );
    let r = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "harness_gitops_repository".into(),
            config: dv(&wo, &rty),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(diag_paths(&r.diagnostics), vec!["password_wo"]);
}

#[tokio::test]
async fn calls_before_configure_get_a_diagnostic() {
    let (mut c, _d) = client().await;
    let (_, rty, _) = schema_types(&mut c).await;
    let st = obj(
        &rty,
        &[("identifier", "r".into()), ("agent_id", "account.a".into())],
    );
    let r = c
        .read_resource(pb::read_resource::Request {
            type_name: "harness_gitops_repository".into(),
            current_state: dv(&st, &rty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.summary == "Provider Not Configured"),
        "{:?}",
        r.diagnostics
    );
    assert_eq!(r.new_state, dv(&st, &rty), "a failed read keeps the state");
}

#[tokio::test]
async fn plan_apply_read_import_round_trip() {
    let emu = emulator(&[]);
    let (mut c, _d) = client().await;
    let (pty, rty, _) = schema_types(&mut c).await;
    assert!(configure(&mut c, &pty, emu.url()).await.is_empty());
    let tn = "harness_gitops_repository".to_string();
    let config = obj(
        &rty,
        &[
            ("identifier", "r1".into()),
            ("agent_id", "account.a".into()),
            ("url", "https://github.com/a/b.git".into()),
            ("password_wo", "pw".into()),
        ],
    );
    let plan = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: tn.clone(),
            prior_state: dv(&Value::Null, &rty),
            proposed_new_state: dv(&config, &rty),
            config: dv(&config, &rty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = decode_msgpack(&plan.planned_state.as_ref().unwrap().msgpack, &rty).unwrap();
    assert!(
        planned.attr("password_wo").is_null(),
        "write-only planned null"
    );
    assert!(planned.attr("created_at").is_unknown());
    assert_eq!(planned.attr("type"), &Value::string("git"));
    assert_eq!(planned.attr("id"), &Value::string("account.a/r1"));
    assert_eq!(planned.attr("connection_type"), &Value::string("HTTPS"));

    let applied = c
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: tn.clone(),
            prior_state: dv(&Value::Null, &rty),
            planned_state: plan.planned_state.clone(),
            config: dv(&config, &rty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let state = decode_msgpack(&applied.new_state.as_ref().unwrap().msgpack, &rty).unwrap();
    assert!(state.is_wholly_known());
    for (k, v) in planned.as_object().unwrap() {
        if !v.is_unknown() {
            assert_eq!(state.attr(k), v, "apply changed the planned value of {k}");
        }
    }

    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: tn.clone(),
            current_state: applied.new_state.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty());
    assert_eq!(
        decode_msgpack(&read.new_state.unwrap().msgpack, &rty).unwrap(),
        state,
        "read right after apply is stable"
    );

    let imported = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: tn.clone(),
            id: "account.a/r1".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        imported.imported_resources.len(),
        1,
        "{:?}",
        imported.diagnostics
    );
    let bad = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: tn.clone(),
            id: "a/b/c/d/e".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(bad.imported_resources.is_empty());
    assert!(bad.diagnostics[0]
        .detail
        .contains("org_id/project_id/agent_id/identifier"));

    // Destroy: planned null, then gone remotely; a second read finds nothing.
    let del = c
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: tn.clone(),
            prior_state: applied.new_state.clone(),
            planned_state: dv(&Value::Null, &rty),
            config: dv(&Value::Null, &rty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(del.diagnostics.is_empty());
    assert_eq!(
        decode_msgpack(&del.new_state.unwrap().msgpack, &rty).unwrap(),
        Value::Null
    );
    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: tn,
            current_state: applied.new_state,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        decode_msgpack(&read.new_state.unwrap().msgpack, &rty).unwrap(),
        Value::Null
    );
}

#[tokio::test]
async fn upgrade_state_decodes_missing_attributes_as_null() {
    let (mut c, _d) = client().await;
    let (_, rty, _) = schema_types(&mut c).await;
    let raw = br#"{"id":"account.a/r1","identifier":"r1","agent_id":"account.a","url":"https://x/y","type":"git"}"#;
    let r = c
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "harness_gitops_repository".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: raw.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode_msgpack(&r.upgraded_state.unwrap().msgpack, &rty).unwrap();
    assert_eq!(v.attr("url"), &Value::string("https://x/y"));
    assert!(v.attr("name").is_null());
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_calls() {
    let emu = emulator(&["--latency", "20s"]);
    let (mut c, _d) = client().await;
    let (pty, rty, _) = schema_types(&mut c).await;
    assert!(configure(&mut c, &pty, emu.url()).await.is_empty());
    let st = obj(
        &rty,
        &[("identifier", "r".into()), ("agent_id", "account.a".into())],
    );
    let mut c2 = c.clone();
    let started = Instant::now();
    let read = tokio::spawn(async move {
        c2.read_resource(pb::read_resource::Request {
            type_name: "harness_gitops_repository".into(),
            current_state: dv(&st, &rty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
    });
    until_requested(&emu, "repositories.get").await;
    c.stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("read must end promptly after StopProvider")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!r.diagnostics.is_empty(), "a cancelled read reports it");
}

#[tokio::test]
async fn messages_larger_than_four_mib_are_accepted() {
    let (mut c, _d) = client().await;
    let (_, rty, _) = schema_types(&mut c).await;
    let big = "x".repeat(6 << 20);
    let cfg = obj(
        &rty,
        &[
            ("identifier", "r".into()),
            ("url", "https://x/y".into()),
            ("name", big.into()),
        ],
    );
    let r = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "harness_gitops_repository".into(),
            config: dv(&cfg, &rty),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty());
}
