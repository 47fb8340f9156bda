//! The shipped examples are `terraform fmt` clean and validate with the real CLI.

use std::path::Path;
use std::time::Duration;

use crate::support::*;

#[test]
fn examples_are_formatted() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = tfplugin::testing::output_within(
        std::process::Command::new(terraform_bin())
            .args(["fmt", "-check", "-recursive", "-diff"])
            .arg(&examples)
            .env("TF_CLI_CONFIG_FILE", "/dev/null"),
        "terraform fmt -check",
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "terraform fmt -check failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn examples_validate() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let quickstart = std::fs::read_to_string(examples.join("quickstart/main.tf")).unwrap();
    let tf = Tf::new();
    tf.write_file("main.tf", &quickstart);
    tf.ok(&["validate", "-no-color"]);

    let mut checked = 0;
    for kind in ["resources", "data-sources", "ephemeral-resources"] {
        for entry in std::fs::read_dir(examples.join(kind)).unwrap() {
            let dir = entry.unwrap().path();
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "tf") {
                    let tf = Tf::new();
                    tf.write(&std::fs::read_to_string(&f).unwrap());
                    tf.ok(&["validate", "-no-color"]);
                    checked += 1;
                }
            }
        }
    }
    assert!(
        checked >= 2,
        "expected resource and data source examples, validated {checked}"
    );
}
