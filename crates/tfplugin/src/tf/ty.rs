//! Terraform (cty) type constraints and their JSON form (`"string"`, `["list","string"]`,
//! `["object",{...}]`), as used in `Schema.Attribute.type` and in dynamic values.

use super::object::ObjectMap;

/// A cty type. Object attribute order is irrelevant on the wire; an [`ObjectMap`] keeps it
/// sorted, which is also the order cty writes msgpack keys in, and holds the names that
/// decoded values share.
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
    Object(ObjectMap<Type>),
    Tuple(Vec<Type>),
}

/// Deepest type nesting [`Type::from_json`] accepts; real schemas stay far below it.
const MAX_TYPE_DEPTH: usize = 128;

impl Type {
    /// The cty JSON form: `"string"`, `["list","string"]`, `["object",{"a":"bool"}]`,
    /// `["tuple",["string","number"]]` (tfplugin6.md §3.3).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        let pair = |kind: &str, inner: J| J::Array(vec![J::from(kind), inner]);
        match self {
            Type::String => J::from("string"),
            Type::Number => J::from("number"),
            Type::Bool => J::from("bool"),
            Type::Dynamic => J::from("dynamic"),
            Type::List(t) => pair("list", t.to_json()),
            Type::Set(t) => pair("set", t.to_json()),
            Type::Map(t) => pair("map", t.to_json()),
            Type::Object(attrs) => pair(
                "object",
                J::Object(
                    attrs
                        .iter()
                        .map(|(k, t)| (k.to_string(), t.to_json()))
                        .collect(),
                ),
            ),
            Type::Tuple(elems) => {
                pair("tuple", J::Array(elems.iter().map(Type::to_json).collect()))
            }
        }
    }

    /// Compact JSON bytes of [`Type::to_json`], as `Schema.Attribute.type` and the dynamic
    /// value wrapper carry them.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Serialising a serde_json::Value into memory cannot fail.
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }

    /// Parses the cty JSON form. The 3-element object form
    /// `["object",{…},["optional_attr",…]]` is accepted and its optional-attribute list
    /// (a type-constraint detail wire values never use) is checked to be a list of
    /// strings and otherwise ignored.
    ///
    /// Errors: anything that is not a type, nested deeper than 128 levels.
    pub fn from_json(json: &serde_json::Value) -> Result<Type, String> {
        type_from_json(json, 0)
    }

    /// Parses JSON bytes with [`Type::from_json`]. Errors: invalid JSON or not a type.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, String> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("type is not valid JSON: {e}"))?;
        Type::from_json(&json)
    }
}

fn type_from_json(json: &serde_json::Value, depth: usize) -> Result<Type, String> {
    use serde_json::Value as J;
    if depth > MAX_TYPE_DEPTH {
        return Err(format!("type nested deeper than {MAX_TYPE_DEPTH} levels"));
    }
    let items = match json {
        J::String(s) => {
            return match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!("unknown primitive type {other:?}")),
            }
        }
        J::Array(items) => items,
        other => return Err(format!("a type is a JSON string or array, not {other}")),
    };
    let kind = items
        .first()
        .and_then(J::as_str)
        .ok_or("a type array starts with its kind")?;
    let arg = match (kind, items.len()) {
        (_, 2) | ("object", 3) => &items[1],
        _ => return Err(format!("wrong number of elements in {kind:?} type")),
    };
    let inner = |j: &J| type_from_json(j, depth + 1).map(Box::new);
    match kind {
        "list" => Ok(Type::List(inner(arg)?)),
        "set" => Ok(Type::Set(inner(arg)?)),
        "map" => Ok(Type::Map(inner(arg)?)),
        "object" => {
            let attrs = arg
                .as_object()
                .ok_or("an object type needs a JSON object of attributes")?;
            if let Some(optional) = items.get(2) {
                let names = optional
                    .as_array()
                    .ok_or("optional attributes must be a list")?;
                if !names.iter().all(J::is_string) {
                    return Err("optional attribute names must be strings".into());
                }
            }
            let attrs = attrs
                .iter()
                .map(|(k, j)| Ok((k.clone(), type_from_json(j, depth + 1)?)))
                .collect::<Result<_, String>>()?;
            Ok(Type::Object(attrs))
        }
        "tuple" => {
            let elems = arg
                .as_array()
                .ok_or("a tuple type needs a JSON array of element types")?;
            let elems = elems
                .iter()
                .map(|j| type_from_json(j, depth + 1))
                .collect::<Result<_, _>>()?;
            Ok(Type::Tuple(elems))
        }
        other => Err(format!("unknown type kind {other:?}")),
    }
}

impl std::fmt::Display for Type {
    /// The compact cty JSON form, e.g. `["list","string"]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_json().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(attrs: &[(&str, Type)]) -> Type {
        Type::Object(
            attrs
                .iter()
                .map(|(k, t)| (k.to_string(), t.clone()))
                .collect(),
        )
    }

    #[test]
    fn json_forms_match_cty() {
        let t = obj(&[
            ("a", Type::String),
            ("b", Type::List(Box::new(Type::Number))),
            ("c", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
            ("d", Type::Map(Box::new(Type::Set(Box::new(Type::String))))),
        ]);
        let text = r#"["object",{"a":"string","b":["list","number"],"c":["tuple",["bool","dynamic"]],"d":["map",["set","string"]]}]"#;
        assert_eq!(String::from_utf8(t.to_json_bytes()).unwrap(), text);
        assert_eq!(t.to_string(), text);
        assert_eq!(Type::from_json_bytes(text.as_bytes()).unwrap(), t);
        assert_eq!(
            Type::from_json_bytes(br#""dynamic""#).unwrap(),
            Type::Dynamic
        );
    }

    #[test]
    fn optional_attribute_list_is_ignored() {
        let j = json!(["object", {"a": "string", "b": "number"}, ["b"]]);
        assert_eq!(
            Type::from_json(&j).unwrap(),
            obj(&[("a", Type::String), ("b", Type::Number)])
        );
        assert!(Type::from_json(&json!(["object", {}, [1]])).is_err());
        assert!(Type::from_json(&json!(["list", "string", []])).is_err());
    }

    #[test]
    fn rejects_non_types() {
        for bad in [
            json!("str"),
            json!(1),
            json!([]),
            json!(["list"]),
            json!(["list", "string", "x"]),
            json!(["tuple", "string"]),
            json!(["object", []]),
            json!(["frob", "string"]),
            json!({"list": "string"}),
        ] {
            assert!(Type::from_json(&bad).is_err(), "{bad} accepted");
        }
        assert!(Type::from_json_bytes(b"[\"list\",").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut j = json!("string");
        for _ in 0..200 {
            j = json!(["list", j]);
        }
        let err = Type::from_json(&j).unwrap_err();
        assert!(err.contains("deeper"), "{err}");
    }
}
