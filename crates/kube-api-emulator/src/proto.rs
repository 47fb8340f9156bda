//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), which typed
//! clients such as kubectl 1.32's `auth can-i` and `create <kind>` send. The envelope is the
//! magic `k8s\0` followed by a `runtime.Unknown` (typeMeta, raw); `raw` is decoded with the
//! field numbers of [`crate::schema`] into the same JSON the JSON decoder sees. Responses
//! stay JSON, which those clients accept as well.

use serde_json::{Map, Value};

use crate::schema::{Node, Struct};

pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\0";

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }

    /// The next field: its number and value; None at the end.
    fn next(&mut self) -> Result<Option<(u32, Field<'a>)>, String> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let tag = u32::try_from(key >> 3).map_err(|_| "field number out of range")?;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length out of range")?;
                let start = self.pos;
                self.skip(len)?;
                Field::Bytes(&self.buf[start..start + len])
            }
            5 => {
                self.skip(4)?;
                Field::Fixed
            }
            w => return Err(format!("unsupported wire type {w}")),
        };
        Ok(Some((tag, field)))
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        let end = self.pos.checked_add(n).ok_or("length out of range")?;
        if end > self.buf.len() {
            return Err("truncated field".into());
        }
        self.pos = end;
        Ok(())
    }
}

/// Whether a Content-Type is the Kubernetes protobuf media type.
pub fn is_protobuf(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case(CONTENT_TYPE)
}

/// Decodes an enveloped object: (apiVersion, kind, object as JSON per `schema_for(kind)`).
pub fn decode_object(
    body: &[u8],
    schema_for: impl Fn(&str) -> Option<&'static Struct>,
) -> Result<Value, String> {
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or("the protobuf body lacks the k8s envelope")?;
    let mut r = Reader::new(rest);
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    while let Some((tag, f)) = r.next()? {
        match (tag, f) {
            (1, Field::Bytes(tm)) => {
                let mut t = Reader::new(tm);
                while let Some((tag, f)) = t.next()? {
                    if let Field::Bytes(b) = f {
                        let s = String::from_utf8_lossy(b).into_owned();
                        match tag {
                            1 => api_version = s,
                            2 => kind = s,
                            _ => {}
                        }
                    }
                }
            }
            (2, Field::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    let schema =
        schema_for(&kind).ok_or_else(|| format!("no protobuf decoding for kind {kind:?}"))?;
    let mut obj = decode_message(schema, raw)?;
    if let Some(m) = obj.as_object_mut() {
        if !api_version.is_empty() {
            m.insert("apiVersion".into(), Value::String(api_version));
        }
        if !kind.is_empty() {
            m.insert("kind".into(), Value::String(kind));
        }
    }
    Ok(obj)
}

/// Decodes one message against its schema. Empty strings and zero integers count as absent
/// (what the JSON form's `omitempty` leaves out); unknown field numbers are skipped.
pub fn decode_message(s: &Struct, buf: &[u8]) -> Result<Value, String> {
    let mut out = Map::new();
    let mut r = Reader::new(buf);
    while let Some((tag, f)) = r.next()? {
        let Some((name, _, node)) = s.fields.iter().find(|(_, t, _)| *t == tag && *t != 0) else {
            continue;
        };
        match node {
            Node::List(inner) => {
                let Some(v) = scalar_or_message(inner, f)? else {
                    continue;
                };
                let entry = out
                    .entry((*name).to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = entry {
                    a.push(v);
                }
            }
            Node::Map(inner) => {
                let Field::Bytes(b) = f else {
                    return Err(format!("{name}: a map entry must be a message"));
                };
                let mut er = Reader::new(b);
                let (mut key, mut value) = (String::new(), None);
                while let Some((t, ef)) = er.next()? {
                    match (t, ef) {
                        (1, Field::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
                        (2, ef) => value = scalar_or_message(inner, ef)?,
                        _ => {}
                    }
                }
                let entry = out
                    .entry((*name).to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = entry {
                    m.insert(key, value.unwrap_or_else(|| Value::String(String::new())));
                }
            }
            _ => {
                if let Some(v) = scalar_or_message(node, f)? {
                    let empty = matches!(&v, Value::String(x) if x.is_empty())
                        || v.as_i64() == Some(0) && matches!(node, Node::Int);
                    if !empty {
                        out.insert((*name).to_owned(), v);
                    }
                }
            }
        }
    }
    Ok(Value::Object(out))
}

fn scalar_or_message(node: &Node, f: Field<'_>) -> Result<Option<Value>, String> {
    Ok(match (node, f) {
        (Node::Str, Field::Bytes(b)) => Some(Value::String(
            String::from_utf8(b.to_vec()).map_err(|_| "a string field is not UTF-8")?,
        )),
        (Node::Bytes, Field::Bytes(b)) => Some(Value::String(crate::util::b64(b))),
        (Node::Bool, Field::Varint(v)) => Some(Value::Bool(v != 0)),
        (Node::Int, Field::Varint(v)) => Some(Value::from(v as i64)),
        (Node::Time, Field::Bytes(b)) => {
            let mut r = Reader::new(b);
            let mut secs: i64 = 0;
            while let Some((t, f)) = r.next()? {
                if let (1, Field::Varint(v)) = (t, f) {
                    secs = v as i64;
                }
            }
            if secs == 0 {
                None
            } else {
                time::OffsetDateTime::from_unix_timestamp(secs)
                    .ok()
                    .map(|t| Value::String(crate::util::rfc3339(t)))
            }
        }
        (Node::Obj(s), Field::Bytes(b)) => Some(decode_message(s, b)?),
        (Node::Any, _) => None,
        (_, _) => return Err("a protobuf field has an unexpected wire type".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(tag: u32, wire: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![((tag << 3) as u8) | wire];
        if wire == 2 {
            out.push(payload.len() as u8);
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn decodes_an_enveloped_service_account() {
        let mut label = field(1, 2, b"app");
        label.extend(field(2, 2, b"x"));
        let mut meta = field(1, 2, b"sa");
        meta.extend(field(3, 2, b"kube-system"));
        meta.extend(field(7, 0, &[0])); // generation 0: absent
        meta.extend(field(11, 2, &label));
        let mut sa = field(1, 2, &meta);
        sa.extend(field(4, 0, &[1]));
        let mut tm = field(1, 2, b"v1");
        tm.extend(field(2, 2, b"ServiceAccount"));
        let mut body = MAGIC.to_vec();
        body.extend(field(1, 2, &tm));
        body.extend(field(2, 2, &sa));
        let v = decode_object(&body, crate::schema::for_kind).unwrap();
        assert_eq!(
            v,
            json!({"metadata": {"name": "sa", "namespace": "kube-system", "labels": {"app": "x"}},
                   "automountServiceAccountToken": true, "apiVersion": "v1", "kind": "ServiceAccount"})
        );
        assert!(decode_object(b"nope", crate::schema::for_kind).is_err());
        assert!(decode_object(&body[..body.len() - 3], crate::schema::for_kind).is_err());
    }
}
