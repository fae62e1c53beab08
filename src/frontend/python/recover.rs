//! Syntax errors the parser recovered from: which statements of a recovered tree are left out of
//! the lowering, and how the first error is named to the user.
//!
//! The parser rebuilds a tree around each error, but what it rebuilt there is a guess (py2's
//! `print x` becomes two expressions, `f(async=True)` ends the call early). A guess could say
//! that a child exits where it does not, or the reverse, so the statement an error touches is
//! replaced by `pass`; the statements around it parsed cleanly and are lowered as usual.

use ruff_python_ast::{AtomicNodeIndex, Stmt, StmtPass};
use ruff_text_size::{Ranged, TextRange, TextSize};

/// Where each line of a text starts, to tell which statements share a line with an error.
pub struct Lines {
    starts: Vec<u32>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        Lines { starts }
    }

    /// The 0-based line holding `offset`.
    fn line(&self, offset: TextSize) -> usize {
        self.starts.partition_point(|&s| s <= offset.to_u32()) - 1
    }

    /// The first and last lines a range covers (its end is exclusive: a range ending with a
    /// line's newline does not reach the next line).
    fn span(&self, range: TextRange) -> (usize, usize) {
        let last = range.end().max(range.start() + TextSize::from(1)) - TextSize::from(1);
        (self.line(range.start()), self.line(last))
    }

    /// The 1-based line and column (in characters) of `offset` in `text`.
    pub fn line_col(&self, text: &str, offset: TextSize) -> (u32, u32) {
        let line = self.line(offset);
        let start = self.starts[line] as usize;
        let end = text.floor_char_boundary((offset.to_u32() as usize).min(text.len()));
        let col = text.get(start..end).map_or(0, |s| s.chars().count());
        (
            u32::try_from(line + 1).unwrap_or(u32::MAX),
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        )
    }
}

/// Replaces by `pass` what each error touches: the innermost statements sharing a line with it,
/// or the whole compound statement when the error is in one of its headers (`def`, `if`, `for`,
/// `with` up to the colon, `elif`, `except`, `case`).
pub fn prune(body: &mut [Stmt], errors: &[TextRange], lines: &Lines) {
    for &error in errors {
        prune_one(body, error, lines);
    }
}

fn prune_one(body: &mut [Stmt], error: TextRange, lines: &Lines) {
    let (lo, hi) = lines.span(error);
    // A body is in source order: a search finds its first statement that reaches the error's
    // lines (a file of many errors and many statements stays linear-logarithmic).
    let from = body.partition_point(|s| lines.span(s.range()).1 < lo);
    for stmt in &mut body[from..] {
        let range = stmt.range();
        if lines.span(range).0 > hi {
            break;
        }
        if !enter(stmt, error, lines) {
            *stmt = pass(range);
        }
    }
}

/// Prunes inside a compound statement whose bodies hold the error; false for a simple
/// statement, or when the error is in the statement's header: before its first body, or on
/// the header's first line (`if x print:` may be rebuilt with `print` as the body).
fn enter(stmt: &mut Stmt, error: TextRange, lines: &Lines) -> bool {
    let Some(first) = first_body(stmt) else {
        return false;
    };
    if error.start() < first || lines.line(error.start()) == lines.line(stmt.start()) {
        return false;
    }
    // A clause's header (`elif`, `except`, `case`) is part of the statement's header: its
    // test or pattern may have been rebuilt from the broken text.
    let clauses: Vec<(TextRange, TextSize)> = match &*stmt {
        Stmt::If(i) => i
            .elif_else_clauses
            .iter()
            .map(|c| (c.range, c.body.first().map_or(c.range.end(), Ranged::start)))
            .collect(),
        Stmt::Try(t) => t
            .handlers
            .iter()
            .map(|h| {
                let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                (h.range, h.body.first().map_or(h.range.end(), Ranged::start))
            })
            .collect(),
        Stmt::Match(m) => m
            .cases
            .iter()
            .map(|c| (c.range, c.body.first().map_or(c.range.end(), Ranged::start)))
            .collect(),
        _ => Vec::new(),
    };
    let in_header = |(range, end): &(TextRange, TextSize)| {
        range.start() <= error.start()
            && (error.start() < *end || lines.line(error.start()) == lines.line(range.start()))
    };
    if clauses.iter().any(in_header) {
        return false;
    }
    for body in bodies(stmt) {
        prune_one(body, error, lines);
    }
    true
}

/// Every body of a compound statement, clauses' included.
fn bodies(stmt: &mut Stmt) -> Vec<&mut ruff_python_ast::Suite> {
    match stmt {
        Stmt::FunctionDef(f) => vec![&mut f.body],
        Stmt::ClassDef(c) => vec![&mut c.body],
        Stmt::With(w) => vec![&mut w.body],
        Stmt::For(f) => vec![&mut f.body, &mut f.orelse],
        Stmt::While(w) => vec![&mut w.body, &mut w.orelse],
        Stmt::If(i) => std::iter::once(&mut i.body)
            .chain(i.elif_else_clauses.iter_mut().map(|c| &mut c.body))
            .collect(),
        Stmt::Try(t) => {
            let mut out = vec![&mut t.body];
            for h in &mut t.handlers {
                let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                out.push(&mut h.body);
            }
            out.push(&mut t.orelse);
            out.push(&mut t.finalbody);
            out
        }
        Stmt::Match(m) => m.cases.iter_mut().map(|c| &mut c.body).collect(),
        _ => Vec::new(),
    }
}

/// Where a compound statement's first body starts (the end of its header); `None` for a simple
/// statement or a compound one the parser left without a body.
fn first_body(stmt: &Stmt) -> Option<TextSize> {
    let body = match stmt {
        Stmt::FunctionDef(f) => &f.body,
        Stmt::ClassDef(c) => &c.body,
        Stmt::With(w) => &w.body,
        Stmt::For(f) => &f.body,
        Stmt::While(w) => &w.body,
        Stmt::If(i) => &i.body,
        Stmt::Try(t) => &t.body,
        Stmt::Match(m) => return m.cases.first().map(Ranged::start),
        _ => return None,
    };
    body.first().map(Ranged::start)
}

fn pass(range: TextRange) -> Stmt {
    Stmt::Pass(StmtPass {
        node_index: AtomicNodeIndex::NONE,
        range,
    })
}

/// The first error (its place is told apart), how many more the file holds, and what was done
/// about them.
pub fn describe(text: &str, lines: &Lines, errors: &[(String, TextRange)]) -> (String, u32, u32) {
    let Some((first, range)) = errors.first() else {
        return (String::new(), 0, 0);
    };
    let (line, col) = lines.line_col(text, range.start());
    let more = match errors.len() - 1 {
        0 => "; analysed without the statement it breaks".to_string(),
        1 => " (and 1 more syntax error); analysed without the statements they break".to_string(),
        n => format!(" (and {n} more syntax errors); analysed without the statements they break"),
    };
    (format!("{first}{more}"), line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds of the module's statements after pruning, nested bodies in brackets.
    fn pruned(text: &str) -> String {
        let parsed =
            ruff_python_parser::parse_unchecked_source(text, ruff_python_ast::PySourceType::Python);
        let errors: Vec<TextRange> = parsed.errors().iter().map(|e| e.location).collect();
        assert!(!errors.is_empty(), "the text must hold a syntax error");
        let mut module = parsed.into_syntax();
        prune(&mut module.body, &errors, &Lines::new(text));
        fn kinds(body: &mut [Stmt]) -> String {
            body.iter_mut()
                .map(|s| {
                    let name = match s {
                        Stmt::Pass(_) => "pass",
                        Stmt::Expr(_) => "expr",
                        Stmt::Assign(_) => "assign",
                        Stmt::If(_) => "if",
                        Stmt::FunctionDef(_) => "def",
                        Stmt::For(_) => "for",
                        Stmt::Try(_) => "try",
                        _ => "other",
                    };
                    let inner: Vec<String> = bodies(s).into_iter().map(|b| kinds(b)).collect();
                    if inner.is_empty() {
                        name.to_string()
                    } else {
                        format!("{name}[{}]", inner.join("|"))
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        kinds(&mut module.body)
    }

    #[test]
    fn only_the_statement_on_the_error_line_goes() {
        assert_eq!(
            pruned("def f(x):\n    a = 1\n    print x\n    g(x)\n"),
            "def[assign pass pass expr]"
        );
    }

    #[test]
    fn an_error_that_ends_with_its_newline_leaves_the_next_line() {
        assert_eq!(
            pruned("for b in l:\n    i = b.cuda(async=True)\npid = fork()\n"),
            "for[pass pass|] assign"
        );
    }

    #[test]
    fn an_error_in_a_header_takes_the_whole_statement() {
        // The body, indented under nothing, is a statement of its own that the error also breaks.
        assert_eq!(
            pruned("if fork() == 0 print:\n    run()\nx = 1\n"),
            "pass pass assign"
        );
        assert_eq!(
            pruned("if a:\n    run()\nelif fork() = 0:\n    run()\nx = 1\n"),
            "pass pass pass assign"
        );
        assert_eq!(
            pruned("try:\n    run()\nexcept E as:\n    run()\nx = 1\n"),
            "pass assign"
        );
    }

    #[test]
    fn the_first_error_is_named_with_the_count_of_the_rest() {
        let text = "a = 1\nprint a\nprint b\n";
        let parsed =
            ruff_python_parser::parse_unchecked_source(text, ruff_python_ast::PySourceType::Python);
        let errors: Vec<(String, TextRange)> = parsed
            .errors()
            .iter()
            .map(|e| (e.error.to_string(), e.location))
            .collect();
        let (message, line, column) = describe(text, &Lines::new(text), &errors);
        assert_eq!((line, column), (2, 7));
        assert!(message.contains("(and 1 more syntax error)"), "{message}");
    }
}
