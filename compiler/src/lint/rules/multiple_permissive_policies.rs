//! One permissive policy per table, role and command.
//!
//! ## What it does
//! Flags a table where two or more permissive policies apply to the same role for the
//! same command. A policy without `roles` (or for `public`) applies to every role the
//! project declares; a policy for `all` applies to `select`, `insert`, `update` and
//! `delete`.
//!
//! ## Why
//! PostgreSQL evaluates every permissive policy that applies and ORs the results, for
//! every row: two policies cost two evaluations where one expression with `or` costs
//! one, and the intent is spread over two places (Supabase's advisors:
//! `multiple_permissive_policies`).
//!
//! ## Example
//! ```toml
//! [tables.crm_notes.policies.crm_notes_select_own]
//! command = "select"
//! roles = ["authenticated"]
//! using = "author_id = (select auth.uid())"
//!
//! [tables.crm_notes.policies.crm_notes_select_shared]   # flagged with the one above
//! command = "select"
//! roles = ["authenticated"]
//! using = "is_shared"
//! ```
//!
//! ## Fix
//! Merge them into one policy whose expression joins the two with `or`, or give one of
//! them other roles or commands (for example split an `all` policy into `insert`,
//! `update` and `delete`).

use std::collections::BTreeMap;

use crate::ir::{Ir, PolicyCommand};
use crate::lint::privileges::policy_roles;
use crate::lint::Finding;

const COMMANDS: [PolicyCommand; 4] = [PolicyCommand::Select, PolicyCommand::Insert, PolicyCommand::Update, PolicyCommand::Delete];

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    let declared: Vec<&str> = ir.project.roles.keys().map(String::as_str).collect();
    for t in crate::lint::table_parts(ir) {
        // (role, command) -> the permissive policies that apply.
        let mut applies: BTreeMap<(&str, PolicyCommand), Vec<usize>> = BTreeMap::new();
        for (k, p) in t.policies.iter().enumerate().filter(|(_, p)| p.permissive) {
            for role in policy_roles(&p.roles, &declared) {
                for c in COMMANDS.iter().filter(|c| p.command == PolicyCommand::All || p.command == **c) {
                    applies.entry((role, *c)).or_default().push(k);
                }
            }
        }
        // One finding per set of overlapping policies, listing where they overlap.
        let mut overlaps: BTreeMap<Vec<usize>, Vec<String>> = BTreeMap::new();
        for ((role, c), ps) in applies {
            if ps.len() > 1 {
                overlaps.entry(ps).or_default().push(format!("{role} {}", c.sql().to_lowercase()));
            }
        }
        for (ps, wheres) in overlaps {
            let names = ps.iter().map(|k| format!("`{}`", t.policies[*k].name)).collect::<Vec<_>>().join(", ");
            let first = &t.policies[ps[0]];
            let mut f = Finding::new(
                "multiple-permissive-policies",
                t.subject,
                format!("table `{}` has {} permissive policies for the same role and command: {names} ({})", t.display(), ps.len(), wheres.join(", ")),
                &first.loc,
                "evaluated together with the others",
                "merge them into one policy joining the expressions with `or`, or give them distinct roles or commands",
            );
            for k in &ps[1..] {
                f.labels.push((t.policies[*k].loc.clone(), "overlaps".into()));
            }
            out.push(f);
        }
    }
}
