//! The shape of a sync window's `schedule`: Argo CD's cron parser takes five fields (minute,
//! hour, day of month, month, day of week) or a descriptor (`@daily`, ...). An invalid
//! schedule breaks syncs for the whole project (argoproj/argo-cd#10071), so it is refused
//! at validation, with the field at fault.

use tfplugin::tf::{AttributePath, Diagnostics, Value};

const DESCRIPTORS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// `(name, min, max, names)` of the five fields.
const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    ("month", 1, 12, &MONTHS),
    ("day of week", 0, 7, &DAYS),
];

fn value(s: &str, min: u32, max: u32, names: &[&str]) -> Option<u32> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Some(min + i as u32);
    }
    s.parse::<u32>().ok().filter(|v| (min..=max).contains(v))
}

/// Why one field is invalid, if it is.
fn check_field(text: &str, (what, min, max, names): (&str, u32, u32, &[&str])) -> Option<String> {
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(s) = step {
            if s.parse::<u32>().ok().is_none_or(|s| s == 0) {
                return Some(format!("the {what} step {s:?} is not a positive number"));
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a, b),
            None => (range, range),
        };
        match (value(lo, min, max, names), value(hi, min, max, names)) {
            (Some(a), Some(b)) if a <= b => {}
            (Some(_), Some(_)) => return Some(format!("the {what} range {range:?} is backwards")),
            _ => return Some(format!("the {what} {range:?} is not in {min}-{max}")),
        }
    }
    None
}

/// Why `schedule` is not a schedule Argo CD takes, if it is not.
pub fn problem(schedule: &str) -> Option<String> {
    let s = schedule.trim();
    if s.starts_with('@') {
        return (!DESCRIPTORS.contains(&s)).then(|| {
            format!(
                "{s:?} is not a cron descriptor; use one of {}",
                DESCRIPTORS.join(", ")
            )
        });
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 5 {
        return Some(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
            parts.len()
        ));
    }
    parts
        .iter()
        .zip(FIELDS)
        .find_map(|(p, f)| check_field(p, f))
}

/// The validator declared on `sync_windows[*].schedule`.
pub fn schedule(v: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    let Some(s) = v.as_str() else { return };
    if let Some(why) = problem(s) {
        diags.error_at(
            path.clone(),
            "Invalid Sync Window Schedule",
            format!("{s:?}: {why}. Example: \"0 22 * * *\" (every day at 22:00)."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn schedules() {
        for ok in [
            "0 22 * * *",
            "*/15 1-5 * JAN-MAR mon,fri",
            "@daily",
            "0 0 1 1 7",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        assert!(problem("0 22 * *").unwrap().contains("5 fields"));
        assert!(problem("0 24 * * *").unwrap().contains("hour"));
        assert!(problem("0 5-1 * * *").unwrap().contains("backwards"));
        assert!(problem("*/0 * * * *").unwrap().contains("step"));
        assert!(problem("@sometimes").unwrap().contains("descriptor"));
    }
}
