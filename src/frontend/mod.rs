//! Language frontends: each turns source text into the language-neutral IR of `crate::ir`. The
//! language of a file is its extension; `lower` hands the file to its frontend.

pub mod python;
pub mod rust;

use crate::ir::FileIr;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Rust,
    Python,
}

impl Language {
    /// The language of a file, by extension; `None` for files no frontend reads.
    pub fn of(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "rs" => Some(Language::Rust),
            "py" => Some(Language::Python),
            // uWSGI's configuration says how a Python app is loaded before its workers fork.
            "ini" if python::servers::is_uwsgi_ini(path) => Some(Language::Python),
            _ => None,
        }
    }
}

/// Lowers one file's text with the frontend of its language (Rust files are placed in their
/// crate by `layout`).
pub fn lower(path: &Path, text: &str, layout: &rust::layout::Layout) -> Result<FileIr, String> {
    match Language::of(path) {
        Some(Language::Python) => python::lower(path, text),
        _ => {
            let place = layout.place(path);
            rust::lower_source(
                &path.display().to_string(),
                text,
                &place.crate_id,
                place.module,
            )
        }
    }
}
