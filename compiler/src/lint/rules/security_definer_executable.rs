//! `security definer` functions are not executable over the API unless declared so.
//!
//! ## What it does
//! Flags a function with `security_definer = true` that `anon`, `authenticated` or PUBLIC
//! may execute (`grant_execute` names them) and that has no `api_reason`.
//!
//! schemac emits `REVOKE ALL ON FUNCTION ... FROM PUBLIC` for every function (and, with
//! `platform = "supabase"`, from `anon`, `authenticated` and `service_role`, which
//! Supabase's default privileges let execute every new function), then grants `EXECUTE`
//! only to the roles in `grant_execute`.
//!
//! ## Why
//! A security definer function runs with its owner's rights, which bypass RLS. Supabase
//! exposes every function in an API schema as an RPC endpoint: whoever may execute it can
//! call it over HTTP with any arguments. The DBA review's `cleanup_old_system_logs` left
//! executable by PUBLIC lets `anon` delete the logs (Supabase's advisors:
//! `anon_security_definer_function_executable`,
//! `authenticated_security_definer_function_executable`).
//!
//! ## Example
//! ```toml
//! [functions.system_cleanup_old_logs]
//! security_definer = true
//! search_path = ""
//! grant_execute = ["authenticated"]   # flagged: every user may delete the logs
//! ```
//!
//! ## Fix
//! Grant `EXECUTE` only to the roles that must run it (`service_role`, a scheduler). When
//! API callers must (policies call it, or it is a deliberate RPC that checks its caller),
//! say why with `api_reason = "..."`.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

const API_ROLES: [&str; 3] = ["public", "anon", "authenticated"];

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, f) in ir.functions.iter().enumerate() {
        if !f.security_definer || f.api_reason.is_some() {
            continue;
        }
        let exposed: Vec<_> = f.grant_execute.iter().filter(|(r, _)| API_ROLES.contains(&r.as_str())).collect();
        let Some((first, at)) = exposed.first() else { continue };
        let names = exposed.iter().map(|(r, _)| format!("`{r}`")).collect::<Vec<_>>().join(", ");
        let mut finding = Finding::new(
            "security-definer-executable",
            Subject::Function(i),
            format!("security definer function `{}` is executable by {names}, with its owner's rights", f.name.name),
            at,
            format!("`{first}` may call it over the API"),
            "grant EXECUTE only to the roles that must run it (e.g. `service_role`), or add `api_reason = \"...\"` saying why API callers need it",
        );
        for (_, l) in exposed.iter().skip(1) {
            finding.labels.push((l.clone(), "also granted".into()));
        }
        out.push(finding);
    }
}
