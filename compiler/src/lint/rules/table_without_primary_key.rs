//! Every table has a primary key.
//!
//! ## What it does
//! Flags a table without a primary key.
//!
//! ## Why
//! Without one, rows cannot be addressed reliably: updates through the API, logical
//! replication and most tooling need it, and duplicates creep in.
//!
//! ## Example
//! ```toml
//! [tables.crm_lead_tags.columns]   # flagged
//! lead_id = { type = "uuid" }
//! tag = { type = "text" }
//! ```
//!
//! ## Fix
//! Mark a column `primary_key = true`, or declare `[tables.<t>.primary_key] columns = [...]`.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        if t.primary_key.is_none() {
            out.push(Finding::new("table-without-primary-key", Subject::Table(i), format!("table `{}` has no primary key", t.name.name), &t.loc, "no primary key", "add `primary_key = true` to a column or `[tables.<t>.primary_key] columns = [...]`"));
        }
    }
}
