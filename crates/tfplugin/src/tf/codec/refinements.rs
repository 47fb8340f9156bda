//! Unknown values on the msgpack wire: ext 0 (`d4 00 00`) and ext 12 with refinements
//! (cty `msgpack/unknown.go`, tfplugin6.md §3.2).
//!
//! The ext 12 payload is a msgpack map with integer keys: 1 nullness (bool, `false` means
//! definitely not null), 2 string prefix, 3/4 number lower/upper bound as
//! `[number, inclusive]`, 5/6 collection length lower/upper bound (inclusive ints).

use rmp::encode::{self, ByteBuf};

use super::mp_decode::Decoder;
use super::mp_encode::{infallible, write_number, write_str};
use super::{CodecError, Walk, Walker, MAX_REFINEMENTS_LEN};
use crate::tf::number::Number;
use crate::tf::ty::Type;
use crate::tf::value::{Refinements, Value};

const UNKNOWN_WITH_REFINEMENTS: i8 = 12;
const KEY_NULLNESS: i64 = 1;
const KEY_STRING_PREFIX: i64 = 2;
const KEY_NUMBER_MIN: i64 = 3;
const KEY_NUMBER_MAX: i64 = 4;
const KEY_LENGTH_MIN: i64 = 5;
const KEY_LENGTH_MAX: i64 = 6;

fn is_collection(ty: &Type) -> bool {
    matches!(ty, Type::List(_) | Type::Set(_) | Type::Map(_))
}

/// Decodes an ext value of type `code` as an unknown of type `ty`.
///
/// Any ext of at most one byte is a plain unknown, whatever its code. Otherwise the code
/// must be 12 and the payload at most 1024 bytes, holding a map; unknown keys are skipped,
/// bytes after the map are ignored (both as cty does). Refinements are dropped at a
/// `dynamic` position (as cty does). A nullness of `true` ("definitely null") gives
/// [`Value::Null`], as cty's refinement builder collapses it to a null. Errors: another
/// code, an oversize payload, a malformed map, or a refinement that does not apply to `ty`.
pub(super) fn decode_unknown(
    code: i8,
    payload: &[u8],
    ty: &Type,
    w: &Walk,
) -> Result<Value, CodecError> {
    if payload.len() <= 1 {
        return Ok(Value::unknown());
    }
    let err = |m: String| CodecError::new(&crate::tf::AttributePath::root(), m);
    if code != UNKNOWN_WITH_REFINEMENTS {
        return Err(err(format!(
            "unsupported msgpack extension type {code} with {} bytes (unknown values use type 0 or 12)",
            payload.len()
        )));
    }
    if payload.len() > MAX_REFINEMENTS_LEN {
        return Err(err(format!(
            "unknown value refinements of {} bytes exceed the {MAX_REFINEMENTS_LEN}-byte limit",
            payload.len()
        )));
    }
    let mut d = Decoder::new(payload, w.clone());
    let entries = d.map_len("a map of unknown value refinements")?;
    if *ty == Type::Dynamic {
        return Ok(Value::unknown());
    }
    let mut r = Refinements::default();
    let mut definitely_null = false;
    for _ in 0..entries {
        // Keys beyond i64 cannot be known keys: skip them like any unknown key.
        let Some(key) = d.integer()? else {
            return Err(d.err("unknown value refinement keys must be integers"));
        };
        let applies = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(CodecError::new(
                    &crate::tf::AttributePath::root(),
                    format!("{what} refinement on an unknown of type {ty}"),
                ))
            }
        };
        match key.as_i64() {
            Some(KEY_NULLNESS) => match d.bool()? {
                true => definitely_null = true,
                false => r.nullable = Some(false),
            },
            Some(KEY_STRING_PREFIX) => {
                applies(*ty == Type::String, "a string prefix")?;
                let prefix = d.string("a string prefix")?;
                r.string_prefix = (!prefix.is_empty()).then_some(prefix);
            }
            Some(k @ (KEY_NUMBER_MIN | KEY_NUMBER_MAX)) => {
                applies(*ty == Type::Number, "a number bound")?;
                if d.array_len("a [number, inclusive] bound")? != 2 {
                    return Err(d.err("a number bound refinement is a [number, inclusive] array"));
                }
                let bound = Some((d.number()?, d.bool()?));
                if k == KEY_NUMBER_MIN {
                    r.number_lower = bound;
                } else {
                    r.number_upper = bound;
                }
            }
            Some(k @ (KEY_LENGTH_MIN | KEY_LENGTH_MAX)) => {
                applies(is_collection(ty), "a length bound")?;
                let n = d
                    .integer()?
                    .and_then(|n| n.as_i64())
                    .and_then(|n| u64::try_from(n).ok());
                let n = n.ok_or_else(|| {
                    d.err("a length bound refinement must be an integer from 0 to 2^63-1")
                })?;
                if k == KEY_LENGTH_MIN {
                    // A lower bound of 0 says nothing (cty never writes it).
                    r.length_lower = (n > 0).then_some(n);
                } else {
                    r.length_upper = Some(n);
                }
            }
            _ => d.skip()?,
        }
    }
    Ok(if definitely_null {
        Value::Null
    } else {
        Value::Unknown(r)
    })
}

/// The refinements of `r` that cty would write for type `ty`.
struct Applicable<'r> {
    not_null: bool,
    prefix: Option<&'r str>,
    lower: Option<&'r (Number, bool)>,
    upper: Option<&'r (Number, bool)>,
    length_lower: Option<u64>,
    length_upper: Option<u64>,
}

impl<'r> Applicable<'r> {
    fn new(r: &'r Refinements, ty: &Type) -> Self {
        let fits_i64 = |n: &u64| i64::try_from(*n).is_ok();
        let number = *ty == Type::Number;
        let collection = is_collection(ty);
        Applicable {
            // cty's decoder turns "definitely null" into a null, so only `false` is written.
            not_null: r.nullable == Some(false) && *ty != Type::Dynamic,
            prefix: r
                .string_prefix
                .as_deref()
                .filter(|p| *ty == Type::String && !p.is_empty()),
            lower: r.number_lower.as_ref().filter(|_| number),
            upper: r.number_upper.as_ref().filter(|_| number),
            length_lower: r
                .length_lower
                .filter(|n| collection && *n > 0 && fits_i64(n)),
            length_upper: r.length_upper.filter(|n| collection && fits_i64(n)),
        }
    }

    fn payload(&self) -> Option<ByteBuf> {
        let mut body = ByteBuf::new();
        let mut entries = 0;
        let mut key = |body: &mut ByteBuf, k: i64| {
            entries += 1;
            infallible(encode::write_sint(body, k));
        };
        if self.not_null {
            key(&mut body, KEY_NULLNESS);
            infallible(
                encode::write_bool(&mut body, false)
                    .map_err(encode::ValueWriteError::InvalidMarkerWrite),
            );
        }
        if let Some(p) = self.prefix {
            key(&mut body, KEY_STRING_PREFIX);
            write_str(&mut body, p);
        }
        for (k, bound) in [(KEY_NUMBER_MIN, self.lower), (KEY_NUMBER_MAX, self.upper)] {
            if let Some((n, inclusive)) = bound {
                key(&mut body, k);
                infallible(encode::write_array_len(&mut body, 2));
                write_number(&mut body, n, true);
                infallible(
                    encode::write_bool(&mut body, *inclusive)
                        .map_err(encode::ValueWriteError::InvalidMarkerWrite),
                );
            }
        }
        for (k, len) in [
            (KEY_LENGTH_MIN, self.length_lower),
            (KEY_LENGTH_MAX, self.length_upper),
        ] {
            if let Some(n) = len.and_then(|n| i64::try_from(n).ok()) {
                key(&mut body, k);
                infallible(encode::write_sint(&mut body, n));
            }
        }
        if entries == 0 {
            return None;
        }
        let mut payload = ByteBuf::new();
        infallible(encode::write_map_len(&mut payload, entries));
        payload.as_mut_vec().extend_from_slice(body.as_slice());
        Some(payload)
    }

    /// Weakens the refinements until the payload fits in 1024 bytes: the string prefix is
    /// shortened (at a character boundary), then the longest number bound is dropped. A
    /// weaker refinement is still a true statement about the value.
    fn fitted_payload(mut self) -> Option<ByteBuf> {
        loop {
            let payload = self.payload()?;
            let over = payload.as_slice().len().saturating_sub(MAX_REFINEMENTS_LEN);
            if over == 0 {
                return Some(payload);
            }
            if let Some(p) = self.prefix {
                let mut cut = p.len().saturating_sub(over);
                while !p.is_char_boundary(cut) {
                    cut -= 1;
                }
                self.prefix = Some(&p[..cut]).filter(|p| !p.is_empty());
                continue;
            }
            let text_len = |b: Option<&(Number, bool)>| b.map_or(0, |(n, _)| n.to_string().len());
            if self.lower.is_none() && self.upper.is_none() {
                // Nothing else can be long; cannot happen with at most four small entries.
                return None;
            }
            if text_len(self.upper) >= text_len(self.lower) {
                self.upper = None;
            } else {
                self.lower = None;
            }
        }
    }
}

/// Writes an unknown of type `ty`: ext 12 with the refinements that apply to `ty` (see
/// [`Applicable`]), or the plain `d4 00 00` when none do.
pub(super) fn write_unknown(out: &mut ByteBuf, r: &Refinements, ty: &Type) {
    match Applicable::new(r, ty).fitted_payload() {
        Some(payload) => {
            let bytes = payload.as_slice();
            // The payload is at most 1024 bytes, so the length always fits.
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            infallible(encode::write_ext_meta(out, len, UNKNOWN_WITH_REFINEMENTS));
            out.as_mut_vec().extend_from_slice(bytes);
        }
        None => {
            infallible(encode::write_ext_meta(out, 1, 0));
            out.as_mut_vec().push(0);
        }
    }
}
