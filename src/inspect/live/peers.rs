//! Who else holds a socket: one walk over every process's fds finds, for each wanted socket
//! inode, all the processes that have it open. That names the process at the other end of a
//! loopback or unix connection (a server on a non-standard port is still named), and it shows a
//! connection that forked workers already share.

use crate::inspect::live::ProcRoot;
use std::collections::{BTreeMap, HashSet};

/// A process holding a socket, with what is needed to tell whether it is family of the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: i32,
    pub name: String,
    pub ppid: i32,
}

/// Every process holding each wanted inode, in pid order. Processes whose fds cannot be read
/// (other users without CAP_SYS_PTRACE) are not seen.
#[cfg(target_os = "linux")]
pub fn holders(root: &ProcRoot, wanted: &HashSet<u64>) -> BTreeMap<u64, Vec<Holder>> {
    let mut found: BTreeMap<u64, Vec<Holder>> = BTreeMap::new();
    if wanted.is_empty() {
        return found;
    }
    let Ok(dir) = std::fs::read_dir(root.path("")) else {
        return found;
    };
    let mut pids: Vec<i32> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(root.pid(pid, "fd")) else {
            continue;
        };
        let mut held: Vec<u64> = fds
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter_map(|target| socket_inode(target.to_str()?))
            .filter(|inode| wanted.contains(inode))
            .collect();
        if held.is_empty() {
            continue;
        }
        held.sort_unstable();
        held.dedup();
        let Some(stat) = std::fs::read_to_string(root.pid(pid, "stat"))
            .ok()
            .and_then(|t| crate::inspect::parse::proc::parse_stat(&t))
        else {
            continue;
        };
        let holder = Holder {
            pid,
            name: stat.comm,
            ppid: stat.ppid,
        };
        for inode in held {
            found.entry(inode).or_default().push(holder.clone());
        }
    }
    found
}

fn socket_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The target's own process family: its parent, its children, and its siblings running the same
/// program (a prefork server's master and workers). A socket whose other end stays inside it is
/// the program's own channel, not a connection to a service.
pub fn is_family(target_pid: i32, target_ppid: i32, target_name: &str, other: &Holder) -> bool {
    other.pid == target_ppid
        || other.ppid == target_pid
        || (other.ppid == target_ppid && target_ppid > 1 && other.name == target_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_is_parent_children_and_same_program_siblings() {
        let h = |pid, name: &str, ppid| Holder {
            pid,
            name: name.to_string(),
            ppid,
        };
        // Worker 20 of master 10, which runs under a shell (pid 5).
        assert!(is_family(20, 10, "uwsgi", &h(10, "uwsgi", 5)), "parent");
        assert!(is_family(10, 5, "uwsgi", &h(20, "uwsgi", 10)), "child");
        assert!(is_family(20, 10, "uwsgi", &h(21, "uwsgi", 10)), "sibling");
        assert!(!is_family(20, 10, "uwsgi", &h(22, "postgres", 10)));
        assert!(!is_family(20, 1, "uwsgi", &h(23, "uwsgi", 1)), "orphans");
        assert!(!is_family(20, 10, "uwsgi", &h(30, "postgres", 29)));
    }

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[81234]"), Some(81234));
        assert_eq!(socket_inode("pipe:[81234]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
    }
}
