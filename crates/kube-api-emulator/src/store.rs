//! The object store: every stored object by (resource, namespace, name), the global
//! resourceVersion counter, a bounded event history for watches, and the persisted snapshot.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::rbac::RbacSource;
use crate::resources::{self, ResourceType};
use crate::tls::CaMaterial;
use crate::util::meta_mut;

/// Events kept for watches that start from an older resourceVersion.
const HISTORY: usize = 2048;

/// A change, as a watch reports it.
#[derive(Debug, Clone)]
pub struct Event {
    pub rv: u64,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    pub rt: &'static ResourceType,
    pub namespace: String,
    pub object: Value,
}

type Key = (String, String, String);

/// All emulator state that persists.
pub struct Store {
    objects: BTreeMap<Key, Value>,
    resource_version: u64,
    history: VecDeque<Event>,
    events: broadcast::Sender<Event>,
    pub ca: CaMaterial,
    pub admin_token: String,
    /// Token secret uid -> the token the controller issued into it. Only issued tokens
    /// authenticate (a token typed into a Secret by hand does not, as its JWT signature
    /// would not verify on a real server).
    pub issued_tokens: BTreeMap<String, String>,
    /// Types registered by the stored CustomResourceDefinitions: CRD name -> its served
    /// versions' types.
    custom: BTreeMap<String, Vec<&'static ResourceType>>,
}

/// The `--data` file's content.
#[derive(Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub note: String,
    pub ca: CaMaterial,
    pub admin_token: String,
    pub resource_version: u64,
    pub issued_tokens: BTreeMap<String, String>,
    pub objects: Vec<StoredObject>,
}

#[derive(Serialize, Deserialize)]
pub struct StoredObject {
    pub resource: String,
    pub object: Value,
}

pub const SNAPSHOT_FORMAT: u32 = 1;

impl Store {
    pub fn new(ca: CaMaterial, admin_token: String) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            objects: BTreeMap::new(),
            resource_version: 0,
            history: VecDeque::new(),
            events,
            ca,
            admin_token,
            issued_tokens: BTreeMap::new(),
            custom: BTreeMap::new(),
        }
    }

    /// The types served now (built-in and registered by CustomResourceDefinitions).
    pub fn types(&self) -> resources::Types {
        resources::Types::new(self.custom.values().flatten().copied().collect())
    }

    /// Registers (or re-registers) what a CustomResourceDefinition serves.
    pub fn register_crd(&mut self, crd: &Value) {
        let name = crate::util::meta_str(crd, "name").to_owned();
        let types = crate::crd::served_types(crd);
        self.custom.insert(name, types);
    }

    /// The types a CustomResourceDefinition registered, now no longer served.
    pub fn unregister_crd(&mut self, name: &str) -> Vec<&'static ResourceType> {
        self.custom.remove(name).unwrap_or_default()
    }

    pub fn from_snapshot(s: Snapshot) -> Result<Self, String> {
        if s.format != SNAPSHOT_FORMAT {
            return Err(format!("unsupported data file format {}", s.format));
        }
        let mut store = Self::new(s.ca, s.admin_token);
        store.resource_version = s.resource_version;
        store.issued_tokens = s.issued_tokens;
        // CustomResourceDefinitions first: they register the types of the other objects.
        let crds = resources::CRDS.qualified_resource();
        let (defs, rest): (Vec<_>, Vec<_>) =
            s.objects.into_iter().partition(|o| o.resource == crds);
        for o in defs.into_iter().chain(rest) {
            let rt = store
                .types()
                .by_qualified(&o.resource)
                .ok_or_else(|| format!("unknown resource {:?} in the data file", o.resource))?;
            if std::ptr::eq(rt, &resources::CRDS) {
                store.register_crd(&o.object);
            }
            let key = key_of(rt, &o.object);
            store.objects.insert(key, o.object);
        }
        Ok(store)
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            note: "kube-api-emulator state: a test tool's file, holding its CA private key and bearer tokens in clear; keep it private (mode 0600)".into(),
            ca: self.ca.clone(),
            admin_token: self.admin_token.clone(),
            resource_version: self.resource_version,
            issued_tokens: self.issued_tokens.clone(),
            objects: self
                .objects
                .iter()
                .map(|((r, _, _), o)| StoredObject {
                    resource: r.clone(),
                    object: o.clone(),
                })
                .collect(),
        }
    }

    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Events after `rv`, or None when the history no longer reaches back that far.
    pub fn events_since(&self, rv: u64) -> Option<Vec<Event>> {
        if rv < self.resource_version {
            let oldest = self.history.front().map(|e| e.rv).unwrap_or(u64::MAX);
            // Every change produces one event, so events after rv are complete only when
            // the oldest kept event is at most rv+1.
            if oldest > rv + 1 {
                return None;
            }
        }
        Some(self.history.iter().filter(|e| e.rv > rv).cloned().collect())
    }

    pub fn get(&self, rt: &ResourceType, namespace: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(
            rt.qualified_resource(),
            namespace.to_owned(),
            name.to_owned(),
        ))
    }

    /// Objects of a type, in one namespace or all (None), ordered by namespace and name.
    pub fn list<'a: 'b, 'b>(
        &'a self,
        rt: &'b ResourceType,
        namespace: Option<&'b str>,
    ) -> impl Iterator<Item = &'a Value> + 'b {
        let q = rt.qualified_resource();
        self.objects
            .range((q.clone(), String::new(), String::new())..)
            .take_while(move |((r, _, _), _)| *r == q)
            .filter(move |((_, ns, _), _)| namespace.is_none_or(|n| ns.as_str() == n))
            .map(|(_, v)| v)
    }

    fn next_rv(&mut self) -> u64 {
        self.resource_version += 1;
        self.resource_version
    }

    fn record(&mut self, kind: &'static str, rt: &'static ResourceType, object: &Value, rv: u64) {
        let ev = Event {
            rv,
            kind,
            rt,
            namespace: crate::util::meta_str(object, "namespace").to_owned(),
            object: object.clone(),
        };
        if self.history.len() >= HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(ev.clone());
        let _ = self.events.send(ev);
    }

    /// Stores a new or changed object with the next resourceVersion; returns it as stored.
    pub fn put(&mut self, rt: &'static ResourceType, mut object: Value) -> Value {
        let rv = self.next_rv();
        meta_mut(&mut object).insert("resourceVersion".into(), Value::String(rv.to_string()));
        let key = key_of(rt, &object);
        let existed = self.objects.insert(key, object.clone()).is_some();
        self.record(if existed { "MODIFIED" } else { "ADDED" }, rt, &object, rv);
        object
    }

    /// Removes an object; the DELETED event carries a new resourceVersion, as on a real
    /// server.
    pub fn remove(
        &mut self,
        rt: &'static ResourceType,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let mut object = self.objects.remove(&(
            rt.qualified_resource(),
            namespace.to_owned(),
            name.to_owned(),
        ))?;
        let rv = self.next_rv();
        meta_mut(&mut object).insert("resourceVersion".into(), Value::String(rv.to_string()));
        self.record("DELETED", rt, &object, rv);
        if let Some(uid) = object
            .get("metadata")
            .and_then(|m| m.get("uid"))
            .and_then(Value::as_str)
        {
            self.issued_tokens.remove(uid);
        }
        Some(object)
    }

    /// How the test endpoints name a stored resource: the plural of a built-in type
    /// (`clusterroles`, as before custom types existed), `plural.group` of a custom one.
    fn display_name<'a>(&self, key: &'a str) -> &'a str {
        match resources::ALL
            .iter()
            .find(|r| r.qualified_resource() == key)
        {
            Some(r) => &key[..r.resource.len()],
            None => key,
        }
    }

    /// Number of stored objects per resource (named as [`Store::all`] names them).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (r, _, _) in self.objects.keys() {
            *out.entry(self.display_name(r).to_owned()).or_insert(0) += 1;
        }
        out
    }

    /// Every object with its resource name: the plural for built-in types, `plural.group`
    /// for custom resources.
    pub fn all(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.objects
            .iter()
            .map(|((r, _, _), v)| (self.display_name(r), v))
    }
}

fn key_of(rt: &ResourceType, o: &Value) -> Key {
    (
        rt.qualified_resource(),
        crate::util::meta_str(o, "namespace").to_owned(),
        crate::util::meta_str(o, "name").to_owned(),
    )
}

impl RbacSource for Store {
    fn cluster_role_bindings(&self) -> Vec<&Value> {
        self.list(&resources::CLUSTER_ROLE_BINDINGS, None).collect()
    }
    fn role_bindings(&self, namespace: &str) -> Vec<&Value> {
        self.list(&resources::ROLE_BINDINGS, Some(namespace))
            .collect()
    }
    fn cluster_role(&self, name: &str) -> Option<&Value> {
        self.get(&resources::CLUSTER_ROLES, "", name)
    }
    fn role(&self, namespace: &str, name: &str) -> Option<&Value> {
        self.get(&resources::ROLES, namespace, name)
    }
}
