//! The inspection report: what was seen in one process, serialised as "Inspect JSON" version 1.

use crate::diagnostic::Finding;
use serde::{Deserialize, Serialize};

/// The JSON schema version of [`Report`]; fields are only ever added.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Safe,
    Unsafe,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Unsafe => "unsafe",
            Verdict::Unknown => "unknown",
        }
    }

    /// The process exit code promised for `inspect`: 0 safe, 1 unsafe, 2 could not tell.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Safe => 0,
            Verdict::Unsafe => 1,
            Verdict::Unknown => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub pid: i32,
    pub command: String,
    pub executable: Option<String>,
    pub verdict: Verdict,
    pub threads: Vec<Thread>,
    pub fds: Vec<Fd>,
    pub locks: Vec<Lock>,
    pub libraries: Vec<Library>,
    /// What the main executable imports that matters around fork (`fork`, `pthread_create`, ...).
    pub executable_imports: Vec<String>,
    /// Launch-time environment variables that change how libraries behave across fork.
    pub environment: Vec<EnvVar>,
    pub findings: Vec<Finding>,
    pub not_checked: Vec<NotChecked>,
    /// What the program runs on, for remedies that fit it: `python` (CPython), `rust`, or
    /// `native` (C, C++ and anything else); absent when the executable could not be read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub runtime: Option<String>,
    /// The platform the data came from (`linux`, or the OS name when only sysinfo was available).
    pub platform: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub tid: i32,
    pub name: String,
    /// The kernel's one-letter state (R, S, D, Z, T, t, X, I), or `?` when unknown.
    pub state: String,
    /// Who started it: from the code its start routine lives in, or else from the catalogue's
    /// thread-name patterns.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<String>,
    /// The name the Python interpreter knows it by (`threading.Thread(name=...)`), when the
    /// process runs CPython.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub python_name: Option<String>,
    /// The catalogue key of the library that started it, when known (its fork handlers may
    /// cover it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub library: Option<String>,
    /// How `owner` was found: `start_routine` (the thread's start routine is in that object's
    /// code, read from the thread's stack: evidence), `python_name` (a naming convention matched
    /// the thread's Python name) or `name` (a naming convention matched the OS-level name). Both
    /// name kinds are guesses, since any code can take any name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attributed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fd {
    pub fd: i32,
    /// file, socket, pipe, anon_inode, memfd, device, directory, other
    pub kind: String,
    /// Absent when fdinfo could not be read.
    pub cloexec: Option<bool>,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<u64>,
    /// read, write or read-write, from fdinfo `flags:`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub access: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub socket: Option<Socket>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Socket {
    /// tcp, tcp6, udp, udp6, unix, or `unknown` when the inode is in none of the tables.
    pub protocol: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub local: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer: Option<String>,
    pub state: String,
    /// The service at the other end (or listened for), from the port or the owning process.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub service: Option<String>,
    /// The local process that holds the other end of a loopback or unix connection (found by
    /// the other end's socket inode).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer_process: Option<PeerProcess>,
    /// Where the other end is when it stays inside the program: `same_process` (a socketpair
    /// such as asyncio's self-pipe, or a loopback connection to itself) or `family` (its parent,
    /// a child, or a sibling worker: a server's own master-worker channel).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer_scope: Option<PeerScope>,
    /// Other processes that hold this very socket already (inherited through a fork, or passed
    /// over a unix socket): one stream, several writers.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub shared_with: Vec<PeerProcess>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerScope {
    SameProcess,
    Family,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerProcess {
    pub pid: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// flock, posix, ofd, lease, or other
    pub kind: String,
    /// read or write
    pub mode: String,
    pub fd: Option<i32>,
    pub path: Option<String>,
    /// `dev:inode` as /proc/locks prints it (hex major:minor).
    pub file_id: String,
    pub range: String,
    /// True when the process is waiting for this lock rather than holding it.
    pub waiting: bool,
    /// What a forked child gets.
    pub inherited: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Library {
    pub path: String,
    /// The catalogue key that matched (openmp, cuda, ...).
    pub matched: String,
    pub description: String,
    pub hazard: String,
    /// The library has fork handlers: it imports `__register_atfork`/`pthread_atfork`, or (for a
    /// Python package whose handlers are Python code) its installed version has them.
    pub atfork: bool,
    /// The installed version, for libraries whose fork behaviour depends on it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// An exported symbol the catalogue expects was found (None: the file could not be read).
    pub confirmed: Option<bool>,
    /// Imports `pthread_create`.
    pub starts_threads: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotChecked {
    pub check: String,
    pub reason: String,
}
