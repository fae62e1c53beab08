//! The ptrace event loop: seizes the program (a launched command or a running pid), follows every
//! thread and process it creates, and stops only at clone, fork, vfork and exec events (it
//! resumes with PTRACE_CONT, never PTRACE_SYSCALL). Each event is handed to an [`Observer`]
//! while the thread that caused it is still stopped, so the observer can read that instant.

use nix::errno::Errno;
use nix::sys::ptrace::{self, Event, Options};
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI32, Ordering};

/// How a new process was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForkKind {
    /// fork(), or clone() with SIGCHLD and a copied address space: the child goes on with a copy.
    Fork,
    /// vfork() or posix_spawn(): CLONE_VM|CLONE_VFORK, the parent waits until the child execs.
    Vfork,
    /// clone() of a process with some other exit signal or flags.
    Clone,
}

impl ForkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ForkKind::Fork => "fork",
            ForkKind::Vfork => "vfork",
            ForkKind::Clone => "clone",
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Killed(i32),
}

impl Ending {
    /// The exit code a shell reports: the code, or 128 + the signal.
    pub fn exit_code(self) -> i32 {
        match self {
            Ending::Exited(code) => code,
            Ending::Killed(sig) => 128 + sig,
        }
    }
}

pub trait Observer {
    /// Thread `tid` of process `pid` started thread `new`; `tid` is stopped.
    fn thread(&mut self, pid: i32, tid: i32, new: i32);
    /// Thread `tid` of process `pid` made process `child`; `tid` is stopped.
    fn process(&mut self, pid: i32, tid: i32, child: i32, kind: ForkKind);
    /// Process `pid` exec'd a new program.
    fn exec(&mut self, pid: i32);
    /// Process `pid` ended.
    fn ended(&mut self, pid: i32, how: Ending);
    /// Called after each event and about once a second while nothing happens.
    fn tick(&mut self);
}

/// The last terminating signal received by forklint itself (0: none).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: nix::libc::c_int) {
    if sig != nix::libc::SIGALRM {
        SIGNALLED.store(sig, Ordering::SeqCst);
    }
}

/// Routes SIGINT, SIGTERM, SIGHUP and SIGQUIT to a flag and SIGALRM to a wake-up, without
/// SA_RESTART, so that a blocked waitpid returns EINTR and the loop can look at them.
pub fn catch_signals() -> Result<(), Errno> {
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGALRM,
    ] {
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe.
        unsafe { signal::sigaction(sig, &action) }?;
    }
    Ok(())
}

pub fn options(launched: bool) -> Options {
    let follow = Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_TRACEEXEC;
    if launched {
        // The program must not outlive forklint, as it would run on untraced.
        follow | Options::PTRACE_O_EXITKILL
    } else {
        follow
    }
}

pub struct Tracer {
    /// Traced thread -> its process (thread group) id.
    tasks: HashMap<i32, i32>,
    /// The launched command's pid; None when attached to a running process.
    root: Option<i32>,
    root_ending: Option<Ending>,
    /// New threads and processes whose first stop came before their creator's event: they
    /// stay stopped until the creator's event has been observed, so that nothing they do (an
    /// exec, an exit) is seen before their birth.
    held: HashSet<i32>,
}

impl Tracer {
    /// `tasks` are the threads already seized, each with its process id.
    pub fn new(tasks: HashMap<i32, i32>, root: Option<i32>) -> Tracer {
        Tracer {
            tasks,
            root,
            root_ending: None,
            held: HashSet::new(),
        }
    }

    /// Runs until no traced thread is left, or, when attached, until forklint is interrupted
    /// (then every thread is detached and runs on). Returns how the launched command ended.
    pub fn run(&mut self, observer: &mut dyn Observer) -> Result<Option<Ending>, Errno> {
        nix::unistd::alarm::set(1);
        loop {
            match waitpid(None, Some(WaitPidFlag::__WALL)) {
                Ok(status) => {
                    self.dispatch(status, observer);
                    // The alarm may have gone off while the event was handled: arm it again
                    // so that a quiet program still gets its ticks.
                    observer.tick();
                    nix::unistd::alarm::set(1);
                }
                Err(Errno::EINTR) => {
                    let sig = SIGNALLED.swap(0, Ordering::SeqCst);
                    if sig != 0 && self.interrupted(sig, observer)? {
                        nix::unistd::alarm::cancel();
                        return Ok(None);
                    }
                    observer.tick();
                    nix::unistd::alarm::set(1);
                }
                Err(Errno::ECHILD) => break,
                Err(e) => return Err(e),
            }
        }
        nix::unistd::alarm::cancel();
        Ok(self.root_ending)
    }

    /// A signal reached forklint. A launched command gets SIGTERM and SIGHUP passed on (a
    /// terminal's SIGINT reaches it directly); when attached, any of them means detach.
    fn interrupted(&mut self, sig: i32, observer: &mut dyn Observer) -> Result<bool, Errno> {
        if let Some(root) = self.root {
            if sig == nix::libc::SIGTERM || sig == nix::libc::SIGHUP {
                if let Ok(s) = Signal::try_from(sig) {
                    let _ = signal::kill(Pid::from_raw(root), s);
                }
            }
            return Ok(false);
        }
        self.detach_all(observer)?;
        Ok(true)
    }

    fn tgid(&mut self, tid: i32) -> i32 {
        if let Some(pid) = self.tasks.get(&tid) {
            return *pid;
        }
        let pid = read_tgid(tid).unwrap_or(tid);
        self.tasks.insert(tid, pid);
        pid
    }

    fn dispatch(&mut self, status: WaitStatus, observer: &mut dyn Observer) {
        match status {
            WaitStatus::PtraceEvent(tid, _, event) => {
                let t = tid.as_raw();
                if event == Event::PTRACE_EVENT_STOP as i32 && !self.tasks.contains_key(&t) {
                    self.held.insert(t);
                    return;
                }
                let pid = self.tgid(t);
                match event {
                    e if e == Event::PTRACE_EVENT_FORK as i32
                        || e == Event::PTRACE_EVENT_VFORK as i32
                        || e == Event::PTRACE_EVENT_CLONE as i32 =>
                    {
                        if let Ok(new) = ptrace::getevent(tid) {
                            self.created(pid, t, new as i32, e, observer);
                        }
                    }
                    e if e == Event::PTRACE_EVENT_EXEC as i32 => {
                        // A thread other than the leader that execs takes the leader's id; the
                        // old id is reported by the event message.
                        if let Ok(former) = ptrace::getevent(tid) {
                            if former as i32 != t {
                                self.tasks.remove(&(former as i32));
                            }
                        }
                        self.tasks.retain(|task, p| *p != pid || *task == t);
                        observer.exec(pid);
                    }
                    // PTRACE_EVENT_STOP: a new thread's first stop, a group-stop or an
                    // interrupt. Resuming ends a group-stop (job control is not kept).
                    _ => {}
                }
                resume(tid, None);
            }
            WaitStatus::Stopped(tid, sig) => {
                self.tgid(tid.as_raw());
                // A signal on its way to the program: deliver it.
                resume(tid, Some(sig));
            }
            WaitStatus::Exited(tid, code) => {
                self.gone(tid.as_raw(), Ending::Exited(code), observer)
            }
            WaitStatus::Signaled(tid, sig, _) => {
                self.gone(tid.as_raw(), Ending::Killed(sig as i32), observer)
            }
            _ => {}
        }
    }

    fn created(&mut self, pid: i32, tid: i32, new: i32, event: i32, observer: &mut dyn Observer) {
        let kind = if event == Event::PTRACE_EVENT_FORK as i32 {
            Some(ForkKind::Fork)
        } else if event == Event::PTRACE_EVENT_VFORK as i32 {
            Some(ForkKind::Vfork)
        } else if read_tgid(new) == Some(pid) {
            // CLONE_THREAD: same thread group.
            None
        } else {
            Some(ForkKind::Clone)
        };
        match kind {
            None => {
                self.tasks.insert(new, pid);
                observer.thread(pid, tid, new);
            }
            Some(kind) => {
                self.tasks.insert(new, new);
                observer.process(pid, tid, new, kind);
            }
        }
        if self.held.remove(&new) {
            resume(Pid::from_raw(new), None);
        }
    }

    fn gone(&mut self, tid: i32, how: Ending, observer: &mut dyn Observer) {
        let pid = self.tasks.remove(&tid).unwrap_or(tid);
        if pid == tid {
            if self.root == Some(tid) {
                self.root_ending = Some(how);
            }
            observer.ended(pid, how);
        }
    }

    /// Stops every traced thread with PTRACE_INTERRUPT and detaches it at its next stop;
    /// threads and processes created meanwhile are detached as they appear.
    fn detach_all(&mut self, observer: &mut dyn Observer) -> Result<(), Errno> {
        for tid in self.held.drain() {
            let _ = ptrace::detach(Pid::from_raw(tid), None);
        }
        for tid in self.tasks.keys() {
            let _ = ptrace::interrupt(Pid::from_raw(*tid));
        }
        while !self.tasks.is_empty() {
            let status = match waitpid(None, Some(WaitPidFlag::__WALL)) {
                Ok(s) => s,
                Err(Errno::EINTR) => continue,
                Err(Errno::ECHILD) => break,
                Err(e) => return Err(e),
            };
            match status {
                WaitStatus::PtraceEvent(tid, _, event) => {
                    let creates = event == Event::PTRACE_EVENT_FORK as i32
                        || event == Event::PTRACE_EVENT_VFORK as i32
                        || event == Event::PTRACE_EVENT_CLONE as i32;
                    if creates {
                        if let Ok(new) = ptrace::getevent(tid) {
                            self.tasks.insert(new as i32, new as i32);
                        }
                    }
                    let _ = ptrace::detach(tid, None);
                    self.tasks.remove(&tid.as_raw());
                }
                WaitStatus::Stopped(tid, sig) => {
                    let _ = ptrace::detach(tid, Some(sig));
                    self.tasks.remove(&tid.as_raw());
                }
                WaitStatus::Exited(tid, code) => {
                    self.gone(tid.as_raw(), Ending::Exited(code), observer)
                }
                WaitStatus::Signaled(tid, sig, _) => {
                    self.gone(tid.as_raw(), Ending::Killed(sig as i32), observer)
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Resumes a stopped thread; one that died meanwhile (ESRCH) is reported by waitpid later.
fn resume(tid: Pid, sig: Option<Signal>) {
    let _ = ptrace::cont(tid, sig);
}

/// The process a thread belongs to, from `/proc/TID/status`.
pub fn read_tgid(tid: i32) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}
