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
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            // A script with a Python `#!` line is a Python program.
            let python =
                python::commands::interpreter(path) == Some(python::commands::Interpreter::Python);
            return (python || python::commands::is_command_file(path)).then_some(Language::Python);
        };
        match ext {
            "rs" => Some(Language::Rust),
            "py" => Some(Language::Python),
            // A WSGI script (mod_wsgi's and uWSGI's `wsgi-file`): Python loaded by path.
            "wsgi" => Some(Language::Python),
            // uWSGI's configuration says how a Python app is loaded before its workers fork.
            "ini" if python::servers::is_uwsgi_ini(path) => Some(Language::Python),
            // Command lines that start a Python prefork server or a job queue's worker.
            _ => python::commands::is_command_file(path).then_some(Language::Python),
        }
    }
}

/// A source file's text as its language reads it: Rust is UTF-8; Python may declare another
/// encoding (PEP 263); a command file (Procfile, unit, script) is read for its ASCII command
/// lines, whatever its other bytes are. The error says why the bytes are not text.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, String> {
    match Language::of(path) {
        Some(Language::Python) if python::commands::is_command_file(path) => {
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        }
        Some(Language::Python) => python::encoding::decode(bytes),
        _ => String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error())),
    }
}

/// The reason a Rust source is rejected when it is not UTF-8.
pub fn not_utf8(e: std::str::Utf8Error) -> String {
    format!("not valid UTF-8 (byte {})", e.valid_up_to())
}

/// Lowers one file's text with the frontend of its language (Rust files are placed in their
/// crate by `layout`).
pub fn lower(path: &Path, text: &str, layout: &rust::layout::Layout) -> Result<FileIr, String> {
    match Language::of(path) {
        Some(Language::Python) => python::lower(path, text),
        _ => {
            let place = layout.place(path);
            let (edition_2015, library) = (place.edition_2015, place.library);
            rust::lower_source(
                &path.display().to_string(),
                text,
                &place.crate_id,
                place.module,
            )
            .map(|mut ir| {
                ir.reexports.extend(place.shared);
                FileIr {
                    edition_2015,
                    library,
                    ..ir
                }
            })
        }
    }
}

/// Joins what one file cannot know alone, once every file is lowered: objects that a Python
/// post-fork hook in one module recreates in another.
pub fn link(irs: &mut [FileIr]) {
    python::link::link(irs);
}
