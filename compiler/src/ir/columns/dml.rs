//! Column names in `INSERT`, `UPDATE` and `DELETE` (the statements of an SQL function's
//! body): the target table's columns, the relations of `FROM` and `USING`, and for
//! `ON CONFLICT DO UPDATE` the row `excluded`, with the same rules as in a query.

use super::*;
use sqlparser::ast::{
    AssignmentTarget, Delete, FromTable, Insert, ObjectName, OnConflictAction, OnInsert, Statement,
    TableObject, Update, UpdateTableFromKind,
};

/// Finds the unknown column names of an `INSERT`, `UPDATE` or `DELETE`; `None` for any
/// other statement.
pub fn check_dml(
    text: &str,
    stmt: &Statement,
    base: &[ScopeRelation],
    relation: &dyn Fn(&[String]) -> Option<ScopeRelation>,
) -> Option<ColumnFindings> {
    let mut c = Checker::new(text, base, relation);
    match stmt {
        Statement::Update(u) => c.update(u),
        Statement::Delete(d) => c.delete(d),
        Statement::Insert(i) => c.insert(i),
        _ => return None,
    }
    Some(c.found)
}

impl Checker<'_> {
    /// Visits `f` with `relations` as the innermost scope.
    fn within(&mut self, relations: Vec<ScopeRelation>, f: impl FnOnce(&mut Self)) {
        self.scopes.push(Scope::of(relations));
        f(self);
        self.scopes.pop();
    }

    fn expr(&mut self, e: &Expr) {
        let _ = e.visit(self);
    }

    fn returning(&mut self, items: &Option<Vec<SelectItem>>) {
        for item in items.iter().flatten() {
            match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    self.expr(e)
                }
                _ => {}
            }
        }
    }

    /// A column the statement writes (`SET col`, `INSERT INTO t (col)`) must be one of
    /// the target's.
    fn target_column(&mut self, target: &ScopeRelation, name: &ObjectName) {
        let [part] = name.0.as_slice() else {
            // `SET composite.field`: not checked.
            return;
        };
        let Some(ident) = part.as_ident() else { return };
        let Some(cols) = &target.columns else { return };
        let column = fold(ident);
        if cols.contains(&column) {
            return;
        }
        let range = self.range_of(ident);
        self.found.unknown.push(UnknownColumn {
            written: format!("{}.{column}", target.name),
            column,
            relation: Some(target.name.clone()),
            range,
            candidates: cols.iter().cloned().collect(),
        });
    }

    /// A string literal written into an enum column must be one of its values.
    fn enum_assignment(&mut self, target: &ScopeRelation, column: &ObjectName, value: &Expr) {
        let [part] = column.0.as_slice() else { return };
        let Some(ident) = part.as_ident() else { return };
        let column = fold(ident);
        let Some((_, values)) = target.enums.iter().find(|(c, _)| *c == column) else {
            return;
        };
        self.enum_literal(true, column, values, value);
    }

    fn assignments(&mut self, target: &ScopeRelation, assignments: &[sqlparser::ast::Assignment]) {
        for a in assignments {
            match &a.target {
                AssignmentTarget::ColumnName(n) => {
                    self.target_column(target, n);
                    self.enum_assignment(target, n, &a.value);
                }
                AssignmentTarget::Tuple(ns) => {
                    for n in ns {
                        self.target_column(target, n);
                    }
                }
            }
        }
    }

    fn update(&mut self, u: &Update) {
        let mut relations = Vec::new();
        self.joined(&u.table, &[], &mut relations);
        let target = relations.first().cloned().unwrap_or_default();
        if let Some(UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from)) =
            &u.from
        {
            for t in from {
                self.joined(t, &[], &mut relations);
            }
        }
        self.assignments(&target, &u.assignments);
        self.within(relations, |c| {
            for a in &u.assignments {
                c.expr(&a.value);
            }
            if let Some(w) = &u.selection {
                c.expr(w);
            }
            c.returning(&u.returning);
        });
    }

    fn delete(&mut self, d: &Delete) {
        let mut relations = Vec::new();
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
        for t in from.iter().chain(d.using.iter().flatten()) {
            self.joined(t, &[], &mut relations);
        }
        self.within(relations, |c| {
            if let Some(w) = &d.selection {
                c.expr(w);
            }
            c.returning(&d.returning);
        });
    }

    fn insert(&mut self, i: &Insert) {
        let target = match &i.table {
            TableObject::TableName(name) => {
                let parts: Vec<String> = name
                    .0
                    .iter()
                    .map(|p| p.as_ident().map(fold).unwrap_or_default())
                    .collect();
                let known = (self.relation)(&parts).unwrap_or_default();
                let name = match &i.table_alias {
                    Some(a) => fold(&a.alias),
                    None => parts.last().cloned().unwrap_or_default(),
                };
                ScopeRelation { name, ..known }
            }
            _ => ScopeRelation::default(),
        };
        for c in &i.columns {
            self.target_column(&target, c);
        }
        if let Some(q) = &i.source {
            match &*q.body {
                // The rows of VALUES read only what is outside the statement.
                SetExpr::Values(v) if q.with.is_none() => {
                    for row in &v.rows {
                        for (k, e) in row.content.iter().enumerate() {
                            self.expr(e);
                            if let Some(c) = i.columns.get(k) {
                                self.enum_assignment(&target, c, e);
                            }
                        }
                    }
                }
                _ => {
                    let _ = q.visit(self);
                }
            }
        }
        if let Some(OnInsert::OnConflict(oc)) = &i.on {
            if let OnConflictAction::DoUpdate(du) = &oc.action {
                self.assignments(&target, &du.assignments);
                let excluded = ScopeRelation {
                    name: "excluded".into(),
                    ..target.clone()
                };
                self.within(vec![target.clone(), excluded], |c| {
                    for a in &du.assignments {
                        c.expr(&a.value);
                    }
                    if let Some(w) = &du.selection {
                        c.expr(w);
                    }
                });
            }
        }
        self.within(vec![target], |c| c.returning(&i.returning));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unknown names of one statement, with `p_user` and `p_n` as arguments and the
    /// table `members (user_id, workspace_id, role)`.
    fn dml(text: &str) -> Vec<String> {
        let dialect = sqlparser::dialect::PostgreSqlDialect {};
        let st = sqlparser::parser::Parser::parse_sql(&dialect, text)
            .unwrap()
            .remove(0);
        let base = [ScopeRelation {
            name: "f".into(),
            columns: Some(["p_user".to_string(), "p_n".to_string()].into()),
            enums: Vec::new(),
        }];
        let lookup = |parts: &[String]| match parts.last().map(String::as_str) {
            Some("members") => Some(ScopeRelation {
                columns: Some(["user_id", "workspace_id", "role"].map(String::from).into()),
                ..ScopeRelation::default()
            }),
            _ => None,
        };
        let found = check_dml(text, &st, &base, &lookup).unwrap();
        found
            .unknown
            .into_iter()
            .map(|u| format!("{}@{:?}", u.written, u.range))
            .collect()
    }

    #[test]
    fn statements_that_write_resolve_their_target_and_arguments() {
        assert!(
            dml("update members m set role = 'x' where m.user_id = p_user returning m.role")
                .is_empty()
        );
        assert!(dml("update members set role = default where user_id = p_user").is_empty());
        assert!(dml("insert into members (user_id, role) values (p_user, default)").is_empty());
        assert_eq!(
            dml("update members set rol = 'x' where user_idd = p_usr"),
            [
                "members.rol@Some(19..22)",
                "user_idd@Some(35..43)",
                "p_usr@Some(46..51)"
            ]
        );
        assert!(dml("delete from members using members o where o.user_id = members.user_id and members.role = 'x'").is_empty());
        assert_eq!(
            dml("delete from members where rolee = 'x' returning workspac_id"),
            ["rolee@Some(26..31)", "workspac_id@Some(48..59)"]
        );
        assert!(dml("insert into members (user_id, role) values (p_user, 'x') on conflict (user_id) do update set role = excluded.role where members.role <> 'y' returning user_id").is_empty());
        assert_eq!(
            dml("insert into members (user_id, rol) values (p_usr, make_interval(secs => p_n)) on conflict (user_id) do update set role = excluded.rle"),
            ["members.rol@Some(30..33)", "p_usr@Some(43..48)", "excluded.rle@Some(130..133)"]
        );
        // A select source reads its own FROM; the target is not in its scope.
        assert_eq!(
            dml("insert into members (user_id) select user_idd from members"),
            ["user_idd@Some(37..45)"]
        );
        // Other statements are not this check's.
        let dialect = sqlparser::dialect::PostgreSqlDialect {};
        let st = sqlparser::parser::Parser::parse_sql(&dialect, "select 1")
            .unwrap()
            .remove(0);
        assert!(check_dml("select 1", &st, &[], &|_| None).is_none());
    }
}
