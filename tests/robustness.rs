//! Bad input to the running provider binary: never a panic, always a diagnostic (or a gRPC
//! status for transport-level garbage), and the process still answers afterwards.
//!
//! * property tests: random configurations (every attribute of every registered resource and
//!   data source: random strings, numbers, bools, nulls, unknowns, nested values) through
//!   ValidateResourceConfig and PlanResourceChange, and random import IDs through
//!   ImportResourceState;
//! * property tests: random states of every resource (nested values at any depth) through
//!   ReadResource, UpgradeResourceState (as the JSON of a stored state) and
//!   ApplyResourceChange (create from a random plan, delete of a random prior state);
//! * random bytes as msgpack DynamicValues to every RPC that takes one;
//! * a message over the 256 MiB limit, and raw garbage on the socket.
//!
//! A panic inside the provider becomes a diagnostic that says "panicked": these tests fail on
//! any such diagnostic, so they catch panics the server would otherwise hide.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tfplugin::server::convert::implied_type;
use tfplugin::tf::codec::{encode_json, encode_msgpack};
use tfplugin::tf::{Number, Type, Value};
use tokio::io::AsyncWriteExt;
use tonic::transport::{Channel, Endpoint};

const COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);
const KEY: &str = "pat.robustness.key";

/// The real binary, plaintext on a unix socket; killed on drop.
struct Provider {
    child: Child,
    socket: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Provider {
    let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-harness"))
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TMPDIR", std::env::temp_dir())
        .env_remove("KUBECONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("handshake line");
    let socket = line.split('|').nth(3).expect("address field").to_string();
    Provider { child, socket }
}

async fn connect(p: &Provider) -> ProviderClient<Channel> {
    let path = p.socket.clone();
    let ch = Endpoint::try_from("http://[::]:1")
        .unwrap()
        .timeout(Duration::from_secs(30))
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?))
            }
        }))
        .await
        .expect("connect");
    ProviderClient::new(ch)
        .max_decoding_message_size(512 << 20)
        .max_encoding_message_size(512 << 20)
}

fn dv(bytes: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: bytes,
        json: vec![],
    })
}

/// No diagnostic that calls itself a provider bug (for inputs of a valid shape).
fn no_internal_error(what: &str, d: &[pb::Diagnostic]) {
    assert!(
        !d.iter().any(|d| d.summary == "Internal Provider Error"),
        "{what}: the provider reports a bug of its own: {d:?}"
    );
}

fn no_panic(what: &str, d: &[pb::Diagnostic]) {
    assert!(
        !d.iter().any(|d| d.detail.contains("panicked")),
        "{what}: the provider panicked: {d:?}"
    );
}

/// Any value of type `t`, nulls and unknowns included at every depth, strings with odd text.
fn value_of(t: &Type, depth: u32) -> BoxedStrategy<Value> {
    let leaf = match t {
        Type::String => prop_oneof![
            "[a-z_]{0,12}".prop_map(Value::String),
            "\\PC{0,40}".prop_map(Value::String),
            Just(Value::String("https://github.com/acme/x.git".into())),
            Just(Value::String("git@github.com:acme/x.git".into())),
            Just(Value::String("account.agent1".into())),
            Just(Value::String("10m".into())),
        ]
        .boxed(),
        Type::Number => prop_oneof![
            any::<i64>().prop_map(|n| Value::Number(Number::from(n))),
            any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        ]
        .boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Dynamic => Just(Value::Null).boxed(),
        Type::List(e) | Type::Set(e) if depth < 4 => {
            let set = matches!(t, Type::Set(_));
            prop::collection::vec(
                value_of(e, depth + 1).prop_filter("no null elements", |v| !v.is_null()),
                0..4,
            )
            .prop_map(move |v| if set { Value::Set(v) } else { Value::List(v) })
            .boxed()
        }
        Type::Map(e) if depth < 4 => prop::collection::btree_map(
            "[a-z]{1,6}",
            value_of(e, depth + 1).prop_filter("no null elements", |v| !v.is_null()),
            0..3,
        )
        .prop_map(Value::Map)
        .boxed(),
        Type::Object(attrs) if depth < 4 => {
            let fields: Vec<(tfplugin::tf::Name, BoxedStrategy<Value>)> = attrs
                .iter()
                .map(|(k, t)| (k.clone(), value_of(t, depth + 1)))
                .collect();
            fields
                .into_iter()
                .fold(
                    Just(tfplugin::tf::ObjectMap::new()).boxed(),
                    |acc, (k, s)| {
                        (acc, s)
                            .prop_map(move |(mut m, v)| {
                                m.insert(k.clone(), v);
                                m
                            })
                            .boxed()
                    },
                )
                .prop_map(Value::Object)
                .boxed()
        }
        _ => Just(Value::Null).boxed(),
    };
    if matches!(t, Type::Object(_)) && depth == 0 {
        return leaf;
    }
    prop_oneof![6 => leaf, 1 => Just(Value::Null), 1 => Just(Value::unknown())].boxed()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn random_configurations_and_import_ids_never_panic_for_any_resource() {
    let rt = runtime();
    let emu = harness_gitops_emulator::start_background_with_args([
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        KEY,
        "--account-id",
        "acc",
        "--sync-delay",
        "0",
    ])
    .expect("emulator");
    let p = start();
    let mut c = rt.block_on(connect(&p));
    let schema = rt
        .block_on(c.get_provider_schema(pb::get_provider_schema::Request {}))
        .unwrap()
        .into_inner();
    let pty = implied_type(schema.provider.as_ref().unwrap()).unwrap();
    let mut cfg = match &pty {
        Type::Object(m) => Value::Object(m.keys().map(|k| (k.clone(), Value::Null)).collect()),
        _ => unreachable!(),
    };
    cfg.set_attr("endpoint", Value::string(emu.url()));
    cfg.set_attr("account_id", "acc".into());
    cfg.set_attr("api_key", KEY.into());
    cfg.set_attr("request_timeout", "5s".into());
    cfg.set_attr("max_retries", Value::Number(0.into()));
    let r = rt
        .block_on(c.configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dv(encode_msgpack(&cfg, &pty).unwrap()),
            client_capabilities: Some(pb::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            }),
        }))
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);

    let mut cases = 0;
    for (name, s) in &schema.resource_schemas {
        let ty = implied_type(s).unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&value_of(&ty, 0), |config| {
                let bytes = encode_msgpack(&config, &ty).expect("generated values fit the type");
                let v = rt
                    .block_on(c.clone().validate_resource_config(
                        pb::validate_resource_config::Request {
                            type_name: name.clone(),
                            config: dv(bytes.clone()),
                            client_capabilities: Some(pb::ClientCapabilities {
                                deferral_allowed: false,
                                write_only_attributes_allowed: true,
                            }),
                        },
                    ))
                    .map_err(|e| TestCaseError::fail(format!("validate: {e}")))?
                    .into_inner();
                no_panic(&format!("{name} validate"), &v.diagnostics);
                let plan =
                    rt.block_on(c.clone().plan_resource_change(
                        pb::plan_resource_change::Request {
                            type_name: name.clone(),
                            prior_state: dv(vec![0xc0]),
                            proposed_new_state: dv(bytes.clone()),
                            config: dv(bytes),
                            ..Default::default()
                        },
                    ))
                    .map_err(|e| TestCaseError::fail(format!("plan: {e}")))?
                    .into_inner();
                no_panic(&format!("{name} plan"), &plan.diagnostics);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(
                &prop_oneof!["\\PC{0,60}", "([a-z._]{1,8}/){0,5}[a-z_]{0,8}"],
                |id| {
                    let r = rt
                        .block_on(c.clone().import_resource_state(
                            pb::import_resource_state::Request {
                                type_name: name.clone(),
                                id: id.clone(),
                                ..Default::default()
                            },
                        ))
                        .map_err(|e| TestCaseError::fail(format!("import: {e}")))?
                        .into_inner();
                    no_panic(&format!("{name} import {id:?}"), &r.diagnostics);
                    prop_assert!(
                        !r.diagnostics.is_empty() || r.imported_resources.len() == 1,
                        "an import either finds the object or says why not"
                    );
                    Ok(())
                },
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        cases += 1;
    }
    assert!(cases >= 1, "no resource type was exercised");
    for (name, s) in &schema.data_source_schemas {
        let ty = implied_type(s).unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&value_of(&ty, 0), |config| {
                let bytes = encode_msgpack(&config, &ty).expect("fits");
                let r = rt
                    .block_on(c.clone().validate_data_resource_config(
                        pb::validate_data_resource_config::Request {
                            type_name: name.clone(),
                            config: dv(bytes),
                        },
                    ))
                    .map_err(|e| TestCaseError::fail(format!("validate: {e}")))?
                    .into_inner();
                no_panic(&format!("{name} data validate"), &r.diagnostics);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn garbage_and_oversized_messages_leave_the_process_answering() {
    let rt = runtime();
    let p = start();
    let mut c = rt.block_on(connect(&p));
    let schema = rt
        .block_on(c.get_provider_schema(pb::get_provider_schema::Request {}))
        .unwrap()
        .into_inner();
    let name = schema
        .resource_schemas
        .keys()
        .next()
        .expect("a resource")
        .clone();
    let mut rng = fastrand::Rng::with_seed(11);
    for i in 0..300 {
        let len = rng.usize(0..200);
        let garbage: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let which = i % 4;
        let diags = rt.block_on(async {
            let mut c = c.clone();
            match which {
                0 => c
                    .validate_resource_config(pb::validate_resource_config::Request {
                        type_name: name.clone(),
                        config: dv(garbage),
                        client_capabilities: None,
                    })
                    .await
                    .map(|r| r.into_inner().diagnostics),
                1 => c
                    .plan_resource_change(pb::plan_resource_change::Request {
                        type_name: name.clone(),
                        prior_state: dv(garbage.clone()),
                        proposed_new_state: dv(garbage.clone()),
                        config: dv(garbage),
                        ..Default::default()
                    })
                    .await
                    .map(|r| r.into_inner().diagnostics),
                2 => c
                    .read_resource(pb::read_resource::Request {
                        type_name: name.clone(),
                        current_state: dv(garbage),
                        ..Default::default()
                    })
                    .await
                    .map(|r| r.into_inner().diagnostics),
                _ => c
                    .upgrade_resource_state(pb::upgrade_resource_state::Request {
                        type_name: name.clone(),
                        version: 0,
                        raw_state: Some(pb::RawState {
                            json: garbage,
                            flatmap: Default::default(),
                        }),
                    })
                    .await
                    .map(|r| r.into_inner().diagnostics),
            }
        });
        let diags = diags.unwrap_or_else(|s| {
            panic!("garbage {i} gave a gRPC error instead of a diagnostic: {s}")
        });
        no_panic("garbage", &diags);
    }
    // Over the 256 MiB limit: refused by the transport, and the process goes on.
    let huge = vec![0x90u8; 300 << 20];
    let err = rt
        .block_on(
            c.validate_resource_config(pb::validate_resource_config::Request {
                type_name: name.clone(),
                config: dv(huge),
                client_capabilities: None,
            }),
        )
        .expect_err("a 300 MiB message is refused");
    assert!(
        matches!(
            err.code(),
            tonic::Code::ResourceExhausted
                | tonic::Code::OutOfRange
                | tonic::Code::Internal
                | tonic::Code::Unavailable
        ),
        "{err}"
    );
    // Raw garbage on the socket (not HTTP/2): that connection dies, the process does not.
    rt.block_on(async {
        let mut s = tokio::net::UnixStream::connect(&p.socket)
            .await
            .expect("raw connect");
        let _ = s
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\xfe garbage")
            .await;
        let _ = s.shutdown().await;
    });
    let mut fresh = rt.block_on(connect(&p));
    let again = rt
        .block_on(fresh.get_provider_schema(pb::get_provider_schema::Request {}))
        .expect("still answering")
        .into_inner();
    assert_eq!(again.resource_schemas.len(), schema.resource_schemas.len());
}

/// `v` with what would leave this machine or block for minutes taken out: every `host`
/// (a bootstrap's Kubernetes API server) points at a closed loopback port, kubeconfig choices
/// are null, and `wait` and `timeouts` are null (an application waiting for a sync that a
/// random spec never starts would wait for its whole timeout).
fn contained(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| {
                    let x = match k.as_str() {
                        "host" if !x.is_null() => Value::string("https://127.0.0.1:1"),
                        "config_path" | "config_context" | "wait" | "timeouts" => Value::Null,
                        _ => contained(x),
                    };
                    (k, x)
                })
                .collect(),
        ),
        Value::List(items) => Value::List(items.into_iter().map(contained).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(contained).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, x)| (k, contained(x))).collect()),
        other => other,
    }
}

/// `v` as a stored state can be: unknown attributes null, unknown elements of lists, sets and
/// maps left out (a state never holds an unknown, and never a null element: validation
/// refuses those in configuration), numbers whole (every number attribute is an integer, and
/// validation refuses fractions).
fn known(v: Value) -> Value {
    let elements = |items: Vec<Value>| -> Vec<Value> {
        items
            .into_iter()
            .filter(|x| !x.is_unknown())
            .map(known)
            .collect()
    };
    match v {
        Value::Unknown(_) => Value::Null,
        Value::Number(n) if n.as_i64().is_none() => {
            Value::Number(Number::from(n.as_f64().clamp(-1e15, 1e15) as i64))
        }
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, known(x))).collect()),
        Value::List(items) => Value::List(elements(items)),
        Value::Set(items) => Value::Set(elements(items)),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .filter(|(_, x)| !x.is_unknown())
                .map(|(k, x)| (k, known(x)))
                .collect(),
        ),
        other => other,
    }
}

/// `v` with whole numbers only (unknowns kept), for a planned state.
fn known_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) if n.as_i64().is_none() => {
            Value::Number(Number::from(n.as_f64().clamp(-1e15, 1e15) as i64))
        }
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, x)| (k, known_numbers(x))).collect())
        }
        Value::List(items) => Value::List(items.into_iter().map(known_numbers).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(known_numbers).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, x)| (k, known_numbers(x))).collect()),
        other => other,
    }
}

/// Random states of every resource, as Terraform would send them after a hand-edited state,
/// an older provider or a corrupted plan: ReadResource, UpgradeResourceState (the JSON form of
/// the stored state), ApplyResourceChange creating from a random plan and deleting a random
/// prior state. Never a panic, never a gRPC error: diagnostics or a result. The provider
/// talks to the emulator; its Kubernetes settings point at a closed loopback port.
#[test]
fn random_states_through_read_upgrade_and_apply_never_panic_for_any_resource() {
    let rt = runtime();
    let emu = harness_gitops_emulator::start_background_with_args([
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        KEY,
        "--account-id",
        "acc",
        "--sync-delay",
        "0",
        "--delete-delay",
        "0",
    ])
    .expect("emulator");
    let p = start();
    let mut c = rt.block_on(connect(&p));
    let schema = rt
        .block_on(c.get_provider_schema(pb::get_provider_schema::Request {}))
        .unwrap()
        .into_inner();
    let pty = implied_type(schema.provider.as_ref().unwrap()).unwrap();
    let Type::Object(pattrs) = &pty else {
        unreachable!()
    };
    let mut cfg = Value::Object(pattrs.keys().map(|k| (k.clone(), Value::Null)).collect());
    cfg.set_attr("endpoint", Value::string(emu.url()));
    cfg.set_attr("account_id", "acc".into());
    cfg.set_attr("api_key", KEY.into());
    cfg.set_attr("org_id", "default".into());
    cfg.set_attr("project_id", "mlplatform".into());
    cfg.set_attr("agent_id", "account.robust".into());
    cfg.set_attr("request_timeout", "5s".into());
    cfg.set_attr("max_retries", Value::Number(0.into()));
    let Some(Type::Object(kattrs)) = pattrs.get("kubernetes") else {
        panic!("the provider has a kubernetes block: {pty:?}")
    };
    let mut k = Value::Object(kattrs.keys().map(|k| (k.clone(), Value::Null)).collect());
    k.set_attr("host", Value::string("https://127.0.0.1:1"));
    k.set_attr("token", "robustness-token".into());
    cfg.set_attr("kubernetes", k);
    let r = rt
        .block_on(c.configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dv(encode_msgpack(&cfg, &pty).unwrap()),
            client_capabilities: Some(pb::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            }),
        }))
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);

    let null = || dv(vec![0xc0]);
    let mut exercised = Vec::new();
    for (name, s) in &schema.resource_schemas {
        let ty = implied_type(s).unwrap();
        let version = s.version;
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        let counts = std::cell::Cell::new([0usize; 4]);
        let count = |i: usize| {
            let mut c = counts.get();
            c[i] += 1;
            counts.set(c);
        };
        runner
            .run(&(value_of(&ty, 0), value_of(&ty, 0)), |(a, b)| {
                let state = known(contained(a));
                let planned = known_numbers(contained(b));
                let state_mp = encode_msgpack(&state, &ty).expect("fits");
                let planned_mp = encode_msgpack(&planned, &ty).expect("fits");
                let state_json =
                    serde_json::to_vec(&encode_json(&state, &ty).expect("fits")).expect("json");
                let fail = |what: &str, e: tonic::Status| {
                    TestCaseError::fail(format!("{what}: a gRPC error, not a diagnostic: {e}"))
                };

                let r = rt
                    .block_on(c.clone().read_resource(pb::read_resource::Request {
                        type_name: name.clone(),
                        current_state: dv(state_mp.clone()),
                        ..Default::default()
                    }))
                    .map_err(|e| fail("read", e))?
                    .into_inner();
                no_panic(&format!("{name} read"), &r.diagnostics);
                no_internal_error(&format!("{name} read of {state:?}"), &r.diagnostics);
                count(0);

                let r = rt
                    .block_on(c.clone().upgrade_resource_state(
                        pb::upgrade_resource_state::Request {
                            type_name: name.clone(),
                            version,
                            raw_state: Some(pb::RawState {
                                json: state_json,
                                flatmap: Default::default(),
                            }),
                        },
                    ))
                    .map_err(|e| fail("upgrade", e))?
                    .into_inner();
                no_panic(&format!("{name} upgrade"), &r.diagnostics);
                no_internal_error(&format!("{name} upgrade of {state:?}"), &r.diagnostics);
                prop_assert!(
                    r.upgraded_state.is_some() || !r.diagnostics.is_empty(),
                    "an upgrade either returns a state or says why not"
                );
                count(1);

                let r =
                    rt.block_on(c.clone().apply_resource_change(
                        pb::apply_resource_change::Request {
                            type_name: name.clone(),
                            prior_state: null(),
                            planned_state: dv(planned_mp.clone()),
                            config: dv(planned_mp),
                            ..Default::default()
                        },
                    ))
                    .map_err(|e| fail("apply (create)", e))?
                    .into_inner();
                no_panic(&format!("{name} create"), &r.diagnostics);
                count(2);

                let r =
                    rt.block_on(c.clone().apply_resource_change(
                        pb::apply_resource_change::Request {
                            type_name: name.clone(),
                            prior_state: dv(state_mp),
                            planned_state: null(),
                            config: null(),
                            ..Default::default()
                        },
                    ))
                    .map_err(|e| fail("apply (delete)", e))?
                    .into_inner();
                no_panic(&format!("{name} delete"), &r.diagnostics);
                no_internal_error(&format!("{name} delete of {state:?}"), &r.diagnostics);
                count(3);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        exercised.push(format!("{name} {:?}", counts.get()));
    }
    eprintln!("read/upgrade/create/delete calls: {exercised:?}");
    for t in [
        "harness_gitops_repository",
        "harness_gitops_cluster",
        "harness_gitops_application",
    ] {
        assert!(
            exercised.iter().any(|e| e.starts_with(t)),
            "{t} was exercised: {exercised:?}"
        );
    }
    // Still answering.
    let again = rt
        .block_on(c.get_provider_schema(pb::get_provider_schema::Request {}))
        .expect("still answering")
        .into_inner();
    assert_eq!(again.resource_schemas.len(), schema.resource_schemas.len());
}
