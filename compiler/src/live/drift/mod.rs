//! Drift: the live database's catalogs compared with the compiled schema, object by
//! object. Used by `schemac diff` and `schemac verify`, and by the tests (which compare
//! every database they build with the IR it came from).
//!
//! Compared, each by its value and never by presence alone: tables, RLS and FORCE RLS;
//! columns (order, type, NOT NULL, default, identity, generated expression); primary keys,
//! unique, check (expression, NOT VALID) and foreign-key constraints (target, actions,
//! deferrability); indexes (keys and their options, method, INCLUDE, WITH, predicate);
//! enums and their values; views (kind, options, query); functions (`functions`); triggers;
//! policies (command, roles, permissive, `USING`, `WITH CHECK`); table and column grants;
//! comments; the declared extensions (`annotations`). Expressions, queries and defaults are
//! compared by their meaning: a syntax-tree look first (`canon`), then PostgreSQL printing
//! both sides (`normalize`). Objects of extensions are never drift. On external tables only
//! the declared objects are compared (see `external`).

use std::collections::{BTreeMap, BTreeSet};

mod annotations;
mod canon;
mod external;
mod functions;
mod normalize;
mod tables;

pub use canon::same_expr;
pub(crate) use tables::{index_include_sql, index_key_options_sql};

use crate::ir::{Deferrable, FkAction, Ir, Policy, PolicyCommand, QName};
use crate::lint::privileges::TABLE_PRIVILEGES;

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Drift {
    /// `table public.crm_leads`, `policy crm_leads_owner_select on public.crm_leads`.
    pub object: String,
    /// `missing` (in the schema, not in the database), `extra` (the other way), `changed`.
    pub kind: &'static str,
    pub detail: String,
}

/// Runs one catalog query and returns its rows, every value as text (`t`/`f` for booleans,
/// an empty string for NULL).
pub type Query<'a> = dyn FnMut(&str) -> Result<Vec<Vec<String>>, String> + 'a;

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn action_code(a: FkAction) -> &'static str {
    match a {
        FkAction::NoAction => "a",
        FkAction::Restrict => "r",
        FkAction::Cascade => "c",
        FkAction::SetNull => "n",
        FkAction::SetDefault => "d",
    }
}

/// What the comparison found, and the expressions it still has to settle.
#[derive(Default)]
struct Diffs {
    found: Vec<Drift>,
    /// Expressions both sides have that the cheap look could not show equal: settled
    /// through PostgreSQL at the end ([`Diffs::settle`]).
    pending: Vec<ExprCheck>,
    /// The cheap look's answers by text pair: the same few policy texts recur on
    /// thousands of tables.
    looked: std::collections::HashMap<(bool, String, String), bool>,
}

/// An expression, query or body the two sides both have, to be compared by its meaning.
struct ExprCheck {
    object: String,
    /// Which part: `using`, `with check`, `default`, `query`.
    what: &'static str,
    database: String,
    schema: String,
    pair: normalize::Pair,
}

impl Diffs {
    /// Queues the comparison of one expression both sides have: texts the cheap look
    /// (`canon`) shows equal are settled here, the rest by PostgreSQL at the end.
    fn expr(
        &mut self,
        object: String,
        what: &'static str,
        database: &str,
        schema: &str,
        pair: normalize::Pair,
    ) {
        let key = (what == "query", database.to_string(), schema.to_string());
        let same = match self.looked.get(&key) {
            Some(s) => *s,
            None => {
                let s = if what == "query" {
                    canon::same_query(database, schema)
                } else {
                    same_expr(database, schema)
                };
                self.looked.insert(key, s);
                s
            }
        };
        if pair.database == pair.schema || same {
            return;
        }
        self.pending.push(ExprCheck {
            object,
            what,
            database: database.trim().to_string(),
            schema: schema.trim().to_string(),
            pair,
        });
    }

    /// Settles the queued comparisons through PostgreSQL.
    fn settle(&mut self, query: &mut Query) -> Result<(), String> {
        let checks = std::mem::take(&mut self.pending);
        if checks.is_empty() {
            return Ok(());
        }
        let pairs: Vec<normalize::Pair> = checks
            .iter()
            .map(|c| normalize::Pair {
                database: c.pair.database.clone(),
                schema: c.pair.schema.clone(),
            })
            .collect();
        let verdicts = normalize::compare(query, &pairs)?;
        for (c, v) in checks.into_iter().zip(verdicts) {
            match v {
                normalize::Verdict::Same => {}
                normalize::Verdict::Different => self.push(
                    c.object,
                    "changed",
                    format!(
                        "{}: database `{}` -> schema `{}`",
                        c.what,
                        one_line(&c.database),
                        one_line(&c.schema)
                    ),
                ),
                normalize::Verdict::SchemaRefused(e) => self.push(
                    c.object,
                    "changed",
                    format!(
                        "{}: database `{}` -> schema `{}`, which this database refuses: {e}",
                        c.what,
                        one_line(&c.database),
                        one_line(&c.schema)
                    ),
                ),
            }
        }
        Ok(())
    }

    fn push(&mut self, object: String, kind: &'static str, detail: impl Into<String>) {
        self.found.push(Drift {
            object,
            kind,
            detail: detail.into(),
        });
    }
    /// Keyed rows: missing, extra, and changed values.
    fn keyed(
        &mut self,
        what: &str,
        expected: &BTreeMap<String, String>,
        actual: &BTreeMap<String, String>,
    ) {
        for (k, e) in expected {
            match actual.get(k) {
                None => self.push(format!("{what} {k}"), "missing", "not in the database"),
                Some(a) if a != e => self.push(
                    format!("{what} {k}"),
                    "changed",
                    format!("database: {a}; schema: {e}"),
                ),
                _ => {}
            }
        }
        for k in actual.keys().filter(|k| !expected.contains_key(*k)) {
            self.push(format!("{what} {k}"), "extra", "not in the schema");
        }
    }
}

/// Compares the database `query` reaches with `ir`. Differences come sorted by object.
pub fn compare(ir: &Ir, query: &mut Query) -> Result<Vec<Drift>, String> {
    let mut d = Diffs::default();
    let schemas: BTreeSet<String> = ir
        .tables
        .iter()
        .map(|t| t.name.schema.clone())
        .chain(ir.views.iter().map(|v| v.name.schema.clone()))
        .chain(ir.functions.iter().map(|f| f.name.schema.clone()))
        .chain(ir.enums.iter().map(|e| e.name.schema.clone()))
        .chain(std::iter::once(ir.project.default_schema.clone()))
        .collect();
    let in_list = schemas.iter().map(|s| lit(s)).collect::<Vec<_>>().join(",");

    // Tables and RLS.
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r','p') and n.nspname in ({in_list}) and {NOT_EXTENSION_CLASS} order by 1"
    ))?;
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            let forced = if r[2] == "t" {
                " (forced for the owner)"
            } else {
                ""
            };
            (r[0].clone(), format!("RLS {}{forced}", on_off(&r[1])))
        })
        .collect();
    let expected: BTreeMap<String, String> = ir
        .tables
        .iter()
        .map(|t| {
            (
                t.name.to_string(),
                format!(
                    "RLS {}{}",
                    if t.rls { "on" } else { "off" },
                    if t.force_rls {
                        " (forced for the owner)"
                    } else {
                        ""
                    }
                ),
            )
        })
        .collect();
    d.keyed("table", &expected, &actual);

    tables::compare(ir, query, &in_list, &mut d)?;

    // Enums.
    let rows = query(&format!(
        "select n.nspname || '.' || t.typname, string_agg(e.enumlabel, ', ' order by e.enumsortorder) from pg_type t \
         join pg_namespace n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid where n.nspname in ({in_list}) \
         and not exists (select 1 from pg_depend x where x.classid = 'pg_type'::regclass and x.objid = t.oid and x.deptype = 'e') group by 1 order by 1"
    ))?;
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (r[0].clone(), format!("values {}", r[1])))
        .collect();
    let expected: BTreeMap<String, String> = ir
        .enums
        .iter()
        .map(|e| {
            (
                e.name.to_string(),
                format!("values {}", e.values.join(", ")),
            )
        })
        .collect();
    d.keyed("enum", &expected, &actual);

    // Views.
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, c.relkind, coalesce(array_to_string(c.reloptions, ','), ''), pg_get_viewdef(c.oid) from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('v','m') and n.nspname in ({in_list}) and {NOT_EXTENSION_CLASS} order by 1"
    ))?;
    for v in &ir.views {
        let key = v.name.to_string();
        if let Some(r) = rows.iter().find(|r| r[0] == key) {
            let theirs = r[3].trim().trim_end_matches(';');
            let ours = v.query.trim().trim_end_matches(';');
            d.expr(
                format!("view {key}"),
                "query",
                theirs,
                ours,
                normalize::Pair {
                    database: theirs.to_string(),
                    schema: ours.to_string(),
                },
            );
        }
    }
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r[0].clone(),
                format!(
                    "{} options [{}]",
                    if r[1] == "m" { "materialized" } else { "view" },
                    {
                        let mut o: Vec<&str> = r[2].split(',').filter(|x| !x.is_empty()).collect();
                        o.sort_unstable();
                        o.join(",")
                    }
                ),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = ir
        .views
        .iter()
        .map(|v| {
            let mut opts = Vec::new();
            if v.security_invoker {
                opts.push("security_invoker=true".to_string());
            }
            if v.security_barrier {
                opts.push("security_barrier=true".to_string());
            }
            if let Some(c) = &v.check_option {
                opts.push(format!("check_option={c}"));
            }
            opts.sort_unstable();
            (
                v.name.to_string(),
                format!(
                    "{} options [{}]",
                    if v.materialized {
                        "materialized"
                    } else {
                        "view"
                    },
                    opts.join(",")
                ),
            )
        })
        .collect();
    d.keyed("view", &expected, &actual);

    functions::compare(ir, query, &in_list, &mut d)?;

    // Triggers.
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, t.tgname, t.tgenabled from pg_trigger t join pg_class c on c.oid = t.tgrelid \
         join pg_namespace n on n.oid = c.relnamespace where not t.tgisinternal and n.nspname in ({in_list}) order by 1, 2"
    ))?;
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                format!("{} on {}", r[1], r[0]),
                if r[2] == "D" {
                    "disabled".into()
                } else {
                    "enabled".into()
                },
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = ir
        .tables
        .iter()
        .flat_map(|t| {
            t.triggers
                .iter()
                .map(move |tr| (format!("{} on {}", tr.name, t.name), "enabled".to_string()))
        })
        .collect();
    d.keyed("trigger", &expected, &actual);

    // Policies.
    let rows = query(&format!(
        "select {POLICY_COLUMNS} from pg_policies where schemaname in ({in_list}) order by 1, 2"
    ))?;
    let actual: BTreeMap<String, String> = rows
        .iter()
        .map(|r| (format!("{} on {}", r[1], r[0]), policy_row_summary(r)))
        .collect();
    let mut expected = BTreeMap::new();
    let by_key: BTreeMap<String, &Vec<String>> = rows
        .iter()
        .map(|r| (format!("{} on {}", r[1], r[0]), r))
        .collect();
    for t in &ir.tables {
        for p in &t.policies {
            let key = format!("{} on {}", p.name, t.name);
            if let Some(r) = by_key.get(&key) {
                policy_exprs(&mut d, &format!("policy {key}"), &t.name, p, r);
            }
            expected.insert(key, policy_summary(p));
        }
    }
    d.keyed("policy", &expected, &actual);

    // Table grants to anyone but the owner.
    let rows = query(&format!(
        "select n.nspname || '.' || c.relname, case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end, lower(a.privilege_type) \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(c.relacl) a \
         where c.relkind in ('r','p') and n.nspname in ({in_list}) and a.grantee <> c.relowner order by 1, 2, 3"
    ))?;
    let mut actual: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows {
        actual
            .entry(format!("{} to {}", r[0], r[1]))
            .or_default()
            .push(r[2].clone());
    }
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &ir.tables {
        for g in &t.grants {
            let e = expected
                .entry(format!("{} to {}", t.name, g.role))
                .or_default();
            for p in TABLE_PRIVILEGES {
                if g.privileges.iter().any(|x| x == "all" || x == p) && !e.iter().any(|x| x == p) {
                    e.push(p.to_string());
                }
            }
        }
    }
    let order = |v: &Vec<String>| {
        let mut v = v.clone();
        v.sort_by_key(|p| TABLE_PRIVILEGES.iter().position(|x| x == p));
        v.join(", ")
    };
    let actual: BTreeMap<String, String> =
        actual.iter().map(|(k, v)| (k.clone(), order(v))).collect();
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(k, v)| (k.clone(), order(v)))
        .collect();
    d.keyed("grant on", &expected, &actual);
    external::compare(ir, query, &mut d)?;
    annotations::compare(ir, query, &in_list, &mut d)?;
    annotations::extensions(ir, query, &mut d)?;
    d.settle(query)?;

    let made = raw_made(ir);
    let mut out = d.found;
    let absent: BTreeSet<String> = out
        .iter()
        .filter(|x| x.kind != "changed")
        .map(|x| x.object.clone())
        .collect();
    out.retain(|x| {
        x.object.strip_prefix("comment on ").is_none_or(|o| {
            !absent.contains(o) && !absent.iter().any(|a| o.starts_with(&format!("{a}(")))
        })
    });
    out.retain(|x| {
        x.kind != "extra"
            || !(made.contains(&x.object)
                || raw_made_index(ir, &x.object)
                || of_external_table(ir, &x.object))
    });
    out.sort();
    Ok(out)
}

/// The columns 2.. of [`POLICY_COLUMNS`] as [`policy_summary`] writes them.
fn policy_row_summary(r: &[String]) -> String {
    let mut roles: Vec<&str> = r[3].split(',').collect();
    roles.sort_unstable();
    format!(
        "{} for {} to {} using {} with_check {}",
        r[2].to_lowercase(),
        r[4].to_lowercase(),
        roles.join(","),
        r[5],
        r[6]
    )
}

/// Keeps a relation that belongs to an extension (`pg_depend` deptype `e`) out of the
/// comparison: `CREATE EXTENSION` made it, not the project or a person.
const NOT_EXTENSION_CLASS: &str = "not exists (select 1 from pg_depend x where x.classid = 'pg_class'::regclass and x.objid = c.oid and x.deptype = 'e')";

/// What the policy comparison reads from `pg_policies`.
const POLICY_COLUMNS: &str = "schemaname || '.' || tablename, policyname, permissive, array_to_string(roles, ','), cmd, qual is not null, with_check is not null, coalesce(qual, ''), coalesce(with_check, '')";

/// Queues the comparison of a policy's conditions with the database's (`r` a row of
/// [`POLICY_COLUMNS`]); presence is in the summary.
fn policy_exprs(d: &mut Diffs, object: &str, table: &QName, p: &Policy, r: &[String]) {
    let from = crate::emit::quote_qname(table);
    for (what, ours, theirs) in [
        ("using", p.using.as_ref(), &r[7]),
        ("with check", p.with_check.as_ref(), &r[8]),
    ] {
        if let (Some((ours, _)), false) = (ours, theirs.is_empty()) {
            d.expr(
                object.to_string(),
                what,
                theirs,
                ours,
                normalize::Pair {
                    database: normalize::over_table(theirs, &from),
                    schema: normalize::over_table(ours, &from),
                },
            );
        }
    }
}

/// A text on one line, for a drift's detail.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The drift objects raw blocks declare they create (`[raw.<name>.creates]`), as the
/// comparison names them: the database has them and the TOML declares no object for
/// them, and that is no drift.
fn raw_made(ir: &Ir) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in &ir.raws {
        for (t, c) in &r.creates.columns {
            out.insert(format!("column {t}: {c}"));
        }
        for q in &r.creates.relations {
            for kind in ["table", "view", "enum"] {
                out.insert(format!("{kind} {q}"));
            }
        }
        for q in &r.creates.functions {
            out.insert(format!("function {q}"));
        }
        for (t, n) in &r.creates.triggers {
            out.insert(format!("trigger {n} on {t}"));
        }
    }
    out
}

/// A table declared under `[external.tables]` that lives in a project schema, or its
/// indexes, constraints and grants: they exist, and they are not the project's.
fn of_external_table(ir: &Ir, object: &str) -> bool {
    ir.project.external_tables.keys().any(|q| {
        let q = q.to_string();
        object == format!("table {q}")
            || object.ends_with(&format!(" on {q}"))
            || object.starts_with(&format!("grant on {q} to "))
            || object.starts_with(&format!("grant on column {q}."))
    })
}

/// `index <name> on <schema>.<table>` when `<schema>.<name>` is a relation a raw block
/// creates.
fn raw_made_index(ir: &Ir, object: &str) -> bool {
    let Some((name, table)) = object
        .strip_prefix("index ")
        .and_then(|rest| rest.rsplit_once(" on "))
    else {
        return false;
    };
    let schema = table.split_once('.').map_or("", |(s, _)| s);
    ir.raws.iter().any(|r| {
        r.creates
            .relations
            .iter()
            .any(|q| q.schema == schema && q.name == name)
    })
}

/// What the policy comparison looks at, in the form `pg_policies` is read into.
fn policy_summary(p: &Policy) -> String {
    let mut roles: Vec<&str> = p.roles.iter().map(|(r, _)| r.as_str()).collect();
    if roles.is_empty() {
        roles.push("public");
    }
    roles.sort_unstable();
    let cmd = match p.command {
        PolicyCommand::All => "all",
        PolicyCommand::Select => "select",
        PolicyCommand::Insert => "insert",
        PolicyCommand::Update => "update",
        PolicyCommand::Delete => "delete",
    };
    format!(
        "{} for {cmd} to {} using {} with_check {}",
        if p.permissive {
            "permissive"
        } else {
            "restrictive"
        },
        roles.join(","),
        if p.using.is_some() { "t" } else { "f" },
        if p.with_check.is_some() { "t" } else { "f" }
    )
}

fn on_off(b: &str) -> &'static str {
    if b == "t" {
        "on"
    } else {
        "off"
    }
}
