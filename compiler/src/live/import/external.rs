//! What imported objects use outside the imported schemas.

use super::access::{policy_of, trigger_of, POLICY_COLUMNS};
use super::model::{Catalog, ExternalObject, OnExternal, Raw};
use super::read::{lit, type_name};
use crate::live::drift::Query;

/// Tables, functions and schemas outside the imported schemas that imported objects use:
/// foreign-key targets, and what views, policies, defaults and checks depend on.
pub(super) fn read_externals(
    query: &mut Query,
    cat: &mut Catalog,
    in_list: &str,
) -> Result<(), String> {
    let rows = query(&format!(
        "with mine as (select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ({in_list})), \
         deps as ( \
           select d.refobjid, d.refclassid from pg_depend d join pg_rewrite rw on d.classid = 'pg_rewrite'::regclass and rw.oid = d.objid where rw.ev_class in (select oid from mine) \
           union select d.refobjid, d.refclassid from pg_depend d join pg_policy p on d.classid = 'pg_policy'::regclass and p.oid = d.objid where p.polrelid in (select oid from mine) \
           union select d.refobjid, d.refclassid from pg_depend d join pg_attrdef a on d.classid = 'pg_attrdef'::regclass and a.oid = d.objid where a.adrelid in (select oid from mine) \
           union select d.refobjid, d.refclassid from pg_depend d join pg_constraint k on d.classid = 'pg_constraint'::regclass and k.oid = d.objid where k.conrelid in (select oid from mine) \
         ) \
         select 'table', n.nspname || '.' || c.relname from deps join pg_class c on deps.refclassid = 'pg_class'::regclass and c.oid = deps.refobjid join pg_namespace n on n.oid = c.relnamespace \
           where n.nspname not in ({in_list}) and n.nspname not in ('pg_catalog', 'information_schema') and c.relkind in ('r','p','v','m','f') \
         union select 'function', n.nspname || '.' || p.proname from deps join pg_proc p on deps.refclassid = 'pg_proc'::regclass and p.oid = deps.refobjid join pg_namespace n on n.oid = p.pronamespace \
           where n.nspname not in ({in_list}) and n.nspname not in ('pg_catalog', 'information_schema') \
         order by 1, 2"
    ))?;
    for r in &rows {
        let (schema, _) = r[1].split_once('.').unwrap_or(("", ""));
        cat.external_schemas.insert(schema.to_string());
        if r[0] == "function" {
            cat.external_functions.insert(r[1].clone());
        } else {
            let cols = external_columns(query, &r[1])?;
            cat.external_tables.insert(r[1].clone(), cols);
        }
    }
    Ok(())
}

/// The columns of a table outside the imported schemas, as `[external.tables]` lists them.
fn external_columns(query: &mut Query, table: &str) -> Result<Vec<(String, String)>, String> {
    let quoted = table
        .split('.')
        .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".");
    let cols = query(&format!(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a where a.attrelid = {}::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum",
        lit(&quoted)
    ))?;
    Ok(cols
        .into_iter()
        .map(|c| (c[0].clone(), type_name(&c[1])))
        .collect())
}

/// Triggers on tables outside the imported schemas that run an imported function (the
/// Supabase profile trigger on `auth.users`): declared under `[on."schema.table"]` in
/// the function's domain, with the table and its columns under `[external.tables]`.
/// A trigger the language cannot express stays a raw block that depends on the function.
pub(super) fn read_external_triggers(
    query: &mut Query,
    cat: &mut Catalog,
    in_list: &str,
) -> Result<(), String> {
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, t.tgname, t.tgtype, fn.nspname, f.proname, pg_get_triggerdef(t.oid, true), t.tgattr::text, fn.nspname in ({in_list}), t.tgenabled \
         from pg_trigger t join pg_proc f on f.oid = t.tgfoid join pg_namespace fn on fn.oid = f.pronamespace \
         join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace \
         where not t.tgisinternal and fn.nspname in ({in_list}) and n.nspname not in ({in_list}) order by 1, 2"
    ))?;
    for r in &rows {
        let table = &r[0];
        let (schema, _) = table.split_once('.').unwrap_or(("", ""));
        cat.external_schemas.insert(schema.to_string());
        let function = r[4].clone();
        // Declared either way: `[on]` and a raw block's `creates.triggers` name it.
        if !cat.external_tables.contains_key(table) {
            let cols = external_columns(query, table)?;
            cat.external_tables.insert(table.clone(), cols);
        }
        match trigger_of(&r[1..]) {
            Some(trigger) => {
                cat.on_external.push(OnExternal {
                    owner: function,
                    table: table.clone(),
                    object: ExternalObject::Trigger(trigger),
                });
            }
            None => {
                let depends_on = if cat.functions.iter().any(|f| f.name == function) {
                    vec![function.clone()]
                } else {
                    Vec::new()
                };
                cat.raws.push(Raw {
                    owner: function,
                    name: format!("trigger_{}", r[1]),
                    sql: format!("{};", r[5]),
                    why: format!("a trigger on {table}, a table the project does not own, that the language does not express (UPDATE OF columns, INSTEAD OF or disabled)"),
                    depends_on,
                    creates: vec![("triggers", format!("{table}.{}", r[1]))],
                });
            }
        }
    }
    Ok(())
}

/// Supabase's schemas whose tables carry the project's own policies (`storage.objects`
/// above all): the platform creates the tables, the project guards them.
const PLATFORM_SCHEMAS: &str = "'auth', 'storage'";

/// Policies on the tables of Supabase's `auth` and `storage` schemas (when they are not
/// imported themselves): declared under `[on."schema.table"]`, with the table's columns
/// under `[external.tables]` and the functions and tables they use as external. Policies
/// in other schemas that are not imported belong to what was left out on purpose.
pub(super) fn read_external_policies(
    query: &mut Query,
    cat: &mut Catalog,
    in_list: &str,
) -> Result<(), String> {
    let outside = format!("n.nspname in ({PLATFORM_SCHEMAS}) and n.nspname not in ({in_list})");
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, {POLICY_COLUMNS} from pg_policy p \
         join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace \
         where {outside} order by 1, 2"
    ))?;
    if rows.is_empty() {
        return Ok(());
    }
    for r in &rows {
        let table = &r[0];
        let (schema, _) = table.split_once('.').unwrap_or(("", ""));
        cat.external_schemas.insert(schema.to_string());
        if !cat.external_tables.contains_key(table) {
            let cols = external_columns(query, table)?;
            cat.external_tables.insert(table.clone(), cols);
        }
        let policy = policy_of(&r[1..], &mut cat.roles);
        cat.on_external.push(OnExternal {
            owner: policy.name.clone(),
            table: table.clone(),
            object: ExternalObject::Policy(policy),
        });
    }
    // What their expressions use outside the imported schemas.
    let used = query(&format!(
        "select distinct case when d.refclassid = 'pg_proc'::regclass then 'function' else 'table' end, \
           coalesce((select fn.nspname || '.' || f.proname from pg_proc f join pg_namespace fn on fn.oid = f.pronamespace where d.refclassid = 'pg_proc'::regclass and f.oid = d.refobjid), \
                    (select tn.nspname || '.' || t.relname from pg_class t join pg_namespace tn on tn.oid = t.relnamespace where d.refclassid = 'pg_class'::regclass and t.oid = d.refobjid)) \
         from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace \
         join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = p.oid and d.refclassid in ('pg_proc'::regclass, 'pg_class'::regclass) \
         where {outside} and d.refobjid <> p.polrelid order by 1, 2"
    ))?;
    for u in &used {
        let (schema, _) = u[1].split_once('.').unwrap_or(("", ""));
        let imported = in_list
            .split(',')
            .any(|s| s.trim().trim_matches('\'') == schema);
        if u[1].is_empty() || imported || ["pg_catalog", "information_schema"].contains(&schema) {
            continue;
        }
        cat.external_schemas.insert(schema.to_string());
        if u[0] == "function" {
            cat.external_functions.insert(u[1].clone());
        } else if !cat.external_tables.contains_key(&u[1]) {
            let cols = external_columns(query, &u[1])?;
            cat.external_tables.insert(u[1].clone(), cols);
        }
    }
    Ok(())
}
