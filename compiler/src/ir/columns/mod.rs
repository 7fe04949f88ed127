//! Column names inside SQL fragments, resolved as PostgreSQL would resolve them: a
//! typo in `cb.subscription_teir` is an error at compile time, not at deploy time.
//!
//! The base scope is what the fragment is attached to (a table for checks, index
//! expressions and policies; `new` and `old` for a trigger's `when`; nothing for a
//! default, which PostgreSQL forbids to read columns). Each query inside the fragment
//! adds the relations of its `FROM` and the names of its select list. Every scope is
//! searched from the innermost outwards.
//!
//! The check is sound before it is complete: a relation whose columns schemac does not
//! know (a view, a CTE, a subquery or function in `FROM`, an unknown table, which is
//! reported elsewhere) makes its scope open, and nothing is reported against an open
//! scope.

use std::collections::BTreeSet;
use std::ops::{ControlFlow, Range};

mod dml;
pub use dml::check_dml;

use super::sql::offset_of;
use sqlparser::ast::{
    BinaryOperator, Expr, Ident, InTarget, Query, SelectItem, SetExpr, TableFactor, TableWithJoins,
    Visit, Visitor,
};

/// A relation a fragment can name: its name (or alias) and its columns, `None` when
/// they are not known.
#[derive(Debug, Clone, Default)]
pub struct ScopeRelation {
    pub name: String,
    /// A set: a table may have thousands of columns, each looked up by name.
    pub columns: Option<BTreeSet<String>>,
    /// The columns of an enum type, with the enum's values.
    pub enums: Vec<(String, Vec<String>)>,
}

/// A string literal compared with an enum column that is not one of the enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEnumLiteral {
    /// Assigned to the column (`SET`, `INSERT`), not compared with it.
    pub assigned: bool,
    pub column: String,
    pub value: String,
    pub range: Option<Range<usize>>,
    pub values: Vec<String>,
}

/// What the column check found.
#[derive(Debug, Default)]
pub struct ColumnFindings {
    pub unknown: Vec<UnknownColumn>,
    pub bad_literals: Vec<BadEnumLiteral>,
}

/// A column name that resolves to nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownColumn {
    /// As written, folded (`owner_idd`, or `l.owner_idd`).
    pub written: String,
    /// The column part, folded.
    pub column: String,
    /// The relation it was looked up in, when qualified.
    pub relation: Option<String>,
    /// Where it is written in the fragment (bytes).
    pub range: Option<Range<usize>>,
    /// The columns it could have meant.
    pub candidates: Vec<String>,
}

/// Finds the unknown column names of an expression or query. `relation` tells the
/// columns of a relation named in a `FROM` (`None`: not known).
pub fn check_columns(
    text: &str,
    tree: &ParsedFragment,
    base: &[ScopeRelation],
    relation: &dyn Fn(&[String]) -> Option<ScopeRelation>,
) -> ColumnFindings {
    let mut c = Checker::new(text, base, relation);
    let _ = match tree {
        ParsedFragment::Expr(e) => e.visit(&mut c),
        ParsedFragment::Query(q) => q.visit(&mut c),
    };
    c.found
}

/// The string literal a fragment consists of (`'draft'`, `'draft'::status`), with its
/// bytes: a default assigned to an enum column.
pub fn string_literal(text: &str, tree: &ParsedFragment) -> Option<(String, Option<Range<usize>>)> {
    let ParsedFragment::Expr(e) = tree else {
        return None;
    };
    literal(text, e)
}

fn literal(text: &str, e: &Expr) -> Option<(String, Option<Range<usize>>)> {
    match e {
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::SingleQuotedString(s) => {
                let at = |l: u64, c: u64| offset_of(text, l as usize, c as usize);
                let range = match (
                    at(v.span.start.line, v.span.start.column),
                    at(v.span.end.line, v.span.end.column),
                ) {
                    (Some(a), Some(b)) if b > a => Some(a..b),
                    _ => None,
                };
                Some((s.clone(), range))
            }
            _ => None,
        },
        Expr::Cast { expr, .. } | Expr::Nested(expr) => literal(text, expr),
        _ => None,
    }
}

/// A fragment's syntax tree.
#[derive(Debug, Clone)]
pub enum ParsedFragment {
    Expr(Box<Expr>),
    Query(Box<Query>),
}

impl ParsedFragment {
    /// Parses an expression or a query; `None` when it does not parse (reported by
    /// the syntax check).
    pub fn parse(text: &str, query: bool) -> Option<ParsedFragment> {
        let dialect = sqlparser::dialect::PostgreSqlDialect {};
        let mut p = sqlparser::parser::Parser::new(&dialect)
            .try_with_sql(text)
            .ok()?;
        if query {
            p.parse_query().ok().map(ParsedFragment::Query)
        } else {
            p.parse_expr()
                .ok()
                .map(|e| ParsedFragment::Expr(Box::new(e)))
        }
    }
}

/// A CTE's name and, when they can be named, its columns.
type Cte = (String, Option<BTreeSet<String>>);

struct Scope {
    relations: Vec<ScopeRelation>,
    /// Output names of the select list (ORDER BY may use them).
    outputs: Vec<String>,
    /// The queries of this query's `WITH`.
    ctes: Vec<*const Query>,
    /// This is the query of a CTE: the query that declares it is not visible from it.
    cte_body: bool,
}

impl Scope {
    fn of(relations: Vec<ScopeRelation>) -> Scope {
        Scope {
            relations,
            outputs: Vec::new(),
            ctes: Vec::new(),
            cte_body: false,
        }
    }
}

struct Checker<'a> {
    text: &'a str,
    base: &'a [ScopeRelation],
    relation: &'a dyn Fn(&[String]) -> Option<ScopeRelation>,
    scopes: Vec<Scope>,
    found: ColumnFindings,
    /// Where the names of named arguments start (`make_interval(secs => n)`): names of
    /// the function's parameters, not columns.
    argument_names: BTreeSet<(u64, u64)>,
}

fn fold(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

impl<'a> Checker<'a> {
    fn new(
        text: &'a str,
        base: &'a [ScopeRelation],
        relation: &'a dyn Fn(&[String]) -> Option<ScopeRelation>,
    ) -> Self {
        Checker {
            text,
            base,
            relation,
            scopes: Vec::new(),
            found: ColumnFindings::default(),
            argument_names: BTreeSet::new(),
        }
    }

    /// Every relation in scope, innermost first.
    fn relations(&self) -> impl Iterator<Item = &ScopeRelation> {
        self.visible()
            .flat_map(|s| s.relations.iter())
            .chain(self.base.iter())
    }

    /// The scopes a name may resolve in, innermost first: a CTE's query does not see the
    /// query that declares the CTE (nor what that query cannot see).
    fn visible(&self) -> impl Iterator<Item = &Scope> {
        let mut skip = false;
        self.scopes.iter().rev().filter(move |s| {
            let keep = !skip;
            skip = s.cte_body;
            keep
        })
    }

    fn range_of(&self, ident: &Ident) -> Option<Range<usize>> {
        let start = offset_of(
            self.text,
            ident.span.start.line as usize,
            ident.span.start.column as usize,
        )?;
        let end = offset_of(
            self.text,
            ident.span.end.line as usize,
            ident.span.end.column as usize,
        )
        .filter(|e| *e > start)
        .unwrap_or(start + ident.value.len());
        Some(start..end.min(self.text.len()))
    }

    fn unqualified(&mut self, ident: &Ident) {
        let at = (ident.span.start.line, ident.span.start.column);
        if self.argument_names.contains(&at) {
            return;
        }
        let name = fold(ident);
        // Keywords PostgreSQL reads as values where a column name could stand, and
        // `DEFAULT` in `VALUES` and `SET`.
        let keyword =
            super::pg_keywords::EXPRESSION_KEYWORDS.contains(&name.as_str()) || name == "default";
        if keyword && ident.quote_style.is_none() {
            return;
        }
        let mut candidates = Vec::new();
        for r in self.relations() {
            match &r.columns {
                None => return,
                Some(cols) if cols.contains(&name) => return,
                Some(cols) => candidates.extend(cols.iter().cloned()),
            }
            // A whole-row reference (`row_to_json(t)`).
            if r.name == name {
                return;
            }
        }
        if self.visible().any(|s| s.outputs.contains(&name)) {
            return;
        }
        candidates.sort();
        candidates.dedup();
        let range = self.range_of(ident);
        self.found.unknown.push(UnknownColumn {
            written: name.clone(),
            column: name,
            relation: None,
            range,
            candidates,
        });
    }

    /// The enum values of the column an expression names, when it is an enum column.
    fn enum_of(&self, e: &Expr) -> Option<(String, Vec<String>)> {
        let (rel, col) = match e {
            Expr::Identifier(i) => (None, fold(i)),
            Expr::CompoundIdentifier(p) => match p.as_slice() {
                [r, c] | [_, r, c] => (Some(fold(r)), fold(c)),
                _ => return None,
            },
            Expr::Nested(inner) => return self.enum_of(inner),
            _ => return None,
        };
        // The relation the name resolves to: the first that has it, innermost first.
        let r = self.relations().find(|r| match &rel {
            Some(n) => r.name == *n,
            None => r.columns.as_ref().is_none_or(|c| c.contains(&col)),
        })?;
        r.enums
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(c, v)| (c.clone(), v.clone()))
    }

    /// `column = 'literal'` where the column is an enum: the literal must be a value.
    fn enum_comparison(&mut self, column: &Expr, other: &Expr) {
        let Some((col, values)) = self.enum_of(column) else {
            return;
        };
        self.enum_literal(false, col, &values, other);
    }

    /// `value`, compared with or assigned to the enum column `column`, must be one of
    /// `values` when it is a string literal.
    fn enum_literal(&mut self, assigned: bool, column: String, values: &[String], value: &Expr) {
        let Some((value, range)) = literal(self.text, value) else {
            return;
        };
        if !values.contains(&value) {
            self.found.bad_literals.push(BadEnumLiteral {
                assigned,
                column,
                value,
                range,
                values: values.to_vec(),
            });
        }
    }

    fn qualified(&mut self, parts: &[Ident]) {
        // `rel.col`, `schema.rel.col`; longer chains (composite fields) are not checked.
        let (rel, col) = match parts {
            [r, c] | [_, r, c] => (fold(r), c),
            _ => return,
        };
        let column = fold(col);
        let Some(r) = self.relations().find(|r| r.name == rel).cloned() else {
            // Not a relation in scope: a composite value or a name reported elsewhere.
            return;
        };
        let Some(cols) = &r.columns else { return };
        if cols.contains(&column) {
            return;
        }
        let range = self.range_of(col);
        self.found.unknown.push(UnknownColumn {
            written: format!("{rel}.{column}"),
            column,
            relation: Some(rel),
            range,
            candidates: cols.iter().cloned().collect(),
        });
    }

    fn add_from_item(&self, f: &TableFactor, ctes: &[Cte], out: &mut Vec<ScopeRelation>) {
        match f {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let parts: Vec<String> = name
                    .0
                    .iter()
                    .map(|p| p.as_ident().map(fold).unwrap_or_default())
                    .collect();
                let cte = match parts.as_slice() {
                    [one] => ctes.iter().find(|(n, _)| n == one),
                    _ => None,
                };
                let name = match alias {
                    Some(a) => fold(&a.name),
                    None => parts.last().cloned().unwrap_or_default(),
                };
                let known =
                    if args.is_some() || alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
                        ScopeRelation::default()
                    } else if let Some((_, cols)) = cte {
                        ScopeRelation {
                            columns: cols.clone(),
                            ..ScopeRelation::default()
                        }
                    } else {
                        (self.relation)(&parts).unwrap_or_default()
                    };
                out.push(ScopeRelation { name, ..known });
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                if let Some(a) = alias {
                    out.push(ScopeRelation {
                        name: fold(&a.name),
                        ..ScopeRelation::default()
                    });
                } else {
                    self.joined(table_with_joins, ctes, out);
                }
            }
            // Subqueries, functions, UNNEST, VALUES...: columns not known.
            other => {
                let name = match other {
                    TableFactor::Derived { alias: Some(a), .. }
                    | TableFactor::Function { alias: Some(a), .. }
                    | TableFactor::UNNEST { alias: Some(a), .. } => fold(&a.name),
                    _ => String::new(),
                };
                out.push(ScopeRelation {
                    name,
                    ..ScopeRelation::default()
                });
            }
        }
    }

    fn joined(&self, t: &TableWithJoins, ctes: &[Cte], out: &mut Vec<ScopeRelation>) {
        self.add_from_item(&t.relation, ctes, out);
        for j in &t.joins {
            self.add_from_item(&j.relation, ctes, out);
        }
    }

    fn selects<'q>(body: &'q SetExpr, out: &mut Vec<&'q sqlparser::ast::Select>) {
        match body {
            SetExpr::Select(s) => out.push(s),
            SetExpr::SetOperation { left, right, .. } => {
                Self::selects(left, out);
                Self::selects(right, out);
            }
            _ => {}
        }
    }
}

impl Visitor for Checker<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        let mut selects = Vec::new();
        Self::selects(&q.body, &mut selects);
        // A CTE named in FROM has the columns its query selects (when they can be named).
        let ctes: Vec<Cte> = q
            .with
            .iter()
            .flat_map(|w| w.cte_tables.iter())
            .map(|c| {
                let columns = if c.alias.columns.is_empty() {
                    output_names(&c.query)
                } else {
                    Some(c.alias.columns.iter().map(|d| fold(&d.name)).collect())
                };
                (fold(&c.alias.name), columns)
            })
            .collect();

        let mut relations = Vec::new();
        let mut outputs = Vec::new();
        for s in &selects {
            for t in &s.from {
                self.joined(t, &ctes, &mut relations);
            }
            for item in &s.projection {
                // Aliases only: a bare name in the select list is itself read from the
                // `FROM`, and ORDER BY finds it there too.
                if let SelectItem::ExprWithAlias { alias, .. } = item {
                    outputs.push(fold(alias));
                }
            }
        }
        if !matches!(*q.body, SetExpr::Select(_) | SetExpr::SetOperation { .. }) {
            // VALUES and the like: nothing to resolve against, nothing to report.
            relations.push(ScopeRelation {
                name: String::new(),
                ..ScopeRelation::default()
            });
        }
        let q_ptr: *const Query = q;
        let cte_body = self
            .scopes
            .last()
            .is_some_and(|s| s.ctes.iter().any(|c| std::ptr::eq(*c, q_ptr)));
        let ctes = q
            .with
            .iter()
            .flat_map(|w| w.cte_tables.iter())
            .map(|c| &*c.query as *const Query)
            .collect();
        self.scopes.push(Scope {
            relations,
            outputs,
            ctes,
            cte_body,
        });
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::Function(f) => {
                if let sqlparser::ast::FunctionArguments::List(list) = &f.args {
                    for a in &list.args {
                        if let sqlparser::ast::FunctionArg::ExprNamed {
                            name: Expr::Identifier(i),
                            ..
                        } = a
                        {
                            self.argument_names
                                .insert((i.span.start.line, i.span.start.column));
                        }
                    }
                }
            }
            Expr::Identifier(i) => self.unqualified(i),
            Expr::CompoundIdentifier(parts) => self.qualified(parts),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq | BinaryOperator::NotEq,
                right,
            } => {
                self.enum_comparison(left, right);
                self.enum_comparison(right, left);
            }
            Expr::In {
                expr,
                target: InTarget::List(list),
                ..
            } => {
                for item in list {
                    self.enum_comparison(expr, item);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The names of a query's output columns, when every one can be named without knowing
/// the tables (`a`, `t.a`, `expr AS a`); `None` otherwise.
fn output_names(q: &Query) -> Option<BTreeSet<String>> {
    let SetExpr::Select(s) = &*q.body else {
        return None;
    };
    s.projection
        .iter()
        .map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(fold(alias)),
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(fold(i)),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(p)) => p.last().map(fold),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
