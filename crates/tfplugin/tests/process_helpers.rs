//! The test helpers that run tools (`tfplugin::testing`): tools found through their
//! environment variable or `PATH`, and waits on child processes bounded by a deadline.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::time::{Duration, Instant};

use tfplugin::testing::{find_binary, output_within};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("must panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_child_past_its_deadline_is_killed_and_fails_the_test_naming_it() {
    let started = Instant::now();
    let msg = panic_message(|| {
        output_within(
            Command::new("sh").args(["-c", "echo before-the-hang; exec sleep 60"]),
            "sh sleeping 60 s",
            Duration::from_millis(500),
        );
    });
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the deadline, not the child, ended the wait: {:?}",
        started.elapsed()
    );
    assert!(
        msg.contains("sh sleeping 60 s did not finish within 500ms and was killed"),
        "{msg}"
    );
    assert!(msg.contains("before-the-hang"), "what it printed: {msg}");
}

#[test]
fn output_within_collects_everything_a_finished_child_printed() {
    // More than a pipe buffer on each stream: the readers must drain while the child runs.
    let out = output_within(
        Command::new("sh").args([
            "-c",
            "head -c 300000 /dev/zero | tr '\\0' o; head -c 300000 /dev/zero | tr '\\0' e >&2; exit 3",
        ]),
        "sh printing 600 kB",
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout.len(), 300_000);
    assert!(out.stdout.iter().all(|&b| b == b'o'));
    assert_eq!(out.stderr.len(), 300_000);
    assert!(out.stderr.iter().all(|&b| b == b'e'));
}

#[test]
fn tools_are_found_on_path_unless_their_variable_names_one() {
    // Variable names no other test reads, so setting them races with nothing.
    let sh = find_binary("sh", "TFPLUGIN_TEST_UNSET_SH");
    assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
    let on_path =
        std::env::split_paths(&std::env::var_os("PATH").unwrap()).any(|d| d.join("sh") == sh);
    assert!(on_path, "{} comes from PATH", sh.display());

    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("my-sh");
    std::fs::copy(&sh, &mine).unwrap();
    std::env::set_var("TFPLUGIN_TEST_SET_SH", &mine);
    assert_eq!(
        find_binary("sh", "TFPLUGIN_TEST_SET_SH"),
        mine,
        "the variable wins"
    );

    std::env::set_var("TFPLUGIN_TEST_MISSING_SH", dir.path().join("absent"));
    let msg = panic_message(|| {
        find_binary("sh", "TFPLUGIN_TEST_MISSING_SH");
    });
    assert!(
        msg.contains("TFPLUGIN_TEST_MISSING_SH=") && msg.contains("does not name a file"),
        "{msg}"
    );

    let msg = panic_message(|| {
        find_binary("no-such-tool-b7Qx", "TFPLUGIN_TEST_UNSET_TOOL");
    });
    assert!(
        msg.contains("no-such-tool-b7Qx: it is on no PATH entry")
            && msg.contains("set TFPLUGIN_TEST_UNSET_TOOL to its path"),
        "{msg}"
    );
}
