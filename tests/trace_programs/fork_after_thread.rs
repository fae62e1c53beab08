// Starts a named thread, then forks; the child goes on running (sleeps, then _exit). The parent
// prints to stdout and exits with the code given as its first argument.
use std::thread;
use std::time::Duration;

extern "C" {
    fn fork() -> i32;
    fn _exit(code: i32) -> !;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
}

/// Returns once the thread runs, so that it has its name when the process forks.
fn start_pool() -> thread::JoinHandle<()> {
    let (running, started) = std::sync::mpsc::channel();
    let work = move || {
        running.send(()).unwrap();
        thread::sleep(Duration::from_millis(600))
    };
    let pool = thread::Builder::new()
        .name("db-pool".into())
        .spawn(work) // SPAWN
        .unwrap();
    started.recv().unwrap();
    pool
}

fn main() {
    let code: i32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let pool = start_pool();
    let pid = unsafe { fork() }; // FORK
    if pid == 0 {
        thread::sleep(Duration::from_millis(300));
        unsafe { _exit(0) }
    }
    let mut status = 0;
    unsafe { waitpid(pid, &mut status, 0) };
    pool.join().unwrap();
    println!("parent done");
    std::process::exit(code);
}
