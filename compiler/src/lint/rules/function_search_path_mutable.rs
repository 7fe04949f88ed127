//! Every function fixes its `search_path`.
//!
//! ## What it does
//! Flags a function that is not `security_definer` and has no `search_path`. (Security
//! definer functions are checked, as errors, by `security-definer-search-path`.)
//!
//! ## Why
//! A function without a fixed `search_path` resolves unqualified names with its caller's
//! setting: the same trigger or helper can read a different table, or call a different
//! `now()`, depending on who runs it, and a role that may create objects in a schema
//! searched first can put its own code there. Supabase's advisors report it as
//! `function_search_path_mutable`.
//!
//! ## Example
//! ```toml
//! [functions.system_touch_updated_at]
//! returns = "trigger"
//! language = "plpgsql"
//! body = "begin new.updated_at := now(); return new; end;"   # flagged: no search_path
//! ```
//!
//! ## Fix
//! Add `search_path = ""` and schema-qualify the project's names in the body
//! (`public.deal_events`); built-in functions such as `now()` resolve through
//! `pg_catalog`, which is always searched.

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, f) in ir.functions.iter().enumerate() {
        if !f.security_definer && f.search_path.is_none() {
            out.push(Finding::new("function-search-path-mutable", Subject::Function(i), format!("function `{}` has no fixed search_path", f.name.name), &f.loc, "resolves names with its caller's search_path", "add `search_path = \"\"` and schema-qualify the names in the body"));
        }
    }
}
