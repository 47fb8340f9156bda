//! The go-plugin contract: handshake, listener, AutoMTLS, side services, shutdown.
//!
//! [`serve`] is the whole life of a provider process after argument parsing:
//!
//! 1. negotiate protocol 6 from `PLUGIN_PROTOCOL_VERSIONS` (managed mode);
//! 2. when `PLUGIN_CLIENT_CERT` is set (managed mode), parse it and generate the server
//!    certificate ([`tls`]); without it (Terraform's `TF_DISABLE_PLUGIN_TLS`) or in debug mode,
//!    serve plaintext;
//! 3. bind a unix socket, or loopback TCP with `TF_PLUGIN_TRANSPORT=tcp` / off unix
//!    ([`listener`]);
//! 4. print the one handshake line on stdout (or the `TF_REATTACH_PROVIDERS` block in debug
//!    mode) and flush — nothing before it allocates a runtime, so the line comes out fast;
//! 5. start logging, build the routes and a single-threaded tokio runtime, and serve until
//!    `plugin.GRPCController/Shutdown`, SIGTERM, or (debug mode only) SIGINT;
//! 6. remove the socket (and its private directory).
//!
//! SIGINT is ignored in managed mode, as go-plugin servers do [go-plugin server.go "Eat the
//! interrupts"]: Ctrl-C in a terminal reaches the whole process group, and Terraform answers it
//! by calling `StopProvider` and letting running operations finish; a provider that died on
//! SIGINT would lose the results of resources being created.

pub mod conn;
pub mod handshake;
pub mod listener;
pub mod services;
pub mod tls;

use std::io::Write as _;

use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use handshake::ListenAddr;
use listener::ListenSettings;

/// How the process was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Started by Terraform/OpenTofu (the magic cookie was checked by the caller).
    Managed,
    /// `--debug`: plaintext, reattach instructions on stdout, stop on Ctrl-C.
    Debug {
        /// The `TF_REATTACH_PROVIDERS` key, e.g. `registry.terraform.io/acme/widget`.
        provider_address: String,
    },
}

/// Why the provider could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No common protocol version.
    #[error(transparent)]
    Protocol(#[from] handshake::ProtocolMismatch),
    /// The listener could not be created.
    #[error(transparent)]
    Listen(#[from] listener::ListenError),
    /// AutoMTLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The handshake could not be written to stdout.
    #[error("could not write the handshake to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    /// The async runtime or the listener registration failed.
    #[error("could not start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The gRPC server failed.
    #[error("the gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
}

/// Runs the provider process: handshake, serve `make_routes(stop)` (the tfplugin6 Provider
/// service, e.g. [`crate::server::provider_routes`]) plus go-plugin's side services, and return
/// once shut down, with the socket removed. `make_routes` is called after the handshake line is
/// out; `stop` is cancelled when shutdown begins, so operations in flight wind down and
/// answer (with the state they reached) within the shutdown grace period.
///
/// Reads `PLUGIN_PROTOCOL_VERSIONS`, `PLUGIN_CLIENT_CERT`, `PLUGIN_UNIX_SOCKET_DIR`,
/// `PLUGIN_UNIX_SOCKET_GROUP`, `PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT`, `TF_PLUGIN_TRANSPORT`.
/// The caller checks the magic cookie first ([`handshake::magic_cookie_present`]).
///
/// # Errors
/// [`TransportError`]: protocol mismatch, bad `PLUGIN_CLIENT_CERT`, listener or TLS setup
/// failure, stdout closed, or a server failure. Messages say what to change.
pub fn serve(
    mode: Mode,
    make_routes: impl FnOnce(CancellationToken) -> Routes,
) -> Result<(), TransportError> {
    let debug = matches!(mode, Mode::Debug { .. });
    let tls_setup = if debug {
        None
    } else {
        handshake::negotiate_protocol(std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref())?;
        match std::env::var("PLUGIN_CLIENT_CERT")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            Some(pem) => Some((
                tls::parse_client_certs(&pem)?,
                tls::generate_server_identity()?,
            )),
            None => None,
        }
    };
    let bound = listener::bind(&ListenSettings::from_env())?;
    let cert_field = tls_setup
        .as_ref()
        .map(|(_, id)| id.handshake_field())
        .unwrap_or_default();
    let announcement = match &mode {
        Mode::Managed => handshake::handshake_line(&bound.addr, &cert_field),
        Mode::Debug { provider_address } => {
            handshake::debug_instructions(provider_address, std::process::id(), &bound.addr)
        }
    };
    write_stdout(&announcement)?;

    crate::logging::init();
    log_start(&bound.addr, tls_setup.is_some());
    let tls_config = match tls_setup {
        Some((pinned, identity)) => Some(tls::server_config(identity, pinned)?),
        None => None,
    };
    let shutdown = CancellationToken::new();
    let provider = make_routes(shutdown.child_token());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(TransportError::Runtime)?;
    let result = runtime.block_on(async move {
        let (listener, cleanup) = bound.into_async().map_err(TransportError::Runtime)?;
        tokio::spawn(watch_signals(shutdown.clone(), debug));
        let routes = services::plugin_routes(provider, shutdown.clone()).await;
        let served = services::run(listener, tls_config, routes, shutdown).await;
        drop(cleanup);
        served.map_err(TransportError::from)
    });
    // Tasks still running (open connections) are dropped, not awaited.
    runtime.shutdown_background();
    tracing::debug!("provider stopped");
    result
}

fn write_stdout(text: &str) -> Result<(), TransportError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(TransportError::Stdout)
}

fn log_start(addr: &ListenAddr, tls: bool) {
    tracing::debug!(
        network = addr.network(),
        address = %addr,
        tls,
        version = env!("CARGO_PKG_VERSION"),
        "plugin address"
    );
}

/// Cancels `shutdown` on SIGTERM, and on SIGINT in debug mode only (see the module docs).
async fn watch_signals(shutdown: CancellationToken, debug: bool) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "could not install signal handlers; the process stops only on Shutdown");
                return;
            }
        };
        let mut count = 0u64;
        loop {
            tokio::select! {
                _ = term.recv() => {
                    tracing::debug!("SIGTERM received, shutting down");
                    break;
                }
                _ = int.recv() => {
                    if debug {
                        tracing::info!("interrupt received, shutting down");
                        break;
                    }
                    count += 1;
                    tracing::trace!(count, "plugin received interrupt signal, ignoring");
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        let mut count = 0u64;
        while tokio::signal::ctrl_c().await.is_ok() {
            if debug {
                break;
            }
            count += 1;
            tracing::trace!(count, "plugin received interrupt signal, ignoring");
        }
        if !debug {
            std::future::pending::<()>().await;
        }
    }
    shutdown.cancel();
}

/// A provider served from a thread of this process, for tests: Terraform attaches to it with
/// `TF_REATTACH_PROVIDERS` ([`InProcess::reattach`]) instead of starting a binary, as
/// terraform-plugin-testing does. Plaintext on a private unix socket (loopback TCP elsewhere).
/// Stops when dropped.
pub struct InProcess {
    reattach: String,
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InProcess {
    /// The `TF_REATTACH_PROVIDERS` value naming this provider.
    pub fn reattach(&self) -> &str {
        &self.reattach
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `make_routes(stop)` in process under `provider_address` (e.g.
/// `registry.terraform.io/acme/widget`); returns once it accepts connections.
///
/// # Errors
/// The listener could not be bound or the runtime could not start.
pub fn serve_in_process(
    provider_address: &str,
    make_routes: impl FnOnce(CancellationToken) -> Routes + Send + 'static,
) -> std::io::Result<InProcess> {
    let bound = listener::bind(&ListenSettings::default()).map_err(std::io::Error::other)?;
    let reattach = handshake::reattach_json(provider_address, std::process::id(), &bound.addr);
    let stop = CancellationToken::new();
    let shutdown = stop.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
    let thread = std::thread::Builder::new()
        .name("tfplugin-in-process".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let (listener, cleanup) = match bound.into_async() {
                    Ok(x) => x,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let provider = make_routes(shutdown.child_token());
                let routes = services::plugin_routes(provider, shutdown.clone()).await;
                let _ = ready_tx.send(Ok(()));
                if let Err(e) = services::run(listener, None, routes, shutdown).await {
                    tracing::error!(error = %e, "in-process provider stopped with an error");
                }
                drop(cleanup);
            });
        })?;
    ready_rx.recv().unwrap_or_else(|_| {
        Err(std::io::Error::other(
            "the provider thread ended before serving",
        ))
    })?;
    Ok(InProcess {
        reattach,
        stop,
        thread: Some(thread),
    })
}
