//! Names PostgreSQL derives must fit its 63-byte limit.
//!
//! ## What it does
//! Names written in the TOML, and the constraint and index names schemac derives,
//! are checked when the project compiles (over 63 bytes is an error there). This rule
//! checks the names PostgreSQL itself derives: the sequence behind an identity or
//! serial column is named `<table>_<column>_seq`, and PostgreSQL shortens that name
//! silently when it is too long.
//!
//! ## Why
//! PostgreSQL truncates long names without an error. A truncated sequence name no
//! longer says which table and column it serves, migrations that rename the table
//! cannot find it by its expected name, and two truncated names can collide.
//!
//! ## Example
//! ```toml
//! [tables.analytics_feature_usage_stats_daily_rollups_by_workspace.columns]
//! id = { type = "bigint", identity = "always", primary_key = true }
//! # analytics_feature_usage_stats_daily_rollups_by_workspace_id_seq: 65 bytes
//! ```
//!
//! ## Fix
//! Shorten the table or column name.

use crate::ir::types::parse_type;
use crate::ir::{Ir, MAX_IDENT_BYTES};
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        for c in &t.columns {
            // Cheap filter first: only a type spelled with "serial" can be one.
            let maybe_serial = c
                .ty
                .as_bytes()
                .windows(6)
                .any(|w| w.eq_ignore_ascii_case(b"serial"));
            let serial = maybe_serial
                && parse_type(&c.ty).is_ok_and(|ty| matches!(ty.base.as_str(), "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"));
            if c.identity.is_none() && !serial {
                continue;
            }
            let seq = format!("{}_{}_seq", t.name.name, c.name);
            if seq.len() > MAX_IDENT_BYTES {
                out.push(Finding::new(
                    "identifier-too-long",
                    Subject::Table(i),
                    format!("the sequence of `{}.{}` would be named `{seq}`, {} bytes; PostgreSQL shortens it silently", t.name.name, c.name, seq.len()),
                    &c.loc,
                    "identity column",
                    format!("shorten the table or column name by {} bytes", seq.len() - MAX_IDENT_BYTES),
                ));
            }
        }
    }
}
