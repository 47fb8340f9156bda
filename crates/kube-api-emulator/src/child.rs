//! Running the emulator binary as a child process, for other crates' tests.
//!
//! ```no_run
//! use kube_api_emulator::child::{ChildEmulator, SpawnOptions};
//! let emu = ChildEmulator::spawn(SpawnOptions::default()).expect("start the emulator");
//! println!("{} {}", emu.url(), emu.kubeconfig_path().display());
//! // KUBECONFIG=<kubeconfig_path> kubectl get ns ... ; the child is killed on drop.
//! ```
//!
//! The binary is found through `KUBE_API_EMULATOR_BIN`, else next to the running test
//! executable (`target/<profile>/kube-api-emulator`, which a workspace-wide `cargo test` or
//! `cargo nextest run` builds; otherwise run `cargo build -p kube-api-emulator` first).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How to start the child.
#[derive(Debug, Clone, Default)]
pub struct SpawnOptions {
    /// The binary (default: [`binary_path`]).
    pub binary: Option<PathBuf>,
    /// The admin token, passed through the environment (default: none given, so the child
    /// keeps the one in `data` or makes a new one; it is read back from the kubeconfig).
    pub token: Option<String>,
    /// `--data FILE`.
    pub data: Option<PathBuf>,
    /// `--token-delay` (default: the binary's, 500ms).
    pub token_delay: Option<Duration>,
    /// `--latency`.
    pub latency: Option<Duration>,
    /// `--listen` (default 127.0.0.1:0).
    pub listen: Option<String>,
    /// Where to write the kubeconfig (default: a new private temporary directory, removed
    /// when the handle is dropped).
    pub kubeconfig_out: Option<PathBuf>,
    /// Suppress the child's access log.
    pub quiet: bool,
}

/// The emulator binary: `KUBE_API_EMULATOR_BIN`, else `kube-api-emulator` in the directory
/// of the current executable or its parent (test executables live in `target/<profile>/deps`).
pub fn binary_path() -> std::io::Result<PathBuf> {
    if let Some(p) = std::env::var_os("KUBE_API_EMULATOR_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent().map(Path::to_path_buf);
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join("kube-api-emulator");
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "kube-api-emulator binary not found next to the test executable: build it with `cargo build -p kube-api-emulator` or set KUBE_API_EMULATOR_BIN",
    ))
}

/// A running emulator child process; killed (SIGKILL) when dropped unless stopped first.
#[derive(Debug)]
pub struct ChildEmulator {
    child: Child,
    url: String,
    kubeconfig_path: PathBuf,
    admin_token: String,
    ca_pem: String,
    temp_dir: Option<PathBuf>,
}

fn fmt_duration(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

impl ChildEmulator {
    /// Starts the binary and waits (at most 60 s) for its `LISTENING` line.
    pub fn spawn(opts: SpawnOptions) -> std::io::Result<Self> {
        let binary = match &opts.binary {
            Some(b) => b.clone(),
            None => binary_path()?,
        };
        let (kubeconfig_path, temp_dir) = match &opts.kubeconfig_out {
            Some(p) => (p.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "kube-api-emulator-{}-{:016x}",
                    std::process::id(),
                    fastrand::u64(..)
                ));
                std::fs::create_dir_all(&dir)?;
                (dir.join("kubeconfig"), Some(dir))
            }
        };
        let mut cmd = Command::new(&binary);
        cmd.arg("--kubeconfig-out").arg(&kubeconfig_path);
        cmd.arg("--listen")
            .arg(opts.listen.as_deref().unwrap_or("127.0.0.1:0"));
        if let Some(d) = &opts.data {
            cmd.arg("--data").arg(d);
        }
        if let Some(d) = opts.token_delay {
            cmd.arg("--token-delay").arg(fmt_duration(d));
        }
        if let Some(d) = opts.latency {
            cmd.arg("--latency").arg(fmt_duration(d));
        }
        if opts.quiet {
            cmd.arg("--quiet");
        }
        // A token goes through the environment, not the command line (visible in ps).
        match &opts.token {
            Some(t) => cmd.env("KUBE_API_EMULATOR_TOKEN", t),
            None => cmd.env_remove("KUBE_API_EMULATOR_TOKEN"),
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().map_err(|e| {
            std::io::Error::new(e.kind(), format!("starting {}: {e}", binary.display()))
        })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line.clone());
            let _ = tx.send(first);
            // Keep draining so the child never blocks on a full pipe.
            let mut sink = String::new();
            while matches!(reader.read_line(&mut sink), Ok(n) if n > 0) {
                sink.clear();
            }
        });
        let fail = |child: &mut Child, msg: String| {
            let _ = child.kill();
            let _ = child.wait();
            std::io::Error::other(msg)
        };
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(l)) => l,
            Ok(Err(e)) => {
                return Err(fail(
                    &mut child,
                    format!("reading the emulator's stdout: {e}"),
                ))
            }
            Err(_) => {
                return Err(fail(
                    &mut child,
                    "the emulator printed no LISTENING line within 60s".into(),
                ))
            }
        };
        let Some(url) = line.trim().strip_prefix("LISTENING ").map(str::to_owned) else {
            return Err(fail(
                &mut child,
                format!("unexpected first line from the emulator: {line:?}"),
            ));
        };
        let kubeconfig = std::fs::read_to_string(&kubeconfig_path)?;
        let ca_pem = crate::kubeconfig::ca_pem_of(&kubeconfig).ok_or_else(|| {
            std::io::Error::other("the kubeconfig has no certificate-authority-data")
        })?;
        let admin_token = crate::kubeconfig::token_of(&kubeconfig)
            .ok_or_else(|| std::io::Error::other("the kubeconfig has no token"))?;
        Ok(Self {
            child,
            url,
            kubeconfig_path,
            admin_token,
            ca_pem,
            temp_dir,
        })
    }

    /// `https://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin kubeconfig the child wrote.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The emulator CA (PEM), to trust in an HTTP client.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits (at most 10 s) for a clean exit; returns whether it exited 0.
    pub fn terminate(&mut self) -> bool {
        // SAFETY: kill(2) on our own child's pid with a valid signal number.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        for _ in 0..200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        false
    }
}

impl Drop for ChildEmulator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
        if let Some(d) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
