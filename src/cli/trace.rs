//! `forklint trace`: turns the flags into the tracer's options and runs it.

use super::args::{TraceArgs, TraceFailOn, TraceFormat};
use crate::trace::{Format, Options};

/// Runs the trace; the exit code is [`crate::trace::run`]'s.
pub fn run(args: &TraceArgs) -> anyhow::Result<i32> {
    crate::trace::run(&Options {
        pid: args.pid.clone(),
        command: args.command.clone(),
        output: args.output.clone(),
        format: match args.format {
            TraceFormat::Human => Format::Human,
            TraceFormat::Json => Format::Json,
        },
        exec_within_ms: args.exec_within,
        fail_on_unsafe: args.fail_on == TraceFailOn::Unsafe,
    })
}
