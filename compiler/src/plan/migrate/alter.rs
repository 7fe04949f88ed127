//! Altering objects that exist in both states: tables, enums, policies, functions; compatibility views.

use super::*;

pub(super) fn same_view(a: &View, b: &View) -> bool {
    a.query == b.query
        && a.security_invoker == b.security_invoker
        && a.security_barrier == b.security_barrier
        && a.check_option == b.check_option
        && a.materialized == b.materialized
}

pub(super) fn same_policy(a: &Policy, b: &Policy) -> bool {
    let roles = |p: &Policy| p.roles.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>();
    a.command == b.command
        && a.permissive == b.permissive
        && roles(a) == roles(b)
        && a.using.as_ref().map(|x| &x.0) == b.using.as_ref().map(|x| &x.0)
        && a.with_check.as_ref().map(|x| &x.0) == b.with_check.as_ref().map(|x| &x.0)
        && a.comment == b.comment
}

pub(super) fn alter_policy(table: &QName, p: &Policy) -> Vec<String> {
    let roles = if p.roles.is_empty() {
        "PUBLIC".to_string()
    } else {
        p.roles
            .iter()
            .map(|(r, _)| quote_role(r))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "ALTER POLICY {} ON {}\n    TO {roles}",
        quote_ident(&p.name),
        quote_qname(table)
    );
    if let Some((u, _)) = &p.using {
        s.push_str(&format!("\n    USING ({u})"));
    }
    if let Some((w, _)) = &p.with_check {
        s.push_str(&format!("\n    WITH CHECK ({w})"));
    }
    s.push(';');
    let mut out = vec![s];
    out.push(format!(
        "COMMENT ON POLICY {} ON {} IS {};",
        quote_ident(&p.name),
        quote_qname(table),
        p.comment
            .as_deref()
            .map_or("NULL".to_string(), quote_literal)
    ));
    out
}

/// `CREATE OR REPLACE FUNCTION` keeps the signature, return type and language.
pub(super) fn replaceable(a: &Function, b: &Function) -> bool {
    a.arg_types() == b.arg_types()
        && a.returns == b.returns
        && a.language == b.language
        && a.arguments
            .iter()
            .map(|x| &x.name)
            .eq(b.arguments.iter().map(|x| &x.name))
}

pub(super) fn comment_stmt(object: &str, text: &Option<String>) -> String {
    format!(
        "COMMENT ON {object} IS {};",
        text.as_deref().map_or("NULL".to_string(), quote_literal)
    )
}

pub(super) fn alter_enum(p: &mut Planner, old: &Enum, new: &Enum, new_state: &Snapshot) {
    let mut stmts = Vec::new();
    let removed: Vec<&String> = old
        .values
        .iter()
        .filter(|v| !new.values.contains(v))
        .collect();
    // Kept values in a different order need the type recreated, like removals.
    let kept_old: Vec<&String> = old
        .values
        .iter()
        .filter(|v| new.values.contains(v))
        .collect();
    let kept_new: Vec<&String> = new
        .values
        .iter()
        .filter(|v| old.values.contains(v))
        .collect();
    let reordered = kept_old != kept_new;
    if old.comment != new.comment && !reordered && removed.is_empty() {
        stmts.push(comment_stmt(
            &format!("TYPE {}", quote_qname(&new.name)),
            &new.comment,
        ));
    }
    if removed.is_empty() && !reordered {
        for (i, v) in new.values.iter().enumerate() {
            if old.values.contains(v) {
                continue;
            }
            // Place it explicitly: before the next kept value, or after the previous one.
            let pos = match new.values[i + 1..].iter().find(|x| old.values.contains(x)) {
                Some(next) => format!(" BEFORE {}", quote_literal(next)),
                None => match new.values[..i].iter().next_back() {
                    Some(prev) => format!(" AFTER {}", quote_literal(prev)),
                    None => String::new(),
                },
            };
            p.script.pre.push(format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{pos};",
                quote_qname(&new.name),
                quote_literal(v)
            ));
        }
    } else {
        for v in &removed {
            p.loss(
                "drop_enum_value",
                &format!("{}.{v}", new.name.name),
                format!(
                    "remove value `{v}` from enum `{}` (rows holding it fail to convert)",
                    new.name.name
                ),
            );
        }
        // Recreate the type and convert every column that uses it.
        let tmp = QName::new(
            new.name.schema.clone(),
            format!("{}__schemac_old", new.name.name),
        );
        stmts.push(format!(
            "ALTER TYPE {} RENAME TO {};",
            quote_qname(&new.name),
            quote_ident(&tmp.name)
        ));
        stmts.extend(create_enum(new));
        let typ = quote_qname(&new.name);
        for t in &new_state.tables {
            for c in t
                .columns
                .iter()
                .filter(|c| c.canonical_ty.trim_end_matches("[]") == new.name.to_string())
            {
                let tq = quote_qname(&t.name);
                if c.default.is_some() {
                    stmts.push(format!(
                        "ALTER TABLE {tq} ALTER COLUMN {} DROP DEFAULT;",
                        quote_ident(&c.name)
                    ));
                }
                stmts.push(format!(
                    "ALTER TABLE {tq} ALTER COLUMN {} TYPE {} USING {}::text::{typ};",
                    quote_ident(&c.name),
                    c.ty,
                    quote_ident(&c.name)
                ));
                if let Some(d) = &c.default {
                    stmts.push(format!(
                        "ALTER TABLE {tq} ALTER COLUMN {} SET DEFAULT {d};",
                        quote_ident(&c.name)
                    ));
                }
            }
        }
        stmts.push(format!("DROP TYPE {};", quote_qname(&tmp)));
    }
    p.script.push(format!("alter enum {}", new.name), stmts);
}

pub(super) fn alter_table(p: &mut Planner, o: &Table, t: &Table, validate: &mut Vec<String>) {
    let tq = quote_qname(&t.name);
    let mut s = Vec::new();
    // Constraints that go away or change.
    for fk in &o.foreign_keys {
        if t.foreign_keys.iter().find(|x| x.name == fk.name) != Some(fk) {
            s.push(format!(
                "ALTER TABLE {tq} DROP CONSTRAINT {};",
                quote_ident(&fk.name)
            ));
        }
    }
    for c in &o.checks {
        if t.checks.iter().find(|x| x.name == c.name) != Some(c) {
            s.push(format!(
                "ALTER TABLE {tq} DROP CONSTRAINT {};",
                quote_ident(&c.name)
            ));
        }
    }
    for u in &o.uniques {
        if t.uniques.iter().find(|x| x.name == u.name) != Some(u) {
            s.push(format!(
                "ALTER TABLE {tq} DROP CONSTRAINT {};",
                quote_ident(&u.name)
            ));
        }
    }
    if o.primary_key != t.primary_key {
        if let Some(pk) = &o.primary_key {
            s.push(format!(
                "ALTER TABLE {tq} DROP CONSTRAINT {};",
                quote_ident(&pk.name)
            ));
        }
    }
    for ix in &o.indexes {
        if t.indexes.iter().find(|x| x.name == ix.name) != Some(ix) {
            s.push(format!(
                "DROP INDEX {}.{};",
                quote_ident(&t.name.schema),
                quote_ident(&ix.name)
            ));
        }
    }
    // Columns.
    for c in &o.columns {
        if t.column(&c.name).is_none() {
            p.loss(
                "drop_column",
                &format!("{}.{}", t.name.name, c.name),
                format!("drop column `{}.{}` and its values", t.name.name, c.name),
            );
            s.push(format!(
                "ALTER TABLE {tq} DROP COLUMN {};",
                quote_ident(&c.name)
            ));
        }
    }
    for c in &t.columns {
        let col = quote_ident(&c.name);
        match o.column(&c.name) {
            None => {
                if c.not_null
                    && c.default.is_none()
                    && c.identity.is_none()
                    && c.generated.is_none()
                {
                    p.loss("add_not_null_column", &format!("{}.{}", t.name.name, c.name), format!("add NOT NULL column `{}.{}` without a default (fails if the table has rows)", t.name.name, c.name));
                }
                s.push(format!("ALTER TABLE {tq} ADD COLUMN {};", column_def(c)));
            }
            Some(oc) => {
                if oc.canonical_ty != c.canonical_ty {
                    if !is_widening(&oc.canonical_ty, &c.canonical_ty) {
                        p.loss(
                            "change_type",
                            &format!("{}.{}", t.name.name, c.name),
                            format!(
                                "change `{}.{}` from `{}` to `{}` (values may not convert)",
                                t.name.name, c.name, oc.ty, c.ty
                            ),
                        );
                    }
                    let using = match (&c.convert_using, p.forward) {
                        (Some(u), true) => format!(" USING {u}"),
                        _ => format!(" USING {col}::{}", c.ty),
                    };
                    if oc.default.is_some() {
                        s.push(format!("ALTER TABLE {tq} ALTER COLUMN {col} DROP DEFAULT;"));
                    }
                    s.push(format!(
                        "ALTER TABLE {tq} ALTER COLUMN {col} TYPE {}{using};",
                        c.ty
                    ));
                    if let Some(d) = &c.default {
                        s.push(format!(
                            "ALTER TABLE {tq} ALTER COLUMN {col} SET DEFAULT {d};"
                        ));
                    }
                } else if oc.default != c.default {
                    match &c.default {
                        Some(d) => s.push(format!(
                            "ALTER TABLE {tq} ALTER COLUMN {col} SET DEFAULT {d};"
                        )),
                        None => {
                            s.push(format!("ALTER TABLE {tq} ALTER COLUMN {col} DROP DEFAULT;"))
                        }
                    }
                }
                if oc.not_null != c.not_null && c.identity.is_none() {
                    s.push(format!(
                        "ALTER TABLE {tq} ALTER COLUMN {col} {} NOT NULL;",
                        if c.not_null { "SET" } else { "DROP" }
                    ));
                }
                if oc.identity != c.identity || oc.generated != c.generated {
                    p.problems.push(Diagnostic::error("unsupported-change", format!("changing identity or generated expression of `{}.{}` is not supported", t.name.name, c.name)).help("add a new column, copy the data with raw SQL, then drop the old one"));
                }
                if oc.comment != c.comment {
                    s.push(comment_stmt(&format!("COLUMN {tq}.{col}"), &c.comment));
                }
            }
        }
    }
    // Constraints that are new or changed.
    if o.primary_key != t.primary_key {
        if let Some(pk) = &t.primary_key {
            s.push(format!("ALTER TABLE {tq} ADD {};", primary_key_clause(pk)));
        }
    }
    for u in &t.uniques {
        if o.uniques.iter().find(|x| x.name == u.name) != Some(u) {
            s.push(format!("ALTER TABLE {tq} ADD {};", unique_clause(u)));
        }
    }
    for c in &t.checks {
        if o.checks.iter().find(|x| x.name == c.name) != Some(c) {
            s.push(format!(
                "ALTER TABLE {tq} ADD {} NOT VALID;",
                check_clause(c)
            ));
            validate.push(format!(
                "ALTER TABLE {tq} VALIDATE CONSTRAINT {};",
                quote_ident(&c.name)
            ));
        }
    }
    for fk in &t.foreign_keys {
        if o.foreign_keys.iter().find(|x| x.name == fk.name) != Some(fk) {
            s.push(format!(
                "ALTER TABLE {tq} ADD {} NOT VALID;",
                foreign_key_clause(fk)
            ));
            validate.push(format!(
                "ALTER TABLE {tq} VALIDATE CONSTRAINT {};",
                quote_ident(&fk.name)
            ));
        }
    }
    for ix in &t.indexes {
        if o.indexes.iter().find(|x| x.name == ix.name) != Some(ix) {
            p.script
                .concurrent
                .push(concurrently(&create_index(&t.name, ix)));
        }
    }
    if o.rls != t.rls {
        s.push(format!(
            "ALTER TABLE {tq} {} ROW LEVEL SECURITY;",
            if t.rls { "ENABLE" } else { "DISABLE" }
        ));
    }
    if o.force_rls != t.force_rls {
        s.push(format!(
            "ALTER TABLE {tq} {} ROW LEVEL SECURITY;",
            if t.force_rls { "FORCE" } else { "NO FORCE" }
        ));
    }
    s.extend(grant_changes(
        &tq,
        (&o.grants, &o.revokes),
        (&t.grants, &t.revokes),
    ));
    if o.description != t.description {
        s.push(comment_stmt(&format!("TABLE {tq}"), &t.description));
    }
    p.script.push(format!("alter table {}", t.name), s);
}

pub(super) fn concurrently(create_index: &str) -> String {
    // IF NOT EXISTS: the part can be run again after a failure part way through.
    if let Some(rest) = create_index.strip_prefix("CREATE UNIQUE INDEX ") {
        format!("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {rest}")
    } else if let Some(rest) = create_index.strip_prefix("CREATE INDEX ") {
        format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {rest}")
    } else {
        create_index.to_string()
    }
}

/// The old table name as a view over the renamed table, so old code keeps working:
/// columns renamed in the same migration keep their old names, the table's grants and
/// column defaults are repeated (views do not inherit them), `security_invoker` makes
/// RLS apply to the caller, and the view stays simple enough to be auto-updatable.
pub(super) fn compat_view(
    from: &QName,
    t: &Table,
    col_renames: &[(QName, String, String)],
) -> Vec<String> {
    let vq = quote_qname(from);
    let old_name = |c: &str| {
        col_renames
            .iter()
            .find(|(tq, _, to)| tq == &t.name && to == c)
            .map(|(_, f, _)| f.clone())
    };
    let has_renamed = t.columns.iter().any(|c| old_name(&c.name).is_some());
    let select = if has_renamed {
        let cols = t
            .columns
            .iter()
            .map(|c| match old_name(&c.name) {
                Some(o) => format!("{} AS {}", quote_ident(&c.name), quote_ident(&o)),
                None => quote_ident(&c.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!("SELECT {cols} FROM {}", quote_qname(&t.name))
    } else {
        format!("SELECT * FROM {}", quote_qname(&t.name))
    };
    let mut out = vec![format!(
        "CREATE VIEW {vq} WITH (security_invoker = true) AS\n{select};"
    )];
    out.extend(privileges(&vq, &t.grants, &t.revokes));
    for c in t.columns.iter().filter(|c| c.default.is_some()) {
        let name = old_name(&c.name).unwrap_or_else(|| c.name.clone());
        out.push(format!(
            "ALTER VIEW {vq} ALTER COLUMN {} SET DEFAULT {};",
            quote_ident(&name),
            c.default.as_deref().unwrap_or_default()
        ));
    }
    out.push(format!(
        "COMMENT ON VIEW {vq} IS {};",
        quote_literal(&format!(
            "Compatibility view: `{}` was renamed to `{}`. Dropped by the migration's cleanup.sql.",
            from.name, t.name.name
        ))
    ));
    out
}
