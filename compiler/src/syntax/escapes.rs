//! Control characters written as escapes in TOML strings.
//!
//! TOML forbids raw control characters in strings but lets escapes (`\u0000`, `\x00`,
//! `\b`, `\f`, `\e`, `\r`) produce them. None of them belongs in a schema, and some are
//! dangerous in the SQL schemac writes: psql drops the rest of a line after a NUL, and
//! PostgreSQL ends a `--` comment at a carriage return where a SQL fragment's reader may
//! not. So they are refused before the file is deserialized, at the escape's own bytes.
//! A tab (`\t`) and a line feed (`\n`) are allowed.
//!
//! One pass over the text with a small TOML lexer: only basic strings (`"…"` and
//! `"""…"""`) process escapes; comments and literal strings (`'…'`, `'''…'''`) do not.

use std::ops::Range;

/// An escape that produces a control character: its bytes in the file and the
/// character it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlEscape {
    pub span: Range<usize>,
    pub code: u32,
}

/// Whether a character may not appear in a schemac string.
pub fn is_refused_control(code: u32) -> bool {
    (code < 0x20 && code != 0x09 && code != 0x0a) || code == 0x7f
}

/// Every escape in a basic string of `text` that produces a refused control character.
pub fn control_escapes(text: &str) -> Vec<ControlEscape> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => i = skip_until_newline(b, i),
            b'\'' => {
                let delim: &[u8] = if b[i..].starts_with(b"'''") {
                    b"'''"
                } else {
                    b"'"
                };
                i = skip_literal(b, i + delim.len(), delim);
            }
            b'"' => {
                let delim: &[u8] = if b[i..].starts_with(b"\"\"\"") {
                    b"\"\"\""
                } else {
                    b"\""
                };
                i = scan_basic(b, i + delim.len(), delim, &mut found);
            }
            _ => i += 1,
        }
    }
    found
}

fn skip_until_newline(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\n' {
        i += 1;
    }
    i
}

fn skip_literal(b: &[u8], mut i: usize, delim: &[u8]) -> usize {
    while i < b.len() {
        if b[i..].starts_with(delim) {
            return i + delim.len();
        }
        // A one-line literal ends at the line's end even when unterminated (the TOML
        // parser reports that); a multi-line one runs on.
        if delim.len() == 1 && b[i] == b'\n' {
            return i;
        }
        i += 1;
    }
    i
}

fn scan_basic(b: &[u8], mut i: usize, delim: &[u8], found: &mut Vec<ControlEscape>) -> usize {
    while i < b.len() {
        if b[i] == b'\\' {
            let start = i;
            let (code, len) = match b.get(i + 1) {
                Some(b'b') => (Some(0x08), 2),
                Some(b'f') => (Some(0x0c), 2),
                Some(b'e') => (Some(0x1b), 2),
                Some(b'r') => (Some(0x0d), 2),
                Some(b'x') => (hex(b, i + 2, 2), 4),
                Some(b'u') => (hex(b, i + 2, 4), 6),
                Some(b'U') => (hex(b, i + 2, 8), 10),
                Some(_) => (None, 2),
                None => (None, 1),
            };
            if let Some(code) = code.filter(|c| is_refused_control(*c)) {
                found.push(ControlEscape {
                    span: start..(start + len).min(b.len()),
                    code,
                });
            }
            i += len;
            continue;
        }
        if b[i..].starts_with(delim) {
            // `""""` ends a multi-line string with a quote inside it: the delimiter is
            // the last three quotes.
            let mut end = i + delim.len();
            while delim.len() == 3 && end < b.len() && b[end] == b'"' && end - i < 5 {
                end += 1;
            }
            return end;
        }
        if delim.len() == 1 && b[i] == b'\n' {
            return i;
        }
        i += 1;
    }
    i
}

fn hex(b: &[u8], at: usize, digits: usize) -> Option<u32> {
    let s = std::str::from_utf8(b.get(at..at + digits)?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(usize, u32)> {
        control_escapes(text)
            .into_iter()
            .map(|e| (e.span.start, e.code))
            .collect()
    }

    #[test]
    fn escapes_in_basic_strings_are_found_at_their_bytes() {
        assert_eq!(codes(r#"a = "x\u0000y""#), vec![(6, 0)]);
        assert_eq!(
            codes(r#"a = "\r\b\f\e\x7f\U0000001F""#),
            vec![
                (5, 0x0d),
                (7, 0x08),
                (9, 0x0c),
                (11, 0x1b),
                (13, 0x7f),
                (17, 0x1f)
            ]
        );
        assert_eq!(codes("a = \"\"\"\nline\\u0000\n\"\"\""), vec![(12, 0)]);
    }

    #[test]
    fn tabs_line_feeds_comments_and_literal_strings_are_left_alone() {
        assert!(codes(r#"a = "x\ty\nz\\u0000""#).is_empty());
        assert!(codes("# \\u0000 in a comment\na = 'lit\\u0000'\nb = '''\\r'''").is_empty());
        assert!(codes(r#"a = "quote \" then \\""#).is_empty());
        assert_eq!(codes("a = \"\"\"x\"\"\"\"\nb = \"\\r\""), vec![(18, 0x0d)]);
    }
}
