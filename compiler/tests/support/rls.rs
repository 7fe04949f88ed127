//! Row-level security expectations derived from a table's policies, and the outcome
//! PostgreSQL actually gives, row by row, for INSERT, UPDATE and DELETE.
//!
//! The expectation follows PostgreSQL's rules for combining policies: a row passes when
//! some permissive policy for the command and role admits it and every restrictive one
//! does; no permissive policy means nothing passes. INSERT and the new row of UPDATE
//! use `WITH CHECK` (or `USING` where a policy has no `WITH CHECK`). A statement that
//! reads columns (a `WHERE`, `SET c = c`) is also filtered by the SELECT policies.
//! Privileges are checked first: without them PostgreSQL refuses the statement.
//!
//! The actual outcome is measured per row, each in a subtransaction that is rolled
//! back, so every row is tried against the table as the fixture left it:
//! - UPDATE `SET c = c WHERE <row's primary key>`: `1` (updated), `0` (filtered out
//!   by USING), `rls` (new row refused by WITH CHECK), `denied` (privileges);
//! - DELETE `WHERE <row's primary key>`: `1`, `0` or `denied`;
//! - INSERT of the row's own values, after the table was emptied by its owner: `ok`,
//!   `rls` or `denied`.
//!
//! Triggers (foreign-key checks included) are off while rows are deleted and
//! re-inserted (`session_replication_role = replica`), so the outcome is the
//! policies' alone; UPDATE runs with triggers on.

use schemac::emit::{quote_ident, quote_qname};
use schemac::ir::{Identity, Policy, PolicyCommand, Table};

use super::pg::TestDb;

/// Who runs the statements: a role and, for `authenticated`, a JWT `sub`.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub role: &'static str,
    pub sub: Option<&'static str>,
}

impl Caller {
    pub fn claims(&self) -> String {
        match self.sub {
            Some(s) => format!("{{\"sub\":\"{s}\",\"role\":\"{}\"}}", self.role),
            None => format!("{{\"role\":\"{}\"}}", self.role),
        }
    }
}

/// The callers every behaviour test uses: anon, and two authenticated users.
pub const ANN: &str = "aaaaaaaa-0000-4000-8000-000000000001";
pub const BOB: &str = "bbbbbbbb-0000-4000-8000-000000000002";
pub const CALLERS: [Caller; 3] = [
    Caller {
        role: "anon",
        sub: None,
    },
    Caller {
        role: "authenticated",
        sub: Some(ANN),
    },
    Caller {
        role: "authenticated",
        sub: Some(BOB),
    },
];

/// Which expression of a policy: `USING`, or `WITH CHECK` (falling back to `USING`).
#[derive(Clone, Copy, PartialEq)]
pub enum Clause {
    Using,
    Check,
}

/// The combined policy expression for one command, role and clause.
pub fn combined(t: &Table, role: &str, cmd: PolicyCommand, clause: Clause) -> String {
    if !t.rls {
        return "true".into();
    }
    let applies = |p: &&Policy| {
        (p.command == PolicyCommand::All || p.command == cmd)
            && (p.roles.is_empty() || p.roles.iter().any(|(r, _)| r == role || r == "public"))
    };
    let expr = |p: &Policy| {
        let e = match clause {
            Clause::Using => p.using.as_ref(),
            Clause::Check => p.with_check.as_ref().or(p.using.as_ref()),
        };
        e.map_or("false".to_string(), |(u, _)| format!("({u})"))
    };
    let permissive: Vec<String> = t
        .policies
        .iter()
        .filter(applies)
        .filter(|p| p.permissive)
        .map(expr)
        .collect();
    let restrictive: Vec<String> = t
        .policies
        .iter()
        .filter(applies)
        .filter(|p| !p.permissive)
        .map(expr)
        .collect();
    let mut out = if permissive.is_empty() {
        "false".to_string()
    } else {
        format!("({})", permissive.join(" OR "))
    };
    for r in restrictive {
        out = format!("{out} AND {r}");
    }
    format!("coalesce({out}, false)")
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The relation the statements go through: the table itself, or a compatibility view
/// over it with its own (old) column names.
pub struct Target<'a> {
    pub table: &'a Table,
    /// Quoted, qualified name of the relation written to.
    pub relation: String,
    /// The relation's name for each of the table's columns, in table order.
    pub columns: Vec<String>,
}

impl<'a> Target<'a> {
    pub fn table(table: &'a Table) -> Self {
        Target {
            table,
            relation: quote_qname(&table.name),
            columns: table.columns.iter().map(|c| c.name.clone()).collect(),
        }
    }

    fn col(&self, table_col: &str) -> &str {
        let i = self
            .table
            .columns
            .iter()
            .position(|c| c.name == table_col)
            .unwrap_or_else(|| panic!("{}: no column {table_col}", self.table.name));
        &self.columns[i]
    }
}

/// Per-row outcomes of one command: expected (from the policies) and actual.
#[derive(Debug, Default)]
pub struct Outcome {
    pub expected: String,
    pub actual: String,
}

/// Expected and actual outcomes of UPDATE, DELETE and INSERT for every row of the
/// target's table, as `caller`. Returns `(command, outcome)` triples' outcomes.
pub fn check_writes(db: &TestDb, target: &Target, caller: Caller) -> Vec<(&'static str, Outcome)> {
    let t = target.table;
    let tq = quote_qname(&t.name);
    let rel = &target.relation;
    let role = caller.role;
    let pk: Vec<&str> = t
        .primary_key
        .as_ref()
        .map(|p| p.columns.iter().map(String::as_str).collect())
        .unwrap_or_else(|| panic!("{}: the behaviour checks need a primary key", t.name));
    // `<relation's pk column> = schemac_row.<table's pk column>`.
    let pk_match = pk
        .iter()
        .map(|c| {
            format!(
                "{} = schemac_row.{}",
                quote_ident(target.col(c)),
                quote_ident(c)
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    // The column set to itself by UPDATE: one PostgreSQL lets a caller write.
    let set_col = t
        .columns
        .iter()
        .find(|c| c.generated.is_none() && c.identity != Some(Identity::Always))
        .map(|c| c.name.clone())
        .unwrap_or_else(|| panic!("{}: no updatable column", t.name));
    let writable: Vec<&str> = t
        .columns
        .iter()
        .filter(|c| c.generated.is_none())
        .map(|c| c.name.as_str())
        .collect();

    // Privileges, as PostgreSQL will check them: on the relation, and for a view on the
    // table too (the view is security_invoker). Each closure returns a SQL condition;
    // all are asked in one query below.
    let privilege = |what: &str| -> String {
        let mut rels = vec![rel.as_str()];
        if *rel != tq {
            rels.push(tq.as_str());
        }
        rels.iter()
            .map(|r| {
                format!(
                    "has_table_privilege({}, {}, {})",
                    lit(role),
                    lit(r),
                    lit(what)
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let column_privilege = |cols: &[&str], what: &str| -> String {
        let mut checks = Vec::new();
        for c in cols {
            checks.push((rel.as_str(), target.col(c)));
            if *rel != tq {
                checks.push((tq.as_str(), *c));
            }
        }
        if checks.is_empty() {
            return "true".to_string();
        }
        checks
            .iter()
            .map(|(r, c)| {
                format!(
                    "has_column_privilege({}, {}, {}, {})",
                    lit(role),
                    lit(r),
                    lit(c),
                    lit(what)
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let granted = db.query_one(&format!(
        "SELECT ({} AND {} AND {})::text || ',' || ({} AND {})::text || ',' || ({})::text",
        column_privilege(&[&set_col], "UPDATE"),
        column_privilege(&[&set_col], "SELECT"),
        column_privilege(&pk, "SELECT"),
        privilege("DELETE"),
        column_privilege(&pk, "SELECT"),
        column_privilege(&writable, "INSERT"),
    ));
    let granted: Vec<bool> = granted.split(',').map(|x| x == "true").collect();
    let (can_update, can_delete, can_insert) = (granted[0], granted[1], granted[2]);

    let select_using = combined(t, role, PolicyCommand::Select, Clause::Using);
    let update_using = combined(t, role, PolicyCommand::Update, Clause::Using);
    let update_check = combined(t, role, PolicyCommand::Update, Clause::Check);
    let delete_using = combined(t, role, PolicyCommand::Delete, Clause::Using);
    let insert_check = combined(t, role, PolicyCommand::Insert, Clause::Check);
    let alias = quote_ident(&t.name.name);
    let expect = |label: &str, expr: &str| {
        format!("SELECT '{label}' || coalesce(string_agg(schemac_n || ':' || ({expr}), ' ' ORDER BY schemac_n), '') FROM pg_temp.schemac_saved AS {alias};\n")
    };
    let update_expr = if !can_update {
        "'denied'".to_string()
    } else {
        format!("CASE WHEN NOT ({select_using} AND {update_using}) THEN '0' WHEN NOT {update_check} THEN 'rls' ELSE '1' END")
    };
    let delete_expr = if !can_delete {
        "'denied'".to_string()
    } else {
        format!("CASE WHEN {select_using} AND {delete_using} THEN '1' ELSE '0' END")
    };
    let insert_expr = if !can_insert {
        "'denied'".to_string()
    } else {
        format!("CASE WHEN {insert_check} THEN 'ok' ELSE 'rls' END")
    };

    // One loop per command, as the caller: each row in its own subtransaction, rolled
    // back by a private error code so the next row sees the fixture unchanged.
    let attempt = |label: &str, stmt: &str, success: &str| {
        format!(
            r#"DO $schemac$
DECLARE schemac_row record; schemac_res text := ''; schemac_k bigint;
BEGIN
  FOR schemac_row IN SELECT * FROM pg_temp.schemac_saved ORDER BY schemac_n LOOP
    BEGIN
      {stmt}
      GET DIAGNOSTICS schemac_k = ROW_COUNT;
      schemac_res := schemac_res || ' ' || schemac_row.schemac_n || ':' || {success};
      RAISE EXCEPTION USING ERRCODE = 'SC001';
    EXCEPTION
      WHEN SQLSTATE 'SC001' THEN NULL;
      WHEN insufficient_privilege THEN
        schemac_res := schemac_res || ' ' || schemac_row.schemac_n || ':' ||
          CASE WHEN SQLERRM LIKE '%row-level security%' THEN 'rls' ELSE 'denied' END;
      WHEN OTHERS THEN
        schemac_res := schemac_res || ' ' || schemac_row.schemac_n || ':error(' || SQLSTATE || ' ' || SQLERRM || ')';
    END;
  END LOOP;
  PERFORM set_config('schemac.{label}', ltrim(schemac_res), true);
END
$schemac$;
"#
        )
    };
    let set_rel = quote_ident(target.col(&set_col));
    let update = attempt(
        "update",
        &format!("UPDATE {rel} SET {set_rel} = {set_rel} WHERE {pk_match};"),
        "schemac_k",
    );
    let delete = attempt(
        "delete",
        &format!("DELETE FROM {rel} WHERE {pk_match};"),
        "schemac_k",
    );
    let insert_cols_rel = writable
        .iter()
        .map(|c| quote_ident(target.col(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let insert_cols_saved = writable
        .iter()
        .map(|c| format!("s.{}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let overriding = if t
        .columns
        .iter()
        .any(|c| c.identity == Some(Identity::Always))
    {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let insert = attempt(
        "insert",
        &format!("INSERT INTO {rel} ({insert_cols_rel}){overriding} SELECT {insert_cols_saved} FROM pg_temp.schemac_saved AS s WHERE s.schemac_n = schemac_row.schemac_n;"),
        "'ok'",
    );
    let claims = lit(&caller.claims());
    let script = format!(
        "\\pset tuples_only on\n\\pset format unaligned\nBEGIN;\n\
         SELECT set_config('request.jwt.claims', {claims}, true);\n\
         CREATE TEMP TABLE schemac_saved ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY x::text) AS schemac_n, x.* FROM {tq} AS x;\n\
         GRANT SELECT ON pg_temp.schemac_saved TO {role};\n\
         {eu}{ed}\
         SET LOCAL ROLE {role};\n\
         {update}{delete}\
         RESET ROLE;\n\
         SELECT 'Au' || current_setting('schemac.update');\n\
         SELECT 'Ad' || current_setting('schemac.delete');\n\
         SET LOCAL session_replication_role = replica;\n\
         DELETE FROM {tq};\n\
         {ei}\
         SET LOCAL ROLE {role};\n\
         {insert}\
         RESET ROLE;\n\
         SELECT 'Ai' || current_setting('schemac.insert');\n\
         ROLLBACK;\n",
        eu = expect("Eu", &update_expr),
        ed = expect("Ed", &delete_expr),
        ei = expect("Ei", &insert_expr),
    );
    let out = db
        .exec(&script)
        .unwrap_or_else(|e| panic!("{}: write checks as {caller:?}: {e}", t.name));
    let line = |p: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(p))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    vec![
        (
            "UPDATE",
            Outcome {
                expected: line("Eu"),
                actual: line("Au"),
            },
        ),
        (
            "DELETE",
            Outcome {
                expected: line("Ed"),
                actual: line("Ad"),
            },
        ),
        (
            "INSERT",
            Outcome {
                expected: line("Ei"),
                actual: line("Ai"),
            },
        ),
    ]
}
