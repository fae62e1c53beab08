//! CPython's own names for its threads. At the OS level a Python thread carries the process name
//! (CPython before 3.14 does not name them), so `pymongo_server_monitor_thread` is visible only
//! in the interpreter's memory; py-spy reads it there without stopping the process.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic;
use std::sync::Once;

/// The Python name of each thread, by OS thread id. Needs the same access as reading the
/// process's memory. py-spy reads a foreign process's memory layout and may panic on what it
/// does not expect; that is reported as an error, not a crash.
pub fn thread_names(pid: i32) -> Result<HashMap<i32, String>, String> {
    quietly(|| read_names(pid))
        .unwrap_or_else(|| Err("the interpreter's memory did not have the expected layout".into()))
}

fn read_names(pid: i32) -> Result<HashMap<i32, String>, String> {
    let mut config = py_spy::Config::default();
    // Read while the process runs: names do not need a consistent stack.
    config.blocking = py_spy::config::LockingStrategy::NonBlocking;
    // Only the names are used: skip decoding each frame's line table.
    config.lineno = py_spy::config::LineNo::NoLine;
    let mut spy = py_spy::PythonSpy::new(pid as _, &config).map_err(|e| e.to_string())?;
    let traces = spy.get_stack_traces().map_err(|e| e.to_string())?;
    Ok(traces
        .into_iter()
        .filter_map(|t| {
            let tid = i32::try_from(t.os_thread_id?).ok()?;
            Some((tid, t.thread_name?))
        })
        .collect())
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into None without printing it (on this thread only; other
/// threads' panics still reach the previous hook).
fn quietly<T>(f: impl FnOnce() -> T + panic::UnwindSafe) -> Option<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = panic::catch_unwind(f);
    QUIET.with(|q| q.set(false));
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_none() {
        assert_eq!(quietly(|| 7), Some(7));
        let r: Option<()> = quietly(|| panic!("unexpected layout"));
        assert_eq!(r, None);
    }

    #[test]
    fn not_a_python_process_is_an_error() {
        assert!(thread_names(std::process::id() as i32).is_err());
    }
}
