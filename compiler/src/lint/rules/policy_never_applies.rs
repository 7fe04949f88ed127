//! A policy's roles hold the privilege for its command, and may execute what it calls.
//!
//! ## What it does
//! Flags a policy for a role that holds none of the table privileges its command needs
//! (`select` for `select`, `update` for `update`, any of the four for `all`), judged by
//! the table's grants: such a policy never applies. And flags a policy that calls a
//! project function one of its roles may not execute: every such statement by that role
//! fails with "permission denied for function".
//!
//! A policy for `public` (or without `roles`) is judged for each role of the project,
//! for function calls only. Policies for `service_role` are not judged: it bypasses RLS,
//! so they document intent and never apply anyway.
//!
//! ## Why
//! PostgreSQL checks privileges before policies: without `GRANT UPDATE` the update
//! policy is dead text, which a reviewer reads as access that exists. A policy calling a
//! function its role cannot execute turns access into an error. Both usually mean a
//! grant was forgotten, or that the policy is left over.
//!
//! ## Example
//! ```toml
//! [tables.crm_notes.grants]
//! authenticated = ["select"]
//!
//! [tables.crm_notes.policies.crm_notes_update_own]   # flagged: no UPDATE grant
//! command = "update"
//! roles = ["authenticated"]
//! using = "author_id = (select auth.uid())"
//! ```
//!
//! ## Fix
//! Grant the privilege (`authenticated = ["select", "update"]`) or `EXECUTE` on the
//! function (`grant_execute`), or remove the policy.

use crate::ir::{Ir, ObjKind};
use crate::lint::privileges::{executes, holds, needed, policy_roles};
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    let declared: Vec<&str> = ir.project.roles.keys().map(String::as_str).filter(|r| *r != "service_role").collect();
    for (i, t) in ir.tables.iter().enumerate() {
        for p in &t.policies {
            for (role, l) in p.roles.iter().filter(|(r, _)| r != "public" && r != "service_role") {
                if !needed(p.command).iter().any(|x| holds(&t.grants, role, x)) {
                    let privs = needed(p.command).iter().map(|x| x.to_uppercase()).collect::<Vec<_>>().join(" or ");
                    out.push(Finding::new(
                        "policy-never-applies",
                        Subject::Table(i),
                        format!("policy `{}` is for `{role}`, which holds no {privs} privilege on `{}`: it never applies", p.name, t.name.name),
                        l,
                        "no privilege for this command",
                        format!("grant it (`[tables.{}.grants] {role} = [...]`), or remove `{role}` from the policy", t.name.name),
                    ));
                }
            }
            for dep in p.deps.iter().filter(|d| d.kind == ObjKind::Function) {
                let Some(f) = ir.functions.iter().find(|f| f.name == dep.name) else { continue };
                let denied: Vec<&str> = policy_roles(&p.roles, &declared).into_iter().filter(|r| *r != "service_role" && !executes(f, r)).collect();
                if denied.is_empty() {
                    continue;
                }
                // The clause that calls it, narrowed to the call's name.
                let name = f.name.name.as_str();
                let clause = p.using.iter().chain(p.with_check.iter()).find_map(|(text, l)| text.to_ascii_lowercase().find(name).map(|at| (l, at..at + name.len())));
                let at = clause.as_ref().map_or(&p.loc, |(l, _)| *l);
                let who = denied.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
                let mut finding = Finding::new(
                    "policy-never-applies",
                    Subject::Table(i),
                    format!("policy `{}` calls `{}`, which {who} may not execute: their statements on `{}` fail", p.name, f.name.name, t.name.name),
                    at,
                    "calls the function",
                    format!("add {who} to `grant_execute` of `{}`", f.name.name),
                );
                if let Some((_, range)) = clause {
                    finding = finding.within(range);
                }
                out.push(finding);
            }
        }
    }
}
