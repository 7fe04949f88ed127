//! What PostgreSQL's grammar refuses and the general-purpose SQL parser accepts, checked
//! on the parsed fragment (the differential test `tests/grammar.rs` finds these):
//!
//! - reserved keywords as bare names: `order`, `end`, `from`, `user` as a table ... are
//!   keywords to PostgreSQL (`pg_get_keywords()`, categories R and T), never a column,
//!   table or alias unless quoted;
//! - chained comparisons: `<`, `>`, `=`, `<=`, `>=`, `<>` do not associate (`a = b = c`),
//!   nor do `LIKE`, `ILIKE`, `SIMILAR TO` and `BETWEEN` among themselves;
//! - the argument counts of the forms the grammar itself defines: `coalesce`, `greatest`
//!   and `least` take one argument or more, `nullif` two.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArguments, Ident, ObjectName, SelectItem, Spanned,
    TableFactor, Value, Visitor,
};
use sqlparser::tokenizer::Span;

use super::pg_keywords::{
    AS_LABEL_ONLY, EXPRESSION_KEYWORDS, NOT_FUNCTIONS, RESERVED, TYPE_FUNCTION_KEYWORDS,
};

/// The first place a fragment breaks PostgreSQL's grammar: what, and where.
pub struct GrammarCheck<'a> {
    /// The fragment's text (to see whether a label follows `AS`).
    pub text: &'a str,
    pub problem: Option<(String, Span)>,
}

fn is_reserved(ident: &Ident) -> bool {
    ident.quote_style.is_none() && {
        let lower = ident.value.to_ascii_lowercase();
        RESERVED.binary_search(&lower.as_str()).is_ok()
    }
}

/// The offset just after the argument list of the call that starts at `start`: its
/// parentheses matched, quotes skipped.
fn after_call(text: &str, start: usize) -> Option<usize> {
    let open = start + text.get(start..)?.find('(')?;
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for (i, &b) in text.as_bytes().iter().enumerate().skip(open) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'(') => depth += 1,
            (None, b')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_not(e: &Expr) -> bool {
    matches!(
        e,
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Not,
            ..
        }
    )
}

/// Whether PostgreSQL's restricted expression (`b_expr`, the bounds of `BETWEEN`) can be
/// this without parentheses: no boolean operators, `IS`, `LIKE`, `IN` or `BETWEEN`.
fn is_b_expr(e: &Expr) -> bool {
    !matches!(
        e,
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Not,
            ..
        } | Expr::BinaryOp {
            op: BinaryOperator::And | BinaryOperator::Or,
            ..
        } | Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsNotTrue(_)
            | Expr::IsNotFalse(_)
            | Expr::IsUnknown(_)
            | Expr::IsNotUnknown(_)
            | Expr::Like { .. }
            | Expr::ILike { .. }
            | Expr::SimilarTo { .. }
            | Expr::In { .. }
            | Expr::Between { .. }
    )
}

/// Whether an expression must be parenthesized where PostgreSQL takes only its restricted
/// expression (`b_expr`): a column's `DEFAULT`, whose `now() is not null or true` would
/// otherwise not parse. Text that does not parse is parenthesized too.
pub fn needs_parentheses_as_b_expr(text: &str) -> bool {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    match sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
    {
        Ok(e) => !is_b_expr(&e),
        Err(_) => true,
    }
}

/// The precedence class of a non-associative operator.
#[derive(PartialEq)]
enum Class {
    Comparison,
    Pattern,
}

fn class(e: &Expr) -> Option<Class> {
    match e {
        Expr::BinaryOp { op, .. } => matches!(
            op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::Gt
                | BinaryOperator::LtEq
                | BinaryOperator::GtEq
        )
        .then_some(Class::Comparison),
        Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::SimilarTo { .. }
        | Expr::Between { .. }
        | Expr::In { .. } => Some(Class::Pattern),
        _ => None,
    }
}

/// The operands of a non-associative operator that are written without parentheses.
fn operands(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::BinaryOp { left, right, .. } => vec![left, right],
        Expr::Like { expr, pattern, .. }
        | Expr::ILike { expr, pattern, .. }
        | Expr::SimilarTo { expr, pattern, .. } => vec![expr, pattern],
        Expr::Between {
            expr, low, high, ..
        } => vec![expr, low, high],
        Expr::In { expr, .. } => vec![expr],
        _ => Vec::new(),
    }
}

impl GrammarCheck<'_> {
    /// Whether `AS` stands between an expression and its label in the text.
    fn explicit_as(&self, expr: &Expr, alias: &Ident) -> bool {
        let (end, start) = (expr.span().end, alias.span.start);
        let at = |l: sqlparser::tokenizer::Location| {
            super::sql::offset_of(self.text, l.line as usize, l.column as usize)
        };
        match (at(end), at(start)) {
            (Some(a), Some(b)) if a <= b => self.text[a..b]
                .split_whitespace()
                .any(|w| w.eq_ignore_ascii_case("as")),
            // Without positions, assume the label is written the way PostgreSQL takes it.
            _ => true,
        }
    }

    fn report(&mut self, message: String, span: Span) -> ControlFlow<()> {
        self.problem = Some((message, span));
        ControlFlow::Break(())
    }

    fn single_quoted(&mut self, ident: &Ident) -> ControlFlow<()> {
        self.report(
            format!(
                "'{}' is a string: a name goes in double quotes (\"{}\")",
                ident.value, ident.value
            ),
            ident.span,
        )
    }

    fn name(&mut self, ident: &Ident, what: &str) -> ControlFlow<()> {
        if is_reserved(ident) {
            return self.report(
                format!(
                    "`{}` is a reserved word in PostgreSQL and cannot be a {what} unless quoted: write \"{}\"",
                    ident.value,
                    ident.value.to_ascii_lowercase()
                ),
                ident.span,
            );
        }
        ControlFlow::Continue(())
    }
}

impl Visitor for GrammarCheck<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::Identifier(ident) => {
                let lower = ident.value.to_ascii_lowercase();
                if !EXPRESSION_KEYWORDS.contains(&lower.as_str()) {
                    return self.name(ident, "column name");
                }
            }
            Expr::CompoundIdentifier(parts) => {
                if let Some(p) = parts.iter().find(|p| p.quote_style == Some('\'')) {
                    return self.single_quoted(p);
                }
                if let Some(first) = parts.first() {
                    return self.name(first, "table or column name");
                }
            }
            Expr::CompoundFieldAccess { root, .. } if matches!(**root, Expr::Value(_)) => {
                return self.report(
                    "a literal has no fields: put it in parentheses, `('...').field`".into(),
                    e.span(),
                );
            }
            Expr::Cast {
                data_type: DataType::Custom(name, _),
                ..
            } if name
                .0
                .first()
                .and_then(|p| p.as_ident())
                .is_some_and(is_reserved) =>
            {
                return self.report(
                    format!("`{name}` is a reserved word, not a type name"),
                    e.span(),
                );
            }
            Expr::Collate { collation, .. } => {
                if let Some(first) = collation.0.first().and_then(|p| p.as_ident()) {
                    if first.quote_style == Some('\'') {
                        return self.single_quoted(first);
                    }
                    return self.name(first, "collation name");
                }
            }
            Expr::IsNotNull(inner) => {
                // `x NOT NULL` is not PostgreSQL (`x IS NOT NULL`, `x NOTNULL` are).
                let end = inner.span().end;
                if let Some(at) =
                    super::sql::offset_of(self.text, end.line as usize, end.column as usize)
                {
                    let rest = self.text.get(at..).unwrap_or("").trim_start();
                    let mut words = rest.split_whitespace();
                    if words.next().is_some_and(|w| w.eq_ignore_ascii_case("not"))
                        && words
                            .next()
                            .is_some_and(|w| w.to_ascii_lowercase().starts_with("null"))
                    {
                        return self.report(
                            "write `IS NOT NULL` (or `NOTNULL`): `NOT NULL` after a value is not an expression".into(),
                            inner.span(),
                        );
                    }
                }
            }
            Expr::Like {
                any: true, pattern, ..
            }
            | Expr::ILike {
                any: true, pattern, ..
            } if !matches!(
                **pattern,
                Expr::Nested(_) | Expr::Tuple(_) | Expr::Subquery(_)
            ) =>
            {
                return self.report(
                    "`LIKE ANY` takes a parenthesized array or list: `LIKE ANY (array['a%', 'b%'])`".into(),
                    pattern.span(),
                );
            }
            Expr::Between { low, high, .. } => {
                for bound in [low, high] {
                    if !is_b_expr(bound) {
                        return self.report(
                            format!("a bound of `BETWEEN` cannot be `{bound}` without parentheses"),
                            bound.span(),
                        );
                    }
                }
            }
            Expr::Subquery(q) => {
                if let sqlparser::ast::SetExpr::Select(sel) = &*q.body {
                    let n = sel.projection.len();
                    if n != 1 {
                        return self.report(
                            format!("a subquery used as a value returns one column, not {n}"),
                            e.span(),
                        );
                    }
                }
            }
            Expr::Interval(i) => {
                let literal = matches!(
                    &*i.value,
                    Expr::Value(v) if matches!(
                        v.value,
                        Value::SingleQuotedString(_)
                            | Value::EscapedStringLiteral(_)
                            | Value::DollarQuotedString(_)
                            | Value::NationalStringLiteral(_)
                    )
                );
                let start = i.value.span().start;
                let follows_keyword =
                    super::sql::offset_of(self.text, start.line as usize, start.column as usize)
                        .is_none_or(|at| {
                            self.text[..at]
                                .trim_end()
                                .to_ascii_lowercase()
                                .ends_with("interval")
                        });
                if !literal || !follows_keyword {
                    return self.report(
                        "`interval` takes a string literal (`interval '1 day'`); for an expression, cast it: `(x)::interval`".into(),
                        i.value.span(),
                    );
                }
            }
            Expr::TypedString(t) => {
                let bad = match &t.data_type {
                    DataType::Table(_) => true,
                    DataType::Custom(name, _) => name
                        .0
                        .first()
                        .and_then(|p| p.as_ident())
                        .is_some_and(is_reserved),
                    _ => false,
                };
                if bad {
                    return self.report(
                        format!(
                            "`{}` is not a type name: a literal of a type is `type 'text'`",
                            t.data_type
                        ),
                        e.span(),
                    );
                }
            }
            Expr::Function(f) => {
                if let [part] = f.name.0.as_slice() {
                    if let Some(ident) = part.as_ident() {
                        let lower = ident.value.to_ascii_lowercase();
                        let keyword = ident.quote_style.is_none()
                            && (NOT_FUNCTIONS.contains(&lower.as_str())
                                || (is_reserved(ident)
                                    && !EXPRESSION_KEYWORDS.contains(&lower.as_str())
                                    && !TYPE_FUNCTION_KEYWORDS.contains(&lower.as_str())));
                        if keyword {
                            return self.report(
                                format!("`{}` is a keyword in PostgreSQL and cannot name a function unless quoted", ident.value),
                                ident.span,
                            );
                        }
                    }
                }
                // The parser drops a `FILTER` that no `(WHERE ...)` follows.
                if f.filter.is_none() {
                    let start = super::sql::offset_of(
                        self.text,
                        e.span().start.line as usize,
                        e.span().start.column as usize,
                    );
                    if let Some(at) = start.and_then(|s| after_call(self.text, s)) {
                        let rest = self.text.get(at..).unwrap_or("").trim_start();
                        let word: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if word.eq_ignore_ascii_case("filter") {
                            return self
                                .report("`FILTER` takes `(WHERE condition)`".into(), e.span());
                        }
                    }
                }
                let name = f.name.to_string().to_ascii_lowercase();
                let n = match &f.args {
                    FunctionArguments::List(l) => Some(l.args.len()),
                    FunctionArguments::None => None,
                    FunctionArguments::Subquery(_) => Some(1),
                };
                let bad = match (name.as_str(), n) {
                    ("coalesce" | "greatest" | "least", Some(0)) => Some("one argument or more"),
                    ("nullif", Some(k)) if k != 2 => Some("two arguments"),
                    _ => None,
                };
                if let Some(takes) = bad {
                    return self.report(format!("`{name}` takes {takes}"), e.span());
                }
            }
            _ => {}
        }
        if let Some(c) = class(e) {
            // In PostgreSQL, `NOT` takes everything after it (`a = NOT b = c` is
            // `a = NOT (b = c)`); the parser here splits it differently: not a chain.
            // `a IN (...) LIKE b` is fine: the list's `)` closes the `IN` before `LIKE`.
            let chained = operands(e).into_iter().enumerate().find(|(i, o)| {
                class(o).as_ref() == Some(&c)
                    && !operands(o).last().is_some_and(|l| is_not(l))
                    && !(*i == 0 && matches!(o, Expr::In { .. }))
            });
            let chained = chained.map(|(_, o)| o);
            if let Some(inner) = chained {
                let what = if c == Class::Comparison {
                    "comparisons (`=`, `<`, `>`, `<>` ...) do not chain"
                } else {
                    "`LIKE`, `ILIKE`, `SIMILAR TO` and `BETWEEN` do not chain"
                };
                return self.report(
                    format!("in PostgreSQL {what}: add parentheses around `{inner}`"),
                    inner.span(),
                );
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &sqlparser::ast::Query) -> ControlFlow<()> {
        if let sqlparser::ast::SetExpr::Select(select) = &*q.body {
            for item in &select.projection {
                if let SelectItem::ExprWithAlias { expr, alias } = item {
                    let lower = alias.value.to_ascii_lowercase();
                    if alias.quote_style.is_none()
                        && AS_LABEL_ONLY.contains(&lower.as_str())
                        && !self.explicit_as(expr, alias)
                    {
                        return self.report(
                            format!(
                                "`{}` can be a column label only after `AS`: write `AS {}`",
                                alias.value, lower
                            ),
                            alias.span,
                        );
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_value(&mut self, v: &sqlparser::ast::ValueWithSpan) -> ControlFlow<()> {
        if let Value::DollarQuotedString(d) = &v.value {
            let tag = d.tag.as_deref().unwrap_or("");
            let valid = tag.chars().enumerate().all(|(i, c)| {
                c == '_' || c.is_alphabetic() || !c.is_ascii() || (i > 0 && c.is_ascii_digit())
            });
            if !valid {
                return self.report(
                    format!("`${tag}$` is not a dollar-quote tag: a tag is a name (letters, digits and `_`, not starting with a digit); `$1` is a parameter"),
                    v.span,
                );
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if let Some(first) = relation.0.first().and_then(|p| p.as_ident()) {
            return self.name(first, "table name");
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        let alias = match factor {
            TableFactor::Table { alias, .. }
            | TableFactor::Derived { alias, .. }
            | TableFactor::Function { alias, .. }
            | TableFactor::UNNEST { alias, .. } => alias.as_ref(),
            _ => None,
        };
        if let Some(a) = alias {
            return self.name(&a.name, "table alias");
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_list_is_sorted_for_binary_search() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }
}
