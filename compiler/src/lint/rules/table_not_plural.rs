//! The last word of a table name must be a plural noun.
//!
//! ## What it does
//! Checks that the last word of each table name is plural (`assistant_sessions`,
//! `security_event_logs`), using an inflection library. Words the project accepts
//! as singular or uncountable (`status`, `settings`, `data`, `setup`) are listed in
//! `[naming] singular_words`.
//!
//! ## Why
//! The naming standard, rule 2: tables hold many rows; `workspace` next to `workspaces`
//! invites the wrong name in queries.
//!
//! ## Example
//! ```toml
//! [tables.user_workspace.columns]   # flagged: `workspace`
//! id = { type = "uuid", primary_key = true }
//! ```
//!
//! ## Fix
//! Pluralize the last word (`user_workspaces`); `schemac lint --fix` renames the table
//! and declares the rename. For an uncountable word, add it to `singular_words`.

use crate::ir::Ir;
use crate::lint::names::{check_table_names, plural_verdict};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    check_table_names(ir, out, "table-not-plural", |ir, _, _, n| plural_verdict(ir, n));
}
