//! Module tables follow `mod_<8 hex>_<name>` or live in schema `mod_<8 hex>`.
//!
//! ## What it does
//! Tables whose name starts with `mod_` must be named `mod_<short id>_<name>`, and
//! schemas starting with `mod_` must be `mod_<short id>`, where the short id is 8
//! lowercase hexadecimal characters (the module registry design's `is_valid_module_short_id`).
//!
//! ## Why
//! The module registry extracts the short id from table and schema names to find a
//! module's tables; a malformed name is an orphan nobody can clean up.
//!
//! ## Example
//! ```toml
//! [tables.mod_crm_contacts.columns]   # flagged: `crm` is not a short id
//! id = { type = "uuid", primary_key = true }
//! ```
//!
//! ## Fix
//! Use the module's short id: `mod_a1b2c3d4_contacts`, or `schema = "mod_a1b2c3d4"`.

use crate::ir::Ir;
use crate::lint::names::{check_table_names, module_verdict};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    check_table_names(ir, out, "module-table-name", |_, _, s, n| module_verdict(s, n));
}
