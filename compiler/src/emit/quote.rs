//! The one place identifiers and literals become SQL text.

use crate::ir::QName;

/// Quotes an identifier: always double-quoted, embedded quotes doubled. This is the
/// same rule sea-query applies to the identifiers it is given, so both emitters agree.
pub fn quote_ident(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    push_ident(&mut s, name);
    s
}

/// [`quote_ident`], appended to `out`.
pub fn push_ident(out: &mut String, name: &str) {
    out.push('"');
    if name.contains('"') {
        out.push_str(&name.replace('"', "\"\""));
    } else {
        out.push_str(name);
    }
    out.push('"');
}

/// `"schema"."name"`.
pub fn quote_qname(q: &QName) -> String {
    let mut s = String::with_capacity(q.schema.len() + q.name.len() + 5);
    push_qname(&mut s, q);
    s
}

/// [`quote_qname`], appended to `out`.
pub fn push_qname(out: &mut String, q: &QName) {
    push_ident(out, &q.schema);
    out.push('.');
    push_ident(out, &q.name);
}

/// Settings every generated transaction starts with, before any literal: literals are
/// written for `standard_conforming_strings = on` (a backslash is an ordinary character),
/// and a server configured with it off would read `'\'` as an open string. The files
/// are UTF-8.
pub const LITERAL_SETTINGS: &str =
    "SET LOCAL standard_conforming_strings = on;\nSET LOCAL client_encoding = 'UTF8';\n";

/// `BEGIN`, the literal settings, and the timeouts, so that a deployment never queues
/// behind a lock.
pub fn begin_transaction(lock_timeout: &str, statement_timeout: &str) -> String {
    format!(
        "BEGIN;\n{LITERAL_SETTINGS}SET LOCAL lock_timeout = {};\nSET LOCAL statement_timeout = {};\n",
        quote_literal(lock_timeout),
        quote_literal(statement_timeout)
    )
}

/// Relations a transaction can lock on a stock PostgreSQL before "out of shared memory":
/// the lock table holds `max_locks_per_transaction * (max_connections +
/// max_prepared_transactions)` objects (6,400 by default) and, measured on PostgreSQL 15,
/// takes about twice that from spare shared memory (10,352 relations passed, 13,000
/// failed). Below this many, no guard is written.
const LOCK_GUARD_FROM: usize = 5_000;

/// About how many relations the statements in `sql` lock in one transaction: each new
/// table with its TOAST table and TOAST index, each index, view, sequence, and each
/// table a statement alters or drops.
pub fn estimated_locks(sql: &str) -> usize {
    let mut n = 0;
    for line in sql.lines() {
        let l = line.trim_start();
        n += if l.starts_with("CREATE TABLE") || l.starts_with("CREATE MATERIALIZED VIEW") {
            3
        } else if l.starts_with("CREATE INDEX")
            || l.starts_with("CREATE UNIQUE INDEX")
            || l.starts_with("CREATE VIEW")
            || l.starts_with("CREATE OR REPLACE VIEW")
            || l.starts_with("CREATE SEQUENCE")
            || l.starts_with("ALTER TABLE")
            || l.starts_with("DROP")
            || l.contains("PRIMARY KEY")
            || l.contains(" UNIQUE")
            || l.contains(" GENERATED ")
            || l.contains("serial")
        {
            1
        } else {
            0
        };
    }
    n
}

/// For a transaction that locks more relations than a stock server takes, a statement
/// that checks the server's lock table first and stops with what to do, instead of
/// "out of shared memory" halfway through.
pub fn lock_guard(sql: &str) -> Option<String> {
    let n = estimated_locks(sql);
    (n > LOCK_GUARD_FROM).then(|| {
        format!(
            "-- This transaction locks about {n} relations. PostgreSQL holds about twice\n\
             -- max_locks_per_transaction * (max_connections + max_prepared_transactions) locks\n\
             -- (12,800 on a stock server); the block below checks that first.\n\
             DO $schemac$\n\
             DECLARE\n  slots bigint := current_setting('max_connections')::bigint\n    \
             + current_setting('max_prepared_transactions')::bigint;\n\
             BEGIN\n  IF 2 * 0.9 * current_setting('max_locks_per_transaction')::bigint * slots < {n} THEN\n    \
             RAISE EXCEPTION 'this transaction locks about {n} relations, more than this server''s lock table holds'\n      \
             USING HINT = format('set max_locks_per_transaction to at least %s (postgresql.conf, then restart), or apply the per-domain files in generated/domains/ in order, one transaction each', ceil({n} / (2 * 0.9 * slots)));\n  \
             END IF;\nEND\n$schemac$;\n"
        )
    })
}

/// A string literal, for `standard_conforming_strings = on` (every generated
/// transaction sets it: [`LITERAL_SETTINGS`]).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A role in `GRANT`/`TO` lists: `PUBLIC` is a keyword, every other role is quoted.
pub fn quote_role(role: &str) -> String {
    if role == "public" {
        "PUBLIC".to_string()
    } else {
        quote_ident(role)
    }
}

/// Text safe inside a `--` comment (no line breaks).
pub fn comment_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        text.replace(['\n', '\r'], " ").into()
    } else {
        text.into()
    }
}

/// The squawk rule a generated statement knowingly breaks, as a `-- squawk-ignore`
/// line before it. Every such statement is intended: a rollback drops what its
/// migration created, renames follow a declared rename, a type change or drop was
/// acknowledged in the TOML.
pub fn squawk_ignore(stmt: &str) -> Option<&'static str> {
    let s = stmt.trim_start();
    let has = |p: &str| s.contains(p);
    let rule = if s.starts_with("DROP SCHEMA") {
        "ban-drop-schema"
    } else if s.starts_with("DROP TABLE") {
        "ban-drop-table"
    } else if s.starts_with("DROP TYPE") {
        "ban-drop-type"
    } else if s.starts_with("DROP VIEW") || s.starts_with("DROP MATERIALIZED VIEW") {
        "ban-drop-view"
    } else if s.starts_with("DROP FUNCTION") {
        "ban-drop-function"
    } else if s.starts_with("DROP EXTENSION") {
        // An extension the TOML no longer declares, dropped last and without CASCADE.
        "ban-drop-extension"
    } else if s.starts_with("DROP INDEX") {
        "require-concurrent-index-deletion"
    } else if s.starts_with("ALTER TABLE") && has(" RENAME COLUMN ") {
        "renaming-column"
    } else if s.starts_with("ALTER TABLE") && has(" RENAME CONSTRAINT ") {
        "renaming-object"
    } else if s.starts_with("ALTER TABLE") && has(" RENAME TO ") {
        "renaming-table"
    } else if (s.starts_with("ALTER TYPE")
        || s.starts_with("ALTER INDEX")
        || s.starts_with("ALTER POLICY")
        || s.starts_with("ALTER TRIGGER")
        || s.starts_with("ALTER SEQUENCE"))
        && has(" RENAME TO ")
    {
        "renaming-object"
    } else if s.starts_with("ALTER TABLE") && has(" DROP COLUMN ") {
        "ban-drop-column"
    } else if s.starts_with("ALTER TABLE") && has(" DROP CONSTRAINT ") {
        "ban-drop-constraint"
    } else if s.starts_with("ALTER TABLE") && has(" DROP DEFAULT") {
        "ban-drop-default"
    } else if s.starts_with("ALTER TABLE") && has(" DROP NOT NULL") {
        "ban-drop-not-null"
    } else if s.starts_with("ALTER TABLE") && has(" SET NOT NULL") {
        "adding-not-nullable-field"
    } else if s.starts_with("ALTER TABLE") && has(" ALTER COLUMN ") && has(" TYPE ") {
        "changing-column-type"
    } else {
        return None;
    };
    Some(rule)
}

/// The statement with its `-- squawk-ignore` line, when it needs one.
pub fn annotated(stmt: &str) -> String {
    match squawk_ignore(stmt) {
        Some(rule) => format!("-- squawk-ignore {rule}\n{stmt}"),
        None => stmt.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::{Alias, PostgresQueryBuilder, Table};

    #[test]
    fn quoting_matches_sea_query() {
        for name in [
            "plain",
            "Mixed Case",
            "a\"b",
            "semi;colon",
            "naïve",
            "x\"\"y",
        ] {
            let ours = format!("DROP TABLE {}", quote_ident(name));
            let theirs = Table::drop()
                .table(Alias::new(name))
                .to_string(PostgresQueryBuilder);
            assert_eq!(ours, theirs, "{name}");
        }
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
