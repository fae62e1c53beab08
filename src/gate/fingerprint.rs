//! A finding's fingerprint: stable under edits elsewhere in the file. It hashes the rule, the
//! items enclosing the primary location (`impl Server > fn run`) and the primary line's code with
//! its whitespace collapsed and trailing comment removed — never a line number. The baseline keys
//! on it and SARIF's `primaryLocationLineHash` carries it.

use crate::diagnostic::Finding;
use crate::source::Sources;

/// FNV-1a, 64 bits: stable across releases and platforms, unlike `std`'s hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The code of a line: trailing `//` comment cut, whitespace runs collapsed.
fn code_of(sources: &mut Sources, path: &str, line: u32) -> String {
    let Some(text) = sources.line(path, line) else {
        return String::new();
    };
    let cut = sources
        .lexed(path)
        .and_then(|l| l.comments.iter().find(|c| c.line == line))
        .map(|c| c.column as usize - 1);
    let code: String = match cut {
        Some(col) => text.chars().take(col).collect(),
        None => text,
    };
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 16 hex digits; findings without a location (never produced by `check`) hash their message.
pub fn of(f: &Finding, sources: &mut Sources) -> String {
    let key = match &f.location {
        Some(loc) => {
            let enclosing = sources
                .lexed(&loc.path)
                .map(|l| l.enclosing(loc.line))
                .unwrap_or_default();
            let code = code_of(sources, &loc.path, loc.line);
            format!("{}\0{enclosing}\0{code}", f.rule)
        }
        None => format!("{}\0{}", f.rule, f.message),
    };
    hash(&key)
}

/// 16 hex digits of FNV-1a: for identifiers that must be stable across runs and platforms.
pub fn hash(text: &str) -> String {
    format!("{:016x}", fnv1a(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Location;

    fn at(line: u32) -> Finding {
        let place = Location {
            path: "f.rs".into(),
            line,
            column: 1,
            end_line: line,
            end_column: 2,
        };
        crate::rules::RuleId::FL001.at(place, "m".into())
    }

    #[test]
    fn moves_with_the_code_not_the_line_number() {
        let mut a = Sources::default();
        a.insert("f.rs", "fn main() {\n    let pid = fork();\n}\n".into());
        let mut b = Sources::default();
        b.insert(
            "f.rs",
            "// a new header\n\nfn main() {\n    let  pid = fork(); // note\n}\n".into(),
        );
        assert_eq!(of(&at(2), &mut a), of(&at(4), &mut b));
        let mut c = Sources::default();
        c.insert("f.rs", "fn other() {\n    let pid = fork();\n}\n".into());
        assert_ne!(
            of(&at(2), &mut a),
            of(&at(2), &mut c),
            "enclosing fn counts"
        );
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
