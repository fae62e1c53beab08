//! The Linux inspection: reads `/proc/PID` once per source, degrades check by check when access
//! is refused, and detects a process that exits or whose pid is reused while it is being read.

use crate::inspect::catalog::{self, Catalog};
use crate::inspect::elf;
use crate::inspect::live::syscalls::{self, TaskSyscalls};
use crate::inspect::live::{fds, peers, python, sockets, stacks, tasks, ProcRoot};
use crate::inspect::model::*;
use crate::inspect::parse::fd::FdRecord;
use crate::inspect::parse::locks::{parse_proc_locks, LockLine};
use crate::inspect::parse::maps::{parse_maps, parse_regions, Region};
use crate::inspect::parse::net::{display_addr, SockEntry, SocketIndex};
use crate::inspect::parse::proc::{self, parse_cmdline, parse_stat, parse_status, Stat};
use crate::inspect::parse::stack;
use crate::inspect::{verdict, InspectError};
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;

const PTRACE_HINT: &str = "run as the owner or with CAP_SYS_PTRACE";

fn reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => format!("permission denied: {PTRACE_HINT}"),
        _ => e.to_string(),
    }
}

fn read_stat(root: &ProcRoot, pid: i32) -> Result<Stat, InspectError> {
    let text = match std::fs::read_to_string(root.pid(pid, "stat")) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound || tasks::is_esrch(&e) => {
            return Err(InspectError::NoSuchProcess(pid))
        }
        Err(e) => {
            return Err(InspectError::Unreadable {
                pid,
                reason: reason(&e),
            })
        }
    };
    parse_stat(&text).ok_or_else(|| InspectError::Unreadable {
        pid,
        reason: "unexpected format of /proc/PID/stat".to_string(),
    })
}

/// Inspects `pid`. Errors only when there is no process to report on; every check that cannot
/// run is listed in `not_checked` instead.
pub fn inspect(root: &ProcRoot, pid: i32) -> Result<Report, InspectError> {
    super::without_huge_pages();
    let cat = catalog::get();
    let stat = read_stat(root, pid)?;
    if stat.is_kernel_thread() {
        return Err(InspectError::KernelThread {
            pid,
            name: stat.comm,
        });
    }
    if stat.state == 'Z' || stat.state == 'X' {
        return Err(InspectError::Zombie {
            pid,
            name: stat.comm,
        });
    }
    // The fd walk is most of an inspection and needs nothing read before it: it starts now and
    // runs while this thread reads the threads, maps, libraries and environment.
    let fd_walk = {
        let root = root.clone();
        std::thread::spawn(move || fds::read_fds(&root, pid))
    };

    let mut not_checked = Vec::new();
    let mut skip = |check: &str, why: String| {
        not_checked.push(NotChecked {
            check: check.to_string(),
            reason: why,
        })
    };

    let args = std::fs::read(root.pid(pid, "cmdline"))
        .map(|b| parse_cmdline(&b))
        .unwrap_or_default();
    let command = if args.is_empty() {
        format!("[{}]", stat.comm)
    } else {
        proc::display_command(&args)
    };
    let executable = match std::fs::read_link(root.pid(pid, "exe")) {
        Ok(p) => Some(p.to_string_lossy().into_owned()),
        Err(e) => {
            skip("executable", reason(&e));
            None
        }
    };

    let threads = match tasks::threads(root, pid) {
        Ok(mut threads) if !threads.is_empty() => {
            for t in &mut threads {
                if let Some(p) = cat.thread_owner(&t.name) {
                    t.owner = Some(p.owner.clone());
                    t.library.clone_from(&p.library);
                    t.attributed_by = Some("name".into());
                }
            }
            threads
        }
        Ok(_) => {
            // proc(5): once the main thread has exited, task/ of the process reads empty.
            skip(
                "threads",
                "the task list is empty (the main thread has exited)".into(),
            );
            Vec::new()
        }
        Err(e) => {
            skip("threads", reason(&e));
            thread_count_only(root, pid, &stat)
        }
    };

    let maps = std::fs::read_to_string(root.pid(pid, "maps"));
    let regions = maps.as_deref().map(parse_regions).unwrap_or_default();
    let runtime = match &maps {
        Ok(_) => runtime_of(root, pid, cat, executable.as_deref(), &regions),
        Err(_) => None,
    };
    let (libraries, executable_imports) = match &maps {
        Ok(text) => {
            let libs = build_libraries(root, pid, cat, text, &mut skip);
            let imports = executable_imports(root, pid, &mut skip);
            (libs, imports)
        }
        Err(e) => {
            skip("libraries", reason(e));
            (Vec::new(), Vec::new())
        }
    };
    let environment = match std::fs::read(root.pid(pid, "environ")) {
        Ok(bytes) => environment(cat, &bytes),
        Err(e) => {
            skip("environment", reason(&e));
            Vec::new()
        }
    };

    let mut threads = threads;
    let tids: Vec<i32> = threads.iter().map(|t| t.tid).filter(|t| *t > 0).collect();
    let mut syscalls = syscalls::read(root, pid, &tids);
    // Threads counted but not listed were not looked at.
    syscalls.complete &= tids.len() == threads.len();

    if let Some(e) = match &maps {
        Ok(_) => attribute_threads(root, pid, cat, &regions, &syscalls, &mut threads),
        Err(_) => None,
    } {
        skip(
            "thread-origins",
            format!("which library started each thread: {}", reason(&e)),
        );
    }

    // The first read of /proc/locks in a while sleeps in the kernel for a grace period
    // (milliseconds), and fdinfo already lists every lock held through this process's open
    // files. /proc/locks adds the lock a thread is waiting for, and locks by pid when fdinfo
    // cannot be read: it is read when a thread is blocked in a lock call (or that is unknown),
    // on its own thread so that it overlaps the fd walk.
    let waiting = syscalls.waiting_for_a_lock() != Some(false);
    let proc_locks = waiting.then(|| {
        let path = root.path("locks");
        std::thread::spawn(move || std::fs::read_to_string(path))
    });

    // A Python name can only tell more about a thread no library has claimed by its start
    // routine and whose OS name says nothing (it is the process name, or unknown): CPython 3.14
    // and later give each threading.Thread its name at the OS level. And it can only change the
    // verdict when it ties the thread to a loaded library whose fork handlers cover it (the
    // catalogue's `pymongo_*`); for any other thread, alive is unsafe whatever its name. Reading
    // the names means parsing the interpreter's binary (py-spy), so it is done only then, on its
    // own thread while the fds are still being walked.
    let wants_python_names =
        runtime.as_deref() == Some("python") && root.is_live() && threads.len() > 1;
    let process_name = threads
        .iter()
        .find(|t| t.tid == pid)
        .map_or(stat.comm.as_str(), |t| t.name.as_str());
    let unclaimed = threads
        .iter()
        .any(|t| t.tid != pid && t.library.is_none() && (t.name == process_name || t.name == "?"));
    let names_matter = python_names_matter(cat, &libraries, &environment);
    if wants_python_names && unclaimed && !names_matter {
        skip(
            "python-threads",
            "CPython's thread names were not read: no loaded library's fork handlers cover Python threads, so their names cannot change the verdict".into(),
        );
    }
    let wants_python_names = wants_python_names && unclaimed && names_matter;
    let python_names = (wants_python_names && threads.len() <= stack::MAX_THREADS)
        .then(|| std::thread::spawn(move || python::thread_names(pid)));

    let walked = fd_walk
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the thread reading the fds failed")));

    let (fd_records, fds_ok, fdinfo_whole) = match walked {
        Ok((records, fdinfo_err)) => {
            let whole = fdinfo_err.is_none();
            if let Some(e) = fdinfo_err {
                skip(
                    "fdinfo",
                    format!("close-on-exec flags and fd locks: {}", reason(&e)),
                );
            }
            (records, true, whole)
        }
        Err(e) => {
            skip("fds", reason(&e));
            (Vec::new(), false, false)
        }
    };
    if !fds_ok {
        skip(
            "sockets",
            format!("needs the fd list: {}", reason(&denied())),
        );
    }
    let socket_index = if fd_records.iter().any(|r| r.class.socket_inode.is_some()) {
        let index = sockets::read_sockets(root, pid);
        for (table, why) in &index.missing {
            skip("sockets", format!("/proc/{pid}/net/{table}: {why}"));
        }
        Some(index)
    } else {
        None
    };
    let fds = build_fds(root, (pid, &stat), cat, &fd_records, socket_index.as_ref());

    let proc_locks = match proc_locks {
        Some(reading) => Some(
            reading
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the reading thread failed"))),
        ),
        // Without fdinfo, /proc/locks is the only place a held lock shows (by pid).
        None if !fdinfo_whole => Some(std::fs::read_to_string(root.path("locks"))),
        None => None,
    };
    let locks = build_locks(
        pid,
        &fd_records,
        (fds_ok, fdinfo_whole),
        proc_locks,
        &mut skip,
    );

    if let Some(names) = python_names {
        let names = names
            .join()
            .unwrap_or_else(|_| Err("the thread reading the interpreter's memory failed".into()));
        name_python_threads(pid, cat, names, &mut threads, &mut skip);
    } else if wants_python_names && threads.len() > stack::MAX_THREADS {
        skip(
            "python-threads",
            format!(
                "more than {} threads: their Python names were not read",
                stack::MAX_THREADS
            ),
        );
    }

    // The pid must still name the process we started reading: same start time.
    match read_stat(root, pid) {
        Ok(again) if again.starttime == stat.starttime && again.state != 'Z' => {}
        _ => return Err(InspectError::Exited(pid)),
    }

    let mut report = Report {
        version: VERSION,
        pid,
        command,
        executable,
        verdict: Verdict::Unknown,
        threads,
        fds,
        locks,
        libraries,
        executable_imports,
        environment,
        findings: Vec::new(),
        not_checked,
        runtime,
        platform: "linux".to_string(),
    };
    verdict::evaluate(&mut report);
    Ok(report)
}

fn denied() -> io::Error {
    io::Error::from(io::ErrorKind::PermissionDenied)
}

/// Without `task/`, `stat` still tells how many threads there are; names stay unknown.
fn thread_count_only(root: &ProcRoot, pid: i32, stat: &Stat) -> Vec<Thread> {
    let status = std::fs::read_to_string(root.pid(pid, "status"))
        .map(|t| parse_status(&t))
        .unwrap_or_default();
    let count = status.threads.unwrap_or(stat.num_threads).max(1);
    (0..count)
        .map(|i| Thread {
            tid: if i == 0 { pid } else { -1 },
            name: if i == 0 {
                stat.comm.clone()
            } else {
                "?".into()
            },
            state: if i == 0 {
                stat.state.to_string()
            } else {
                "?".into()
            },
            owner: None,
            python_name: None,
            library: None,
            attributed_by: None,
        })
        .collect()
}

fn build_fds(
    root: &ProcRoot,
    target: (i32, &Stat),
    cat: &Catalog,
    records: &[FdRecord],
    index: Option<&SocketIndex>,
) -> Vec<Fd> {
    let mut fds: Vec<Fd> = records
        .iter()
        .map(|r| {
            let socket = r
                .class
                .socket_inode
                .map(|inode| socket(cat, index.and_then(|i| i.get(inode))));
            Fd {
                fd: r.fd,
                kind: r.class.kind.to_string(),
                cloexec: r.info.as_ref().and_then(|i| i.cloexec()),
                target: r.target.clone(),
                offset: if r.class.kind == "file" {
                    r.info.as_ref().and_then(|i| i.pos)
                } else {
                    None
                },
                access: r.info.as_ref().and_then(|i| i.access()).map(str::to_string),
                socket,
            }
        })
        .collect();
    if let Some(index) = index {
        link_sockets(root, target, cat, index, records, &mut fds);
    }
    fds
}

fn socket(cat: &Catalog, entry: Option<&SockEntry>) -> Socket {
    match entry {
        Some(SockEntry::Inet(e)) => {
            let listening = e.state == "LISTEN";
            let service = if e.has_peer() {
                cat.service_by_port(e.remote.port())
            } else if listening || e.state == "UNCONNECTED" {
                cat.service_by_port(e.local.port())
            } else {
                None
            };
            Socket {
                protocol: e.protocol.to_string(),
                local: Some(display_addr(&e.local)),
                peer: e.has_peer().then(|| display_addr(&e.remote)),
                state: e.state.to_string(),
                service: service.map(|s| s.name.clone()),
                peer_process: None,
                peer_scope: None,
                shared_with: Vec::new(),
            }
        }
        Some(SockEntry::Unix(u)) => Socket {
            protocol: "unix".to_string(),
            local: u.path.clone(),
            peer: None,
            state: u.state.to_string(),
            service: None,
            peer_process: None,
            peer_scope: None,
            shared_with: Vec::new(),
        },
        None => Socket {
            protocol: "unknown".to_string(),
            local: None,
            peer: None,
            state: "?".to_string(),
            service: None,
            peer_process: None,
            peer_scope: None,
            shared_with: Vec::new(),
        },
    }
}

/// Finds who holds each socket and its other end, by inode: names the peer process (and from
/// its name the service, when the port is not a well-known one), tells a channel inside the
/// program from a connection to someone else, and lists the processes already sharing it.
fn link_sockets(
    root: &ProcRoot,
    target: (i32, &Stat),
    cat: &Catalog,
    index: &SocketIndex,
    records: &[FdRecord],
    fds: &mut [Fd],
) {
    let (pid, stat) = target;
    let mut peer_of_fd: HashMap<usize, u64> = HashMap::new();
    let mut wanted = HashSet::new();
    for (i, r) in records.iter().enumerate() {
        let Some(inode) = r.class.socket_inode else {
            continue;
        };
        wanted.insert(inode);
        if let Some(peer) = index.get(inode).and_then(|e| index.peer_of(e)) {
            peer_of_fd.insert(i, peer);
            wanted.insert(peer);
        }
    }
    let holders = peers::holders(root, &wanted);
    let others = |inode: u64| -> Vec<&peers::Holder> {
        holders
            .get(&inode)
            .map(|h| h.iter().filter(|h| h.pid != pid).collect())
            .unwrap_or_default()
    };
    for (i, r) in records.iter().enumerate() {
        let (Some(inode), Some(sock)) = (r.class.socket_inode, fds[i].socket.as_mut()) else {
            continue;
        };
        sock.shared_with = others(inode)
            .into_iter()
            .map(|h| PeerProcess {
                pid: h.pid,
                name: h.name.clone(),
            })
            .collect();
        let Some(peer) = peer_of_fd.get(&i).copied() else {
            continue;
        };
        let peer_holders = holders.get(&peer).map(Vec::as_slice).unwrap_or_default();
        if let Some(SockEntry::Unix(u)) = index.get(peer) {
            if sock.peer.is_none() {
                sock.peer.clone_from(&u.path);
            }
        }
        let Some(first) = peer_holders.first() else {
            continue;
        };
        // The end in this process, when it has one, is the one worth naming.
        let owner = peer_holders.iter().find(|h| h.pid == pid).unwrap_or(first);
        sock.peer_scope = if peer_holders.iter().any(|h| h.pid == pid) {
            Some(PeerScope::SameProcess)
        } else if peer_holders
            .iter()
            .all(|h| peers::is_family(pid, stat.ppid, &stat.comm, h))
        {
            Some(PeerScope::Family)
        } else {
            None
        };
        if sock.peer_scope.is_none() {
            if let Some(service) = cat.service_by_process(&owner.name) {
                sock.service = Some(service.name.clone());
            }
        }
        sock.peer_process = Some(PeerProcess {
            pid: owner.pid,
            name: owner.name.clone(),
        });
    }
}

/// The held locks come from fdinfo when every fd's could be read (`fdinfo_whole`); `proc_locks`,
/// what reading `/proc/locks` gave when it was read, adds the locks being waited for, and the held
/// ones by pid when fdinfo is missing.
fn build_locks(
    pid: i32,
    records: &[FdRecord],
    (fds_ok, fdinfo_whole): (bool, bool),
    proc_locks: Option<io::Result<String>>,
    skip: &mut impl FnMut(&str, String),
) -> Vec<Lock> {
    let mut locks: Vec<(LockLine, Option<&FdRecord>)> = Vec::new();
    for r in records {
        for line in r.info.iter().flat_map(|i| i.locks.iter()) {
            if !locks.iter().any(|(l, _)| l.same_lock(line)) {
                locks.push((line.clone(), Some(r)));
            }
        }
    }
    match proc_locks {
        None => {}
        Some(Ok(text)) => {
            for line in parse_proc_locks(&text) {
                if line.pid != Some(pid) {
                    continue;
                }
                if !line.waiter && (fdinfo_whole || locks.iter().any(|(l, _)| l.same_lock(&line))) {
                    continue;
                }
                // Attribute by inode to an fd when exactly one of them has that file open.
                let mut candidates = records
                    .iter()
                    .filter(|r| r.info.as_ref().and_then(|i| i.ino) == Some(line.inode));
                let fd = match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                };
                locks.push((line, fd));
            }
        }
        Some(Err(e)) => skip("locks", format!("/proc/locks: {}", reason(&e))),
    }
    if !fds_ok {
        skip(
            "ofd-locks",
            format!("OFD locks carry no pid and are only visible through fdinfo: {PTRACE_HINT}"),
        );
    }
    locks
        .into_iter()
        .map(|(line, fd)| Lock {
            kind: line.kind.as_str().to_string(),
            mode: line.mode.to_lowercase(),
            fd: fd.map(|r| r.fd),
            path: fd.map(|r| r.target.clone()),
            file_id: line.file_id(),
            range: line.range(),
            waiting: line.waiter,
            inherited: if line.waiter {
                "nothing: the process is waiting for this lock".to_string()
            } else {
                line.kind.inherited().to_string()
            },
        })
        .collect()
}

fn build_libraries(
    root: &ProcRoot,
    pid: i32,
    cat: &Catalog,
    maps: &str,
    skip: &mut impl FnMut(&str, String),
) -> Vec<Library> {
    let mut libraries = Vec::new();
    for file in parse_maps(maps) {
        let Some(entry) = cat.library_for(&file.path) else {
            continue;
        };
        // The path is in the target's mount namespace; reach it through its root.
        let through_root = root
            .pid(pid, "root")
            .join(file.path.trim_start_matches('/'));
        let wanted: Vec<&str> = entry.confirm.iter().map(String::as_str).collect();
        let symbols = elf::read_symbols(Path::new(&through_root), &wanted);
        let (atfork, confirmed, starts_threads) = match &symbols {
            Ok(s) => (
                s.has_atfork(),
                Some(
                    entry.confirm.is_empty() || entry.confirm.iter().any(|c| s.exports.contains(c)),
                ),
                s.imports.contains("pthread_create"),
            ),
            Err(e) => {
                skip("library-symbols", format!("{}: {}", file.path, reason(e)));
                (false, None, false)
            }
        };
        let mut atfork = atfork;
        let mut version = None;
        if let Some(since) = &entry.handlers_since {
            version = dist_version(root, pid, &file.path, &since.package);
            atfork = version
                .as_deref()
                .is_some_and(|v| catalog::version_at_least(v, &since.version));
        }
        libraries.push(Library {
            version,
            path: file.path,
            matched: entry.key.clone(),
            description: entry.name.clone(),
            hazard: entry.hazard.clone(),
            atfork,
            confirmed,
            starts_threads,
        });
    }
    libraries
}

/// Names the creator of threads whose name says nothing, from the object their start routine
/// is in. A thread named after a known pool keeps that attribution unless its start routine
/// tells more. Returns the error that stopped a read, if any.
fn attribute_threads(
    root: &ProcRoot,
    pid: i32,
    cat: &Catalog,
    regions: &[Region],
    syscalls: &TaskSyscalls,
    threads: &mut [Thread],
) -> Option<io::Error> {
    let tids: Vec<i32> = threads
        .iter()
        .filter(|t| t.tid != pid && t.tid > 0)
        .map(|t| t.tid)
        .collect();
    if tids.is_empty() {
        return None;
    }
    let (origins, error) = stacks::thread_origins(root, pid, &tids, syscalls, regions);
    let error = syscalls
        .error
        .as_ref()
        .map(|e| io::Error::new(e.kind(), e.to_string()))
        .or(error);
    // Threads of one pool start in the same object: each object is matched against the
    // catalogue once.
    let mut matched: HashMap<&str, (Option<&catalog::LibraryPattern>, Option<&catalog::Runtime>)> =
        HashMap::new();
    for t in threads.iter_mut() {
        let Some(path) = origins.get(&t.tid) else {
            continue;
        };
        let base = path.rsplit('/').next().unwrap_or(path);
        let (library, runtime) =
            *matched
                .entry(path.as_str())
                .or_insert_with(|| match cat.library_for(path) {
                    Some(lib) => (Some(lib), None),
                    None => (None, cat.runtime_of_object(path)),
                });
        if let Some(lib) = library {
            t.owner = Some(lib.name.clone());
            t.library = Some(lib.key.clone());
        } else if let Some(rt) = runtime {
            t.owner = Some(format!("a {} thread (threading or _thread)", rt.name));
            t.library = None;
        } else if t.owner.is_none() || t.attributed_by.as_deref() != Some("name") {
            t.owner = Some(format!("started by {base}"));
            t.library = None;
        } else {
            continue;
        }
        t.attributed_by = Some("start_routine".into());
    }
    error
}

/// Whether a Python name could tie a thread to a loaded library whose fork handlers cover it:
/// the only way a thread's name changes the verdict.
fn python_names_matter(cat: &Catalog, libraries: &[Library], environment: &[EnvVar]) -> bool {
    cat.thread
        .iter()
        .filter_map(|p| p.library.as_deref())
        .any(|key| verdict::mitigated_in(cat, libraries, environment, key))
}

/// Gives CPython threads the Python names py-spy read (`names`), and through the catalogue's
/// patterns their owners (`pymongo_*` is PyMongo's).
fn name_python_threads(
    pid: i32,
    cat: &Catalog,
    names: Result<HashMap<i32, String>, String>,
    threads: &mut [Thread],
    skip: &mut impl FnMut(&str, String),
) {
    let names = match names {
        Ok(names) => names,
        Err(e) => {
            skip("python-threads", format!("CPython's thread names: {e}"));
            return;
        }
    };
    for t in threads.iter_mut() {
        let Some(name) = names.get(&t.tid) else {
            continue;
        };
        t.python_name = Some(name.clone());
        if t.tid == pid || t.library.is_some() {
            continue;
        }
        if let Some(p) = cat.thread_owner(name) {
            t.owner = Some(format!("{} ({name:?})", p.owner));
            t.library.clone_from(&p.library);
            t.attributed_by = Some("python_name".into());
        } else {
            t.owner = Some(format!("Python thread {name:?}"));
        }
    }
}

/// The version of an installed Python distribution, from the `NAME-VERSION.dist-info` folder
/// beside the package that `lib_path` (one of its extension modules) belongs to.
fn dist_version(root: &ProcRoot, pid: i32, lib_path: &str, package: &str) -> Option<String> {
    let at = lib_path.find(&format!("/{package}/"))?;
    let site = &lib_path[..at];
    let dir = root.pid(pid, "root").join(site.trim_start_matches('/'));
    let prefix = format!("{package}-");
    std::fs::read_dir(dir).ok()?.find_map(|e| {
        let name = e.ok()?.file_name().into_string().ok()?;
        let version = name.strip_prefix(&prefix)?.strip_suffix(".dist-info")?;
        Some(version.to_string())
    })
}

/// The runtime the program runs on: CPython when the executable or a mapped library is the
/// interpreter, Rust when the executable carries the Rust standard library's source paths,
/// native otherwise.
fn runtime_of(
    root: &ProcRoot,
    pid: i32,
    cat: &Catalog,
    executable: Option<&str>,
    regions: &[Region],
) -> Option<String> {
    let exe = executable?;
    let files = std::iter::once(exe).chain(regions.iter().filter_map(Region::path));
    for file in files {
        if let Some(rt) = cat.runtime_of_object(file) {
            return Some(rt.key.clone());
        }
    }
    let rust = elf::contains_bytes(&root.pid(pid, "exe"), b"/rustc/").ok()?;
    Some(if rust { "rust" } else { "native" }.to_string())
}

fn executable_imports(
    root: &ProcRoot,
    pid: i32,
    skip: &mut impl FnMut(&str, String),
) -> Vec<String> {
    match elf::read_symbols(&root.pid(pid, "exe"), &[]) {
        Ok(s) => elf::EXECUTABLE_IMPORTS
            .iter()
            .filter(|name| s.imports.contains(**name))
            .map(|s| s.to_string())
            .collect(),
        Err(e) => {
            skip("executable-imports", reason(&e));
            Vec::new()
        }
    }
}

fn environment(cat: &Catalog, bytes: &[u8]) -> Vec<EnvVar> {
    bytes
        .split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            let (name, value) = kv.split_once('=')?;
            let knob = cat.env.iter().find(|k| k.name == name)?;
            Some(EnvVar {
                name: name.to_string(),
                value: value.to_string(),
                effect: knob.effect.clone(),
            })
        })
        .collect()
}
