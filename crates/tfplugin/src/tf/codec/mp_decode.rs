//! msgpack → [`Value`], against a [`Type`] (cty `msgpack.Unmarshal`, tfplugin6.md §3.2).

use std::collections::BTreeMap;

use rmp::Marker;

use super::refinements::decode_unknown;
use super::Step;
use super::{check_tuple_len, CodecError, Walk, Walker};
use crate::tf::number::Number;
use crate::tf::object::ObjectMap;
use crate::tf::ty::Type;
use crate::tf::value::Value;

/// Decodes msgpack bytes as a value of type `ty`.
///
/// Accepts everything cty writes and reads: nil as [`Value::Null`] at any type; any ext of
/// at most one byte as a plain unknown, ext 12 as a refined unknown (an ext 12 saying
/// "definitely null" decodes as [`Value::Null`], as in cty); numbers as ints of every width,
/// float32/float64 or decimal strings; strings as str or UTF-8 bin; objects with every
/// attribute exactly once, in any order. At a `dynamic` position, `[type JSON, value]`
/// becomes [`Value::Dynamic`], or [`Value::Null`]/plain [`Value::Unknown`] when the wrapped
/// value is null/unknown (the concrete type of such values is dropped: the value model
/// has no typed null). Set elements keep their order and are not deduplicated.
///
/// Errors ([`CodecError`] with the path): truncated or malformed msgpack, a value that does
/// not fit the type, an object with a missing, unsupported or duplicate attribute, a map
/// with a duplicate key, a tuple of the wrong length, NaN, an ext other than type 12 longer
/// than one byte, refinements that do not apply to the type or exceed 1024 bytes, nesting
/// deeper than [`super::MAX_DEPTH`], and bytes left over after the value. An empty input is an
/// error too (Terraform treats an empty DynamicValue as null before decoding).
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut d = Decoder::new(bytes, Walk::default());
    let v = d.value(None, ty)?;
    if !d.rd.is_empty() {
        return Err(d.err(format!("{} unexpected bytes after the value", d.rd.len())));
    }
    Ok(v)
}

/// A bounded reader over msgpack bytes that knows where it is in the value.
pub(super) struct Decoder<'a> {
    rd: &'a [u8],
    w: Walk,
}

walker!(Decoder<'_>);

/// Elements allocated ahead at most, whatever length the input claims.
const PREALLOC_LIMIT: usize = 1024;

impl<'a> Decoder<'a> {
    pub fn new(rd: &'a [u8], w: Walk) -> Self {
        Decoder { rd, w }
    }

    fn eof(&self) -> CodecError {
        self.err("msgpack input ends in the middle of a value")
    }

    fn peek(&self) -> Result<Marker, CodecError> {
        self.rd
            .first()
            .map(|b| Marker::from_u8(*b))
            .ok_or_else(|| self.eof())
    }

    fn marker(&mut self) -> Result<Marker, CodecError> {
        let m = self.peek()?;
        self.rd = &self.rd[1..];
        Ok(m)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.rd.len() {
            return Err(self.eof());
        }
        let (head, tail) = self.rd.split_at(n);
        self.rd = tail;
        Ok(head)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let bytes = self.take(N)?;
        bytes.try_into().map_err(|_| self.eof())
    }

    fn len8(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(self.be::<1>()?[0]))
    }
    fn len16(&mut self) -> Result<usize, CodecError> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }
    fn len32(&mut self) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.be()?)).map_err(|_| self.err("length too large"))
    }

    fn expected(&self, what: &str, m: Marker) -> CodecError {
        self.err(format!("expected {what}, found msgpack {}", marker_name(m)))
    }

    /// Decodes one value of type `ty`, one level deeper (with `step` on the path).
    pub fn value(&mut self, step: Option<Step<'_>>, ty: &Type) -> Result<Value, CodecError> {
        self.nest(step, |d| d.value_here(ty))
    }

    fn value_here(&mut self, ty: &Type) -> Result<Value, CodecError> {
        match self.peek()? {
            Marker::Null => {
                self.marker()?;
                return Ok(Value::Null);
            }
            m if is_ext(m) => {
                let (code, payload) = self.ext()?;
                return decode_unknown(code, payload, ty, &self.w);
            }
            _ => {}
        }
        match ty {
            Type::Dynamic => self.dynamic(),
            Type::String => self.string("a string").map(Value::String),
            Type::Number => self.number().map(Value::Number),
            Type::Bool => self.bool().map(Value::Bool),
            Type::List(et) => {
                let n = self.array_len("an array for a list")?;
                self.elements(n, |_| Some(et.as_ref())).map(Value::List)
            }
            Type::Set(et) => {
                let n = self.array_len("an array for a set")?;
                self.elements(n, |_| Some(et.as_ref())).map(Value::Set)
            }
            Type::Tuple(types) => {
                let n = self.array_len("an array for a tuple")?;
                check_tuple_len(self, types, n)?;
                self.elements(n, |i| types.get(i)).map(Value::Tuple)
            }
            Type::Map(et) => self.map(et),
            Type::Object(attrs) => self.object(attrs),
        }
    }

    fn elements<'t>(
        &mut self,
        n: usize,
        type_at: impl Fn(usize) -> Option<&'t Type>,
    ) -> Result<Vec<Value>, CodecError> {
        // Every element takes at least one byte: never reserve more than the input could hold.
        let mut out = Vec::with_capacity(n.min(self.rd.len()).min(PREALLOC_LIMIT));
        for i in 0..n {
            let ty = type_at(i).ok_or_else(|| self.err("tuple element without a type"))?;
            out.push(self.value(Some(Step::Index(i as i64)), ty)?);
        }
        Ok(out)
    }

    fn map(&mut self, et: &Type) -> Result<Value, CodecError> {
        let n = self.map_len("a map")?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let key = self.string("a string map key")?;
            if out.contains_key(&key) {
                return Err(CodecError::new(
                    &crate::tf::AttributePath::root().key(key),
                    "duplicate map key",
                ));
            }
            let v = self.value(Some(Step::Key(&key)), et)?;
            out.insert(key, v);
        }
        Ok(Value::Map(out))
    }

    /// cty requires every attribute exactly once (`unmarshalObject`); order is free. The
    /// object's names are the type's (shared, not copied): decoding allocates no key.
    fn object(&mut self, attrs: &ObjectMap<Type>) -> Result<Value, CodecError> {
        let n = self.map_len("a map for an object")?;
        let types = attrs.as_slice();
        // Terraform writes attributes sorted, as the type lists them: follow the type's
        // entries with a cursor (one comparison per attribute) and take the values as they
        // come; any other order takes the general path, which sorts by the type's positions.
        // `n` comes from the input: a valid object has at most one entry per attribute.
        let mut values: Vec<(usize, Value)> = Vec::with_capacity(n.min(types.len()));
        let mut in_order = true;
        for i in 0..n {
            let key = self.str_body("a string attribute name")?;
            let at = match types.get(i) {
                Some((k, _)) if in_order && k.as_str() == key => i,
                _ => {
                    in_order = false;
                    match attrs.position(key) {
                        Ok(at) => at,
                        Err(_) => {
                            return Err(CodecError::new(
                                &crate::tf::AttributePath::attr(key),
                                "unsupported attribute",
                            ))
                        }
                    }
                }
            };
            let v = self.value(Some(Step::Attr(key)), &types[at].1)?;
            values.push((at, v));
        }
        if !in_order {
            values.sort_by_key(|(at, _)| *at);
            if let Some(w) = values.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(CodecError::new(
                    &crate::tf::AttributePath::attr(types[w[0].0].0.as_str()),
                    "duplicate attribute",
                ));
            }
        }
        if values.len() != types.len() {
            // Sorted, without duplicates, and fewer: the first position not taken is missing.
            let missing = values
                .iter()
                .enumerate()
                .find(|(i, (at, _))| i != at)
                .map_or(values.len(), |(i, _)| i);
            return Err(CodecError::new(
                &crate::tf::AttributePath::attr(types[missing].0.as_str()),
                "missing attribute: an object must carry every attribute of its type (nil for null)",
            ));
        }
        Ok(Value::Object(ObjectMap::from_sorted(
            values
                .into_iter()
                .map(|(at, v)| (types[at].0.clone(), v))
                .collect(),
        )))
    }

    /// `[type JSON (bin or str), value]` (cty `unmarshalDynamic`); nil and bare exts were
    /// handled by the caller.
    fn dynamic(&mut self) -> Result<Value, CodecError> {
        let n = self.array_len("a [type, value] array for a dynamic value")?;
        if n != 2 {
            return Err(self.err(format!(
                "a dynamic value is a [type, value] array, got {n} elements"
            )));
        }
        let m = self.marker()?;
        let type_json = self
            .bytes_body(m)
            .ok_or_else(|| self.expected("the dynamic value's type JSON", m))??;
        let ty = Type::from_json_bytes(type_json)
            .map_err(|e| self.err(format!("dynamic value type: {e}")))?;
        Ok(match self.value(None, &ty)? {
            Value::Null => Value::Null,
            // A dynamic unknown carries no refinements (cty `marshalUnknownValue`).
            Value::Unknown(_) => Value::unknown(),
            v if ty == Type::Dynamic => v,
            v => Value::Dynamic(Box::new(ty), Box::new(v)),
        })
    }

    pub fn string(&mut self, what: &str) -> Result<String, CodecError> {
        self.str_body(what).map(str::to_string)
    }

    /// A str or bin holding UTF-8, borrowed from the input.
    pub fn str_body(&mut self, what: &str) -> Result<&'a str, CodecError> {
        let m = self.marker()?;
        let bytes = self.bytes_body(m).ok_or_else(|| self.expected(what, m))??;
        std::str::from_utf8(bytes).map_err(|_| self.err(format!("{what} is not valid UTF-8")))
    }

    pub fn bool(&mut self) -> Result<bool, CodecError> {
        match self.marker()? {
            Marker::True => Ok(true),
            Marker::False => Ok(false),
            m => Err(self.expected("a bool", m)),
        }
    }

    /// The body of a str or bin with marker `m`; `None` for other markers.
    fn bytes_body(&mut self, m: Marker) -> Option<Result<&'a [u8], CodecError>> {
        let len = match m {
            Marker::FixStr(n) => Ok(usize::from(n)),
            Marker::Str8 | Marker::Bin8 => self.len8(),
            Marker::Str16 | Marker::Bin16 => self.len16(),
            Marker::Str32 | Marker::Bin32 => self.len32(),
            _ => return None,
        };
        Some(len.and_then(|n| self.take(n)))
    }

    pub fn array_len(&mut self, what: &str) -> Result<usize, CodecError> {
        match self.marker()? {
            Marker::FixArray(n) => Ok(usize::from(n)),
            Marker::Array16 => self.len16(),
            Marker::Array32 => self.len32(),
            m => Err(self.expected(what, m)),
        }
    }

    pub fn map_len(&mut self, what: &str) -> Result<usize, CodecError> {
        match self.marker()? {
            Marker::FixMap(n) => Ok(usize::from(n)),
            Marker::Map16 => self.len16(),
            Marker::Map32 => self.len32(),
            m => Err(self.expected(what, m)),
        }
    }

    /// An integer of any width (uint64 included); `None` for other markers (nothing
    /// consumed then).
    pub fn integer(&mut self) -> Result<Option<Number>, CodecError> {
        let m = self.peek()?;
        let n = match m {
            Marker::FixPos(n) => Number::from(u32::from(n)),
            Marker::FixNeg(n) => Number::from(i32::from(n)),
            Marker::U8
            | Marker::U16
            | Marker::U32
            | Marker::U64
            | Marker::I8
            | Marker::I16
            | Marker::I32
            | Marker::I64 => {
                self.marker()?;
                return self.int_body(m).map(Some);
            }
            _ => return Ok(None),
        };
        self.marker()?;
        Ok(Some(n))
    }

    fn int_body(&mut self, m: Marker) -> Result<Number, CodecError> {
        Ok(match m {
            Marker::U8 => Number::from(u32::from(u8::from_be_bytes(self.be()?))),
            Marker::U16 => Number::from(u32::from(u16::from_be_bytes(self.be()?))),
            Marker::U32 => Number::from(u32::from_be_bytes(self.be()?)),
            Marker::U64 => Number::from(u64::from_be_bytes(self.be()?)),
            Marker::I8 => Number::from(i32::from(i8::from_be_bytes(self.be()?))),
            Marker::I16 => Number::from(i32::from(i16::from_be_bytes(self.be()?))),
            Marker::I32 => Number::from(i32::from_be_bytes(self.be()?)),
            _ => Number::from(i64::from_be_bytes(self.be()?)),
        })
    }

    /// A number as cty writes it: int of any width, float32/float64, or decimal string.
    pub fn number(&mut self) -> Result<Number, CodecError> {
        if let Some(n) = self.integer()? {
            return Ok(n);
        }
        let f = match self.marker()? {
            Marker::F32 => f64::from(f32::from_be_bytes(self.be()?)),
            Marker::F64 => f64::from_be_bytes(self.be()?),
            m => {
                let text = self
                    .bytes_body(m)
                    .ok_or_else(|| self.expected("a number", m))??;
                let text =
                    std::str::from_utf8(text).map_err(|_| self.err("number text is not UTF-8"))?;
                return text.parse().map_err(|e| self.err(format!("{e}")));
            }
        };
        Number::from_f64(f).ok_or_else(|| self.err("NaN is not a valid number"))
    }

    /// An ext: its type code and payload.
    fn ext(&mut self) -> Result<(i8, &'a [u8]), CodecError> {
        let len = match self.marker()? {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.len8()?,
            Marker::Ext16 => self.len16()?,
            Marker::Ext32 => self.len32()?,
            m => return Err(self.expected("an extension", m)),
        };
        let code = i8::from_be_bytes(self.be()?);
        Ok((code, self.take(len)?))
    }

    /// Skips one value of any kind (unknown refinement entries).
    pub fn skip(&mut self) -> Result<(), CodecError> {
        self.nest(None, |d| {
            let m = d.peek()?;
            let fixed = match m {
                Marker::FixPos(_)
                | Marker::FixNeg(_)
                | Marker::Null
                | Marker::True
                | Marker::False => 0,
                Marker::U8 | Marker::I8 => 1,
                Marker::U16 | Marker::I16 => 2,
                Marker::U32 | Marker::I32 | Marker::F32 => 4,
                Marker::U64 | Marker::I64 | Marker::F64 => 8,
                Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                    let n = d.array_len("an array")?;
                    return (0..n).try_for_each(|_| d.skip());
                }
                Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                    let n = d.map_len("a map")?;
                    return (0..n).try_for_each(|_| d.skip().and_then(|()| d.skip()));
                }
                m if is_ext(m) => return d.ext().map(|_| ()),
                Marker::Reserved => return Err(d.expected("a value", m)),
                _ => {
                    d.marker()?;
                    return d
                        .bytes_body(m)
                        .ok_or_else(|| d.expected("a value", m))?
                        .map(|_| ());
                }
            };
            d.marker()?;
            d.take(fixed).map(|_| ())
        })
    }
}

fn is_ext(m: Marker) -> bool {
    matches!(
        m,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

fn marker_name(m: Marker) -> &'static str {
    match m {
        Marker::FixPos(_) | Marker::FixNeg(_) => "int",
        Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => "uint",
        Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => "int",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "str",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "bin",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::Reserved => "reserved byte 0xc1",
        _ => "ext",
    }
}
