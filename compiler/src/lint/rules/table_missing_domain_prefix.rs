//! Tables must start with their domain's prefix.
//!
//! ## What it does
//! Checks that every table of a domain that declares a `prefix` starts with it.
//!
//! ## Why
//! The prefix says who owns the data (the naming standard, rule 1: `system_*` is platform
//! configuration, `crm_*` is lead management). A table without it hides its owner
//! and collides with other domains' concepts.
//!
//! ## Example
//! ```toml
//! [domain]
//! name = "comms"
//! prefix = "comms_"
//!
//! [tables.messages.columns]   # flagged
//! id = { type = "uuid", primary_key = true }
//! ```
//!
//! ## Fix
//! Rename the table to `comms_messages`. `schemac lint --fix` renames it in the
//! TOML, updates references to it, and declares `[renames.tables.messages]` so the
//! migration renames the table instead of dropping it. A documented decision to keep
//! a name is an exemption: `[tables.deals.allow] table-missing-domain-prefix = "why"`.

use crate::ir::Ir;
use crate::lint::names::{check_table_names, prefix_verdict};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    check_table_names(ir, out, "table-missing-domain-prefix", |ir, d, _, n| prefix_verdict(ir, d, n).filter(|v| v.rule == "table-missing-domain-prefix"));
}
