//! Ephemeral resources through every RPC: schema registration, validation, open with known
//! and unknown configuration (and with the provider's own configuration unknown), results
//! checked against the configuration, renew, close, deadlines, StopProvider and panics.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tonic::Request;

use super::*;
use crate::resource::{Opened, Renewed};
use crate::tf::codec::{decode_msgpack, encode_msgpack};
use crate::tf::schema::Attribute as A;
use crate::tf::validator::Validator;
use crate::typed::{Model, ModelEphemeral, OpenedModel, Val};

/// What the test resource was asked to do, in order.
type Log = Arc<Mutex<Vec<String>>>;

/// `test_token`: opens a "lease" named after `name`; some names misbehave on purpose.
struct Token(Log);

fn token_schema() -> Schema {
    Schema::new(
        0,
        "A token.",
        vec![
            A::string("name").required().description("Name."),
            A::string("kind")
                .optional()
                .validate(Validator::one_of(&["short", "long"]))
                .description("Kind."),
            A::number("ttl")
                .optional()
                .description("Seconds until renewal."),
            A::string("token")
                .computed()
                .sensitive()
                .description("The token."),
        ],
    )
}

fn log(l: &Log, s: String) {
    l.lock().unwrap().push(s);
}

#[async_trait]
impl EphemeralResource<bool> for Token {
    fn type_name(&self) -> &'static str {
        "test_token"
    }
    fn schema(&self) -> Schema {
        token_schema()
    }
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.attr_str("name") == Some("forbidden") {
            diags.error_at(
                AttributePath::attr("name"),
                "Forbidden Name",
                "pick another",
            );
        }
    }
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(42)
    }
    async fn open(
        &self,
        ctx: &Ctx<bool>,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Opened> {
        let name = config.attr_str("name").unwrap_or_default().to_string();
        log(&self.0, format!("open:{name}"));
        let left = ctx.remaining().expect("a deadline");
        assert!(
            left <= Duration::from_secs(42) && left > Duration::from_secs(30),
            "{left:?}"
        );
        let mut result = config.clone();
        result.set_attr("token", Value::string(format!("tok-{name}")));
        let private = Some(format!("lease-{name}").into_bytes());
        match name.as_str() {
            "panic" => panic!("open is deliberately broken"),
            "stop" => log(&self.0, format!("stopped:{}", ctx.stop.is_cancelled())),
            "renamed" => result.set_attr("name", Value::string("other")),
            "unknown" => result.set_attr("token", Value::unknown()),
            "fail" => diags.error("Cannot Open", "the lease service said no"),
            "nothing" => return None,
            _ => {}
        }
        let renew_at = config
            .attr("ttl")
            .as_i64()
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s as u64));
        Some(Opened {
            result,
            private,
            renew_at,
        })
    }
    async fn renew(
        &self,
        _: &Ctx<bool>,
        private: Option<&[u8]>,
        _: &mut Diagnostics,
    ) -> Option<Renewed> {
        let p = String::from_utf8_lossy(private.unwrap_or_default()).to_string();
        log(&self.0, format!("renew:{p}"));
        if p == "lease-panic-renew" {
            panic!("renew is deliberately broken");
        }
        Some(Renewed {
            private: Some(format!("{p}+").into_bytes()),
            renew_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(100)),
        })
    }
    async fn close(&self, _: &Ctx<bool>, private: Option<&[u8]>, _: &mut Diagnostics) {
        let p = private.map(|p| String::from_utf8_lossy(p).to_string());
        log(
            &self.0,
            format!("close:{}", p.unwrap_or_else(|| "none".into())),
        );
    }
}

/// A provider whose data says whether its own configuration (`endpoint`) is known.
struct EphProvider(Log);

impl Provider for EphProvider {
    type Data = bool;
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
    fn configure(&self, c: &Value, _: CancellationToken, _: &mut Diagnostics) -> Option<bool> {
        Some(!c.attr("endpoint").is_unknown())
    }
    fn remote_blocker(&self, known: &bool) -> Option<String> {
        (!known).then(|| "the endpoint is not known yet".to_string())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<bool>>> {
        vec![]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<bool>>> {
        vec![]
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource<bool>>> {
        vec![Arc::new(Token(self.0.clone()))]
    }
}

type Svc = ProviderService<EphProvider>;

fn svc() -> (Svc, Log) {
    let l: Log = Arc::default();
    (ProviderService::new(EphProvider(l.clone())), l)
}

async fn configure(svc: &Svc, endpoint: Value) {
    let s = svc.provider_schema.clone();
    let mut cfg = s.null_object();
    cfg.set_attr("endpoint", endpoint);
    let r = svc
        .configure_provider(Request::new(pb::configure_provider::Request {
            config: Some(pb::DynamicValue {
                msgpack: encode_msgpack(&cfg, &s.ty()).unwrap(),
                json: vec![],
            }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

fn config(name: Value, ttl: Option<i64>) -> Value {
    let mut c = token_schema().null_object();
    c.set_attr("name", name);
    if let Some(t) = ttl {
        c.set_attr("ttl", Value::from(t));
    }
    c
}

fn dv(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: encode_msgpack(v, &token_schema().ty()).unwrap(),
        json: vec![],
    })
}

async fn open(svc: &Svc, cfg: &Value) -> pb::open_ephemeral_resource::Response {
    svc.open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request {
        type_name: "test_token".into(),
        config: dv(cfg),
        client_capabilities: None,
    }))
    .await
    .unwrap()
    .into_inner()
}

fn result_of(r: &pb::open_ephemeral_resource::Response) -> Value {
    decode_msgpack(&r.result.as_ref().unwrap().msgpack, &token_schema().ty()).unwrap()
}

fn paths(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter()
        .filter_map(|d| d.attribute.as_ref())
        .map(|p| {
            p.steps
                .iter()
                .map(|s| match &s.selector {
                    Some(pb::attribute_path::step::Selector::AttributeName(n)) => n.clone(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

fn calls(l: &Log) -> Vec<String> {
    l.lock().unwrap().clone()
}

#[tokio::test]
async fn the_schema_and_metadata_list_ephemeral_resources() {
    let (svc, _) = svc();
    let s = svc
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    let schema = &s.ephemeral_resource_schemas["test_token"];
    assert_eq!(
        convert::implied_type(schema).unwrap(),
        token_schema().ty(),
        "the wire schema is the declared one"
    );
    let m = svc
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = m
        .ephemeral_resources
        .iter()
        .map(|e| e.type_name.as_str())
        .collect();
    assert_eq!(names, vec!["test_token"]);
}

/// Write-only attributes (Terraform refuses them outside managed resources) and plan flags
/// (there is no plan) are provider bugs in an ephemeral schema.
#[tokio::test]
async fn ephemeral_schemas_refuse_write_only_and_plan_flags() {
    struct Bad;
    #[async_trait]
    impl EphemeralResource<bool> for Bad {
        fn type_name(&self) -> &'static str {
            "test_bad"
        }
        fn schema(&self) -> Schema {
            Schema::new(
                0,
                "bad",
                vec![
                    A::string("a").optional().write_only().description("a"),
                    A::string("b")
                        .required()
                        .requires_replace()
                        .description("b"),
                    A::string("c").computed().keep_prior().description("c"),
                ],
            )
        }
        async fn open(&self, _: &Ctx<bool>, _: &Value, _: &mut Diagnostics) -> Option<Opened> {
            None
        }
    }
    let (svc, _) = svc();
    let svc = svc.with_ephemerals(vec![Arc::new(Bad)]);
    let s = svc
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let details: Vec<_> = s.diagnostics.iter().map(|d| d.detail.as_str()).collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("test_bad: a: write-only outside a managed resource")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("test_bad: b: requires_replace")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("test_bad: c: keep_prior")),
        "{details:?}"
    );
    assert!(s.ephemeral_resource_schemas.contains_key("test_bad"));
    assert!(
        !s.ephemeral_resource_schemas.contains_key("test_token"),
        "replaced"
    );
}

#[tokio::test]
async fn validation_runs_declared_validators_then_the_resource_and_passes_unknowns() {
    let (svc, log) = svc();
    let validate = |cfg: Value| {
        let svc = &svc;
        async move {
            svc.validate_ephemeral_resource_config(Request::new(
                pb::validate_ephemeral_resource_config::Request {
                    type_name: "test_token".into(),
                    config: dv(&cfg),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .diagnostics
        }
    };
    let mut bad = config(Value::string("forbidden"), None);
    bad.set_attr("kind", Value::string("medium"));
    let d = validate(bad).await;
    assert_eq!(paths(&d), vec!["kind", "name"], "{d:?}");
    let mut unknown = config(Value::unknown(), None);
    unknown.set_attr("kind", Value::unknown());
    assert!(validate(unknown).await.is_empty());
    assert!(validate(config(Value::string("ok"), None)).await.is_empty());
    let other = svc
        .validate_ephemeral_resource_config(Request::new(
            pb::validate_ephemeral_resource_config::Request {
                type_name: "test_nope".into(),
                config: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        other.diagnostics[0].summary,
        "Unknown Ephemeral Resource Type"
    );
    assert!(calls(&log).is_empty(), "validation never opens");
}

#[tokio::test]
async fn open_with_a_known_configuration_returns_result_private_and_renew_at() {
    let (svc, log) = svc();
    configure(&svc, Value::string("http://x")).await;
    let r = open(&svc, &config(Value::string("a"), Some(3600))).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = result_of(&r);
    assert_eq!(v.attr_str("name"), Some("a"));
    assert_eq!(v.attr_str("token"), Some("tok-a"));
    assert_eq!(r.private.as_deref(), Some(&b"lease-a"[..]));
    assert_eq!(
        r.renew_at,
        Some(prost_types::Timestamp {
            seconds: 3600,
            nanos: 0
        })
    );
    assert!(r.deferred.is_none());
    let r = open(&svc, &config(Value::string("b"), None)).await;
    assert_eq!(r.renew_at, None, "no renewal asked for");
    assert_eq!(calls(&log), vec!["open:a", "open:b"]);
}

/// Terraform (1.10+) never opens while the configuration has unknown values: it makes the
/// placeholder itself. A client that sends unknowns anyway gets that placeholder (configured
/// values kept, computed ones unknown) without the resource being called, and renew and
/// close of it do nothing.
#[tokio::test]
async fn open_with_unknown_configuration_answers_unknown_without_opening() {
    let (svc, log) = svc();
    configure(&svc, Value::string("http://x")).await;
    let mut cfg = config(Value::string("a"), None);
    cfg.set_attr("kind", Value::unknown());
    let r = open(&svc, &cfg).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = result_of(&r);
    assert_eq!(v.attr_str("name"), Some("a"), "configured values kept");
    assert!(v.attr("kind").is_unknown());
    assert!(v.attr("token").is_unknown(), "computed values unknown");
    assert!(
        v.attr("ttl").is_null(),
        "unconfigured non-computed values null"
    );
    assert!(r.renew_at.is_none());
    let private = r.private.clone();
    let rn = svc
        .renew_ephemeral_resource(Request::new(pb::renew_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private: private.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(rn.diagnostics.is_empty() && rn.renew_at.is_none());
    let c = svc
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(c.diagnostics.is_empty());
    assert!(
        calls(&log).is_empty(),
        "nothing was opened, renewed or closed: {:?}",
        calls(&log)
    );
}

/// While the provider's own configuration is unknown (planning with values from resources not
/// created yet) the result is unknown too, like Terraform's own placeholder; apply opens it
/// with the provider configured.
#[tokio::test]
async fn open_while_the_provider_configuration_is_unknown_answers_unknown() {
    let (svc, log) = svc();
    configure(&svc, Value::unknown()).await;
    let r = open(&svc, &config(Value::string("a"), None)).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = result_of(&r);
    assert_eq!(v.attr_str("name"), Some("a"));
    assert!(v.attr("token").is_unknown());
    assert!(calls(&log).is_empty());
}

#[tokio::test]
async fn open_before_configuration_is_a_clear_error() {
    let (svc, log) = svc();
    let r = open(&svc, &config(Value::string("a"), None)).await;
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].summary, "Provider Not Configured");
    assert!(r.result.is_none());
    assert!(calls(&log).is_empty());
}

/// A result that contradicts the configuration or is not wholly known is a provider bug,
/// reported with the path; what was opened is closed again (Terraform will not close it).
#[tokio::test]
async fn results_are_checked_and_failed_opens_are_closed() {
    let (svc, log) = svc();
    configure(&svc, Value::string("http://x")).await;
    let r = open(&svc, &config(Value::string("renamed"), None)).await;
    assert!(r.result.is_none());
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.detail.contains("invalid ephemeral result: `name`")),
        "{:?}",
        r.diagnostics
    );
    let r = open(&svc, &config(Value::string("unknown"), None)).await;
    assert!(r.result.is_none());
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.detail.contains("unknown values")),
        "{:?}",
        r.diagnostics
    );
    let r = open(&svc, &config(Value::string("fail"), None)).await;
    assert!(r.result.is_none());
    assert_eq!(r.diagnostics[0].summary, "Cannot Open");
    let r = open(&svc, &config(Value::string("nothing"), None)).await;
    assert!(
        r.diagnostics[0].detail.contains("no result and no error"),
        "{:?}",
        r.diagnostics
    );
    assert_eq!(
        calls(&log),
        vec![
            "open:renamed",
            "close:lease-renamed",
            "open:unknown",
            "close:lease-unknown",
            "open:fail",
            "close:lease-fail",
            "open:nothing",
        ]
    );
}

#[tokio::test]
async fn renew_and_close_get_the_private_bytes() {
    let (svc, log) = svc();
    configure(&svc, Value::string("http://x")).await;
    let r = open(&svc, &config(Value::string("a"), Some(10))).await;
    let rn = svc
        .renew_ephemeral_resource(Request::new(pb::renew_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private: r.private.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(rn.diagnostics.is_empty(), "{:?}", rn.diagnostics);
    assert_eq!(rn.private.as_deref(), Some(&b"lease-a+"[..]));
    assert_eq!(rn.renew_at.map(|t| t.seconds), Some(100));
    let c = svc
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private: r.private.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let c = svc
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(c.diagnostics.is_empty());
    assert_eq!(
        calls(&log),
        vec!["open:a", "renew:lease-a", "close:lease-a", "close:none"]
    );
}

#[tokio::test]
async fn panics_in_open_and_renew_become_diagnostics() {
    let (svc, _) = svc();
    configure(&svc, Value::string("http://x")).await;
    let r = open(&svc, &config(Value::string("panic"), None)).await;
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.diagnostics[0]
        .detail
        .contains("panicked while handling OpenEphemeralResource"));
    assert!(r.result.is_none() && r.private.is_none());
    let rn = svc
        .renew_ephemeral_resource(Request::new(pb::renew_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private: Some(b"lease-panic-renew".to_vec()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(rn.diagnostics[0]
        .detail
        .contains("panicked while handling RenewEphemeralResource"));
    assert!(rn.renew_at.is_none(), "no further renewal");
}

#[tokio::test]
async fn stop_provider_reaches_open() {
    let (svc, log) = svc();
    configure(&svc, Value::string("http://x")).await;
    svc.stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap();
    let r = open(&svc, &config(Value::string("stop"), None)).await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(calls(&log), vec!["open:stop", "stopped:true"]);
}

/// The typed layer: the model in, the model out, checked like the untyped result.
#[derive(crate::typed::Model, Clone, Debug, PartialEq)]
struct Lease {
    /// Name.
    #[tf(required)]
    name: Val<String>,
    /// Secret.
    #[tf(computed, sensitive)]
    secret: Val<String>,
}

struct TypedLease;

#[async_trait]
impl ModelEphemeral<bool> for TypedLease {
    type Model = Lease;
    fn type_name(&self) -> &'static str {
        "test_lease"
    }
    fn validate(&self, c: &Lease, diags: &mut Diagnostics) {
        if c.name.as_deref() == Some("") {
            diags.error_at(AttributePath::attr("name"), "Empty", "a name");
        }
    }
    async fn open(
        &self,
        _: &Ctx<bool>,
        mut c: Lease,
        _: &mut Diagnostics,
    ) -> Option<OpenedModel<Lease>> {
        if c.name.as_deref() == Some("forget") {
            return Some(OpenedModel::new(c));
        }
        c.secret = Val::Known(format!("s-{}", c.name.as_deref().unwrap_or_default()));
        Some(OpenedModel {
            result: c,
            private: Some(b"p".to_vec()),
            renew_at: None,
        })
    }
}

#[tokio::test]
async fn typed_ephemeral_resources_open_through_the_server() {
    let (svc, _) = svc();
    let svc = svc.with_ephemerals(vec![crate::typed::ephemeral(TypedLease)]);
    configure(&svc, Value::string("http://x")).await;
    let ty = Lease::schema().ty();
    let cfg = |name: &str| {
        let mut c = Lease::schema().null_object();
        c.set_attr("name", Value::string(name));
        Some(pb::DynamicValue {
            msgpack: encode_msgpack(&c, &ty).unwrap(),
            json: vec![],
        })
    };
    let r = svc
        .open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request {
            type_name: "test_lease".into(),
            config: cfg("x"),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode_msgpack(&r.result.unwrap().msgpack, &ty).unwrap();
    assert_eq!(
        Lease::from_object(&v).unwrap().secret,
        Val::Known("s-x".into())
    );
    assert_eq!(r.private.as_deref(), Some(&b"p"[..]));
    // A computed value left null is allowed by Terraform's rules (AssertPlanValid); a typed
    // validate sees the model.
    let d = svc
        .validate_ephemeral_resource_config(Request::new(
            pb::validate_ephemeral_resource_config::Request {
                type_name: "test_lease".into(),
                config: cfg(""),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .diagnostics;
    assert_eq!(paths(&d), vec!["name"]);
}
