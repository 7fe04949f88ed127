//! `anon` may not write under an always-true policy.
//!
//! ## What it does
//! Flags a policy that applies to `anon` (directly, or through `public` or no
//! `roles`) for `insert`, `update`, `delete` or `all`, whose `using` or `with_check`
//! is literally `true`.
//!
//! ## Why
//! Anyone with the project's public API key is `anon`. An always-true write policy
//! lets the internet insert, change or delete any row.
//!
//! ## Example
//! ```toml
//! [tables.survey_responses.policies.survey_responses_anon_insert]
//! command = "insert"
//! roles = ["anon"]
//! with_check = "true"   # flagged
//! ```
//!
//! ## Fix
//! Constrain the rows anon may write (`with_check = "survey_id in (select id from
//! survey_forms where is_public)"`), or exempt the policy's table with the reason.

use crate::ir::{Ir, PolicyCommand};
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for t in crate::lint::table_parts(ir) {
        for p in t.policies {
            let anon = p.roles.is_empty() || p.roles.iter().any(|(r, _)| r == "anon" || r == "public");
            if !anon || p.command == PolicyCommand::Select {
                continue;
            }
            for (e, l) in p.using.iter().chain(p.with_check.iter()) {
                if is_true(e) {
                    out.push(Finding::new("anon-write-always-true", t.subject, format!("policy `{}` lets `anon` {} any row of `{}`", p.name, if p.command == PolicyCommand::All { "write".to_string() } else { p.command.sql().to_lowercase() }, t.display()), l, "always true", if p.roles.is_empty() { "restrict the rows anon may write, or add `roles` naming the roles that may write (without `roles` the policy applies to every role, anon included)" } else if p.roles.iter().any(|(r, _)| r == "anon") { "restrict the rows anon may write, or remove `anon` from `roles`" } else { "restrict the rows anon may write, or replace `public` in `roles` by the roles that may write" }));
                    break;
                }
            }
        }
    }
}

/// Whether an expression is literally true (`true`, `(true)`, `1 = 1`).
pub fn is_true(expr: &str) -> bool {
    let e: String = expr.chars().filter(|c| !c.is_whitespace() && *c != '(' && *c != ')').collect();
    e.eq_ignore_ascii_case("true") || e == "1=1"
}
