//! Conversions between protobuf messages and the `tf` model. Mechanical on purpose.

use crate::proto::tfplugin6 as pb;
use crate::tf::codec::{self, JsonOptions};
use crate::tf::schema::{AttrKind, Attribute, Block, Nesting, Schema};
use crate::tf::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity, Type, Value};

/// A schema as Terraform wants it.
pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.name.to_string(),
                block: Some(block(&nb.block, version)),
                nesting: block_nesting(nb.nesting) as i32,
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
    }
}

fn block_nesting(n: Nesting) -> pb::schema::nested_block::NestingMode {
    use pb::schema::nested_block::NestingMode as M;
    match n {
        Nesting::Single => M::Single,
        Nesting::List => M::List,
        Nesting::Set => M::Set,
        Nesting::Map => M::Map,
        Nesting::Group => M::Group,
    }
}

fn object_nesting(n: Nesting) -> pb::schema::object::NestingMode {
    use pb::schema::object::NestingMode as M;
    match n {
        Nesting::Single | Nesting::Group => M::Single,
        Nesting::List => M::List,
        Nesting::Set => M::Set,
        Nesting::Map => M::Map,
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    use crate::tf::schema::Constraint::*;
    let (ty, nested_type) = match &a.kind {
        AttrKind::Typed(t) => (t.to_json_bytes(), None),
        AttrKind::Nested {
            nesting,
            attributes,
        } => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attributes.iter().map(attribute).collect(),
                nesting: object_nesting(*nesting) as i32,
                ..Default::default()
            }),
        ),
    };
    pb::schema::Attribute {
        name: a.name.to_string(),
        r#type: ty,
        nested_type,
        description: a.description.clone(),
        required: a.constraint == Required,
        optional: matches!(a.constraint, Optional | OptionalComputed),
        computed: matches!(a.constraint, Computed | OptionalComputed),
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecation.is_some(),
        write_only: a.write_only,
        deprecation_message: a.deprecation.clone().unwrap_or_default(),
    }
}

/// Diagnostics as Terraform wants them.
pub fn diagnostics(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.iter().map(diagnostic).collect()
}

fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().filter(|p| !p.is_root()).map(path),
    }
}

/// An attribute path as Terraform wants it.
pub fn path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// Decodes a DynamicValue: msgpack when present, else JSON, else null (tfplugin6.md §3.1).
pub fn decode(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(dv) = dv else {
        return Some(Value::Null);
    };
    let res = if !dv.msgpack.is_empty() {
        codec::decode_msgpack(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        codec::decode_json(
            &dv.json,
            ty,
            JsonOptions {
                missing_attrs_null: false,
                ignore_unknown_attrs: false,
            },
        )
    } else {
        return Some(Value::Null);
    };
    match res {
        Ok(v) => Some(v),
        Err(e) => {
            diags.bug(format!(
                "Terraform sent a {what} this provider cannot decode: {e}"
            ));
            None
        }
    }
}

/// Encodes a value as msgpack.
pub fn encode(
    v: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match codec::encode_msgpack(v, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.bug(format!(
                "the provider produced a {what} that does not match its schema: {e}"
            ));
            None
        }
    }
}

/// The value type Terraform derives from a wire schema (attributes, nested attributes and
/// nested blocks, as `configschema.Block.ImpliedType` does). Clients and tests use it to
/// encode values for a provider they only know through GetProviderSchema.
///
/// # Errors
/// A message for a missing block or an unparseable attribute type.
pub fn implied_type(s: &pb::Schema) -> Result<Type, String> {
    fn nest(obj: Type, list: bool, set: bool, map: bool) -> Type {
        if list {
            Type::List(Box::new(obj))
        } else if set {
            Type::Set(Box::new(obj))
        } else if map {
            Type::Map(Box::new(obj))
        } else {
            obj
        }
    }
    fn attr_ty(a: &pb::schema::Attribute) -> Result<Type, String> {
        use pb::schema::object::NestingMode as M;
        match &a.nested_type {
            Some(n) => {
                let obj = Type::Object(
                    n.attributes
                        .iter()
                        .map(|a| attr_ty(a).map(|t| (a.name.clone(), t)))
                        .collect::<Result<_, _>>()?,
                );
                let m = M::try_from(n.nesting).unwrap_or(M::Single);
                Ok(nest(obj, m == M::List, m == M::Set, m == M::Map))
            }
            None => {
                Type::from_json_bytes(&a.r#type).map_err(|e| format!("attribute {}: {e}", a.name))
            }
        }
    }
    fn block_ty(b: &pb::schema::Block) -> Result<Type, String> {
        use pb::schema::nested_block::NestingMode as M;
        let mut m = crate::tf::ObjectMap::new();
        for a in &b.attributes {
            m.insert(a.name.clone(), attr_ty(a)?);
        }
        for nb in &b.block_types {
            let inner = block_ty(nb.block.as_ref().ok_or("nested block without a block")?)?;
            let mode = M::try_from(nb.nesting).unwrap_or(M::Single);
            m.insert(
                nb.type_name.clone(),
                nest(inner, mode == M::List, mode == M::Set, mode == M::Map),
            );
        }
        Ok(Type::Object(m))
    }
    block_ty(s.block.as_ref().ok_or("schema without a block")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tf::schema::{Attribute as A, Block, NestedBlock};

    #[test]
    fn the_wire_schema_implies_the_same_type_as_the_schema() {
        let mut s = Schema::new(
            0,
            "t",
            vec![
                A::string("a").optional().description("a"),
                A::nested(
                    "n",
                    Nesting::Set,
                    vec![A::number("x").optional().description("x")],
                )
                .optional()
                .description("n"),
            ],
        );
        s.block.blocks.push(NestedBlock::new(
            "b",
            Nesting::Map,
            "b",
            Block {
                attributes: vec![A::bool("y").optional().description("y")],
                ..Default::default()
            },
        ));
        assert_eq!(implied_type(&schema(&s)).unwrap(), s.ty());
    }
}
