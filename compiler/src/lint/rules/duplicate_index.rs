//! No two indexes are the same.
//!
//! ## What it does
//! Flags an index with the same method, key columns or expressions and predicate as
//! another index, the primary key or a unique constraint of the same table.
//!
//! ## Why
//! A duplicate index costs write time and space and helps no query (splinter's
//! `duplicate_index`).
//!
//! ## Example
//! ```toml
//! id = { type = "uuid", primary_key = true }
//! [[tables.crm_leads.indexes]]
//! columns = ["id"]   # flagged: the primary key's index already covers it
//! ```
//!
//! ## Fix
//! Remove one of them.

use crate::ir::{IndexKey, Ir};
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        let mut seen: Vec<(String, String)> = Vec::new();
        for k in t.primary_key.iter().map(|p| &p.columns).chain(t.uniques.iter().map(|u| &u.columns)) {
            seen.push((format!("btree|{}|", k.join(",")), "a key constraint".to_string()));
        }
        for ix in &t.indexes {
            let keys: Vec<String> = ix.keys.iter().map(|k| match k {
                IndexKey::Column(c) => c.clone(),
                IndexKey::Expr(e) => e.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(),
            }).collect();
            let sig = format!("{}|{}|{}", ix.method, keys.join(","), ix.predicate.clone().unwrap_or_default());
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == sig) {
                out.push(Finding::new("duplicate-index", Subject::Table(i), format!("index `{}` duplicates {other}", ix.name), &ix.loc, "same keys", "remove this index"));
            } else {
                seen.push((sig, format!("index `{}`", ix.name)));
            }
        }
    }
}
