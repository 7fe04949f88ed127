//! Extensions between two states: created first (before anything that may use their
//! types and functions), moved or updated, and dropped last.

use std::collections::BTreeMap;

use crate::emit::{quote_ident, quote_literal};
use crate::plan::snapshot::SnapshotExtension;

/// `CREATE EXTENSION` for the new ones; `ALTER EXTENSION` for a new schema or version.
pub(super) fn changes(
    old: &BTreeMap<String, SnapshotExtension>,
    new: &BTreeMap<String, SnapshotExtension>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut schemas = std::collections::BTreeSet::new();
    for (name, e) in new {
        match old.get(name) {
            None => {
                let mut stmt = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(name));
                if let Some(s) = &e.schema {
                    if schemas.insert(s) {
                        out.push(format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(s)));
                    }
                    stmt.push_str(&format!(" WITH SCHEMA {}", quote_ident(s)));
                }
                if let Some(v) = &e.version {
                    stmt.push_str(&format!(" VERSION {}", quote_literal(v)));
                }
                out.push(format!("{stmt};"));
            }
            Some(before) => {
                if before.schema != e.schema {
                    if let Some(s) = &e.schema {
                        if schemas.insert(s) {
                            out.push(format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(s)));
                        }
                    }
                    // Back to the server's choice: the schema of the search path's head.
                    let to = match &e.schema {
                        Some(s) => quote_ident(s),
                        None => "public".to_string(),
                    };
                    out.push(format!(
                        "ALTER EXTENSION {} SET SCHEMA {to};",
                        quote_ident(name)
                    ));
                }
                if before.version != e.version {
                    out.push(match &e.version {
                        Some(v) => format!(
                            "ALTER EXTENSION {} UPDATE TO {};",
                            quote_ident(name),
                            quote_literal(v)
                        ),
                        None => format!("ALTER EXTENSION {} UPDATE;", quote_ident(name)),
                    });
                }
            }
        }
    }
    out
}

/// `DROP EXTENSION` for those the new state no longer declares. Without `CASCADE`: an
/// object that still uses one stops the migration instead of being dropped with it.
pub(super) fn drops(
    old: &BTreeMap<String, SnapshotExtension>,
    new: &BTreeMap<String, SnapshotExtension>,
) -> Vec<String> {
    old.keys()
        .filter(|n| !new.contains_key(*n))
        .map(|n| format!("DROP EXTENSION IF EXISTS {};", quote_ident(n)))
        .collect()
}
