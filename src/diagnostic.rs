//! The one finding model that `check` and `inspect` produce and every renderer consumes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is; ordered so that `Error > Warning > Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" | "note" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" | "deny" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source range; lines and columns are 1-based, the end column is exclusive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// A secondary place that explains a finding: where a hazard was created, a step of the call chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

/// One problem. `location` is absent for findings about a live process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub name: String,
    pub severity: Severity,
    pub location: Option<Location>,
    pub message: String,
    /// Where the hazards behind this finding were created.
    pub related: Vec<Related>,
    /// The call chain, in order, from the function that orders the events to the offending call.
    pub trace: Vec<Related>,
    pub help: String,
}

impl Finding {
    /// The order findings are printed in: by path, position, then rule.
    pub fn sort_key(&self) -> (Option<&Location>, &str) {
        (self.location.as_ref(), self.rule.as_str())
    }
}

/// A file or process part that could not be analysed, with the reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputError {
    pub path: String,
    pub message: String,
    /// Where the (first) syntax error is, when the file was analysed in part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The file was analysed without the statements its syntax errors touch; the rest of it
    /// was analysed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

impl InputError {
    /// A file that could not be analysed at all.
    pub fn whole(path: String, message: String) -> InputError {
        InputError {
            path,
            message,
            ..Default::default()
        }
    }

    /// The path, with `:line:col` when the error has a place.
    pub fn place(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.path),
            _ => self.path.clone(),
        }
    }

    /// A file analysed without the statements its syntax errors touch.
    pub fn partial(path: String, recovered: crate::ir::Recovered) -> InputError {
        InputError {
            path,
            message: recovered.message,
            line: Some(recovered.line),
            column: Some(recovered.column),
            partial: true,
        }
    }
}
