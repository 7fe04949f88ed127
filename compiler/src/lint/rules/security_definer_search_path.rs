//! `security definer` functions fix their `search_path`.
//!
//! ## What it does
//! Flags a function with `security_definer = true` and no `search_path`.
//!
//! ## Why
//! A security-definer function runs with its owner's rights. With a mutable
//! `search_path` a caller can create an object named like one the function uses in a
//! schema searched first, and run their code with the owner's rights (splinter's
//! `function_search_path_mutable`; the DBA review's `cleanup_old_system_logs`).
//!
//! ## Example
//! ```toml
//! [functions.system_cleanup_old_logs]
//! security_definer = true   # flagged: no search_path
//! ```
//!
//! ## Fix
//! Add `search_path = ""` and schema-qualify every name in the body (or `search_path = "public"`).

use crate::ir::Ir;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, f) in ir.functions.iter().enumerate() {
        if f.security_definer && f.search_path.is_none() {
            out.push(Finding::new("security-definer-search-path", Subject::Function(i), format!("security definer function `{}` has no fixed search_path", f.name.name), &f.loc, "runs with its owner's rights", "add `search_path = \"\"` and schema-qualify the names in the body (or `search_path = \"public\"`)"));
        }
    }
}
