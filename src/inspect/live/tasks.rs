//! The walk over `/proc/PID/task`: each thread's name and state.

use crate::inspect::live::{read_small_file, ProcRoot};
use crate::inspect::model::Thread;
use crate::inspect::parse::proc::parse_stat;
use std::io;

/// Every task of `pid`, main thread first. Tasks that exit during the walk are skipped.
pub fn threads(root: &ProcRoot, pid: i32) -> io::Result<Vec<Thread>> {
    let dir = std::fs::read_dir(root.pid(pid, "task"))?;
    let mut threads = Vec::new();
    for entry in dir {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let text = match read_small_file(&root.pid(pid, &format!("task/{tid}/stat"))) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) if is_esrch(&e) => continue,
            Err(e) => return Err(e),
        };
        let (name, state) = match parse_stat(&text) {
            Some(stat) => (stat.comm, stat.state.to_string()),
            None => (String::new(), "?".to_string()),
        };
        threads.push(Thread {
            tid,
            name,
            state,
            owner: None,
            python_name: None,
            library: None,
            attributed_by: None,
        });
    }
    threads.sort_by_key(|t| (t.tid != pid, t.tid));
    Ok(threads)
}

/// Reads of a task that died between readdir and open fail with ESRCH on some kernels.
pub fn is_esrch(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ESRCH)
}
