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
    let mut source = strip_frontmatter(source);
    let ir = FileIr {
        path: display_path.to_string(),
        crate_name: crate_name.to_string(),
        module,
        ..Default::default()
    };
    let mut lowerer = lower::Lowerer::new(ir);
    let mut patched = 0;
    loop {
        match syn::parse_file(&source) {
            Ok(file) => {
                lowerer.declare_items(&file.items);
                lowerer.lower_items(&file.items);
                break;
            }
            Err(e) => {
                // Edition-2015 bare trait objects (`type F = Fn(..) + Send;`): add `dyn`, retry.
                let line = e.span().start().line;
                if patched < 32 {
                    if let Some(fixed) = add_dyn(&source, line) {
                        source = fixed;
                        patched += 1;
                        continue;
                    }
                }
                // `include!()` fragments: a bare expression or statements, not a file.
                if let Ok(stmts) = syn::parse::Parser::parse_str(syn::Block::parse_within, &source)
                {
                    lowerer.lower_fragment(&stmts);
                    break;
                }
                let start = e.span().start();
                proc_macro2::extra::invalidate_current_thread_spans();
                let what = e.to_string();
                let what = if what == "cannot parse string into token stream" {
                    "does not tokenize (an unclosed delimiter, string or comment)".to_string()
                } else {
                    what
                };
                return Err(format!("{what} at {}:{}", start.line, start.column + 1));
            }
        }
    }
    // Spans of a parsed file stay in a thread-local table until invalidated.
    proc_macro2::extra::invalidate_current_thread_spans();
    Ok(lowerer.ir)
}

/// Cargo-script front matter (`---cargo` .. `---` after an optional `#!` line) is not Rust: blank
/// it out, keeping the line count so that positions stay right.
fn strip_frontmatter(source: &str) -> String {
    let mut lines: Vec<&str> = source.split('\n').collect();
    let mut i = 0;
    if lines
        .first()
        .is_some_and(|l| l.starts_with("#!") && !l.starts_with("#!["))
    {
        i = 1;
    }
    while lines.get(i).is_some_and(|l| l.trim().is_empty()) {
        i += 1;
    }
    if !lines.get(i).is_some_and(|l| l.starts_with("---")) {
        return source.to_string();
    }
    let Some(end) = (i + 1..lines.len()).find(|&j| lines[j].trim_end() == "---") else {
        return source.to_string();
    };
    for line in lines.iter_mut().take(end + 1).skip(i) {
        *line = "";
    }
    lines.join("\n")
}

/// `Fn(`, `FnMut(`, `FnOnce(` without `dyn`/`impl` on `line` (1-based) get a `dyn`.
fn add_dyn(source: &str, line: usize) -> Option<String> {
    let mut lines: Vec<String> = source.split('\n').map(str::to_string).collect();
    let text = lines.get(line.checked_sub(1)?)?;
    for name in ["FnOnce(", "FnMut(", "Fn("] {
        let mut from = 0;
        while let Some(pos) = text[from..].find(name).map(|p| p + from) {
            let before = text[..pos].trim_end();
            let bare = !before.ends_with("dyn")
                && !before.ends_with("impl")
                && !text[..pos].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':');
            if bare {
                let fixed = format!("{}dyn {}", &text[..pos], &text[pos..]);
                lines[line - 1] = fixed;
                return Some(lines.join("\n"));
            }
            from = pos + name.len();
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(text: &str) -> Result<FileIr, String> {
        lower_source("t.rs", text, "t", Vec::new())
    }

    #[test]
    fn cargo_script_front_matter_is_skipped() {
        let text = "#!/usr/bin/env cargo\n---cargo\n[dependencies]\nclap = \"4\"\n---\nfn main() { libc::fork(); }\n";
        let ir = lower(text).unwrap();
        assert_eq!(ir.functions[0].path, "self::main");
        assert_eq!(
            strip_frontmatter(text).lines().count(),
            text.lines().count()
        );
    }

    #[test]
    fn edition_2015_bare_trait_objects_parse() {
        let ir = lower("type Action = Fn(&u32) + Send + Sync;\nfn f(a: Box<Fn()>) {}\n").unwrap();
        assert_eq!(ir.functions.len(), 1);
    }

    #[test]
    fn include_fragments_are_lowered_as_code() {
        let ir = lower("Some(match x { 1 => std::thread::spawn(|| {}), _ => todo!() })\n").unwrap();
        assert_eq!(ir.functions[0].path, "self::{include}");
        assert!(lower("fn main( {")
            .unwrap_err()
            .contains("does not tokenize"));
        assert!(lower("struct S { a: u8,, }").unwrap_err().contains("at 1:"));
    }
}
