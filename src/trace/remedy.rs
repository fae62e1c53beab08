//! The remedy for a fork, from `rules/trace.toml`: by the framework its stack passes through,
//! else by the runtime of the process.

use crate::trace::stack::{FrameKind, Stack};
use serde::Deserialize;
use std::sync::OnceLock;

const TRACE_TOML: &str = include_str!("../../rules/trace.toml");

#[derive(Debug, Deserialize)]
struct Runtime {
    python: String,
    native: String,
}

#[derive(Debug, Deserialize)]
struct Site {
    frame: String,
    remedy: String,
}

#[derive(Debug, Deserialize)]
struct Remedies {
    runtime: Runtime,
    site: Vec<Site>,
}

fn remedies() -> &'static Remedies {
    static REMEDIES: OnceLock<Remedies> = OnceLock::new();
    // The file is part of the binary and parsed by a unit test, so a failure here is a bug.
    REMEDIES.get_or_init(|| toml::from_str(TRACE_TOML).expect("rules/trace.toml is valid"))
}

/// The advice for a fork made with this stack (`command` helps name a native server).
pub fn for_fork(stack: &Stack, command: &str) -> String {
    let r = remedies();
    let frames = stack.python.iter().chain(stack.native.iter());
    for frame in frames {
        let texts = [frame.file.as_deref(), frame.function.as_deref()];
        if let Some(site) = r
            .site
            .iter()
            .find(|s| texts.iter().flatten().any(|t| t.contains(&s.frame)))
        {
            return site.remedy.clone();
        }
    }
    if let Some(site) = r.site.iter().find(|s| command.contains(&s.frame)) {
        return site.remedy.clone();
    }
    match stack.frames().first().map(|f| f.kind) {
        Some(FrameKind::Python) => r.runtime.python.clone(),
        _ => r.runtime.native.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::stack::Frame;

    fn py(file: &str) -> Frame {
        Frame {
            kind: FrameKind::Python,
            function: Some("f".into()),
            file: Some(file.into()),
            line: Some(1),
            module: None,
            address: None,
        }
    }

    #[test]
    fn framework_frames_pick_their_remedy() {
        let stack = Stack {
            python: vec![
                py("/usr/lib/python3.11/multiprocessing/popen_fork.py"),
                py("/srv/app.py"),
            ],
            ..Stack::default()
        };
        assert!(for_fork(&stack, "python3 app.py").contains("get_context(\"spawn\")"));
        let plain = Stack {
            python: vec![py("/srv/app.py")],
            ..Stack::default()
        };
        assert!(for_fork(&plain, "python3 app.py").contains("before starting any thread"));
        assert!(for_fork(&Stack::default(), "uwsgi --ini app.ini").contains("lazy-apps"));
        assert!(for_fork(&Stack::default(), "daemon").contains("posix_spawn"));
    }
}
