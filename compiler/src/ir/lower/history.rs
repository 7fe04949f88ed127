//! Acknowledged data loss, renames, and the checks across the whole project.

use super::*;

impl Lowerer<'_> {
    // ---------------------------------------------------------------- data loss

    pub(super) fn accept_loss(&mut self, file: FileId, a: &Sp<syntax::AcceptDataLoss>) {
        const CHANGES: [&str; 5] = [
            "drop_table",
            "drop_column",
            "change_type",
            "drop_enum_value",
            "add_not_null_column",
        ];
        if !CHANGES.contains(&a.change.as_str()) {
            self.err(
                Diagnostic::error(
                    "invalid-value",
                    format!("`{}` is not a kind of data-losing change", a.change.value),
                )
                .label(&loc(file, &a.change), "unknown change")
                .help(format!(
                    "use one of {}",
                    CHANGES.map(|c| format!("`{c}`")).join(", ")
                )),
            );
        }
        if a.reason.value.trim().is_empty() {
            self.err(
                Diagnostic::error(
                    "accept-loss-without-reason",
                    "accepting data loss needs a reason",
                )
                .label(&loc(file, &a.reason), "empty")
                .help("say why losing this data is acceptable"),
            );
        }
        self.ir.accepted_losses.push(AcceptedLoss {
            change: a.change.value.clone(),
            object: a.object.value.clone(),
            reason: a.reason.value.clone(),
            loc: loc(file, a),
        });
    }

    // ---------------------------------------------------------------- renames

    pub(super) fn renames(&mut self, file: FileId, domain: DomainId, r: &Sp<syntax::Renames>) {
        for (from, tr) in &r.tables {
            let from_name = self.ident(file, from, "table");
            let to_name = self.ident(file, &tr.to, "table");
            let fq = self.qualify(&from_name);
            let tq = self.qualify(&to_name);
            if let Some((kind, l)) = self.relations.get(&fq).cloned().filter(|_| fq != tq) {
                self.err(
                    Diagnostic::error("rename-source-exists", format!("`{}` is renamed to `{}`, but a {kind} named `{}` is still declared", fq.name, tq.name, fq.name))
                        .label(&loc(file, from), "old name")
                        .label(&l, "still declared here")
                        .help(format!("remove the old declaration (its columns now live in `{}`), or remove the rename", tq.name)),
                );
            }
            if fq == tq {
                self.err(
                    Diagnostic::error(
                        "rename-to-itself",
                        format!("`{}` is renamed to itself", fq.name),
                    )
                    .label(&loc(file, &tr.to), "same name")
                    .help("remove the rename"),
                );
            }
            if tr.reason.value.trim().is_empty() {
                self.err(
                    Diagnostic::error(
                        "rename-without-reason",
                        format!("the rename of `{}` gives no reason", fq.name),
                    )
                    .label(&loc(file, &tr.reason), "empty")
                    .help("say why the table was renamed"),
                );
            }
            if !self.renamed_tables.insert(fq.clone()) {
                self.err(
                    Diagnostic::error(
                        "duplicate-rename",
                        format!("`{}` is renamed twice", fq.name),
                    )
                    .label(&loc(file, from), "renamed again here")
                    .help("keep one rename per old name"),
                );
                continue;
            }
            self.ir.table_renames.push(TableRename {
                from: fq,
                to: tq,
                reason: tr.reason.value.clone(),
                compat_view: tr.compat_view.as_ref().is_some_and(|c| c.value),
                loc: loc(file, from),
                to_loc: loc(file, &tr.to),
                domain,
            });
        }
        for cr in &r.columns {
            let tq = self.qualify(&cr.table.value);
            let from = self.ident(file, &cr.from, "column");
            let to = self.ident(file, &cr.to, "column");
            let table = self.table_index.get(&tq).map(|&i| &self.ir.tables[i]);
            // What the checks below need from the table (the lookup is by index: a
            // project may declare thousands of renames).
            let table = table.map(|t| {
                (
                    t.column(&to).is_some(),
                    t.column(&from).map(|c| c.loc.clone()),
                )
            });
            match table {
                None => self.err(
                    Diagnostic::error(
                        "unknown-table",
                        format!(
                            "column rename names table `{}`, which is not declared",
                            cr.table.value
                        ),
                    )
                    .label(&loc(file, &cr.table), "unknown table")
                    .help("name the table by its current name"),
                ),
                Some((has_to, from_loc)) => {
                    if !has_to {
                        self.err(
                            Diagnostic::error(
                                "unknown-column",
                                format!(
                                    "column rename targets `{}.{to}`, which is not declared",
                                    tq.name
                                ),
                            )
                            .label(&loc(file, &cr.to), "unknown column")
                            .help(format!("declare column `{to}` in `{}`", tq.name)),
                        );
                    }
                    if let Some(cl) = from_loc {
                        self.err(
                            Diagnostic::error(
                                "rename-source-exists",
                                format!(
                                    "column `{from}` is renamed to `{to}` but is still declared"
                                ),
                            )
                            .label(&loc(file, &cr.from), "old name")
                            .label(&cl, "still declared here")
                            .help("remove the old column"),
                        );
                    }
                }
            }
            if cr.reason.value.trim().is_empty() {
                self.err(
                    Diagnostic::error(
                        "rename-without-reason",
                        format!("the rename of column `{from}` gives no reason"),
                    )
                    .label(&loc(file, &cr.reason), "empty")
                    .help("say why the column was renamed"),
                );
            }
            self.ir.column_renames.push(ColumnRename {
                table: tq,
                from,
                to,
                reason: cr.reason.value.clone(),
                loc: loc(file, cr),
            });
        }
    }

    /// Each rename chain (`a -> b`, `b -> c`) must end in a declared table, without loops.
    ///
    /// Every old name leads to exactly one next name, so the renames form a functional
    /// graph: each chain is walked once and its end shared by every name on it, which
    /// keeps the check linear (times a log) in the number of renames, however they chain.
    pub(super) fn check_rename_chains(&mut self) {
        let next: BTreeMap<&QName, &QName> = self
            .ir
            .table_renames
            .iter()
            .filter(|r| r.from != r.to)
            .map(|r| (&r.from, &r.to))
            .collect();
        // Where each old name's chain ends; `None` when it runs into a loop.
        let mut end: BTreeMap<&QName, Option<&QName>> = BTreeMap::new();
        let mut loops: Vec<Vec<&QName>> = Vec::new();
        for start in next.keys() {
            let mut path: Vec<&QName> = Vec::new();
            let mut on_path: BTreeMap<&QName, usize> = BTreeMap::new();
            let mut cur: &QName = start;
            let result = loop {
                if let Some(known) = end.get(cur) {
                    break *known;
                }
                if let Some(&at) = on_path.get(cur) {
                    loops.push(path[at..].to_vec());
                    break None;
                }
                match next.get(cur) {
                    Some(n) => {
                        on_path.insert(cur, path.len());
                        path.push(cur);
                        cur = n;
                    }
                    None => break Some(cur),
                }
            };
            for q in path {
                end.insert(q, result);
            }
        }
        let mut problems = Vec::new();
        for mut members in loops {
            // Reported once, starting at its smallest member, as the rename of that member.
            let first = (0..members.len()).min_by_key(|i| members[*i]).unwrap_or(0);
            members.rotate_left(first);
            let names = members
                .iter()
                .map(|q| format!("`{}`", q.name))
                .collect::<Vec<_>>()
                .join(" -> ");
            if let Some(r) = self.ir.table_renames.iter().find(|r| r.from == *members[0]) {
                problems.push(
                    Diagnostic::error(
                        "rename-cycle",
                        format!("the renames {names} -> `{}` form a loop", members[0].name),
                    )
                    .label(&r.loc, "this rename leads back to itself")
                    .help("remove one rename of the loop"),
                );
            }
        }
        let tables: Vec<&str> = self
            .ir
            .tables
            .iter()
            .map(|t| t.name.name.as_str())
            .collect();
        for r in self.ir.table_renames.iter().filter(|r| r.from != r.to) {
            let Some(Some(cur)) = end.get(&r.from) else {
                continue;
            };
            if self
                .relations
                .get(*cur)
                .is_some_and(|(k, _)| *k == ObjKind::Table)
            {
                continue;
            }
            let help = match did_you_mean(&cur.name, tables.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "declare table `{}`, or rename to a declared table",
                    cur.name
                ),
            };
            problems.push(
                Diagnostic::error(
                    "rename-target-missing",
                    format!(
                        "`{}` is renamed to `{}`, which is not a declared table",
                        r.from.name, cur.name
                    ),
                )
                .label(&r.to_loc, "not declared")
                .help(help),
            );
        }
        for d in problems {
            self.err(d);
        }
    }

    /// Indexes and index-backed constraints share the relation namespace of their
    /// schema; constraint names must be unique per table.
    pub(super) fn check_relation_namespace(&mut self) {
        let mut seen: BTreeMap<QName, Loc> = self
            .relations
            .iter()
            .map(|(q, (_, l))| (q.clone(), l.clone()))
            .collect();
        let mut problems = Vec::new();
        for t in &self.ir.tables {
            let mut names: Vec<(&str, &Loc, bool)> = Vec::new();
            if let Some(pk) = &t.primary_key {
                names.push((&pk.name, &pk.loc, true));
            }
            for u in &t.uniques {
                names.push((&u.name, &u.loc, true));
            }
            for i in &t.indexes {
                names.push((&i.name, &i.loc, true));
            }
            // Constraint names are unique per table, whatever their kind.
            let mut constraint_names: BTreeMap<&str, &Loc> = BTreeMap::new();
            let all = t
                .primary_key
                .iter()
                .map(|p| (&p.name, &p.loc))
                .chain(t.uniques.iter().map(|u| (&u.name, &u.loc)))
                .chain(t.checks.iter().map(|c| (&c.name, &c.loc)))
                .chain(t.foreign_keys.iter().map(|f| (&f.name, &f.loc)));
            for (n, l) in all {
                if let Some(prev) = constraint_names.insert(n, l) {
                    problems.push((n.clone(), l.clone(), prev.clone()));
                }
            }
            for (n, l, relation) in names {
                if n.is_empty() {
                    continue;
                }
                if relation {
                    let q = QName::new(t.name.schema.clone(), n);
                    if let Some(prev) = seen.get(&q) {
                        problems.push((n.to_string(), l.clone(), prev.clone()));
                    } else {
                        seen.insert(q, l.clone());
                    }
                }
            }
        }
        for o in &self.ir.on_external {
            for i in o.indexes.iter().filter(|i| !i.name.is_empty()) {
                let q = QName::new(o.table.schema.clone(), i.name.clone());
                if let Some(prev) = seen.get(&q) {
                    problems.push((i.name.clone(), i.loc.clone(), prev.clone()));
                } else {
                    seen.insert(q, i.loc.clone());
                }
            }
        }
        for (n, l, prev) in problems {
            self.err(
                Diagnostic::error("duplicate-name", format!("the name `{n}` is used twice"))
                    .label(&l, "used again here")
                    .label(&prev, "first used here")
                    .help("constraint names are unique per table, and indexes, key constraints, tables and views share one namespace per schema; give one of them another `name`"),
            );
        }
    }
}
