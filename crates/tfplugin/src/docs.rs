//! Renders a provider's Markdown reference from its schemas, in the layout the Terraform
//! registry shows (tfplugindocs'): sections per constraint, and an anchored section for every
//! nested attribute and block, qualified by its path (`sources.helm`). A provider's test
//! compares the pages with its `docs/` so they never go stale.

use std::fmt::Write;

use crate::tf::schema::{AttrKind, Attribute, Constraint, NestedBlock, Nesting, Schema};
use crate::tf::Type;

/// What a documented schema belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Provider,
    Resource,
    DataSource,
    EphemeralResource,
}

impl Kind {
    /// The folder of `docs/` a page of this kind goes to, as the registry expects it
    /// (`docs/index.md` for the provider).
    pub fn docs_dir(self) -> &'static str {
        match self {
            Kind::Provider => "",
            Kind::Resource => "resources",
            Kind::DataSource => "data-sources",
            Kind::EphemeralResource => "ephemeral-resources",
        }
    }

    /// Where the page of `type_name` goes under `docs/`: `index.md` for the provider, else
    /// `<folder>/<type name without the provider prefix>.md` (e.g.
    /// `ephemeral-resources/token.md` for `acme_token` with `prefix` `acme_`).
    pub fn page_path(self, type_name: &str, prefix: &str) -> String {
        match self {
            Kind::Provider => "index.md".to_string(),
            k => format!(
                "{}/{}.md",
                k.docs_dir(),
                type_name.strip_prefix(prefix).unwrap_or(type_name)
            ),
        }
    }
}

fn type_name(t: &Type) -> String {
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn section(c: Constraint) -> &'static str {
    match c {
        Constraint::Required => "Required",
        Constraint::Optional | Constraint::OptionalComputed => "Optional",
        Constraint::Computed => "Read-Only",
    }
}

fn nesting_word(n: Nesting) -> &'static str {
    match n {
        Nesting::Single | Nesting::Group => "",
        Nesting::List => " List",
        Nesting::Set => " Set",
        Nesting::Map => " Map",
    }
}

/// The anchor of a nested section: `nestedatt--sources--helm` / `nestedblock--step`.
fn anchor(kind: &str, path: &[String]) -> String {
    format!("{kind}--{}", path.join("--"))
}

fn attr_line(a: &Attribute, path: &[String], out: &mut String) {
    let mut link = String::new();
    let ty = match &a.kind {
        AttrKind::Typed(t) => type_name(t),
        AttrKind::Nested { nesting, .. } => {
            let mut p = path.to_vec();
            p.push(a.name.to_string());
            link = format!(
                " (see [below for nested schema](#{}))",
                anchor("nestedatt", &p)
            );
            format!("Attributes{}", nesting_word(*nesting))
        }
    };
    let mut flags = vec![ty];
    if a.sensitive {
        flags.push("Sensitive".into());
    }
    if a.write_only {
        flags.push(
            "[Write-only](https://developer.hashicorp.com/terraform/language/resources/ephemeral#write-only-arguments)".into(),
        );
    }
    if a.deprecation.is_some() {
        flags.push("Deprecated".into());
    }
    let _ = writeln!(
        out,
        "- `{}` ({}) {}{link}",
        a.name,
        flags.join(", "),
        a.description.trim()
    );
}

fn block_line(b: &NestedBlock, path: &[String], out: &mut String) {
    let mut p = path.to_vec();
    p.push(b.name.to_string());
    let mut ty = format!("Block{}", nesting_word(b.nesting));
    if b.min_items > 0 {
        ty.push_str(&format!(", Min: {}", b.min_items));
    }
    if b.max_items > 0 {
        ty.push_str(&format!(", Max: {}", b.max_items));
    }
    let _ = writeln!(
        out,
        "- `{}` ({ty}) {} (see [below for nested schema](#{}))",
        b.name,
        b.block.description.trim(),
        anchor("nestedblock", &p)
    );
}

/// One object's members, grouped Required / Optional / Read-Only, then a section for each
/// nested attribute and block, qualified by its path (`sources.helm`) and anchored.
fn members(attrs: &[Attribute], blocks: &[NestedBlock], path: &[String], out: &mut String) {
    let top = path.is_empty();
    for sec in ["Required", "Optional", "Read-Only"] {
        let group: Vec<&Attribute> = attrs
            .iter()
            .filter(|a| section(a.constraint) == sec)
            .collect();
        let block_group: Vec<&NestedBlock> = blocks
            .iter()
            .filter(|b| {
                (if b.min_items > 0 {
                    "Required"
                } else {
                    "Optional"
                }) == sec
            })
            .collect();
        if group.is_empty() && block_group.is_empty() {
            continue;
        }
        if top {
            let _ = writeln!(out, "\n### {sec}\n");
        } else {
            let _ = writeln!(out, "\n{sec}:\n");
        }
        for a in group {
            attr_line(a, path, out);
        }
        for b in block_group {
            block_line(b, path, out);
        }
    }
    for a in attrs {
        if let AttrKind::Nested {
            attributes: inner, ..
        } = &a.kind
        {
            let mut p = path.to_vec();
            p.push(a.name.to_string());
            let _ = writeln!(
                out,
                "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`",
                anchor("nestedatt", &p),
                p.join(".")
            );
            members(inner, &[], &p, out);
        }
    }
    for b in blocks {
        let mut p = path.to_vec();
        p.push(b.name.to_string());
        let _ = writeln!(
            out,
            "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`",
            anchor("nestedblock", &p),
            p.join(".")
        );
        members(&b.block.attributes, &b.block.blocks, &p, out);
    }
}

/// The Markdown page of one schema. `example` and `import` are HCL and shell snippets.
pub fn render(
    name: &str,
    kind: Kind,
    schema: &Schema,
    example: Option<&str>,
    import: Option<&str>,
) -> String {
    let mut out = String::new();
    let sub = match kind {
        Kind::Provider => "Provider",
        Kind::Resource => "Resource",
        Kind::DataSource => "Data Source",
        Kind::EphemeralResource => "Ephemeral Resource",
    };
    let _ = writeln!(
        out,
        "---\npage_title: \"{name} {sub}\"\ndescription: |-\n  {}\n---\n",
        schema.block.description.replace('\n', " ")
    );
    let _ = writeln!(out, "# {name} ({sub})\n");
    let _ = writeln!(out, "{}", schema.block.description.trim());
    if let Some(ex) = example {
        let _ = writeln!(
            out,
            "\n## Example Usage\n\n```terraform\n{}\n```",
            ex.trim()
        );
    }
    let _ = writeln!(out, "\n## Schema");
    members(
        &schema.block.attributes,
        &schema.block.blocks,
        &[],
        &mut out,
    );
    if let Some(imp) = import {
        let _ = writeln!(out, "\n## Import\n\n```shell\n{}\n```", imp.trim());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::schema::{Attribute as A, Block};

    #[test]
    fn page_titles_name_the_kind_like_other_providers() {
        let s = Schema::new(0, "A provider.", vec![]);
        for (kind, title, heading) in [
            (
                Kind::Provider,
                "page_title: \"harness Provider\"",
                "# harness (Provider)",
            ),
            (
                Kind::Resource,
                "page_title: \"harness Resource\"",
                "# harness (Resource)",
            ),
            (
                Kind::DataSource,
                "page_title: \"harness Data Source\"",
                "# harness (Data Source)",
            ),
            (
                Kind::EphemeralResource,
                "page_title: \"harness Ephemeral Resource\"",
                "# harness (Ephemeral Resource)",
            ),
        ] {
            let page = render("harness", kind, &s, None, None);
            assert!(page.contains(title), "{page}");
            assert!(page.contains(heading), "{page}");
        }
    }

    #[test]
    fn pages_go_where_the_registry_looks_for_them() {
        assert_eq!(Kind::Provider.page_path("acme", "acme_"), "index.md");
        assert_eq!(
            Kind::Resource.page_path("acme_widget", "acme_"),
            "resources/widget.md"
        );
        assert_eq!(
            Kind::DataSource.page_path("acme_widget", "acme_"),
            "data-sources/widget.md"
        );
        assert_eq!(
            Kind::EphemeralResource.page_path("acme_token", "acme_"),
            "ephemeral-resources/token.md"
        );
    }

    #[test]
    fn nested_sections_are_qualified_anchored_and_blocks_documented() {
        let mut s = Schema::new(
            0,
            "A thing.",
            vec![A::nested(
                "sources",
                Nesting::List,
                vec![
                    A::string("url").required().description("URL."),
                    A::nested(
                        "helm",
                        Nesting::Single,
                        vec![A::string("values").optional().description("Values.")],
                    )
                    .optional()
                    .description("Helm."),
                ],
            )
            .optional()
            .description("Sources.")],
        );
        s.block.blocks.push(
            NestedBlock::new(
                "step",
                Nesting::List,
                "Steps.",
                Block {
                    attributes: vec![A::string("command").required().description("Command.")],
                    ..Default::default()
                },
            )
            .items(0, 5),
        );
        let page = render("acme_thing", Kind::Resource, &s, None, None);
        assert!(page.contains("- `sources` (Attributes List) Sources. (see [below for nested schema](#nestedatt--sources))"), "{page}");
        assert!(
            page.contains(
                "<a id=\"nestedatt--sources--helm\"></a>\n### Nested Schema for `sources.helm`"
            ),
            "{page}"
        );
        assert!(page.contains("- `step` (Block List, Max: 5) Steps. (see [below for nested schema](#nestedblock--step))"), "{page}");
        assert!(
            page.contains(
                "### Nested Schema for `step`\n\nRequired:\n\n- `command` (String) Command."
            ),
            "{page}"
        );
    }
}
