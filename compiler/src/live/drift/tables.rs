//! Drift of the parts of the project's tables: columns, constraints and indexes.

use std::collections::BTreeMap;

use super::*;

pub(super) fn compare(
    ir: &Ir,
    query: &mut Query,
    in_list: &str,
    d: &mut Diffs,
) -> Result<(), String> {
    let ds = &ir.project.default_schema;
    // Columns of the tables both sides have.
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
         case when a.attgenerated = '' then coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') else '' end, \
         a.attgenerated = 's', a.attidentity, \
         case when a.attgenerated <> '' then coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') else '' end \
         from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace \
         left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum \
         where c.relkind in ('r','p') and n.nspname in ({in_list}) and a.attnum > 0 and not a.attisdropped order by 1, a.attnum"
    ))?;
    let mut by_table: BTreeMap<&str, Vec<&Vec<String>>> = BTreeMap::new();
    for r in &rows {
        by_table.entry(r[0].as_str()).or_default().push(r);
    }
    for t in &ir.tables {
        let tn = t.name.to_string();
        let from = crate::emit::quote_qname(&t.name);
        let Some(cols) = by_table.get(tn.as_str()) else {
            continue;
        };
        let mut expected = BTreeMap::new();
        let mut actual = BTreeMap::new();
        for c in &t.columns {
            let ty = crate::ir::types::format_type_name(&c.canonical_ty, ds).replace('"', "");
            let default = match c.default.as_deref() {
                Some(_) => "set",
                None if is_serial(&c.ty) => "serial",
                None => "",
            };
            let identity = match c.identity {
                Some(crate::ir::Identity::Always) => "a",
                Some(crate::ir::Identity::ByDefault) => "d",
                None => "",
            };
            expected.insert(
                c.name.clone(),
                format!(
                    "{ty} not_null={} default=[{default}] generated={} identity=[{identity}]",
                    c.not_null,
                    c.generated.is_some()
                ),
            );
        }
        for r in cols {
            let ty = r[2].replace('"', "");
            let ty = ty
                .strip_prefix(&format!("{ds}."))
                .unwrap_or(&ty)
                .to_string();
            let ty = if ty.ends_with("[]") {
                ty.replace(&format!("{ds}."), "")
            } else {
                ty
            };
            let ir_column = t.column(&r[1]);
            let ir_default = ir_column.and_then(|c| c.default.as_deref());
            let serial = ir_column.is_some_and(|c| c.default.is_none() && is_serial(&c.ty));
            let default = match (r[4].as_str(), ir_default) {
                ("", _) => "",
                // A serial column's default is `nextval` of the sequence it owns.
                (stored, None) if serial && stored.starts_with("nextval(") => "serial",
                (stored, Some(ours)) => {
                    // Both have one: the texts are compared by their meaning.
                    d.expr(
                        format!("column {tn}: {}", r[1]),
                        "default",
                        stored,
                        ours,
                        normalize::Pair {
                            database: normalize::as_type(stored, &r[2]),
                            schema: normalize::as_type(ours, &r[2]),
                        },
                    );
                    "set"
                }
                (_, None) => "set",
            };
            if let (Some(ours), false) = (
                ir_column.and_then(|c| c.generated.as_deref()),
                r[7].is_empty(),
            ) {
                d.expr(
                    format!("column {tn}: {}", r[1]),
                    "generated",
                    &r[7],
                    ours,
                    normalize::Pair {
                        database: normalize::over_table(&r[7], &from),
                        schema: normalize::over_table(ours, &from),
                    },
                );
            }
            actual.insert(
                r[1].clone(),
                format!(
                    "{ty} not_null={} default=[{default}] generated={} identity=[{}]",
                    r[3] == "t",
                    r[5] == "t",
                    r[6]
                ),
            );
        }
        d.keyed(&format!("column {tn}:"), &expected, &actual);
        // The order of the columns both sides have (a dropped or added one is reported
        // above, not as a move of every column after it).
        let order_e: Vec<&str> = t
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| actual.contains_key(*n))
            .collect();
        let order_a: Vec<&str> = cols
            .iter()
            .map(|r| r[1].as_str())
            .filter(|n| expected.contains_key(*n))
            .collect();
        if order_e != order_a {
            d.push(
                format!("table {tn}"),
                "changed",
                format!(
                    "column order: database {}; schema {}",
                    order_a.join(", "),
                    order_e.join(", ")
                ),
            );
        }
    }

    // Constraints.
    let rows = query(&format!(
        "select n.nspname || '.' || cl.relname, c.conname, c.contype, coalesce(rn.nspname || '.' || rc.relname, ''), \
         c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred, \
         case when c.contype = 'c' then pg_get_expr(c.conbin, c.conrelid) else '' end, c.convalidated \
         from pg_constraint c join pg_class cl on cl.oid = c.conrelid join pg_namespace n on n.oid = cl.relnamespace \
         left join pg_class rc on rc.oid = c.confrelid left join pg_namespace rn on rn.oid = rc.relnamespace \
         where n.nspname in ({in_list}) and c.contype in ('p','u','c','f') order by 1, 2"
    ))?;
    let kind_name = |k: &str| match k {
        "p" => "primary key",
        "u" => "unique",
        "c" => "check",
        _ => "foreign key",
    };
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            let v = if r[2] == "f" {
                format!(
                    "foreign key to {} on delete {} on update {} deferrable {} deferred {}",
                    r[3], r[4], r[5], r[6], r[7]
                )
            } else {
                format!("{} deferrable {} deferred {}", kind_name(&r[2]), r[6], r[7])
            };
            let v = if r[9] == "f" {
                format!("{v} not valid")
            } else {
                v
            };
            (format!("{} on {}", r[1], r[0]), v)
        })
        .collect();
    let mut expected = BTreeMap::new();
    for t in &ir.tables {
        let tn = t.name.to_string();
        let plain = |k: &str| format!("{} deferrable f deferred f", kind_name(k));
        if let Some(pk) = &t.primary_key {
            expected.insert(format!("{} on {tn}", pk.name), plain("p"));
        }
        for u in &t.uniques {
            expected.insert(format!("{} on {tn}", u.name), plain("u"));
        }
        for c in &t.checks {
            let key = format!("{} on {tn}", c.name);
            if let Some(r) = rows
                .iter()
                .find(|r| r[2] == "c" && format!("{} on {}", r[1], r[0]) == key)
            {
                let from = crate::emit::quote_qname(&t.name);
                d.expr(
                    format!("constraint {key}"),
                    "check",
                    &r[8],
                    &c.expression,
                    normalize::Pair {
                        database: normalize::over_table(&r[8], &from),
                        schema: normalize::over_table(&c.expression, &from),
                    },
                );
            }
            expected.insert(key, plain("c"));
        }
        for fk in &t.foreign_keys {
            let (df, dd) = match fk.deferrable {
                None => ("f", "f"),
                Some(Deferrable::InitiallyImmediate) => ("t", "f"),
                Some(Deferrable::InitiallyDeferred) => ("t", "t"),
            };
            expected.insert(
                format!("{} on {tn}", fk.name),
                format!(
                    "foreign key to {} on delete {} on update {} deferrable {df} deferred {dd}",
                    fk.target,
                    action_code(fk.on_delete),
                    action_code(fk.on_update)
                ),
            );
        }
    }
    d.keyed("constraint", &expected, &actual);

    // Indexes (those backing keys included): uniqueness, method, each key with what
    // follows it (collation, operator class, order, NULLs), INCLUDE, WITH, the predicate.
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, ic.relname, x.indisunique, am.amname, \
         (select string_agg(case when x.indkey[k - 1] = 0 then pg_get_indexdef(x.indexrelid, k, true) else \
            (select quote_ident(a.attname) from pg_attribute a where a.attrelid = x.indrelid and a.attnum = x.indkey[k - 1]) end, chr(2) order by k) \
          from generate_series(1, x.indnkeyatts) k), \
         {}, {}, \
         coalesce(array_to_string(ic.reloptions, ', '), ''), \
         coalesce(pg_get_expr(x.indpred, x.indrelid), '') \
         from pg_index x join pg_class c on c.oid = x.indrelid join pg_class ic on ic.oid = x.indexrelid \
         join pg_namespace n on n.oid = c.relnamespace join pg_am am on am.oid = ic.relam \
         where n.nspname in ({in_list}) order by 1, 2",
        index_key_options_sql("x"),
        index_include_sql("x", "', '")
    ))?;
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            let keys: Vec<String> = r[4]
                .split('\u{2}')
                .zip(r[5].split('\u{2}').chain(std::iter::repeat("")))
                .map(|(k, o)| [unquote(k), unqualified(o)].join(" ").trim().to_string())
                .collect();
            let v = index_summary(r[2] == "t", &r[3], &keys, &r[6], &r[7]);
            (format!("{} on {}", r[1], r[0]), v)
        })
        .collect();
    let by_key: BTreeMap<String, &Vec<String>> = rows
        .iter()
        .map(|r| (format!("{} on {}", r[1], r[0]), r))
        .collect();
    let mut expected = BTreeMap::new();
    for t in &ir.tables {
        let from = crate::emit::quote_qname(&t.name);
        let keys = |cols: &[String]| cols.to_vec();
        if let Some(pk) = &t.primary_key {
            expected.insert(
                format!("{} on {}", pk.name, t.name),
                format!("unique using btree ({})", keys(&pk.columns).join(", ")),
            );
        }
        for u in &t.uniques {
            expected.insert(
                format!("{} on {}", u.name, t.name),
                format!("unique using btree ({})", keys(&u.columns).join(", ")),
            );
        }
        for ix in &t.indexes {
            let key = format!("{} on {}", ix.name, t.name);
            let Some(r) = by_key.get(&key) else {
                expected.insert(key, String::new());
                continue;
            };
            // Key expressions are compared by their meaning; a column by its name.
            let live_keys: Vec<&str> = r[4].split('\u{2}').collect();
            let mut shown = Vec::new();
            for (i, k) in ix.keys.iter().enumerate() {
                match k {
                    crate::ir::IndexKey::Column(c) => shown.push(c.clone()),
                    crate::ir::IndexKey::Expr(e) => {
                        let theirs = live_keys.get(i).copied().unwrap_or("");
                        d.expr(
                            format!("index {key}"),
                            "key",
                            theirs,
                            e,
                            normalize::Pair {
                                database: normalize::over_table(theirs, &from),
                                schema: normalize::over_table(e, &from),
                            },
                        );
                        shown.push(unquote(theirs));
                    }
                }
            }
            match (&ix.predicate, r[8].as_str()) {
                (Some(ours), theirs) if !theirs.is_empty() => d.expr(
                    format!("index {key}"),
                    "where",
                    theirs,
                    ours,
                    normalize::Pair {
                        database: normalize::over_table(theirs, &from),
                        schema: normalize::over_table(ours, &from),
                    },
                ),
                (Some(ours), _) => d.push(
                    format!("index {key}"),
                    "changed",
                    format!("where: database none -> schema `{ours}`"),
                ),
                (None, "") => {}
                (None, theirs) => d.push(
                    format!("index {key}"),
                    "changed",
                    format!("where: database `{theirs}` -> schema none"),
                ),
            }
            for (i, k) in shown.iter_mut().enumerate() {
                let o = ix.key_options.get(i).map(String::as_str).unwrap_or("");
                *k = [k.as_str(), &unqualified(o)].join(" ").trim().to_string();
            }
            let with: Vec<String> = ix
                .parameters
                .iter()
                .map(|(k, v)| {
                    let v = v
                        .strip_prefix('\'')
                        .and_then(|x| x.strip_suffix('\''))
                        .map(|x| x.replace("''", "'"))
                        .unwrap_or_else(|| v.clone());
                    format!("{k}={v}")
                })
                .collect();
            let v = index_summary(
                ix.unique,
                &ix.method,
                &shown,
                &ix.include.join(", "),
                &with.join(", "),
            );
            expected.insert(key, v);
        }
    }
    d.keyed("index", &expected, &actual);
    Ok(())
}

/// `serial`, `bigserial`, `smallserial` (and their `serialN` spellings): an integer with a
/// sequence of its own as default.
fn is_serial(ty: &str) -> bool {
    matches!(
        ty.trim().to_ascii_lowercase().as_str(),
        "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
    )
}

/// A key as `pg_get_indexdef` prints it, a quoted name unquoted (`"Order"` is `Order`);
/// expressions are left as they are.
fn unquote(key: &str) -> String {
    match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
        Some(inner) if !inner.replace("\"\"", "").contains('"') => inner.replace("\"\"", "\""),
        _ => key.to_string(),
    }
}

/// How an index is shown: `unique using btree (a DESC, b) include (c) with (fillfactor=70)`.
fn index_summary(unique: bool, method: &str, keys: &[String], include: &str, with: &str) -> String {
    let mut v = format!(
        "{}using {method} ({})",
        if unique { "unique " } else { "" },
        keys.join(", ")
    );
    if !include.is_empty() {
        v.push_str(&format!(" include ({include})"));
    }
    if !with.is_empty() {
        v.push_str(&format!(" with ({with})"));
    }
    v
}

/// What follows each key of the index `x` (a `pg_index` row), separated by `chr(2)`, in
/// the canonical form the language writes: a collation other than the column's, an
/// operator class other than the default, `DESC`, and NULLs placement other than the
/// order's default. Shared by drift and import.
pub(crate) fn index_key_options_sql(x: &str) -> String {
    // Most indexes have none of these: a test on the whole arrays (the default operator
    // classes are looked up once) skips the per-key work for them.
    format!(
        "case when {x}.indoption::int2[] <@ array[0]::int2[] and {x}.indcollation::oid[] <@ array[0, 100]::oid[] \
           and {x}.indclass::oid[] <@ (select array_agg(oid) from pg_opclass where opcdefault) then '' else \
         (select string_agg(concat_ws(' ', \
           case when {x}.indcollation[k - 1] <> 0 and {x}.indcollation[k - 1] <> coalesce((select a.attcollation from pg_attribute a where a.attrelid = {x}.indrelid and a.attnum = {x}.indkey[k - 1]), 100) \
             then 'COLLATE \"' || replace((select collname from pg_collation where oid = {x}.indcollation[k - 1]), '\"', '\"\"') || '\"' end, \
           (select case when pg_opclass_is_visible(o.oid) then '' else quote_ident(n.nspname) || '.' end || quote_ident(o.opcname) \
              from pg_opclass o join pg_namespace n on n.oid = o.opcnamespace where o.oid = {x}.indclass[k - 1] and not o.opcdefault), \
           case when {x}.indoption[k - 1] & 1 = 1 then 'DESC' end, \
           case when {x}.indoption[k - 1] & 3 = 2 then 'NULLS FIRST' when {x}.indoption[k - 1] & 3 = 1 then 'NULLS LAST' end), chr(2) order by k) \
         from generate_series(1, {x}.indnkeyatts) k) end"
    )
}

/// The `INCLUDE` columns of the index `x`, joined by `sep` (an SQL literal).
pub(crate) fn index_include_sql(x: &str, sep: &str) -> String {
    format!(
        "case when {x}.indnatts = {x}.indnkeyatts then '' else \
         coalesce((select string_agg(a.attname, {sep} order by k) from generate_series({x}.indnkeyatts + 1, {x}.indnatts) k \
         join pg_attribute a on a.attrelid = {x}.indrelid and a.attnum = {x}.indkey[k - 1]), '') end"
    )
}

/// Key options with operator classes by their name alone: the schema one is reached
/// through is not the index's.
fn unqualified(options: &str) -> String {
    options
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.starts_with('"') {
                w
            } else {
                w.rsplit('.').next().unwrap_or(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
