//! The whole inspection run on a recorded `/proc` (fixtures/proc/): the parsers and the verdict
//! on real kernel output, with no live process, netlink or memory reads.
#![cfg(target_os = "linux")]

use forklint::inspect::model::{PeerScope, Report, Verdict};
use std::path::PathBuf;

const HELPER_PID: i32 = 24753;

fn helper() -> Report {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/proc/helper");
    forklint::inspect::inspect_at(&root, HELPER_PID).expect("inspect the snapshot")
}

#[test]
fn threads_from_the_task_directory_attributed_by_name() {
    let r = helper();
    let names: Vec<&str> = r.threads.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "forklint-test-h",
            "tokio-runtime-w",
            "tokio-runtime-w",
            "polars-0"
        ]
    );
    let tokio = &r.threads[1];
    assert_eq!(tokio.owner.as_deref(), Some("tokio runtime (Rust)"));
    assert_eq!(tokio.attributed_by.as_deref(), Some("name"));
    // A snapshot has no memory to read start routines from: said, not guessed.
    assert!(r.not_checked.iter().any(|n| n.check == "thread-origins"));
    let fl001 = r.findings.iter().find(|f| f.rule == "FL001").unwrap();
    assert!(
        fl001.message.contains("by name, a guess"),
        "{}",
        fl001.message
    );
}

#[test]
fn fds_sockets_and_locks_from_the_recorded_tables() {
    let r = helper();
    let fd = |n: i32| r.fds.iter().find(|f| f.fd == n).unwrap();
    for n in [8, 11] {
        assert_eq!(
            (fd(n).cloexec, fd(n).offset),
            (Some(true), Some(10)),
            "fd {n}"
        );
    }
    for n in [9, 12] {
        assert_eq!(fd(n).cloexec, Some(false), "fd {n}");
    }
    let listener = fd(3).socket.as_ref().unwrap();
    assert_eq!(
        (listener.protocol.as_str(), listener.state.as_str()),
        ("tcp", "LISTEN")
    );
    let client = fd(4).socket.as_ref().unwrap();
    assert_eq!(client.peer.as_deref(), Some("127.0.0.1:36165"));
    assert_eq!(
        client.peer_scope,
        Some(PeerScope::SameProcess),
        "fd 5 holds the other end"
    );
    assert_eq!(
        client.peer_process.as_ref().map(|p| p.pid),
        Some(HELPER_PID)
    );
    assert_eq!(
        fd(5).socket.as_ref().unwrap().peer_scope,
        Some(PeerScope::SameProcess)
    );
    for n in [6, 7] {
        let s = fd(n).socket.as_ref().unwrap();
        assert_eq!(
            (s.protocol.as_str(), s.state.as_str()),
            ("unix", "CONNECTED")
        );
    }
    let kinds: Vec<(&str, &str, Option<i32>)> = r
        .locks
        .iter()
        .map(|l| (l.kind.as_str(), l.mode.as_str(), l.fd))
        .collect();
    for lock in [
        ("flock", "write", Some(13)),
        ("posix", "write", Some(14)),
        ("ofd", "read", Some(15)),
    ] {
        assert!(kinds.contains(&lock), "{lock:?} in {kinds:?}");
    }
    assert_eq!(r.environment.len(), 1, "only the variables that matter");
    assert_eq!(r.environment[0].name, "OMP_NUM_THREADS");
    assert_eq!(r.verdict, Verdict::Unsafe);
}
