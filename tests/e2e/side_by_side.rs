//! `examples/with-official-provider`: this provider beside the official Harness provider
//! (`harness/harness`) in one configuration, validated by the real `terraform`.
//!
//! The official provider cannot be downloaded here (no registry is reachable from this
//! machine or CI), so it is represented by a stand-in served in this process under its
//! address `registry.terraform.io/harness/harness` through `TF_REATTACH_PROVIDERS`: the
//! provider block and the two resource types the example uses, with the official provider's
//! attribute names and types as its documentation gives them. The stand-in only answers
//! schema and validation calls; it refuses to plan or apply. What the test proves is the
//! wiring: two providers whose types both begin with `harness_`, each under a local name of
//! its own in the root module and handed to a module as `harness` through
//! `providers = { ... }`, and this provider's own resources checked against its real schema
//! by its real binary.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::ctx::Ctx;
use tfplugin::resource::{DataSource, Provider, Resource};
use tfplugin::tf::schema::{Attribute as A, Schema};
use tfplugin::tf::{Diagnostics, Type, Value};
use tokio_util::sync::CancellationToken;

use crate::support::*;

const OFFICIAL: &str = "registry.terraform.io/harness/harness";

struct Official;

struct SchemaOnly {
    name: &'static str,
    schema: fn() -> Schema,
}

fn organization() -> Schema {
    Schema::new(
        0,
        "Stand-in of the official harness_platform_organization.",
        vec![
            A::string("id").computed().description("id"),
            A::string("identifier").required().description("identifier"),
            A::string("name").required().description("name"),
            A::string("description")
                .optional()
                .description("description"),
            A::typed("tags", Type::Set(Box::new(Type::String)))
                .optional()
                .description("tags"),
        ],
    )
}

fn project() -> Schema {
    Schema::new(
        0,
        "Stand-in of the official harness_platform_project.",
        vec![
            A::string("id").computed().description("id"),
            A::string("identifier").required().description("identifier"),
            A::string("name").required().description("name"),
            A::string("org_id").required().description("org_id"),
            A::string("color").optional_computed().description("color"),
            A::string("description")
                .optional()
                .description("description"),
            A::typed("tags", Type::Set(Box::new(Type::String)))
                .optional()
                .description("tags"),
            A::typed("modules", Type::Set(Box::new(Type::String)))
                .optional_computed()
                .description("modules"),
        ],
    )
}

fn refuse(diags: &mut Diagnostics) {
    diags.error(
        "Stand-in Provider",
        "this stand-in of harness/harness only validates configuration",
    );
}

#[async_trait]
impl Resource<()> for SchemaOnly {
    fn type_name(&self) -> &'static str {
        self.name
    }
    fn schema(&self) -> Schema {
        (self.schema)()
    }
    async fn create(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        d: &mut Diagnostics,
    ) -> Option<Value> {
        refuse(d);
        None
    }
    async fn read(&self, _: &Ctx<()>, _: &Value, d: &mut Diagnostics) -> Option<Value> {
        refuse(d);
        None
    }
    async fn update(
        &self,
        _: &Ctx<()>,
        _: &Value,
        _: &Value,
        _: &Value,
        d: &mut Diagnostics,
    ) -> Option<Value> {
        refuse(d);
        None
    }
    async fn delete(&self, _: &Ctx<()>, _: &Value, d: &mut Diagnostics) {
        refuse(d);
    }
    async fn import(&self, _: &Ctx<()>, _: &str, d: &mut Diagnostics) -> Option<Value> {
        refuse(d);
        None
    }
}

impl Provider for Official {
    type Data = ();
    fn name(&self) -> &'static str {
        "harness"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            "Stand-in of the official Harness provider's configuration.",
            vec![
                A::string("endpoint").optional().description("endpoint"),
                A::string("account_id").optional().description("account_id"),
                A::string("api_key")
                    .optional()
                    .sensitive()
                    .description("api_key"),
                A::string("platform_api_key")
                    .optional()
                    .sensitive()
                    .description("platform_api_key"),
            ],
        )
    }
    fn configure(&self, _: &Value, _: CancellationToken, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![
            Arc::new(SchemaOnly {
                name: "harness_platform_organization",
                schema: organization,
            }),
            Arc::new(SchemaOnly {
                name: "harness_platform_project",
                schema: project,
            }),
        ]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        Vec::new()
    }
}

/// Copies `examples/with-official-provider` (with its module) into the working directory.
fn copy_example(tf: &Tf) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/with-official-provider");
    for rel in ["main.tf", "gitops/main.tf", "platform/main.tf"] {
        let body = std::fs::read_to_string(example.join(rel)).expect("example file");
        let dest = tf.path().join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, body).unwrap();
    }
}

#[test]
fn example_with_the_official_provider_validates() {
    let official = tfplugin::transport::serve_in_process(OFFICIAL, |stop| {
        tfplugin::server::provider_routes(Official, stop)
    })
    .expect("serve the stand-in in process");
    let mut tf = Tf::new();
    tf.env("TF_REATTACH_PROVIDERS", official.reattach());
    copy_example(&tf);
    // `terraform get` installs the modules; `init` is not needed (and would look the
    // dev_overrides provider up in the registry): both providers are served locally.
    tf.ok(&["get", "-no-color"]);
    let out = tf.ok(&["validate", "-json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("validate -json");
    assert_eq!(v["valid"], true, "{out}");
    let schemas: serde_json::Value =
        serde_json::from_str(&tf.ok(&["providers", "schema", "-json"])).expect("schema json");
    let ours = &schemas["provider_schemas"][SOURCE]["resource_schemas"];
    let theirs = &schemas["provider_schemas"][OFFICIAL]["resource_schemas"];
    assert!(
        ours["harness_gitops_application"].is_object(),
        "ours served: {schemas}"
    );
    assert!(
        theirs["harness_platform_project"].is_object(),
        "stand-in served: {schemas}"
    );

    // The test can fail: an attribute of ours misspelt in the module is refused by our
    // schema, and the module without the providers map would name the official provider.
    let module = tf.path().join("gitops/main.tf");
    let good = std::fs::read_to_string(&module).unwrap();
    std::fs::write(&module, good.replace("repo_id ", "repo_idx")).unwrap();
    let out = tf.fails(&["validate", "-no-color"]);
    assert!(
        out.contains("repo_idx"),
        "a misspelt attribute of ours is refused: {out}"
    );
    std::fs::write(&module, &good).unwrap();
    // Without `provider = harnessgitops`, a `harness_gitops_*` resource of the root module
    // belongs to the local name `harness`, which no provider has there: Terraform looks for
    // `hashicorp/harness` and init fails.
    let main = tf.path().join("main.tf");
    let root = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, root.replace("  provider = harnessgitops\n", "")).unwrap();
    let out = tf.fails(&["validate", "-no-color"]);
    assert!(
        out.contains("hashicorp/harness"),
        "the implied provider is looked up: {out}"
    );
    // And the Terraform rule the layout avoids: with the official provider named `harness` in
    // the root, passing this one to a module's `harness` is refused.
    let clash = root
        .replace("harnessplatform = {", "harness = {")
        .replace("provider \"harnessplatform\"", "provider \"harness\"")
        .replace("harness = harnessplatform", "harness = harness");
    std::fs::write(&main, clash).unwrap();
    let out = tf.fails(&["validate", "-no-color"]);
    assert!(out.contains("Provider type mismatch"), "{out}");
}
