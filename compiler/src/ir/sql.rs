//! SQL fragments inside the TOML (defaults, checks, policy expressions, view queries,
//! SQL function bodies), parsed at compile time with `sqlparser` so a typo is reported
//! in the user's file instead of at deploy time, and so the objects they read become
//! dependency edges.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{ControlFlow, Range};

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectName, Query, TableFactor, Visit,
    Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// What a fragment must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FragmentKind {
    /// A scalar or boolean expression.
    Expr,
    /// A `SELECT` (or `VALUES`, or `WITH ... SELECT`).
    Query,
    /// One or more statements (SQL function bodies).
    Statements,
}

/// Objects a fragment reads, names folded as PostgreSQL folds them.
#[derive(Debug, Default, Clone)]
pub struct SqlRefs {
    /// Relations read (`FROM`, `JOIN`, subqueries), as name parts (`["auth","users"]`).
    pub relations: BTreeSet<Vec<String>>,
    /// Functions called, as name parts, with the argument counts of the calls
    /// ([`NO_PARENTHESES`] for `current_user` and the like).
    pub functions: BTreeMap<Vec<String>, BTreeSet<usize>>,
}

/// The argument count of a call written without parentheses (`current_timestamp`).
pub const NO_PARENTHESES: usize = usize::MAX;

/// How many arguments a call passes: `count(*)` passes none.
fn arg_count(args: &[FunctionArg]) -> usize {
    args.iter()
        .filter(|a| {
            !matches!(
                a,
                FunctionArg::Unnamed(FunctionArgExpr::Wildcard)
                    | FunctionArg::Unnamed(FunctionArgExpr::WildcardWithOptions(_))
            )
        })
        .count()
}

#[derive(Debug, Clone)]
pub struct SqlError {
    pub message: String,
    /// Byte offset inside the fragment, when the parser said where.
    pub offset: Option<usize>,
}

/// Parses `text` as `kind`; returns what it reads.
pub fn parse_fragment(kind: FragmentKind, text: &str) -> Result<SqlRefs, SqlError> {
    if text.trim().is_empty() {
        return Err(SqlError {
            message: "empty SQL".into(),
            offset: None,
        });
    }
    let dialect = PostgreSqlDialect {};
    let mut refs = RefCollector::default();
    match kind {
        FragmentKind::Expr => {
            let mut parser = Parser::new(&dialect)
                .try_with_sql(text)
                .map_err(|e| err(text, e))?;
            let expr = parser.parse_expr().map_err(|e| err(text, e))?;
            expect_end(&mut parser, text)?;
            grammar(text, &expr)?;
            let _ = expr.visit(&mut refs);
        }
        FragmentKind::Query => {
            let mut parser = Parser::new(&dialect)
                .try_with_sql(text)
                .map_err(|e| err(text, e))?;
            let query = parser.parse_query().map_err(|e| err(text, e))?;
            while parser.consume_token(&Token::SemiColon) {}
            expect_end(&mut parser, text)?;
            grammar(text, &query)?;
            let _ = query.visit(&mut refs);
        }
        FragmentKind::Statements => {
            let stmts = Parser::parse_sql(&dialect, text).map_err(|e| err(text, e))?;
            for s in &stmts {
                grammar(text, s)?;
                let _ = s.visit(&mut refs);
            }
        }
    }
    Ok(refs.finish())
}

/// What PostgreSQL's grammar refuses beyond what the parser checks (`pg_grammar`).
fn grammar(text: &str, node: &impl Visit) -> Result<(), SqlError> {
    if let Some(offset) = super::pg_keywords::not_null_after_value(text) {
        return Err(SqlError {
            message:
                "write `IS NOT NULL` (or `NOTNULL`): `NOT NULL` after a value is not an expression"
                    .into(),
            offset: Some(offset),
        });
    }
    let mut check = super::pg_grammar::GrammarCheck {
        text,
        problem: None,
    };
    let _ = node.visit(&mut check);
    match check.problem {
        None => Ok(()),
        Some((message, span)) => Err(SqlError {
            message,
            offset: offset_of(text, span.start.line as usize, span.start.column as usize),
        }),
    }
}

fn expect_end(parser: &mut Parser, text: &str) -> Result<(), SqlError> {
    let next = parser.peek_token();
    if next.token == Token::EOF {
        return Ok(());
    }
    let offset = offset_of(
        text,
        next.span.start.line as usize,
        next.span.start.column as usize,
    );
    Err(SqlError {
        message: format!("unexpected `{}` after the end of the SQL", next.token),
        offset,
    })
}

fn err(text: &str, e: ParserError) -> SqlError {
    let raw = match e {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s,
        ParserError::RecursionLimitExceeded => "SQL nested too deeply".to_string(),
    };
    // sqlparser appends " at Line: L, Column: C" to its messages.
    let (message, offset) = match raw.rfind(" at Line: ") {
        Some(i) => {
            let pos = &raw[i + " at Line: ".len()..];
            let mut nums = pos
                .split(", Column: ")
                .map(|s| s.trim().parse::<usize>().ok());
            let line = nums.next().flatten();
            let col = nums.next().flatten();
            let offset = match (line, col) {
                (Some(l), Some(c)) => offset_of(text, l, c),
                _ => None,
            };
            (raw[..i].to_string(), offset)
        }
        None => (raw, None),
    };
    // The parser reports no position for "found: EOF": the problem is at the end.
    let offset = match offset {
        None if message.ends_with("found: EOF") => Some(text.trim_end().len().saturating_sub(1)),
        o => o,
    };
    SqlError { message, offset }
}

/// Byte offset of a 1-based line and column (in characters).
pub(crate) fn offset_of(text: &str, line: usize, col: usize) -> Option<usize> {
    if line == 0 || col == 0 {
        return None;
    }
    let mut start = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            let byte = l.char_indices().nth(col - 1).map_or(l.len(), |(b, _)| b);
            return Some(start + byte);
        }
        start += l.len() + 1;
    }
    None
}

#[derive(Default)]
struct RefCollector {
    ctes: BTreeSet<String>,
    /// Names used as set-returning functions in FROM (`generate_series(1, 3)`).
    table_functions: BTreeSet<Vec<String>>,
    relations: BTreeSet<Vec<String>>,
    functions: BTreeMap<Vec<String>, BTreeSet<usize>>,
}

impl RefCollector {
    fn finish(self) -> SqlRefs {
        let ctes = self.ctes;
        SqlRefs {
            relations: self
                .relations
                .into_iter()
                .filter(|r| !(r.len() == 1 && ctes.contains(&r[0])))
                .filter(|r| !self.table_functions.contains(r))
                .collect(),
            functions: self.functions,
        }
    }
}

/// Folds a name as PostgreSQL does: unquoted parts to lower case.
pub fn fold(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| match part.as_ident() {
            Some(i) if i.quote_style.is_some() => i.value.clone(),
            Some(i) => i.value.to_lowercase(),
            // A dialect-specific name function; PostgreSQL has none.
            None => part.to_string(),
        })
        .collect()
}

impl RefCollector {
    fn call(&mut self, name: &ObjectName, args: usize) {
        self.functions.entry(fold(name)).or_default().insert(args);
    }
}

impl Visitor for RefCollector {
    type Break = ();
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(cte.alias.name.value.to_lowercase());
            }
        }
        ControlFlow::Continue(())
    }
    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table {
                name,
                args: Some(a),
                ..
            } => {
                self.table_functions.insert(fold(name));
                self.call(name, arg_count(&a.args));
            }
            TableFactor::Function { name, args, .. } => {
                self.table_functions.insert(fold(name));
                self.call(name, arg_count(args));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        self.relations.insert(fold(relation));
        ControlFlow::Continue(())
    }
    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr {
            let n = match &f.args {
                FunctionArguments::None => NO_PARENTHESES,
                FunctionArguments::Subquery(_) => 1,
                FunctionArguments::List(l) => arg_count(&l.args),
            };
            self.call(&f.name, n);
        }
        ControlFlow::Continue(())
    }
}

/// Maps a byte range inside a TOML string value to a byte range in the file. `value`
/// is the span of the whole value (quotes included). Falls back to the whole value
/// where escapes make the mapping inexact.
pub fn span_in_value(file_text: &str, value: &Range<usize>, inner: Range<usize>) -> Range<usize> {
    let Some(raw) = file_text.get(value.clone()) else {
        return value.clone();
    };
    let (open, escapes) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else if raw.starts_with('"') {
        (1, true)
    } else if raw.starts_with('\'') {
        (1, false)
    } else {
        return value.clone();
    };
    if escapes && raw.contains('\\') {
        return value.clone();
    }
    let mut start = value.start + open;
    // A newline right after the opening delimiter of a multi-line string is trimmed.
    if open == 3 {
        if file_text[start..].starts_with("\r\n") {
            start += 2;
        } else if file_text[start..].starts_with('\n') {
            start += 1;
        }
    }
    let s = (start + inner.start).min(value.end);
    let e = (start + inner.end).min(value.end).max(s);
    s..e
}

/// Finds where a name is written in a fragment (case-insensitive, as a whole word),
/// so a diagnostic can point at it.
pub fn find_word(text: &str, word: &str) -> Option<Range<usize>> {
    let lower = text.to_lowercase();
    let w = word.to_lowercase();
    if lower.len() != text.len() || w.is_empty() {
        return None;
    }
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&w) {
        let s = from + i;
        let e = s + w.len();
        let before = s == 0 || !is_ident_byte(bytes[s - 1]);
        let after = e >= bytes.len() || !is_ident_byte(bytes[e]);
        if before && after {
            return Some(s..e);
        }
        from = e;
    }
    None
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_returning_functions_are_not_relations() {
        let refs = parse_fragment(
            FragmentKind::Query,
            "select g from generate_series(1, 3) g join crm_leads on true",
        )
        .unwrap();
        let rels: Vec<_> = refs.relations.iter().map(|r| r.join(".")).collect();
        assert_eq!(rels, vec!["crm_leads"]);
        assert_eq!(
            refs.functions[&vec!["generate_series".to_string()]],
            BTreeSet::from([2])
        );
    }

    #[test]
    fn collects_relations_and_functions_but_not_ctes() {
        let refs = parse_fragment(
            FragmentKind::Query,
            "with x as (select id from crm_leads) select * from x join Auth.Users u on u.id = x.id where auth.uid() is not null",
        )
        .unwrap();
        let rels: Vec<_> = refs.relations.iter().map(|r| r.join(".")).collect();
        assert_eq!(rels, vec!["auth.users", "crm_leads"]);
        assert_eq!(
            refs.functions[&vec!["auth".to_string(), "uid".to_string()]],
            BTreeSet::from([0])
        );
    }

    #[test]
    fn counts_the_arguments_of_each_call() {
        let refs = parse_fragment(
            FragmentKind::Expr,
            "count(*) > 0 and coalesce(a, b, c) = current_user and coalesce(x) is null",
        )
        .unwrap();
        let f = |n: &str| refs.functions[&vec![n.to_string()]].clone();
        assert_eq!(f("count"), BTreeSet::from([0]));
        assert_eq!(f("coalesce"), BTreeSet::from([1, 3]));
    }

    #[test]
    fn reports_position_of_syntax_error() {
        let e = parse_fragment(FragmentKind::Expr, "owner_id = = 1").unwrap_err();
        assert_eq!(e.offset, Some(11));
        let e = parse_fragment(FragmentKind::Expr, "a = 1 b").unwrap_err();
        assert_eq!(e.offset, Some(6));
    }

    #[test]
    fn maps_offsets_into_toml_strings() {
        let file = "using = \"a = = b\"\n";
        let v = 8..17;
        assert_eq!(span_in_value(file, &v, 4..5), 13..14);
        assert_eq!(&file[13..14], "=");
        let file = "body = \"\"\"\nselect 1\"\"\"";
        assert_eq!(&file[span_in_value(file, &(7..22), 0..6)], "select");
    }
}
