//! Names are snake_case.
//!
//! ## What it does
//! Checks that tables, columns, enums, views, functions, indexes, constraints,
//! policies and triggers are named with lower-case letters, digits and single
//! underscores, starting with a letter.
//!
//! ## Why
//! Other names must be quoted in every query forever (`"Orders"`), and PostgreSQL
//! folds unquoted names to lower case, so `Orders` and `orders` silently differ.
//!
//! ## Example
//! ```toml
//! [tables.crm_Leads.columns]   # flagged
//! "First Name" = { type = "text" }   # flagged
//! ```
//!
//! ## Fix
//! Rename to snake_case: `crm_leads`, `first_name`.

use crate::diag::Loc;
use crate::ir::Ir;
use crate::lint::names::{check_table_names, snake_case_verdict};
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    check_table_names(ir, out, RULE, |_, _, _, n| snake_case_verdict("table", n));
    let mut flag = |subject: Subject, what: &str, name: &str, loc: &Loc| {
        if let Some(v) = snake_case_verdict(what, name) {
            out.push(Finding::new(RULE, subject, v.message, loc, format!("{what} name"), v.help));
        }
    };
    for (i, t) in ir.tables.iter().enumerate() {
        let s = Subject::Table(i);
        for c in &t.columns {
            flag(s, "column", &c.name, &c.loc);
        }
        for ix in &t.indexes {
            flag(s, "index", &ix.name, &ix.loc);
        }
        for c in &t.checks {
            flag(s, "check constraint", &c.name, &c.loc);
        }
        for fk in &t.foreign_keys {
            flag(s, "foreign key", &fk.name, &fk.loc);
        }
        for p in &t.policies {
            flag(s, "policy", &p.name, &p.loc);
        }
        for tr in &t.triggers {
            flag(s, "trigger", &tr.name, &tr.loc);
        }
    }
    for e in &ir.enums {
        flag(Subject::Project, "enum", &e.name.name, &e.loc);
    }
    for (i, v) in ir.views.iter().enumerate() {
        flag(Subject::View(i), "view", &v.name.name, &v.loc);
    }
    for (i, f) in ir.functions.iter().enumerate() {
        flag(Subject::Function(i), "function", &f.name.name, &f.loc);
    }
}

const RULE: &str = "identifier-not-snake-case";
