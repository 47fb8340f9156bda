//! Compile-time checks of `#[derive(Model)]`: what must not compile does not, with the
//! message in `ui/*.stderr`, and the supported uses do. Regenerate the snapshots with
//! `TRYBUILD=overwrite cargo test -p tfplugin --test derive_ui` after a deliberate change.

#[test]
fn derive_model_compile_checks() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    t.compile_fail("tests/ui/fail_*.rs");
}
