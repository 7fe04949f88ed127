//! The catalogs of the imported schemas, read into plain structs.

use std::collections::{BTreeMap, BTreeSet};

pub use super::model::*;

use super::access::{read_policies, read_triggers};
use crate::live::drift::Query;

pub(super) fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A type as `format_type` prints it, in the language's spelling: identifiers unquoted
/// (`"Mood"[]` is written `Mood[]`).
pub(super) fn type_name(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.push('"');
            }
            '"' => quoted = !quoted,
            c => out.push(c),
        }
    }
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(super) fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// PostgreSQL's array text (`{a,b,"c d"}`) as items.
fn pg_array(s: &str) -> Vec<String> {
    let inner = s.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if !inner.is_empty() {
        out.push(cur);
    }
    out
}

fn privileges(list: &mut Vec<String>) {
    const ALL: [&str; 7] = crate::lint::privileges::TABLE_PRIVILEGES;
    list.sort_by_key(|p| ALL.iter().position(|x| x == p));
    list.dedup();
    if ALL.iter().all(|p| list.iter().any(|x| x == p)) {
        *list = vec!["all".to_string()];
    }
}

fn action(c: &str) -> &'static str {
    match c {
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set_null",
        "d" => "set_default",
        _ => "no_action",
    }
}

/// Reads everything in `schemas`.
pub fn read(query: &mut Query, schemas: &[String]) -> Result<Catalog, String> {
    let mut cat = Catalog::default();
    let in_list = schemas.iter().map(|s| lit(s)).collect::<Vec<_>>().join(",");
    let row = query(
        "select current_setting('server_version_num')::int / 10000, current_database(), \
        exists (select 1 from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace \
        where n.nspname = 'public' and array_to_string(d.defaclacl, ',') like '%anon=%')",
    )?;
    let first = row.first().ok_or("the server returned no version")?;
    cat.server_major = first[0].parse().unwrap_or(15);
    cat.database = first[1].clone();
    cat.supabase = first[2] == "t";

    // Extensions: the language has none, so they are listed, to create beforehand.
    for r in query(
        "select e.extname, n.nspname, e.extversion from pg_extension e \
         join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql' order by 1",
    )? {
        cat.extensions
            .push((r[0].clone(), r[1].clone(), r[2].clone()));
    }
    if cat
        .extensions
        .iter()
        .any(|e| crate::ir::extensions::known(&e.0).is_none())
    {
        for r in query(crate::ir::extensions::MEMBERS_QUERY)? {
            if crate::ir::extensions::known(&r[0]).is_some() || r[0] == "plpgsql" {
                continue;
            }
            let m = cat.extension_members.entry(r[0].clone()).or_default();
            match r[1].as_str() {
                "type" => {
                    m.types.insert(r[2].clone());
                }
                "function" => {
                    m.functions.entry(r[2].clone()).or_default();
                }
                "opclass" => {
                    m.opclasses.insert(r[2].clone());
                }
                _ => {
                    m.methods.insert(r[2].clone());
                }
            }
        }
    }

    // Objects that belong to extensions are the extension's, not the project's.
    let ext = "not exists (select 1 from pg_depend e where e.objid = {oid} and e.deptype = 'e')";
    let not_ext = |oid: &str| ext.replace("{oid}", oid);

    // Tables.
    let rows = query(&format!(
        "select c.oid, n.nspname, c.relname, c.relrowsecurity, coalesce(obj_description(c.oid, 'pg_class'), ''), c.relforcerowsecurity, \
         coalesce((select string_agg(case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end || ':' || lower(a.privilege_type), ',' order by 1) \
           from aclexplode(c.relacl) a where a.grantee <> c.relowner), '') \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r','p') and not c.relispartition and n.nspname in ({in_list}) and {} order by 2, 3",
        not_ext("c.oid")
    ))?;
    let mut oids = Vec::new();
    for r in &rows {
        oids.push(r[0].clone());
        let mut t = Table {
            schema: r[1].clone(),
            name: r[2].clone(),
            rls: r[3] == "t",
            force_rls: r[5] == "t",
            comment: opt(&r[4]),
            ..Default::default()
        };
        t.grants = grants(&r[6], &mut cat.roles);
        cat.tables.push(t);
    }
    let index_of: BTreeMap<String, usize> = oids
        .iter()
        .enumerate()
        .map(|(i, o)| (o.clone(), i))
        .collect();
    if !oids.is_empty() {
        read_columns(query, &mut cat, &index_of)?;
        read_constraints(query, &mut cat, &index_of)?;
        read_indexes(query, &mut cat, &index_of)?;
        read_policies(query, &mut cat, &index_of)?;
        read_triggers(query, &mut cat, &index_of, &in_list)?;
    }

    // Enums.
    let rows = query(&format!(
        "select n.nspname, t.typname, coalesce(obj_description(t.oid, 'pg_type'), ''), \
         (select string_agg(quote_literal(e.enumlabel), ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) \
         from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.typtype = 'e' and n.nspname in ({in_list}) and {} order by 1, 2",
        not_ext("t.oid")
    ))?;
    for r in &rows {
        cat.enums.push(Enum {
            schema: r[0].clone(),
            name: r[1].clone(),
            comment: opt(&r[2]),
            values: split_literals(&r[3]),
        });
    }

    // Views.
    let rows = query(&format!(
        "select n.nspname, c.relname, c.relkind = 'm', pg_get_viewdef(c.oid, true), \
         coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'security_invoker'), ''), \
         coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'check_option'), ''), \
         coalesce(obj_description(c.oid, 'pg_class'), ''), \
         coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'security_barrier'), ''), \
         coalesce((select string_agg(case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end || ':' || lower(a.privilege_type), ',' order by 1) \
           from aclexplode(c.relacl) a where a.grantee <> c.relowner), '') \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('v','m') and n.nspname in ({in_list}) and {} order by 1, 2",
        not_ext("c.oid")
    ))?;
    for r in &rows {
        let query_text = r[3].trim().trim_end_matches(';').trim().to_string();
        cat.views.push(View {
            schema: r[0].clone(),
            name: r[1].clone(),
            materialized: r[2] == "t",
            query: query_text,
            security_invoker: matches!(r[4].as_str(), "true" | "on" | "1" | "yes"),
            check_option: opt(&r[5]),
            comment: opt(&r[6]),
            security_barrier: matches!(r[7].as_str(), "true" | "on" | "1" | "yes"),
            grants: grants(&r[8], &mut cat.roles),
        });
    }

    read_functions(query, &mut cat, &in_list, &not_ext("p.oid"))?;
    super::external::read_externals(query, &mut cat, &in_list)?;
    super::external::read_external_triggers(query, &mut cat, &in_list)?;
    super::external::read_external_policies(query, &mut cat, &in_list)?;
    Ok(cat)
}

fn split_literals(s: &str) -> Vec<String> {
    // quote_literal values joined by commas: 'a','b''c'
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if in_str && chars.peek() == Some(&'\'') => {
                chars.next();
                cur.push('\'');
            }
            '\'' => {
                in_str = !in_str;
                if !in_str {
                    out.push(std::mem::take(&mut cur));
                }
            }
            'E' if !in_str => {}
            '\\' if in_str => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if in_str => cur.push(c),
            _ => {}
        }
    }
    out
}

fn grants(acl: &str, roles: &mut BTreeSet<String>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in acl.split(',').filter(|s| !s.is_empty()) {
        if let Some((role, privilege)) = item.rsplit_once(':') {
            if role != "public" {
                roles.insert(role.to_string());
            }
            out.entry(role.to_string())
                .or_default()
                .push(privilege.to_string());
        }
    }
    for v in out.values_mut() {
        privileges(v);
    }
    out
}

fn read_columns(
    query: &mut Query,
    cat: &mut Catalog,
    index_of: &BTreeMap<String, usize>,
) -> Result<(), String> {
    let oid_list = index_of.keys().cloned().collect::<Vec<_>>().join(",");
    // The sequences owned by columns (serial) are read once and joined: a subquery per
    // column made this quadratic (minutes at 10,000 tables).
    let rows = query(&format!(
        "with owned as (select dp.refobjid, dp.refobjsubid, min(s.relname) as seq from pg_depend dp \
           join pg_class s on s.oid = dp.objid \
           where dp.classid = 'pg_class'::regclass and dp.refclassid = 'pg_class'::regclass \
             and s.relkind = 'S' and dp.deptype = 'a' group by 1, 2) \
         select a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
         coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity, a.attgenerated, coalesce(col_description(a.attrelid, a.attnum), ''), \
         coalesce(o.seq::text, '') \
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
         left join owned o on o.refobjid = a.attrelid and o.refobjsubid = a.attnum \
         where a.attrelid in ({oid_list}) and a.attnum > 0 and not a.attisdropped order by a.attrelid, a.attnum"
    ))?;
    for r in &rows {
        let Some(&i) = index_of.get(&r[0]) else {
            continue;
        };
        let mut c = Column {
            name: r[1].clone(),
            ty: type_name(&r[2]),
            not_null: r[3] == "t",
            comment: opt(&r[7]),
            ..Default::default()
        };
        match r[5].as_str() {
            "a" => c.identity = Some("always"),
            "d" => c.identity = Some("by_default"),
            _ => {}
        }
        if r[6] == "s" {
            c.generated = opt(&r[4]);
        } else if !r[8].is_empty() && r[4].starts_with("nextval(") {
            // A serial column: its sequence is owned by the column.
            c.ty = match c.ty.as_str() {
                "bigint" => "bigserial".into(),
                "smallint" => "smallserial".into(),
                _ => "serial".into(),
            };
        } else {
            c.default = opt(&r[4]);
        }
        cat.tables[i].columns.push(c);
    }
    Ok(())
}

fn read_constraints(
    query: &mut Query,
    cat: &mut Catalog,
    index_of: &BTreeMap<String, usize>,
) -> Result<(), String> {
    let oid_list = index_of.keys().cloned().collect::<Vec<_>>().join(",");
    let rows = query(&format!(
        "select c.conrelid, c.conname, c.contype, \
         (select array_agg(a.attname order by k.i) from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n), \
         coalesce(rn.nspname || '.' || rc.relname, ''), \
         (select array_agg(a.attname order by k.i) from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n), \
         c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred, pg_get_constraintdef(c.oid, true), \
         coalesce((select i.indnullsnotdistinct from pg_index i where i.indexrelid = c.conindid), false) \
         from pg_constraint c left join pg_class rc on rc.oid = c.confrelid left join pg_namespace rn on rn.oid = rc.relnamespace \
         where c.conrelid in ({oid_list}) and c.contype in ('p','u','c','f') order by c.conrelid, c.conname"
    ))?;
    for r in &rows {
        let Some(&i) = index_of.get(&r[0]) else {
            continue;
        };
        let cols = pg_array(&r[3]);
        let t = &mut cat.tables[i];
        match r[2].as_str() {
            "p" => t.primary_key = Some((r[1].clone(), cols)),
            "u" => t.uniques.push((r[1].clone(), cols, r[11] == "t")),
            "c" => {
                // A NOT VALID check is imported as a check; the report names it.
                let def = r[10].trim();
                let def = def.strip_suffix(" NOT VALID").unwrap_or(def);
                let expr = def
                    .strip_prefix("CHECK (")
                    .and_then(|e| e.strip_suffix(')'))
                    .unwrap_or(def)
                    .to_string();
                t.checks.push((r[1].clone(), expr));
            }
            _ => t.foreign_keys.push(ForeignKey {
                name: r[1].clone(),
                columns: cols,
                target: r[4].clone(),
                target_columns: pg_array(&r[5]),
                on_delete: action(&r[6]),
                on_update: action(&r[7]),
                deferrable: match (r[8].as_str(), r[9].as_str()) {
                    ("t", "t") => Some("deferred"),
                    ("t", _) => Some("immediate"),
                    _ => None,
                },
            }),
        }
    }
    Ok(())
}

fn read_indexes(
    query: &mut Query,
    cat: &mut Catalog,
    index_of: &BTreeMap<String, usize>,
) -> Result<(), String> {
    let oid_list = index_of.keys().cloned().collect::<Vec<_>>().join(",");
    let rows = query(&format!(
        "select i.indrelid, c.relname, i.indisunique, am.amname, i.indnatts, i.indnkeyatts, \
         array_to_string(i.indkey::int2[], ','), array_to_string(i.indoption::int2[], ','), \
         (select string_agg(pg_get_indexdef(i.indexrelid, k, true), E'\\x1f' order by k) from generate_series(1, i.indnkeyatts) k), \
         coalesce(pg_get_expr(i.indpred, i.indrelid), ''), pg_get_indexdef(i.indexrelid), n.nspname, \
         {}, {}, coalesce(array_to_string(c.reloptions, E'\\x1f'), '') \
         from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam join pg_namespace n on n.oid = c.relnamespace \
         where i.indrelid in ({oid_list}) and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p','u','x')) \
         order by i.indrelid, c.relname",
        crate::live::drift::index_key_options_sql("i"),
        crate::live::drift::index_include_sql("i", "E'\\x1f'")
    ))?;
    for r in &rows {
        let Some(&i) = index_of.get(&r[0]) else {
            continue;
        };
        let keys: Vec<&str> = r[6].split(',').collect();
        let defs: Vec<String> = r[8].split('\u{1f}').map(str::to_string).collect();
        let options: Vec<&str> = r[12].split('\u{2}').collect();
        let mut columns = Vec::new();
        let mut expressions = Vec::new();
        let mut expressible = true;
        for (n, (k, def)) in keys.iter().zip(&defs).enumerate() {
            let o = options.get(n).copied().unwrap_or("");
            if *k == "0" {
                // An expression key with a collation, operator class or order.
                expressible &= o.is_empty();
                expressions.push(def.clone());
            } else if expressions.is_empty() {
                let name = def.trim_matches('"').replace("\"\"", "\"");
                // A name with spaces could not be told from its options.
                expressible &= o.is_empty() || !name.contains(char::is_whitespace);
                columns.push(if o.is_empty() {
                    name
                } else {
                    format!("{name} {o}")
                });
            } else {
                expressible = false;
            }
        }
        let include: Vec<String> = r[13]
            .split('\u{1f}')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let parameters: Vec<(String, String)> = r[14]
            .split('\u{1f}')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let t = &mut cat.tables[i];
        if expressible && crate::ir::INDEX_METHODS.contains(&r[3].as_str()) {
            t.indexes.push(Index {
                name: r[1].clone(),
                unique: r[2] == "t",
                method: r[3].clone(),
                columns,
                include,
                parameters,
                expressions,
                predicate: opt(&r[9]),
            });
        } else {
            let owner = t.name.clone();
            cat.raws.push(Raw {
                owner: owner.clone(),
                name: r[1].clone(),
                sql: format!("{};", r[10]),
                why: "an index the language does not express (an expression key with a collation, operator class or order, an expression before a column, or an unknown method)".into(),
                depends_on: vec![owner],
                creates: vec![("relations", format!("{}.{}", t.schema, r[1]))],
            });
        }
    }
    Ok(())
}

fn read_functions(
    query: &mut Query,
    cat: &mut Catalog,
    in_list: &str,
    not_ext: &str,
) -> Result<(), String> {
    let rows = query(&format!(
        "select p.oid, n.nspname, p.proname, l.lanname, p.prosrc, p.provolatile, p.prosecdef, coalesce(array_to_string(p.proconfig, E'\\x1f'), ''), \
         coalesce(obj_description(p.oid, 'pg_proc'), ''), pg_get_function_result(p.oid), \
         coalesce(array_to_string(p.proargmodes, ','), ''), p.pronargs, \
         coalesce((select string_agg(coalesce(p.proargnames[k], '') || E'\\x1f' || format_type(p.proargtypes[k - 1], null) || E'\\x1f' || coalesce(pg_get_function_arg_default(p.oid, k), ''), E'\\x1e' order by k) \
           from generate_series(1, p.pronargs) k), ''), \
         coalesce((select string_agg(case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end, ',' order by 1) \
           from aclexplode(p.proacl) a where a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner), case when p.proacl is null then 'public' else '' end), \
         pg_get_functiondef(p.oid), pg_get_function_identity_arguments(p.oid) \
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang \
         where n.nspname in ({in_list}) and p.prokind = 'f' and {not_ext} \
         and not exists (select 1 from pg_depend i where i.classid = 'pg_proc'::regclass and i.objid = p.oid and i.deptype = 'i') order by 2, 3, 1"
    ))?;
    let mut seen = BTreeSet::new();
    for r in &rows {
        let key = format!("{}.{}", r[1], r[2]);
        let overloaded = !seen.insert(key);
        let args: Vec<(String, String, Option<String>)> = r[12]
            .split('\u{1e}')
            .filter(|s| !s.is_empty())
            .map(|a| {
                let parts: Vec<&str> = a.split('\u{1f}').collect();
                (
                    parts[0].to_string(),
                    type_name(parts.get(1).unwrap_or(&"")),
                    parts.get(2).and_then(|d| opt(d)),
                )
            })
            .collect();
        // Input arguments, and the columns of `RETURNS TABLE`.
        let modes_ok = r[10].is_empty() || r[10].split(',').all(|m| m == "i" || m == "t");
        let language_ok = r[3] == "plpgsql" || r[3] == "sql";
        let names_ok = args.iter().all(|(n, _, _)| !n.is_empty());
        let body_ok = !r[4].contains("$schemac$");
        let mut search_path = None;
        let mut other_config = false;
        for cfg in r[7].split('\u{1f}').filter(|s| !s.is_empty()) {
            match cfg.strip_prefix("search_path=") {
                Some(sp) => {
                    search_path = Some(if sp == "\"\"" {
                        String::new()
                    } else {
                        sp.to_string()
                    })
                }
                None => other_config = true,
            }
        }
        if overloaded || !modes_ok || !language_ok || !names_ok || !body_ok || other_config {
            // The function as PostgreSQL prints it, with its comment and privileges.
            let sig = format!("{}.{}({})", quote(&r[1]), quote(&r[2]), r[15]);
            let mut sql = format!(
                "{};\nREVOKE ALL ON FUNCTION {sig} FROM PUBLIC;",
                r[14].trim_end()
            );
            for role in r[13].split(',').filter(|s| !s.is_empty()) {
                let grantee = if role == "public" {
                    "PUBLIC".to_string()
                } else {
                    quote(role)
                };
                sql.push_str(&format!("\nGRANT EXECUTE ON FUNCTION {sig} TO {grantee};"));
            }
            if !r[8].is_empty() {
                sql.push_str(&format!("\nCOMMENT ON FUNCTION {sig} IS {};", lit(&r[8])));
            }
            // One block per function; the third overload of a name gets `_2`, and so on.
            let base = format!("function_{}", r[2]);
            let numbered = |n: &str| {
                n.strip_prefix(base.as_str())
                    .and_then(|rest| rest.strip_prefix('_'))
                    .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            };
            let taken = cat
                .raws
                .iter()
                .filter(|x| x.name == base || numbered(&x.name))
                .count();
            let name = if taken == 0 {
                base
            } else {
                format!("{base}_{}", taken + 1)
            };
            cat.raws.push(Raw {
                owner: r[2].clone(),
                name,
                sql,
                why: "a function the language does not express (an overload, OUT or VARIADIC arguments, unnamed arguments, another language, or settings besides search_path)".into(),
                depends_on: Vec::new(),
                creates: vec![("functions", format!("{}.{}", r[1], r[2]))],
            });
            continue;
        }
        let returns = r[9]
            .replacen("SETOF ", "setof ", 1)
            .replacen("TABLE(", "table(", 1);
        let execute: Vec<String> = r[13]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        cat.roles
            .extend(execute.iter().filter(|r| *r != "public").cloned());
        cat.functions.push(Function {
            schema: r[1].clone(),
            name: r[2].clone(),
            arguments: args,
            returns,
            language: r[3].clone(),
            body: r[4].clone(),
            volatility: match r[5].as_str() {
                "i" => "immutable",
                "s" => "stable",
                _ => "volatile",
            },
            security_definer: r[6] == "t",
            search_path,
            comment: opt(&r[8]),
            execute,
        });
    }
    Ok(())
}
