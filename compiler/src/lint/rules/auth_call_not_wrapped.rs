//! `auth.uid()` in a policy is written `(select auth.uid())`.
//!
//! ## What it does
//! Flags calls of `auth.uid()`, `auth.jwt()` or `auth.role()` in a policy's `using`
//! or `with_check` that are not inside a sub-select.
//!
//! ## Why
//! A bare call is evaluated once per row; wrapped in `(select ...)` PostgreSQL
//! evaluates it once per statement (an init plan). On large tables the difference is
//! orders of magnitude (splinter's `auth_rls_initplan`).
//!
//! ## Example
//! ```toml
//! using = "owner_id = auth.uid()"   # flagged
//! ```
//!
//! ## Fix
//! `using = "owner_id = (select auth.uid())"`. `schemac lint --fix` rewrites it.

use crate::ir::Ir;
use crate::lint::fix::Fix;
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        for p in &t.policies {
            for (key, clause) in [("using", &p.using), ("with_check", &p.with_check)] {
                let Some((text, l)) = clause else { continue };
                // Cheap first pass: if wrapping changes nothing, every call is wrapped
                // already and the expression need not be parsed.
                let fixed = wrap_auth_calls(text);
                if fixed == *text {
                    continue;
                }
                let bare = bare_auth_calls(text);
                if bare.is_empty() {
                    continue;
                }
                out.push(
                    Finding::new("auth-call-not-wrapped", Subject::Table(i), format!("policy `{}` calls {} once per row", p.name, bare.iter().map(|b| format!("`{b}()`")).collect::<Vec<_>>().join(", ")), l, "evaluated for every row", format!("write `{fixed}`"))
                        .with_fix(Fix::SetPolicyExpression { file: l.file, table: t.name.name.clone(), policy: p.name.clone(), key, text: fixed }),
                );
            }
        }
    }
}

const AUTH_FUNCTIONS: [&str; 3] = ["uid", "jwt", "role"];
const AUTH_CALLS: [&str; 3] = ["auth.uid()", "auth.jwt()", "auth.role()"];

/// The auth functions called outside any sub-select.
pub fn bare_auth_calls(text: &str) -> Vec<String> {
    use std::ops::ControlFlow;
    use sqlparser::ast::{Expr, InTarget, Visit, Visitor};
    struct V {
        depth: usize,
        bare: Vec<String>,
    }
    impl Visitor for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::In {
                    target: InTarget::Subquery(_),
                    ..
                } => self.depth += 1,
                Expr::Function(f) if self.depth == 0 => {
                    let n = crate::ir::sql::fold(&f.name);
                    if n.len() == 2 && n[0] == "auth" && AUTH_FUNCTIONS.contains(&n[1].as_str()) {
                        self.bare.push(n.join("."));
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if matches!(e, Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::In {
                    target: InTarget::Subquery(_),
                    ..
                }) {
                self.depth -= 1;
            }
            ControlFlow::Continue(())
        }
    }
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let Ok(mut parser) = sqlparser::parser::Parser::new(&dialect).try_with_sql(text) else { return Vec::new() };
    let Ok(expr) = parser.parse_expr() else { return Vec::new() };
    let mut v = V { depth: 0, bare: Vec::new() };
    let _ = expr.visit(&mut v);
    v.bare.sort();
    v.bare.dedup();
    v.bare
}

/// Wraps every bare `auth.<fn>()` in `(select ...)`, leaving wrapped ones alone.
pub fn wrap_auth_calls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    // ASCII lower case keeps every byte offset of `text` (full Unicode lower case does
    // not: `İ` becomes three bytes), and the calls looked for are ASCII.
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    while i < text.len() {
        let hit = AUTH_CALLS.iter().find(|call| lower[i..].starts_with(*call));
        let boundary = i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric() && lower.as_bytes()[i - 1] != b'_' && lower.as_bytes()[i - 1] != b'.';
        match hit {
            Some(call) if boundary => {
                let wrapped = lower[..i].trim_end().strip_suffix("select").is_some_and(|b| b.trim_end().ends_with('('));
                let original = &text[i..i + call.len()];
                if wrapped {
                    out.push_str(original);
                } else {
                    out.push_str(&format!("(select {original})"));
                }
                i += call.len();
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap_auth_calls;

    #[test]
    fn characters_whose_lower_case_is_longer_keep_their_offsets() {
        assert_eq!(
            wrap_auth_calls("'İ' <> '' and id = auth.uid()"),
            "'İ' <> '' and id = (select auth.uid())"
        );
        assert_eq!(wrap_auth_calls("'ẞİ' = AUTH.UID()"), "'ẞİ' = (select AUTH.UID())");
    }
}
