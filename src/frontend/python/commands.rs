//! Command lines in the repository that start a Python server or worker which forks after
//! importing the application: `Procfile`s (and `Procfile.*`), Dockerfiles (`CMD`, `ENTRYPOINT`,
//! `RUN`), shell scripts (also s6/runit `run` files, container entrypoints and `#!` shell scripts
//! without an extension), Makefile recipes, YAML files of any name (compose
//! `entrypoint:`/`command:`, Kubernetes `command:`/`args:`), supervisord programs (`command=` in
//! `*.conf` and `*.ini`), systemd units (`ExecStart=` in `*.service`), hosting platforms' files
//! (`railway.json`, `nixpacks.toml`, `fly.toml`), and the templates that render any of them
//! (`celery.service.j2`). One reader serves every server: a file becomes logical lines, a line
//! becomes words (with the scripts of `sh -c "..."` and JSON/TOML string values read as
//! commands of their own), and each program found in them is handed to its server's parser;
//! gunicorn also reads `GUNICORN_CMD_ARGS` set in the same file, uWSGI the configuration file
//! it is given (`--ini`, `--yaml`, or the file as its argument). Each such command becomes a
//! `<prefork>` function (see `servers`): gunicorn with `--preload`, uWSGI without
//! `--lazy-apps`, a Celery worker with the prefork pool, an RQ worker (a fork per job, also
//! django-rq's `manage.py rqworker`). The app's import is the "before the fork".

use super::servers::{self, Prefork, Worker};
use crate::ir::{FileIr, Span};
use std::path::Path;

/// Files whose lines may start such a command.
pub fn is_command_file(path: &Path) -> bool {
    let Some(lower) = deployment_name(path) else {
        return false;
    };
    // Scripts without an extension: by their `#!` line (a Python one is a program, read as
    // Python), else s6 and runit `run` files and container entrypoints by name.
    let script = !lower.contains('.')
        && match interpreter(path) {
            Some(Interpreter::Python) => return false,
            Some(Interpreter::Shell) => true,
            None => lower == "run" || lower.contains("entrypoint") || is_makefile(&lower),
        };
    script
        // Heroku's and honcho's `Procfile`, and the variants foreman is pointed at
        // (`Procfile.dev`, `worker.procfile`).
        || lower == "procfile"
        || lower.starts_with("procfile.")
        || lower.ends_with(".procfile")
        || is_dockerfile(&lower)
        || lower.ends_with(".sh")
        || lower.ends_with(".bash")
        || lower.ends_with(".mk")
        // supervisord programs (its own file, or an include directory) and systemd units.
        || (lower.ends_with(".conf") && is_supervisor_conf(path))
        || (lower.ends_with(".ini") && is_supervisor_conf(path) && !servers::is_uwsgi_ini(path))
        || lower.ends_with(".service")
        // Compose files under any name (`production.yml`, `compose.prod.yaml`), Kubernetes
        // manifests and Helm templates: a container's `command:`/`args:`.
        || lower.ends_with(".yml")
        || lower.ends_with(".yaml")
        || is_platform_file(&lower)
}

/// Hosting platforms' files that hold the start command as a string: Railway's
/// `railway.json`/`railway.toml` (`deploy.startCommand`), Nixpacks' `nixpacks.toml`
/// (`[start] cmd`), Fly.io's `fly.toml` (`[processes]`, one command per process group; also
/// `fly.<app>.toml`).
fn is_platform_file(lower: &str) -> bool {
    matches!(lower, "railway.json" | "railway.toml" | "nixpacks.toml")
        || (lower.starts_with("fly.") && lower.ends_with(".toml"))
}

/// Suffixes of templates rendered into deployment files (Ansible's Jinja2 `.j2`, ...): the
/// file they render is named by the rest (`celery.service.j2` is a systemd unit).
const TEMPLATE_SUFFIXES: &[&str] = &[".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template"];

/// A file's lowercased name, without a template suffix.
fn deployment_name(path: &Path) -> Option<String> {
    let lower = path.file_name()?.to_str()?.to_ascii_lowercase();
    let rendered = TEMPLATE_SUFFIXES
        .iter()
        .find_map(|s| lower.strip_suffix(s).filter(|r| !r.is_empty()));
    Some(rendered.unwrap_or(&lower).to_string())
}

/// A make file's recipes are shell command lines (`Makefile`, `GNUmakefile`).
fn is_makefile(lower: &str) -> bool {
    matches!(lower, "makefile" | "gnumakefile")
}

/// The interpreter a script without an extension names in its `#!` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpreter {
    Python,
    Shell,
}

/// The interpreter of a script by its first line (`#!/usr/bin/env python3`, `#!/bin/sh`),
/// read once per path: the walk, the decoder and the frontend all ask.
pub fn interpreter(path: &Path) -> Option<Interpreter> {
    use std::collections::HashMap;
    use std::io::Read;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashMap<std::path::PathBuf, Option<Interpreter>>>> =
        OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(known) = seen.lock().ok().and_then(|m| m.get(path).copied()) {
        return known;
    }
    let mut head = [0u8; 128];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let found = shebang_interpreter(&head[..read]);
    if let Ok(mut m) = seen.lock() {
        m.insert(path.to_path_buf(), found);
    }
    found
}

/// The interpreter a `#!` line at the start of `head` names: the program, or the first word
/// after `env` (`env -S` options skipped).
fn shebang_interpreter(head: &[u8]) -> Option<Interpreter> {
    let line = head.strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    let mut program = words.next()?.rsplit('/').next()?;
    if program == "env" {
        program = words.find(|w| !w.starts_with('-'))?;
    }
    if program.starts_with("python") || program.starts_with("pypy") {
        Some(Interpreter::Python)
    } else if matches!(program, "sh" | "bash" | "dash" | "zsh" | "ash" | "ksh") {
        Some(Interpreter::Shell)
    } else {
        None
    }
}

/// A Dockerfile, by its lowercased file name (`Dockerfile`, `Dockerfile.prod`, `web.dockerfile`).
fn is_dockerfile(lower: &str) -> bool {
    lower.starts_with("dockerfile") || lower.ends_with(".dockerfile")
}

/// `supervisord.conf`, or a `.conf` under a folder whose name mentions supervisor or is an
/// include folder (`conf.d`): other `.conf` files (nginx, logrotate) hold no Python command.
fn is_supervisor_conf(path: &Path) -> bool {
    path.components().any(|c| {
        let part = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        part.contains("supervisor") || part == "conf.d"
    })
}

/// The IR of a command file: one `<prefork>` function per command that forks after loading
/// the application.
pub fn lower(path: &Path, text: &str) -> FileIr {
    let mut ir = FileIr {
        path: path.display().to_string(),
        crate_name: "<commands>".to_string(),
        ..Default::default()
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut next_call = 0;
    let env = gunicorn_env(text);
    let name = deployment_name(path);
    let dockerfile = name.as_deref().is_some_and(is_dockerfile);
    let yaml = name
        .as_deref()
        .is_some_and(|n| n.ends_with(".yml") || n.ends_with(".yaml"));
    let in_command = yaml.then(|| yaml_command_lines(text));
    let mut stage = Stage::default();
    let mut found = Vec::new();
    for (line, logical) in logical_lines(text) {
        if in_command
            .as_ref()
            .is_some_and(|c| !c.get(line as usize - 1).copied().unwrap_or(false))
        {
            continue;
        }
        let span = servers::line_span(line, first_line(text, line));
        let command = command_value(&logical).unwrap_or(&logical);
        let words = command_words(command);
        let alone = preforks(dir, &words, &env, span);
        if dockerfile {
            if let Some(joined) = stage.read(&words, command, !alone.is_empty(), span) {
                found.extend(preforks(dir, &joined.0, &env, joined.1));
            }
        }
        found.extend(alone);
        for worker in workers(dir, &words, &env, span) {
            servers::add_worker(&mut ir, worker, &mut next_call);
        }
    }
    if let Some(joined) = stage.end() {
        found.extend(preforks(dir, &joined.0, &env, joined.1));
    }
    for prefork in found {
        servers::add(&mut ir, prefork, &mut next_call);
    }
    if name.as_deref().is_some_and(|n| runs_on_linux(n, text)) {
        servers::mark_linux_only(&mut ir);
    }
    ir
}

/// Paths and tools only a Linux machine has: a script naming one is run there (`/home/me/..`
/// is `/Users/me/..` on macOS).
const LINUX_MARKERS: &[&str] = &[
    "/home/",
    "/etc/systemd/",
    "systemctl ",
    "journalctl",
    "apt-get ",
    "/proc/",
    "/usr/lib/x86_64-linux-gnu",
];

/// Whether the commands of this deployment file (by its lowercased name) run on Linux only: a
/// container (Dockerfile, compose and Kubernetes YAML that names no macOS runner), a systemd
/// unit, a hosting platform's file, or a script that uses Linux-only paths.
fn runs_on_linux(name: &str, text: &str) -> bool {
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    let lower = || text.to_ascii_lowercase();
    is_dockerfile(name)
        || name.ends_with(".service")
        || is_platform_file(name)
        || (yaml && !lower().contains("macos") && !lower().contains("darwin"))
        || (!yaml && LINUX_MARKERS.iter().any(|m| text.contains(m)))
}

/// A Dockerfile stage's `ENTRYPOINT` and `CMD`. Docker runs an exec-form `ENTRYPOINT` with the
/// `CMD`'s words appended (Dockerfile reference, "Understand how CMD and ENTRYPOINT interact";
/// the last of each in a stage counts, a shell-form `ENTRYPOINT` ignores `CMD`), so a server
/// named by one and given its app by the other (`ENTRYPOINT ["gunicorn", "--preload"]`,
/// `CMD ["app:wsgi"]`) is one command, placed at the `ENTRYPOINT`. A stage whose `ENTRYPOINT` or
/// `CMD` starts a server alone is read line by line only.
#[derive(Default)]
struct Stage {
    /// The exec-form `ENTRYPOINT`'s words and line.
    entrypoint: Option<(Vec<String>, Span)>,
    cmd: Vec<String>,
    /// One of them starts a server by itself.
    alone: bool,
}

impl Stage {
    /// Reads one instruction; a `FROM` ends the stage before it, handing back the command its
    /// `ENTRYPOINT` and `CMD` make together.
    fn read(
        &mut self,
        words: &[String],
        text: &str,
        alone: bool,
        span: Span,
    ) -> Option<(Vec<String>, Span)> {
        let instruction = words.first()?.to_ascii_uppercase();
        let exec_form = || {
            text.trim_start()
                .get(instruction.len()..)
                .is_some_and(|rest| rest.trim_start().starts_with('['))
        };
        match instruction.as_str() {
            "FROM" => return std::mem::take(self).end(),
            "ENTRYPOINT" => {
                self.entrypoint = exec_form().then(|| (words[1..].to_vec(), span));
                self.alone |= alone;
                // Docker: an ENTRYPOINT resets a CMD inherited from the base image, not
                // one of this stage; the stage's CMD may come before or after it.
            }
            "CMD" => {
                self.cmd = words[1..].to_vec();
                self.alone |= alone;
            }
            _ => {}
        }
        None
    }

    /// The command of the stage's `ENTRYPOINT` and `CMD` together, at the `ENTRYPOINT`.
    fn end(self) -> Option<(Vec<String>, Span)> {
        let (mut words, span) = self.entrypoint?;
        if self.alone || self.cmd.is_empty() {
            return None;
        }
        words.extend(self.cmd);
        Some((words, span))
    }
}

/// Keys whose value is a command line: supervisord's `command=`, systemd's `ExecStart=` (and
/// its relatives), read without the key and without systemd's `-@+!:` prefixes.
const COMMAND_KEYS: &[&str] = &[
    "command",
    "ExecStart",
    "ExecStartPre",
    "ExecStartPost",
    "ExecReload",
];

fn command_value(line: &str) -> Option<&str> {
    let (key, value) = line.split_once('=')?;
    COMMAND_KEYS.contains(&key.trim()).then(|| {
        value
            .trim_start()
            .trim_start_matches(['-', '@', '+', '!', ':'])
    })
}

/// The words of `GUNICORN_CMD_ARGS` set in this file (a Dockerfile `ENV`, a compose
/// `environment:` entry, a shell `export` or a command's prefix): gunicorn reads its options
/// from that variable too (gunicorn docs, "Configuration Overview": command-line arguments
/// from GUNICORN_CMD_ARGS).
fn gunicorn_env(text: &str) -> Vec<String> {
    const NAME: &str = "GUNICORN_CMD_ARGS";
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find(NAME) else { continue };
        let rest = line[at + NAME.len()..].trim_start();
        let value = rest
            .strip_prefix('=')
            .or_else(|| rest.strip_prefix(':'))
            .unwrap_or(rest)
            .trim();
        // Only the assigned value, not a command that follows it on the line.
        let value = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value.split_whitespace().next().unwrap_or(""),
        };
        out.extend(shell_words(value));
    }
    out
}

fn first_line(text: &str, line: u32) -> &str {
    text.lines().nth(line as usize - 1).unwrap_or("")
}

/// Lines with their `\` continuations joined, each with the number of its first line. In YAML,
/// a container's program and its arguments are one command, whatever form each value takes
/// (inline, a block list `- gunicorn`, a block scalar `>`/`|`): compose's `entrypoint:` with the
/// `command:` beside it (compose file reference: `command` overrides the image's CMD, passed to
/// the entrypoint), and Kubernetes' `command:` with the `args:` beside it (Kubernetes docs,
/// "Define a Command and Arguments for a Container"). The command is placed at its first key.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let keys = yaml_command_keys(&lines);
    let mut joined: std::collections::BTreeMap<usize, String> = Default::default();
    let mut skipped = vec![false; lines.len()];
    for key in &keys {
        if key.taken {
            continue;
        }
        let mut words = key.value.clone();
        let follows = match key.name {
            "entrypoint" => Some("command"),
            "command" => Some("args"),
            _ => None,
        };
        for other in keys.iter().filter(|o| o.line != key.line) {
            if other.indent == key.indent
                && other.parent == key.parent
                && Some(other.name) == follows
            {
                words.push(' ');
                words.push_str(&other.value);
                skipped[other.line..other.end]
                    .iter_mut()
                    .for_each(|s| *s = true);
            }
        }
        skipped[key.line..key.end]
            .iter_mut()
            .for_each(|s| *s = true);
        joined.insert(key.line, words);
    }
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in lines.iter().enumerate() {
        if let Some(words) = joined.remove(&i) {
            out.push((i as u32 + 1, words));
            continue;
        }
        if skipped[i] {
            continue;
        }
        let (start, mut acc) = current.take().unwrap_or((i as u32 + 1, String::new()));
        match raw.trim_end().strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
                current = Some((start, acc));
            }
            None => {
                acc.push_str(raw);
                out.push((start, acc));
            }
        }
    }
    out.extend(current);
    out
}

/// YAML keys whose value, or the block under them, is a command line: compose's and
/// Kubernetes' `command`/`entrypoint`/`args`, Ansible's `shell`/`command`/`cmd`/`raw`/`script`,
/// CI steps' `run` and `script`s, hosting platforms' `startCommand` and heroku.yml's `run`.
const YAML_COMMAND_KEYS: &[&str] = &[
    "command",
    "entrypoint",
    "args",
    "cmd",
    "shell",
    "raw",
    "script",
    "before_script",
    "after_script",
    "run",
    "exec",
    "startcommand",
    "start_command",
];

/// For each line of a YAML file, whether it is a command: its key, or a key it is nested under
/// (by indentation), is a command key. Other values name programs without running them (an
/// Ansible task's `name:`, a package list's `- gunicorn`).
fn yaml_command_lines(text: &str) -> Vec<bool> {
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut out = Vec::new();
    let mut inside = false;
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            out.push(inside);
            continue;
        }
        // A list item's key sits after its dash: `- shell: ..` is a sibling of `  name: ..`.
        let item = trimmed.trim_start_matches(['-', ' ']);
        let column = raw.len() - item.len();
        while open.last().is_some_and(|(c, _)| *c >= column) {
            open.pop();
        }
        let key = item
            .split_once(':')
            .map(|(k, _)| k.trim())
            .filter(|k| !k.is_empty() && !k.contains(char::is_whitespace))
            .map(|k| k.rsplit('.').next().unwrap_or(k).to_ascii_lowercase());
        let command = key
            .as_deref()
            .is_some_and(|k| YAML_COMMAND_KEYS.contains(&k));
        inside = command || open.iter().any(|(_, c)| *c);
        out.push(inside);
        if key.is_some() {
            open.push((column, command));
        }
    }
    out
}

/// A YAML `entrypoint:`, `command:` or `args:` key with its value as one line of words.
struct YamlKey {
    name: &'static str,
    /// Its line (0-based) and the line after its value.
    line: usize,
    end: usize,
    indent: usize,
    /// The line of the mapping that holds it (the nearest line above with less indent).
    parent: Option<usize>,
    value: String,
    /// Joined to an earlier key of the same mapping (`args:` written before `command:` is not).
    taken: bool,
}

fn yaml_command_keys(lines: &[&str]) -> Vec<YamlKey> {
    const NAMES: [&str; 3] = ["entrypoint", "command", "args"];
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let mut out: Vec<YamlKey> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        // A comment after the key (` # ...`) is not part of it.
        let trimmed = raw.split(" #").next().unwrap_or(raw).trim();
        let Some((name, rest)) = NAMES.iter().find_map(|n| {
            let rest = trimmed.strip_prefix(n)?.strip_prefix(':')?;
            Some((*n, rest.trim()))
        }) else {
            i += 1;
            continue;
        };
        let indent = indent_of(raw);
        let block = matches!(rest, "" | ">" | "|" | ">-" | "|-");
        let (value, end) = if block {
            let body: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || indent_of(l) > indent)
                .map(|l| l.split(" #").next().unwrap_or(l).trim())
                .collect();
            let end = i + 1 + body.len();
            let words: Vec<&str> = body.iter().map(|l| l.trim_start_matches("- ")).collect();
            (words.join(" "), end)
        } else {
            (rest.to_string(), i + 1)
        };
        let parent = lines[..i]
            .iter()
            .rposition(|l| !l.trim().is_empty() && indent_of(l) < indent);
        out.push(YamlKey {
            name,
            line: i,
            end,
            indent,
            parent,
            value,
            taken: false,
        });
        i = end;
    }
    // Arguments only count beside the program they follow.
    for k in 0..out.len() {
        let follows = |n: &str| match n {
            "command" => Some("entrypoint"),
            "args" => Some("command"),
            _ => None,
        };
        let taken = out.iter().any(|o| {
            Some(o.name) == follows(out[k].name)
                && o.indent == out[k].indent
                && o.parent == out[k].parent
        });
        out[k].taken = taken;
    }
    out
}

/// The words of a command line, and after them, each cut off by `;`, the words of every quoted
/// string in it that holds a command line of its own: the script of `sh -c "..."` (compose's
/// `command: bash -c "migrate && gunicorn ..."`, a Dockerfile's `CMD ["sh", "-c", "..."]`)
/// and the string values of JSON and TOML files (`"startCommand": "celery -A proj worker"`).
/// The quoted string also stays where it was, as one word: an option's value with spaces
/// (`--access-logformat "%(h)s %(r)s"`) does not cut its command short.
fn command_words(line: &str) -> Vec<String> {
    let mut words = shell_words(line);
    let mut i = 0;
    while i < words.len() {
        if words[i].contains(char::is_whitespace) {
            let inner = shell_words(&words[i]);
            words.push(";".to_string());
            words.extend(inner);
        }
        i += 1;
    }
    words
}

/// Shell words of a line: quotes group, a backslash escapes the next character (inside double
/// quotes only `"`, `\`, `$` and `` ` ``, as in sh), a `#` outside quotes starts a comment, the
/// brackets and commas of an exec-form array (`CMD ["gunicorn", "app:app"]`) separate, and `&&`,
/// `||`, `;`, `|`, `&` become `;` (one command ends there).
pub(super) fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('"') | None, '\\') => match chars.peek() {
                Some(&n) if quote.is_none() || matches!(n, '"' | '\\' | '$' | '`') => {
                    word.push(n);
                    chars.next();
                }
                _ => word.push(c),
            },
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') if word.is_empty() => break,
            (None, c) if c.is_whitespace() || matches!(c, '[' | ']' | ',') => {
                flush(&mut word, &mut out)
            }
            (None, ';' | '&' | '|') => {
                flush(&mut word, &mut out);
                while chars.peek().is_some_and(|n| matches!(n, '&' | '|')) {
                    chars.next();
                }
                out.push(";".to_string());
            }
            (None, c) => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The servers and workers started by one command line; `env` holds gunicorn's options from
/// `GUNICORN_CMD_ARGS`.
fn preforks(dir: &Path, words: &[String], env: &[String], span: Span) -> Vec<Prefork> {
    each_program(words, |program, word, args| match program {
        "gunicorn" => {
            let all: Vec<String> = env.iter().chain(args).cloned().collect();
            gunicorn(dir, &all, span)
        }
        "uwsgi" => uwsgi(dir, args, span),
        "celery" => celery(dir, args, span),
        "rq" if args
            .first()
            .is_some_and(|a| a == "worker" || a == "worker-pool") =>
        {
            rq(dir, &args[1..], span)
        }
        "rqworker" => rq(dir, args, span),
        _ if program.ends_with("manage.py") => django_rq(dir, word, args, span),
        _ => None,
    })
}

/// The web server workers started by one command line (gunicorn, uWSGI).
fn workers(dir: &Path, words: &[String], env: &[String], span: Span) -> Vec<Worker> {
    each_program(words, |program, _, args| match program {
        "gunicorn" => {
            let all: Vec<String> = env.iter().chain(args).cloned().collect();
            gunicorn_worker(dir, &all, span)
        }
        "uwsgi" => servers::uwsgi_worker(dir, &uwsgi_settings(dir, args, span)),
        _ => None,
    })
}

/// What `found` makes of each program a command line runs (its name without the folder, the
/// word as written, and its arguments up to the command's end); the words a program took are
/// not read again. A program is only a word in command position: what comes before it in its
/// command is a key, an instruction, a variable assignment or a wrapper that runs the rest
/// (`exec`, `poetry run`, `python -m`), so prose that names a server (an Ansible task's
/// `name: Copy gunicorn config`, `pip install gunicorn`) starts nothing.
fn each_program<T>(
    words: &[String],
    mut found: impl FnMut(&str, &str, &[String]) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < words.len() {
        if words[i] == ";" {
            start = i + 1;
            i += 1;
            continue;
        }
        let program = words[i].rsplit('/').next().unwrap_or(&words[i]);
        let end = words[i + 1..]
            .iter()
            .position(|w| w == ";")
            .map_or(words.len(), |p| i + 1 + p);
        if command_position(&words[start..i]) {
            if let Some(p) = found(program, &words[i], &words[i + 1..end]) {
                out.push(p);
                start = end + 1;
                i = end;
            }
        }
        i += 1;
    }
    out
}

/// Programs that run the command that follows their own options: shell and process
/// supervision wrappers, environment managers' `run`, interpreters given `-m`, and APM agents'
/// launchers.
const WRAPPERS: &[&str] = &[
    "exec",
    "sudo",
    "nohup",
    "env",
    "time",
    "nice",
    "ionice",
    "chpst",
    "setuidgid",
    "s6-setuidgid",
    "gosu",
    "su-exec",
    "tini",
    "dumb-init",
    "poetry",
    "pipenv",
    "uv",
    "pdm",
    "hatch",
    "rye",
    "run",
    "newrelic-admin",
    "run-program",
    "ddtrace-run",
    "opentelemetry-instrument",
    "then",
    "do",
    "else",
    "{",
    "(",
];

/// Whether the words before a program in its command leave it in command position.
fn command_position(before: &[String]) -> bool {
    let mut after_option = false;
    let mut in_template = false;
    before.iter().all(|w| {
        let name = w.rsplit('/').next().unwrap_or(w);
        // Inside a template's `{{ ... }}`, split into words by its spaces.
        let templated = in_template || w.contains("{{");
        in_template = match (w.rfind("{{"), w.rfind("}}")) {
            (Some(open), close) => close.is_none_or(|c| c < open),
            (None, Some(_)) => false,
            (None, None) => in_template,
        };
        let ok = after_option
            || templated
            // A key (`web:`, `command:`, `- run:`), a list item, an assignment (`A=b`, `= "..."`).
            || w.ends_with(':')
            || w == "-"
            || w.ends_with('=')
            || w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            // A Dockerfile instruction (`RUN`, `CMD`).
            || (w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()))
            // The end of a template's substitution (`{{ venv }}/bin/poetry`), the shell's (`$VENV`).
            || w.contains("}}")
            || w.starts_with('$')
            || w.starts_with('-')
            || WRAPPERS.contains(&name)
            || name.starts_with("python")
            || name.starts_with("pypy");
        // The word after an option may be its value (`sudo -u app`).
        after_option = w.starts_with('-') && !w.contains('=');
        ok
    })
}

/// The words that make a server fork after importing the application, where the command
/// says so in one word: the fork is placed there.
const FORK_WORDS: &[(&str, &str)] = &[("forklint::python::prefork@gunicorn", "--preload")];

/// The servers and workers started by a command line whose words each have their own place
/// (a Python list): each fork sits at the word that makes it, else at `at`.
pub(super) fn preforks_in(dir: &Path, words: &[(String, Span)], at: Span) -> Vec<Prefork> {
    let plain: Vec<String> = words.iter().map(|(w, _)| w.clone()).collect();
    let mut found = preforks(dir, &plain, &[], at);
    for p in &mut found {
        let word = FORK_WORDS
            .iter()
            .find(|(fork, _)| *fork == p.fork)
            .and_then(|(_, word)| words.iter().find(|(w, _)| w == word));
        if let Some((_, span)) = word {
            p.fork_span = *span;
        }
    }
    found
}

/// `--name value`, `--name=value` and `-Xvalue` options, by their names: the first value.
fn option<'a>(args: &'a [String], names: &[&str]) -> Option<&'a str> {
    (0..args.len()).find_map(|i| option_at(args, i, names))
}

/// Every value of options that may be given several times (`--path a --path b`), in order.
fn options<'a>(args: &'a [String], names: &[&str]) -> Vec<&'a str> {
    (0..args.len())
        .filter_map(|i| option_at(args, i, names))
        .collect()
}

/// The value of the option at `args[i]`, when it is one of `names`.
fn option_at<'a>(args: &'a [String], i: usize, names: &[&str]) -> Option<&'a str> {
    let a = &args[i];
    names.iter().find_map(|name| {
        if a == name {
            return args.get(i + 1).map(String::as_str);
        }
        let v = a.strip_prefix(name)?;
        if let Some(v) = v.strip_prefix('=') {
            return Some(v);
        }
        // `-Aproj`: only single-letter options take a glued value.
        (name.len() == 2 && !v.is_empty()).then_some(v)
    })
}

/// gunicorn options that take no value: anything else starting with `-` consumes the next word.
const GUNICORN_FLAGS: &[&str] = &[
    "--preload",
    "--reload",
    "-D",
    "--daemon",
    "--check-config",
    "--print-config",
    "--spew",
    "--capture-output",
    "--enable-stdio-inheritance",
    "--no-sendfile",
    "--reuse-port",
    "--strip-header-spaces",
    "--proxy-protocol",
    "--suppress-ragged-eofs",
    "--do-handshake-on-connect",
    "-R",
    "-v",
    "--version",
];

/// gunicorn loads the app in the master before forking its workers with `--preload`, or with
/// `preload_app = True` in its configuration file: the one given by `-c` (a path, or
/// `python:module`), else `./gunicorn.conf.py` ("searched in the current working directory",
/// gunicorn docs), read when it is in the tree next to the command.
fn gunicorn(dir: &Path, args: &[String], span: Span) -> Option<Prefork> {
    let file = gunicorn_config_file(dir, args);
    let text = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok());
    let config = text
        .as_deref()
        .map(servers::gunicorn_file_settings)
        .unwrap_or_default();
    let preload = args.iter().any(|a| a == "--preload")
        || config
            .iter()
            .any(|(k, v, _)| k == "preload_app" && v == "True");
    // The master runs the configuration file, and its hooks before it forks the workers:
    // what they import or start is in every worker, preloaded or not.
    let master_hooks = text
        .as_deref()
        .map(servers::gunicorn_master_hooks)
        .unwrap_or_default();
    if !preload && master_hooks.is_empty() {
        return None;
    }
    let mut modules = Vec::new();
    let mut hooks = Vec::new();
    if let (Some(file), false) = (&file, master_hooks.is_empty()) {
        let config_module = servers::module_of_file(file);
        modules.push((config_module.clone(), span));
        hooks = master_hooks
            .iter()
            .map(|(hook, _)| (format!("{config_module}::{hook}"), span))
            .collect();
    }
    let mut factory = None;
    if preload {
        let app = gunicorn_app(args)?;
        let chdir = option(args, &["--chdir"]).or_else(|| {
            let setting = config.iter().rev().find(|(k, _, _)| k == "chdir");
            setting.map(|(_, v, _)| v.as_str())
        });
        let (module, made_by) = servers::app_in_chdir(dir, chdir, app)?;
        modules.push((module, span));
        factory = made_by.map(|f| (f, span));
    }
    Some(Prefork {
        modules,
        factory,
        hooks,
        fork: if preload {
            "forklint::python::prefork@gunicorn"
        } else {
            servers::GUNICORN_HOOKS_FORK
        },
        fork_span: span,
    })
}

/// The configuration file a gunicorn command reads (`-c`, else `gunicorn.conf.py` in its
/// folder), when it is in the tree.
fn gunicorn_config_file(dir: &Path, args: &[String]) -> Option<std::path::PathBuf> {
    let config = option(args, &["-c", "--config"]).unwrap_or("gunicorn.conf.py");
    servers::gunicorn_config_file(dir, config)
}

/// The settings of the configuration file a gunicorn command reads, when it is in the tree.
fn gunicorn_config(dir: &Path, args: &[String]) -> Vec<(String, String, Span)> {
    gunicorn_config_file(dir, args)
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(|t| servers::gunicorn_file_settings(&t))
        .unwrap_or_default()
}

/// The application a gunicorn command names: its first word that is not an option.
fn gunicorn_app(args: &[String]) -> Option<&str> {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if !a.starts_with('-') {
            return Some(a);
        }
        if !a.contains('=') && !GUNICORN_FLAGS.contains(&a.as_str()) {
            i += 1;
        }
        i += 1;
    }
    None
}

/// A gunicorn worker: the command's options (`--threads`, `-k`/`--worker-class`, `--preload`)
/// over its configuration file's settings.
fn gunicorn_worker(dir: &Path, args: &[String], span: Span) -> Option<Worker> {
    let flags = servers::GunicornFlags {
        threads: option(args, &["--threads"]).map(str::to_string),
        class: option(args, &["-k", "--worker-class"]).map(str::to_string),
        preload: args.iter().any(|a| a == "--preload"),
        chdir: option(args, &["--chdir"]).map(str::to_string),
        at: Some(span),
    };
    let config = gunicorn_config(dir, args);
    let app = gunicorn_app(args).map(|a| (a, span));
    servers::gunicorn_worker(dir, &config, app, &flags)
}

/// uWSGI options that take no value.
const UWSGI_FLAGS: &[&str] = &[
    "master",
    "lazy-apps",
    "lazy",
    "enable-threads",
    "die-on-term",
    "vacuum",
    "single-interpreter",
    "need-app",
    "strict",
    "thunder-lock",
    "no-orphans",
    "honour-stdin",
];

/// uWSGI's options as settings (`-M` is `master`, `-p` `processes`, `-w` `module`), decided as an
/// ini file's are.
fn uwsgi(dir: &Path, args: &[String], span: Span) -> Option<Prefork> {
    servers::uwsgi_settings(dir, &uwsgi_settings(dir, args, span))
}

/// uWSGI's options that load a configuration file; they are also the extensions of a file given
/// as the command's argument (uWSGI loads `uwsgi app.ini` as `uwsgi --ini app.ini`).
const UWSGI_CONFIG_OPTIONS: &[&str] = &["ini", "yaml", "yml"];

/// The settings of a configuration file the command loads, at the command's place: the command
/// line is where the server starts. A file with `uwsgi` in its path is read on its own (and
/// reported there), so it adds nothing here.
fn uwsgi_config_settings(dir: &Path, file: &str, span: Span) -> Vec<(String, String, Span)> {
    let Some(found) = servers::config_file(dir, file) else {
        return Vec::new();
    };
    if servers::is_uwsgi_ini(&found) {
        return Vec::new();
    }
    let text = std::fs::read_to_string(&found).unwrap_or_default();
    servers::uwsgi_file_settings(&found, &text)
        .into_iter()
        .map(|(key, value, _)| (key, value, span))
        .collect()
}

/// uWSGI's command-line options as settings, all at the command's place.
fn uwsgi_settings(dir: &Path, args: &[String], span: Span) -> Vec<(String, String, Span)> {
    let mut settings = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        let Some(name) = a.strip_prefix('-') else {
            let extension = a.rsplit_once('.').map(|(_, e)| e);
            if extension.is_some_and(|e| UWSGI_CONFIG_OPTIONS.contains(&e)) {
                settings.extend(uwsgi_config_settings(dir, a, span));
            }
            continue;
        };
        let name = name.trim_start_matches('-');
        let (key, glued) = match name.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (name, None),
        };
        let key = match key {
            "M" => "master",
            "p" => "processes",
            "w" => "module",
            k => k,
        };
        let value = match glued {
            Some(v) => v,
            None if UWSGI_FLAGS.contains(&key) => "true".to_string(),
            None => match args.get(i) {
                Some(v) if !v.starts_with('-') => {
                    i += 1;
                    v.clone()
                }
                _ => "true".to_string(),
            },
        };
        if UWSGI_CONFIG_OPTIONS.contains(&key) {
            settings.extend(uwsgi_config_settings(dir, &value, span));
        }
        settings.push((key.to_string(), value, span));
    }
    settings
}

/// The fork of a `celery worker` command; link.rs puts the task modules' imports before it
/// (it finds Celery's forks by `servers::server_of_fork`).
const CELERY_FORK: &str = "forklint::python::prefork@celery";

/// The pools that fork their child processes: `prefork`, the default, and its old name
/// `processes` (celery/celery celery/concurrency/__init__.py ALIASES). `solo` runs tasks in the
/// worker's main thread, `threads` on a thread pool, `eventlet`/`gevent` on green threads, and
/// `custom` (or a class path) is whatever the environment names: none of them is known to fork
/// (Celery docs, "Concurrency": overview of the `--pool` options).
const CELERY_FORKING_POOLS: &[&str] = &["prefork", "processes"];

/// `celery -A proj worker` (also `celery multi start`, which runs such workers): the worker
/// imports the app (`-A`/`--app`, from `--workdir`) and then its prefork pool (the default)
/// forks the child processes.
fn celery(dir: &Path, args: &[String], span: Span) -> Option<Prefork> {
    let starts = args.iter().any(|a| a == "worker")
        || (args.iter().any(|a| a == "multi")
            && args.iter().any(|a| a == "start" || a == "restart"));
    if !starts {
        return None;
    }
    let pool = option(args, &["-P", "--pool"]).unwrap_or("prefork");
    if !CELERY_FORKING_POOLS.contains(&pool) {
        return None;
    }
    let spec = option(args, &["-A", "--app"])?;
    let workdir = option(args, &["--workdir"]);
    let (app, _) = servers::app_in_chdir(dir, workdir, spec)?;
    let mut modules = vec![(app, span)];
    let named = servers::app_module(spec)?;
    let mut files: Vec<_> = servers::module_file(dir, workdir.unwrap_or(""), &named)
        .into_iter()
        .collect();
    if let Some(submodule) = files.first().and_then(|f| celery_submodule(f, spec)) {
        modules.push((servers::module_of_file(&submodule), span));
        files.push(submodule);
    }
    // A Django project's app reads its configuration from the settings module
    // (`config_from_object("django.conf:settings")`) when the worker starts, before the pool.
    let settings = files
        .iter()
        .find_map(|f| django_settings_module(&std::fs::read_to_string(f).ok()?));
    modules.extend(settings.map(|m| (m, span)));
    Some(Prefork {
        modules,
        factory: None,
        hooks: Vec::new(),
        fork: CELERY_FORK,
        fork_span: span,
    })
}

/// The module Celery goes on to import when `-A` names a package without its app: `proj.celery`
/// (Celery docs, "Next Steps", About the --app argument: with `--app=proj` it looks for
/// `proj.app`, `proj.celery`, any Celery app in `proj`, and "if none of these are found it'll try
/// a submodule named proj.celery"). `file` is the module `-A` names; the package's `__init__.py`
/// binding `app` or `celery` at its top level is taken for the app.
fn celery_submodule(file: &Path, spec: &str) -> Option<std::path::PathBuf> {
    if spec.contains(':') || file.file_name().is_none_or(|n| n != "__init__.py") {
        return None;
    }
    let submodule = file.with_file_name("celery.py");
    if !submodule.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let binds_app = text.lines().any(|l| {
        let name = l.split(['=', ':']).next().unwrap_or("").trim_end();
        (l.contains('=') && matches!(name, "app" | "celery")) && !l.starts_with([' ', '\t'])
    });
    (!binds_app).then_some(submodule)
}

/// The classes RQ can be told to work with that do not fork a work horse: `SimpleWorker` runs
/// jobs in its own process, `SpawnWorker` starts each horse with `os.spawnv` (python-rq.org
/// docs, "Workers": Worker Classes; rq/rq docs/benchmark.md "SimpleWorker ... skips fork()
/// or spawn()").
const RQ_NO_FORK: &[&str] = &["SimpleWorker", "SpawnWorker"];

/// `rq worker` (and `rq worker-pool`, `rqworker`): the worker imports its settings module
/// (`-c`) and the classes and handlers its options name (`-w`, `-j`, `--queue-class`,
/// `--connection-class`, `--exception-handler`, `-S`), looked up along its `--path`s, then forks
/// a work horse per job (python-rq.org docs, "Workers"). The job functions' modules are imported
/// in the horse, after the fork ("Performance notes": "you're doing the import after the moment
/// of forking"), so they are not part of it.
fn rq(dir: &Path, args: &[String], span: Span) -> Option<Prefork> {
    rq_fork(rq_modules(dir, args, span)?, span)
}

/// The fork of an RQ worker that imported `modules` first (none: nothing of the program's).
fn rq_fork(modules: Vec<(String, Span)>, span: Span) -> Option<Prefork> {
    (!modules.is_empty()).then_some(Prefork {
        modules,
        factory: None,
        hooks: Vec::new(),
        fork: "forklint::python::prefork@rq",
        fork_span: span,
    })
}

/// The modules an RQ worker's options make it import, or `None` when its worker class does not
/// fork.
fn rq_modules(dir: &Path, args: &[String], span: Span) -> Option<Vec<(String, Span)>> {
    let paths = options(args, &["-P", "--path"]);
    let module = |name: &str| {
        let named = servers::app_module(name)?;
        let found = paths
            .iter()
            .find_map(|p| servers::module_file(dir, p, &named));
        Some(found.map_or(named, |f| servers::module_of_file(&f)))
    };
    let mut modules = Vec::new();
    if let Some(config) = option(args, &["-c", "--config"]) {
        modules.extend(module(config).map(|m| (m, span)));
    }
    if let Some(class) = option(args, &["-w", "--worker-class"]) {
        let name = class.rsplit('.').next().unwrap_or(class);
        if RQ_NO_FORK.contains(&name) {
            return None;
        }
    }
    let named = ["-w", "--worker-class", "-j", "--job-class", "--queue-class"];
    let attributes = [
        &named[..],
        &["--connection-class", "--exception-handler"],
        &["-S", "--serializer"],
    ]
    .concat();
    for attribute in options(args, &attributes) {
        let Some((owner, _)) = attribute.rsplit_once('.') else {
            continue;
        };
        let library = ["rq", "redis", "django_rq"]
            .iter()
            .any(|l| owner == *l || owner.starts_with(&format!("{l}.")));
        if !library {
            modules.extend(module(owner).map(|m| (m, span)));
        }
    }
    Some(modules)
}

/// django-rq's `manage.py rqworker` (and `rqworker-pool`): Django has imported the project's
/// settings module (`--settings`, else the `DJANGO_SETTINGS_MODULE` that `manage.py` sets by
/// default) before the command runs an RQ worker with the same options (rq/django-rq
/// django_rq/management/commands/rqworker.py), which forks a work horse per job.
fn django_rq(dir: &Path, manage: &str, args: &[String], span: Span) -> Option<Prefork> {
    let command = args.first()?;
    if command != "rqworker" && command != "rqworker-pool" {
        return None;
    }
    let args = &args[1..];
    let mut modules = rq_modules(dir, args, span)?;
    let settings = option(args, &["--settings"])
        .and_then(servers::app_module)
        .or_else(|| {
            let (folder, _) = manage.rsplit_once('/').unwrap_or(("", manage));
            let file = servers::module_file(dir, folder, "manage")?;
            django_settings_module(&std::fs::read_to_string(file).ok()?)
        });
    modules.splice(0..0, settings.map(|m| (m, span)));
    rq_fork(modules, span)
}

/// The settings module a Python file makes Django's default:
/// `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")`, as `manage.py`, `wsgi.py`
/// and a Celery app module of a Django project write it.
fn django_settings_module(text: &str) -> Option<String> {
    const NAME: &str = "DJANGO_SETTINGS_MODULE";
    text.lines()
        .filter(|l| l.contains("setdefault"))
        .find_map(|l| {
            let rest = &l[l.find(NAME)? + NAME.len()..];
            let rest = rest.trim_start_matches(['"', '\'']).trim_start();
            let rest = rest.strip_prefix(',')?.trim_start();
            let quote = rest.chars().next().filter(|q| matches!(q, '"' | '\''))?;
            let value = rest[1..].split(quote).next()?;
            servers::app_module(value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(line: &str) -> Vec<(Vec<String>, &'static str)> {
        preforks(Path::new(""), &shell_words(line), &[], Span::default())
            .into_iter()
            .map(|p| (p.modules.into_iter().map(|m| m.0).collect(), p.fork))
            .collect()
    }

    #[test]
    fn command_lines_name_the_app_and_the_fork() {
        let g =
            modules("web: gunicorn -w 4 -k uvicorn.workers.UvicornWorker --preload shop.wsgi:app");
        assert_eq!(
            g,
            [(
                vec!["shop::wsgi".to_string()],
                "forklint::python::prefork@gunicorn"
            )]
        );
        assert!(modules("CMD [\"gunicorn\", \"-b\", \"0.0.0.0:80\", \"app:app\"]").is_empty());
        let u = modules("uwsgi --module shop.wsgi:application --master --processes 4");
        assert_eq!(u[0].0, ["shop::wsgi"]);
        assert!(modules("uwsgi --module shop.wsgi --master --lazy-apps").is_empty());
        assert_eq!(modules("celery -A proj worker -l info")[0].0, ["proj"]);
        assert!(modules("celery -A proj worker --pool=solo").is_empty());
        assert!(modules("celery -A proj beat").is_empty());
        assert_eq!(
            modules("rq worker -c settings -w jobs.workers.Tracked high")[0].0,
            ["settings", "jobs::workers"]
        );
        assert!(modules("rq worker -c settings -w rq.worker.SimpleWorker").is_empty());
        assert!(modules("pip install gunicorn celery rq uwsgi").is_empty());
        // A comment ends the words; commands after `&&` are read on their own.
        assert_eq!(
            modules("cd /app && gunicorn --preload app:app # note").len(),
            1
        );
    }

    #[test]
    fn yaml_block_commands_are_one_line() {
        let yaml = "services:\n  web:\n    command:  # the app\n      - gunicorn\n      - \"--preload\"  # shared\n      - shop.wsgi:app\n    ports:\n      - 80\n";
        let lines = logical_lines(yaml);
        let (line, text) = lines.iter().find(|(_, t)| t.contains("gunicorn")).unwrap();
        assert_eq!(*line, 3);
        assert_eq!(modules(text)[0].0, ["shop::wsgi"]);
        assert!(!text.contains("80"), "{text}");
        let folded = logical_lines("x:\n  command: >\n    celery -A ledger\n    worker\n");
        assert_eq!(modules(&folded[1].1)[0].0, ["ledger"]);
    }

    #[test]
    fn yaml_program_and_arguments_are_one_command() {
        let k8s = "containers:\n  - name: web\n    args: [\"--preload\"]\n    command:\n      - gunicorn\n  - name: other\n    args: [\"app:app\"]\n";
        let lines = logical_lines(k8s);
        let (line, text) = lines.iter().find(|(_, t)| t.contains("gunicorn")).unwrap();
        assert_eq!(*line, 4);
        assert!(
            text.contains("--preload") && !text.contains("app:app"),
            "{text}"
        );
        let compose = "web:\n  entrypoint: gunicorn\n  command: --preload app:app\n";
        let lines = logical_lines(compose);
        assert!(lines
            .iter()
            .any(|(l, t)| *l == 2 && t.contains("--preload")));
        assert!(!lines.iter().any(|(l, _)| *l == 3), "{lines:?}");
    }

    #[test]
    fn scripts_are_told_by_their_interpreter_line() {
        let of = |head: &str| shebang_interpreter(head.as_bytes());
        assert_eq!(of("#!/usr/bin/env python3\n"), Some(Interpreter::Python));
        assert_eq!(
            of("#!/usr/bin/env -S python3 -u\n"),
            Some(Interpreter::Python)
        );
        assert_eq!(of("#!/bin/bash -e\n"), Some(Interpreter::Shell));
        assert_eq!(of("#!/usr/bin/perl\n"), None);
        assert_eq!(of("MIT License\n"), None);
        assert!(is_command_file(Path::new("deploy/production.yml")));
        assert!(is_command_file(Path::new("Makefile")));
    }

    #[test]
    fn supervisord_systemd_and_gunicorn_env_commands() {
        let value = |l: &str| command_value(l).map(modules);
        assert_eq!(
            value("command=/srv/venv/bin/gunicorn --preload shop.wsgi:app").unwrap()[0].0,
            ["shop::wsgi"]
        );
        assert_eq!(
            value("ExecStart=-/usr/bin/celery -A ledger worker").unwrap()[0].0,
            ["ledger"]
        );
        assert!(value("directory=/srv/shop").is_none());
        assert!(is_command_file(Path::new("deploy/supervisor/shop.conf")));
        assert!(is_command_file(Path::new("etc/conf.d/shop.conf")));
        assert!(!is_command_file(Path::new("etc/nginx/shop.conf")));
        // A unit with a Latin-1 comment is still read for its command lines.
        let text = crate::frontend::decode(Path::new("shop.service"), b"# caf\xe9\n".to_vec());
        assert!(text.is_ok(), "{text:?}");
        let env = gunicorn_env(
            "ENV GUNICORN_CMD_ARGS=\"--preload --workers 4\"\nCMD gunicorn shop.wsgi:app\n",
        );
        assert_eq!(env, ["--preload", "--workers", "4"]);
        let with = preforks(
            Path::new(""),
            &shell_words("gunicorn shop.wsgi:app"),
            &env,
            Span::default(),
        );
        assert_eq!(with.len(), 1);
        assert!(gunicorn_env("      - GUNICORN_CMD_ARGS=--bind=0.0.0.0\n")
            .iter()
            .all(|w| w != "--preload"));
    }

    #[test]
    fn entrypoint_and_cmd_are_one_command() {
        let forks = |text: &str| {
            lower(Path::new("Dockerfile"), text)
                .functions
                .iter()
                .filter(|f| f.path.starts_with("self::<prefork"))
                .map(|f| f.span.line)
                .collect::<Vec<_>>()
        };
        let split = "FROM python\nENTRYPOINT [\"gunicorn\", \"--preload\", \"-w\", \"4\"]\nCMD [\"shop.wsgi\"]\n";
        assert_eq!(forks(split), [2]);
        // The CMD may come first; a later stage starts afresh.
        assert_eq!(
            forks("CMD [\"shop.wsgi\"]\nENTRYPOINT [\"gunicorn\", \"--preload\"]\n"),
            [2]
        );
        assert!(
            forks("ENTRYPOINT [\"gunicorn\", \"--preload\"]\nFROM x\nCMD [\"shop.wsgi\"]\n")
                .is_empty()
        );
        // A shell-form ENTRYPOINT ignores CMD; a server started whole is reported once.
        assert!(forks("ENTRYPOINT gunicorn --preload\nCMD [\"shop.wsgi\"]\n").is_empty());
        assert_eq!(
            forks(
                "ENTRYPOINT [\"tini\", \"--\"]\nCMD [\"gunicorn\", \"--preload\", \"shop.wsgi\"]\n"
            ),
            [2]
        );
    }

    #[test]
    fn quoted_commands_are_read_on_their_own() {
        let of = |line: &str| modules_of(&command_words(line));
        assert_eq!(
            of("command: bash -c \"flask db upgrade && gunicorn --preload shop.wsgi:app\""),
            ["shop::wsgi"]
        );
        assert_eq!(
            of("CMD [\"sh\", \"-c\", \"celery -A ledger worker -Q ${QUEUE}\"]"),
            ["ledger"]
        );
        assert_eq!(
            of("  \"startCommand\": \"celery --app ledger worker\","),
            ["ledger"]
        );
        // JSON's escaped quotes, around a shell's script.
        assert_eq!(
            of("\"cmd\": \"sh -c \\\"celery -A ledger worker\\\"\""),
            ["ledger"]
        );
        // An option's quoted value stays one word of its command.
        assert_eq!(
            of("gunicorn --access-logformat \"%(h)s %(r)s\" --preload shop.wsgi:app"),
            ["shop::wsgi"]
        );
        assert!(of("worker = \"celery -A ledger worker --pool solo\"").is_empty());
    }

    fn modules_of(words: &[String]) -> Vec<String> {
        preforks(Path::new(""), words, &[], Span::default())
            .into_iter()
            .flat_map(|p| p.modules.into_iter().map(|m| m.0))
            .collect()
    }

    #[test]
    fn platform_files_templates_and_procfile_variants_hold_commands() {
        for name in [
            "railway.json",
            "nixpacks.toml",
            "fly.toml",
            "fly.staging.toml",
            "Procfile.dev",
            "ops/celery.service.j2",
            "templates/docker-compose.yml.jinja2",
            "etc/supervisord.d/worker.ini",
        ] {
            assert!(is_command_file(Path::new(name)), "{name}");
        }
        for name in [
            "package.json",
            "pyproject.toml",
            "gunicorn.conf.py.j2",
            "etc/supervisor/uwsgi.ini",
            "setup.ini",
        ] {
            assert!(!is_command_file(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn celery_pools_and_subcommands() {
        assert!(modules("celery -A ledger worker -P threads").is_empty());
        assert!(modules("celery -A ledger worker --pool=gevent").is_empty());
        assert!(modules("celery -A ledger worker -P my.pools:Pool").is_empty());
        assert_eq!(
            modules("celery -A ledger worker -P processes")[0].0,
            ["ledger"]
        );
        assert_eq!(
            modules("celery multi start w1 w2 -A ledger")[0].0,
            ["ledger"]
        );
        assert!(modules("celery multi stopwait w1 -A ledger").is_empty());
    }

    #[test]
    fn rq_imports_its_options_modules_but_not_its_jobs() {
        assert_eq!(
            modules("rq worker --exception-handler ops.alerts.page -j jobs.base.Tracked -S rq.serializers.JSONSerializer q")[0].0,
            ["ops::alerts", "jobs::base"]
        );
        assert_eq!(
            modules("rq worker-pool -n 2 -c settings")[0].0,
            ["settings"]
        );
        assert!(modules("rq worker -c settings -w rq.worker.SpawnWorker").is_empty());
        assert!(modules("rq worker high low").is_empty());
        let paths: Vec<String> = ["-P", "a", "--path=b", "-Pc", "-c", "s"]
            .map(String::from)
            .to_vec();
        assert_eq!(options(&paths, &["-P", "--path"]), ["a", "b", "c"]);
    }

    #[test]
    fn django_settings_are_read_from_setdefault() {
        let of = django_settings_module;
        assert_eq!(
            of("    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"news.settings.prod\")\n")
                .as_deref(),
            Some("news::settings::prod")
        );
        assert_eq!(
            of("os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'conf')").as_deref(),
            Some("conf")
        );
        assert_eq!(of("os.environ[\"DJANGO_SETTINGS_MODULE\"] = \"x\""), None);
        let rq = |line: &str| modules(line).into_iter().next().map(|m| m.0);
        assert_eq!(
            rq("python manage.py rqworker --settings news.settings default"),
            Some(vec!["news::settings".to_string()])
        );
        assert_eq!(
            rq("python manage.py rqworker --worker-class rq.SimpleWorker"),
            None
        );
        assert_eq!(rq("python manage.py migrate"), None);
    }

    #[test]
    fn continued_lines_are_one_command() {
        let lines = logical_lines("RUN a \\\n  b\nCMD c\n");
        assert_eq!(lines[0].0, 1);
        assert!(lines[0].1.contains('b'));
        assert_eq!(lines[1], (3, "CMD c".to_string()));
    }
}
