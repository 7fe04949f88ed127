//! Policy names follow the project's pattern.
//!
//! ## What it does
//! When `[naming] policy_pattern` is set (for example `"{table}_{name}"`), checks that
//! every policy name starts with the part before `{name}`, with `{table}` replaced by
//! the table's name.
//!
//! ## Why
//! `pg_policies` lists policies of every table together; a name that starts with the
//! table (`system_logs_settings_service_role_only`) is findable and reviewable.
//!
//! ## Example
//! ```toml
//! [tables.crm_leads.policies.owner_all]   # flagged: expected crm_leads_...
//! ```
//!
//! ## Fix
//! Rename the policy to start with the table name.

use crate::ir::Ir;
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    let Some((pattern, _)) = &ir.project.naming.policy_pattern else { return };
    for t in crate::lint::table_parts(ir) {
        let prefix = pattern.split("{name}").next().unwrap_or("").replace("{table}", &t.name.name);
        for p in t.policies {
            if !p.name.starts_with(&prefix) {
                out.push(Finding::new("policy-name-pattern", t.subject, format!("policy `{}` does not follow the pattern `{pattern}`", p.name), &p.loc, format!("expected a name starting with `{prefix}`"), format!("rename it to `{prefix}{}`", p.name)));
            }
        }
    }
}
