//! Provider-level behaviour through the real CLI: schema, validation, configuration errors.

use crate::support::*;
use serde_json::Value as Json;

fn provider_block(url: &str, key: &str) -> String {
    format!("provider \"harness\" {{\n  endpoint   = \"{url}\"\n  account_id = \"{ACCOUNT}\"\n  api_key    = \"{key}\"\n}}\n")
}

/// Every attribute (at any depth) of a schema block from `providers schema -json` is described.
fn undescribed(block: &Json, prefix: &str, out: &mut Vec<String>) {
    if let Some(attrs) = block["attributes"].as_object() {
        for (name, a) in attrs {
            if a["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
            {
                out.push(format!("{prefix}{name}"));
            }
            if let Some(nested) = a.get("nested_type") {
                undescribed(nested, &format!("{prefix}{name}."), out);
            }
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, b) in blocks {
            undescribed(&b["block"], &format!("{prefix}{name}."), out);
        }
    }
}

#[test]
fn schema_lists_everything_described() {
    let tf = Tf::new();
    tf.write("provider \"harness\" {}\n");
    let out = tf.ok(&["providers", "schema", "-json"]);
    let schema: Json = serde_json::from_str(&out).expect("schema json");
    let p = &schema["provider_schemas"][SOURCE];
    assert!(p.is_object(), "provider {SOURCE} missing from {out}");
    let resources = p["resource_schemas"].as_object().expect("resources");
    let data = p["data_source_schemas"].as_object().expect("data sources");
    assert!(resources.contains_key("harness_gitops_repository"));
    assert!(data.contains_key("harness_gitops_repository"));
    let mut missing = Vec::new();
    undescribed(&p["provider"]["block"], "provider.", &mut missing);
    for (name, s) in resources.iter().chain(data.iter()) {
        assert!(
            s["block"]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{name} has no description"
        );
        undescribed(&s["block"], &format!("{name}."), &mut missing);
    }
    assert!(
        missing.is_empty(),
        "attributes without a description: {missing:?}"
    );
    // Write-only and sensitive flags reach Terraform.
    let repo = &resources["harness_gitops_repository"]["block"]["attributes"];
    assert_eq!(repo["password_wo"]["write_only"], true);
    assert_eq!(repo["password"]["sensitive"], true);
    assert_eq!(
        p["provider"]["block"]["attributes"]["api_key"]["sensitive"],
        true
    );
}

#[test]
fn validate_and_plan_run_over_automtls() {
    let emu = Emulator::start(&[]);
    let mut tf = Tf::new();
    // The provider logs how it serves; Terraform passes PLUGIN_CLIENT_CERT (AutoMTLS) unless told not to.
    tf.env("TF_LOG_PROVIDER", "DEBUG");
    tf.write(&format!(
        "{}\nresource \"harness_gitops_repository\" \"r\" {{\n  identifier = \"r1\"\n  agent_id   = \"account.agent\"\n  url        = \"https://github.com/acme/ml-manifests.git\"\n}}\n",
        provider_block(&emu.url, API_KEY)
    ));
    tf.ok(&["validate", "-no-color"]);
    let out = tf.run(&["plan", "-no-color", "-input=false"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "plan failed: {}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Terraform relays the provider's hclog line: "plugin address: ... tls=true".
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("plugin address") && l.contains("tls=true")),
        "the provider should report serving TLS (client certificate pinned); stderr:\n{stderr}"
    );
}

#[test]
fn missing_credentials_name_attribute_and_environment_variable() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&format!(
        "provider \"harness\" {{\n  endpoint = \"{}\"\n}}\n\ndata \"harness_gitops_repository\" \"r\" {{\n  identifier = \"x\"\n  agent_id   = \"account.a\"\n}}\n",
        emu.url
    ));
    let text = tf.fails(&["plan", "-no-color", "-input=false"]);
    for needle in [
        "account_id",
        "HARNESS_ACCOUNT_ID",
        "api_key",
        "HARNESS_PLATFORM_API_KEY",
    ] {
        assert!(text.contains(needle), "error should name {needle}:\n{text}");
    }
}

#[test]
fn wrong_api_key_names_the_setting() {
    let emu = Emulator::start(&[]);
    let tf = Tf::new();
    tf.write(&format!(
        "{}\nresource \"harness_gitops_repository\" \"r\" {{\n  identifier = \"r1\"\n  agent_id   = \"account.agent\"\n  url        = \"https://github.com/acme/ml-manifests.git\"\n}}\n",
        provider_block(&emu.url, "pat.wrong.key")
    ));
    let text = tf.fails(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        text.contains("api_key") && text.contains("HARNESS_PLATFORM_API_KEY"),
        "401 should point at the key settings:\n{text}"
    );
    assert!(
        !text.contains("pat.wrong.key"),
        "the key must never be printed:\n{text}"
    );
    assert!(emu.repositories().is_empty());
}

#[test]
fn invalid_configuration_points_at_the_attribute() {
    let tf = Tf::new();
    // Terraform validates a provider block only when something uses the provider.
    tf.write("provider \"harness\" {\n  endpoint = \"not a url\"\n  request_timeout = \"soon\"\n}\n\ndata \"harness_gitops_repository\" \"r\" {\n  identifier = \"r1\"\n}\n");
    let text = tf.fails(&["validate", "-no-color"]);
    for needle in [
        "Invalid Endpoint",
        "line 8",
        "Invalid Request Timeout",
        "line 9",
    ] {
        assert!(
            text.contains(needle),
            "validate should report {needle}:\n{text}"
        );
    }
    tf.write(
        "resource \"harness_gitops_repository\" \"r\" {\n  identifier = \"r1\"\n  agent_id   = \"account.agent\"\n  url        = \"https://github.com/acme/x.git\"\n  type       = \"svn\"\n  password   = \"a\"\n  password_wo = \"b\"\n}\n",
    );
    let text = tf.fails(&["validate", "-no-color"]);
    for needle in [
        "\"svn\" is not one of: \"git\", \"helm\", \"oci\"",
        "line 11",
        "Conflicting Attributes",
        "line 13",
    ] {
        assert!(
            text.contains(needle),
            "validate should report {needle}:\n{text}"
        );
    }
}

#[test]
fn the_harness_environment_variables_configure_the_provider() {
    let emu = Emulator::start(&[]);
    let mut tf = Tf::new();
    tf.env("HARNESS_ENDPOINT", &emu.url)
        .env("HARNESS_ACCOUNT_ID", ACCOUNT)
        .env("HARNESS_PLATFORM_API_KEY", API_KEY);
    tf.write(
        "provider \"harness\" {}\n\nresource \"harness_gitops_repository\" \"r\" {\n  identifier = \"from_env\"\n  agent_id   = \"account.agent\"\n  url        = \"https://github.com/acme/ml-manifests.git\"\n}\n",
    );
    tf.apply();
    assert_eq!(
        emu.repositories().len(),
        1,
        "the repository reached the emulator named by HARNESS_ENDPOINT"
    );
    assert!(tf.plan_is_empty());
    // The attribute wins over the variable: a wrong key in the block fails even with the
    // right one in the environment.
    tf.write(
        "provider \"harness\" {\n  api_key = \"pat.wrong.key\"\n}\n\nresource \"harness_gitops_repository\" \"r\" {\n  identifier = \"from_env\"\n  agent_id   = \"account.agent\"\n  url        = \"https://github.com/acme/ml-manifests.git\"\n}\n",
    );
    let text = tf.fails(&["plan", "-no-color", "-input=false"]);
    // The refresh of the repository is what fails: Harness refuses the block's key (401), and
    // the diagnostic says which setting to check.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("repository \"from_env\" (agent \"account.agent\"): HTTP 401")
            && flat.contains("Harness rejected the API key: check the provider's `api_key`"),
        "the key in the block, not the environment's, reached Harness and was refused:\n{text}"
    );
}
