//! Compiles the workspace's top-level `proto/` into Rust with tonic-prost-build.
//!
//! The `protoc` binary comes from the `protoc-bin-vendored` crate, so a fresh machine needs
//! no system protoc. A `PROTOC` already set in the environment wins (packagers may prefer
//! their own).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("PROTOC").is_none() {
        let protoc = protoc_bin_vendored::protoc_bin_path()?;
        // SAFETY: build scripts are single-threaded at this point.
        unsafe { std::env::set_var("PROTOC", protoc) };
    }
    let include = protoc_bin_vendored::include_path()?;
    println!("cargo:rerun-if-changed=../../proto");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .generate_default_stubs(true)
        .compile_protos(
            &[
                "../../proto/tfplugin6.proto",
                "../../proto/plugin/grpc_controller.proto",
                "../../proto/plugin/grpc_stdio.proto",
                "../../proto/plugin/grpc_broker.proto",
            ]
            .map(std::path::PathBuf::from),
            &[std::path::PathBuf::from("../../proto"), include],
        )?;
    Ok(())
}
