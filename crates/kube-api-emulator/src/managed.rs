//! Field management (`metadata.managedFields`) and server-side apply, a documented subset of
//! structured-merge-diff as the API server runs it:
//!
//! * Every field of an object is a path of map keys from the root. Maps (objects) are
//!   granular; **lists and scalars are atomic** (a list is owned and replaced as a whole,
//!   where the API server merges keyed lists such as `containers` by `name`).
//! * Not tracked, as on the API server: `apiVersion`, `kind`, and `metadata.name`,
//!   `namespace`, `uid`, `resourceVersion`, `generation`, `creationTimestamp`,
//!   `deletionTimestamp`, `selfLink`, `managedFields`; `status` of a type with a status
//!   subresource (writes to the main resource do not own it).
//! * An **Update** (create, update, non-apply patch) makes its manager own every field it
//!   added or changed (a newly created map also as itself, `"."` in `fieldsV1`); those
//!   fields leave every other manager, and removed fields leave everyone.
//! * An **Apply** owns exactly the fields of the applied configuration. A field it sets to
//!   a value different from the live one that another manager owns is a conflict (409, the
//!   API server's message) unless `force=true`, which moves the field to the applier.
//!   Fields the applier owned before and no longer applies are removed from the object
//!   when no other manager owns them. The configuration is merged into the object (maps
//!   merged key by key, lists and scalars replaced).
//! * Entries are keyed by manager, operation and apiVersion; empty ones are dropped. Status
//!   subresource writes do not record managed fields. `managedFields` sent by a client are
//!   ignored (the API server accepts them as a replacement).

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::resources::ResourceType;

pub type Path = Vec<String>;
pub type FieldSet = BTreeSet<Path>;

pub const APPLY: &str = "Apply";
pub const UPDATE: &str = "Update";

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub fields: FieldSet,
}

impl Entry {
    fn to_json(&self) -> Value {
        json!({
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(&self.fields),
        })
    }

    /// How a conflict message names this manager (`"m"`, or `"m" using apps/v1` for an
    /// Update entry).
    fn display(&self) -> String {
        if self.operation == UPDATE {
            format!("{:?} using {}", self.manager, self.api_version)
        } else {
            format!("{:?}", self.manager)
        }
    }
}

/// `.spec.replicas`: a path as the API server prints it.
pub fn path_string(p: &[String]) -> String {
    p.iter().map(|k| format!(".{k}")).collect()
}

/// The `fieldsV1` form of a set: nested `"f:<key>"` objects, `{}` for a leaf, `".": {}` for
/// a map owned itself as well as some of its fields.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    fn build(set: &FieldSet, prefix: &[String]) -> Map<String, Value> {
        let mut keys: Vec<&String> = set
            .iter()
            .filter(|p| p.len() > prefix.len() && is_under(p, prefix))
            .map(|p| &p[prefix.len()])
            .collect();
        keys.dedup();
        let mut out = Map::new();
        if !prefix.is_empty() && set.contains(prefix) && !keys.is_empty() {
            out.insert(".".into(), json!({}));
        }
        for k in keys {
            let mut child = prefix.to_vec();
            child.push(k.clone());
            out.insert(format!("f:{k}"), Value::Object(build(set, &child)));
        }
        out
    }
    Value::Object(build(set, &[]))
}

/// Parses `fieldsV1`. `k:`, `v:` and `i:` elements (list items, from a real server's
/// data) make their list owned as a whole.
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, prefix: &mut Path, out: &mut FieldSet) {
        let Some(m) = v.as_object() else {
            return;
        };
        if m.is_empty() {
            if !prefix.is_empty() {
                out.insert(prefix.clone());
            }
            return;
        }
        for (k, child) in m {
            if k == "." {
                if !prefix.is_empty() {
                    out.insert(prefix.clone());
                }
            } else if let Some(name) = k.strip_prefix("f:") {
                prefix.push(name.to_owned());
                walk(child, prefix, out);
                prefix.pop();
            } else if !prefix.is_empty() {
                out.insert(prefix.clone());
            }
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

const UNTRACKED_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
];

/// The tracked part of an object.
pub fn tracked(rt: &ResourceType, obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
        if rt.status_subresource {
            m.remove("status");
        }
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for f in UNTRACKED_META {
                meta.remove(*f);
            }
        }
        if m.get("metadata")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            m.remove("metadata");
        }
    }
    o
}

/// Every leaf of an object (scalars, lists and empty maps).
pub fn leaves(v: &Value) -> FieldSet {
    fn walk(v: &Value, prefix: &mut Path, out: &mut FieldSet) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, c) in m {
                    prefix.push(k.clone());
                    walk(c, prefix, out);
                    prefix.pop();
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.insert(prefix.clone());
                }
            }
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// Every path of an object, maps included.
fn all_paths(v: &Value, prefix: &mut Path, out: &mut FieldSet) {
    if !prefix.is_empty() {
        out.insert(prefix.clone());
    }
    if let Some(m) = v.as_object() {
        for (k, c) in m {
            prefix.push(k.clone());
            all_paths(c, prefix, out);
            prefix.pop();
        }
    }
}

/// What an Update changed: (added or modified paths, maps added as themselves too; removed
/// paths).
pub fn diff(old: &Value, new: &Value) -> (FieldSet, FieldSet) {
    fn walk(old: Option<&Value>, new: &Value, prefix: &mut Path, changed: &mut FieldSet) {
        match (old, new.as_object()) {
            (Some(Value::Object(o)), Some(n)) if !n.is_empty() => {
                for (k, c) in n {
                    prefix.push(k.clone());
                    walk(o.get(k), c, prefix, changed);
                    prefix.pop();
                }
            }
            (_, Some(n)) if !n.is_empty() => {
                // A new map (or one replacing a scalar): itself and all of its fields.
                all_paths(new, prefix, changed);
            }
            _ => {
                if old != Some(new) && !prefix.is_empty() {
                    changed.insert(prefix.clone());
                }
            }
        }
    }
    let mut changed = FieldSet::new();
    walk(Some(old), new, &mut Vec::new(), &mut changed);
    let mut before = FieldSet::new();
    all_paths(old, &mut Vec::new(), &mut before);
    let removed = before
        .into_iter()
        .filter(|p| value_at(new, p).is_none())
        .collect();
    (changed, removed)
}

pub fn value_at<'a>(v: &'a Value, p: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for k in p {
        cur = cur.as_object()?.get(k)?;
    }
    Some(cur)
}

fn remove_at(v: &mut Value, p: &[String]) {
    let Some((last, parent)) = p.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parent {
        match cur.as_object_mut().and_then(|m| m.get_mut(k)) {
            Some(c) => cur = c,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(last);
    }
}

/// Merges an applied configuration into an object: maps key by key, everything else
/// replaced.
pub fn merge(target: &mut Value, applied: &Value) {
    match (target.as_object_mut(), applied.as_object()) {
        (Some(t), Some(a)) => {
            for (k, v) in a {
                match t.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        _ => *target = applied.clone(),
    }
}

fn prefix_related(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn is_under(p: &[String], root: &[String]) -> bool {
    p.len() >= root.len() && p[..root.len()] == *root
}

/// The entries of an object's `metadata.managedFields`.
pub fn entries(obj: &Value) -> Vec<Entry> {
    obj.get("metadata")
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    Entry {
                        manager: s("manager"),
                        operation: s("operation"),
                        api_version: s("apiVersion"),
                        time: s("time"),
                        fields: from_fields_v1(e.get("fieldsV1").unwrap_or(&Value::Null)),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Writes entries into `metadata.managedFields` (removed when there are none).
pub fn write(obj: &mut Value, entries: &[Entry]) {
    let meta = crate::util::meta_mut(obj);
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(Entry::to_json)
        .collect();
    if list.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

fn entry_mut<'a>(
    entries: &'a mut Vec<Entry>,
    manager: &str,
    operation: &str,
    api_version: &str,
) -> &'a mut Entry {
    let pos = entries.iter().position(|e| {
        e.manager == manager && e.operation == operation && e.api_version == api_version
    });
    let i = match pos {
        Some(i) => i,
        None => {
            entries.push(Entry {
                manager: manager.to_owned(),
                operation: operation.to_owned(),
                api_version: api_version.to_owned(),
                time: String::new(),
                fields: FieldSet::new(),
            });
            entries.len() - 1
        }
    };
    &mut entries[i]
}

/// The managed fields after an Update by `manager` from `old` (None: a create) to `new`.
pub fn record_update(
    rt: &ResourceType,
    old: Option<&Value>,
    new: &Value,
    manager: &str,
) -> Vec<Entry> {
    let mut list = old.map(entries).unwrap_or_default();
    let empty = json!({});
    let old_t = old.map(|o| tracked(rt, o)).unwrap_or(empty);
    let (changed, removed) = diff(&old_t, &tracked(rt, new));
    if changed.is_empty() && removed.is_empty() {
        return list;
    }
    for e in list.iter_mut() {
        e.fields
            .retain(|p| !changed.contains(p) && !removed.iter().any(|r| is_under(p, r)));
    }
    if !changed.is_empty() {
        let e = entry_mut(&mut list, manager, UPDATE, &rt.api_version());
        e.fields.extend(changed);
        e.time = crate::util::now_rfc3339();
    }
    list.retain(|e| !e.fields.is_empty());
    list
}

/// A refused apply: who owns which field.
#[derive(Debug)]
pub struct Conflicts(pub Vec<(String, Path)>);

impl Conflicts {
    /// The API server's message (`Apply failed with 1 conflict: conflict with "m":
    /// .spec.replicas`, or one line per field grouped by manager for more).
    pub fn message(&self) -> String {
        if let [(m, p)] = self.0.as_slice() {
            return format!(
                "Apply failed with 1 conflict: conflict with {m}: {}",
                path_string(p)
            );
        }
        let mut managers: Vec<&String> = self.0.iter().map(|(m, _)| m).collect();
        managers.sort();
        managers.dedup();
        let mut lines = Vec::new();
        for m in managers {
            lines.push(format!("conflicts with {m}:"));
            for (_, p) in self.0.iter().filter(|(x, _)| x == m) {
                lines.push(format!("- {}", path_string(p)));
            }
        }
        format!(
            "Apply failed with {} conflicts: {}",
            self.0.len(),
            lines.join("\n")
        )
    }

    /// `details.causes`: one `FieldManagerConflict` per field.
    pub fn causes(&self) -> Vec<Value> {
        self.0
            .iter()
            .map(|(m, p)| {
                json!({"reason": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": path_string(p)})
            })
            .collect()
    }
}

/// Server-side apply of `applied` (the decoded configuration) by `manager` onto `live`
/// (None: the object is created). Returns the merged object (its `managedFields` still
/// those of `live`) and the new entries.
pub fn apply(
    rt: &ResourceType,
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
) -> Result<(Value, Vec<Entry>), Conflicts> {
    let mut applied = applied.clone();
    if rt.status_subresource {
        if let Some(m) = applied.as_object_mut() {
            m.remove("status");
        }
    }
    let applied_t = tracked(rt, &applied);
    let set = leaves(&applied_t);
    let mut list = live.map(entries).unwrap_or_default();
    let live_t = live.map(|l| tracked(rt, l)).unwrap_or_else(|| json!({}));

    let mut conflicts = Vec::new();
    for e in &list {
        if e.manager == manager && e.operation == APPLY {
            continue;
        }
        for p in set.intersection(&e.fields) {
            if value_at(&live_t, p) != value_at(&applied_t, p) {
                conflicts.push((e.display(), p.clone()));
            }
        }
    }
    if !conflicts.is_empty() {
        if !force {
            return Err(Conflicts(conflicts));
        }
        for e in list.iter_mut() {
            if e.manager == manager && e.operation == APPLY {
                continue;
            }
            e.fields
                .retain(|p| !(set.contains(p) && value_at(&live_t, p) != value_at(&applied_t, p)));
        }
    }

    let mut merged = match live {
        Some(l) => l.clone(),
        None => json!({}),
    };
    let api_version = rt.api_version();
    let previous: FieldSet = list
        .iter()
        .filter(|e| e.manager == manager && e.operation == APPLY)
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    for p in previous.difference(&set) {
        let owned_elsewhere = list.iter().any(|e| {
            !(e.manager == manager && e.operation == APPLY)
                && e.fields.iter().any(|q| prefix_related(p, q))
        });
        let reapplied = set.iter().any(|q| prefix_related(p, q));
        if !owned_elsewhere && !reapplied {
            let mut t = merged.clone();
            remove_at(&mut t, p);
            merged = t;
        }
    }
    merge(&mut merged, &applied);
    // A re-apply that changes neither the object nor what the manager owns keeps its entry
    // as it was (time included), so the object stays unchanged, as on the API server.
    let unchanged = live.is_some() && tracked(rt, &merged) == live_t;
    if let Some(prev) = list
        .iter()
        .find(|e| e.manager == manager && e.operation == APPLY)
    {
        if unchanged && prev.fields == set && prev.api_version == api_version {
            list.retain(|e| !e.fields.is_empty());
            return Ok((merged, list));
        }
    }
    // One Apply entry per manager (whatever apiVersion it applied with before).
    list.retain(|e| !(e.manager == manager && e.operation == APPLY));
    list.push(Entry {
        manager: manager.to_owned(),
        operation: APPLY.to_owned(),
        api_version,
        time: crate::util::now_rfc3339(),
        fields: set,
    });
    list.retain(|e| !e.fields.is_empty());
    Ok((merged, list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::DEPLOYMENTS;

    fn set(paths: &[&str]) -> FieldSet {
        paths
            .iter()
            .map(|p| p.split('.').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn fields_v1_round_trip() {
        let s = set(&[
            "metadata.labels",
            "metadata.labels.app",
            "spec.replicas",
            "spec.template",
        ]);
        let v = to_fields_v1(&s);
        assert_eq!(
            v,
            json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:replicas": {}, "f:template": {}}})
        );
        assert_eq!(from_fields_v1(&v), s);
        // A real server's list-item elements own their list as a whole here.
        assert_eq!(
            from_fields_v1(&json!({"f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {".": {}}}}})),
            set(&["spec.containers"])
        );
    }

    fn deploy(replicas: i64, label: Option<&str>) -> Value {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "ns"},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}});
        if let Some(l) = label {
            d["metadata"]["labels"] = json!({"app": l});
        }
        d
    }

    #[test]
    fn apply_conflicts_force_and_removal() {
        let rt = &DEPLOYMENTS;
        let (obj, list) = apply(rt, None, &deploy(2, Some("a")), "one", false).unwrap();
        let mut live = obj;
        write(&mut live, &list);
        assert_eq!(list.len(), 1);
        assert!(list[0]
            .fields
            .contains(&set(&["spec.replicas"]).into_iter().next().unwrap()));
        // Same values from another manager: shared, no conflict.
        let (_, shared) = apply(rt, Some(&live), &deploy(2, None), "two", false).unwrap();
        assert_eq!(shared.len(), 2);
        // A different value: conflict with the message the API server gives.
        let err = apply(rt, Some(&live), &deploy(3, None), "two", false).unwrap_err();
        assert_eq!(
            err.message(),
            "Apply failed with 1 conflict: conflict with \"one\": .spec.replicas"
        );
        assert_eq!(err.causes()[0]["field"], ".spec.replicas");
        // Forced: the field moves.
        let (obj, list) = apply(rt, Some(&live), &deploy(3, None), "two", true).unwrap();
        assert_eq!(obj["spec"]["replicas"], 3);
        let one = list.iter().find(|e| e.manager == "one").unwrap();
        assert!(!one
            .fields
            .iter()
            .any(|p| p == &vec!["spec".to_owned(), "replicas".to_owned()]));
        // "one" stops applying its label: removed, as nobody else owns it.
        let mut live = obj;
        write(&mut live, &list);
        let mut without = deploy(2, None);
        without["spec"].as_object_mut().unwrap().remove("replicas");
        let (obj, _) = apply(rt, Some(&live), &without, "one", false).unwrap();
        assert!(
            obj["metadata"]
                .get("labels")
                .and_then(|l| l.get("app"))
                .is_none(),
            "{obj}"
        );
        assert_eq!(obj["spec"]["replicas"], 3);
    }

    #[test]
    fn a_field_shared_with_another_manager_stays() {
        let rt = &DEPLOYMENTS;
        let (obj, list) = apply(rt, None, &deploy(2, Some("a")), "one", false).unwrap();
        let mut live = obj;
        write(&mut live, &list);
        let (obj, list) = apply(rt, Some(&live), &deploy(2, Some("a")), "two", false).unwrap();
        let mut live = obj;
        write(&mut live, &list);
        // "one" stops applying the label; "two" still owns it, so it stays.
        let (obj, list) = apply(rt, Some(&live), &deploy(2, None), "one", false).unwrap();
        assert_eq!(obj["metadata"]["labels"]["app"], "a");
        let one = list.iter().find(|e| e.manager == "one").unwrap();
        assert!(!one
            .fields
            .iter()
            .any(|p| p.first().is_some_and(|k| k == "metadata")));
        // A no-op re-apply keeps the entry's time (so the object does not change).
        let mut list = list;
        for e in list.iter_mut() {
            e.time = "2000-01-01T00:00:00Z".into();
        }
        let mut live = obj;
        write(&mut live, &list);
        let before = entries(&live);
        let (_, again) = apply(rt, Some(&live), &deploy(2, None), "one", false).unwrap();
        assert_eq!(again, before);
    }

    #[test]
    fn update_takes_changed_fields() {
        let rt = &DEPLOYMENTS;
        let (obj, list) = apply(rt, None, &deploy(2, None), "one", false).unwrap();
        let mut live = obj;
        write(&mut live, &list);
        let mut scaled = live.clone();
        scaled["spec"]["replicas"] = json!(5);
        let list = record_update(rt, Some(&live), &scaled, "kubectl-scale");
        let scale = list.iter().find(|e| e.manager == "kubectl-scale").unwrap();
        assert_eq!(scale.fields, set(&["spec.replicas"]));
        assert_eq!(scale.display(), "\"kubectl-scale\" using apps/v1");
        let one = list.iter().find(|e| e.manager == "one").unwrap();
        assert!(!one
            .fields
            .contains(&vec!["spec".to_owned(), "replicas".to_owned()]));
        let two = Conflicts(vec![
            ("\"b\"".into(), vec!["x".into()]),
            ("\"a\"".into(), vec!["y".into()]),
        ]);
        assert_eq!(two.message(), "Apply failed with 2 conflicts: conflicts with \"a\":\n- .y\nconflicts with \"b\":\n- .x");
    }
}
