//! Command lines that Python code runs: a list of words (`["gunicorn", "--preload", "app:app"]`,
//! built up by `+`, `+=`, `append`, `extend`) or a string (`"gunicorn --preload app:app"`,
//! `" ".join(words)`) handed to something that runs a command (`subprocess.run`, `Popen`,
//! `os.execvp`, `os.system`, ...). They are read as `commands` reads the command lines of a
//! Procfile or a Dockerfile: a server that imports the application and then forks its workers
//! becomes a `<prefork>` function, placed at the word that makes it fork after the import.

use super::commands;
use super::servers::Prefork;
use crate::ir::Span;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use std::collections::HashMap;
use std::path::Path;

/// The last name of the calls that run a command given as their arguments: `subprocess`'s
/// functions and `Popen`, `os`'s `exec*`, `spawn*`, `posix_spawn*` and `system`, asyncio's
/// subprocess helpers. A list only counts as a command when one of them is given it, and only
/// a server's command line makes a `<prefork>`, so a namesake elsewhere changes nothing.
const RUNNERS: &[&str] = &[
    "run",
    "Popen",
    "call",
    "check_call",
    "check_output",
    "getoutput",
    "getstatusoutput",
    "system",
    "popen",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnlpe",
    "posix_spawn",
    "posix_spawnp",
    "create_subprocess_exec",
    "create_subprocess_shell",
];

/// A word whose value is not known here (a variable, a call, an f-string): it keeps its place,
/// so that an option still takes it as its value, and names no module.
const UNKNOWN: &str = "<?>";

type Words = Vec<(String, Span)>;

/// The prefork servers started by the command lines that a module's code runs.
pub fn preforks(path: &Path, body: &[Stmt], span: &dyn Fn(TextRange) -> Span) -> Vec<Prefork> {
    let mut reader = Reader {
        dir: path.parent().unwrap_or(Path::new("")),
        span,
        found: Vec::new(),
    };
    reader.block(body, &mut HashMap::new());
    reader.found
}

struct Reader<'a> {
    dir: &'a Path,
    span: &'a dyn Fn(TextRange) -> Span,
    found: Vec<Prefork>,
}

impl Reader<'_> {
    /// Statements in order; `lists` holds the words each local list has so far. Both branches
    /// of an `if` add to it: an option added on one path is there on that path.
    fn block(&mut self, body: &[Stmt], lists: &mut HashMap<String, Words>) {
        for stmt in body {
            self.stmt(stmt, lists);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, lists: &mut HashMap<String, Words>) {
        match stmt {
            // A function sees the lists of the scopes around it (a module's `CMD = [..]`) as
            // they are where it is defined; what it adds to them stays its own.
            Stmt::FunctionDef(f) => self.block(&f.body, &mut lists.clone()),
            Stmt::ClassDef(c) => self.block(&c.body, &mut lists.clone()),
            Stmt::Assign(a) => {
                self.calls_in(&a.value, lists);
                let words = self.list(&a.value, lists);
                for t in &a.targets {
                    if let Expr::Name(n) = t {
                        match &words {
                            Some(w) => lists.insert(n.id.to_string(), w.clone()),
                            None => lists.remove(n.id.as_str()),
                        };
                    }
                }
            }
            Stmt::AugAssign(a) => {
                self.calls_in(&a.value, lists);
                if let (Expr::Name(n), ast::Operator::Add) = (&*a.target, a.op) {
                    let more = self.list(&a.value, lists);
                    if let (Some(words), Some(more)) = (lists.get_mut(n.id.as_str()), more) {
                        words.extend(more);
                    }
                }
            }
            Stmt::Expr(e) => {
                if let Expr::Call(c) = &*e.value {
                    self.grow(c, lists);
                }
                self.calls_in(&e.value, lists);
            }
            Stmt::If(i) => {
                self.calls_in(&i.test, lists);
                self.block(&i.body, lists);
                for clause in &i.elif_else_clauses {
                    self.block(&clause.body, lists);
                }
            }
            Stmt::For(f) => self.block(&f.body, lists),
            Stmt::While(w) => self.block(&w.body, lists),
            Stmt::With(w) => self.block(&w.body, lists),
            Stmt::Try(t) => {
                self.block(&t.body, lists);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    self.block(&h.body, lists);
                }
                self.block(&t.orelse, lists);
                self.block(&t.finalbody, lists);
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.calls_in(v, lists);
                }
            }
            _ => {}
        }
    }

    /// `words.append("--preload")`, `words.extend([...])`, `words.insert(i, "x")`.
    fn grow(&self, c: &ast::ExprCall, lists: &mut HashMap<String, Words>) {
        let Expr::Attribute(a) = &*c.func else {
            return;
        };
        let Some(name) = (match &*a.value {
            Expr::Name(n) => Some(n.id.to_string()),
            _ => None,
        }) else {
            return;
        };
        if !lists.contains_key(&name) {
            return;
        }
        let args = &c.arguments.args;
        let more = match (a.attr.as_str(), args.len()) {
            ("append", 1) => Some(self.element(&args[0], lists)),
            ("extend", 1) => self.list(&args[0], lists),
            ("insert", 2) => Some(self.element(&args[1], lists)),
            _ => None,
        };
        if let (Some(words), Some(more)) = (lists.get_mut(&name), more) {
            words.extend(more);
        }
    }

    /// Every call in an expression that runs a command.
    fn calls_in(&mut self, e: &Expr, lists: &HashMap<String, Words>) {
        struct Calls<'c>(Vec<&'c ast::ExprCall>);
        impl<'c> ast::visitor::Visitor<'c> for Calls<'c> {
            fn visit_expr(&mut self, e: &'c Expr) {
                if let Expr::Call(c) = e {
                    self.0.push(c);
                }
                ast::visitor::walk_expr(self, e);
            }
        }
        let mut calls = Calls(Vec::new());
        ast::visitor::Visitor::visit_expr(&mut calls, e);
        for c in calls.0 {
            self.run(c, lists);
        }
    }

    fn run(&mut self, c: &ast::ExprCall, lists: &HashMap<String, Words>) {
        let name = match &*c.func {
            Expr::Attribute(a) => a.attr.as_str(),
            Expr::Name(n) => n.id.as_str(),
            _ => return,
        };
        if !RUNNERS.contains(&name) {
            return;
        }
        let at = (self.span)(c.range());
        let args = &c.arguments.args;
        // `os.execlp(file, arg0, arg1, ...)`: the words are the arguments after the program.
        if name.starts_with("execl") || name.starts_with("spawnl") {
            let skip = usize::from(name.starts_with("spawnl")) + 1;
            let words: Words = args
                .iter()
                .skip(skip)
                .flat_map(|a| self.element(a, lists))
                .collect();
            self.found
                .extend(commands::preforks_in(self.dir, &words, at));
            return;
        }
        for arg in args {
            if let Some(words) = self.list(arg, lists).or_else(|| self.string(arg, lists)) {
                self.found
                    .extend(commands::preforks_in(self.dir, &words, at));
            }
        }
    }

    /// The words of a list expression: a literal, a known local, their sums.
    fn list(&self, e: &Expr, lists: &HashMap<String, Words>) -> Option<Words> {
        match e {
            Expr::List(l) => Some(self.elements(&l.elts, lists)),
            Expr::Tuple(t) => Some(self.elements(&t.elts, lists)),
            Expr::Name(n) => lists.get(n.id.as_str()).cloned(),
            Expr::BinOp(b) if b.op == ast::Operator::Add => {
                let mut left = self.list(&b.left, lists)?;
                left.extend(self.list(&b.right, lists)?);
                Some(left)
            }
            _ => None,
        }
    }

    fn elements(&self, elts: &[Expr], lists: &HashMap<String, Words>) -> Words {
        elts.iter().flat_map(|e| self.element(e, lists)).collect()
    }

    /// One element's words: a string literal split as a shell splits it (a list later joined
    /// with spaces reads the same), a starred known list, or one unknown word.
    fn element(&self, e: &Expr, lists: &HashMap<String, Words>) -> Words {
        let at = (self.span)(e.range());
        match e {
            Expr::StringLiteral(s) => commands::shell_words(s.value.to_str())
                .into_iter()
                .map(|w| (w, at))
                .collect(),
            Expr::Starred(s) => self
                .list(&s.value, lists)
                .unwrap_or_else(|| vec![(UNKNOWN.to_string(), at)]),
            _ => vec![(UNKNOWN.to_string(), at)],
        }
    }

    /// A command given as one string: a literal, or a list joined with spaces
    /// (`" ".join(words)`, `shlex.join(words)`).
    fn string(&self, e: &Expr, lists: &HashMap<String, Words>) -> Option<Words> {
        match e {
            Expr::StringLiteral(_) => Some(self.element(e, lists)),
            Expr::Call(c) => {
                let Expr::Attribute(a) = &*c.func else {
                    return None;
                };
                let joined = match (&*a.value, a.attr.as_str()) {
                    (Expr::StringLiteral(sep), "join") => sep.value.to_str().trim().is_empty(),
                    (Expr::Name(m), "join") => m.id.as_str() == "shlex",
                    _ => false,
                };
                match &c.arguments.args[..] {
                    [arg] if joined => self.list(arg, lists),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}
