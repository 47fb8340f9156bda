//! The listening socket: a unix socket (default on unix) or loopback TCP, as go-plugin servers
//! do [go-plugin server.go serverListener_unix / serverListener_tcp; reference tfplugin6.md
//! §2.3].
//!
//! Binding uses `std` so it happens before any async runtime exists (fast start); the listener
//! is handed to tokio afterwards with [`Bound::into_async`].

use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

use super::handshake::ListenAddr;

/// How many random names to try before giving up on creating a socket or directory.
#[cfg_attr(not(unix), allow(dead_code))]
const NAME_ATTEMPTS: u32 = 16;

/// Errors while creating the listener.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT` are not a valid range.
    #[error(
        "invalid PLUGIN_MIN_PORT/PLUGIN_MAX_PORT ({0}); they must be port numbers with min <= max"
    )]
    PortRange(String),
    /// No port in the range could be bound.
    #[error("could not bind a TCP port on 127.0.0.1 between {min} and {max}: {last}")]
    NoFreePort {
        /// Lowest port tried.
        min: u16,
        /// Highest port tried.
        max: u16,
        /// The error for the last port tried.
        last: io::Error,
    },
    /// Creating the private socket directory or binding the socket failed.
    #[error("could not {what} {path}: {source}; set PLUGIN_UNIX_SOCKET_DIR (or TMPDIR) to a short writable directory, or TF_PLUGIN_TRANSPORT=tcp")]
    Unix {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// `PLUGIN_UNIX_SOCKET_GROUP` could not be applied.
    #[error("PLUGIN_UNIX_SOCKET_GROUP {group:?}: {reason}")]
    Group {
        /// The value given.
        group: String,
        /// What failed.
        reason: String,
    },
    /// The socket path cannot be written in the handshake line.
    #[error("socket path {0:?} contains '|' or a line break, which the handshake line cannot carry; choose another PLUGIN_UNIX_SOCKET_DIR or TMPDIR")]
    UnprintablePath(PathBuf),
}

/// Listener settings, from the environment go-plugin defines (plus `TF_PLUGIN_TRANSPORT`).
#[derive(Debug, Clone, Default)]
pub struct ListenSettings {
    /// `TF_PLUGIN_TRANSPORT=tcp`: use loopback TCP even on unix.
    pub tcp: bool,
    /// `PLUGIN_UNIX_SOCKET_DIR`: where to create the socket (else a fresh private temp dir).
    pub unix_socket_dir: Option<PathBuf>,
    /// `PLUGIN_UNIX_SOCKET_GROUP`: group name or gid to own the socket (mode 0660).
    pub unix_socket_group: Option<String>,
    /// `PLUGIN_MIN_PORT`.
    pub min_port: Option<String>,
    /// `PLUGIN_MAX_PORT`.
    pub max_port: Option<String>,
}

impl ListenSettings {
    /// Reads the settings from the process environment (empty values count as unset).
    pub fn from_env() -> Self {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Self {
            tcp: get("TF_PLUGIN_TRANSPORT").is_some_and(|v| v.trim().eq_ignore_ascii_case("tcp")),
            unix_socket_dir: std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            unix_socket_group: get("PLUGIN_UNIX_SOCKET_GROUP"),
            min_port: get("PLUGIN_MIN_PORT"),
            max_port: get("PLUGIN_MAX_PORT"),
        }
    }
}

/// A bound, not yet async, listener. Dropping it removes the socket file and the private
/// directory it created (never a directory it was given).
#[derive(Debug)]
pub struct Bound {
    /// The address to print in the handshake line.
    pub addr: ListenAddr,
    inner: StdListener,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum StdListener {
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener),
    Tcp(std::net::TcpListener),
}

/// Removes the socket file and our own temp directory when dropped.
#[derive(Debug, Default)]
pub struct Cleanup {
    socket: Option<PathBuf>,
    dir: Option<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(s) = self.socket.take() {
            let _ = std::fs::remove_file(s);
        }
        if let Some(d) = self.dir.take() {
            // remove_dir, not remove_dir_all: only an empty directory of ours goes.
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Binds the listener the settings ask for: unix socket on unix unless `tcp`, else TCP.
///
/// # Errors
/// [`ListenError`] describing what could not be created or bound.
pub fn bind(settings: &ListenSettings) -> Result<Bound, ListenError> {
    #[cfg(unix)]
    if !settings.tcp {
        return bind_unix(settings);
    }
    bind_tcp(settings)
}

fn bind_tcp(settings: &ListenSettings) -> Result<Bound, ListenError> {
    let (min, max) = port_range(settings.min_port.as_deref(), settings.max_port.as_deref())?;
    let mut last = io::Error::other("empty port range");
    for port in min..=max {
        match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(l) => {
                let addr =
                    l.local_addr()
                        .map_err(|e| ListenError::NoFreePort { min, max, last: e })?;
                l.set_nonblocking(true)
                    .map_err(|e| ListenError::NoFreePort { min, max, last: e })?;
                return Ok(Bound {
                    addr: ListenAddr::Tcp(addr),
                    inner: StdListener::Tcp(l),
                    cleanup: Cleanup::default(),
                });
            }
            Err(e) => last = e,
        }
    }
    Err(ListenError::NoFreePort { min, max, last })
}

/// The port range from `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT`. Both unset: `(0, 0)`, meaning any
/// free port. One unset: 1024 or 65535 stands in for it.
///
/// # Errors
/// [`ListenError::PortRange`] when a value is not a port number or min > max.
pub fn port_range(min: Option<&str>, max: Option<&str>) -> Result<(u16, u16), ListenError> {
    let parse = |v: &str| {
        v.trim()
            .parse::<u16>()
            .map_err(|e| ListenError::PortRange(format!("{v:?}: {e}")))
    };
    let (min, max) = match (min, max) {
        (None, None) => return Ok((0, 0)),
        (Some(a), None) => (parse(a)?, u16::MAX),
        (None, Some(b)) => (1024, parse(b)?),
        (Some(a), Some(b)) => (parse(a)?, parse(b)?),
    };
    if min > max {
        return Err(ListenError::PortRange(format!("min {min} > max {max}")));
    }
    Ok((min, max))
}

#[cfg(unix)]
fn bind_unix(settings: &ListenSettings) -> Result<Bound, ListenError> {
    use std::os::unix::fs::PermissionsExt;

    let mut cleanup = Cleanup::default();
    let dir = match &settings.unix_socket_dir {
        Some(d) => d.clone(),
        None => {
            let d = create_private_dir()?;
            cleanup.dir = Some(d.clone());
            d
        }
    };
    let mut attempt = 0;
    let (listener, path) = loop {
        let name = if cleanup.dir.is_some() {
            "plugin.sock".to_owned()
        } else {
            format!("plugin{:016x}", fastrand::u64(..))
        };
        let path = dir.join(name);
        match std::os::unix::net::UnixListener::bind(&path) {
            Ok(l) => break (l, path),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && attempt + 1 < NAME_ATTEMPTS => {
                attempt += 1
            }
            Err(source) => {
                return Err(ListenError::Unix {
                    what: "bind the plugin socket",
                    path,
                    source,
                })
            }
        }
    };
    cleanup.socket = Some(path.clone());
    let text = path.to_string_lossy();
    if text.contains(['|', '\n', '\r']) {
        return Err(ListenError::UnprintablePath(path));
    }
    let mode = match &settings.unix_socket_group {
        Some(group) => {
            let gid = resolve_group(group)?;
            std::os::unix::fs::chown(&path, None, Some(gid)).map_err(|e| ListenError::Group {
                group: group.clone(),
                reason: format!("chown {}: {e}", path.display()),
            })?;
            0o660
        }
        None => 0o600,
    };
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).map_err(|source| {
        ListenError::Unix {
            what: "set permissions on",
            path: path.clone(),
            source,
        }
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| ListenError::Unix {
            what: "configure",
            path: path.clone(),
            source,
        })?;
    Ok(Bound {
        addr: ListenAddr::Unix(path),
        inner: StdListener::Unix(listener),
        cleanup,
    })
}

/// Creates `$TMPDIR/tfplugin-<random>` with mode 0700.
#[cfg(unix)]
fn create_private_dir() -> Result<PathBuf, ListenError> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    let mut attempt = 0;
    loop {
        let path = base.join(format!("tfplugin-{:012x}", fastrand::u64(..) >> 16));
        match std::fs::DirBuilder::new().mode(0o700).create(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt + 1 < NAME_ATTEMPTS => {
                attempt += 1
            }
            Err(source) => {
                return Err(ListenError::Unix {
                    what: "create the private socket directory",
                    path,
                    source,
                })
            }
        }
    }
}

/// A gid from a number or a group name (looked up in `/etc/group`, which is what "simple"
/// covers: groups served only by NSS modules such as LDAP need a numeric gid).
#[cfg(unix)]
fn resolve_group(group: &str) -> Result<u32, ListenError> {
    if let Ok(gid) = group.trim().parse::<u32>() {
        return Ok(gid);
    }
    let err = |reason: String| ListenError::Group {
        group: group.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string("/etc/group")
        .map_err(|e| err(format!("cannot read /etc/group: {e}; give a numeric gid")))?;
    gid_from_group_file(&text, group.trim())
        .ok_or_else(|| err("no such group in /etc/group; give a numeric gid".into()))
}

/// The gid of `name` in `/etc/group` syntax (`name:password:gid:members`).
#[cfg_attr(not(unix), allow(dead_code))]
fn gid_from_group_file(text: &str, name: &str) -> Option<u32> {
    text.lines().find_map(|line| {
        let mut parts = line.split(':');
        (parts.next()? == name).then_some(())?;
        parts.nth(1)?.trim().parse().ok()
    })
}

impl Bound {
    /// Registers the listener with the current tokio runtime. The returned [`Cleanup`] must be
    /// kept alive while serving; dropping it removes the socket.
    ///
    /// # Errors
    /// The OS error if tokio cannot register the socket (called outside a runtime, or out of
    /// file descriptors).
    pub fn into_async(self) -> io::Result<(AsyncListener, Cleanup)> {
        let listener = match self.inner {
            #[cfg(unix)]
            StdListener::Unix(l) => AsyncListener::Unix(tokio::net::UnixListener::from_std(l)?),
            StdListener::Tcp(l) => AsyncListener::Tcp(tokio::net::TcpListener::from_std(l)?),
        };
        Ok((listener, self.cleanup))
    }
}

/// The listener once inside the runtime.
#[derive(Debug)]
pub enum AsyncListener {
    /// Unix domain socket.
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
    /// Loopback TCP.
    Tcp(tokio::net::TcpListener),
}

/// Any accepted byte stream.
pub trait IoStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> IoStream for T {}

/// A boxed accepted stream.
pub type BoxedIo = Pin<Box<dyn IoStream>>;

impl AsyncListener {
    /// Waits for the next connection (TCP gets `TCP_NODELAY`: gRPC messages are small and
    /// latency-bound).
    ///
    /// # Errors
    /// The OS accept error; the caller decides whether it is transient.
    pub async fn accept(&self) -> io::Result<BoxedIo> {
        match self {
            #[cfg(unix)]
            AsyncListener::Unix(l) => Ok(Box::pin(l.accept().await?.0)),
            AsyncListener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                // Best effort: a socket without NODELAY still works.
                let _ = s.set_nodelay(true);
                Ok(Box::pin(s))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn exists(path: &Path) -> bool {
        path.symlink_metadata().is_ok()
    }

    #[test]
    fn port_ranges() {
        assert_eq!(port_range(None, None).expect("none"), (0, 0));
        assert_eq!(
            port_range(Some("10000"), Some("25000")).expect("both"),
            (10000, 25000)
        );
        assert_eq!(
            port_range(Some("10000"), None).expect("min"),
            (10000, 65535)
        );
        assert!(port_range(Some("3"), Some("2")).is_err());
        assert!(port_range(Some("x"), Some("2")).is_err());
        assert!(port_range(Some("70000"), None).is_err());
    }

    #[test]
    fn group_file_lookup() {
        let text = "root:x:0:\nwheel:x:10:alice,bob\nbad\nharness:*:4242:\n";
        assert_eq!(gid_from_group_file(text, "wheel"), Some(10));
        assert_eq!(gid_from_group_file(text, "harness"), Some(4242));
        assert_eq!(gid_from_group_file(text, "nobody"), None);
        assert_eq!(gid_from_group_file(text, "bad"), None);
    }

    #[cfg(unix)]
    #[test]
    fn unix_socket_is_private_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let bound = bind(&ListenSettings::default()).expect("bind");
        let ListenAddr::Unix(path) = bound.addr.clone() else {
            panic!("expected unix")
        };
        let dir = path.parent().expect("dir").to_path_buf();
        let dir_mode = std::fs::metadata(&dir)
            .expect("dir meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        let sock_mode = std::fs::symlink_metadata(&path)
            .expect("sock meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(sock_mode, 0o600);
        drop(bound);
        assert!(!exists(&path), "socket removed");
        assert!(!exists(&dir), "private dir removed");
    }

    #[cfg(unix)]
    #[test]
    fn given_dir_is_kept_and_group_applied() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().expect("tempdir");
        let gid = std::fs::metadata(dir.path()).expect("meta").gid();
        let settings = ListenSettings {
            unix_socket_dir: Some(dir.path().to_path_buf()),
            unix_socket_group: Some(gid.to_string()),
            ..Default::default()
        };
        let bound = bind(&settings).expect("bind");
        let ListenAddr::Unix(path) = bound.addr.clone() else {
            panic!("expected unix")
        };
        assert_eq!(path.parent(), Some(dir.path()));
        let meta = std::fs::symlink_metadata(&path).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o660);
        assert_eq!(meta.gid(), gid);
        drop(bound);
        assert!(!exists(&path));
        assert!(exists(dir.path()), "a given directory is never removed");
    }

    #[test]
    fn tcp_binds_loopback_in_range() {
        let settings = ListenSettings {
            tcp: true,
            ..Default::default()
        };
        let bound = bind(&settings).expect("bind");
        let ListenAddr::Tcp(addr) = bound.addr else {
            panic!("expected tcp")
        };
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 0);
        let port = addr.port().to_string();
        // The same single-port range is now taken: binding must fail with a clear error.
        let taken = ListenSettings {
            tcp: true,
            min_port: Some(port.clone()),
            max_port: Some(port),
            ..Default::default()
        };
        let err = bind(&taken).expect_err("port is taken");
        assert!(err.to_string().contains("could not bind"), "{err}");
    }
}
