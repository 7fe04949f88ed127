//! Column names in the body of an SQL-language function. Each query of the body (a
//! `SELECT`, with its CTEs and subqueries) is checked as a view's query is, with the
//! function's arguments in scope: bare (`p_owner`) or qualified with the function's name
//! (`crm_leads_of.p_owner`). `INSERT`, `UPDATE` and `DELETE` statements are checked with
//! their target table, `FROM`/`USING` and `excluded` in scope; `$1` placeholders are not
//! names.

use super::*;
use crate::ir::columns::{check_columns, check_dml, ColumnFindings, ParsedFragment, ScopeRelation};

impl Lowerer<'_> {
    pub(super) fn check_body_columns(
        &mut self,
        file: FileId,
        body: &Sp<String>,
        function: &str,
        arguments: &[String],
        what: &str,
    ) {
        let text = body.value.as_str();
        let dialect = sqlparser::dialect::PostgreSqlDialect {};
        let Ok(statements) = sqlparser::parser::Parser::parse_sql(&dialect, text) else {
            // Reported by the syntax check.
            return;
        };
        let params = ScopeRelation {
            name: function.to_string(),
            columns: Some(arguments.iter().cloned().collect()),
            enums: Vec::new(),
        };
        let base = [params];
        let enums = self.enum_types();
        let mut found = ColumnFindings::default();
        for st in statements {
            let relation = |p: &[String]| self.columns_of(p, &enums);
            let f = match st {
                sqlparser::ast::Statement::Query(q) => {
                    check_columns(text, &ParsedFragment::Query(q), &base, &relation)
                }
                other => match check_dml(text, &other, &base, &relation) {
                    Some(f) => f,
                    None => continue,
                },
            };
            found.unknown.extend(f.unknown);
            found.bad_literals.extend(f.bad_literals);
        }
        self.report_columns(file, body, found, false, what);
    }
}

/// The column names of `returns = "table(id bigint, slug text)"` (none for other types):
/// they are the function's output parameters.
pub(super) fn returns_table_columns(returns: &str) -> Vec<String> {
    let t = returns.trim();
    if !t.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("table")) {
        return Vec::new();
    }
    let Some(inner) = t[5..]
        .trim_start()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
    else {
        return Vec::new();
    };
    split_top_level(inner)
        .iter()
        .filter_map(|col| col.split_whitespace().next())
        .map(
            |n| match n.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => n.to_lowercase(),
            },
        )
        .collect()
}
