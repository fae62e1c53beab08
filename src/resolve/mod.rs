//! Name resolution, shared by the linker (`analysis::program`) and the prefilter: how a path a
//! file writes becomes a key of the crate graph (`path`), where `#[path]` declarations put files
//! (`moves`), which crates' macros a crate root puts in scope (`prelude`), which paths name
//! another crate's items through a re-export (`reexports`), how a key is followed through `use`s
//! (`tables`), and in which order a call's lookups are tried (`steps`). The linker takes the
//! first lookup that finds something; the prefilter asks for every lookup the linker might try,
//! so that it parses every file that could answer one.

pub mod moves;
pub mod path;
pub mod prelude;
pub mod reexports;
pub mod steps;
pub mod tables;

pub use path::{absolute, is_relative, last_segment, package_of, MAX_ALIAS_STEPS, STD_METHODS};

/// A function: (file index, function index in that file).
pub type FnRef = (u32, u32);
