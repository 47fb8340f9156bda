//! The go-plugin handshake: magic cookie, protocol negotiation, the stdout line, and the
//! reattach block of `--debug` mode [reference tfplugin6.md §2.1, §2.2, §2.7].

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// go-plugin's own protocol version, field 1 of the handshake line [go-plugin server.go L33].
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol major version this provider speaks.
pub const PROTOCOL_VERSION: u32 = 6;
/// The environment variable carrying Terraform's handshake cookie.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Terraform's (and OpenTofu's) cookie value [terraform internal/plugin6/serve.go].
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Whether the process was started by Terraform: the cookie variable holds the exact value.
pub fn magic_cookie_present() -> bool {
    std::env::var_os(MAGIC_COOKIE_KEY).is_some_and(|v| v == MAGIC_COOKIE_VALUE)
}

/// The client offered no protocol version this provider speaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Terraform offered plugin protocol version(s) {offered:?} (PLUGIN_PROTOCOL_VERSIONS) but this \
     provider speaks only protocol {PROTOCOL_VERSION}; use Terraform >= 0.15.4 or OpenTofu, which \
     speak protocol 6"
)]
pub struct ProtocolMismatch {
    /// The raw value of `PLUGIN_PROTOCOL_VERSIONS`.
    pub offered: String,
}

/// Picks the protocol version from `PLUGIN_PROTOCOL_VERSIONS` (comma-separated majors).
///
/// Absent or empty: the client did not say, so 6 (go-plugin servers then use their default
/// version [go-plugin server.go protocolVersion]). Entries that are not numbers are ignored, as
/// go-plugin does.
///
/// # Errors
/// [`ProtocolMismatch`] when the list is non-empty and does not contain 6.
pub fn negotiate_protocol(offered: Option<&str>) -> Result<u32, ProtocolMismatch> {
    let Some(list) = offered.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(PROTOCOL_VERSION);
    };
    let speaks_ours = list
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == PROTOCOL_VERSION);
    if speaks_ours {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(ProtocolMismatch {
            offered: list.to_owned(),
        })
    }
}

/// Where the provider listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// A unix domain socket at this path.
    Unix(PathBuf),
    /// A loopback TCP address.
    Tcp(SocketAddr),
}

impl ListenAddr {
    /// The go-plugin network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            ListenAddr::Unix(_) => "unix",
            ListenAddr::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for ListenAddr {
    /// The address as go-plugin writes it: the socket path, or `127.0.0.1:PORT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Unix(p) => write!(f, "{}", p.display()),
            ListenAddr::Tcp(a) => write!(f, "{a}"),
        }
    }
}

/// The handshake line, newline included: `1|6|NETWORK|ADDR|grpc|CERT`, where CERT is the server
/// certificate field (base64 without padding) or empty for plaintext [go-plugin server.go
/// L426-446]. The client splits on `|`, so an address containing `|` or a newline is refused by
/// the caller before this is printed.
pub fn handshake_line(addr: &ListenAddr, cert_field: &str) -> String {
    format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{}|{addr}|grpc|{cert_field}\n",
        addr.network()
    )
}

/// The `TF_REATTACH_PROVIDERS` JSON value for one provider served in debug mode.
///
/// `Test` is `true`: with `false` go-plugin leaves the negotiated version at 0 and Terraform
/// 1.11 treats the provider as protocol 5 and panics [go-plugin client.go L1005-L1020;
/// reference tfplugin6.md §2.7].
pub fn reattach_json(provider_address: &str, pid: u32, addr: &ListenAddr) -> String {
    let value = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": addr.network(), "String": addr.to_string() },
        }
    });
    value.to_string()
}

/// The block `--debug` prints on stdout: what to export in another shell to attach Terraform.
pub fn debug_instructions(provider_address: &str, pid: u32, addr: &ListenAddr) -> String {
    let json = reattach_json(provider_address, pid, addr);
    format!(
        "Provider {provider_address} started in debug mode (plaintext gRPC, {network} {addr}).\n\
         To attach Terraform or OpenTofu, run this in the shell where you run them:\n\
         \n\
         \texport TF_REATTACH_PROVIDERS={quoted}\n\
         \n\
         Terraform then talks to this process instead of starting the provider. Press Ctrl-C to stop it.\n",
        network = addr.network(),
        quoted = shell_single_quote(&json),
    )
}

/// `s` as one POSIX shell word in single quotes (a `'` inside becomes `'\''`).
pub fn shell_single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_picks_six_or_refuses() {
        assert_eq!(negotiate_protocol(None), Ok(6));
        assert_eq!(negotiate_protocol(Some("")), Ok(6));
        assert_eq!(negotiate_protocol(Some("5,6")), Ok(6));
        assert_eq!(negotiate_protocol(Some(" 6 ")), Ok(6));
        assert_eq!(negotiate_protocol(Some("x,6")), Ok(6));
        let err = negotiate_protocol(Some("4,5")).expect_err("no 6");
        assert_eq!(err.offered, "4,5");
        assert!(err.to_string().contains("\"4,5\""), "{err}");
        assert!(negotiate_protocol(Some("60")).is_err());
    }

    #[test]
    fn line_format() {
        let unix = ListenAddr::Unix("/tmp/x/plugin.sock".into());
        assert_eq!(
            handshake_line(&unix, ""),
            "1|6|unix|/tmp/x/plugin.sock|grpc|\n"
        );
        let tcp = ListenAddr::Tcp("127.0.0.1:10000".parse().expect("addr"));
        assert_eq!(
            handshake_line(&tcp, "MIIB"),
            "1|6|tcp|127.0.0.1:10000|grpc|MIIB\n"
        );
    }

    #[test]
    fn reattach_json_shape() {
        let addr = ListenAddr::Unix("/tmp/a'b/plugin.sock".into());
        let v: serde_json::Value =
            serde_json::from_str(&reattach_json("example.com/a/b", 42, &addr)).expect("json");
        let p = &v["example.com/a/b"];
        assert_eq!(p["Protocol"], "grpc");
        assert_eq!(p["ProtocolVersion"], 6);
        assert_eq!(p["Pid"], 42);
        assert_eq!(p["Test"], true);
        assert_eq!(p["Addr"]["Network"], "unix");
        assert_eq!(p["Addr"]["String"], "/tmp/a'b/plugin.sock");
        let block = debug_instructions("example.com/a/b", 42, &addr);
        assert!(
            block.contains(r"export TF_REATTACH_PROVIDERS='{"),
            "{block}"
        );
        assert!(block.contains(r"/tmp/a'\''b/plugin.sock"), "{block}");
    }
}
