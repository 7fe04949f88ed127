//! Who may do what: roles, grants and revokes, and the table parts that refer to
//! other objects (policies, triggers), lowered once every table exists.

use super::*;

impl Lowerer<'_> {
    pub(super) fn role(&mut self, file: FileId, r: &Sp<String>, what: &str) -> bool {
        if r.value == "public" || self.ir.project.roles.contains_key(&r.value) {
            return true;
        }
        let help = match did_you_mean(&r.value, self.ir.project.roles.keys().map(String::as_str)) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("declare it in schemac.toml: `[roles.{}]`", r.value),
        };
        self.err(
            Diagnostic::error(
                "unknown-role",
                format!(
                    "{what} names role `{}`, which the project does not declare",
                    r.value
                ),
            )
            .label(&loc(file, r), "unknown role")
            .help(help),
        );
        false
    }

    pub(super) fn grants(
        &mut self,
        file: FileId,
        g: &IndexMap<Sp<String>, Vec<Sp<String>>>,
        what: &str,
        allowed: &[&str],
    ) -> Vec<Grant> {
        let mut out = Vec::new();
        for (role, privs) in g {
            self.role(file, role, what);
            let mut ps = Vec::new();
            for p in privs {
                let lp = p.value.to_lowercase();
                if !allowed.contains(&lp.as_str()) {
                    self.err(
                        Diagnostic::error(
                            "invalid-privilege",
                            format!("`{}` is not a privilege here", p.value),
                        )
                        .label(&loc(file, p), "unknown privilege")
                        .help(format!(
                            "use one of {}",
                            allowed
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    continue;
                }
                if !ps.contains(&lp) {
                    ps.push(lp);
                }
            }
            if privs.is_empty() {
                self.err(
                    Diagnostic::error(
                        "empty-privilege-list",
                        format!("no privileges listed for `{}`", role.value),
                    )
                    .label(&loc(file, role), "here")
                    .help("list privileges, e.g. `[\"select\"]`, or remove the role"),
                );
            }
            out.push(Grant {
                role: role.value.clone(),
                privileges: ps,
                loc: loc(file, role),
            });
        }
        out
    }

    /// Second table pass: things that refer to other objects (policies, triggers).
    pub(super) fn table_late(&mut self, file: FileId, name: &Sp<String>, t: &Sp<syntax::Table>) {
        let schema = t
            .schema
            .as_ref()
            .map_or(self.ir.project.default_schema.clone(), |s| s.value.clone());
        let q = QName::new(schema, name.value.clone());
        let Some(idx) = self
            .table_index
            .get(&q)
            .copied()
            .filter(|&i| self.ir.tables[i].loc.file == file)
        else {
            return;
        };
        let row = self.table_scope(idx, &self.enum_types());
        let objects = TableObjects {
            policies: &t.policies,
            grants: &t.grants,
            revokes: &t.revokes,
            triggers: &t.triggers,
        };
        let (policies, grants, revokes, triggers) = self.table_objects(file, &q, row, objects);
        let table = &mut self.ir.tables[idx];
        table.policies = policies;
        table.grants = grants;
        table.revokes = revokes;
        table.triggers = triggers;
    }

    /// Policies, grants, revokes and triggers of a table (`q`, whose rows are `row`):
    /// a project table's, or those a domain puts on an external table.
    pub(super) fn table_objects(
        &mut self,
        file: FileId,
        q: &QName,
        row: crate::ir::columns::ScopeRelation,
        objects: TableObjects<'_>,
    ) -> (Vec<Policy>, Vec<Grant>, Vec<Grant>, Vec<Trigger>) {
        let tn = q.name.clone();
        let mut policies = Vec::new();
        for (pname, p) in objects.policies {
            let pn = self.ident(file, pname, "policy");
            let pl = loc(file, pname);
            let command = match p.command.as_ref().map(|c| c.value.to_lowercase()) {
                None => PolicyCommand::All,
                Some(c) => match c.as_str() {
                    "all" => PolicyCommand::All,
                    "select" => PolicyCommand::Select,
                    "insert" => PolicyCommand::Insert,
                    "update" => PolicyCommand::Update,
                    "delete" => PolicyCommand::Delete,
                    _ => {
                        let cl = loc(
                            file,
                            p.command
                                .as_ref()
                                .unwrap_or_else(|| unreachable!("matched Some")),
                        );
                        self.err(
                            Diagnostic::error(
                                "invalid-value",
                                format!("`{c}` is not a policy command"),
                            )
                            .label(&cl, "unknown command")
                            .help("use `all`, `select`, `insert`, `update` or `delete`"),
                        );
                        PolicyCommand::All
                    }
                },
            };
            let mut roles = Vec::new();
            // Unknown policy roles are the lint rule `policy-unknown-role`.
            for r in &p.roles {
                roles.push((r.value.clone(), loc(file, r)));
            }
            let mut deps = BTreeSet::new();
            deps.insert(ObjRef {
                kind: ObjKind::Table,
                name: q.clone(),
            });
            // Columns raw blocks add to the table exist only after those blocks.
            deps.extend(self.raw_column_deps(q));
            // A policy reads its table's columns, and what its subqueries select from.
            self.fragment_scope = FragmentScope::Relations(std::rc::Rc::new(vec![row.clone()]));
            let using = p.using.as_ref().and_then(|u| {
                self.expr(file, u, &format!("the `using` of policy `{pn}`"), &mut deps)
                    .map(|e| (e, loc(file, u)))
            });
            let with_check = p.with_check.as_ref().and_then(|u| {
                self.expr(
                    file,
                    u,
                    &format!("the `with_check` of policy `{pn}`"),
                    &mut deps,
                )
                .map(|e| (e, loc(file, u)))
            });
            if command == PolicyCommand::Insert {
                if let Some(u) = &p.using {
                    self.err(
                        Diagnostic::error(
                            "policy-invalid-clause",
                            format!("policy `{pn}` is for INSERT but has `using`"),
                        )
                        .label(&loc(file, u), "not allowed for insert")
                        .help("INSERT policies take only `with_check`; move the expression there"),
                    );
                }
            }
            if matches!(command, PolicyCommand::Select | PolicyCommand::Delete) {
                if let Some(w) = &p.with_check {
                    self.err(Diagnostic::error("policy-invalid-clause", format!("policy `{pn}` is for {} but has `with_check`", command.sql())).label(&loc(file, w), "not allowed here").help("SELECT and DELETE policies take only `using`; move the expression there"));
                }
            }
            if p.using.is_none() && p.with_check.is_none() {
                self.err(Diagnostic::error("policy-without-expression", format!("policy `{pn}` has neither `using` nor `with_check`")).label(&pl, "allows nothing to be decided").help("add `using = \"...\"` (rows visible) and/or `with_check = \"...\"` (rows written)"));
            }
            policies.push(Policy {
                name: pn,
                loc: pl,
                command,
                command_loc: p.command.as_ref().map(|c| loc(file, c)),
                roles,
                permissive: p.permissive.as_ref().is_none_or(|b| b.value),
                using,
                with_check,
                comment: p.comment.as_ref().map(|c| c.value.clone()),
                deps,
            });
        }
        let grants = self.grants(
            file,
            objects.grants,
            &format!("a grant on `{tn}`"),
            PRIVILEGES,
        );
        let revokes = self.grants(
            file,
            objects.revokes,
            &format!("a revoke on `{tn}`"),
            PRIVILEGES,
        );
        let mut triggers = Vec::new();
        for (trname, tr) in objects.triggers {
            let n = self.ident(file, trname, "trigger");
            let timing = tr.timing.value.to_lowercase();
            if !["before", "after"].contains(&timing.as_str()) {
                let help = if timing == "instead_of" {
                    "`instead_of` triggers belong on views; on a table use `before` or `after`"
                } else {
                    "use `before` or `after`"
                };
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a trigger timing for a table", tr.timing.value),
                    )
                    .label(&loc(file, &tr.timing), "here")
                    .help(help),
                );
            }
            let mut events = Vec::new();
            for e in &tr.events {
                let ev = e.value.to_lowercase();
                if ["insert", "update", "delete", "truncate"].contains(&ev.as_str()) {
                    events.push(ev);
                } else {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{}` is not a trigger event", e.value),
                        )
                        .label(&loc(file, e), "here")
                        .help("use `insert`, `update`, `delete` or `truncate`"),
                    );
                }
            }
            if tr.events.is_empty() {
                self.err(
                    Diagnostic::error("invalid-value", format!("trigger `{n}` has no events"))
                        .label(&loc(file, trname), "here")
                        .help("add `events = [\"update\"]`"),
                );
            }
            let for_each_row = match tr.for_each.as_ref().map(|f| f.value.as_str()) {
                None | Some("row") => true,
                Some("statement") => false,
                Some(o) => {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{o}` is not `row` or `statement`"),
                        )
                        .label(
                            &loc(
                                file,
                                tr.for_each
                                    .as_ref()
                                    .unwrap_or_else(|| unreachable!("matched Some")),
                            ),
                            "here",
                        )
                        .help("use `for_each = \"row\"` or `\"statement\"`"),
                    );
                    true
                }
            };
            let fq = self.qualify(&tr.function.value);
            if self.functions.contains_key(&fq) {
                if self.fn_returns.get(&fq).is_some_and(|r| r != "trigger") {
                    self.err(
                        Diagnostic::error(
                            "not-a-trigger-function",
                            format!(
                                "trigger `{n}` calls `{}`, which does not return `trigger`",
                                fq.name
                            ),
                        )
                        .label(&loc(file, &tr.function), "here")
                        .help(format!(
                            "declare `{}` with `returns = \"trigger\"`",
                            fq.name
                        )),
                    );
                }
            } else if !self.ir.project.external_functions.contains(&fq)
                && !self.raw_functions.contains_key(&fq)
            {
                let help =
                    match did_you_mean(&fq.name, self.functions.keys().map(|k| k.name.as_str())) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!(
                            "declare `[functions.{}]` with `returns = \"trigger\"`",
                            fq.name
                        ),
                    };
                self.err(
                    Diagnostic::error(
                        "unknown-function",
                        format!("trigger `{n}` calls `{}`, which is not declared", fq.name),
                    )
                    .label(&loc(file, &tr.function), "unknown function")
                    .help(help),
                );
            }
            let mut cond_deps = BTreeSet::new();
            // A trigger's `when` reads `new` and `old`, rows of its table.
            let row = row.clone();
            self.fragment_scope = FragmentScope::Relations(std::rc::Rc::new(vec![
                crate::ir::columns::ScopeRelation {
                    name: "new".into(),
                    ..row.clone()
                },
                crate::ir::columns::ScopeRelation {
                    name: "old".into(),
                    ..row
                },
            ]));
            let condition = tr.condition.as_ref().and_then(|c| {
                self.expr(
                    file,
                    c,
                    &format!("the `when` of trigger `{n}`"),
                    &mut cond_deps,
                )
            });
            triggers.push(Trigger {
                name: n,
                loc: loc(file, trname),
                timing,
                events,
                for_each_row,
                function: fq,
                condition,
            });
        }
        (policies, grants, revokes, triggers)
    }
}

/// The parts of a table's TOML that refer to other objects.
pub(super) struct TableObjects<'a> {
    pub policies: &'a IndexMap<Sp<String>, Sp<syntax::Policy>>,
    pub grants: &'a IndexMap<Sp<String>, Vec<Sp<String>>>,
    pub revokes: &'a IndexMap<Sp<String>, Vec<Sp<String>>>,
    pub triggers: &'a IndexMap<Sp<String>, Sp<syntax::Trigger>>,
}

impl Lowerer<'_> {
    /// Table `i` as a relation a fragment can read: its declared columns and those raw
    /// blocks add to it.
    pub(super) fn table_scope(
        &self,
        i: usize,
        enums: &BTreeMap<String, Vec<String>>,
    ) -> crate::ir::columns::ScopeRelation {
        let t = &self.ir.tables[i];
        let mut row = own_table(t, enums);
        if let (Some(cols), Some(added)) = (row.columns.as_mut(), self.raw_columns.get(&t.name)) {
            cols.extend(added.iter().map(|(c, _)| c.clone()));
        }
        row
    }
}

/// A table as a relation a fragment can read, with the values of its enum columns
/// (`enums`: enum type as written in a column, to its values).
pub(super) fn own_table(
    t: &Table,
    enums: &BTreeMap<String, Vec<String>>,
) -> crate::ir::columns::ScopeRelation {
    crate::ir::columns::ScopeRelation {
        name: t.name.name.clone(),
        columns: Some(t.columns.iter().map(|c| c.name.clone()).collect()),
        enums: t
            .columns
            .iter()
            .filter_map(|c| Some((c.name.clone(), enums.get(&c.ty)?.clone())))
            .collect(),
    }
}
