//! Drift of what sits beside the objects: comments on every object the project
//! describes, and column-level grants (the language grants whole tables, so a column
//! grant in the database was made by hand).

use std::collections::BTreeMap;

use super::{one_line, Diffs, Query};
use crate::ir::Ir;

pub(super) fn compare(
    ir: &Ir,
    query: &mut Query,
    in_list: &str,
    d: &mut Diffs,
) -> Result<(), String> {
    // Column grants to anyone but the owner.
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, a.attname, case when x.grantee = 0 then 'public' else pg_get_userbyid(x.grantee)::text end, \
         string_agg(lower(x.privilege_type), ', ' order by x.privilege_type) \
         from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace, aclexplode(a.attacl) x \
         where c.relkind in ('r','p','v','m') and n.nspname in ({in_list}) and a.attacl is not null and x.grantee <> c.relowner \
         group by 1, 2, 3 order by 1, 2, 3"
    ))?;
    for r in rows {
        d.push(
            format!("grant on column {}.{} to {}", r[0], r[1], r[2]),
            "extra",
            format!("{}: the schema grants whole tables only", r[3]),
        );
    }

    // Comments: every object the database has, with its comment or none.
    let rows = query(&format!(
        "select case when c.relkind in ('v','m') then 'view ' else 'table ' end || n.nspname || '.' || c.relname, coalesce(obj_description(c.oid, 'pg_class'), '') \
           from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r','p','v','m') and n.nspname in ({in_list}) \
         union all select 'column ' || n.nspname || '.' || c.relname || ': ' || a.attname, col_description(c.oid, a.attnum) \
           from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace \
           where c.relkind in ('r','p') and n.nspname in ({in_list}) and a.attnum > 0 and not a.attisdropped and col_description(c.oid, a.attnum) is not null \
         union all select 'function ' || n.nspname || '.' || p.proname || '(' || p.pronargs || ')', coalesce(obj_description(p.oid, 'pg_proc'), '') \
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ({in_list}) and p.prokind = 'f' \
         union all select 'enum ' || n.nspname || '.' || t.typname, coalesce(obj_description(t.oid, 'pg_type'), '') \
           from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.typtype = 'e' and n.nspname in ({in_list}) \
         union all select 'policy ' || p.polname || ' on ' || n.nspname || '.' || c.relname, coalesce(obj_description(p.oid, 'pg_policy'), '') \
           from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname in ({in_list}) \
         order by 1"
    ))?;
    let actual: BTreeMap<String, String> = rows
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let mut expected: BTreeMap<String, Option<&str>> = BTreeMap::new();
    for t in &ir.tables {
        expected.insert(format!("table {}", t.name), t.description.as_deref());
        for c in &t.columns {
            expected.insert(
                format!("column {}: {}", t.name, c.name),
                c.comment.as_deref(),
            );
        }
        for p in &t.policies {
            expected.insert(
                format!("policy {} on {}", p.name, t.name),
                p.comment.as_deref(),
            );
        }
    }
    for v in &ir.views {
        expected.insert(format!("view {}", v.name), v.comment.as_deref());
    }
    for f in &ir.functions {
        expected.insert(
            format!("function {}({})", f.name, f.arguments.len()),
            f.comment.as_deref(),
        );
    }
    for e in &ir.enums {
        expected.insert(format!("enum {}", e.name), e.comment.as_deref());
    }
    for (object, ours) in expected {
        let ours = ours.unwrap_or("");
        // Columns are listed only when they have a comment.
        let theirs = match actual.get(&object) {
            Some(t) => t.as_str(),
            None if object.starts_with("column ") => "",
            None => continue,
        };
        if theirs != ours {
            let show = |s: &str| {
                if s.is_empty() {
                    "none".to_string()
                } else {
                    format!("`{}`", one_line(s))
                }
            };
            d.push(
                format!("comment on {object}"),
                "changed",
                format!("database {} -> schema {}", show(theirs), show(ours)),
            );
        }
    }
    Ok(())
}

/// The declared extensions: missing, or in another schema or version than declared.
/// Extensions the TOML does not declare are not reported: platforms install their own
/// (Supabase's pg_graphql, pgsodium, supabase_vault ...).
pub(super) fn extensions(ir: &Ir, query: &mut Query, d: &mut Diffs) -> Result<(), String> {
    if ir.project.extensions.is_empty() {
        return Ok(());
    }
    let rows = query(
        "select e.extname, n.nspname, e.extversion from pg_extension e join pg_namespace n on n.oid = e.extnamespace order by 1",
    )?;
    let have: BTreeMap<&str, (&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), (r[1].as_str(), r[2].as_str())))
        .collect();
    for (name, e) in &ir.project.extensions {
        let object = format!("extension {name}");
        match have.get(name.as_str()) {
            None => d.push(object, "missing", "not installed in the database"),
            Some((schema, version)) => {
                if let Some(want) = &e.schema {
                    if want != schema {
                        d.push(
                            object.clone(),
                            "changed",
                            format!("schema: database {schema} -> schema {want}"),
                        );
                    }
                }
                if let Some(want) = &e.version {
                    if want != version {
                        d.push(
                            object,
                            "changed",
                            format!("version: database {version} -> schema {want}"),
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
