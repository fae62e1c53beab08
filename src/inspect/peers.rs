//! The other end of loopback connections: which local process owns it, so a server on a
//! non-standard port is still named (`redis-server` on 127.0.0.1:40123 is redis).

use std::collections::{HashMap, HashSet};

/// Finds, for each wanted socket inode, the process that has it open. Stops as soon as all are
/// found; processes whose fds cannot be read (other users) are skipped.
#[cfg(target_os = "linux")]
pub fn owners(wanted: &HashSet<u64>, skip_pid: i32) -> HashMap<u64, (i32, String)> {
    let mut found = HashMap::new();
    if wanted.is_empty() {
        return found;
    }
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.filter_map(|e| e.ok()) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == skip_pid {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.filter_map(|e| e.ok()) {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let inode = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok());
            if let Some(inode) = inode.filter(|i| wanted.contains(i)) {
                let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .map(|s| s.trim_end().to_string())
                    .unwrap_or_default();
                found.insert(inode, (pid, name));
            }
        }
        if found.len() == wanted.len() {
            break;
        }
    }
    found
}
