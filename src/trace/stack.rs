//! A stack as the report shows it (Python frames, native frames) and the call site a fork or a
//! thread start is named by: the innermost frame of the program's own code, with the frame that
//! made the system call beside it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameKind {
    Python,
    Native,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub kind: FrameKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The executable or library the code is in (native frames).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The code address, hexadecimal (native frames).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Frame {
    fn place(&self) -> Option<String> {
        Some(format!(
            "{}:{}",
            short_path(self.file.as_deref()?),
            self.line?
        ))
    }

    /// `file:line`, else `function (module)`, else the address.
    pub fn describe(&self) -> String {
        if let Some(place) = self.place() {
            return place;
        }
        let module = self
            .module
            .as_deref()
            .map(|m| m.rsplit('/').next().unwrap_or(m));
        match (&self.function, module) {
            (Some(f), Some(m)) => format!("{f} ({m})"),
            (Some(f), None) => f.clone(),
            (None, Some(m)) => format!("{} ({m})", self.address.as_deref().unwrap_or("?")),
            (None, None) => self.address.clone().unwrap_or_else(|| "?".to_string()),
        }
    }

    /// Code of the language runtime or its standard library rather than of the program.
    fn is_runtime(&self) -> bool {
        match self.kind {
            FrameKind::Python => {
                let file = self.file.as_deref().unwrap_or("");
                file.starts_with('<')
                    || (file.contains("/lib/python") && !file.contains("-packages/"))
            }
            FrameKind::Native => {
                let module = self.module.as_deref().unwrap_or("");
                let base = module.rsplit('/').next().unwrap_or(module);
                let function = self.function.as_deref().unwrap_or("");
                RUNTIME_LIBRARIES.iter().any(|l| base.starts_with(l))
                    || RUNTIME_FUNCTIONS.iter().any(|f| function.starts_with(f))
            }
        }
    }
}

/// A source path as people name it: a Python library module from its package
/// (`multiprocessing/popen_fork.py`), a file under the current folder relative to it.
fn short_path(path: &str) -> String {
    for marker in ["-packages/", "/lib/python"] {
        if let Some(i) = path.find(marker) {
            let rest = &path[i + marker.len()..];
            // `/lib/python3.11/...`: drop the version folder too.
            let rest = if marker == "/lib/python" {
                rest.split_once('/').map_or(rest, |(_, r)| r)
            } else {
                rest
            };
            return rest.to_string();
        }
    }
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = std::path::Path::new(path).strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    path.to_string()
}

/// Libraries whose frames are the runtime's, not the program's.
const RUNTIME_LIBRARIES: [&str; 5] = ["libc.so", "libc-", "libpthread", "ld-linux", "ld-musl"];
/// Functions of Rust's standard library, the C runtime and CPython's own fork/thread wrappers.
const RUNTIME_FUNCTIONS: [&str; 14] = [
    "std::",
    "core::",
    "alloc::",
    "<std::",
    "<core::",
    "<alloc::",
    "__libc",
    "_start",
    "__clone",
    "_Py",
    "Py",
    "os_fork",
    "thread_PyThread",
    "method_vectorcall",
];

/// Where a stack stands: Python frames when the process runs CPython, else native ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stack {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub python: Vec<Frame>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub native: Vec<Frame>,
    /// Why a part is missing (not CPython, a read failed, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Stack {
    /// The frames that name the place: innermost first.
    pub fn frames(&self) -> &[Frame] {
        if self.python.is_empty() {
            &self.native
        } else {
            &self.python
        }
    }

    /// `app/worker.py:88 (multiprocessing/popen_fork.py:66)`: the program's innermost frame and,
    /// when different, the innermost frame of all.
    pub fn site(&self) -> String {
        let frames = self.frames();
        let Some(inner) = frames.first() else {
            return "unknown call site".to_string();
        };
        match frames.iter().find(|f| !f.is_runtime()) {
            Some(own) if own != inner => format!("{} ({})", own.describe(), inner.describe()),
            Some(own) => own.describe(),
            None => inner.describe(),
        }
    }

    /// The program's innermost frame, when it has a file and line.
    pub fn own_frame(&self) -> Option<&Frame> {
        self.frames()
            .iter()
            .find(|f| !f.is_runtime())
            .filter(|f| f.place().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(file: &str, line: u32, function: &str) -> Frame {
        Frame {
            kind: FrameKind::Python,
            function: Some(function.to_string()),
            file: Some(file.to_string()),
            line: Some(line),
            module: None,
            address: None,
        }
    }

    fn native(function: &str, module: &str) -> Frame {
        Frame {
            kind: FrameKind::Native,
            function: Some(function.to_string()),
            file: None,
            line: None,
            module: Some(module.to_string()),
            address: Some("0x1000".to_string()),
        }
    }

    #[test]
    fn python_site_names_the_program_frame_and_the_stdlib_frame() {
        let stack = Stack {
            python: vec![
                py(
                    "/usr/lib/python3.11/multiprocessing/popen_fork.py",
                    66,
                    "_launch",
                ),
                py(
                    "/usr/lib/python3.11/multiprocessing/process.py",
                    121,
                    "start",
                ),
                py("/srv/app/worker.py", 88, "run"),
            ],
            ..Stack::default()
        };
        assert_eq!(
            stack.site(),
            "/srv/app/worker.py:88 (multiprocessing/popen_fork.py:66)"
        );
    }

    #[test]
    fn native_site_skips_libc_and_std() {
        let stack = Stack {
            native: vec![
                native("_Fork", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
                native("std::sys::process::spawn", "/srv/daemon"),
                native("daemon::main", "/srv/daemon"),
            ],
            ..Stack::default()
        };
        assert_eq!(stack.site(), "daemon::main (daemon) (_Fork (libc.so.6))");
        assert!(stack.own_frame().is_none());
    }

    #[test]
    fn an_empty_stack_has_an_unknown_site() {
        assert_eq!(Stack::default().site(), "unknown call site");
    }
}
