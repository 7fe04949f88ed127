//! Views over RLS tables and external tables run with the caller's rights.
//!
//! ## What it does
//! Flags a view that reads a table with row-level security, or a table the project does
//! not own (declared under `[external]`, such as `auth.users`), and is not declared
//! `security_invoker = true`; and a materialized view over such a table that `anon` or
//! `authenticated` may read (a materialized view stores rows and has no
//! `security_invoker`: it cannot apply its readers' RLS).
//!
//! ## Why
//! By default a view runs with its owner's privileges, so RLS of the tables it reads
//! is checked against the owner, not the caller: every row becomes visible through
//! the view (the DBA review, issue 3; Supabase's advisors: `security_definer_view`,
//! `auth_users_exposed`, `materialized_view_in_api`). A view over `auth.users` owned by
//! the deploying role shows every user's email to whoever may read the view.
//!
//! ## Example
//! ```toml
//! [views.crm_open_leads]
//! query = "select * from crm_leads"   # flagged: no security_invoker
//! ```
//!
//! ## Fix
//! Add `security_invoker = true`. For a materialized view, grant it only to roles
//! that may see every row (e.g. `service_role`), or exempt it with a reason.

use crate::ir::Ir;
use crate::lint::privileges::holds;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, v) in ir.views.iter().enumerate() {
        let readers: Vec<&str> = ["anon", "authenticated"].into_iter().filter(|r| holds(&v.grants, r, "select")).collect();
        if v.security_invoker || (v.materialized && readers.is_empty()) {
            continue;
        }
        let protected: Vec<String> = v
            .reads
            .iter()
            .filter_map(|q| match ir.table(q) {
                Some(t) => t.rls.then(|| format!("`{}`", t.name.name)),
                None => (ir.project.external_tables.contains_key(q) || ir.project.external_schemas.contains(&q.schema)).then(|| format!("`{q}`")),
            })
            .collect();
        if protected.is_empty() {
            continue;
        }
        let list = protected.join(", ");
        let (message, help) = if v.materialized {
            (format!("materialized view `{}` shows every row of {list} to {}, whatever their row-level security", v.name.name, readers.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(" and ")), "grant it only to roles that may see every row (remove `anon` and `authenticated` from its grants), or exempt it with the reason it is safe".to_string())
        } else {
            (format!("view `{}` reads {list} with its owner's rights, bypassing the caller's privileges and row-level security", v.name.name), "add `security_invoker = true`".to_string())
        };
        let label = if v.materialized { "stores every row, for every reader" } else { "runs as its owner" };
        out.push(Finding::new("view-not-security-invoker", Subject::View(i), message, &v.loc, label, help));
    }
}
