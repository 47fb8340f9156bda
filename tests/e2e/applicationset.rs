//! `harness_gitops_applicationset` with the real CLI and the emulator (whose ApplicationSet
//! controller generates real, synced applications): a fleet of training jobs over a list of
//! models, waited for until every application is Synced and Healthy; a model added (one new
//! application, the others untouched) and one removed; a template value known only during
//! apply (a repository's connection status); import; a matrix of clusters by models; destroy
//! leaving no generated application behind. An empty second plan after each step.

use serde_json::{json, Value as Json};

use crate::support::*;

const MANIFESTS: &str = "https://github.com/acme-ml/pipeline-manifests.git";
const SET: &str = "harness_gitops_applicationset.training";

fn provider(emu: &Emulator) -> String {
    format!(
        r#"provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}}
"#,
        url = emu.url
    )
}

/// A fleet of training applications, one per model; the repository's connection status
/// (known only once the repository exists) labels every application.
fn fleet(emu: &Emulator, models: &[&str]) -> String {
    let elements = models
        .iter()
        .map(|m| format!("{{ model = \"{m}\" }}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"{provider}
resource "harness_gitops_repository" "manifests" {{
  identifier = "manifests"
  url        = "{MANIFESTS}"
}}

resource "harness_gitops_applicationset" "training" {{
  name       = "training"
  generators = [{{ list = {{ elements = [{elements}] }} }}]
  template = {{
    name         = "{{{{model}}}}-training"
    argo_project = "default"
    labels       = {{ "repo-status" = harness_gitops_repository.manifests.connection_status, model = "{{{{model}}}}" }}
    destination  = {{ server = "https://kubernetes.default.svc", namespace = "ml-{{{{model}}}}" }}
    sources = [{{
      repo_url        = harness_gitops_repository.manifests.url
      path            = "training/{{{{model}}}}"
      target_revision = "main"
    }}]
    sync_policy = {{ automated = {{}}, sync_options = ["CreateNamespace=true"] }}
  }}
  wait = {{}}
}}
"#,
        provider = provider(emu)
    )
}

fn count(state: &Json, kind: &str) -> usize {
    state[kind].as_array().map_or(0, Vec::len)
}

/// The emulator's applications by name.
fn remote_apps(emu: &Emulator) -> std::collections::BTreeMap<String, Json> {
    emu.state()["applications"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            let app = if a["app"].is_object() {
                a["app"].clone()
            } else {
                a.clone()
            };
            let name = app["metadata"]["name"]
                .as_str()
                .or_else(|| a["name"].as_str())
                .unwrap_or_default()
                .to_string();
            (name, a)
        })
        .collect()
}

fn app_names(st: &Json) -> Vec<String> {
    st["applications"]
        .as_array()
        .unwrap_or_else(|| panic!("no applications in {st:#}"))
        .iter()
        .map(|a| a["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn all_synced_and_healthy(st: &Json) {
    for a in st["applications"].as_array().unwrap() {
        assert_eq!(
            (a["sync_status"].as_str(), a["health_status"].as_str()),
            (Some("Synced"), Some("Healthy")),
            "{a}"
        );
    }
}

/// Without `metadata.resourceVersion` or status: what a change of the application would move.
fn spec_of(a: &Json) -> Json {
    let app = if a["app"].is_object() { &a["app"] } else { a };
    json!({ "spec": app["spec"], "labels": app["metadata"]["labels"] })
}

#[test]
fn fleet_of_models_waits_grows_shrinks_imports_and_destroys() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]);
    let tf = Tf::new();
    let five = ["bert", "gpt", "t5", "llama", "whisper"];

    // Create: five applications, waited for until Synced and Healthy.
    tf.write(&fleet(&emu, &five));
    tf.apply();
    let st = tf.resource(SET);
    assert_eq!(st["id"], "default/mlplatform/mlagent/training");
    assert!(
        st["identifier"].as_str().is_some_and(|s| s.len() >= 32),
        "Harness's UUID: {st:#}"
    );
    let mut names: Vec<String> = five.iter().map(|m| format!("{m}-training")).collect();
    names.sort();
    assert_eq!(app_names(&st), names);
    all_synced_and_healthy(&st);
    let apps = remote_apps(&emu);
    assert_eq!(apps.len(), 5, "{:?}", apps.keys());
    for (name, a) in &apps {
        let labels = &spec_of(a)["labels"];
        assert_eq!(
            labels["repo-status"], "Successful",
            "{name}: the label known only during apply reached every application: {a:#}"
        );
    }
    assert_eq!(emu.applied("applicationsets.create"), 1);
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // Add a model: one new application, the others untouched.
    let before = remote_apps(&emu);
    let six = ["bert", "gpt", "t5", "llama", "whisper", "mistral"];
    tf.write(&fleet(&emu, &six));
    tf.apply();
    let st = tf.resource(SET);
    assert_eq!(app_names(&st).len(), 6);
    all_synced_and_healthy(&st);
    let after = remote_apps(&emu);
    assert_eq!(after.len(), 6);
    assert!(after.contains_key("mistral-training"));
    for (name, a) in &before {
        assert_eq!(
            spec_of(&after[name]),
            spec_of(a),
            "{name} is untouched by adding a model"
        );
    }
    assert_eq!(emu.applied("applicationsets.update"), 1);
    assert!(tf.plan_is_empty(), "second plan after adding a model");

    // Remove one: its application goes, the others stay.
    let five_again = ["bert", "gpt", "llama", "whisper", "mistral"];
    tf.write(&fleet(&emu, &five_again));
    tf.apply();
    let st = tf.resource(SET);
    assert_eq!(app_names(&st).len(), 5);
    let after = remote_apps(&emu);
    assert!(!after.contains_key("t5-training"), "{:?}", after.keys());
    assert_eq!(after.len(), 5);
    assert!(tf.plan_is_empty(), "second plan after removing a model");

    // Import: the same state from Harness alone (`wait` is Terraform's own setting).
    let prior = tf.resource(SET);
    tf.ok(&["state", "rm", SET]);
    tf.ok(&[
        "import",
        "-no-color",
        "-input=false",
        SET,
        "default/mlplatform/mlagent/training",
    ]);
    let imported = tf.resource(SET);
    for k in [
        "identifier",
        "generators",
        "template",
        "sync_policy",
        "strategy",
        "applications",
    ] {
        assert_eq!(imported[k], prior[k], "{k} after import");
    }
    let plan = tf.plan_json();
    let changes: Vec<&Json> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["change"]["actions"] != json!(["no-op"]))
        .collect();
    assert_eq!(changes.len(), 1, "{plan:#}");
    let (b, a) = (
        &changes[0]["change"]["before"],
        &changes[0]["change"]["after"],
    );
    let differing: Vec<&String> = a
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| a[k.as_str()] != b[k.as_str()])
        .collect();
    assert_eq!(
        differing,
        vec!["wait"],
        "only Terraform's own setting: {plan:#}"
    );
    tf.apply();
    assert!(tf.plan_is_empty(), "second plan after import");

    // Drift: the set deleted behind Terraform's back is planned again.
    let id = tf.resource(SET)["identifier"].as_str().unwrap().to_string();
    let resp = reqwest::blocking::Client::new()
        .delete(format!("{}/gitops/api/v1/applicationset/{id}", emu.url))
        .header("x-api-key", API_KEY)
        .query(&[
            ("accountIdentifier", ACCOUNT),
            ("orgIdentifier", "default"),
            ("projectIdentifier", "mlplatform"),
            ("agentIdentifier", "mlagent"),
        ])
        .send()
        .expect("delete behind Terraform's back");
    assert!(resp.status().is_success(), "{}", resp.status());
    poll_until(
        "the set's applications are gone",
        std::time::Duration::from_secs(20),
        || remote_apps(&emu).is_empty(),
    );
    assert!(!tf.plan_is_empty(), "a deleted set is planned again");
    tf.apply();
    assert_eq!(
        remote_apps(&emu).len(),
        5,
        "recreated with its applications"
    );

    // Destroy: no set and no generated application left.
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    let state = emu.state();
    for k in ["applicationsets", "applications", "repositories"] {
        assert_eq!(count(&state, k), 0, "{k} left: {:#}", state[k]);
    }
}

#[test]
fn matrix_of_gpu_clusters_by_models() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]);
    let tf = Tf::new();
    let config = format!(
        r#"{provider}
resource "harness_gitops_cluster" "gpu" {{
  for_each     = toset(["gpu-a", "gpu-b"])
  identifier   = replace(each.key, "-", "_")
  name         = each.key
  server       = "https://${{each.key}}.acme-ml.dev"
  bearer_token = "token-${{each.key}}"
  labels       = {{ gpu = "true" }}
}}

resource "harness_gitops_cluster" "cpu" {{
  identifier   = "cpu"
  name         = "cpu"
  server       = "https://cpu.acme-ml.dev"
  bearer_token = "token-cpu"
}}

resource "harness_gitops_applicationset" "serving" {{
  name = "serving"
  generators = [{{
    matrix = {{
      generators = [
        {{ clusters = {{ selector = {{ match_labels = {{ gpu = "true" }} }} }} }},
        {{ list = {{ elements = [{{ model = "bert" }}, {{ model = "gpt" }}] }} }},
      ]
    }}
  }}]
  template = {{
    name         = "{{{{model}}}}-{{{{name}}}}"
    argo_project = "default"
    destination  = {{ server = "{{{{server}}}}", namespace = "serving-{{{{model}}}}" }}
    sources      = [{{ repo_url = "{MANIFESTS}", path = "serving/{{{{model}}}}", target_revision = "main" }}]
    sync_policy  = {{ automated = {{ prune = true }} }}
  }}
  wait       = {{}}
  depends_on = [harness_gitops_cluster.gpu, harness_gitops_cluster.cpu]
}}
"#,
        provider = provider(&emu)
    );
    tf.write(&config);
    tf.apply();
    let st = tf.resource("harness_gitops_applicationset.serving");
    assert_eq!(
        app_names(&st),
        vec!["bert-gpu-a", "bert-gpu-b", "gpt-gpu-a", "gpt-gpu-b"],
        "clusters with gpu=true × models: {st:#}"
    );
    all_synced_and_healthy(&st);
    let apps = remote_apps(&emu);
    assert_eq!(apps.len(), 4, "{:?}", apps.keys());
    assert_eq!(
        spec_of(&apps["gpt-gpu-b"])["spec"]["destination"]["server"],
        "https://gpu-b.acme-ml.dev"
    );
    assert!(tf.plan_is_empty(), "second plan after create must be empty");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    let state = emu.state();
    for k in ["applicationsets", "applications", "clusters"] {
        assert_eq!(count(&state, k), 0, "{k} left: {:#}", state[k]);
    }
}

#[test]
fn a_failing_application_fails_the_wait_fast_and_the_set_stays_in_state_tainted() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]);
    let tf = Tf::new();
    // The emulated Argo CD fails the sync of a source path containing "fail-sync".
    tf.write(&fleet(&emu, &["bert", "fail-sync"]).replace(
        "wait = {}",
        "wait = {}\n  timeouts {\n    create = \"2m\"\n  }",
    ));
    let started = std::time::Instant::now();
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let took = started.elapsed();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("GitOps ApplicationSet Application Sync Failed")
            && flat.contains("\"fail-sync-training\""),
        "names the failed application: {text}"
    );
    assert!(
        took < std::time::Duration::from_secs(60),
        "failed fast, not at the timeout: {took:?}"
    );
    let st = tf.state();
    let entry = st["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == SET).cloned())
        .unwrap_or_else(|| panic!("the set is in state: {st:#}"));
    assert_eq!(
        entry["tainted"], true,
        "a create whose wait failed is tainted"
    );
    assert_eq!(count(&emu.state(), "applicationsets"), 1);
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    let state = emu.state();
    for k in ["applicationsets", "applications"] {
        assert_eq!(count(&state, k), 0, "{k} left: {:#}", state[k]);
    }
}

#[test]
fn the_ml_pipeline_modules_fleet_form_makes_one_application_per_model() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]);
    let tf = Tf::new();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let module = tf.path().join("modules/ml-pipeline");
    std::fs::create_dir_all(&module).unwrap();
    for f in std::fs::read_dir(examples.join("modules/ml-pipeline")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, module.join(f.file_name().unwrap())).unwrap();
    }
    let main = |models: &str| {
        format!(
            r#"{provider}
module "training" {{
  source = "./modules/ml-pipeline"

  repositories = {{
    ml_manifests = {{ url = "{MANIFESTS}" }}
  }}
  fleet = {{
    name       = "training"
    repository = "ml_manifests"
    path       = "training/{{{{model}}}}"
    models     = {{ {models} }}
    labels     = {{ gpus = "{{{{gpus}}}}" }}
  }}
}}

output "fleet" {{
  value = module.training.fleet
}}
"#,
            provider = provider(&emu)
        )
    };
    tf.write(&main(r#"bert = { gpus = "1" }, llama = { gpus = "8" }"#));
    tf.ok(&["get", "-no-color"]);
    tf.apply();
    let out: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    let fleet = &out["fleet"]["value"];
    assert_eq!(fleet["id"], "default/mlplatform/mlagent/training");
    for name in ["bert-training", "llama-training"] {
        assert_eq!(
            fleet["applications"][name],
            json!({"sync": "Synced", "health": "Healthy"}),
            "{fleet:#}"
        );
    }
    let apps = remote_apps(&emu);
    assert_eq!(spec_of(&apps["llama-training"])["labels"]["gpus"], "8");
    assert!(tf.plan_is_empty(), "second plan after create must be empty");
    tf.write(&main(
        r#"bert = { gpus = "1" }, llama = { gpus = "8" }, t5 = { gpus = "2" }"#,
    ));
    tf.apply();
    assert_eq!(remote_apps(&emu).len(), 3);
    assert!(tf.plan_is_empty(), "second plan after adding a model");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    let state = emu.state();
    for k in ["applicationsets", "applications", "repositories"] {
        assert_eq!(count(&state, k), 0, "{k} left: {:#}", state[k]);
    }
}

#[test]
fn git_directories_merged_with_a_list_and_read_by_the_data_source() {
    let emu = Emulator::start(&["--sync-delay", "300ms"]);
    // What the emulated Argo CD's Git generator sees of the repository.
    emu.admin(
        reqwest::Method::POST,
        "git-tree",
        &[],
        Some(json!({ MANIFESTS: { "main": [
            "models/bert", "models/gpt", "models/experimental", "docs"
        ] } })),
    );
    let tf = Tf::new();
    let set = format!(
        r#"{provider}
resource "harness_gitops_applicationset" "models" {{
  name = "models"
  generators = [{{
    merge = {{
      merge_keys = ["path.basename"]
      generators = [
        {{
          git = {{
            repo_url    = "{MANIFESTS}"
            revision    = "main"
            directories = [{{ path = "models/*" }}, {{ path = "models/experimental", exclude = true }}]
          }}
        }},
        {{
          list = {{
            elements = [
              {{ "path.basename" = "bert", tier = "small" }},
              {{ "path.basename" = "gpt", tier = "large" }},
            ]
          }}
        }},
      ]
    }}
  }}]
  template = {{
    name         = "{{{{path.basename}}}}-model"
    argo_project = "default"
    labels       = {{ tier = "{{{{tier}}}}" }}
    destination  = {{ server = "https://kubernetes.default.svc", namespace = "{{{{path.basename}}}}" }}
    sources      = [{{ repo_url = "{MANIFESTS}", path = "{{{{path}}}}", target_revision = "main" }}]
    sync_policy  = {{ automated = {{}} }}
  }}
  wait = {{}}
}}
"#,
        provider = provider(&emu)
    );
    tf.write(&set);
    tf.apply();
    let st = tf.resource("harness_gitops_applicationset.models");
    assert_eq!(app_names(&st), vec!["bert-model", "gpt-model"], "{st:#}");
    all_synced_and_healthy(&st);
    let apps = remote_apps(&emu);
    assert_eq!(apps.len(), 2, "{:?}", apps.keys());
    assert_eq!(spec_of(&apps["gpt-model"])["labels"]["tier"], "large");
    assert_eq!(
        spec_of(&apps["bert-model"])["spec"]["source"]["path"],
        "models/bert"
    );
    assert!(tf.plan_is_empty(), "second plan after create must be empty");

    // The data source reads the set and its applications by name.
    tf.write(&format!(
        r#"{set}
data "harness_gitops_applicationset" "models" {{
  name       = harness_gitops_applicationset.models.name
  depends_on = [harness_gitops_applicationset.models]
}}

output "models" {{
  value = {{
    identifier = data.harness_gitops_applicationset.models.identifier
    merge_keys = data.harness_gitops_applicationset.models.generators[0].merge.merge_keys
    apps       = {{ for a in data.harness_gitops_applicationset.models.applications : a.name => a.health_status }}
  }}
}}
"#
    ));
    tf.apply();
    let out: Json = serde_json::from_str(&tf.ok(&["output", "-json"])).unwrap();
    let models = &out["models"]["value"];
    assert_eq!(models["identifier"], st["identifier"]);
    assert_eq!(models["merge_keys"], json!(["path.basename"]));
    assert_eq!(
        models["apps"],
        json!({"bert-model": "Healthy", "gpt-model": "Healthy"})
    );
    assert!(tf.plan_is_empty(), "second plan with the data source");
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    let state = emu.state();
    for k in ["applicationsets", "applications"] {
        assert_eq!(count(&state, k), 0, "{k} left: {:#}", state[k]);
    }
}
