//! What forklint records about one fork: who forked and from where, the parent's state at that
//! instant (through `inspect`), who started each live thread, what became of the child, and the
//! verdict. Serialised as one line of the trace JSON.

use crate::diagnostic::Finding;
use crate::inspect::model::{Fd, Report, Verdict};
use crate::trace::stack::Stack;
use crate::trace::tracer::ForkKind;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Where a thread was started: the stack of the thread that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadStart {
    pub by: i32,
    pub site: String,
    pub stack: Stack,
}

/// What became of a forked child, as far as the report is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It exec'd a program `after_ms` after the fork.
    Exec {
        after_ms: u64,
    },
    /// It ended without exec.
    Exit {
        code: i32,
        after_ms: u64,
    },
    Killed {
        signal: i32,
        after_ms: u64,
    },
    /// It was still running the parent's program when the report was written.
    Running {
        for_ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildFate {
    pub fate: Fate,
    /// The program exec'd (Fate::Exec).
    pub program: Option<String>,
}

impl Serialize for ChildFate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        match self.fate {
            Fate::Exec { after_ms } => {
                m.serialize_entry("exec", &self.program)?;
                m.serialize_entry("after_ms", &after_ms)?;
            }
            Fate::Exit { code, after_ms } => {
                m.serialize_entry("exit", &code)?;
                m.serialize_entry("after_ms", &after_ms)?;
            }
            Fate::Killed { signal, after_ms } => {
                m.serialize_entry("killed", &signal)?;
                m.serialize_entry("after_ms", &after_ms)?;
            }
            Fate::Running { for_ms } => {
                m.serialize_entry("running", &true)?;
                m.serialize_entry("for_ms", &for_ms)?;
            }
        }
        m.end()
    }
}

/// A thread of the parent at the fork, as inspect saw it, with where it was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadAtFork {
    pub tid: i32,
    pub name: String,
    pub state: String,
    /// Who inspect's catalogue says started it (by its name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The Python thread name, when the process runs CPython.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python_name: Option<String>,
    /// The call site that started it (None: started before tracing began, or the main thread).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_by: Option<i32>,
    /// This thread called fork.
    pub forking: bool,
    #[serde(skip)]
    pub start_location: Option<crate::diagnostic::Location>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForkRecord {
    pub version: u32,
    pub event: &'static str,
    /// 1-based order of the fork in the trace.
    pub number: usize,
    /// Seconds since the trace started.
    pub time: f64,
    pub pid: i32,
    pub tid: i32,
    pub child: i32,
    pub kind: ForkKind,
    pub command: String,
    /// The call site the fork is named by.
    pub site: String,
    #[serde(rename = "stack")]
    pub frames: Vec<crate::trace::stack::Frame>,
    #[serde(rename = "stacks")]
    pub full_stack: Stack,
    pub threads: Vec<ThreadAtFork>,
    pub fds: Vec<Fd>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<crate::inspect::model::Lock>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<crate::inspect::model::Library>,
    pub child_fate: Option<ChildFate>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// What could not be read at the fork.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<String>,
    #[serde(skip)]
    pub report: Option<Report>,
}
