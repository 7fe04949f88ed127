//! The statements for the objects a domain puts on an external table. The table is
//! never created, altered or dropped; its RLS setting is left as the owner set it.

use super::ddl::{create_index, create_policy, create_trigger, drop_policy, drop_trigger};
use super::ddl::{privilege_list, privileges};
use super::quote::{quote_ident, quote_qname, quote_role};
use crate::ir::{Index, OnExternal, QName};

/// Indexes, revokes and grants, triggers, then policies.
pub fn create_on_external(o: &OnExternal) -> Vec<String> {
    let mut out: Vec<String> = o
        .indexes
        .iter()
        .map(|ix| create_index(&o.table, ix))
        .collect();
    out.extend(privileges(&quote_qname(&o.table), &o.grants, &o.revokes));
    out.extend(o.triggers.iter().map(|t| create_trigger(&o.table, t)));
    for p in &o.policies {
        out.extend(create_policy(&o.table, p));
    }
    out
}

/// `DROP INDEX` of an index on `table` (an index lives in its table's schema).
pub fn drop_index(table: &QName, ix: &Index) -> String {
    format!(
        "DROP INDEX {}.{};",
        quote_ident(&table.schema),
        quote_ident(&ix.name)
    )
}

/// Undoes [`create_on_external`]: policies, triggers, the grants, then the indexes.
/// Revokes are not undone: what the role held before is not known.
pub fn drop_on_external(o: &OnExternal) -> Vec<String> {
    let mut out: Vec<String> = o
        .policies
        .iter()
        .rev()
        .map(|p| drop_policy(&o.table, p))
        .collect();
    out.extend(o.triggers.iter().rev().map(|t| drop_trigger(&o.table, t)));
    for g in &o.grants {
        out.push(format!(
            "REVOKE {} ON TABLE {} FROM {};",
            privilege_list(g),
            quote_qname(&o.table),
            quote_role(&g.role)
        ));
    }
    out.extend(o.indexes.iter().rev().map(|ix| drop_index(&o.table, ix)));
    out
}
