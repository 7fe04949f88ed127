//! Tables must not carry another domain's prefix.
//!
//! ## What it does
//! Flags a table whose name starts with the prefix of a domain other than the one
//! it is declared in, such as `billing_invoices` declared in `crm`.
//!
//! ## Why
//! The prefix is the ownership claim. A table carrying another domain's prefix
//! sits in the wrong file: its domain file, its deployment order and its reviewers
//! are wrong.
//!
//! ## Example
//! ```toml
//! [domain]
//! name = "crm"
//! prefix = "crm_"
//!
//! [tables.billing_invoices.columns]   # flagged: belongs to billing
//! id = { type = "uuid", primary_key = true }
//! ```
//!
//! ## Fix
//! Move the table to the domain whose prefix it carries, or rename it.

use crate::ir::Ir;
use crate::lint::names::{check_table_names, prefix_verdict};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    check_table_names(ir, out, "table-prefix-of-other-domain", |ir, d, _, n| prefix_verdict(ir, d, n).filter(|v| v.rule == "table-prefix-of-other-domain"));
}
