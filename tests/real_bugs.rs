//! The publicly reported fork-safety bugs in Rust code (R-numbers of the reference list), each
//! reproduced by a fixture of the same shape: if any stops firing with its rule at its place,
//! this fails.

use forklint::catalog::Catalog;
use forklint::pipeline::{self, CheckOptions};
use std::path::PathBuf;

/// (report, fixture, rule, line of the primary location)
const CAUGHT: &[(&str, &str, &str, u32)] = &[
    (
        "R1 alacritty #8751: io::Error::other in pre_exec",
        "real/r01_alacritty_pre_exec.rs",
        "FL005",
        19,
    ),
    (
        "R1 alacritty #8751: set_current_dir in pre_exec",
        "real/r01_alacritty_pre_exec.rs",
        "FL005",
        21,
    ),
    (
        "R1 alacritty #8751: die! logs in pre_exec",
        "real/r01_alacritty_pre_exec.rs",
        "FL005",
        23,
    ),
    (
        "R2 vopono PR #340: CString::new in pre_exec",
        "fl005/pre_exec_alloc_errors.rs",
        "FL005",
        11,
    ),
    (
        "R2 vopono PR #340: format! in pre_exec",
        "fl005/pre_exec_alloc_errors.rs",
        "FL005",
        13,
    ),
    (
        "R3 terminal-use #22: env in the child of a tokio daemon",
        "fl005/tokio_fork_exec_child_formats.rs",
        "FL005",
        10,
    ),
    (
        "R3 terminal-use #22: format! in the child",
        "fl005/tokio_fork_exec_child_formats.rs",
        "FL005",
        11,
    ),
    (
        "R3 terminal-use #22: exit in the child",
        "fl005/tokio_fork_exec_child_formats.rs",
        "FL006",
        13,
    ),
    (
        "R4 irlume #363: getpwuid reached from the child",
        "fl005/irlume_child_nss.rs",
        "FL005",
        12,
    ),
    (
        "R5 Smithay #160: sigwait in the child",
        "real/r05_smithay_xwayland.rs",
        "FL005",
        13,
    ),
    (
        "R5 Smithay #160: error! in the child",
        "real/r05_smithay_xwayland.rs",
        "FL005",
        14,
    ),
    (
        "R5 Smithay #160: CString in the child",
        "real/r05_smithay_xwayland.rs",
        "FL005",
        10,
    ),
    (
        "R5 Smithay PR #250: exit() in the child",
        "real/r05_smithay_xwayland.rs",
        "FL006",
        17,
    ),
    (
        "R6 wezterm #7742: allocation in pre_exec (partial)",
        "real/r06_wezterm_close_fds.rs",
        "FL005",
        20,
    ),
    (
        "R7 tokio #4301 / LibAFL #1524: runtime before fork",
        "real/r07_libafl_tokio_runtime.rs",
        "FL001",
        8,
    ),
    (
        "R8 delta-rs #2744: global runtime in a Python extension (partial)",
        "real/r08_deltars_pyo3_runtime.rs",
        "FL001",
        6,
    ),
    (
        "R9 turbovec #147: rayon global pool in a Python extension (partial)",
        "real/r09_turbovec_par_iter.rs",
        "FL001",
        12,
    ),
    (
        "R10 bottlerocket #1212: runtime thread before fork_and_return",
        "fl001/reqwest_blocking_then_fork.rs",
        "FL001",
        11,
    ),
    (
        "R11 mairu PR #14: keychain before daemonize",
        "fl003/keychain_then_daemonize.rs",
        "FL003",
        10,
    ),
    (
        "R12 daemonize-me #21: runtime before Daemon::start (partial)",
        "real/r12_daemonize_me_tokio.rs",
        "FL001",
        4,
    ),
    (
        "R13 rust #43448: a thread in an initialiser at fork (partial)",
        "real/r13_once_running_at_fork.rs",
        "FL001",
        13,
    ),
    (
        "R17 perry PR #7157: bare name + PATH takes the fork path",
        "real/r17_perry_bare_name_path.rs",
        "FL008",
        11,
    ),
    (
        "R18 maki #909 / sp1 #2702: pre_exec forces fork",
        "real/r18_pre_exec_forces_fork.rs",
        "FL008",
        10,
    ),
];

#[test]
fn every_reproduced_report_is_caught() {
    let report = pipeline::run(
        &[PathBuf::from("fixtures")],
        Catalog::builtin(),
        &CheckOptions {
            prefilter: true,
            ..Default::default()
        },
    )
    .unwrap();
    let mut missing = Vec::new();
    for (name, file, rule, line) in CAUGHT {
        let path = format!("fixtures/{file}");
        let found = report.findings.iter().any(|f| {
            let loc = f.location.as_ref().unwrap();
            f.rule == *rule && loc.path == path && loc.line == *line
        });
        if !found {
            missing.push(format!("{name}: no {rule} at {path}:{line}"));
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}
