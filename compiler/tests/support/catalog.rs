//! Reads a database's catalogs back and compares them with the IR, object by object,
//! returning a readable list of differences (empty when they agree).

use std::collections::{BTreeMap, BTreeSet};

use schemac::ir::{Deferrable, FkAction, Ir, PolicyCommand};

use super::pg::TestDb;

fn action_code(a: FkAction) -> &'static str {
    match a {
        FkAction::NoAction => "a",
        FkAction::Restrict => "r",
        FkAction::Cascade => "c",
        FkAction::SetNull => "n",
        FkAction::SetDefault => "d",
    }
}

/// Compares every managed object; returns one line per difference.
pub fn compare(ir: &Ir, db: &TestDb) -> Vec<String> {
    let mut diffs = Vec::new();
    let schemas: BTreeSet<String> = ir
        .tables
        .iter()
        .map(|t| t.name.schema.clone())
        .chain(ir.views.iter().map(|v| v.name.schema.clone()))
        .chain(ir.functions.iter().map(|f| f.name.schema.clone()))
        .chain(ir.enums.iter().map(|e| e.name.schema.clone()))
        .chain(std::iter::once(ir.project.default_schema.clone()))
        .collect();
    let in_list = sql_list(&schemas);

    // Tables and RLS.
    let rows = db.query(&format!(
        "select n.nspname || '.' || c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r','p') and n.nspname in ({in_list}) order by 1"
    ));
    let actual: BTreeMap<String, bool> = rows
        .iter()
        .filter_map(|r| {
            r.rsplit_once('|')
                .map(|(n, rls)| (n.to_string(), rls == "t"))
        })
        .collect();
    let expected: BTreeMap<String, bool> = ir
        .tables
        .iter()
        .map(|t| (t.name.to_string(), t.rls))
        .collect();
    for (t, rls) in &expected {
        match actual.get(t) {
            None => diffs.push(format!("table {t}: missing in the database")),
            Some(a) if a != rls => diffs.push(format!(
                "table {t}: RLS is {a} in the database, {rls} in the IR"
            )),
            _ => {}
        }
    }
    for t in actual.keys().filter(|t| !expected.contains_key(*t)) {
        diffs.push(format!("table {t}: in the database but not in the IR"));
    }

    // Columns: order, type, nullability, default.
    for t in &ir.tables {
        let rows = db.query(&format!(
            "select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
             (d.adbin is not null and a.attgenerated = ''), a.attgenerated = 's', a.attidentity \
             from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
             where a.attrelid = to_regclass('{}') and a.attnum > 0 and not a.attisdropped order by a.attnum",
            schemac::emit::quote_qname(&t.name).replace('\'', "''")
        ));
        let actual: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.split('|').map(str::to_string).collect())
            .collect();
        let names_a: Vec<&str> = actual.iter().map(|r| r[0].as_str()).collect();
        let names_e: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        if names_a != names_e {
            diffs.push(format!(
                "table {}: columns are {names_a:?} in the database, {names_e:?} in the IR",
                t.name
            ));
            continue;
        }
        for (c, a) in t.columns.iter().zip(&actual) {
            let ty =
                schemac::ir::types::format_type_name(&c.canonical_ty, &ir.project.default_schema);
            let ty_a = a[1].trim_matches('"').replace("\"", "");
            let ty_a = ty_a
                .strip_prefix(&format!("{}.", ir.project.default_schema))
                .unwrap_or(&ty_a)
                .to_string();
            if ty_a != ty.replace('"', "") {
                diffs.push(format!(
                    "column {}.{}: type is `{}` in the database, `{ty}` in the IR",
                    t.name, c.name, a[1]
                ));
            }
            if (a[2] == "t") != c.not_null {
                diffs.push(format!(
                    "column {}.{}: NOT NULL is {} in the database, {} in the IR",
                    t.name, c.name, a[2], c.not_null
                ));
            }
            if (a[3] == "t") != c.default.is_some() {
                diffs.push(format!(
                    "column {}.{}: default present is {} in the database, {} in the IR",
                    t.name,
                    c.name,
                    a[3],
                    c.default.is_some()
                ));
            }
            if (a[4] == "t") != c.generated.is_some() {
                diffs.push(format!(
                    "column {}.{}: generated is {} in the database",
                    t.name, c.name, a[4]
                ));
            }
            if a[5].is_empty() == c.identity.is_some() {
                diffs.push(format!(
                    "column {}.{}: identity is `{}` in the database",
                    t.name, c.name, a[5]
                ));
            }
        }
    }

    // Constraints, with foreign-key details.
    let rows = db.query(&format!(
        "select n.nspname || '.' || cl.relname, c.conname, c.contype, coalesce(rn.nspname || '.' || rc.relname, ''), \
         c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred \
         from pg_constraint c join pg_class cl on cl.oid = c.conrelid join pg_namespace n on n.oid = cl.relnamespace \
         left join pg_class rc on rc.oid = c.confrelid left join pg_namespace rn on rn.oid = rc.relnamespace \
         where n.nspname in ({in_list}) and c.contype in ('p','u','c','f') order by 1, 2"
    ));
    let actual: BTreeSet<String> = rows.into_iter().collect();
    let mut expected = BTreeSet::new();
    for t in &ir.tables {
        let tn = t.name.to_string();
        if let Some(pk) = &t.primary_key {
            expected.insert(format!("{tn}|{}|p||a|a|f|f", pk.name));
        }
        for u in &t.uniques {
            expected.insert(format!("{tn}|{}|u||a|a|f|f", u.name));
        }
        for c in &t.checks {
            expected.insert(format!("{tn}|{}|c||a|a|f|f", c.name));
        }
        for fk in &t.foreign_keys {
            let (d, dd) = match fk.deferrable {
                None => ("f", "f"),
                Some(Deferrable::InitiallyImmediate) => ("t", "f"),
                Some(Deferrable::InitiallyDeferred) => ("t", "t"),
            };
            expected.insert(format!(
                "{tn}|{}|f|{}|{}|{}|{d}|{dd}",
                fk.name,
                fk.target,
                action_code(fk.on_delete),
                action_code(fk.on_update)
            ));
        }
    }
    // Non-FK constraints report ' ' for actions in pg_constraint; normalize.
    let actual: BTreeSet<String> = actual
        .into_iter()
        .map(|r| {
            let p: Vec<&str> = r.split('|').collect();
            if p.len() == 8 && p[2] != "f" {
                format!("{}|{}|{}||a|a|{}|{}", p[0], p[1], p[2], p[6], p[7])
            } else {
                r
            }
        })
        .collect();
    for e in expected.difference(&actual) {
        diffs.push(format!(
            "constraint {e}: missing or different in the database"
        ));
    }
    for a in actual.difference(&expected) {
        diffs.push(format!(
            "constraint {a}: in the database but not as in the IR"
        ));
    }

    // Indexes (including those backing keys).
    let rows = db.query(&format!(
        "select schemaname || '.' || tablename || '|' || indexname from pg_indexes where schemaname in ({in_list}) order by 1"
    ));
    let actual: BTreeSet<String> = rows.into_iter().collect();
    let mut expected = BTreeSet::new();
    for t in &ir.tables {
        let tn = t.name.to_string();
        for n in t
            .primary_key
            .iter()
            .map(|p| &p.name)
            .chain(t.uniques.iter().map(|u| &u.name))
            .chain(t.indexes.iter().map(|i| &i.name))
        {
            expected.insert(format!("{tn}|{n}"));
        }
    }
    for e in expected.difference(&actual) {
        diffs.push(format!("index {e}: missing in the database"));
    }
    for a in actual.difference(&expected) {
        diffs.push(format!("index {a}: in the database but not in the IR"));
    }

    // Enums.
    let rows = db.query(&format!(
        "select n.nspname || '.' || t.typname, string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_type t \
         join pg_namespace n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid where n.nspname in ({in_list}) group by 1 order by 1"
    ));
    let actual: BTreeSet<String> = rows.into_iter().collect();
    let expected: BTreeSet<String> = ir
        .enums
        .iter()
        .map(|e| format!("{}|{}", e.name, e.values.join(",")))
        .collect();
    for e in expected.symmetric_difference(&actual) {
        diffs.push(format!("enum {e}: differs between the database and the IR"));
    }

    // Views and their security_invoker option.
    let rows = db.query(&format!(
        "select n.nspname || '.' || c.relname, c.relkind, coalesce(array_to_string(c.reloptions, ','), '') from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('v','m') and n.nspname in ({in_list}) order by 1"
    ));
    let actual: BTreeSet<String> = rows.into_iter().collect();
    let expected: BTreeSet<String> = ir
        .views
        .iter()
        .map(|v| {
            let mut opts = Vec::new();
            if v.security_invoker {
                opts.push("security_invoker=true".to_string());
            }
            if let Some(c) = &v.check_option {
                opts.push(format!("check_option={c}"));
            }
            format!(
                "{}|{}|{}",
                v.name,
                if v.materialized { "m" } else { "v" },
                opts.join(",")
            )
        })
        .collect();
    for e in expected.symmetric_difference(&actual) {
        diffs.push(format!("view {e}: differs between the database and the IR"));
    }

    // Functions: security definer, volatility, search_path.
    let rows = db.query(&format!(
        "select n.nspname || '.' || p.proname, p.prosecdef, p.provolatile, coalesce(array_to_string(p.proconfig, ','), '') \
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ({in_list}) order by 1"
    ));
    let actual: BTreeSet<String> = rows.into_iter().collect();
    let expected: BTreeSet<String> = ir
        .functions
        .iter()
        .map(|f| {
            let vol = &f.volatility[..1];
            let cfg = match &f.search_path {
                None => String::new(),
                Some(sp) => {
                    let parts: Vec<String> = sp
                        .split(',')
                        .map(|s| s.trim().trim_matches('"'))
                        .filter(|s| !s.is_empty())
                        .map(|s| s.to_string())
                        .collect();
                    if parts.is_empty() {
                        "search_path=\"\"".to_string()
                    } else {
                        format!("search_path={}", parts.join(", "))
                    }
                }
            };
            format!(
                "{}|{}|{vol}|{cfg}",
                f.name,
                if f.security_definer { "t" } else { "f" }
            )
        })
        .collect();
    for e in expected.symmetric_difference(&actual) {
        diffs.push(format!(
            "function {e}: differs between the database and the IR"
        ));
    }

    // Triggers.
    let rows = db.query(&format!(
        "select n.nspname || '.' || c.relname || '|' || t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid \
         join pg_namespace n on n.oid = c.relnamespace where not t.tgisinternal and n.nspname in ({in_list}) order by 1"
    ));
    let actual: BTreeSet<String> = rows.into_iter().collect();
    let expected: BTreeSet<String> = ir
        .tables
        .iter()
        .flat_map(|t| {
            t.triggers
                .iter()
                .map(move |tr| format!("{}|{}", t.name, tr.name))
        })
        .collect();
    for e in expected.symmetric_difference(&actual) {
        diffs.push(format!(
            "trigger {e}: differs between the database and the IR"
        ));
    }

    // Policies: command, roles, permissive, which clauses.
    let rows = db.query(&format!(
        "select schemaname || '.' || tablename, policyname, permissive, array_to_string(roles, ','), cmd, qual is not null, with_check is not null \
         from pg_policies where schemaname in ({in_list}) order by 1, 2"
    ));
    let actual: BTreeSet<String> = rows.into_iter().collect();
    let mut expected = BTreeSet::new();
    for t in &ir.tables {
        for p in &t.policies {
            let mut roles: Vec<String> = p.roles.iter().map(|(r, _)| r.clone()).collect();
            if roles.is_empty() {
                roles.push("public".into());
            }
            roles.sort();
            let cmd = match p.command {
                PolicyCommand::All => "ALL",
                other => other.sql(),
            };
            expected.insert(format!(
                "{}|{}|{}|{}|{cmd}|{}|{}",
                t.name,
                p.name,
                if p.permissive {
                    "PERMISSIVE"
                } else {
                    "RESTRICTIVE"
                },
                roles.join(","),
                if p.using.is_some() { "t" } else { "f" },
                if p.with_check.is_some() { "t" } else { "f" }
            ));
        }
    }
    let actual: BTreeSet<String> = actual
        .into_iter()
        .map(|r| {
            let mut p: Vec<String> = r.split('|').map(str::to_string).collect();
            if p.len() == 7 {
                let mut roles: Vec<&str> = p[3].split(',').collect();
                roles.sort();
                p[3] = roles.join(",");
            }
            p.join("|")
        })
        .collect();
    for e in expected.symmetric_difference(&actual) {
        diffs.push(format!(
            "policy {e}: differs between the database and the IR"
        ));
    }

    // Grants to project roles (revokes must leave nothing behind).
    for t in &ir.tables {
        let rows = db.query(&format!(
            "select grantee || '|' || privilege_type from information_schema.role_table_grants \
             where table_schema = '{}' and table_name = '{}' and grantee <> current_user order by 1",
            t.name.schema.replace('\'', "''"),
            t.name.name.replace('\'', "''")
        ));
        let actual: BTreeSet<String> = rows.into_iter().collect();
        let mut expected = BTreeSet::new();
        for g in &t.grants {
            let privs: Vec<&str> = if g.privileges.iter().any(|p| p == "all") {
                vec![
                    "SELECT",
                    "INSERT",
                    "UPDATE",
                    "DELETE",
                    "TRUNCATE",
                    "REFERENCES",
                    "TRIGGER",
                ]
            } else {
                g.privileges
                    .iter()
                    .map(|p| match p.as_str() {
                        "select" => "SELECT",
                        "insert" => "INSERT",
                        "update" => "UPDATE",
                        "delete" => "DELETE",
                        "truncate" => "TRUNCATE",
                        "references" => "REFERENCES",
                        _ => "TRIGGER",
                    })
                    .collect()
            };
            let grantee = if g.role == "public" {
                "PUBLIC".to_string()
            } else {
                g.role.clone()
            };
            for p in privs {
                expected.insert(format!("{grantee}|{p}"));
            }
        }
        for e in expected.symmetric_difference(&actual) {
            diffs.push(format!(
                "grant on {}: {e} differs between the database and the IR",
                t.name
            ));
        }
    }
    diffs
}

/// Objects left in the project's schemas (for checking that rollbacks remove everything).
pub fn leftovers(ir: &Ir, db: &TestDb) -> Vec<String> {
    let schemas: BTreeSet<String> = ir
        .tables
        .iter()
        .map(|t| t.name.schema.clone())
        .chain(std::iter::once(ir.project.default_schema.clone()))
        .collect();
    let in_list = sql_list(&schemas);
    let mut out = db.query(&format!(
        "select 'relation ' || n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ({in_list}) \
         union all select 'type ' || n.nspname || '.' || t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname in ({in_list}) and t.typtype = 'e' \
         union all select 'function ' || n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ({in_list}) order by 1"
    ));
    let extra = db.query(&format!(
        "select 'schema ' || nspname from pg_namespace where nspname in ({in_list}) and nspname <> 'public'"
    ));
    out.extend(extra);
    out
}

/// `'a','b'`: schema names as an SQL list of literals.
fn sql_list(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(",")
}
