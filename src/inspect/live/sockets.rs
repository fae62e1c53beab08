//! The sockets of the target's network namespace, read once per inspection.

use crate::inspect::live::ProcRoot;
use crate::inspect::parse::net::{parse_inet_table, parse_unix_table, SocketIndex};

/// Reads the sockets of `pid`'s network namespace once: through sock_diag when it is ours
/// (fast), else from the five `/proc/PID/net` tables.
pub fn read_sockets(root: &ProcRoot, pid: i32) -> SocketIndex {
    let mut inet = Vec::new();
    let mut missing = Vec::new();
    let ns = |p: &std::path::Path| std::fs::read_link(p).ok();
    // Netlink answers for our own namespace, which only a live target can share.
    let same_netns = root.is_live()
        && ns(&root.pid(pid, "ns/net"))
            .is_some_and(|theirs| Some(theirs) == ns(std::path::Path::new("/proc/self/ns/net")));
    let diag = if same_netns {
        crate::inspect::live::sockdiag::inet_sockets().ok()
    } else {
        None
    };
    match diag {
        Some(entries) => inet = entries,
        None => {
            for proto in ["tcp", "tcp6", "udp", "udp6"] {
                match std::fs::read_to_string(root.pid(pid, &format!("net/{proto}"))) {
                    Ok(text) => inet.extend(parse_inet_table(proto, &text)),
                    // A kernel without IPv6 has no tcp6/udp6: nothing to miss.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && proto.ends_with('6') => {}
                    Err(e) => missing.push((proto.to_string(), e.to_string())),
                }
            }
        }
    }
    let unix_diag = if same_netns {
        crate::inspect::live::sockdiag::unix_sockets().ok()
    } else {
        None
    };
    let unix = match unix_diag {
        Some(entries) => entries,
        None => match std::fs::read_to_string(root.pid(pid, "net/unix")) {
            Ok(text) => parse_unix_table(&text),
            Err(e) => {
                missing.push(("unix".to_string(), e.to_string()));
                Vec::new()
            }
        },
    };
    let mut index = SocketIndex::from_tables(inet, unix);
    index.missing = missing;
    index
}
