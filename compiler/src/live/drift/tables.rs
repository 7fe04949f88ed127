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
         a.attgenerated = 's', a.attidentity \
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
        let Some(cols) = by_table.get(tn.as_str()) else {
            continue;
        };
        let mut expected = BTreeMap::new();
        let mut actual = BTreeMap::new();
        for c in &t.columns {
            let ty = crate::ir::types::format_type_name(&c.canonical_ty, ds).replace('"', "");
            let default = match c.default.as_deref() {
                Some(e) if comparable(e) => normalize_expr(e),
                Some(_) => "set".to_string(),
                None if is_serial(&c.ty) => "serial".to_string(),
                None => String::new(),
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
                ("", _) => String::new(),
                // A serial column's default is `nextval` of the sequence it owns.
                (stored, None) if serial && stored.starts_with("nextval(") => "serial".to_string(),
                (_, Some(e)) if !comparable(e) => "set".to_string(),
                (stored, _) => normalize_expr(stored),
            };
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
         c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred \
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
            expected.insert(format!("{} on {tn}", c.name), plain("c"));
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

    // Indexes (those backing keys included).
    let rows = query(&format!(
        "select schemaname || '.' || tablename, indexname from pg_indexes where schemaname in ({in_list}) order by 1, 2"
    ))?;
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (format!("{} on {}", r[1], r[0]), String::new()))
        .collect();
    let mut expected = BTreeMap::new();
    for t in &ir.tables {
        for n in t
            .primary_key
            .iter()
            .map(|p| &p.name)
            .chain(t.uniques.iter().map(|u| &u.name))
            .chain(t.indexes.iter().map(|i| &i.name))
        {
            expected.insert(format!("{n} on {}", t.name), String::new());
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
