//! The cheap first look of the expression comparison: two texts that parse to the same
//! syntax tree, once the differences PostgreSQL's printer introduces are taken out, are
//! the same expression. What this cannot show equal goes to PostgreSQL (`normalize`).
//!
//! Only rewrites that keep the meaning are made: the case of unquoted words and the
//! quotes of simple lower-case names (PostgreSQL folds them), parentheses (the tree keeps
//! the precedence), the casts PostgreSQL writes on literals (`'web'::text`), the output
//! names of scalar subqueries (`( SELECT auth.uid() AS uid)`), and `x IN (a, b)`, which
//! PostgreSQL prints as `x = ANY (ARRAY[a, b])`.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, Expr, InTarget, Query, SelectItem, SetExpr, Value, VisitMut,
    VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Whether `a` and `b` are certainly the same expression. `false` means "not shown
/// equal here", not "different".
pub fn same_expr(a: &str, b: &str) -> bool {
    if a.trim() == b.trim() {
        return true;
    }
    match (canonical_expr(a), canonical_expr(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Whether two view queries are certainly the same: as [`same_expr`], and in a query over
/// one relation (no join, no subquery), a bare column is that relation's (PostgreSQL
/// prints `SELECT t.id FROM t` for `select id from t`) and an alias that repeats the
/// column's name is no alias.
pub fn same_query(a: &str, b: &str) -> bool {
    if a.trim() == b.trim() {
        return true;
    }
    match (canonical_query(a), canonical_query(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn canonical_query(text: &str) -> Option<Query> {
    let text = canonical_words(text)?;
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(&text).ok()?;
    let mut q = parser.parse_query().ok()?;
    while parser.consume_token(&Token::SemiColon) {}
    if parser.peek_token().token != Token::EOF {
        return None;
    }
    let _ = q.visit(&mut Simplify);
    qualify_single_relation(&mut q);
    Some(*q)
}

/// In `select ... from t [alias]` with nothing else in `FROM` and no subquery, every bare
/// name is a column of `t`: written qualified, as PostgreSQL prints it.
fn qualify_single_relation(q: &mut Query) {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    let [from] = select.from.as_slice() else {
        return;
    };
    if !from.joins.is_empty() {
        return;
    }
    let sqlparser::ast::TableFactor::Table { name, alias, .. } = &from.relation else {
        return;
    };
    let qualifier = match alias {
        Some(a) => a.name.clone(),
        None => match name.0.last().and_then(|p| p.as_ident()) {
            Some(i) => i.clone(),
            None => return,
        },
    };
    let mut has_subquery = false;
    let _ = sqlparser::ast::visit_expressions(select.as_ref(), |e| {
        if matches!(
            e,
            Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::In {
                    target: InTarget::Subquery(_),
                    ..
                }
        ) {
            has_subquery = true;
        }
        ControlFlow::<()>::Continue(())
    });
    if has_subquery || q.with.is_some() {
        return;
    }
    let _ = sqlparser::ast::visit_expressions_mut(select.as_mut(), |e| {
        if let Expr::Identifier(id) = e {
            *e = Expr::CompoundIdentifier(vec![qualifier.clone(), id.clone()]);
        }
        ControlFlow::<()>::Continue(())
    });
    for item in &mut select.projection {
        if let SelectItem::ExprWithAlias {
            expr: Expr::CompoundIdentifier(parts),
            alias,
        } = item
        {
            if parts.last().is_some_and(|c| c == alias) {
                let expr = Expr::CompoundIdentifier(parts.clone());
                *item = SelectItem::UnnamedExpr(expr);
            }
        }
    }
}

fn canonical_expr(text: &str) -> Option<Expr> {
    let text = canonical_words(text)?;
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(&text).ok()?;
    let mut e = parser.parse_expr().ok()?;
    if parser.peek_token().token != Token::EOF {
        return None;
    }
    let _ = e.visit(&mut Simplify);
    Some(e)
}

/// The text again, unquoted words lower-cased and simple quoted names unquoted.
fn canonical_words(text: &str) -> Option<String> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, text).tokenize().ok()?;
    let mut out = String::with_capacity(text.len());
    for t in tokens {
        match t {
            Token::Word(mut w) => {
                match w.quote_style {
                    None => w.value = w.value.to_lowercase(),
                    Some('"')
                        if w.keyword == Keyword::NoKeyword
                            && !w.value.is_empty()
                            && w.value
                                .chars()
                                .next()
                                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                            && w.value.chars().all(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
                            })
                            && !is_keyword(&w.value) =>
                    {
                        w.quote_style = None
                    }
                    _ => {}
                }
                out.push_str(&Token::Word(w).to_string());
            }
            other => out.push_str(&other.to_string()),
        }
    }
    Some(out)
}

fn is_keyword(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    sqlparser::keywords::ALL_KEYWORDS.contains(&upper.as_str())
}

struct Simplify;

impl VisitorMut for Simplify {
    type Break = ();

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        loop {
            let next = match e {
                Expr::Nested(inner) => Some(std::mem::replace(inner.as_mut(), placeholder())),
                Expr::Cast {
                    kind: CastKind::DoubleColon,
                    expr,
                    ..
                } if matches!(
                    expr.as_ref(),
                    Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_) | Value::Number(..))
                ) =>
                {
                    Some(std::mem::replace(expr.as_mut(), placeholder()))
                }
                Expr::AnyOp {
                    left,
                    compare_op: BinaryOperator::Eq,
                    right,
                    is_some: false,
                } => match right.as_mut() {
                    Expr::Array(a) => Some(Expr::In {
                        expr: Box::new(std::mem::replace(left.as_mut(), placeholder())),
                        target: InTarget::List(std::mem::take(&mut a.elem)),
                        negated: false,
                        global: false,
                    }),
                    _ => None,
                },
                Expr::AllOp {
                    left,
                    compare_op: BinaryOperator::NotEq,
                    right,
                } => match right.as_mut() {
                    Expr::Array(a) => Some(Expr::In {
                        expr: Box::new(std::mem::replace(left.as_mut(), placeholder())),
                        target: InTarget::List(std::mem::take(&mut a.elem)),
                        negated: true,
                        global: false,
                    }),
                    _ => None,
                },
                Expr::BinaryOp {
                    op: op @ (BinaryOperator::And | BinaryOperator::Or),
                    ..
                } => {
                    // `a AND (b AND c)` is `a AND b AND c`: one left-leaning chain.
                    let op = op.clone();
                    let mut operands = Vec::new();
                    chain(std::mem::replace(e, placeholder()), &op, &mut operands);
                    let mut it = operands.into_iter();
                    let first = it.next().unwrap_or_else(placeholder);
                    *e = it.fold(first, |left, right| Expr::BinaryOp {
                        left: Box::new(left),
                        op: op.clone(),
                        right: Box::new(right),
                    });
                    None
                }
                Expr::Subquery(q) => {
                    unname_outputs(q);
                    None
                }
                Expr::Exists { subquery, .. }
                | Expr::In {
                    target: InTarget::Subquery(subquery),
                    ..
                } => {
                    unname_outputs(subquery);
                    None
                }
                _ => None,
            };
            match next {
                Some(n) => *e = n,
                None => return ControlFlow::Continue(()),
            }
        }
    }
}

/// The operands of a chain of one associative operator, left to right.
fn chain(e: Expr, op: &BinaryOperator, out: &mut Vec<Expr>) {
    match e {
        Expr::BinaryOp { left, op: o, right } if &o == op => {
            chain(*left, op, out);
            chain(*right, op, out);
        }
        other => out.push(other),
    }
}

/// What a node is swapped for while its child takes its place.
fn placeholder() -> Expr {
    Expr::value(Value::Null)
}

/// The output names of a subquery used as a value: nothing can refer to them.
fn unname_outputs(q: &mut Query) {
    if let SetExpr::Select(s) = q.body.as_mut() {
        for item in &mut s.projection {
            if let SelectItem::ExprWithAlias { expr, .. } = item {
                let expr = std::mem::replace(expr, placeholder());
                *item = SelectItem::UnnamedExpr(expr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_expr;

    #[test]
    fn what_postgresql_prints_is_the_same_as_what_was_written() {
        for (written, printed) in [
            (
                "user_id = (select auth.uid())",
                "(user_id = ( SELECT auth.uid() AS uid))",
            ),
            (
                "platform in ('ios', 'android', 'web')",
                "(platform = ANY (ARRAY['ios'::text, 'android'::text, 'web'::text]))",
            ),
            (
                "platform not in ('ios')",
                "(platform <> ALL (ARRAY['ios'::text]))",
            ),
            (
                "\"Status\" = 'x' AND amount > 0",
                "((\"Status\" = 'x'::text) AND (amount > (0)::numeric))",
            ),
            ("NOW()", "now()"),
            ("\"user_id\" IS NOT NULL", "(user_id IS NOT NULL)"),
            (
                "exists (select 1 from m where m.ws = ws)",
                "(EXISTS ( SELECT 1 AS one FROM m WHERE (m.ws = ws)))",
            ),
        ] {
            assert!(same_expr(written, printed), "{written} vs {printed}");
        }
        for (a, b) in [
            ("user_id = (select auth.uid())", "true"),
            ("a and (b or c)", "(a AND b) OR c"),
            ("a or b and c", "(a OR b) AND c"),
            ("\"Status\" = 'x'", "status = 'x'"),
            ("amount > 0", "amount >= 0"),
            ("x in (select y as z from t)", "x in (select z from t)"),
            ("'a b'", "'ab'"),
            ("not valid sql (", "not valid sql ("),
        ] {
            if a != b {
                assert!(!same_expr(a, b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn a_view_query_is_the_same_as_postgresql_prints_it() {
        use super::same_query;
        for (written, printed) in [
            ("select id, owner_id from items", " SELECT items.id,\n    items.owner_id\n   FROM items;"),
            ("select i.id as id, i.total as amount from items i where i.total > 0", " SELECT i.id,\n    i.total AS amount\n   FROM items i\n  WHERE (i.total > (0)::numeric);"),
        ] {
            assert!(same_query(written, printed), "{written} vs {printed}");
        }
        for (a, b) in [
            (
                "select id from items",
                " SELECT items.id\n   FROM items\n  WHERE (items.id > 0);",
            ),
            (
                "select id from a join b using (id)",
                " SELECT a.id FROM (a JOIN b USING (id));",
            ),
            (
                "select id as ident from items",
                " SELECT items.id FROM items;",
            ),
        ] {
            assert!(!same_query(a, b), "{a} vs {b}");
        }
    }
}
