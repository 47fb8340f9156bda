//! `harness-gitops-emulator`: a local emulator of the Harness GitOps REST API.
//! See `harness-gitops-emulator --help` and the `harness_gitops_emulator` crate docs.

use std::process::ExitCode;

use harness_gitops_emulator::{self as emulator, cli};

fn main() -> ExitCode {
    let config = match cli::parse(std::env::args().skip(1)) {
        Ok(cli::Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(cli::Command::Run(config)) => config,
        Err(e) => {
            eprintln!(
                "harness-gitops-emulator: {e}\nRun `harness-gitops-emulator --help` for usage."
            );
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("harness-gitops-emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(emulator::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("harness-gitops-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
