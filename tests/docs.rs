//! `docs/` is generated from the schemas; this fails when it is stale.
//! Regenerate with `UPDATE_DOCS=1 cargo test --test docs`.

use std::path::Path;

use tfplugin::docs::{render, Kind};
use tfprovider_harness::{provider, resources};

fn read(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok()
}

#[test]
fn docs_are_generated_from_the_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex = root.join("examples");
    let mut pages = vec![(
        root.join("docs/index.md"),
        render(
            "harness",
            Kind::Provider,
            &provider::schema(),
            read(&ex.join("provider/provider.tf")).as_deref(),
            None,
        ),
    )];
    for r in resources::resources() {
        let short = r.type_name().trim_start_matches("harness_");
        let dir = ex.join("resources").join(r.type_name());
        pages.push((
            root.join(format!("docs/resources/{short}.md")),
            render(
                r.type_name(),
                Kind::Resource,
                &r.schema(),
                read(&dir.join("resource.tf")).as_deref(),
                read(&dir.join("import.sh")).as_deref(),
            ),
        ));
    }
    for d in resources::data_sources() {
        let short = d.type_name().trim_start_matches("harness_");
        let dir = ex.join("data-sources").join(d.type_name());
        pages.push((
            root.join(format!("docs/data-sources/{short}.md")),
            render(
                d.type_name(),
                Kind::DataSource,
                &d.schema(),
                read(&dir.join("data-source.tf")).as_deref(),
                None,
            ),
        ));
    }
    for e in resources::ephemeral_resources() {
        let dir = ex.join("ephemeral-resources").join(e.type_name());
        pages.push((
            root.join("docs")
                .join(Kind::EphemeralResource.page_path(e.type_name(), "harness_")),
            render(
                e.type_name(),
                Kind::EphemeralResource,
                &e.schema(),
                read(&dir.join("ephemeral-resource.tf")).as_deref(),
                None,
            ),
        ));
    }
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (path, text) in pages {
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if read(&path).as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "docs are stale, run `UPDATE_DOCS=1 cargo test --test docs`: {stale:?}"
    );
}
