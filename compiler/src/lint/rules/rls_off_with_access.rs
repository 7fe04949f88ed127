//! A table with row-level security off has no policies and grants nothing to the API roles.
//!
//! ## What it does
//! Flags a table with `rls = false` that declares policies, or that grants any privilege
//! to `anon`, `authenticated` or PUBLIC. An `rls_reason` does not silence it: revoking
//! the grants (and removing the policies) does.
//!
//! ## Why
//! With RLS off, PostgreSQL ignores the table's policies: they read like protection and
//! protect nothing. And every role holding a privilege reaches every row: through
//! Supabase's API, `anon` is anyone on the internet and `authenticated` any signed-up
//! user. Supabase's advisors report the first as `policy_exists_rls_disabled` and the
//! second as `rls_disabled_in_public`. The DBA review settled `system_logs_settings` the
//! same way: RLS on with a service-role policy, or the API roles revoked.
//!
//! Grants are judged as the TOML declares them. On Supabase, default privileges also give
//! `anon` and `authenticated` every privilege on a new table; revoke them explicitly
//! (`[tables.<t>.revokes] anon = ["all"]`) so the table is closed wherever it is deployed.
//!
//! ## Example
//! ```toml
//! [tables.system_cache]
//! rls = false
//! rls_reason = "internal cache"
//!
//! [tables.system_cache.grants]
//! authenticated = ["select"]   # flagged: every user reads every row
//! ```
//!
//! ## Fix
//! Turn RLS on (remove `rls = false`) with policies, or remove the grants to `anon`,
//! `authenticated` and PUBLIC (and revoke them) and remove the policies.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

const API_ROLES: [&str; 3] = ["anon", "authenticated", "public"];

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (index, t) in ir.tables.iter().enumerate().filter(|(_, t)| !t.rls) {
        let at = t.rls_loc.as_ref().unwrap_or(&t.loc);
        if !t.policies.is_empty() {
            let names = t
                .policies
                .iter()
                .map(|p| format!("`{}`", p.name))
                .collect::<Vec<_>>()
                .join(", ");
            let mut f = Finding::new(
                "rls-off-with-access",
                Subject::Table(index),
                format!(
                    "table `{}` has row-level security off, so its policies {names} apply to no one",
                    t.name.name
                ),
                at,
                "RLS is off",
                "turn RLS on (remove `rls = false`), or remove the policies",
            );
            for p in &t.policies {
                f.labels.push((p.loc.clone(), "ignored while RLS is off".into()));
            }
            out.push(f);
        }
        for g in t
            .grants
            .iter()
            .filter(|g| API_ROLES.contains(&g.role.as_str()) && !g.privileges.is_empty())
        {
            let mut f = Finding::new(
                "rls-off-with-access",
                Subject::Table(index),
                format!(
                    "table `{}` has row-level security off and grants `{}` {}: every row is open to it",
                    t.name.name,
                    g.role,
                    g.privileges.join(", ")
                ),
                &g.loc,
                "granted with RLS off",
                format!(
                    "remove this grant and revoke it (`[tables.{}.revokes] {} = [\"all\"]`), or turn RLS on with policies",
                    t.name.name, g.role
                ),
            );
            f.labels.push((at.clone(), "RLS is off".into()));
            out.push(f);
        }
    }
}
