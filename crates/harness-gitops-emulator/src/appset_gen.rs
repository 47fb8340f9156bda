//! The ApplicationSet controller's pure part: generators (list, clusters, git, matrix, merge,
//! selector) and template rendering (fasttemplate `{{param}}` and a small Go-template subset).
//! No state and no IO: the caller passes the clusters and the git trees it knows.
//!
//! Parameters are a JSON object per generated application. Without `goTemplate` they are
//! flat strings under dotted keys (`path.basename`, `metadata.labels.env`), as Argo CD's
//! fasttemplate mode; with `goTemplate` they are nested values (`.path.basename`).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::validate::decode_base64;

/// Parameters of one generated application.
pub type Params = Map<String, Value>;

/// A cluster the clusters generator sees.
#[derive(Debug, Clone, Default)]
pub struct ClusterInfo {
    pub name: String,
    pub server: String,
    pub project: String,
    pub labels: Map<String, Value>,
    pub annotations: Map<String, Value>,
}

/// What the git generator reads: repository URL → revision → entries. A string entry is a
/// directory; `{"path": "...", "content": "..."}` is a file (its directories exist too).
pub type GitTrees = BTreeMap<String, BTreeMap<String, Vec<Value>>>;

/// What generation may look at.
pub struct Env<'a> {
    pub clusters: &'a [ClusterInfo],
    pub git: &'a GitTrees,
    pub go_template: bool,
    /// `goTemplateOptions` contains `missingkey=error`.
    pub missing_key_error: bool,
}

/// One generated parameter set and the generator's own `template` (merged over the spec's).
#[derive(Debug, Clone)]
pub struct Generated {
    pub params: Params,
    pub template: Option<Value>,
}

/// Why a set is refused before any generation (structure), or why generation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenError {
    /// A spec that Argo CD cannot run at all: answered 400.
    Invalid(String),
    /// A generator that failed (unknown repository, unsupported kind): a condition.
    Failed(String),
}

impl GenError {
    pub fn message(&self) -> &str {
        match self {
            GenError::Invalid(m) | GenError::Failed(m) => m,
        }
    }
}

const KINDS: &[&str] = &[
    "list",
    "clusters",
    "git",
    "scmProvider",
    "clusterDecisionResource",
    "pullRequest",
    "matrix",
    "merge",
    "plugin",
];

/// A `v1JSON` value: `{"raw": base64}` decoded, or a bare value as is.
pub fn raw_json(v: &Value) -> Result<Value, String> {
    if let Some(o) = v.as_object() {
        if o.len() == 1 {
            if let Some(text) = o.get("raw").and_then(Value::as_str) {
                let bytes =
                    decode_base64(text).ok_or_else(|| "v1JSON raw is not base64".to_string())?;
                return serde_json::from_slice(&bytes)
                    .map_err(|e| format!("v1JSON raw is not JSON: {e}"));
            }
        }
    }
    Ok(v.clone())
}

fn kinds_of(g: &Map<String, Value>) -> Vec<&'static str> {
    KINDS
        .iter()
        .copied()
        .filter(|k| g.get(*k).is_some_and(|v| !v.is_null()))
        .collect()
}

/// Checks the structure Argo CD needs before generating: a kind per generator, matrix with
/// exactly two children, merge with two or more and merge keys, one kind per child, and the
/// nesting limit (a matrix/merge inside a matrix/merge may not contain another).
pub fn check_structure(generators: &[Value]) -> Result<(), GenError> {
    if generators.is_empty() {
        return Err(GenError::Invalid(
            "field \"applicationset.spec.generators\" is required: at least one generator".into(),
        ));
    }
    for (i, g) in generators.iter().enumerate() {
        let path = format!("applicationset.spec.generators[{i}]");
        let g = g.as_object().cloned().unwrap_or_default();
        let kinds = kinds_of(&g);
        if kinds.is_empty() {
            return Err(GenError::Invalid(format!(
                "{path}: no generator set; give one of list, clusters, git, scmProvider, \
                 clusterDecisionResource, pullRequest, matrix, merge, plugin"
            )));
        }
        for k in kinds {
            if k == "matrix" || k == "merge" {
                check_combination(k, &g[k], &format!("{path}.{k}"), 1)?;
            }
        }
    }
    Ok(())
}

fn check_combination(kind: &str, v: &Value, path: &str, depth: usize) -> Result<(), GenError> {
    let children = v
        .get("generators")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if kind == "matrix" {
        if children.len() < 2 {
            return Err(GenError::Invalid(format!(
                "{path}: found less than two generators, Matrix support only two"
            )));
        }
        if children.len() > 2 {
            return Err(GenError::Invalid(format!(
                "{path}: found more than two generators, Matrix support only two"
            )));
        }
    } else {
        if children.len() < 2 {
            return Err(GenError::Invalid(format!(
                "{path}: found less than two generators, Merge requires two or more"
            )));
        }
        let keys = v.get("mergeKeys").and_then(Value::as_array);
        if keys.is_none_or(|k| k.is_empty()) {
            return Err(GenError::Invalid(format!(
                "{path}: no merge keys were specified, Merge requires at least one"
            )));
        }
    }
    for (i, c) in children.iter().enumerate() {
        let cpath = format!("{path}.generators[{i}]");
        let c = c.as_object().cloned().unwrap_or_default();
        let kinds = kinds_of(&c);
        match kinds.len() {
            0 => {
                return Err(GenError::Invalid(format!(
                    "{cpath}: child generator has no generator set"
                )))
            }
            1 => {}
            _ => {
                return Err(GenError::Invalid(format!(
                    "{cpath}: more than one inner generator found ({})",
                    kinds.join(", ")
                )))
            }
        }
        let k = kinds[0];
        if k == "matrix" || k == "merge" {
            if depth >= 2 {
                return Err(GenError::Invalid(format!(
                    "{cpath}: a {k} generator cannot be nested here: Argo CD allows one matrix or merge \
                     inside another and no deeper (the children of a nested {kind} are terminal \
                     generators; Argo CD reports \"child generator generated no parameters\")"
                )));
            }
            let inner =
                raw_json(&c[k]).map_err(|e| GenError::Invalid(format!("{cpath}.{k}: {e}")))?;
            check_combination(k, &inner, &format!("{cpath}.{k}"), depth + 1)?;
        }
    }
    Ok(())
}

/// Runs every generator of the spec (in order; several kinds in one entry are concatenated,
/// as Argo CD does) and applies each entry's `selector`.
pub fn generate(generators: &[Value], env: &Env<'_>) -> Result<Vec<Generated>, GenError> {
    let mut out = Vec::new();
    for g in generators {
        let g = g.as_object().cloned().unwrap_or_default();
        out.extend(run_entry(&g, env, None)?);
    }
    Ok(out)
}

/// One generator entry (top level or a child), with `selector`; `given`: the parameters of
/// a matrix's first child, which a second child's fields may use.
fn run_entry(
    g: &Map<String, Value>,
    env: &Env<'_>,
    given: Option<&Params>,
) -> Result<Vec<Generated>, GenError> {
    let g = match given {
        Some(p) => match render_value(&Value::Object(g.clone()), p, env)? {
            Value::Object(m) => m,
            _ => g.clone(),
        },
        None => g.clone(),
    };
    let mut out = Vec::new();
    for kind in kinds_of(&g) {
        let v = match kind {
            "matrix" | "merge" => raw_json(&g[kind]).map_err(GenError::Invalid)?,
            _ => g[kind].clone(),
        };
        let produced = match kind {
            "list" => list(&v, env)?,
            "clusters" => clusters(&v, env)?,
            "git" => git(&v, env)?,
            "matrix" => matrix(&v, env)?,
            "merge" => merge(&v, env)?,
            other => {
                return Err(GenError::Failed(format!(
                    "the {other} generator needs network access to its provider; \
                     harness-gitops-emulator does not emulate it"
                )))
            }
        };
        let template = v.get("template").cloned().filter(|t| !t.is_null());
        out.extend(produced.into_iter().map(|params| Generated {
            params,
            template: template.clone(),
        }));
    }
    if let Some(sel) = g.get("selector").and_then(Value::as_object) {
        out.retain(|x| selector_matches(sel, &flatten(&x.params)));
    }
    Ok(out)
}

fn str_map(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}

/// Adds `values` (each rendered with `params`) under `values`.
fn with_values(
    mut params: Params,
    values: &Map<String, Value>,
    env: &Env<'_>,
) -> Result<Params, GenError> {
    if values.is_empty() {
        return Ok(params);
    }
    let mut rendered = Map::new();
    for (k, v) in values {
        let text = v.as_str().unwrap_or("");
        rendered.insert(k.clone(), json!(render_str(text, &params, env)?));
    }
    if env.go_template {
        params.insert("values".into(), Value::Object(rendered));
    } else {
        for (k, v) in rendered {
            params.insert(format!("values.{k}"), v);
        }
    }
    Ok(params)
}

fn list(v: &Value, env: &Env<'_>) -> Result<Vec<Params>, GenError> {
    let mut out = Vec::new();
    let elements = v
        .get("elements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, e) in elements.iter().enumerate() {
        let e = raw_json(e).map_err(|m| GenError::Invalid(format!("list element {i}: {m}")))?;
        let Value::Object(o) = e else {
            return Err(GenError::Failed(format!(
                "error unmarshling list element {i}: the element is not an object"
            )));
        };
        if env.go_template {
            out.push(o);
        } else {
            out.push(flatten(&o));
        }
    }
    if v.get("elementsYaml")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
    {
        return Err(GenError::Failed(
            "list generator elementsYaml is not supported by harness-gitops-emulator; use elements"
                .into(),
        ));
    }
    Ok(out)
}

/// Argo CD's `nameNormalized`: lower case, characters outside `[a-z0-9-.]` become `-`.
fn normalize(s: &str) -> String {
    s.to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn clusters(v: &Value, env: &Env<'_>) -> Result<Vec<Params>, GenError> {
    let selector = str_map(v.get("selector"));
    let values = str_map(v.get("values"));
    let mut out = Vec::new();
    for c in env.clusters {
        if !selector.is_empty() {
            let labels: Map<String, Value> = c.labels.clone();
            if !selector_matches(&selector, &labels) {
                continue;
            }
        }
        let mut p = Params::new();
        p.insert("name".into(), json!(c.name));
        p.insert("nameNormalized".into(), json!(normalize(&c.name)));
        p.insert("server".into(), json!(c.server));
        p.insert("project".into(), json!(c.project));
        if env.go_template {
            p.insert(
                "metadata".into(),
                json!({"labels": c.labels, "annotations": c.annotations}),
            );
        } else {
            for (k, v) in &c.labels {
                p.insert(
                    format!("metadata.labels.{k}"),
                    json!(v.as_str().unwrap_or("")),
                );
            }
            for (k, v) in &c.annotations {
                p.insert(
                    format!("metadata.annotations.{k}"),
                    json!(v.as_str().unwrap_or("")),
                );
            }
        }
        out.push(with_values(p, &values, env)?);
    }
    Ok(out)
}

/// Go's `path.Match` subset: `*` (not across `/`), `?`, literal text; `**` crosses `/`.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => (0..=t.len()).any(|i| go(&p[2..], &t[i..])),
            Some(b'*') => {
                let mut i = 0;
                loop {
                    if go(&p[1..], &t[i..]) {
                        return true;
                    }
                    if i >= t.len() || t[i] == b'/' {
                        return false;
                    }
                    i += 1;
                }
            }
            Some(b'?') => !t.is_empty() && t[0] != b'/' && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

fn path_params(prefix: &str, dir: &str, file: Option<&str>, go_template: bool) -> Params {
    let segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let basename = segments.last().copied().unwrap_or("");
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    let mut p = Params::new();
    if go_template {
        let mut path = Map::new();
        path.insert("path".into(), json!(dir));
        path.insert("basename".into(), json!(basename));
        path.insert("basenameNormalized".into(), json!(normalize(basename)));
        path.insert("segments".into(), json!(segments));
        if let Some(f) = file {
            path.insert("filename".into(), json!(f));
            path.insert("filenameNormalized".into(), json!(normalize(f)));
        }
        if prefix.is_empty() {
            p.insert("path".into(), Value::Object(path));
        } else {
            p.insert(prefix.into(), json!({"path": path}));
        }
    } else {
        p.insert(key("path"), json!(dir));
        p.insert(key("path.basename"), json!(basename));
        p.insert(key("path.basenameNormalized"), json!(normalize(basename)));
        for (i, s) in segments.iter().enumerate() {
            p.insert(key(&format!("path[{i}]")), json!(s));
        }
        if let Some(f) = file {
            p.insert(key("path.filename"), json!(f));
            p.insert(key("path.filenameNormalized"), json!(normalize(f)));
        }
    }
    p
}

fn git(v: &Value, env: &Env<'_>) -> Result<Vec<Params>, GenError> {
    let repo = v.get("repoURL").and_then(Value::as_str).unwrap_or("");
    if repo.is_empty() {
        return Err(GenError::Invalid(
            "git generator: repoURL is required".into(),
        ));
    }
    let revision = match v.get("revision").and_then(Value::as_str).unwrap_or("") {
        "" => "HEAD",
        r => r,
    };
    let tree = env
        .git
        .iter()
        .find(|(url, _)| super::common::same_repo_url(url, repo))
        .map(|(_, revs)| revs)
        .ok_or_else(|| {
            GenError::Failed(format!(
                "error generating params from git: rpc error: code = Unknown desc = repository {repo} \
                 is unknown to harness-gitops-emulator (give its tree with --git-tree or POST /_emulator/git-tree)"
            ))
        })?;
    let entries = tree.get(revision).ok_or_else(|| {
        GenError::Failed(format!(
            "error generating params from git: unable to resolve git revision {revision} of {repo}"
        ))
    })?;
    let prefix = v
        .get("pathParamPrefix")
        .and_then(Value::as_str)
        .unwrap_or("");
    let values = str_map(v.get("values"));
    // Directories: string entries and every parent of every entry.
    let mut dirs: Vec<String> = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for e in entries {
        let (path, content) = match e {
            Value::String(s) => (s.trim_matches('/').to_string(), None),
            Value::Object(o) => (
                o.get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim_matches('/')
                    .to_string(),
                Some(
                    o.get("content")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
            ),
            _ => continue,
        };
        let mut parts: Vec<&str> = path.split('/').collect();
        if content.is_some() {
            parts.pop();
        }
        for i in 1..=parts.len() {
            let d = parts[..i].join("/");
            if !d.is_empty() && !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        if let Some(c) = content {
            files.push((path, c));
        }
    }
    dirs.sort();
    files.sort();
    let mut out = Vec::new();
    if let Some(items) = v.get("directories").and_then(Value::as_array) {
        let (inc, exc): (Vec<&Value>, Vec<&Value>) = items
            .iter()
            .partition(|i| !i.get("exclude").and_then(Value::as_bool).unwrap_or(false));
        let pat = |i: &Value| {
            i.get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        for d in &dirs {
            let included = inc.iter().any(|i| glob(&pat(i), d));
            let excluded = exc.iter().any(|i| glob(&pat(i), d));
            if included && !excluded {
                out.push(with_values(
                    path_params(prefix, d, None, env.go_template),
                    &values,
                    env,
                )?);
            }
        }
    }
    if let Some(items) = v.get("files").and_then(Value::as_array) {
        for (path, content) in &files {
            if !items
                .iter()
                .any(|i| glob(i.get("path").and_then(Value::as_str).unwrap_or(""), path))
            {
                continue;
            }
            let parsed: Value = serde_json::from_str(content).map_err(|e| {
                GenError::Failed(format!(
                    "error generating params from git: unable to process file '{path}': \
                     harness-gitops-emulator reads JSON file contents only ({e})"
                ))
            })?;
            let docs = match parsed {
                Value::Array(a) => a,
                other => vec![other],
            };
            let (dir, name) = match path.rsplit_once('/') {
                Some((d, n)) => (d.to_string(), n.to_string()),
                None => (String::new(), path.clone()),
            };
            for doc in docs {
                let Value::Object(o) = doc else {
                    return Err(GenError::Failed(format!(
                        "error generating params from git: unable to process file '{path}': not an object"
                    )));
                };
                let mut p = if env.go_template { o } else { flatten(&o) };
                for (k, v) in path_params(prefix, &dir, Some(&name), env.go_template) {
                    p.insert(k, v);
                }
                out.push(with_values(p, &values, env)?);
            }
        }
    }
    Ok(out)
}

fn child_list(v: &Value) -> Vec<Map<String, Value>> {
    v.get("generators")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|c| c.as_object().cloned()).collect())
        .unwrap_or_default()
}

/// The cartesian product; the second child sees each of the first's parameter sets.
fn matrix(v: &Value, env: &Env<'_>) -> Result<Vec<Params>, GenError> {
    let children = child_list(v);
    let (Some(a), Some(b)) = (children.first(), children.get(1)) else {
        return Err(GenError::Invalid(
            "found less than two generators, Matrix support only two".into(),
        ));
    };
    let first = run_entry(a, env, None)?;
    if first.is_empty() {
        return Err(GenError::Failed(
            "child generator returned no parameters".into(),
        ));
    }
    let mut out = Vec::new();
    for p1 in first {
        for p2 in run_entry(b, env, Some(&p1.params))? {
            let mut combined = p1.params.clone();
            for (k, v) in p2.params {
                match combined.get(&k) {
                    Some(old) if !env.go_template && old != &v => {
                        return Err(GenError::Failed(format!(
                            "found duplicate key {k} with different value, a: {} ,b: {}",
                            old.as_str().unwrap_or(""),
                            v.as_str().unwrap_or("")
                        )))
                    }
                    _ => {
                        combined.insert(k, v);
                    }
                }
            }
            out.push(combined);
        }
    }
    Ok(out)
}

/// The first child's parameter sets, each merged with the later children's sets that agree
/// on every merge key (later children win).
fn merge(v: &Value, env: &Env<'_>) -> Result<Vec<Params>, GenError> {
    let keys: Vec<String> = v
        .get("mergeKeys")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let children = child_list(v);
    let key_of = |p: &Params| -> Option<Vec<Value>> {
        let flat = flatten(p);
        keys.iter().map(|k| flat.get(k).cloned()).collect()
    };
    let mut base: Vec<Params> = match children.first() {
        Some(c) => run_entry(c, env, None)?
            .into_iter()
            .map(|g| g.params)
            .collect(),
        None => Vec::new(),
    };
    for c in children.iter().skip(1) {
        let mut by_key: BTreeMap<String, Params> = BTreeMap::new();
        for g in run_entry(c, env, None)? {
            if let Some(k) = key_of(&g.params) {
                let text = Value::Array(k).to_string();
                if by_key.contains_key(&text) {
                    return Err(GenError::Failed(format!(
                        "duplicate key was found in the merge generator: {text}"
                    )));
                }
                by_key.insert(text, g.params);
            }
        }
        for p in &mut base {
            if let Some(k) = key_of(p) {
                if let Some(over) = by_key.get(&Value::Array(k).to_string()) {
                    deep_merge(p, over);
                }
            }
        }
    }
    Ok(base)
}

fn deep_merge(into: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Fills `into` with what `from` has and `into` lacks (the generator's template wins over
/// the spec's, as Argo CD's `mergo.Merge`).
pub fn fill_missing(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) if !is_empty(existing) => fill_missing(existing, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) if is_empty(slot) => *slot = v.clone(),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(_) => false,
    }
}

/// Nested objects as dotted keys, scalars as strings (fasttemplate parameters).
pub fn flatten(p: &Params) -> Params {
    fn go(prefix: &str, v: &Value, out: &mut Params) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    go(&key, x, out);
                }
            }
            Value::String(s) => {
                out.insert(prefix.to_string(), json!(s));
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    go(&format!("{prefix}[{i}]"), x, out);
                }
            }
            Value::Null => {
                out.insert(prefix.to_string(), json!(""));
            }
            other => {
                out.insert(prefix.to_string(), json!(other.to_string()));
            }
        }
    }
    let mut out = Params::new();
    go("", &Value::Object(p.clone()), &mut out);
    out
}

/// A Kubernetes label selector (`matchLabels`, `matchExpressions`) against string labels.
pub fn selector_matches(sel: &Map<String, Value>, labels: &Map<String, Value>) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    for (k, v) in str_map(sel.get("matchLabels")) {
        if label(&k) != v.as_str() {
            return false;
        }
    }
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let ok = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => label(key).is_some_and(|l| values.contains(&l)),
            "NotIn" => label(key).is_none_or(|l| !values.contains(&l)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

// ---- templates ------------------------------------------------------------------------

/// Renders every string of `v` (object values and list items; keys stay).
pub fn render_value(v: &Value, params: &Params, env: &Env<'_>) -> Result<Value, GenError> {
    Ok(match v {
        Value::String(s) => Value::String(render_str(s, params, env)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| render_value(x, params, env))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, x) in o {
                out.insert(k.clone(), render_value(x, params, env)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Renders one string: `{{ key }}` (fasttemplate; an unknown key stays as written) or, with
/// `goTemplate`, Go template actions.
pub fn render_str(s: &str, params: &Params, env: &Env<'_>) -> Result<String, GenError> {
    if !s.contains("{{") {
        return Ok(s.to_string());
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            if env.go_template {
                return Err(GenError::Failed(format!(
                    "failed to parse template {s}: unclosed action"
                )));
            }
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let action = &after[..end];
        if env.go_template {
            let action = action.trim_start_matches('-').trim_end_matches('-').trim();
            let v = eval_pipeline(action, params, env)
                .map_err(|e| GenError::Failed(format!("failed to execute go template {s}: {e}")))?;
            out.push_str(&go_text(&v));
        } else {
            let key = action.trim();
            match params.get(key) {
                Some(v) => out.push_str(
                    v.as_str()
                        .map_or_else(|| v.to_string(), str::to_string)
                        .as_str(),
                ),
                None => {
                    out.push_str("{{");
                    out.push_str(action);
                    out.push_str("}}");
                }
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Go's `fmt` of a value in a template.
fn go_text(v: &Option<Value>) -> String {
    match v {
        None => "<no value>".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "<nil>".into(),
        Some(Value::Array(a)) => format!(
            "[{}]",
            a.iter()
                .map(|x| go_text(&Some(x.clone())))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Some(Value::Object(o)) => format!(
            "map[{}]",
            o.iter()
                .map(|(k, x)| format!("{k}:{}", go_text(&Some(x.clone()))))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Some(other) => other.to_string(),
    }
}

/// Splits an action into words, keeping quoted strings whole.
fn words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut lit = String::from('"');
                loop {
                    match chars.next() {
                        Some('\\') => {
                            if let Some(n) = chars.next() {
                                lit.push(n);
                            }
                        }
                        Some('"') => break,
                        Some(x) => lit.push(x),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
                out.push(lit);
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            '|' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push("|".into());
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn eval_pipeline(action: &str, params: &Params, env: &Env<'_>) -> Result<Option<Value>, String> {
    let w = words(action)?;
    let mut stages: Vec<Vec<String>> = vec![Vec::new()];
    for x in w {
        if x == "|" {
            stages.push(Vec::new());
        } else if let Some(last) = stages.last_mut() {
            last.push(x);
        }
    }
    let mut value: Option<Option<Value>> = None;
    for stage in stages {
        if stage.is_empty() {
            return Err("missing value for command".into());
        }
        let mut args: Vec<Option<Value>> = Vec::new();
        for a in &stage[1..] {
            args.push(operand(a, params, env)?);
        }
        if let Some(v) = value.take() {
            args.push(v);
        }
        let head = &stage[0];
        let result =
            if head.starts_with('.') || head.starts_with('"') || head.parse::<f64>().is_ok() {
                if !args.is_empty() {
                    return Err(format!("can't give argument to non-function {head}"));
                }
                operand(head, params, env)?
            } else {
                call(head, args)?
            };
        value = Some(result);
    }
    Ok(value.unwrap_or(None))
}

fn operand(a: &str, params: &Params, env: &Env<'_>) -> Result<Option<Value>, String> {
    if let Some(lit) = a.strip_prefix('"') {
        return Ok(Some(json!(lit)));
    }
    if let Ok(n) = a.parse::<i64>() {
        return Ok(Some(json!(n)));
    }
    if a == "." {
        return Ok(Some(Value::Object(params.clone())));
    }
    let Some(path) = a.strip_prefix('.') else {
        return Err(format!("function \"{a}\" not defined"));
    };
    let mut cur = Value::Object(params.clone());
    for seg in path.split('.') {
        match cur.get(seg) {
            Some(v) => cur = v.clone(),
            None => {
                if env.missing_key_error {
                    return Err(format!("map has no entry for key \"{seg}\""));
                }
                return Ok(None);
            }
        }
    }
    Ok(Some(cur))
}

fn text_of(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        other => go_text(other),
    }
}

fn call(f: &str, args: Vec<Option<Value>>) -> Result<Option<Value>, String> {
    let one = |args: &[Option<Value>]| -> Result<String, String> {
        match args {
            [x] => Ok(text_of(x)),
            _ => Err(format!(
                "wrong number of args for {f}: want 1 got {}",
                args.len()
            )),
        }
    };
    Ok(Some(match f {
        "upper" => json!(one(&args)?.to_uppercase()),
        "lower" => json!(one(&args)?.to_lowercase()),
        "trim" => json!(one(&args)?.trim()),
        "quote" => json!(format!("\"{}\"", one(&args)?)),
        "normalize" => json!(normalize(&one(&args)?)),
        "toString" => json!(one(&args)?),
        "default" => match args.as_slice() {
            [d, v] => {
                if v.as_ref().is_none_or(is_empty) {
                    d.clone().unwrap_or(Value::Null)
                } else {
                    v.clone().unwrap_or(Value::Null)
                }
            }
            _ => {
                return Err(format!(
                    "wrong number of args for default: want 2 got {}",
                    args.len()
                ))
            }
        },
        "index" => {
            let mut it = args.into_iter();
            let mut cur = it.next().flatten();
            for k in it {
                cur = match (cur, k) {
                    (Some(Value::Object(o)), Some(Value::String(k))) => o.get(&k).cloned(),
                    (Some(Value::Array(a)), Some(Value::Number(n))) => n
                        .as_u64()
                        .and_then(|i| a.get(usize::try_from(i).ok()?).cloned()),
                    (Some(_), _) => return Err("index of untyped value".into()),
                    (None, _) => None,
                };
            }
            return Ok(cur);
        }
        "printf" => {
            let mut it = args.into_iter();
            let fmt = text_of(&it.next().flatten().map(Some).unwrap_or(None));
            let mut out = String::new();
            let mut rest = fmt.as_str();
            while let Some(i) = rest.find('%') {
                out.push_str(&rest[..i]);
                let spec = rest[i + 1..].chars().next().unwrap_or('%');
                if spec == '%' {
                    out.push('%');
                } else {
                    out.push_str(&text_of(&it.next().flatten()));
                }
                rest = &rest[i + 1 + spec.len_utf8().min(rest.len() - i - 1)..];
            }
            out.push_str(rest);
            json!(out)
        }
        other => return Err(format!("function \"{other}\" not defined")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(go: bool, clusters: &'a [ClusterInfo], git: &'a GitTrees) -> Env<'a> {
        Env {
            clusters,
            git,
            go_template: go,
            missing_key_error: false,
        }
    }

    #[test]
    fn plain_and_go_rendering() {
        let git = GitTrees::new();
        let e = env(false, &[], &git);
        let p = flatten(
            &json!({"env": "dev", "path": {"basename": "web"}})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(
            render_str("{{env}}-{{ path.basename }}-{{nope}}", &p, &e).unwrap(),
            "dev-web-{{nope}}"
        );
        let g = env(true, &[], &git);
        let p = json!({"env": "dev", "m": {"a": "B"}})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            render_str("{{ .env | upper }}/{{ index .m \"a\" | lower }}", &p, &g).unwrap(),
            "DEV/b"
        );
        assert_eq!(
            render_str("{{ default \"x\" .missing }}", &p, &g).unwrap(),
            "x"
        );
        assert_eq!(render_str("{{ .missing }}", &p, &g).unwrap(), "<no value>");
        let strict = Env {
            missing_key_error: true,
            ..g
        };
        assert!(render_str("{{ .missing }}", &p, &strict).is_err());
        assert!(render_str("{{ nofunc .env }}", &p, &strict).is_err());
        assert_eq!(
            render_str("{{ printf \"%s-%s\" .env .m.a }}", &p, &strict).unwrap(),
            "dev-B"
        );
    }

    #[test]
    fn globs() {
        assert!(glob("apps/*", "apps/web"));
        assert!(!glob("apps/*", "apps/web/x"));
        assert!(glob("apps/**", "apps/web/x"));
        assert!(glob("*/config.json", "a/config.json"));
    }

    #[test]
    fn structure_limits() {
        let list = json!({"list": {"elements": [{"a": "1"}]}});
        let ok = json!({"matrix": {"generators": [list, list]}});
        assert!(check_structure(&[ok]).is_ok());
        let one = json!({"matrix": {"generators": [list]}});
        assert!(check_structure(&[one])
            .unwrap_err()
            .message()
            .contains("less than two"));
        let inner = json!({"matrix": {"generators": [list, list]}});
        let nested = json!({"matrix": {"generators": [list, inner]}});
        assert!(check_structure(std::slice::from_ref(&nested)).is_ok());
        let deep = json!({"merge": {"mergeKeys": ["a"], "generators": [list, nested]}});
        let top = json!({"matrix": {"generators": [list, deep]}});
        assert!(check_structure(&[top])
            .unwrap_err()
            .message()
            .contains("no deeper"));
    }
}
