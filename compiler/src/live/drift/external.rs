//! Drift of the objects domains put on external tables. Other objects on those tables
//! belong to their owner (Supabase's own indexes and triggers on `storage.objects`), so
//! only what the TOML declares is compared: missing or changed, never extra.

use std::collections::{BTreeMap, BTreeSet};

use super::{lit, policy_row_summary, policy_summary, Diffs, Query, POLICY_COLUMNS};
use crate::ir::Ir;
use crate::lint::privileges::TABLE_PRIVILEGES;

pub(super) fn compare(ir: &Ir, query: &mut Query, d: &mut Diffs) -> Result<(), String> {
    if ir.on_external.is_empty() {
        return Ok(());
    }
    let tables: BTreeSet<String> = ir
        .on_external
        .iter()
        .map(|o| format!("({}, {})", lit(&o.table.schema), lit(&o.table.name)))
        .collect();
    let tables = tables.into_iter().collect::<Vec<_>>().join(", ");
    let mut expected: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut want = |kind: &str, key: String, value: String| {
        expected
            .entry(kind.to_string())
            .or_default()
            .insert(key, value);
    };
    for o in &ir.on_external {
        for ix in &o.indexes {
            want(
                "index",
                format!("{} on {}", ix.name, o.table),
                "present".into(),
            );
        }
        for t in &o.triggers {
            let f = &t.function;
            want(
                "trigger",
                format!("{} on {}", t.name, o.table),
                format!("enabled, calls {f}"),
            );
        }
        for p in &o.policies {
            want(
                "policy",
                format!("{} on {}", p.name, o.table),
                policy_summary(p),
            );
        }
        for g in &o.grants {
            for p in TABLE_PRIVILEGES {
                if g.privileges.iter().any(|x| x == "all" || x == p) {
                    want(
                        "grant",
                        format!("{p} on {} to {}", o.table, g.role),
                        "held".into(),
                    );
                }
            }
        }
    }
    let mut actual: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut have = |kind: &str, key: String, value: String| {
        actual
            .entry(kind.to_string())
            .or_default()
            .insert(key, value);
    };
    let rel = "join pg_class c on c.oid = x.rel join pg_namespace n on n.oid = c.relnamespace";
    let at = format!("(n.nspname, c.relname) in ({tables})");
    for r in query(&format!(
        "select n.nspname || '.' || c.relname, i.relname from (select indrelid as rel, indexrelid from pg_index) x \
         {rel} join pg_class i on i.oid = x.indexrelid where {at}"
    ))? {
        have("index", format!("{} on {}", r[1], r[0]), "present".into());
    }
    for r in query(&format!(
        "select n.nspname || '.' || c.relname, x.tgname, x.tgenabled, fn.nspname || '.' || p.proname \
         from (select tgrelid as rel, tgname, tgenabled, tgfoid from pg_trigger where not tgisinternal) x {rel} \
         join pg_proc p on p.oid = x.tgfoid join pg_namespace fn on fn.oid = p.pronamespace where {at}"
    ))? {
        let state = if r[2] == "D" { "disabled" } else { "enabled" };
        have(
            "trigger",
            format!("{} on {}", r[1], r[0]),
            format!("{state}, calls {}", r[3]),
        );
    }
    for r in query(&format!(
        "select {POLICY_COLUMNS} from pg_policies where (schemaname, tablename) in ({tables})"
    ))? {
        have(
            "policy",
            format!("{} on {}", r[1], r[0]),
            policy_row_summary(&r),
        );
    }
    for r in query(&format!(
        "select n.nspname || '.' || c.relname, case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end, lower(a.privilege_type) \
         from (select oid as rel, relacl from pg_class) x {rel}, aclexplode(x.relacl) a where {at}"
    ))? {
        have("grant", format!("{} on {} to {}", r[2], r[0], r[1]), "held".into());
    }
    let none = BTreeMap::new();
    for (kind, expected) in &expected {
        let actual = actual.get(kind).unwrap_or(&none);
        // Only the declared objects: the table's other objects are not the project's.
        let declared: BTreeMap<String, String> = actual
            .iter()
            .filter(|(k, _)| expected.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        d.keyed(kind, expected, &declared);
    }
    Ok(())
}
