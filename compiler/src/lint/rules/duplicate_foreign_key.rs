//! One foreign key per set of columns.
//!
//! ## What it does
//! Flags two foreign keys of a table on the same columns: a duplicate when they point at
//! the same target with the same actions, a conflict when the target, its columns or the
//! `on delete` / `on update` actions differ.
//!
//! ## Why
//! A duplicate key checks every write twice and is a second constraint to keep in step.
//! A conflicting one is worse: PostgreSQL enforces both, so a row must satisfy two
//! targets, and of two `on delete` actions the first to fire wins, which is rarely what
//! either author meant. Supabase's advisors report duplicates as `duplicate_index` for the
//! indexes such keys usually come with.
//!
//! ## Example
//! ```toml
//! owner_id = { type = "uuid", references = "user_profiles.id" }
//!
//! [tables.crm_leads.foreign_keys.crm_leads_owner_fk]
//! columns = ["owner_id"]
//! references = "auth.users.id"   # flagged: owner_id already references user_profiles
//! ```
//!
//! ## Fix
//! Keep one foreign key for the columns: remove the other, or point it at other columns.

use std::collections::BTreeMap;

use crate::ir::{ForeignKey, Ir};
use crate::lint::{Finding, Subject};

pub fn check(ir: &Ir, out: &mut Vec<Finding>) {
    for (i, t) in ir.tables.iter().enumerate() {
        let mut first: BTreeMap<&[String], &ForeignKey> = BTreeMap::new();
        for fk in &t.foreign_keys {
            let Some(earlier) = first.get(fk.columns.as_slice()).copied() else {
                first.insert(fk.columns.as_slice(), fk);
                continue;
            };
            let same = earlier.target == fk.target
                && earlier.target_columns == fk.target_columns
                && earlier.on_delete == fk.on_delete
                && earlier.on_update == fk.on_update;
            let (what, help) = if same {
                ("duplicates", "remove one of the two".to_string())
            } else {
                (
                    "conflicts with",
                    format!(
                        "keep one foreign key on ({}): both are enforced, so a row must satisfy `{}` and `{}`",
                        fk.columns.join(", "),
                        earlier.target.name,
                        fk.target.name
                    ),
                )
            };
            let mut f = Finding::new(
                "duplicate-foreign-key",
                Subject::Table(i),
                format!(
                    "foreign key `{}` of `{}` {what} `{}` on the same columns ({})",
                    fk.name,
                    t.name.name,
                    earlier.name,
                    fk.columns.join(", ")
                ),
                &fk.loc,
                "second key on these columns",
                help,
            );
            f.labels.push((earlier.loc.clone(), "first key".into()));
            out.push(f);
        }
    }
}
