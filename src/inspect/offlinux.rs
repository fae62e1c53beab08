//! Inspection where `/proc` is not available: what `sysinfo` can tell (the process, its command
//! line and executable, its thread count on Linux, an fd count), and a plain list of what it
//! cannot. Built on every platform so that it is compiled and tested on Linux too.

use crate::inspect::model::*;
use crate::inspect::{verdict, InspectError};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// Inspects `pid` through sysinfo only.
pub fn inspect(pid: i32) -> Result<Report, InspectError> {
    let Ok(raw) = u32::try_from(pid) else {
        return Err(InspectError::NoSuchProcess(pid));
    };
    let spid = Pid::from_u32(raw);
    let mut sys = System::new();
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[spid]),
        true,
        ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .with_exe(UpdateKind::Always)
            .with_tasks(),
    );
    let Some(process) = sys.process(spid) else {
        return Err(InspectError::NoSuchProcess(pid));
    };
    let name = process.name().to_string_lossy().into_owned();
    let args: Vec<String> = process
        .cmd()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let command = if args.is_empty() {
        format!("[{name}]")
    } else {
        crate::inspect::parse::proc::display_command(&args)
    };
    let os = std::env::consts::OS;
    let mut not_checked = Vec::new();
    let mut skip = |check: &str, why: String| {
        not_checked.push(NotChecked {
            check: check.into(),
            reason: why,
        })
    };
    let threads = match process.tasks() {
        // sysinfo lists the tasks other than the main thread.
        Some(tasks) => {
            let mut threads = vec![Thread {
                tid: pid,
                name: name.clone(),
                state: "?".into(),
                owner: None,
                python_name: None,
                library: None,
                attributed_by: None,
            }];
            let mut tids: Vec<i32> = tasks
                .iter()
                .filter_map(|t| i32::try_from(t.as_u32()).ok())
                .filter(|t| *t != pid)
                .collect();
            tids.sort_unstable();
            threads.extend(tids.into_iter().map(|tid| Thread {
                tid,
                name: "?".into(),
                state: "?".into(),
                owner: None,
                python_name: None,
                library: None,
                attributed_by: None,
            }));
            threads
        }
        None => {
            skip(
                "threads",
                format!("the thread list is not available on {os} without /proc"),
            );
            Vec::new()
        }
    };
    let fd_count = process.open_files();
    skip(
        "fds",
        match fd_count {
            Some(n) => format!("{n} fds are open, but their kinds, close-on-exec flags and sockets are not available on {os}"),
            None => format!("open files are not available on {os}"),
        },
    );
    skip(
        "sockets",
        format!("socket endpoints are not available on {os}"),
    );
    skip("locks", format!("file locks are not available on {os}"));
    skip(
        "libraries",
        format!("loaded libraries are not available on {os}"),
    );
    let mut report = Report {
        version: VERSION,
        pid,
        command,
        executable: process.exe().map(|p| p.to_string_lossy().into_owned()),
        verdict: Verdict::Unknown,
        threads,
        fds: Vec::new(),
        locks: Vec::new(),
        libraries: Vec::new(),
        executable_imports: Vec::new(),
        environment: Vec::new(),
        findings: Vec::new(),
        not_checked,
        runtime: None,
        platform: os.to_string(),
    };
    verdict::evaluate(&mut report);
    Ok(report)
}
