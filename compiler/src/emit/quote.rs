//! The one place identifiers and literals become SQL text.

use crate::ir::QName;

/// Quotes an identifier: always double-quoted, embedded quotes doubled. This is the
/// same rule sea-query applies to the identifiers it is given, so both emitters agree.
pub fn quote_ident(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('"');
    for c in name.chars() {
        if c == '"' {
            s.push('"');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// `"schema"."name"`.
pub fn quote_qname(q: &QName) -> String {
    format!("{}.{}", quote_ident(&q.schema), quote_ident(&q.name))
}

/// A string literal (`standard_conforming_strings` is on since PostgreSQL 9.1).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A role in `GRANT`/`TO` lists: `PUBLIC` is a keyword, every other role is quoted.
pub fn quote_role(role: &str) -> String {
    if role == "public" {
        "PUBLIC".to_string()
    } else {
        quote_ident(role)
    }
}

/// Text safe inside a `--` comment (no line breaks).
pub fn comment_text(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::{Alias, PostgresQueryBuilder, Table};

    #[test]
    fn quoting_matches_sea_query() {
        for name in [
            "plain",
            "Mixed Case",
            "a\"b",
            "semi;colon",
            "naïve",
            "x\"\"y",
        ] {
            let ours = format!("DROP TABLE {}", quote_ident(name));
            let theirs = Table::drop()
                .table(Alias::new(name))
                .to_string(PostgresQueryBuilder);
            assert_eq!(ours, theirs, "{name}");
        }
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
