//! The Rust frontend: parses a file with syn and lowers it to the IR. No syn type leaves it.

mod cfg;
mod forktest;
mod getters;
pub mod layout;
mod lower;
mod macros;
mod param_value;
mod scope;

use crate::ir::FileIr;

/// Nesting deeper than this is refused before parsing: syn's recursive descent would exhaust the
/// stack, and no real code comes near it.
pub const MAX_NESTING: usize = 1500;

/// Files larger than this are refused: the syntax tree takes about a hundred times the source's
/// size in memory, and the largest real sources (generated bindings) are a few MB.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Unbracketed chains nest syntax trees as deeply as brackets do (`!!!x`, `&&&T`, `Box<Box<..>>`,
/// `fn() -> fn() -> ..`, `|| || x`, `return return x`, `a = b = c`, and left-deep `x.f().f()`,
/// `1 + 1 + ..`, whose trees are dropped and spanned recursively). A run of more tokens than this
/// with no separator is refused before parsing: in an unoptimised build the costliest shape
/// (`Box<Box<..>>`) takes about 26 KB of stack per token, so this stays well inside the 256 MB
/// parser stacks; real code stays far below it (the longest run in the crates this project
/// depends on is a few hundred).
pub const MAX_CHAIN: usize = 5_000;

/// Parses and lowers one file. `module` is the file's module path in its crate.
pub fn lower_source(
    display_path: &str,
    source: &str,
    crate_name: &str,
    module: Vec<String>,
) -> Result<FileIr, String> {
    precheck(source)?;
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
        match parse(&source)? {
            Ok(file) => {
                // `#![cfg(windows)]`: the whole file is left out of every Unix build.
                if !cfg::absent_on_unix(&file.attrs) {
                    lowerer.declare_items(&file.items);
                    lowerer.lower_items(&file.items);
                }
                break;
            }
            Err(e) => {
                // Edition-2015 syntax that later editions refuse: bare trait objects
                // (`type F = Fn(..) + Send;`) get a `dyn`, unnamed parameters of trait methods
                // (`fn f(&self, u8);`) the name `_`; then the file is parsed again.
                let at = e.span().start();
                if patched < 32 {
                    let fixed = add_dyn(&source, at.line)
                        .or_else(|| name_unnamed_parameter(&source, at.line, at.column));
                    if let Some(fixed) = fixed {
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

/// `syn::parse_file` with the source lexed once: the tokens are measured for chains the parser
/// could not survive, then handed to the parser. A file that does not lex goes to
/// `syn::parse_file` for its message.
/// The outer error is a file refused before parsing.
fn parse(source: &str) -> Result<syn::Result<syn::File>, String> {
    let text = without_shebang(source);
    let Ok(tokens) = text.parse::<proc_macro2::TokenStream>() else {
        return Ok(syn::parse_file(source));
    };
    // The chains are measured on the parser's own buffer, before the parser descends into it.
    let mut chain = 0;
    let parsed = syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream| {
            chain = chain_depth_at(input.cursor());
            if chain > MAX_CHAIN {
                return Err(input.error("too deep"));
            }
            input.parse::<syn::File>()
        },
        tokens,
    );
    if chain > MAX_CHAIN {
        proc_macro2::extra::invalidate_current_thread_spans();
        return Err(format!(
            "nesting {chain} levels deep, counting chains of operators, calls and types without a separator, exceeds the limit of {MAX_CHAIN}; the file was not analysed"
        ));
    }
    Ok(parsed.map(|mut file| {
        if text.len() < source.len() {
            file.shebang = Some(source[..source.len() - text.len()].trim_end().to_string());
        }
        file
    }))
}

/// The source without a byte-order mark and a `#!` line (not `#![`), as `syn::parse_file` takes
/// them off; the line break stays so that lines keep their numbers.
fn without_shebang(source: &str) -> &str {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    if let Some(rest) = text.strip_prefix("#!") {
        if !rest.trim_start().starts_with('[') {
            return text.find('\n').map_or("", |i| &text[i..]);
        }
    }
    text
}

/// The checks made before parsing that need no parse (size, bracket nesting): a file failing
/// them is reported whether or not the prefilter would have parsed it.
pub fn precheck(source: &str) -> Result<(), String> {
    check_size(source.len())?;
    check_nesting(max_nesting(source.as_bytes()))
}

/// The size limit alone, for a caller that measures the nesting in its own pass.
pub fn check_size(len: usize) -> Result<(), String> {
    if len > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} MB, larger than the limit of {} MB; it was not analysed",
            len >> 20,
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(())
}

/// The nesting limit, given the deepest nesting of brackets ([`max_nesting`]).
pub fn check_nesting(depth: usize) -> Result<(), String> {
    if depth > MAX_NESTING {
        return Err(format!(
            "nesting {depth} levels deep exceeds the limit of {MAX_NESTING}; the file was not analysed"
        ));
    }
    Ok(())
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

/// Names `_` the parameter of a `fn` that the parser, at `line` (1-based) and `column` (in
/// chars), could not read as a pattern: in edition 2015 a trait method's parameter may be a bare
/// type (`fn f(&self, u8, &'a str, [u8; 4]);`).
fn name_unnamed_parameter(source: &str, line: usize, column: usize) -> Option<String> {
    let skip = source.len() - without_shebang(source).len();
    let text = &source[skip..];
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = text.get(line_start..)?;
    let at = line_start
        + rest
            .char_indices()
            .nth(column)
            .map_or(rest.len(), |(i, _)| i);
    let bytes = text.as_bytes();
    let opener = back_to(bytes, at, true)?;
    let paren = if bytes[opener] == b'(' {
        opener
    } else {
        back_to(bytes, opener, false).filter(|&i| bytes[i] == b'(')?
    };
    // The parser may stop at the parameter's first token (`fn(u8) -> u8`); one already named
    // `_` is left as the parser found it.
    if !names_a_fn(&text[..paren]) || text[opener + 1..].trim_start().starts_with("_:") {
        return None;
    }
    let cut = skip + opener + 1;
    Some(format!("{}_: {}", &source[..cut], &source[cut..]))
}

/// Back from `at` over balanced brackets to the `(` (or, with `comma`, the `,`) that opens the
/// list item holding it; `None` at a `:` (the item is named), a `;`, a brace or an `=`, or, without
/// `comma`, an unclosed `[` or `<`. With `comma`, an unclosed `[` or `<` is the item's own type,
/// in which the parser stopped.
fn back_to(bytes: &[u8], at: usize, comma: bool) -> Option<usize> {
    let (mut depth, mut i) = (0usize, at);
    loop {
        i = i.checked_sub(1)?;
        let b = bytes[i];
        match b {
            b')' | b']' => depth += 1,
            b'>' if i == 0 || bytes[i - 1] != b'-' => depth += 1,
            b'(' | b'[' | b'<' if depth > 0 => depth -= 1,
            b'(' => return Some(i),
            b',' if comma && depth == 0 => return Some(i),
            _ if depth > 0 => {}
            b'[' | b'<' if comma => {}
            b'[' | b'<' | b';' | b'{' | b'}' | b'=' => return None,
            b':' if comma && depth == 0 => {
                let path = bytes.get(i + 1) == Some(&b':') || (i > 0 && bytes[i - 1] == b':');
                if !path {
                    return None;
                }
            }
            _ => {}
        }
    }
}

/// Whether `before` ends in `fn name` or `fn name<..>`.
fn names_a_fn(before: &str) -> bool {
    let mut rest = before.trim_end();
    if rest.ends_with('>') {
        let mut depth = 0usize;
        let cut = rest.char_indices().rev().find(|&(_, c)| {
            match c {
                '>' => depth += 1,
                '<' => depth -= 1,
                _ => {}
            }
            depth == 0
        });
        let Some((i, _)) = cut else { return false };
        rest = rest[..i].trim_end();
    }
    let ident = rest.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
    ident.len() < rest.len()
        && ident
            .trim_end()
            .strip_suffix("fn")
            .is_some_and(|head| !head.ends_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// The deepest bracket nesting in the bytes (strings and comments included: an overestimate).
pub fn max_nesting(bytes: &[u8]) -> usize {
    let mut nesting = Nesting::default();
    bytes.iter().for_each(|&b| nesting.step(b));
    nesting.max
}

/// The depth of brackets as the bytes of a file go by, and the deepest it has been.
#[derive(Debug, Default)]
pub struct Nesting {
    depth: usize,
    pub max: usize,
}

impl Nesting {
    #[inline]
    pub fn step(&mut self, b: u8) {
        match b {
            b'(' | b'[' | b'{' => {
                self.depth += 1;
                self.max = self.max.max(self.depth);
            }
            b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }
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
    fn edition_2015_unnamed_trait_method_parameters_parse() {
        let text = "#!/bin/sh\ntrait T {\n    fn f(&self, u8, &'static str) -> u8;\n    fn g(&mut self,\n         Vec<Option<u8>>, [u8; 4], fn(u8) -> u8);\n}\nfn main() { libc::fork(); }\n";
        let ir = lower(text).unwrap();
        assert_eq!(ir.functions.len(), 1);
        assert_eq!(ir.functions[0].path, "self::main");
        // A field without its `:` is not a parameter: the file is refused with its own error.
        let err = lower("struct S { a u8 }\n").unwrap_err();
        assert!(err.ends_with("at 1:14"), "{err}");
    }

    #[test]
    fn public_functions_are_those_outside_code_may_call() {
        let text = "pub fn api() { fn inner() {} }\npub(crate) fn internal() {}\nfn private() {}\nstruct S;\nimpl S { pub fn method(&self) {} }\nimpl Clone for S { fn clone(&self) -> S { S } }\n";
        let ir = lower(text).unwrap();
        let public: Vec<&str> = ir
            .functions
            .iter()
            .filter(|f| f.public)
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(public, ["self::api", "self::S::method"]);
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

/// Keywords that may precede `!` without making a macro call (`if !(x)`, `return !x`).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "yield",
];

/// An upper bound on how deep a parse of `tokens` can recurse: within each bracket group, the
/// tokens since the last separator, summed over the enclosing groups, plus the groups themselves.
/// Separators are `;`, `,`, an attribute, a `}` followed by what starts a new statement or
/// item, and a `|` between operands (or-patterns of generated tables run to thousands of tokens). Macro call bodies count as one token: the parser keeps them as tokens, and the frontend
/// checks each again before it parses one (`within_chain_limit`).
pub fn chain_depth(tokens: proc_macro2::TokenStream) -> usize {
    chain_depth_at(syn::buffer::TokenBuffer::new2(tokens).begin())
}

/// [`chain_depth`] of the tokens from `cursor` on. A cursor walks the parser's own buffer without
/// copying it: iterating a `TokenStream` that is also kept for the parser copies every token (and
/// every identifier's text), which cost more than the walk itself.
fn chain_depth_at(cursor: syn::buffer::Cursor) -> usize {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    /// One token, as much of it as the walk reads.
    enum Token<'a> {
        Ident(proc_macro2::Ident),
        Punct(char, Spacing),
        Literal,
        Group(syn::buffer::Cursor<'a>, Delimiter),
    }
    struct Level<'a> {
        cursor: syn::buffer::Cursor<'a>,
        /// Depth of the enclosing levels (their runs and groups).
        base: usize,
        run: usize,
        after_brace: bool,
        /// The last token could end an operand (a literal, a non-keyword name, a group).
        after_operand: bool,
        /// A `|` between operands was just seen: an or-pattern or a bitwise or, which the parser
        /// reads in a loop, unless a closure's body follows.
        after_bar: bool,
        /// 0: nothing; 1: `#` or `#!` seen (an attribute's brackets may follow).
        attr: u8,
        /// 0: nothing; 1: a non-keyword identifier; 2: and then `!` (a macro call's group
        /// follows); 4: `macro_rules`; 3: and then `!` (its name follows, then its group).
        mac: u8,
    }
    let level = |cursor, base| Level {
        cursor,
        base,
        run: 0,
        after_brace: false,
        after_operand: false,
        after_bar: false,
        attr: 0,
        mac: 0,
    };
    let mut stack = vec![level(cursor, 0)];
    let mut max = 0;
    // An identifier's text, written into one buffer: `to_string` would allocate for each.
    let mut name = String::new();
    while let Some(top) = stack.last_mut() {
        let cursor = top.cursor;
        // Only an identifier or a literal is copied to be read; the apostrophe of a lifetime,
        // which `punct` leaves out, is a punctuation token of its own, as in the token stream.
        let (tt, next) = if let Some((inside, delimiter, _, next)) = cursor.any_group() {
            (Token::Group(inside, delimiter), next)
        } else if let Some((p, next)) = cursor.punct() {
            (Token::Punct(p.as_char(), p.spacing()), next)
        } else if let Some((i, next)) = cursor.ident() {
            (Token::Ident(i), next)
        } else if let Some((_, next)) = cursor.literal() {
            (Token::Literal, next)
        } else if let Some((tt, next)) = cursor.token_tree() {
            let token = match tt {
                TokenTree::Punct(p) => Token::Punct(p.as_char(), p.spacing()),
                TokenTree::Ident(i) => Token::Ident(i),
                // Every group was taken by `any_group` above.
                TokenTree::Literal(_) | TokenTree::Group(_) => Token::Literal,
            };
            (token, next)
        } else {
            stack.pop();
            continue;
        };
        top.cursor = next;
        if let Token::Ident(i) = &tt {
            use std::fmt::Write;
            name.clear();
            let _ = write!(name, "{i}");
        }
        let operand = match &tt {
            Token::Ident(_) => !KEYWORDS.contains(&name.as_str()),
            Token::Literal | Token::Group(..) => true,
            Token::Punct(..) => false,
        };
        if std::mem::take(&mut top.after_bar) && operand {
            top.run = 0;
        }
        if std::mem::take(&mut top.after_brace) {
            let starts_new = match &tt {
                Token::Ident(_) => name != "else" && name != "as",
                Token::Literal => true,
                Token::Punct(c, _) => *c == '#',
                Token::Group(..) => false,
            };
            if starts_new {
                top.run = 0;
            }
        }
        top.run += 1;
        max = max.max(top.base + top.run);
        let (attr, mac, after_operand) = (top.attr, top.mac, top.after_operand);
        top.attr = 0;
        top.mac = 0;
        top.after_operand = operand;
        match tt {
            Token::Punct(c, spacing) => match c {
                ';' | ',' => top.run = 0,
                '|' if after_operand && spacing == Spacing::Alone => top.after_bar = true,
                '#' => top.attr = 1,
                '!' if attr == 1 => top.attr = 1,
                '!' if mac == 1 => top.mac = 2,
                '!' if mac == 4 => top.mac = 3,
                _ => {}
            },
            Token::Ident(_) => {
                top.mac = if mac == 3 {
                    2
                } else if name == "macro_rules" {
                    4
                } else if !operand {
                    0
                } else {
                    1
                };
            }
            Token::Literal => {}
            Token::Group(inside, delimiter) => {
                if attr == 1 && delimiter == Delimiter::Bracket {
                    top.run = 0;
                    continue;
                }
                if delimiter == Delimiter::Brace {
                    top.after_brace = true;
                }
                if mac == 2 {
                    continue;
                }
                let base = top.base + top.run + 1;
                stack.push(level(inside, base));
            }
        }
    }
    max
}

/// Whether macro tokens are shallow enough to hand to the parser (see `MAX_CHAIN`); their bracket
/// depth is already bounded by the file's.
pub fn within_chain_limit(tokens: &proc_macro2::TokenStream) -> bool {
    chain_depth(tokens.clone()) <= MAX_CHAIN
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    fn depth(text: &str) -> usize {
        chain_depth(text.parse().unwrap())
    }

    #[test]
    fn unbracketed_chains_are_refused_before_parsing() {
        // These overflowed the parser's 256 MB stack at 100,000 links; refused now, by reason.
        for (head, link, tail) in [
            ("fn f() { let _ = ", "!", "x; }"),
            ("type T = ", "Box<", "u8"),
            ("type T = ", "&", "u8;"),
            ("fn f() { let _ = ", "|| ", "1; }"),
            ("fn f() { ", "return ", "1; }"),
            ("fn f() { x", ".f()", "; }"),
        ] {
            let text = format!("{head}{}{tail}", link.repeat(MAX_CHAIN));
            let err = lower_source("deep.rs", &text, "c", Vec::new()).unwrap_err();
            assert!(err.contains("without a separator"), "{head}{link}: {err}");
        }
    }

    #[test]
    fn separators_end_a_chain() {
        assert!(depth("fn f() { a; b; c; }") <= 8);
        assert_eq!(depth(&"let x = 1;\n".repeat(10_000)), 5);
        // Items, statements ending in a block, attributes and doc comments.
        assert!(depth(&"/// doc\n#[inline]\nfn f() { if a {} if b {} }\n".repeat(5_000)) < 20);
        // Generated tables: long or-patterns and arrays.
        assert!(
            depth(&format!(
                "fn f(c: char) -> bool {{ match c {{ {} => true, _ => false }} }}",
                "'a'..='b' | ".repeat(5_000) + "'c'"
            )) < 20
        );
        assert!(depth(&format!("const A: [u8; 5000] = [{}];", "1, ".repeat(5_000))) < 20);
        // Macro bodies count as one token (checked again before the frontend parses one).
        assert!(depth(&format!("html! {{ {} }}", "<a> ".repeat(5_000))) < 10);
        assert!(
            depth(&format!(
                "macro_rules! m {{ () => {{ {} }} }}",
                "x ".repeat(5_000)
            )) < 10
        );
        // Chains that continue past a block are still counted.
        assert!(
            depth(&format!(
                "fn f() {{ if a {{}} {} }}",
                "else if a {} ".repeat(2_000)
            )) > 8_000
        );
        assert!(depth(&format!("fn f() {{ x {} }}", ".f() ".repeat(2_000))) > 4_000);
        assert!(
            depth(&format!(
                "fn f() {{ let _ = {} 1; }}",
                "|x| |y| ".repeat(1_000)
            )) > 4_000
        );
        assert!(
            depth(&format!(
                "fn f() {{ let _ = {} 1; }}",
                "!(x) | ".repeat(1_000)
            )) > 2_000
        );
    }

    #[test]
    fn long_macro_bodies_are_not_parsed() {
        let body = format!("let _ = {}x;", "!".repeat(MAX_CHAIN + 1));
        let text = format!(
            "fn f() {{ m! {{ {body} }} println!(\"{{}}\", {}x); }}",
            "-".repeat(MAX_CHAIN + 1)
        );
        let ir = lower_source("m.rs", &text, "c", Vec::new()).unwrap();
        assert_eq!(ir.functions.len(), 1);
    }
}
