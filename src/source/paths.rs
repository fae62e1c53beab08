//! Spelling-independent paths: one lexical normal form (`.` and `..` taken out without asking the
//! file system) shared by crate-root discovery, configuration globs and Python import folders, so
//! that the same file reached as `./src/a.rs`, `src/../src/a.rs` or an absolute path is one file.

use std::path::{Component, Path, PathBuf};

/// `a/./b/../c` as `a/c`. A `..` that climbs above a relative start is kept (`../x` stays), and
/// one at the root is dropped (the root's parent is the root); symbolic links are not followed,
/// so a link cannot move a file out of its project.
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(part),
            },
            other => out.push(other),
        }
    }
    out
}

/// The path made absolute against the working folder, in lexical normal form. Without a readable
/// working folder a relative path stays relative.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return lexical(path);
    }
    match std::env::current_dir() {
        Ok(cwd) => lexical(&cwd.join(path)),
        Err(_) => lexical(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_taken_out_lexically() {
        let cases = [
            ("a/./b/../c", "a/c"),
            ("./src/lib.rs", "src/lib.rs"),
            ("../x/y", "../x/y"),
            ("a/../../x", "../x"),
            ("/../etc", "/etc"),
            ("/a/b/..", "/a"),
            ("", ""),
        ];
        for (given, want) in cases {
            assert_eq!(lexical(Path::new(given)), PathBuf::from(want), "{given}");
        }
    }

    #[test]
    fn absolute_paths_ignore_the_working_folder() {
        assert_eq!(absolute(Path::new("/p/./q/../r")), PathBuf::from("/p/r"));
        assert!(absolute(Path::new("x")).is_absolute());
    }
}
