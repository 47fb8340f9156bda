//! The provider binary's go-plugin contract, tested by running the real binary with a cleared
//! environment and talking to it the way Terraform's go-plugin client does.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tfplugin::proto::plugin::grpc_broker_client::GrpcBrokerClient;
use tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin::proto::plugin::grpc_stdio_client::GrpcStdioClient;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-harness");
const COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);
/// Upper bound for anything the provider is expected to do (start, answer, exit).
const DEADLINE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Process handling
// ---------------------------------------------------------------------------------------------

/// A running provider process; killed on drop if still alive.
struct Provider {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // TMPDIR kept short and per-test-run so socket paths stay under the 108-byte limit.
    cmd.env("TMPDIR", std::env::temp_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Provider {
    spawn_command(command(args, env))
}

fn spawn_command(mut cmd: Command) -> Provider {
    let mut child = cmd.spawn().expect("spawn the provider binary");
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (etx, stderr_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut all);
        let _ = etx.send(all);
    });
    Provider {
        child,
        lines,
        stderr: stderr_rx,
    }
}

impl Provider {
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|e| panic!("no stdout line from the provider within {DEADLINE:?}: {e}"))
    }

    /// Waits (bounded) for the process to exit and returns its status.
    fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < within,
                "provider did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// All of stderr (only after the process exited).
    fn stderr_text(&self) -> String {
        self.stderr.recv_timeout(DEADLINE).expect("stderr closed")
    }

    /// Every stdout line still unread (only after the process exited).
    fn rest_of_stdout(&self) -> Vec<String> {
        let mut rest = Vec::new();
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(500)) {
            rest.push(l);
            assert!(rest.len() < 100, "runaway stdout");
        }
        rest
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(ok.success(), "kill {sig} failed");
    }
}

/// Runs the binary to completion (bounded) and returns (status, stdout, stderr).
fn run_to_end(args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, String, String) {
    let mut p = spawn(args, env);
    let status = p.wait_exit(DEADLINE);
    let out = p.rest_of_stdout().join("\n");
    (status, out, p.stderr_text())
}

// ---------------------------------------------------------------------------------------------
// Handshake line
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Addr {
    Unix(PathBuf),
    Tcp(String),
}

#[derive(Debug)]
struct Handshake {
    addr: Addr,
    cert: Option<Vec<u8>>,
}

fn parse_handshake(line: &str) -> Handshake {
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.len(), 6, "six fields: {line:?}");
    assert_eq!(parts[0], "1", "core protocol: {line:?}");
    assert_eq!(parts[1], "6", "app protocol: {line:?}");
    assert_eq!(parts[4], "grpc", "protocol: {line:?}");
    let addr = match parts[2] {
        "unix" => Addr::Unix(PathBuf::from(parts[3])),
        "tcp" => Addr::Tcp(parts[3].to_owned()),
        other => panic!("unknown network {other:?} in {line:?}"),
    };
    let cert = if parts[5].is_empty() {
        None
    } else {
        assert!(
            !parts[5].contains('='),
            "certificate field must not be padded: {line:?}"
        );
        Some(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(parts[5])
                .expect("certificate field is RawStdEncoding base64"),
        )
    };
    Handshake { addr, cert }
}

// ---------------------------------------------------------------------------------------------
// go-plugin-like client: certificates, TLS, connector
// ---------------------------------------------------------------------------------------------

/// A client identity made the way go-plugin's client makes it (mtls.go): ECDSA P-521,
/// CA:TRUE, CN/SAN localhost, EKU clientAuth + serverAuth.
struct ClientIdentity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    pem: String,
}

fn client_identity() -> ClientIdentity {
    use rcgen::{
        BasicConstraints, DnType, ExtendedKeyUsagePurpose as Eku, IsCa, KeyUsagePurpose as Ku,
    };
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "HashiCorp");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        Ku::DigitalSignature,
        Ku::KeyEncipherment,
        Ku::KeyAgreement,
        Ku::KeyCertSign,
    ];
    params.extended_key_usages = vec![Eku::ClientAuth, Eku::ServerAuth];
    let cert = params.self_signed(&key).expect("self-signed client cert");
    ClientIdentity {
        pem: cert.pem(),
        cert: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// Trusts exactly one server certificate (the one from the handshake line), as go-plugin's
/// client does by making it its only root.
#[derive(Debug)]
struct PinnedServer {
    cert: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "server certificate differs from the handshake line".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn client_tls(server_cert: &[u8], identity: Option<&ClientIdentity>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            cert: server_cert.to_vec(),
            provider,
        }));
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(
                vec![id.cert.clone()],
                PrivateKeyDer::Pkcs8(id.key.clone_key()),
            )
            .expect("client auth cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

async fn dial(
    addr: Addr,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> std::io::Result<TokioIo<Pin<Box<dyn Io>>>> {
    let raw: Pin<Box<dyn Io>> = match addr {
        Addr::Unix(p) => Box::pin(tokio::net::UnixStream::connect(p).await?),
        Addr::Tcp(a) => Box::pin(tokio::net::TcpStream::connect(a).await?),
    };
    let stream: Pin<Box<dyn Io>> = match tls {
        None => raw,
        Some(cfg) => {
            let name = ServerName::try_from("localhost").expect("server name");
            let tls = tokio_rustls::TlsConnector::from(cfg)
                .connect(name, raw)
                .await?;
            assert_eq!(
                tls.get_ref().1.alpn_protocol(),
                Some(&b"h2"[..]),
                "ALPN h2 negotiated"
            );
            Box::pin(tls)
        }
    };
    Ok(TokioIo::new(stream))
}

/// A gRPC channel to the provider over its unix socket or TCP port, optionally over TLS.
async fn channel(
    addr: &Addr,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, tonic::transport::Error> {
    let addr = addr.clone();
    Endpoint::from_static("http://localhost")
        .connect_timeout(DEADLINE)
        .timeout(DEADLINE)
        .connect_with_connector(tower::service_fn(move |_uri| {
            dial(addr.clone(), tls.clone())
        }))
        .await
}

async fn health(channel: Channel) -> Result<i32, tonic::Status> {
    let resp = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await?;
    Ok(resp.into_inner().status)
}

/// Connects and asks for the health of "plugin"; any failure (connect, TLS, RPC) is an Err.
async fn try_health(addr: &Addr, tls: Option<Arc<rustls::ClientConfig>>) -> Result<i32, String> {
    let ch = channel(addr, tls)
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    tokio::time::timeout(DEADLINE, health(ch))
        .await
        .map_err(|_| "health check timed out".to_owned())?
        .map_err(|s| format!("rpc: {s:?}"))
}

async fn shutdown_and_expect_prompt_exit(p: &mut Provider, ch: Channel) {
    let started = Instant::now();
    GrpcControllerClient::new(ch)
        .shutdown(tfplugin::proto::plugin::Empty {})
        .await
        .expect("Shutdown answers");
    let status = tokio::task::block_in_place(|| p.wait_exit(DEADLINE));
    assert!(status.success(), "exit status after Shutdown: {status:?}");
    eprintln!("exited {:?} after Shutdown was sent", started.elapsed());
}

fn serving() -> i32 {
    ServingStatus::Serving as i32
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn without_cookie_explains_and_exits_1() {
    let (status, out, err) = run_to_end(&[], &[]);
    assert_eq!(status.code(), Some(1), "stderr: {err}");
    assert!(out.is_empty(), "nothing on stdout, got {out:?}");
    for needle in [
        "plugin",
        "Terraform",
        "dev_overrides",
        "--version",
        "--debug",
    ] {
        assert!(
            err.contains(needle),
            "explanation mentions {needle:?}: {err}"
        );
    }
    // A wrong cookie value is the same as none.
    let (status, out, _) = run_to_end(&[], &[(COOKIE.0, "nope")]);
    assert_eq!(status.code(), Some(1));
    assert!(out.is_empty());
}

#[test]
fn version_and_help() {
    let (status, out, _) = run_to_end(&["--version"], &[]);
    assert!(status.success());
    assert!(
        out.starts_with(&format!(
            "terraform-provider-harness {}",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
    assert!(out.contains("protocol 6"), "{out}");
    let (status, out, _) = run_to_end(&["--help"], &[]);
    assert!(status.success());
    assert!(
        out.contains("--debug") && out.contains("dev_overrides"),
        "{out}"
    );
    let (status, out, err) = run_to_end(&["--bogus"], &[]);
    assert_eq!(status.code(), Some(2));
    assert!(out.is_empty() && err.contains("--bogus"), "{err}");
}

#[test]
fn protocol_5_only_is_refused_clearly() {
    let (status, out, err) = run_to_end(&[], &[COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", "5")]);
    assert_eq!(status.code(), Some(1), "stderr: {err}");
    assert!(out.is_empty(), "no handshake line: {out:?}");
    assert!(
        err.contains("\"5\"") && err.contains("protocol 6"),
        "names what was offered: {err}"
    );
}

#[test]
fn bad_client_cert_is_a_startup_error() {
    let (status, out, err) = run_to_end(
        &[],
        &[
            COOKIE,
            (
                "PLUGIN_CLIENT_CERT",
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            ),
        ],
    );
    assert_eq!(status.code(), Some(1), "stderr: {err}");
    assert!(out.is_empty(), "no handshake line: {out:?}");
    assert!(err.contains("PLUGIN_CLIENT_CERT"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_plaintext_handshake_health_and_cleanup() {
    let mut p = spawn(&[], &[COOKIE, ("PLUGIN_PROTOCOL_VERSIONS", "5,6")]);
    let line = p.next_line();
    let hs = parse_handshake(&line);
    assert!(
        hs.cert.is_none(),
        "plaintext without PLUGIN_CLIENT_CERT: {line}"
    );
    let Addr::Unix(path) = hs.addr.clone() else {
        panic!("unix socket by default: {line}")
    };
    assert!(path.is_absolute(), "{line}");
    let dir = path.parent().expect("socket dir").to_path_buf();
    assert!(path.exists() && dir.exists());

    let ch = channel(&hs.addr, None).await.expect("connect");
    assert_eq!(health(ch.clone()).await.expect("health"), serving());

    // Side services are mounted and answer Unimplemented from their stubs, not from the
    // router's fallback (which has an empty message).
    let stdio = GrpcStdioClient::new(ch.clone())
        .stream_stdio(())
        .await
        .expect_err("stdio not provided");
    assert_eq!(stdio.code(), tonic::Code::Unimplemented);
    assert!(
        !stdio.message().is_empty(),
        "GRPCStdio is mounted: {stdio:?}"
    );
    let broker = GrpcBrokerClient::new(ch.clone())
        .start_stream(tokio_stream::iter(Vec::new()))
        .await
        .expect_err("broker not provided");
    assert_eq!(broker.code(), tonic::Code::Unimplemented);
    assert!(
        !broker.message().is_empty(),
        "GRPCBroker is mounted: {broker:?}"
    );
    // The tfplugin6 Provider service is mounted (whatever it answers, it is not the fallback).
    match ProviderClient::new(ch.clone())
        .get_provider_schema(tfplugin::proto::tfplugin6::get_provider_schema::Request::default())
        .await
    {
        Ok(_) => {}
        Err(s) => assert!(
            !(s.code() == tonic::Code::Unimplemented && s.message().is_empty()),
            "tfplugin6.Provider is not routed: {s:?}"
        ),
    }

    shutdown_and_expect_prompt_exit(&mut p, ch).await;
    assert!(!path.exists(), "socket removed at exit");
    assert!(!dir.exists(), "private socket dir removed at exit");
    assert!(
        p.rest_of_stdout().is_empty(),
        "nothing on stdout after the handshake line"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_in_given_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_s = dir.path().to_str().expect("utf-8 dir").to_owned();
    let mut p = spawn(&[], &[COOKIE, ("PLUGIN_UNIX_SOCKET_DIR", &dir_s)]);
    let hs = parse_handshake(&p.next_line());
    let Addr::Unix(path) = hs.addr.clone() else {
        panic!("unix")
    };
    assert_eq!(path.parent(), Some(dir.path()));
    let ch = channel(&hs.addr, None).await.expect("connect");
    shutdown_and_expect_prompt_exit(&mut p, ch).await;
    assert!(!path.exists(), "socket removed");
    assert!(dir.path().exists(), "given dir kept");
}

/// Only the owner reaches the socket: the private directory is 0700 and the socket 0600 on
/// the shipped binary, set explicitly (the binary runs under `umask 000` here, which would
/// leave both open to everyone otherwise). The listener's unit tests check the function;
/// this checks the binary Terraform launches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_and_its_directory_are_owner_only_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", "umask 000 && exec \"$0\"", BIN])
        .env_clear()
        .env("TMPDIR", std::env::temp_dir())
        .env(COOKIE.0, COOKIE.1)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p = spawn_command(cmd);
    let hs = parse_handshake(&p.next_line());
    let Addr::Unix(path) = hs.addr.clone() else {
        panic!("unix socket by default")
    };
    let dir = path.parent().expect("socket dir");
    let mode = |p: &std::path::Path| {
        std::fs::symlink_metadata(p)
            .unwrap_or_else(|e| panic!("stat {}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    assert_eq!(mode(&path), 0o600, "{}", path.display());
    let ch = channel(&hs.addr, None).await.expect("the owner connects");
    assert_eq!(health(ch.clone()).await.expect("health"), serving());
    shutdown_and_expect_prompt_exit(&mut p, ch).await;
    assert!(!dir.exists(), "private socket dir removed at exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_handshake_within_port_range() {
    // Find a free port, then offer a small range starting there.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let (min, max) = (port.to_string(), port.saturating_add(20).to_string());
    let mut p = spawn(
        &[],
        &[
            COOKIE,
            ("TF_PLUGIN_TRANSPORT", "tcp"),
            ("PLUGIN_MIN_PORT", &min),
            ("PLUGIN_MAX_PORT", &max),
        ],
    );
    let line = p.next_line();
    let hs = parse_handshake(&line);
    let Addr::Tcp(a) = &hs.addr else {
        panic!("tcp: {line}")
    };
    let sa: std::net::SocketAddr = a.parse().expect("host:port");
    assert_eq!(sa.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert!((port..=port + 20).contains(&sa.port()), "{line}");
    let ch = channel(&hs.addr, None).await.expect("connect");
    assert_eq!(health(ch.clone()).await.expect("health"), serving());
    shutdown_and_expect_prompt_exit(&mut p, ch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automtls_accepts_only_the_pinned_client() {
    let id = client_identity();
    let mut p = spawn(
        &[],
        &[
            COOKIE,
            ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
            ("PLUGIN_CLIENT_CERT", &id.pem),
        ],
    );
    let line = p.next_line();
    let hs = parse_handshake(&line);
    let server_cert = hs
        .cert
        .clone()
        .expect("certificate field present with PLUGIN_CLIENT_CERT");

    // No client certificate: refused.
    let none = try_health(&hs.addr, Some(client_tls(&server_cert, None))).await;
    assert!(
        none.is_err(),
        "a client without a certificate must be refused, got {none:?}"
    );
    // Another certificate of the same shape: refused.
    let other = client_identity();
    let wrong = try_health(&hs.addr, Some(client_tls(&server_cert, Some(&other)))).await;
    assert!(
        wrong.is_err(),
        "a different client certificate must be refused, got {wrong:?}"
    );
    // Plaintext on a TLS listener: refused.
    let plain = try_health(&hs.addr, None).await;
    assert!(plain.is_err(), "plaintext must be refused, got {plain:?}");

    // The pinned P-521 certificate: accepted (and the refusals above did not hurt the server).
    let ok = try_health(&hs.addr, Some(client_tls(&server_cert, Some(&id)))).await;
    assert_eq!(ok, Ok(serving()));

    let ch = channel(&hs.addr, Some(client_tls(&server_cert, Some(&id))))
        .await
        .expect("connect");
    shutdown_and_expect_prompt_exit(&mut p, ch).await;

    // The refusals were the certificate checks, not some unrelated failure. (The client side
    // sees either the TLS alert or a closed connection, depending on timing, so the server's
    // warnings are what identify the reason.)
    let err = p.stderr_text();
    eprintln!("provider stderr:\n{err}");
    assert!(
        err.contains("peer sent no certificates"),
        "no-certificate refusal logged: {err}"
    );
    assert!(
        err.contains("not the one in PLUGIN_CLIENT_CERT"),
        "wrong-certificate refusal logged: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automtls_over_tls12_too() {
    let id = client_identity();
    let mut p = spawn(
        &[],
        &[
            COOKIE,
            ("PLUGIN_CLIENT_CERT", &id.pem),
            ("TF_PLUGIN_TRANSPORT", "tcp"),
        ],
    );
    let hs = parse_handshake(&p.next_line());
    let server_cert = hs.cert.clone().expect("cert");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("tls12")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            cert: server_cert,
            provider,
        }))
        .with_client_auth_cert(
            vec![id.cert.clone()],
            PrivateKeyDer::Pkcs8(id.key.clone_key()),
        )
        .expect("client cert");
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let cfg = Arc::new(cfg);
    assert_eq!(try_health(&hs.addr, Some(cfg.clone())).await, Ok(serving()));
    let ch = channel(&hs.addr, Some(cfg)).await.expect("connect");
    shutdown_and_expect_prompt_exit(&mut p, ch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_mode_ignores_sigint_and_stops_on_sigterm() {
    let mut p = spawn(&[], &[COOKIE]);
    let hs = parse_handshake(&p.next_line());
    let Addr::Unix(path) = hs.addr.clone() else {
        panic!("unix")
    };
    // The signal handlers are installed once the runtime is up: wait until it answers.
    assert_eq!(try_health(&hs.addr, None).await, Ok(serving()));
    p.signal("-INT");
    // Asserting that nothing happens needs a window: a real delay, not synchronisation.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        p.child.try_wait().expect("try_wait").is_none(),
        "SIGINT must be ignored under Terraform"
    );
    assert_eq!(try_health(&hs.addr, None).await, Ok(serving()));
    p.signal("-TERM");
    let status = tokio::task::block_in_place(|| p.wait_exit(DEADLINE));
    assert!(status.success(), "{status:?}");
    assert!(!path.exists(), "socket removed after SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_mode_prints_reattach_and_serves_plaintext() {
    // No cookie and a PLUGIN_CLIENT_CERT that must be ignored: reattach has no TLS.
    let id = client_identity();
    let mut p = spawn(
        &["--debug", "--provider-address", "example.com/acme/harness"],
        &[("PLUGIN_CLIENT_CERT", &id.pem)],
    );
    let mut export = None;
    for _ in 0..20 {
        let line = p.next_line();
        if let Some(rest) = line.trim().strip_prefix("export TF_REATTACH_PROVIDERS=") {
            export = Some(rest.to_owned());
            break;
        }
    }
    let quoted = export.expect("an export TF_REATTACH_PROVIDERS= line");
    let json = quoted
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .expect("single-quoted");
    let v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    let entry = &v["example.com/acme/harness"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], p.child.id());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let path = PathBuf::from(entry["Addr"]["String"].as_str().expect("address string"));
    let addr = Addr::Unix(path.clone());
    assert_eq!(try_health(&addr, None).await, Ok(serving()));
    // Ctrl-C stops a debug-mode provider.
    p.signal("-INT");
    let status = tokio::task::block_in_place(|| p.wait_exit(DEADLINE));
    assert!(status.success(), "{status:?}");
    assert!(!path.exists(), "socket removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_hclog_json_on_stderr() {
    let mut p = spawn(&[], &[COOKIE, ("TF_LOG", "DEBUG")]);
    let hs = parse_handshake(&p.next_line());
    assert_eq!(try_health(&hs.addr, None).await, Ok(serving()));
    p.signal("-TERM");
    assert!(p.wait_exit(DEADLINE).success());
    let err = p.stderr_text();
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {l}"))
        })
        .collect();
    assert!(!lines.is_empty(), "TF_LOG=DEBUG produces log lines");
    for l in &lines {
        assert!(l["@level"].is_string() && l["@message"].is_string(), "{l}");
        assert_eq!(l["@module"], "provider");
    }
    assert!(
        lines.iter().any(|l| l["@message"] == "plugin address"),
        "{err}"
    );
    // Default level: nothing in a normal run.
    let mut quiet = spawn(&[], &[COOKIE]);
    let hs = parse_handshake(&quiet.next_line());
    assert_eq!(try_health(&hs.addr, None).await, Ok(serving()));
    quiet.signal("-TERM");
    assert!(quiet.wait_exit(DEADLINE).success());
    assert_eq!(
        quiet.stderr_text(),
        "",
        "no stderr output at the default level"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_apply_in_flight_answer_with_its_state() {
    use tfplugin::proto::tfplugin6 as pb;
    use tfplugin::tf::codec::{decode_msgpack, encode_msgpack};
    use tfplugin::tf::{Type, Value};

    // Every API call takes 20 s: the update below is in flight when Shutdown arrives.
    let emu = harness_gitops_emulator::start_background_with_args([
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "k",
        "--account-id",
        "acc",
        "--latency",
        "20s",
    ])
    .expect("emulator");
    let mut p = spawn(&[], &[COOKIE]);
    let hs = parse_handshake(&p.next_line());
    let ch = channel(&hs.addr, None).await.expect("connect");
    let mut client = ProviderClient::new(ch.clone());
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request::default())
        .await
        .unwrap()
        .into_inner();
    let ty_of = |s: &pb::Schema| tfplugin::server::convert::implied_type(s).expect("wire schema");
    let pty = ty_of(schema.provider.as_ref().unwrap());
    let rty = ty_of(&schema.resource_schemas["harness_gitops_repository"]);
    let mut cfg = match &pty {
        Type::Object(m) => Value::Object(m.keys().map(|k| (k.clone(), Value::Null)).collect()),
        _ => unreachable!(),
    };
    cfg.set_attr("endpoint", Value::string(emu.url()));
    cfg.set_attr("account_id", "acc".into());
    cfg.set_attr("api_key", "k".into());
    let dv = |v: &Value, t: &Type| {
        Some(pb::DynamicValue {
            msgpack: encode_msgpack(v, t).unwrap(),
            json: vec![],
        })
    };
    let r = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dv(&cfg, &pty),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let mut prior = match &rty {
        Type::Object(m) => Value::Object(m.keys().map(|k| (k.clone(), Value::Null)).collect()),
        _ => unreachable!(),
    };
    for (k, v) in [
        ("id", "account.a/r1"),
        ("identifier", "r1"),
        ("agent_id", "account.a"),
        ("url", "https://github.com/a/b.git"),
        ("name", "before"),
        ("type", "git"),
        ("connection_type", "HTTPS_ANONYMOUS"),
    ] {
        prior.set_attr(k, v.into());
    }
    for k in [
        "insecure",
        "insecure_ignore_host_key",
        "enable_lfs",
        "enable_oci",
        "force_http_basic_auth",
        "upsert",
        "creds_only",
        "force_delete",
    ] {
        prior.set_attr(k, false.into());
    }
    let mut planned = prior.clone();
    planned.set_attr("name", "after".into());
    let mut apply_client = client.clone();
    let (prior_dv, planned_dv) = (dv(&prior, &rty), dv(&planned, &rty));
    let apply = tokio::spawn(async move {
        apply_client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: "harness_gitops_repository".into(),
                prior_state: prior_dv.clone(),
                planned_state: planned_dv.clone(),
                config: planned_dv,
                ..Default::default()
            })
            .await
    });
    // Shutdown once the update is in flight: the emulator counts it on arrival.
    let http = reqwest::Client::new();
    let in_flight = Instant::now();
    loop {
        let counters: serde_json::Value = http
            .get(format!("{}/_emulator/requests", emu.url()))
            .header("x-api-key", "k")
            .send()
            .await
            .expect("emulator counters")
            .json()
            .await
            .expect("counters json");
        if counters["requests"]["repositories.update"]
            .as_u64()
            .unwrap_or(0)
            > 0
        {
            break;
        }
        assert!(
            in_flight.elapsed() < DEADLINE,
            "the update never reached the emulator: {counters}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    GrpcControllerClient::new(ch)
        .shutdown(tfplugin::proto::plugin::Empty {})
        .await
        .expect("Shutdown answers");
    let answer = tokio::time::timeout(DEADLINE, apply)
        .await
        .expect("the apply answers")
        .unwrap()
        .expect("the apply's response reaches the client before the process exits")
        .into_inner();
    eprintln!("apply answered {:?} after Shutdown", started.elapsed());
    assert!(
        answer.diagnostics.iter().any(|d| d
            .detail
            .contains("cancelled because the provider is stopping")),
        "{:?}",
        answer.diagnostics
    );
    let state = decode_msgpack(&answer.new_state.expect("a state").msgpack, &rty).unwrap();
    assert_eq!(
        state.attr("name"),
        &Value::string("before"),
        "the interrupted update keeps the prior state"
    );
    let status = tokio::task::block_in_place(|| p.wait_exit(DEADLINE));
    assert!(status.success(), "{status:?}");
}
