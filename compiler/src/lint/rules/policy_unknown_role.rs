//! Policies name only roles the project declares.
//!
//! ## What it does
//! Flags a policy whose `roles` include a role not declared under `[roles]` in
//! `schemac.toml` (`public` is always known).
//!
//! ## Why
//! `CREATE POLICY ... TO admins` fails at deploy time if the role does not exist, and
//! a misspelt role (`authenticted`) silently leaves the intended users without access
//! on a database where it happens to exist.
//!
//! ## Example
//! ```toml
//! [tables.crm_leads.policies.crm_leads_read]
//! roles = ["authenticted"]   # flagged
//! using = "true"
//! ```
//!
//! ## Fix
//! Correct the role, or declare it: `[roles.admins]`.

use crate::diag::did_you_mean;
use crate::ir::Ir;
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for t in crate::lint::table_parts(ir) {
        for p in t.policies {
            for (r, l) in &p.roles {
                if r != "public" && !ir.project.roles.contains_key(r) {
                    let help = match did_you_mean(r, ir.project.roles.keys().map(String::as_str)) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("declare it in schemac.toml: `[roles.{r}]`"),
                    };
                    out.push(Finding::new("policy-unknown-role", t.subject, format!("policy `{}` names role `{r}`, which the project does not declare", p.name), l, "unknown role", help));
                }
            }
        }
    }
}
