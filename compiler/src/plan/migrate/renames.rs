//! Which declared renames apply between two states, and the statements that apply them (everything named after a table follows it).

use super::*;

/// Renames whose `from` is in the old state and whose `to` (possibly through a chain)
/// is in the new one.
pub(super) fn applicable_renames(
    old: &Snapshot,
    new: &Snapshot,
    declared: &[TableRename],
) -> Vec<AppliedRename> {
    let next: BTreeMap<&QName, &TableRename> = declared.iter().map(|r| (&r.from, r)).collect();
    let mut out = Vec::new();
    for t in &old.tables {
        if find(&new.tables, &t.name, |x| &x.name).is_some() {
            continue;
        }
        let mut cur = &t.name;
        let mut compat = false;
        let mut seen = BTreeSet::new();
        while let Some(r) = next.get(cur) {
            if !seen.insert(cur.clone()) {
                break;
            }
            compat |= r.compat_view;
            cur = &r.to;
            if find(&new.tables, cur, |x| &x.name).is_some()
                && find(&old.tables, cur, |x| &x.name).is_none()
            {
                out.push(AppliedRename {
                    from: t.name.clone(),
                    to: cur.clone(),
                    compat_view: compat,
                });
                break;
            }
        }
    }
    out
}

pub(super) fn renamed(name: &str, from: &str, to: &str) -> String {
    name.replace(from, to)
}

/// Applies renames to the old state (as PostgreSQL would) and returns the statements.
pub(super) fn apply_renames(
    old: &Snapshot,
    new: &Snapshot,
    renames: &[AppliedRename],
    col_renames: &[(QName, String, String)],
) -> (Snapshot, Vec<(String, Vec<String>)>) {
    let mut state = old.clone();
    let mut sections = Vec::new();
    for r in renames {
        let Some(t) = state.tables.iter_mut().find(|t| t.name == r.from) else {
            continue;
        };
        let Some(target) = find(&new.tables, &r.to, |x| &x.name) else {
            continue;
        };
        let mut stmts = vec![format!(
            "ALTER TABLE {} RENAME TO {};",
            quote_qname(&r.from),
            quote_ident(&r.to.name)
        )];
        t.name = r.to.clone();
        let (from, to) = (r.from.name.as_str(), r.to.name.as_str());
        let tq = quote_qname(&t.name);
        // Everything named after the table follows it.
        let has_constraint = |n: &str| {
            target.primary_key.iter().any(|p| p.name == n)
                || target.uniques.iter().any(|u| u.name == n)
                || target.checks.iter().any(|c| c.name == n)
                || target.foreign_keys.iter().any(|f| f.name == n)
        };
        let rename_constraint = |name: &mut String, stmts: &mut Vec<String>| {
            let n = renamed(name, from, to);
            if n != *name && has_constraint(&n) {
                stmts.push(format!(
                    "ALTER TABLE {tq} RENAME CONSTRAINT {} TO {};",
                    quote_ident(name),
                    quote_ident(&n)
                ));
                *name = n;
            }
        };
        if let Some(pk) = &mut t.primary_key {
            rename_constraint(&mut pk.name, &mut stmts);
        }
        for u in &mut t.uniques {
            rename_constraint(&mut u.name, &mut stmts);
        }
        for c in &mut t.checks {
            rename_constraint(&mut c.name, &mut stmts);
        }
        for f in &mut t.foreign_keys {
            rename_constraint(&mut f.name, &mut stmts);
        }
        for ix in &mut t.indexes {
            let n = renamed(&ix.name, from, to);
            if n != ix.name && target.indexes.iter().any(|x| x.name == n) {
                stmts.push(format!(
                    "ALTER INDEX {}.{} RENAME TO {};",
                    quote_ident(&t.name.schema),
                    quote_ident(&ix.name),
                    quote_ident(&n)
                ));
                ix.name = n;
            }
        }
        for p in &mut t.policies {
            let n = renamed(&p.name, from, to);
            if n != p.name && target.policies.iter().any(|x| x.name == n) {
                stmts.push(format!(
                    "ALTER POLICY {} ON {tq} RENAME TO {};",
                    quote_ident(&p.name),
                    quote_ident(&n)
                ));
                p.name = n;
            }
        }
        for tr in &mut t.triggers {
            let n = renamed(&tr.name, from, to);
            if n != tr.name && target.triggers.iter().any(|x| x.name == n) {
                stmts.push(format!(
                    "ALTER TRIGGER {} ON {tq} RENAME TO {};",
                    quote_ident(&tr.name),
                    quote_ident(&n)
                ));
                tr.name = n;
            }
        }
        for c in t.columns.iter().filter(|c| c.identity.is_some()) {
            let (old_seq, new_seq) = (
                format!("{from}_{}_seq", c.name),
                format!("{to}_{}_seq", c.name),
            );
            if old_seq.len() <= 63 && new_seq.len() <= 63 {
                stmts.push(format!(
                    "ALTER SEQUENCE {}.{} RENAME TO {};",
                    quote_ident(&t.name.schema),
                    quote_ident(&old_seq),
                    quote_ident(&new_seq)
                ));
            }
        }
        sections.push((
            format!("rename table {} to {}", r.from.name, r.to.name),
            stmts,
        ));
    }
    // Foreign keys of other tables follow the referenced table.
    let moved: BTreeMap<&QName, &QName> = renames.iter().map(|r| (&r.from, &r.to)).collect();
    for t in &mut state.tables {
        for fk in &mut t.foreign_keys {
            if let Some(to) = moved.get(&fk.target) {
                fk.target = (*to).clone();
            }
        }
    }
    state.tables.sort_by(|a, b| a.name.cmp(&b.name));
    for (table, from, to) in col_renames {
        let Some(t) = state.tables.iter_mut().find(|t| &t.name == table) else {
            continue;
        };
        let Some(c) = t.columns.iter_mut().find(|c| &c.name == from) else {
            continue;
        };
        c.name = to.clone();
        let rename = |v: &mut Vec<String>| {
            v.iter_mut()
                .filter(|x| *x == from)
                .for_each(|x| *x = to.clone())
        };
        if let Some(pk) = &mut t.primary_key {
            rename(&mut pk.columns);
        }
        for u in &mut t.uniques {
            rename(&mut u.columns);
        }
        for f in &mut t.foreign_keys {
            rename(&mut f.columns);
        }
        for ix in &mut t.indexes {
            for k in &mut ix.keys {
                if let crate::ir::IndexKey::Column(c) = k {
                    if c == from {
                        *c = to.clone();
                    }
                }
            }
        }
        let tname = t.name.clone();
        for other in &mut state.tables {
            for fk in other.foreign_keys.iter_mut().filter(|f| f.target == tname) {
                rename(&mut fk.target_columns);
            }
        }
        sections.push((
            format!("rename column {}.{from} to {to}", table.name),
            vec![format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {};",
                quote_qname(table),
                quote_ident(from),
                quote_ident(to)
            )],
        ));
    }
    (state, sections)
}

/// Tables and columns dropped while others with the same shape are added: most likely
/// renames the TOML does not declare, refused unless the drop is acknowledged.
pub(super) fn undeclared_renames(
    old_ir: &crate::ir::Ir,
    new: &Snapshot,
    accepted: &[AcceptedLoss],
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let cols = |t: &Table| {
        t.columns
            .iter()
            .map(|c| (c.name.clone(), c.canonical_ty.clone()))
            .collect::<Vec<_>>()
    };
    for t in old_ir
        .tables
        .iter()
        .filter(|t| find(&new.tables, &t.name, |x| &x.name).is_none())
    {
        for n in new
            .tables
            .iter()
            .filter(|n| find(&old_ir.tables, &n.name, |x| &x.name).is_none())
        {
            let acked = accepted
                .iter()
                .any(|a| a.change == "drop_table" && a.object == t.name.name);
            if cols(t) == cols(n) && !acked {
                problems.push(
                    Diagnostic::error("likely-undeclared-rename", format!("`{}` is dropped and `{}` is added with the same columns: this looks like a rename", t.name.name, n.name.name))
                        .help(format!("declare it so the data is kept:\n[renames.tables.{}]\nto = \"{}\"\nreason = \"...\"\nor, to really drop `{}`, acknowledge it with [[accept_data_loss]] change = \"drop_table\", object = \"{}\"", t.name.name, n.name.name, t.name.name, t.name.name)),
                );
            }
        }
    }
    for t in &old_ir.tables {
        let Some(n) = find(&new.tables, &t.name, |x| &x.name) else {
            continue;
        };
        for c in t.columns.iter().filter(|c| n.column(&c.name).is_none()) {
            for a in n
                .columns
                .iter()
                .filter(|a| t.column(&a.name).is_none() && a.canonical_ty == c.canonical_ty)
            {
                let object = format!("{}.{}", t.name.name, c.name);
                if !accepted
                    .iter()
                    .any(|x| x.change == "drop_column" && x.object == object)
                {
                    problems.push(
                        Diagnostic::error("likely-undeclared-rename", format!("column `{object}` is dropped and `{}` of the same type is added: this looks like a rename", a.name))
                            .help(format!("declare it so the data is kept:\n[[renames.columns]]\ntable = \"{}\"\nfrom = \"{}\"\nto = \"{}\"\nreason = \"...\"\nor acknowledge the drop with [[accept_data_loss]] change = \"drop_column\", object = \"{object}\"", t.name.name, c.name, a.name)),
                    );
                }
            }
        }
    }
    problems
}
