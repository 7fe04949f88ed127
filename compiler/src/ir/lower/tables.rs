//! Enums and tables: columns, keys, checks; the indexes and foreign keys are in
//! `indexes` and `foreign_keys`, what refers to other objects in `access`.

use super::*;

impl Lowerer<'_> {
    // ---------------------------------------------------------------- enums

    pub(super) fn enum_(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        e: &Sp<syntax::EnumDecl>,
    ) {
        let n = self.ident(file, name, "enum");
        let schema = self.schema_of(file, &e.schema);
        let mut seen = BTreeSet::new();
        if e.values.is_empty() {
            self.err(
                Diagnostic::error("empty-enum", format!("enum `{n}` has no values"))
                    .label(&loc(file, e), "no values")
                    .help("list its labels: `values = [\"a\", \"b\"]`"),
            );
        }
        for v in &e.values {
            if !seen.insert(v.value.clone()) {
                self.err(
                    Diagnostic::error(
                        "duplicate-enum-value",
                        format!("enum `{n}` lists `{}` twice", v.value),
                    )
                    .label(&loc(file, v), "repeated")
                    .help("remove the repeated label"),
                );
            }
            if v.value.is_empty() || v.value.len() > MAX_IDENT_BYTES {
                self.err(
                    Diagnostic::error(
                        "invalid-enum-value",
                        format!("enum label `{}` must be 1 to 63 bytes", v.value),
                    )
                    .label(&loc(file, v), "here")
                    .help("shorten the label"),
                );
            }
        }
        self.ir.enums.push(Enum {
            name: QName::new(schema, n),
            loc: loc(file, name),
            domain,
            values: e.values.iter().map(|v| v.value.clone()).collect(),
            comment: e.comment.as_ref().map(|c| c.value.clone()),
        });
    }

    // ---------------------------------------------------------------- tables

    pub(super) fn table(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        t: &Sp<syntax::Table>,
    ) -> Option<(Table, Vec<PendingFk>)> {
        let tn = self.ident(file, name, "table");
        let schema = self.schema_of(file, &t.schema);
        let tl = loc(file, name);
        let mut deps = BTreeSet::new();
        let mut columns = Vec::new();
        let mut pk_cols: Vec<(String, Loc)> = Vec::new();
        let mut uniques = Vec::new();
        let mut checks = Vec::new();
        let mut fks = Vec::new();
        if t.columns.is_empty() {
            self.err(
                Diagnostic::error("no-columns", format!("table `{tn}` has no columns"))
                    .label(&tl, "no columns")
                    .help(format!(
                        "add `[tables.{tn}.columns]` with at least one column"
                    )),
            );
        }
        // Checks, generated columns and index expressions read this table's columns.
        let enum_types = self.enum_types();
        let enums: Vec<(String, Vec<String>)> = t
            .columns
            .iter()
            .filter_map(|(k, c)| {
                Some((k.value.clone(), enum_types.get(c.ty.value.trim())?.clone()))
            })
            .collect();
        let own =
            FragmentScope::Relations(std::rc::Rc::new(vec![crate::ir::columns::ScopeRelation {
                name: tn.clone(),
                columns: Some(t.columns.keys().map(|k| k.value.clone()).collect()),
                enums: enums.clone(),
            }]));
        self.fragment_scope = own.clone();
        for (cname, c) in &t.columns {
            let cn = self.ident(file, cname, "column");
            let cl = loc(file, cname);
            let (ty, canonical_ty) = self
                .column_type(file, &c.ty, &mut deps, false)
                .unwrap_or_else(|| (c.ty.value.clone(), c.ty.value.clone()));
            let is_pk = c.primary_key.as_ref().is_some_and(|p| p.value);
            if is_pk {
                pk_cols.push((cn.clone(), cl.clone()));
            }
            // PostgreSQL refuses a default that reads a column.
            self.fragment_scope = FragmentScope::Relations(std::rc::Rc::new(Vec::new()));
            let default = c.default.as_ref().and_then(|d| {
                self.expr(file, d, &format!("the default of `{tn}.{cn}`"), &mut deps)
            });
            if let (Some(d), Some((_, values))) =
                (&c.default, enums.iter().find(|(n, _)| *n == cname.value))
            {
                self.check_enum_default(file, d, values, &format!("`{tn}.{cn}`"));
            }
            self.fragment_scope = own.clone();
            let generated = c.generated.as_ref().and_then(|g| {
                self.expr(
                    file,
                    g,
                    &format!("the generated column `{tn}.{cn}`"),
                    &mut deps,
                )
            });
            let identity = match &c.identity {
                None => None,
                Some(i) if i.value == "always" => Some(Identity::Always),
                Some(i) if i.value == "by_default" => Some(Identity::ByDefault),
                Some(i) => {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{}` is not an identity kind", i.value),
                        )
                        .label(&loc(file, i), "here")
                        .help("use `identity = \"always\"` or `\"by_default\"`"),
                    );
                    None
                }
            };
            let producers = [
                c.default.as_ref().map(|d| loc(file, d)),
                c.generated.as_ref().map(|d| loc(file, d)),
                c.identity.as_ref().map(|d| loc(file, d)),
            ];
            let set: Vec<&Loc> = producers.iter().flatten().collect();
            if set.len() > 1 {
                self.err(Diagnostic::error("conflicting-keys", format!("column `{tn}.{cn}` sets more than one of `default`, `generated`, `identity`")).label(set[1], "conflicts").label(set[0], "with this").help("keep only one of them"));
            }
            if let Some(ch) = &c.check {
                let name = match &c.check_name {
                    Some(n) => self.ident(file, n, "check constraint"),
                    None => self.derived_name(
                        format!("{tn}_{cn}_check"),
                        &loc(file, ch),
                        "check constraint",
                        "check_name",
                    ),
                };
                if let Some(e) =
                    self.expr(file, ch, &format!("the check of `{tn}.{cn}`"), &mut deps)
                {
                    checks.push(Check {
                        name,
                        expression: e,
                        loc: loc(file, ch),
                    });
                }
            } else if let Some(n) = &c.check_name {
                self.err(
                    Diagnostic::error("orphan-key", "`check_name` without `check`")
                        .label(&loc(file, n), "names no check")
                        .help("add `check = \"...\"` or remove `check_name`"),
                );
            }
            if c.unique.as_ref().is_some_and(|u| u.value) {
                let ul = loc(
                    file,
                    c.unique
                        .as_ref()
                        .unwrap_or_else(|| unreachable!("checked is_some above")),
                );
                let name = self.derived_name(
                    format!("{tn}_{cn}_key"),
                    &ul,
                    "unique constraint",
                    "name` in `[[tables.<t>.unique]]",
                );
                uniques.push(Unique {
                    name,
                    columns: vec![cn.clone()],
                    nulls_not_distinct: false,
                    loc: ul,
                });
            }
            match &c.references {
                Some(r) => {
                    let (target, col) = match r.value.rsplit_once('.') {
                        Some((t, c)) if !t.is_empty() && !c.is_empty() => {
                            (t.to_string(), c.to_string())
                        }
                        _ => {
                            self.err(Diagnostic::error("invalid-reference", format!("`{}` does not name a column", r.value)).label(&loc(file, r), "expected `table.column`").help("write `references = \"table.column\"` (or `\"schema.table.column\"`)"));
                            (String::new(), String::new())
                        }
                    };
                    if !target.is_empty() {
                        let name = match &c.fk_name {
                            Some(n) => self.ident(file, n, "foreign key"),
                            None => self.derived_name(
                                format!("{tn}_{cn}_fkey"),
                                &loc(file, r),
                                "foreign key",
                                "fk_name",
                            ),
                        };
                        let on_delete = self.fk_action(file, &c.on_delete);
                        let on_update = self.fk_action(file, &c.on_update);
                        let deferrable = self.deferrable(file, &c.deferrable);
                        fks.push(PendingFk {
                            name,
                            columns: vec![(cn.clone(), cl.clone())],
                            target: (target, loc(file, r)),
                            target_columns: vec![(col, loc(file, r))],
                            on_delete,
                            on_update,
                            deferrable,
                            loc: loc(file, r),
                        });
                    }
                }
                None => {
                    for (k, v) in [
                        ("on_delete", &c.on_delete),
                        ("on_update", &c.on_update),
                        ("deferrable", &c.deferrable),
                        ("fk_name", &c.fk_name),
                    ] {
                        if let Some(v) = v {
                            self.err(
                                Diagnostic::error(
                                    "orphan-key",
                                    format!("`{k}` without `references`"),
                                )
                                .label(&loc(file, v), "applies to no foreign key")
                                .help(format!(
                                    "add `references = \"table.column\"` or remove `{k}`"
                                )),
                            );
                        }
                    }
                }
            }
            let not_null =
                is_pk || c.not_null.as_ref().is_some_and(|n| n.value) || identity.is_some();
            let convert_using = c.using.as_ref().and_then(|u| {
                self.expr(
                    file,
                    u,
                    &format!("the `using` of `{tn}.{cn}`"),
                    &mut BTreeSet::new(),
                )
            });
            columns.push(Column {
                convert_using,
                name: cn,
                loc: cl,
                ty,
                canonical_ty,
                ty_loc: loc(file, &c.ty),
                not_null,
                default,
                generated,
                identity,
                comment: c.comment.as_ref().map(|s| s.value.clone()),
            });
        }

        let mut primary_key = None;
        if pk_cols.len() > 1 {
            self.err(
                Diagnostic::error(
                    "multiple-primary-keys",
                    format!(
                        "table `{tn}` marks {} columns `primary_key = true`",
                        pk_cols.len()
                    ),
                )
                .label(&pk_cols[1].1, "second primary-key column")
                .label(&pk_cols[0].1, "first")
                .help(format!(
                    "for a composite key write `[tables.{tn}.primary_key] columns = [{}]`",
                    pk_cols
                        .iter()
                        .map(|(c, _)| format!("\"{c}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        if let Some((c, l)) = pk_cols.first() {
            let name = self.derived_name(
                format!("{tn}_pkey"),
                l,
                "primary key",
                "name` in `[tables.<t>.primary_key]",
            );
            primary_key = Some(PrimaryKey {
                name,
                columns: vec![c.clone()],
                loc: l.clone(),
            });
        }
        if let Some(pk) = &t.primary_key {
            let pl = loc(file, pk);
            if primary_key.is_some() {
                self.err(
                    Diagnostic::error(
                        "multiple-primary-keys",
                        format!("table `{tn}` declares a primary key twice"),
                    )
                    .label(&pl, "composite key")
                    .help("remove `primary_key = true` from the column or this section"),
                );
            }
            let cols = self.column_list(file, &tn, &pk.columns, &t.columns, "the primary key");
            if cols.is_empty() {
                self.err(
                    Diagnostic::error("empty-column-list", "the primary key lists no columns")
                        .label(&pl, "here")
                        .help("list the key's columns: `columns = [\"a\", \"b\"]`"),
                );
            }
            let name = match &pk.name {
                Some(n) => self.ident(file, n, "primary key"),
                None => self.derived_name(format!("{tn}_pkey"), &pl, "primary key", "name"),
            };
            for (c, _) in &cols {
                if let Some(col) = columns.iter_mut().find(|x| &x.name == c) {
                    col.not_null = true;
                }
            }
            primary_key = Some(PrimaryKey {
                name,
                columns: cols.into_iter().map(|(c, _)| c).collect(),
                loc: pl,
            });
        }
        for u in &t.unique {
            let ul = loc(file, u);
            let cols = self.column_list(file, &tn, &u.columns, &t.columns, "the unique constraint");
            if cols.is_empty() {
                self.err(
                    Diagnostic::error(
                        "empty-column-list",
                        "the unique constraint lists no columns",
                    )
                    .label(&ul, "here")
                    .help("list its columns: `columns = [\"a\", \"b\"]`"),
                );
            }
            let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
            let name = match &u.name {
                Some(n) => self.ident(file, n, "unique constraint"),
                None => self.derived_name(
                    format!("{tn}_{}_key", names.join("_")),
                    &ul,
                    "unique constraint",
                    "name",
                ),
            };
            uniques.push(Unique {
                name,
                columns: names,
                nulls_not_distinct: u.nulls_not_distinct.as_ref().is_some_and(|b| b.value),
                loc: ul,
            });
        }
        for (cname, ch) in &t.checks {
            let name = self.ident(file, cname, "check constraint");
            if let Some(e) = self.expr(file, &ch.expression, &format!("check `{name}`"), &mut deps)
            {
                checks.push(Check {
                    name,
                    expression: e,
                    loc: loc(file, cname),
                });
            }
        }
        for fk in &t.foreign_keys {
            let fl = loc(file, fk);
            let cols = self.column_list(file, &tn, &fk.columns, &t.columns, "the foreign key");
            if cols.is_empty() {
                self.err(
                    Diagnostic::error("empty-column-list", "the foreign key lists no columns")
                        .label(&fl, "here")
                        .help("list its columns: `columns = [\"a\"]`"),
                );
            }
            if fk.referenced_columns.len() != fk.columns.len() {
                self.err(
                    Diagnostic::error(
                        "fk-column-count",
                        format!(
                            "the foreign key has {} columns but references {}",
                            fk.columns.len(),
                            fk.referenced_columns.len()
                        ),
                    )
                    .label(&fl, "here")
                    .help("list as many `referenced_columns` as `columns`, in matching order"),
                );
            }
            let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
            let name = match &fk.name {
                Some(n) => self.ident(file, n, "foreign key"),
                None => self.derived_name(
                    format!("{tn}_{}_fkey", names.join("_")),
                    &fl,
                    "foreign key",
                    "name",
                ),
            };
            let on_delete = self.fk_action(file, &fk.on_delete);
            let on_update = self.fk_action(file, &fk.on_update);
            let deferrable = self.deferrable(file, &fk.deferrable);
            fks.push(PendingFk {
                name,
                columns: cols,
                target: (fk.references.value.clone(), loc(file, &fk.references)),
                target_columns: fk
                    .referenced_columns
                    .iter()
                    .map(|c| (c.value.clone(), loc(file, c)))
                    .collect(),
                on_delete,
                on_update,
                deferrable,
                loc: fl,
            });
        }
        let names: Vec<&str> = t.columns.keys().map(|k| k.value.as_str()).collect();
        let indexes = self.indexes(file, &tn, &t.indexes, &names, &mut deps);
        let rls = t.rls.as_ref().is_none_or(|r| r.value);
        let rls_reason = t.rls_reason.as_ref().map(|r| r.value.trim().to_string());
        let force_rls = t.force_rls.as_ref().is_some_and(|f| f.value);
        if force_rls && !rls {
            if let Some(f) = &t.force_rls {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("table `{tn}` forces row-level security that is off"),
                    )
                    .label(&loc(file, f), "forces nothing")
                    .help("remove `force_rls`, or turn row-level security on"),
                );
            }
        }
        if rls {
            if let Some(r) = &t.rls_reason {
                self.err(
                    Diagnostic::warning(
                        "orphan-key",
                        format!("table `{tn}` has `rls_reason` but RLS is on"),
                    )
                    .label(&loc(file, r), "explains nothing")
                    .help("remove `rls_reason`, or set `rls = false`"),
                );
            }
        }
        self.fragment_scope = FragmentScope::Unchecked;
        let allow = self.exemptions(file, &t.allow);
        Some((
            Table {
                name: QName::new(schema, tn),
                loc: tl,
                domain,
                description: t.description.as_ref().map(|d| d.value.clone()),
                rls,
                rls_loc: t.rls.as_ref().map(|r| loc(file, r)),
                rls_reason,
                force_rls,
                service_role_only: t.service_role_only.as_ref().is_some_and(|s| s.value),
                sensitive: t.sensitive.as_ref().is_some_and(|s| s.value),
                columns,
                primary_key,
                uniques,
                checks,
                foreign_keys: Vec::new(),
                indexes,
                policies: Vec::new(),
                grants: Vec::new(),
                revokes: Vec::new(),
                triggers: Vec::new(),
                allow,
                deps,
            },
            fks,
        ))
    }

    pub(super) fn exemptions(
        &mut self,
        file: FileId,
        allow: &IndexMap<Sp<String>, Sp<String>>,
    ) -> Vec<Exemption> {
        let mut out = Vec::new();
        for (rule, reason) in allow {
            if reason.value.trim().is_empty() {
                self.err(
                    Diagnostic::error(
                        "exemption-without-reason",
                        format!("the exemption from `{}` gives no reason", rule.value),
                    )
                    .label(&loc(file, reason), "empty reason")
                    .help(
                        "say why the rule does not apply here, e.g. the decision and who made it",
                    ),
                );
            }
            out.push(Exemption {
                rule: rule.value.clone(),
                reason: reason.value.clone(),
                loc: loc(file, rule),
            });
        }
        out
    }
}
