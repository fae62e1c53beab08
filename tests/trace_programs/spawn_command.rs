// Starts a thread, then runs a command the way std does (posix_spawn): no hazard.
use std::process::Command;
use std::thread;
use std::time::Duration;

fn main() {
    let worker = thread::Builder::new()
        .name("worker".into())
        .spawn(|| thread::sleep(Duration::from_millis(400)))
        .unwrap();
    let status = Command::new("true").spawn().unwrap().wait().unwrap(); // SPAWN
    assert!(status.success());
    worker.join().unwrap();
}
