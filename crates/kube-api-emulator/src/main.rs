//! `kube-api-emulator`: a local Kubernetes API server emulator. See `--help` and the
//! `kube_api_emulator` crate docs.

use std::process::ExitCode;

use kube_api_emulator::cli;

fn main() -> ExitCode {
    let config = match cli::parse(std::env::args().skip(1)) {
        Ok(cli::Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(cli::Command::Run(config)) => config,
        Err(e) => {
            eprintln!("kube-api-emulator: {e}\nRun `kube-api-emulator --help` for usage.");
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
            eprintln!("kube-api-emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(kube_api_emulator::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kube-api-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
