//! Logging: a `tracing` subscriber that writes hclog JSON lines to stderr.
//!
//! go-plugin (Terraform's plugin client) reads the provider's stderr line by line. A line that
//! parses as JSON is an hclog entry: `@level` and `@message` must be strings, `@timestamp` must
//! use Go's layout `2006-01-02T15:04:05.000000Z07:00` or the whole line counts as non-JSON, and
//! every other key becomes a key/value pair [go-plugin log_entry.go, client.go logStderr;
//! reference tfplugin6.md §2.6]. Terraform then filters those entries with `TF_LOG` /
//! `TF_LOG_PROVIDER`.
//!
//! Level choice (read once, at [`init`]): `TF_LOG_PROVIDER` if set and non-empty, else `TF_LOG`.
//!
//! | value (case-insensitive)             | level emitted                                       |
//! |--------------------------------------|-----------------------------------------------------|
//! | `TRACE` `DEBUG` `INFO` `WARN` `ERROR`| that level and above                                 |
//! | `JSON`                               | trace (Terraform's meaning of `TF_LOG=JSON`)         |
//! | `OFF`                                | nothing                                              |
//! | unset or empty                       | warn and error                                       |
//! | anything else                        | trace (Terraform treats an invalid level as TRACE)   |
//!
//! Events from dependencies (hyper, h2, tonic, rustls, …: any target outside this crate) are
//! capped at `info`: their debug and trace output is hundreds of HTTP/2 frame lines per
//! request and would bury the provider's own.
//!
//! Unset means warn, not info: in a normal run Terraform throws provider output away unless
//! `TF_LOG` is set, so a quiet default costs nothing and keeps `--debug` sessions readable,
//! while warnings and errors still reach a user who runs the binary by hand.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The `@module` every line carries.
pub const MODULE: &str = "provider";

/// Where finished lines (each ending in `\n`) go. Called once per event with the whole line, so
/// a line is written by a single `write_all` and never interleaves with another.
pub type Sink = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// Crates whose events pass at every level (dependencies are capped at
/// [`DEPENDENCY_MAX_LEVEL`]). The framework is always one; a provider adds its own crates with
/// [`set_own_crates`] before the transport starts.
static OWN_CRATES: OnceLock<Vec<&'static str>> = OnceLock::new();

/// Declares the provider's own crates (tracing targets), e.g. `["my_provider", "my_client"]`.
/// Only the first call counts; call it before [`init`].
pub fn set_own_crates(crates: &[&'static str]) {
    let mut all = vec!["tfplugin"];
    all.extend_from_slice(crates);
    let _ = OWN_CRATES.set(all);
}

fn own_crates() -> &'static [&'static str] {
    OWN_CRATES.get_or_init(|| vec!["tfplugin"])
}

/// Installs the hclog JSON subscriber as the process-wide default, with the level chosen from
/// `TF_LOG_PROVIDER` / `TF_LOG` (see the module docs).
///
/// Idempotent: only the first call does anything. If another global subscriber was installed
/// before (for example by a test harness), that one stays and this call is a no-op.
pub fn init() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let level = level_from_values(
            std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
            std::env::var("TF_LOG").ok().as_deref(),
        );
        let subscriber = tracing_subscriber::registry().with(HclogLayer::new(level, stderr_sink()));
        // Err means a global default already exists; keeping it is the documented behaviour.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// The level filter for the given `TF_LOG_PROVIDER` and `TF_LOG` values (see the module docs).
pub fn level_from_values(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let chosen = match tf_log_provider.map(str::trim) {
        Some(v) if !v.is_empty() => Some(v),
        _ => tf_log.map(str::trim).filter(|v| !v.is_empty()),
    };
    let Some(value) = chosen else {
        return LevelFilter::WARN;
    };
    match value.to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        "OFF" => LevelFilter::OFF,
        _ => LevelFilter::TRACE,
    }
}

/// A sink writing whole lines to the process's stderr. Write errors are ignored: there is no
/// better place left to report them.
pub fn stderr_sink() -> Sink {
    Arc::new(|line: &[u8]| {
        let _ = std::io::stderr().lock().write_all(line);
    })
}

/// A sink collecting lines in memory (for tests and tools that inspect logs).
pub fn memory_sink() -> (Sink, Arc<Mutex<Vec<u8>>>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&buf);
    let sink: Sink = Arc::new(move |line: &[u8]| {
        if let Ok(mut b) = out.lock() {
            b.extend_from_slice(line);
        }
    });
    (sink, buf)
}

/// A `tracing` layer that turns each event into one hclog JSON line.
///
/// Keys: `@level`, `@message`, `@module`, `@timestamp`, then the fields of the event's spans
/// (outermost first) and of the event itself (later keys overwrite earlier ones with the same
/// name). A field whose name starts with `@` is renamed `field.<name>` so it cannot replace the
/// reserved keys, which go-plugin type-asserts.
pub struct HclogLayer {
    level: LevelFilter,
    dependency_level: LevelFilter,
    sink: Sink,
}

/// The most verbose level let through for targets outside this crate.
pub const DEPENDENCY_MAX_LEVEL: LevelFilter = LevelFilter::INFO;

impl HclogLayer {
    /// A layer emitting events at `level` and above into `sink` (dependencies: at most
    /// [`DEPENDENCY_MAX_LEVEL`]).
    pub fn new(level: LevelFilter, sink: Sink) -> Self {
        Self {
            level,
            dependency_level: level.min(DEPENDENCY_MAX_LEVEL),
            sink,
        }
    }

    /// Whether `target` (a tracing target, by default the module path) belongs to the
    /// framework or to a crate declared with [`set_own_crates`].
    fn is_own(target: &str) -> bool {
        own_crates().iter().any(|own| {
            target
                .strip_prefix(own)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
    }
}

/// Fields recorded on a span, kept in the span's extensions.
struct SpanFields(Map<String, Value>);

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let limit = if Self::is_own(metadata.target()) {
            self.level
        } else {
            self.dependency_level
        };
        limit >= *metadata.level()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut visitor = JsonVisitor::default();
        attrs.record(&mut visitor);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(visitor.fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut visitor = JsonVisitor::default();
        values.record(&mut visitor);
        let mut ext = span.extensions_mut();
        match ext.get_mut::<SpanFields>() {
            Some(existing) => existing.0.extend(visitor.fields),
            None => ext.insert(SpanFields(visitor.fields)),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(own) = span.extensions().get::<SpanFields>() {
                    fields.extend(own.0.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut visitor = JsonVisitor::default();
        event.record(&mut visitor);
        fields.extend(visitor.fields);
        let message = visitor.message.unwrap_or_default();
        let line = render_line(*event.metadata().level(), &message, fields);
        (self.sink)(&line);
    }
}

/// The hclog name of a level.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// One complete hclog JSON line (with the trailing newline) for a message at `level`, stamped
/// now, carrying `fields` after the reserved keys.
pub fn render_line(level: Level, message: &str, fields: Map<String, Value>) -> Vec<u8> {
    let mut obj = Map::with_capacity(fields.len() + 4);
    obj.insert("@level".into(), Value::String(level_name(level).into()));
    obj.insert("@message".into(), Value::String(message.into()));
    obj.insert("@module".into(), Value::String(MODULE.into()));
    obj.insert("@timestamp".into(), Value::String(timestamp_now()));
    for (k, v) in fields {
        let key = if k.starts_with('@') {
            format!("field.{k}")
        } else {
            k
        };
        obj.insert(key, v);
    }
    // Serialising a Map of strings/numbers/bools cannot fail; the fallback keeps the line valid.
    let mut line = serde_json::to_vec(&Value::Object(obj)).unwrap_or_else(|_| {
        br#"{"@level":"error","@message":"log line could not be serialised"}"#.to_vec()
    });
    line.push(b'\n');
    line
}

/// The current UTC time in Go's `2006-01-02T15:04:05.000000Z07:00` layout (microseconds, `Z`
/// for UTC), which go-plugin requires for `@timestamp`.
pub fn timestamp_now() -> String {
    format_timestamp(time::OffsetDateTime::now_utc())
}

/// `t` (converted to UTC) in Go's `2006-01-02T15:04:05.000000Z07:00` layout.
pub fn format_timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Replaces the panic hook with one that reports panics as an hclog `error` line (go-plugin
/// would otherwise log Rust's plain panic text at debug level); with `RUST_BACKTRACE` set the
/// previous hook runs too, for the backtrace. For the provider binary, not for libraries.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".to_owned());
        let mut fields = Map::new();
        if let Some(loc) = info.location() {
            fields.insert("location".into(), Value::String(loc.to_string()));
        }
        let line = render_line(Level::ERROR, &format!("panic: {payload}"), fields);
        let _ = std::io::stderr().lock().write_all(&line);
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            previous(info);
        }
    }));
}

/// Collects tracing fields as JSON values; the `message` field is kept apart.
#[derive(Default)]
struct JsonVisitor {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            self.message = Some(text);
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = serde_json::Number::from_f64(value)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(value.to_string()));
        self.put(field, v);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::Number(value.into()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::Number(value.into()));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        let v = i64::try_from(value)
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|_| Value::String(value.to_string()));
        self.put(field, v);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        let v = u64::try_from(value)
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|_| Value::String(value.to_string()));
        self.put(field, v);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.put(field, Value::String(text));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(level: LevelFilter, f: impl FnOnce()) -> Vec<Value> {
        let (sink, buf) = memory_sink();
        let subscriber = tracing_subscriber::registry().with(HclogLayer::new(level, sink));
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buf.lock().expect("buffer lock").clone();
        let text = String::from_utf8(bytes).expect("log output is UTF-8");
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "every line ends in a newline: {text:?}"
        );
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Checks the Go layout `2006-01-02T15:04:05.000000Z07:00` as produced for UTC.
    fn assert_go_timestamp(ts: &str) {
        let b = ts.as_bytes();
        assert_eq!(b.len(), 27, "timestamp length: {ts}");
        for (i, c) in b.iter().enumerate() {
            match i {
                4 | 7 => assert_eq!(*c, b'-', "{ts}"),
                10 => assert_eq!(*c, b'T', "{ts}"),
                13 | 16 => assert_eq!(*c, b':', "{ts}"),
                19 => assert_eq!(*c, b'.', "{ts}"),
                26 => assert_eq!(*c, b'Z', "{ts}"),
                _ => assert!(c.is_ascii_digit(), "{ts}"),
            }
        }
    }

    #[test]
    fn event_becomes_one_hclog_line_with_fields() {
        let lines = capture(LevelFilter::TRACE, || {
            let span = tracing::info_span!("rpc", method = "PlanResourceChange", attempt = 2u64);
            let _g = span.enter();
            tracing::debug!(
                resource = "harness_gitops_repository",
                ok = true,
                ratio = 0.5,
                "planned"
            );
        });
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        assert_eq!(l["@level"], "debug");
        assert_eq!(l["@message"], "planned");
        assert_eq!(l["@module"], "provider");
        assert_eq!(l["method"], "PlanResourceChange");
        assert_eq!(l["attempt"], 2);
        assert_eq!(l["resource"], "harness_gitops_repository");
        assert_eq!(l["ok"], true);
        assert_eq!(l["ratio"], 0.5);
        assert_go_timestamp(l["@timestamp"].as_str().expect("timestamp is a string"));
    }

    #[test]
    fn quotes_and_newlines_stay_on_one_valid_line() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::error!(
                detail = "a \"b\"\nc\\d\u{1}",
                "multi\nline \"quoted\" message"
            );
            tracing::warn!("second");
        });
        assert_eq!(lines.len(), 2, "two events, two lines");
        assert_eq!(lines[0]["@level"], "error");
        assert_eq!(lines[0]["@message"], "multi\nline \"quoted\" message");
        assert_eq!(lines[0]["detail"], "a \"b\"\nc\\d\u{1}");
        assert_eq!(lines[1]["@level"], "warn");
    }

    /// The hclog level names of one event at each level, as seen through `filter`.
    fn levels_through(filter: LevelFilter) -> Vec<String> {
        let lines = capture(filter, || {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        lines
            .iter()
            .map(|l| l["@level"].as_str().unwrap_or("?").to_owned())
            .collect()
    }

    #[test]
    fn level_filter_drops_lower_levels() {
        assert_eq!(levels_through(LevelFilter::WARN), ["warn", "error"]);
        assert!(capture(LevelFilter::OFF, || tracing::error!("x")).is_empty());
    }

    #[test]
    fn every_level_has_its_hclog_name() {
        assert_eq!(
            levels_through(LevelFilter::TRACE),
            ["trace", "debug", "info", "warn", "error"]
        );
    }

    #[test]
    fn dependencies_are_capped_at_info() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::debug!(target: "h2::codec", "frame");
            tracing::info!(target: "tonic::transport", "accepted");
            tracing::trace!(target: "tfplugin_other", "not ours");
            tracing::trace!(target: "tfplugin::server", "ours");
            tracing::trace!("this module");
        });
        let msgs: Vec<_> = lines
            .iter()
            .map(|l| l["@message"].as_str().unwrap_or("?").to_owned())
            .collect();
        assert_eq!(msgs, ["accepted", "ours", "this module"]);
    }

    #[test]
    fn reserved_keys_cannot_be_overwritten_by_fields() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::info!("@level" = 5, "@message" = "fake", "real");
        });
        assert_eq!(lines[0]["@level"], "info");
        assert_eq!(lines[0]["@message"], "real");
        assert_eq!(lines[0]["field.@level"], 5);
        assert_eq!(lines[0]["field.@message"], "fake");
    }

    #[test]
    fn span_fields_recorded_later_and_inner_spans_win() {
        let lines = capture(LevelFilter::TRACE, || {
            let outer = tracing::info_span!("outer", id = "o", status = tracing::field::Empty);
            let _o = outer.enter();
            outer.record("status", "late");
            let inner = tracing::info_span!("inner", id = "i");
            let _i = inner.enter();
            tracing::info!(n = -3i64, big = u128::MAX, "hello");
        });
        assert_eq!(lines[0]["id"], "i");
        assert_eq!(lines[0]["status"], "late");
        assert_eq!(lines[0]["n"], -3);
        assert_eq!(lines[0]["big"], u128::MAX.to_string());
    }

    #[test]
    fn errors_include_their_sources() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer failed")]
        struct Outer(#[source] std::io::Error);
        let err = Outer(std::io::Error::other("disk on fire"));
        let lines = capture(LevelFilter::TRACE, || {
            tracing::error!(error = &err as &(dyn std::error::Error + 'static), "boom");
        });
        assert_eq!(lines[0]["error"], "outer failed: disk on fire");
    }

    #[test]
    fn timestamp_uses_go_layout_in_utc() {
        let t = time::macros::datetime!(2026-11-27 17:10:32.123456789 +01:00);
        assert_eq!(format_timestamp(t), "2026-11-27T16:10:32.123456Z");
        assert_go_timestamp(&timestamp_now());
    }

    #[test]
    fn level_choice_follows_terraform_rules() {
        use LevelFilter as L;
        assert_eq!(level_from_values(None, None), L::WARN);
        assert_eq!(level_from_values(Some(""), Some("")), L::WARN);
        assert_eq!(level_from_values(None, Some("debug")), L::DEBUG);
        assert_eq!(level_from_values(Some("ERROR"), Some("TRACE")), L::ERROR);
        assert_eq!(level_from_values(Some(""), Some("INFO")), L::INFO);
        assert_eq!(level_from_values(None, Some("JSON")), L::TRACE);
        assert_eq!(level_from_values(None, Some("Off")), L::OFF);
        assert_eq!(level_from_values(None, Some("warn")), L::WARN);
        assert_eq!(level_from_values(None, Some("trace")), L::TRACE);
        assert_eq!(level_from_values(None, Some("loud")), L::TRACE);
    }
}
