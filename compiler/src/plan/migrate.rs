//! The difference between two states as a migration: forward SQL, rollback SQL and,
//! for renamed tables that keep their old name alive, compatibility views and their
//! cleanup. Renames are applied first (with everything named after a table following
//! it); then objects are dropped in reverse dependency order of the old state,
//! created or altered in dependency order of the new state; indexes on existing
//! tables are built concurrently after the transaction.

use std::collections::{BTreeMap, BTreeSet};

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

/// SQL of one direction, before it is wrapped into a file.
#[derive(Default)]
struct Script {
    /// Statements committed before the main transaction: PostgreSQL cannot use an
    /// enum value in the transaction that adds it.
    pre: Vec<String>,
    /// Statements inside the transaction, each with a heading.
    tx: Vec<(String, Vec<String>)>,
    /// Statements that cannot run in a transaction.
    concurrent: Vec<String>,
    /// `VALIDATE CONSTRAINT` for keys and checks added `NOT VALID`: run in their own
    /// transaction after the main one, so the scan does not hold the main locks.
    validate: Vec<String>,
    /// Data this direction loses (listed in the header).
    losses: Vec<String>,
}

impl Script {
    fn push(&mut self, heading: impl Into<String>, stmts: Vec<String>) {
        if !stmts.is_empty() {
            self.tx.push((heading.into(), stmts));
        }
    }
}

/// Finds an object by name. Snapshot lists are sorted by name (see
/// `Snapshot::sort`), so this is a binary search: migrations between states with
/// thousands of tables stay fast.
fn find<'a, T>(items: &'a [T], name: &QName, key: impl Fn(&T) -> &QName) -> Option<&'a T> {
    items
        .binary_search_by(|x| key(x).cmp(name))
        .ok()
        .map(|i| &items[i])
}

/// Renames whose `from` is in the old state and whose `to` (possibly through a chain)
/// is in the new one.
fn applicable_renames(
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

fn renamed(name: &str, from: &str, to: &str) -> String {
    name.replace(from, to)
}

/// Applies renames to the old state (as PostgreSQL would) and returns the statements.
fn apply_renames(
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

/// Privileges each role ends up with.
fn effective(grants: &[Grant], revokes: &[Grant]) -> BTreeMap<String, BTreeSet<String>> {
    const ALL: [&str; 7] = [
        "select",
        "insert",
        "update",
        "delete",
        "truncate",
        "references",
        "trigger",
    ];
    let expand = |g: &Grant| -> BTreeSet<String> {
        if g.privileges.iter().any(|p| p == "all") {
            ALL.iter().map(|s| s.to_string()).collect()
        } else {
            g.privileges.iter().cloned().collect()
        }
    };
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in revokes {
        m.entry(r.role.clone()).or_default();
    }
    for g in grants {
        m.entry(g.role.clone()).or_default().extend(expand(g));
    }
    m
}

fn grant_changes(
    object: &str,
    old: (&[Grant], &[Grant]),
    new: (&[Grant], &[Grant]),
) -> Vec<String> {
    let (a, b) = (effective(old.0, old.1), effective(new.0, new.1));
    let roles: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for r in roles {
        let (x, y) = (
            a.get(r).cloned().unwrap_or_default(),
            b.get(r).cloned().unwrap_or_default(),
        );
        if x != y || (a.contains_key(r) != b.contains_key(r) && !y.is_empty()) {
            out.push(format!(
                "REVOKE ALL ON TABLE {object} FROM {};",
                quote_role(r)
            ));
            if !y.is_empty() {
                out.push(format!(
                    "GRANT {} ON TABLE {object} TO {};",
                    y.iter()
                        .map(|p| p.to_uppercase())
                        .collect::<Vec<_>>()
                        .join(", "),
                    quote_role(r)
                ));
            }
        }
    }
    out
}

/// Type changes that never lose data.
fn is_widening(old: &str, new: &str) -> bool {
    let base = |t: &str| t.split('(').next().unwrap_or(t).to_string();
    let mods = |t: &str| -> Vec<u32> {
        t.split_once('(').map_or(Vec::new(), |(_, r)| {
            r.trim_end_matches(')')
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
    };
    let (ob, nb) = (base(old), base(new));
    let (om, nm) = (mods(old), mods(new));
    match (ob.as_str(), nb.as_str()) {
        ("smallint", "integer" | "bigint")
        | ("integer", "bigint")
        | ("real", "double precision") => true,
        // Unconstrained numeric holds any integer.
        ("smallint" | "integer" | "bigint", "numeric") => nm.is_empty(),
        ("character varying", "text") => true,
        ("character varying", "character varying") => {
            nm.is_empty() || (!om.is_empty() && nm[0] >= om[0])
        }
        // numeric(p, s): the integer digits (p - s) and the scale must both not shrink.
        ("numeric", "numeric") => {
            if nm.is_empty() {
                return true;
            }
            if om.is_empty() {
                return false;
            }
            let (op, os) = (om[0], om.get(1).copied().unwrap_or(0));
            let (np, ns) = (nm[0], nm.get(1).copied().unwrap_or(0));
            np.saturating_sub(ns) >= op.saturating_sub(os) && ns >= os
        }
        _ => false,
    }
}

struct Planner<'a> {
    forward: bool,
    accepted: &'a [AcceptedLoss],
    problems: Vec<Diagnostic>,
    script: Script,
}

impl Planner<'_> {
    /// A data-losing change: refused going forward unless acknowledged; listed always.
    fn loss(&mut self, change: &str, object: &str, what: String) {
        if self.forward {
            let acked = self
                .accepted
                .iter()
                .find(|a| a.change == change && a.object == object);
            match acked {
                Some(a) => self.script.losses.push(format!(
                    "{what} (acknowledged: {})",
                    comment_text(&a.reason)
                )),
                None => {
                    self.problems.push(
                        Diagnostic::error("unacknowledged-data-loss", format!("the migration would {what}"))
                            .help(format!("if this is intended, acknowledge it in the domain file:\n[[accept_data_loss]]\nchange = \"{change}\"\nobject = \"{object}\"\nreason = \"...\"")),
                    );
                }
            }
        } else {
            self.script.losses.push(what);
        }
    }
}

/// Plans one direction from `old` to `new`.
fn plan_direction(
    old: &Snapshot,
    new: &Snapshot,
    renames: &[AppliedRename],
    col_renames: &[(QName, String, String)],
    accepted: &[AcceptedLoss],
    forward: bool,
    drop_first: &[QName],
) -> Result<Script, Vec<Diagnostic>> {
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
    let dropped_schemas: Vec<String> = old
        .schemas
        .difference(&new.schemas)
        .map(|s| format!("DROP SCHEMA {};", quote_ident(s)))
        .collect();
    let (old, rename_sections) = apply_renames(old, new, renames, col_renames);
    let old_ir = old.to_ir();
    let new_ir = new.to_ir();
    let mut sink = Diagnostics::default();
    let old_order = order_by_dependencies(&old_ir, &mut sink)
        .map(|p| p.order)
        .unwrap_or_default();
    let new_plan = order_by_dependencies(&new_ir, &mut sink).unwrap_or_default();

    // Undeclared renames: a dropped table and an added one with the same columns.
    if forward {
        let cols = |t: &Table| {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.canonical_ty.clone()))
                .collect::<Vec<_>>()
        };
        for t in old
            .tables
            .iter()
            .filter(|t| find(&new.tables, &t.name, |x| &x.name).is_none())
        {
            for n in new
                .tables
                .iter()
                .filter(|n| find(&old.tables, &n.name, |x| &x.name).is_none())
            {
                let acked = accepted
                    .iter()
                    .any(|a| a.change == "drop_table" && a.object == t.name.name);
                if cols(t) == cols(n) && !acked {
                    p.problems.push(
                        Diagnostic::error("likely-undeclared-rename", format!("`{}` is dropped and `{}` is added with the same columns: this looks like a rename", t.name.name, n.name.name))
                            .help(format!("declare it so the data is kept:\n[renames.tables.{}]\nto = \"{}\"\nreason = \"...\"\nor, to really drop `{}`, acknowledge it with [[accept_data_loss]] change = \"drop_table\", object = \"{}\"", t.name.name, n.name.name, t.name.name, t.name.name)),
                    );
                }
            }
        }
        for t in &old.tables {
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
                        p.problems.push(
                            Diagnostic::error("likely-undeclared-rename", format!("column `{object}` is dropped and `{}` of the same type is added: this looks like a rename", a.name))
                                .help(format!("declare it so the data is kept:\n[[renames.columns]]\ntable = \"{}\"\nfrom = \"{}\"\nto = \"{}\"\nreason = \"...\"\nor acknowledge the drop with [[accept_data_loss]] change = \"drop_column\", object = \"{object}\"", t.name.name, c.name, a.name)),
                        );
                    }
                }
            }
        }
    }

    let old_t = |q: &QName| find(&old.tables, q, |x| &x.name);
    let new_t = |q: &QName| find(&new.tables, q, |x| &x.name);

    // Tables whose column types change or whose columns go away: views and policies
    // reading them must be dropped first and recreated after.
    let mut reshaped: BTreeSet<QName> = BTreeSet::new();
    for t in &old.tables {
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
            let changed = find(&old.views, &v.name, |x| &x.name).is_some_and(|o| !same_view(o, v));
            let reads_changed = v
                .reads
                .iter()
                .any(|r| reshaped.contains(r) || rebuild_views.contains(r));
            if find(&old.views, &v.name, |x| &x.name).is_some() && (changed || reads_changed) {
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
                match find(&old.enums, &e.name, |x| &x.name) {
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
                        v.extend(table_extras(t));
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
                match find(&old.functions, &f.name, |x| &x.name) {
                    Some(o) if o == f => {}
                    Some(o) if replaceable(o, f) => {
                        let mut stmts = create_function(f);
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
                        for (r, _) in o
                            .revoke_execute
                            .iter()
                            .filter(|(r, _)| !f.revoke_execute.iter().any(|(x, _)| x == r))
                        {
                            stmts.push(format!(
                                "GRANT EXECUTE ON FUNCTION {sig} TO {};",
                                quote_role(r)
                            ));
                        }
                        if o.comment.is_some() && f.comment.is_none() {
                            stmts.push(format!("COMMENT ON FUNCTION {sig} IS NULL;"));
                        }
                        p.script.push(format!("replace function {}", f.name), stmts);
                    }
                    _ => p
                        .script
                        .push(format!("create function {}", f.name), create_function(f)),
                }
            }
            Node::View(i) => {
                let v = &new_ir.views[i];
                if find(&old.views, &v.name, |x| &x.name).is_none()
                    || rebuild_views.contains(&v.name)
                {
                    p.script
                        .push(format!("create view {}", v.name), create_view(v));
                } else if let Some(o) = find(&old.views, &v.name, |x| &x.name) {
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
            Node::Raw(i) => {
                let r = &new_ir.raws[i];
                let o = old.raws.iter().find(|x| x.name == r.name);
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
    p.script.push("drop schemas", dropped_schemas);
    if p.problems.is_empty() {
        Ok(p.script)
    } else {
        Err(p.problems)
    }
}

fn same_view(a: &View, b: &View) -> bool {
    a.query == b.query
        && a.security_invoker == b.security_invoker
        && a.check_option == b.check_option
        && a.materialized == b.materialized
}

fn same_policy(a: &Policy, b: &Policy) -> bool {
    let roles = |p: &Policy| p.roles.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>();
    a.command == b.command
        && a.permissive == b.permissive
        && roles(a) == roles(b)
        && a.using.as_ref().map(|x| &x.0) == b.using.as_ref().map(|x| &x.0)
        && a.with_check.as_ref().map(|x| &x.0) == b.with_check.as_ref().map(|x| &x.0)
        && a.comment == b.comment
}

fn alter_policy(table: &QName, p: &Policy) -> Vec<String> {
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
fn replaceable(a: &Function, b: &Function) -> bool {
    a.arg_types() == b.arg_types()
        && a.returns == b.returns
        && a.language == b.language
        && a.arguments
            .iter()
            .map(|x| &x.name)
            .eq(b.arguments.iter().map(|x| &x.name))
}

fn comment_stmt(object: &str, text: &Option<String>) -> String {
    format!(
        "COMMENT ON {object} IS {};",
        text.as_deref().map_or("NULL".to_string(), quote_literal)
    )
}

fn alter_enum(p: &mut Planner, old: &Enum, new: &Enum, new_state: &Snapshot) {
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

fn alter_table(p: &mut Planner, o: &Table, t: &Table, validate: &mut Vec<String>) {
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

fn concurrently(create_index: &str) -> String {
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
fn compat_view(from: &QName, t: &Table, col_renames: &[(QName, String, String)]) -> Vec<String> {
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

fn render(
    name: &str,
    direction: &str,
    script: &Script,
    renames: &[(String, String)],
    notes: &[String],
    lock: &str,
    stmt_timeout: &str,
) -> String {
    let mut s = format!("-- Migration {name}: {direction}\n-- Generated by schemac. Do not edit: released migrations are checked against schemac.sum.\n");
    if renames.is_empty() {
        s.push_str("-- Renames: none\n");
    } else {
        s.push_str("-- Renames:\n");
        for (a, b) in renames {
            s.push_str(&format!(
                "--   {} -> {}\n",
                comment_text(a),
                comment_text(b)
            ));
        }
    }
    if script.losses.is_empty() {
        s.push_str("-- Data loss: none\n");
    } else {
        s.push_str(if direction == "down" {
            "-- Undoing this migration loses data:\n"
        } else {
            "-- Acknowledged data loss:\n"
        });
        for l in &script.losses {
            s.push_str(&format!("--   {}\n", comment_text(l)));
        }
    }
    for n in notes {
        s.push_str(&format!("-- Note: {}\n", comment_text(n)));
    }
    if !script.pre.is_empty() {
        s.push_str("\n-- New enum values, committed first: PostgreSQL cannot use an enum value in the\n-- transaction that adds it. Adding a value is harmless if the main part fails.\n");
        s.push_str(&format!(
            "BEGIN;\nSET LOCAL lock_timeout = {};\nSET LOCAL statement_timeout = {};\n",
            quote_literal(lock),
            quote_literal(stmt_timeout)
        ));
        for st in &script.pre {
            s.push_str(st);
            s.push('\n');
        }
        s.push_str("COMMIT;\n");
    }
    s.push_str(&format!(
        "\nBEGIN;\nSET LOCAL lock_timeout = {};\nSET LOCAL statement_timeout = {};\n",
        quote_literal(lock),
        quote_literal(stmt_timeout)
    ));
    for (h, stmts) in &script.tx {
        s.push_str(&format!("\n-- {}\n", comment_text(h)));
        for st in stmts {
            s.push_str(&annotated(st));
            s.push('\n');
        }
    }
    s.push_str("\nCOMMIT;\n");
    if !script.validate.is_empty() {
        s.push_str("\n-- Validate the keys and checks added NOT VALID above, in a transaction of their own:\n-- the scan takes only a SHARE UPDATE EXCLUSIVE lock, and if it fails the schema change stays.\n");
        s.push_str(&format!(
            "BEGIN;\nSET LOCAL lock_timeout = {};\nSET LOCAL statement_timeout = {};\n",
            quote_literal(lock),
            quote_literal(stmt_timeout)
        ));
        for v in &script.validate {
            s.push_str(v);
            s.push('\n');
        }
        s.push_str("COMMIT;\n");
    }
    if !script.concurrent.is_empty() {
        s.push_str("\n-- ===================================================================\n-- NON-TRANSACTIONAL PART: run after the COMMIT above, statement by statement.\n-- CREATE INDEX CONCURRENTLY cannot run inside a transaction; it builds the\n-- index without blocking writes to the existing table.\n-- ===================================================================\n");
        s.push_str(&format!(
            "SET lock_timeout = {};\nSET statement_timeout = 0;\n",
            quote_literal(lock)
        ));
        for c in &script.concurrent {
            s.push_str(c);
            s.push('\n');
        }
    }
    s
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
        true,
        &[],
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
    let down =
        match plan_direction_reverse(req.new, req.old, &inverse, &inverse_cols, &compat_names) {
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
        let mut s = format!("-- Migration {}: cleanup\n-- Drops the compatibility views this migration created. Run it once no code uses the old\n-- names any more. Safe to run twice.\n\nBEGIN;\nSET LOCAL lock_timeout = {};\nSET LOCAL statement_timeout = {};\n", req.name, quote_literal(req.lock_timeout), quote_literal(req.statement_timeout));
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
) -> Result<Script, Vec<Diagnostic>> {
    plan_direction(from, to, renames, cols, &[], false, compat)
}
