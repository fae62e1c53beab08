//! `forklint init`: the commented `forklint.toml` template. Every key is shown, commented out, with
//! its default, so the file documents itself.

pub const TEMPLATE: &str = r#"# forklint configuration. forklint finds this file by walking up from the first path it checks;
# `--config PATH` names one explicitly and `--isolated` ignores every configuration.
# The same keys work in Cargo.toml under [workspace.metadata.forklint] or [package.metadata.forklint].
# Rules are named by id (FL001) or name (thread-before-fork); `forklint rules` lists them.

# Only these rules run (default: all of them).
# select = ["FL001", "FL002"]

# These rules never run.
# ignore = ["fd-shared-across-fork"]

# Files not to analyse when reached by walking a folder (gitignore syntax, relative to this file).
# Files named on the command line are still analysed unless `--force-exclude` is given.
# exclude = ["vendor/", "src/generated/**"]

# The lowest severity that makes `forklint check` exit 1: "error" (default), "warning" or "never".
# fail-on = "error"

# Report suppression comments that give no reason (rule FL901), as `--require-reasons` does.
# require-reasons = false

# Rule levels: "allow" (off), "warn" or "deny" (error). Command-line -A/-W/-D flags win.
[lints]
# exit-in-child = "deny"
# FL007 = "allow"

# Rules to ignore in some files (gitignore syntax, relative to this file; a `!glob` key means the files outside it).
[per-file-ignores]
# "tests/**" = ["FL005"]

# Teach forklint your own wrappers. Each entry names one call by `path` (as other crates call it:
# "my_crate::module::function" or "my_crate::Type::method"), `method` (any receiver; a `crate`
# key limits it to files that use that crate) or `macro`, and gives a `reason`.

# Calls that start threads, thread pools or async runtimes (FL001 when alive at a fork).
# [[extra-thread-spawners]]
# path = "my_runtime::start_workers"
# reason = "starts the shared worker pool"

# Calls that create sockets, connections, clients or pools (FL002).
# [[extra-connection-constructors]]
# path = "my_db::connect"
# reason = "opens a pooled PostgreSQL connection"

# Calls that fork and go on in the child ("fork", the default) or daemonize ("daemon").
# [[extra-fork-functions]]
# path = "my_proc::spawn_worker"
# kind = "fork"
# reason = "wraps libc::fork and returns the pid"

# Calls known to be async-signal-safe, allowed in a child before exec and in pre_exec (FL005).
# [[allowed-in-child]]
# path = "my_sys::write_all_raw"
# reason = "a loop over write(2) on a preallocated buffer"
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn template_is_a_valid_configuration_and_uncommented_examples_are_too() {
        let path = std::path::Path::new("forklint.toml");
        super::super::read::read(path, super::TEMPLATE, &[]).unwrap();
        let uncommented: String = super::TEMPLATE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with("[[") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = super::super::read::read(path, &uncommented, &[])
            .unwrap()
            .unwrap();
        assert_eq!(c.extensions.len(), 4);
        assert_eq!(c.select.unwrap(), ["FL001", "FL002"]);
    }
}
