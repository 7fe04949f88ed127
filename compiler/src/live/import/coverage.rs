//! Every catalog object of the imported schemas accounted for: what the import takes as
//! language or as a raw block is counted, and everything else is named with its kind and
//! why it was left out. Nothing is dropped without a word.
//!
//! The list below is the import's own list of what the language does not hold yet; the
//! coverage test builds a database with one object of every catalog kind and fails when
//! one is neither imported, raw nor named here.

use super::read::Catalog;
use crate::live::drift::Query;

/// An object the import did not take.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    /// `partition`, `sequence`, `exclusion constraint`, ...
    pub kind: String,
    pub object: String,
    pub why: String,
}

/// Objects of each kind: taken as language, as raw blocks, and left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub typed: usize,
    pub raw: usize,
    pub skipped: usize,
}

/// The objects the language does not hold, as one catalog query: kind, object, why.
/// Extension members are the extension's and never listed.
fn skipped_sql(in_list: &str) -> String {
    let not_ext = |cls: &str, oid: &str| {
        format!("not exists (select 1 from pg_depend e where e.classid = '{cls}'::regclass and e.objid = {oid} and e.deptype = 'e')")
    };
    let rel = format!(
        "pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ({in_list}) and {}",
        not_ext("pg_class", "c.oid")
    );
    let name = "n.nspname || '.' || c.relname";
    [
        format!("select 'partitioned table', {name}, 'imported as a plain table: its partition key (' || pg_get_partkeydef(c.oid) || ') is not imported' from {rel} and c.relkind = 'p'"),
        format!("select 'partition', {name}, 'a partition of ' || (select pn.nspname || '.' || pc.relname from pg_inherits h join pg_class pc on pc.oid = h.inhparent join pg_namespace pn on pn.oid = pc.relnamespace where h.inhrelid = c.oid) || ' (' || pg_get_expr(c.relpartbound, c.oid) || '): partitions are not imported' from {rel} and c.relispartition"),
        format!("select 'inheritance', {name}, 'inherits from ' || (select string_agg(pn.nspname || '.' || pc.relname, ', ') from pg_inherits h join pg_class pc on pc.oid = h.inhparent join pg_namespace pn on pn.oid = pc.relnamespace where h.inhrelid = c.oid) || ': imported as a table of its own' from {rel} and c.relkind = 'r' and not c.relispartition and exists (select 1 from pg_inherits h where h.inhrelid = c.oid)"),
        format!("select 'sequence', {name}, 'a sequence no column owns (not serial or identity): sequences are not imported' from {rel} and c.relkind = 'S' and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))"),
        format!("select 'composite type', {name}, 'composite types are not imported' from {rel} and c.relkind = 'c'"),
        format!("select 'foreign table', {name}, 'foreign tables are not imported' from {rel} and c.relkind = 'f'"),
        format!("select 'index', {name}, 'an index on a view or a partitioned table''s partition is not imported' from {rel} and c.relkind in ('i', 'I') and exists (select 1 from pg_index x join pg_class t on t.oid = x.indrelid where x.indexrelid = c.oid and (t.relkind in ('m') or t.relispartition))"),
        format!("select 'row security', {name}, 'FORCE ROW LEVEL SECURITY on a table whose row-level security is off does nothing, and is not imported' from {rel} and c.relkind in ('r', 'p') and c.relforcerowsecurity and not c.relrowsecurity"),
        format!("select 'replica identity', {name}, 'REPLICA IDENTITY ' || case c.relreplident when 'f' then 'FULL' when 'n' then 'NOTHING' else 'USING INDEX' end || ' is not imported' from {rel} and c.relkind in ('r', 'p') and c.relreplident <> 'd'"),
        format!("select 'storage parameters', {name}, 'WITH (' || array_to_string(c.reloptions, ', ') || ') is not imported' from {rel} and c.relkind in ('r', 'p', 'm') and c.reloptions is not null"),
        format!("select 'view option', {name}, 'view option(s) ' || (select string_agg(o, ', ') from unnest(c.reloptions) o where o not like 'security_invoker=%' and o not like 'security_barrier=%' and o not like 'check_option=%') || ' not imported' from {rel} and c.relkind = 'v' and exists (select 1 from unnest(c.reloptions) o where o not like 'security_invoker=%' and o not like 'security_barrier=%' and o not like 'check_option=%')"),
        format!("select 'column grant', {name} || '.' || a.attname, 'column-level privileges (' || array_to_string(a.attacl, ', ') || ') are not imported' from pg_attribute a , {rel} and c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped and a.attacl is not null"),
        format!("select 'exclusion constraint', {name} || ': ' || k.conname, pg_get_constraintdef(k.oid) || ': exclusion constraints are not imported' from pg_constraint k , {rel} and c.oid = k.conrelid and k.contype = 'x'"),
        format!("select 'constraint trigger', {name} || ': ' || k.conname, 'constraint triggers are not imported' from pg_constraint k , {rel} and c.oid = k.conrelid and k.contype = 't'"),
        format!("select 'not valid check', {name} || ': ' || k.conname, 'NOT VALID: imported as a validated check (validate it, or the first deploy fails on the rows that break it)' from pg_constraint k , {rel} and c.oid = k.conrelid and k.contype = 'c' and not k.convalidated"),
        format!("select 'not valid foreign key', {name} || ': ' || k.conname, 'NOT VALID: imported as a validated foreign key' from pg_constraint k , {rel} and c.oid = k.conrelid and k.contype = 'f' and not k.convalidated"),
        format!("select 'comment', {name} || ': ' || k.conname, 'comments on constraints are not imported' from pg_constraint k , {rel} and c.oid = k.conrelid and obj_description(k.oid, 'pg_constraint') is not null"),
        format!("select 'comment', n.nspname || '.' || c.relname, 'comments on indexes are not imported' from {rel} and c.relkind in ('i', 'I') and obj_description(c.oid, 'pg_class') is not null"),
        format!("select 'rule', {name} || ': ' || r.rulename, 'rules are not imported' from pg_rewrite r , {rel} and c.oid = r.ev_class and r.rulename <> '_RETURN'"),
        format!("select case t.typtype when 'd' then 'domain' when 'r' then 'range type' when 'b' then 'base type' else 'type' end, n.nspname || '.' || t.typname, \
           case t.typtype when 'd' then 'a domain over ' || format_type(t.typbasetype, t.typtypmod) || ': domains are not imported (columns of it keep the domain''s name)' else 'this kind of type is not imported' || case when t.typtype = 'r' then ' (nor the constructor functions that come with it)' else '' end end \
           from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname in ({in_list}) and t.typtype in ('d', 'r', 'b') and {} \
           and not (t.typtype = 'b' and t.typelem <> 0 and t.typlen = -1) and t.typrelid = 0", not_ext("pg_type", "t.oid")),
        format!("select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'window function' end, n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', \
           'this kind of routine is not imported' from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ({in_list}) and p.prokind in ('p', 'a', 'w') and {}", not_ext("pg_proc", "p.oid")),
        format!("select 'publication', p.pubname || ': ' || {name}, 'publication membership is not imported' from pg_publication_rel pr join pg_publication p on p.oid = pr.prpubid , {rel} and c.oid = pr.prrelid"),
        "select 'publication', p.pubname, 'a publication FOR ALL TABLES is not imported' from pg_publication p where p.puballtables".to_string(),
        format!("select 'schema grant', n.nspname, 'schema privileges (' || array_to_string(n.nspacl, ', ') || ') are not imported' from pg_namespace n where n.nspname in ({in_list}) and n.nspacl is not null and n.nspname <> 'public'"),
        format!("select 'default privileges', coalesce(n.nspname, 'the database') || ' for ' || pg_get_userbyid(d.defaclrole), 'ALTER DEFAULT PRIVILEGES (' || array_to_string(d.defaclacl, ', ') || ') are not imported' from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace where (n.nspname in ({in_list}) or n.nspname is null) and pg_get_userbyid(d.defaclrole) not in ('supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin')"),
        "select 'event trigger', e.evtname, 'event triggers are not imported' from pg_event_trigger e where not exists (select 1 from pg_depend d where d.classid = 'pg_event_trigger'::regclass and d.objid = e.oid and d.deptype = 'e')".to_string(),
    ]
    .join("\nunion all ")
        + "\norder by 1, 2"
}

/// The objects of `schemas` the import leaves out.
pub(super) fn skipped(query: &mut Query, in_list: &str) -> Result<Vec<Skipped>, String> {
    Ok(query(&skipped_sql(in_list))?
        .into_iter()
        .map(|r| Skipped {
            kind: r[0].clone(),
            object: r[1].clone(),
            why: r[2].clone(),
        })
        .collect())
}

/// Objects per kind, from what was read, the raw blocks and the skipped list.
pub(super) fn tally(
    cat: &Catalog,
    skipped: &[Skipped],
) -> std::collections::BTreeMap<String, Tally> {
    let mut out: std::collections::BTreeMap<String, Tally> = Default::default();
    let mut typed = |kind: &str, n: usize| {
        if n > 0 {
            out.entry(kind.to_string()).or_default().typed += n;
        }
    };
    typed("table", cat.tables.len());
    typed("view", cat.views.len());
    typed("enum", cat.enums.len());
    typed("function", cat.functions.len());
    typed("index", cat.tables.iter().map(|t| t.indexes.len()).sum());
    typed(
        "constraint",
        cat.tables
            .iter()
            .map(|t| {
                t.primary_key.iter().count()
                    + t.uniques.len()
                    + t.checks.len()
                    + t.foreign_keys.len()
            })
            .sum(),
    );
    typed("policy", cat.tables.iter().map(|t| t.policies.len()).sum());
    typed("trigger", cat.tables.iter().map(|t| t.triggers.len()).sum());
    for r in &cat.raws {
        let kind = match r.creates.first().map(|(k, _)| *k) {
            Some("functions") => "function",
            Some("triggers") => "trigger",
            Some("columns") => "column",
            _ => "index",
        };
        out.entry(kind.to_string()).or_default().raw += 1;
    }
    for s in skipped {
        out.entry(s.kind.clone()).or_default().skipped += 1;
    }
    out
}
