//! Reserved names are refused.
//!
//! ## What it does
//! Flags tables named as an entry of a `[reserved.<category>]` list in
//! `schemac.toml`; the message names the category and its reason.
//!
//! ## Why
//! The module registry design reserves 52 platform names in 11 categories (`users`, `sites`,
//! `pages` ...) so modules cannot shadow platform tables.
//!
//! ## Example
//! ```toml
//! # schemac.toml
//! [reserved.core]
//! reason = "Essential platform tables"
//! names = ["users", "sites"]
//!
//! # a domain file
//! [tables.users.columns]   # flagged
//! id = { type = "uuid", primary_key = true }
//! ```
//!
//! ## Fix
//! Choose a specific name (`crm_contacts`, `mod_a1b2c3d4_users`).

use crate::ir::Ir;
use crate::lint::names::{check_table_names, reserved_verdict};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    check_table_names(ir, out, "reserved-name", |ir, _, _, n| reserved_verdict(ir, n));
}
