//! A process with known threads, sockets, files and locks, for the `inspect` tests to look at.
//! It prints what it holds as one JSON line, then waits until its stdin closes.

#[cfg(target_os = "linux")]
fn main() {
    std::process::exit(linux::run());
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("forklint-test-helper: Linux only");
    std::process::exit(1);
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::{File, OpenOptions};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsRawFd, IntoRawFd};
    use std::os::unix::net::UnixStream;
    use std::path::PathBuf;

    struct Options {
        threads: Vec<String>,
        tcp: bool,
        tcp_pairs: usize,
        unix: bool,
        files: usize,
        locks: bool,
        churn: bool,
        connect: Option<String>,
        dir: PathBuf,
    }

    fn parse() -> Result<Options, String> {
        let mut o = Options {
            threads: Vec::new(),
            tcp: false,
            tcp_pairs: 0,
            unix: false,
            files: 0,
            locks: false,
            churn: false,
            connect: None,
            dir: std::env::temp_dir(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let mut value = || args.next().ok_or(format!("{a} needs a value"));
            match a.as_str() {
                // NAME or NAME*COUNT
                "--thread" => {
                    let v = value()?;
                    let (name, n) = match v.split_once('*') {
                        Some((name, n)) => (name.to_string(), n.parse().map_err(|_| "bad count")?),
                        None => (v, 1),
                    };
                    o.threads.extend(std::iter::repeat_n(name, n));
                }
                "--tcp" => o.tcp = true,
                "--tcp-pairs" => o.tcp_pairs = value()?.parse().map_err(|_| "bad --tcp-pairs")?,
                "--unix" => o.unix = true,
                "--files" => o.files = value()?.parse().map_err(|_| "bad --files")?,
                "--locks" => o.locks = true,
                "--churn" => o.churn = true,
                "--connect" => o.connect = Some(value()?),
                "--dir" => o.dir = PathBuf::from(value()?),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(o)
    }

    fn clear_cloexec(fd: i32) -> Result<(), String> {
        // SAFETY: fcntl on an fd this process owns, with plain integer arguments.
        let rc = unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
        if rc == 0 {
            Ok(())
        } else {
            Err(format!(
                "fcntl(F_SETFD): {}",
                std::io::Error::last_os_error()
            ))
        }
    }

    fn lock(fd: i32, cmd: i32, kind: i32) -> Result<(), String> {
        // SAFETY: an all-zero flock struct is valid; fields are set before use.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = kind as _;
        fl.l_whence = libc::SEEK_SET as _;
        fl.l_start = 0;
        fl.l_len = 0;
        // SAFETY: fcntl with a pointer to a live, initialised flock struct.
        let rc = unsafe { libc::fcntl(fd, cmd, &mut fl) };
        if rc == 0 {
            Ok(())
        } else {
            Err(format!("fcntl lock: {}", std::io::Error::last_os_error()))
        }
    }

    fn open_rw(path: &PathBuf) -> Result<File, String> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn run() -> i32 {
        match try_run() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("forklint-test-helper: {e}");
                1
            }
        }
    }

    fn try_run() -> Result<(), String> {
        let o = parse()?;
        let mut facts = vec![format!("\"pid\":{}", std::process::id())];
        let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
        let mut fd_list = |name: &str, fds: &[i32]| {
            let list: Vec<String> = fds.iter().map(|f| f.to_string()).collect();
            facts.push(format!("\"{name}\":[{}]", list.join(",")));
        };

        if o.tcp {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            let client = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
            let (accepted, _) = listener.accept().map_err(|e| e.to_string())?;
            fd_list("tcp_listener", &[listener.as_raw_fd()]);
            fd_list("tcp_client", &[client.as_raw_fd()]);
            fd_list("tcp_accepted", &[accepted.as_raw_fd()]);
            fd_list("tcp_port", &[i32::from(port)]);
            keep.push(Box::new((listener, client, accepted)));
        }
        if o.tcp_pairs > 0 {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            for _ in 0..o.tcp_pairs {
                let client = TcpStream::connect(addr).map_err(|e| e.to_string())?;
                let (accepted, _) = listener.accept().map_err(|e| e.to_string())?;
                keep.push(Box::new((client, accepted)));
            }
            keep.push(Box::new(listener));
        }
        if let Some(addr) = &o.connect {
            let stream = TcpStream::connect(addr.as_str()).map_err(|e| format!("{addr}: {e}"))?;
            fd_list("connected", &[stream.as_raw_fd()]);
            keep.push(Box::new(stream));
        }
        if o.unix {
            let (a, b) = UnixStream::pair().map_err(|e| e.to_string())?;
            fd_list("unix", &[a.as_raw_fd(), b.as_raw_fd()]);
            keep.push(Box::new((a, b)));
        }
        let mut cloexec = Vec::new();
        let mut inherit = Vec::new();
        for i in 0..o.files {
            let mut f = open_rw(&o.dir.join(format!("file-{i}.txt")))?;
            // A known offset: the shared-offset finding reports it.
            f.write_all(b"0123456789").map_err(|e| e.to_string())?;
            let fd = f.into_raw_fd();
            if i % 2 == 1 {
                clear_cloexec(fd)?;
                inherit.push(fd);
            } else {
                cloexec.push(fd);
            }
        }
        fd_list("cloexec", &cloexec);
        fd_list("no_cloexec", &inherit);
        if o.locks {
            let flock_file = open_rw(&o.dir.join("flock.lock"))?;
            // SAFETY: flock on an fd this process owns.
            if unsafe { libc::flock(flock_file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                return Err(format!("flock: {}", std::io::Error::last_os_error()));
            }
            let posix_file = open_rw(&o.dir.join("posix.lock"))?;
            lock(posix_file.as_raw_fd(), libc::F_SETLK, libc::F_WRLCK)?;
            let ofd_file = open_rw(&o.dir.join("ofd.lock"))?;
            lock(ofd_file.as_raw_fd(), libc::F_OFD_SETLK, libc::F_RDLCK)?;
            fd_list("flock", &[flock_file.as_raw_fd()]);
            fd_list("posix", &[posix_file.as_raw_fd()]);
            fd_list("ofd", &[ofd_file.as_raw_fd()]);
            keep.push(Box::new((flock_file, posix_file, ofd_file)));
        }
        // std names a thread from inside it, before running the closure: once every closure
        // has reported in, every name is visible in /proc.
        let (started, ready) = std::sync::mpsc::channel();
        for name in &o.threads {
            let started = started.clone();
            std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || {
                    let _ = started.send(());
                    loop {
                        std::thread::park();
                    }
                })
                .map_err(|e| e.to_string())?;
        }
        for _ in &o.threads {
            ready.recv().map_err(|e| e.to_string())?;
        }
        if o.churn {
            // Opens and closes fds without pause, so inspection races with readdir/readlink.
            let dir = o.dir.clone();
            std::thread::Builder::new()
                .name("churn".into())
                .spawn(move || loop {
                    let files: Vec<_> = (0..20)
                        .filter_map(|i| File::create(dir.join(format!("churn-{i}"))).ok())
                        .collect();
                    drop(files);
                })
                .map_err(|e| e.to_string())?;
        }
        println!("{{{}}}", facts.join(","));
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        drop(keep);
        Ok(())
    }
}
