//! Each rule's documented example must make it fire, and its documented fix must not.

use forklint::catalog::{rules, Catalog};
use forklint::pipeline::{self, CheckOptions};

fn rules_fired(source: &str) -> Vec<String> {
    fired_in("example.rs", source)
}

fn fired_in(file: &str, source: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, source).unwrap();
    let report = pipeline::run(
        &[path],
        Catalog::builtin(),
        &CheckOptions {
            prefilter: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report.findings.into_iter().map(|f| f.rule).collect()
}

#[test]
fn examples_fire_and_fixes_do_not() {
    for doc in rules::all() {
        let fired = rules_fired(&doc.example);
        assert!(
            fired.contains(&doc.id),
            "{}: the example does not fire it (got {fired:?})",
            doc.id
        );
        let fired = rules_fired(&doc.fixed);
        assert!(
            !fired.contains(&doc.id),
            "{}: the fix still fires it",
            doc.id
        );
    }
}

#[test]
fn python_examples_fire_and_python_fixes_do_not() {
    let mut with_python = 0;
    for doc in rules::all() {
        let (Some(example), Some(fixed)) = (&doc.python_example, &doc.python_fixed) else {
            assert!(
                doc.python_example.is_none() && doc.python_fixed.is_none(),
                "{}: a Python example needs its fix and the other way round",
                doc.id
            );
            continue;
        };
        with_python += 1;
        let fired = fired_in("example.py", example);
        assert!(
            fired.contains(&doc.id),
            "{}: the Python example does not fire it (got {fired:?})",
            doc.id
        );
        let fired = fired_in("example.py", fixed);
        assert!(
            !fired.contains(&doc.id),
            "{}: the Python fix still fires it",
            doc.id
        );
        assert!(forklint::report::explain::text(doc).contains("```python"));
    }
    assert!(
        with_python >= 5,
        "Python examples for the rules that apply to it"
    );
}

#[test]
fn every_rule_is_fully_documented() {
    for doc in rules::all() {
        for (field, text) in [
            ("what", &doc.what),
            ("why", &doc.why),
            ("fix", &doc.fix),
            ("help", &doc.help),
        ] {
            assert!(text.trim().len() > 20, "{}: `{field}` is too short", doc.id);
        }
        assert!(!doc.references.is_empty(), "{}: no references", doc.id);
        let text = forklint::report::explain::text(doc);
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Known problems",
            "## References",
        ] {
            assert!(
                text.contains(heading),
                "{}: explain lacks {heading}",
                doc.id
            );
        }
    }
    let _ = Catalog::builtin();
}
