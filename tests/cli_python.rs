//! Python files through the whole `check` command: suppression comments with `#`, every output
//! format naming the `.py` file, stdin with a `.py` name, the catalogue's lower severity for a
//! client that resets itself in a child, and the default start method read from the project.

mod common;

use common::{concise, forklint, forklint_stdin, project};

/// A module-level PostgreSQL connection used by a forked child: FL002 (error) at line 7.
const CONN_FORK: &str = "import os
import psycopg2

conn = psycopg2.connect(\"dbname=x\")

def main():
    if os.fork() == 0:
        conn.cursor()
        os._exit(0)

main()
";

/// A thread, then a Pool with the default start method: FL001 at line 6, unless the project
/// declares only Python 3.14 or newer (forkserver by default).
const POOL_AFTER_THREAD: &str = "import threading
import multiprocessing

threading.Thread(target=print).start()

with multiprocessing.Pool(2) as p:
    p.map(abs, [1])
";

#[test]
fn python_findings_in_every_format() {
    let dir = project(&[("jobs.py", CONN_FORK)]);
    let run = forklint(dir.path(), &["check", "--format", "concise", "-q", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        concise(&run.stdout),
        [("jobs.py".to_string(), 7, "FL002".to_string())],
        "{run:?}"
    );
    for format in ["json", "sarif", "github", "human"] {
        let run = forklint(dir.path(), &["check", "--format", format, "jobs.py"]);
        assert_eq!(run.code, 1, "{format}: {run:?}");
        assert!(run.stdout.contains("jobs.py"), "{format}: {run:?}");
        assert!(run.stdout.contains("FL002"), "{format}: {run:?}");
    }
    let json = forklint(dir.path(), &["check", "--format", "json", "jobs.py"]);
    assert!(
        json.stdout.contains("create the client in the child"),
        "the Python remedy: {json:?}"
    );
}

#[test]
fn hash_comments_suppress_python_findings() {
    let suppressed = CONN_FORK.replace(
        "    if os.fork() == 0:",
        "    # forklint: allow(FL002, reason = \"the child only closes it\")\n    if os.fork() == 0:",
    );
    let dir = project(&[("jobs.py", &suppressed)]);
    let run = forklint(
        dir.path(),
        &["check", "--format", "concise", "-q", "jobs.py"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(concise(&run.stdout).is_empty(), "{run:?}");
    // A directive in a string is text, not a comment.
    let in_string = CONN_FORK.replace(
        "    if os.fork() == 0:",
        "    s = '# forklint: allow(FL002)'\n    if os.fork() == 0:",
    );
    let dir = project(&[("jobs.py", &in_string)]);
    let run = forklint(
        dir.path(),
        &["check", "--format", "concise", "-q", "jobs.py"],
    );
    assert_eq!(run.code, 1, "{run:?}");
}

#[test]
fn stdin_named_py_is_python() {
    let dir = project(&[]);
    let run = forklint_stdin(
        dir.path(),
        &[
            "check",
            "--format",
            "concise",
            "-q",
            "--stdin-filename",
            "w.py",
            "-",
        ],
        CONN_FORK,
    );
    assert_eq!(
        concise(&run.stdout),
        [("w.py".to_string(), 7, "FL002".to_string())],
        "{run:?}"
    );
}

#[test]
fn a_pid_checked_redis_pool_is_a_note() {
    let text = "import os\nimport redis\n\nr = redis.Redis()\nr.ping()\nif os.fork() == 0:\n    r.get('k')\n    os._exit(0)\n";
    let dir = project(&[("cache.py", text)]);
    let run = forklint(dir.path(), &["check", "--format", "json", "cache.py"]);
    assert_eq!(run.code, 0, "a note does not fail the run: {run:?}");
    assert!(run.stdout.contains("\"severity\": \"info\""), "{run:?}");
    let single = text.replace(
        "redis.Redis()",
        "redis.Redis(single_connection_client=True)",
    );
    let dir = project(&[("cache.py", &single)]);
    let run = forklint(dir.path(), &["check", "--format", "concise", "cache.py"]);
    assert_eq!(run.code, 1, "not pid-checked: {run:?}");
}

#[test]
fn the_default_start_method_follows_the_declared_python() {
    let dir = project(&[("pool.py", POOL_AFTER_THREAD)]);
    let run = forklint(dir.path(), &["check", "--format", "json", "pool.py"]);
    assert!(run.stdout.contains("3.13 or older is assumed"), "{run:?}");
    for (file, text, fires) in [
        (".python-version", "3.12\n", true),
        (".python-version", "3.14\n", false),
        (
            "pyproject.toml",
            "[project]\nrequires-python = \">=3.14\"\n",
            false,
        ),
        (
            "pyproject.toml",
            "[project]\nrequires-python = \">=3.10\"\n",
            true,
        ),
    ] {
        let dir = project(&[("pool.py", POOL_AFTER_THREAD), (file, text)]);
        let run = forklint(
            dir.path(),
            &["check", "--format", "concise", "-q", "pool.py"],
        );
        let rules: Vec<String> = concise(&run.stdout).into_iter().map(|f| f.2).collect();
        let want: &[&str] = if fires { &["FL001"] } else { &[] };
        assert_eq!(rules, want, "{file} {text}: {run:?}");
    }
}

#[test]
fn a_broken_python_file_is_reported_and_the_rest_analysed() {
    let dir = project(&[("jobs.py", CONN_FORK), ("broken.py", "def f(:\n")]);
    let run = forklint(dir.path(), &["check", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("broken.py"), "{run:?}");
    assert!(run.stdout.contains("FL002"), "{run:?}");
}

#[test]
fn uwsgi_loads_the_app_before_forking_unless_lazy() {
    let app = "from pymongo import MongoClient\n\nclient = MongoClient()\n\ndef application(e, s):\n    return []\n";
    let ini = "[uwsgi]\nmodule = shop.wsgi:application\nmaster = true\nprocesses = 4\n";
    let dir = project(&[
        ("shop/__init__.py", ""),
        ("shop/wsgi.py", app),
        ("deploy/uwsgi.ini", ini),
    ]);
    let run = forklint(dir.path(), &["check", "--format", "concise", "-q", "."]);
    let found: Vec<(String, u32, String)> = concise(&run.stdout);
    assert_eq!(
        found,
        [
            ("deploy/uwsgi.ini".to_string(), 4, "FL001".to_string()),
            ("deploy/uwsgi.ini".to_string(), 4, "FL002".to_string())
        ],
        "{run:?}"
    );
    let lazy = format!("{ini}lazy-apps = true\n");
    let dir = project(&[
        ("shop/__init__.py", ""),
        ("shop/wsgi.py", app),
        ("deploy/uwsgi.ini", &lazy),
    ]);
    let run = forklint(dir.path(), &["check", "--format", "concise", "-q", "."]);
    assert!(concise(&run.stdout).is_empty(), "{run:?}");
}

/// A file in latin-1 that says so (PEP 263) is read as Python reads it; one that does not say so
/// is reported by name, and the run goes on.
#[test]
fn declared_source_encodings_are_read() {
    let dir = project(&[]);
    let mut declared = b"# -*- coding: latin-1 -*-\nimport os\nimport threading\n# caf".to_vec();
    declared.extend([0xe9, b'\n']);
    declared.extend(b"threading.Thread(target=print).start()\nos.fork()\n");
    std::fs::write(dir.path().join("declared.py"), &declared).unwrap();
    std::fs::write(dir.path().join("undeclared.py"), [b'x', b'=', 0xe9, b'\n']).unwrap();
    let run = forklint(dir.path(), &["check", "--format", "concise", "-q", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        concise(&run.stdout),
        [("declared.py".to_string(), 6, "FL001".to_string())],
        "{run:?}"
    );
    assert!(
        run.stdout.contains("undeclared.py") || run.stderr.contains("undeclared.py"),
        "{run:?}"
    );
}

/// A Procfile's `--preload` makes gunicorn import the app before forking; a `post_fork` hook in
/// the gunicorn configuration that disposes of the engine leaves only what it does not touch.
#[test]
fn command_lines_and_post_fork_hooks_decide_what_the_workers_share() {
    let app = "from sqlalchemy import create_engine\nimport psycopg2\n\nengine = create_engine(\"postgresql://db\")\naudit = psycopg2.connect(\"dbname=audit\")\n";
    let hook = "from shop import wsgi\n\ndef post_fork(server, worker):\n    wsgi.engine.dispose(close=False)\n";
    let files = |procfile: &'static str| {
        project(&[
            ("shop/__init__.py", ""),
            ("shop/wsgi.py", app),
            ("gunicorn.conf.py", hook),
            ("Procfile", procfile),
        ])
    };
    let dir = files("web: gunicorn --preload -w 3 shop.wsgi:app\n");
    let run = forklint(dir.path(), &["check", "--format", "json", "-q", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{run:?}");
    assert_eq!(findings[0]["rule"], "FL002");
    assert_eq!(findings[0]["path"], "Procfile");
    let related = findings[0]["related"].to_string();
    assert!(related.contains("psycopg2"), "{related}");
    assert!(
        !related.contains("SQLAlchemy"),
        "the hook disposes of the engine: {related}"
    );
    let dir = files("web: gunicorn -w 3 shop.wsgi:app\n");
    let run = forklint(dir.path(), &["check", "--format", "concise", "-q", "."]);
    assert!(concise(&run.stdout).is_empty(), "no --preload: {run:?}");
}

#[test]
fn explain_shows_the_python_example_next_to_the_rust_one() {
    let dir = project(&[]);
    let run = forklint(dir.path(), &["explain", "FL005"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("```rust"), "{run:?}");
    assert!(run.stdout.contains("```python"), "{run:?}");
    assert!(run.stdout.contains("preexec_fn"), "{run:?}");
}
