//! Views over RLS tables run with the caller's rights.
//!
//! ## What it does
//! Flags a view that reads a table with row-level security and is not declared
//! `security_invoker = true`, and a materialized view over such a table that is not
//! revoked from `anon` and `authenticated` (a materialized view cannot apply its
//! readers' RLS).
//!
//! ## Why
//! By default a view runs with its owner's privileges, so RLS of the tables it reads
//! is checked against the owner, not the caller: every row becomes visible through
//! the view (the DBA review, issue 3; splinter's `security_definer_view`).
//!
//! ## Example
//! ```toml
//! [views.crm_open_leads]
//! query = "select * from crm_leads"   # flagged: no security_invoker
//! ```
//!
//! ## Fix
//! Add `security_invoker = true`. For a materialized view, revoke it from `anon` and
//! `authenticated`, or exempt it with a reason.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, v) in ir.views.iter().enumerate() {
        let revoked = |role: &str| v.revokes.iter().any(|r| r.role == role && r.privileges.iter().any(|p| p == "all" || p == "select"));
        if v.security_invoker || (v.materialized && revoked("anon") && revoked("authenticated")) {
            continue;
        }
        let rls: Vec<&str> = v.reads.iter().filter_map(|q| ir.table(q)).filter(|t| t.rls).map(|t| t.name.name.as_str()).collect();
        if rls.is_empty() {
            continue;
        }
        let list = rls.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        let (message, help) = if v.materialized {
            (format!("materialized view `{}` exposes rows of {list} without their row-level security", v.name.name), "revoke it from `anon` and `authenticated`, or exempt it with the reason it is safe".to_string())
        } else {
            (format!("view `{}` reads {list} with its owner's rights, bypassing their row-level security", v.name.name), "add `security_invoker = true`".to_string())
        };
        out.push(Finding::new("view-not-security-invoker", Subject::View(i), message, &v.loc, "runs as its owner", help));
    }
}
