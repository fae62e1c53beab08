//! A rule's full documentation as text: what `forklint explain` prints and SARIF's rule help.

use crate::catalog::rules::RuleDoc;

/// The full documentation of one rule, as markdown-ish text.
pub fn text(doc: &RuleDoc) -> String {
    let mut out = format!(
        "# {} {}\n\nDefault severity: {}\n\n{}\n",
        doc.id, doc.name, doc.severity, doc.summary
    );
    out.push_str(&format!("\n## What it does\n{}\n", doc.what.trim()));
    out.push_str(&format!("\n## Why is this bad?\n{}\n", doc.why.trim()));
    out.push_str(&format!(
        "\n## Example\n```rust\n{}\n```\n",
        doc.example.trim()
    ));
    if let Some(example) = &doc.python_example {
        out.push_str(&format!(
            "\nIn Python:\n```python\n{}\n```\n",
            example.trim()
        ));
    }
    out.push_str(&format!(
        "\n## Use instead\n{}\n\n```rust\n{}\n```\n",
        doc.fix.trim(),
        doc.fixed.trim()
    ));
    if let Some(fixed) = &doc.python_fixed {
        out.push_str(&format!("\nIn Python:\n```python\n{}\n```\n", fixed.trim()));
    }
    if let Some(help) = &doc.python_help {
        out.push_str(&format!("\nIn Python code: {}.\n", help.trim()));
    }
    out.push_str(&format!(
        "\n## Known problems\n{}\n",
        doc.known_problems.trim()
    ));
    out.push_str("\n## References\n");
    for r in &doc.references {
        out.push_str(&format!("- {r}\n"));
    }
    out
}
