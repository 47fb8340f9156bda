//! What an Argo CD project enforces on its applications (reference harness-gitops-more.md
//! §3.1): permitted source repositories and destinations (globs, `!` negations), and sync
//! windows (5-field cron schedule + duration, in UTC or a fixed offset). Argo CD's wording.

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::common::str_of;

/// Go `filepath.Match`-like glob without separators: `*` any run, `?` one character,
/// `[...]` a class. Argo CD matches repository URLs and destinations this way.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|c| *c == ']') else {
                    return !t.is_empty() && t[0] == '[' && go(&p[1..], &t[1..]);
                };
                let Some(&c) = t.first() else { return false };
                let class = &p[1..end];
                let (neg, class) = match class.first() {
                    Some('!' | '^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != neg && go(&p[end + 1..], &t[1..])
            }
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// Argo CD's allow/deny list semantics: any `!pattern` that matches denies; else any plain
/// pattern that matches allows.
fn permitted<'a>(patterns: impl Iterator<Item = &'a str> + Clone, text: &str) -> bool {
    let denied = patterns
        .clone()
        .filter_map(|p| p.strip_prefix('!'))
        .any(|p| glob(p, text));
    !denied
        && patterns
            .filter(|p| !p.starts_with('!'))
            .any(|p| glob(p, text))
}

fn strs(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn objs(v: Option<&Value>) -> Vec<&Map<String, Value>> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

/// Repository URLs compare without a trailing `.git` or `/`, case-insensitively.
fn normal_url(url: &str) -> String {
    let u = url.trim_end_matches('/');
    u.strip_suffix(".git").unwrap_or(u).to_ascii_lowercase()
}

/// Whether `items` (`{group, kind}` objects, globs) name the group and kind.
fn in_list(items: &[&Map<String, Value>], group: &str, kind: &str) -> bool {
    items
        .iter()
        .any(|i| glob(str_of(i, "group"), group) && glob(str_of(i, "kind"), kind))
}

/// Whether the project `spec` permits a resource of `group` and `kind`, as Argo CD's
/// `IsGroupKindPermitted`: a namespaced kind needs the namespace whitelist to be absent (all
/// permitted) or to name it, and the blacklist not to name it; a cluster-scoped kind needs
/// the cluster whitelist to name it and the cluster blacklist not to.
pub fn kind_permitted(
    spec: &Map<String, Value>,
    group: &str,
    kind: &str,
    namespaced: bool,
) -> bool {
    let (white, black) = if namespaced {
        ("namespaceResourceWhitelist", "namespaceResourceBlacklist")
    } else {
        ("clusterResourceWhitelist", "clusterResourceBlacklist")
    };
    let listed = spec.get(white).is_some_and(|v| !v.is_null());
    let whitelisted = if namespaced && !listed {
        true
    } else {
        in_list(&objs(spec.get(white)), group, kind)
    };
    whitelisted && !in_list(&objs(spec.get(black)), group, kind)
}

/// Why the project `name` (its `spec`) refuses a sync deploying `resources` (group, kind,
/// namespaced), in Argo CD's words: the first resource it does not permit.
pub fn kind_refusal(
    name: &str,
    spec: &Map<String, Value>,
    resources: &[(&str, &str, bool)],
) -> Option<String> {
    resources
        .iter()
        .find(|(g, k, ns)| !kind_permitted(spec, g, k, *ns))
        .map(|(g, k, _)| format!("resource {g}:{k} is not permitted in project {name}"))
}

/// Why the project `name` (its `spec`) refuses an application spec, in Argo CD's words;
/// `None` when it is permitted. `cluster_names` maps a destination name to its server.
pub fn refusal(
    name: &str,
    spec: &Map<String, Value>,
    app_spec: &Map<String, Value>,
    server_of_name: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let repos = strs(spec.get("sourceRepos"));
    let mut sources: Vec<&str> = Vec::new();
    if let Some(s) = app_spec.get("source").and_then(Value::as_object) {
        sources.push(str_of(s, "repoURL"));
    }
    for s in objs(app_spec.get("sources")) {
        sources.push(str_of(s, "repoURL"));
    }
    for repo in sources {
        let normal = normal_url(repo);
        let ok = permitted(repos.iter().copied(), repo)
            || permitted(repos.iter().copied(), &normal)
            || repos
                .iter()
                .any(|p| !p.starts_with('!') && normal_url(p) == normal);
        if !ok {
            return Some(format!(
                "application repo {repo} is not permitted in project '{name}'"
            ));
        }
    }
    let dest = app_spec
        .get("destination")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let (server, dname, ns) = (
        str_of(&dest, "server").to_string(),
        str_of(&dest, "name").to_string(),
        str_of(&dest, "namespace").to_string(),
    );
    let server = if server.is_empty() && !dname.is_empty() {
        server_of_name(&dname).unwrap_or_default()
    } else {
        server
    };
    let dests = objs(spec.get("destinations"));
    let ns_ok = |d: &Map<String, Value>| {
        let p = str_of(d, "namespace");
        match p.strip_prefix('!') {
            Some(neg) => !glob(neg, &ns),
            None => glob(p, &ns),
        }
    };
    let denied = dests.iter().any(|d| {
        let p = str_of(d, "namespace");
        p.strip_prefix('!').is_some_and(|neg| glob(neg, &ns))
            && (glob(str_of(d, "server").trim_start_matches('!'), &server)
                || glob(str_of(d, "name").trim_start_matches('!'), &dname))
    });
    let allowed = dests
        .iter()
        .filter(|d| !str_of(d, "namespace").starts_with('!'))
        .any(|d| {
            let (ps, pn) = (str_of(d, "server"), str_of(d, "name"));
            let cluster = (!ps.is_empty() && glob(ps, &server))
                || (!pn.is_empty() && !dname.is_empty() && glob(pn, &dname));
            cluster && ns_ok(d)
        });
    if denied || !allowed {
        return Some(if server.is_empty() {
            format!(
                "application destination name '{dname}' and namespace '{ns}' do not match any of the allowed destinations in project '{name}'"
            )
        } else {
            format!(
                "application destination server '{server}' and namespace '{ns}' do not match any of the allowed destinations in project '{name}'"
            )
        });
    }
    None
}

// ---- sync windows --------------------------------------------------------------------

/// One parsed cron field: the allowed values.
#[derive(Debug, Clone)]
struct Field {
    allowed: Vec<bool>,
    star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn field(text: &str, min: u32, max: u32, names: &[&str], what: &str) -> Result<Field, String> {
    let mut allowed = vec![false; max as usize + 1];
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(min + i as u32);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (min..=max).contains(v) || (what == "day of week" && *v == 7))
            .map(|v| {
                if what == "day of week" && v == 7 {
                    0
                } else {
                    v
                }
            })
            .ok_or_else(|| format!("{what} value \"{s}\" is not in {min}-{max}"))
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{what} step \"{s}\" is not a positive number"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return Err(format!("{what} range \"{range}\" is backwards"));
        }
        let mut v = lo;
        while v <= hi {
            allowed[v as usize] = true;
            v += step;
        }
    }
    Ok(Field {
        allowed,
        star: text.starts_with('*') || text.starts_with('?'),
    })
}

/// A 5-field cron schedule (minute hour day-of-month month day-of-week), as Argo CD's parser
/// takes it, or a descriptor (`@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`,
/// `@yearly`, `@annually`).
#[derive(Debug, Clone)]
pub struct Cron {
    minute: Field,
    hour: Field,
    dom: Field,
    month: Field,
    dow: Field,
}

impl Cron {
    pub fn parse(schedule: &str) -> Result<Cron, String> {
        let text = match schedule.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            s => s,
        };
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "expected exactly 5 fields (minute hour day-of-month month day-of-week), found {}",
                parts.len()
            ));
        }
        Ok(Cron {
            minute: field(parts[0], 0, 59, &[], "minute")?,
            hour: field(parts[1], 0, 23, &[], "hour")?,
            dom: field(parts[2], 1, 31, &[], "day of month")?,
            month: field(parts[3], 1, 12, &MONTHS, "month")?,
            dow: field(parts[4], 0, 6, &DAYS, "day of week")?,
        })
    }

    /// Whether the schedule fires at this (whole) minute of local time `t`.
    fn fires(&self, t: OffsetDateTime) -> bool {
        let dom_ok = self.dom.allowed[t.day() as usize];
        let dow_ok = self.dow.allowed[t.weekday().number_days_from_sunday() as usize];
        // Like robfig/cron: when both day fields are restricted, either matches.
        let day = if self.dom.star || self.dow.star {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        };
        self.minute.allowed[t.minute() as usize]
            && self.hour.allowed[t.hour() as usize]
            && self.month.allowed[u8::from(t.month()) as usize]
            && day
    }
}

/// A Go duration (`1h`, `30m`, `1h30m`, `90s`), as Argo CD's window `duration`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("time: invalid duration \"{s}\"");
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..num_end].parse().map_err(|_| bad())?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let secs = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad()),
        };
        total += n * secs;
        rest = &rest[unit_end..];
    }
    Ok(Duration::seconds_f64(total))
}

/// A window time zone: empty or `UTC` / `Etc/UTC`, or a fixed offset such as `+02:00`. The
/// emulator carries no time zone database; other names are refused, saying so.
pub fn parse_zone(z: &str) -> Result<UtcOffset, String> {
    match z {
        "" | "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" => Ok(UtcOffset::UTC),
        _ => {
            let fmt = time::macros::format_description!("[offset_hour]:[offset_minute]");
            UtcOffset::parse(z, &fmt).map_err(|_| {
                format!(
                    "unknown time zone \"{z}\" (harness-gitops-emulator knows UTC and fixed offsets like +02:00)"
                )
            })
        }
    }
}

/// Checks the windows of a project spec; the message names the window by index.
pub fn check_windows(spec: &Map<String, Value>) -> Result<(), String> {
    for (i, w) in objs(spec.get("syncWindows")).into_iter().enumerate() {
        let kind = str_of(w, "kind");
        if kind != "allow" && kind != "deny" {
            return Err(format!(
                "spec.syncWindows[{i}].kind: \"{kind}\" is not one of allow, deny"
            ));
        }
        Cron::parse(str_of(w, "schedule")).map_err(|e| {
            format!(
                "spec.syncWindows[{i}].schedule: cannot parse schedule \"{}\": {e}",
                str_of(w, "schedule")
            )
        })?;
        parse_duration(str_of(w, "duration"))
            .map_err(|e| format!("spec.syncWindows[{i}].duration: {e}"))?;
        parse_zone(str_of(w, "timeZone"))
            .map_err(|e| format!("spec.syncWindows[{i}].timeZone: {e}"))?;
    }
    Ok(())
}

/// Whether window `w` is active at `now`: its schedule fired at most `duration` ago.
fn active(w: &Map<String, Value>, now: OffsetDateTime) -> bool {
    let (Ok(cron), Ok(duration), Ok(zone)) = (
        Cron::parse(str_of(w, "schedule")),
        parse_duration(str_of(w, "duration")),
        parse_zone(str_of(w, "timeZone")),
    ) else {
        return false;
    };
    let local = now.to_offset(zone);
    let start = local
        .replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(local);
    let minutes = (duration.whole_seconds() + 59) / 60;
    (0..=minutes.min(60 * 24 * 366)).any(|m| {
        let t = start - Duration::minutes(m);
        cron.fires(t) && t + duration > local
    })
}

/// Whether window `w` applies to the application (`applications`, `namespaces`, `clusters`
/// globs; any match).
fn applies(w: &Map<String, Value>, app: &str, namespace: &str, cluster: &str) -> bool {
    strs(w.get("applications")).iter().any(|p| glob(p, app))
        || strs(w.get("namespaces")).iter().any(|p| glob(p, namespace))
        || strs(w.get("clusters")).iter().any(|p| glob(p, cluster))
}

/// Argo CD's sync-window decision for an application at `now`: `Err(message)` when a sync
/// (manual when `manual`) is blocked. An active deny window blocks (a manual sync passes
/// when it has `manualSync`); with allow windows for the application, none active blocks.
pub fn sync_blocked(
    spec: &Map<String, Value>,
    app: &str,
    namespace: &str,
    cluster: &str,
    manual: bool,
    now: OffsetDateTime,
) -> Option<String> {
    let windows: Vec<&Map<String, Value>> = objs(spec.get("syncWindows"))
        .into_iter()
        .filter(|w| applies(w, app, namespace, cluster))
        .collect();
    let manual_ok = |w: &&Map<String, Value>| {
        manual
            && w.get("manualSync")
                .and_then(Value::as_bool)
                .unwrap_or(false)
    };
    let deny: Vec<_> = windows
        .iter()
        .filter(|w| str_of(w, "kind") == "deny" && active(w, now))
        .collect();
    if !deny.is_empty() && !deny.iter().all(|w| manual_ok(w)) {
        return Some("cannot sync: blocked by sync window".into());
    }
    let allow: Vec<_> = windows
        .iter()
        .filter(|w| str_of(w, "kind") == "allow")
        .collect();
    if !allow.is_empty()
        && !allow.iter().any(|w| active(w, now))
        && !allow.iter().any(|w| manual_ok(w))
    {
        return Some("cannot sync: blocked by sync window".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn spec(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn globs() {
        assert!(glob("*", "https://github.com/a/b"));
        assert!(glob(
            "https://github.com/ml/*",
            "https://github.com/ml/train.git"
        ));
        assert!(!glob("https://github.com/ml/*", "https://github.com/web/x"));
        assert!(glob("gpu-?", "gpu-1"));
        assert!(glob("gpu-[0-9]", "gpu-7"));
        assert!(!glob("gpu-[!0-9]", "gpu-7"));
    }

    #[test]
    fn repositories_and_destinations() {
        let p = spec(json!({
            "sourceRepos": ["https://github.com/ml/*"],
            "destinations": [{"server": "https://gpu.example", "namespace": "gpu-*"}],
        }));
        let app = |repo: &str, server: &str, ns: &str| {
            spec(
                json!({"source": {"repoURL": repo}, "destination": {"server": server, "namespace": ns}}),
            )
        };
        let none = |_: &str| None;
        assert_eq!(
            refusal(
                "ml",
                &p,
                &app(
                    "https://github.com/ml/a.git",
                    "https://gpu.example",
                    "gpu-a"
                ),
                none
            ),
            None
        );
        assert_eq!(
            refusal(
                "ml",
                &p,
                &app("https://github.com/web/a", "https://gpu.example", "gpu-a"),
                none
            )
            .unwrap(),
            "application repo https://github.com/web/a is not permitted in project 'ml'"
        );
        assert_eq!(
            refusal("ml", &p, &app("https://github.com/ml/a", "https://gpu.example", "web"), none)
                .unwrap(),
            "application destination server 'https://gpu.example' and namespace 'web' do not match any of the allowed destinations in project 'ml'"
        );
        let denied = spec(json!({"sourceRepos": ["*", "!https://github.com/secret/*"],
            "destinations": [{"server": "*", "namespace": "*"}]}));
        assert!(refusal(
            "p",
            &denied,
            &app("https://github.com/secret/x", "s", "n"),
            none
        )
        .is_some());
        assert!(refusal(
            "p",
            &denied,
            &app("https://github.com/ok/x", "s", "n"),
            none
        )
        .is_none());
    }

    #[test]
    fn cron_durations_zones() {
        assert!(Cron::parse("0 22 * * *").is_ok());
        assert!(Cron::parse("*/15 1-5 * JAN-MAR mon,fri").is_ok());
        assert!(Cron::parse("@daily").is_ok());
        assert!(Cron::parse("0 25 * * *").unwrap_err().contains("hour"));
        assert!(Cron::parse("0 22 * *").unwrap_err().contains("5 fields"));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert!(parse_duration("8 hours").is_err());
        assert!(parse_zone("+02:00").is_ok());
        assert!(parse_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn nightly_deny_window() {
        let p = spec(
            json!({"syncWindows": [{"kind": "deny", "schedule": "0 22 * * *",
            "duration": "8h", "namespaces": ["gpu-*"]}]}),
        );
        let at = |t| sync_blocked(&p, "train", "gpu-a", "https://x", false, t);
        assert!(at(datetime!(2026-01-01 23:30 UTC)).is_some());
        assert!(at(datetime!(2026-01-02 05:59 UTC)).is_some());
        assert!(at(datetime!(2026-01-02 06:00 UTC)).is_none());
        assert!(at(datetime!(2026-01-02 12:00 UTC)).is_none());
        assert!(sync_blocked(
            &p,
            "web",
            "web",
            "https://x",
            false,
            datetime!(2026-01-01 23:30 UTC)
        )
        .is_none());
        let manual = spec(
            json!({"syncWindows": [{"kind": "deny", "schedule": "0 22 * * *",
            "duration": "8h", "applications": ["*"], "manualSync": true}]}),
        );
        assert!(sync_blocked(
            &manual,
            "a",
            "n",
            "c",
            true,
            datetime!(2026-01-01 23:00 UTC)
        )
        .is_none());
        assert!(sync_blocked(
            &manual,
            "a",
            "n",
            "c",
            false,
            datetime!(2026-01-01 23:00 UTC)
        )
        .is_some());
        let allow = spec(
            json!({"syncWindows": [{"kind": "allow", "schedule": "0 9 * * 1-5",
            "duration": "1h", "applications": ["*"], "timeZone": "+02:00"}]}),
        );
        // Thursday 2026-01-01 07:30 UTC is 09:30 at +02:00.
        assert!(sync_blocked(
            &allow,
            "a",
            "n",
            "c",
            false,
            datetime!(2026-01-01 07:30 UTC)
        )
        .is_none());
        assert!(sync_blocked(
            &allow,
            "a",
            "n",
            "c",
            false,
            datetime!(2026-01-01 12:00 UTC)
        )
        .is_some());
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;
    use serde_json::json;

    fn spec(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn kinds_follow_argo_cds_white_and_black_lists() {
        let none = spec(json!({}));
        assert!(kind_permitted(&none, "apps", "Deployment", true));
        assert!(
            !kind_permitted(&none, "", "Namespace", false),
            "cluster kinds need the whitelist"
        );
        let services =
            spec(json!({"namespaceResourceWhitelist": [{"group": "", "kind": "Service"}]}));
        assert!(kind_permitted(&services, "", "Service", true));
        assert!(!kind_permitted(&services, "apps", "Deployment", true));
        let empty = spec(json!({"namespaceResourceWhitelist": []}));
        assert!(
            !kind_permitted(&empty, "", "Service", true),
            "an empty whitelist permits nothing"
        );
        let globs = spec(json!({
            "namespaceResourceWhitelist": [{"group": "*", "kind": "*"}],
            "namespaceResourceBlacklist": [{"group": "apps", "kind": "Deploy*"}]
        }));
        assert!(kind_permitted(&globs, "", "Service", true));
        assert!(!kind_permitted(&globs, "apps", "Deployment", true));
        assert_eq!(
            kind_refusal(
                "ml",
                &services,
                &[("", "Service", true), ("apps", "Deployment", true)]
            )
            .as_deref(),
            Some("resource apps:Deployment is not permitted in project ml")
        );
        assert_eq!(
            kind_refusal("ml", &none, &[("apps", "Deployment", true)]),
            None
        );
    }
}
