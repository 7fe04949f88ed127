//! The output columns of a view, as PostgreSQL names them, so the views and policies that
//! read a view have their column names checked too. Only views whose every column has a
//! name schemac can tell for certain are known: a column, a function call (named after the
//! function), a cast of a column, or anything with an alias. A `*`, or an unaliased
//! expression PostgreSQL would call `?column?` or name by rules of its own, leaves the view
//! unknown: a view is open rather than wrongly closed.

use std::collections::BTreeSet;

use sqlparser::ast::{Expr, Ident, SelectItem, SetExpr};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

fn fold(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn name_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(fold(i)),
        Expr::CompoundIdentifier(parts) => parts.last().map(fold),
        Expr::Nested(inner) => name_of(inner),
        Expr::Cast { expr, .. } => match &**expr {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => name_of(expr),
            _ => None,
        },
        Expr::Function(f) => f.name.0.last().and_then(|p| p.as_ident()).map(fold),
        _ => None,
    }
}

fn body_columns(body: &SetExpr) -> Option<BTreeSet<String>> {
    match body {
        SetExpr::Select(s) => s
            .projection
            .iter()
            .map(|item| match item {
                SelectItem::UnnamedExpr(e) => name_of(e),
                SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
                _ => None,
            })
            .collect(),
        // A set operation takes its column names from its first branch.
        SetExpr::SetOperation { left, .. } => body_columns(left),
        SetExpr::Query(q) => body_columns(&q.body),
        _ => None,
    }
}

/// The output columns of a view's query, when all of them are known for certain.
pub fn output_columns(query: &str) -> Option<BTreeSet<String>> {
    let q = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(query)
        .ok()?
        .parse_query()
        .ok()?;
    body_columns(&q.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_postgresql_gives_them_or_nothing() {
        let cols = |q: &str| output_columns(q).map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(
            cols("select a.id, Name, count(*), x::text, \"Mixed\" as m2, (b.title) from t a"),
            Some(
                ["count", "id", "m2", "name", "title", "x"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            cols("select \"Mixed\" from t"),
            Some(vec!["Mixed".to_string()])
        );
        assert_eq!(cols("select * from t"), None);
        assert_eq!(cols("select id, 1 from t"), None);
        assert_eq!(
            cols("select id from a union select id from b"),
            Some(vec!["id".into()])
        );
    }
}
