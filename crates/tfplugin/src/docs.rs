//! Renders the Markdown reference in `docs/` from the schemas, so documentation is generated
//! from the same descriptions Terraform shows. `tests/docs.rs` fails when `docs/` is stale;
//! `UPDATE_DOCS=1 cargo test --test docs` rewrites it.

use std::fmt::Write;

use crate::tf::schema::{AttrKind, Attribute, Constraint, Schema};
use crate::tf::Type;

/// What a documented schema belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Provider,
    Resource,
    DataSource,
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

fn attr_line(a: &Attribute, out: &mut String) {
    let ty = match &a.kind {
        AttrKind::Typed(t) => type_name(t),
        AttrKind::Nested { .. } => "Attributes".into(),
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
        "- `{}` ({}) {}",
        a.name,
        flags.join(", "),
        a.description.trim()
    );
}

fn attributes(attrs: &[Attribute], heading: &str, out: &mut String) {
    for sec in ["Required", "Optional", "Read-Only"] {
        let group: Vec<&Attribute> = attrs
            .iter()
            .filter(|a| section(a.constraint) == sec)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading} {sec}\n");
        for a in group {
            attr_line(a, out);
        }
    }
    for a in attrs {
        if let AttrKind::Nested {
            attributes: inner, ..
        } = &a.kind
        {
            let _ = writeln!(out, "\n{heading} Nested Schema for `{}`", a.name);
            attributes(inner, heading, out);
        }
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
        Kind::Provider => "",
        Kind::Resource => "Resource",
        Kind::DataSource => "Data Source",
    };
    let _ = writeln!(
        out,
        "---\npage_title: \"{name} {sub}\"\ndescription: |-\n  {}\n---\n",
        schema.block.description.replace('\n', " ")
    );
    let _ = writeln!(
        out,
        "# {name} ({})\n",
        if sub.is_empty() { "Provider" } else { sub }
    );
    let _ = writeln!(out, "{}", schema.block.description.trim());
    if let Some(ex) = example {
        let _ = writeln!(
            out,
            "\n## Example Usage\n\n```terraform\n{}\n```",
            ex.trim()
        );
    }
    let _ = writeln!(out, "\n## Schema");
    attributes(&schema.block.attributes, "###", &mut out);
    if let Some(imp) = import {
        let _ = writeln!(out, "\n## Import\n\n```shell\n{}\n```", imp.trim());
    }
    out
}
