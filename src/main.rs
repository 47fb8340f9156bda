//! `terraform-provider-harness`: the Terraform/OpenTofu provider process.
//!
//! Terraform runs it with no arguments and the go-plugin environment; see
//! `tfprovider_harness::transport` for what happens then. By hand: `--version`, `--help`,
//! `--debug [--provider-address ADDR]`.

use std::ffi::OsString;
use std::process::ExitCode;

use tfplugin::transport::{self, handshake, Mode};

const NAME: &str = "terraform-provider-harness";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The `TF_REATTACH_PROVIDERS` key in `--debug` mode unless `--provider-address` says otherwise.
const PROVIDER_ADDRESS: &str = "registry.terraform.io/harness-gitops/harness";
/// The git commit the binary was built from. `scripts/release.sh` and the GoReleaser build set
/// `TERRAFORM_PROVIDER_HARNESS_COMMIT` at compile time (cargo rebuilds this file when it changes);
/// an ordinary `cargo build` has none and says so.
const COMMIT: &str = match option_env!("TERRAFORM_PROVIDER_HARNESS_COMMIT") {
    Some(c) => c,
    None => "unknown (not built by scripts/release.sh or GoReleaser)",
};
/// The minor version of the tfplugin6 contract `proto/tfplugin6.proto` is written against
/// (its header and `proto/README.md`; `tests/release.rs` checks they agree).
const PROTOCOL_MINOR: u32 = 10;

/// What `--version` prints: version, commit, and the plugin protocol versions served.
fn version_text() -> String {
    format!(
        "{NAME} {VERSION}\ncommit {COMMIT}\nplugin protocol {major}.{PROTOCOL_MINOR} (supported protocol versions: {major})\n",
        major = handshake::PROTOCOL_VERSION
    )
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Serve,
    Debug { provider_address: String },
    Version,
    Help,
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut debug = false;
    let mut address: Option<String> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("argument {a:?} is not valid UTF-8"))?;
        match arg.as_str() {
            "--version" | "-v" | "version" => return Ok(Command::Version),
            "--help" | "-h" | "help" => return Ok(Command::Help),
            "--debug" => debug = true,
            "--provider-address" => {
                let v = args.next().ok_or("--provider-address needs a value, e.g. registry.opentofu.org/harness-gitops/harness")?;
                address = Some(
                    v.into_string()
                        .map_err(|a| format!("provider address {a:?} is not valid UTF-8"))?,
                );
            }
            other => match other.strip_prefix("--provider-address=") {
                Some(v) => address = Some(v.to_owned()),
                None => return Err(format!("unknown argument {other:?}")),
            },
        }
    }
    match (debug, address) {
        (true, addr) => Ok(Command::Debug {
            provider_address: addr.unwrap_or_else(|| PROVIDER_ADDRESS.to_owned()),
        }),
        (false, Some(_)) => Err("--provider-address only makes sense with --debug".to_owned()),
        (false, None) => Ok(Command::Serve),
    }
}

fn help_text() -> String {
    format!(
        "{NAME} {VERSION}: a Terraform/OpenTofu provider for Harness GitOps (plugin protocol 6).

This program is a plugin: Terraform or OpenTofu start it themselves and talk to it over gRPC.
Running it by hand does nothing useful, except with the options below.

To use it, declare it in your configuration:

    terraform {{
      required_providers {{
        harness = {{ source = \"harness-gitops/harness\" }}
      }}
    }}

and either install it from the registry (`terraform init`), or, for a local build, point a CLI
configuration file (TF_CLI_CONFIG_FILE) at the directory holding this binary:

    provider_installation {{
      dev_overrides {{ \"harness-gitops/harness\" = \"/path/to/dir\" }}
      direct {{}}
    }}

and run `terraform plan` / `apply` directly (no `terraform init` for overridden providers).

Options:
    --version                  print the version, the commit and the plugin protocol, then exit
    --help                     print this text
    --debug                    serve in the foreground without Terraform's handshake, print a
                               TF_REATTACH_PROVIDERS value to export in another shell (to attach
                               a debugger or read logs), stop with Ctrl-C
    --provider-address ADDR    with --debug: the provider address Terraform knows it by
                               (default {default})

Logging goes to stderr as JSON lines; set TF_LOG_PROVIDER or TF_LOG (TRACE, DEBUG, INFO, WARN,
ERROR) to choose the level.
",
        default = PROVIDER_ADDRESS,
    )
}

fn not_a_plugin_run() -> String {
    format!(
        "{NAME} {VERSION} is a Terraform/OpenTofu plugin (Harness GitOps provider).
It is not meant to be run directly: Terraform starts it itself, with the {key}
handshake variable set.

To use it, declare source = \"harness-gitops/harness\" in required_providers and install it from the
registry, or, for a local build, list its directory in a dev_overrides block of your CLI
configuration (TF_CLI_CONFIG_FILE). Run `{NAME} --help` for details,
`{NAME} --version` for the version, or `{NAME} --debug` to serve it in the
foreground for debugging (it prints a TF_REATTACH_PROVIDERS value to export).
",
        key = handshake::MAGIC_COOKIE_KEY,
    )
}

fn main() -> ExitCode {
    let command = match parse_args(std::env::args_os().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{NAME}: {e}; run `{NAME} --help` for usage");
            return ExitCode::from(2);
        }
    };
    let mode = match command {
        Command::Version => {
            print!("{}", version_text());
            return ExitCode::SUCCESS;
        }
        Command::Help => {
            print!("{}", help_text());
            return ExitCode::SUCCESS;
        }
        Command::Serve if !handshake::magic_cookie_present() => {
            eprint!("{}", not_a_plugin_run());
            return ExitCode::FAILURE;
        }
        Command::Serve => Mode::Managed,
        Command::Debug { provider_address } => Mode::Debug { provider_address },
    };
    tfplugin::logging::install_panic_hook();
    tfplugin::logging::set_own_crates(tfprovider_harness::OWN_CRATES);
    match transport::serve(mode, |stop| {
        tfplugin::server::provider_routes(tfprovider_harness::HarnessProvider, stop)
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // "[ERROR]" makes go-plugin log this non-JSON line at error level.
            eprintln!("[ERROR] {NAME}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(OsString::from))
    }

    #[test]
    fn arguments() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["--version"]), Ok(Command::Version));
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(
            parse(&["--debug"]),
            Ok(Command::Debug {
                provider_address: PROVIDER_ADDRESS.into()
            })
        );
        assert_eq!(
            parse(&["--debug", "--provider-address", "example.com/a/b"]),
            Ok(Command::Debug {
                provider_address: "example.com/a/b".into()
            })
        );
        assert_eq!(
            parse(&["--provider-address=example.com/a/b", "--debug"]),
            Ok(Command::Debug {
                provider_address: "example.com/a/b".into()
            })
        );
        assert!(parse(&["--provider-address", "x"]).is_err());
        assert!(parse(&["--debug", "--provider-address"]).is_err());
        assert!(parse(&["serve"]).is_err());
    }
}
