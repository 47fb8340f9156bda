//! What an Argo CD project permits an application, as Argo CD decides it: its source
//! repositories (`sourceRepos`) and its destination (`destinations`), globs with `!`
//! negations, in Argo CD's words. `harness_gitops_application` checks these at plan time
//! against the project read from Harness ([`ProjectCache`]: one read per project and
//! provider process); Argo CD checks them again at apply. Resource kinds are not checked
//! here: they are known only once Argo CD renders the sources. Where a plan cannot be sure
//! (a destination given or listed by cluster name), it is left to apply: a plan never refuses
//! what Argo CD would admit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use harness_gitops_client::models::AppProjectSpec;
use harness_gitops_client::{Client, Scope};
use tokio::sync::OnceCell;

/// A glob as Argo CD matches repository URLs, servers, names and namespaces (gobwas/glob
/// without separators): `*` any run of characters, `?` one, `[abc]`, `[a-z]`, `[!a-z]` (or
/// `[^a-z]`) a class, `{a,b}` alternatives, `\` escapes the next character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

fn matches(p: &[char], t: &[char]) -> bool {
    let Some((&first, rest)) = p.split_first() else {
        return t.is_empty();
    };
    match first {
        '*' => {
            // Runs of stars are one star.
            let rest = skip_stars(rest);
            (0..=t.len()).any(|i| matches(rest, &t[i..]))
        }
        '?' => !t.is_empty() && matches(rest, &t[1..]),
        '\\' => match rest.split_first() {
            Some((&c, after)) => t.first() == Some(&c) && matches(after, &t[1..]),
            None => t == ['\\'],
        },
        '[' => match class_end(rest) {
            Some(end) => {
                let Some(&c) = t.first() else { return false };
                in_class(&rest[..end], c) && matches(&rest[end + 1..], &t[1..])
            }
            None => t.first() == Some(&'[') && matches(rest, &t[1..]),
        },
        '{' => match alternatives(rest) {
            Some((alts, after)) => alts.iter().any(|alt| {
                let mut whole = alt.clone();
                whole.extend_from_slice(after);
                matches(&whole, t)
            }),
            None => t.first() == Some(&'{') && matches(rest, &t[1..]),
        },
        c => t.first() == Some(&c) && matches(rest, &t[1..]),
    }
}

fn skip_stars(mut p: &[char]) -> &[char] {
    while p.first() == Some(&'*') {
        p = &p[1..];
    }
    p
}

/// The index of the `]` closing a class that starts after `[`; `None` for an unclosed or
/// empty class (then the `[` is literal).
fn class_end(p: &[char]) -> Option<usize> {
    let start = usize::from(matches!(p.first(), Some('!' | '^')));
    p.iter()
        .skip(start)
        .position(|c| *c == ']')
        .filter(|&i| i > 0)
        .map(|i| i + start)
}

fn in_class(class: &[char], c: char) -> bool {
    let (negated, items) = match class.first() {
        Some('!' | '^') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut hit = false;
    let mut i = 0;
    while i < items.len() {
        if i + 2 < items.len() && items[i + 1] == '-' {
            hit |= items[i] <= c && c <= items[i + 2];
            i += 3;
        } else {
            hit |= items[i] == c;
            i += 1;
        }
    }
    hit != negated
}

/// The alternatives of `{a,b}` (after the `{`) and what follows the closing `}`; nested
/// braces are kept whole inside an alternative.
fn alternatives(p: &[char]) -> Option<(Vec<Vec<char>>, &[char])> {
    let mut depth = 0usize;
    let mut alts = vec![Vec::new()];
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        match c {
            '\\' if i + 1 < p.len() => {
                alts.last_mut()?.extend_from_slice(&p[i..i + 2]);
                i += 2;
                continue;
            }
            '{' => depth += 1,
            '}' if depth == 0 => return Some((alts, &p[i + 1..])),
            '}' => depth -= 1,
            ',' if depth == 0 => {
                alts.push(Vec::new());
                i += 1;
                continue;
            }
            _ => {}
        }
        alts.last_mut()?.push(c);
        i += 1;
    }
    None
}

/// Argo CD's allow list with negations: a matching `!pattern` denies; otherwise a matching
/// plain pattern allows.
fn permitted(patterns: &[String], text: &str) -> bool {
    let denied = patterns
        .iter()
        .filter_map(|p| p.strip_prefix('!'))
        .any(|p| glob(p, text));
    !denied
        && patterns
            .iter()
            .filter(|p| !p.starts_with('!'))
            .any(|p| glob(p, text))
}

/// A repository URL as Argo CD compares it: no trailing `/` or `.git`, lowercase.
fn normal_url(url: &str) -> String {
    let u = url.trim_end_matches('/');
    u.strip_suffix(".git").unwrap_or(u).to_ascii_lowercase()
}

/// Why project `name` (its `spec`) does not permit an application source from `repo`, in
/// Argo CD's words; `None` when it does.
pub fn repo_refusal(name: &str, spec: &AppProjectSpec, repo: &str) -> Option<String> {
    let patterns = spec.source_repos.as_deref().unwrap_or_default();
    let normal = normal_url(repo);
    let ok = permitted(patterns, repo)
        || permitted(patterns, &normal)
        || patterns
            .iter()
            .any(|p| !p.starts_with('!') && normal_url(p) == normal);
    (!ok).then(|| format!("application repo {repo} is not permitted in project '{name}'"))
}

/// Why project `name` (its `spec`) does not permit a destination of cluster `server` (API
/// URL) and `namespace`, in Argo CD's words; `None` when it does. A destination given by
/// cluster name needs its server (Argo CD resolves it), which a plan does not know.
pub fn destination_refusal(
    name: &str,
    spec: &AppProjectSpec,
    server: &str,
    namespace: &str,
) -> Option<String> {
    let dests = spec.destinations.as_deref().unwrap_or_default();
    let field = |v: &Option<String>| v.clone().unwrap_or_default();
    let denied = dests.iter().any(|d| {
        let ns = field(&d.namespace);
        ns.strip_prefix('!').is_some_and(|neg| glob(neg, namespace))
            && glob(field(&d.server).trim_start_matches('!'), server)
    });
    let allowed = dests
        .iter()
        .filter(|d| !field(&d.namespace).starts_with('!'))
        .any(|d| {
            let ps = field(&d.server);
            !ps.is_empty() && glob(&ps, server) && glob(&field(&d.namespace), namespace)
        });
    // Argo CD matches a destination listed by cluster name against the cluster's name,
    // which a plan cannot know for a server URL: such a project is left to apply.
    let by_name = dests.iter().any(|d| {
        field(&d.server).is_empty()
            && !field(&d.name).is_empty()
            && !field(&d.namespace).starts_with('!')
    });
    if !denied && !allowed && by_name {
        return None;
    }
    (denied || !allowed).then(|| {
        format!(
            "application destination server '{server}' and namespace '{namespace}' do not match any of the allowed \
             destinations in project '{name}'"
        )
    })
}

/// What a read of a project found.
#[derive(Clone, Debug)]
pub enum Lookup {
    Found(Arc<AppProjectSpec>),
    /// No such project (yet: it may be created in the same apply).
    Missing,
    /// The read failed; nothing is known.
    Failed,
    /// The project resource plans to create or change it in this run: its rules at apply
    /// are not the ones Harness holds now.
    Changing,
}

/// The projects read while planning, one read per scope and name per provider process
/// (concurrent plans of applications in one project share it). A project resource whose plan
/// creates or changes the project marks it [`Lookup::Changing`]; one that writes or deletes
/// it forgets it, so a later plan in the same process reads it again.
#[derive(Default)]
pub struct ProjectCache {
    entries: Mutex<HashMap<ProjectKey, Arc<OnceCell<Lookup>>>>,
}

/// A project's scope and name.
type ProjectKey = (Scope, String);

impl ProjectCache {
    /// The project `name` in `scope`, read with `client` at most once.
    pub async fn get(&self, client: &Client, scope: &Scope, name: &str) -> Lookup {
        let cell = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((scope.clone(), name.to_string()))
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            match client.projects().get_opt(scope, name).await {
                Ok(Some(p)) => Lookup::Found(Arc::new(p.spec.unwrap_or_default())),
                Ok(None) => Lookup::Missing,
                Err(e) => {
                    tracing::debug!(project = name, error = %e, "project not read for the plan check");
                    Lookup::Failed
                }
            }
        })
        .await
        .clone()
    }

    /// Records that the plan creates or changes project `name` in `scope`: applications
    /// planned after it (those that refer to it) leave its rules to apply.
    pub fn changing(&self, scope: &Scope, name: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (scope.clone(), name.to_string()),
                Arc::new(OnceCell::new_with(Some(Lookup::Changing))),
            );
    }

    /// Forgets what was read of project `name` in `scope` (it was just written or deleted).
    pub fn forget(&self, scope: &Scope, name: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(scope.clone(), name.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_gitops_client::models::ProjectDestination;

    fn spec(repos: &[&str], dests: &[(&str, &str)]) -> AppProjectSpec {
        AppProjectSpec {
            source_repos: Some(repos.iter().map(|s| s.to_string()).collect()),
            destinations: Some(
                dests
                    .iter()
                    .map(|(s, n)| ProjectDestination {
                        server: Some(s.to_string()),
                        namespace: Some(n.to_string()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn globs_follow_argo_cd() {
        assert!(glob("*", ""));
        assert!(glob("*", "https://github.com/a/b"));
        assert!(glob(
            "https://github.com/ml/*",
            "https://github.com/ml/t.git"
        ));
        assert!(!glob("https://github.com/ml/*", "https://github.com/web/x"));
        assert!(glob("gpu-?", "gpu-1"));
        assert!(!glob("gpu-?", "gpu-10"));
        assert!(glob("gpu-[0-9]", "gpu-7"));
        assert!(!glob("gpu-[!0-9]", "gpu-7"));
        assert!(glob("gpu-[^a-z]", "gpu-7"));
        assert!(glob("{train,serve}-*", "serve-x"));
        assert!(!glob("{train,serve}-*", "web-x"));
        assert!(glob("a\\*b", "a*b"));
        assert!(!glob("a\\*b", "axb"));
        assert!(glob("**x", "abx"));
        assert!(glob("[", "["), "an unclosed class is literal");
        assert!(!glob("abc", "abcd"));
    }

    #[test]
    fn repositories_with_negations_and_url_forms() {
        let p = spec(
            &["https://github.com/ml/*", "!https://github.com/ml/secret*"],
            &[],
        );
        assert_eq!(repo_refusal("ml", &p, "https://github.com/ml/a.git"), None);
        assert_eq!(
            repo_refusal("ml", &p, "https://github.com/ml/secret.git").as_deref(),
            Some("application repo https://github.com/ml/secret.git is not permitted in project 'ml'")
        );
        assert!(repo_refusal("ml", &p, "https://github.com/web/a").is_some());
        // A listed URL matches without `.git`, a trailing slash or case.
        let exact = spec(&["https://github.com/ML/Train.git"], &[]);
        assert_eq!(
            repo_refusal("ml", &exact, "https://github.com/ml/train/"),
            None
        );
        // No source repositories: nothing is permitted.
        assert!(repo_refusal("ml", &AppProjectSpec::default(), "https://x").is_some());
    }

    #[test]
    fn destinations_with_globs_and_negated_namespaces() {
        let p = spec(
            &[],
            &[
                ("https://gpu.example", "gpu-*"),
                ("https://gpu.example", "!gpu-admin"),
            ],
        );
        assert_eq!(
            destination_refusal("ml", &p, "https://gpu.example", "gpu-a"),
            None
        );
        assert_eq!(
            destination_refusal("ml", &p, "https://gpu.example", "gpu-admin").as_deref(),
            Some(
                "application destination server 'https://gpu.example' and namespace 'gpu-admin' do not match any of \
                 the allowed destinations in project 'ml'"
            )
        );
        assert!(destination_refusal("ml", &p, "https://cpu.example", "gpu-a").is_some());
        assert!(destination_refusal("ml", &p, "https://gpu.example", "default").is_some());
        let any = spec(&[], &[("*", "*")]);
        assert_eq!(destination_refusal("ml", &any, "https://x", ""), None);
        // A destination by cluster name may name this server's cluster: left to apply.
        let by_name = AppProjectSpec {
            destinations: Some(vec![ProjectDestination {
                name: Some("in-cluster".into()),
                namespace: Some("*".into()),
                ..Default::default()
            }]),
            ..Default::default()
        };
        assert_eq!(
            destination_refusal("ml", &by_name, "https://kubernetes.default.svc", "a"),
            None
        );
    }
}
