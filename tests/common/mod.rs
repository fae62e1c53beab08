//! Helpers shared by the command-line tests: temporary projects and running the binaries.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A thread alive at a fork whose child goes on: FL001 (error) at line 4.
pub const THREAD_FORK: &str = "fn main() {
    let worker = std::thread::spawn(|| loop { std::thread::park(); });
    let _ = 1;
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        serve();
    }
    drop(worker);
}

fn serve() {}
";

/// A child that leaves through `exit`: FL006 (warning) at line 4.
pub const CHILD_EXIT: &str = "fn main() {
    match unsafe { libc::fork() } {
        0 => {
            std::process::exit(0);
        }
        _ => {}
    }
}
";

/// Code without hazards.
pub const CLEAN: &str = "fn main() {\n    println!(\"hello\");\n}\n";

pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    dir
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A command that cannot reach a repository other than the one under `dir`: the `GIT_*`
/// variables a surrounding git (a hook, `rebase --exec`) exports are removed.
pub fn isolated(bin: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(dir);
    cmd
}

fn command(bin: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = isolated(bin, dir);
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::null());
    cmd
}

/// Runs `forklint ARGS` in `dir`.
pub fn forklint(dir: &Path, args: &[&str]) -> Run {
    finish(
        command(env!("CARGO_BIN_EXE_forklint"), dir, args)
            .output()
            .unwrap(),
    )
}

/// Runs `forklint ARGS` in `dir` with `input` on stdin.
pub fn forklint_stdin(dir: &Path, args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let mut child = command(env!("CARGO_BIN_EXE_forklint"), dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    finish(child.wait_with_output().unwrap())
}

/// Runs `cargo-forklint ARGS` in `dir`, as cargo would (with `forklint` inserted first).
pub fn cargo_forklint(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["forklint"];
    all.extend_from_slice(args);
    finish(
        command(env!("CARGO_BIN_EXE_cargo-forklint"), dir, &all)
            .output()
            .unwrap(),
    )
}

/// `(path, line, rule)` of each finding line of `--format concise` output.
pub fn concise(stdout: &str) -> Vec<(String, u32, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let (place, rest) = l.split_once(": ")?;
            let mut parts = place.rsplitn(3, ':');
            let _col: u32 = parts.next()?.parse().ok()?;
            let line: u32 = parts.next()?.parse().ok()?;
            let path = parts.next()?.to_string();
            let rule = rest.split_whitespace().next()?.to_string();
            Some((path, line, rule))
        })
        .collect()
}

/// The rules reported, in order, from `--format concise` output.
pub fn rules(stdout: &str) -> Vec<String> {
    concise(stdout).into_iter().map(|f| f.2).collect()
}
