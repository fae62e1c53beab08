//! `forklint inspect PID`: is it safe to fork this live process now?

use crate::cli::InspectArgs;

/// Runs the inspection and prints the report; returns the exit code (0 safe, 1 unsafe, 2 unknown).
pub fn run(args: &InspectArgs) -> anyhow::Result<i32> {
    anyhow::bail!("inspect of pid {} is not available in this build", args.pid)
}
