//! Foreign keys are backed by an index.
//!
//! ## What it does
//! Flags a foreign key whose columns are not the leading columns of an index, the
//! primary key or a unique constraint of the same table.
//!
//! ## Why
//! Deleting or updating a referenced row scans the referencing table for matches;
//! joins along the key do too. Without an index both are sequential scans
//! (splinter's `unindexed_foreign_keys`).
//!
//! ## Example
//! ```toml
//! owner_id = { type = "uuid", references = "user_profiles.id" }   # flagged without an index
//! ```
//!
//! ## Fix
//! `[[tables.<t>.indexes]] columns = ["owner_id"]`.

use crate::ir::{IndexKey, Ir};
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        let mut leading: Vec<Vec<&str>> = Vec::new();
        // A partial index serves the key only when its predicate is `<first column> is not null`.
        let serves = |ix: &&crate::ir::Index| match (&ix.predicate, ix.keys.first()) {
            (None, _) => true,
            (Some(p), Some(IndexKey::Column(c))) => p.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase() == format!("{c} is not null"),
            _ => false,
        };
        for ix in t.indexes.iter().filter(serves) {
            leading.push(ix.keys.iter().map_while(|k| if let IndexKey::Column(c) = k { Some(c.as_str()) } else { None }).collect());
        }
        leading.extend(t.primary_key.iter().map(|p| p.columns.iter().map(String::as_str).collect()));
        leading.extend(t.uniques.iter().map(|u| u.columns.iter().map(String::as_str).collect()));
        for fk in &t.foreign_keys {
            let n = fk.columns.len();
            let covered = leading.iter().any(|l| l.len() >= n && {
                let mut a: Vec<&str> = l[..n].to_vec();
                let mut b: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
                a.sort();
                b.sort();
                a == b
            });
            if !covered {
                let cols = fk.columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
                out.push(Finding::new("unindexed-foreign-key", Subject::Table(i), format!("foreign key `{}` of `{}` has no index", fk.name, t.name.name), &fk.loc, "not indexed", format!("add `[[tables.{}.indexes]] columns = [{cols}]`", t.name.name)));
            }
        }
    }
}
