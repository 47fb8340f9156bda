//! Shared by the client's tests: the emulator (`harness-gitops-emulator`) started in this test's
//! runtime, and a client for it.

use std::time::Duration;

use harness_gitops_client::{Client, ClientConfig, RetryBackoff, Secret};
use tokio_util::sync::CancellationToken;

/// The emulator's API key and account.
pub const KEY: &str = "emulator-test-key";
pub const ACCOUNT: &str = "acc_emu";

/// The emulator, in process on a free loopback port, and a client of it (2 retries, 20-200 ms
/// apart).
pub async fn start() -> (harness_gitops_emulator::Running, Client) {
    start_with(&[]).await
}

/// [`start`], with more emulator arguments (e.g. `--sync-delay 0s`).
pub async fn start_with(extra: &[&str]) -> (harness_gitops_emulator::Running, Client) {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        KEY,
        "--account-id",
        ACCOUNT,
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string());
    let config = match harness_gitops_emulator::cli::parse(args) {
        Ok(harness_gitops_emulator::cli::Command::Run(c)) => c,
        _ => panic!("emulator arguments"),
    };
    let running = harness_gitops_emulator::start(config)
        .await
        .expect("start harness-gitops-emulator");
    let client = Client::with_backoff(
        ClientConfig {
            endpoint: running.url(),
            account_id: ACCOUNT.into(),
            api_key: Secret::new(KEY),
            request_timeout: Duration::from_secs(30),
            max_retries: 2,
        },
        CancellationToken::new(),
        RetryBackoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
    )
    .expect("client");
    (running, client)
}
