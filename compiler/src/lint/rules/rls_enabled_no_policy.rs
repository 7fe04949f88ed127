//! A table with RLS on has policies, unless it is service-role only.
//!
//! ## What it does
//! Flags a table with row-level security on and no policy, unless it declares
//! `service_role_only = true` (the service role bypasses RLS).
//!
//! ## Why
//! RLS without policies denies every row to every role but the owner: usually a
//! forgotten policy, not a decision (the DBA review: `system_logs_settings` had 0 policies).
//! Splinter reports this as `rls_enabled_no_policy`.
//!
//! ## Example
//! ```toml
//! [tables.system_logs_settings.columns]   # flagged: RLS on, no policy
//! id = { type = "uuid", primary_key = true }
//! ```
//!
//! ## Fix
//! Add policies, or declare `service_role_only = true` and revoke anon and
//! authenticated: `[tables.system_logs_settings.revokes] anon = ["all"]`.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        if t.rls && t.policies.is_empty() && !t.service_role_only {
            out.push(Finding::new("rls-enabled-no-policy", Subject::Table(i), format!("table `{}` has row-level security on but no policy", t.name.name), &t.loc, "no policy", format!("add `[tables.{}.policies.<name>]`, or declare `service_role_only = true`", t.name.name)));
        }
    }
}
