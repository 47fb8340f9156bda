//! [`Value`] → msgpack, against a [`Type`] (cty `msgpack.Marshal`, tfplugin6.md §3.2).

use std::convert::Infallible;

use rmp::encode::{self, ByteBuf, ValueWriteError};

use super::refinements::write_unknown;
use super::Step;
use super::{
    check_object_attrs, check_tuple_len, mismatch, not_dynamic, unwrap_dynamic, CodecError, Walk,
    Walker,
};
use crate::tf::number::Number;
use crate::tf::ty::Type;
use crate::tf::value::Value;

/// Encodes `v` as msgpack for type `ty`, exactly as cty writes it.
///
/// Null is nil; a plain unknown is `d4 00 00`; a refined unknown is ext 12 (only the
/// refinements that apply to `ty` are written, a string prefix is shortened to keep the
/// payload within 1024 bytes, and the plain form is used when nothing is left). Numbers are
/// an int when whole and within i64, a uint64 when whole and within u64, a float64 when
/// exactly representable and not whole, ±Infinity as float64, otherwise the decimal text.
/// (cty writes whole numbers beyond i64 as float64 when exact; Terraform reads uint64 and
/// text to the same value.) Objects are written with every attribute, keys sorted. At a
/// `dynamic` position a [`Value::Dynamic`] becomes `[bin type JSON, value]`, null is nil and
/// an unknown is the plain ext (dynamic unknowns carry no refinements in cty). A
/// `Value::Dynamic` whose type equals a concrete position's type is written unwrapped.
///
/// Errors ([`CodecError`] with the path): a value that does not fit `ty` (wrong kind, an
/// object lacking an attribute of its type or holding one its type does not have, a tuple
/// of the wrong length, a known non-`Value::Dynamic` value at a dynamic position), or
/// nesting deeper than [`super::MAX_DEPTH`].
pub fn encode_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut e = Encoder {
        out: ByteBuf::new(),
        w: Walk::default(),
    };
    e.value(None, v, ty)?;
    Ok(e.out.into_vec())
}

struct Encoder {
    out: ByteBuf,
    w: Walk,
}

walker!(Encoder);

/// Writing into a `ByteBuf` cannot fail: its error type is `Infallible`.
pub(super) fn infallible<T>(r: Result<T, ValueWriteError<Infallible>>) {
    if let Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) = r {
        match e {}
    }
}

/// A length as msgpack's u32, or an error.
fn len32(w: &impl Walker, n: usize) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| w.err("collection too large for msgpack (over 2^32 elements)"))
}

pub(super) fn write_str(out: &mut ByteBuf, s: &str) {
    infallible(encode::write_str(out, s));
}

/// A known number by cty's rule (see [`encode_msgpack`]); the text form is cty's plain
/// decimal, or with `compact` the shorter of that and scientific notation (refinement
/// bounds, whose payload is size-limited; Terraform parses both).
pub(super) fn write_number(out: &mut ByteBuf, n: &Number, compact: bool) {
    if let Some(i) = n.as_i64() {
        infallible(encode::write_sint(out, i));
    } else if let Some(u) = n.as_u64() {
        infallible(encode::write_uint(out, u));
    } else if let Some(f) = (!n.is_integer()).then(|| n.to_exact_f64()).flatten() {
        infallible(encode::write_f64(out, f));
    } else {
        let plain = n.to_string();
        let sci = if compact {
            n.to_scientific_string()
        } else {
            String::new()
        };
        write_str(
            out,
            if compact && sci.len() < plain.len() {
                &sci
            } else {
                &plain
            },
        );
    }
}

impl Encoder {
    fn value(&mut self, step: Option<Step<'_>>, v: &Value, ty: &Type) -> Result<(), CodecError> {
        self.nest(step, |e| e.value_here(v, ty))
    }

    fn value_here(&mut self, v: &Value, ty: &Type) -> Result<(), CodecError> {
        let out = &mut self.out;
        match (ty, unwrap_dynamic(v, ty)) {
            (_, Value::Null) => {
                infallible(encode::write_nil(out).map_err(ValueWriteError::InvalidMarkerWrite))
            }
            (_, Value::Unknown(r)) => write_unknown(out, r, ty),
            (Type::Dynamic, Value::Dynamic(t, inner)) => {
                infallible(encode::write_array_len(out, 2));
                infallible(encode::write_bin(out, &t.to_json_bytes()));
                return self.value(None, inner, t);
            }
            (Type::Dynamic, other) => return Err(not_dynamic(self, other)),
            (Type::String, Value::String(s)) => write_str(out, s),
            (Type::Number, Value::Number(n)) => write_number(out, n, false),
            (Type::Bool, Value::Bool(b)) => {
                infallible(encode::write_bool(out, *b).map_err(ValueWriteError::InvalidMarkerWrite))
            }
            (Type::List(et), Value::List(items)) | (Type::Set(et), Value::Set(items)) => {
                let n = len32(self, items.len())?;
                infallible(encode::write_array_len(&mut self.out, n));
                for (i, item) in items.iter().enumerate() {
                    self.value(Some(Step::Index(i as i64)), item, et)?;
                }
            }
            (Type::Tuple(types), Value::Tuple(items)) => {
                check_tuple_len(self, types, items.len())?;
                let n = len32(self, items.len())?;
                infallible(encode::write_array_len(&mut self.out, n));
                for (i, (item, t)) in items.iter().zip(types).enumerate() {
                    self.value(Some(Step::Index(i as i64)), item, t)?;
                }
            }
            (Type::Map(et), Value::Map(entries)) => {
                let n = len32(self, entries.len())?;
                infallible(encode::write_map_len(&mut self.out, n));
                for (k, item) in entries {
                    write_str(&mut self.out, k);
                    self.value(Some(Step::Key(k)), item, et)?;
                }
            }
            (Type::Object(attrs), Value::Object(values)) => {
                check_object_attrs(attrs, values)?;
                let n = len32(self, attrs.len())?;
                infallible(encode::write_map_len(&mut self.out, n));
                // Both maps hold the same keys (checked above); cty writes them sorted.
                for ((k, t), item) in attrs.iter().zip(values.values()) {
                    write_str(&mut self.out, k);
                    self.value(Some(Step::Attr(k)), item, t)?;
                }
            }
            (ty, other) => return Err(mismatch(self, ty, other)),
        }
        Ok(())
    }
}
