//! A lexical pass over Python text that needs no parse: the real `#` comments (never text inside
//! a string) and the `def`/`class` blocks enclosing each line, in the shape `source::lex` gives
//! for Rust, so that suppressions and fingerprints read both languages alike.

use crate::source::lex::{Lexed, LineComment, Scope};

/// Lexes a whole file. An unterminated string ends at the end of the text.
pub fn lex(text: &str) -> Lexed {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut comments = Vec::new();
    let mut code_lines = vec![false; lines.len().max(1) + 1];
    // Lines that begin inside a string: their indentation says nothing about blocks.
    let mut in_string_at_start = vec![false; lines.len() + 1];
    // The open string's quote (`'`, `"`, `'''` or `"""`), carried across lines.
    let mut open: Option<&'static str> = None;
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        in_string_at_start[i] = open.is_some();
        let chars: Vec<char> = line.chars().collect();
        let mut j = 0;
        let mut code = open.is_some();
        while j < chars.len() {
            if let Some(q) = open {
                let qc: Vec<char> = q.chars().collect();
                if chars[j] == '\\' {
                    j += 2;
                    continue;
                }
                if chars[j..].starts_with(&qc) {
                    j += qc.len();
                    open = None;
                    continue;
                }
                j += 1;
                continue;
            }
            match chars[j] {
                '#' => {
                    let column = j as u32 + 1;
                    comments.push(LineComment {
                        line: i as u32 + 1,
                        column,
                        end_column: chars.len() as u32 + 1,
                        text: chars[j + 1..].iter().collect(),
                        own_line: !code,
                        doc: false,
                    });
                    break;
                }
                '\'' | '"' => {
                    code = true;
                    let c = chars[j];
                    let triple = j + 2 < chars.len() && chars[j + 1] == c && chars[j + 2] == c;
                    open = Some(match (c, triple) {
                        ('\'', true) => "'''",
                        ('\'', false) => "'",
                        (_, true) => "\"\"\"",
                        _ => "\"",
                    });
                    j += if triple { 3 } else { 1 };
                }
                c if c.is_whitespace() => j += 1,
                _ => {
                    code = true;
                    j += 1;
                }
            }
        }
        // A one-quote string never spans lines (a backslash continuation aside).
        if matches!(open, Some("'") | Some("\"")) && !line.ends_with('\\') {
            open = None;
        }
        code_lines[i] = code;
    }
    let scopes = scopes(&lines, &code_lines, &in_string_at_start);
    Lexed::from_parts(comments, scopes, code_lines)
}

fn indent(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ' || *c == '\t').count()
}

/// `def`/`class` blocks: from the header to the last code line indented deeper than it.
fn scopes(lines: &[&str], code: &[bool], in_string: &[bool]) -> Vec<Scope> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if in_string[i] {
            continue;
        }
        let trimmed = line.trim_start();
        let header = ["async def ", "def ", "class "]
            .iter()
            .find(|k| trimmed.starts_with(*k));
        let Some(keyword) = header else { continue };
        let name: String = trimmed[keyword.len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let depth = indent(line);
        let mut end = i;
        for (k, next) in lines.iter().enumerate().skip(i + 1) {
            if !code.get(k).copied().unwrap_or(false) || in_string[k] {
                continue;
            }
            if indent(next) <= depth {
                break;
            }
            end = k;
        }
        let kind = if keyword.starts_with("class") {
            "class"
        } else {
            "def"
        };
        out.push(Scope {
            name: format!("{kind} {name}"),
            start_line: i as u32 + 1,
            end_line: end as u32 + 1,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_outside_strings_only() {
        let text = "x = '# not' # forklint: allow(FL002)\n\"\"\"\n# inside\n\"\"\"\n# own line\ndef f():\n    pass\n";
        let lexed = lex(text);
        let texts: Vec<(u32, &str, bool)> = lexed
            .comments
            .iter()
            .map(|c| (c.line, c.text.as_str(), c.own_line))
            .collect();
        assert_eq!(
            texts,
            [
                (1, " forklint: allow(FL002)", false),
                (5, " own line", true)
            ]
        );
        assert_eq!(lexed.enclosing(7), "def f");
        assert!(lexed.is_code_line(1) && !lexed.is_code_line(5));
    }
}
