//! `schemac deploy` and `schemac status`: the released migrations applied in order, each
//! recorded in `schemac.migrations` (name, checksum of `up.sql`, applied_at, duration,
//! schemac version), under an advisory lock so two deploys never interleave.
//!
//! A migration's `up.sql` runs in its parts: the transactions (new enum values, then the
//! main one, which also records the migration), then the non-transactional part
//! (`CREATE INDEX CONCURRENTLY`), one statement at a time, each step recorded. A deploy
//! stopped in that part resumes at the step it stopped at; an index build that was
//! interrupted leaves an invalid index, which is dropped and built again.

use std::path::Path;
use std::time::Instant;

use postgres::Client;
use sha2::{Digest, Sha256};

use crate::emit::quote_literal;
use crate::history::{self, released};

/// Key of the advisory lock every deploy holds (the bytes of "schemac").
const LOCK_KEY: i64 = 0x0073_6368_656d_6163;

const HISTORY_TABLE: &str = "schemac.migrations";

const CREATE_HISTORY: &str = "CREATE SCHEMA IF NOT EXISTS schemac;
CREATE TABLE IF NOT EXISTS schemac.migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint,
    schemac_version text NOT NULL,
    steps_done integer NOT NULL DEFAULT 0,
    complete boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE schemac.migrations IS 'Migrations applied by schemac deploy. Do not edit.';";

/// The marker line the planner writes before the non-transactional part.
const NON_TRANSACTIONAL: &str = "-- NON-TRANSACTIONAL PART";

/// A released migration of the project.
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub checksum: String,
    pub up: String,
}

/// A migration recorded in the database.
#[derive(Debug, Clone)]
pub struct Applied {
    pub name: String,
    pub checksum: String,
    pub applied_at: String,
    pub duration_ms: Option<i64>,
    pub version: String,
    pub steps_done: i32,
    pub complete: bool,
}

/// Where a database stands against the project's history.
#[derive(Debug, Default)]
pub struct Status {
    pub applied: Vec<Applied>,
    /// Applied, but its non-transactional part did not finish.
    pub incomplete: Option<String>,
    pub pending: Vec<Local>,
}

/// The project's released migrations, with the checksums of their `up.sql`.
pub fn local_history(migrations_dir: &Path) -> Result<Vec<Local>, String> {
    if let Some(problem) = history::problems(migrations_dir) {
        return Err(problem);
    }
    released(migrations_dir)
        .into_iter()
        .map(|r| {
            let up = std::fs::read_to_string(r.path.join("up.sql"))
                .map_err(|e| format!("cannot read {}/up.sql: {e}", r.dir_name))?;
            Ok(Local {
                checksum: hex(&Sha256::digest(up.as_bytes())),
                name: r.dir_name,
                up,
            })
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// PostgreSQL's message with its detail and hint, or the client's error.
pub(crate) fn db_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => {
            let mut s = d.message().to_string();
            if let Some(detail) = d.detail() {
                s.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = d.hint() {
                s.push_str(&format!("; hint: {hint}"));
            }
            s
        }
        None => e.to_string(),
    }
}

fn history_exists(client: &mut Client) -> Result<bool, String> {
    let row = client
        .query_one("SELECT to_regclass('schemac.migrations') IS NOT NULL", &[])
        .map_err(|e| db_error(&e))?;
    Ok(row.get(0))
}

fn applied(client: &mut Client) -> Result<Vec<Applied>, String> {
    if !history_exists(client)? {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', duration_ms, schemac_version, steps_done, complete FROM schemac.migrations ORDER BY name",
            &[],
        )
        .map_err(|e| db_error(&e))?;
    Ok(rows
        .iter()
        .map(|r| Applied {
            name: r.get(0),
            checksum: r.get(1),
            applied_at: r.get(2),
            duration_ms: r.get(3),
            version: r.get(4),
            steps_done: r.get(5),
            complete: r.get(6),
        })
        .collect())
}

/// Compares the database's history with the project's; refuses a history that does not
/// belong to this project.
pub fn status(client: &mut Client, local: &[Local]) -> Result<Status, String> {
    let applied = applied(client)?;
    for (i, a) in applied.iter().enumerate() {
        let Some(l) = local.get(i) else {
            return Err(format!(
                "the database has migration `{}`, which the project does not: deploy from the project that wrote it, or restore the migration",
                a.name
            ));
        };
        if l.name != a.name {
            let known = local.iter().any(|l| l.name == a.name);
            return Err(if known {
                format!(
                    "migration `{}` is pending but a later one, `{}`, is applied: the history was reordered; restore the released order",
                    l.name, a.name
                )
            } else {
                format!(
                    "the database has migration `{}`, which the project does not: deploy from the project that wrote it, or restore the migration",
                    a.name
                )
            });
        }
        if l.checksum != a.checksum {
            return Err(format!(
                "migration `{}` changed after it was applied (checksum {} in the database, {} in the project): released migrations must not be edited; restore it and write a new migration",
                a.name,
                short(&a.checksum),
                short(&l.checksum)
            ));
        }
    }
    let incomplete = applied.iter().find(|a| !a.complete).map(|a| a.name.clone());
    let pending = local[applied.len()..].to_vec();
    Ok(Status {
        applied,
        incomplete,
        pending,
    })
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// The parts of an `up.sql`: transaction blocks (each up to its `COMMIT;`), and the
/// statements of the non-transactional part.
#[derive(Debug, PartialEq)]
pub struct Parts {
    pub transactions: Vec<String>,
    /// Session settings that precede the steps (`SET lock_timeout ...`).
    pub settings: Vec<String>,
    pub steps: Vec<String>,
}

pub fn split(up: &str) -> Parts {
    let (tx, rest) = match up.find(NON_TRANSACTIONAL) {
        Some(i) => (&up[..i], Some(&up[i..])),
        None => (up, None),
    };
    let mut transactions = Vec::new();
    let mut block = String::new();
    for line in tx.lines() {
        block.push_str(line);
        block.push('\n');
        if line.trim() == "COMMIT;" {
            transactions.push(std::mem::take(&mut block));
        }
    }
    if block
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    {
        transactions.push(block);
    }
    let mut settings = Vec::new();
    let mut steps = Vec::new();
    let mut stmt = String::new();
    for line in rest.unwrap_or("").lines() {
        let t = line.trim();
        if stmt.is_empty() && (t.is_empty() || t.starts_with("--")) {
            continue;
        }
        stmt.push_str(line);
        stmt.push('\n');
        if t.ends_with(';') {
            let s = std::mem::take(&mut stmt);
            if s.trim_start().to_ascii_uppercase().starts_with("SET ") {
                settings.push(s);
            } else {
                steps.push(s);
            }
        }
    }
    Parts {
        transactions,
        settings,
        steps,
    }
}

/// What a deploy did, for the summary.
#[derive(Debug, Default)]
pub struct Report {
    pub applied: Vec<(String, u128)>,
    pub resumed: Option<String>,
}

/// Applies what is pending. `say` receives progress lines. With `dry_run`, prints the SQL
/// it would run (through `say`) and changes nothing.
pub fn deploy(
    client: &mut Client,
    local: &[Local],
    dry_run: bool,
    say: &mut dyn FnMut(&str),
) -> Result<Report, String> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .map_err(|e| format!("cannot take the deploy lock: {}", db_error(&e)))?;
    let result = deploy_locked(client, local, dry_run, say);
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]);
    result
}

fn deploy_locked(
    client: &mut Client,
    local: &[Local],
    dry_run: bool,
    say: &mut dyn FnMut(&str),
) -> Result<Report, String> {
    if !dry_run {
        client.batch_execute(CREATE_HISTORY).map_err(|e| {
            format!(
                "cannot create the history table {HISTORY_TABLE}: {}",
                db_error(&e)
            )
        })?;
    }
    let st = status(client, local)?;
    let mut report = Report::default();
    if let Some(name) = &st.incomplete {
        let a = st
            .applied
            .iter()
            .find(|a| &a.name == name)
            .unwrap_or_else(|| unreachable!("incomplete is applied"));
        let l = local
            .iter()
            .find(|l| &l.name == name)
            .unwrap_or_else(|| unreachable!("status matched it"));
        let parts = split(&l.up);
        let from = usize::try_from(a.steps_done)
            .unwrap_or(0)
            .min(parts.steps.len());
        if dry_run {
            say(&format!(
                "-- would resume {name} at step {} of {} of its non-transactional part",
                from + 1,
                parts.steps.len()
            ));
            for s in parts.settings.iter().chain(&parts.steps[from..]) {
                say(s.trim_end());
            }
        } else {
            say(&format!(
                "resuming {name}: step {} of {} of its non-transactional part",
                from + 1,
                parts.steps.len()
            ));
            let started = Instant::now();
            run_steps(client, name, &parts, from)?;
            finish(client, name, started.elapsed().as_millis(), a.duration_ms)?;
            report.resumed = Some(name.clone());
        }
    }
    for l in &st.pending {
        let parts = split(&l.up);
        if dry_run {
            say(&format!("-- would apply {}", l.name));
            say(l.up.trim_end());
            continue;
        }
        say(&format!("applying {}", l.name));
        let started = Instant::now();
        let record = format!(
            "INSERT INTO schemac.migrations (name, checksum, schemac_version, complete) VALUES ({}, {}, {}, {});\n",
            quote_literal(&l.name),
            quote_literal(&l.checksum),
            quote_literal(env!("CARGO_PKG_VERSION")),
            parts.steps.is_empty()
        );
        let last = parts.transactions.len().saturating_sub(1);
        for (i, block) in parts.transactions.iter().enumerate() {
            // The main transaction (the last) records the migration: both commit or neither.
            let sql = if i == last {
                match block.rfind("COMMIT;") {
                    Some(at) => format!("{}{record}{}", &block[..at], &block[at..]),
                    None => format!("{block}\n{record}"),
                }
            } else {
                block.clone()
            };
            if let Err(e) = client.batch_execute(&sql) {
                let _ = client.batch_execute("ROLLBACK");
                return Err(format!(
                    "migration {} failed, and its transaction was rolled back: {}",
                    l.name,
                    db_error(&e)
                ));
            }
        }
        if parts.transactions.is_empty() {
            client.batch_execute(&record).map_err(|e| db_error(&e))?;
        }
        run_steps(client, &l.name, &parts, 0)?;
        let ms = started.elapsed().as_millis();
        finish(client, &l.name, ms, None)?;
        report.applied.push((l.name.clone(), ms));
    }
    Ok(report)
}

/// Runs the non-transactional statements from step `from`, recording each.
fn run_steps(client: &mut Client, name: &str, parts: &Parts, from: usize) -> Result<(), String> {
    if parts.steps.len() <= from {
        return Ok(());
    }
    for s in &parts.settings {
        client.batch_execute(s).map_err(|e| db_error(&e))?;
    }
    for (k, step) in parts.steps.iter().enumerate().skip(from) {
        if let Some((schema, index)) = concurrent_index(step) {
            // An interrupted build leaves an invalid index behind: drop it and build
            // again. A valid one means the build finished but was not recorded.
            let row = client
                .query_opt(
                    "SELECT i.indisvalid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                    &[&schema, &index],
                )
                .map_err(|e| db_error(&e))?;
            match row.map(|r| r.get::<_, bool>(0)) {
                Some(true) => {
                    record_step(client, name, k + 1)?;
                    continue;
                }
                Some(false) => {
                    let drop = format!(
                        "DROP INDEX CONCURRENTLY IF EXISTS {}.{};",
                        crate::emit::quote_ident(&schema),
                        crate::emit::quote_ident(&index)
                    );
                    client.batch_execute(&drop).map_err(|e| db_error(&e))?;
                }
                None => {}
            }
        }
        client.batch_execute(step).map_err(|e| {
            format!(
                "migration {name}: step {} of {} of the non-transactional part failed: {}. Its main transaction is committed; fix the cause and run `schemac deploy` again to resume at this step",
                k + 1,
                parts.steps.len(),
                db_error(&e)
            )
        })?;
        record_step(client, name, k + 1)?;
    }
    Ok(())
}

fn record_step(client: &mut Client, name: &str, done: usize) -> Result<(), String> {
    let done = i32::try_from(done).unwrap_or(i32::MAX);
    client
        .execute(
            "UPDATE schemac.migrations SET steps_done = $2 WHERE name = $1",
            &[&name, &done],
        )
        .map(|_| ())
        .map_err(|e| db_error(&e))
}

fn finish(client: &mut Client, name: &str, ms: u128, earlier: Option<i64>) -> Result<(), String> {
    let ms = i64::try_from(ms)
        .unwrap_or(i64::MAX)
        .saturating_add(earlier.unwrap_or(0));
    client
        .execute(
            "UPDATE schemac.migrations SET complete = true, duration_ms = $2 WHERE name = $1",
            &[&name, &ms],
        )
        .map(|_| ())
        .map_err(|e| db_error(&e))
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY "name" ON "schema"."table" ...`: the schema and
/// the index name.
fn concurrent_index(step: &str) -> Option<(String, String)> {
    let upper = step.to_ascii_uppercase();
    let mut at = upper.find("INDEX CONCURRENTLY ")? + "INDEX CONCURRENTLY ".len();
    if upper[at..].trim_start().starts_with("IF NOT EXISTS ") {
        at = upper.find("IF NOT EXISTS ")? + "IF NOT EXISTS ".len();
    }
    let (index, rest) = quoted(step[at..].trim_start())?;
    let on = rest.trim_start().strip_prefix("ON ")?.trim_start();
    let (schema, rest) = quoted(on)?;
    rest.starts_with('.').then_some((schema, index))
}

/// A double-quoted identifier at the start of `s`, and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut out = String::new();
    let mut prev_quote = false;
    for (i, c) in chars {
        if prev_quote {
            if c == '"' {
                out.push('"');
                prev_quote = false;
                continue;
            }
            return Some((out, &s[i..]));
        }
        if c == '"' {
            prev_quote = true;
        } else {
            out.push(c);
        }
    }
    prev_quote.then_some((out, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_sql_splits_into_transactions_and_steps() {
        let up = "-- header\nBEGIN;\nALTER TYPE a ADD VALUE 'x';\nCOMMIT;\n\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n\n-- ====\n-- NON-TRANSACTIONAL PART: run after\n-- ====\nSET lock_timeout = '5s';\nSET statement_timeout = 0;\n-- squawk-ignore x\nCREATE INDEX CONCURRENTLY \"idx_t_id\" ON \"public\".\"t\" (\"id\");\n";
        let p = split(up);
        assert_eq!(p.transactions.len(), 2);
        assert!(p.transactions[1].contains("CREATE TABLE"));
        assert_eq!(p.settings.len(), 2);
        assert_eq!(p.steps.len(), 1);
        assert_eq!(
            concurrent_index(&p.steps[0]),
            Some(("public".into(), "idx_t_id".into()))
        );
        assert_eq!(
            concurrent_index("CREATE UNIQUE INDEX CONCURRENTLY \"a\"\"b\" ON \"s\".\"t\" (x);"),
            Some(("s".into(), "a\"b".into()))
        );
        assert_eq!(
            concurrent_index("CREATE INDEX CONCURRENTLY IF NOT EXISTS \"i\" ON \"s\".\"t\" (x);"),
            Some(("s".into(), "i".into()))
        );
    }
}
