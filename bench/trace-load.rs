// The load for the `forklint trace` overhead row: starts 1,000 threads (10 rounds of 100,
// joined after each round) and forks 100 times (10 per round) while 4 long-lived threads run;
// each child exits at once with _exit.
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

static DONE: AtomicBool = AtomicBool::new(false);

extern "C" {
    fn fork() -> i32;
    fn _exit(code: i32) -> !;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
}

fn main() {
    let background: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(|| {
                while !DONE.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();
    for _ in 0..10 {
        let round: Vec<_> = (0..100).map(|i| thread::spawn(move || i * 2)).collect();
        for t in round {
            t.join().unwrap();
        }
        for _ in 0..10 {
            let pid = unsafe { fork() };
            if pid == 0 {
                unsafe { _exit(0) }
            }
            let mut status = 0;
            unsafe { waitpid(pid, &mut status, 0) };
        }
    }
    DONE.store(true, Ordering::Relaxed);
    for t in background {
        t.join().unwrap();
    }
}
