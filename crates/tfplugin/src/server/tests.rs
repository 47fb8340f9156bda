//! RPC-level behaviour that needs resources of its own: state upgrades across schema
//! versions, panics turned into diagnostics, partial state kept on a failed create.

use std::sync::Arc;

use async_trait::async_trait;
use tonic::Request;

use super::*;
use crate::tf::codec::{decode_msgpack, encode_msgpack};
use crate::tf::schema::Attribute as A;

/// A resource at schema version 2 whose version 0 called `name` `title`, and whose version 1
/// stored `size` as a string.
struct Versioned;

#[async_trait]
impl Resource<()> for Versioned {
    fn type_name(&self) -> &'static str {
        "test_versioned"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            2,
            "test",
            vec![
                A::string("id").computed().description("id"),
                A::string("name").optional().description("name"),
                A::number("size").optional().description("size"),
                A::string("secret_wo")
                    .optional()
                    .write_only()
                    .description("wo"),
            ],
        )
    }
    async fn create(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        None
    }
    async fn read(&self, _: &Ctx<()>, _: &Value, _: &mut Diagnostics) -> Option<Value> {
        panic!("read is deliberately broken")
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        None
    }
    async fn delete(&self, _: &Ctx<()>, _: &Value, _: &mut Diagnostics) {}
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<Value> {
        None
    }
    fn upgrade(
        &self,
        from: i64,
        mut state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        let obj = state.as_object_mut()?;
        if from == 0 {
            if let Some(t) = obj.remove("title") {
                obj.insert("name".into(), t);
            }
        }
        if from <= 1 {
            if let Some(serde_json::Value::String(s)) = obj.get("size").cloned() {
                match s.parse::<i64>() {
                    Ok(n) => {
                        obj.insert("size".into(), n.into());
                    }
                    Err(_) => diags.error("Bad Size", "size is not a number"),
                }
            }
        }
        Some(state)
    }
}

/// A resource whose create "succeeds" remotely but returns a state of the wrong shape.
struct BadCreate;

#[async_trait]
impl Resource<()> for BadCreate {
    fn type_name(&self) -> &'static str {
        "test_bad_create"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            "test",
            vec![
                A::string("id").computed().description("id"),
                A::string("name").required().description("name"),
            ],
        )
    }
    async fn create(
        &self,
        _: &Ctx<()>,
        planned: &Value,
        _: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mut v = planned.clone();
        v.set_attr("id", Value::Bool(true));
        diags.warning("Created", "the object exists remotely");
        Some(v)
    }
    async fn read(&self, _: &Ctx<()>, v: &Value, _: &mut Diagnostics) -> Option<Value> {
        Some(v.clone())
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        _: &Value,
        _: &mut Diagnostics,
    ) -> Option<Value> {
        None
    }
    async fn delete(&self, _: &Ctx<()>, _: &Value, _: &mut Diagnostics) {}
    async fn import(&self, _: &Ctx<()>, _: &str, _: &mut Diagnostics) -> Option<Value> {
        None
    }
}

/// A provider with one setting and no remote side.
struct TestProvider;

impl Provider for TestProvider {
    type Data = ();
    fn name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            "test provider",
            vec![A::string("endpoint").optional().description("where")],
        )
    }
    fn configure(&self, _: &Value, _: CancellationToken, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(Versioned), Arc::new(BadCreate)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        vec![]
    }
}

type Service = ProviderService<TestProvider>;

fn service() -> Service {
    ProviderService::new(TestProvider)
}

async fn configure(svc: &Service) {
    let pty = TestProvider.schema().ty();
    let mut cfg = TestProvider.schema().null_object();
    cfg.set_attr("endpoint", Value::string("http://127.0.0.1:9"));
    let resp = svc
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(pb::DynamicValue {
                msgpack: encode_msgpack(&cfg, &pty).unwrap(),
                json: vec![],
            }),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
}

#[tokio::test]
async fn a_created_object_reaches_state_even_when_its_state_cannot_be_encoded() {
    let svc = service();
    configure(&svc).await;
    let ty = BadCreate.schema().ty();
    let mut planned = BadCreate.schema().null_object();
    planned.set_attr("id", Value::unknown());
    planned.set_attr("name", Value::string("kept"));
    let dv = |v: &Value| {
        Some(pb::DynamicValue {
            msgpack: encode_msgpack(v, &ty).unwrap(),
            json: vec![],
        })
    };
    let r = svc
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_bad_create".into(),
            prior_state: dv(&Value::Null),
            planned_state: dv(&planned),
            config: dv(&planned),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.summary == "Internal Provider Error"),
        "{:?}",
        r.diagnostics
    );
    let state = decode_msgpack(&r.new_state.expect("a state").msgpack, &ty).unwrap();
    assert_eq!(state.attr("name"), &Value::string("kept"));
    assert!(
        state.attr("id").is_null(),
        "unknowns of the fallback are recorded as null"
    );
}

async fn upgrade(svc: &Service, version: i64, json: &str) -> pb::upgrade_resource_state::Response {
    svc.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
        type_name: "test_versioned".into(),
        version,
        raw_state: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    }))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn older_states_go_through_the_upgrader() {
    let svc = service();
    let ty = Versioned.schema().ty();
    let r = upgrade(&svc, 0, r#"{"id":"x","title":"hello","size":"42"}"#).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode_msgpack(&r.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(v.attr("name"), &Value::string("hello"));
    assert_eq!(v.attr("size").as_i64(), Some(42));
    assert!(v.attr("secret_wo").is_null());
}

#[tokio::test]
async fn same_version_state_decodes_new_attributes_as_null() {
    let svc = service();
    let ty = Versioned.schema().ty();
    let r = upgrade(&svc, 2, r#"{"id":"x","name":"n"}"#).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode_msgpack(&r.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(v.attr("name"), &Value::string("n"));
    assert!(v.attr("size").is_null());
}

#[tokio::test]
async fn upgrader_errors_and_bad_json_are_diagnostics() {
    let svc = service();
    let r = upgrade(&svc, 1, r#"{"id":"x","size":"many"}"#).await;
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.upgraded_state.is_none());
    let r = upgrade(&svc, 2, "{not json").await;
    assert_eq!(r.diagnostics.len(), 1);
}

#[tokio::test]
async fn a_panicking_resource_gives_a_diagnostic_and_keeps_state() {
    let svc = service();
    // Configured against an unused endpoint: read panics before any call.
    configure(&svc).await;
    let ty = Versioned.schema().ty();
    let mut state = Versioned.schema().null_object();
    state.set_attr("id", Value::string("x"));
    let current = pb::DynamicValue {
        msgpack: encode_msgpack(&state, &ty).unwrap(),
        json: vec![],
    };
    let r = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_versioned".into(),
            current_state: Some(current.clone()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.diagnostics[0].detail.contains("panicked"));
    assert_eq!(
        r.new_state,
        Some(current),
        "the state Terraform had is kept"
    );
}
