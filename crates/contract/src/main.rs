//! `contract extract DIR` writes `contract/` from the official documents in DIR;
//! `contract check DIR` fails, listing every difference, when the committed contract is not
//! what DIR's documents give. See `contract/README.md`.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: contract extract DOCUMENTS [--contract DIR]
       contract check DOCUMENTS [--contract DIR]

DOCUMENTS holds harness-gitops-openapi.json and argocd/{application,appproject,applicationset}-crd.yaml
(e.g. ../shared). `extract` writes the contract (default: the checkout's contract/); `check`
regenerates it in memory and exits 1 listing every difference with the committed one.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut contract = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../contract"));
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--contract" => match it.next() {
                Some(d) => contract = PathBuf::from(d),
                None => return usage("--contract needs a directory"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => positional.push(a.as_str()),
        }
    }
    let contract = contract.canonicalize().unwrap_or(contract);
    let (mode, documents) = match positional.as_slice() {
        [mode @ ("extract" | "check"), dir] => (*mode, PathBuf::from(dir)),
        _ => return usage("expected a mode and a directory"),
    };
    if mode == "extract" {
        return match contract::extract(&documents, &contract) {
            Ok(dropped) => {
                println!(
                    "wrote the contract under {} from {}",
                    contract.display(),
                    documents.display()
                );
                println!("dropped: {}", dropped.summary());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("contract extract: {e}");
                ExitCode::from(2)
            }
        };
    }
    match contract::check(&documents, &contract) {
        Ok(found) if found.is_empty() => {
            println!(
                "the committed contract ({}) is what {} gives",
                contract.display(),
                documents.display()
            );
            ExitCode::SUCCESS
        }
        Ok(found) => {
            const SHOWN: usize = 200;
            eprintln!(
                "the committed contract differs from the documents in {} ({} difference(s)):",
                documents.display(),
                found.len()
            );
            for line in found.iter().take(SHOWN) {
                eprintln!("  {line}");
            }
            if found.len() > SHOWN {
                eprintln!("  ... and {} more", found.len() - SHOWN);
            }
            eprintln!(
                "if the documents are the newer truth: `cargo run -p contract -- extract {}`, \
                 then run the conformance tests and review the diff",
                documents.display()
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("contract check: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage(why: &str) -> ExitCode {
    eprintln!("contract: {why}\n{USAGE}");
    ExitCode::from(2)
}
