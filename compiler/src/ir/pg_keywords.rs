//! PostgreSQL 15's keywords, by what the grammar lets each one be (`pg_get_keywords()`:
//! reserved, column-name, type-or-function-name, bare-label), and the token-level check
//! the parsed tree cannot make. `the_keyword_lists_are_pg_get_keywords` in
//! `tests/grammar.rs` compares the lists with the server.

/// PostgreSQL 15's reserved keywords (`pg_get_keywords()` category R) and those that may
/// only name functions and types (category T).
pub const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Column-name keywords (category C) that the grammar writes with a call's syntax and
/// turns into expressions of its own (`coalesce(...)`, `substring(...)`, `xmlelement(...)`).
pub const CALL_FORMS: &[&str] = &[
    "coalesce",
    "extract",
    "greatest",
    "grouping",
    "least",
    "normalize",
    "nullif",
    "overlay",
    "position",
    "row",
    "substring",
    "treat",
    "trim",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
];

/// Keywords that may name a column but not a function (category C), except the forms
/// the grammar defines with a call's syntax (`coalesce(...)`, `substring(...)` ...).
pub const NOT_FUNCTIONS: &[&str] = &[
    "between",
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "dec",
    "decimal",
    "exists",
    "float",
    "inout",
    "int",
    "integer",
    "interval",
    "national",
    "nchar",
    "none",
    "numeric",
    "out",
    "precision",
    "real",
    "setof",
    "smallint",
    "time",
    "timestamp",
    "values",
    "varchar",
    "xmlattributes",
    "xmlnamespaces",
    "xmltable",
];

/// Keywords that may be a select-list label only after `AS` (`pg_get_keywords()` with
/// `barelabel` false).
pub const AS_LABEL_ONLY: &[&str] = &[
    "array",
    "as",
    "char",
    "character",
    "create",
    "day",
    "except",
    "fetch",
    "filter",
    "for",
    "from",
    "grant",
    "group",
    "having",
    "hour",
    "intersect",
    "into",
    "isnull",
    "limit",
    "minute",
    "month",
    "notnull",
    "offset",
    "on",
    "order",
    "over",
    "overlaps",
    "precision",
    "returning",
    "second",
    "to",
    "union",
    "varying",
    "where",
    "window",
    "with",
    "within",
    "without",
    "year",
];

/// Keywords of category T: reserved, yet they may name a function (`left(s, 2)`).
pub const TYPE_FUNCTION_KEYWORDS: &[&str] = &[
    "authorization",
    "binary",
    "collation",
    "concurrently",
    "cross",
    "current_schema",
    "freeze",
    "full",
    "ilike",
    "inner",
    "is",
    "isnull",
    "join",
    "left",
    "like",
    "natural",
    "notnull",
    "outer",
    "overlaps",
    "right",
    "similar",
    "tablesample",
    "verbose",
];

/// Reserved keywords that are expressions of their own (`user` is `current_user`).
pub const EXPRESSION_KEYWORDS: &[&str] = &[
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "localtime",
    "localtimestamp",
    "session_user",
    "user",
];

/// `x NOT NULL` (a value, then `NOT NULL`) is not PostgreSQL: it writes `x IS NOT NULL`
/// or `x NOTNULL`. The parser takes it; the tokens show it.
pub fn not_null_after_value(text: &str) -> Option<usize> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    const CONTINUING: &[&str] = &[
        "and", "or", "not", "when", "then", "else", "case", "where", "select", "in", "is",
        "between", "like", "ilike", "similar", "on", "by", "having", "any", "all", "some",
        "distinct", "as", "from", "exists", "escape", "filter", "over", "array", "row", "return",
    ];
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize_with_location()
        .ok()?;
    let significant: Vec<_> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let word = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    for i in 1..significant.len().saturating_sub(1) {
        if !(word(&significant[i].token, "not") && word(&significant[i + 1].token, "null")) {
            continue;
        }
        let ends_value = match &significant[i - 1].token {
            Token::Word(w) => {
                w.quote_style.is_some()
                    || !CONTINUING.contains(&w.value.to_ascii_lowercase().as_str())
            }
            Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::EscapedStringLiteral(_)
            | Token::DollarQuotedString(_)
            | Token::RParen
            | Token::RBracket => true,
            _ => false,
        };
        if ends_value {
            let l = significant[i].span.start;
            return super::sql::offset_of(text, l.line as usize, l.column as usize);
        }
    }
    None
}
