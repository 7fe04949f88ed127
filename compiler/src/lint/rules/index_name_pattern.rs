//! Index names follow the project's pattern.
//!
//! ## What it does
//! When `[naming] index_pattern` is set (for example `"idx_{table}_{columns}"`),
//! checks that every index name starts with the part before `{columns}` (here
//! `idx_<table>_`). Derived names follow the whole pattern; an explicit name may end
//! in what the index is for (`idx_crm_leads_open_by_owner` for a partial index).
//!
//! ## Why
//! The module registry design and the unification design name indexes `idx_<table>_<what>`; a consistent pattern tells a
//! reviewer which table an index belongs to from a query plan alone.
//!
//! ## Example
//! ```toml
//! [[tables.crm_leads.indexes]]
//! columns = ["owner_id"]
//! name = "leads_owner"   # flagged: expected a name starting with idx_crm_leads_
//! ```
//!
//! ## Fix
//! Remove `name` (the derived name follows the pattern) or rename the index.

use crate::ir::{IndexKey, Ir};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    let Some((pattern, _)) = &ir.project.naming.index_pattern else { return };
    for t in crate::lint::table_parts(ir) {
        for ix in t.indexes {
            let cols: Vec<&str> = ix.keys.iter().filter_map(|k| if let IndexKey::Column(c) = k { Some(c.as_str()) } else { None }).collect();
            let prefix = pattern.split("{columns}").next().unwrap_or("").replace("{table}", &t.name.name);
            if !ix.name.starts_with(&prefix) {
                let derived = pattern.replace("{table}", &t.name.name).replace("{columns}", &cols.join("_"));
                let want = if cols.is_empty() { format!("a name starting with `{prefix}`") } else { format!("a name starting with `{prefix}`, such as `{derived}`") };
                out.push(Finding::new("index-name-pattern", t.subject, format!("index `{}` does not follow the pattern `{pattern}`", ix.name), &ix.loc, format!("expected {want}"), format!("give it {want}")));
            }
        }
    }
}
