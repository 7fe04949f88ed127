//! `auth.uid()` in a policy is written `(select auth.uid())`.
//!
//! ## What it does
//! Flags calls of `auth.uid()`, `auth.jwt()`, `auth.role()` and `current_setting(...)`
//! in a policy's `using` or `with_check` that are not inside a scalar sub-select without
//! `FROM` (`(select auth.uid())`), anywhere in the expression: a call inside an
//! `EXISTS (select 1 from ... where ... = auth.uid())` counts as bare too.
//!
//! ## Why
//! A bare call is evaluated once per row; wrapped in `(select ...)` PostgreSQL
//! evaluates it once per statement (an init plan). Inside a subquery that reads a table,
//! it is evaluated for every row of that subquery, for every row of the outer table. On
//! large tables the difference is orders of magnitude (splinter's `auth_rls_initplan`).
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
use crate::lint::Finding;

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for t in crate::lint::table_parts(ir) {
        for p in t.policies {
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
                let calls = bare.iter().map(|b| format!("`{b}()`")).collect::<Vec<_>>().join(", ");
                let mut finding = Finding::new("auth-call-not-wrapped", t.subject, format!("policy `{}` calls {calls} once per row", p.name), l, "evaluated for every row", format!("write `{fixed}`"));
                if let Some(call) = first_unwrapped(text) {
                    finding = finding.within(call);
                }
                out.push(finding.with_fix(Fix::SetPolicyExpression { file: l.file, section: t.toml.0, table: t.toml.1.to_string(), policy: p.name.clone(), key, text: fixed }));
            }
        }
    }
}

const AUTH_FUNCTIONS: [&str; 3] = ["uid", "jwt", "role"];
const AUTH_CALLS: [&str; 3] = ["auth.uid()", "auth.jwt()", "auth.role()"];

/// The auth functions and `current_setting` called outside a scalar sub-select without
/// `FROM` (the form PostgreSQL evaluates once per statement).
pub fn bare_auth_calls(text: &str) -> Vec<String> {
    use sqlparser::ast::{Expr, Query, SetExpr, Visit, Visitor};
    use std::ops::ControlFlow;
    struct V {
        /// Per enclosing query: whether it reads no table (`select auth.uid()`).
        once: Vec<bool>,
        bare: Vec<String>,
    }
    impl Visitor for V {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            let no_from = matches!(&*q.body, SetExpr::Select(s) if s.from.is_empty());
            self.once.push(no_from);
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.once.pop();
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if let Expr::Function(f) = e {
                if self.once.last() != Some(&true) {
                    let n = crate::ir::sql::fold(&f.name);
                    let auth = n.len() == 2 && n[0] == "auth" && AUTH_FUNCTIONS.contains(&n[1].as_str());
                    let setting = n.last().is_some_and(|l| l == "current_setting") && n.len() <= 2;
                    if auth {
                        self.bare.push(n.join("."));
                    } else if setting {
                        self.bare.push("current_setting".to_string());
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let Ok(mut parser) = sqlparser::parser::Parser::new(&dialect).try_with_sql(text) else { return Vec::new() };
    let Ok(expr) = parser.parse_expr() else { return Vec::new() };
    let mut v = V { once: Vec::new(), bare: Vec::new() };
    let _ = expr.visit(&mut v);
    v.bare.sort();
    v.bare.dedup();
    v.bare
}

/// Wraps every bare `auth.<fn>()` in `(select ...)`, leaving wrapped ones alone.
pub fn wrap_auth_calls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (range, wrapped) in auth_calls(text) {
        out.push_str(&text[at..range.start]);
        if wrapped {
            out.push_str(&text[range.clone()]);
        } else {
            out.push_str(&format!("(select {})", &text[range.clone()]));
        }
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Where the first call that is not written `(select ...)` is, for the label.
fn first_unwrapped(text: &str) -> Option<std::ops::Range<usize>> {
    auth_calls(text).into_iter().find(|(_, wrapped)| !wrapped).map(|(r, _)| r)
}

/// Every call of an auth function or `current_setting(...)`, with whether it is written
/// directly inside `(select ...)`.
fn auth_calls(text: &str) -> Vec<(std::ops::Range<usize>, bool)> {
    let mut calls = Vec::new();
    // ASCII lower case keeps every byte offset of `text` (full Unicode lower case does
    // not: `İ` becomes three bytes), and the calls looked for are ASCII.
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    while i < text.len() {
        let hit = AUTH_CALLS
            .iter()
            .find(|call| lower[i..].starts_with(*call))
            .map(|call| call.len())
            .or_else(|| setting_call_len(&lower[i..]));
        let boundary = i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric() && lower.as_bytes()[i - 1] != b'_' && lower.as_bytes()[i - 1] != b'.';
        match hit {
            Some(len) if boundary => {
                let wrapped = lower[..i].trim_end().strip_suffix("select").is_some_and(|b| b.trim_end().ends_with('('));
                calls.push((i..i + len, wrapped));
                i += len;
            }
            _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    calls
}

/// The length of a `current_setting(...)` call at the start of `lower`, up to its
/// closing parenthesis (parentheses inside string literals do not count).
fn setting_call_len(lower: &str) -> Option<usize> {
    let rest = lower.strip_prefix("current_setting")?;
    let open = rest.len() - rest.trim_start().len();
    if !rest[open..].starts_with('(') {
        return None;
    }
    let start = "current_setting".len() + open;
    let mut depth = 0usize;
    let mut in_string = false;
    for (j, b) in lower.bytes().enumerate().skip(start) {
        match b {
            b'\'' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
    }
    None
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

    #[test]
    fn settings_are_wrapped_to_their_closing_parenthesis() {
        assert_eq!(
            wrap_auth_calls("tenant = current_setting('app.tenant(id)', true)::uuid"),
            "tenant = (select current_setting('app.tenant(id)', true))::uuid"
        );
        let done = "tenant = (select current_setting('app.tenant', true))::uuid";
        assert_eq!(wrap_auth_calls(done), done);
    }
}
