//! Authorization never reads data the user can edit.
//!
//! ## What it does
//! Flags a policy's `using` or `with_check`, and the body of a `security definer`
//! function that returns `boolean` (an authorization predicate such as `is_admin()`),
//! that reads `user_metadata` (in the JWT, `auth.jwt() -> 'user_metadata'`) or
//! `raw_user_meta_data` (the column of `auth.users` behind it). A trigger that copies a
//! display name from the metadata into a profile row is not authorization and is not
//! flagged.
//!
//! ## Why
//! Supabase lets every signed-in user write their own `user_metadata`
//! (`supabase.auth.updateUser({ data: { role: 'admin' } })`), and it is copied into their
//! next JWT. A policy or a security definer function that decides from it lets any user
//! grant themselves what it guards. Supabase's advisors report this as
//! `rls_references_user_metadata`. `app_metadata` (`raw_app_meta_data`) can only be set
//! by the server, and a table of roles that only the service role writes is safer still.
//!
//! ## Example
//! ```toml
//! using = "(auth.jwt() -> 'user_metadata' ->> 'role') = 'admin'"   # flagged
//! ```
//!
//! ## Fix
//! Read `app_metadata` instead (`auth.jwt() -> 'app_metadata' ->> 'role'`), or look the
//! role up in a table the user cannot write.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

/// The user-editable field the text reads, if any.
fn reads_user_editable(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    ["raw_user_meta_data", "user_metadata"]
        .into_iter()
        .find(|w| lower.contains(w))
}

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    const HELP: &str = "decide from `app_metadata` (set by the server only) or from a table the user cannot write";
    for t in crate::lint::table_parts(ir) {
        for p in t.policies {
            for (key, clause) in [("using", &p.using), ("with_check", &p.with_check)] {
                let Some((text, l)) = clause else { continue };
                if let Some(field) = reads_user_editable(text) {
                    out.push(Finding::new(
                        "user-editable-authorization",
                        t.subject,
                        format!("the `{key}` of policy `{}` decides from `{field}`, which every user can write for themselves", p.name),
                        l,
                        "user-editable data",
                        HELP,
                    ));
                }
            }
        }
    }
    for (i, f) in ir.functions.iter().enumerate() {
        if !f.security_definer || f.returns.trim() != "boolean" {
            continue;
        }
        if let Some(field) = reads_user_editable(&f.body) {
            out.push(Finding::new(
                "user-editable-authorization",
                Subject::Function(i),
                format!("security definer function `{}` reads `{field}`, which every user can write for themselves", f.name.name),
                &f.body_loc,
                "user-editable data, with the owner's rights",
                HELP,
            ));
        }
    }
}
