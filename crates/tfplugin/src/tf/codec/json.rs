//! The JSON form of values (cty `json.Marshal`/`Unmarshal`, tfplugin6.md §3.4), used by
//! `RawState.json` in UpgradeResourceState and MoveResourceState.
//!
//! Same mapping as msgpack except: null is JSON null, numbers are JSON numbers of any
//! precision (serde_json's `arbitrary_precision` keeps their text), a dynamic value is
//! `{"value": …, "type": <type JSON>}`, and unknowns do not exist.

use std::collections::BTreeMap;

use crate::tf::object::ObjectMap;

use serde_json::Value as J;

use super::Step;
use super::{
    check_object_attrs, check_tuple_len, mismatch, not_dynamic, unwrap_dynamic, CodecError, Walk,
    Walker,
};
use crate::tf::number::Number;
use crate::tf::ty::Type;
use crate::tf::value::Value;

/// How lenient JSON decoding is about object attributes. The default is strict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// An attribute of the object type that the JSON lacks becomes null instead of an
    /// error. Set it for UpgradeResourceState: the raw state was written by an older schema
    /// version, and cty's own JSON decoder fills absent attributes with null.
    pub missing_attrs_null: bool,
    /// A JSON attribute the object type does not have is skipped instead of an error (for
    /// raw state holding attributes a newer schema removed).
    pub ignore_unknown_attrs: bool,
}

/// Parses JSON bytes and decodes them with [`decode_json_value`]. Errors: invalid JSON
/// (including nesting deeper than serde_json's 128 levels), or as [`decode_json_value`].
pub fn decode_json(bytes: &[u8], ty: &Type, opts: JsonOptions) -> Result<Value, CodecError> {
    let json: J = serde_json::from_slice(bytes)
        .map_err(|e| CodecError::new(&Default::default(), format!("invalid JSON: {e}")))?;
    decode_json_value(&json, ty, opts)
}

/// Decodes a JSON value of type `ty`.
///
/// Like cty, a string is also accepted for a number or a bool (`"12"`, `"true"`), and a
/// number or bool for a string (its text). A dynamic value must be an object with exactly
/// `value` and `type`; it becomes [`Value::Dynamic`], or [`Value::Null`] for a null value.
///
/// Errors ([`CodecError`] with the path): a JSON value that does not fit the type, a tuple
/// of the wrong length, an object attribute the type lacks (unless
/// `opts.ignore_unknown_attrs`), a missing attribute (unless `opts.missing_attrs_null`),
/// a bad number or type, nesting deeper than [`super::MAX_DEPTH`].
pub fn decode_json_value(json: &J, ty: &Type, opts: JsonOptions) -> Result<Value, CodecError> {
    JsonDecoder {
        w: Walk::default(),
        opts,
    }
    .value(None, json, ty)
}

/// Encodes `v` as JSON for type `ty` (numbers keep their exact text; objects list every
/// attribute in sorted order; a dynamic value is `{"value": …, "type": …}`).
///
/// Errors ([`CodecError`] with the path): an unknown anywhere (JSON cannot hold one), an
/// infinite number, or a value that does not fit `ty` (as for
/// [`encode_msgpack`](super::encode_msgpack)).
pub fn encode_json(v: &Value, ty: &Type) -> Result<J, CodecError> {
    JsonEncoder { w: Walk::default() }.value(None, v, ty)
}

fn json_kind(j: &J) -> &'static str {
    match j {
        J::Null => "null",
        J::Bool(_) => "bool",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

struct JsonDecoder {
    w: Walk,
    opts: JsonOptions,
}

walker!(JsonDecoder);

impl JsonDecoder {
    fn value(&mut self, step: Option<Step<'_>>, j: &J, ty: &Type) -> Result<Value, CodecError> {
        self.nest(step, |d| d.value_here(j, ty))
    }

    fn number(&self, text: &str) -> Result<Value, CodecError> {
        text.parse::<Number>()
            .map(Value::Number)
            .map_err(|e| self.err(e.to_string()))
    }

    fn elements<'t>(
        &mut self,
        items: &[J],
        type_at: impl Fn(usize) -> Option<&'t Type>,
    ) -> Result<Vec<Value>, CodecError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ty = type_at(i).ok_or_else(|| self.err("tuple element without a type"))?;
            out.push(self.value(Some(Step::Index(i as i64)), item, ty)?);
        }
        Ok(out)
    }

    fn value_here(&mut self, j: &J, ty: &Type) -> Result<Value, CodecError> {
        Ok(match (ty, j) {
            (_, J::Null) => Value::Null,
            (Type::Dynamic, J::Object(m)) => self.dynamic(m)?,
            (Type::String, J::String(s)) => Value::String(s.clone()),
            (Type::String, J::Number(n)) => Value::String(n.to_string()),
            (Type::String, J::Bool(b)) => Value::String(b.to_string()),
            (Type::Number, J::Number(n)) => self.number(&n.to_string())?,
            (Type::Number, J::String(s)) => self.number(s)?,
            (Type::Bool, J::Bool(b)) => Value::Bool(*b),
            (Type::Bool, J::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
            (Type::List(et), J::Array(items)) => {
                Value::List(self.elements(items, |_| Some(et.as_ref()))?)
            }
            (Type::Set(et), J::Array(items)) => {
                Value::Set(self.elements(items, |_| Some(et.as_ref()))?)
            }
            (Type::Tuple(types), J::Array(items)) => {
                check_tuple_len(self, types, items.len())?;
                Value::Tuple(self.elements(items, |i| types.get(i))?)
            }
            (Type::Map(et), J::Object(m)) => {
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    out.insert(k.clone(), self.value(Some(Step::Key(k)), item, et)?);
                }
                Value::Map(out)
            }
            (Type::Object(attrs), J::Object(m)) => self.object(attrs, m)?,
            (ty, j) => {
                return Err(self.err(format!(
                    "expected a value of type {ty}, got JSON {}",
                    json_kind(j)
                )))
            }
        })
    }

    fn object(
        &mut self,
        attrs: &ObjectMap<Type>,
        m: &serde_json::Map<String, J>,
    ) -> Result<Value, CodecError> {
        let mut out = ObjectMap::with_capacity(attrs.len());
        for (k, item) in m {
            match attrs.get_key_value(k) {
                Some((name, ty)) => {
                    out.insert(name.clone(), self.value(Some(Step::Attr(k)), item, ty)?);
                }
                None if self.opts.ignore_unknown_attrs => {}
                None => {
                    return Err(CodecError::new(
                        &crate::tf::AttributePath::attr(k.as_str()),
                        "unsupported attribute",
                    ))
                }
            }
        }
        for k in attrs.keys() {
            if !out.contains_key(k) {
                if !self.opts.missing_attrs_null {
                    return Err(CodecError::new(
                        &crate::tf::AttributePath::attr(k.as_str()),
                        "missing attribute",
                    ));
                }
                out.insert(k.clone(), Value::Null);
            }
        }
        Ok(Value::Object(out))
    }

    /// `{"value": …, "type": …}` (cty `unmarshalDynamic`).
    fn dynamic(&mut self, m: &serde_json::Map<String, J>) -> Result<Value, CodecError> {
        if let Some(k) = m.keys().find(|k| *k != "value" && *k != "type") {
            return Err(self.err(format!(
                "invalid key {k:?} in a dynamic value (only \"value\" and \"type\")"
            )));
        }
        let (Some(tj), Some(vj)) = (m.get("type"), m.get("value")) else {
            return Err(self.err("a dynamic value needs both \"value\" and \"type\""));
        };
        let ty = Type::from_json(tj).map_err(|e| self.err(format!("dynamic value type: {e}")))?;
        Ok(match self.value(None, vj, &ty)? {
            Value::Null => Value::Null,
            v if ty == Type::Dynamic => v,
            v => Value::Dynamic(Box::new(ty), Box::new(v)),
        })
    }
}

struct JsonEncoder {
    w: Walk,
}

walker!(JsonEncoder);

impl JsonEncoder {
    fn value(&mut self, step: Option<Step<'_>>, v: &Value, ty: &Type) -> Result<J, CodecError> {
        self.nest(step, |e| e.value_here(v, ty))
    }

    fn elements<'t>(
        &mut self,
        items: &[Value],
        type_at: impl Fn(usize) -> Option<&'t Type>,
    ) -> Result<J, CodecError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ty = type_at(i).ok_or_else(|| self.err("tuple element without a type"))?;
            out.push(self.value(Some(Step::Index(i as i64)), item, ty)?);
        }
        Ok(J::Array(out))
    }

    fn value_here(&mut self, v: &Value, ty: &Type) -> Result<J, CodecError> {
        Ok(match (ty, unwrap_dynamic(v, ty)) {
            (_, Value::Null) => J::Null,
            (_, Value::Unknown(_)) => {
                return Err(self.err("an unknown value cannot be written as JSON"))
            }
            (Type::Dynamic, Value::Dynamic(t, inner)) => {
                let mut m = serde_json::Map::new();
                m.insert("value".into(), self.value(None, inner, t)?);
                m.insert("type".into(), t.to_json());
                J::Object(m)
            }
            (Type::Dynamic, other) => return Err(not_dynamic(self, other)),
            (Type::String, Value::String(s)) => J::String(s.clone()),
            (Type::Number, Value::Number(n)) => {
                if n.is_infinite() {
                    return Err(self.err("JSON cannot represent an infinite number"));
                }
                let text = n.to_string();
                J::Number(
                    text.parse()
                        .map_err(|e| self.err(format!("number {text} as JSON: {e}")))?,
                )
            }
            (Type::Bool, Value::Bool(b)) => J::Bool(*b),
            (Type::List(et), Value::List(items)) | (Type::Set(et), Value::Set(items)) => {
                self.elements(items, |_| Some(et.as_ref()))?
            }
            (Type::Tuple(types), Value::Tuple(items)) => {
                check_tuple_len(self, types, items.len())?;
                self.elements(items, |i| types.get(i))?
            }
            (Type::Map(et), Value::Map(entries)) => {
                let mut m = serde_json::Map::new();
                for (k, item) in entries {
                    m.insert(k.clone(), self.value(Some(Step::Key(k)), item, et)?);
                }
                J::Object(m)
            }
            (Type::Object(attrs), Value::Object(values)) => {
                check_object_attrs(attrs, values)?;
                let mut m = serde_json::Map::new();
                for ((k, t), item) in attrs.iter().zip(values.values()) {
                    m.insert(k.to_string(), self.value(Some(Step::Attr(k)), item, t)?);
                }
                J::Object(m)
            }
            (ty, other) => return Err(mismatch(self, ty, other)),
        })
    }
}
