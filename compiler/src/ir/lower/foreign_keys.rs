//! Foreign keys: resolved once every table's columns are known.

use super::*;

impl Lowerer<'_> {
    pub(super) fn fk_action(&mut self, file: FileId, v: &Option<Sp<String>>) -> FkAction {
        let Some(v) = v else {
            return FkAction::NoAction;
        };
        match v.value.to_lowercase().replace(' ', "_").as_str() {
            "cascade" => FkAction::Cascade,
            "restrict" => FkAction::Restrict,
            "set_null" => FkAction::SetNull,
            "set_default" => FkAction::SetDefault,
            "no_action" => FkAction::NoAction,
            _ => {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a foreign-key action", v.value),
                    )
                    .label(&loc(file, v), "unknown action")
                    .help(
                        "use one of `cascade`, `restrict`, `set_null`, `set_default`, `no_action`",
                    ),
                );
                FkAction::NoAction
            }
        }
    }

    pub(super) fn deferrable(
        &mut self,
        file: FileId,
        v: &Option<Sp<String>>,
    ) -> Option<Deferrable> {
        let v = v.as_ref()?;
        match v.value.as_str() {
            "immediate" => Some(Deferrable::InitiallyImmediate),
            "deferred" => Some(Deferrable::InitiallyDeferred),
            _ => {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a deferrable mode", v.value),
                    )
                    .label(&loc(file, v), "here")
                    .help("use `deferrable = \"immediate\"` or `\"deferred\"` (initially)"),
                );
                None
            }
        }
    }

    pub(super) fn foreign_key(&mut self, table_idx: usize, fk: PendingFk) {
        let (target_text, tl) = fk.target.clone();
        let target = self.qualify(&target_text);
        let this = self.ir.tables[table_idx].name.clone();
        let target_cols: Option<BTreeMap<String, String>> =
            if let Some(t) = self.table_index.get(&target).map(|&i| &self.ir.tables[i]) {
                Some(
                    t.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.canonical_ty.clone()))
                        .collect(),
                )
            } else {
                self.ir
                    .project
                    .external_tables
                    .get(&target)
                    .map(|e| e.columns.clone())
            };
        let in_project = self.table_index.contains_key(&target);
        let Some(target_cols) = target_cols else {
            let help = match did_you_mean(
                &target.name,
                self.ir.tables.iter().map(|t| t.name.name.as_str()),
            ) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "declare table `{}`, or list it under `[external.tables]` in schemac.toml",
                    target.name
                ),
            };
            let what = if self
                .relations
                .get(&target)
                .is_some_and(|(k, _)| *k == ObjKind::View)
            {
                "a view, not a table"
            } else {
                "not declared"
            };
            self.err(
                Diagnostic::error(
                    "unknown-table",
                    format!(
                        "foreign key `{}` references `{target}`, which is {what}",
                        fk.name
                    ),
                )
                .label(&tl, "unknown table")
                .help(help),
            );
            return;
        };
        let mut ok = true;
        for ((col, cl), (tc, tcl)) in fk.columns.iter().zip(&fk.target_columns) {
            let Some(tty) = target_cols.get(tc) else {
                let help = match did_you_mean(tc, target_cols.keys().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("reference a column of `{target}`"),
                };
                self.err(Diagnostic::error("unknown-column", format!("foreign key `{}` references column `{tc}`, which `{target}` does not have", fk.name)).label(tcl, "unknown column").help(help));
                ok = false;
                continue;
            };
            let Some(own) = self.ir.tables[table_idx]
                .column(col)
                .map(|c| (c.canonical_ty.clone(), c.ty_loc.clone()))
            else {
                continue;
            };
            if &own.0 != tty {
                self.err(
                    Diagnostic::error(
                        "fk-type-mismatch",
                        format!(
                            "`{}.{col}` is `{}` but references `{target}.{tc}` of type `{tty}`",
                            this.name, own.0
                        ),
                    )
                    .label(cl, "referencing column")
                    .label(tcl, format!("references a `{tty}`"))
                    .help(format!(
                        "make both columns the same type (change `{col}` to `{tty}`)"
                    )),
                );
                ok = false;
            }
        }
        let target_col_names: Vec<String> =
            fk.target_columns.iter().map(|(c, _)| c.clone()).collect();
        if ok && in_project {
            let t = &self.ir.tables[self.table_index[&target]];
            let mut keyed = t
                .primary_key
                .iter()
                .map(|p| &p.columns)
                .chain(t.uniques.iter().map(|u| &u.columns));
            if !keyed.any(|k| sorted(k) == sorted(&target_col_names)) {
                self.err(
                    Diagnostic::error("fk-target-not-unique", format!("foreign key `{}` references `{target}`({}), which is neither its primary key nor unique", fk.name, target_col_names.join(", ")))
                        .label(&tl, "referenced here")
                        .help(format!("reference `{target}`'s primary key, or declare a unique constraint on ({})", target_col_names.join(", "))),
                );
            }
        }
        if in_project && target != this {
            self.ir.tables[table_idx].deps.insert(ObjRef {
                kind: ObjKind::Table,
                name: target.clone(),
            });
        }
        self.ir.tables[table_idx].foreign_keys.push(ForeignKey {
            name: fk.name,
            columns: fk.columns.into_iter().map(|(c, _)| c).collect(),
            target,
            target_in_project: in_project,
            target_columns: target_col_names,
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            deferrable: fk.deferrable,
            loc: fk.loc,
        });
    }
}
