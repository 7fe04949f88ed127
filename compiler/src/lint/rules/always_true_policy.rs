//! No role writes every row, and no role reads every row of a sensitive table.
//!
//! ## What it does
//! Flags a policy whose `using` or `with_check` is literally true:
//! - for `insert`, `update`, `delete` or `all`, for any role but `service_role` (which
//!   bypasses RLS anyway); policies that apply to `anon` are reported by
//!   `anon-write-always-true`;
//! - for `select`, on a table marked `sensitive = true` (tokens, keys, MFA secrets,
//!   recovery codes).
//!
//! ## Why
//! An always-true write policy lets every signed-in user change or delete every other
//! user's rows: it is RLS in name only (Supabase's advisors: `rls_policy_always_true`).
//! On a sensitive table, an always-true read policy hands every user's secrets to every
//! user.
//!
//! ## Example
//! ```toml
//! [tables.user_oauth_tokens]
//! sensitive = true
//!
//! [tables.user_oauth_tokens.policies.user_oauth_tokens_authenticated_select]
//! command = "select"
//! roles = ["authenticated"]
//! using = "true"   # flagged: every user reads every token
//! ```
//!
//! ## Fix
//! Restrict the rows: `using = "user_id = (select auth.uid())"`. If the table really is
//! shared by every user, exempt it with the reason.

use crate::ir::{Ir, PolicyCommand};
use crate::lint::Finding;

use super::anon_write_always_true::is_true;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for t in crate::lint::table_parts(ir) {
        for p in t.policies {
            let everyone = p.roles.is_empty() || p.roles.iter().any(|(r, _)| r == "anon" || r == "public");
            let only_service = !p.roles.is_empty() && p.roles.iter().all(|(r, _)| r == "service_role");
            if only_service {
                continue;
            }
            let read = p.command == PolicyCommand::Select;
            if read && !t.sensitive || !read && everyone {
                continue;
            }
            let Some((_, l)) = p.using.iter().chain(p.with_check.iter()).find(|(e, _)| is_true(e)) else { continue };
            let who = p.roles.iter().map(|(r, _)| format!("`{r}`")).collect::<Vec<_>>().join(", ");
            let who = if who.is_empty() { "every role".to_string() } else { who };
            let (message, help) = if read {
                (format!("policy `{}` lets {who} read every row of sensitive table `{}`", p.name, t.display()), "restrict the rows to their owner, e.g. `using = \"user_id = (select auth.uid())\"`")
            } else {
                let verb = if p.command == PolicyCommand::All { "read and write".to_string() } else { p.command.sql().to_lowercase() };
                (format!("policy `{}` lets {who} {verb} every row of `{}`", p.name, t.display()), "restrict the rows each caller may write, e.g. `using = \"user_id = (select auth.uid())\"`")
            };
            out.push(Finding::new("always-true-policy", t.subject, message, l, "always true", help));
        }
    }
}
