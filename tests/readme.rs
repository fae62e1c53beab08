//! The README shows real output. Each fenced block after `<!-- output: ARGS -->` is exactly what
//! `forklint ARGS` prints in the repository root, and each one after `<!-- output ends: ARGS -->`
//! is the end of it; `FORKLINT_BLESS=1` rewrites them from the binary. The README names no
//! folder of one machine, and the commits its CI examples pin exist and hold the action and the
//! pre-commit hooks.

mod prereq;

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One sample: the command, whether the block is the end of the output only, and where its
/// block's body starts and ends (line indices, body exclusive of the fences).
struct Sample {
    args: String,
    tail: bool,
    body: std::ops::Range<usize>,
}

fn samples(lines: &[&str]) -> Vec<Sample> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let marker = line.trim();
        let (args, tail) = if let Some(rest) = marker.strip_prefix("<!-- output ends: ") {
            (rest, true)
        } else if let Some(rest) = marker.strip_prefix("<!-- output: ") {
            (rest, false)
        } else {
            continue;
        };
        let args = args.strip_suffix(" -->").expect("a marker ends with -->");
        assert!(
            lines.get(i + 1).is_some_and(|l| l.starts_with("```")),
            "README line {}: a fenced block must follow the marker",
            i + 1
        );
        let end = (i + 2..lines.len())
            .find(|&j| lines[j] == "```")
            .unwrap_or_else(|| panic!("README line {}: the block is not closed", i + 2));
        out.push(Sample {
            args: args.to_string(),
            tail,
            body: i + 2..end,
        });
    }
    out
}

fn run(args: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(args.split_whitespace())
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run forklint");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "forklint {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn samples_are_real_output() {
    let path = Path::new(ROOT).join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let found = samples(&lines);
    assert!(found.len() >= 3, "the README's samples are marked");
    let bless = std::env::var_os("FORKLINT_BLESS").is_some();
    let mut rewritten: Vec<String> = Vec::new();
    let mut next = 0;
    let mut stale = Vec::new();
    for sample in &found {
        let output = run(&sample.args);
        let mut expected: Vec<&str> = output.lines().collect();
        let shown = &lines[sample.body.clone()];
        if sample.tail {
            // The end of the output: as many lines as the block shows (at least the last one).
            let n = shown.len().max(1).min(expected.len());
            expected.drain(..expected.len() - n);
        }
        if shown != expected.as_slice() {
            stale.push(format!(
                "`forklint {}`:\n--- README\n{}\n--- real output\n{}",
                sample.args,
                shown.join("\n"),
                expected.join("\n")
            ));
        }
        rewritten.extend(lines[next..sample.body.start].iter().map(|l| l.to_string()));
        rewritten.extend(expected.iter().map(|l| l.to_string()));
        next = sample.body.end;
    }
    rewritten.extend(lines[next..].iter().map(|l| l.to_string()));
    if bless {
        std::fs::write(&path, rewritten.join("\n") + "\n").unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "README samples differ from the real output (FORKLINT_BLESS=1 rewrites them):\n{}",
        stale.join("\n\n")
    );
}

#[test]
fn names_no_folder_of_one_machine() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    for folder in [
        "/work/",
        "/home/",
        "/root/",
        "/tmp/",
        "/Users/",
        "shared/bench",
    ] {
        assert!(!text.contains(folder), "the README names {folder}");
    }
}

/// The commit ids the README's CI examples pin (`@<id>`, `rev: <id>`, `--rev <id>`).
fn pinned_commits(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() == 40 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect();
    out.dedup();
    out
}

#[test]
fn pinned_commits_exist_and_hold_the_action_and_hooks() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let pins = pinned_commits(&text);
    assert!(!pins.is_empty(), "the CI examples pin a commit");
    for (pin, line) in text.lines().enumerate().filter_map(|(i, l)| {
        (l.contains("forklint@") || l.trim_start().starts_with("rev:")).then_some((l, i + 1))
    }) {
        assert!(
            pinned_commits(pin).len() == 1,
            "README line {line} pins a full commit id: {pin}"
        );
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(ROOT)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    if git(&["rev-parse", "--git-dir"]).is_none() {
        return prereq::missing("git and the repository's history (a git clone) are needed");
    }
    for commit in pins {
        for file in ["action.yml", ".pre-commit-hooks.yaml", "Cargo.toml"] {
            assert!(
                git(&["cat-file", "-e", &format!("{commit}:{file}")]).is_some(),
                "the pinned commit {commit} does not exist here or has no {file}"
            );
        }
    }
}
