//! `schemac verify`: the compiled project applied to a real PostgreSQL, in scratch
//! databases that are dropped afterwards.
//!
//! 1. **The schema**, object by object in `schema.sql`'s order, in one transaction with a
//!    savepoint per object: every object PostgreSQL refuses becomes a diagnostic on the
//!    TOML that declares it, and the others still run. When all apply, the catalogs are
//!    compared with the project (the `diff` comparison): a difference means schemac wrote
//!    SQL that does not build what the TOML says.
//! 2. **The history**: every released `up.sql` in order, then the migration
//!    `schemac migrate` would write now (the pending changes), then the cleanups, in a
//!    second database, compared with the project the same way.
//!
//! On plain PostgreSQL the Supabase shim (roles, `auth`) is installed first, and on a
//! `platform = "supabase"` project Supabase's default privileges, so the SQL meets the
//! database it will meet in production.

use std::path::Path;

use postgres::Client;

use super::deploy::local_history;
use super::drift::{self, Drift};
use super::{connect, Target};
use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::history;
use crate::ir::{Ir, Platform};
use crate::plan::migrate::plan_migration;
use crate::plan::snapshot::Snapshot;
use crate::plan::{describe, Node, Plan};

/// At most this many refused objects are reported (later ones often follow from them).
const MAX_FAILURES: usize = 50;

/// What verify found.
#[derive(Debug, Default)]
pub struct Report {
    /// PostgreSQL errors on objects of the TOML.
    pub diagnostics: Vec<Diagnostic>,
    /// Failures that are not one object's: a released migration, the pending one.
    pub problems: Vec<String>,
    /// Objects of the schema applied.
    pub objects: usize,
    /// Statements refused because an earlier failure left an object out (not reported
    /// one by one), or past the limit of reported failures.
    pub follow_on: usize,
    /// Released migrations applied.
    pub migrations: usize,
    /// Whether there are changes since the last released migration (applied too).
    pub pending: bool,
    /// External tables the server did not have, created from their declaration.
    pub stand_ins: Vec<String>,
    /// Differences between the built databases and the project.
    pub schema_drift: Vec<Drift>,
    pub history_drift: Vec<Drift>,
}

impl Report {
    pub fn failed(&self) -> bool {
        !self.diagnostics.is_empty()
            || !self.problems.is_empty()
            || !self.schema_drift.is_empty()
            || !self.history_drift.is_empty()
    }
}

/// Scratch databases, dropped when this goes out of scope (also on an early return).
struct Scratch {
    admin: Client,
    names: Vec<String>,
}

impl Scratch {
    fn create(&mut self, suffix: &str) -> Result<String, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("schemac_verify_{}_{nanos}_{suffix}", std::process::id());
        self.admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| {
                format!(
                    "cannot create a scratch database: {}{}",
                    message(&e),
                    " (the role needs CREATEDB, or run verify without --database-url: it \
                     starts a throwaway server)"
                )
            })?;
        self.names.push(name.clone());
        Ok(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = self
                .admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{n}\" WITH (FORCE)"));
        }
    }
}

use super::deploy::db_error as message;

/// The 1-based character position PostgreSQL reported inside the text it was sent.
fn position(e: &postgres::Error) -> Option<usize> {
    match e.as_db_error()?.position()? {
        postgres::error::ErrorPosition::Original(p) => Some(*p as usize),
        postgres::error::ErrorPosition::Internal { .. } => None,
    }
}

/// The line of `sql` at a 1-based character position: (line number, its text).
fn line_at(sql: &str, pos: usize) -> (usize, &str) {
    let byte = sql
        .char_indices()
        .nth(pos.saturating_sub(1))
        .map_or(sql.len(), |(b, _)| b);
    let start = sql[..byte].rfind('\n').map_or(0, |i| i + 1);
    let end = sql[byte..].find('\n').map_or(sql.len(), |i| byte + i);
    (
        sql[..byte].matches('\n').count() + 1,
        sql[start..end].trim(),
    )
}

/// The shim on plain PostgreSQL, and Supabase's default privileges for the platform.
fn prepare(client: &mut Client, ir: &Ir) -> Result<Vec<String>, String> {
    let has_auth = client
        .query_one(
            "select exists (select 1 from pg_namespace where nspname = 'auth')",
            &[],
        )
        .map_err(|e| message(&e))?
        .get::<_, bool>(0);
    if !has_auth {
        client
            .batch_execute(crate::SUPABASE_SHIM)
            .map_err(|e| format!("cannot install the Supabase shim: {}", message(&e)))?;
    }
    if ir.project.platform == Platform::Supabase {
        client
            .batch_execute(crate::SUPABASE_DEFAULT_PRIVILEGES)
            .map_err(|e| format!("cannot set Supabase's default privileges: {}", message(&e)))?;
    }
    Ok(stand_ins(client, ir))
}

/// Creates each table of `[external.tables]` the server does not have, with its declared
/// columns and a unique key on the columns project foreign keys reference, so the
/// project's SQL can be tried against it. Best effort: a stand-in PostgreSQL refuses (a
/// type the server does not know) is left out, and what needs it fails as it would.
/// Returns the tables created.
fn stand_ins(client: &mut Client, ir: &Ir) -> Vec<String> {
    use crate::emit::{quote_ident, quote_qname};
    let mut made = Vec::new();
    for (q, t) in &ir.project.external_tables {
        let exists = client
            .query_one("select to_regclass($1) is not null", &[&quote_qname(q)])
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(true);
        if exists || t.columns.is_empty() {
            continue;
        }
        let keys: std::collections::BTreeSet<&Vec<String>> = ir
            .tables
            .iter()
            .flat_map(|x| &x.foreign_keys)
            .filter(|fk| fk.target == *q)
            .map(|fk| &fk.target_columns)
            .collect();
        let mut parts: Vec<String> = t
            .columns
            .iter()
            .map(|(c, ty)| format!("{} {ty}", quote_ident(c)))
            .collect();
        for k in keys {
            let cols: Vec<String> = k.iter().map(|c| quote_ident(c)).collect();
            parts.push(format!("UNIQUE ({})", cols.join(", ")));
        }
        let sql = format!(
            "CREATE SCHEMA IF NOT EXISTS {}; CREATE TABLE {} ({})",
            quote_ident(&q.schema),
            quote_qname(q),
            parts.join(", ")
        );
        if client.batch_execute(&sql).is_ok() {
            made.push(q.to_string());
        }
    }
    made
}

fn compare(client: &mut Client, ir: &Ir) -> Result<Vec<Drift>, String> {
    let mut query = |sql: &str| super::rows(client, sql);
    drift::compare(ir, &mut query)
}

/// Verifies the project on the server `admin` points at (a database there to connect to;
/// scratch databases are created beside it).
pub fn verify(
    admin: &Target,
    ir: &Ir,
    plan: &Plan,
    migrations_dir: Option<&Path>,
) -> Result<Report, String> {
    let mut scratch = Scratch {
        admin: connect(admin)?,
        names: Vec::new(),
    };
    let mut report = Report::default();

    let db = scratch.create("schema")?;
    let mut client = connect(&admin.with_dbname(&db))?;
    report.stand_ins = prepare(&mut client, ir)?;
    apply_schema(&mut client, ir, plan, &mut report)?;
    if report.diagnostics.is_empty() {
        report.schema_drift = compare(&mut client, ir)?;
    }
    drop(client);

    if let Some(dir) = migrations_dir.filter(|d| d.is_dir()) {
        let db = scratch.create("history")?;
        let mut client = connect(&admin.with_dbname(&db))?;
        let _ = prepare(&mut client, ir)?;
        if apply_history(&mut client, ir, dir, &mut report)? {
            report.history_drift = compare(&mut client, ir)?;
        }
    }
    Ok(report)
}

fn apply_schema(
    client: &mut Client,
    ir: &Ir,
    plan: &Plan,
    report: &mut Report,
) -> Result<(), String> {
    let (schemas, nodes) = crate::emit::schema_statements(ir, plan);
    let begin = format!("BEGIN;\n{}", crate::emit::LITERAL_SETTINGS);
    client.batch_execute(&begin).map_err(|e| message(&e))?;
    for s in &schemas {
        client
            .batch_execute(s)
            .map_err(|e| format!("{s} failed: {}", message(&e)))?;
    }
    // A savepoint per statement: a refused index leaves its table for what follows. A
    // statement refused because an object an earlier failure left out does not exist is
    // counted, not reported: it follows from that failure.
    let mut left_out: Vec<String> = Vec::new();
    for crate::emit::ObjectSql {
        node,
        heading,
        statements: stmts,
    } in nodes
    {
        let mut ok = true;
        for (k, st) in stmts.iter().enumerate() {
            client
                .batch_execute("SAVEPOINT schemac_statement")
                .map_err(|e| message(&e))?;
            let Err(e) = client.batch_execute(st) else {
                client
                    .batch_execute("RELEASE SAVEPOINT schemac_statement")
                    .map_err(|e| message(&e))?;
                continue;
            };
            ok = false;
            client
                .batch_execute("ROLLBACK TO SAVEPOINT schemac_statement")
                .map_err(|e| message(&e))?;
            let code = e.as_db_error().map(|d| d.code().code()).unwrap_or("");
            let text = e.as_db_error().map(|d| d.message()).unwrap_or("");
            let follows = matches!(code, "42P01" | "42704" | "42883" | "3F000")
                && left_out
                    .iter()
                    .any(|n| text.contains(&format!("{n}\"")) || text.contains(&format!("{n}(")));
            if k == 0 {
                left_out.extend(created_name(ir, node));
            }
            if follows {
                report.follow_on += 1;
            } else if report.diagnostics.len() < MAX_FAILURES {
                let (what, loc) =
                    refine(ir, node, st, position(&e)).unwrap_or_else(|| describe(ir, node));
                report
                    .diagnostics
                    .push(diagnostic(&what, &heading, &loc, st, &e));
            } else {
                report.follow_on += 1;
            }
        }
        if ok {
            report.objects += 1;
        }
    }
    client.batch_execute("COMMIT").map_err(|e| message(&e))
}

/// The name of the object a node's first statement creates.
fn created_name(ir: &Ir, node: Node) -> Option<String> {
    Some(match node {
        Node::Enum(i) => ir.enums[i].name.name.clone(),
        Node::Table(i) => ir.tables[i].name.name.clone(),
        Node::Function(i) => ir.functions[i].name.name.clone(),
        Node::View(i) => ir.views[i].name.name.clone(),
        _ => return None,
    })
}

/// The part of a table that a failing statement creates: the column or constraint on the
/// line PostgreSQL points at in `CREATE TABLE`, or the index a `CREATE INDEX` names.
fn refine(ir: &Ir, node: Node, stmt: &str, pos: Option<usize>) -> Option<(String, Loc)> {
    if let Node::OnExternal(i) = node {
        return refine_external(&ir.on_external[i], stmt);
    }
    let Node::Table(i) = node else {
        return None;
    };
    let t = &ir.tables[i];
    let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let head = stmt.trim_start();
    if head.starts_with("CREATE INDEX") || head.starts_with("CREATE UNIQUE INDEX") {
        let ix = t
            .indexes
            .iter()
            .find(|x| head.contains(&format!("INDEX {} ON", quoted(&x.name))))?;
        return Some((
            format!("index `{}` of `{}`", ix.name, t.name.name),
            ix.loc.clone(),
        ));
    }
    if !head.starts_with("CREATE TABLE") {
        return None;
    }
    let (_, line) = line_at(stmt, pos?);
    if let Some(c) = t
        .columns
        .iter()
        .find(|c| line.starts_with(&quoted(&c.name)))
    {
        return Some((
            format!("column `{}.{}`", t.name.name, c.name),
            c.loc.clone(),
        ));
    }
    let constraint = line.strip_prefix("CONSTRAINT ")?;
    let named = |n: &str| constraint.starts_with(&quoted(n));
    if let Some(c) = t.checks.iter().find(|c| named(&c.name)) {
        return Some((format!("check `{}`", c.name), c.loc.clone()));
    }
    if let Some(u) = t.uniques.iter().find(|u| named(&u.name)) {
        return Some((format!("unique constraint `{}`", u.name), u.loc.clone()));
    }
    if let Some(f) = t.foreign_keys.iter().find(|f| named(&f.name)) {
        return Some((format!("foreign key `{}`", f.name), f.loc.clone()));
    }
    None
}

/// The object on an external table that a failing statement creates: the index,
/// trigger or policy it names, or the grant of the role it names.
fn refine_external(o: &crate::ir::OnExternal, stmt: &str) -> Option<(String, Loc)> {
    let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let head = stmt.trim_start();
    let on = &o.table;
    if let Some(ix) = o
        .indexes
        .iter()
        .find(|x| head.contains(&format!("INDEX {} ON", quoted(&x.name))))
    {
        return Some((format!("index `{}` on `{on}`", ix.name), ix.loc.clone()));
    }
    if let Some(t) = o
        .triggers
        .iter()
        .find(|t| head.starts_with(&format!("CREATE TRIGGER {}", quoted(&t.name))))
    {
        return Some((format!("trigger `{}` on `{on}`", t.name), t.loc.clone()));
    }
    if let Some(p) = o
        .policies
        .iter()
        .find(|p| head.contains(&format!("POLICY {} ON", quoted(&p.name))))
    {
        return Some((format!("policy `{}` on `{on}`", p.name), p.loc.clone()));
    }
    let role =
        |g: &&crate::ir::Grant| head.ends_with(&format!(" {};", crate::emit::quote_role(&g.role)));
    if head.starts_with("GRANT ") {
        let g = o.grants.iter().find(role)?;
        return Some((
            format!("the grant to `{}` on `{on}`", g.role),
            g.loc.clone(),
        ));
    }
    if head.starts_with("REVOKE ") {
        let g = o.revokes.iter().find(role)?;
        return Some((
            format!("the revoke from `{}` on `{on}`", g.role),
            g.loc.clone(),
        ));
    }
    None
}

fn diagnostic(what: &str, heading: &str, loc: &Loc, sql: &str, e: &postgres::Error) -> Diagnostic {
    let code = e
        .as_db_error()
        .map(|d| d.code().code().to_string())
        .unwrap_or_default();
    let at = position(e)
        .map(|p| {
            let (_, line) = line_at(sql, p);
            format!("\n  at: {line}")
        })
        .unwrap_or_default();
    Diagnostic::error(
        "postgres-refused",
        format!(
            "PostgreSQL refuses the SQL of {what}: {} [SQLSTATE {code}]{at}",
            message(e)
        ),
    )
    .label(loc, "declared here")
    .help(format!(
        "fix the TOML of this object; the SQL is in schema.sql under `-- {}`",
        crate::emit::comment_text(heading)
    ))
}

/// Applies the released migrations, the pending one and the cleanups; returns whether
/// everything applied (so the result can be compared with the project).
fn apply_history(
    client: &mut Client,
    ir: &Ir,
    dir: &Path,
    report: &mut Report,
) -> Result<bool, String> {
    let local = local_history(dir)?;
    let mut ups: Vec<(String, String)> = local
        .iter()
        .map(|m| (format!("{}/up.sql", m.name), m.up.clone()))
        .collect();
    report.migrations = local.len();
    let mut cleanups: Vec<(String, String)> = history::released(dir)
        .iter()
        .filter_map(|r| {
            let text = std::fs::read_to_string(r.path.join("cleanup.sql")).ok()?;
            Some((format!("{}/cleanup.sql", r.dir_name), text))
        })
        .collect();

    let old = history::last_snapshot(dir, &ir.project.default_schema)?;
    let new = Snapshot::from_ir(ir);
    if old.db_state() != new.db_state() {
        report.pending = true;
        let req = history::Request::of(ir).planning("pending", &old, &new);
        let mut diags = Diagnostics::default();
        match plan_migration(&req, &mut diags) {
            Some(m) => {
                ups.push(("the pending migration (`schemac migrate`)".into(), m.up));
                if let Some(c) = m.cleanup {
                    cleanups.push(("the pending migration's cleanup".into(), c));
                }
            }
            None => {
                report.diagnostics.extend(diags.into_vec());
                return Ok(false);
            }
        }
    }

    for (label, text) in ups.iter().chain(cleanups.iter()) {
        if let Err(problem) = apply_file(client, text) {
            report.problems.push(format!("{label}: {problem}"));
            return Ok(false);
        }
    }
    Ok(true)
}

/// Runs a migration file statement by statement, in its parts as `deploy` runs them
/// (the transaction blocks with their `BEGIN` and `COMMIT`, then the non-transactional
/// steps); an error names the line of the statement.
fn apply_file(client: &mut Client, text: &str) -> Result<(), String> {
    for (offset, stmt) in statements(text) {
        if let Err(e) = client.batch_execute(stmt) {
            let _ = client.batch_execute("ROLLBACK");
            let first = text[..offset].matches('\n').count() + 1;
            let (line, sql) = match position(&e) {
                Some(p) => {
                    let (l, sql) = line_at(stmt, p);
                    (first + l - 1, sql)
                }
                None => (first, stmt.lines().next().unwrap_or("").trim()),
            };
            return Err(format!("line {line}: {sql}: {}", message(&e)));
        }
    }
    Ok(())
}

/// The statements of a SQL file with their byte offsets, split at the semicolons that are
/// outside quotes, dollar quotes and comments; comments and blank lines before a statement
/// are skipped.
pub fn statements(sql: &str) -> Vec<(usize, &str)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if start.is_none() {
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if c == b'-' && b.get(i + 1) == Some(&b'-') {
                i = sql[i..].find('\n').map_or(b.len(), |n| i + n + 1);
                continue;
            }
            start = Some(i);
        }
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while i < b.len() && depth > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'\'' => {
                let escapes = i > 0 && matches!(b[i - 1], b'E' | b'e');
                i += 1;
                while i < b.len() {
                    if escapes && b[i] == b'\\' {
                        i += 2;
                    } else if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                        } else {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                i += 1;
            }
            b'"' => {
                i = sql[i + 1..].find('"').map_or(b.len(), |n| i + 1 + n + 1);
            }
            b'$' => {
                let tag_end = sql[i + 1..]
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .map(|n| i + 1 + n);
                match tag_end {
                    Some(e) if b[e] == b'$' && !(i > 0 && b[i - 1].is_ascii_alphanumeric()) => {
                        let tag = &sql[i..=e];
                        i = sql[e + 1..]
                            .find(tag)
                            .map_or(b.len(), |n| e + 1 + n + tag.len());
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                let s = start.take().unwrap_or(i);
                out.push((s, &sql[s..=i]));
                i += 1;
            }
            _ => i += 1,
        }
    }
    if let Some(s) = start {
        if !sql[s..].trim().is_empty() {
            out.push((s, sql[s..].trim_end()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_name_their_line() {
        let sql = "CREATE TABLE a (\n  id int,\n  x nope\n);";
        assert_eq!(line_at(sql, 30), (3, "x nope"));
        assert_eq!(line_at(sql, 1), (1, "CREATE TABLE a ("));
        assert_eq!(line_at(sql, 10_000).0, 4);
    }

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        let sql = "-- head; x\nBEGIN;\nSELECT 'a;''b', E'\\';', \"q;\" /* c; /* n; */ */;\n\
                   CREATE FUNCTION f() RETURNS int AS $body$ select 1; $body$ LANGUAGE sql;\n\
                   SELECT $1;\n-- tail";
        let got: Vec<&str> = statements(sql).into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            got,
            [
                "BEGIN;",
                "SELECT 'a;''b', E'\\';', \"q;\" /* c; /* n; */ */;",
                "CREATE FUNCTION f() RETURNS int AS $body$ select 1; $body$ LANGUAGE sql;",
                "SELECT $1;",
            ]
        );
        let (offset, _) = statements(sql)[1];
        assert!(sql[offset..].starts_with("SELECT 'a"));
    }
}
