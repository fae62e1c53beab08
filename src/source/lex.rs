//! A lexical pass over Rust text that needs no parse: the real `//` comments (never text inside a
//! string, char or block comment) and the items (`fn`, `impl`, `mod`, `trait`) enclosing each line.
//! Suppression directives and finding fingerprints are read from it, because the frontend drops
//! comments and a file that does not parse still has both.

/// A `//` comment (doc comments included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineComment {
    /// 1-based line.
    pub line: u32,
    /// 1-based column of the first `/`, in characters.
    pub column: u32,
    /// 1-based exclusive end column, in characters.
    pub end_column: u32,
    /// The text after the slashes (`//`, `///` or `//!`), untrimmed.
    pub text: String,
    /// Only whitespace precedes it on its line.
    pub own_line: bool,
    /// A doc comment (`///`, `//!`): documentation, never a directive.
    pub doc: bool,
}

/// An item with a body, spanning `start_line..=end_line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `fn serve`, `mod net`, `trait Pool`, `impl<T> Drop for Guard<T>`.
    pub name: String,
    pub start_line: u32,
    pub end_line: u32,
}

#[derive(Debug, Default)]
pub struct Lexed {
    pub comments: Vec<LineComment>,
    pub scopes: Vec<Scope>,
    /// Lines holding something other than whitespace and comments.
    code_lines: Vec<bool>,
}

impl Lexed {
    /// Facts found by another language's lexer (`frontend::python::lex`).
    pub fn from_parts(
        comments: Vec<LineComment>,
        scopes: Vec<Scope>,
        code_lines: Vec<bool>,
    ) -> Self {
        Lexed {
            comments,
            scopes,
            code_lines,
        }
    }

    /// The items enclosing a line, outermost first, joined with ` > `; empty at the top level.
    pub fn enclosing(&self, line: u32) -> String {
        let mut found: Vec<&Scope> = self
            .scopes
            .iter()
            .filter(|s| s.start_line <= line && line <= s.end_line)
            .collect();
        found.sort_by_key(|s| (s.start_line, std::cmp::Reverse(s.end_line)));
        found
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    }

    /// Whether a 1-based line holds code (not only whitespace and comments).
    pub fn is_code_line(&self, line: u32) -> bool {
        line >= 1
            && self
                .code_lines
                .get(line as usize - 1)
                .copied()
                .unwrap_or(false)
    }

    pub fn line_count(&self) -> u32 {
        self.code_lines.len() as u32
    }
}

struct Cursor<'a> {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    col: u32,
    text: &'a str,
}

impl Cursor<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
}

struct Pending {
    name: String,
    parens: usize,
    line: u32,
}

/// Lexes a whole file. Unterminated strings or comments end at the end of the text.
pub fn lex(text: &str) -> Lexed {
    let mut cur = Cursor {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
        col: 1,
        text,
    };
    let lines = text.lines().count().max(1);
    let mut out = Lexed {
        code_lines: vec![false; lines + 1],
        ..Default::default()
    };
    let mut depth = 0usize;
    let mut parens = 0usize;
    let mut pending: Option<Pending> = None;
    // Open items: (index in out.scopes, brace depth inside it).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut code_on_line = false;
    let mut last_ident = String::new();
    let _ = cur.text;
    while let Some(c) = cur.peek(0) {
        let (line, col) = (cur.line, cur.col);
        let mark_code = |out: &mut Lexed, line: u32| {
            if let Some(slot) = out.code_lines.get_mut(line as usize - 1) {
                *slot = true;
            }
        };
        match c {
            '\n' => {
                cur.bump();
                code_on_line = false;
            }
            c if c.is_whitespace() => {
                cur.bump();
            }
            '/' if cur.peek(1) == Some('/') => {
                cur.bump();
                cur.bump();
                // `///` and `//!` are doc comments (`////` is a plain one).
                let doc = cur.peek(0) == Some('!')
                    || (cur.peek(0) == Some('/') && cur.peek(1) != Some('/'));
                if cur.peek(0) == Some('/') || cur.peek(0) == Some('!') {
                    cur.bump();
                }
                let mut body = String::new();
                while let Some(ch) = cur.peek(0) {
                    if ch == '\n' {
                        break;
                    }
                    body.push(ch);
                    cur.bump();
                }
                let body = body.strip_suffix('\r').unwrap_or(&body).to_string();
                out.comments.push(LineComment {
                    line,
                    column: col,
                    end_column: cur.col,
                    text: body,
                    own_line: !code_on_line,
                    doc,
                });
            }
            '/' if cur.peek(1) == Some('*') => {
                cur.bump();
                cur.bump();
                let mut nest = 1usize;
                while nest > 0 {
                    match (cur.peek(0), cur.peek(1)) {
                        (None, _) => break,
                        (Some('/'), Some('*')) => {
                            nest += 1;
                            cur.bump();
                            cur.bump();
                        }
                        (Some('*'), Some('/')) => {
                            nest -= 1;
                            cur.bump();
                            cur.bump();
                        }
                        _ => {
                            cur.bump();
                        }
                    }
                }
            }
            '"' => {
                mark_code(&mut out, line);
                code_on_line = true;
                skip_string(&mut cur);
                mark_lines(&mut out, line, cur.line);
            }
            '\'' => {
                mark_code(&mut out, line);
                code_on_line = true;
                cur.bump();
                // A char literal ('a', '\n', '\u{1F600}', '{') or a lifetime/label ('a).
                if cur.peek(0) == Some('\\') {
                    while let Some(ch) = cur.bump() {
                        if ch == '\\' {
                            cur.bump();
                        } else if ch == '\'' || ch == '\n' {
                            break;
                        }
                    }
                } else if cur.peek(1) == Some('\'') {
                    cur.bump();
                    cur.bump();
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                mark_code(&mut out, line);
                code_on_line = true;
                if let Some(hashes) = raw_string_start(&cur) {
                    skip_raw_string(&mut cur, hashes);
                    mark_lines(&mut out, line, cur.line);
                    continue;
                }
                if matches!(c, 'b' | 'c') && cur.peek(1) == Some('"') {
                    cur.bump();
                    skip_string(&mut cur);
                    mark_lines(&mut out, line, cur.line);
                    continue;
                }
                if c == 'b' && cur.peek(1) == Some('\'') {
                    cur.bump();
                    continue;
                }
                let start = cur.pos;
                while cur
                    .peek(0)
                    .is_some_and(|ch| ch.is_alphanumeric() || ch == '_')
                {
                    cur.bump();
                }
                let word: String = cur.chars[start..cur.pos].iter().collect();
                if pending.is_none() {
                    match last_ident.as_str() {
                        "fn" | "mod" | "trait" => {
                            pending = Some(Pending {
                                name: format!("{last_ident} {word}"),
                                parens,
                                line,
                            })
                        }
                        _ => {}
                    }
                    if word == "impl" {
                        pending = Some(Pending {
                            name: "impl".to_string(),
                            parens,
                            line,
                        });
                        last_ident = word;
                        continue;
                    }
                } else if let Some(p) = pending.as_mut() {
                    if p.name.starts_with("impl") && p.parens == parens {
                        p.name.push(' ');
                        p.name.push_str(&word);
                    }
                }
                last_ident = word;
                continue;
            }
            _ => {
                mark_code(&mut out, line);
                code_on_line = true;
                cur.bump();
                match c {
                    '(' | '[' => parens += 1,
                    ')' | ']' => parens = parens.saturating_sub(1),
                    ';' => {
                        if pending.as_ref().is_some_and(|p| p.parens == parens) {
                            pending = None;
                        }
                    }
                    '{' => {
                        depth += 1;
                        if let Some(p) = pending.take_if(|p| p.parens == parens) {
                            out.scopes.push(Scope {
                                name: p.name,
                                start_line: p.line,
                                end_line: p.line,
                            });
                            open.push((out.scopes.len() - 1, depth));
                        }
                    }
                    '}' => {
                        if let Some(&(index, d)) = open.last() {
                            if d == depth {
                                out.scopes[index].end_line = line;
                                open.pop();
                            }
                        }
                        depth = depth.saturating_sub(1);
                    }
                    other => {
                        if let Some(p) = pending.as_mut() {
                            if p.name.starts_with("impl") && p.parens == parens {
                                p.name.push(other);
                            }
                        }
                    }
                }
                last_ident.clear();
                continue;
            }
        }
    }
    let last = cur.line;
    for (index, _) in open {
        out.scopes[index].end_line = last;
    }
    for scope in &mut out.scopes {
        if scope.name.starts_with("impl") {
            scope.name = tidy_impl(&scope.name);
        }
    }
    out
}

/// `impl < T > Drop for Guard < T >` → `impl<T> Drop for Guard<T>`.
fn tidy_impl(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(' ') {
        let glue = part.starts_with(['<', '>', ',', ':', '&', '\''])
            || out.ends_with(['<', '&', ':', '\''])
            || out.is_empty();
        if !glue {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

fn mark_lines(out: &mut Lexed, from: u32, to: u32) {
    for line in from..=to {
        if let Some(slot) = out.code_lines.get_mut(line as usize - 1) {
            *slot = true;
        }
    }
}

fn skip_string(cur: &mut Cursor<'_>) {
    cur.bump();
    while let Some(ch) = cur.bump() {
        match ch {
            '\\' => {
                cur.bump();
            }
            '"' => break,
            _ => {}
        }
    }
}

/// `r"`, `r#"`, `br#"`, `cr"`: the number of `#`s when a raw string starts here.
fn raw_string_start(cur: &Cursor<'_>) -> Option<usize> {
    let prev_ident = cur.pos > 0
        && cur
            .chars
            .get(cur.pos - 1)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_');
    if prev_ident {
        return None;
    }
    let mut i = match (cur.peek(0), cur.peek(1)) {
        (Some('r'), _) => 1,
        (Some('b' | 'c'), Some('r')) => 2,
        _ => return None,
    };
    let mut hashes = 0;
    while cur.peek(i) == Some('#') {
        hashes += 1;
        i += 1;
    }
    (cur.peek(i) == Some('"')).then_some(hashes)
}

fn skip_raw_string(cur: &mut Cursor<'_>, hashes: usize) {
    while cur.peek(0) != Some('"') {
        cur.bump();
    }
    cur.bump();
    loop {
        match cur.bump() {
            None => return,
            Some('"') => {
                if (0..hashes).all(|i| cur.peek(i) == Some('#')) {
                    for _ in 0..hashes {
                        cur.bump();
                    }
                    return;
                }
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_outside_strings_only() {
        let text = r####"let a = "// not a comment"; // real one
let b = r#"// raw "string" // still"#; let c = '"'; // after char
/* block // not a line comment */ let d = b"//";
    // own line
let e = '/'; let f = 'a; // lifetime-like
let g = r"\"; // after raw
"####;
        let lexed = lex(text);
        let got: Vec<(u32, &str, bool)> = lexed
            .comments
            .iter()
            .map(|c| (c.line, c.text.as_str(), c.own_line))
            .collect();
        assert_eq!(
            got,
            [
                (1, " real one", false),
                (2, " after char", false),
                (4, " own line", true),
                (5, " lifetime-like", false),
                (6, " after raw", false),
            ]
        );
        assert_eq!(lexed.comments[0].column, 29);
        assert!(lexed.is_code_line(1));
        assert!(!lexed.is_code_line(4));
    }

    #[test]
    fn multi_line_strings_hide_comment_markers() {
        let text = "let s = \"line one\n// inside\nend\";\n// outside\n";
        let lexed = lex(text);
        assert_eq!(lexed.comments.len(), 1);
        assert_eq!(lexed.comments[0].line, 4);
        assert!(lexed.is_code_line(2), "a string's inner line is code");
    }

    #[test]
    fn enclosing_items() {
        let text = "mod net {\n    impl<T> Drop for Guard<T> {\n        fn drop(&mut self) {\n            let x = [0u8; 4];\n        }\n    }\n    fn serve(a: [u8; 2]) -> impl Fn() {\n        || {}\n    }\n}\ntrait T { fn m(&self); fn n(&self) {} }\n";
        let lexed = lex(text);
        assert_eq!(
            lexed.enclosing(4),
            "mod net > impl<T> Drop for Guard<T> > fn drop"
        );
        assert_eq!(lexed.enclosing(8), "mod net > fn serve");
        assert_eq!(lexed.enclosing(11), "trait T > fn n");
        assert_eq!(lexed.enclosing(12), "");
    }
}
