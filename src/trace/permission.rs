//! Why ptrace was refused, in the user's terms: Yama's `ptrace_scope`, a missing
//! CAP_SYS_PTRACE, another user's process, another tracer, or a seccomp filter (containers).

/// CAP_SYS_PTRACE's bit in the capability sets of `/proc/PID/status`.
const CAP_SYS_PTRACE: u32 = 19;

/// The facts that decide whether one process may trace another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// /proc/sys/kernel/yama/ptrace_scope, when Yama is built in.
    pub yama_scope: Option<u8>,
    pub has_cap_sys_ptrace: bool,
    pub own_uid: Option<u32>,
    pub target_uid: Option<u32>,
    /// The pid of the target's current tracer, when it has one.
    pub tracer: Option<(i32, String)>,
    /// forklint runs under a seccomp filter (mode 2), as in most containers.
    pub seccomp_filtered: bool,
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}

fn real_uid(status: &str) -> Option<u32> {
    status_field(status, "Uid:")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Facts {
    pub fn read(target: i32) -> Facts {
        let own = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let theirs = std::fs::read_to_string(format!("/proc/{target}/status")).unwrap_or_default();
        let caps = status_field(&own, "CapEff:")
            .and_then(|c| u64::from_str_radix(c, 16).ok())
            .unwrap_or(0);
        let tracer = status_field(&theirs, "TracerPid:")
            .and_then(|p| p.parse::<i32>().ok())
            .filter(|p| *p > 0)
            .map(|p| {
                let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
                (p, name.trim().to_string())
            });
        Facts {
            yama_scope: std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
                .ok()
                .and_then(|s| s.trim().parse().ok()),
            has_cap_sys_ptrace: caps & (1 << CAP_SYS_PTRACE) != 0,
            own_uid: real_uid(&own),
            target_uid: real_uid(&theirs),
            tracer,
            seccomp_filtered: status_field(&own, "Seccomp:") == Some("2"),
        }
    }

    /// What is missing to attach to `pid`, most specific first.
    pub fn explain(&self, pid: i32) -> String {
        if let Some((tracer, name)) = &self.tracer {
            return format!(
                "pid {pid} is already traced by pid {tracer} ({name}); a thread has one tracer at a time: stop that debugger, strace or profiler first"
            );
        }
        match self.yama_scope {
            Some(3) => {
                return "Yama's kernel.yama.ptrace_scope is 3: no process may attach to another until the next reboot; run the program under `forklint trace -- CMD` instead".to_string()
            }
            Some(2) if !self.has_cap_sys_ptrace => {
                return "Yama's kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may attach; run forklint as root (sudo) or start the program under `forklint trace -- CMD`".to_string()
            }
            _ => {}
        }
        if let (Some(own), Some(target)) = (self.own_uid, self.target_uid) {
            if own != target && !self.has_cap_sys_ptrace {
                return format!(
                    "pid {pid} belongs to uid {target} and forklint runs as uid {own} without CAP_SYS_PTRACE; run it as uid {target} or as root (sudo)"
                );
            }
        }
        if self.yama_scope == Some(1) && !self.has_cap_sys_ptrace {
            return format!(
                "Yama's kernel.yama.ptrace_scope is 1: only an ancestor of pid {pid} may trace it; start the program under `forklint trace -- CMD`, run forklint with CAP_SYS_PTRACE (sudo), or set the scope to 0 with `sysctl kernel.yama.ptrace_scope=0`"
            );
        }
        if self.seccomp_filtered {
            return "ptrace is refused and forklint runs under a seccomp filter, as in a container: start the container with `--cap-add SYS_PTRACE` (older Docker also needs `--security-opt seccomp=unconfined`)".to_string();
        }
        format!(
            "the kernel refused ptrace on pid {pid} (it may be a set-uid or otherwise non-dumpable program); run forklint as root or with CAP_SYS_PTRACE"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_permission() {
        let base = Facts {
            own_uid: Some(1000),
            target_uid: Some(1000),
            ..Facts::default()
        };
        let tracer = Facts {
            tracer: Some((77, "gdb".into())),
            ..base.clone()
        };
        assert!(tracer.explain(5).contains("already traced by pid 77 (gdb)"));
        let scope1 = Facts {
            yama_scope: Some(1),
            ..base.clone()
        };
        assert!(scope1.explain(5).contains("ptrace_scope is 1"));
        let scope1_root = Facts {
            has_cap_sys_ptrace: true,
            ..scope1
        };
        assert!(!scope1_root.explain(5).contains("ptrace_scope"));
        let scope2 = Facts {
            yama_scope: Some(2),
            ..base.clone()
        };
        assert!(scope2.explain(5).contains("CAP_SYS_PTRACE"));
        let other_user = Facts {
            target_uid: Some(0),
            ..base.clone()
        };
        assert!(other_user.explain(5).contains("belongs to uid 0"));
        let container = Facts {
            seccomp_filtered: true,
            ..base
        };
        assert!(container.explain(5).contains("--cap-add SYS_PTRACE"));
    }
}
