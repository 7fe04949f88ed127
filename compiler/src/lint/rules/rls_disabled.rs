//! Every table has row-level security, or says why not.
//!
//! ## What it does
//! Flags a table with `rls = false` that gives no `rls_reason`.
//!
//! ## Why
//! On Supabase every table in an exposed schema is reachable by `anon` and
//! `authenticated` through the API; without RLS, grants alone decide who reads every
//! row. Splinter reports this as `rls_disabled_in_public`. A table can have a good
//! reason (the DBA review: `wrappers_fdw_stats` belongs to an extension), and the reason
//! belongs next to it.
//!
//! ## Example
//! ```toml
//! [tables.system_cache]
//! rls = false   # flagged: no reason
//! ```
//!
//! ## Fix
//! Remove `rls = false` and add policies, or add `rls_reason = "..."`.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        if !t.rls && t.rls_reason.as_deref().unwrap_or("").trim().is_empty() {
            let help = if t.policies.is_empty() {
                "turn RLS on (remove `rls = false`) and add policies, or add `rls_reason = \"...\"`".to_string()
            } else {
                format!("turn RLS on (remove `rls = false`): its {} policies then apply; or add `rls_reason = \"...\"`", t.policies.len())
            };
            out.push(Finding::new("rls-disabled", Subject::Table(i), format!("table `{}` has row-level security off and gives no reason", t.name.name), t.rls_loc.as_ref().unwrap_or(&t.loc), "RLS is off", help));
        }
    }
}
