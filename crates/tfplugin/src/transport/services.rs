//! The gRPC server: the provider routes plus go-plugin's side services, served over the
//! listener with or without TLS, until a shutdown request.
//!
//! Side services [reference tfplugin6.md §2.5]:
//! * `plugin.GRPCController/Shutdown`: go-plugin's `Kill()` calls it, then waits up to 2 s for
//!   the process to exit before killing it; Terraform starts providers several times per
//!   command, so answering it and exiting promptly matters.
//! * `grpc.health.v1.Health`, service `"plugin"` SERVING, as go-plugin's Go servers register.
//! * `plugin.GRPCStdio`, `plugin.GRPCBroker`: answer `Unimplemented`, which the client ignores.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use super::conn::Conn;
use super::listener::AsyncListener;
use crate::proto::plugin::grpc_broker_server::{GrpcBroker, GrpcBrokerServer};
use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use crate::proto::plugin::Empty;

/// How long in-flight requests get to finish once shutdown is requested before the server
/// stops anyway. go-plugin kills the process 2 s after `Shutdown`; operations in flight see
/// their stop token cancelled at once and answer with the state they reached well within this.
/// With nothing in flight the server stops at once.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// How long a client gets to complete the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after an accept error that is not about a single connection (e.g. out of file
/// descriptors), so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// `plugin.GRPCController`: `Shutdown` answers, then cancels the server's token.
#[derive(Debug, Clone)]
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that cancels `shutdown` when asked to stop.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _req: tonic::Request<Empty>,
    ) -> Result<tonic::Response<Empty>, tonic::Status> {
        tracing::debug!("shutdown requested by the plugin client");
        // Graceful shutdown lets this response go out before connections close.
        self.shutdown.cancel();
        Ok(tonic::Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio` and `plugin.GRPCBroker` with the generated `Unimplemented` answers: the
/// provider logs to stderr and never uses the broker.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotProvided;

impl GrpcStdio for NotProvided {}
impl GrpcBroker for NotProvided {}

/// `provider` plus the side services, with `shutdown` cancelled by `GRPCController/Shutdown`.
pub async fn plugin_routes(provider: Routes, shutdown: CancellationToken) -> Routes {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    provider
        .add_service(GrpcControllerServer::new(Controller::new(shutdown)))
        .add_service(health)
        .add_service(GrpcStdioServer::new(NotProvided))
        .add_service(GrpcBrokerServer::new(NotProvided))
}

/// Serves `routes` on `listener` (TLS when `tls` is given) until `shutdown` is cancelled, then
/// gives in-flight requests [`SHUTDOWN_GRACE`] to finish.
///
/// # Errors
/// The tonic transport error if the server itself fails.
pub async fn run(
    listener: AsyncListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    routes: Routes,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    // Connections go through a channel so a slow TLS handshake never blocks accepting others.
    let (tx, rx) = mpsc::channel::<Conn>(16);
    let acceptor = tokio::spawn(accept_loop(
        listener,
        tls.map(tokio_rustls::TlsAcceptor::from),
        tx,
    ));
    let server = tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(
            ReceiverStream::new(rx).map(Ok::<_, std::io::Error>),
            shutdown.clone().cancelled_owned(),
        );
    tokio::pin!(server);
    let result = tokio::select! {
        r = &mut server => r,
        () = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::debug!("connections still open after the shutdown grace period; stopping anyway");
            Ok(())
        }
    };
    acceptor.abort();
    result
}

async fn accept_loop(
    listener: AsyncListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tx: mpsc::Sender<Conn>,
) {
    loop {
        let io = match listener.accept().await {
            Ok(io) => io,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                if !is_per_connection(&e) {
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                }
                continue;
            }
        };
        let Some(acceptor) = tls.clone() else {
            if tx.send(Conn::new(io)).await.is_err() {
                return; // the server stopped
            }
            continue;
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io)).await {
                Ok(Ok(stream)) => {
                    let _ = tx.send(Conn::new(Box::pin(stream))).await;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "TLS handshake with a plugin client failed")
                }
                Err(_) => tracing::warn!("TLS handshake with a plugin client timed out"),
            }
        });
    }
}

fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionAborted
            | K::ConnectionReset
            | K::BrokenPipe
            | K::Interrupted
            | K::WouldBlock
            | K::TimedOut
    )
}
