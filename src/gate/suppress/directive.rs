//! The grammar of a suppression comment: `forklint: allow(RULE, ..., reason = "...")` or
//! `forklint: allow-file(...)`. Parsing is strict: anything else after `forklint:` is an error,
//! never a silent suppress-all.

use crate::gate::config::levels::resolve_rule;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// `allow-file`: the whole file.
    pub file_wide: bool,
    /// Rule ids, in the order written.
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

/// `None` when the comment is not a directive at all; `Some(Err)` when it starts like one but is
/// malformed or names an unknown rule.
pub fn parse(comment: &str) -> Option<Result<Directive, String>> {
    let rest = comment.trim_start().strip_prefix("forklint:")?;
    Some(parse_body(rest.trim()))
}

fn parse_body(body: &str) -> Result<Directive, String> {
    let (word, args) = match body.find('(') {
        Some(i) => (body[..i].trim(), &body[i + 1..]),
        None => {
            return Err(format!(
                "expected `allow(..)` or `allow-file(..)` after `forklint:`, found `{body}`"
            ))
        }
    };
    let file_wide = match word {
        "allow" => false,
        "allow-file" => true,
        other => {
            return Err(format!(
                "unknown directive `{other}`{}",
                crate::gate::config::suggest::hint(other, ["allow", "allow-file"])
            ))
        }
    };
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = args.chars();
    let mut closed = false;
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            current.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        current.push(n);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                current.push(c);
            }
            ',' => items.push(std::mem::take(&mut current)),
            ')' => {
                closed = true;
                break;
            }
            _ => current.push(c),
        }
    }
    if in_string {
        return Err("unterminated string in the directive".to_string());
    }
    if !closed {
        return Err("missing `)` at the end of the directive".to_string());
    }
    let trailing: String = chars.collect();
    if !trailing.trim().is_empty() {
        return Err(format!(
            "unexpected `{}` after the directive's `)`",
            trailing.trim()
        ));
    }
    items.push(current);
    let mut rules = Vec::new();
    let mut reason = None;
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if let Some(value) = item.strip_prefix("reason") {
            let value = value.trim_start();
            if let Some(value) = value.strip_prefix('=') {
                reason = Some(string_literal(value.trim())?);
                continue;
            }
        }
        if item.eq_ignore_ascii_case("all") {
            return Err("`all` is not accepted: name the rules to allow".to_string());
        }
        if !item
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!("expected a rule id or name, found `{item}`"));
        }
        rules.push(resolve_rule(item)?.id.clone());
    }
    if rules.is_empty() {
        return Err("the directive names no rule".to_string());
    }
    Ok(Directive {
        file_wide,
        rules,
        reason,
    })
}

fn string_literal(text: &str) -> Result<String, String> {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(|| format!("`reason` must be a quoted string, found `{text}`"))?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    if out.trim().is_empty() {
        return Err("`reason` is empty".to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_directives() {
        let d = parse(" forklint: allow(FL001, connection-before-fork, reason = \"a \\\"quoted\\\", reason\")")
            .unwrap()
            .unwrap();
        assert_eq!(d.rules, ["FL001", "FL002"]);
        assert_eq!(d.reason.as_deref(), Some("a \"quoted\", reason"));
        assert!(!d.file_wide);
        let d = parse("forklint: allow-file(fd_shared_across_fork)")
            .unwrap()
            .unwrap();
        assert!(d.file_wide);
        assert_eq!(d.rules, ["FL007"]);
        assert_eq!(d.reason, None);
    }

    #[test]
    fn not_directives() {
        assert!(parse(" just a comment mentioning forklint: later").is_none());
        assert!(parse(" see forklint docs").is_none());
    }

    #[test]
    fn malformed_directives_are_errors() {
        let err = |s: &str| parse(s).unwrap().unwrap_err();
        assert!(err("forklint: alow(FL001)").contains("did you mean `allow`"));
        assert!(err("forklint: allow(FL01)").contains("did you mean `FL001`"));
        assert!(err("forklint: allow(FL001").contains("missing `)`"));
        assert!(err("forklint: allow()").contains("names no rule"));
        assert!(err("forklint: allow(all)").contains("name the rules"));
        assert!(err("forklint: allow(FL001, reason = \"x)").contains("unterminated"));
        assert!(err("forklint: allow(FL001) because").contains("unexpected `because`"));
        assert!(err("forklint: allow(FL001, reason = x)").contains("quoted string"));
        assert!(err("forklint: disable").contains("expected `allow(..)`"));
    }
}
