//! Reads a database's catalogs back and compares them with the IR, object by object
//! (the product's drift check, `schemac::live::drift`), returning a readable list of
//! differences (empty when they agree).

use std::collections::BTreeSet;

use schemac::ir::Ir;

use super::pg::TestDb;

/// Compares every managed object with the library's drift check; one line per
/// difference.
pub fn compare(ir: &Ir, db: &TestDb) -> Vec<String> {
    let mut query = |sql: &str| db.server.rows(&db.name, sql);
    schemac::live::drift::compare(ir, &mut query)
        .unwrap_or_else(|e| panic!("catalog query failed: {e}"))
        .into_iter()
        .map(|d| format!("{} ({}): {}", d.object, d.kind, d.detail))
        .collect()
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
