//! Generator functions: a `def` whose own body holds `yield` (not a nested function's, class's
//! or lambda's). Calling one makes a generator object and runs none of the body; the body runs
//! as the generator is iterated (Python reference, "Yield expressions").

use ruff_python_ast::{visitor, Expr, Stmt};

/// Whether the body of a `def` yields, which makes the function a generator.
pub fn yields(body: &[Stmt]) -> bool {
    struct Finder {
        found: bool,
    }
    impl<'a> visitor::Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            // Another scope's `yield` makes that scope a generator, not this one.
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) && !self.found {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Yield(_) | Expr::YieldFrom(_) => self.found = true,
                Expr::Lambda(_) => {}
                _ if !self.found => visitor::walk_expr(self, expr),
                _ => {}
            }
        }
    }
    let mut f = Finder { found: false };
    for stmt in body {
        visitor::Visitor::visit_stmt(&mut f, stmt);
    }
    f.found
}

#[cfg(test)]
mod tests {
    use super::yields;

    fn body(source: &str) -> bool {
        let parsed = ruff_python_parser::parse_module(source).expect("parses");
        let module = parsed.into_syntax();
        match &module.body[0] {
            ruff_python_ast::Stmt::FunctionDef(f) => yields(&f.body),
            _ => panic!("a def"),
        }
    }

    #[test]
    fn only_the_functions_own_yield_counts() {
        assert!(body("def g():\n    for x in range(3):\n        yield x\n"));
        assert!(body("def g():\n    total = yield from other()\n"));
        assert!(!body(
            "def f():\n    def inner():\n        yield 1\n    return inner\n"
        ));
        assert!(!body("def f():\n    return (lambda: (yield))\n"));
        assert!(!body("def f():\n    return [x for x in range(3)]\n"));
    }
}
