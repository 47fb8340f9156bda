//! Starting and stopping the emulator: state loading, TLS, the accept loop, signals.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::store::{Snapshot, Store};
use crate::tls::CaMaterial;
use crate::{bootstrap, kubeconfig, tokens, Error};

/// How to run the emulator.
#[derive(Clone)]
pub struct Config {
    /// Loopback address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where to write the admin kubeconfig (mode 0600).
    pub kubeconfig_out: Option<PathBuf>,
    /// The admin bearer token (default: the persisted one, else a new random one).
    pub token: Option<String>,
    /// The state file (`--data`).
    pub data: Option<PathBuf>,
    /// Delay before the token controller fills a token Secret.
    pub token_delay: Duration,
    /// Delay added to every API request.
    pub latency: Duration,
    /// Access log on stderr.
    pub log_requests: bool,
    /// How often the GitOps agent runner ([`crate::agent`]) sends each installed agent's
    /// heartbeat (`--agent-heartbeat-interval`, default 1 s); zero disables the runner.
    pub agent_heartbeat_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            kubeconfig_out: None,
            token: None,
            data: None,
            token_delay: Duration::from_millis(500),
            latency: Duration::ZERO,
            log_requests: true,
            agent_heartbeat_interval: Duration::from_secs(1),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("kubeconfig_out", &self.kubeconfig_out)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("data", &self.data)
            .field("token_delay", &self.token_delay)
            .field("latency", &self.latency)
            .field("log_requests", &self.log_requests)
            .field("agent_heartbeat_interval", &self.agent_heartbeat_interval)
            .finish()
    }
}

/// A running emulator (in this process). Dropping it stops the server.
pub struct Handle {
    url: String,
    addr: SocketAddr,
    ca_pem: String,
    admin_token: String,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The GitOps agent runner (None when disabled).
    agent: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// `https://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA certificate (PEM) that signs the server certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A kubeconfig for the admin user (what `--kubeconfig-out` writes).
    pub fn admin_kubeconfig(&self) -> String {
        kubeconfig::render(
            &self.url,
            &self.ca_pem,
            "kube-api-emulator-admin",
            &self.admin_token,
            "default",
        )
    }

    /// Request counts by `"<verb> <resource>"` (what `GET /_emulator/requests` answers).
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.app.request_counts()
    }

    /// Stops accepting, lets open requests finish (at most two seconds) and returns.
    pub async fn shutdown(mut self) {
        self.stop_now();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(agent) = self.agent.take() {
            agent.abort();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn load_store(config: &Config) -> Result<(Store, bool), Error> {
    if let Some(path) = &config.data {
        match std::fs::read(path) {
            Ok(bytes) => {
                let snapshot: Snapshot = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
                let mut store = Store::from_snapshot(snapshot)
                    .map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
                if let Some(t) = &config.token {
                    store.admin_token = t.clone();
                }
                return Ok((store, false));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Data(format!("{}: {e}", path.display()))),
        }
    }
    let token = config.token.clone().unwrap_or_else(crate::util::new_token);
    Ok((Store::new(CaMaterial::generate()?, token), true))
}

/// Starts the emulator on the current tokio runtime and returns once it accepts connections.
pub async fn start(config: Config) -> Result<Handle, Error> {
    if !config.listen.ip().is_loopback() {
        return Err(Error::Config(format!(
            "{} is not a loopback address",
            config.listen
        )));
    }
    let (mut store, fresh) = load_store(&config)?;
    bootstrap::seed(&mut store, fresh);
    let tls = store.ca.server_config()?;
    let ca_pem = store.ca.cert_pem.clone();
    let admin_token = store.admin_token.clone();
    let pending = tokens::pending(&store);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::Io(format!("binding {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Io(e.to_string()))?;
    let url = format!("https://{addr}");
    let app = Arc::new(App::new(
        store,
        config.data.clone(),
        config.token_delay,
        config.latency,
        config.log_requests,
    ));
    let _ = app.address.set(addr.to_string());
    {
        let store = app.store();
        app.persist(&store).map_err(|e| Error::Data(e.message))?;
    }
    if let Some(path) = &config.kubeconfig_out {
        let k = kubeconfig::render(
            &url,
            &ca_pem,
            "kube-api-emulator-admin",
            &admin_token,
            "default",
        );
        kubeconfig::write(path, &k)
            .map_err(|e| Error::Io(format!("writing {}: {e}", path.display())))?;
    }
    for job in pending {
        tokens::schedule(app.clone(), job);
    }
    let agent = crate::agent::spawn(&app, config.agent_heartbeat_interval);
    let (stop, stop_rx) = oneshot::channel();
    let task = tokio::spawn(serve(
        listener,
        tokio_rustls::TlsAcceptor::from(tls),
        app.clone(),
        stop_rx,
    ));
    Ok(Handle {
        url,
        addr,
        ca_pem,
        admin_token,
        app,
        stop: Some(stop),
        task: Some(task),
        agent,
    })
}

async fn serve(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: Arc<App>,
    mut stop: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        eprintln!("kube-api-emulator: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let app = app.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                        Ok(Ok(s)) => s,
                        _ => return,
                    };
                    let svc = service_fn(move |req| {
                        let app = app.clone();
                        async move { Ok::<_, Infallible>(crate::app::handle(app, req, peer).await) }
                    });
                    let conn = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), svc)
                        .into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(2)) => {}
    }
}

/// Runs the emulator until SIGTERM or SIGINT: starts it, prints
/// `LISTENING https://127.0.0.1:PORT` as the first stdout line (flushed), then waits.
pub async fn run(config: Config) -> Result<(), Error> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::Io(e.to_string()))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::Io(e.to_string()))?;
    let handle = start(config.clone()).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "LISTENING {}", handle.url()).map_err(|e| Error::Io(e.to_string()))?;
        out.flush().map_err(|e| Error::Io(e.to_string()))?;
    }
    if let Some(p) = &config.kubeconfig_out {
        eprintln!("kube-api-emulator: kubeconfig written to {}", p.display());
    }
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    eprintln!("kube-api-emulator: stopping");
    handle.shutdown().await;
    Ok(())
}
