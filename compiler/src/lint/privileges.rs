//! Effective privileges, as the security rules reason about them.
//!
//! schemac emits `REVOKE ALL ... FROM PUBLIC` for every function and, with
//! `platform = "supabase"`, takes back what Supabase's default privileges give the API
//! roles on every table, view and function. So on both platforms a role holds exactly
//! what the TOML grants it, directly or through PUBLIC.

use crate::ir::{Function, Grant, PolicyCommand};

/// Table privileges of PostgreSQL 15, in the order `GRANT ALL` lists them.
pub const TABLE_PRIVILEGES: [&str; 7] = [
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
];

/// Whether `grants` give `role` the table privilege `privilege` (lower case).
pub fn holds(grants: &[Grant], role: &str, privilege: &str) -> bool {
    grants
        .iter()
        .filter(|g| g.role == role || g.role == "public")
        .any(|g| g.privileges.iter().any(|p| p == "all" || p == privilege))
}

/// The table privileges `role` holds, in [`TABLE_PRIVILEGES`] order.
pub fn table_privileges(grants: &[Grant], role: &str) -> Vec<&'static str> {
    TABLE_PRIVILEGES
        .iter()
        .copied()
        .filter(|p| holds(grants, role, p))
        .collect()
}

/// The privileges a command needs: a policy for `ALL` applies when any is held.
pub fn needed(command: PolicyCommand) -> &'static [&'static str] {
    match command {
        PolicyCommand::All => &["select", "insert", "update", "delete"],
        PolicyCommand::Select => &["select"],
        PolicyCommand::Insert => &["insert"],
        PolicyCommand::Update => &["update"],
        PolicyCommand::Delete => &["delete"],
    }
}

/// Whether `role` may execute `f`.
pub fn executes(f: &Function, role: &str) -> bool {
    f.grant_execute
        .iter()
        .any(|(r, _)| r == role || r == "public")
}

/// The roles a policy applies to: its `roles`, or every role when it names none (or
/// `public`). `declared` are the project's roles.
pub fn policy_roles<'a>(
    roles: &'a [(String, crate::diag::Loc)],
    declared: &'a [&'a str],
) -> Vec<&'a str> {
    if roles.is_empty() || roles.iter().any(|(r, _)| r == "public") {
        let mut all: Vec<&str> = declared.to_vec();
        for (r, _) in roles {
            if r != "public" && !all.contains(&r.as_str()) {
                all.push(r);
            }
        }
        if all.is_empty() {
            all.push("public");
        }
        return all;
    }
    roles.iter().map(|(r, _)| r.as_str()).collect()
}
