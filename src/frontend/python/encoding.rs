//! The text of a Python file as the interpreter reads it: UTF-8, unless a PEP 263 declaration in
//! its first two lines (`# -*- coding: latin-1 -*-`) names another encoding.

/// Decodes a Python source file; the error says why the bytes are not text.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e.into_bytes(),
    };
    let Some(label) = declared(&bytes) else {
        let valid = std::str::from_utf8(&bytes).map_or_else(|e| e.valid_up_to(), |_| 0);
        return Err(format!(
            "not valid UTF-8 (byte {valid}) and no coding declaration in its first two lines"
        ));
    };
    let Some(encoding) = encoding_for(&label) else {
        return Err(format!("declares an unknown encoding `{label}`"));
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
    if had_errors {
        return Err(format!(
            "not valid {} (its declared encoding)",
            encoding.name()
        ));
    }
    Ok(text.into_owned())
}

/// Python's codec names through the WHATWG labels: `latin_1` and `latin-1` are `latin1`,
/// `koi8_r` is `koi8-r`.
fn encoding_for(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let lower = label.to_ascii_lowercase();
    [lower.replace('_', "-"), lower.replace(['_', '-'], "")]
        .iter()
        .find_map(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
}

/// The encoding a PEP 263 comment in the first two lines names: a comment matching
/// `coding[:=]\s*([-\w.]+)`.
fn declared(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let Some(comment) = line
            .trim_start_matches([' ', '\t', '\x0c'])
            .strip_prefix('#')
        else {
            continue;
        };
        let Some(at) = comment.find("coding") else {
            continue;
        };
        let rest = &comment[at + "coding".len()..];
        let Some(rest) = rest.strip_prefix([':', '=']) else {
            continue;
        };
        let label: String = rest
            .trim_start_matches([' ', '\t'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !label.is_empty() {
            return Some(label);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn declared_encodings_are_decoded() {
        let mut latin = b"# -*- coding: latin-1 -*-\ns = '".to_vec();
        latin.extend([0xe9, b'\'', b'\n']);
        assert_eq!(
            decode(latin).unwrap(),
            "# -*- coding: latin-1 -*-\ns = '\u{e9}'\n"
        );
        let mut koi = b"#!/usr/bin/env python\n# vim: set fileencoding=koi8-r :\n# ".to_vec();
        koi.extend([0xf0, 0xd2, 0xc9]);
        assert!(decode(koi).unwrap().ends_with("# \u{41f}\u{440}\u{438}"));
    }

    #[test]
    fn undeclared_or_unknown_encodings_are_errors() {
        let err = decode(vec![b'x', 0xff, b'\n']).unwrap_err();
        assert!(err.contains("not valid UTF-8 (byte 1)"), "{err}");
        let err = decode(b"# coding: klingon\n\xff".to_vec()).unwrap_err();
        assert!(err.contains("unknown encoding `klingon`"), "{err}");
        // A declaration on the third line does not count.
        assert!(decode(b"\n\n# coding: latin-1\n\xff".to_vec()).is_err());
    }
}
