//! DynamicValue codec: msgpack (what Terraform sends and what we answer) and JSON (raw
//! states), following cty's rules exactly (tfplugin6.md §3).
//!
//! Values are always read and written against a [`Type`]:
//! * null is msgpack nil / JSON null; unknowns exist only in msgpack (ext 0, or ext 12 with
//!   refinements, see [`Refinements`](super::value::Refinements));
//! * objects carry every attribute of their type exactly once;
//! * a value at a `dynamic` position is [`Value::Dynamic`] (its concrete type travels with
//!   it), or [`Value::Null`] / a plain [`Value::Unknown`].
//!
//! Decoding never panics and never allocates from an untrusted length; nesting (values and
//! the types inside dynamic values) is limited to [`MAX_DEPTH`] levels.

use crate::tf::object::ObjectMap;

use super::path::{AttributePath, PathStep};
use super::ty::Type;
use super::value::Value;

pub use json::{decode_json, decode_json_value, encode_json, JsonOptions};
pub use mp_decode::decode_msgpack;
pub use mp_encode::encode_msgpack;

/// Deepest nesting of values the codec reads or writes (a dynamic value's type counts).
pub const MAX_DEPTH: usize = 256;

/// Largest ext 12 refinement payload Terraform accepts (cty `unmarshalUnknownValue`).
pub const MAX_REFINEMENTS_LEN: usize = 1024;

/// A value that does not fit its type, or bytes that are not a valid encoding. `path` is
/// where in the value the problem is (root for the whole value).
#[derive(Debug, thiserror::Error)]
#[error("{message}{}", if path.is_root() { String::new() } else { format!(" at {path}") })]
pub struct CodecError {
    pub path: AttributePath,
    pub message: String,
}

impl CodecError {
    pub(crate) fn new(path: &AttributePath, message: impl Into<String>) -> Self {
        CodecError {
            path: path.clone(),
            message: message.into(),
        }
    }
}

/// One step of the path to where a codec is, borrowed: owned only if an error carries it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step<'a> {
    Attr(&'a str),
    Key(&'a str),
    Index(i64),
}

impl Step<'_> {
    fn owned(self) -> PathStep {
        match self {
            Step::Attr(a) => PathStep::Attr(a.to_string()),
            Step::Key(k) => PathStep::Key(k.to_string()),
            Step::Index(i) => PathStep::Index(i),
        }
    }
}

/// Where a codec is in a value: its nesting depth (bounded). The path of an error is built
/// on the way out ([`Walker::nest`] prepends its step), so walking allocates nothing for it.
#[derive(Clone, Default)]
pub(crate) struct Walk {
    depth: usize,
}

/// Implements [`Walker`] for a struct whose `w` field is its [`Walk`].
macro_rules! walker {
    ($t:ty) => {
        impl $crate::tf::codec::Walker for $t {
            fn walk(&self) -> &$crate::tf::codec::Walk {
                &self.w
            }
            fn walk_mut(&mut self) -> &mut $crate::tf::codec::Walk {
                &mut self.w
            }
        }
    };
}

// Declared after `walker!`, which they use.
mod json;
mod mp_decode;
mod mp_encode;
mod refinements;
#[cfg(test)]
mod tests;

/// Anything that walks a value: gives path-aware errors and bounded nesting.
pub(crate) trait Walker: Sized {
    fn walk(&self) -> &Walk;
    fn walk_mut(&mut self) -> &mut Walk;

    /// An error here (its path is completed on the way out).
    fn err(&self, message: impl Into<String>) -> CodecError {
        CodecError::new(&AttributePath::root(), message)
    }

    /// Runs `f` one level deeper; an error from it gets `step` (if any) prepended to its
    /// path. Errors when nesting exceeds [`MAX_DEPTH`].
    fn nest<T>(
        &mut self,
        step: Option<Step<'_>>,
        f: impl FnOnce(&mut Self) -> Result<T, CodecError>,
    ) -> Result<T, CodecError> {
        if self.walk().depth >= MAX_DEPTH {
            let e = self.err(format!("value nested deeper than {MAX_DEPTH} levels"));
            return Err(prepend(e, step));
        }
        self.walk_mut().depth += 1;
        let r = f(self);
        self.walk_mut().depth -= 1;
        r.map_err(|e| prepend(e, step))
    }
}

fn prepend(mut e: CodecError, step: Option<Step<'_>>) -> CodecError {
    if let Some(step) = step {
        e.path.0.insert(0, step.owned());
    }
    e
}

/// A short name of a value's kind, for error messages.
pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Tuple(_) => "tuple",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Dynamic(..) => "dynamic value",
    }
}

/// The error for a value that is not of the type its position requires.
pub(crate) fn mismatch(w: &impl Walker, ty: &Type, v: &Value) -> CodecError {
    w.err(format!(
        "expected a value of type {ty}, got a {}",
        value_kind(v)
    ))
}

/// Checks, for the encoders, that an object value has exactly its type's attributes.
pub(crate) fn check_object_attrs(
    attrs: &ObjectMap<Type>,
    values: &ObjectMap<Value>,
) -> Result<(), CodecError> {
    if attrs.len() == values.len() && attrs.keys().zip(values.keys()).all(|(a, b)| a == b) {
        return Ok(());
    }
    if let Some(missing) = attrs.keys().find(|k| !values.contains_key(*k)) {
        return Err(CodecError::new(
            &AttributePath::attr(missing.as_str()),
            "missing attribute: an object value must hold every attribute of its type (null where unset)",
        ));
    }
    if let Some(extra) = values.keys().find(|k| !attrs.contains_key(*k)) {
        return Err(CodecError::new(
            &AttributePath::attr(extra.as_str()),
            "unsupported attribute: the object type has no such attribute",
        ));
    }
    Ok(())
}

/// The encoders' error for a known value at a dynamic position that is not a
/// `Value::Dynamic`.
pub(crate) fn not_dynamic(w: &impl Walker, v: &Value) -> CodecError {
    w.err(format!(
        "a known value at a dynamic position must be a Value::Dynamic carrying its type, got a {}",
        value_kind(v)
    ))
}

/// Checks that a tuple has as many elements as its type.
pub(crate) fn check_tuple_len(
    w: &impl Walker,
    types: &[Type],
    len: usize,
) -> Result<(), CodecError> {
    if types.len() == len {
        return Ok(());
    }
    Err(w.err(format!(
        "a tuple of {} elements is required, got {len}",
        types.len()
    )))
}

/// What the encoders write at a position: `Value::Dynamic` is unwrapped where the position's
/// type is the wrapper's type (a dynamic value placed at a concrete position), or when the
/// wrapper's type is itself `dynamic`.
pub(crate) fn unwrap_dynamic<'v>(mut v: &'v Value, ty: &Type) -> &'v Value {
    while let Value::Dynamic(t, inner) = v {
        if **t != *ty && **t != Type::Dynamic {
            break;
        }
        v = inner;
    }
    v
}
