//! The text of the files a run looked at, read once and shared by everything after the analysis
//! (suppressions, fingerprints, snippets), with the lexical facts of each file (`lex`). Text given
//! on stdin is registered here under its `--stdin-filename`, so it wins over the file on disk.

pub mod lex;
pub mod paths;

use lex::Lexed;
use std::collections::HashMap;

struct Entry {
    lines: Vec<String>,
    text: String,
    lexed: Option<Lexed>,
}

#[derive(Default)]
pub struct Sources {
    files: HashMap<String, Option<Entry>>,
}

impl Sources {
    /// Registers text for a path (stdin); later reads of that path return it.
    pub fn insert(&mut self, path: &str, text: String) {
        self.files.insert(path.to_string(), Some(entry(text)));
    }

    /// Whether the text of `path` was registered or already read.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    fn entry(&mut self, path: &str) -> Option<&mut Entry> {
        self.files
            .entry(path.to_string())
            .or_insert_with(|| {
                crate::pipeline::read_source(std::path::Path::new(path))
                    .ok()
                    .map(entry)
            })
            .as_mut()
    }

    /// The whole text, `None` when the file cannot be read as text.
    pub fn text(&mut self, path: &str) -> Option<&str> {
        self.entry(path).map(|e| e.text.as_str())
    }

    /// A 1-based line without its line break.
    pub fn line(&mut self, path: &str, line: u32) -> Option<String> {
        let e = self.entry(path)?;
        e.lines.get(line.checked_sub(1)? as usize).cloned()
    }

    /// The lexical facts of a file, computed on first use.
    pub fn lexed(&mut self, path: &str) -> Option<&Lexed> {
        let e = self.entry(path)?;
        if e.lexed.is_none() {
            e.lexed = Some(
                match crate::frontend::Language::of(std::path::Path::new(path)) {
                    Some(crate::frontend::Language::Python) => {
                        crate::frontend::python::lex::lex(&e.text)
                    }
                    _ => lex::lex(&e.text),
                },
            );
        }
        e.lexed.as_ref()
    }
}

fn entry(text: String) -> Entry {
    Entry {
        lines: text
            .lines()
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect(),
        text,
        lexed: None,
    }
}
