//! Table names must say what they hold and for whom.
//!
//! ## What it does
//! Flags tables named exactly as an entry of `[naming] generic_names` in
//! `schemac.toml` (for example `messages`, `calls`, `items`, `data`).
//!
//! ## Why
//! The naming standard, rule 3: "keep names boring and literal", no generic names without
//! context. `messages` collides with every future kind of message; `comms_messages`
//! does not.
//!
//! ## Example
//! ```toml
//! [tables.messages.columns]   # flagged
//! id = { type = "uuid", primary_key = true }
//! ```
//!
//! ## Fix
//! Rename the table after its domain and content (`comms_messages`), and declare the
//! rename.

use crate::ir::Ir;
use crate::lint::names::{check_table_names, generic_verdict};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    check_table_names(ir, out, "generic-table-name", |ir, _, _, n| generic_verdict(ir, n));
}
