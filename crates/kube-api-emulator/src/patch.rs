//! Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic merge
//! patch handled as a merge patch that understands the one merge-keyed list among the served
//! kinds (`ServiceAccount.secrets`, keyed by `name`) and ignores the directive keys kubectl
//! may send (`$setElementOrder/...`, `$retainKeys`); `$patch: delete` on a map removes it and
//! `$patch: replace` replaces it.

use serde_json::{Map, Value};

/// RFC 7386.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Some(t) = target.as_object_mut() else {
        return;
    };
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// Lists merged by key in a strategic merge patch (path from the root, merge key).
const MERGE_KEYED_LISTS: &[(&str, &str)] = &[("secrets", "name")];

/// Strategic merge patch for the served kinds (see the module doc).
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    smp(target, patch, true)
}

fn smp(target: &mut Value, patch: &Value, root: bool) -> Result<(), String> {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("delete") => {
            *target = Value::Null;
            return Ok(());
        }
        Some("replace") => {
            let mut m = p.clone();
            m.remove("$patch");
            *target = Value::Object(m);
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => return Err(format!("Unknown patch type: {other}")),
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Some(t) = target.as_object_mut() else {
        return Ok(());
    };
    for (k, v) in p {
        if k.starts_with("$setElementOrder/")
            || k.starts_with("$deleteFromPrimitiveList/")
            || k == "$retainKeys"
            || k == "$patch"
        {
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        let keyed = root
            .then(|| MERGE_KEYED_LISTS.iter().find(|(f, _)| f == k))
            .flatten();
        match (keyed, v) {
            (Some((_, key)), Value::Array(items)) => {
                let cur = t
                    .entry(k.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let Some(list) = cur.as_array_mut() else {
                    continue;
                };
                for item in items {
                    let id = item.get(*key).cloned();
                    let pos = list
                        .iter()
                        .position(|x| x.get(*key) == id.as_ref() && id.is_some());
                    let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                    match (pos, delete) {
                        (Some(i), true) => {
                            list.remove(i);
                        }
                        (None, true) => {}
                        (Some(i), false) => smp(&mut list[i], item, false)?,
                        (None, false) => {
                            let mut item = item.clone();
                            if let Some(m) = item.as_object_mut() {
                                m.remove("$patch");
                            }
                            list.push(item);
                        }
                    }
                }
            }
            _ => {
                let slot = t.entry(k.clone()).or_insert(Value::Null);
                smp(slot, v, false)?;
                if slot.is_null() {
                    t.remove(k);
                }
            }
        }
    }
    Ok(())
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn parse_pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    if !path.starts_with('/') {
        return Err(format!("invalid JSON pointer {path:?}"));
    }
    Ok(path[1..].split('/').map(unescape).collect())
}

fn get_mut<'a>(v: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    let mut cur = v;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => {
                let i: usize = t.parse().ok()?;
                a.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

fn remove_at(doc: &mut Value, path: &str) -> Result<Value, String> {
    let tokens = parse_pointer(path)?;
    let Some((last, parent)) = tokens.split_last() else {
        return Err("cannot remove the whole document".into());
    };
    let parent = get_mut(doc, parent).ok_or_else(|| format!("missing path {path:?}"))?;
    match parent {
        Value::Object(m) => m
            .remove(last)
            .ok_or_else(|| format!("unable to remove nonexistent key: {last}: missing value")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid array index {last:?}"))?;
            if i >= a.len() {
                return Err(format!("Unable to remove nonexistent index {i}"));
            }
            Ok(a.remove(i))
        }
        _ => Err(format!("missing path {path:?}")),
    }
}

fn add_at(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let tokens = parse_pointer(path)?;
    let Some((last, parent)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    let parent = get_mut(doc, parent)
        .ok_or_else(|| format!("doc is missing path: {path:?}: missing value"))?;
    match parent {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid array index {last:?}"))?;
            if i > a.len() {
                return Err(format!(
                    "Unable to access invalid index: {i}: invalid index referenced"
                ));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!("doc is missing path: {path:?}: missing value")),
    }
}

/// RFC 6902. Err is the BadRequest/Invalid message.
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let Value::Array(ops) = ops else {
        return Err("json: cannot unmarshal object into Go value of type jsonpatch.Patch".into());
    };
    for op in ops {
        let s = |k: &str| op.get(k).and_then(Value::as_str);
        let path = s("path").ok_or("operation missing \"path\" field")?;
        match s("op").unwrap_or("") {
            "add" => add_at(doc, path, op.get("value").cloned().ok_or("missing value")?)?,
            "remove" => {
                remove_at(doc, path)?;
            }
            "replace" => {
                let value = op.get("value").cloned().ok_or("missing value")?;
                let tokens = parse_pointer(path)?;
                let slot = get_mut(doc, &tokens).ok_or_else(|| {
                    format!("replace operation does not apply: doc is missing key: {path}: missing value")
                })?;
                *slot = value;
            }
            "move" | "copy" => {
                let from = s("from").ok_or("operation missing \"from\" field")?;
                let value = if s("op") == Some("move") {
                    remove_at(doc, from)?
                } else {
                    let tokens = parse_pointer(from)?;
                    get_mut(doc, &tokens)
                        .cloned()
                        .ok_or_else(|| format!("copy from non-existent path {from:?}"))?
                };
                add_at(doc, path, value)?;
            }
            "test" => {
                let tokens = parse_pointer(path)?;
                let want = op.get("value").cloned().unwrap_or(Value::Null);
                if get_mut(doc, &tokens).map(|v| v.clone()) != Some(want) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge() {
        let mut t = json!({"a": 1, "m": {"x": 1, "y": 2}, "l": [1, 2]});
        merge_patch(&mut t, &json!({"a": null, "m": {"y": 3, "z": 4}, "l": [3]}));
        assert_eq!(t, json!({"m": {"x": 1, "y": 3, "z": 4}, "l": [3]}));
    }

    #[test]
    fn strategic() {
        let mut t =
            json!({"secrets": [{"name": "a"}, {"name": "b"}], "metadata": {"labels": {"x": "1"}}});
        strategic_merge_patch(
            &mut t,
            &json!({"$setElementOrder/secrets": [{"name": "a"}], "secrets": [{"name": "c"}, {"name": "b", "$patch": "delete"}],
                    "metadata": {"labels": {"x": null, "y": "2"}}}),
        )
        .unwrap();
        assert_eq!(
            t,
            json!({"secrets": [{"name": "a"}, {"name": "c"}], "metadata": {"labels": {"y": "2"}}})
        );
        let mut t = json!({"data": {"a": "1"}});
        strategic_merge_patch(&mut t, &json!({"data": {"$patch": "replace", "b": "2"}})).unwrap();
        assert_eq!(t, json!({"data": {"b": "2"}}));
    }

    #[test]
    fn json_patch_ops() {
        let mut d = json!({"metadata": {"labels": {"a/b": "1"}}, "l": [1, 2]});
        json_patch(
            &mut d,
            &json!([
                {"op": "test", "path": "/metadata/labels/a~1b", "value": "1"},
                {"op": "add", "path": "/metadata/labels/c", "value": "3"},
                {"op": "remove", "path": "/metadata/labels/a~1b"},
                {"op": "replace", "path": "/l/0", "value": 9},
                {"op": "add", "path": "/l/-", "value": 3},
                {"op": "copy", "from": "/l", "path": "/k"},
                {"op": "move", "from": "/k", "path": "/j"}
            ]),
        )
        .unwrap();
        assert_eq!(
            d,
            json!({"metadata": {"labels": {"c": "3"}}, "l": [9, 2, 3], "j": [9, 2, 3]})
        );
        assert!(json_patch(&mut d, &json!([{"op": "test", "path": "/l/0", "value": 1}])).is_err());
        assert!(json_patch(&mut d, &json!([{"op": "remove", "path": "/nope"}])).is_err());
        assert!(json_patch(
            &mut d,
            &json!([{"op": "replace", "path": "/nope/x", "value": 1}])
        )
        .is_err());
    }
}
