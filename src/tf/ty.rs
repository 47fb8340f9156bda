//! Terraform (cty) type constraints and their JSON form (`"string"`, `["list","string"]`,
//! `["object",{...}]`), as used in `Schema.Attribute.type` and in dynamic values.

use std::collections::BTreeMap;

/// A cty type. Object attribute order is irrelevant on the wire; a `BTreeMap` keeps it sorted,
/// which is also the order cty writes msgpack keys in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    String,
    Number,
    Bool,
    /// `"dynamic"`: the concrete type travels with the value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}
