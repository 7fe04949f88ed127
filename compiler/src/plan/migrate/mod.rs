//! The difference between two states as a migration: forward SQL, rollback SQL and,
//! for renamed tables that keep their old name alive, compatibility views and their
//! cleanup. Renames are applied first (with everything named after a table following
//! it); then objects are dropped in reverse dependency order of the old state,
//! created or altered in dependency order of the new state; indexes on existing
//! tables are built concurrently after the transaction.

use std::collections::{BTreeMap, BTreeSet};

mod alter;
mod extensions;
mod external;
mod privileges;
mod renames;
mod render;
mod script;

use alter::*;
use external::*;
use privileges::*;
use renames::*;
use render::*;
use script::*;

use super::graph::{order_by_dependencies, Node};
use super::snapshot::Snapshot;
use crate::diag::{Diagnostic, Diagnostics};
use crate::emit::*;
use crate::ir::{
    AcceptedLoss, ColumnRename, Enum, Function, Grant, Policy, QName, Table, TableRename, View,
};

/// What the migration generator needs besides the two states.
pub struct MigrationRequest<'a> {
    pub name: &'a str,
    pub old: &'a Snapshot,
    pub new: &'a Snapshot,
    pub table_renames: &'a [TableRename],
    pub column_renames: &'a [ColumnRename],
    pub accepted: &'a [AcceptedLoss],
    pub lock_timeout: &'a str,
    pub statement_timeout: &'a str,
    /// Where the database runs: on Supabase, new objects lose the default privileges.
    pub platform: crate::ir::Platform,
}

/// The files of one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub up: String,
    pub down: String,
    pub cleanup: Option<String>,
    /// Anything a reviewer must know (function bodies naming renamed tables ...).
    pub warnings: Vec<String>,
    pub is_empty: bool,
}

/// A rename that applies between the two states.
#[derive(Debug, Clone)]
struct AppliedRename {
    from: QName,
    to: QName,
    compat_view: bool,
}

/// Which way a script goes, and what it starts with.
struct Direction<'a> {
    forward: bool,
    /// Compatibility views dropped before anything else (rollback).
    drop_first: &'a [QName],
    platform: crate::ir::Platform,
}

/// Plans one direction from `old` to `new`.
fn plan_direction(
    old: &Snapshot,
    new: &Snapshot,
    renames: &[AppliedRename],
    col_renames: &[(QName, String, String)],
    accepted: &[AcceptedLoss],
    direction: Direction,
) -> Result<Script, Vec<Diagnostic>> {
    let Direction {
        forward,
        drop_first,
        platform,
    } = direction;
    let mut p = Planner {
        forward,
        accepted,
        problems: Vec::new(),
        script: Script::default(),
    };
    if !drop_first.is_empty() {
        p.script.push(
            "drop compatibility views (if they still exist)",
            drop_first
                .iter()
                .map(|v| format!("DROP VIEW IF EXISTS {};", quote_qname(v)))
                .collect(),
        );
    }
    let created: Vec<String> = new
        .schemas
        .difference(&old.schemas)
        .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(s)))
        .collect();
    p.script.push("create schemas", created);
    p.script.push(
        "extensions",
        extensions::changes(&old.extensions, &new.extensions),
    );
    let dropped_extensions = extensions::drops(&old.extensions, &new.extensions);
    let dropped_schemas: Vec<String> = old
        .schemas
        .difference(&new.schemas)
        .map(|s| format!("DROP SCHEMA {};", quote_ident(s)))
        .collect();
    let (old, rename_sections) = apply_renames(old, new, renames, col_renames);
    let mut old_ir = old.into_ir();
    let mut new_ir = new.to_ir();
    old_ir.project.platform = platform;
    new_ir.project.platform = platform;
    let mut sink = Diagnostics::default();
    let old_order = order_by_dependencies(&old_ir, &mut sink)
        .map(|p| p.order)
        .unwrap_or_default();
    let new_plan = order_by_dependencies(&new_ir, &mut sink).unwrap_or_default();

    // Undeclared renames: a dropped table and an added one with the same columns.
    if forward {
        p.problems
            .extend(undeclared_renames(&old_ir, new, accepted));
    }

    let old_t = |q: &QName| find(&old_ir.tables, q, |x| &x.name);
    let new_t = |q: &QName| find(&new.tables, q, |x| &x.name);

    // Tables whose column types change or whose columns go away: views and policies
    // reading them must be dropped first and recreated after.
    let mut reshaped: BTreeSet<QName> = BTreeSet::new();
    for t in &old_ir.tables {
        if let Some(n) = new_t(&t.name) {
            if t.columns.iter().any(|c| {
                n.column(&c.name)
                    .is_none_or(|x| x.canonical_ty != c.canonical_ty)
            }) {
                reshaped.insert(t.name.clone());
            }
        }
    }
    // Views to rebuild: changed, or reading (transitively) a reshaped table or a rebuilt view.
    let mut rebuild_views: BTreeSet<QName> = BTreeSet::new();
    loop {
        let before = rebuild_views.len();
        for v in &new.views {
            let changed =
                find(&old_ir.views, &v.name, |x| &x.name).is_some_and(|o| !same_view(o, v));
            let reads_changed = v
                .reads
                .iter()
                .any(|r| reshaped.contains(r) || rebuild_views.contains(r));
            if find(&old_ir.views, &v.name, |x| &x.name).is_some() && (changed || reads_changed) {
                rebuild_views.insert(v.name.clone());
            }
        }
        if rebuild_views.len() == before {
            break;
        }
    }
    let policy_reads_reshaped = |pol: &Policy, table: &QName| {
        reshaped.contains(table)
            || pol
                .deps
                .iter()
                .any(|d| reshaped.contains(&d.name) || rebuild_views.contains(&d.name))
    };

    // 1. Drops, in reverse dependency order of the old state.
    for &node in old_order.iter().rev() {
        match node {
            Node::Policy { table, policy } => {
                let t = &old_ir.tables[table];
                let pol = &t.policies[policy];
                let keep =
                    new_t(&t.name).and_then(|n| n.policies.iter().find(|x| x.name == pol.name));
                let recreate = keep.is_some_and(|k| {
                    k.command != pol.command
                        || k.permissive != pol.permissive
                        || policy_reads_reshaped(pol, &t.name)
                });
                if keep.is_none() || recreate {
                    p.script.push(
                        format!("drop policy {} on {}", pol.name, t.name),
                        vec![drop_policy(&t.name, pol)],
                    );
                }
            }
            Node::Trigger { table, trigger } => {
                let t = &old_ir.tables[table];
                let tr = &t.triggers[trigger];
                let keep =
                    new_t(&t.name).and_then(|n| n.triggers.iter().find(|x| x.name == tr.name));
                if keep.is_none_or(|k| k != tr) {
                    p.script.push(
                        format!("drop trigger {} on {}", tr.name, t.name),
                        vec![drop_trigger(&t.name, tr)],
                    );
                }
            }
            Node::View(i) => {
                let v = &old_ir.views[i];
                if find(&new.views, &v.name, |x| &x.name).is_none()
                    || rebuild_views.contains(&v.name)
                {
                    p.script
                        .push(format!("drop view {}", v.name), vec![drop_view(v)]);
                }
            }
            Node::Function(i) => {
                let f = &old_ir.functions[i];
                // Removed functions go after the tables (defaults may call them);
                // here only those that must be recreated with another signature.
                let n = find(&new.functions, &f.name, |x| &x.name);
                if n.is_some_and(|n| !replaceable(f, n)) {
                    p.script
                        .push(format!("drop function {}", f.name), vec![drop_function(f)]);
                }
            }
            Node::OnExternal(i) => {
                let o = &old_ir.on_external[i];
                let n = find(&new.on_external, &o.table, |x| &x.table);
                drop_external(&mut p, o, n, &|pol| policy_reads_reshaped(pol, &o.table));
            }
            Node::Raw(i) => {
                let r = &old_ir.raws[i];
                let n = new.raws.iter().find(|x| x.name == r.name);
                if n.is_none_or(|n| n.sql != r.sql) {
                    let undo = match &r.rollback {
                        Some(rb) => raw_block(r, rb, "undo"),
                        None => format!(
                            "-- raw SQL `{}` has no rollback; its effects stay",
                            comment_text(&r.name)
                        ),
                    };
                    p.script
                        .push(format!("undo raw SQL {}", r.name), vec![undo]);
                }
            }
            _ => {}
        }
    }

    // 2. Renames.
    for (h, s) in rename_sections {
        p.script.push(h, s);
    }

    // 3. Create and alter, in dependency order of the new state.
    let mut validate = Vec::new();
    for &node in &new_plan.order {
        match node {
            Node::Enum(i) => {
                let e = &new_ir.enums[i];
                match find(&old_ir.enums, &e.name, |x| &x.name) {
                    None => p
                        .script
                        .push(format!("create enum {}", e.name), create_enum(e)),
                    Some(o) if o != e => alter_enum(&mut p, o, e, new),
                    _ => {}
                }
            }
            Node::Table(i) => {
                let t = &new_ir.tables[i];
                match old_t(&t.name) {
                    None => {
                        let deferred = |k: usize| new_plan.deferred_fks.contains(&(i, k));
                        let mut v = vec![create_table(t, &deferred)];
                        v.extend(table_extras(t, new_ir.project.platform));
                        p.script.push(format!("create table {}", t.name), v);
                    }
                    Some(o) => alter_table(&mut p, o, t, &mut validate),
                }
            }
            Node::DeferredFk { table, fk } => {
                let t = &new_ir.tables[table];
                if old_t(&t.name).is_none() {
                    p.script.push(
                        format!("foreign key {} (cycle)", t.foreign_keys[fk].name),
                        vec![add_foreign_key(&t.name, &t.foreign_keys[fk])],
                    );
                }
            }
            Node::Function(i) => {
                let f = &new_ir.functions[i];
                match find(&old_ir.functions, &f.name, |x| &x.name) {
                    Some(o) if o == f => {}
                    Some(o) if replaceable(o, f) => {
                        let mut stmts = create_function(f, new_ir.project.platform);
                        stmts[0] =
                            stmts[0].replacen("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1);
                        // A replaced function keeps its privileges and comment: undo
                        // grants that went away and clear a removed comment.
                        let sig = function_signature(f);
                        for (r, _) in o
                            .grant_execute
                            .iter()
                            .filter(|(r, _)| !f.grant_execute.iter().any(|(x, _)| x == r))
                        {
                            stmts.push(format!(
                                "REVOKE EXECUTE ON FUNCTION {sig} FROM {};",
                                quote_role(r)
                            ));
                        }
                        if o.comment.is_some() && f.comment.is_none() {
                            stmts.push(format!("COMMENT ON FUNCTION {sig} IS NULL;"));
                        }
                        p.script.push(format!("replace function {}", f.name), stmts);
                    }
                    _ => p.script.push(
                        format!("create function {}", f.name),
                        create_function(f, new_ir.project.platform),
                    ),
                }
            }
            Node::View(i) => {
                let v = &new_ir.views[i];
                if find(&old_ir.views, &v.name, |x| &x.name).is_none()
                    || rebuild_views.contains(&v.name)
                {
                    p.script.push(
                        format!("create view {}", v.name),
                        create_view(v, new_ir.project.platform),
                    );
                } else if let Some(o) = find(&old_ir.views, &v.name, |x| &x.name) {
                    let kind = if v.materialized {
                        "MATERIALIZED VIEW"
                    } else {
                        "VIEW"
                    };
                    let mut stmts = grant_changes(
                        &quote_qname(&v.name),
                        (&o.grants, &o.revokes),
                        (&v.grants, &v.revokes),
                    );
                    if o.comment != v.comment {
                        stmts.push(comment_stmt(
                            &format!("{kind} {}", quote_qname(&v.name)),
                            &v.comment,
                        ));
                    }
                    p.script.push(format!("alter view {}", v.name), stmts);
                }
            }
            Node::Trigger { table, trigger } => {
                let t = &new_ir.tables[table];
                let tr = &t.triggers[trigger];
                let old_tr =
                    old_t(&t.name).and_then(|o| o.triggers.iter().find(|x| x.name == tr.name));
                if old_tr != Some(tr) {
                    p.script.push(
                        format!("create trigger {} on {}", tr.name, t.name),
                        vec![create_trigger(&t.name, tr)],
                    );
                }
            }
            Node::Policy { table, policy } => {
                let t = &new_ir.tables[table];
                let pol = &t.policies[policy];
                let old_pol =
                    old_t(&t.name).and_then(|o| o.policies.iter().find(|x| x.name == pol.name));
                match old_pol {
                    Some(o) if same_policy(o, pol) && !policy_reads_reshaped(o, &t.name) => {}
                    Some(o)
                        if o.command == pol.command
                            && o.permissive == pol.permissive
                            && !policy_reads_reshaped(o, &t.name) =>
                    {
                        p.script.push(
                            format!("alter policy {} on {}", pol.name, t.name),
                            alter_policy(&t.name, pol),
                        );
                    }
                    _ => p.script.push(
                        format!("create policy {} on {}", pol.name, t.name),
                        create_policy(&t.name, pol),
                    ),
                }
            }
            Node::OnExternal(i) => {
                let n = &new_ir.on_external[i];
                let o = find(&old_ir.on_external, &n.table, |x| &x.table);
                create_external(&mut p, o, n, &|pol| policy_reads_reshaped(pol, &n.table));
            }
            Node::Raw(i) => {
                let r = &new_ir.raws[i];
                let o = old_ir.raws.iter().find(|x| x.name == r.name);
                if o.is_none_or(|o| o.sql != r.sql) {
                    p.script.push(
                        format!("raw SQL {}", r.name),
                        vec![raw_block(r, &r.sql, "forward")],
                    );
                }
            }
        }
    }
    p.script.validate = validate;

    // 4. Drop removed tables and enums, in reverse dependency order of the old state.
    for &node in old_order.iter().rev() {
        match node {
            Node::Table(i) => {
                let t = &old_ir.tables[i];
                if new_t(&t.name).is_none() {
                    p.loss(
                        "drop_table",
                        &t.name.name,
                        format!("drop table `{}` and its rows", t.name.name),
                    );
                    p.script
                        .push(format!("drop table {}", t.name), vec![drop_table(t)]);
                }
            }
            Node::Function(i) => {
                let f = &old_ir.functions[i];
                if find(&new.functions, &f.name, |x| &x.name).is_none() {
                    p.script
                        .push(format!("drop function {}", f.name), vec![drop_function(f)]);
                }
            }
            Node::Enum(i) => {
                let e = &old_ir.enums[i];
                if find(&new.enums, &e.name, |x| &x.name).is_none() {
                    p.script
                        .push(format!("drop enum {}", e.name), vec![drop_enum(e)]);
                }
            }
            _ => {}
        }
    }
    p.script.push("drop extensions", dropped_extensions);
    p.script.push("drop schemas", dropped_schemas);
    if p.problems.is_empty() {
        Ok(p.script)
    } else {
        Err(p.problems)
    }
}

/// Plans a migration between two states; problems (unacknowledged data loss, likely
/// undeclared renames) are reported and nothing is produced.
pub fn plan_migration(req: &MigrationRequest, diags: &mut Diagnostics) -> Option<Migration> {
    let renames = applicable_renames(req.old, req.new, req.table_renames);
    let col_renames: Vec<(QName, String, String)> = req
        .column_renames
        .iter()
        .filter(|r| {
            let old_name = renames
                .iter()
                .find(|x| x.to == r.table)
                .map_or(&r.table, |x| &x.from);
            let o = find(&req.old.tables, old_name, |x| &x.name);
            let n = find(&req.new.tables, &r.table, |x| &x.name);
            o.is_some_and(|o| o.column(&r.from).is_some() && o.column(&r.to).is_none())
                && n.is_some_and(|n| n.column(&r.to).is_some() && n.column(&r.from).is_none())
        })
        .map(|r| (r.table.clone(), r.from.clone(), r.to.clone()))
        .collect();

    let mut up = match plan_direction(
        req.old,
        req.new,
        &renames,
        &col_renames,
        req.accepted,
        Direction {
            forward: true,
            drop_first: &[],
            platform: req.platform,
        },
    ) {
        Ok(s) => s,
        Err(problems) => {
            for d in problems {
                diags.push(d);
            }
            return None;
        }
    };
    let compat: Vec<&AppliedRename> = renames.iter().filter(|r| r.compat_view).collect();
    for r in &compat {
        if let Some(t) = find(&req.new.tables, &r.to, |x| &x.name) {
            up.push(
                format!("compatibility view {} over {}", r.from.name, r.to.name),
                compat_view(&r.from, t, &col_renames),
            );
        }
    }
    // Rollback: the same planner from new to old, renames inverted and in reverse order.
    let inverse: Vec<AppliedRename> = renames
        .iter()
        .rev()
        .map(|r| AppliedRename {
            from: r.to.clone(),
            to: r.from.clone(),
            compat_view: false,
        })
        .collect();
    // Column renames name the table by its new name; going back, table renames run
    // first, so the column renames name the old table.
    let inverse_cols: Vec<(QName, String, String)> = col_renames
        .iter()
        .rev()
        .map(|(t, a, b)| {
            (
                renames
                    .iter()
                    .find(|r| &r.to == t)
                    .map_or(t.clone(), |r| r.from.clone()),
                b.clone(),
                a.clone(),
            )
        })
        .collect();
    let compat_names: Vec<QName> = compat.iter().map(|r| r.from.clone()).collect();
    let down = match plan_direction_reverse(
        req.new,
        req.old,
        &inverse,
        &inverse_cols,
        &compat_names,
        req.platform,
    ) {
        Ok(s) => s,
        Err(problems) => {
            for d in problems {
                diags.push(d);
            }
            return None;
        }
    };
    let mut warnings = Vec::new();
    for r in &renames {
        for f in &req.new.functions {
            if crate::ir::sql::find_word(&f.body, &r.from.name).is_some() {
                warnings.push(format!(
                    "function `{}` mentions `{}`, the old name of `{}`; review its body",
                    f.name.name, r.from.name, r.to.name
                ));
            }
        }
    }
    let rename_list: Vec<(String, String)> = renames
        .iter()
        .map(|r| (r.from.name.clone(), r.to.name.clone()))
        .collect();
    let rename_list_cols: Vec<(String, String)> = col_renames
        .iter()
        .map(|(t, a, b)| (format!("{}.{a}", t.name), format!("{}.{b}", t.name)))
        .collect();
    let all_renames: Vec<(String, String)> = rename_list
        .iter()
        .cloned()
        .chain(rename_list_cols.iter().cloned())
        .collect();
    let down_renames: Vec<(String, String)> = all_renames
        .iter()
        .rev()
        .map(|(a, b)| (b.clone(), a.clone()))
        .collect();
    let is_empty =
        up.tx.is_empty() && up.concurrent.is_empty() && up.pre.is_empty() && up.validate.is_empty();
    let cleanup = (!compat.is_empty()).then(|| {
        let mut s = format!("-- Migration {}: cleanup\n-- Drops the compatibility views this migration created. Run it once no code uses the old\n-- names any more. Safe to run twice.\n\n{}", req.name, begin_transaction(req.lock_timeout, req.statement_timeout));
        for r in &compat {
            s.push_str(&annotated(&format!("DROP VIEW IF EXISTS {};", quote_qname(&r.from))));
            s.push('\n');
        }
        s.push_str("COMMIT;\n");
        s
    });
    Some(Migration {
        up: render(
            req.name,
            "up",
            &up,
            &all_renames,
            &warnings,
            req.lock_timeout,
            req.statement_timeout,
        ),
        down: render(
            req.name,
            "down",
            &down,
            &down_renames,
            &[],
            req.lock_timeout,
            req.statement_timeout,
        ),
        cleanup,
        warnings,
        is_empty,
    })
}

fn plan_direction_reverse(
    from: &Snapshot,
    to: &Snapshot,
    renames: &[AppliedRename],
    cols: &[(QName, String, String)],
    compat: &[QName],
    platform: crate::ir::Platform,
) -> Result<Script, Vec<Diagnostic>> {
    plan_direction(
        from,
        to,
        renames,
        cols,
        &[],
        Direction {
            forward: false,
            drop_first: compat,
            platform,
        },
    )
}
