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
    out.push_str(&format!(
        "\n## Use instead\n{}\n\n```rust\n{}\n```\n",
        doc.fix.trim(),
        doc.fixed.trim()
    ));
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
